/*
 * quant_avx2.c — AVX2 + FMA + F16C kernels (compiled with those flags only;
 * quant.c selects this table at run time when the CPU and OS support it).
 *
 * Invariants: unaligned loads only (GGUF rows are 2-byte aligned); every
 * quantized vec_dot sums exact integer products per block before scaling,
 * so results equal the scalar reference up to float summation order.
 * Entries not specialised here use the scalar kernels.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_kernels.h"

#define AVX2_ENTRY(T, deq, quant, dot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot }

const quant_traits quant_table_avx2[SLM_TYPE_COUNT] = {
    AVX2_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_scalar_dot_f32),
    AVX2_ENTRY(F16, quant_scalar_dequantize_f16, quant_scalar_quantize_f16, quant_scalar_dot_f16),
    AVX2_ENTRY(BF16, quant_scalar_dequantize_bf16, quant_scalar_quantize_bf16, quant_scalar_dot_bf16),
    AVX2_ENTRY(Q4_0, quant_scalar_dequantize_q4_0, quant_scalar_quantize_q4_0, quant_scalar_dot_q4_0),
    AVX2_ENTRY(Q4_1, quant_scalar_dequantize_q4_1, quant_scalar_quantize_q4_1, quant_scalar_dot_q4_1),
    AVX2_ENTRY(Q5_0, quant_scalar_dequantize_q5_0, quant_scalar_quantize_q5_0, quant_scalar_dot_q5_0),
    AVX2_ENTRY(Q5_1, quant_scalar_dequantize_q5_1, quant_scalar_quantize_q5_1, quant_scalar_dot_q5_1),
    AVX2_ENTRY(Q8_0, quant_scalar_dequantize_q8_0, quant_scalar_quantize_q8_0, quant_scalar_dot_q8_0),
    AVX2_ENTRY(Q8_1, quant_scalar_dequantize_q8_1, quant_scalar_quantize_q8_1, NULL),
    AVX2_ENTRY(Q8_K, quant_scalar_dequantize_q8_k, quant_scalar_quantize_q8_k, NULL),
    AVX2_ENTRY(Q2_K, quant_scalar_dequantize_q2_k, quant_scalar_quantize_q2_k, quant_scalar_dot_q2_k),
    AVX2_ENTRY(Q3_K, quant_scalar_dequantize_q3_k, quant_scalar_quantize_q3_k, quant_scalar_dot_q3_k),
    AVX2_ENTRY(Q4_K, quant_scalar_dequantize_q4_k, quant_scalar_quantize_q4_k, quant_scalar_dot_q4_k),
    AVX2_ENTRY(Q5_K, quant_scalar_dequantize_q5_k, quant_scalar_quantize_q5_k, quant_scalar_dot_q5_k),
    AVX2_ENTRY(Q6_K, quant_scalar_dequantize_q6_k, quant_scalar_quantize_q6_k, quant_scalar_dot_q6_k),
};
#endif /* __x86_64__ */
