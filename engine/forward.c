/*
 * forward.c — the transformer forward pass for llama, qwen2 and phi3, read top
 * to bottom in eng_forward_batch:
 *
 *   x = embed(tokens)
 *   for each layer:
 *       h = rmsnorm(x) * attn_norm
 *       q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv)    (phi3: one fused Wqkv)
 *       rope(q, k); append k, v to the KV cache
 *       x += attention(q, cache) Wo                        (causal, GQA)
 *       h = rmsnorm(x) * ffn_norm
 *       x += (silu(h Wgate) * (h Wup)) Wdown               (phi3: fused Wgate|up)
 *   logits = rmsnorm(x) * output_norm Woutput
 *
 * Matrix products run on the pool: the rows of a weight are split across
 * threads in blocks of ROW_BLOCK rows, and each block is multiplied with all
 * the batch's activation rows (QUANT_MULTI_MAX per kernel call) while it is
 * in cache, so prefill reads each weight once per batch. The activations are
 * converted to the weight type's vec_dot_type once per matmul. With AVX2,
 * Q8_0 rows (and Q5_0 rows, and Q4_0 rows left in the file mapping,
 * rewritten exactly as Q8_0 per row block) go through eng_q8_0_tile_avx2
 * (or its 512-bit twin on AVX-512 CPUs, same bits), which repeats the Q8_0
 * vec_dot's operations per activation: batched Q8_0 and unpacked Q5_0
 * logits equal decoded ones bit for bit. Q4_0 and Q5_0 matrices are packed
 * at load for the decode kernel (packed.h: the usual case with AVX2), whose
 * activation tables each thread builds once per job (thread_tables). Packed
 * Q4_0 runs that kernel's operations in prefill too (1-4 activation rows a
 * weight pass), so it equals decode bit for bit; packed Q5_0 takes the
 * tile in prefill (measured ~1.2-1.4x faster there than the packed kernel),
 * so it agrees with decode up to float summation order (~1e-7), as an
 * unpacked Q4_0 does.
 * F16/BF16 weights whose kernels want half-precision activations are instead
 * widened row by row to F32, keeping F32 precision (accuracy targets of issue
 * #2); F32 weights read the F32 activations directly.
 * Attention hands runs of heads of one GQA group out to threads (decode:
 * groups, or pieces of them when groups are fewer than two a thread; the
 * heads of a run read their kv head once, together; in prefill, a GQA group
 * x a chunk of queries). Matmul rows and attention items are
 * handed out as contiguous per-thread shares with stealing (worksplit.h):
 * each thread streams one run of rows per weight, and heads next to each
 * other (sharing a kv head) tend to land on one thread; see eng_pool_run's
 * contract for why no thread may count on another. Everything else (residuals fused
 * into the next norm, activation conversion, bias + rope + cache writes, silu) is O(n_embd) per
 * token: a batch hands tokens out to the pool, a single token runs on the calling thread, except
 * in decode: silu and the down input's conversion run per row chunk inside the gate|up job, the
 * o input's conversion per run of heads inside the attention job, and the o and down rows are
 * added to the residual inside their jobs (decode_residual); the small per-layer data those
 * serial passes touch is prefetched while the preceding job streams (prefetch_bytes).
 */
#include "context.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "forward_simd.h"
#include "packed.h"
#include "quant.h"
#include "worksplit.h"

enum {
    ROW_BLOCK = ENG_ROW_BLOCK, /* weight rows kept hot while the batch rows stream by */
    TAKES_PER_SHARE = 4    /* an owner takes at most 1/4 of its share of rows at once (worksplit.h) */
};

/* ---- per-token passes ------------------------------------------------------------ */

/* The O(n_embd) work of a batch (norms, activation conversion, rope and
 * cache writes, silu) is independent per token: a batch hands tokens out to
 * the pool from a shared counter, so those passes do not leave the other
 * threads waiting. Each token is computed the same way wherever it runs; a
 * single token (decode) runs inline without a pool job. */
typedef void (*token_fn)(slm_context *ctx, const void *arg, int b);

typedef struct token_job {
    slm_context *ctx;
    token_fn fn;
    const void *arg;
    int n_tokens;
    _Atomic int next;
} token_job;

static void token_task(void *arg, int ith, int nth)
{
    token_job *job = arg;
    (void)ith;
    (void)nth;
    for (;;) {
        int b = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (b >= job->n_tokens) break;
        job->fn(job->ctx, job->arg, b);
    }
}

static void for_each_token(slm_context *ctx, token_fn fn, const void *arg, int n_tokens)
{
    if (n_tokens == 1 || eng_pool_size(ctx->pool) == 1) {
        for (int b = 0; b < n_tokens; b++) fn(ctx, arg, b);
        return;
    }
    token_job job = {ctx, fn, arg, n_tokens, 0};
    atomic_init(&job.next, 0);
    eng_pool_run(ctx->pool, token_task, &job);
}

/* ---- matrix products ------------------------------------------------------------- */

typedef struct matmul_part {
    const eng_weight *weight;
    float *out;            /* column 0 of this weight's outputs in row 0 */
    const void *act;       /* converted inputs, act_stride bytes apart */
    size_t act_stride;
    const float *act_scales; /* Q8_0 inputs: their block scales widened, scale_ld floats per row */
    int widen;             /* F16/BF16 weight row widened to F32 */
    int tile;              /* batch through eng_q8_0_tile_avx2 (Q8_0 rows, or Q5_0 repacked as Q8_0) */
} matmul_part;

typedef struct matmul_job {
    matmul_part parts[ENG_ACT_SLOTS];
    int n_parts;
    int n_rows;            /* batch rows */
    size_t out_ld;         /* floats between batch rows of the outputs */
    int64_t total_out;     /* sum of the parts' n_out */
    eng_split split;       /* units of ROW_BLOCK rows */
    const quant_traits *f32;
    size_t scale_ld;       /* floats between rows of act_scales and of a thread's weight_scales */
    eng_thread_scratch *scratch;
    size_t table_stride;   /* ctx->packed_table_stride */
    float *residual;       /* one part, one row (decode): residual[r] += out[r] by the thread that computed row r */
} matmul_job;

static int needs_widening(const eng_weight *w)
{
    return (w->type == SLM_TYPE_F16 || w->type == SLM_TYPE_BF16) &&
           w->traits->vec_dot_type != SLM_TYPE_F32;
}

/* A batch's Q5_0 row block is rewritten as Q8_0 (exact: a Q5_0 code is an
 * int8 in [-16, 15] under the same f16 scale) when Q5_0 has no
 * multi-activation kernel but Q8_0 has one, so prefill gets the shared
 * weight unpacking of vec_dot_multi. The integer block sums are the same;
 * only the float summation order differs from Q5_0's vec_dot. */
static const quant_traits *repack_target(const eng_weight *w)
{
    if (w->type != SLM_TYPE_Q5_0 || w->traits->vec_dot_multi) return NULL;
    const quant_traits *q8 = quant_get_traits(SLM_TYPE_Q8_0);
    return q8 && q8->vec_dot_multi && q8->vec_dot_type == w->traits->vec_dot_type ? q8 : NULL;
}

/* Block layouts (quant_kernels.h): Q5_0 = f16 d, u32 qh (bit j = bit 4 of
 * element j), qs[16] (element j low nibble, j + 16 high nibble); Q8_0 = f16
 * d, int8 qs[32]. */
enum { Q5_0_BYTES = 22, Q8_0_BYTES = 34 };

static void repack_q5_0_as_q8_0(const uint8_t *x, uint8_t *y, int64_t n_blocks)
{
    for (int64_t b = 0; b < n_blocks; b++, x += Q5_0_BYTES, y += Q8_0_BYTES) {
        uint32_t bits = (uint32_t)x[2] | (uint32_t)x[3] << 8 | (uint32_t)x[4] << 16 | (uint32_t)x[5] << 24;
        const uint8_t *qs = x + 6;
        y[0] = x[0];
        y[1] = x[1];
        for (int j = 0; j < 16; j++) {
            y[2 + j] = (uint8_t)(((qs[j] & 15) | (((bits >> j) & 1) << 4)) - 16);
            y[18 + j] = (uint8_t)(((qs[j] >> 4) | (((bits >> (j + 16)) & 1) << 4)) - 16);
        }
    }
}

typedef void (*q8_0_tile_fn)(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                             const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                             float *out, size_t out_stride);

#if ENG_X86_LOOPS
/* The widest tile this CPU runs; all give the same bits (forward_avx512.c). */
static q8_0_tile_fn tile_kernel(void)
{
    switch (quant_best_isa()) {
    case QUANT_ISA_AVX512_VNNI: return eng_q8_0_tile_avx512_vnni;
    case QUANT_ISA_AVX512: return eng_q8_0_tile_avx512;
    default: return eng_q8_0_tile_avx2;
    }
}
#endif

/* The widened f16 block scales of n_rows Q8_0 rows (row_bytes apart). */
static void q8_0_scales(const uint8_t *rows, size_t row_bytes, int n_rows, int nb, float *out, size_t out_ld)
{
    for (int r = 0; r < n_rows; r++)
        for (int b = 0; b < nb; b++) {
            const uint8_t *d = rows + (size_t)r * row_bytes + (size_t)b * Q8_0_BYTES;
            out[(size_t)r * out_ld + b] = quant_f16_to_f32((quant_f16)(d[0] | d[1] << 8));
        }
}

/* The prefill tile (AVX2, or its bit-identical 512-bit twin) for Q8_0-coded rows: per block of ROW_BLOCK rows
 * (repacked first when Q4_0 or Q5_0) the weight scales are widened once, then every
 * group of QUANT_MULTI_MAX activation rows passes over each row. Groups
 * start at fixed batch indices and each activation keeps its own
 * accumulators, so results do not depend on the thread split. */
#if ENG_X86_LOOPS
static void matmul_rows_tiled(const matmul_job *job, const matmul_part *p, int64_t r0, int64_t r1, void *repacked,
                              float *weight_scales)
{
    const eng_weight *w = p->weight;
    const int nb = (int)(w->n_in / QK8_0);
    const size_t row_bytes = (size_t)nb * Q8_0_BYTES;
    const q8_0_tile_fn tile = tile_kernel();
    for (int64_t rb = r0; rb < r1; rb += ROW_BLOCK) {
        int64_t re = rb + ROW_BLOCK < r1 ? rb + ROW_BLOCK : r1;
        const uint8_t *rows = (const uint8_t *)w->data + (size_t)rb * w->row_bytes;
        if (w->type != SLM_TYPE_Q8_0) {
            for (int64_t r = rb; r < re; r++) {
                const uint8_t *src = (const uint8_t *)w->data + (size_t)r * w->row_bytes;
                uint8_t *dst = (uint8_t *)repacked + (size_t)(r - rb) * row_bytes;
                if (w->packed) eng_packed_to_q8_0_avx2(w->type, src, nb, dst);
                else if (w->type == SLM_TYPE_Q5_0) eng_repack_q5_0_as_q8_0_avx2(src, dst, nb);
                else eng_repack_q4_0_as_q8_0_avx2(src, dst, nb);
            }
            rows = repacked;
        }
        q8_0_scales(rows, row_bytes, (int)(re - rb), nb, weight_scales, job->scale_ld);
        for (int b = 0; b < job->n_rows; b += QUANT_MULTI_MAX) {
            int count = job->n_rows - b < QUANT_MULTI_MAX ? job->n_rows - b : QUANT_MULTI_MAX;
            const uint8_t *act = (const uint8_t *)p->act + (size_t)b * p->act_stride;
            const float *act_scales = p->act_scales + (size_t)b * job->scale_ld;
            float *out = p->out + (size_t)b * job->out_ld;
            for (int64_t r = rb; r < re; r++)
                tile(nb, rows + (size_t)(r - rb) * row_bytes, weight_scales + (size_t)(r - rb) * job->scale_ld, count,
                     act, p->act_stride, act_scales, job->scale_ld, &out[r], job->out_ld);
        }
    }
}

#endif /* ENG_X86_LOOPS */

/* A thread's tables for the packed kernels (packed.h) within one pool job:
 * built from a part's converted inputs at the first packed rows the thread
 * computes for it, then shared by the rest of its rows and by every part
 * reading the same inputs. Lives on the task's stack, so no table outlives
 * the job whose inputs it was built from. */
typedef struct thread_tables {
    void *buf;            /* the thread's scratch: n_batch tables, stride bytes apart */
    size_t stride;
    const void *built_from; /* the inputs they hold (NULL: none yet) */
} thread_tables;

static thread_tables thread_tables_of(const eng_thread_scratch *scratch, size_t stride)
{
    return (thread_tables){scratch->packed_tables, stride, NULL};
}

#if ENG_X86_LOOPS
/* The inputs of a packed part (n_acts rows of n_in, act_stride bytes apart) with their tables. */
static eng_packed_acts packed_acts(thread_tables *tt, const void *act, size_t act_stride, int n_acts, int64_t n_in)
{
    if (tt->built_from != act) {
        for (int b = 0; b < n_acts; b++)
            eng_packed_table_avx2(n_in, (const char *)act + (size_t)b * act_stride, (char *)tt->buf + (size_t)b * tt->stride);
        tt->built_from = act;
    }
    return (eng_packed_acts){act, act_stride, tt->buf, tt->stride};
}
#endif

/* Decode's rows [r0, r1) of w against one converted activation row. */
static void decode_rows(const eng_weight *w, int64_t r0, int64_t r1, float *out, const void *act, thread_tables *tt)
{
    const char *rows = (const char *)w->data + (size_t)r0 * w->row_bytes;
#if ENG_X86_LOOPS
    if (w->packed) {
        const eng_packed_acts acts = packed_acts(tt, act, 0, 1, w->n_in);
        eng_packed_rows_avx2(w->type, w->n_in, r1 - r0, out, rows, w->row_bytes, &acts);
        return;
    }
#else
    (void)tt;
#endif
    quant_vec_dot_rows(w->traits, w->n_in, r1 - r0, out, rows, w->row_bytes, act);
}

/* Decode (one activation row) hands the whole range to the multi-row kernel.
 * A batch is tiled: a block of ROW_BLOCK weight rows (a few KiB, in L1)
 * meets every activation row, QUANT_MULTI_MAX at a time through
 * quant_vec_dot_multi, which unpacks each weight block once for all of them.
 * Activation groups start at fixed batch indices and every kernel keeps one
 * accumulator per activation, so a result never depends on the thread split. */
static void matmul_rows_quant(const matmul_job *job, const matmul_part *p, int64_t r0, int64_t r1,
                              void *repacked, float *weight_scales, thread_tables *tt)
{
    const eng_weight *w = p->weight;
    const char *wdata = w->data;
    (void)weight_scales; /* the tile's alone: unused where it is not compiled */
    if (job->n_rows == 1) {
        decode_rows(w, r0, r1, &p->out[r0], p->act, tt);
        return;
    }
#if ENG_X86_LOOPS
    if (p->tile) {
        matmul_rows_tiled(job, p, r0, r1, repacked, weight_scales);
        return;
    }
    if (w->packed) { /* Q4_0 (Q5_0 took the tile): the decode kernel's operations per activation, decode's bits */
        const eng_packed_acts all = packed_acts(tt, p->act, p->act_stride, job->n_rows, w->n_in);
        for (int64_t rb = r0; rb < r1; rb += ROW_BLOCK) {
            int64_t re = rb + ROW_BLOCK < r1 ? rb + ROW_BLOCK : r1;
            for (int b = 0; b < job->n_rows; b += QUANT_MULTI_MAX) {
                int count = job->n_rows - b < QUANT_MULTI_MAX ? job->n_rows - b : QUANT_MULTI_MAX;
                const eng_packed_acts acts = {(const char *)all.q8 + (size_t)b * all.q8_stride, all.q8_stride,
                                              (const char *)all.tables + (size_t)b * all.table_stride, all.table_stride};
                eng_packed_rows_multi_avx2(w->type, w->n_in, re - rb, count, &p->out[(size_t)b * job->out_ld + rb],
                                           job->out_ld, wdata + (size_t)rb * w->row_bytes, w->row_bytes, &acts);
            }
        }
        return;
    }
#endif

    const quant_traits *q8 = repack_target(w);
    const quant_traits *t = q8 ? q8 : w->traits;
    size_t row_bytes = q8 ? (size_t)(w->n_in / QK8_0) * Q8_0_BYTES : w->row_bytes;
    for (int64_t rb = r0; rb < r1; rb += ROW_BLOCK) {
        int64_t re = rb + ROW_BLOCK < r1 ? rb + ROW_BLOCK : r1;
        const char *rows = wdata + (size_t)rb * w->row_bytes;
        if (q8) {
            for (int64_t r = rb; r < re; r++)
                repack_q5_0_as_q8_0((const uint8_t *)wdata + (size_t)r * w->row_bytes,
                                    (uint8_t *)repacked + (size_t)(r - rb) * row_bytes, w->n_in / QK5_0);
            rows = repacked;
        }
        for (int b = 0; b < job->n_rows; b += QUANT_MULTI_MAX) {
            int count = job->n_rows - b < QUANT_MULTI_MAX ? job->n_rows - b : QUANT_MULTI_MAX;
            const char *act = (const char *)p->act + (size_t)b * p->act_stride;
            float *out = p->out + (size_t)b * job->out_ld;
            for (int64_t r = rb; r < re; r++)
                quant_vec_dot_multi(t, w->n_in, count, &out[r], job->out_ld, rows + (size_t)(r - rb) * row_bytes,
                                    act, p->act_stride);
        }
    }
}

static void matmul_rows_widened(const matmul_job *job, const matmul_part *p, int64_t r0, int64_t r1,
                                float *row)
{
    const eng_weight *w = p->weight;
    for (int64_t r = r0; r < r1; r++) {
        w->traits->dequantize_row((const char *)w->data + (size_t)r * w->row_bytes, row, w->n_in);
        for (int b = 0; b < job->n_rows; b++) {
            const char *act = (const char *)p->act + (size_t)b * p->act_stride;
            job->f32->vec_dot(w->n_in, &p->out[(size_t)b * job->out_ld + r], row, act);
        }
    }
}

static void matmul_range(const matmul_job *job, int64_t start, int64_t end, int ith, thread_tables *tt)
{
    int64_t base = 0;
    for (int i = 0; i < job->n_parts && start < end; i++) {
        const matmul_part *p = &job->parts[i];
        int64_t lo = start > base ? start - base : 0;
        int64_t hi = end - base < p->weight->n_out ? end - base : p->weight->n_out;
        if (lo < hi) {
            if (p->widen) matmul_rows_widened(job, p, lo, hi, job->scratch[ith].weight_row);
            else matmul_rows_quant(job, p, lo, hi, job->scratch[ith].repacked, job->scratch[ith].weight_scales, tt);
        }
        base += p->weight->n_out;
    }
}

/* Each thread streams its own contiguous share of the rows (the hardware
 * prefetchers keep one stream going instead of restarting at every chunk:
 * ~5-10% faster decode than chunks taken round-robin from one counter on
 * the 2-core EPYC of development); when one thread is slowed (a busy shared
 * machine, a smaller core) the others take over the back of its share. Each
 * row's arithmetic does not depend on the thread, so results are identical
 * for any thread count. */
static void matmul_task(void *arg, int ith, int nth)
{
    matmul_job *job = arg;
    int64_t u0, u1;
    thread_tables tables = thread_tables_of(&job->scratch[ith], job->table_stride);
    (void)nth;
    while (eng_split_take(&job->split, ith, &u0, &u1)) {
        int64_t end = u1 * ROW_BLOCK < job->total_out ? u1 * ROW_BLOCK : job->total_out;
        matmul_range(job, u0 * ROW_BLOCK, end, ith, &tables);
        if (job->residual)
            for (int64_t r = u0 * ROW_BLOCK; r < end; r++) job->residual[r] += job->parts[0].out[r];
    }
}

/* Converts in[n_rows][n_in] (in_ld floats apart) for each part, sharing one
 * conversion between parts whose kernels want the same activation type. */
typedef struct convert_pass {
    const quant_traits *to;
    const float *in;
    size_t in_ld;
    char *out;
    size_t out_ld;
    int n;
    float *scales;         /* Q8_0 block scales widened (tile path), or NULL */
    size_t scales_ld;
} convert_pass;

static void convert_token(slm_context *ctx, const void *arg, int b)
{
    const convert_pass *c = arg;
    (void)ctx;
    char *row = c->out + (size_t)b * c->out_ld;
    c->to->quantize_row(c->in + (size_t)b * c->in_ld, row, c->n);
    if (c->scales)
        q8_0_scales((const uint8_t *)row, c->out_ld, 1, c->n / QK8_0, c->scales + (size_t)b * c->scales_ld, 0);
}

static void matmul_prepare(slm_context *ctx, matmul_job *job, const float *in, size_t in_ld)
{
    slm_type converted[ENG_ACT_SLOTS];
    int tiles = job->n_rows > 1 && eng_avx2_loops_usable();
    for (int i = 0; i < job->n_parts; i++) {
        matmul_part *p = &job->parts[i];
        const eng_weight *w = p->weight;
        p->widen = needs_widening(w);
        slm_type want = p->widen ? SLM_TYPE_F32 : w->traits->vec_dot_type;
        p->tile = tiles && want == SLM_TYPE_Q8_0 &&
                  (w->type == SLM_TYPE_Q8_0 || w->type == SLM_TYPE_Q5_0 || w->type == SLM_TYPE_Q4_0);
        /* packed Q4_0 runs its own kernel in prefill too (bits of decode; faster than the tile) */
        p->tile = p->tile && !(w->packed && w->type == SLM_TYPE_Q4_0);
        converted[i] = want;
        if (want == SLM_TYPE_F32) {
            p->act = in;
            p->act_stride = in_ld * sizeof(float);
            continue;
        }
        int shared = -1;
        for (int j = 0; j < i && shared < 0; j++)
            if (converted[j] == want && job->parts[j].weight->n_in == w->n_in) shared = j;
        p->act_stride = ctx->act_row_bytes;
        if (shared >= 0) {
            p->act = job->parts[shared].act;
            p->act_scales = job->parts[shared].act_scales;
            continue;
        }
        p->act = ctx->act[i];
        p->act_scales = tiles && want == SLM_TYPE_Q8_0 ? ctx->act_scales[i] : NULL;
        convert_pass c = {quant_get_traits(want), in, in_ld, ctx->act[i], ctx->act_row_bytes, (int)w->n_in,
                          tiles && want == SLM_TYPE_Q8_0 ? ctx->act_scales[i] : NULL, job->scale_ld};
        for_each_token(ctx, convert_token, &c, job->n_rows);
    }
}

/* A job for n_rows batch rows of up to ENG_ACT_SLOTS weights: weights[i]
 * writes at column cols[i] of out (out_ld floats per batch row); the inputs
 * are still to be set (matmul_prepare, or an already converted row). */
static void matmul_job_init(slm_context *ctx, matmul_job *job, const eng_weight *const *weights, const int64_t *cols,
                            int n_weights, float *out, size_t out_ld, int n_rows, float *residual)
{
    memset(job, 0, sizeof *job);
    job->n_parts = n_weights;
    job->n_rows = n_rows;
    job->out_ld = out_ld;
    job->f32 = quant_get_traits(SLM_TYPE_F32);
    job->scale_ld = ctx->scale_ld;
    job->scratch = ctx->thread_scratch;
    job->table_stride = ctx->packed_table_stride;
    job->residual = residual;
    for (int i = 0; i < n_weights; i++) {
        job->parts[i].weight = weights[i];
        job->parts[i].out = out + cols[i];
        job->total_out += weights[i]->n_out;
    }
    eng_split_init(&job->split, (job->total_out + ROW_BLOCK - 1) / ROW_BLOCK, eng_pool_size(ctx->pool), TAKES_PER_SHARE);
}

/* out[b][col..] = in[b] . W for up to ENG_ACT_SLOTS weights sharing an input
 * (the layout of matmul_job_init). */
static void matmul(slm_context *ctx, const eng_weight *const *weights, const int64_t *cols, int n_weights,
                   const float *in, size_t in_ld, float *out, size_t out_ld, int n_rows, float *residual)
{
    matmul_job job;
    matmul_job_init(ctx, &job, weights, cols, n_weights, out, out_ld, n_rows, residual);
    matmul_prepare(ctx, &job, in, in_ld);
    eng_pool_run(ctx->pool, matmul_task, &job);
}

static void matmul1(slm_context *ctx, const eng_weight *w, const float *in, size_t in_ld,
                    float *out, size_t out_ld, int n_rows, float *residual)
{
    const eng_weight *ws[1] = {w};
    const int64_t cols[1] = {0};
    matmul(ctx, ws, cols, 1, in, in_ld, out, out_ld, n_rows, residual);
}

/* Decode: out = W . act for one token whose input a pool job already
 * converted to W's vec_dot_type (block by block, as matmul_prepare would),
 * adding out into residual row by row when residual is set. */
static void matmul_converted(slm_context *ctx, const eng_weight *w, const void *act, float *out, float *residual)
{
    const eng_weight *ws[1] = {w};
    const int64_t cols[1] = {0};
    matmul_job job;
    matmul_job_init(ctx, &job, ws, cols, 1, out, (size_t)w->n_out, 1, residual);
    job.parts[0].act = act;
    job.parts[0].act_stride = ctx->act_row_bytes;
    eng_pool_run(ctx->pool, matmul_task, &job);
}

/* ---- element-wise pieces ------------------------------------------------------------ */

static void rmsnorm(float *out, const float *x, const float *weight, int n, float eps)
{
    /* four partial sums: one chain of dependent double adds per element was
     * ~1 us per norm on the decode path (61 norms a token for smollm2) */
    double part[4] = {0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) part[k] += (double)x[i + k] * x[i + k];
    for (; i < n; i++) part[0] += (double)x[i] * x[i];
    double ss = (part[0] + part[1]) + (part[2] + part[3]);
    float scale = (float)(1.0 / sqrt(ss / n + eps));
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * weight[i];
}

/* x[first + b] += xb2[first + b] when add_residual (the previous block's
 * output), then xb[b] = rmsnorm(x[first + b]) * weight. */
typedef struct norm_pass {
    const float *weight;
    int add_residual;
    int first;
} norm_pass;

static void norm_token(slm_context *ctx, const void *arg, int b)
{
    const norm_pass *n = arg;
    const eng_hparams *hp = &ctx->model->hp;
    size_t e = (size_t)hp->n_embd;
    float *x = ctx->x + (size_t)(n->first + b) * e;
    if (n->add_residual) {
        const float *r = ctx->xb2 + (size_t)(n->first + b) * e;
        for (size_t i = 0; i < e; i++) x[i] += r[i];
    }
    rmsnorm(ctx->xb + (size_t)b * e, x, n->weight, hp->n_embd, hp->norm_eps);
}

/* Asks for the small per-layer data the next serial pass touches (a norm's
 * weights, the KV cache rows a token appends) while a matmul job streams:
 * 75 MB of weights went by since they were last used, so without it the
 * pass waits on a DRAM miss per cache line. Into L2 (locality 2). */
static void prefetch_bytes(const void *p, size_t bytes, int for_write)
{
    if (!p) return;
    for (size_t off = 0; off < bytes; off += 64) {
        if (for_write) __builtin_prefetch((const char *)p + off, 1, 2);
        else __builtin_prefetch((const char *)p + off, 0, 2);
    }
}

/* Where a matmul producing a residual branch (o, down) adds its rows: decode
 * adds each row in the job, on the thread that just computed it (the serial
 * norm pass would read them back from both cores' caches: ~1.5 us of a ~2 us
 * pass); a batch leaves the branch in xb2 for the next norm pass. Both do the
 * same float add, so batched and incremental results stay identical. */
static float *decode_residual(slm_context *ctx, int n_tokens)
{
    return n_tokens == 1 ? ctx->x : NULL;
}

static void add_bias(float *x, const float *bias, int n)
{
    if (!bias) return;
    for (int i = 0; i < n; i++) x[i] += bias[i];
}

static void rope_tables(slm_context *ctx, int n_tokens)
{
    const eng_hparams *hp = &ctx->model->hp;
    int half = hp->n_rot / 2;
    for (int b = 0; b < n_tokens; b++) {
        double pos = (double)(ctx->n_past + b) * hp->rope_pos_scale;
        for (int i = 0; i < half; i++) {
            double theta = pos * ctx->inv_freq[i];
            ctx->rope_cos[(size_t)b * half + i] = (float)(cos(theta) * hp->rope_attn_factor);
            ctx->rope_sin[(size_t)b * half + i] = (float)(sin(theta) * hp->rope_attn_factor);
        }
    }
}

/* Rotates the first n_rot dimensions of each of n_heads heads of one token. */
static void rope_apply(const eng_hparams *hp, float *vec, int n_heads, const float *cosv, const float *sinv)
{
    int half = hp->n_rot / 2, neox = hp->rope_kind == ENG_ROPE_NEOX;
#if ENG_X86_LOOPS
    if (eng_avx2_loops_usable() && half % (neox ? 8 : 4) == 0) {
        eng_rope_avx2(vec, n_heads, hp->head_dim, half, neox, cosv, sinv);
        return;
    }
#endif
    for (int h = 0; h < n_heads; h++) {
        float *v = vec + (size_t)h * hp->head_dim;
        for (int i = 0; i < half; i++) {
            int a = neox ? i : 2 * i;
            int b = neox ? i + half : 2 * i + 1;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * cosv[i] - x1 * sinv[i];
            v[b] = x0 * sinv[i] + x1 * cosv[i];
        }
    }
}

static size_t cache_offset(const slm_context *ctx, int layer, int kv_head, int pos)
{
    const eng_hparams *hp = &ctx->model->hp;
    return (((size_t)layer * hp->n_head_kv + kv_head) * ctx->n_ctx + pos) * hp->head_dim;
}

static void cache_store(slm_context *ctx, void *cache, size_t offset, const float *src, int n)
{
    if (ctx->params.kv_type == SLM_KV_F32)
        memcpy((float *)cache + offset, src, (size_t)n * sizeof(float));
    else
        quant_f32_to_f16_row(src, (quant_f16 *)cache + offset, n);
}

/* Biases, rope, and the cache append for the batch's q/k/v rows. */
typedef struct qkv_pass {
    const eng_layer *l;
    int layer;
    size_t ld;
} qkv_pass;

static void qkv_finish_token(slm_context *ctx, const void *arg, int b)
{
    const qkv_pass *pass = arg;
    const eng_layer *l = pass->l;
    const int layer = pass->layer;
    const size_t ld = pass->ld;
    const eng_hparams *hp = &ctx->model->hp;
    int n_q = hp->n_head * hp->head_dim, n_kv = hp->n_head_kv * hp->head_dim, half = hp->n_rot / 2;
    {
        float *q = ctx->qkv + (size_t)b * ld, *k = q + n_q, *v = k + n_kv;
        add_bias(q, l->bq, n_q);
        add_bias(k, l->bk, n_kv);
        add_bias(v, l->bv, n_kv);
        rope_apply(hp, q, hp->n_head, ctx->rope_cos + (size_t)b * half, ctx->rope_sin + (size_t)b * half);
        rope_apply(hp, k, hp->n_head_kv, ctx->rope_cos + (size_t)b * half, ctx->rope_sin + (size_t)b * half);
        for (int h = 0; h < hp->n_head_kv; h++) {
            size_t off = cache_offset(ctx, layer, h, ctx->n_past + b);
            cache_store(ctx, ctx->k_cache, off, k + (size_t)h * hp->head_dim, hp->head_dim);
            cache_store(ctx, ctx->v_cache, off, v + (size_t)h * hp->head_dim, hp->head_dim);
        }
    }
}

/* The KV cache rows this decode step appends in `layer`, and the q/k/v
 * biases, for qkv_finish_token after the qkv matmul (see prefetch_bytes). */
static void prefetch_token_rows(slm_context *ctx, int layer)
{
    const eng_hparams *hp = &ctx->model->hp;
    const eng_layer *l = &ctx->model->layers[layer];
    size_t elem = ctx->params.kv_type == SLM_KV_F32 ? sizeof(float) : sizeof(quant_f16);
    size_t row = (size_t)hp->head_dim * elem;
    for (int h = 0; h < hp->n_head_kv; h++) {
        size_t off = cache_offset(ctx, layer, h, ctx->n_past) * elem;
        prefetch_bytes((const char *)ctx->k_cache + off, row, 1);
        prefetch_bytes((const char *)ctx->v_cache + off, row, 1);
    }
    size_t n_q = (size_t)hp->n_head * hp->head_dim, n_kv = (size_t)hp->n_head_kv * hp->head_dim;
    prefetch_bytes(l->bq, n_q * sizeof(float), 0);
    prefetch_bytes(l->bk, n_kv * sizeof(float), 0);
    prefetch_bytes(l->bv, n_kv * sizeof(float), 0);
}

/* ---- attention ------------------------------------------------------------------------ */

typedef struct attention_job {
    slm_context *ctx;
    int layer, n_tokens;
    size_t qkv_ld;
    int pieces;            /* items per GQA group: runs of heads_per_item heads (the last may be shorter) */
    int heads_per_item;
    int query_chunk;       /* queries per item: the whole batch for decode, ATTN_QUERY_CHUNK for prefill */
    eng_split split;       /* items */
    const quant_traits *out_to; /* decode: each run converts its heads' output for the o matmul, or NULL */
    char *out_act;
} attention_job;

/* Keys or values of one kv head for positions [0, n) as F32 (the cache itself
 * when it is F32). */
static const float *cache_head_f32(const slm_context *ctx, const void *cache, int layer, int kv_head,
                                   int n, float *scratch)
{
    size_t off = cache_offset(ctx, layer, kv_head, 0);
    if (ctx->params.kv_type == SLM_KV_F32) return (const float *)cache + off;
    quant_f16_to_f32_row((const quant_f16 *)cache + off, scratch, (int64_t)n * ctx->model->hp.head_dim);
    return scratch;
}

static void softmax(float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

/* The attention inner loops: AVX2 versions when the CPU has them (same
 * choice as the kernels). With AVX2 an F16 cache is read directly for a few
 * queries (decode), and widened once into scratch for a batch (prefill); both
 * give identical results because the F32 and F16 loops sum in one order. */
typedef struct attn_ops {
    int avx2;
    float (*dot)(const float *x, const float *y, int n);
} attn_ops;

enum { DIRECT_F16_MAX_QUERIES = 4 };
/* A prefill's queries are handed out in chunks of this many per GQA group:
 * enough items to keep every thread busy whatever the head count, and the
 * group's keys/values widened once per thread rather than once per head. */
enum { ATTN_QUERY_CHUNK = 16 };

static float dot_scalar(const float *x, const float *y, int n)
{
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += x[i] * y[i];
    return sum;
}

static void axpy_scalar(float *y, float a, const float *x, int n)
{
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

static attn_ops pick_attn_ops(void)
{
    attn_ops ops = {eng_avx2_loops_usable(), dot_scalar};
#if ENG_X86_LOOPS
    if (ops.avx2) ops.dot = eng_dot_f32_avx2;
#endif
    return ops;
}

/* softmax(q . keys / sqrt(d)) . values over positions [0, n_visible) for
 * one head, without the whole-head AVX2 kernels (no AVX2, or head_dim not a
 * multiple of 8): keys and values F32 (k32/v32) or raw F16 (k16/v16, AVX2
 * only). */
static void attend_head(const float *q, const float *k32, const float *v32, const uint16_t *k16,
                        const uint16_t *v16, int n_visible, int head_dim, float scale, float *scores, float *out,
                        const attn_ops *ops)
{
    (void)k16;
    (void)v16;
#if ENG_X86_LOOPS
    if (k16) {
        for (int t = 0; t < n_visible; t++) scores[t] = eng_dot_f16_avx2(k16 + (size_t)t * head_dim, q, head_dim) * scale;
    } else
#endif
        for (int t = 0; t < n_visible; t++) scores[t] = ops->dot(k32 + (size_t)t * head_dim, q, head_dim) * scale;
    softmax(scores, n_visible);
    memset(out, 0, (size_t)head_dim * sizeof(float));
    for (int t = 0; t < n_visible; t++) {
        size_t off = (size_t)t * head_dim;
#if ENG_X86_LOOPS
        if (v16) eng_axpy_f16_avx2(out, scores[t], v16 + off, head_dim);
        else if (ops->avx2) eng_axpy_avx2(out, scores[t], v32 + off, head_dim);
        else
#endif
            axpy_scalar(out, scores[t], v32 + off, head_dim);
    }
}

/* The same for n_heads heads sharing one kv head (q and out hold them
 * head_dim floats apart). Straight on an F16 cache with AVX2 the heads run
 * together, so the cache is read from memory once while all of them compute. */
static void attend(const float *q, int n_heads, const float *k32, const float *v32, const uint16_t *k16,
                   const uint16_t *v16, int n_visible, int head_dim, float *scores, float *out, const attn_ops *ops)
{
    float scale = 1.0f / sqrtf((float)head_dim);
#if ENG_X86_LOOPS
    if (ops->avx2 && head_dim % 8 == 0 && k16) {
        eng_attend_heads_f16_avx2(q, n_heads, k16, v16, n_visible, head_dim, scale, scores, out);
        return;
    }
#endif
    for (int h = 0; h < n_heads; h++) {
        const float *qh = q + (size_t)h * head_dim;
        float *outh = out + (size_t)h * head_dim;
#if ENG_X86_LOOPS
        if (ops->avx2 && head_dim % 8 == 0) {
            eng_attend_f32_avx2(qh, k32, v32, n_visible, head_dim, scale, scores, outh);
            continue;
        }
#endif
        attend_head(qh, k32, v32, k16, v16, n_visible, head_dim, scale, scores, outh, ops);
    }
}

/* Items are runs of heads of one GQA group (decode: a piece of a group,
 * decode_pieces; prefill: a whole group x a chunk of queries), taken one at
 * a time from contiguous per-thread shares (worksplit.h), so consecutive
 * items of one group, which read the same kv head, mostly run on one thread
 * (its cache, or its F16 widening, is reused). Every query is computed the
 * same way whatever the split. */
static void attention_task(void *arg, int ith, int nth)
{
    attention_job *job = arg;
    slm_context *ctx = job->ctx;
    const eng_hparams *hp = &ctx->model->hp;
    eng_thread_scratch *s = &ctx->thread_scratch[ith];
    attn_ops ops = pick_attn_ops();
    int group = hp->n_head / hp->n_head_kv, n_q = hp->n_head * hp->head_dim;
    int n_chunks = (job->n_tokens + job->query_chunk - 1) / job->query_chunk;
    int n_total = ctx->n_past + job->n_tokens;
    int direct = ops.avx2 && ctx->params.kv_type == SLM_KV_F16 && job->n_tokens <= DIRECT_F16_MAX_QUERIES;
    int cached_kv = -1;
    const float *k32 = NULL, *v32 = NULL;
    const uint16_t *k16 = NULL, *v16 = NULL;
    int64_t next = 0, end = 0;
    (void)nth;
    for (;;) {
        if (next >= end && !eng_split_take(&job->split, ith, &next, &end)) break;
        int item = (int)next++;
        int run = item / n_chunks, chunk = n_chunks - 1 - item % n_chunks; /* longest rows first */
        int kv = run / job->pieces, h0 = kv * group + run % job->pieces * job->heads_per_item;
        int h1 = h0 + job->heads_per_item < (kv + 1) * group ? h0 + job->heads_per_item : (kv + 1) * group;
        int q0 = chunk * job->query_chunk;
        int q1 = q0 + job->query_chunk < job->n_tokens ? q0 + job->query_chunk : job->n_tokens;
        if (kv != cached_kv && direct) {
            k16 = (const uint16_t *)ctx->k_cache + cache_offset(ctx, job->layer, kv, 0);
            v16 = (const uint16_t *)ctx->v_cache + cache_offset(ctx, job->layer, kv, 0);
        } else if (kv != cached_kv) {
            k32 = cache_head_f32(ctx, ctx->k_cache, job->layer, kv, n_total, s->keys);
            v32 = cache_head_f32(ctx, ctx->v_cache, job->layer, kv, n_total, s->values);
        }
        cached_kv = kv;
        for (int b = q0; b < q1; b++) {
            const float *q = ctx->qkv + (size_t)b * job->qkv_ld + (size_t)h0 * hp->head_dim;
            float *out = ctx->att + (size_t)b * n_q + (size_t)h0 * hp->head_dim;
            attend(q, h1 - h0, k32, v32, k16, v16, ctx->n_past + b + 1, hp->head_dim, s->scores, out, &ops);
            if (job->out_to) {
                size_t first_block = (size_t)h0 * hp->head_dim / (size_t)job->out_to->block_size;
                job->out_to->quantize_row(out, job->out_act + first_block * job->out_to->block_bytes,
                                          (int64_t)(h1 - h0) * hp->head_dim);
            }
        }
    }
}

/* The type a decode attention job converts its output to, head by head, for
 * wo (NULL: matmul_prepare converts the whole row after the job). Blocks
 * are quantized independently, so converting a run of heads at a time gives
 * the same bytes as the whole row, when the blocks do not straddle heads. */
static const quant_traits *converted_by_heads(const eng_weight *wo, int head_dim)
{
    if (needs_widening(wo) || wo->traits->vec_dot_type == SLM_TYPE_F32) return NULL;
    const quant_traits *to = quant_get_traits(wo->traits->vec_dot_type);
    return to && head_dim % to->block_size == 0 ? to : NULL;
}

/* Pieces each GQA group of a decode step is cut into: the fewest that give
 * every thread about two items. A piece's heads read their kv head once
 * (straight from the F16 cache, or converted once), so fewer, larger pieces
 * read less; two items a thread let the split even out (smollm2-135m, 3
 * groups of 3 heads on 2 threads: pieces of 2 + 1 heads, 5/4 heads and 2/2
 * kv reads a thread, where whole groups would give 6/3 heads). */
static int decode_pieces(int n_head_kv, int group, int n_threads)
{
    int pieces = 1;
    while (pieces < group && n_head_kv * pieces < 2 * n_threads) pieces++;
    return pieces;
}

/* ---- blocks ------------------------------------------------------------------------------ */

static void attention_block(slm_context *ctx, int layer, int n_tokens)
{
    const slm_model *m = ctx->model;
    const eng_hparams *hp = &m->hp;
    const eng_layer *l = &m->layers[layer];
    int n_q = hp->n_head * hp->head_dim, n_kv = hp->n_head_kv * hp->head_dim;
    size_t qkv_ld = (size_t)n_q + 2 * (size_t)n_kv, e = (size_t)hp->n_embd;
    /* a batch adds the previous layer's ffn output (xb2) here; decode added it in the down job */
    norm_pass np = {l->attn_norm, layer > 0 && !decode_residual(ctx, n_tokens), 0};
    for_each_token(ctx, norm_token, &np, n_tokens);
    if (n_tokens == 1) prefetch_token_rows(ctx, layer);
    if (l->wqkv.data) {
        matmul1(ctx, &l->wqkv, ctx->xb, e, ctx->qkv, qkv_ld, n_tokens, NULL);
    } else {
        const eng_weight *ws[3] = {&l->wq, &l->wk, &l->wv};
        const int64_t cols[3] = {0, n_q, (int64_t)n_q + n_kv};
        matmul(ctx, ws, cols, 3, ctx->xb, e, ctx->qkv, qkv_ld, n_tokens, NULL);
    }
    qkv_pass qp = {l, layer, qkv_ld};
    for_each_token(ctx, qkv_finish_token, &qp, n_tokens);
    int group = hp->n_head / hp->n_head_kv, n_chunks = 1;
    attention_job job = {ctx, layer, n_tokens, qkv_ld, 1, group, n_tokens, {0}, NULL, NULL};
    if (n_tokens > ATTN_QUERY_CHUNK) {
        job.query_chunk = ATTN_QUERY_CHUNK;
        n_chunks = (n_tokens + ATTN_QUERY_CHUNK - 1) / ATTN_QUERY_CHUNK;
    } else {
        int pieces = decode_pieces(hp->n_head_kv, group, eng_pool_size(ctx->pool));
        job.heads_per_item = (group + pieces - 1) / pieces;
        job.pieces = (group + job.heads_per_item - 1) / job.heads_per_item; /* none left empty */
    }
    int n_items = hp->n_head_kv * job.pieces * n_chunks;
    eng_split_init(&job.split, n_items, eng_pool_size(ctx->pool), n_items);
    job.out_to = n_tokens == 1 ? converted_by_heads(&l->wo, hp->head_dim) : NULL;
    job.out_act = ctx->act[ENG_ACT_SLOTS - 1];
    eng_pool_run(ctx->pool, attention_task, &job);
    if (n_tokens == 1) prefetch_bytes(l->ffn_norm, e * sizeof(float), 0);
    if (job.out_to) matmul_converted(ctx, &l->wo, job.out_act, ctx->xb2, decode_residual(ctx, 1));
    else matmul1(ctx, &l->wo, ctx->att, (size_t)n_q, ctx->xb2, e, n_tokens, decode_residual(ctx, n_tokens));
}

static float silu(float x) { return x / (1.0f + expf(-x)); }

/* out[i] = silu(gate[i]) * up[i]: the AVX2 loop when the CPU has it. Prefill
 * (whole rows) and decode (block-aligned chunks) put the same elements in
 * the vector and scalar parts, so both compute every element alike. */
static void silu_mul(const float *gate, const float *up, float *out, int64_t n)
{
#if ENG_X86_LOOPS
    if (eng_avx2_loops_usable()) {
        eng_silu_mul_avx2(gate, up, out, (int)n);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) out[i] = silu(gate[i]) * up[i];
}

static void silu_token(slm_context *ctx, const void *arg, int b)
{
    size_t ff = (size_t)ctx->model->hp.n_ff;
    const float *gate = ctx->ffn + (size_t)b * 2 * ff, *up = gate + ff;
    float *act = ctx->ffn_act + (size_t)b * ff;
    (void)arg;
    silu_mul(gate, up, act, (int64_t)ff);
}

/* Decode with separate gate and up weights: one pool job computes gate and
 * up rows [a, b) together, then silu for [a, b) and the down input's
 * conversion of blocks [a, b) (chunks are whole blocks of that type), so the
 * serial silu + conversion pass and its hand-off disappear. Each row uses the
 * same quant_vec_dot_rows call as matmul's decode path and each block is
 * quantized on its own, so the results are bit-identical. The converted input
 * goes to act slot ENG_ACT_SLOTS - 1, which the gate/up job does not read. */
typedef struct ffn_up_job {
    slm_context *ctx;
    const matmul_job *mm;      /* prepared gate | up job (activations converted) */
    const quant_traits *to;    /* down's vec_dot_type */
    char *down_act;
    int64_t n_ff;
    eng_split split;           /* units of `to`'s block size */
} ffn_up_job;

static void ffn_up_task(void *arg, int ith, int nth)
{
    ffn_up_job *job = arg;
    size_t ff = (size_t)job->n_ff;
    float *gate = job->ctx->ffn, *up = gate + ff, *act = job->ctx->ffn_act;
    (void)nth;
    thread_tables tables = thread_tables_of(&job->ctx->thread_scratch[ith], job->ctx->packed_table_stride);
    int64_t bs = job->to->block_size, u0, u1;
    while (eng_split_take(&job->split, ith, &u0, &u1)) {
        int64_t a = u0 * bs, b = u1 * bs < job->n_ff ? u1 * bs : job->n_ff;
        for (int i = 0; i < 2; i++) {
            const matmul_part *p = &job->mm->parts[i];
            const eng_weight *w = p->weight;
            decode_rows(w, a, b, &p->out[a], p->act, &tables);
        }
        silu_mul(gate + a, up + a, act + a, b - a);
        job->to->quantize_row(act + a, job->down_act + (size_t)(a / job->to->block_size) * job->to->block_bytes,
                              b - a);
    }
}

/* 1 when the decode ffn ran fused (ffn_act converted into the last act slot). */
static int ffn_up_decode(slm_context *ctx, const eng_layer *l)
{
    size_t ff = (size_t)ctx->model->hp.n_ff;
    if (l->gate_up.data || needs_widening(&l->gate) || needs_widening(&l->up) || needs_widening(&l->down)) return 0;
    const quant_traits *to = quant_get_traits(l->down.traits->vec_dot_type);
    if (!to || to->type == SLM_TYPE_F32 || l->gate.traits->vec_dot_type == SLM_TYPE_F32 ||
        l->up.traits->vec_dot_type == SLM_TYPE_F32 || ff % (size_t)to->block_size)
        return 0;
    const eng_weight *ws[2] = {&l->gate, &l->up};
    const int64_t cols[2] = {0, (int64_t)ff};
    matmul_job mm; /* its rows are handed out by the job below, with silu and the conversion */
    matmul_job_init(ctx, &mm, ws, cols, 2, ctx->ffn, 2 * ff, 1, NULL);
    matmul_prepare(ctx, &mm, ctx->xb, (size_t)ctx->model->hp.n_embd);
    ffn_up_job job = {ctx, &mm, to, ctx->act[ENG_ACT_SLOTS - 1], (int64_t)ff, {0}};
    eng_split_init(&job.split, (int64_t)ff / to->block_size, eng_pool_size(ctx->pool), TAKES_PER_SHARE);
    eng_pool_run(ctx->pool, ffn_up_task, &job);
    return 1;
}

static void ffn_block(slm_context *ctx, int layer, int n_tokens)
{
    const slm_model *m = ctx->model;
    const eng_hparams *hp = &m->hp;
    const eng_layer *l = &m->layers[layer];
    size_t e = (size_t)hp->n_embd, ff = (size_t)hp->n_ff;
    norm_pass np = {l->ffn_norm, !decode_residual(ctx, n_tokens), 0}; /* a batch adds the attention output here */
    for_each_token(ctx, norm_token, &np, n_tokens);
    if (n_tokens == 1 && ffn_up_decode(ctx, l)) {
        const float *next = layer + 1 < hp->n_layer ? m->layers[layer + 1].attn_norm : m->output_norm;
        prefetch_bytes(next, e * sizeof(float), 0);
        matmul_converted(ctx, &l->down, ctx->act[ENG_ACT_SLOTS - 1], ctx->xb2, decode_residual(ctx, 1));
        return;
    }
    if (l->gate_up.data) {
        matmul1(ctx, &l->gate_up, ctx->xb, e, ctx->ffn, 2 * ff, n_tokens, NULL);
    } else {
        const eng_weight *ws[2] = {&l->gate, &l->up};
        const int64_t cols[2] = {0, (int64_t)ff};
        matmul(ctx, ws, cols, 2, ctx->xb, e, ctx->ffn, 2 * ff, n_tokens, NULL);
    }
    for_each_token(ctx, silu_token, NULL, n_tokens);
    matmul1(ctx, &l->down, ctx->ffn_act, ff, ctx->xb2, e, n_tokens, decode_residual(ctx, n_tokens)); /* batch: added by the next norm pass */
}

static void embed(slm_context *ctx, const int32_t *tokens, int n_tokens)
{
    const eng_weight *w = &ctx->model->tok_embd;
    for (int b = 0; b < n_tokens; b++) {
        const char *row = (const char *)w->data + (size_t)tokens[b] * w->row_bytes;
        if (w->packed) eng_packed_dequantize_row(w->type, (const uint8_t *)row, ctx->x + (size_t)b * w->n_in, w->n_in);
        else w->traits->dequantize_row(row, ctx->x + (size_t)b * w->n_in, w->n_in);
    }
}

static void output_block(slm_context *ctx, int n_tokens, float *logits_out)
{
    const slm_model *m = ctx->model;
    const eng_hparams *hp = &m->hp;
    size_t e = (size_t)hp->n_embd, nv = (size_t)hp->n_vocab;
    int first = logits_out ? 0 : n_tokens - 1;
    int rows = n_tokens - first;
    /* a batch adds the last layer's ffn output here (rows used only) */
    norm_pass np = {m->output_norm, !decode_residual(ctx, n_tokens), first};
    for_each_token(ctx, norm_token, &np, rows);
    float *dest = logits_out ? logits_out : ctx->logits;
    matmul1(ctx, &m->output, ctx->xb, e, dest, nv, rows, NULL);
    if (logits_out) memcpy(ctx->logits, logits_out + (size_t)(n_tokens - 1) * nv, nv * sizeof(float));
    ctx->have_logits = 1;
}

void eng_forward_batch(slm_context *ctx, const int32_t *tokens, int n_tokens, float *logits_out)
{
    embed(ctx, tokens, n_tokens);
    rope_tables(ctx, n_tokens);
    for (int layer = 0; layer < ctx->model->hp.n_layer; layer++) {
        attention_block(ctx, layer, n_tokens);
        ffn_block(ctx, layer, n_tokens);
    }
    output_block(ctx, n_tokens, logits_out);
    ctx->n_past += n_tokens;
}
