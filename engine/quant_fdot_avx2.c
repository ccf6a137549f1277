/*
 * quant_fdot_avx2.c — AVX2 vec_dot_f32 kernels: quantized weights dotted
 * with unquantized F32 activations (the precise path, ~1e-7 relative).
 * Compiled with AVX2 flags only; used through the AVX2 traits table.
 *
 * Invariants: codes are converted to float exactly and scaled per block or
 * sub-block; mins and offsets multiply float sums of the activations, so the
 * only error is float rounding.
 */
#if defined(__x86_64__)
#include "quant_avx2.h"

/* ---- weights . F32 activations (vec_dot_f32) ------------------------------------------------ */

/* 32 int8 codes times 32 floats: *lo gets elements 0..15, *hi 16..31 (8 lanes each). */
static inline void avx2_fdot32(__m256i codes, const float *y, __m256 *lo, __m256 *hi)
{
    const __m128i c_lo = _mm256_castsi256_si128(codes), c_hi = _mm256_extracti128_si256(codes, 1);
    const __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c_lo));
    const __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(c_lo, 8)));
    const __m256 f2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c_hi));
    const __m256 f3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(c_hi, 8)));
    *lo = _mm256_fmadd_ps(f1, _mm256_loadu_ps(y + 8), _mm256_mul_ps(f0, _mm256_loadu_ps(y)));
    *hi = _mm256_fmadd_ps(f3, _mm256_loadu_ps(y + 24), _mm256_mul_ps(f2, _mm256_loadu_ps(y + 16)));
}

/* Sums of 16 activations (8 lanes each): elements 0..15 and 16..31. */
static inline void avx2_fsum32(const float *y, __m256 *lo, __m256 *hi)
{
    *lo = _mm256_add_ps(_mm256_loadu_ps(y), _mm256_loadu_ps(y + 8));
    *hi = _mm256_add_ps(_mm256_loadu_ps(y + 16), _mm256_loadu_ps(y + 24));
}

/* Symmetric 32-blocks: acc += d * sum((code - offset) * y). */
static inline __m256 avx2_fdot_symmetric(__m256i signed_codes, float d, const float *y, __m256 acc)
{
    __m256 lo, hi;
    avx2_fdot32(signed_codes, y, &lo, &hi);
    return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_add_ps(lo, hi), acc);
}

/* Affine: acc += d * sum(code * y) + m * sum(y) (m carries its sign). */
static inline __m256 avx2_fdot_affine(__m256i codes, float d, float m, const float *y, __m256 acc)
{
    __m256 lo, hi, slo, shi;
    avx2_fdot32(codes, y, &lo, &hi);
    avx2_fsum32(y, &slo, &shi);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_add_ps(lo, hi), acc);
    return _mm256_fmadd_ps(_mm256_set1_ps(m), _mm256_add_ps(slo, shi), acc);
}

void quant_avx2_fdot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK8_0; b++)
        acc = avx2_fdot_symmetric(_mm256_loadu_si256((const __m256i *)x[b].qs), avx2_f16(x[b].d), y + 32 * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const __m256i codes = _mm256_sub_epi8(avx2_nibbles(x[b].qs), _mm256_set1_epi8(8));
        acc = avx2_fdot_symmetric(codes, avx2_f16(x[b].d), y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const __m256i high = _mm256_andnot_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8((char)0xF0));
        acc = avx2_fdot_symmetric(_mm256_or_si256(avx2_nibbles(x[b].qs), high), avx2_f16(x[b].d), y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q4_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_1 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK4_1; b++)
        acc = avx2_fdot_affine(avx2_nibbles(x[b].qs), avx2_f16(x[b].d), avx2_f16(x[b].m), y + 32 * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_1 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const __m256i high = _mm256_and_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8(16));
        acc = avx2_fdot_affine(_mm256_or_si256(avx2_nibbles(x[b].qs), high), avx2_f16(x[b].d), avx2_f16(x[b].m),
                               y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

/* Q4_K/Q5_K: sub-block s (32 elements): d*sc[s]*sum(q*y) - dmin*mn[s]*sum(y). */
static inline __m256 avx2_fdot_k4(const uint8_t *qs, const uint8_t *qh, const uint8_t packed[12], float d, float dmin,
                                  const float *y, __m256 acc)
{
    uint8_t sc[8], mn[8];
    quant_unpack_k4_scales(packed, sc, mn);
    const __m256i low4 = _mm256_set1_epi8(15);
    const __m256i bits = qh ? _mm256_loadu_si256((const __m256i *)qh) : _mm256_setzero_si256();
    for (int s = 0; s < 8; s++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * (s / 2)));
        __m256i codes = _mm256_and_si256((s & 1) ? _mm256_srli_epi16(raw, 4) : raw, low4);
        if (qh) {
            const __m256i bit = _mm256_set1_epi8((char)(1 << s));
            codes = _mm256_or_si256(codes, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bits, bit), bit),
                                                            _mm256_set1_epi8(16)));
        }
        acc = avx2_fdot_affine(codes, d * (float)sc[s], -dmin * (float)mn[s], y + 32 * s, acc);
    }
    return acc;
}

void quant_avx2_fdot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++)
        acc = avx2_fdot_k4(x[b].qs, NULL, x[b].scales, avx2_f16(x[b].d), avx2_f16(x[b].dmin), y + QK_K * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++)
        acc = avx2_fdot_k4(x[b].qs, x[b].qh, x[b].scales, avx2_f16(x[b].d), avx2_f16(x[b].dmin), y + QK_K * b, acc);
    *result = avx2_hsum(acc);
}

/* 16-sub-block types: chunk c (32 elements) holds sub-blocks 2c, 2c+1;
 * codes are signed (offset removed); mins (Q2_K) multiply sums of y. */
static inline __m256 avx2_fdot_sub16(const __m256i codes[8], const float scale[16], const float minv[16],
                                     const float *y, __m256 acc)
{
    for (int c = 0; c < 8; c++) {
        __m256 lo, hi;
        avx2_fdot32(codes[c], y + 32 * c, &lo, &hi);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[2 * c]), lo, acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[2 * c + 1]), hi, acc);
        if (minv) {
            __m256 slo, shi;
            avx2_fsum32(y + 32 * c, &slo, &shi);
            acc = _mm256_fnmadd_ps(_mm256_set1_ps(minv[2 * c]), slo, acc);
            acc = _mm256_fnmadd_ps(_mm256_set1_ps(minv[2 * c + 1]), shi, acc);
        }
    }
    return acc;
}

void quant_avx2_fdot_q2_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q2_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        float scale[16], minv[16];
        const float d = avx2_f16(x[b].d), dmin = avx2_f16(x[b].dmin);
        avx2_unpack_2bit(x[b].qs, codes);
        for (int s = 0; s < 16; s++) {
            scale[s] = d * (float)(x[b].scales[s] & 15);
            minv[s] = dmin * (float)(x[b].scales[s] >> 4);
        }
        acc = avx2_fdot_sub16(codes, scale, minv, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q3_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q3_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        int8_t sc[16];
        float scale[16];
        const float d = avx2_f16(x[b].d);
        avx2_unpack_2bit(x[b].qs, codes);
        __m256i hmask = _mm256_loadu_si256((const __m256i *)x[b].hmask);
        for (int c = 0; c < 8; c++) {
            const __m256i high = _mm256_and_si256(_mm256_slli_epi16(hmask, 2), _mm256_set1_epi8(4));
            codes[c] = _mm256_sub_epi8(_mm256_or_si256(codes[c], high), _mm256_set1_epi8(4));
            hmask = _mm256_srli_epi16(hmask, 1);
        }
        quant_unpack_q3_k_scales(x[b].scales, sc);
        for (int s = 0; s < 16; s++) scale[s] = d * (float)sc[s];
        acc = avx2_fdot_sub16(codes, scale, NULL, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q6_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q6_k *x = w;
    const float *y = a;
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4), offset = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        float scale[16];
        const float d = avx2_f16(x[b].d);
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[b].qh + 32 * h));
            codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
            codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
            codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
            codes[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
        }
        for (int c = 0; c < 8; c++) codes[c] = _mm256_sub_epi8(codes[c], offset);
        for (int s = 0; s < 16; s++) scale[s] = d * (float)x[b].scales[s];
        acc = avx2_fdot_sub16(codes, scale, NULL, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

#endif /* __x86_64__ */
