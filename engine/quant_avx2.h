/*
 * quant_avx2.h — static inline AVX2 helpers shared by the *_avx2.c kernel
 * files (quant_avx2.c, quant_rows_avx2.c, quant_fdot_avx2.c). Include it
 * only from files the Makefile compiles with -mavx2 -mfma -mf16c.
 *
 * Invariants: unaligned loads only; integer helpers never saturate for the
 * code ranges they are documented for (codes < 64, |activation| <= 127).
 */
#ifndef QUANT_AVX2_H
#define QUANT_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "quant_avx2.h needs -mavx2 -mfma -mf16c (include it only from *_avx2.c files)"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <string.h>
#include "quant_kernels.h"

static inline float avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float avx2_f16(quant_f16 h) { return _cvtsh_ss(h); }

/* Software prefetch of the weight bytes [p + AVX2_PREFETCH, + bytes) for the
 * decode stream (one pass over every weight). On the shared 2-core EPYC of
 * development, 2 KiB ahead gave higher median decode tok/s than no prefetch
 * (Q8_0 clearly, Q4_0 within noise) at a cost of a few % when rows are
 * cache-resident. */
#define AVX2_PREFETCH 2048
/* Loops over the parts of a block (the 4 groups of a Q4_K/Q5_K block, the 8
 * chunks of a 16-sub-block type, prefetch lines) are unrolled whole: gcc -O2
 * leaves them as loops, and then builds every shuffle selector at run time
 * (4 port-5 instructions per Q4_K group: port 5 was the kernel's
 * bottleneck) and keeps Q6_K's codes on the stack. Only the integer steps
 * are affected and their order is kept, so no result changes. */
#define AVX2_UNROLL _Pragma("GCC unroll 8")

/* always_inline: as a plain inline, gcc 12 dropped every one of these
 * prefetches from some kernels that call it (the Q4_K/Q5_K body, the Q4_0 and
 * Q8_0 multi kernels; seen in objdump), costing ~30% on cache-resident rows. */
static inline __attribute__((always_inline)) void avx2_prefetch(const void *p, size_t bytes)
{
    AVX2_UNROLL
    for (size_t off = 0; off < bytes; off += 64) _mm_prefetch((const char *)p + AVX2_PREFETCH + off, _MM_HINT_T0);
}

/* 32 nibbles: bytes 0..15 = low nibbles of qs[0..15], bytes 16..31 = high nibbles. */
static inline __m256i avx2_nibbles(const uint8_t *qs)
{
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(15));
}

/* 32 bits -> 32 bytes, 0xFF where the bit is set (byte i <- bit i). */
static inline __m256i avx2_bits_to_bytes(uint32_t bits)
{
    const __m256i shuffle = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                              0x0101010101010101, 0x0000000000000000);
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuffle);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

/* Signed x signed int8 dot in 8 int32 lanes (maddubs needs an unsigned side). */
static inline __m256i avx2_dot_i8(__m256i x, __m256i y)
{
    const __m256i prod = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(prod, _mm256_set1_epi16(1));
}

/* Unsigned codes x signed int8 in 8 int32 lanes. */
static inline __m256i avx2_dot_u8(__m256i x, __m256i y)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1));
}

static inline uint32_t avx2_load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t avx2_load_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The f16 scales of 8 consecutive blocks `stride` bytes apart as floats,
 * assembled in two 64-bit integer words: the 2-byte loads, shifts and ors run
 * on the integer pipes instead of eight vector inserts. */
static inline __m256 avx2_half8_strided(const void *first, size_t stride)
{
    const uint8_t *p = first;
    const uint64_t lo = avx2_load_u16(p) | avx2_load_u16(p + stride) << 16 | avx2_load_u16(p + 2 * stride) << 32 |
                        avx2_load_u16(p + 3 * stride) << 48;
    p += 4 * stride;
    const uint64_t hi = avx2_load_u16(p) | avx2_load_u16(p + stride) << 16 | avx2_load_u16(p + 2 * stride) << 32 |
                        avx2_load_u16(p + 3 * stride) << 48;
    /* two 64-bit inserts, not a store and a wider reload (store forwarding fails) */
    return _mm256_cvtph_ps(_mm_insert_epi64(_mm_cvtsi64_si128((long long)lo), (long long)hi, 1));
}
#define AVX2_HALF8_WORDS(p) avx2_half8_strided(&(p)[0].d, sizeof(*(p)))
/* The f16 scales of 8 consecutive blocks as floats (the same values however
 * they are gathered). */
#define AVX2_HALF8(p) AVX2_HALF8_WORDS(p)

/* Eight int32x8 vectors (one per block) -> one vector, lane k = the total of
 * vector k: two levels of horizontal adds within 128-bit halves, then the
 * halves of the two results added crosswise. Exact integer arithmetic. */
static inline __m256i avx2_reduce8_epi32(__m256i p0, __m256i p1, __m256i p2, __m256i p3, __m256i p4, __m256i p5,
                                         __m256i p6, __m256i p7)
{
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p4, p5), _mm256_hadd_epi32(p6, p7));
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

static inline int avx2_hsum_epi32(__m256i v)
{
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* Lane k of v in all lanes. */
static inline __m256 avx2_lane(__m256 v, int k) { return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(k)); }

/* 32 nibbles from one 16-byte load broadcast to both halves (high half shifted). */
static inline __m256i avx2_nibbles_bcast(const uint8_t *qs)
{
    const __m256i raw = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    return _mm256_and_si256(_mm256_srlv_epi64(raw, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(15));
}

static inline __m256i avx2_q8_0_ints(const quant_block_q8_0 *x, const quant_block_q8_0 *y)
{
    return avx2_dot_i8(_mm256_loadu_si256((const __m256i *)x->qs), _mm256_loadu_si256((const __m256i *)y->qs));
}

/* (code - 8) . y as code . y - 8 . y: two maddubs, no sign fix-ups. */
static inline __m256i avx2_q4_0_ints(const quant_block_q4_0 *x, const quant_block_q8_0 *y)
{
    const __m256i yq = _mm256_loadu_si256((const __m256i *)y->qs);
    const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(avx2_nibbles_bcast(x->qs), yq),
                                       _mm256_maddubs_epi16(_mm256_set1_epi8(8), yq));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* (code - 16) . y: the signed value code - 16 is the nibble with 0xF0 or-ed
 * in where bit 4 is clear; |y| . (value with y's sign) keeps maddubs's
 * unsigned side non-negative (|pair| <= 2 * 127 * 16). */
static inline __m256i avx2_q5_0_ints(const quant_block_q5_0 *x, const quant_block_q8_0 *y)
{
    const __m256i high = avx2_bits_to_bytes(avx2_load_u32(x->qh));
    const __m256i value = _mm256_or_si256(avx2_nibbles_bcast(x->qs), _mm256_andnot_si256(high, _mm256_set1_epi8((char)0xF0)));
    const __m256i yq = _mm256_loadu_si256((const __m256i *)y->qs);
    const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(yq), _mm256_sign_epi8(value, yq));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* Block b + k of a group of 8: acc += scale lane k * int sums. */
#define AVX2_GROUP_STEP(INTS, x, y, k, acc) \
    acc = _mm256_fmadd_ps(avx2_lane(s, k), _mm256_cvtepi32_ps(INTS((x) + b + (k), (y) + b + (k))), acc)

/* The driver of the symmetric 32-block types: weight scales converted 8
 * blocks at a time, two accumulators. INTS(x, y) gives the block's 8 int32
 * partial sums; YS8(b) the activation scales of blocks b..b+7 as floats,
 * YS1(b) that of block b. */
#define AVX2_DOT_SYMMETRIC(INTS, x, y, nb, YS8, YS1, result)                                          \
    do {                                                                                             \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                               \
        int64_t b = 0;                                                                               \
        for (; b + 8 <= (nb); b += 8) {                                                              \
            avx2_prefetch((x) + b, 8 * sizeof(*(x)));                                                \
            const __m256 s = _mm256_mul_ps(AVX2_HALF8((x) + b), YS8(b));                             \
            AVX2_GROUP_STEP(INTS, x, y, 0, acc0); AVX2_GROUP_STEP(INTS, x, y, 1, acc1);               \
            AVX2_GROUP_STEP(INTS, x, y, 2, acc0); AVX2_GROUP_STEP(INTS, x, y, 3, acc1);               \
            AVX2_GROUP_STEP(INTS, x, y, 4, acc0); AVX2_GROUP_STEP(INTS, x, y, 5, acc1);               \
            AVX2_GROUP_STEP(INTS, x, y, 6, acc0); AVX2_GROUP_STEP(INTS, x, y, 7, acc1);               \
        }                                                                                            \
        for (; b < (nb); b++) {                                                                      \
            const __m256 s = _mm256_set1_ps(avx2_f16((x)[b].d) * YS1(b));                            \
            acc0 = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(INTS((x) + b, (y) + b)), acc0);             \
        }                                                                                            \
        *(result) = avx2_hsum(_mm256_add_ps(acc0, acc1));                                            \
    } while (0)

/* Activation scales read from the blocks (vec_dot) or from a float array (rows). */
#define AVX2_Y_HALF8(b) AVX2_HALF8(y + (b))
#define AVX2_Y_HALF1(b) avx2_f16(y[b].d)
#define AVX2_Y_ARRAY8(b) _mm256_loadu_ps(ys + (b))
#define AVX2_Y_ARRAY1(b) ys[b]

/* 16 int8 per-sub-block factors -> sum_s factor[s] * bsums[s] in 8 int32 lanes. */
static inline __m256i avx2_bsums_dot(const int16_t *bsums, __m128i factors_i8)
{
    return _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bsums), _mm256_cvtepi8_epi16(factors_i8));
}

/* Integer sum of one 256-block of a 16-sub-block type whose unsigned codes
 * for chunk c (32 elements) are codes[c]; scales_i8 holds the 16 signed
 * sub-block scales. Chunk c needs scale 2c in its first 8 int16 lanes and
 * 2c+1 in the last 8: an in-lane byte shuffle replicates the scale byte into
 * both bytes of each int16 and an arithmetic shift sign-extends it. */
static inline __m256i avx2_sum16_block(const __m256i codes[8], const int8_t *yq, __m128i scales_i8)
{
    const __m256i scales = _mm256_broadcastsi128_si256(scales_i8);
    __m256i select = _mm256_setr_m128i(_mm_set1_epi8(0), _mm_set1_epi8(1));
    __m256i sum = _mm256_setzero_si256();
    AVX2_UNROLL
    for (int c = 0; c < 8; c++) {
        const __m256i p = _mm256_maddubs_epi16(codes[c], _mm256_loadu_si256((const __m256i *)(yq + 32 * c)));
        const __m256i sc = _mm256_srai_epi16(_mm256_shuffle_epi8(scales, select), 8);
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(p, sc));
        select = _mm256_add_epi8(select, _mm256_set1_epi8(2));
    }
    return sum;
}

/* 2-bit fields of a 128-element half: chunk k = (qs >> 2k) & 3. */
static inline void avx2_unpack_2bit(const uint8_t *qs, __m256i codes[8])
{
    const __m256i mask = _mm256_set1_epi8(3);
    AVX2_UNROLL
    for (int h = 0; h < 2; h++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * h));
        codes[4 * h + 0] = _mm256_and_si256(raw, mask);
        codes[4 * h + 1] = _mm256_and_si256(_mm256_srli_epi16(raw, 2), mask);
        codes[4 * h + 2] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
        codes[4 * h + 3] = _mm256_and_si256(_mm256_srli_epi16(raw, 6), mask);
    }
}

/* Q3_K 6-bit scales minus 32 as 16 int8 (word operations; layout: quant_kernels.h). */
static inline __m128i avx2_q3_k_scales(const uint8_t packed[12])
{
    uint32_t w[3];
    memcpy(w, packed, sizeof w);
    const uint32_t lo4 = 0x0f0f0f0f, hi2 = 0x03030303;
    const __m128i codes = _mm_setr_epi32((int)((w[0] & lo4) | ((w[2] & hi2) << 4)),
                                         (int)((w[1] & lo4) | (((w[2] >> 2) & hi2) << 4)),
                                         (int)(((w[0] >> 4) & lo4) | (((w[2] >> 4) & hi2) << 4)),
                                         (int)(((w[1] >> 4) & lo4) | (((w[2] >> 6) & hi2) << 4)));
    return _mm_sub_epi8(codes, _mm_set1_epi8(32));
}

/* Q4_K/Q5_K 6-bit scales and mins: returns bytes 0..7 = scales, 8..15 =
 * mins (layout: quant_kernels.h). With words w0 w1 w2 of the 12 bytes,
 * scales = [w0 & 0x3f.., (w2 & 0x0f..) | ((w0 >> 2) & 0x30..)] and mins the
 * same with w1 and w2 >> 4: done on all words at once in one vector, as
 * the scalar form cost ~20 integer instructions a block on the ports the
 * vector work needs. Loads 16 bytes: the 4 after `packed` are the block's
 * next field (qs or qh), never past the block. */
static inline __m128i avx2_k4_scales(const uint8_t *packed)
{
    const __m128i w = _mm_loadu_si128((const __m128i *)packed);            /* w0 w1 w2 - */
    const __m128i low6 = _mm_and_si128(w, _mm_set1_epi8(0x3f));             /* sc_lo mn_lo */
    const __m128i w2 = _mm_srlv_epi32(_mm_shuffle_epi32(w, 0xaa), _mm_setr_epi32(0, 4, 0, 0));
    const __m128i high = _mm_or_si128(_mm_and_si128(w2, _mm_set1_epi8(0x0f)),
                                      _mm_and_si128(_mm_srli_epi32(w, 2), _mm_set1_epi8(0x30))); /* sc_hi mn_hi */
    return _mm_unpacklo_epi32(low6, high);
}

/* Min term: sum_s mins[s] * (bsums[2s] + bsums[2s+1]) in 8 int32 lanes. */
static inline __m256i avx2_k4_mins(__m128i scales_mins, const int16_t *bsums)
{
    const __m128i dup = _mm_shuffle_epi8(scales_mins, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
    return _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bsums), _mm256_cvtepu8_epi16(dup));
}

/* sc[2g] * dot(lo, y) + sc[2g+1] * dot(hi, y) for 64-element group g;
 * scales16 holds the 8 scales as int16 in both 128-bit halves. */
static inline __m256i avx2_k4_group(__m256i lo, __m256i hi, const int8_t *yq, __m256i scales16, int g)
{
    const __m256i sel_lo = _mm256_set1_epi16((short)(0x0100 + 0x0202 * 2 * g));
    const __m256i sel_hi = _mm256_set1_epi16((short)(0x0100 + 0x0202 * (2 * g + 1)));
    const __m256i p_lo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)yq));
    const __m256i p_hi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(yq + 32)));
    return _mm256_add_epi32(_mm256_madd_epi16(p_lo, _mm256_shuffle_epi8(scales16, sel_lo)),
                            _mm256_madd_epi16(p_hi, _mm256_shuffle_epi8(scales16, sel_hi)));
}

static inline __m256i avx2_k4_scales16(__m128i scales_mins)
{
    return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scales_mins));
}

/* Bit `bit` (0..7, a constant) of every byte of v moved to bit 4 of that
 * byte, other bits undefined: one 16-bit shift, which brings bit 4 of each
 * byte from the same byte for any bit of 0..7. */
static inline __m256i avx2_bit_to_4(__m256i v, int bit)
{
    if (bit < 4) return _mm256_slli_epi16(v, 4 - bit);
    if (bit > 4) return _mm256_srli_epi16(v, bit - 4);
    return v;
}

/* Q4_K and Q5_K share everything but the codes' fifth bit (qh, Q5_K only),
 * so their kernels are one body with a compile-time q5 flag over the block
 * bytes: d and dmin at 0 and 2, scales at 4, then (Q5_K) qh, then qs. */
static inline size_t avx2_k45_block_bytes(int q5) { return q5 ? sizeof(quant_block_q5_k) : sizeof(quant_block_q4_k); }

static inline const uint8_t *avx2_k45_qs(const uint8_t *block, int q5)
{
    return block + (q5 ? offsetof(quant_block_q5_k, qs) : offsetof(quant_block_q4_k, qs));
}

static inline __m256i avx2_k45_qh(const uint8_t *block, int q5)
{
    return q5 ? _mm256_loadu_si256((const __m256i *)(block + offsetof(quant_block_q5_k, qh))) : _mm256_setzero_si256();
}

/* Unsigned codes of 64-element group g (a constant): lo = its first 32
 * elements (sub-block 2g), hi = the next 32. */
static inline __attribute__((always_inline)) void avx2_k45_codes(const uint8_t *qs, __m256i qh, int g, int q5,
                                                                 __m256i *lo, __m256i *hi)
{
    const __m256i low4 = _mm256_set1_epi8(15), sixteen = _mm256_set1_epi8(16);
    const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * g));
    *lo = _mm256_and_si256(raw, low4);
    *hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
    if (q5) {
        *lo = _mm256_or_si256(*lo, _mm256_and_si256(avx2_bit_to_4(qh, 2 * g), sixteen));
        *hi = _mm256_or_si256(*hi, _mm256_and_si256(avx2_bit_to_4(qh, 2 * g + 1), sixteen));
    }
}

/* The block's float step, the same expressions in every Q4_K/Q5_K kernel:
 * acc + y.d * d * sumi - y.d * dmin * summ. */
static inline __m256 avx2_k45_accumulate(const uint8_t *block, float yd, __m256i sumi, __m256i summ, __m256 acc)
{
    quant_f16 d, dmin;
    memcpy(&d, block, sizeof d);
    memcpy(&dmin, block + sizeof d, sizeof dmin);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(yd * avx2_f16(d)), _mm256_cvtepi32_ps(sumi), acc);
    return _mm256_fnmadd_ps(_mm256_set1_ps(yd * avx2_f16(dmin)), _mm256_cvtepi32_ps(summ), acc);
}

/* Q6_K codes of one block (unsigned, q + 32), chunk c = 32 elements. */
static inline void avx2_q6_k_codes(const quant_block_q6_k *x, __m256i codes[8])
{
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4);
    AVX2_UNROLL
    for (int h = 0; h < 2; h++) {
        const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h));
        const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
        codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
        codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
        codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
        codes[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
    }
}

/* ---- Q2_K, Q3_K, Q6_K: 16 sub-blocks of 16, one block prepared once ---- */

/* A block's unsigned codes (chunk c = 32 elements), its 16 signed sub-block
 * scales, and what the float step needs. Q3_K and Q6_K codes carry an offset
 * (q + 4, q + 32: offset_shift 2 or 5) removed through the activation's
 * bsums; Q2_K instead has 16 mins and a dmin. */
typedef struct avx2_k16_block {
    __m256i codes[8];
    __m128i scales, mins;
    float d, dmin;
    int offset_shift; /* 0: Q2_K (mins) */
} avx2_k16_block;

static inline __attribute__((always_inline)) void avx2_q2_k_prepare(const quant_block_q2_k *x, avx2_k16_block *p)
{
    avx2_unpack_2bit(x->qs, p->codes);
    const __m128i packed = _mm_loadu_si128((const __m128i *)x->scales);
    p->scales = _mm_and_si128(packed, _mm_set1_epi8(15));
    p->mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(15));
    p->d = avx2_f16(x->d);
    p->dmin = avx2_f16(x->dmin);
    p->offset_shift = 0;
}

static inline __attribute__((always_inline)) void avx2_q3_k_prepare(const quant_block_q3_k *x, avx2_k16_block *p)
{
    avx2_unpack_2bit(x->qs, p->codes);
    __m256i hmask = _mm256_loadu_si256((const __m256i *)x->hmask);
    AVX2_UNROLL
    for (int c = 0; c < 8; c++) { /* bit c of hmask -> value 4 */
        p->codes[c] = _mm256_or_si256(p->codes[c], _mm256_and_si256(_mm256_slli_epi16(hmask, 2), _mm256_set1_epi8(4)));
        hmask = _mm256_srli_epi16(hmask, 1);
    }
    p->scales = avx2_q3_k_scales(x->scales);
    p->mins = _mm_setzero_si128();
    p->d = avx2_f16(x->d);
    p->dmin = 0.0f;
    p->offset_shift = 2;
}

static inline __attribute__((always_inline)) void avx2_q6_k_prepare(const quant_block_q6_k *x, avx2_k16_block *p)
{
    avx2_q6_k_codes(x, p->codes);
    p->scales = _mm_loadu_si128((const __m128i *)x->scales);
    p->mins = _mm_setzero_si128();
    p->d = avx2_f16(x->d);
    p->dmin = 0.0f;
    p->offset_shift = 5;
}

/* acc + this block's terms against activation block y: the one float step
 * of every kernel of these types (vec_dot and vec_dot_multi agree to the
 * bit). */
static inline __attribute__((always_inline)) __m256 avx2_k16_step(const avx2_k16_block *p, const quant_block_q8_k *y,
                                                                  __m256 acc)
{
    const __m256i sumi = avx2_sum16_block(p->codes, y->qs, p->scales);
    if (p->offset_shift == 0) {
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y->d * p->d), _mm256_cvtepi32_ps(sumi), acc);
        return _mm256_fnmadd_ps(_mm256_set1_ps(y->d * p->dmin), _mm256_cvtepi32_ps(avx2_bsums_dot(y->bsums, p->mins)), acc);
    }
    const __m256i offset = avx2_bsums_dot(y->bsums, p->scales);
    const __m256i total = _mm256_sub_epi32(sumi, _mm256_sll_epi32(offset, _mm_cvtsi32_si128(p->offset_shift)));
    return _mm256_fmadd_ps(_mm256_set1_ps(y->d * p->d), _mm256_cvtepi32_ps(total), acc);
}

/* ---- Q4_1, Q5_1: d*dy*sum(code*a) + m*dy*sum(a), sum(a) from the codes (exact) ---- */

/* acc += d_dy * codes.a, acc_min += m_dy * sum(a): a block's one float step
 * in vec_dot and vec_dot_multi alike (they agree to the bit). */
static inline __attribute__((always_inline)) void avx2_affine_step(__m256i codes, const int8_t *yqs, __m256 d_dy,
                                                                   __m256 m_dy, __m256 *acc, __m256 *acc_min)
{
    const __m256i yq = _mm256_loadu_si256((const __m256i *)yqs);
    *acc = _mm256_fmadd_ps(d_dy, _mm256_cvtepi32_ps(avx2_dot_u8(codes, yq)), *acc);
    *acc_min = _mm256_fmadd_ps(m_dy, _mm256_cvtepi32_ps(avx2_dot_u8(_mm256_set1_epi8(1), yq)), *acc_min);
}

/* d and m lead both block layouts (quant_kernels.h). */
static inline size_t avx2_affine_block_bytes(int q5) { return q5 ? sizeof(quant_block_q5_1) : sizeof(quant_block_q4_1); }

/* The unsigned codes of block b: nibbles, Q5_1 or-ed with bit 4 from qh. */
static inline __attribute__((always_inline)) __m256i avx2_affine_codes(const void *blocks, int64_t b, const int q5)
{
    if (!q5) return avx2_nibbles(((const quant_block_q4_1 *)blocks)[b].qs);
    const quant_block_q5_1 *x = (const quant_block_q5_1 *)blocks + b;
    const __m256i high = _mm256_and_si256(avx2_bits_to_bytes(avx2_load_u32(x->qh)), _mm256_set1_epi8(16));
    return _mm256_or_si256(avx2_nibbles(x->qs), high);
}

/* The 8 steps of the group of blocks starting at y: d and m are the group's
 * weight scales (8 lanes), codes its unsigned codes; even and odd blocks
 * go to separate accumulators so the FMA chains overlap. */
static inline __attribute__((always_inline)) void avx2_affine_group(const __m256i codes[8], const quant_block_q8_1 *y,
                                                                    __m256 d, __m256 m, __m256 acc[2], __m256 acc_min[2])
{
    const __m256 dy = AVX2_HALF8(y);
    const __m256 d_dy = _mm256_mul_ps(d, dy), m_dy = _mm256_mul_ps(m, dy);
    AVX2_UNROLL
    for (int j = 0; j < 8; j++)
        avx2_affine_step(codes[j], y[j].qs, avx2_lane(d_dy, j), avx2_lane(m_dy, j), &acc[j % 2], &acc_min[j % 2]);
}

/* A block past the last full group of 8: scalar scale products. */
static inline __attribute__((always_inline)) void avx2_affine_tail_step(const void *w, int64_t b, const quant_block_q8_1 *y,
                                                                        const int q5, __m256 *acc, __m256 *acc_min)
{
    const uint8_t *block = (const uint8_t *)w + (size_t)b * avx2_affine_block_bytes(q5);
    const float dy = avx2_f16(y->d);
    avx2_affine_step(avx2_affine_codes(w, b, q5), y->qs, _mm256_set1_ps(avx2_f16((quant_f16)avx2_load_u16(block)) * dy),
                     _mm256_set1_ps(avx2_f16((quant_f16)avx2_load_u16(block + 2)) * dy), acc, acc_min);
}

static inline float avx2_affine_total(const __m256 acc[2], const __m256 acc_min[2])
{
    return avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc_min[0], acc_min[1])));
}

#endif /* QUANT_AVX2_H */
