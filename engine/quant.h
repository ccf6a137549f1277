/*
 * quant.h — tensor element types and their kernels. Internal to engine/.
 *
 * Every type has a scalar reference implementation (quant_scalar.c) of:
 *   dequantize_row  blocks -> float
 *   quantize_row    float -> blocks (round-to-nearest with the standard block
 *                   scales; bit-exact with the GGUF layouts)
 *   vec_dot         one weight row (this type) . one activation row, the
 *                   activation already converted to traits->vec_dot_type
 * SIMD sets (quant_avx2.c, quant_avx512.c, later quant_neon.c) provide the same
 * functions; a SIMD vec_dot must equal the scalar one up to float rounding
 * (tests/unit/test_quant.c checks every type on random data).
 *
 * Block layouts follow ggml exactly (GGUF files are read in place via mmap);
 * they are documented in quant_kernels.h. n passed to a row function must be
 * a multiple of block_size; row pointers need only 2-byte alignment.
 *
 * Activation formats and precision (relative error of one dot product on
 * realistic data, tests/bench/bench_quant): Q4_0/Q5_0/Q8_0 dot Q8_0 and
 * Q4_1/Q5_1 dot Q8_1 (int8, one scale per 32) ~0.6-1e-2; K-quants dot Q8_K
 * (int8, one float scale per 256) ~1.5-3e-2; F32/F16/BF16 dot F32 ~1e-7.
 * vec_dot_f32 dots any weight type with F32 activations (~1e-7, 2-4x slower
 * for quantized types) for callers that need more precision.
 * Quantized vec_dots sum exact integers per block, so every ISA's kernel
 * equals the scalar reference up to float summation order.
 */
#ifndef QUANT_H
#define QUANT_H

#include <stddef.h>
#include <stdint.h>
#include "slm.h"

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256

typedef uint16_t quant_f16; /* IEEE half, raw bits */
typedef uint16_t quant_bf16;

typedef void (*quant_dequantize_fn)(const void *src, float *dst, int64_t n);
typedef void (*quant_quantize_fn)(const float *src, void *dst, int64_t n);
typedef void (*quant_vec_dot_fn)(int64_t n, float *result, const void *weights, const void *activations);
typedef void (*quant_vec_dot_rows_fn)(int64_t n, int64_t n_rows, float *out, const void *weights,
                                      size_t row_bytes, const void *activations);
typedef void (*quant_vec_dot_multi_fn)(int64_t n, int n_acts, float *out, size_t out_stride, const void *weights,
                                       const void *activations, size_t act_stride);

/* Most activation rows one vec_dot_multi kernel call takes. */
#define QUANT_MULTI_MAX 4

typedef struct quant_traits {
    slm_type type;
    const char *name;
    int block_size;          /* elements per block */
    size_t block_bytes;      /* bytes per block */
    slm_type vec_dot_type;   /* format activations are converted to for vec_dot */
    quant_dequantize_fn dequantize_row;
    quant_quantize_fn quantize_row;
    quant_vec_dot_fn vec_dot;
    /* Higher-precision alternative to vec_dot: one weight row (this type) .
     * one F32 activation row (no activation quantization; error ~1e-6
     * relative instead of ~1e-2). Slower for quantized types (see
     * tests/bench/bench_quant). For F32/F16/BF16 it is vec_dot itself.
     * NULL for the activation-only formats Q8_1 and Q8_K. */
    quant_vec_dot_fn vec_dot_f32;
    /* Optional (may be NULL): vec_dot of n_rows consecutive weight rows with
     * one activation row; call it through quant_vec_dot_rows(). */
    quant_vec_dot_rows_fn vec_dot_rows;
    /* Optional (may be NULL): one weight row against n_acts <= QUANT_MULTI_MAX
     * activation rows; call it through quant_vec_dot_multi(). */
    quant_vec_dot_multi_fn vec_dot_multi;
} quant_traits;

typedef enum quant_isa {
    QUANT_ISA_SCALAR = 0,
    QUANT_ISA_AVX2 = 1,
    QUANT_ISA_AVX512 = 2,      /* F, BW, VL, DQ */
    QUANT_ISA_AVX512_VNNI = 3,
    QUANT_ISA_NEON = 4,
    QUANT_ISA_COUNT = 5
} quant_isa;

const char *quant_isa_name(quant_isa isa);
/* Whether this CPU (and OS, for AVX-512 state) can run isa. */
int quant_isa_supported(quant_isa isa);
/* Best supported isa; SLM_FORCE_ISA=scalar|avx2|avx512|avx512-vnni in the
 * environment caps it (for benchmarks and debugging). */
quant_isa quant_best_isa(void);

/* Kernels of one isa; entries an isa does not specialise fall back to the next
 * lower isa's. NULL for an unknown type or an isa not compiled in. */
const quant_traits *quant_traits_for(slm_type type, quant_isa isa);
/* Kernels for quant_best_isa(). */
const quant_traits *quant_get_traits(slm_type type);

/* out[r] = (weight row r) . activations for r < n_rows, rows row_bytes apart,
 * activations in t->vec_dot_type. Equals calling t->vec_dot per row; faster
 * where the isa has a multi-row kernel (Q4_0, Q5_0, Q8_0 on AVX2: the
 * activation block scales are converted once per call instead of once per row). */
void quant_vec_dot_rows(const quant_traits *t, int64_t n, int64_t n_rows, float *out, const void *weights,
                        size_t row_bytes, const void *activations);

/* out[k * out_stride] = weights . (activation row k) for k < n_acts, activation
 * rows act_stride bytes apart in t->vec_dot_type (a batch, as in prefill).
 * Equals t->vec_dot per activation up to float summation order; faster where
 * the isa has a multi-activation kernel (AVX2: Q4_0, Q8_0, Q4_K, Q6_K), which
 * unpacks each weight block once for up to QUANT_MULTI_MAX activations. */
void quant_vec_dot_multi(const quant_traits *t, int64_t n, int n_acts, float *out, size_t out_stride,
                         const void *weights, const void *activations, size_t act_stride);

/* Half-precision conversions (scalar; SIMD code uses F16C where present). */
float quant_f16_to_f32(quant_f16 h);
quant_f16 quant_f32_to_f16(float f);
float quant_bf16_to_f32(quant_bf16 h);
quant_bf16 quant_f32_to_bf16(float f);

/* Row helpers over the best isa. */
void quant_f16_to_f32_row(const quant_f16 *src, float *dst, int64_t n);
void quant_f32_to_f16_row(const float *src, quant_f16 *dst, int64_t n);

#endif /* QUANT_H */
