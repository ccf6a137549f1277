/*
 * quant_scalar_k.c — portable reference kernels of the K-quants Q2_K, Q3_K,
 * Q4_K, Q5_K and Q6_K: scale packing, quantize_row, dequantize_row and
 * vec_dot against Q8_K activations (block layouts: quant_kernels.h).
 *
 * Invariants:
 *  - quantize computes sub-block scales (and mins) from the sub-block range,
 *    quantizes them against a super-block scale (6-bit, or 4-bit for Q2_K),
 *    then rounds every value to nearest against the stored, rounded scales;
 *  - vec_dot sums exact integer products per sub-block, applies the integer
 *    sub-block scales exactly, and only then the float super-block scales.
 */
#include <string.h>
#include "quant_scalar.h"

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

