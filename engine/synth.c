/*
 * synth.c — presets, per-tensor type choice, tensor plan and metadata of
 * synthetic models, and slm_model_synth, which writes one through the GGUF
 * writer with tensors filled at write time (synth_fill.c) so nothing
 * model-sized is ever held in the heap.
 *
 * Preset figures are the published config.json values of each model
 * (hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
 * intermediate_size, vocab_size, max_position_embeddings, rope_theta,
 * rms_norm_eps, tie_word_embeddings) and the GGUF conventions of llama.cpp's
 * converter (qwen2 q/k/v biases; phi3 fused attn_qkv and gate|up in ffn_up;
 * llama 3.2 rope_freqs from its llama3 rope scaling; phi3.5 longrope factors).
 */
#include "synth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const synth_preset synth_presets[] = {
    /* name, imitates, arch, vocab, embd, layers, heads, kv, ff, ctx, rope base, eps, tied, l3rope, longrope, chat */
    {"smollm2-135m", "HuggingFaceTB/SmolLM2-135M-Instruct", "llama",
     49152, 576, 30, 9, 3, 1536, 8192, 100000.0f, 1e-5f, 1, 0, 0, SYNTH_CHAT_CHATML, 0},
    {"smollm2-360m", "HuggingFaceTB/SmolLM2-360M-Instruct", "llama",
     49152, 960, 32, 15, 5, 2560, 8192, 100000.0f, 1e-5f, 1, 0, 0, SYNTH_CHAT_CHATML, 0},
    {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B-Instruct", "qwen2",
     151936, 896, 24, 14, 2, 4864, 32768, 1000000.0f, 1e-6f, 1, 0, 0, SYNTH_CHAT_CHATML, 0},
    {"qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B-Instruct", "qwen2",
     151936, 1536, 28, 12, 2, 8960, 32768, 1000000.0f, 1e-6f, 1, 0, 0, SYNTH_CHAT_CHATML, 0},
    {"llama3.2-1b", "meta-llama/Llama-3.2-1B-Instruct", "llama",
     128256, 2048, 16, 32, 8, 8192, 131072, 500000.0f, 1e-5f, 1, 1, 0, SYNTH_CHAT_LLAMA3, 0},
    {"llama3.2-3b", "meta-llama/Llama-3.2-3B-Instruct", "llama",
     128256, 3072, 28, 24, 8, 8192, 131072, 500000.0f, 1e-5f, 1, 1, 0, SYNTH_CHAT_LLAMA3, 0},
    {"phi3.5-mini", "microsoft/Phi-3.5-mini-instruct", "phi3",
     32064, 3072, 32, 32, 32, 8192, 131072, 10000.0f, 1e-5f, 0, 0, 1, SYNTH_CHAT_PHI3, 0},
    {"tinyllama-1.1b", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "llama",
     32000, 2048, 22, 32, 4, 5632, 2048, 10000.0f, 1e-5f, 0, 0, 0, SYNTH_CHAT_ZEPHYR, 0},
    /* Hidden test presets: real layouts, tiny sizes (n_embd 256 keeps K types). */
    {"test-llama", "test", "llama", 1000, 256, 8, 4, 2, 512, 512, 10000.0f, 1e-5f, 0, 1, 0, SYNTH_CHAT_ZEPHYR, 1},
    {"test-qwen2", "test", "qwen2", 1000, 256, 2, 4, 2, 512, 512, 1000000.0f, 1e-6f, 1, 0, 0, SYNTH_CHAT_CHATML, 1},
    {"test-phi3", "test", "phi3", 1000, 256, 2, 4, 4, 512, 512, 10000.0f, 1e-5f, 0, 0, 1, SYNTH_CHAT_PHI3, 1},
    {"test-odd", "test", "llama", 300, 96, 2, 2, 1, 160, 256, 10000.0f, 1e-5f, 1, 0, 0, SYNTH_CHAT_CHATML, 1},
};
#define SYNTH_N_PRESETS (sizeof synth_presets / sizeof synth_presets[0])

static const synth_type synth_types[] = {
    {"F32", SLM_TYPE_F32, 0, 0},     {"F16", SLM_TYPE_F16, 0, 1},     {"BF16", SLM_TYPE_BF16, 0, 32},
    {"Q8_0", SLM_TYPE_Q8_0, 0, 7},   {"Q4_0", SLM_TYPE_Q4_0, 0, 2},   {"Q4_1", SLM_TYPE_Q4_1, 0, 3},
    {"Q5_0", SLM_TYPE_Q5_0, 0, 8},   {"Q5_1", SLM_TYPE_Q5_1, 0, 9},   {"Q2_K", SLM_TYPE_Q2_K, 0, 10},
    {"Q3_K", SLM_TYPE_Q3_K, 0, 11},  {"Q4_K", SLM_TYPE_Q4_K, 0, 14},  {"Q5_K", SLM_TYPE_Q5_K, 0, 16},
    {"Q6_K", SLM_TYPE_Q6_K, 0, 18},
    {"Q3_K_M", SLM_TYPE_Q3_K, 3, 12}, {"Q4_K_M", SLM_TYPE_Q4_K, 4, 15}, {"Q5_K_M", SLM_TYPE_Q5_K, 5, 17},
};
#define SYNTH_N_TYPES (sizeof synth_types / sizeof synth_types[0])

const synth_preset *synth_find_preset(const char *name)
{
    for (size_t i = 0; name && i < SYNTH_N_PRESETS; i++)
        if (strcmp(synth_presets[i].name, name) == 0)
            return &synth_presets[i];
    return NULL;
}

const synth_type *synth_find_type(const char *name)
{
    for (size_t i = 0; name && i < SYNTH_N_TYPES; i++)
        if (strcasecmp(synth_types[i].name, name) == 0)
            return &synth_types[i];
    return NULL;
}

const char *slm_synth_preset_name(int i)
{
    int k = 0;
    for (size_t j = 0; j < SYNTH_N_PRESETS; j++)
        if (!synth_presets[j].hidden && k++ == i)
            return synth_presets[j].name;
    return NULL;
}

const char *slm_synth_type_name(int i)
{
    return i >= 0 && (size_t)i < SYNTH_N_TYPES ? synth_types[i].name : NULL;
}

/* ---- type choice ---------------------------------------------------------------- */

/* llama-quantize's "use more bits" layers: the first and last eighth, and
 * every third layer in between. */
static int synth_more_bits(int layer, int n_layer)
{
    return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

static slm_type synth_mix_type(const synth_type *type, synth_kind kind, int layer, int n_layer, int is_output)
{
    int mix = type->k_mix;
    if (is_output)
        return SLM_TYPE_Q6_K;
    switch (kind) {
    case SYNTH_ATTN_V:
        if (mix == 3)
            return layer < 2 ? SLM_TYPE_Q5_K : SLM_TYPE_Q4_K;
        return synth_more_bits(layer, n_layer) ? SLM_TYPE_Q6_K : type->base;
    case SYNTH_FFN_DOWN:
        if (mix == 3)
            return layer < n_layer / 16 ? SLM_TYPE_Q5_K : SLM_TYPE_Q4_K;
        return synth_more_bits(layer, n_layer) ? SLM_TYPE_Q6_K : type->base;
    case SYNTH_ATTN_OUT:
        return mix == 3 ? SLM_TYPE_Q4_K : type->base;
    case SYNTH_ATTN_QKV:
        return mix == 3 ? SLM_TYPE_Q4_K : mix == 4 ? SLM_TYPE_Q5_K : SLM_TYPE_Q6_K;
    default:
        return type->base;
    }
}

/* A K type needs rows of whole 256-blocks; llama-quantize falls back to these
 * (it uses IQ4_NL for Q2_K/Q3_K, which slmbench does not support: Q4_0). */
static slm_type synth_fallback(slm_type t, uint64_t n_in)
{
    if (n_in % 256 == 0)
        return t;
    switch (t) {
    case SLM_TYPE_Q2_K: case SLM_TYPE_Q3_K: return SLM_TYPE_Q4_0;
    case SLM_TYPE_Q4_K: return SLM_TYPE_Q5_0;
    case SLM_TYPE_Q5_K: return SLM_TYPE_Q5_1;
    case SLM_TYPE_Q6_K: return SLM_TYPE_Q8_0;
    default: return t;
    }
}

static int synth_is_vector(synth_kind kind)
{
    switch (kind) {
    case SYNTH_OUTPUT_NORM: case SYNTH_ROPE_FREQS: case SYNTH_ROPE_LONG: case SYNTH_ROPE_SHORT:
    case SYNTH_ATTN_NORM: case SYNTH_FFN_NORM:
    case SYNTH_ATTN_Q_BIAS: case SYNTH_ATTN_K_BIAS: case SYNTH_ATTN_V_BIAS:
        return 1;
    default:
        return 0;
    }
}

slm_type synth_tensor_type(const synth_type *type, synth_kind kind, int layer, int n_layer,
                           uint64_t n_in, int tied_embeddings)
{
    if (synth_is_vector(kind))
        return SLM_TYPE_F32;
    if (type->k_mix == 0)
        return synth_fallback(type->base, n_in);
    int is_output = kind == SYNTH_OUTPUT || (kind == SYNTH_TOKEN_EMBD && tied_embeddings);
    return synth_fallback(synth_mix_type(type, kind, layer, n_layer, is_output), n_in);
}

/* ---- plan ------------------------------------------------------------------------ */

typedef struct synth_planner {
    const synth_preset *p;
    const synth_type *type;
    synth_tensor *t;
    size_t n;
} synth_planner;

static void synth_add(synth_planner *pl, synth_kind kind, int layer, const char *suffix,
                      uint64_t ne0, uint64_t ne1)
{
    synth_tensor *t = &pl->t[pl->n++];
    if (layer >= 0)
        snprintf(t->name, sizeof t->name, "blk.%d.%s", layer, suffix);
    else
        snprintf(t->name, sizeof t->name, "%s", suffix);
    t->kind = kind;
    t->layer = layer;
    t->n_dims = ne1 > 0 ? 2 : 1;
    t->ne[0] = ne0;
    t->ne[1] = ne1 > 0 ? ne1 : 1;
    t->type = synth_tensor_type(pl->type, kind, layer, (int)pl->p->n_layer, ne0, pl->p->tied_embeddings);
}

static void synth_plan_layer(synth_planner *pl, int il)
{
    const synth_preset *p = pl->p;
    uint64_t e = p->n_embd, kv = (uint64_t)p->n_embd / p->n_head * p->n_head_kv;
    synth_add(pl, SYNTH_ATTN_NORM, il, "attn_norm.weight", e, 0);
    if (strcmp(p->arch, "phi3") == 0) {
        synth_add(pl, SYNTH_ATTN_QKV, il, "attn_qkv.weight", e, e + 2 * kv);
    } else {
        synth_add(pl, SYNTH_ATTN_Q, il, "attn_q.weight", e, e);
        synth_add(pl, SYNTH_ATTN_K, il, "attn_k.weight", e, kv);
        synth_add(pl, SYNTH_ATTN_V, il, "attn_v.weight", e, kv);
    }
    if (strcmp(p->arch, "qwen2") == 0) {
        synth_add(pl, SYNTH_ATTN_Q_BIAS, il, "attn_q.bias", e, 0);
        synth_add(pl, SYNTH_ATTN_K_BIAS, il, "attn_k.bias", kv, 0);
        synth_add(pl, SYNTH_ATTN_V_BIAS, il, "attn_v.bias", kv, 0);
    }
    synth_add(pl, SYNTH_ATTN_OUT, il, "attn_output.weight", e, e);
    synth_add(pl, SYNTH_FFN_NORM, il, "ffn_norm.weight", e, 0);
    if (strcmp(p->arch, "phi3") == 0) {
        synth_add(pl, SYNTH_FFN_UP, il, "ffn_up.weight", e, 2 * (uint64_t)p->n_ff);
    } else {
        synth_add(pl, SYNTH_FFN_GATE, il, "ffn_gate.weight", e, p->n_ff);
        synth_add(pl, SYNTH_FFN_UP, il, "ffn_up.weight", e, p->n_ff);
    }
    synth_add(pl, SYNTH_FFN_DOWN, il, "ffn_down.weight", p->n_ff, e);
}

int synth_plan(const synth_preset *p, const synth_type *type, synth_tensor **out, size_t *n_out)
{
    synth_planner pl = {p, type, calloc((size_t)p->n_layer * 12 + 8, sizeof(synth_tensor)), 0};
    if (!pl.t)
        return -1;
    uint32_t head_dim = p->n_embd / p->n_head;
    synth_add(&pl, SYNTH_TOKEN_EMBD, -1, "token_embd.weight", p->n_embd, p->n_vocab);
    if (p->llama3_rope)
        synth_add(&pl, SYNTH_ROPE_FREQS, -1, "rope_freqs.weight", head_dim / 2, 0);
    if (p->phi3_longrope) {
        synth_add(&pl, SYNTH_ROPE_LONG, -1, "rope_factors_long.weight", head_dim / 2, 0);
        synth_add(&pl, SYNTH_ROPE_SHORT, -1, "rope_factors_short.weight", head_dim / 2, 0);
    }
    for (uint32_t il = 0; il < p->n_layer; il++)
        synth_plan_layer(&pl, (int)il);
    synth_add(&pl, SYNTH_OUTPUT_NORM, -1, "output_norm.weight", p->n_embd, 0);
    if (!p->tied_embeddings)
        synth_add(&pl, SYNTH_OUTPUT, -1, "output.weight", p->n_embd, p->n_vocab);
    *out = pl.t;
    *n_out = pl.n;
    return 0;
}

/* ---- metadata --------------------------------------------------------------------- */

static int synth_key_u32(gguf_writer *w, const char *arch, const char *suffix, uint32_t v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return gguf_writer_set_u32(w, key, v);
}

static int synth_key_f32(gguf_writer *w, const char *arch, const char *suffix, float v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return gguf_writer_set_f32(w, key, v);
}

static int synth_metadata(gguf_writer *w, const synth_preset *p, const synth_type *type, uint64_t seed)
{
    const char *a = p->arch;
    char name[128];
    snprintf(name, sizeof name, "synthetic-%s-%s", p->name, type->name);
    uint32_t head_dim = p->n_embd / p->n_head;
    int rc = gguf_writer_set_str(w, "general.architecture", a) | gguf_writer_set_str(w, "general.type", "model") |
             gguf_writer_set_str(w, "general.name", name) |
             gguf_writer_set_u32(w, "general.file_type", type->file_type) |
             gguf_writer_set_u32(w, "general.quantization_version", 2) |
             synth_key_u32(w, a, "context_length", p->n_ctx) |
             synth_key_u32(w, a, "embedding_length", p->n_embd) |
             synth_key_u32(w, a, "block_count", p->n_layer) |
             synth_key_u32(w, a, "feed_forward_length", p->n_ff) |
             synth_key_u32(w, a, "attention.head_count", p->n_head) |
             synth_key_u32(w, a, "attention.head_count_kv", p->n_head_kv) |
             synth_key_f32(w, a, "attention.layer_norm_rms_epsilon", p->norm_eps) |
             synth_key_f32(w, a, "rope.freq_base", p->rope_base) |
             synth_key_u32(w, a, "rope.dimension_count", head_dim);
    if (strcmp(a, "llama") == 0)
        rc |= synth_key_u32(w, a, "vocab_size", p->n_vocab);
    if (p->llama3_rope)
        rc |= synth_key_u32(w, a, "attention.key_length", head_dim) |
              synth_key_u32(w, a, "attention.value_length", head_dim);
    if (p->phi3_longrope)
        rc |= synth_key_u32(w, a, "rope.scaling.original_context_length", 4096) |
              synth_key_f32(w, a, "rope.scaling.attn_factor", 1.1902380714238083f) |
              synth_key_u32(w, a, "attention.sliding_window", 262144);
    rc |= gguf_writer_set_bool(w, "slmbench.synthetic", 1) | gguf_writer_set_u64(w, "slmbench.synthetic_seed", seed) |
          gguf_writer_set_str(w, "slmbench.synthetic_preset", p->name) |
          gguf_writer_set_str(w, "slmbench.synthetic_type", type->name) |
          gguf_writer_set_str(w, "slmbench.synthetic_of", p->real_model);
    return rc ? -1 : 0;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct synth_fill_job {
    const synth_preset *preset;
    const synth_tensor *tensor;
    uint64_t seed;
    int n_threads;
} synth_fill_job;

static int synth_fill_cb(void *user, void *dst, uint64_t n_bytes)
{
    const synth_fill_job *job = user;
    return synth_fill_tensor(job->preset, job->tensor, job->seed, job->n_threads, dst, n_bytes);
}

static int synth_add_tensors(gguf_writer *w, const synth_preset *p, const synth_tensor *t, size_t n,
                             synth_fill_job *jobs, uint64_t seed, int n_threads)
{
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (synth_fill_job){p, &t[i], seed, n_threads};
        if (gguf_writer_add_tensor(w, t[i].name, t[i].type, t[i].n_dims, t[i].ne, NULL,
                                   synth_fill_cb, &jobs[i]) != 0)
            return -1;
    }
    return 0;
}

static int synth_threads(int requested)
{
    if (requested > 0)
        return requested > 64 ? 64 : requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int slm_model_synth(const slm_synth_params *params, const char *out_path, char *err, size_t err_size)
{
    const synth_preset *p = synth_find_preset(params->preset);
    const synth_type *type = synth_find_type(params->type);
    if (!p || !type) {
        snprintf(err, err_size, "%s: unknown %s '%s'", out_path, p ? "type" : "preset",
                 p ? (params->type ? params->type : "") : (params->preset ? params->preset : ""));
        return -1;
    }
    synth_tensor *t = NULL;
    size_t n = 0;
    gguf_writer *w = gguf_writer_create();
    synth_fill_job *jobs = NULL;
    int rc = -1;
    if (!w || synth_plan(p, type, &t, &n) != 0 || !(jobs = calloc(n, sizeof *jobs))) {
        snprintf(err, err_size, "%s: out of memory", out_path);
        goto done;
    }
    slm_type missing;
    if (synth_check_kernels(t, n, &missing) != 0) {
        snprintf(err, err_size, "%s: no quantize kernel for tensor type %s", out_path,
                 slm_type_name((int)missing) ? slm_type_name((int)missing) : "?");
        goto done;
    }
    err[0] = '\0';
    /* Writer faults (from metadata or tensors) are kept by the writer and
     * reported by gguf_writer_write, which then writes nothing. */
    synth_metadata(w, p, type, params->seed);
    if (synth_vocab_write(w, p, params->vocab_path, err, err_size) != 0)
        goto done;
    synth_add_tensors(w, p, t, n, jobs, params->seed, synth_threads(params->n_threads));
    rc = gguf_writer_write(w, out_path, err, err_size);
done:
    gguf_writer_free(w);
    free(jobs);
    free(t);
    return rc;
}
