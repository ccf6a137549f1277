/*
 * quant_kernels.h — block layouts and per-ISA kernel tables. Internal to the
 * quant_*.c files; the rest of the engine uses quant.h.
 *
 * Block layouts (bit-exact with ggml/GGUF, little-endian, no padding; "f16" is
 * an IEEE half stored as raw bits). x = dequantized value, q = stored code.
 *   Q4_0  18 B / 32: d, qs[16]. Byte j holds element j (low nibble) and
 *         element j+16 (high nibble); x = d * (q - 8).
 *   Q4_1  20 B / 32: d, m, qs[16] as Q4_0; x = d * q + m.
 *   Q5_0  22 B / 32: d, qh[4], qs[16]; bit j of the little-endian u32 qh is
 *         bit 4 of element j; x = d * (q - 16).
 *   Q5_1  24 B / 32: d, m, qh[4], qs[16]; x = d * q + m.
 *   Q8_0  34 B / 32: d, int8 qs[32]; x = d * q.
 *   Q8_1  36 B / 32: d, s = d * sum(qs) (f16), int8 qs[32]. Activations only.
 *   Q8_K  292 B / 256: float d, int8 qs[256], int16 bsums[16] (sums of each
 *         16 consecutive qs). Activations only.
 *   K-quants: super-block of 256 = 16 sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or
 *   8 sub-blocks of 32 (Q4_K, Q5_K). Within each 128 (Q2/Q3/Q6) or 64 (Q4/Q5)
 *   elements, the 2/4-bit fields of one byte belong to elements 32 apart.
 *   Q2_K  84 B: scales[16] (low nibble scale, high nibble min per sub-block),
 *         qs[64], d, dmin. Element i = 128h + 32j + l: 2 bits at
 *         qs[32h + l] >> 2j; x = d*sc*q - dmin*m.
 *   Q3_K  110 B: hmask[32], qs[64], scales[12], d. Low 2 bits as Q2_K, bit 2
 *         in hmask[i % 32] bit i/32; code c = lowbits | bit2 << 2, q = c - 4.
 *         Scales are 6-bit (stored +32): low nibble in scales[s] (s < 8) or
 *         high nibble of scales[s - 8]; high 2 bits at scales[8 + s%4] >> 2(s/4).
 *         x = d * (scale - 32) * q.
 *   Q4_K  144 B: d, dmin, scales[12], qs[128]. Element i = 64h + 32k + l:
 *         nibble k of qs[32h + l]. Sub-block s = i/32 has 6-bit scale/min:
 *         s < 4: scales[s] & 63, scales[s+4] & 63; else low 4 bits from
 *         scales[s+4] (low nibble scale, high nibble min) and high 2 bits from
 *         scales[s-4] >> 6 (scale) and scales[s] >> 6 (min). x = d*sc*q - dmin*m.
 *   Q5_K  176 B: d, dmin, scales[12], qh[32], qs[128]; as Q4_K plus bit 4 of
 *         element i in qh[i % 32] bit i/32.
 *   Q6_K  210 B: ql[128], qh[64], int8 scales[16], d. Element i = 128h + 32k + l:
 *         low nibble: ql[64h + 32(k&1) + l], nibble k>>1; high 2 bits:
 *         qh[32h + l] >> 2k; q = code - 32; x = d * scales[i/16] * q.
 * Invariant: every vec_dot of a quantized type works on exact integer
 * sub-sums, so SIMD and scalar results differ only by float summation order.
 */
#ifndef QUANT_KERNELS_H
#define QUANT_KERNELS_H

#include <stdint.h>
#include "quant.h"

typedef struct { quant_f16 d; uint8_t qs[QK4_0 / 2]; } quant_block_q4_0;
typedef struct { quant_f16 d, m; uint8_t qs[QK4_1 / 2]; } quant_block_q4_1;
typedef struct { quant_f16 d; uint8_t qh[4]; uint8_t qs[QK5_0 / 2]; } quant_block_q5_0;
typedef struct { quant_f16 d, m; uint8_t qh[4]; uint8_t qs[QK5_1 / 2]; } quant_block_q5_1;
typedef struct { quant_f16 d; int8_t qs[QK8_0]; } quant_block_q8_0;
typedef struct { quant_f16 d, s; int8_t qs[QK8_1]; } quant_block_q8_1;
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } quant_block_q8_k;
typedef struct {
    uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; quant_f16 d, dmin;
} quant_block_q2_k;
typedef struct {
    uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; quant_f16 d;
} quant_block_q3_k;
typedef struct { quant_f16 d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } quant_block_q4_k;
typedef struct {
    quant_f16 d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2];
} quant_block_q5_k;
typedef struct {
    uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; quant_f16 d;
} quant_block_q6_k;

_Static_assert(sizeof(quant_block_q4_0) == 18, "Q4_0 layout");
_Static_assert(sizeof(quant_block_q4_1) == 20, "Q4_1 layout");
_Static_assert(sizeof(quant_block_q5_0) == 22, "Q5_0 layout");
_Static_assert(sizeof(quant_block_q5_1) == 24, "Q5_1 layout");
_Static_assert(sizeof(quant_block_q8_0) == 34, "Q8_0 layout");
_Static_assert(sizeof(quant_block_q8_1) == 36, "Q8_1 layout");
_Static_assert(sizeof(quant_block_q8_k) == 292, "Q8_K layout");
_Static_assert(sizeof(quant_block_q2_k) == 84, "Q2_K layout");
_Static_assert(sizeof(quant_block_q3_k) == 110, "Q3_K layout");
_Static_assert(sizeof(quant_block_q4_k) == 144, "Q4_K layout");
_Static_assert(sizeof(quant_block_q5_k) == 176, "Q5_K layout");
_Static_assert(sizeof(quant_block_q6_k) == 210, "Q6_K layout");

/* Unpacks the 6-bit scales and mins of a Q4_K/Q5_K block (8 each). */
void quant_unpack_k4_scales(const uint8_t packed[12], uint8_t scales[8], uint8_t mins[8]);
/* Unpacks the 16 6-bit scales of a Q3_K block, already minus 32. */
void quant_unpack_q3_k_scales(const uint8_t packed[12], int8_t scales[16]);

/* Metadata part of a traits entry: type, name, block size, block bytes, vec_dot_type. */
#define QUANT_META_F32  SLM_TYPE_F32, "F32", 1, sizeof(float), SLM_TYPE_F32
#define QUANT_META_F16  SLM_TYPE_F16, "F16", 1, sizeof(quant_f16), SLM_TYPE_F32
#define QUANT_META_BF16 SLM_TYPE_BF16, "BF16", 1, sizeof(quant_bf16), SLM_TYPE_F32
#define QUANT_META_Q4_0 SLM_TYPE_Q4_0, "Q4_0", QK4_0, sizeof(quant_block_q4_0), SLM_TYPE_Q8_0
#define QUANT_META_Q4_1 SLM_TYPE_Q4_1, "Q4_1", QK4_1, sizeof(quant_block_q4_1), SLM_TYPE_Q8_1
#define QUANT_META_Q5_0 SLM_TYPE_Q5_0, "Q5_0", QK5_0, sizeof(quant_block_q5_0), SLM_TYPE_Q8_0
#define QUANT_META_Q5_1 SLM_TYPE_Q5_1, "Q5_1", QK5_1, sizeof(quant_block_q5_1), SLM_TYPE_Q8_1
#define QUANT_META_Q8_0 SLM_TYPE_Q8_0, "Q8_0", QK8_0, sizeof(quant_block_q8_0), SLM_TYPE_Q8_0
#define QUANT_META_Q8_1 SLM_TYPE_Q8_1, "Q8_1", QK8_1, sizeof(quant_block_q8_1), SLM_TYPE_Q8_1
#define QUANT_META_Q8_K SLM_TYPE_Q8_K, "Q8_K", QK_K, sizeof(quant_block_q8_k), SLM_TYPE_Q8_K
#define QUANT_META_Q2_K SLM_TYPE_Q2_K, "Q2_K", QK_K, sizeof(quant_block_q2_k), SLM_TYPE_Q8_K
#define QUANT_META_Q3_K SLM_TYPE_Q3_K, "Q3_K", QK_K, sizeof(quant_block_q3_k), SLM_TYPE_Q8_K
#define QUANT_META_Q4_K SLM_TYPE_Q4_K, "Q4_K", QK_K, sizeof(quant_block_q4_k), SLM_TYPE_Q8_K
#define QUANT_META_Q5_K SLM_TYPE_Q5_K, "Q5_K", QK_K, sizeof(quant_block_q5_k), SLM_TYPE_Q8_K
#define QUANT_META_Q6_K SLM_TYPE_Q6_K, "Q6_K", QK_K, sizeof(quant_block_q6_k), SLM_TYPE_Q8_K

/* Declares the kernels of one type for one isa, e.g. quant_scalar_dot_q4_0;
 * fdot is the vec_dot_f32 kernel (weights . F32 activations). */
#define QUANT_DECLARE(isa, t) \
    void quant_##isa##_dequantize_##t(const void *src, float *dst, int64_t n); \
    void quant_##isa##_quantize_##t(const float *src, void *dst, int64_t n); \
    void quant_##isa##_dot_##t(int64_t n, float *result, const void *w, const void *a); \
    void quant_##isa##_fdot_##t(int64_t n, float *result, const void *w, const void *a); \
    void quant_##isa##_dot_rows_##t(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, \
                                     const void *a); \
    void quant_##isa##_dot_multi_##t(int64_t n, int n_acts, float *out, size_t out_stride, const void *w, \
                                      const void *a, size_t act_stride)

#define QUANT_DECLARE_ALL(isa) \
    QUANT_DECLARE(isa, f32); QUANT_DECLARE(isa, f16); QUANT_DECLARE(isa, bf16); \
    QUANT_DECLARE(isa, q4_0); QUANT_DECLARE(isa, q4_1); QUANT_DECLARE(isa, q5_0); \
    QUANT_DECLARE(isa, q5_1); QUANT_DECLARE(isa, q8_0); QUANT_DECLARE(isa, q8_1); \
    QUANT_DECLARE(isa, q8_k); QUANT_DECLARE(isa, q2_k); QUANT_DECLARE(isa, q3_k); \
    QUANT_DECLARE(isa, q4_k); QUANT_DECLARE(isa, q5_k); QUANT_DECLARE(isa, q6_k)

QUANT_DECLARE_ALL(scalar);

/* Full traits tables indexed by slm_type; entries with name == NULL are not types. */
extern const quant_traits quant_table_scalar[SLM_TYPE_COUNT];
#if defined(__x86_64__)
QUANT_DECLARE_ALL(avx2);
QUANT_DECLARE_ALL(avx512);
extern const quant_traits quant_table_avx2[SLM_TYPE_COUNT];
extern const quant_traits quant_table_avx512[SLM_TYPE_COUNT];
extern const quant_traits quant_table_avx512_vnni[SLM_TYPE_COUNT];
#endif
#if defined(__aarch64__)
QUANT_DECLARE_ALL(neon);
extern const quant_traits quant_table_neon[SLM_TYPE_COUNT];
#endif

#endif /* QUANT_KERNELS_H */
