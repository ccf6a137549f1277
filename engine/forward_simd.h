/*
 * forward_simd.h — SIMD helpers of the forward pass, one per ISA file
 * (forward_avx2.c). Internal to engine/. Each equals its scalar counterpart
 * in forward.c up to float rounding.
 */
#ifndef ENG_FORWARD_SIMD_H
#define ENG_FORWARD_SIMD_H

/* y[i] += a * x[i] for i < n. */
typedef void (*eng_axpy_fn)(float *y, float a, const float *x, int n);

void eng_axpy_avx2(float *y, float a, const float *x, int n);

/* sum of exp(x[i] - max) for i < n, where max >= every x[i]. */
typedef double (*eng_sum_exp_fn)(const float *x, int n, float max);

double eng_sum_exp_avx2(const float *x, int n, float max);

#endif /* ENG_FORWARD_SIMD_H */
