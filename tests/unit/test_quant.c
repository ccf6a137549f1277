/*
 * test_quant.c — tensor types and kernels (engine/quant*.c).
 *
 * Checks: half/bfloat conversions (every half bit pattern, rounding ties,
 * subnormals, inf, NaN); the block layouts against reference walks written
 * independently of the kernels (the ggml block loops) on random bytes and on
 * hand-built blocks; quantize->dequantize error per type; vec_dot of every
 * type against the dequantized float dot; every SIMD kernel against the
 * scalar one for each ISA this CPU runs (and a visible notice for the ones
 * it cannot).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/quant_kernels.h"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct { uint64_t s; } test_rng;

static uint32_t rng_u32(test_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

/* uniform in (0, 1) */
static float rng_uniform(test_rng *r) { return ((float)(rng_u32(r) >> 8) + 0.5f) / 16777216.0f; }

static float rng_gauss(test_rng *r)
{
    const float u = rng_uniform(r), v = rng_uniform(r);
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

/* Weight-like data: gaussian with a few outliers. */
static void fill_realistic(test_rng *r, float *x, int64_t n, float scale)
{
    for (int64_t i = 0; i < n; i++) {
        x[i] = scale * rng_gauss(r);
        if (rng_u32(r) % 97 == 0) x[i] *= 6.0f;
    }
}

static void fill_bytes(test_rng *r, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)rng_u32(r);
}

static const slm_type weight_types[] = {
    SLM_TYPE_F32, SLM_TYPE_F16, SLM_TYPE_BF16, SLM_TYPE_Q4_0, SLM_TYPE_Q4_1,
    SLM_TYPE_Q5_0, SLM_TYPE_Q5_1, SLM_TYPE_Q8_0, SLM_TYPE_Q2_K, SLM_TYPE_Q3_K,
    SLM_TYPE_Q4_K, SLM_TYPE_Q5_K, SLM_TYPE_Q6_K,
};
#define N_WEIGHT_TYPES (sizeof weight_types / sizeof weight_types[0])

static size_t row_bytes(const quant_traits *t, int64_t n)
{
    return (size_t)(n / t->block_size) * t->block_bytes;
}

static double rel_rms(const float *ref, const float *got, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        num += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    return den > 0.0 ? sqrt(num / den) : sqrt(num);
}


/* ---- half and bfloat ----------------------------------------------------------- */

static void test_f16_known_values(void **state)
{
    (void)state;
    assert_int_equal(quant_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(quant_f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(quant_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(quant_f32_to_f16(65520.0f), 0x7c00);        /* rounds up to inf */
    assert_int_equal(quant_f32_to_f16(65519.0f), 0x7bff);
    assert_int_equal(quant_f32_to_f16(INFINITY), 0x7c00);
    assert_int_equal(quant_f32_to_f16(-INFINITY), 0xfc00);
    assert_int_equal(quant_f32_to_f16(-0.0f), 0x8000);
    assert_int_equal(quant_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);  /* tie to even */
    assert_int_equal(quant_f32_to_f16(1.0f + 0x3p-11f), 0x3c02);  /* tie to even, up */
    assert_int_equal(quant_f32_to_f16(0x1p-24f), 0x0001);         /* smallest subnormal */
    assert_int_equal(quant_f32_to_f16(0x1p-25f), 0x0000);         /* tie to even: zero */
    assert_int_equal(quant_f32_to_f16(0x1.8p-25f), 0x0001);
    assert_int_equal(quant_f32_to_f16(0x3ffp-24f), 0x03ff);       /* largest subnormal */
    assert_int_equal(quant_f32_to_f16(0x1.ffcp-15f), 0x0400);     /* rounds into the normals */
    assert_int_equal(quant_f32_to_f16(1e-10f), 0x0000);
    const quant_f16 nan = quant_f32_to_f16(NAN);
    assert_true((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0);
    assert_true(quant_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(quant_f16_to_f32(0x83ff) == -0x3ffp-24f);
    assert_true(isinf(quant_f16_to_f32(0x7c00)) && quant_f16_to_f32(0x7c00) > 0);
    assert_true(isnan(quant_f16_to_f32(0x7e00)));
    assert_true(isnan(quant_f16_to_f32(0xfc01)));
}

static void test_f16_round_trip_every_pattern(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = quant_f16_to_f32((quant_f16)h);
        if (isnan(f)) {
            assert_true(isnan(quant_f16_to_f32(quant_f32_to_f16(f))));
            continue;
        }
        assert_int_equal(quant_f32_to_f16(f), h);
        /* midpoint to the next half rounds to the even neighbour */
        if ((h & 0x7fff) < 0x7bff) {
            const float next = quant_f16_to_f32((quant_f16)(h + 1));
            const float mid = (float)(((double)f + next) / 2.0);
            const uint32_t even = (h & 1) ? h + 1 : h;
            assert_int_equal(quant_f32_to_f16(mid), even);
        }
    }
}

static void test_f16_rows_match_scalar(void **state)
{
    (void)state;
    test_rng r = { 99 };
    enum { N = 1000 };
    float src[N], back[N];
    quant_f16 h[N];
    for (int i = 0; i < N; i++) src[i] = rng_gauss(&r) * (float)(1 << (rng_u32(&r) % 20)) * 1e-4f;
    src[0] = INFINITY;
    src[1] = 1e-7f;
    quant_f32_to_f16_row(src, h, N);
    quant_f16_to_f32_row(h, back, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(h[i], quant_f32_to_f16(src[i]));
        assert_true(back[i] == quant_f16_to_f32(h[i]));
    }
}

static void test_bf16_conversions(void **state)
{
    (void)state;
    assert_int_equal(quant_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(quant_f32_to_bf16(-3.0f), 0xc040);
    assert_int_equal(quant_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);  /* tie to even */
    assert_int_equal(quant_f32_to_bf16(1.0f + 0x3p-8f), 0x3f82);
    assert_int_equal(quant_f32_to_bf16(INFINITY), 0x7f80);
    assert_int_equal(quant_f32_to_bf16(-INFINITY), 0xff80);
    assert_int_equal(quant_f32_to_bf16(0x1p-130f), 0x0008);       /* subnormal */
    assert_true(quant_bf16_to_f32(0x0008) == 0x1p-130f);
    assert_true(quant_bf16_to_f32(0x3f80) == 1.0f);
    const quant_bf16 nan = quant_f32_to_bf16(NAN);
    assert_true(isnan(quant_bf16_to_f32(nan)));
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = quant_bf16_to_f32((quant_bf16)h);
        if (!isnan(f)) assert_int_equal(quant_f32_to_bf16(f), h);
    }
}

/* ---- layouts: reference walks in the ggml loop form --------------------------------- */

static void ref_dequant_32(const uint8_t *qs, uint32_t qh, float d, float m, int offset, float *y)
{
    for (int j = 0; j < 16; j++) {
        const int h0 = (int)((qh >> j) << 4) & 0x10, h1 = (int)(qh >> (j + 12)) & 0x10;
        y[j] = d * (float)(((qs[j] & 15) | h0) - offset) + m;
        y[j + 16] = d * (float)(((qs[j] >> 4) | h1) - offset) + m;
    }
}

static void ref_dequant_q2_k(const quant_block_q2_k *b, float *y)
{
    const float d = quant_f16_to_f32(b->d), dmin = quant_f16_to_f32(b->dmin);
    const uint8_t *q = b->qs;
    int is = 0;
    for (int n = 0; n < QK_K; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2) {
            for (int half = 0; half < 2; half++) {
                const uint8_t sc = b->scales[is++];
                for (int l = 0; l < 16; l++) *y++ = d * (float)(sc & 15) * (float)((q[l + 16 * half] >> shift) & 3) - dmin * (float)(sc >> 4);
            }
        }
    }
}

static void ref_q3_k_scales(const uint8_t packed[12], int8_t out[16])
{
    uint32_t aux[4];
    memcpy(aux, packed, 12);
    const uint32_t tmp = aux[2], k1 = 0x03030303, k2 = 0x0f0f0f0f;
    aux[2] = ((aux[0] >> 4) & k2) | (((tmp >> 4) & k1) << 4);
    aux[3] = ((aux[1] >> 4) & k2) | (((tmp >> 6) & k1) << 4);
    aux[0] = (aux[0] & k2) | (((tmp >> 0) & k1) << 4);
    aux[1] = (aux[1] & k2) | (((tmp >> 2) & k1) << 4);
    memcpy(out, aux, 16);
}

static void ref_dequant_q3_k(const quant_block_q3_k *b, float *y)
{
    const float d = quant_f16_to_f32(b->d);
    int8_t sc[16];
    ref_q3_k_scales(b->scales, sc);
    const uint8_t *q = b->qs;
    int is = 0, m = 1;
    for (int n = 0; n < QK_K; n += 128, q += 32) {
        for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
            for (int half = 0; half < 2; half++) {
                const float dl = d * (float)(sc[is++] - 32);
                for (int l = 16 * half; l < 16 * half + 16; l++)
                    *y++ = dl * (float)(((q[l] >> shift) & 3) - ((b->hmask[l] & m) ? 0 : 4));
            }
        }
    }
}

static void ref_scale_min_k4(int j, const uint8_t *q, int *d, int *m)
{
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* Q4_K when qh == NULL, else Q5_K. */
static void ref_dequant_q45_k(quant_f16 d16, quant_f16 dmin16, const uint8_t *scales, const uint8_t *qs,
                              const uint8_t *qh, float *y)
{
    const float d = quant_f16_to_f32(d16), dmin = quant_f16_to_f32(dmin16);
    int is = 0, u1 = 1, u2 = 2;
    for (int j = 0; j < QK_K; j += 64, qs += 32, is += 2, u1 <<= 2, u2 <<= 2) {
        int sc, m;
        ref_scale_min_k4(is, scales, &sc, &m);
        for (int l = 0; l < 32; l++) *y++ = d * (float)sc * (float)((qs[l] & 15) + (qh && (qh[l] & u1) ? 16 : 0)) - dmin * (float)m;
        ref_scale_min_k4(is + 1, scales, &sc, &m);
        for (int l = 0; l < 32; l++) *y++ = d * (float)sc * (float)((qs[l] >> 4) + (qh && (qh[l] & u2) ? 16 : 0)) - dmin * (float)m;
    }
}

static void ref_dequant_q6_k(const quant_block_q6_k *b, float *y)
{
    const float d = quant_f16_to_f32(b->d);
    const uint8_t *ql = b->ql, *qh = b->qh;
    const int8_t *sc = b->scales;
    for (int n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            y[l] = d * (float)sc[is] * (float)(((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32);
            y[l + 32] = d * (float)sc[is + 2] * (float)(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
            y[l + 64] = d * (float)sc[is + 4] * (float)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            y[l + 96] = d * (float)sc[is + 6] * (float)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

static uint32_t le32(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

static quant_f16 rand_scale(test_rng *r) { return quant_f32_to_f16(0.001f + rng_uniform(r) * 0.1f); }

/* Random bytes with sane f16 scales; fills the reference dequantization. */
static void random_block(test_rng *r, slm_type type, void *block, float *ref)
{
    const quant_traits *t = quant_traits_for(type, QUANT_ISA_SCALAR);
    fill_bytes(r, block, t->block_bytes);
    switch (type) {
    case SLM_TYPE_Q4_0: { quant_block_q4_0 *b = block; b->d = rand_scale(r); ref_dequant_32(b->qs, 0, quant_f16_to_f32(b->d), 0, 8, ref); break; }
    case SLM_TYPE_Q4_1: { quant_block_q4_1 *b = block; b->d = rand_scale(r); b->m = rand_scale(r); ref_dequant_32(b->qs, 0, quant_f16_to_f32(b->d), quant_f16_to_f32(b->m), 0, ref); break; }
    case SLM_TYPE_Q5_0: { quant_block_q5_0 *b = block; b->d = rand_scale(r); ref_dequant_32(b->qs, le32(b->qh), quant_f16_to_f32(b->d), 0, 16, ref); break; }
    case SLM_TYPE_Q5_1: { quant_block_q5_1 *b = block; b->d = rand_scale(r); b->m = rand_scale(r); ref_dequant_32(b->qs, le32(b->qh), quant_f16_to_f32(b->d), quant_f16_to_f32(b->m), 0, ref); break; }
    case SLM_TYPE_Q8_0: { quant_block_q8_0 *b = block; b->d = rand_scale(r); for (int j = 0; j < 32; j++) ref[j] = quant_f16_to_f32(b->d) * (float)b->qs[j]; break; }
    case SLM_TYPE_Q2_K: { quant_block_q2_k *b = block; b->d = rand_scale(r); b->dmin = rand_scale(r); ref_dequant_q2_k(b, ref); break; }
    case SLM_TYPE_Q3_K: { quant_block_q3_k *b = block; b->d = rand_scale(r); ref_dequant_q3_k(b, ref); break; }
    case SLM_TYPE_Q4_K: { quant_block_q4_k *b = block; b->d = rand_scale(r); b->dmin = rand_scale(r); ref_dequant_q45_k(b->d, b->dmin, b->scales, b->qs, NULL, ref); break; }
    case SLM_TYPE_Q5_K: { quant_block_q5_k *b = block; b->d = rand_scale(r); b->dmin = rand_scale(r); ref_dequant_q45_k(b->d, b->dmin, b->scales, b->qs, b->qh, ref); break; }
    case SLM_TYPE_Q6_K: { quant_block_q6_k *b = block; b->d = rand_scale(r); ref_dequant_q6_k(b, ref); break; }
    default: fail_msg("no reference walk for %s", t->name);
    }
}

static void test_layouts_match_reference_walks(void **state)
{
    (void)state;
    test_rng r = { 7 };
    const slm_type types[] = { SLM_TYPE_Q4_0, SLM_TYPE_Q4_1, SLM_TYPE_Q5_0, SLM_TYPE_Q5_1, SLM_TYPE_Q8_0,
                               SLM_TYPE_Q2_K, SLM_TYPE_Q3_K, SLM_TYPE_Q4_K, SLM_TYPE_Q5_K, SLM_TYPE_Q6_K };
    uint8_t block[512];
    float ref[QK_K], got[QK_K];
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const quant_traits *t = quant_traits_for(types[k], QUANT_ISA_SCALAR);
        for (int rep = 0; rep < 50; rep++) {
            random_block(&r, types[k], block, ref);
            t->dequantize_row(block, got, t->block_size);
            for (int i = 0; i < t->block_size; i++) {
                if (fabsf(got[i] - ref[i]) > 1e-6f * (1.0f + fabsf(ref[i])))
                    fail_msg("%s element %d: got %g, reference walk %g", t->name, i, got[i], ref[i]);
            }
        }
    }
}

/* Hand-built blocks with hand-computed values. */
static void test_hand_built_blocks(void **state)
{
    (void)state;
    float y[QK_K];
    quant_block_q4_0 q40 = { .d = 0x3c00 };
    for (int j = 0; j < 16; j++) q40.qs[j] = (uint8_t)(j | (15 - j) << 4);
    quant_scalar_dequantize_q4_0(&q40, y, 32);
    for (int j = 0; j < 16; j++) {
        assert_true(y[j] == (float)(j - 8));
        assert_true(y[j + 16] == (float)(7 - j));
    }

    quant_block_q5_1 q51 = { .d = 0x3800, .m = 0xbc00, .qh = { 0xAA, 0xAA, 0xAA, 0xAA } };
    for (int j = 0; j < 16; j++) q51.qs[j] = (uint8_t)(j | j << 4);
    quant_scalar_dequantize_q5_1(&q51, y, 32);
    for (int j = 0; j < 16; j++) {
        const float code = (float)(j + 16 * (j & 1));
        assert_true(y[j] == 0.5f * code - 1.0f);
        assert_true(y[j + 16] == 0.5f * code - 1.0f);
    }

    quant_block_q4_k q4k = { .d = 0x3c00, .dmin = 0x3800,
                             .scales = { 0x41, 0x82, 0xC3, 0x04, 0x45, 0x06, 0x87, 0x08, 0x9A, 0xBC, 0xDE, 0xF1 } };
    memset(q4k.qs, 0x73, sizeof q4k.qs);
    const int sc4[8] = { 1, 2, 3, 4, 26, 44, 62, 1 }, mn4[8] = { 5, 6, 7, 8, 25, 11, 45, 15 };
    quant_scalar_dequantize_q4_k(&q4k, y, QK_K);
    for (int i = 0; i < QK_K; i++) {
        const int s = i / 32, q = (s % 2) ? 7 : 3;
        assert_true(y[i] == (float)(sc4[s] * q) - 0.5f * (float)mn4[s]);
    }

    quant_block_q5_k q5k = { .d = 0x3c00, .dmin = 0x3800 };
    memcpy(q5k.scales, q4k.scales, 12);
    memset(q5k.qs, 0x73, sizeof q5k.qs);
    memset(q5k.qh, 0x55, sizeof q5k.qh);
    quant_scalar_dequantize_q5_k(&q5k, y, QK_K);
    for (int i = 0; i < QK_K; i++) {
        const int s = i / 32, q = (s % 2) ? 7 : 19;
        assert_true(y[i] == (float)(sc4[s] * q) - 0.5f * (float)mn4[s]);
    }

    quant_block_q6_k q6k = { .d = 0x3400 };
    memset(q6k.ql, 0x21, sizeof q6k.ql);
    memset(q6k.qh, 0xE4, sizeof q6k.qh);
    for (int s = 0; s < 16; s++) q6k.scales[s] = (int8_t)(s - 8);
    const int q6[4] = { -31, -15, 2, 18 };
    quant_scalar_dequantize_q6_k(&q6k, y, QK_K);
    for (int i = 0; i < QK_K; i++) assert_true(y[i] == 0.25f * (float)((i / 16 - 8) * q6[(i / 32) % 4]));

    quant_block_q3_k q3k = { .d = 0x3c00 };
    memset(q3k.scales, 0x21, 8);
    memset(q3k.scales + 8, 0xE4, 4);
    memset(q3k.qs, 0xE4, sizeof q3k.qs);
    memset(q3k.hmask, 0x0F, sizeof q3k.hmask);
    const int sc3[4] = { -31, -15, 2, 18 };
    quant_scalar_dequantize_q3_k(&q3k, y, QK_K);
    for (int i = 0; i < QK_K; i++) {
        const int q = (i / 32) % 4 - (i < 128 ? 0 : 4);
        assert_true(y[i] == (float)(sc3[i / 64] * q));
    }

    quant_block_q2_k q2k = { .d = 0x3c00, .dmin = 0x4000 };
    for (int s = 0; s < 16; s++) q2k.scales[s] = (uint8_t)(s | (15 - s) << 4);
    memset(q2k.qs, 0xE4, sizeof q2k.qs);
    quant_scalar_dequantize_q2_k(&q2k, y, QK_K);
    for (int i = 0; i < QK_K; i++) assert_true(y[i] == (float)((i / 16) * ((i / 32) % 4) - 2 * (15 - i / 16)));
}

/* ---- quantization error ------------------------------------------------------------ */

/* Relative RMS error bounds of quantize->dequantize on gaussian data with outliers. */
static double roundtrip_bound(slm_type type)
{
    switch (type) {
    case SLM_TYPE_F32: return 0.0;
    case SLM_TYPE_F16: return 5e-4;
    case SLM_TYPE_BF16: return 4e-3;
    case SLM_TYPE_Q8_0: return 0.01;
    case SLM_TYPE_Q4_0: return 0.16;
    case SLM_TYPE_Q4_1: return 0.115;
    case SLM_TYPE_Q5_0: return 0.08;
    case SLM_TYPE_Q5_1: return 0.05;
    case SLM_TYPE_Q2_K: return 0.40;
    case SLM_TYPE_Q3_K: return 0.22;
    case SLM_TYPE_Q4_K: return 0.11;
    case SLM_TYPE_Q5_K: return 0.055;
    case SLM_TYPE_Q6_K: return 0.03;
    default: return 0.0;
    }
}

static void test_quantize_round_trip_error(void **state)
{
    (void)state;
    enum { N = 4096 };
    test_rng r = { 12345 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    void *q = malloc(N * 4);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(q);
    fill_realistic(&r, x, N, 0.02f);
    int failures = 0;
    for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
        const quant_traits *t = quant_traits_for(weight_types[k], QUANT_ISA_SCALAR);
        t->quantize_row(x, q, N);
        t->dequantize_row(q, y, N);
        const double err = rel_rms(x, y, N);
        print_message("quantize->dequantize %-5s relative RMS error %.5f (bound %.5f)\n", t->name, err, roundtrip_bound(t->type));
        failures += !(err <= roundtrip_bound(t->type));
    }
    assert_int_equal(failures, 0);
    /* an all-zero row quantizes to zeros, never NaN */
    memset(x, 0, N * sizeof *x);
    for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
        const quant_traits *t = quant_traits_for(weight_types[k], QUANT_ISA_SCALAR);
        t->quantize_row(x, q, N);
        t->dequantize_row(q, y, N);
        for (int i = 0; i < N; i++) assert_true(y[i] == 0.0f);
    }
    free(x);
    free(y);
    free(q);
}

/* ---- vec_dot ------------------------------------------------------------------------- */

typedef struct dot_case {
    int64_t n;
    float *x, *a;          /* weights and activations as floats */
    void *wq, *aq;         /* quantized weights, activations in vec_dot_type */
    float *wdeq, *adeq;    /* their dequantized values */
} dot_case;

static void dot_case_init(dot_case *c, const quant_traits *t, int64_t n, test_rng *r)
{
    const quant_traits *vt = quant_traits_for(t->vec_dot_type, QUANT_ISA_SCALAR);
    c->n = n;
    c->x = malloc((size_t)n * sizeof(float));
    c->a = malloc((size_t)n * sizeof(float));
    c->wdeq = malloc((size_t)n * sizeof(float));
    c->adeq = malloc((size_t)n * sizeof(float));
    c->wq = malloc(row_bytes(t, n));
    c->aq = malloc(row_bytes(vt, n));
    assert_true(c->x && c->a && c->wdeq && c->adeq && c->wq && c->aq);
    fill_realistic(r, c->x, n, 0.02f);
    fill_realistic(r, c->a, n, 1.0f);
    t->quantize_row(c->x, c->wq, n);
    t->dequantize_row(c->wq, c->wdeq, n);
    vt->quantize_row(c->a, c->aq, n);
    vt->dequantize_row(c->aq, c->adeq, n);
}

static void dot_case_free(dot_case *c)
{
    free(c->x);
    free(c->a);
    free(c->wdeq);
    free(c->adeq);
    free(c->wq);
    free(c->aq);
}

/* sum |w_i a_i| over the dequantized values: the scale of rounding errors. */
static double dot_magnitude(const dot_case *c)
{
    double m = 0.0;
    for (int64_t i = 0; i < c->n; i++) m += fabs((double)c->wdeq[i] * c->adeq[i]);
    return m;
}

static double dot_exact(const float *w, const float *a, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += (double)w[i] * a[i];
    return s;
}

static int64_t dot_lengths(const quant_traits *t, int k)
{
    static const int64_t small[] = { 32, 96, 800, 4096, 5632 };
    static const int64_t big[] = { 256, 768, 2048, 4096, 5632 };
    return t->block_size == QK_K ? big[k] : (t->block_size == 1 ? small[k] + 7 * (k > 1) : small[k]);
}

/* The scalar vec_dot equals the float dot of the dequantized rows (integer
 * sub-sums are exact), and is close to the dot of the unquantized activations. */
static void test_scalar_dot_matches_dequantized(void **state)
{
    (void)state;
    test_rng r = { 4242 };
    for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
        const quant_traits *t = quant_traits_for(weight_types[k], QUANT_ISA_SCALAR);
        for (int len = 0; len < 5; len++) {
            dot_case c;
            dot_case_init(&c, t, dot_lengths(t, len), &r);
            float got;
            t->vec_dot(c.n, &got, c.wq, c.aq);
            const double mag = dot_magnitude(&c);
            const double deq = dot_exact(c.wdeq, c.adeq, c.n), act = dot_exact(c.wdeq, c.a, c.n);
            if (fabs(got - deq) > 2e-6 * mag + 1e-30)
                fail_msg("%s n=%lld: vec_dot %g vs dequantized dot %g", t->name, (long long)c.n, got, deq);
            const double act_bound = t->vec_dot_type == SLM_TYPE_F32 ? 2e-6 : 1e-2;
            if (fabs(got - act) > act_bound * mag)
                fail_msg("%s n=%lld: vec_dot %g vs float-activation dot %g", t->name, (long long)c.n, got, act);
            /* the precise path dots the unquantized activations */
            float precise;
            assert_non_null(t->vec_dot_f32);
            t->vec_dot_f32(c.n, &precise, c.wq, c.a);
            if (fabs(precise - act) > 2e-6 * mag + 1e-30)
                fail_msg("%s n=%lld: vec_dot_f32 %g vs float-activation dot %g", t->name, (long long)c.n, precise, act);
            dot_case_free(&c);
        }
    }
}

static void check_isa_against_scalar(quant_isa isa)
{
    test_rng r = { 777 + (uint64_t)isa };
    for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
        const quant_traits *ref = quant_traits_for(weight_types[k], QUANT_ISA_SCALAR);
        const quant_traits *t = quant_traits_for(weight_types[k], isa);
        assert_non_null(t);
        assert_int_equal(t->vec_dot_type, ref->vec_dot_type);
        const quant_traits *vt = quant_traits_for(t->vec_dot_type, isa);
        for (int len = 0; len < 5; len++) {
            dot_case c;
            dot_case_init(&c, ref, dot_lengths(ref, len), &r);
            /* the isa's activation quantizer produces the scalar's bytes */
            void *aq = malloc(row_bytes(vt, c.n));
            assert_non_null(aq);
            vt->quantize_row(c.a, aq, c.n);
            if (memcmp(aq, c.aq, row_bytes(vt, c.n)) != 0)
                fail_msg("%s: %s quantize_row differs from scalar (n=%lld)", quant_isa_name(isa), vt->name, (long long)c.n);
            free(aq);
            float want, got;
            ref->vec_dot(c.n, &want, c.wq, c.aq);
            t->vec_dot(c.n, &got, c.wq, c.aq);
            if (fabs((double)got - want) > 2e-6 * dot_magnitude(&c) + 1e-30)
                fail_msg("%s %s n=%lld: vec_dot %.9g, scalar %.9g", quant_isa_name(isa), t->name, (long long)c.n, got, want);
            assert_non_null(t->vec_dot_f32);
            ref->vec_dot_f32(c.n, &want, c.wq, c.a);
            t->vec_dot_f32(c.n, &got, c.wq, c.a);
            if (fabs((double)got - want) > 2e-6 * dot_magnitude(&c) + 1e-30)
                fail_msg("%s %s n=%lld: vec_dot_f32 %.9g, scalar %.9g", quant_isa_name(isa), t->name, (long long)c.n, got, want);
            /* dequantize and weight quantize match the scalar kernels too */
            float *deq = malloc((size_t)c.n * sizeof(float));
            assert_non_null(deq);
            t->dequantize_row(c.wq, deq, c.n);
            for (int64_t i = 0; i < c.n; i++) {
                if (deq[i] != c.wdeq[i])
                    fail_msg("%s %s dequantize element %lld: %g vs scalar %g", quant_isa_name(isa), t->name, (long long)i, deq[i], c.wdeq[i]);
            }
            free(deq);
            dot_case_free(&c);
        }
    }
}

static void test_simd_kernels_match_scalar(void **state)
{
    (void)state;
    const quant_isa isas[] = { QUANT_ISA_AVX2, QUANT_ISA_AVX512, QUANT_ISA_AVX512_VNNI, QUANT_ISA_NEON };
    int ran = 0;
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        const char *name = quant_isa_name(isas[i]);
        if (quant_traits_for(SLM_TYPE_Q4_0, isas[i]) == NULL) {
            print_message("NOTICE: %s kernels not compiled for this architecture: not executed\n", name);
            continue;
        }
        if (!quant_isa_supported(isas[i])) {
            print_message("NOTICE: %s kernels compiled but not executed: CPU lacks %s"
                          " (test_quant_avx512_emulated runs them on emulated intrinsics)\n", name,
                          isas[i] == QUANT_ISA_AVX2 ? "AVX2/FMA/F16C" : isas[i] == QUANT_ISA_AVX512_VNNI ? "AVX-512 VNNI" : "AVX-512");
            continue;
        }
        check_isa_against_scalar(isas[i]);
        print_message("%s kernels checked against scalar for %zu types\n", name, N_WEIGHT_TYPES);
        ran++;
    }
    print_message("best isa: %s (%d SIMD set%s executed)\n", slm_simd_path(), ran, ran == 1 ? "" : "s");
}

/* quant_vec_dot_rows equals calling vec_dot per row, for every type and isa here. */
static void test_vec_dot_rows_equals_per_row(void **state)
{
    (void)state;
    enum { ROWS = 5 };
    test_rng r = { 31337 };
    for (int isa = 0; isa < QUANT_ISA_COUNT; isa++) {
        if (!quant_isa_supported((quant_isa)isa) || quant_traits_for(SLM_TYPE_F32, (quant_isa)isa) == NULL) continue;
        for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
            const quant_traits *t = quant_traits_for(weight_types[k], (quant_isa)isa);
            const quant_traits *vt = quant_traits_for(t->vec_dot_type, (quant_isa)isa);
            const int64_t lengths[3] = { t->block_size == QK_K ? 256 : 64, 2048, t->block_size == QK_K ? 20480 : 16416 };
            for (int l = 0; l < 3; l++) {
                const int64_t n = lengths[l];
                const size_t rb = row_bytes(t, n);
                float *x = malloc((size_t)n * sizeof(float)), out[ROWS], want[ROWS];
                uint8_t *w = malloc(rb * ROWS), *aq = malloc(row_bytes(vt, n));
                assert_true(x && w && aq);
                for (int row = 0; row < ROWS; row++) {
                    fill_realistic(&r, x, n, 0.02f);
                    t->quantize_row(x, w + (size_t)row * rb, n);
                }
                fill_realistic(&r, x, n, 1.0f);
                vt->quantize_row(x, aq, n);
                quant_vec_dot_rows(t, n, ROWS, out, w, rb, aq);
                for (int row = 0; row < ROWS; row++) {
                    t->vec_dot(n, &want[row], w + (size_t)row * rb, aq);
                    if (out[row] != want[row])
                        fail_msg("%s %s n=%lld row %d: rows %.9g, vec_dot %.9g", quant_isa_name((quant_isa)isa), t->name,
                                 (long long)n, row, out[row], want[row]);
                }
                free(x);
                free(w);
                free(aq);
            }
        }
    }
}

/* Sum |w_i a_i| of dequantized rows, the scale of float rounding in a dot. */
static double row_magnitude(const quant_traits *t, const quant_traits *vt, const void *w, const void *a, int64_t n)
{
    float *wd = malloc((size_t)n * sizeof(float)), *ad = malloc((size_t)n * sizeof(float));
    assert_true(wd && ad);
    t->dequantize_row(w, wd, n);
    vt->dequantize_row(a, ad, n);
    double m = 0.0;
    for (int64_t i = 0; i < n; i++) m += fabs((double)wd[i] * ad[i]);
    free(wd);
    free(ad);
    return m;
}

/* quant_vec_dot_multi equals vec_dot per activation (up to summation order;
 * exactly for AVX2 Q4_0, Q4_1, Q5_1 and the K-quants), for every type, isa here and activation count,
 * with strided outputs. */
static void test_vec_dot_multi_equals_per_activation(void **state)
{
    (void)state;
    enum { ACTS = 7, OUT_STRIDE = 3 };
    test_rng r = { 4711 };
    for (int isa = 0; isa < QUANT_ISA_COUNT; isa++) {
        if (!quant_isa_supported((quant_isa)isa) || quant_traits_for(SLM_TYPE_F32, (quant_isa)isa) == NULL) continue;
        for (size_t k = 0; k < N_WEIGHT_TYPES; k++) {
            const quant_traits *t = quant_traits_for(weight_types[k], (quant_isa)isa);
            const quant_traits *vt = quant_traits_for(t->vec_dot_type, (quant_isa)isa);
            const int64_t n = t->block_size == QK_K ? 2304 : 2336; /* 9 super-blocks / 73 blocks: tails too */
            const size_t ab = row_bytes(vt, n);
            float *x = malloc((size_t)n * sizeof(float)), out[ACTS * OUT_STRIDE];
            uint8_t *w = malloc(row_bytes(t, n)), *acts = malloc(ab * ACTS);
            assert_true(x && w && acts);
            fill_realistic(&r, x, n, 0.02f);
            t->quantize_row(x, w, n);
            for (int j = 0; j < ACTS; j++) {
                fill_realistic(&r, x, n, 1.0f);
                vt->quantize_row(x, acts + (size_t)j * ab, n);
            }
            for (int count = 1; count <= ACTS; count++) {
                quant_vec_dot_multi(t, n, count, out, OUT_STRIDE, w, acts, ab);
                for (int j = 0; j < count; j++) {
                    float want;
                    t->vec_dot(n, &want, w, acts + (size_t)j * ab);
                    /* the AVX2 Q4_0, Q4_1, Q5_1 and K-quant kernels (which the AVX-512
                     * tables take whole) promise bit-identity (batched
                     * prefill equals decode) */
                    const quant_traits *avx2 = quant_traits_for(t->type, QUANT_ISA_AVX2);
                    const int exact = avx2 != NULL && t->vec_dot_multi == avx2->vec_dot_multi &&
                                      (t->type == SLM_TYPE_Q4_0 || t->type == SLM_TYPE_Q4_1 ||
                                       t->type == SLM_TYPE_Q5_1 || t->block_size == QK_K);
                    const double tol = exact ? 0.0 : 2e-6 * row_magnitude(t, vt, w, acts + (size_t)j * ab, n) + 1e-30;
                    if (fabs((double)out[j * OUT_STRIDE] - want) > tol)
                        fail_msg("%s %s acts=%d act %d: multi %.9g, vec_dot %.9g", quant_isa_name((quant_isa)isa),
                                 t->name, count, j, out[j * OUT_STRIDE], want);
                }
            }
            free(x);
            free(w);
            free(acts);
        }
    }
}

static void test_names_and_lookup(void **state)
{
    (void)state;
    assert_string_equal(slm_type_name(SLM_TYPE_Q4_K), "Q4_K");
    assert_string_equal(slm_type_name(SLM_TYPE_BF16), "BF16");
    assert_null(slm_type_name(4));
    assert_null(slm_type_name(-1));
    assert_null(slm_type_name(SLM_TYPE_COUNT));
    assert_null(quant_traits_for((slm_type)5, QUANT_ISA_SCALAR));
    assert_null(quant_traits_for(SLM_TYPE_Q4_0, QUANT_ISA_COUNT));
    assert_true(quant_isa_supported(QUANT_ISA_SCALAR));
    assert_true(quant_isa_supported(quant_best_isa()));
    assert_non_null(quant_get_traits(SLM_TYPE_Q6_K));
    assert_int_equal(quant_get_traits(SLM_TYPE_Q6_K)->block_bytes, 210);
    assert_int_equal(quant_get_traits(SLM_TYPE_Q4_K)->vec_dot_type, SLM_TYPE_Q8_K);
    assert_int_equal(quant_get_traits(SLM_TYPE_F16)->vec_dot_type, SLM_TYPE_F32);
#if defined(__x86_64__)
    /* a type the AVX-512 tables do not specialise is the AVX2 entry, whole
     * (its multi-row and multi-activation kernels included) */
    for (int isa = QUANT_ISA_AVX512; isa <= QUANT_ISA_AVX512_VNNI; isa++) {
        const quant_traits *q8 = quant_traits_for(SLM_TYPE_Q8_0, (quant_isa)isa);
        const quant_traits *q8_avx2 = quant_traits_for(SLM_TYPE_Q8_0, QUANT_ISA_AVX2);
        assert_non_null(q8_avx2->vec_dot_rows);
        assert_memory_equal(q8, q8_avx2, sizeof *q8);
        assert_ptr_not_equal(quant_traits_for(SLM_TYPE_F32, (quant_isa)isa)->vec_dot,
                             quant_traits_for(SLM_TYPE_F32, QUANT_ISA_AVX2)->vec_dot);
    }
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_known_values),
        cmocka_unit_test(test_f16_round_trip_every_pattern),
        cmocka_unit_test(test_f16_rows_match_scalar),
        cmocka_unit_test(test_bf16_conversions),
        cmocka_unit_test(test_layouts_match_reference_walks),
        cmocka_unit_test(test_hand_built_blocks),
        cmocka_unit_test(test_quantize_round_trip_error),
        cmocka_unit_test(test_scalar_dot_matches_dequantized),
        cmocka_unit_test(test_simd_kernels_match_scalar),
        cmocka_unit_test(test_vec_dot_rows_equals_per_row),
        cmocka_unit_test(test_vec_dot_multi_equals_per_activation),
        cmocka_unit_test(test_names_and_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
