/*
 * model_info.c — eng_model_info_fill and slm_model_inspect: what a GGUF model
 * is (architecture, sizes, tensor-type mix, tokenizer, chat template) from its
 * metadata and tensor table alone.
 *
 * Required keys are the same for the three supported architectures
 * (ARCH.context_length, embedding_length, block_count, feed_forward_length,
 * attention.head_count, attention.layer_norm_rms_epsilon); optional ones get
 * the defaults llama.cpp uses: head_count_kv = head_count, rope.dimension_count
 * = n_embd / n_head, rope.freq_base = 10000. The vocabulary size comes from
 * token_embd.weight's rows, else ARCH.vocab_size, else the token list.
 */
#include "model_info.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tokenizer.h"

static const char *const info_archs[] = {"llama", "qwen2", "phi3"};

static void info_copy_str(const gguf_file *f, const char *key, char *dst, size_t size)
{
    gguf_str s;
    dst[0] = '\0';
    if (gguf_get_str(f, key, &s) != 0)
        return;
    size_t n = s.len < size - 1 ? (size_t)s.len : size - 1;
    memcpy(dst, s.data, n);
    dst[n] = '\0';
}

static int info_u32(const gguf_file *f, const char *path, const char *arch, const char *suffix,
                    int required, uint32_t fallback, uint32_t *out, char *err, size_t err_size)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (gguf_get_u32(f, key, out) == 0)
        return 0;
    if (gguf_find_key(f, key) >= 0) {
        snprintf(err, err_size, "%s: key '%s' is not an unsigned 32-bit integer", path, key);
        return -1;
    }
    if (required) {
        snprintf(err, err_size, "%s: required key '%s' is missing", path, key);
        return -1;
    }
    *out = fallback;
    return 0;
}

static int info_f32(const gguf_file *f, const char *path, const char *arch, const char *suffix,
                    int required, float fallback, float *out, char *err, size_t err_size)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (gguf_get_f32(f, key, out) == 0) {
        if (isfinite(*out) && *out > 0.0f)
            return 0;
        snprintf(err, err_size, "%s: key '%s' must be a positive finite number", path, key);
        return -1;
    }
    if (gguf_find_key(f, key) >= 0) {
        snprintf(err, err_size, "%s: key '%s' is not a float", path, key);
        return -1;
    }
    if (required) {
        snprintf(err, err_size, "%s: required key '%s' is missing", path, key);
        return -1;
    }
    *out = fallback;
    return 0;
}

static int info_arch(const gguf_file *f, const char *path, slm_model_info *out, char *err, size_t err_size)
{
    gguf_str arch;
    if (gguf_get_str(f, "general.architecture", &arch) != 0) {
        snprintf(err, err_size, "%s: required key 'general.architecture' is missing", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof info_archs / sizeof info_archs[0]; i++) {
        if (gguf_str_eq(arch, info_archs[i])) {
            snprintf(out->arch, sizeof out->arch, "%s", info_archs[i]);
            return 0;
        }
    }
    snprintf(err, err_size, "%s: architecture '%.*s' is not supported (llama, qwen2, phi3)", path,
             (int)(arch.len > 40 ? 40 : arch.len), arch.data);
    return -1;
}

static int info_hparams(const gguf_file *f, const char *path, slm_model_info *o, char *err, size_t err_size)
{
    const char *a = o->arch;
    if (info_u32(f, path, a, "context_length", 1, 0, &o->n_ctx_train, err, err_size) ||
        info_u32(f, path, a, "embedding_length", 1, 0, &o->n_embd, err, err_size) ||
        info_u32(f, path, a, "block_count", 1, 0, &o->n_layer, err, err_size) ||
        info_u32(f, path, a, "feed_forward_length", 1, 0, &o->n_ff, err, err_size) ||
        info_u32(f, path, a, "attention.head_count", 1, 0, &o->n_head, err, err_size) ||
        info_f32(f, path, a, "attention.layer_norm_rms_epsilon", 1, 0, &o->norm_rms_eps, err, err_size) ||
        info_f32(f, path, a, "rope.freq_base", 0, 10000.0f, &o->rope_freq_base, err, err_size))
        return -1;
    if (o->n_ctx_train == 0 || o->n_embd == 0 || o->n_layer == 0 || o->n_ff == 0 || o->n_head == 0) {
        snprintf(err, err_size, "%s: %s context_length, embedding_length, block_count, feed_forward_length "
                 "and attention.head_count must all be positive", path, a);
        return -1;
    }
    if (info_u32(f, path, a, "attention.head_count_kv", 0, o->n_head, &o->n_head_kv, err, err_size) ||
        info_u32(f, path, a, "rope.dimension_count", 0, o->n_embd / o->n_head, &o->n_rot, err, err_size))
        return -1;
    if (o->n_head_kv == 0 || o->n_head % o->n_head_kv != 0) {
        snprintf(err, err_size, "%s: %s.attention.head_count %u is not a multiple of head_count_kv %u",
                 path, a, o->n_head, o->n_head_kv);
        return -1;
    }
    if (o->n_embd % o->n_head != 0 || o->n_rot == 0 || o->n_rot % 2 != 0 || o->n_rot > o->n_embd / o->n_head) {
        snprintf(err, err_size, "%s: %s.rope.dimension_count %u must be even and at most the head size "
                 "(embedding_length %u / head_count %u)", path, a, o->n_rot, o->n_embd, o->n_head);
        return -1;
    }
    return 0;
}

static int info_vocab(const gguf_file *f, const char *path, slm_model_info *o, char *err, size_t err_size)
{
    const gguf_tensor *embd = gguf_find_tensor(f, "token_embd.weight");
    uint64_t n_tokens = 0;
    gguf_value_type et;
    uint32_t n = 0;
    char key[64];
    snprintf(key, sizeof key, "%s.vocab_size", o->arch);
    if (embd && embd->n_dims == 2 && embd->ne[1] <= UINT32_MAX)
        n = (uint32_t)embd->ne[1];
    else if (gguf_get_u32(f, key, &n) != 0 &&
             gguf_get_array_info(f, "tokenizer.ggml.tokens", &et, &n_tokens) == 0 && n_tokens <= UINT32_MAX)
        n = (uint32_t)n_tokens;
    if (n == 0) {
        snprintf(err, err_size, "%s: vocabulary size unknown (no token_embd.weight, %s or tokenizer.ggml.tokens)",
                 path, key);
        return -1;
    }
    o->n_vocab = n;
    info_copy_str(f, "tokenizer.ggml.model", o->tokenizer_model, sizeof o->tokenizer_model);
    info_copy_str(f, "tokenizer.ggml.pre", o->tokenizer_pre, sizeof o->tokenizer_pre);
    gguf_str tmpl;
    if (gguf_get_str(f, "tokenizer.chat_template", &tmpl) == 0) {
        o->has_chat_template = 1;
        const char *family = chat_detect_family(tmpl.data, (size_t)tmpl.len);
        snprintf(o->chat_template_family, sizeof o->chat_template_family, "%s", family ? family : "");
    }
    return 0;
}

static void info_tensors(const gguf_file *f, slm_model_info *o)
{
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        o->n_params += t->n_elements;
        o->tensor_bytes += t->n_bytes;
        o->type_bytes[t->type] += t->n_bytes;   /* the reader guarantees a known type */
        o->type_tensors[t->type]++;
    }
}

int eng_model_info_fill(const gguf_file *file, const char *path, slm_model_info *out,
                        char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (!path)
        path = gguf_path(file);
    if (info_arch(file, path, out, err, err_size) != 0 || info_hparams(file, path, out, err, err_size) != 0 ||
        info_vocab(file, path, out, err, err_size) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    snprintf(out->path, sizeof out->path, "%s", path);
    info_copy_str(file, "general.name", out->name, sizeof out->name);
    out->gguf_version = gguf_version(file);
    out->file_bytes = gguf_file_size(file);
    info_tensors(file, out);
    int synthetic = 0;
    out->synthetic = gguf_get_bool(file, "slmbench.synthetic", &synthetic) == 0 && synthetic;
    return 0;
}

int slm_model_inspect(const char *path, slm_model_info *out, char *err, size_t err_size)
{
    gguf_file *f = NULL;
    memset(out, 0, sizeof *out);
    if (gguf_open(path, &f, err, err_size) != 0)
        return -1;
    int rc = eng_model_info_fill(f, path, out, err, err_size);
    gguf_close(f);
    return rc;
}
