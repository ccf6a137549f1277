/*
 * quant_avx512.c — AVX-512 (F/BW/VL/DQ) kernels, compiled with those flags
 * only and selected at run time (quant.c).
 *
 * What: vec_dot for F32 and F16. Every other type runs the AVX2 kernels
 * (quant.c fills the entries these sparse tables leave empty from the AVX2
 * table, whole, so a type's vec_dot, vec_dot_rows and vec_dot_multi always
 * come from one set and keep that set's agreement guarantees). The AVX-512
 * VNNI table is this one: VNNI serves the Q8_0 prefill tile
 * (forward_avx512.c).
 * Why only these: on the first AVX-512 machine this ran on (Xeon Ice Lake,
 * 2.6 GHz, KVM; bench_quant, one thread, cache-resident rows) the 512-bit
 * F32/F16 dots read 30-34 and 20-21 GB/s against AVX2's 22-23 and 13;
 * 512-bit Q8_0/Q4_0/Q5_0/Q4_K/Q5_K/Q6_K dots (two blocks per vector, per-block
 * scalar scales) were 10-45% slower than the AVX2 ones, which also have the
 * multi-row/multi-activation kernels decode and prefill use (smollm2-135m
 * Q8_0, 2 threads: 106 tok/s decode with AVX2 against 92 with them), so they
 * were removed rather than selected. Q4_1/Q5_1 went the same way once their
 * AVX2 kernels formed the block scales 8 at a time as vectors: 8.9-9.2 and
 * 8.0-8.5 GB/s in L2 against 4.5-6.2 and 5.1-7.0 for the 512-bit ones (VNNI
 * or not), also when those got the same vector scales (4.5-5.5).
 * Invariants: unaligned loads only; masked loads for the tails.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include "quant_kernels.h"
#if defined(QUANT_AVX512_EMULATION) /* tests/unit/test_quant_avx512_emulated.c only */
#include QUANT_AVX512_EMULATION
#endif

/* ---- helpers --------------------------------------------------------------------- */

static inline float avx512_hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

/* ---- F32 / F16 --------------------------------------------------------------------- */

void quant_avx512_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc0);
    }
    *result = avx512_hsum(_mm512_add_ps(acc0, acc1));
}

void quant_avx512_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i))), _mm512_loadu_ps(y + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16))), _mm512_loadu_ps(y + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 xv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i));
        acc0 = _mm512_fmadd_ps(xv, _mm512_maskz_loadu_ps(m, y + i), acc0);
    }
    *result = avx512_hsum(_mm512_add_ps(acc0, acc1));
}

/* ---- tables ---------------------------------------------------------------------------------- */

/* Sparse tables: only the types specialised here; quant.c takes every other
 * entry whole from the AVX2 table. */
#define AVX512_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
#define AVX512_ENTRIES                                                                                                      \
    AVX512_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_avx512_dot_f32, quant_avx512_dot_f32),  \
    AVX512_ENTRY(F16, quant_avx2_dequantize_f16, quant_avx2_quantize_f16, quant_avx512_dot_f16, quant_avx512_dot_f16)

const quant_traits quant_table_avx512[SLM_TYPE_COUNT] = { AVX512_ENTRIES };
const quant_traits quant_table_avx512_vnni[SLM_TYPE_COUNT] = { AVX512_ENTRIES };
#endif /* __x86_64__ */
