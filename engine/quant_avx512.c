/*
 * quant_avx512.c — AVX-512 (F/BW/VL/DQ) and AVX-512 VNNI kernels, compiled
 * with those flags only and selected at run time (quant.c).
 *
 * What: vec_dot for F32, F16, Q4_1 and Q5_1. Every other type runs the AVX2
 * kernels (quant.c fills the entries these sparse tables leave empty from
 * the AVX2 table, whole, so a type's vec_dot, vec_dot_rows and vec_dot_multi
 * always come from one set and keep that set's agreement guarantees).
 * Why only these: on the first AVX-512 machine this ran on (Xeon Ice Lake,
 * 2.6 GHz, KVM; bench_quant, one thread, cache-resident rows) the 512-bit
 * F32/F16 dots read 30-34 and 20-21 GB/s against AVX2's 22-23 and 13, and
 * Q4_1/Q5_1 (no AVX2 multi-row kernel) were on par or up to ~15% faster;
 * 512-bit Q8_0/Q4_0/Q5_0/Q4_K/Q5_K/Q6_K dots (two blocks per vector, per-block
 * scalar scales) were 10-45% slower than the AVX2 ones, which also have the
 * multi-row/multi-activation kernels decode and prefill use (smollm2-135m
 * Q8_0, 2 threads: 106 tok/s decode with AVX2 against 92 with them), so they
 * were removed rather than selected.
 * Invariants:
 *  - a 512-bit vector holds two 32-element blocks; codes are unsigned (the
 *    Q8_1 activation sums carry the offsets), so one u8 x s8 primitive serves:
 *    maddubs + madd (AVX-512BW) in the avx512 table, vpdpbusd in the VNNI
 *    table. Both are exact integer sums (maddubs cannot saturate: codes < 32,
 *    |activation| <= 127), so results equal the scalar reference up to float
 *    summation order.
 *  - each kernel is one static inline body with a compile-time `vnni` flag,
 *    instantiated twice; no scalar integer loops here (they could be
 *    auto-vectorised with VNNI instructions into the non-VNNI table).
 *  - unaligned loads only.
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "quant_kernels.h"
#if defined(QUANT_AVX512_EMULATION) /* tests/unit/test_quant_avx512_emulated.c only */
#include QUANT_AVX512_EMULATION
#endif

/* ---- helpers --------------------------------------------------------------------- */

/* sum over groups of 4 bytes of u8 x s8, 16 int32 lanes, added to acc. */
static inline __m512i avx512_dot_u8(__m512i acc, __m512i x_u8, __m512i y_s8, int vnni)
{
    if (vnni) return _mm512_dpbusd_epi32(acc, x_u8, y_s8);
    const __m512i pairs = _mm512_maddubs_epi16(x_u8, y_s8);
    return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
}

static inline float avx512_f16(quant_f16 h) { return _cvtsh_ss(h); }

/* Two 32-byte rows (two blocks' qs) as one 512-bit vector. */
static inline __m512i avx512_pair(const void *lo, const void *hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                              _mm256_loadu_si256((const __m256i *)hi), 1);
}

/* Nibbles of two 32-blocks: [lo0 hi0 | lo1 hi1], each 16 bytes. */
static inline __m512i avx512_nibbles_pair(const uint8_t *qs0, const uint8_t *qs1)
{
    const __m256i a = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs0));
    const __m256i b = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs1));
    const __m512i raw = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
    const __m512i shift = _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4);
    return _mm512_and_si512(_mm512_srlv_epi64(raw, shift), _mm512_set1_epi8(15));
}

/* Scale of block 0 in lanes 0..7, block 1 in lanes 8..15. */
static inline __m512 avx512_scale_pair(float s0, float s1)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(s0)), _mm256_set1_ps(s1), 1);
}

/* Bit 4 of two Q5 blocks (qh words) as a 64-bit byte mask. */
static inline __mmask64 avx512_q5_mask(const uint8_t *qh0, const uint8_t *qh1)
{
    uint32_t a, b;
    memcpy(&a, qh0, 4);
    memcpy(&b, qh1, 4);
    return (__mmask64)a | (__mmask64)b << 32;
}

static inline float avx512_hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

/* Software prefetch 2 KiB ahead of the weight stream (as in quant_avx2.h). */
static inline void avx512_prefetch(const void *p, size_t bytes)
{
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch((const char *)p + 2048 + off, _MM_HINT_T0);
}

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

/* ---- 32-element block types (two blocks per vector) --------------------------------------- */

/* Affine pair: d*dy*(codes . y) + m*dy*sum(y). */
static inline void avx512_affine_pair(__m512i codes, float d0, float m0, float d1, float m1,
                                      const quant_block_q8_1 *y, __m512 *acc, int vnni)
{
    const __m512i yq = avx512_pair(y[0].qs, y[1].qs);
    const __m512i ints = avx512_dot_u8(_mm512_setzero_si512(), codes, yq, vnni);
    const __m512i sum_y = avx512_dot_u8(_mm512_setzero_si512(), _mm512_set1_epi8(1), yq, vnni);
    const float dy0 = avx512_f16(y[0].d), dy1 = avx512_f16(y[1].d);
    *acc = _mm512_fmadd_ps(avx512_scale_pair(d0 * dy0, d1 * dy1), _mm512_cvtepi32_ps(ints), *acc);
    *acc = _mm512_fmadd_ps(avx512_scale_pair(m0 * dy0, m1 * dy1), _mm512_cvtepi32_ps(sum_y), *acc);
}

static inline float avx512_q4_1_body(int64_t nb, const quant_block_q4_1 *x, const quant_block_q8_1 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        avx512_affine_pair(avx512_nibbles_pair(x[b].qs, x[b + 1].qs), avx512_f16(x[b].d), avx512_f16(x[b].m),
                           avx512_f16(x[b + 1].d), avx512_f16(x[b + 1].m), y + b, &acc, vnni);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q4_1(QK4_1, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

static inline float avx512_q5_1_body(int64_t nb, const quant_block_q5_1 *x, const quant_block_q8_1 *y, int vnni)
{
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        avx512_prefetch(x + b, 2 * sizeof(*x));
        const __mmask64 high = avx512_q5_mask(x[b].qh, x[b + 1].qh);
        const __m512i codes = _mm512_or_si512(avx512_nibbles_pair(x[b].qs, x[b + 1].qs),
                                              _mm512_maskz_mov_epi8(high, _mm512_set1_epi8(16)));
        avx512_affine_pair(codes, avx512_f16(x[b].d), avx512_f16(x[b].m), avx512_f16(x[b + 1].d),
                           avx512_f16(x[b + 1].m), y + b, &acc, vnni);
    }
    float total = avx512_hsum(acc);
    if (b < nb) {
        float tail;
        quant_avx2_dot_q5_1(QK5_1, &tail, x + b, y + b);
        total += tail;
    }
    return total;
}

/* ---- instantiations and tables -------------------------------------------------------------- */

#define AVX512_INSTANCES(t, body, wtype, atype, qk)                                                   \
    void quant_avx512_dot_##t(int64_t n, float *result, const void *w, const void *a)                 \
    {                                                                                                 \
        *result = body(n / (qk), (const wtype *)w, (const atype *)a, 0);                              \
    }                                                                                                 \
    static void quant_avx512_vnni_dot_##t(int64_t n, float *result, const void *w, const void *a)     \
    {                                                                                                 \
        *result = body(n / (qk), (const wtype *)w, (const atype *)a, 1);                              \
    }

AVX512_INSTANCES(q4_1, avx512_q4_1_body, quant_block_q4_1, quant_block_q8_1, QK4_1)
AVX512_INSTANCES(q5_1, avx512_q5_1_body, quant_block_q5_1, quant_block_q8_1, QK5_1)

/* Sparse tables: only the types specialised here; quant.c takes every other
 * entry whole from the AVX2 table. */
#define AVX512_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
#define AVX512_ENTRIES(prefix)                                                                                              \
    AVX512_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_avx512_dot_f32, quant_avx512_dot_f32),  \
    AVX512_ENTRY(F16, quant_avx2_dequantize_f16, quant_avx2_quantize_f16, quant_avx512_dot_f16, quant_avx512_dot_f16),      \
    AVX512_ENTRY(Q4_1, quant_scalar_dequantize_q4_1, quant_scalar_quantize_q4_1, prefix##_dot_q4_1, quant_avx2_fdot_q4_1),  \
    AVX512_ENTRY(Q5_1, quant_scalar_dequantize_q5_1, quant_scalar_quantize_q5_1, prefix##_dot_q5_1, quant_avx2_fdot_q5_1)

const quant_traits quant_table_avx512[SLM_TYPE_COUNT] = { AVX512_ENTRIES(quant_avx512) };
const quant_traits quant_table_avx512_vnni[SLM_TYPE_COUNT] = { AVX512_ENTRIES(quant_avx512_vnni) };
#endif /* __x86_64__ */
