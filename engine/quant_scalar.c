/*
 * quant_scalar.c — portable reference kernels for every tensor type.
 *
 * What: dequantize_row, quantize_row and vec_dot for F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, plus the activation formats Q8_0, Q8_1 and Q8_K
 * (block layouts: quant_kernels.h); vec_dot_f32 for every type; the scalar
 * traits table. The K-quants Q2_K..Q6_K are in quant_scalar_k.c.
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

#include "quant_scalar.h"

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
