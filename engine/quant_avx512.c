/*
 * quant_avx512.c — AVX-512 (F/BW/VL/DQ) and AVX-512 VNNI kernels, compiled
 * with those flags only and selected at run time (quant.c).
 *
 * What: vec_dot for F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K;
 * every other entry (activation quantizers, Q2_K, Q3_K, BF16, dequantize,
 * quantize) is the AVX2 kernel, which every AVX-512 CPU runs.
 * Invariants:
 *  - a 512-bit vector holds two 32-element blocks (or one 64-element K-quant
 *    group); codes are unsigned (offsets removed exactly through sums of the
 *    activations), so one u8 x s8 primitive serves every type:
 *    maddubs + madd (AVX-512BW) in the avx512 table, vpdpbusd in the VNNI
 *    table. Both are exact integer sums (maddubs cannot saturate: codes < 64,
 *    |activation| <= 127; Q8_0 x Q8_0 uses |x| . sign-adjusted y), so results
 *    equal the scalar reference up to float summation order.
 *  - each kernel is one static inline body with a compile-time `vnni` flag,
 *    instantiated twice; no scalar integer loops here (they could be
 *    auto-vectorised with VNNI instructions into the non-VNNI table).
 *  - unaligned loads only.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "quant_kernels.h"
#if defined(QUANT_AVX512_EMULATION) /* tests/unit/test_quant_avx512_emulated.c only */
#include QUANT_AVX512_EMULATION
#endif

/* ---- helpers --------------------------------------------------------------------- */

/* sum over groups of 4 bytes of u8 x s8, 16 int32 lanes, added to acc. */
static inline __m512i avx512_dot_u8(__m512i acc, __m512i x_u8, __m512i y_s8, int vnni)
{
    if (vnni) return _mm512_dpbusd_epi32(acc, x_u8, y_s8);
    const __m512i pairs = _mm512_maddubs_epi16(x_u8, y_s8);
    return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
}

static inline float avx512_f16(quant_f16 h) { return _cvtsh_ss(h); }

/* Two 32-byte rows (two blocks' qs) as one 512-bit vector. */
static inline __m512i avx512_pair(const void *lo, const void *hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                              _mm256_loadu_si256((const __m256i *)hi), 1);
}

/* Nibbles of two 32-blocks: [lo0 hi0 | lo1 hi1], each 16 bytes. */
static inline __m512i avx512_nibbles_pair(const uint8_t *qs0, const uint8_t *qs1)
{
    const __m256i a = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs0));
    const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs1));
    const __m512i raw = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    const __m512i shift = _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4);
    return _mm512_and_si512(_mm512_srlv_epi64(raw, shift), _mm512_set1_epi8(15));
}

/* Scale of block 0 in lanes 0..7, block 1 in lanes 8..15. */
static inline __m512 avx512_scale_pair(float s0, float s1)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(s0)), _mm256_set1_ps(s1), 1);
}

/* Bit 4 of two Q5 blocks (qh words) as a 64-bit byte mask. */
static inline __mmask64 avx512_q5_mask(const uint8_t *qh0, const uint8_t *qh1)
{
    uint32_t a, b;
    memcpy(&a, qh0, 4);
    memcpy(&b, qh1, 4);
    return (__mmask64)a | (__mmask64)b << 32;
}

static inline float avx512_hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

/* Software prefetch 2 KiB ahead of the weight stream (as in quant_avx2.h). */
static inline void avx512_prefetch(const void *p, size_t bytes)
{
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch((const char *)p + 2048 + off, _MM_HINT_T0);
}

/* ---- F32 / F16 --------------------------------------------------------------------- */

void quant_avx512_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc0);
    }
    *result = avx512_hsum(_mm512_add_ps(acc0, acc1));
}

void quant_avx512_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i))), _mm512_loadu_ps(y + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16))), _mm512_loadu_ps(y + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 xv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i));
        acc0 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(m, y + i), acc0);
    }
    *result = avx512_hsum(_mm512_add_ps(acc0, acc1));
}

/* ---- 32-element block types (two blocks per vector) --------------------------------------- */

/* Signed x signed int8 dot of two blocks, 16 int32 lanes. VNNI: (x + 128) . y
 * - 128 * sum(y) (dpbusd accumulates in int32, no saturation); otherwise
 * |x| . (y * sign(x)) with maddubs (|x| <= 128, |y| <= 127: no saturation). */
static inline __m512i avx512_dot_i8(__m512i x, __m512i y, int vnni)
{
    if (vnni) {
        const __m512i bias = _mm512_set1_epi8((char)0x80);
        const __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(x, bias), y);
        return _mm512_sub_epi32(sum, _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, y));
    }
    const __m512i y_signed = _mm512_mask_sub_epi8(y, _mm512_movepi8_mask(x), _mm512_setzero_si512(), y);
    return avx512_dot_u8(_mm512_setzero_si512(), _mm512_abs_epi8(x), y_signed, 0);
}

static inline float avx512_q8_0_body(int64_t nb, const quant_block_q8_0 *x, const quant_block_q8_0 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        const __m512i ints = avx512_dot_i8(avx512_pair(x[b].qs, x[b + 1].qs), avx512_pair(y[b].qs, y[b + 1].qs), vnni);
        const __m512 s = avx512_scale_pair(avx512_f16(x[b].d) * avx512_f16(y[b].d), avx512_f16(x[b + 1].d) * avx512_f16(y[b + 1].d));
        acc = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(ints), acc);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q8_0(QK8_0, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

/* Unsigned codes minus a constant offset: codes . y - offset * sum(y). */
static inline __m512i avx512_offset_ints(__m512i codes, __m512i yq, __m512i offset, int vnni)
{
    const __m512i sum = avx512_dot_u8(_mm512_setzero_si512(), codes, yq, vnni);
    return _mm512_sub_epi32(sum, avx512_dot_u8(_mm512_setzero_si512(), offset, yq, vnni));
}

static inline float avx512_q4_0_body(int64_t nb, const quant_block_q4_0 *x, const quant_block_q8_0 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        const __m512i codes = avx512_nibbles_pair(x[b].qs, x[b + 1].qs);
        const __m512i yq = avx512_pair(y[b].qs, y[b + 1].qs);
        const __m512i ints = avx512_offset_ints(codes, yq, _mm512_set1_epi8(8), vnni);
        const __m512 s = avx512_scale_pair(avx512_f16(x[b].d) * avx512_f16(y[b].d), avx512_f16(x[b + 1].d) * avx512_f16(y[b + 1].d));
        acc = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(ints), acc);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q4_0(QK4_0, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

static inline float avx512_q5_0_body(int64_t nb, const quant_block_q5_0 *x, const quant_block_q8_0 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        const __mmask64 high = avx512_q5_mask(x[b].qh, x[b + 1].qh);
        const __m512i codes = _mm512_or_si512(avx512_nibbles_pair(x[b].qs, x[b + 1].qs),
                                              _mm512_maskz_mov_epi8(high, _mm512_set1_epi8(16)));
        const __m512i yq = avx512_pair(y[b].qs, y[b + 1].qs);
        const __m512i ints = avx512_offset_ints(codes, yq, _mm512_set1_epi8(16), vnni);
        const __m512 s = avx512_scale_pair(avx512_f16(x[b].d) * avx512_f16(y[b].d), avx512_f16(x[b + 1].d) * avx512_f16(y[b + 1].d));
        acc = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(ints), acc);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q5_0(QK5_0, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

/* Affine pair: d*dy*(codes . y) + m*dy*sum(y). */
static inline void avx512_affine_pair(__m512i codes, float d0, float m0, float d1, float m1,
                                      const quant_block_q8_1 *y, __m512 *acc, int vnni)
{
    const __m512i yq = avx512_pair(y[0].qs, y[1].qs);
    const __m512i ints = avx512_dot_u8(_mm512_setzero_si512(), codes, yq, vnni);
    const __m512i sum_y = avx512_dot_u8(_mm512_setzero_si512(), _mm512_set1_epi8(1), yq, vnni);
    const float dy0 = avx512_f16(y[0].d), dy1 = avx512_f16(y[1].d);
    *acc = _mm512_fmadd_ps(avx512_scale_pair(d0 * dy0, d1 * dy1), _mm512_cvtepi32_ps(ints), *acc);
    *acc = _mm512_fmadd_ps(avx512_scale_pair(m0 * dy0, m1 * dy1), _mm512_cvtepi32_ps(sum_y), *acc);
}

static inline float avx512_q4_1_body(int64_t nb, const quant_block_q4_1 *x, const quant_block_q8_1 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        avx512_affine_pair(avx512_nibbles_pair(x[b].qs, x[b + 1].qs), avx512_f16(x[b].d), avx512_f16(x[b].m),
                           avx512_f16(x[b + 1].d), avx512_f16(x[b + 1].m), y + b, &acc, vnni);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q4_1(QK4_1, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

static inline float avx512_q5_1_body(int64_t nb, const quant_block_q5_1 *x, const quant_block_q8_1 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        const __mmask64 high = avx512_q5_mask(x[b].qh, x[b + 1].qh);
        const __m512i codes = _mm512_or_si512(avx512_nibbles_pair(x[b].qs, x[b + 1].qs),
                                              _mm512_maskz_mov_epi8(high, _mm512_set1_epi8(16)));
        avx512_affine_pair(codes, avx512_f16(x[b].d), avx512_f16(x[b].m), avx512_f16(x[b + 1].d),
                           avx512_f16(x[b + 1].m), y + b, &acc, vnni);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q5_1(QK5_1, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

/* ---- K-quants ------------------------------------------------------------------------------ */

/* Q4_K/Q5_K scales (bytes 0..7) and mins (bytes 8..15); layout: quant_kernels.h. */
static inline __m128i avx512_k4_scales(const uint8_t packed[12])
{
    uint32_t w[3];
    memcpy(w, packed, sizeof w);
    const uint32_t sc_lo = w[0] & 0x3f3f3f3f, mn_lo = w[1] & 0x3f3f3f3f;
    const uint32_t sc_hi = (w[2] & 0x0f0f0f0f) | ((w[0] >> 2) & 0x30303030);
    const uint32_t mn_hi = ((w[2] >> 4) & 0x0f0f0f0f) | ((w[1] >> 2) & 0x30303030);
    return _mm_setr_epi32((int)sc_lo, (int)sc_hi, (int)mn_lo, (int)mn_hi);
}

static inline int avx512_hsum_epi32_256(__m256i v)
{
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* sum_s mins[s] * (bsums[2s] + bsums[2s+1]), reduced to one integer. */
static inline int avx512_k4_mins(__m128i scales_mins, const int16_t *bsums)
{
    const __m128i dup = _mm_shuffle_epi8(scales_mins, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
    return avx512_hsum_epi32_256(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bsums), _mm256_cvtepu8_epi16(dup)));
}

/* Per 64-element group g: 32 lo codes (sub-block 2g) then 32 hi codes (2g+1).
 * scales16: the 8 scales as int16 (lanes 0..7); scales32: as int32 (lanes 0..7). */
static inline __m512i avx512_k4_group(__m512i codes, const int8_t *yq, __m512i scales16, __m512i scales32, int g,
                                      int vnni)
{
    const __m512i yv = _mm512_loadu_si512((const void *)yq);
    if (vnni) {
        /* int32 lanes 0..7 sum lo codes (sub-block 2g), lanes 8..15 hi codes (2g+1) */
        const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(2 * g),
                                             _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes, yv);
        return _mm512_mullo_epi32(sums, _mm512_permutexvar_epi32(idx, scales32));
    }
    /* int16 product lanes 0..15: sub-block 2g, 16..31: 2g+1 */
    const __m512i idx = _mm512_add_epi16(_mm512_set1_epi16((short)(2 * g)),
                                         _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(1), 1));
    return _mm512_madd_epi16(_mm512_maddubs_epi16(codes, yv), _mm512_permutexvar_epi16(idx, scales16));
}

static inline __m512i avx512_k4_codes(const uint8_t *qs32)
{
    const __m256i raw = _mm256_loadu_si256((const __m256i *)qs32);
    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(raw), _mm256_srli_epi16(raw, 4), 1);
    return _mm512_and_si512(both, _mm512_set1_epi8(15));
}

static inline float avx512_k45_body(int64_t nb, const void *w, const quant_block_q8_k *y, int q5, int vnni)
{
    const quant_block_q4_k *x4 = w;
    const quant_block_q5_k *x5 = w;
    __m512 acc = _mm512_setzero_ps();
    float mins_total = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        avx512_prefetch(q5 ? (const void *)(x5 + b) : (const void *)(x4 + b), q5 ? sizeof(*x5) : sizeof(*x4));
        const uint8_t *packed = q5 ? x5[b].scales : x4[b].scales;
        const uint8_t *qs = q5 ? x5[b].qs : x4[b].qs;
        const float d = avx512_f16(q5 ? x5[b].d : x4[b].d), dmin = avx512_f16(q5 ? x5[b].dmin : x4[b].dmin);
        const __m128i scales_mins = avx512_k4_scales(packed);
        const __m512i scales16 = _mm512_zextsi256_si512(_mm256_cvtepu8_epi16(scales_mins));
        const __m512i scales32 = _mm512_cvtepu8_epi32(scales_mins);
        __m512i high = _mm512_setzero_si512();
        if (q5) {
            const __m256i qh = _mm256_loadu_si256((const __m256i *)x5[b].qh);
            high = _mm512_inserti64x4(_mm512_castsi256_si512(qh), qh, 1);
        }
        __m512i sumi = _mm512_setzero_si512();
        for (int g = 0; g < 4; g++) {
            __m512i codes = avx512_k4_codes(qs + 32 * g);
            if (q5) {
                /* bit 2g of qh[l] for the lo half, bit 2g+1 for the hi half */
                const __m512i bits = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (2 * g))),
                                                        _mm256_set1_epi8((char)(2 << (2 * g))), 1);
                codes = _mm512_or_si512(codes, _mm512_maskz_mov_epi8(_mm512_test_epi8_mask(high, bits), _mm512_set1_epi8(16)));
            }
            sumi = _mm512_add_epi32(sumi, avx512_k4_group(codes, y[b].qs + 64 * g, scales16, scales32, g, vnni));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(y[b].d * d), _mm512_cvtepi32_ps(sumi), acc);
        mins_total += y[b].d * dmin * (float)avx512_k4_mins(scales_mins, y[b].bsums);
    }
    return avx512_hsum(acc) - mins_total;
}

/* Q6_K: codes of chunks c, c+1 (64 elements) in one vector; int16 product
 * lanes 8j..8j+7 belong to sub-block 2c + j. */
static inline float avx512_q6_k_body(int64_t nb, const quant_block_q6_k *x, const quant_block_q8_k *y, int vnni)
{
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        avx512_prefetch(x + b, sizeof(*x));
        const __m512i scales16 = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x[b].scales)));
        __m512i sumi = _mm512_setzero_si512();
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[b].qh + 32 * h));
            const __m256i c0 = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
            const __m256i c1 = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
            const __m256i c2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
            const __m256i c3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
            const __m512i pairs[2] = { _mm512_inserti64x4(_mm512_castsi256_si512(c0), c1, 1),
                                       _mm512_inserti64x4(_mm512_castsi256_si512(c2), c3, 1) };
            for (int p = 0; p < 2; p++) {
                const int c = 4 * h + 2 * p; /* first chunk of the pair */
                const __m512i yv = _mm512_loadu_si512((const void *)(y[b].qs + 32 * c));
                /* sub-block of int16 lane i (0..31) is 2c + i/8 */
                const __m512i lane_sub = _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2,
                                                          1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
                const __m512i sel = _mm512_add_epi16(lane_sub, _mm512_set1_epi16((short)(2 * c)));
                const __m512i sc = _mm512_permutexvar_epi16(sel, scales16);
                if (vnni) {
                    /* int32 lane i covers int16 lanes 2i, 2i+1: sub-block 2c + i/4 */
                    const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), pairs[p], yv);
                    const __m512i sc32 = _mm512_srai_epi32(_mm512_slli_epi32(sc, 16), 16);
                    sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(sums, sc32));
                } else {
                    sumi = _mm512_add_epi32(sumi, _mm512_madd_epi16(_mm512_maddubs_epi16(pairs[p], yv), sc));
                }
            }
        }
        /* codes are q + 32: remove 32 * scale * bsum */
        const __m256i off = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y[b].bsums),
                                              _mm512_castsi512_si256(scales16));
        const __m512i total = _mm512_sub_epi32(sumi, _mm512_slli_epi32(_mm512_zextsi256_si512(off), 5));
        acc = _mm512_fmadd_ps(_mm512_set1_ps(y[b].d * avx512_f16(x[b].d)), _mm512_cvtepi32_ps(total), acc);
    }
    return avx512_hsum(acc);
}

/* ---- instantiations and tables -------------------------------------------------------------- */

#define AVX512_INSTANCES(t, body, wtype, atype, qk)                                                   \
    void quant_avx512_dot_##t(int64_t n, float *result, const void *w, const void *a)                 \
    {                                                                                                 \
        *result = body(n / (qk), (const wtype *)w, (const atype *)a, 0);                              \
    }                                                                                                 \
    static void quant_avx512_vnni_dot_##t(int64_t n, float *result, const void *w, const void *a)     \
    {                                                                                                 \
        *result = body(n / (qk), (const wtype *)w, (const atype *)a, 1);                              \
    }

AVX512_INSTANCES(q8_0, avx512_q8_0_body, quant_block_q8_0, quant_block_q8_0, QK8_0)
AVX512_INSTANCES(q4_0, avx512_q4_0_body, quant_block_q4_0, quant_block_q8_0, QK4_0)
AVX512_INSTANCES(q5_0, avx512_q5_0_body, quant_block_q5_0, quant_block_q8_0, QK5_0)
AVX512_INSTANCES(q4_1, avx512_q4_1_body, quant_block_q4_1, quant_block_q8_1, QK4_1)
AVX512_INSTANCES(q5_1, avx512_q5_1_body, quant_block_q5_1, quant_block_q8_1, QK5_1)
AVX512_INSTANCES(q6_k, avx512_q6_k_body, quant_block_q6_k, quant_block_q8_k, QK_K)

void quant_avx512_dot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx512_k45_body(n / QK_K, w, a, 0, 0);
}

static void quant_avx512_vnni_dot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx512_k45_body(n / QK_K, w, a, 0, 1);
}

void quant_avx512_dot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx512_k45_body(n / QK_K, w, a, 1, 0);
}

static void quant_avx512_vnni_dot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    *result = avx512_k45_body(n / QK_K, w, a, 1, 1);
}

#define AVX512_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
/* Entries shared by both tables: AVX2 kernels for what AVX-512 does not specialise. */
#define AVX512_COMMON_ENTRIES                                                                                   \
    AVX512_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_avx512_dot_f32, quant_avx512_dot_f32),             \
    AVX512_ENTRY(F16, quant_avx2_dequantize_f16, quant_avx2_quantize_f16, quant_avx512_dot_f16, quant_avx512_dot_f16),                 \
    AVX512_ENTRY(BF16, quant_scalar_dequantize_bf16, quant_scalar_quantize_bf16, quant_avx2_dot_bf16, quant_avx2_dot_bf16),           \
    AVX512_ENTRY(Q8_1, quant_scalar_dequantize_q8_1, quant_avx2_quantize_q8_1, NULL, NULL),                           \
    AVX512_ENTRY(Q8_K, quant_scalar_dequantize_q8_k, quant_avx2_quantize_q8_k, NULL, NULL),                           \
    AVX512_ENTRY(Q2_K, quant_scalar_dequantize_q2_k, quant_scalar_quantize_q2_k, quant_avx2_dot_q2_k, quant_avx2_fdot_q2_k),           \
    AVX512_ENTRY(Q3_K, quant_scalar_dequantize_q3_k, quant_scalar_quantize_q3_k, quant_avx2_dot_q3_k, quant_avx2_fdot_q3_k)

#define AVX512_QUANT_ENTRIES(prefix)                                                                             \
    AVX512_ENTRY(Q4_0, quant_scalar_dequantize_q4_0, quant_scalar_quantize_q4_0, prefix##_dot_q4_0, quant_avx2_fdot_q4_0),             \
    AVX512_ENTRY(Q4_1, quant_scalar_dequantize_q4_1, quant_scalar_quantize_q4_1, prefix##_dot_q4_1, quant_avx2_fdot_q4_1),             \
    AVX512_ENTRY(Q5_0, quant_scalar_dequantize_q5_0, quant_scalar_quantize_q5_0, prefix##_dot_q5_0, quant_avx2_fdot_q5_0),             \
    AVX512_ENTRY(Q5_1, quant_scalar_dequantize_q5_1, quant_scalar_quantize_q5_1, prefix##_dot_q5_1, quant_avx2_fdot_q5_1),             \
    AVX512_ENTRY(Q8_0, quant_scalar_dequantize_q8_0, quant_avx2_quantize_q8_0, prefix##_dot_q8_0, quant_avx2_fdot_q8_0),               \
    AVX512_ENTRY(Q4_K, quant_scalar_dequantize_q4_k, quant_scalar_quantize_q4_k, prefix##_dot_q4_k, quant_avx2_fdot_q4_k),             \
    AVX512_ENTRY(Q5_K, quant_scalar_dequantize_q5_k, quant_scalar_quantize_q5_k, prefix##_dot_q5_k, quant_avx2_fdot_q5_k),             \
    AVX512_ENTRY(Q6_K, quant_scalar_dequantize_q6_k, quant_scalar_quantize_q6_k, prefix##_dot_q6_k, quant_avx2_fdot_q6_k)

const quant_traits quant_table_avx512[SLM_TYPE_COUNT] = {
    AVX512_COMMON_ENTRIES,
    AVX512_QUANT_ENTRIES(quant_avx512),
};

const quant_traits quant_table_avx512_vnni[SLM_TYPE_COUNT] = {
    AVX512_COMMON_ENTRIES,
    AVX512_QUANT_ENTRIES(quant_avx512_vnni),
};
#endif /* __x86_64__ */
