/*
 * quant_avx512.c — AVX-512 (F/BW/VL/DQ) and AVX-512 VNNI kernels (compiled
 * with those flags only; selected at run time). Entries not specialised here
 * use the AVX2 kernels, which every AVX-512 CPU can run.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_kernels.h"

const quant_traits quant_table_avx512[SLM_TYPE_COUNT] = { 0 };
const quant_traits quant_table_avx512_vnni[SLM_TYPE_COUNT] = { 0 };
#endif /* __x86_64__ */
