/*
 * forward_simd.h — SIMD helpers of the forward pass, one per ISA file
 * (forward_avx2.c). Internal to engine/. Each equals its scalar counterpart
 * in forward.c up to float rounding.
 */
#ifndef ENG_FORWARD_SIMD_H
#define ENG_FORWARD_SIMD_H

#include <stdint.h>

/* y[i] += a * x[i] for i < n. */
typedef void (*eng_axpy_fn)(float *y, float a, const float *x, int n);

void eng_axpy_avx2(float *y, float a, const float *x, int n);

/* sum of exp(x[i] - max) for i < n, where max >= every x[i]. */
typedef double (*eng_sum_exp_fn)(const float *x, int n, float max);

double eng_sum_exp_avx2(const float *x, int n, float max);

/* Attention straight on an F16 KV cache (IEEE half bits), widening in
 * registers instead of converting the cache to a scratch buffer first. */
float eng_dot_f16_avx2(const uint16_t *x, const float *y, int n);
float eng_dot_f32_avx2(const float *x, const float *y, int n); /* same summation order */
void eng_axpy_f16_avx2(float *y, float a, const uint16_t *x, int n);

#endif /* ENG_FORWARD_SIMD_H */
