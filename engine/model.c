/*
 * model.c — slm_model_load: opens a GGUF, reads the hyper-parameters of its
 * architecture, finds and checks every weight tensor, loads the tokenizer.
 *
 * Invariants: see model.h. Every failure names the file and, where there is
 * one, the tensor or key at fault; a partially built model is freed before
 * returning. Nothing here allocates per token: the forward pass only reads.
 */
#include "model.h"
#include "model_info.h"
#include "packed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


/* ---- hyper-parameters -------------------------------------------------------- */

static int arch_from_name(gguf_str name, eng_arch *out)
{
    if (gguf_str_eq(name, "llama")) *out = ENG_ARCH_LLAMA;
    else if (gguf_str_eq(name, "qwen2")) *out = ENG_ARCH_QWEN2;
    else if (gguf_str_eq(name, "phi3")) *out = ENG_ARCH_PHI3;
    else return -1;
    return 0;
}

static int key_u32(const gguf_file *f, const char *arch, const char *suffix, int required,
                   uint32_t fallback, uint32_t *out, char *err, size_t err_size)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (gguf_get_u32(f, key, out) == 0) return 0;
    if (gguf_find_key(f, key) >= 0 || required) {
        snprintf(err, err_size, "%s: key '%s' is %s", gguf_path(f), key,
                 gguf_find_key(f, key) >= 0 ? "not a valid unsigned integer" : "missing");
        return -1;
    }
    *out = fallback;
    return 0;
}

static int key_f32(const gguf_file *f, const char *arch, const char *suffix, int required,
                   float fallback, float *out, char *err, size_t err_size)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (gguf_get_f32(f, key, out) == 0 && isfinite(*out)) return 0;
    if (gguf_find_key(f, key) >= 0 || required) {
        snprintf(err, err_size, "%s: key '%s' is %s", gguf_path(f), key,
                 gguf_find_key(f, key) >= 0 ? "not a finite float" : "missing");
        return -1;
    }
    *out = fallback;
    return 0;
}

/* Linear position scaling is the only rope scaling a llama/qwen2/phi3 GGUF
 * carries as metadata; llama3-style scaling arrives baked into the rope_freqs
 * tensor and phi3 longrope ("longrope"/"su") as rope_factors_short/long
 * tensors plus the keys read here. Other kinds (yarn) are refused loudly
 * rather than silently computing different logits. */
static int read_rope_scaling(const gguf_file *f, const char *arch, eng_hparams *hp,
                             char *err, size_t err_size)
{
    char key[128];
    gguf_str kind = {0};
    uint32_t orig_ctx = 0;
    hp->rope_pos_scale = 1.0f;
    /* phi3 longrope: short/long frequency factors (tensors) chosen by context
     * length, and an attention factor applied to cos/sin. */
    if (key_f32(f, arch, "rope.scaling.attn_factor", 0, 1.0f, &hp->rope_attn_factor, err, err_size) ||
        key_u32(f, arch, "rope.scaling.original_context_length", 0, 0, &orig_ctx, err, err_size))
        return -1;
    hp->rope_orig_ctx = orig_ctx > (1u << 30) ? (1 << 30) : (int)orig_ctx;
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    if (gguf_get_str(f, key, &kind) != 0 || gguf_str_eq(kind, "none") || gguf_str_eq(kind, "longrope") ||
        gguf_str_eq(kind, "su"))
        return 0;
    if (!gguf_str_eq(kind, "linear")) {
        snprintf(err, err_size, "%s: rope scaling '%.*s' is not supported (linear, longrope)",
                 gguf_path(f), (int)(kind.len > 40 ? 40 : kind.len), kind.data);
        return -1;
    }
    float factor = 1.0f;
    if (key_f32(f, arch, "rope.scaling.factor", 0, 1.0f, &factor, err, err_size) != 0) return -1;
    if (!(factor > 0.0f)) {
        snprintf(err, err_size, "%s: %s.rope.scaling.factor must be > 0", gguf_path(f), arch);
        return -1;
    }
    hp->rope_pos_scale = 1.0f / factor;
    return 0;
}

static int check_hparams(const gguf_file *f, const eng_hparams *hp, char *err, size_t err_size)
{
    const char *p = gguf_path(f);
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_head <= 0 || hp->n_ff <= 0 ||
        hp->n_head_kv <= 0 || hp->head_dim <= 0) {
        snprintf(err, err_size, "%s: embedding, block, head and feed-forward counts must be positive", p);
        return -1;
    }
    if (hp->n_head % hp->n_head_kv != 0) {
        snprintf(err, err_size, "%s: head_count %d is not a multiple of head_count_kv %d", p,
                 hp->n_head, hp->n_head_kv);
        return -1;
    }
    if (hp->n_rot <= 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0) {
        snprintf(err, err_size, "%s: rope dimension_count %d must be even and in 1..%d", p,
                 hp->n_rot, hp->head_dim);
        return -1;
    }
    if (!(hp->norm_eps > 0.0f) || !(hp->rope_base > 0.0f)) {
        snprintf(err, err_size, "%s: rms epsilon and rope freq_base must be > 0", p);
        return -1;
    }
    return 0;
}

static int read_hparams(const gguf_file *f, eng_hparams *hp, char *err, size_t err_size)
{
    gguf_str arch_name;
    memset(hp, 0, sizeof *hp);
    if (gguf_get_str(f, "general.architecture", &arch_name) != 0) {
        snprintf(err, err_size, "%s: key 'general.architecture' is missing", gguf_path(f));
        return -1;
    }
    if (arch_from_name(arch_name, &hp->arch) != 0) {
        snprintf(err, err_size, "%s: architecture '%.*s' is not supported (llama, qwen2, phi3)",
                 gguf_path(f), (int)(arch_name.len > 40 ? 40 : arch_name.len), arch_name.data);
        return -1;
    }
    const char *a = hp->arch == ENG_ARCH_LLAMA ? "llama" : hp->arch == ENG_ARCH_QWEN2 ? "qwen2" : "phi3";
    hp->rope_kind = hp->arch == ENG_ARCH_LLAMA ? ENG_ROPE_NORMAL : ENG_ROPE_NEOX;
    uint32_t n_embd, n_layer, n_ff, n_head, n_head_kv, n_ctx, n_rot, head_dim;
    if (key_u32(f, a, "embedding_length", 1, 0, &n_embd, err, err_size) ||
        key_u32(f, a, "block_count", 1, 0, &n_layer, err, err_size) ||
        key_u32(f, a, "feed_forward_length", 1, 0, &n_ff, err, err_size) ||
        key_u32(f, a, "attention.head_count", 1, 0, &n_head, err, err_size) ||
        key_u32(f, a, "attention.head_count_kv", 0, n_head, &n_head_kv, err, err_size) ||
        key_u32(f, a, "context_length", 1, 0, &n_ctx, err, err_size) ||
        key_f32(f, a, "attention.layer_norm_rms_epsilon", 1, 0, &hp->norm_eps, err, err_size) ||
        key_f32(f, a, "rope.freq_base", 0, hp->arch == ENG_ARCH_QWEN2 ? 1e6f : 1e4f,
                &hp->rope_base, err, err_size))
        return -1;
    if (n_head == 0 || n_embd > (1u << 20) || n_layer > 4096 || n_ff > (1u << 22) ||
        n_head > 4096 || n_head_kv > 4096) {
        snprintf(err, err_size, "%s: implausible hyper-parameters (n_embd %u, n_layer %u, n_head %u)",
                 gguf_path(f), n_embd, n_layer, n_head);
        return -1;
    }
    if (key_u32(f, a, "attention.key_length", 0, n_embd / n_head, &head_dim, err, err_size) ||
        key_u32(f, a, "rope.dimension_count", 0, head_dim, &n_rot, err, err_size))
        return -1;
    hp->n_embd = (int)n_embd;
    hp->n_layer = (int)n_layer;
    hp->n_ff = (int)n_ff;
    hp->n_head = (int)n_head;
    hp->n_head_kv = (int)n_head_kv;
    hp->n_ctx_train = n_ctx > (1u << 30) ? (1 << 30) : (int)n_ctx;
    hp->head_dim = head_dim > 65536 ? 0 : (int)head_dim;
    hp->n_rot = n_rot > 65536 ? 0 : (int)n_rot;
    if (read_rope_scaling(f, a, hp, err, err_size) != 0) return -1;
    return check_hparams(f, hp, err, err_size);
}

/* ---- tensors ------------------------------------------------------------------- */

static int find_weight(const gguf_file *f, const char *name, int64_t n_in, int64_t n_out,
                       int optional, eng_weight *out, char *err, size_t err_size)
{
    const gguf_tensor *t = gguf_find_tensor(f, name);
    memset(out, 0, sizeof *out);
    if (!t) {
        if (optional) return 0;
        snprintf(err, err_size, "%s: tensor '%s' is missing", gguf_path(f), name);
        return -1;
    }
    if (t->ne[0] != (uint64_t)n_in || t->ne[1] != (uint64_t)n_out || t->ne[2] != 1 || t->ne[3] != 1) {
        snprintf(err, err_size, "%s: tensor '%s' has shape [%llu, %llu, %llu, %llu], expected [%lld, %lld]",
                 gguf_path(f), name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                 (unsigned long long)t->ne[2], (unsigned long long)t->ne[3],
                 (long long)n_in, (long long)n_out);
        return -1;
    }
    const quant_traits *tr = quant_get_traits(t->type);
    if (!tr || !tr->vec_dot || !tr->dequantize_row || n_in % tr->block_size != 0) {
        snprintf(err, err_size, "%s: tensor '%s' has type %s, which has no kernels for rows of %lld",
                 gguf_path(f), name, slm_type_name(t->type) ? slm_type_name(t->type) : "unknown",
                 (long long)n_in);
        return -1;
    }
    out->data = t->data;
    out->type = t->type;
    out->n_in = n_in;
    out->n_out = n_out;
    out->row_bytes = (size_t)(n_in / tr->block_size) * tr->block_bytes;
    out->traits = tr;
    return 0;
}

/* A 1-D tensor of n elements, converted to an F32 copy (*out NULL if optional
 * and absent). */
static int load_vector(const gguf_file *f, const char *name, int64_t n, int optional,
                       float **out, char *err, size_t err_size)
{
    eng_weight w;
    *out = NULL;
    if (find_weight(f, name, n, 1, optional, &w, err, err_size) != 0) return -1;
    if (!w.data) return 0;
    *out = malloc((size_t)n * sizeof(float));
    if (!*out) {
        snprintf(err, err_size, "%s: out of memory converting '%s'", gguf_path(f), name);
        return -1;
    }
    w.traits->dequantize_row(w.data, *out, n);
    return 0;
}

static int load_attention(const gguf_file *f, const eng_hparams *hp, int il, eng_layer *l,
                          char *err, size_t err_size)
{
    char name[96];
    int64_t e = hp->n_embd, q = (int64_t)hp->n_head * hp->head_dim;
    int64_t kv = (int64_t)hp->n_head_kv * hp->head_dim;
#define T(suffix) (snprintf(name, sizeof name, "blk.%d.%s", il, suffix), name)
    if (load_vector(f, T("attn_norm.weight"), e, 0, &l->attn_norm, err, err_size)) return -1;
    if (hp->arch == ENG_ARCH_PHI3) {
        if (find_weight(f, T("attn_qkv.weight"), e, q + 2 * kv, 0, &l->wqkv, err, err_size)) return -1;
    } else {
        if (find_weight(f, T("attn_q.weight"), e, q, 0, &l->wq, err, err_size) ||
            find_weight(f, T("attn_k.weight"), e, kv, 0, &l->wk, err, err_size) ||
            find_weight(f, T("attn_v.weight"), e, kv, 0, &l->wv, err, err_size))
            return -1;
        if (load_vector(f, T("attn_q.bias"), q, 1, &l->bq, err, err_size) ||
            load_vector(f, T("attn_k.bias"), kv, 1, &l->bk, err, err_size) ||
            load_vector(f, T("attn_v.bias"), kv, 1, &l->bv, err, err_size))
            return -1;
    }
    return find_weight(f, T("attn_output.weight"), q, e, 0, &l->wo, err, err_size);
}

static int load_ffn(const gguf_file *f, const eng_hparams *hp, int il, eng_layer *l,
                    char *err, size_t err_size)
{
    char name[96];
    int64_t e = hp->n_embd, ff = hp->n_ff;
    if (load_vector(f, T("ffn_norm.weight"), e, 0, &l->ffn_norm, err, err_size)) return -1;
    if (hp->arch == ENG_ARCH_PHI3) {
        if (find_weight(f, T("ffn_up.weight"), e, 2 * ff, 0, &l->gate_up, err, err_size)) return -1;
    } else if (find_weight(f, T("ffn_gate.weight"), e, ff, 0, &l->gate, err, err_size) ||
               find_weight(f, T("ffn_up.weight"), e, ff, 0, &l->up, err, err_size)) {
        return -1;
    }
    return find_weight(f, T("ffn_down.weight"), ff, e, 0, &l->down, err, err_size);
#undef T
}

static int load_tensors(slm_model *m, char *err, size_t err_size)
{
    const gguf_file *f = m->file;
    eng_hparams *hp = &m->hp;
    const gguf_tensor *embd = gguf_find_tensor(f, "token_embd.weight");
    if (!embd) {
        snprintf(err, err_size, "%s: tensor 'token_embd.weight' is missing", gguf_path(f));
        return -1;
    }
    if (embd->ne[1] == 0 || embd->ne[1] > (1u << 24)) {
        snprintf(err, err_size, "%s: tensor 'token_embd.weight' has an implausible vocabulary of %llu",
                 gguf_path(f), (unsigned long long)embd->ne[1]);
        return -1;
    }
    hp->n_vocab = (int)embd->ne[1];
    if (find_weight(f, "token_embd.weight", hp->n_embd, hp->n_vocab, 0, &m->tok_embd, err, err_size) ||
        find_weight(f, "output.weight", hp->n_embd, hp->n_vocab, 1, &m->output, err, err_size) ||
        load_vector(f, "output_norm.weight", hp->n_embd, 0, &m->output_norm, err, err_size) ||
        load_vector(f, "rope_freqs.weight", hp->n_rot / 2, 1, &m->rope_freq_factors, err, err_size))
        return -1;
    if (load_vector(f, "rope_factors_short.weight", hp->n_rot / 2, 1, &m->rope_factors_short, err, err_size) ||
        load_vector(f, "rope_factors_long.weight", hp->n_rot / 2, 1, &m->rope_factors_long, err, err_size))
        return -1;
    if (!m->output.data) m->output = m->tok_embd; /* tied embeddings */
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) {
        snprintf(err, err_size, "%s: out of memory", gguf_path(f));
        return -1;
    }
    for (int il = 0; il < hp->n_layer; il++) {
        if (load_attention(f, hp, il, &m->layers[il], err, err_size) ||
            load_ffn(f, hp, il, &m->layers[il], err, err_size))
            return -1;
    }
    return 0;
}

/* ---- weights into huge pages ------------------------------------------------------ */

enum { HUGE_PAGE = 2u << 20, COPY_ALIGN = 64 };

static eng_weight *next_matrix(slm_model *m, int i)
{
    /* 0: token_embd, 1: output, then 9 per layer (absent ones have no data). */
    if (i == 0) return &m->tok_embd;
    if (i == 1) return &m->output;
    i -= 2;
    if (i >= m->hp.n_layer * 9) return NULL;
    eng_layer *l = &m->layers[i / 9];
    eng_weight *ws[9] = {&l->wq, &l->wk, &l->wv, &l->wqkv, &l->wo, &l->gate, &l->up, &l->gate_up, &l->down};
    return ws[i % 9];
}

static size_t matrix_bytes(const eng_weight *w)
{
    return w->data ? w->row_bytes * (size_t)w->n_out : 0;
}

/* Drops the whole pages of a copied range from this process's file mapping
 * (they stay in the page cache), so peak RSS counts the weights once. Safe
 * because gguf_open always maps the file read-only and private, never
 * written: a dropped page that is touched again is read back from the file.
 * (Never call this on gguf_open_memory buffers: anonymous pages would zero.) */
static void drop_file_pages(const void *src, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)src + page - 1) / page * page, hi = ((uintptr_t)src + n) / page * page;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* An untied token embedding is only gathered row by row (no TLB pressure,
 * and most rows are never touched): it stays in the file mapping. A tied one
 * is the output matrix, read whole every token. */
static int copy_wanted(int i, int tied)
{
    return tied ? i != 1 : i != 0;
}

/* Rearranges a copied Q4_0 or Q5_0 matrix for the AVX2 decode kernel
 * (packed.h) when that kernel runs here; other types, or no memory for one
 * row of scratch, leave it as it is. */
static void pack_rows(eng_weight *w)
{
    if (!eng_packing_wanted(w->type)) return;
    int64_t nb = w->n_in / 32;
    uint8_t *scratch = malloc(w->row_bytes);
    if (!scratch) return;
    for (int64_t r = 0; r < w->n_out; r++)
        eng_pack_row(w->type, (uint8_t *)w->data + (size_t)r * w->row_bytes, nb, scratch);
    free(scratch);
    w->packed = 1;
}

/* Copies every weight matrix into one anonymous 2 MiB-aligned region with
 * transparent huge pages requested, packing Q4_0 and Q5_0 ones for the AVX2
 * decode kernel on the way (a matrix left in the file mapping is never packed). On any failure the model keeps reading
 * the file mapping (correct, only slower): not an error. */
static void copy_weights(slm_model *m)
{
    int tied = m->output.data == m->tok_embd.data;
    size_t total = 0;
    for (int i = 0; next_matrix(m, i); i++)
        if (copy_wanted(i, tied)) total += (matrix_bytes(next_matrix(m, i)) + COPY_ALIGN - 1) / COPY_ALIGN * COPY_ALIGN;
    size_t map_bytes = total + HUGE_PAGE;
    char *map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return;
    char *base = (char *)(((uintptr_t)map + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
#ifdef MADV_HUGEPAGE
    madvise(base, total, MADV_HUGEPAGE);
#endif
    size_t used = 0;
    for (int i = 0; next_matrix(m, i); i++) {
        eng_weight *w = next_matrix(m, i);
        if (!copy_wanted(i, tied) || !w->data) continue;
        size_t n = matrix_bytes(w);
        memcpy(base + used, w->data, n);
        drop_file_pages(w->data, n);
        w->data = base + used;
        pack_rows(w);
        used += (n + COPY_ALIGN - 1) / COPY_ALIGN * COPY_ALIGN;
    }
    if (tied) m->output = m->tok_embd;
    m->weights_copy = map;
    m->weights_copy_bytes = map_bytes;
}

/* ---- public ---------------------------------------------------------------------- */

static void free_layer(eng_layer *l)
{
    free(l->attn_norm);
    free(l->ffn_norm);
    free(l->bq);
    free(l->bk);
    free(l->bv);
}

void slm_model_free(slm_model *model)
{
    if (!model) return;
    if (model->layers) {
        for (int il = 0; il < model->hp.n_layer; il++) free_layer(&model->layers[il]);
        free(model->layers);
    }
    free(model->output_norm);
    free(model->rope_freq_factors);
    free(model->rope_factors_short);
    free(model->rope_factors_long);
    tok_vocab_free(model->vocab);
    if (model->weights_copy) munmap(model->weights_copy, model->weights_copy_bytes);
    gguf_close(model->file);
    free(model);
}

int slm_model_load(const char *path, slm_model **out, char *err, size_t err_size)
{
    *out = NULL;
    slm_model *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    if (gguf_open(path, &m->file, err, err_size) != 0 ||
        eng_model_info_fill(m->file, path, &m->info, err, err_size) != 0 ||
        read_hparams(m->file, &m->hp, err, err_size) != 0 ||
        load_tensors(m, err, err_size) != 0 ||
        tok_vocab_load(m->file, path, &m->vocab, err, err_size) != 0) {
        slm_model_free(m);
        return -1;
    }
    if (m->info.n_vocab == 0) m->info.n_vocab = (uint32_t)m->hp.n_vocab;
    copy_weights(m);
    *out = m;
    return 0;
}

void slm_model_get_info(const slm_model *model, slm_model_info *out)
{
    *out = model->info;
}

int slm_n_vocab(const slm_model *model) { return model->hp.n_vocab; }
const tok_vocab *eng_model_vocab(const slm_model *model) { return model->vocab; }
const gguf_file *eng_model_gguf(const slm_model *model) { return model->file; }
const char *eng_model_path(const slm_model *model) { return gguf_path(model->file); }

static uint64_t weight_bytes(const eng_weight *w)
{
    return w->data ? (uint64_t)w->row_bytes * (uint64_t)w->n_out : 0;
}

int64_t eng_model_packed_max_in(const slm_model *model)
{
    int64_t widest = 0;
    for (int i = 0; next_matrix((slm_model *)model, i); i++) {
        const eng_weight *w = next_matrix((slm_model *)model, i);
        if (w->packed && w->n_in > widest) widest = w->n_in;
    }
    return widest;
}

uint64_t eng_model_decode_bytes(const slm_model *model)
{
    uint64_t total = weight_bytes(&model->output);
    for (int il = 0; il < model->hp.n_layer; il++) {
        const eng_layer *l = &model->layers[il];
        const eng_weight *ws[] = {&l->wq, &l->wk, &l->wv, &l->wqkv, &l->wo,
                                  &l->gate, &l->up, &l->gate_up, &l->down};
        for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) total += weight_bytes(ws[i]);
    }
    return total;
}
