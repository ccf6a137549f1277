/*
 * forward_simd.h — SIMD helpers of the forward pass, one per ISA file
 * (forward_avx2.c). Internal to engine/. Each equals its scalar counterpart
 * in forward.c up to float rounding.
 */
#ifndef ENG_FORWARD_SIMD_H
#define ENG_FORWARD_SIMD_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"

/* The loops below exist in x86-64 builds only (forward_avx2.c and
 * forward_avx512.c compile to nothing elsewhere); callers test
 * ENG_X86_LOOPS before naming them, and eng_avx2_loops_usable() at run time. */
#if defined(__x86_64__)
#define ENG_X86_LOOPS 1
#else
#define ENG_X86_LOOPS 0
#endif

/* Whether this build and CPU run the AVX2 loops (and the AVX2-only packed
 * Q4_0 kernel): the same choice as the kernels' (quant_best_isa). */
static inline int eng_avx2_loops_usable(void)
{
    quant_isa best = quant_best_isa();
    return ENG_X86_LOOPS && best >= QUANT_ISA_AVX2 && best != QUANT_ISA_NEON;
}

/* y[i] += a * x[i] for i < n. */
typedef void (*eng_axpy_fn)(float *y, float a, const float *x, int n);

void eng_axpy_avx2(float *y, float a, const float *x, int n);

/* sum of exp(x[i] - max) for i < n, where max >= every x[i]. */
typedef double (*eng_sum_exp_fn)(const float *x, int n, float max);

double eng_sum_exp_avx2(const float *x, int n, float max);

/* out[i] = silu(gate[i]) * up[i] for i < n (SwiGLU's gate). */
void eng_silu_mul_avx2(const float *gate, const float *up, float *out, int n);

/* The first index of the largest of x[0..n) (n >= 1), and that value in
 * *max_out: the same choice as the scalar loop keeping x[i] > x[best]. */
int32_t eng_argmax_avx2(const float *x, int n, float *max_out);

/* Rotary embedding of n_heads heads, the scalar loop's bits: pairs (2i,
 * 2i + 1), or (i, i + half) when neox; half (n_rot / 2) a multiple of 4,
 * or of 8 for neox. */
void eng_rope_avx2(float *vec, int n_heads, int head_dim, int half, int neox, const float *cosv, const float *sinv);

/* Attention straight on an F16 KV cache (IEEE half bits), widening in
 * registers instead of converting the cache to a scratch buffer first. */
float eng_dot_f16_avx2(const uint16_t *x, const float *y, int n);
float eng_dot_f32_avx2(const float *x, const float *y, int n); /* same summation order */
void eng_axpy_f16_avx2(float *y, float a, const uint16_t *x, int n);

/* out[head_dim] = softmax(scale * q . k[t]) . v[t] over t < n for one query
 * head and one kv head's keys/values (head_dim floats or halves apart);
 * head_dim a multiple of 8, scores has room for n floats. The F16 and F32
 * versions give the same bits for the same (widened) inputs. */
void eng_attend_f16_avx2(const float *q, const uint16_t *k, const uint16_t *v, int n, int head_dim, float scale,
                         float *scores, float *out);
void eng_attend_f32_avx2(const float *q, const float *k, const float *v, int n, int head_dim, float scale,
                         float *scores, float *out);
/* The same for n_heads query heads sharing the kv head (a GQA group, or
 * part of one): q and out hold the heads head_dim floats apart, scores has
 * room for n_heads * n floats. Each head gets the bits eng_attend_f16_avx2
 * gives it alone, and the keys and values are read from memory once. */
void eng_attend_heads_f16_avx2(const float *q, int n_heads, const uint16_t *k, const uint16_t *v, int n,
                               int head_dim, float scale, float *scores, float *out);

/* Prefill tile: out[k * out_stride] = (one weight row of n_blocks Q8_0
 * blocks) . (activation row k, Q8_0, act_stride bytes apart) for k < n_acts
 * <= 4. The blocks' f16 scales come pre-widened: weight_scales[n_blocks],
 * act_scales[k * scale_stride + block]. Same operations in the same order
 * as the AVX2 Q8_0 vec_dot for each activation (bit-identical results). */
void eng_q8_0_tile_avx2(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                        const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                        float *out, size_t out_stride);

/* The same tile in 512-bit vectors (forward_avx512.c), bit-identical to
 * eng_q8_0_tile_avx2: maddubs + madd (AVX-512BW), or vpdpbusd (VNNI). */
void eng_q8_0_tile_avx512(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                          const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                          float *out, size_t out_stride);
void eng_q8_0_tile_avx512_vnni(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                               const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                               float *out, size_t out_stride);

/* n_blocks Q5_0 blocks (22 B) rewritten as Q8_0 blocks (34 B), exactly. */
void eng_repack_q5_0_as_q8_0_avx2(const uint8_t *x, uint8_t *y, int64_t n_blocks);
/* n_blocks Q4_0 blocks (18 B) rewritten as Q8_0 blocks (34 B), exactly. */
void eng_repack_q4_0_as_q8_0_avx2(const uint8_t *x, uint8_t *y, int64_t n_blocks);

#endif /* ENG_FORWARD_SIMD_H */
