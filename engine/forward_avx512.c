/*
 * forward_avx512.c — the prefill matmul tile (one Q8_0 weight row against
 * up to 4 Q8_0 activation rows) in 512-bit vectors, with VNNI (vpdpbusd) or
 * AVX-512BW (maddubs + madd). Compiled with AVX-512 flags (Makefile rule for
 * *_avx512.c); forward.c calls it only when quant_best_isa() is avx512 or
 * avx512-vnni.
 *
 * Prefill is compute-bound (each weight block meets 4 activations while in
 * L1), so the 512-bit tile pays where the 512-bit decode dots did not
 * (quant_avx512.c): two blocks per vector halve the instructions per block.
 * Invariant: bit-identical to eng_q8_0_tile_avx2, and so to the Q8_0 decode
 * kernels. The AVX2 tile keeps even blocks of each group of 8 in one
 * 8-lane accumulator and odd blocks in another, the blocks after the last
 * group in the first, then adds the two and sums horizontally; here lanes
 * 0-7 of one 16-lane accumulator are the first, lanes 8-15 the second, every
 * lane gets the same multiply-adds in the same order, and the block sums are
 * the same exact integers (|w| . (a signed by w): vpdpbusd and maddubs +
 * madd add the same four products per int32 lane, no saturation since
 * |w| <= 128 and |a| <= 127).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#include "forward_simd.h"

enum { Q8_0_BLOCK_BYTES = 34 };

/* The int8 codes of blocks b and b + 1 (34 bytes apart) as one vector. */
static inline __m512i block_pair(const uint8_t *blocks, int b)
{
    const uint8_t *first = blocks + (size_t)b * Q8_0_BLOCK_BYTES + 2;
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)first)),
                              _mm256_loadu_si256((const __m256i *)(first + Q8_0_BLOCK_BYTES)), 1);
}

static inline __m256i block_one(const uint8_t *blocks, int b)
{
    return _mm256_loadu_si256((const __m256i *)(blocks + (size_t)b * Q8_0_BLOCK_BYTES + 2));
}

/* |w| . (a with w's sign): 16 int32 lanes, four products each. */
static inline __m512i pair_ints(__m512i abs_w, __mmask64 negative_w, __m512i a, int vnni)
{
    const __m512i signed_a = _mm512_mask_sub_epi8(a, negative_w, _mm512_setzero_si512(), a);
    if (vnni) return _mm512_dpbusd_epi32(_mm512_setzero_si512(), abs_w, signed_a);
    return _mm512_madd_epi16(_mm512_maddubs_epi16(abs_w, signed_a), _mm512_set1_epi16(1));
}

/* The AVX2 tile's per-block integer sums for a block after the last group. */
static inline __m256i one_ints(__m256i w, __m256i a)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(a, w)), _mm256_set1_epi16(1));
}

static inline __attribute__((always_inline)) void
tile(int nb, const uint8_t *w, const float *ws, const uint8_t *a, size_t a_stride, const float *as, size_t as_stride,
     float *out, size_t out_stride, const int K, const int vnni)
{
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) acc[k] = _mm512_setzero_ps();
    /* lanes 0-7: the scale of block j of the pair, 8-15: of block j + 1 */
    const __m512i pair_index[4] = {
        _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
        _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
        _mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5),
        _mm512_setr_epi32(6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7),
    };
    int b = 0;
    for (; b + 8 <= nb; b += 8) {
        const __m256 dw = _mm256_loadu_ps(ws + b);
        __m512 scale[4];
#pragma GCC unroll 4
        for (int k = 0; k < K; k++)
            scale[k] = _mm512_castps256_ps512(_mm256_mul_ps(dw, _mm256_loadu_ps(as + (size_t)k * as_stride + b)));
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {
            const __m512i wp = block_pair(w, b + 2 * p), abs_w = _mm512_abs_epi8(wp);
            const __mmask64 negative = _mm512_movepi8_mask(wp);
#pragma GCC unroll 4
            for (int k = 0; k < K; k++) {
                const __m512i ints = pair_ints(abs_w, negative, block_pair(a + (size_t)k * a_stride, b + 2 * p), vnni);
                const __m512 s = _mm512_permutexvar_ps(pair_index[p], scale[k]);
                acc[k] = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(ints), acc[k]);
            }
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) {
        __m256 even = _mm512_castps512_ps256(acc[k]);
        const __m256 odd = _mm512_extractf32x8_ps(acc[k], 1);
        for (int r = b; r < nb; r++) {
            const __m256i p = one_ints(block_one(w, r), block_one(a + (size_t)k * a_stride, r));
            const __m256 s = _mm256_set1_ps(ws[r] * as[(size_t)k * as_stride + r]);
            even = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(p), even);
        }
        const __m256 t = _mm256_add_ps(even, odd);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        out[(size_t)k * out_stride] = _mm_cvtss_f32(h);
    }
}

#define TILE_DISPATCH(vnni)                                                                                   \
    switch (n_acts) {                                                                                         \
    case 1: tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 1, vnni); break; \
    case 2: tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 2, vnni); break; \
    case 3: tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 3, vnni); break; \
    default: tile(n_blocks, weights, weight_scales, acts, act_stride, act_scales, scale_stride, out, out_stride, 4, vnni); break; \
    }

void eng_q8_0_tile_avx512(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                          const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                          float *out, size_t out_stride)
{
    TILE_DISPATCH(0)
}

void eng_q8_0_tile_avx512_vnni(int n_blocks, const uint8_t *weights, const float *weight_scales, int n_acts,
                               const uint8_t *acts, size_t act_stride, const float *act_scales, size_t scale_stride,
                               float *out, size_t out_stride)
{
    TILE_DISPATCH(1)
}
#endif /* __x86_64__ */
