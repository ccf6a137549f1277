/*
 * quant_rows_avx2.c — AVX2 kernels that share work across several dots:
 * vec_dot_rows (many weight rows, one activation row: the activation block
 * scales are converted once per call; decode) and vec_dot_multi (one weight
 * row, up to QUANT_MULTI_MAX activation rows: each weight block is unpacked
 * once; prefill). Compiled with AVX2 flags only; used through the AVX2
 * traits table (quant_avx2.c).
 *
 * Invariants: vec_dot_rows performs exactly the operations of vec_dot for
 * each row (bit-identical results); vec_dot_multi equals vec_dot per
 * activation up to float summation order.
 */
#if defined(__x86_64__)
#include "quant_avx2.h"

/* Multi-row kernels: the activation scales are converted once per call. Rows
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

void quant_avx2_dot_rows_q4_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    const quant_block_q8_0 *y = a;
    const int64_t nb = n / QK4_0;
    float ys[AVX2_ROWS_MAX_BLOCKS];
    if (nb > AVX2_ROWS_MAX_BLOCKS) {
        for (int64_t r = 0; r < n_rows; r++) quant_avx2_dot_q4_0(n, &out[r], (const uint8_t *)w + (size_t)r * row_bytes, a);
        return;
    }
    avx2_q8_0_scales(y, nb, ys);
    for (int64_t r = 0; r < n_rows; r++) {
        const quant_block_q4_0 *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);
        AVX2_DOT_SYMMETRIC(avx2_q4_0_ints, x, y, nb, AVX2_Y_ARRAY8, AVX2_Y_ARRAY1, &out[r]);
    }
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

/* Symmetric 32-block types: the weight scales of each group of 8 blocks are
 * converted once for all activations (the costly part: they are scattered
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
    AVX2_MULTI_SYMMETRIC(avx2_q4_0_ints, x, nb, out, out_stride);
}

static inline __attribute__((always_inline)) void
avx2_q8_0_multi(int64_t nb, const quant_block_q8_0 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_0)
    AVX2_MULTI_SYMMETRIC(avx2_q8_0_ints, x, nb, out, out_stride);
}

static inline __attribute__((always_inline)) void
avx2_q4_k_multi(int64_t nb, const quant_block_q4_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_k)
    const __m256i low4 = _mm256_set1_epi8(15);
    for (int64_t b = 0; b < nb; b++) {
        const __m128i scales_mins = avx2_k4_scales(x[b].scales);
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        __m256i sumi[QUANT_MULTI_MAX];
        for (int k = 0; k < K; k++) sumi[k] = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * g));
            const __m256i lo = _mm256_and_si256(raw, low4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
            for (int k = 0; k < K; k++)
                sumi[k] = _mm256_add_epi32(sumi[k], avx2_k4_group(lo, hi, y[k][b].qs + 64 * g, scales16, g));
        }
        const float d = avx2_f16(x[b].d), dmin = avx2_f16(x[b].dmin);
        for (int k = 0; k < K; k++) {
            const __m256i summ = avx2_k4_mins(scales_mins, y[k][b].bsums);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][b].d * d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            acc[k] = _mm256_fnmadd_ps(_mm256_set1_ps(y[k][b].d * dmin), _mm256_cvtepi32_ps(summ), acc[k]);
        }
    }
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);
}

static inline __attribute__((always_inline)) void
avx2_q6_k_multi(int64_t nb, const quant_block_q6_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_k)
    for (int64_t b = 0; b < nb; b++) {
        __m256i codes[8];
        avx2_q6_k_codes(x + b, codes);
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[b].scales);
        const float d = avx2_f16(x[b].d);
        for (int k = 0; k < K; k++) {
            const __m256i sumi = avx2_sum16_block(codes, y[k][b].qs, scales);
            const __m256i offset = avx2_bsums_dot(y[k][b].bsums, scales);
            const __m256i total = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5));
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][b].d * d), _mm256_cvtepi32_ps(total), acc[k]);
        }
    }
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);
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
AVX2_MULTI_KERNEL(q4_k, avx2_q4_k_multi, quant_block_q4_k, QK_K)
AVX2_MULTI_KERNEL(q6_k, avx2_q6_k_multi, quant_block_q6_k, QK_K)

#endif /* __x86_64__ */
