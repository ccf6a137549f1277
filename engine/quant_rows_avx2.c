/*
 * quant_rows_avx2.c — AVX2 kernels that share work across several dots:
 * vec_dot_rows (many weight rows, one activation row: activation-side values
 * are tabulated once per call; decode), vec_dot of Q4_0 (the one-row case)
 * and vec_dot_multi (one weight row, up to QUANT_MULTI_MAX activation
 * rows: weight scales converted once; prefill). Compiled with AVX2 flags
 * only; used through the AVX2 traits table (quant_avx2.c).
 *
 * Invariants: vec_dot_rows performs exactly the operations of vec_dot for
 * each row (bit-identical results); for Q4_0, Q4_1, Q5_1 and the
 * K-quants vec_dot_multi does too per activation (decode and batched
 * prefill agree to the bit; test_quant checks it); for Q8_0 it equals
 * vec_dot up to float summation order.
 */
#if defined(__x86_64__)
#include "quant_avx2.h"

/* ---- many weight rows . one activation row: vec_dot_rows, and vec_dot of Q4_0 ---------------- */

/* Decode streams every weight once, so the work per weight block is what
 * counts. Blocks go in groups of 8: the 8 blocks' int32 partial sums are
 * reduced to one vector (lane k = block k, exact), the group's weight scales
 * are converted by one F16C instruction, and one FMA per group (not per
 * block) adds scale * sum to the row's accumulator. Activation-side values
 * (block scales as floats; for Q4_0 the exact offset 8 * sum(codes) that
 * turns code . y into (code - 8) . y) are tabulated once per call and chunk
 * and shared by every row. vec_dot of these types is the one-row case of the
 * same function, so the two are bit-identical. */

/* Blocks per table chunk (a multiple of 8): 8 KiB of stack. */
#define AVX2_CHUNK_BLOCKS 1024

typedef struct avx2_act_tables {
    float scale[AVX2_CHUNK_BLOCKS];
    int32_t offset[AVX2_CHUNK_BLOCKS]; /* Q4_0 only: 8 * sum of the block's codes */
} avx2_act_tables;

/* 8 * sum of the codes of 8 activation blocks, lane k = block k. */
static inline __m256i avx2_q4_0_offset_group(const quant_block_q8_0 *y)
{
    const __m256i eight = _mm256_set1_epi8(8), ones = _mm256_set1_epi16(1);
#define AVX2_OFFSET(k) _mm256_madd_epi16(_mm256_maddubs_epi16(eight, _mm256_loadu_si256((const __m256i *)y[k].qs)), ones)
    return avx2_reduce8_epi32(AVX2_OFFSET(0), AVX2_OFFSET(1), AVX2_OFFSET(2), AVX2_OFFSET(3), AVX2_OFFSET(4),
                              AVX2_OFFSET(5), AVX2_OFFSET(6), AVX2_OFFSET(7));
#undef AVX2_OFFSET
}

static void avx2_q8_0_tables(const quant_block_q8_0 *y, int64_t groups, int with_offset, avx2_act_tables *t)
{
    for (int64_t g = 0; g < groups; g++) {
        _mm256_storeu_ps(t->scale + 8 * g, AVX2_HALF8_WORDS(y + 8 * g));
        if (with_offset) _mm256_storeu_si256((__m256i *)(t->offset + 8 * g), avx2_q4_0_offset_group(y + 8 * g));
    }
}

/* One tail block (< 8 left in a row): the float expression every kernel of
 * this file uses, so rows, vec_dot and multi stay bit-identical. */
#define AVX2_TAIL_TERM(ONE, x, y) (avx2_f16((x)->d) * avx2_f16((y)->d) * (float)avx2_hsum_epi32(ONE(x, y)))

/* Adds the int16 lanes of a and b pairwise into one vector whose 32-bit
 * units alternate a, b (unit 2i: a, 2i+1: b), halving the vectors to reduce. */
static inline __m256i avx2_fold_epi16_32(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}

/* Same one level up: 64-bit units alternate a, b. */
static inline __m256i avx2_fold_epi16_64(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}

/* code . y of 4 Q4_0 blocks as int32 [b0 b1 b2 b3 | b0 b1 b2 b3] (half sums).
 * Stays in int16 until 8 products are summed: |sum| <= 8 * 15 * 127 = 15240. */
static inline __m256i avx2_q4_0_quad(const quant_block_q4_0 *x, const quant_block_q8_0 *y)
{
#define AVX2_Q4(k) _mm256_maddubs_epi16(avx2_nibbles_bcast(x[k].qs), _mm256_loadu_si256((const __m256i *)y[k].qs))
    const __m256i s = avx2_fold_epi16_64(avx2_fold_epi16_32(AVX2_Q4(0), AVX2_Q4(1)), avx2_fold_epi16_32(AVX2_Q4(2), AVX2_Q4(3)));
#undef AVX2_Q4
    return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

/* code . y per block of 8 Q4_0 blocks, lane k = block k (the -8 offset comes from the table). */
static inline __m256i avx2_q4_0_group(const quant_block_q4_0 *x, const quant_block_q8_0 *y)
{
    const __m256i a = avx2_q4_0_quad(x, y), b = avx2_q4_0_quad(x + 4, y + 4);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

/* Defines avx2_rows_<t>: out[r] for n_rows rows of nb blocks. GROUP gives the
 * 8 block sums of a group, OFFSET says whether the table offset is
 * subtracted, ONE gives one block's int32 partial sums (the < 8 tail). */
#define AVX2_ROWS_SYMMETRIC(t, xtype, GROUP, OFFSET, ONE)                                                        \
    static void avx2_rows_##t(int64_t nb, int64_t n_rows, float *out, const void *w, size_t row_bytes,         \
                              const quant_block_q8_0 *y)                                                        \
    {                                                                                                           \
        avx2_act_tables tab;                                                                                    \
        const int64_t groups = nb / 8, chunk = AVX2_CHUNK_BLOCKS / 8;                                           \
        if (groups <= chunk) avx2_q8_0_tables(y, groups, OFFSET, &tab);                                         \
        for (int64_t r = 0; r < n_rows; r++) {                                                                  \
            const xtype *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);                        \
            __m256 acc = _mm256_setzero_ps();                                                                   \
            for (int64_t g0 = 0; g0 < groups; g0 += chunk) {                                                    \
                const int64_t ng = groups - g0 < chunk ? groups - g0 : chunk;                                   \
                if (groups > chunk) avx2_q8_0_tables(y + 8 * g0, ng, OFFSET, &tab);                             \
                const xtype *xc = x + 8 * g0;                                                                   \
                const quant_block_q8_0 *yc = y + 8 * g0;                                                        \
                for (int64_t g = 0; g < ng; g++) {                                                              \
                    avx2_prefetch(xc + 8 * g, 8 * sizeof(xtype));                                               \
                    __m256i ints = GROUP(xc + 8 * g, yc + 8 * g);                                               \
                    if (OFFSET) ints = _mm256_sub_epi32(ints, _mm256_loadu_si256((const __m256i *)(tab.offset + 8 * g))); \
                    const __m256 s = _mm256_mul_ps(AVX2_HALF8_WORDS(xc + 8 * g), _mm256_loadu_ps(tab.scale + 8 * g)); \
                    acc = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(ints), acc);                                    \
                }                                                                                               \
            }                                                                                                   \
            float tail = 0.0f;                                                                                  \
            for (int64_t b = 8 * groups; b < nb; b++)                                                           \
                tail += AVX2_TAIL_TERM(ONE, x + b, y + b);                                                      \
            out[r] = avx2_hsum(acc) + tail;                                                                     \
        }                                                                                                       \
    }

AVX2_ROWS_SYMMETRIC(q4_0, quant_block_q4_0, avx2_q4_0_group, 1, avx2_q4_0_ints)

/* Q8_0 rows: the operations of its vec_dot (quant_avx2.c) per row, the
 * activation scales converted once per call (the grouped reduction of Q4_0
 * measured no faster for Q8_0: its dot is bound by the sign fix-ups). Rows
 * longer than this many blocks use the single-row kernel. */
#define AVX2_ROWS_MAX_BLOCKS 512

static void avx2_q8_0_scales(const quant_block_q8_0 *y, int64_t nb, float *ys)
{
    for (int64_t b = 0; b < nb; b++) ys[b] = avx2_f16(y[b].d);
}

void quant_avx2_dot_rows_q8_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    const quant_block_q8_0 *y = a;
    const int64_t nb = n / QK8_0;
    float ys[AVX2_ROWS_MAX_BLOCKS];
    if (nb > AVX2_ROWS_MAX_BLOCKS) {
        for (int64_t r = 0; r < n_rows; r++) quant_avx2_dot_q8_0(n, &out[r], (const uint8_t *)w + (size_t)r * row_bytes, a);
        return;
    }
    avx2_q8_0_scales(y, nb, ys);
    for (int64_t r = 0; r < n_rows; r++) {
        const quant_block_q8_0 *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);
        AVX2_DOT_SYMMETRIC(avx2_q8_0_ints, x, y, nb, AVX2_Y_ARRAY8, AVX2_Y_ARRAY1, &out[r]);
    }
}

/* Q5_0 rows: the operations of its vec_dot (quant_avx2.c) per row — batched
 * prefill repacks Q5_0 as Q8_0 and reproduces that order to the bit — with
 * the activation scales converted once per call. */
void quant_avx2_dot_rows_q5_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    const quant_block_q8_0 *y = a;
    const int64_t nb = n / QK5_0;
    float ys[AVX2_ROWS_MAX_BLOCKS];
    if (nb > AVX2_ROWS_MAX_BLOCKS) {
        for (int64_t r = 0; r < n_rows; r++) quant_avx2_dot_q5_0(n, &out[r], (const uint8_t *)w + (size_t)r * row_bytes, a);
        return;
    }
    avx2_q8_0_scales(y, nb, ys);
    for (int64_t r = 0; r < n_rows; r++) {
        const quant_block_q5_0 *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);
        AVX2_DOT_SYMMETRIC(avx2_q5_0_ints, x, y, nb, AVX2_Y_ARRAY8, AVX2_Y_ARRAY1, &out[r]);
    }
}

void quant_avx2_dot_rows_q4_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    avx2_rows_q4_0(n / QK4_0, n_rows, out, w, row_bytes, a);
}

void quant_avx2_dot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    avx2_rows_q4_0(n / QK4_0, 1, result, w, 0, a);
}

/* ---- one weight row . several activation rows (vec_dot_multi) -------------------------------- */

/* Each body takes the activation count K as a compile-time constant (the
 * dispatchers below call it with literals), so the per-activation loops are
 * unrolled and the accumulators stay in registers. Weight blocks are unpacked
 * and their scales converted once for all K activations. */

#define AVX2_MULTI_SETUP(ytype)                                                                   \
    const ytype *y[QUANT_MULTI_MAX];                                                              \
    __m256 acc[QUANT_MULTI_MAX];                                                                  \
    for (int k = 0; k < K; k++) {                                                                 \
        y[k] = (const ytype *)(const void *)((const uint8_t *)a + (size_t)k * act_stride);        \
        acc[k] = _mm256_setzero_ps();                                                             \
    }

/* Q4_0: the operations of avx2_rows_q4_0 per activation
 * (same groups, same float expressions, so prefill through vec_dot_multi is
 * bit-identical to decode through vec_dot_rows: a last-bit difference could
 * flip an int8 rounding of the next layer's activations); the weight scales
 * of each group are converted once for all activations, and the activation
 * tables of rows are computed per group instead (exact integers / the same
 * floats). */
#define AVX2_MULTI_GROUPED(GROUP, OFFSET, ONE, x, nb, out, out_stride)                                       \
    do {                                                                                                       \
        const int64_t groups = (nb) / 8;                                                                       \
        for (int64_t g = 0; g < groups; g++) {                                                                 \
            avx2_prefetch((x) + 8 * g, 8 * sizeof(*(x)));                                                     \
            const __m256 xs = AVX2_HALF8_WORDS((x) + 8 * g);                                                   \
            for (int k = 0; k < K; k++) {                                                                      \
                const quant_block_q8_0 *yg = y[k] + 8 * g;                                                     \
                __m256i ints = GROUP((x) + 8 * g, yg);                                                         \
                if (OFFSET) ints = _mm256_sub_epi32(ints, avx2_q4_0_offset_group(yg));                         \
                const __m256 s = _mm256_mul_ps(xs, AVX2_HALF8_WORDS(yg));                                      \
                acc[k] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(ints), acc[k]);                                 \
            }                                                                                                  \
        }                                                                                                      \
        for (int k = 0; k < K; k++) {                                                                          \
            float tail = 0.0f;                                                                                 \
            for (int64_t b = 8 * groups; b < (nb); b++) tail += AVX2_TAIL_TERM(ONE, (x) + b, y[k] + b);        \
            (out)[(size_t)k * (out_stride)] = avx2_hsum(acc[k]) + tail;                                        \
        }                                                                                                      \
    } while (0)

/* Q8_0 (the per-block steps of its vec_dot, quant_avx2.c): the weight scales
 * of each group of 8 blocks are converted once for all activations (the costly part: they are scattered
 * 2-byte loads); unpacking codes is cheap and repeated per activation so the
 * unrolled per-block steps of vec_dot are reused as they are. */
#define AVX2_MULTI_SYMMETRIC(INTS, x, nb, out, out_stride)                                             \
    do {                                                                                              \
        int64_t b = 0;                                                                                \
        for (; b + 8 <= (nb); b += 8) {                                                               \
            avx2_prefetch((x) + b, 8 * sizeof(*(x)));                                                 \
            const __m256 xs = AVX2_HALF8((x) + b);                                                    \
            for (int k = 0; k < K; k++) {                                                             \
                const quant_block_q8_0 *yk = y[k];                                                    \
                const __m256 s = _mm256_mul_ps(xs, AVX2_HALF8(yk + b));                               \
                __m256 a0 = acc[k], a1 = _mm256_setzero_ps();                                         \
                AVX2_GROUP_STEP(INTS, x, yk, 0, a0); AVX2_GROUP_STEP(INTS, x, yk, 1, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 2, a0); AVX2_GROUP_STEP(INTS, x, yk, 3, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 4, a0); AVX2_GROUP_STEP(INTS, x, yk, 5, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 6, a0); AVX2_GROUP_STEP(INTS, x, yk, 7, a1);              \
                acc[k] = _mm256_add_ps(a0, a1);                                                       \
            }                                                                                         \
        }                                                                                             \
        for (; b < (nb); b++) {                                                                       \
            for (int k = 0; k < K; k++) {                                                             \
                const __m256 sk = _mm256_set1_ps(avx2_f16((x)[b].d) * avx2_f16(y[k][b].d));           \
                acc[k] = _mm256_fmadd_ps(sk, _mm256_cvtepi32_ps(INTS((x) + b, y[k] + b)), acc[k]);    \
            }                                                                                         \
        }                                                                                             \
        for (int k = 0; k < K; k++) (out)[(size_t)k * (out_stride)] = avx2_hsum(acc[k]);             \
    } while (0)

static inline __attribute__((always_inline)) void
avx2_q4_0_multi(int64_t nb, const quant_block_q4_0 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_0)
    AVX2_MULTI_GROUPED(avx2_q4_0_group, 1, avx2_q4_0_ints, x, nb, out, out_stride);
}

static inline __attribute__((always_inline)) void
avx2_q8_0_multi(int64_t nb, const quant_block_q8_0 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_0)
    AVX2_MULTI_SYMMETRIC(avx2_q8_0_ints, x, nb, out, out_stride);
}

/* Q4_K/Q5_K: avx2_k45_dot's operations per activation (decode and batched
 * prefill agree to the bit), each group's codes unpacked once for all. */
static inline __attribute__((always_inline)) void avx2_k45_multi(int64_t nb, const uint8_t *x, const void *a,
                                                                 size_t act_stride, float *out, size_t out_stride,
                                                                 const int q5, const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_k)
    const size_t block_bytes = avx2_k45_block_bytes(q5);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *block = x + (size_t)b * block_bytes;
        const __m128i scales_mins = avx2_k4_scales(block + offsetof(quant_block_q4_k, scales));
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        const uint8_t *qs = avx2_k45_qs(block, q5);
        const __m256i qh = avx2_k45_qh(block, q5);
        __m256i sumi[QUANT_MULTI_MAX];
        AVX2_UNROLL
        for (int k = 0; k < K; k++) sumi[k] = _mm256_setzero_si256();
        AVX2_UNROLL
        for (int g = 0; g < 4; g++) {
            __m256i lo, hi;
            avx2_k45_codes(qs, qh, g, q5, &lo, &hi);
            AVX2_UNROLL
            for (int k = 0; k < K; k++)
                sumi[k] = _mm256_add_epi32(sumi[k], avx2_k4_group(lo, hi, y[k][b].qs + 64 * g, scales16, g));
        }
        AVX2_UNROLL
        for (int k = 0; k < K; k++)
            acc[k] = avx2_k45_accumulate(block, y[k][b].d, sumi[k], avx2_k4_mins(scales_mins, y[k][b].bsums), acc[k]);
    }
    AVX2_UNROLL
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);
}

static inline __attribute__((always_inline)) void
avx2_q4_k_multi(int64_t nb, const quant_block_q4_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    avx2_k45_multi(nb, (const uint8_t *)x, a, act_stride, out, out_stride, 0, K);
}

static inline __attribute__((always_inline)) void
avx2_q5_k_multi(int64_t nb, const quant_block_q5_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    avx2_k45_multi(nb, (const uint8_t *)x, a, act_stride, out, out_stride, 1, K);
}

/* Q2_K, Q3_K, Q6_K: each block prepared once (codes, scales), then
 * avx2_k16_step per activation, as in their vec_dot. */
#define AVX2_K16_MULTI(t, xtype)                                                                                \
    static inline __attribute__((always_inline)) void avx2_##t##_multi(int64_t nb, const xtype *x, const void *a, \
                                                                       size_t act_stride, float *out,              \
                                                                       size_t out_stride, const int K)             \
    {                                                                                                           \
        AVX2_MULTI_SETUP(quant_block_q8_k)                                                                      \
        for (int64_t b = 0; b < nb; b++) {                                                                      \
            avx2_k16_block p;                                                                                   \
            avx2_##t##_prepare(x + b, &p);                                                                      \
            AVX2_UNROLL                                                                                         \
            for (int k = 0; k < K; k++) acc[k] = avx2_k16_step(&p, y[k] + b, acc[k]);                          \
        }                                                                                                       \
        AVX2_UNROLL                                                                                             \
        for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);                            \
    }

AVX2_K16_MULTI(q2_k, quant_block_q2_k)
AVX2_K16_MULTI(q3_k, quant_block_q3_k)
AVX2_K16_MULTI(q6_k, quant_block_q6_k)

/* Q4_1/Q5_1: avx2_affine_dot's operations per activation (decode and
 * batched prefill agree to the bit): per group of 8 blocks the codes and the
 * weight scales d, m are taken once, then each activation runs the group's
 * steps (avx2_affine_group) on its own two accumulator pairs. */
static inline __attribute__((always_inline)) void avx2_affine_multi(int64_t nb, const void *w, const void *a,
                                                                    size_t act_stride, float *out, size_t out_stride,
                                                                    const int q5, const int K)
{
    const quant_block_q8_1 *y[QUANT_MULTI_MAX];
    __m256 acc[QUANT_MULTI_MAX][2], acc_min[QUANT_MULTI_MAX][2];
    for (int k = 0; k < K; k++) {
        y[k] = (const quant_block_q8_1 *)(const void *)((const uint8_t *)a + (size_t)k * act_stride);
        acc[k][0] = acc[k][1] = acc_min[k][0] = acc_min[k][1] = _mm256_setzero_ps();
    }
    const size_t block_bytes = avx2_affine_block_bytes(q5);
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        const uint8_t *group = (const uint8_t *)w + (size_t)b * block_bytes;
        avx2_prefetch(group, 8 * block_bytes);
        const __m256 d = avx2_half8_strided(group, block_bytes), m = avx2_half8_strided(group + 2, block_bytes);
        __m256i codes[8];
        AVX2_UNROLL
        for (int j = 0; j < 8; j++) codes[j] = avx2_affine_codes(w, b + j, q5);
        AVX2_UNROLL
        for (int k = 0; k < K; k++) avx2_affine_group(codes, y[k] + b, d, m, acc[k], acc_min[k]);
    }
    for (; b < nb; b++) {
        AVX2_UNROLL
        for (int k = 0; k < K; k++) avx2_affine_tail_step(w, b, y[k] + b, q5, &acc[k][0], &acc_min[k][0]);
    }
    AVX2_UNROLL
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_affine_total(acc[k], acc_min[k]);
}

static inline __attribute__((always_inline)) void
avx2_q4_1_multi(int64_t nb, const quant_block_q4_1 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    avx2_affine_multi(nb, x, a, act_stride, out, out_stride, 0, K);
}

static inline __attribute__((always_inline)) void
avx2_q5_1_multi(int64_t nb, const quant_block_q5_1 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    avx2_affine_multi(nb, x, a, act_stride, out, out_stride, 1, K);
}

/* Exported kernels: dispatch the activation count to constant-K bodies. */
#define AVX2_MULTI_KERNEL(t, body, wtype, qk)                                                                   \
    void quant_avx2_dot_multi_##t(int64_t n, int n_acts, float *out, size_t out_stride, const void *w,           \
                                  const void *a, size_t act_stride)                                              \
    {                                                                                                            \
        const wtype *x = w;                                                                                      \
        switch (n_acts) {                                                                                        \
        case 1: body(n / (qk), x, a, act_stride, out, out_stride, 1); break;                                     \
        case 2: body(n / (qk), x, a, act_stride, out, out_stride, 2); break;                                     \
        case 3: body(n / (qk), x, a, act_stride, out, out_stride, 3); break;                                     \
        default: body(n / (qk), x, a, act_stride, out, out_stride, 4); break;                                    \
        }                                                                                                        \
    }

AVX2_MULTI_KERNEL(q4_0, avx2_q4_0_multi, quant_block_q4_0, QK4_0)
AVX2_MULTI_KERNEL(q8_0, avx2_q8_0_multi, quant_block_q8_0, QK8_0)
AVX2_MULTI_KERNEL(q4_1, avx2_q4_1_multi, quant_block_q4_1, QK4_1)
AVX2_MULTI_KERNEL(q5_1, avx2_q5_1_multi, quant_block_q5_1, QK5_1)
AVX2_MULTI_KERNEL(q4_k, avx2_q4_k_multi, quant_block_q4_k, QK_K)
AVX2_MULTI_KERNEL(q5_k, avx2_q5_k_multi, quant_block_q5_k, QK_K)
AVX2_MULTI_KERNEL(q6_k, avx2_q6_k_multi, quant_block_q6_k, QK_K)
AVX2_MULTI_KERNEL(q2_k, avx2_q2_k_multi, quant_block_q2_k, QK_K)
AVX2_MULTI_KERNEL(q3_k, avx2_q3_k_multi, quant_block_q3_k, QK_K)

#endif /* __x86_64__ */
