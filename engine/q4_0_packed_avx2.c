/*
 * q4_0_packed_avx2.c — dot products of packed Q4_0 rows (layout in
 * q4_0_packed.h) with one row of Q8_0 activations. Compiled with AVX2 flags.
 *
 * One 32-byte load holds two blocks' qs; masking and a 16-bit shift split
 * low and high nibbles, and two maddubs against the activation bytes laid
 * out the same way (built once per call) give int16 sums, half a vector per
 * block. A group of 8 blocks (4 such vectors) is folded in int16 (two
 * levels of 32/64-bit interleaves, |lane| <= 16 * 15 * 127 = 30480) and one
 * madd leaves one int32 per block in the lane order 0 2 4 6 1 3 5 7 — the
 * order the group's scales are stored in, so one 16-byte load and F16C give
 * the matching weight scales. The -8 offset of Q4_0 is subtracted as
 * 8 * sum(activation codes) per block, then one FMA per group accumulates
 * scale x int sum. Pairs left after the groups use four lanes per block.
 * Rows go in batches of 8 whose accumulators are summed across lanes
 * together (sum8), each row in one fixed order; a full batch runs its rows
 * two at a time, interleaved (row_acc2: a 576-column row, two groups and a
 * pair, is too short a chain to fill the core alone; +11-13% in L2 on an Ice
 * Lake Xeon). Every row is computed alone
 * (its own accumulator, the same operations whatever the other rows of the
 * call), so prefill, which calls this per activation row, equals decode bit
 * for bit.
 */
#if defined(__x86_64__)
#include "q4_0_packed.h"

#include "quant_avx2.h"

/* Activation side of a group of 8 blocks, shared by all rows of a call. */
typedef struct group_table {
    __m256i low[4];  /* pair i: codes 0..15 of block 2i | of block 2i + 1 (meet the low nibbles) */
    __m256i high[4]; /* codes 16..31 likewise */
    __m256i offset;  /* 8 * sum(codes) per block, lane order 0 2 4 6 1 3 5 7 */
    __m256 scale;    /* activation scale per block, same order */
} group_table;

/* A pair of blocks after the groups: four lanes per block. */
typedef struct pair_table {
    __m256i low, high;
    __m256i offset;  /* lane 0: block a, lane 4: block b, 0 elsewhere */
    __m256 scale;    /* lanes 0-3 a, 4-7 b */
} pair_table;

/* Groups per table chunk (20 KiB of stack): rows longer than 64 groups
 * (16384 elements) are done in chunks, each row summing its chunks in order. */
enum { GROUPS_PER_CHUNK = 64, PAIRS_MAX = 3 };
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
    int32_t offset[8];
    float scale[8];
    for (int i = 0; i < 4; i++) split_codes(&y[2 * i], &y[2 * i + 1], &t->low[i], &t->high[i]);
    for (int lane = 0; lane < 8; lane++) {
        offset[lane] = 8 * block_code_sum(&y[order[lane]]);
        scale[lane] = avx2_f16(y[order[lane]].d);
    }
    t->offset = _mm256_loadu_si256((const __m256i *)offset);
    t->scale = _mm256_loadu_ps(scale);
}

static void build_pair(const quant_block_q8_0 *y, pair_table *t)
{
    int32_t offset[8] = {8 * block_code_sum(&y[0]), 0, 0, 0, 8 * block_code_sum(&y[1]), 0, 0, 0};
    split_codes(&y[0], &y[1], &t->low, &t->high);
    t->offset = _mm256_loadu_si256((const __m256i *)offset);
    t->scale = _mm256_set_m128(_mm_set1_ps(avx2_f16(y[1].d)), _mm_set1_ps(avx2_f16(y[0].d)));
}

/* code . y of two blocks as int16, half a vector per block. */
static inline __m256i pair_sums16(const uint8_t *qs, __m256i low, __m256i high)
{
    const __m256i low4 = _mm256_set1_epi8(15);
    const __m256i raw = _mm256_loadu_si256((const __m256i *)qs);
    const __m256i lo = _mm256_and_si256(raw, low4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
    return _mm256_add_epi16(_mm256_maddubs_epi16(lo, low), _mm256_maddubs_epi16(hi, high));
}

static inline __m256i fold32(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
}

static inline __m256i fold64(__m256i a, __m256i b)
{
    return _mm256_add_epi16(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
}

/* One group (144 bytes: 8 scales, then 4 pairs of qs) into the accumulator. */
static inline __m256 group_step(const uint8_t *group, const group_table *t, __m256 acc)
{
    const uint8_t *qs = group + 16;
    const __m256i p0 = pair_sums16(qs, t->low[0], t->high[0]), p1 = pair_sums16(qs + 32, t->low[1], t->high[1]);
    const __m256i p2 = pair_sums16(qs + 64, t->low[2], t->high[2]), p3 = pair_sums16(qs + 96, t->low[3], t->high[3]);
    const __m256i sums = _mm256_madd_epi16(fold64(fold32(p0, p1), fold32(p2, p3)), _mm256_set1_epi16(1));
    const __m256i ints = _mm256_sub_epi32(sums, t->offset);
    const __m256 scales = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)group)), t->scale);
    return _mm256_fmadd_ps(scales, _mm256_cvtepi32_ps(ints), acc);
}

/* One pair chunk (36 bytes: 2 scales, 2 qs) into the accumulator. */
static inline __m256 pair_step(const uint8_t *chunk, const pair_table *t, __m256 acc)
{
    uint32_t two;
    memcpy(&two, chunk, 4);
    const __m256 w = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi32_si128((int)two)));
    const __m256 wlanes = _mm256_permutevar8x32_ps(w, _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
    const __m256i sums = _mm256_madd_epi16(pair_sums16(chunk + 4, t->low, t->high), _mm256_set1_epi16(1));
    const __m256i ints = _mm256_sub_epi32(sums, t->offset);
    return _mm256_fmadd_ps(_mm256_mul_ps(wlanes, t->scale), _mm256_cvtepi32_ps(ints), acc);
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

/* One packed row's accumulator over groups [g0, g1) and, in the last chunk, the pairs. */
static inline __m256 row_acc(const uint8_t *row, int64_t g0, int64_t g1, const group_table *gt, int last_chunk,
                             int64_t pairs_start, int64_t pairs, const pair_table *pt)
{
    __m256 acc = _mm256_setzero_ps();
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *group = row + g * (ENG_Q4_0_GROUP * ENG_Q4_0_BLOCK_BYTES);
        for (int off = 0; off < ENG_Q4_0_GROUP * ENG_Q4_0_BLOCK_BYTES; off += 64)
            _mm_prefetch((const char *)group + PREFETCH_BYTES + off, _MM_HINT_T1);
        acc = group_step(group, &gt[g - g0], acc);
    }
    if (last_chunk) {
        const uint8_t *chunk = row + pairs_start * ENG_Q4_0_BLOCK_BYTES;
        for (int64_t p = 0; p < pairs; p++) acc = pair_step(chunk + p * 2 * ENG_Q4_0_BLOCK_BYTES, &pt[p], acc);
    }
    return acc;
}

/* Two rows' accumulators with their steps interleaved: each row gets the
 * operations row_acc gives it (the same bits), and the two independent
 * chains keep the core busy where one short row (smollm2's 576 columns: two
 * groups and a pair) leaves it waiting on its own latency. Written out
 * beside row_acc rather than as one loop over 1 or 2 rows: that loop
 * compiled 3-5% slower in L2 (GCC 12, same instruction count). */
static inline void row_acc2(const uint8_t *row0, const uint8_t *row1, int64_t g0, int64_t g1, const group_table *gt,
                            int last_chunk, int64_t pairs_start, int64_t pairs, const pair_table *pt, __m256 *acc0,
                            __m256 *acc1)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *group0 = row0 + g * (ENG_Q4_0_GROUP * ENG_Q4_0_BLOCK_BYTES);
        const uint8_t *group1 = row1 + g * (ENG_Q4_0_GROUP * ENG_Q4_0_BLOCK_BYTES);
        for (int off = 0; off < ENG_Q4_0_GROUP * ENG_Q4_0_BLOCK_BYTES; off += 64) {
            _mm_prefetch((const char *)group0 + PREFETCH_BYTES + off, _MM_HINT_T1);
            _mm_prefetch((const char *)group1 + PREFETCH_BYTES + off, _MM_HINT_T1);
        }
        a0 = group_step(group0, &gt[g - g0], a0);
        a1 = group_step(group1, &gt[g - g0], a1);
    }
    if (last_chunk) {
        const uint8_t *chunk0 = row0 + pairs_start * ENG_Q4_0_BLOCK_BYTES;
        const uint8_t *chunk1 = row1 + pairs_start * ENG_Q4_0_BLOCK_BYTES;
        for (int64_t p = 0; p < pairs; p++) {
            a0 = pair_step(chunk0 + p * 2 * ENG_Q4_0_BLOCK_BYTES, &pt[p], a0);
            a1 = pair_step(chunk1 + p * 2 * ENG_Q4_0_BLOCK_BYTES, &pt[p], a1);
        }
    }
    *acc0 = a0;
    *acc1 = a1;
}

void eng_q4_0_packed_rows_avx2(int64_t n, int64_t n_rows, float *out, const void *rows, size_t row_bytes,
                               const void *act)
{
    const quant_block_q8_0 *y = act;
    const int64_t nb = n / 32, groups = nb / ENG_Q4_0_GROUP, pairs = (nb - groups * ENG_Q4_0_GROUP) / 2;
    const int64_t pairs_start = groups * ENG_Q4_0_GROUP; /* first block after the groups */
    group_table gt[GROUPS_PER_CHUNK];
    pair_table pt[PAIRS_MAX];
    for (int64_t p = 0; p < pairs; p++) build_pair(&y[pairs_start + 2 * p], &pt[p]);
    for (int64_t g0 = 0; g0 < groups || (g0 == 0 && groups == 0); g0 += GROUPS_PER_CHUNK) {
        const int64_t g1 = g0 + GROUPS_PER_CHUNK < groups ? g0 + GROUPS_PER_CHUNK : groups;
        const int last_chunk = g1 == groups;
        for (int64_t g = g0; g < g1; g++) build_group(&y[g * ENG_Q4_0_GROUP], &gt[g - g0]);
        /* rows in batches of 8 whose sums are reduced together (a missing row is a zero vector) */
        for (int64_t r0 = 0; r0 < n_rows; r0 += 8) {
            __m256 acc[8];
            const int count = n_rows - r0 < 8 ? (int)(n_rows - r0) : 8;
            const uint8_t *batch = (const uint8_t *)rows + (size_t)r0 * row_bytes;
            if (count == 8) {
                for (int r = 0; r < 8; r += 2)
                    row_acc2(batch + (size_t)r * row_bytes, batch + (size_t)(r + 1) * row_bytes, g0, g1, gt,
                             last_chunk, pairs_start, pairs, pt, &acc[r], &acc[r + 1]);
            } else {
                for (int r = 0; r < 8; r++)
                    acc[r] = r < count ? row_acc(batch + (size_t)r * row_bytes, g0, g1, gt, last_chunk, pairs_start,
                                                 pairs, pt)
                                       : _mm256_setzero_ps();
            }
            float sums[8];
            _mm256_storeu_ps(sums, sum8(acc));
            for (int r = 0; r < count; r++) out[r0 + r] = g0 == 0 ? sums[r] : out[r0 + r] + sums[r];
        }
    }
    if (nb % 2) { /* a last single block, stored as a plain Q4_0 block */
        for (int64_t r = 0; r < n_rows; r++) {
            const quant_block_q4_0 *x =
                (const void *)((const uint8_t *)rows + (size_t)r * row_bytes + (size_t)(nb - 1) * ENG_Q4_0_BLOCK_BYTES);
            out[r] += avx2_f16(x->d) * avx2_f16(y[nb - 1].d) * (float)avx2_hsum_epi32(avx2_q4_0_ints(x, &y[nb - 1]));
        }
    }
}
#endif /* __x86_64__ */
