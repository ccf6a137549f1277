/*
 * quant_neon.c — AArch64 NEON kernels (baseline ARMv8-A Advanced SIMD, no
 * dot-product extension needed), selected at run time by quant.c on aarch64.
 *
 * What: vec_dot for F32, F16, Q8_0, Q4_0, Q4_K, Q6_K and the Q8_0 and Q8_K
 * activation quantizers; every other entry is the scalar kernel.
 * Invariants: the quantized dots sum exact int8 x int8 products per block
 * (vmull_s8 into int16, pairwise-added into int32) before scaling, so they
 * equal the scalar reference up to float summation order; the Q8_0
 * quantizer rounds to nearest even like the scalar one (vcvtnq) and
 * produces the same bytes.
 */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>
#include "quant_kernels.h"

static inline float neon_f16(quant_f16 h) { return quant_f16_to_f32(h); }

/* sum of x[i] * y[i] for 16 int8 pairs, as 4 int32 lanes added to acc. */
static inline int32x4_t neon_dot16(int32x4_t acc, int8x16_t x, int8x16_t y)
{
    const int16x8_t lo = vmull_s8(vget_low_s8(x), vget_low_s8(y));
    const int16x8_t hi = vmull_s8(vget_high_s8(x), vget_high_s8(y));
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}

void quant_neon_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = vfmaq_f32(acc0, vld1q_f32(x + i), vld1q_f32(y + i));
        acc1 = vfmaq_f32(acc1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
        acc2 = vfmaq_f32(acc2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
        acc3 = vfmaq_f32(acc3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
    }
    float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
    for (; i < n; i++) sum += x[i] * y[i];
    *result = sum;
}

void quant_neon_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t bits = vld1q_u16(x + i);
        const float16x8_t h = vreinterpretq_f16_u16(bits);
        acc0 = vfmaq_f32(acc0, vcvt_f32_f16(vget_low_f16(h)), vld1q_f32(y + i));
        acc1 = vfmaq_f32(acc1, vcvt_f32_f16(vget_high_f16(h)), vld1q_f32(y + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
    for (; i < n; i++) sum += neon_f16(x[i]) * y[i];
    *result = sum;
}

void quant_neon_dot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w, *y = a;
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int32x4_t sum = vdupq_n_s32(0);
        sum = neon_dot16(sum, vld1q_s8(x[b].qs), vld1q_s8(y[b].qs));
        sum = neon_dot16(sum, vld1q_s8(x[b].qs + 16), vld1q_s8(y[b].qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sum), neon_f16(x[b].d) * neon_f16(y[b].d));
    }
    *result = vaddvq_f32(acc);
}

void quant_neon_dot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_0 *x = w;
    const quant_block_q8_0 *y = a;
    const uint8x16_t low4 = vdupq_n_u8(15);
    const int8x16_t eight = vdupq_n_s8(8);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const uint8x16_t raw = vld1q_u8(x[b].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, low4)), eight);  /* elements 0..15 */
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), eight);   /* elements 16..31 */
        int32x4_t sum = vdupq_n_s32(0);
        sum = neon_dot16(sum, lo, vld1q_s8(y[b].qs));
        sum = neon_dot16(sum, hi, vld1q_s8(y[b].qs + 16));
        acc = vfmaq_n_f32(acc, vcvtq_f32_s32(sum), neon_f16(x[b].d) * neon_f16(y[b].d));
    }
    *result = vaddvq_f32(acc);
}

/* Same operations as the scalar quantizer: amax, f16-rounded d, 1/d, multiply,
 * round to nearest even, clamp to +-127. */
void quant_neon_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    quant_block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float *x = src + 32 * b;
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int j = 0; j < 32; j += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + j)));
        const quant_f16 dh = quant_f32_to_f16(vmaxvq_f32(m) / 127.0f);
        const float d = neon_f16(dh);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < 32; j += 8) {
            const int32x4_t q0 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j), id));
            const int32x4_t q1 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 4), id));
            const int16x8_t q16 = vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1));
            const int8x8_t q8 = vmax_s8(vqmovn_s16(q16), vdup_n_s8(-127));
            vst1_s8(y[b].qs + j, q8);
        }
        y[b].d = dh;
    }
}

/* Horizontal int32 sum of one 16-byte int8 dot. */
static inline int neon_dot16_sum(int8x16_t x, int8x16_t y) { return vaddvq_s32(neon_dot16(vdupq_n_s32(0), x, y)); }

void quant_neon_dot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_k *x = w;
    const quant_block_q8_k *y = a;
    const uint8x16_t low4 = vdupq_n_u8(15);
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        uint8_t sc[8], mn[8];
        quant_unpack_k4_scales(x[b].scales, sc, mn);
        int sumi = 0, summ = 0;
        for (int s = 0; s < 8; s++) summ += mn[s] * (y[b].bsums[2 * s] + y[b].bsums[2 * s + 1]);
        for (int g = 0; g < 4; g++) {
            const int8_t *yq = y[b].qs + 64 * g;
            int lo = 0, hi = 0;
            for (int half = 0; half < 2; half++) {
                const uint8x16_t raw = vld1q_u8(x[b].qs + 32 * g + 16 * half);
                lo += neon_dot16_sum(vreinterpretq_s8_u8(vandq_u8(raw, low4)), vld1q_s8(yq + 16 * half));
                hi += neon_dot16_sum(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vld1q_s8(yq + 32 + 16 * half));
            }
            sumi += sc[2 * g] * lo + sc[2 * g + 1] * hi;
        }
        sum += y[b].d * (neon_f16(x[b].d) * (float)sumi - neon_f16(x[b].dmin) * (float)summ);
    }
    *result = sum;
}

/* Q6_K codes minus 32 for 16 elements: low nibbles (shifted by lshift) and
 * 2 high bits at hshift of qh. */
static inline int8x16_t neon_q6_codes(uint8x16_t ql, int high_nibble, uint8x16_t qh, int hshift)
{
    const uint8x16_t low = high_nibble ? vshrq_n_u8(ql, 4) : vandq_u8(ql, vdupq_n_u8(15));
    const uint8x16_t high = vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)-hshift)), vdupq_n_u8(3));
    const uint8x16_t code = vorrq_u8(low, vshlq_n_u8(high, 4));
    return vsubq_s8(vreinterpretq_s8_u8(code), vdupq_n_s8(32));
}

void quant_neon_dot_q6_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q6_k *x = w;
    const quant_block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        int sumi = 0;
        /* element i = 128h + 32k + l, l = 16 * half + j: sub-block i / 16 */
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                for (int half = 0; half < 2; half++) {
                    const uint8x16_t ql = vld1q_u8(x[b].ql + 64 * h + 32 * (k & 1) + 16 * half);
                    const uint8x16_t qh = vld1q_u8(x[b].qh + 32 * h + 16 * half);
                    const int s = 8 * h + 2 * k + half;
                    const int8x16_t codes = neon_q6_codes(ql, k >> 1, qh, 2 * k);
                    sumi += x[b].scales[s] * neon_dot16_sum(codes, vld1q_s8(y[b].qs + 16 * s));
                }
            }
        }
        sum += y[b].d * neon_f16(x[b].d) * (float)sumi;
    }
    *result = sum;
}

/* Same operations as the scalar Q8_K quantizer (float scale amax/127). */
void quant_neon_quantize_q8_k(const float *src, void *dst, int64_t n)
{
    quant_block_q8_k *y = dst;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float *x = src + QK_K * b;
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int j = 0; j < QK_K; j += 4) m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + j)));
        const float d = vmaxvq_f32(m) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = d;
        for (int j = 0; j < QK_K; j += 16) {
            int16x8_t q16[2];
            for (int h = 0; h < 2; h++) {
                const int32x4_t q0 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 8 * h), id));
                const int32x4_t q1 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + j + 8 * h + 4), id));
                q16[h] = vcombine_s16(vqmovn_s32(q0), vqmovn_s32(q1));
            }
            const int8x16_t q8 = vmaxq_s8(vcombine_s8(vqmovn_s16(q16[0]), vqmovn_s16(q16[1])), vdupq_n_s8(-127));
            vst1q_s8(y[b].qs + j, q8);
            y[b].bsums[j / 16] = (int16_t)vaddlvq_s8(q8);
        }
    }
}

#define NEON_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
#define NEON_SCALAR(T, t) \
    NEON_ENTRY(T, quant_scalar_dequantize_##t, quant_scalar_quantize_##t, quant_scalar_dot_##t, quant_scalar_fdot_##t)

const quant_traits quant_table_neon[SLM_TYPE_COUNT] = {
    NEON_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_neon_dot_f32, quant_neon_dot_f32),
    NEON_ENTRY(F16, quant_scalar_dequantize_f16, quant_scalar_quantize_f16, quant_neon_dot_f16, quant_neon_dot_f16),
    NEON_ENTRY(BF16, quant_scalar_dequantize_bf16, quant_scalar_quantize_bf16, quant_scalar_dot_bf16, quant_scalar_dot_bf16),
    NEON_ENTRY(Q4_0, quant_scalar_dequantize_q4_0, quant_scalar_quantize_q4_0, quant_neon_dot_q4_0, quant_scalar_fdot_q4_0),
    NEON_ENTRY(Q8_0, quant_scalar_dequantize_q8_0, quant_neon_quantize_q8_0, quant_neon_dot_q8_0, quant_scalar_fdot_q8_0),
    NEON_ENTRY(Q8_1, quant_scalar_dequantize_q8_1, quant_scalar_quantize_q8_1, NULL, NULL),
    NEON_ENTRY(Q8_K, quant_scalar_dequantize_q8_k, quant_neon_quantize_q8_k, NULL, NULL),
    NEON_SCALAR(Q4_1, q4_1),
    NEON_SCALAR(Q5_0, q5_0),
    NEON_SCALAR(Q5_1, q5_1),
    NEON_SCALAR(Q2_K, q2_k),
    NEON_SCALAR(Q3_K, q3_k),
    NEON_ENTRY(Q4_K, quant_scalar_dequantize_q4_k, quant_scalar_quantize_q4_k, quant_neon_dot_q4_k, quant_scalar_fdot_q4_k),
    NEON_SCALAR(Q5_K, q5_k),
    NEON_ENTRY(Q6_K, quant_scalar_dequantize_q6_k, quant_scalar_quantize_q6_k, quant_neon_dot_q6_k, quant_scalar_fdot_q6_k),
};
#endif /* __aarch64__ */
