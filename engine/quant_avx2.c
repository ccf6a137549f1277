/*
 * quant_avx2.c — AVX2 + FMA + F16C kernels (compiled with those flags only;
 * quant.c selects this table at run time when the CPU and OS support it).
 *
 * What: vec_dot for every weight type, the activation quantizers (Q8_0,
 * Q8_1, Q8_K), F16 row conversions and the AVX2 traits table (multi-row and
 * multi-activation kernels: quant_rows_avx2.c; vec_dot_f32 kernels:
 * quant_fdot_avx2.c; shared helpers: quant_avx2.h). Dequantize/quantize of
 * weight types use the scalar kernels (they are not on the decode path).
 * Invariants:
 *  - unaligned loads only (GGUF rows are only 2-byte aligned);
 *  - quantized vec_dots sum exact integer products per block (maddubs on
 *    unsigned codes x signed activations never saturates: codes <= 63), then
 *    scale in float, so results equal the scalar reference up to float
 *    summation order; offsets of signed codes are removed exactly through
 *    the Q8_K bsums;
 *  - the activation quantizers produce the same bytes as the scalar ones
 *    (same operations: amax, 1/d, multiply, round-to-nearest-even).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "quant_avx2.h"

/* ---- F32 / F16 / BF16 ---------------------------------------------------------- */

void quant_avx2_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += x[i] * y[i];
    *result = sum;
}

void quant_avx2_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++) {
            const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8 * k)));
            acc[k] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y + i + 8 * k), acc[k]);
        }
    }
    for (; i + 8 <= n; i += 8)
        acc[0] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += avx2_f16(x[i]) * y[i];
    *result = sum;
}

static inline __m256 avx2_load_bf16(const quant_bf16 *p)
{
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

void quant_avx2_dot_bf16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_bf16 *x = w;
    const float *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_fmadd_ps(avx2_load_bf16(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(avx2_load_bf16(x + i), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += quant_bf16_to_f32(x[i]) * y[i];
    *result = sum;
}

void quant_avx2_dequantize_f16(const void *src, float *dst, int64_t n)
{
    const quant_f16 *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) dst[i] = quant_f16_to_f32(x[i]);
}

void quant_avx2_quantize_f16(const float *src, void *dst, int64_t n)
{
    quant_f16 *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = quant_f32_to_f16(src[i]);
}

/* ---- activation quantizers --------------------------------------------------------- */

static inline float avx2_absmax(const float *x, int n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < n; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 floats * id -> 32 int8 (round to nearest even, clamped to +-127). */
static inline __m256i avx2_round_32(const float *x, float id)
{
    const __m256 mul = _mm256_set1_ps(id);
    __m256i v[4];
    for (int k = 0; k < 4; k++) v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), mul));
    const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_max_epi8(ordered, _mm256_set1_epi8(-127));
}

static inline int avx2_sum_i8(__m256i q)
{
    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* Same operations as the scalar quant_int8_codes with an f16 scale. */
static inline float avx2_q8_block(const float *x, int8_t *qs, int *sum)
{
    const float d = avx2_f16(_cvtss_sh(avx2_absmax(x, 32) / 127.0f, _MM_FROUND_TO_NEAREST_INT));
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256i q = avx2_round_32(x, id);
    _mm256_storeu_si256((__m256i *)qs, q);
    if (sum) *sum = avx2_sum_i8(q);
    return d;
}

void quant_avx2_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    quant_block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++)
        y[b].d = quant_f32_to_f16(avx2_q8_block(src + 32 * b, y[b].qs, NULL));
}

void quant_avx2_quantize_q8_1(const float *src, void *dst, int64_t n)
{
    quant_block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        int sum;
        const float d = avx2_q8_block(src + 32 * b, y[b].qs, &sum);
        y[b].d = quant_f32_to_f16(d);
        y[b].s = quant_f32_to_f16(d * (float)sum);
    }
}

void quant_avx2_quantize_q8_k(const float *src, void *dst, int64_t n)
{
    quant_block_q8_k *y = dst;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float *x = src + QK_K * b;
        const float d = avx2_absmax(x, QK_K) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = d;
        for (int j = 0; j < QK_K; j += 32) {
            const __m256i q = avx2_round_32(x + j, id);
            _mm256_storeu_si256((__m256i *)(y[b].qs + j), q);
            /* pair sums, then sums of 16: one int16 per 16 codes */
            const __m256i s16 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
            const __m256i s8 = _mm256_hadd_epi32(s16, s16);
            const __m256i s4 = _mm256_hadd_epi32(s8, s8);
            y[b].bsums[j / 16] = (int16_t)_mm256_extract_epi32(s4, 0);
            y[b].bsums[j / 16 + 1] = (int16_t)_mm256_extract_epi32(s4, 4);
        }
    }
}

/* ---- 32-element block types ----------------------------------------------------------- */

void quant_avx2_dot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w, *y = a;
    AVX2_DOT_SYMMETRIC(avx2_q8_0_ints, x, y, n / QK8_0, AVX2_Y_HALF8, AVX2_Y_HALF1, result);
}

/* vec_dot of Q4_0: the one-row case of its vec_dot_rows kernel (quant_rows_avx2.c). */

void quant_avx2_dot_q5_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_0 *x = w;
    const quant_block_q8_0 *y = a;
    AVX2_DOT_SYMMETRIC(avx2_q5_0_ints, x, y, n / QK5_0, AVX2_Y_HALF8, AVX2_Y_HALF1, result);
}

/* Affine types (Q4_1, Q5_1): d*dy*sum(code*a) + m*dy*sum(a); the steps are
 * in quant_avx2.h, shared with vec_dot_multi. Blocks go 8 at a time: their
 * weight and activation scales are gathered and multiplied as vectors (d*dy
 * and m*dy, once per 8 blocks: per-block scalar f16 conversions and products
 * had been most of the work, and the kernel ran at about half the memory's
 * speed). */
static inline __attribute__((always_inline)) float avx2_affine_dot(int64_t nb, const void *w, const quant_block_q8_1 *y,
                                                                  const int q5)
{
    const size_t block_bytes = avx2_affine_block_bytes(q5);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, acc_min[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        const uint8_t *group = (const uint8_t *)w + (size_t)b * block_bytes;
        avx2_prefetch(group, 8 * block_bytes);
        __m256i codes[8];
        AVX2_UNROLL
        for (int k = 0; k < 8; k++) codes[k] = avx2_affine_codes(w, b + k, q5);
        avx2_affine_group(codes, y + b, avx2_half8_strided(group, block_bytes), avx2_half8_strided(group + 2, block_bytes),
                          acc, acc_min);
    }
    for (; b < nb; b++) avx2_affine_tail_step(w, b, y + b, q5, &acc[0], &acc_min[0]);
    return avx2_affine_total(acc, acc_min);
}

void quant_avx2_dot_q4_1(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx2_affine_dot(n / QK4_1, w, a, 0);
}

void quant_avx2_dot_q5_1(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx2_affine_dot(n / QK5_1, w, a, 1);
}

/* ---- K-quants ------------------------------------------------------------------------------ */

/* Q2_K, Q3_K, Q6_K: each block prepared (avx2_k16_block), then its step. */
#define AVX2_K16_DOT(t, xtype)                                                        \
    void quant_avx2_dot_##t(int64_t n, float *result, const void *w, const void *a) \
    {                                                                               \
        const xtype *x = w;                                                         \
        const quant_block_q8_k *y = a;                                              \
        __m256 acc = _mm256_setzero_ps();                                           \
        for (int64_t b = 0; b < n / QK_K; b++) {                                    \
            avx2_prefetch(x + b, sizeof(*x));                                       \
            avx2_k16_block p;                                                       \
            avx2_##t##_prepare(x + b, &p);                                          \
            acc = avx2_k16_step(&p, y + b, acc);                                    \
        }                                                                           \
        *result = avx2_hsum(acc);                                                   \
    }

AVX2_K16_DOT(q2_k, quant_block_q2_k)
AVX2_K16_DOT(q3_k, quant_block_q3_k)
AVX2_K16_DOT(q6_k, quant_block_q6_k)

/* Q4_K and Q5_K (q5): the scales and mins unpacked once per block, the 4
 * groups' integer sums, then avx2_k45_accumulate. The multi-activation
 * kernel (quant_rows_avx2.c) performs these operations per activation. */
static inline __attribute__((always_inline)) void avx2_k45_dot(int64_t n, float *result, const void *w, const void *a,
                                                               const int q5)
{
    const uint8_t *x = w;
    const quant_block_q8_k *y = a;
    const size_t block_bytes = avx2_k45_block_bytes(q5);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        const uint8_t *block = x + (size_t)b * block_bytes;
        avx2_prefetch(block, block_bytes);
        const __m128i scales_mins = avx2_k4_scales(block + offsetof(quant_block_q4_k, scales));
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        const uint8_t *qs = avx2_k45_qs(block, q5);
        const __m256i qh = avx2_k45_qh(block, q5);
        __m256i sumi = _mm256_setzero_si256();
        AVX2_UNROLL
        for (int g = 0; g < 4; g++) {
            __m256i lo, hi;
            avx2_k45_codes(qs, qh, g, q5, &lo, &hi);
            sumi = _mm256_add_epi32(sumi, avx2_k4_group(lo, hi, y[b].qs + 64 * g, scales16, g));
        }
        acc = avx2_k45_accumulate(block, y[b].d, sumi, avx2_k4_mins(scales_mins, y[b].bsums), acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_dot_q4_k(int64_t n, float *result, const void *w, const void *a) { avx2_k45_dot(n, result, w, a, 0); }

void quant_avx2_dot_q5_k(int64_t n, float *result, const void *w, const void *a) { avx2_k45_dot(n, result, w, a, 1); }

/* ---- the table ------------------------------------------------------------------------------- */

#define AVX2_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
#define AVX2_ENTRY_FAST(T, deq, quant, dot, fdot, rows, multi) \
    [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, rows, multi }

const quant_traits quant_table_avx2[SLM_TYPE_COUNT] = {
    AVX2_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_avx2_dot_f32, quant_avx2_dot_f32),
    AVX2_ENTRY(F16, quant_avx2_dequantize_f16, quant_avx2_quantize_f16, quant_avx2_dot_f16, quant_avx2_dot_f16),
    AVX2_ENTRY(BF16, quant_scalar_dequantize_bf16, quant_scalar_quantize_bf16, quant_avx2_dot_bf16, quant_avx2_dot_bf16),
    AVX2_ENTRY_FAST(Q4_0, quant_scalar_dequantize_q4_0, quant_scalar_quantize_q4_0, quant_avx2_dot_q4_0, quant_avx2_fdot_q4_0,
                    quant_avx2_dot_rows_q4_0, quant_avx2_dot_multi_q4_0),
    AVX2_ENTRY_FAST(Q4_1, quant_scalar_dequantize_q4_1, quant_scalar_quantize_q4_1, quant_avx2_dot_q4_1, quant_avx2_fdot_q4_1,
                    NULL, quant_avx2_dot_multi_q4_1),
    /* no multi kernel for Q5_0: batched prefill repacks it as Q8_0 (forward.c) */
    AVX2_ENTRY_FAST(Q5_0, quant_scalar_dequantize_q5_0, quant_scalar_quantize_q5_0, quant_avx2_dot_q5_0, quant_avx2_fdot_q5_0,
                    quant_avx2_dot_rows_q5_0, NULL),
    AVX2_ENTRY_FAST(Q5_1, quant_scalar_dequantize_q5_1, quant_scalar_quantize_q5_1, quant_avx2_dot_q5_1, quant_avx2_fdot_q5_1,
                    NULL, quant_avx2_dot_multi_q5_1),
    AVX2_ENTRY_FAST(Q8_0, quant_scalar_dequantize_q8_0, quant_avx2_quantize_q8_0, quant_avx2_dot_q8_0, quant_avx2_fdot_q8_0,
                    quant_avx2_dot_rows_q8_0, quant_avx2_dot_multi_q8_0),
    AVX2_ENTRY(Q8_1, quant_scalar_dequantize_q8_1, quant_avx2_quantize_q8_1, NULL, NULL),
    AVX2_ENTRY(Q8_K, quant_scalar_dequantize_q8_k, quant_avx2_quantize_q8_k, NULL, NULL),
    AVX2_ENTRY_FAST(Q2_K, quant_scalar_dequantize_q2_k, quant_scalar_quantize_q2_k, quant_avx2_dot_q2_k, quant_avx2_fdot_q2_k,
                    NULL, quant_avx2_dot_multi_q2_k),
    AVX2_ENTRY_FAST(Q3_K, quant_scalar_dequantize_q3_k, quant_scalar_quantize_q3_k, quant_avx2_dot_q3_k, quant_avx2_fdot_q3_k,
                    NULL, quant_avx2_dot_multi_q3_k),
    AVX2_ENTRY_FAST(Q4_K, quant_scalar_dequantize_q4_k, quant_scalar_quantize_q4_k, quant_avx2_dot_q4_k, quant_avx2_fdot_q4_k,
                    NULL, quant_avx2_dot_multi_q4_k),
    AVX2_ENTRY_FAST(Q5_K, quant_scalar_dequantize_q5_k, quant_scalar_quantize_q5_k, quant_avx2_dot_q5_k, quant_avx2_fdot_q5_k,
                    NULL, quant_avx2_dot_multi_q5_k),
    AVX2_ENTRY_FAST(Q6_K, quant_scalar_dequantize_q6_k, quant_scalar_quantize_q6_k, quant_avx2_dot_q6_k, quant_avx2_fdot_q6_k,
                    NULL, quant_avx2_dot_multi_q6_k),
};
#endif /* __x86_64__ */
