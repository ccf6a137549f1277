/*
 * quant_scalar.c — portable reference kernels for every tensor type.
 *
 * What: dequantize_row, quantize_row and vec_dot for F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, plus the activation formats Q8_0, Q8_1
 * and Q8_K (block layouts: quant_kernels.h).
 * Invariants:
 *  - quantize is round-to-nearest (lrintf, ties to even) against the standard
 *    block scales; K-quant sub-block scales/mins are themselves quantized and
 *    the codes are computed against the stored (rounded) scales.
 *  - vec_dot of quantized types sums exact integer products per sub-block and
 *    applies float scales per block; F32/F16/BF16 dot against F32 activations
 *    with a double accumulator (this is the precision reference).
 *  - n is a multiple of the block size (checked by callers).
 */
#include <math.h>
#include <string.h>
#include "quant_kernels.h"

#define F16(x) quant_f16_to_f32(x)

static int quant_round(float x) { return (int)lrintf(x); }

static int quant_clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The element of largest magnitude, with its sign. */
static float quant_signed_absmax(const float *x, int n)
{
    float best = 0.0f, amax = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            best = x[i];
        }
    }
    return best;
}

static void quant_min_max(const float *x, int n, float *lo, float *hi)
{
    *lo = x[0];
    *hi = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < *lo) *lo = x[i];
        if (x[i] > *hi) *hi = x[i];
    }
}

/* ---- F32 / F16 / BF16 ------------------------------------------------------ */

void quant_scalar_dequantize_f32(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void quant_scalar_quantize_f32(const float *src, void *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void quant_scalar_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i] * y[i];
    *result = (float)sum;
}

void quant_scalar_dequantize_f16(const void *src, float *dst, int64_t n)
{
    const quant_f16 *x = src;
    for (int64_t i = 0; i < n; i++) dst[i] = quant_f16_to_f32(x[i]);
}

void quant_scalar_quantize_f16(const float *src, void *dst, int64_t n)
{
    quant_f16 *y = dst;
    for (int64_t i = 0; i < n; i++) y[i] = quant_f32_to_f16(src[i]);
}

void quant_scalar_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)quant_f16_to_f32(x[i]) * y[i];
    *result = (float)sum;
}

void quant_scalar_dequantize_bf16(const void *src, float *dst, int64_t n)
{
    const quant_bf16 *x = src;
    for (int64_t i = 0; i < n; i++) dst[i] = quant_bf16_to_f32(x[i]);
}

void quant_scalar_quantize_bf16(const float *src, void *dst, int64_t n)
{
    quant_bf16 *y = dst;
    for (int64_t i = 0; i < n; i++) y[i] = quant_f32_to_bf16(src[i]);
}

void quant_scalar_dot_bf16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_bf16 *x = w;
    const float *y = a;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)quant_bf16_to_f32(x[i]) * y[i];
    *result = (float)sum;
}

/* ---- 32-element block types ------------------------------------------------ */

/* Nibble codes of a 32-block: byte j = code j | code j+16 << 4. */
static void quant_pack_nibbles(const int *codes, uint8_t *qs)
{
    for (int j = 0; j < 16; j++) qs[j] = (uint8_t)((codes[j] & 15) | (codes[j + 16] & 15) << 4);
}

static void quant_pack_high_bits(const int *codes, uint8_t qh[4])
{
    uint32_t bits = 0;
    for (int j = 0; j < 32; j++) bits |= (uint32_t)((codes[j] >> 4) & 1) << j;
    for (int k = 0; k < 4; k++) qh[k] = (uint8_t)(bits >> (8 * k));
}

static uint32_t quant_load_u32(const uint8_t b[4])
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Codes 0..15 (or 0..31 with high bits) of a 32-block. */
static void quant_unpack_codes(const uint8_t *qs, const uint8_t *qh, int *codes)
{
    uint32_t bits = qh ? quant_load_u32(qh) : 0;
    for (int j = 0; j < 16; j++) {
        codes[j] = (qs[j] & 15) | (int)((bits >> j) & 1) << 4;
        codes[j + 16] = (qs[j] >> 4) | (int)((bits >> (j + 16)) & 1) << 4;
    }
}

/* Symmetric: x = d * (code - offset), the largest magnitude maps to -offset. */
static float quant_symmetric_codes(const float *x, int offset, int *codes)
{
    const float max = quant_signed_absmax(x, 32);
    const float d = F16(quant_f32_to_f16(max / (float)-offset)); /* codes against the stored scale */
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) codes[j] = quant_clamp(quant_round(x[j] * id) + offset, 0, 2 * offset - 1);
    return d;
}

/* Affine: x = d * code + m with m = min. */
static void quant_affine_codes(const float *x, int nmax, int *codes, float *d_out, float *m_out)
{
    float lo, hi;
    quant_min_max(x, 32, &lo, &hi);
    const float d = (hi - lo) / (float)nmax;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) codes[j] = quant_clamp(quant_round((x[j] - lo) * id), 0, nmax);
    *d_out = d;
    *m_out = lo;
}

void quant_scalar_quantize_q4_0(const float *src, void *dst, int64_t n)
{
    quant_block_q4_0 *y = dst;
    int codes[32];
    for (int64_t b = 0; b < n / QK4_0; b++) {
        y[b].d = quant_f32_to_f16(quant_symmetric_codes(src + b * QK4_0, 8, codes));
        quant_pack_nibbles(codes, y[b].qs);
    }
}

void quant_scalar_dequantize_q4_0(const void *src, float *dst, int64_t n)
{
    const quant_block_q4_0 *x = src;
    int codes[32];
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const float d = F16(x[b].d);
        quant_unpack_codes(x[b].qs, NULL, codes);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)(codes[j] - 8);
    }
}

void quant_scalar_quantize_q4_1(const float *src, void *dst, int64_t n)
{
    quant_block_q4_1 *y = dst;
    int codes[32];
    float d, m;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        quant_affine_codes(src + b * QK4_1, 15, codes, &d, &m);
        y[b].d = quant_f32_to_f16(d);
        y[b].m = quant_f32_to_f16(m);
        quant_pack_nibbles(codes, y[b].qs);
    }
}

void quant_scalar_dequantize_q4_1(const void *src, float *dst, int64_t n)
{
    const quant_block_q4_1 *x = src;
    int codes[32];
    for (int64_t b = 0; b < n / QK4_1; b++) {
        const float d = F16(x[b].d), m = F16(x[b].m);
        quant_unpack_codes(x[b].qs, NULL, codes);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)codes[j] + m;
    }
}

void quant_scalar_quantize_q5_0(const float *src, void *dst, int64_t n)
{
    quant_block_q5_0 *y = dst;
    int codes[32];
    for (int64_t b = 0; b < n / QK5_0; b++) {
        y[b].d = quant_f32_to_f16(quant_symmetric_codes(src + b * QK5_0, 16, codes));
        quant_pack_nibbles(codes, y[b].qs);
        quant_pack_high_bits(codes, y[b].qh);
    }
}

void quant_scalar_dequantize_q5_0(const void *src, float *dst, int64_t n)
{
    const quant_block_q5_0 *x = src;
    int codes[32];
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const float d = F16(x[b].d);
        quant_unpack_codes(x[b].qs, x[b].qh, codes);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)(codes[j] - 16);
    }
}

void quant_scalar_quantize_q5_1(const float *src, void *dst, int64_t n)
{
    quant_block_q5_1 *y = dst;
    int codes[32];
    float d, m;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        quant_affine_codes(src + b * QK5_1, 31, codes, &d, &m);
        y[b].d = quant_f32_to_f16(d);
        y[b].m = quant_f32_to_f16(m);
        quant_pack_nibbles(codes, y[b].qs);
        quant_pack_high_bits(codes, y[b].qh);
    }
}

void quant_scalar_dequantize_q5_1(const void *src, float *dst, int64_t n)
{
    const quant_block_q5_1 *x = src;
    int codes[32];
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const float d = F16(x[b].d), m = F16(x[b].m);
        quant_unpack_codes(x[b].qs, x[b].qh, codes);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)codes[j] + m;
    }
}

/* int8 codes of n values with scale amax/127 (rounded to f16 first when the
 * block stores an f16 scale, so codes match the stored scale); returns the scale. */
static float quant_int8_codes(const float *x, int n, int half_scale, int8_t *qs)
{
    float amax = 0.0f;
    for (int j = 0; j < n; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f;
    if (half_scale) d = F16(quant_f32_to_f16(d));
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < n; j++) qs[j] = (int8_t)quant_clamp(quant_round(x[j] * id), -127, 127);
    return d;
}

void quant_scalar_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    quant_block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++) y[b].d = quant_f32_to_f16(quant_int8_codes(src + b * 32, 32, 1, y[b].qs));
}

void quant_scalar_dequantize_q8_0(const void *src, float *dst, int64_t n)
{
    const quant_block_q8_0 *x = src;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        const float d = F16(x[b].d);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)x[b].qs[j];
    }
}

void quant_scalar_quantize_q8_1(const float *src, void *dst, int64_t n)
{
    quant_block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        const float d = quant_int8_codes(src + b * 32, 32, 1, y[b].qs);
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += y[b].qs[j];
        y[b].d = quant_f32_to_f16(d);
        y[b].s = quant_f32_to_f16(d * (float)sum);
    }
}

void quant_scalar_dequantize_q8_1(const void *src, float *dst, int64_t n)
{
    const quant_block_q8_1 *x = src;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        const float d = F16(x[b].d);
        for (int j = 0; j < 32; j++) dst[b * 32 + j] = d * (float)x[b].qs[j];
    }
}

void quant_scalar_quantize_q8_k(const float *src, void *dst, int64_t n)
{
    quant_block_q8_k *y = dst;
    for (int64_t b = 0; b < n / QK_K; b++) {
        y[b].d = quant_int8_codes(src + b * QK_K, QK_K, 0, y[b].qs);
        for (int s = 0; s < 16; s++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y[b].qs[16 * s + j];
            y[b].bsums[s] = (int16_t)sum;
        }
    }
}

void quant_scalar_dequantize_q8_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q8_k *x = src;
    for (int64_t b = 0; b < n / QK_K; b++) {
        for (int j = 0; j < QK_K; j++) dst[b * QK_K + j] = x[b].d * (float)x[b].qs[j];
    }
}

/* Sum of the 32 activation codes: the Q4_1/Q5_1 min term uses it instead of
 * the block's f16-rounded s, which would cost ~5e-4 relative per block. */
static int quant_sum32(const int8_t *a)
{
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += a[j];
    return sum;
}

/* Integer dot of 32 codes (minus offset) with 32 int8 activations. */
static int quant_dot32(const int *codes, int offset, const int8_t *a)
{
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += (codes[j] - offset) * a[j];
    return sum;
}

void quant_scalar_dot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_0 *x = w;
    const quant_block_q8_0 *y = a;
    int codes[32];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_0; b++) {
        quant_unpack_codes(x[b].qs, NULL, codes);
        sum += F16(x[b].d) * F16(y[b].d) * (float)quant_dot32(codes, 8, y[b].qs);
    }
    *result = sum;
}

void quant_scalar_dot_q4_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_1 *x = w;
    const quant_block_q8_1 *y = a;
    int codes[32];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK4_1; b++) {
        quant_unpack_codes(x[b].qs, NULL, codes);
        sum += F16(x[b].d) * F16(y[b].d) * (float)quant_dot32(codes, 0, y[b].qs) +
               F16(x[b].m) * F16(y[b].d) * (float)quant_sum32(y[b].qs);
    }
    *result = sum;
}

void quant_scalar_dot_q5_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_0 *x = w;
    const quant_block_q8_0 *y = a;
    int codes[32];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK5_0; b++) {
        quant_unpack_codes(x[b].qs, x[b].qh, codes);
        sum += F16(x[b].d) * F16(y[b].d) * (float)quant_dot32(codes, 16, y[b].qs);
    }
    *result = sum;
}

void quant_scalar_dot_q5_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_1 *x = w;
    const quant_block_q8_1 *y = a;
    int codes[32];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK5_1; b++) {
        quant_unpack_codes(x[b].qs, x[b].qh, codes);
        sum += F16(x[b].d) * F16(y[b].d) * (float)quant_dot32(codes, 0, y[b].qs) +
               F16(x[b].m) * F16(y[b].d) * (float)quant_sum32(y[b].qs);
    }
    *result = sum;
}

void quant_scalar_dot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w;
    const quant_block_q8_0 *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK8_0; b++) {
        int isum = 0;
        for (int j = 0; j < 32; j++) isum += x[b].qs[j] * y[b].qs[j];
        sum += F16(x[b].d) * F16(y[b].d) * (float)isum;
    }
    *result = sum;
}

/* ---- K-quants: scale packing ------------------------------------------------ */

void quant_unpack_k4_scales(const uint8_t packed[12], uint8_t scales[8], uint8_t mins[8])
{
    for (int s = 0; s < 4; s++) {
        scales[s] = packed[s] & 63;
        mins[s] = packed[s + 4] & 63;
    }
    for (int s = 4; s < 8; s++) {
        scales[s] = (uint8_t)((packed[s + 4] & 15) | (packed[s - 4] >> 6) << 4);
        mins[s] = (uint8_t)((packed[s + 4] >> 4) | (packed[s] >> 6) << 4);
    }
}

static void quant_pack_k4_scales(const int scales[8], const int mins[8], uint8_t packed[12])
{
    memset(packed, 0, 12);
    for (int s = 0; s < 4; s++) {
        packed[s] = (uint8_t)scales[s];
        packed[s + 4] = (uint8_t)mins[s];
    }
    for (int s = 4; s < 8; s++) {
        packed[s + 4] = (uint8_t)((scales[s] & 15) | (mins[s] & 15) << 4);
        packed[s - 4] |= (uint8_t)((scales[s] >> 4) << 6);
        packed[s] |= (uint8_t)((mins[s] >> 4) << 6);
    }
}

void quant_unpack_q3_k_scales(const uint8_t packed[12], int8_t scales[16])
{
    for (int s = 0; s < 16; s++) {
        const int low = s < 8 ? packed[s] & 15 : packed[s - 8] >> 4;
        const int high = (packed[8 + s % 4] >> (2 * (s / 4))) & 3;
        scales[s] = (int8_t)((low | high << 4) - 32);
    }
}

static void quant_pack_q3_k_scales(const int scales[16], uint8_t packed[12])
{
    memset(packed, 0, 12);
    for (int s = 0; s < 16; s++) {
        const int code = scales[s] + 32;
        packed[s % 8] |= (uint8_t)((code & 15) << (s < 8 ? 0 : 4));
        packed[8 + s % 4] |= (uint8_t)(((code >> 4) & 3) << (2 * (s / 4)));
    }
}

/* ---- K-quants: quantization ------------------------------------------------- */

/* Affine sub-blocks: x ~ d*sc[s]*q - dmin*m[s], q in 0..nmax, sc/m in
 * 0..scale_max. Fills codes[256] against the stored (f16-rounded) d, dmin. */
static void quant_affine_k(const float *x, int sub, int nmax, int scale_max,
                           int *codes, int *sc, int *mn, quant_f16 *d_out, quant_f16 *dmin_out)
{
    const int nsub = QK_K / sub;
    float scale[16], minv[16], max_scale = 0.0f, max_min = 0.0f;
    for (int s = 0; s < nsub; s++) {
        float lo, hi;
        quant_min_max(x + s * sub, sub, &lo, &hi);
        if (lo > 0.0f) lo = 0.0f; /* mins are subtracted: only non-positive offsets */
        scale[s] = (hi - lo) / (float)nmax;
        minv[s] = -lo;
        max_scale = fmaxf(max_scale, scale[s]);
        max_min = fmaxf(max_min, minv[s]);
    }
    *d_out = quant_f32_to_f16(max_scale / (float)scale_max);
    *dmin_out = quant_f32_to_f16(max_min / (float)scale_max);
    const float d = F16(*d_out), dmin = F16(*dmin_out);
    for (int s = 0; s < nsub; s++) {
        sc[s] = d > 0.0f ? quant_clamp(quant_round(scale[s] / d), 0, scale_max) : 0;
        mn[s] = dmin > 0.0f ? quant_clamp(quant_round(minv[s] / dmin), 0, scale_max) : 0;
        const float dl = d * (float)sc[s], ml = dmin * (float)mn[s];
        for (int j = 0; j < sub; j++) {
            const int i = s * sub + j;
            codes[i] = dl > 0.0f ? quant_clamp(quant_round((x[i] + ml) / dl), 0, nmax) : 0;
        }
    }
}

/* Symmetric 16-element sub-blocks: x ~ d*sc[s]*(code - offset), sc signed
 * in -scale_max..scale_max-1. */
static void quant_symmetric_k(const float *x, int offset, int scale_max, int *codes, int *sc, quant_f16 *d_out)
{
    float scale[16], max_scale = 0.0f;
    for (int s = 0; s < 16; s++) {
        scale[s] = quant_signed_absmax(x + 16 * s, 16) / (float)-offset;
        if (fabsf(scale[s]) > fabsf(max_scale)) max_scale = scale[s];
    }
    *d_out = quant_f32_to_f16(max_scale / (float)-scale_max);
    const float d = F16(*d_out);
    for (int s = 0; s < 16; s++) {
        sc[s] = d != 0.0f ? quant_clamp(quant_round(scale[s] / d), -scale_max, scale_max - 1) : 0;
        const float dl = d * (float)sc[s];
        for (int j = 0; j < 16; j++) {
            const int i = 16 * s + j;
            const int q = dl != 0.0f ? quant_round(x[i] / dl) : 0;
            codes[i] = quant_clamp(q, -offset, offset - 1) + offset;
        }
    }
}

/* 2-bit fields: element 128h + 32j + l at qs[32h + l] bits 2j. */
static void quant_pack_2bit(const int *codes, uint8_t *qs)
{
    memset(qs, 0, QK_K / 4);
    for (int i = 0; i < QK_K; i++) qs[32 * (i / 128) + i % 32] |= (uint8_t)((codes[i] & 3) << (2 * ((i / 32) % 4)));
}

static int quant_get_2bit(const uint8_t *qs, int i)
{
    return (qs[32 * (i / 128) + i % 32] >> (2 * ((i / 32) % 4))) & 3;
}

/* 4-bit fields: element 64h + 32k + l at qs[32h + l] nibble k. */
static void quant_pack_4bit(const int *codes, uint8_t *qs)
{
    memset(qs, 0, QK_K / 2);
    for (int i = 0; i < QK_K; i++) qs[32 * (i / 64) + i % 32] |= (uint8_t)((codes[i] & 15) << (4 * ((i / 32) % 2)));
}

static int quant_get_4bit(const uint8_t *qs, int i)
{
    return (qs[32 * (i / 64) + i % 32] >> (4 * ((i / 32) % 2))) & 15;
}

/* One bit per element: element i at bits[i % 32] bit i/32. */
static void quant_pack_bit(const int *codes, int bit, uint8_t *bits)
{
    memset(bits, 0, QK_K / 8);
    for (int i = 0; i < QK_K; i++) bits[i % 32] |= (uint8_t)(((codes[i] >> bit) & 1) << (i / 32));
}

static int quant_get_bit(const uint8_t *bits, int i) { return (bits[i % 32] >> (i / 32)) & 1; }

void quant_scalar_quantize_q2_k(const float *src, void *dst, int64_t n)
{
    quant_block_q2_k *y = dst;
    int codes[QK_K], sc[16], mn[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_affine_k(src + b * QK_K, 16, 3, 15, codes, sc, mn, &y[b].d, &y[b].dmin);
        for (int s = 0; s < 16; s++) y[b].scales[s] = (uint8_t)(sc[s] | mn[s] << 4);
        quant_pack_2bit(codes, y[b].qs);
    }
}

void quant_scalar_dequantize_q2_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q2_k *x = src;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float d = F16(x[b].d), dmin = F16(x[b].dmin);
        for (int i = 0; i < QK_K; i++) {
            const uint8_t s = x[b].scales[i / 16];
            dst[b * QK_K + i] = d * (float)(s & 15) * (float)quant_get_2bit(x[b].qs, i) - dmin * (float)(s >> 4);
        }
    }
}

void quant_scalar_quantize_q3_k(const float *src, void *dst, int64_t n)
{
    quant_block_q3_k *y = dst;
    int codes[QK_K], sc[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_symmetric_k(src + b * QK_K, 4, 32, codes, sc, &y[b].d);
        quant_pack_q3_k_scales(sc, y[b].scales);
        quant_pack_2bit(codes, y[b].qs);
        quant_pack_bit(codes, 2, y[b].hmask);
    }
}

static int quant_q3_k_code(const quant_block_q3_k *x, int i)
{
    return quant_get_2bit(x->qs, i) | quant_get_bit(x->hmask, i) << 2;
}

void quant_scalar_dequantize_q3_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q3_k *x = src;
    int8_t sc[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float d = F16(x[b].d);
        quant_unpack_q3_k_scales(x[b].scales, sc);
        for (int i = 0; i < QK_K; i++) dst[b * QK_K + i] = d * (float)sc[i / 16] * (float)(quant_q3_k_code(&x[b], i) - 4);
    }
}

void quant_scalar_quantize_q4_k(const float *src, void *dst, int64_t n)
{
    quant_block_q4_k *y = dst;
    int codes[QK_K], sc[16], mn[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_affine_k(src + b * QK_K, 32, 15, 63, codes, sc, mn, &y[b].d, &y[b].dmin);
        quant_pack_k4_scales(sc, mn, y[b].scales);
        quant_pack_4bit(codes, y[b].qs);
    }
}

void quant_scalar_dequantize_q4_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q4_k *x = src;
    uint8_t sc[8], mn[8];
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float d = F16(x[b].d), dmin = F16(x[b].dmin);
        quant_unpack_k4_scales(x[b].scales, sc, mn);
        for (int i = 0; i < QK_K; i++) {
            dst[b * QK_K + i] = d * (float)sc[i / 32] * (float)quant_get_4bit(x[b].qs, i) - dmin * (float)mn[i / 32];
        }
    }
}

void quant_scalar_quantize_q5_k(const float *src, void *dst, int64_t n)
{
    quant_block_q5_k *y = dst;
    int codes[QK_K], sc[16], mn[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_affine_k(src + b * QK_K, 32, 31, 63, codes, sc, mn, &y[b].d, &y[b].dmin);
        quant_pack_k4_scales(sc, mn, y[b].scales);
        quant_pack_4bit(codes, y[b].qs);
        quant_pack_bit(codes, 4, y[b].qh);
    }
}

static int quant_q5_k_code(const quant_block_q5_k *x, int i)
{
    return quant_get_4bit(x->qs, i) | quant_get_bit(x->qh, i) << 4;
}

void quant_scalar_dequantize_q5_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q5_k *x = src;
    uint8_t sc[8], mn[8];
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float d = F16(x[b].d), dmin = F16(x[b].dmin);
        quant_unpack_k4_scales(x[b].scales, sc, mn);
        for (int i = 0; i < QK_K; i++) {
            dst[b * QK_K + i] = d * (float)sc[i / 32] * (float)quant_q5_k_code(&x[b], i) - dmin * (float)mn[i / 32];
        }
    }
}

/* Q6_K element i = 128h + 32k + l: low nibble in ql[64h + 32(k&1) + l]
 * (nibble k>>1), high 2 bits in qh[32h + l] bits 2k. */
static int quant_q6_k_code(const quant_block_q6_k *x, int i)
{
    const int h = i / 128, k = (i / 32) % 4, l = i % 32;
    const int low = (x->ql[64 * h + 32 * (k & 1) + l] >> (4 * (k >> 1))) & 15;
    const int high = (x->qh[32 * h + l] >> (2 * k)) & 3;
    return low | high << 4;
}

static void quant_pack_q6_k(const int *codes, quant_block_q6_k *y)
{
    memset(y->ql, 0, sizeof y->ql);
    memset(y->qh, 0, sizeof y->qh);
    for (int i = 0; i < QK_K; i++) {
        const int h = i / 128, k = (i / 32) % 4, l = i % 32;
        y->ql[64 * h + 32 * (k & 1) + l] |= (uint8_t)((codes[i] & 15) << (4 * (k >> 1)));
        y->qh[32 * h + l] |= (uint8_t)(((codes[i] >> 4) & 3) << (2 * k));
    }
}

void quant_scalar_quantize_q6_k(const float *src, void *dst, int64_t n)
{
    quant_block_q6_k *y = dst;
    int codes[QK_K], sc[16];
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_symmetric_k(src + b * QK_K, 32, 128, codes, sc, &y[b].d);
        for (int s = 0; s < 16; s++) y[b].scales[s] = (int8_t)sc[s];
        quant_pack_q6_k(codes, &y[b]);
    }
}

void quant_scalar_dequantize_q6_k(const void *src, float *dst, int64_t n)
{
    const quant_block_q6_k *x = src;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float d = F16(x[b].d);
        for (int i = 0; i < QK_K; i++) {
            dst[b * QK_K + i] = d * (float)x[b].scales[i / 16] * (float)(quant_q6_k_code(&x[b], i) - 32);
        }
    }
}

/* ---- K-quants: dot products against Q8_K ------------------------------------ */

void quant_scalar_dot_q2_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q2_k *x = w;
    const quant_block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        int sumi = 0, summ = 0;
        for (int s = 0; s < 16; s++) {
            int isum = 0;
            for (int j = 0; j < 16; j++) isum += quant_get_2bit(x[b].qs, 16 * s + j) * y[b].qs[16 * s + j];
            sumi += (x[b].scales[s] & 15) * isum;
            summ += (x[b].scales[s] >> 4) * y[b].bsums[s];
        }
        sum += y[b].d * (F16(x[b].d) * (float)sumi - F16(x[b].dmin) * (float)summ);
    }
    *result = sum;
}

void quant_scalar_dot_q3_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q3_k *x = w;
    const quant_block_q8_k *y = a;
    int8_t sc[16];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_unpack_q3_k_scales(x[b].scales, sc);
        int sumi = 0;
        for (int s = 0; s < 16; s++) {
            int isum = 0;
            for (int j = 0; j < 16; j++) isum += (quant_q3_k_code(&x[b], 16 * s + j) - 4) * y[b].qs[16 * s + j];
            sumi += sc[s] * isum;
        }
        sum += y[b].d * F16(x[b].d) * (float)sumi;
    }
    *result = sum;
}

void quant_scalar_dot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_k *x = w;
    const quant_block_q8_k *y = a;
    uint8_t sc[8], mn[8];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_unpack_k4_scales(x[b].scales, sc, mn);
        int sumi = 0, summ = 0;
        for (int s = 0; s < 8; s++) {
            int isum = 0;
            for (int j = 0; j < 32; j++) isum += quant_get_4bit(x[b].qs, 32 * s + j) * y[b].qs[32 * s + j];
            sumi += sc[s] * isum;
            summ += mn[s] * (y[b].bsums[2 * s] + y[b].bsums[2 * s + 1]);
        }
        sum += y[b].d * (F16(x[b].d) * (float)sumi - F16(x[b].dmin) * (float)summ);
    }
    *result = sum;
}

void quant_scalar_dot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_k *x = w;
    const quant_block_q8_k *y = a;
    uint8_t sc[8], mn[8];
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        quant_unpack_k4_scales(x[b].scales, sc, mn);
        int sumi = 0, summ = 0;
        for (int s = 0; s < 8; s++) {
            int isum = 0;
            for (int j = 0; j < 32; j++) isum += quant_q5_k_code(&x[b], 32 * s + j) * y[b].qs[32 * s + j];
            sumi += sc[s] * isum;
            summ += mn[s] * (y[b].bsums[2 * s] + y[b].bsums[2 * s + 1]);
        }
        sum += y[b].d * (F16(x[b].d) * (float)sumi - F16(x[b].dmin) * (float)summ);
    }
    *result = sum;
}

void quant_scalar_dot_q6_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q6_k *x = w;
    const quant_block_q8_k *y = a;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / QK_K; b++) {
        int sumi = 0;
        for (int s = 0; s < 16; s++) {
            int isum = 0;
            for (int j = 0; j < 16; j++) isum += (quant_q6_k_code(&x[b], 16 * s + j) - 32) * y[b].qs[16 * s + j];
            sumi += x[b].scales[s] * isum;
        }
        sum += y[b].d * F16(x[b].d) * (float)sumi;
    }
    *result = sum;
}

/* ---- weights . F32 activations (vec_dot_f32) ---------------------------------- */

/* Dequantizes block by block (exact in float) and accumulates in double. */
static float quant_fdot_blocks(quant_dequantize_fn dequantize, int block_size, size_t block_bytes, int64_t n,
                               const void *w, const float *a)
{
    float buf[QK_K];
    double sum = 0.0;
    for (int64_t b = 0; b < n / block_size; b++) {
        dequantize((const uint8_t *)w + (size_t)b * block_bytes, buf, block_size);
        for (int j = 0; j < block_size; j++) sum += (double)buf[j] * a[b * block_size + j];
    }
    return (float)sum;
}

#define SCALAR_FDOT(t, bs, block)                                                                   \
    void quant_scalar_fdot_##t(int64_t n, float *result, const void *w, const void *a)              \
    {                                                                                               \
        *result = quant_fdot_blocks(quant_scalar_dequantize_##t, bs, sizeof(block), n, w, a);       \
    }

SCALAR_FDOT(q4_0, QK4_0, quant_block_q4_0)
SCALAR_FDOT(q4_1, QK4_1, quant_block_q4_1)
SCALAR_FDOT(q5_0, QK5_0, quant_block_q5_0)
SCALAR_FDOT(q5_1, QK5_1, quant_block_q5_1)
SCALAR_FDOT(q8_0, QK8_0, quant_block_q8_0)
SCALAR_FDOT(q2_k, QK_K, quant_block_q2_k)
SCALAR_FDOT(q3_k, QK_K, quant_block_q3_k)
SCALAR_FDOT(q4_k, QK_K, quant_block_q4_k)
SCALAR_FDOT(q5_k, QK_K, quant_block_q5_k)
SCALAR_FDOT(q6_k, QK_K, quant_block_q6_k)

/* ---- the table ---------------------------------------------------------------- */

#define SCALAR_ENTRY(T, t, dot, fdot) \
    [SLM_TYPE_##T] = { QUANT_META_##T, quant_scalar_dequantize_##t, quant_scalar_quantize_##t, dot, fdot, NULL, NULL }

const quant_traits quant_table_scalar[SLM_TYPE_COUNT] = {
    SCALAR_ENTRY(F32, f32, quant_scalar_dot_f32, quant_scalar_dot_f32),
    SCALAR_ENTRY(F16, f16, quant_scalar_dot_f16, quant_scalar_dot_f16),
    SCALAR_ENTRY(BF16, bf16, quant_scalar_dot_bf16, quant_scalar_dot_bf16),
    SCALAR_ENTRY(Q4_0, q4_0, quant_scalar_dot_q4_0, quant_scalar_fdot_q4_0),
    SCALAR_ENTRY(Q4_1, q4_1, quant_scalar_dot_q4_1, quant_scalar_fdot_q4_1),
    SCALAR_ENTRY(Q5_0, q5_0, quant_scalar_dot_q5_0, quant_scalar_fdot_q5_0),
    SCALAR_ENTRY(Q5_1, q5_1, quant_scalar_dot_q5_1, quant_scalar_fdot_q5_1),
    SCALAR_ENTRY(Q8_0, q8_0, quant_scalar_dot_q8_0, quant_scalar_fdot_q8_0),
    SCALAR_ENTRY(Q8_1, q8_1, NULL, NULL),
    SCALAR_ENTRY(Q8_K, q8_k, NULL, NULL),
    SCALAR_ENTRY(Q2_K, q2_k, quant_scalar_dot_q2_k, quant_scalar_fdot_q2_k),
    SCALAR_ENTRY(Q3_K, q3_k, quant_scalar_dot_q3_k, quant_scalar_fdot_q3_k),
    SCALAR_ENTRY(Q4_K, q4_k, quant_scalar_dot_q4_k, quant_scalar_fdot_q4_k),
    SCALAR_ENTRY(Q5_K, q5_k, quant_scalar_dot_q5_k, quant_scalar_fdot_q5_k),
    SCALAR_ENTRY(Q6_K, q6_k, quant_scalar_dot_q6_k, quant_scalar_fdot_q6_k),
};
