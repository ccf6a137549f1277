/*
 * forward_avx2.c — AVX2/FMA versions of the engine's own float loops
 * (attention on F32 or F16 keys/values, the sampler's sum of exponentials,
 * the prefill matmul tile of Q8_0 rows against 4 activations, the Q4_0/Q5_0
 * to Q8_0 repacking that feeds it). Compiled with -mavx2 -mfma (Makefile
 * rule for *_avx2.c); called only when the CPU has AVX2 (forward.c checks
 * quant_isa_supported at context creation).
 * Invariant: same result as the scalar loop up to float rounding (FMA).
 */
#if defined(__x86_64__)
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

/* out[i] = silu(gate[i]) * up[i], silu(x) = x * sigmoid(x). With
 * t = exp(-|x|) (exponent <= 0, the vector exp above): sigmoid(x) = 1 / (1 + t)
 * for x >= 0 and t / (1 + t) below, never overflowing. The n % 8 last
 * elements use the scalar expf form. */
void eng_silu_mul_avx2(const float *gate, const float *up, float *out, int n)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m256 t = exp_nonpositive(_mm256_or_ps(x, sign)); /* exp(-|x|) */
        const __m256 num = _mm256_blendv_ps(one, t, x);          /* sign bit of x set: t */
        const __m256 sigmoid = _mm256_div_ps(num, _mm256_add_ps(one, t));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(x, sigmoid), _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

/* The first index of the largest x[i], as the scalar loop "x[i] > x[best]"
 * picks it: NaNs are never chosen, except x[0], which nothing then beats. */
int32_t eng_argmax_avx2(const float *x, int n, float *max_out)
{
    float max = -INFINITY, lanes[8];
    int i = 0;
    if (n >= 8) {
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(_mm256_loadu_ps(x + i), vmax); /* a NaN load keeps vmax */
        _mm256_storeu_ps(lanes, vmax);
        for (int l = 0; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
    }
    for (; i < n; i++) max = x[i] > max ? x[i] : max;
    if (!(max > x[0])) { /* x[0] is the largest, or NaN */
        *max_out = x[0];
        return 0;
    }
    *max_out = max;
    const __m256 target = _mm256_set1_ps(max);
    for (i = 0; i + 8 <= n; i += 8) {
        int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), target, _CMP_EQ_OQ));
        if (mask) return i + __builtin_ctz((unsigned)mask);
    }
    for (; i < n && x[i] != max; i++) {
    }
    return i;
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

/* Rotary embedding of the first 2 * half dimensions of n_heads heads
 * (head_dim apart) by angles with cosines cosv[half] and sines sinv[half]:
 * pairs (2i, 2i + 1), or (i, i + half) for NeoX. Each element is
 * x0 * c - x1 * s or x0 * s + x1 * c, two products and one add as the
 * scalar loop (built without FMA contraction) does, so the bits are its.
 * half must be a multiple of 4 (pairs) or 8 (NeoX); callers check. */
void eng_rope_avx2(float *vec, int n_heads, int head_dim, int half, int neox, const float *cosv, const float *sinv)
{
    for (int h = 0; h < n_heads; h++) {
        float *v = vec + (size_t)h * head_dim;
        if (neox) {
            for (int i = 0; i < half; i += 8) {
                const __m256 x0 = _mm256_loadu_ps(v + i), x1 = _mm256_loadu_ps(v + half + i);
                const __m256 c = _mm256_loadu_ps(cosv + i), sn = _mm256_loadu_ps(sinv + i);
                _mm256_storeu_ps(v + i, _mm256_sub_ps(_mm256_mul_ps(x0, c), _mm256_mul_ps(x1, sn)));
                _mm256_storeu_ps(v + half + i, _mm256_add_ps(_mm256_mul_ps(x0, sn), _mm256_mul_ps(x1, c)));
            }
            continue;
        }
        const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
        for (int i = 0; i < half; i += 4) {
            const __m256 x = _mm256_loadu_ps(v + 2 * i);                /* x0 x1 of 4 pairs */
            const __m256 swapped = _mm256_permute_ps(x, 0xB1);           /* x1 x0 */
            const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(cosv + i)), dup);
            const __m256 sn = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(sinv + i)), dup);
            /* even lanes x0 * c - x1 * s, odd lanes x1 * c + x0 * s */
            _mm256_storeu_ps(v + 2 * i, _mm256_addsub_ps(_mm256_mul_ps(x, c), _mm256_mul_ps(swapped, sn)));
        }
    }
}

/* ---- attention of one query head over one kv head's cache ---------------------------------- */

/* Keys and values are read as F16 (the cache, widened on the fly) or F32
 * (a widened copy or an F32 cache) by the same code: widening F16 is exact,
 * so both give the same bits, and decode (F16 read directly) equals batched
 * prefill (widened once) bit for bit. */
/* The per-position and per-column loops below must be unrolled so their
 * accumulators live in registers (-O2 does not unroll them by itself). */
#define ATTN_UNROLL _Pragma("GCC unroll 8")

static inline __attribute__((always_inline)) __m256 attn_load8(const void *base, size_t i, int half)
{
    if (half) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)base + i)));
    return _mm256_loadu_ps((const float *)base + i);
}

/* Eight float vectors -> one, lane p = total of vector p (fixed order). */
static inline __m256 attn_reduce8(__m256 p0, __m256 p1, __m256 p2, __m256 p3, __m256 p4, __m256 p5, __m256 p6,
                                  __m256 p7)
{
    const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(p0, p1), _mm256_hadd_ps(p2, p3));
    const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(p4, p5), _mm256_hadd_ps(p6, p7));
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

static inline float attn_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* scores[g * n + t] = scale * q[g] . k[t] for the n_heads query heads g
 * (head_dim floats apart) and t < n. Eight positions at a time, each with
 * its own accumulator (independent FMA chains), reduced together; every
 * head of a GQA group is scored while the block of keys is in L1, so the
 * keys come from memory once and the group's arithmetic overlaps their
 * arrival. Each head's operations do not depend on n_heads. */
static inline __attribute__((always_inline)) void attn_scores(const float *q, int n_heads, const void *k,
                                                              const void *v, int n, int head_dim, float scale,
                                                              float *scores, int half)
{
    const __m256 vscale = _mm256_set1_ps(scale);
    const size_t row_bytes = (size_t)head_dim * (half ? 2 : 4);
    int t = 0;
    for (; t + 8 <= n; t += 8) {
        /* The cache comes from memory (the weights streamed since evicted
         * it): keys two blocks ahead, and this block's values for the pass
         * after softmax. Prefetches past the end are harmless hints. */
        for (size_t off = 0; off < 8 * row_bytes; off += 64) {
            _mm_prefetch((const char *)k + (size_t)(t + 16) * row_bytes + off, _MM_HINT_T0);
            _mm_prefetch((const char *)v + (size_t)t * row_bytes + off, _MM_HINT_T1);
        }
        for (int g = 0; g < n_heads; g++) {
            const float *qg = q + (size_t)g * head_dim;
            __m256 acc[8];
            ATTN_UNROLL
            for (int p = 0; p < 8; p++) acc[p] = _mm256_setzero_ps();
            for (int d = 0; d < head_dim; d += 8) {
                const __m256 qv = _mm256_loadu_ps(qg + d);
                ATTN_UNROLL
                for (int p = 0; p < 8; p++)
                    acc[p] = _mm256_fmadd_ps(attn_load8(k, (size_t)(t + p) * head_dim + d, half), qv, acc[p]);
            }
            __m256 sums = attn_reduce8(acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
            _mm256_storeu_ps(scores + (size_t)g * n + t, _mm256_mul_ps(sums, vscale));
        }
    }
    for (; t < n; t++)
        for (int g = 0; g < n_heads; g++) {
            const float *qg = q + (size_t)g * head_dim;
            __m256 acc = _mm256_setzero_ps();
            for (int d = 0; d < head_dim; d += 8)
                acc = _mm256_fmadd_ps(attn_load8(k, (size_t)t * head_dim + d, half), _mm256_loadu_ps(qg + d), acc);
            scores[(size_t)g * n + t] = attn_hsum(acc) * scale;
        }
}

/* scores[t] = exp(scores[t] - max) / sum for t < n. */
static void attn_softmax(float *scores, int n)
{
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    int t = 0;
    for (; t + 8 <= n; t += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(scores + t));
    float lanes[8], max;
    _mm256_storeu_ps(lanes, vmax);
    max = lanes[0];
    for (int l = 1; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
    for (; t < n; t++) max = scores[t] > max ? scores[t] : max;
    vmax = _mm256_set1_ps(max);
    __m256 vsum = _mm256_setzero_ps();
    for (t = 0; t + 8 <= n; t += 8) {
        __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(scores + t), vmax));
        _mm256_storeu_ps(scores + t, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = attn_hsum(vsum);
    for (; t < n; t++) {
        scores[t] = expf(scores[t] - max);
        sum += scores[t];
    }
    const __m256 vinv = _mm256_set1_ps(1.0f / sum);
    for (t = 0; t + 8 <= n; t += 8) _mm256_storeu_ps(scores + t, _mm256_mul_ps(_mm256_loadu_ps(scores + t), vinv));
    for (; t < n; t++) scores[t] *= 1.0f / sum;
}

/* out[d0 .. d0 + 8 * NJ) += sum over t in [t0, t1) of w[t] * v[t][d0 ..]
 * (out starts from zero when t0 == 0): NJ accumulators in registers over
 * the range. Reloading them between ranges is exact, so any split of the
 * positions gives the bits of one pass over all of them. */
static inline __attribute__((always_inline)) void attn_values_tile(const float *w, const void *v, int t0, int t1,
                                                                   int head_dim, int d0, float *out, int half,
                                                                   const int NJ)
{
    __m256 acc[8];
    ATTN_UNROLL
    for (int j = 0; j < NJ; j++) acc[j] = t0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + d0 + 8 * j);
    for (int t = t0; t < t1; t++) {
        const __m256 wt = _mm256_broadcast_ss(w + t);
        ATTN_UNROLL
        for (int j = 0; j < NJ; j++)
            acc[j] = _mm256_fmadd_ps(wt, attn_load8(v, (size_t)t * head_dim + d0 + 8 * j, half), acc[j]);
    }
    ATTN_UNROLL
    for (int j = 0; j < NJ; j++) _mm256_storeu_ps(out + d0 + 8 * j, acc[j]);
}

static inline __attribute__((always_inline)) void attn_values_range(const float *w, const void *v, int t0, int t1,
                                                                    int head_dim, float *out, int half)
{
    int d0 = 0;
    for (; d0 + 64 <= head_dim; d0 += 64) attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 8);
    switch ((head_dim - d0) / 8) {
    case 1: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 1); break;
    case 2: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 2); break;
    case 3: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 3); break;
    case 4: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 4); break;
    case 5: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 5); break;
    case 6: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 6); break;
    case 7: attn_values_tile(w, v, t0, t1, head_dim, d0, out, half, 7); break;
    default: break;
    }
}

/* Positions whose values (4 KiB of F16 at head_dim 64) stay in L1 while
 * every head of the group adds them in. */
enum { VALUE_BLOCK = 32 };

/* out[g] = sum over t < n of w[g * n + t] * v[t] for the n_heads heads. */
static inline __attribute__((always_inline)) void attn_values(const float *w, int n_heads, const void *v, int n,
                                                              int head_dim, float *out, int half)
{
    for (int t0 = 0; t0 < n; t0 += VALUE_BLOCK) {
        const int t1 = t0 + VALUE_BLOCK < n ? t0 + VALUE_BLOCK : n;
        for (int g = 0; g < n_heads; g++)
            attn_values_range(w + (size_t)g * n, v, t0, t1, head_dim, out + (size_t)g * head_dim, half);
    }
}

static inline __attribute__((always_inline)) void attend_heads(const float *q, int n_heads, const void *k,
                                                               const void *v, int n, int head_dim, float scale,
                                                               float *scores, float *out, int half)
{
    attn_scores(q, n_heads, k, v, n, head_dim, scale, scores, half);
    for (int g = 0; g < n_heads; g++) attn_softmax(scores + (size_t)g * n, n);
    attn_values(scores, n_heads, v, n, head_dim, out, half);
}

void eng_attend_f16_avx2(const float *q, const uint16_t *k, const uint16_t *v, int n, int head_dim, float scale,
                         float *scores, float *out)
{
    attend_heads(q, 1, k, v, n, head_dim, scale, scores, out, 1);
}

void eng_attend_f32_avx2(const float *q, const float *k, const float *v, int n, int head_dim, float scale,
                         float *scores, float *out)
{
    attend_heads(q, 1, k, v, n, head_dim, scale, scores, out, 0);
}

void eng_attend_heads_f16_avx2(const float *q, int n_heads, const uint16_t *k, const uint16_t *v, int n,
                               int head_dim, float scale, float *scores, float *out)
{
    attend_heads(q, n_heads, k, v, n, head_dim, scale, scores, out, 1);
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

#endif /* __x86_64__ */
