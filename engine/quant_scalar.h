/*
 * quant_scalar.h — small static helpers shared by the scalar kernel files
 * (quant_scalar.c, quant_scalar_k.c). Internal to engine/quant_*.c.
 *
 * Invariants: rounding is round-to-nearest-even (lrintf in the default
 * rounding mode), the same rule the SIMD quantizers use.
 */
#ifndef QUANT_SCALAR_H
#define QUANT_SCALAR_H

#include <math.h>
#include "quant_kernels.h"

#define F16(x) quant_f16_to_f32(x)

static inline int quant_round(float x) { return (int)lrintf(x); }

static inline int quant_clamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The element of largest magnitude, with its sign. */
static inline float quant_signed_absmax(const float *x, int n)
{
    float best = 0.0f, amax = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            best = x[i];
        }
    }
    return best;
}

static inline void quant_min_max(const float *x, int n, float *lo, float *hi)
{
    *lo = x[0];
    *hi = x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < *lo) *lo = x[i];
        if (x[i] > *hi) *hi = x[i];
    }
}

#endif /* QUANT_SCALAR_H */
