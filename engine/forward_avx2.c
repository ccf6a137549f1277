/*
 * forward_avx2.c — AVX2/FMA versions of the engine's own float loops
 * (attention on F32 or F16 keys/values, the sampler's sum of exponentials,
 * the prefill matmul tile of Q8_0 rows against 4 activations, the Q4_0/Q5_0
 * to Q8_0 repacking that feeds it). Compiled with -mavx2 -mfma (Makefile
 * rule for *_avx2.c); called only when the CPU has AVX2 (forward.c checks
 * quant_isa_supported at context creation).
 * Invariant: same result as the scalar loop up to float rounding (FMA).
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "forward_simd.h"

void eng_axpy_avx2(float *y, float a, const float *x, int n)
{
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

/* exp(v) for v <= 0 (clamped at -87, where it underflows to ~1e-38):
 * exp(v) = 2^k * exp(r), k = round(v / ln 2), |r| <= ln2 / 2, exp(r) by a
 * degree-6 Taylor polynomial (relative error < 2e-7 on that interval). */
static __m256 exp_nonpositive(__m256 v)
{
    const __m256 ln2_hi = _mm256_set1_ps(0.693359375f), ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
    v = _mm256_max_ps(v, _mm256_set1_ps(-87.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.44269504f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, ln2_hi, v);
    r = _mm256_fnmadd_ps(k, ln2_lo, r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

double eng_sum_exp_avx2(const float *x, int n, float max)
{
    __m256 vmax = _mm256_set1_ps(max), acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_add_ps(acc, exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax)));
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    double sum = 0.0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; i < n; i++) sum += expf(x[i] - max);
    return sum;
}

float eng_dot_f16_avx2(const uint16_t *x, const float *y, int n)
{
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        acc = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y + i), acc);
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += _cvtsh_ss(x[i]) * y[i];
    return sum;
}

void eng_axpy_f16_avx2(float *y, float a, const uint16_t *x, int n)
{
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, xv, _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * _cvtsh_ss(x[i]);
}

/* Same accumulation order as eng_dot_f16_avx2, so attention on a widened F16
 * cache and attention straight on it give bit-identical scores. */
float eng_dot_f32_avx2(const float *x, const float *y, int n)
{
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += x[i] * y[i];
    return sum;
}

/* ---- prefill matmul tile: one Q8_0 weight row . up to 4 Q8_0 activation rows ---- */

/* Q8_0 block: f16 d, then 32 int8 codes (quant_kernels.h). */
enum { Q8_0_BLOCK_BYTES = 34 };

static inline __m256i q8_block(const uint8_t *blocks, int b)
{
    return _mm256_loadu_si256((const __m256i *)(blocks + (size_t)b * Q8_0_BLOCK_BYTES + 2));
}

/* Eight int32 partial sums of one block: |w| . (a signed by w), exactly as
 * the Q8_0 vec_dot forms them. */
static inline __m256i q8_pair(__m256i abs_w, __m256i w, __m256i a)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_w, _mm256_sign_epi8(a, w)), _mm256_set1_epi16(1));
}

/* The operations of the Q8_0 vec_dot, per activation: blocks in groups of
 * 8 whose scale products dw * da are formed by one vector multiply, even
 * blocks into one accumulator and odd ones into another, the remainder into
 * the first, then one horizontal sum; so a batch's results equal decode's
 * bit for bit. Each weight block is loaded and its |w| formed once for all K
 * activations. */
static inline __attribute__((always_inline)) void
q8_tile(int nb, const uint8_t *w, const float *ws, const uint8_t *a, size_t a_stride, const float *as,
        size_t as_stride, float *out, size_t out_stride, const int K)
{
    __m256 acc0[4], acc1[4];
    float scale[4][8];
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) acc0[k] = acc1[k] = _mm256_setzero_ps();
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        const __m256 dw = _mm256_loadu_ps(ws + b);
#pragma GCC unroll 4
        for (int k = 0; k < K; k++)
            _mm256_storeu_ps(scale[k], _mm256_mul_ps(dw, _mm256_loadu_ps(as + (size_t)k * as_stride + b)));
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m256i wj = q8_block(w, b + j), uj = _mm256_abs_epi8(wj);
#pragma GCC unroll 4
            for (int k = 0; k < K; k++) {
                const __m256 p = _mm256_cvtepi32_ps(q8_pair(uj, wj, q8_block(a + (size_t)k * a_stride, b + j)));
                if (j % 2 == 0) acc0[k] = _mm256_fmadd_ps(_mm256_set1_ps(scale[k][j]), p, acc0[k]);
                else acc1[k] = _mm256_fmadd_ps(_mm256_set1_ps(scale[k][j]), p, acc1[k]);
            }
        }
    }
    for (; b < nb; b++) {
        const __m256i w0 = q8_block(w, b), u0 = _mm256_abs_epi8(w0);
#pragma GCC unroll 4
        for (int k = 0; k < K; k++) {
            const __m256i p = q8_pair(u0, w0, q8_block(a + (size_t)k * a_stride, b));
            const __m256 s = _mm256_set1_ps(ws[b] * as[(size_t)k * as_stride + b]);
            acc0[k] = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(p), acc0[k]);
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) {
        const __m256 t = _mm256_add_ps(acc0[k], acc1[k]);
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        out[(size_t)k * out_stride] = _mm_cvtss_f32(s);
    }
}

void eng_q8_0_tile_avx2(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                        const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                        float *out, size_t out_stride)
{
    switch (n_acts) {
    case 1: q8_tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 1); break;
    case 2: q8_tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 2); break;
    case 3: q8_tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 3); break;
    default: q8_tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 4); break;
    }
}

/* Q5_0 block (f16 d, u32 qh, qs[16]) -> Q8_0 block (f16 d, int8 code - 16):
 * the nibbles of qs in two halves, bit j of qh spread to byte j by a
 * shuffle/compare, or-ed in as bit 4. Exact. */
void eng_repack_q5_0_as_q8_0_avx2(const uint8_t *x, uint8_t *y, int64_t n_blocks)
{
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m128i low4 = _mm_set1_epi8(15);
    for (int64_t b = 0; b < n_blocks; b++, x += 22, y += 34) {
        uint32_t qh;
        memcpy(&qh, x + 2, sizeof qh);
        const __m256i bits = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), spread);
        const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bits, bit), bit),
                                              _mm256_set1_epi8(16));
        const __m128i qs = _mm_loadu_si128((const __m128i *)(x + 6));
        const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(qs, 4), low4), _mm_and_si128(qs, low4));
        const __m256i codes = _mm256_sub_epi8(_mm256_or_si256(nibbles, high), _mm256_set1_epi8(16));
        memcpy(y, x, 2);
        _mm256_storeu_si256((__m256i *)(y + 2), codes);
    }
}

/* Q4_0 block (f16 d, qs[16]: element j low nibble, j + 16 high) -> Q8_0
 * block (f16 d, int8 code - 8). Exact. */
void eng_repack_q4_0_as_q8_0_avx2(const uint8_t *x, uint8_t *y, int64_t n_blocks)
{
    const __m128i low4 = _mm_set1_epi8(15);
    for (int64_t b = 0; b < n_blocks; b++, x += 18, y += 34) {
        const __m128i qs = _mm_loadu_si128((const __m128i *)(x + 2));
        const __m256i nibbles = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(qs, 4), low4), _mm_and_si128(qs, low4));
        memcpy(y, x, 2);
        _mm256_storeu_si256((__m256i *)(y + 2), _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8)));
    }
}
