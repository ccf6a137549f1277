/*
 * context.c — slm_context: creation (KV cache, scratch, pool), reset and
 * slm_eval, which validates a request and feeds it to the forward pass in
 * chunks of n_batch tokens.
 *
 * Invariants: see context.h. slm_eval checks every token id and the cache
 * capacity before touching any state, so a refused call leaves the context as
 * it was.
 */
#include "context.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packed.h"

enum { DEFAULT_MAX_CTX = 4096, DEFAULT_BATCH = 512, ALIGN = 64 };

slm_context_params slm_context_default_params(void)
{
    slm_context_params p;
    memset(&p, 0, sizeof p);
    p.kv_type = SLM_KV_F16;
    return p;
}

static void *alloc_zeroed(size_t bytes, int *failed)
{
    size_t rounded = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    void *p = aligned_alloc(ALIGN, rounded ? rounded : ALIGN);
    if (!p) *failed = 1;
    else memset(p, 0, rounded ? rounded : ALIGN);
    return p;
}

static void free_scratch(slm_context *ctx)
{
    free(ctx->k_cache);
    free(ctx->v_cache);
    free(ctx->x);
    free(ctx->xb);
    free(ctx->xb2);
    free(ctx->qkv);
    free(ctx->att);
    free(ctx->ffn);
    free(ctx->ffn_act);
    for (int i = 0; i < ENG_ACT_SLOTS; i++) free(ctx->act[i]);
    for (int i = 0; i < ENG_ACT_SLOTS; i++) free(ctx->act_scales[i]);
    free(ctx->inv_freq);
    free(ctx->rope_cos);
    free(ctx->rope_sin);
    free(ctx->logits);
    if (ctx->thread_scratch) {
        for (int i = 0; i < eng_pool_size(ctx->pool); i++) {
            free(ctx->thread_scratch[i].keys);
            free(ctx->thread_scratch[i].values);
            free(ctx->thread_scratch[i].scores);
            free(ctx->thread_scratch[i].weight_row);
            free(ctx->thread_scratch[i].repacked);
            free(ctx->thread_scratch[i].weight_scales);
            free(ctx->thread_scratch[i].packed_tables);
        }
        free(ctx->thread_scratch);
    }
}

void slm_context_free(slm_context *ctx)
{
    if (!ctx) return;
    if (ctx->pool) free_scratch(ctx);
    eng_pool_free(ctx->pool);
    free(ctx);
}

static int max_of(int a, int b) { return a > b ? a : b; }

static int alloc_buffers(slm_context *ctx)
{
    const eng_hparams *hp = &ctx->model->hp;
    size_t nb = (size_t)ctx->n_batch, hd = (size_t)hp->head_dim;
    size_t n_q = (size_t)hp->n_head * hd, n_kv = (size_t)hp->n_head_kv * hd;
    size_t kv_elems = (size_t)hp->n_layer * n_kv * (size_t)ctx->n_ctx;
    int failed = 0;
    ctx->max_in = max_of(max_of(hp->n_embd, (int)n_q), hp->n_ff);
    ctx->act_row_bytes = ((size_t)ctx->max_in * 2 + ALIGN - 1) / ALIGN * ALIGN; /* <= 2 B/element */
    ctx->kv_elem_bytes = ctx->params.kv_type == SLM_KV_F32 ? 4 : 2;
    ctx->k_cache = alloc_zeroed(kv_elems * ctx->kv_elem_bytes, &failed);
    ctx->v_cache = alloc_zeroed(kv_elems * ctx->kv_elem_bytes, &failed);
    ctx->x = alloc_zeroed(nb * hp->n_embd * sizeof(float), &failed);
    ctx->xb = alloc_zeroed(nb * hp->n_embd * sizeof(float), &failed);
    ctx->xb2 = alloc_zeroed(nb * hp->n_embd * sizeof(float), &failed);
    ctx->qkv = alloc_zeroed(nb * (n_q + 2 * n_kv) * sizeof(float), &failed);
    ctx->att = alloc_zeroed(nb * n_q * sizeof(float), &failed);
    ctx->ffn = alloc_zeroed(nb * 2 * hp->n_ff * sizeof(float), &failed);
    ctx->ffn_act = alloc_zeroed(nb * hp->n_ff * sizeof(float), &failed);
    for (int i = 0; i < ENG_ACT_SLOTS; i++) ctx->act[i] = alloc_zeroed(nb * ctx->act_row_bytes, &failed);
    ctx->scale_ld = (size_t)ctx->max_in / 32 + 4;
    for (int i = 0; i < ENG_ACT_SLOTS; i++)
        ctx->act_scales[i] = alloc_zeroed(nb * ctx->scale_ld * sizeof(float), &failed);
    ctx->inv_freq = alloc_zeroed((size_t)hp->n_rot / 2 * sizeof(float), &failed);
    ctx->rope_cos = alloc_zeroed(nb * hp->n_rot / 2 * sizeof(float), &failed);
    ctx->rope_sin = alloc_zeroed(nb * hp->n_rot / 2 * sizeof(float), &failed);
    ctx->logits = alloc_zeroed((size_t)hp->n_vocab * sizeof(float), &failed);
    int64_t packed_in = eng_model_packed_max_in(ctx->model);
    ctx->packed_table_stride = packed_in ? eng_packed_table_bytes(packed_in) : 0;
    int n_threads = eng_pool_size(ctx->pool);
    ctx->thread_scratch = calloc((size_t)n_threads, sizeof *ctx->thread_scratch);
    if (!ctx->thread_scratch) return -1;
    for (int i = 0; i < n_threads; i++) {
        eng_thread_scratch *s = &ctx->thread_scratch[i];
        s->keys = alloc_zeroed((size_t)ctx->n_ctx * hd * sizeof(float), &failed);
        s->values = alloc_zeroed((size_t)ctx->n_ctx * hd * sizeof(float), &failed);
        s->scores = alloc_zeroed((size_t)ctx->n_ctx * (hp->n_head / hp->n_head_kv) * sizeof(float), &failed);
        s->weight_row = alloc_zeroed((size_t)ctx->max_in * sizeof(float), &failed);
        s->weight_scales = alloc_zeroed((size_t)ENG_ROW_BLOCK * ctx->scale_ld * sizeof(float), &failed);
        s->repacked = alloc_zeroed((size_t)ENG_ROW_BLOCK * ((size_t)ctx->max_in / 32 + 1) * 34, &failed);
        if (ctx->packed_table_stride) {
            s->packed_tables = aligned_alloc(ALIGN, nb * ctx->packed_table_stride);
            if (!s->packed_tables) failed = 1;
        }
    }
    return failed ? -1 : 0;
}

/* inv_freq[i] = pos-independent part of the rotation angle of pair i.
 * phi3 longrope divides by the short factors while the context fits the
 * original training length and by the long ones beyond it. */
static void init_rope(slm_context *ctx)
{
    const slm_model *m = ctx->model;
    int half = m->hp.n_rot / 2;
    const float *factors = m->rope_freq_factors;
    if (m->rope_factors_short || m->rope_factors_long) {
        int use_long = m->hp.rope_orig_ctx > 0 && ctx->n_ctx > m->hp.rope_orig_ctx;
        factors = use_long && m->rope_factors_long ? m->rope_factors_long : m->rope_factors_short;
    }
    for (int i = 0; i < half; i++) {
        double f = pow((double)m->hp.rope_base, -2.0 * i / m->hp.n_rot);
        if (factors) f /= factors[i];
        ctx->inv_freq[i] = (float)f;
    }
}

static int resolve_params(const slm_model *model, const slm_context_params *in, slm_context_params *out,
                          char *err, size_t err_size)
{
    *out = in ? *in : slm_context_default_params();
    if (out->n_ctx < 0 || out->n_threads < 0 || out->n_batch < 0) {
        snprintf(err, err_size, "%s: n_ctx, n_threads and n_batch must not be negative", eng_model_path(model));
        return -1;
    }
    if (out->kv_type != SLM_KV_F16 && out->kv_type != SLM_KV_F32) {
        snprintf(err, err_size, "%s: unknown KV cache type %d", eng_model_path(model), (int)out->kv_type);
        return -1;
    }
    if (out->n_ctx == 0) {
        int train = model->hp.n_ctx_train;
        out->n_ctx = train > 0 && train < DEFAULT_MAX_CTX ? train : DEFAULT_MAX_CTX;
    }
    if (out->n_ctx > (1 << 20)) {
        snprintf(err, err_size, "%s: n_ctx %d is too large (at most %d)", eng_model_path(model), out->n_ctx,
                 1 << 20);
        return -1;
    }
    if (out->n_threads == 0) out->n_threads = eng_physical_cores();
    if (out->n_batch == 0) out->n_batch = DEFAULT_BATCH;
    if (out->n_batch > out->n_ctx) out->n_batch = out->n_ctx;
    return 0;
}

int slm_context_create(slm_model *model, const slm_context_params *params, slm_context **out,
                       char *err, size_t err_size)
{
    *out = NULL;
    if (!model->layers) {
        snprintf(err, err_size, "%s: tokenizer-only model (slm_vocab_load) cannot run", eng_model_path(model));
        return -1;
    }
    slm_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(err, err_size, "%s: out of memory creating a context", eng_model_path(model));
        return -1;
    }
    ctx->model = model;
    if (resolve_params(model, params, &ctx->params, err, err_size) != 0) {
        free(ctx);
        return -1;
    }
    ctx->n_ctx = ctx->params.n_ctx;
    ctx->n_batch = ctx->params.n_batch;
    if (eng_pool_create(ctx->params.n_threads, ctx->params.thread_init, ctx->params.thread_init_user,
                        &ctx->pool, err, err_size) != 0) {
        free(ctx);
        return -1;
    }
    if (alloc_buffers(ctx) != 0) {
        snprintf(err, err_size, "%s: out of memory for a context of %d positions", eng_model_path(model),
                 ctx->n_ctx);
        slm_context_free(ctx);
        return -1;
    }
    init_rope(ctx);
    *out = ctx;
    return 0;
}

void slm_context_reset(slm_context *ctx)
{
    ctx->n_past = 0;
    ctx->have_logits = 0;
}

int slm_context_n_past(const slm_context *ctx) { return ctx->n_past; }
int slm_context_n_threads(const slm_context *ctx) { return eng_pool_size(ctx->pool); }
const float *slm_context_logits(const slm_context *ctx) { return ctx->logits; }

static int check_request(const slm_context *ctx, const int32_t *tokens, int n_tokens, char *err,
                         size_t err_size)
{
    const char *path = eng_model_path(ctx->model);
    if (n_tokens <= 0 || !tokens) {
        snprintf(err, err_size, "%s: nothing to evaluate (%d tokens)", path, n_tokens);
        return -1;
    }
    if (n_tokens > ctx->n_ctx - ctx->n_past) {
        snprintf(err, err_size, "%s: context overflow: %d cached + %d new tokens exceed n_ctx %d", path,
                 ctx->n_past, n_tokens, ctx->n_ctx);
        return -1;
    }
    for (int i = 0; i < n_tokens; i++) {
        if (tokens[i] < 0 || tokens[i] >= ctx->model->hp.n_vocab) {
            snprintf(err, err_size, "%s: token id %ld at position %d is out of range 0..%d", path,
                     (long)tokens[i], i, ctx->model->hp.n_vocab - 1);
            return -1;
        }
    }
    return 0;
}

int slm_eval(slm_context *ctx, const int32_t *tokens, int n_tokens, float *logits_out, char *err,
             size_t err_size)
{
    if (check_request(ctx, tokens, n_tokens, err, err_size) != 0) return -1;
    size_t n_vocab = (size_t)ctx->model->hp.n_vocab;
    for (int done = 0; done < n_tokens; done += ctx->n_batch) {
        int n = n_tokens - done < ctx->n_batch ? n_tokens - done : ctx->n_batch;
        float *dest = logits_out ? logits_out + (size_t)done * n_vocab : NULL;
        eng_forward_batch(ctx, tokens + done, n, dest);
    }
    return 0;
}
