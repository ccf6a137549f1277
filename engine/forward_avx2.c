/*
 * forward_avx2.c — AVX2/FMA versions of the forward pass's own float loops
 * (attention's weighted sum of values). Compiled with -mavx2 -mfma (Makefile
 * rule for *_avx2.c); called only when the CPU has AVX2 (forward.c checks
 * quant_isa_supported at context creation).
 * Invariant: same result as the scalar loop up to float rounding (FMA).
 */
#include <immintrin.h>

#include "forward_simd.h"

void eng_axpy_avx2(float *y, float a, const float *x, int n)
{
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}
