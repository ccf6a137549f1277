/*
 * packed_avx2.c — dot products of packed Q4_0 and Q5_0 rows (layout in
 * packed.h) with one row of Q8_0 activations. Compiled with AVX2 flags.
 *
 * One 32-byte load holds two blocks' qs; masking and a 16-bit shift split
 * low and high nibbles (Q5_0: each or-ed with its bit 4, spread from one
 * u32 of high bits by a shuffle and a compare), and two maddubs against the
 * activation bytes laid out the same way (built once per call) give int16
 * sums of unsigned codes, half a vector per block. A group of 8 blocks (4
 * such vectors) is folded by two levels of 32/64-bit interleaves (Q4_0 in
 * int16, |lane| <= 16 * 15 * 127 = 30480, then one madd; Q5_0's codes reach
 * 31, so after the first level, 8 * 31 * 127 = 31496, a madd widens to
 * int32), leaving one int32 per block in the lane order 0 2 4 6 1 3 5 7 —
 * the order the group's scales are stored in, so one 16-byte load and F16C
 * give the matching weight scales. The code offset (8, Q5_0 16) is
 * subtracted as offset * sum(activation codes) per block, then one FMA per
 * group accumulates scale x int sum. The activation side (codes split into
 * halves, code sums, widened scales) is an activation table, built by the
 * caller once per activation row for every matrix and row range that reads
 * it (eng_packed_table_avx2: building it per call had cost 4-7% of decode
 * and a quarter of packed Q4_0 prefill on smollm2-135m). Pairs left after the groups use four
 * lanes per block. Each function takes the type as a compile-time flag `q5`
 * and is instantiated for both.
 * Rows go in batches of 8 whose accumulators are summed across lanes
 * together (sum8), each row in one fixed order; a full batch runs its rows
 * two at a time, interleaved (row_acc2: a 576-column row, two groups and a
 * pair, is too short a chain to fill the core alone; +11-13% in L2 on an Ice
 * Lake Xeon). Every row is computed alone (its own accumulator, the same
 * operations whatever the other rows of the call).
 * Prefill: eng_packed_rows_multi_avx2 reads and unpacks each weight pair
 * once for up to 4 activation rows, each of which gets exactly the one-row
 * kernel's operations (packed Q4_0 prefill equals decode bit for bit; +5-7%
 * prefill over one activation row at a time on smollm2-135m). Packed Q5_0
 * prefill instead takes the Q8_0 tile (forward.c) on the exact rewrite of
 * eng_packed_to_q8_0_avx2: faster there than this kernel's AVX2 dots.
 */
#if defined(__x86_64__)
#include "packed.h"

#include "forward_simd.h"
#include "quant_avx2.h"

/* Activation side of a group of 8 blocks, shared by all rows that read it. */
typedef struct group_table {
    __m256i low[4];  /* pair i: codes 0..15 of block 2i | of block 2i + 1 (meet the low nibbles) */
    __m256i high[4]; /* codes 16..31 likewise */
    __m256i sums;    /* sum(codes) per block, lane order 0 2 4 6 1 3 5 7 (times the code offset: offset_of) */
    __m256 scale;    /* activation scale per block, same order */
} group_table;

/* A pair of blocks after the groups: four lanes per block. */
typedef struct pair_table {
    __m256i low, high;
    __m256i sums;    /* lane 0: block a, lane 4: block b, 0 elsewhere */
    __m256 scale;    /* lanes 0-3 a, 4-7 b */
} pair_table;

_Static_assert(sizeof(group_table) == ENG_PACKED_GROUP_TABLE_BYTES, "packed.h's table sizes");
_Static_assert(sizeof(pair_table) == ENG_PACKED_PAIR_TABLE_BYTES, "packed.h's table sizes");

/* A table: the row's groups, then its pairs (packed.h). */
static inline const pair_table *table_pairs(const void *table, int64_t groups)
{
    return (const pair_table *)(const void *)((const group_table *)table + groups);
}

/* The code offset (8, Q5_0 16) times the blocks' code sums: exact int32. */
static inline __m256i offset_of(__m256i sums, const int q5)
{
    return _mm256_slli_epi32(sums, q5 ? 4 : 3);
}

/* Software prefetch of the weight stream, into L2 (T1). This kernel runs
 * ~1.6x faster than the unpacked one; on the 2-core EPYC of development
 * (interleaved A/B runs, 2 threads, smollm2-135m) 4 KiB ahead gave ~5-10%
 * more decode tok/s than 2 KiB (the other kernels' distance), 1 KiB and
 * none were worse, 5-8 KiB no better; T1 rather than T0 gave ~9% more
 * (won 9 of 10 rounds). On the Ice Lake Xeon of a later session, 8 KiB and
 * no prefetch were no better, per-token interleaved. */
enum { PREFETCH_BYTES = 4096 };

static inline int32_t block_code_sum(const quant_block_q8_0 *y)
{
    int32_t s = 0;
    for (int i = 0; i < 32; i++) s += y->qs[i];
    return s;
}

static void split_codes(const quant_block_q8_0 *a, const quant_block_q8_0 *b, __m256i *low, __m256i *high)
{
    const __m256i ya = _mm256_loadu_si256((const __m256i *)a->qs), yb = _mm256_loadu_si256((const __m256i *)b->qs);
    *low = _mm256_permute2x128_si256(ya, yb, 0x20);
    *high = _mm256_permute2x128_si256(ya, yb, 0x31);
}

static void build_group(const quant_block_q8_0 *y, group_table *t)
{
    static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    int32_t sums[8];
    float scale[8];
    for (int i = 0; i < 4; i++) split_codes(&y[2 * i], &y[2 * i + 1], &t->low[i], &t->high[i]);
    for (int lane = 0; lane < 8; lane++) {
        sums[lane] = block_code_sum(&y[order[lane]]);
        scale[lane] = avx2_f16(y[order[lane]].d);
    }
    t->sums = _mm256_loadu_si256((const __m256i *)sums);
    t->scale = _mm256_loadu_ps(scale);
}

static void build_pair(const quant_block_q8_0 *y, pair_table *t)
{
    int32_t sums[8] = {block_code_sum(&y[0]), 0, 0, 0, block_code_sum(&y[1]), 0, 0, 0};
    split_codes(&y[0], &y[1], &t->low, &t->high);
    t->sums = _mm256_loadu_si256((const __m256i *)sums);
    t->scale = _mm256_set_m128(_mm_set1_ps(avx2_f16(y[1].d)), _mm_set1_ps(avx2_f16(y[0].d)));
}

void eng_packed_table_avx2(int64_t n, const void *act, void *table)
{
    const quant_block_q8_0 *y = act;
    const int64_t nb = n / 32, groups = nb / ENG_PACKED_GROUP, pairs = (nb - groups * ENG_PACKED_GROUP) / 2;
    group_table *gt = table;
    pair_table *pt = (pair_table *)(void *)(gt + groups);
    for (int64_t g = 0; g < groups; g++) build_group(&y[g * ENG_PACKED_GROUP], &gt[g]);
    for (int64_t p = 0; p < pairs; p++) build_pair(&y[groups * ENG_PACKED_GROUP + 2 * p], &pt[p]);
}

/* 0x10 in byte j where bit j of bits is set. */
static inline __m256i bit4_bytes(const uint8_t *bits)
{
    return _mm256_and_si256(avx2_bits_to_bytes(avx2_load_u32(bits)), _mm256_set1_epi8(16));
}

/* The weight side of one pair of blocks (nibbles, Q5_0 high bits; high_bits:
 * the pair's two words, packed.h), shared by every activation of a
 * multi-row call. */
typedef struct pair_codes {
    __m256i lo, hi;
} pair_codes;

static inline __attribute__((always_inline)) pair_codes load_pair(const uint8_t *qs, const uint8_t *high_bits,
                                                                   const int q5)
{
    const __m256i low4 = _mm256_set1_epi8(15);
    const __m256i raw = _mm256_loadu_si256((const __m256i *)qs);
    pair_codes c = {_mm256_and_si256(raw, low4), _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4)};
    if (q5) {
        c.lo = _mm256_or_si256(c.lo, bit4_bytes(high_bits));
        c.hi = _mm256_or_si256(c.hi, bit4_bytes(high_bits + 4));
    }
    return c;
}

/* code . y of two blocks as int16, half a vector per block. */
static inline __m256i codes_sums16(pair_codes c, __m256i low, __m256i high)
{
    return _mm256_add_epi16(_mm256_maddubs_epi16(c.lo, low), _mm256_maddubs_epi16(c.hi, high));
}

static inline __attribute__((always_inline)) __m256i pair_sums16(const uint8_t *qs, const uint8_t *high_bits,
                                                                  __m256i low, __m256i high, const int q5)
{
    return codes_sums16(load_pair(qs, high_bits, q5), low, high);
}

static inline __m256i fold32(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}

static inline __m256i fold64(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}

static inline __m256i fold64_epi32(__m256i a, __m256i b)
{
    return _mm256_add_epi32(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}

/* A group's four pair sums (pair_sums16) folded to one int32 per block, the
 * offset taken off, times weight scale (the group's 8 f16 scales, in lane
 * order, at `scales`) x activation scale, into acc. */
static inline __attribute__((always_inline)) __m256 group_accumulate(__m256i p0, __m256i p1, __m256i p2, __m256i p3,
                                                                      const uint8_t *scales, const group_table *t,
                                                                      __m256 acc, const int q5)
{
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i sums = q5 ? fold64_epi32(_mm256_madd_epi16(fold32(p0, p1), ones), _mm256_madd_epi16(fold32(p2, p3), ones))
                            : _mm256_madd_epi16(fold64(fold32(p0, p1), fold32(p2, p3)), ones);
    const __m256i ints = _mm256_sub_epi32(sums, offset_of(t->sums, q5));
    const __m256 wscale = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)scales));
    return _mm256_fmadd_ps(_mm256_mul_ps(wscale, t->scale), _mm256_cvtepi32_ps(ints), acc);
}

/* The same for a pair chunk: four lanes per block, wlanes its two weight scales. */
static inline __attribute__((always_inline)) __m256 pair_accumulate(__m256i p, __m256 wlanes, const pair_table *t,
                                                                     __m256 acc, const int q5)
{
    const __m256i ints = _mm256_sub_epi32(_mm256_madd_epi16(p, _mm256_set1_epi16(1)), offset_of(t->sums, q5));
    return _mm256_fmadd_ps(_mm256_mul_ps(wlanes, t->scale), _mm256_cvtepi32_ps(ints), acc);
}

/* One group (8 scales, Q5_0's 4 pairs of high-bit words, then 4 pairs of
 * qs: 144 or 176 bytes) into the accumulator. */
static inline __attribute__((always_inline)) __m256 group_step(const uint8_t *group, const group_table *t, __m256 acc,
                                                                const int q5)
{
    const uint8_t *high = group + 16, *qs = group + (q5 ? 48 : 16);
    const __m256i p0 = pair_sums16(qs, high, t->low[0], t->high[0], q5);
    const __m256i p1 = pair_sums16(qs + 32, high + 8, t->low[1], t->high[1], q5);
    const __m256i p2 = pair_sums16(qs + 64, high + 16, t->low[2], t->high[2], q5);
    const __m256i p3 = pair_sums16(qs + 96, high + 24, t->low[3], t->high[3], q5);
    return group_accumulate(p0, p1, p2, p3, group, t, acc, q5);
}

/* One pair chunk (2 scales, Q5_0's high-bit words, 2 qs: 36 or 44 bytes) into the accumulator. */
static inline __attribute__((always_inline)) __m256 pair_step(const uint8_t *chunk, const pair_table *t, __m256 acc,
                                                               const int q5)
{
    uint32_t two;
    memcpy(&two, chunk, 4);
    const __m256 w = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi32_si128((int)two)));
    const __m256 wlanes = _mm256_permutevar8x32_ps(w, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
    return pair_accumulate(pair_sums16(chunk + (q5 ? 12 : 4), chunk + 4, t->low, t->high, q5), wlanes, t, acc, q5);
}

/* Lane sums of eight vectors, lane r of the result = the sum of vector r's
 * lanes, each in the fixed order ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7))
 * whatever the other seven hold. */
static inline __m256 sum8(const __m256 *acc)
{
    __m256 h[8];
    for (int r = 0; r < 8; r++) /* lanes 0-3 of row r: v0 + v4, v1 + v5, v2 + v6, v3 + v7 */
        h[r] = _mm256_castps128_ps256(_mm_add_ps(_mm256_castps256_ps128(acc[r]), _mm256_extractf128_ps(acc[r], 1)));
    /* rows r and r + 4 share a register: low half row r, high half row r + 4 */
    __m256 m[4];
    for (int r = 0; r < 4; r++) m[r] = _mm256_insertf128_ps(h[r], _mm256_castps256_ps128(h[r + 4]), 1);
    /* per 128-bit half: (a0 + a2), (a1 + a3) for rows r, then the two added */
    const __m256 t01 = _mm256_unpacklo_ps(m[0], m[1]), t23 = _mm256_unpacklo_ps(m[2], m[3]); /* a0 b0 a1 b1 */
    const __m256 u01 = _mm256_unpackhi_ps(m[0], m[1]), u23 = _mm256_unpackhi_ps(m[2], m[3]); /* a2 b2 a3 b3 */
    const __m256 s01 = _mm256_add_ps(t01, u01), s23 = _mm256_add_ps(t23, u23);             /* a0+a2 b0+b2 a1+a3 b1+b3 */
    const __m256 lo = _mm256_shuffle_ps(s01, s23, 0x44), hi = _mm256_shuffle_ps(s01, s23, 0xEE); /* (0+2) x4 | (1+3) x4 */
    return _mm256_add_ps(lo, hi); /* lanes: rows 0 1 2 3 | 4 5 6 7 */
}

/* One packed row's accumulator over its groups, then its pairs. */
static inline __attribute__((always_inline)) __m256 row_acc(const uint8_t *row, int64_t groups, const group_table *gt,
                                                             int64_t pairs, const pair_table *pt, const int q5)
{
    const size_t bb = q5 ? 22 : 18, group_bytes = ENG_PACKED_GROUP * bb;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = 0; g < groups; g++) {
        const uint8_t *group = row + g * group_bytes;
        for (size_t off = 0; off < group_bytes; off += 64)
            _mm_prefetch((const char *)group + PREFETCH_BYTES + off, _MM_HINT_T1);
        acc = group_step(group, &gt[g], acc, q5);
    }
    const uint8_t *chunk = row + groups * group_bytes;
    for (int64_t p = 0; p < pairs; p++) acc = pair_step(chunk + p * 2 * bb, &pt[p], acc, q5);
    return acc;
}

/* Two rows' accumulators with their steps interleaved: each row gets the
 * operations row_acc gives it (the same bits), and the two independent
 * chains keep the core busy where one short row (smollm2's 576 columns: two
 * groups and a pair) leaves it waiting on its own latency. Written out
 * beside row_acc rather than as one loop over 1 or 2 rows: that loop
 * compiled 3-5% slower in L2 (GCC 12, same instruction count). */
static inline __attribute__((always_inline)) void row_acc2(const uint8_t *row0, const uint8_t *row1, int64_t groups,
                                                            const group_table *gt, int64_t pairs, const pair_table *pt,
                                                            __m256 *acc0, __m256 *acc1, const int q5)
{
    const size_t bb = q5 ? 22 : 18, group_bytes = ENG_PACKED_GROUP * bb;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int64_t g = 0; g < groups; g++) {
        const uint8_t *group0 = row0 + g * group_bytes, *group1 = row1 + g * group_bytes;
        for (size_t off = 0; off < group_bytes; off += 64) {
            _mm_prefetch((const char *)group0 + PREFETCH_BYTES + off, _MM_HINT_T1);
            _mm_prefetch((const char *)group1 + PREFETCH_BYTES + off, _MM_HINT_T1);
        }
        a0 = group_step(group0, &gt[g], a0, q5);
        a1 = group_step(group1, &gt[g], a1, q5);
    }
    const uint8_t *chunk0 = row0 + groups * group_bytes, *chunk1 = row1 + groups * group_bytes;
    for (int64_t p = 0; p < pairs; p++) {
        a0 = pair_step(chunk0 + p * 2 * bb, &pt[p], a0, q5);
        a1 = pair_step(chunk1 + p * 2 * bb, &pt[p], a1, q5);
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* The last block of a row with an odd count, a plain block: the float
 * expression of the unpacked kernels. */
static inline __attribute__((always_inline)) float single_block(const uint8_t *block, const quant_block_q8_0 *y,
                                                                const int q5)
{
    const __m256i ints = q5 ? avx2_q5_0_ints((const quant_block_q5_0 *)(const void *)block, y)
                            : avx2_q4_0_ints((const quant_block_q4_0 *)(const void *)block, y);
    uint16_t d;
    memcpy(&d, block, sizeof d);
    return avx2_f16(d) * avx2_f16(y->d) * (float)avx2_hsum_epi32(ints);
}

static inline __attribute__((always_inline)) void packed_rows(int64_t n, int64_t n_rows, float *out, const void *rows,
                                                               size_t row_bytes, const eng_packed_acts *acts, const int q5)
{
    const quant_block_q8_0 *y = acts->q8;
    const size_t bb = q5 ? 22 : 18;
    const int64_t nb = n / 32, groups = nb / ENG_PACKED_GROUP, pairs = (nb - groups * ENG_PACKED_GROUP) / 2;
    const group_table *gt = acts->tables;
    const pair_table *pt = table_pairs(acts->tables, groups);
    /* rows in batches of 8 whose sums are reduced together (a missing row is a zero vector) */
    for (int64_t r0 = 0; r0 < n_rows; r0 += 8) {
        __m256 acc[8];
        const int count = n_rows - r0 < 8 ? (int)(n_rows - r0) : 8;
        const uint8_t *batch = (const uint8_t *)rows + (size_t)r0 * row_bytes;
        if (count == 8) {
            for (int r = 0; r < 8; r += 2)
                row_acc2(batch + (size_t)r * row_bytes, batch + (size_t)(r + 1) * row_bytes, groups, gt, pairs, pt,
                         &acc[r], &acc[r + 1], q5);
        } else {
            for (int r = 0; r < 8; r++)
                acc[r] = r < count ? row_acc(batch + (size_t)r * row_bytes, groups, gt, pairs, pt, q5)
                                   : _mm256_setzero_ps();
        }
        float sums[8];
        _mm256_storeu_ps(sums, sum8(acc));
        for (int r = 0; r < count; r++) out[r0 + r] = sums[r];
    }
    if (nb % 2) /* a last single block, stored as a plain block */
        for (int64_t r = 0; r < n_rows; r++)
            out[r] += single_block((const uint8_t *)rows + (size_t)r * row_bytes + (size_t)(nb - 1) * bb, &y[nb - 1], q5);
}

/* ---- several activation rows: prefill ---------------------------------------------------- */

/* group_step for K activations (tables t[k]) over one weight group read
 * once: each accumulator gets exactly group_step's operations. */
static inline __attribute__((always_inline)) void group_step_multi(const uint8_t *group, const group_table *const *t,
                                                                    __m256 *acc, const int q5, const int K)
{
    const uint8_t *high = group + 16, *qs = group + (q5 ? 48 : 16);
    pair_codes c[4];
    for (int i = 0; i < 4; i++) c[i] = load_pair(qs + 32 * i, high + 8 * i, q5);
#pragma GCC unroll 4
    for (int k = 0; k < K; k++)
        acc[k] = group_accumulate(codes_sums16(c[0], t[k]->low[0], t[k]->high[0]),
                                  codes_sums16(c[1], t[k]->low[1], t[k]->high[1]),
                                  codes_sums16(c[2], t[k]->low[2], t[k]->high[2]),
                                  codes_sums16(c[3], t[k]->low[3], t[k]->high[3]), group, t[k], acc[k], q5);
}

/* pair_step for K activations over one pair chunk read once. */
static inline __attribute__((always_inline)) void pair_step_multi(const uint8_t *chunk, const pair_table *const *t,
                                                                   __m256 *acc, const int q5, const int K)
{
    uint32_t two;
    memcpy(&two, chunk, 4);
    const __m256 w = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi32_si128((int)two)));
    const __m256 wlanes = _mm256_permutevar8x32_ps(w, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
    const pair_codes c = load_pair(chunk + (q5 ? 12 : 4), chunk + 4, q5);
#pragma GCC unroll 4
    for (int k = 0; k < K; k++) acc[k] = pair_accumulate(codes_sums16(c, t[k]->low, t[k]->high), wlanes, t[k], acc[k], q5);
}

/* packed_rows for K activation rows at once, out[k] at out + k * out_ld:
 * every (row, activation) result has the bits packed_rows gives it, the
 * weights being read and unpacked once. */
static inline __attribute__((always_inline)) void packed_rows_multi(int64_t n, int64_t n_rows, float *out, size_t out_ld,
                                                                     const void *rows, size_t row_bytes,
                                                                     const eng_packed_acts *acts, const int q5, const int K)
{
    const size_t bb = q5 ? 22 : 18, group_bytes = ENG_PACKED_GROUP * bb;
    const int64_t nb = n / 32, groups = nb / ENG_PACKED_GROUP, pairs = (nb - groups * ENG_PACKED_GROUP) / 2;
    const quant_block_q8_0 *y[QUANT_MULTI_MAX];
    const group_table *tables[QUANT_MULTI_MAX];
    const pair_table *pt[QUANT_MULTI_MAX];
    for (int k = 0; k < K; k++) {
        y[k] = (const void *)((const uint8_t *)acts->q8 + (size_t)k * acts->q8_stride);
        tables[k] = (const void *)((const uint8_t *)acts->tables + (size_t)k * acts->table_stride);
        pt[k] = table_pairs(tables[k], groups);
    }
    for (int64_t r0 = 0; r0 < n_rows; r0 += 8) {
        __m256 acc[QUANT_MULTI_MAX][8];
        const int count = n_rows - r0 < 8 ? (int)(n_rows - r0) : 8;
        for (int r = 0; r < 8; r++) {
            __m256 a[QUANT_MULTI_MAX];
            for (int k = 0; k < K; k++) a[k] = _mm256_setzero_ps();
            if (r < count) {
                const uint8_t *row = (const uint8_t *)rows + (size_t)(r0 + r) * row_bytes;
                for (int64_t g = 0; g < groups; g++) {
                    const group_table *gt[QUANT_MULTI_MAX];
                    for (int k = 0; k < K; k++) gt[k] = &tables[k][g];
                    for (size_t off = 0; off < group_bytes; off += 64)
                        _mm_prefetch((const char *)row + g * group_bytes + PREFETCH_BYTES + off, _MM_HINT_T1);
                    group_step_multi(row + g * group_bytes, gt, a, q5, K);
                }
                for (int64_t p = 0; p < pairs; p++) {
                    const pair_table *t[QUANT_MULTI_MAX];
                    for (int k = 0; k < K; k++) t[k] = &pt[k][p];
                    pair_step_multi(row + (groups * ENG_PACKED_GROUP + 2 * p) * bb, t, a, q5, K);
                }
            }
            for (int k = 0; k < K; k++) acc[k][r] = a[k];
        }
        for (int k = 0; k < K; k++) {
            float sums[8];
            _mm256_storeu_ps(sums, sum8(acc[k]));
            float *o = out + (size_t)k * out_ld;
            for (int r = 0; r < count; r++) o[r0 + r] = sums[r];
        }
    }
    if (nb % 2)
        for (int k = 0; k < K; k++)
            for (int64_t r = 0; r < n_rows; r++)
                out[(size_t)k * out_ld + r] +=
                    single_block((const uint8_t *)rows + (size_t)r * row_bytes + (size_t)(nb - 1) * bb, &y[k][nb - 1], q5);
}

void eng_packed_rows_avx2(slm_type type, int64_t n, int64_t n_rows, float *out, const void *rows, size_t row_bytes,
                          const eng_packed_acts *acts)
{
    if (type == SLM_TYPE_Q5_0) packed_rows(n, n_rows, out, rows, row_bytes, acts, 1);
    else packed_rows(n, n_rows, out, rows, row_bytes, acts, 0);
}

/* ---- exact rewrite as Q8_0 (prefill tiles) ------------------------------------------------ */

/* Two blocks' codes (code - offset, exact in int8) as two Q8_0 blocks. */
static inline void pair_to_q8_0(const uint8_t *scales, const uint8_t *qs, const uint8_t *high_bits, int q5,
                                uint8_t *out)
{
    const pair_codes c = q5 ? load_pair(qs, high_bits, 1) : load_pair(qs, high_bits, 0);
    const __m256i offset = _mm256_set1_epi8(q5 ? 16 : 8);
    const __m256i lo = _mm256_sub_epi8(c.lo, offset), hi = _mm256_sub_epi8(c.hi, offset);
    memcpy(out, scales, 2);
    _mm256_storeu_si256((__m256i *)(out + 2), _mm256_permute2x128_si256(lo, hi, 0x20));
    memcpy(out + 34, scales + 2, 2);
    _mm256_storeu_si256((__m256i *)(out + 36), _mm256_permute2x128_si256(lo, hi, 0x31));
}

void eng_packed_to_q8_0_avx2(slm_type type, const uint8_t *row, int64_t nb, uint8_t *out)
{
    const int q5 = type == SLM_TYPE_Q5_0;
    const size_t bb = q5 ? 22 : 18;
    int64_t b = 0;
    for (; b + ENG_PACKED_GROUP <= nb; b += ENG_PACKED_GROUP, row += ENG_PACKED_GROUP * bb) {
        static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7}; /* lane of block i's scale: order[lane] = i */
        uint8_t scales[16];
        for (int lane = 0; lane < 8; lane++) memcpy(scales + 2 * order[lane], row + 2 * lane, 2);
        for (int p = 0; p < 4; p++)
            pair_to_q8_0(scales + 4 * p, row + (q5 ? 48 : 16) + 32 * p, row + 16 + 8 * p, q5, out + (b + 2 * p) * 34);
    }
    for (; b + 2 <= nb; b += 2, row += 2 * bb) pair_to_q8_0(row, row + (q5 ? 12 : 4), row + 4, q5, out + b * 34);
    if (b < nb) { /* a plain block */
        if (q5) eng_repack_q5_0_as_q8_0_avx2(row, out + b * 34, 1);
        else eng_repack_q4_0_as_q8_0_avx2(row, out + b * 34, 1);
    }
}

#define PACKED_MULTI(Q5, K) packed_rows_multi(n, n_rows, out, out_ld, rows, row_bytes, acts, Q5, K)

void eng_packed_rows_multi_avx2(slm_type type, int64_t n, int64_t n_rows, int n_acts, float *out, size_t out_ld,
                                const void *rows, size_t row_bytes, const eng_packed_acts *acts)
{
    const int q5 = type == SLM_TYPE_Q5_0;
    switch (n_acts < 1 ? 1 : n_acts > QUANT_MULTI_MAX ? QUANT_MULTI_MAX : n_acts) {
    case 1: if (q5) PACKED_MULTI(1, 1); else PACKED_MULTI(0, 1); break;
    case 2: if (q5) PACKED_MULTI(1, 2); else PACKED_MULTI(0, 2); break;
    case 3: if (q5) PACKED_MULTI(1, 3); else PACKED_MULTI(0, 3); break;
    default: if (q5) PACKED_MULTI(1, 4); else PACKED_MULTI(0, 4); break;
    }
}
#undef PACKED_MULTI
#endif /* __x86_64__ */
