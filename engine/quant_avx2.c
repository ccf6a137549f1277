/*
 * quant_avx2.c — AVX2 + FMA + F16C kernels (compiled with those flags only;
 * quant.c selects this table at run time when the CPU and OS support it).
 *
 * What: vec_dot for every weight type, the activation quantizers (Q8_0,
 * Q8_1, Q8_K) and F16 row conversions. Dequantize/quantize of weight types
 * use the scalar kernels (they are not on the decode path).
 * Invariants:
 *  - unaligned loads only (GGUF rows are only 2-byte aligned);
 *  - quantized vec_dots sum exact integer products per block (maddubs on
 *    unsigned codes x signed activations never saturates: codes <= 63), then
 *    scale in float, so results equal the scalar reference up to float
 *    summation order; offsets of signed codes are removed exactly through
 *    the Q8_K bsums;
 *  - the activation quantizers produce the same bytes as the scalar ones
 *    (same operations: amax, 1/d, multiply, round-to-nearest-even).
 */
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "quant_kernels.h"

/* ---- helpers ------------------------------------------------------------------- */

static inline float avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float avx2_f16(quant_f16 h) { return _cvtsh_ss(h); }

/* Software prefetch of the weight bytes [p + AVX2_PREFETCH, + bytes): the
 * hardware prefetcher alone leaves the decode stream (one pass over every
 * weight) well short of the read bandwidth; ~2 KiB ahead measured best. */
#define AVX2_PREFETCH 2048
static inline void avx2_prefetch(const void *p, size_t bytes)
{
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

/* ---- F32 / F16 / BF16 ---------------------------------------------------------- */

void quant_avx2_dot_f32(int64_t n, float *result, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += x[i] * y[i];
    *result = sum;
}

void quant_avx2_dot_f16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_f16 *x = w;
    const float *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++) {
            const __m256 xv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8 * k)));
            acc[k] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(y + i + 8 * k), acc[k]);
        }
    }
    for (; i + 8 <= n; i += 8)
        acc[0] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += avx2_f16(x[i]) * y[i];
    *result = sum;
}

static inline __m256 avx2_load_bf16(const quant_bf16 *p)
{
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

void quant_avx2_dot_bf16(int64_t n, float *result, const void *w, const void *a)
{
    const quant_bf16 *x = w;
    const float *y = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_fmadd_ps(avx2_load_bf16(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
    for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(avx2_load_bf16(x + i), _mm256_loadu_ps(y + i), acc[0]);
    float sum = avx2_hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; i++) sum += quant_bf16_to_f32(x[i]) * y[i];
    *result = sum;
}

void quant_avx2_dequantize_f16(const void *src, float *dst, int64_t n)
{
    const quant_f16 *x = src;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) dst[i] = quant_f16_to_f32(x[i]);
}

void quant_avx2_quantize_f16(const float *src, void *dst, int64_t n)
{
    quant_f16 *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = quant_f32_to_f16(src[i]);
}

/* ---- activation quantizers --------------------------------------------------------- */

static inline float avx2_absmax(const float *x, int n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < n; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 floats * id -> 32 int8 (round to nearest even, clamped to +-127). */
static inline __m256i avx2_round_32(const float *x, float id)
{
    const __m256 mul = _mm256_set1_ps(id);
    __m256i v[4];
    for (int k = 0; k < 4; k++) v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), mul));
    const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    const __m256i ordered = _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_max_epi8(ordered, _mm256_set1_epi8(-127));
}

static inline int avx2_sum_i8(__m256i q)
{
    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* Same operations as the scalar quant_int8_codes with an f16 scale. */
static inline float avx2_q8_block(const float *x, int8_t *qs, int *sum)
{
    const float d = avx2_f16(_cvtss_sh(avx2_absmax(x, 32) / 127.0f, _MM_FROUND_TO_NEAREST_INT));
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m256i q = avx2_round_32(x, id);
    _mm256_storeu_si256((__m256i *)qs, q);
    if (sum) *sum = avx2_sum_i8(q);
    return d;
}

void quant_avx2_quantize_q8_0(const float *src, void *dst, int64_t n)
{
    quant_block_q8_0 *y = dst;
    for (int64_t b = 0; b < n / QK8_0; b++)
        y[b].d = quant_f32_to_f16(avx2_q8_block(src + 32 * b, y[b].qs, NULL));
}

void quant_avx2_quantize_q8_1(const float *src, void *dst, int64_t n)
{
    quant_block_q8_1 *y = dst;
    for (int64_t b = 0; b < n / QK8_1; b++) {
        int sum;
        const float d = avx2_q8_block(src + 32 * b, y[b].qs, &sum);
        y[b].d = quant_f32_to_f16(d);
        y[b].s = quant_f32_to_f16(d * (float)sum);
    }
}

void quant_avx2_quantize_q8_k(const float *src, void *dst, int64_t n)
{
    quant_block_q8_k *y = dst;
    for (int64_t b = 0; b < n / QK_K; b++) {
        const float *x = src + QK_K * b;
        const float d = avx2_absmax(x, QK_K) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = d;
        for (int j = 0; j < QK_K; j += 32) {
            const __m256i q = avx2_round_32(x + j, id);
            _mm256_storeu_si256((__m256i *)(y[b].qs + j), q);
            /* pair sums, then sums of 16: one int16 per 16 codes */
            const __m256i s16 = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), q), _mm256_set1_epi16(1));
            const __m256i s8 = _mm256_hadd_epi32(s16, s16);
            const __m256i s4 = _mm256_hadd_epi32(s8, s8);
            y[b].bsums[j / 16] = (int16_t)_mm256_extract_epi32(s4, 0);
            y[b].bsums[j / 16 + 1] = (int16_t)_mm256_extract_epi32(s4, 4);
        }
    }
}

/* ---- 32-element block types ----------------------------------------------------------- */

/* The f16 scales of 8 consecutive blocks as floats. */
#define AVX2_HALF8(p)                                                                                   \
    _mm256_cvtph_ps(_mm_setr_epi16((short)(p)[0].d, (short)(p)[1].d, (short)(p)[2].d, (short)(p)[3].d,  \
                                   (short)(p)[4].d, (short)(p)[5].d, (short)(p)[6].d, (short)(p)[7].d))

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

void quant_avx2_dot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w, *y = a;
    AVX2_DOT_SYMMETRIC(avx2_q8_0_ints, x, y, n / QK8_0, AVX2_Y_HALF8, AVX2_Y_HALF1, result);
}

void quant_avx2_dot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_0 *x = w;
    const quant_block_q8_0 *y = a;
    AVX2_DOT_SYMMETRIC(avx2_q4_0_ints, x, y, n / QK4_0, AVX2_Y_HALF8, AVX2_Y_HALF1, result);
}

/* Multi-row kernels: the activation scales are converted once per call. Rows
 * longer than this many blocks use the single-row kernel. */
#define AVX2_ROWS_MAX_BLOCKS 512

static void avx2_q8_0_scales(const quant_block_q8_0 *y, int64_t nb, float *ys)
{
    for (int64_t b = 0; b < nb; b++) ys[b] = avx2_f16(y[b].d);
}

void quant_avx2_dot_rows_q8_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    const quant_block_q8_0 *y = a;
    const int64_t nb = n / QK8_0;
    float ys[AVX2_ROWS_MAX_BLOCKS];
    if (nb > AVX2_ROWS_MAX_BLOCKS) {
        for (int64_t r = 0; r < n_rows; r++) quant_avx2_dot_q8_0(n, &out[r], (const uint8_t *)w + (size_t)r * row_bytes, a);
        return;
    }
    avx2_q8_0_scales(y, nb, ys);
    for (int64_t r = 0; r < n_rows; r++) {
        const quant_block_q8_0 *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);
        AVX2_DOT_SYMMETRIC(avx2_q8_0_ints, x, y, nb, AVX2_Y_ARRAY8, AVX2_Y_ARRAY1, &out[r]);
    }
}

void quant_avx2_dot_rows_q4_0(int64_t n, int64_t n_rows, float *out, const void *w, size_t row_bytes, const void *a)
{
    const quant_block_q8_0 *y = a;
    const int64_t nb = n / QK4_0;
    float ys[AVX2_ROWS_MAX_BLOCKS];
    if (nb > AVX2_ROWS_MAX_BLOCKS) {
        for (int64_t r = 0; r < n_rows; r++) quant_avx2_dot_q4_0(n, &out[r], (const uint8_t *)w + (size_t)r * row_bytes, a);
        return;
    }
    avx2_q8_0_scales(y, nb, ys);
    for (int64_t r = 0; r < n_rows; r++) {
        const quant_block_q4_0 *x = (const void *)((const uint8_t *)w + (size_t)r * row_bytes);
        AVX2_DOT_SYMMETRIC(avx2_q4_0_ints, x, y, nb, AVX2_Y_ARRAY8, AVX2_Y_ARRAY1, &out[r]);
    }
}

void quant_avx2_dot_q5_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_0 *x = w;
    const quant_block_q8_0 *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_0; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        /* code - 16 as int8 = nibble | 0xF0 when bit 4 is clear */
        const __m256i high = _mm256_andnot_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8((char)0xF0));
        const __m256i codes = _mm256_or_si256(avx2_nibbles(x[b].qs), high);
        const __m256i p = avx2_dot_i8(codes, _mm256_loadu_si256((const __m256i *)y[b].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(avx2_f16(x[b].d) * avx2_f16(y[b].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *result = avx2_hsum(acc);
}

/* Affine types: d*dy*sum(code*a) + m*dy*sum(a); sum(a) from the codes, exact. */
static inline void avx2_affine_block(__m256i codes, quant_f16 d, quant_f16 m, const quant_block_q8_1 *y,
                                     __m256 *acc, __m256 *acc_min)
{
    const __m256i yq = _mm256_loadu_si256((const __m256i *)y->qs);
    const float dy = avx2_f16(y->d);
    const __m256i sum_y = avx2_dot_u8(_mm256_set1_epi8(1), yq);
    *acc = _mm256_fmadd_ps(_mm256_set1_ps(avx2_f16(d) * dy), _mm256_cvtepi32_ps(avx2_dot_u8(codes, yq)), *acc);
    *acc_min = _mm256_fmadd_ps(_mm256_set1_ps(avx2_f16(m) * dy), _mm256_cvtepi32_ps(sum_y), *acc_min);
}

void quant_avx2_dot_q4_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_1 *x = w;
    const quant_block_q8_1 *y = a;
    __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK4_1; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        avx2_affine_block(avx2_nibbles(x[b].qs), x[b].d, x[b].m, y + b, &acc, &acc_min);
    }
    *result = avx2_hsum(_mm256_add_ps(acc, acc_min));
}

void quant_avx2_dot_q5_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_1 *x = w;
    const quant_block_q8_1 *y = a;
    __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_1; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        const __m256i high = _mm256_and_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8(16));
        avx2_affine_block(_mm256_or_si256(avx2_nibbles(x[b].qs), high), x[b].d, x[b].m, y + b, &acc, &acc_min);
    }
    *result = avx2_hsum(_mm256_add_ps(acc, acc_min));
}

/* ---- K-quants ------------------------------------------------------------------------------ */

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
    for (int h = 0; h < 2; h++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * h));
        codes[4 * h + 0] = _mm256_and_si256(raw, mask);
        codes[4 * h + 1] = _mm256_and_si256(_mm256_srli_epi16(raw, 2), mask);
        codes[4 * h + 2] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
        codes[4 * h + 3] = _mm256_and_si256(_mm256_srli_epi16(raw, 6), mask);
    }
}

void quant_avx2_dot_q2_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q2_k *x = w;
    const quant_block_q8_k *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        __m256i codes[8];
        avx2_unpack_2bit(x[b].qs, codes);
        const __m128i packed = _mm_loadu_si128((const __m128i *)x[b].scales);
        const __m128i scales = _mm_and_si128(packed, _mm_set1_epi8(15));
        const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(15));
        const __m256i sumi = avx2_sum16_block(codes, y[b].qs, scales);
        const __m256i summ = avx2_bsums_dot(y[b].bsums, mins);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].d)), _mm256_cvtepi32_ps(sumi), acc);
        acc = _mm256_fnmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].dmin)), _mm256_cvtepi32_ps(summ), acc);
    }
    *result = avx2_hsum(acc);
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

void quant_avx2_dot_q3_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q3_k *x = w;
    const quant_block_q8_k *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        __m256i codes[8];
        avx2_unpack_2bit(x[b].qs, codes);
        __m256i hmask = _mm256_loadu_si256((const __m256i *)x[b].hmask);
        for (int c = 0; c < 8; c++) {
            /* bit c of hmask -> value 4 */
            codes[c] = _mm256_or_si256(codes[c], _mm256_and_si256(_mm256_slli_epi16(hmask, 2), _mm256_set1_epi8(4)));
            hmask = _mm256_srli_epi16(hmask, 1);
        }
        const __m128i scales = avx2_q3_k_scales(x[b].scales);
        const __m256i sumi = avx2_sum16_block(codes, y[b].qs, scales);
        /* codes are q + 4: remove 4 * scale * bsum */
        const __m256i offset = avx2_bsums_dot(y[b].bsums, scales);
        const __m256i total = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 2));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].d)), _mm256_cvtepi32_ps(total), acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_dot_q6_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q6_k *x = w;
    const quant_block_q8_k *y = a;
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        __m256i codes[8];
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[b].qh + 32 * h));
            codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
            codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
            codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
            codes[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
        }
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[b].scales);
        const __m256i sumi = avx2_sum16_block(codes, y[b].qs, scales);
        /* codes are q + 32: remove 32 * scale * bsum */
        const __m256i offset = avx2_bsums_dot(y[b].bsums, scales);
        const __m256i total = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].d)), _mm256_cvtepi32_ps(total), acc);
    }
    *result = avx2_hsum(acc);
}

/* Q4_K/Q5_K 6-bit scales and mins unpacked with 32-bit word operations:
 * returns bytes 0..7 = scales, 8..15 = mins (layout: quant_kernels.h). */
static inline __m128i avx2_k4_scales(const uint8_t packed[12])
{
    uint32_t w[3];
    memcpy(w, packed, sizeof w);
    const uint32_t sc_lo = w[0] & 0x3f3f3f3f, mn_lo = w[1] & 0x3f3f3f3f;
    const uint32_t sc_hi = (w[2] & 0x0f0f0f0f) | ((w[0] >> 2) & 0x30303030);
    const uint32_t mn_hi = ((w[2] >> 4) & 0x0f0f0f0f) | ((w[1] >> 2) & 0x30303030);
    return _mm_setr_epi32((int)sc_lo, (int)sc_hi, (int)mn_lo, (int)mn_hi);
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

void quant_avx2_dot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_k *x = w;
    const quant_block_q8_k *y = a;
    const __m256i low4 = _mm256_set1_epi8(15);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        const __m128i scales_mins = avx2_k4_scales(x[b].scales);
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        __m256i sumi = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * g));
            const __m256i lo = _mm256_and_si256(raw, low4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
            sumi = _mm256_add_epi32(sumi, avx2_k4_group(lo, hi, y[b].qs + 64 * g, scales16, g));
        }
        const __m256i summ = avx2_k4_mins(scales_mins, y[b].bsums);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].d)), _mm256_cvtepi32_ps(sumi), acc);
        acc = _mm256_fnmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].dmin)), _mm256_cvtepi32_ps(summ), acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_dot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_k *x = w;
    const quant_block_q8_k *y = a;
    const __m256i low4 = _mm256_set1_epi8(15), sixteen = _mm256_set1_epi8(16);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        avx2_prefetch(x + b, sizeof(*x));
        const __m128i scales_mins = avx2_k4_scales(x[b].scales);
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        const __m256i qh = _mm256_loadu_si256((const __m256i *)x[b].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * g));
            const __m256i bit_lo = _mm256_set1_epi8((char)(1 << (2 * g))), bit_hi = _mm256_set1_epi8((char)(2 << (2 * g)));
            const __m256i h_lo = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_lo), bit_lo), sixteen);
            const __m256i h_hi = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_hi), bit_hi), sixteen);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(raw, low4), h_lo);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), low4), h_hi);
            sumi = _mm256_add_epi32(sumi, avx2_k4_group(lo, hi, y[b].qs + 64 * g, scales16, g));
        }
        const __m256i summ = avx2_k4_mins(scales_mins, y[b].bsums);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].d)), _mm256_cvtepi32_ps(sumi), acc);
        acc = _mm256_fnmadd_ps(_mm256_set1_ps(y[b].d * avx2_f16(x[b].dmin)), _mm256_cvtepi32_ps(summ), acc);
    }
    *result = avx2_hsum(acc);
}

/* ---- one weight row . several activation rows (vec_dot_multi) -------------------------------- */

/* Each body takes the activation count K as a compile-time constant (the
 * dispatchers below call it with literals), so the per-activation loops are
 * unrolled and the accumulators stay in registers. Weight blocks are unpacked
 * and their scales converted once for all K activations. */

#define AVX2_MULTI_SETUP(ytype)                                                                   \
    const ytype *y[QUANT_MULTI_MAX];                                                              \
    __m256 acc[QUANT_MULTI_MAX];                                                                  \
    for (int k = 0; k < K; k++) {                                                                 \
        y[k] = (const ytype *)(const void *)((const uint8_t *)a + (size_t)k * act_stride);        \
        acc[k] = _mm256_setzero_ps();                                                             \
    }

/* Symmetric 32-block types: the weight scales of each group of 8 blocks are
 * converted once for all activations (the costly part: they are scattered
 * 2-byte loads); unpacking codes is cheap and repeated per activation so the
 * unrolled per-block steps of vec_dot are reused as they are. */
#define AVX2_MULTI_SYMMETRIC(INTS, x, nb, out, out_stride)                                             \
    do {                                                                                              \
        int64_t b = 0;                                                                                \
        for (; b + 8 <= (nb); b += 8) {                                                               \
            avx2_prefetch((x) + b, 8 * sizeof(*(x)));                                                 \
            const __m256 xs = AVX2_HALF8((x) + b);                                                    \
            for (int k = 0; k < K; k++) {                                                             \
                const quant_block_q8_0 *yk = y[k];                                                    \
                const __m256 s = _mm256_mul_ps(xs, AVX2_HALF8(yk + b));                               \
                __m256 a0 = acc[k], a1 = _mm256_setzero_ps();                                         \
                AVX2_GROUP_STEP(INTS, x, yk, 0, a0); AVX2_GROUP_STEP(INTS, x, yk, 1, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 2, a0); AVX2_GROUP_STEP(INTS, x, yk, 3, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 4, a0); AVX2_GROUP_STEP(INTS, x, yk, 5, a1);              \
                AVX2_GROUP_STEP(INTS, x, yk, 6, a0); AVX2_GROUP_STEP(INTS, x, yk, 7, a1);              \
                acc[k] = _mm256_add_ps(a0, a1);                                                       \
            }                                                                                         \
        }                                                                                             \
        for (; b < (nb); b++) {                                                                       \
            for (int k = 0; k < K; k++) {                                                             \
                const __m256 sk = _mm256_set1_ps(avx2_f16((x)[b].d) * avx2_f16(y[k][b].d));           \
                acc[k] = _mm256_fmadd_ps(sk, _mm256_cvtepi32_ps(INTS((x) + b, y[k] + b)), acc[k]);    \
            }                                                                                         \
        }                                                                                             \
        for (int k = 0; k < K; k++) (out)[(size_t)k * (out_stride)] = avx2_hsum(acc[k]);             \
    } while (0)

static inline __attribute__((always_inline)) void
avx2_q4_0_multi(int64_t nb, const quant_block_q4_0 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_0)
    AVX2_MULTI_SYMMETRIC(avx2_q4_0_ints, x, nb, out, out_stride);
}

static inline __attribute__((always_inline)) void
avx2_q8_0_multi(int64_t nb, const quant_block_q8_0 *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_0)
    AVX2_MULTI_SYMMETRIC(avx2_q8_0_ints, x, nb, out, out_stride);
}

static inline __attribute__((always_inline)) void
avx2_q4_k_multi(int64_t nb, const quant_block_q4_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_k)
    const __m256i low4 = _mm256_set1_epi8(15);
    for (int64_t b = 0; b < nb; b++) {
        const __m128i scales_mins = avx2_k4_scales(x[b].scales);
        const __m256i scales16 = avx2_k4_scales16(scales_mins);
        __m256i sumi[QUANT_MULTI_MAX];
        for (int k = 0; k < K; k++) sumi[k] = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * g));
            const __m256i lo = _mm256_and_si256(raw, low4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
            for (int k = 0; k < K; k++)
                sumi[k] = _mm256_add_epi32(sumi[k], avx2_k4_group(lo, hi, y[k][b].qs + 64 * g, scales16, g));
        }
        const float d = avx2_f16(x[b].d), dmin = avx2_f16(x[b].dmin);
        for (int k = 0; k < K; k++) {
            const __m256i summ = avx2_k4_mins(scales_mins, y[k][b].bsums);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][b].d * d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            acc[k] = _mm256_fnmadd_ps(_mm256_set1_ps(y[k][b].d * dmin), _mm256_cvtepi32_ps(summ), acc[k]);
        }
    }
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);
}

/* Q6_K codes of one block (unsigned, q + 32), chunk c = 32 elements. */
static inline void avx2_q6_k_codes(const quant_block_q6_k *x, __m256i codes[8])
{
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4);
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

static inline __attribute__((always_inline)) void
avx2_q6_k_multi(int64_t nb, const quant_block_q6_k *x, const void *a, size_t act_stride, float *out, size_t out_stride,
                const int K)
{
    AVX2_MULTI_SETUP(quant_block_q8_k)
    for (int64_t b = 0; b < nb; b++) {
        __m256i codes[8];
        avx2_q6_k_codes(x + b, codes);
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[b].scales);
        const float d = avx2_f16(x[b].d);
        for (int k = 0; k < K; k++) {
            const __m256i sumi = avx2_sum16_block(codes, y[k][b].qs, scales);
            const __m256i offset = avx2_bsums_dot(y[k][b].bsums, scales);
            const __m256i total = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5));
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(y[k][b].d * d), _mm256_cvtepi32_ps(total), acc[k]);
        }
    }
    for (int k = 0; k < K; k++) out[(size_t)k * out_stride] = avx2_hsum(acc[k]);
}

/* Exported kernels: dispatch the activation count to constant-K bodies. */
#define AVX2_MULTI_KERNEL(t, body, wtype, qk)                                                                   \
    void quant_avx2_dot_multi_##t(int64_t n, int n_acts, float *out, size_t out_stride, const void *w,           \
                                  const void *a, size_t act_stride)                                              \
    {                                                                                                            \
        const wtype *x = w;                                                                                      \
        switch (n_acts) {                                                                                        \
        case 1: body(n / (qk), x, a, act_stride, out, out_stride, 1); break;                                     \
        case 2: body(n / (qk), x, a, act_stride, out, out_stride, 2); break;                                     \
        case 3: body(n / (qk), x, a, act_stride, out, out_stride, 3); break;                                     \
        default: body(n / (qk), x, a, act_stride, out, out_stride, 4); break;                                    \
        }                                                                                                        \
    }

AVX2_MULTI_KERNEL(q4_0, avx2_q4_0_multi, quant_block_q4_0, QK4_0)
AVX2_MULTI_KERNEL(q8_0, avx2_q8_0_multi, quant_block_q8_0, QK8_0)
AVX2_MULTI_KERNEL(q4_k, avx2_q4_k_multi, quant_block_q4_k, QK_K)
AVX2_MULTI_KERNEL(q6_k, avx2_q6_k_multi, quant_block_q6_k, QK_K)

/* ---- weights . F32 activations (vec_dot_f32) ------------------------------------------------ */

/* 32 int8 codes times 32 floats: *lo gets elements 0..15, *hi 16..31 (8 lanes each). */
static inline void avx2_fdot32(__m256i codes, const float *y, __m256 *lo, __m256 *hi)
{
    const __m128i c_lo = _mm256_castsi256_si128(codes), c_hi = _mm256_extracti128_si256(codes, 1);
    const __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c_lo));
    const __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(c_lo, 8)));
    const __m256 f2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c_hi));
    const __m256 f3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(c_hi, 8)));
    *lo = _mm256_fmadd_ps(f1, _mm256_loadu_ps(y + 8), _mm256_mul_ps(f0, _mm256_loadu_ps(y)));
    *hi = _mm256_fmadd_ps(f3, _mm256_loadu_ps(y + 24), _mm256_mul_ps(f2, _mm256_loadu_ps(y + 16)));
}

/* Sums of 16 activations (8 lanes each): elements 0..15 and 16..31. */
static inline void avx2_fsum32(const float *y, __m256 *lo, __m256 *hi)
{
    *lo = _mm256_add_ps(_mm256_loadu_ps(y), _mm256_loadu_ps(y + 8));
    *hi = _mm256_add_ps(_mm256_loadu_ps(y + 16), _mm256_loadu_ps(y + 24));
}

/* Symmetric 32-blocks: acc += d * sum((code - offset) * y). */
static inline __m256 avx2_fdot_symmetric(__m256i signed_codes, float d, const float *y, __m256 acc)
{
    __m256 lo, hi;
    avx2_fdot32(signed_codes, y, &lo, &hi);
    return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_add_ps(lo, hi), acc);
}

/* Affine: acc += d * sum(code * y) + m * sum(y) (m carries its sign). */
static inline __m256 avx2_fdot_affine(__m256i codes, float d, float m, const float *y, __m256 acc)
{
    __m256 lo, hi, slo, shi;
    avx2_fdot32(codes, y, &lo, &hi);
    avx2_fsum32(y, &slo, &shi);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_add_ps(lo, hi), acc);
    return _mm256_fmadd_ps(_mm256_set1_ps(m), _mm256_add_ps(slo, shi), acc);
}

void quant_avx2_fdot_q8_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q8_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK8_0; b++)
        acc = avx2_fdot_symmetric(_mm256_loadu_si256((const __m256i *)x[b].qs), avx2_f16(x[b].d), y + 32 * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q4_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK4_0; b++) {
        const __m256i codes = _mm256_sub_epi8(avx2_nibbles(x[b].qs), _mm256_set1_epi8(8));
        acc = avx2_fdot_symmetric(codes, avx2_f16(x[b].d), y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_0(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_0 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_0; b++) {
        const __m256i high = _mm256_andnot_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8((char)0xF0));
        acc = avx2_fdot_symmetric(_mm256_or_si256(avx2_nibbles(x[b].qs), high), avx2_f16(x[b].d), y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q4_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_1 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK4_1; b++)
        acc = avx2_fdot_affine(avx2_nibbles(x[b].qs), avx2_f16(x[b].d), avx2_f16(x[b].m), y + 32 * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_1(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_1 *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK5_1; b++) {
        const __m256i high = _mm256_and_si256(avx2_bits_to_bytes(avx2_load_u32(x[b].qh)), _mm256_set1_epi8(16));
        acc = avx2_fdot_affine(_mm256_or_si256(avx2_nibbles(x[b].qs), high), avx2_f16(x[b].d), avx2_f16(x[b].m),
                               y + 32 * b, acc);
    }
    *result = avx2_hsum(acc);
}

/* Q4_K/Q5_K: sub-block s (32 elements): d*sc[s]*sum(q*y) - dmin*mn[s]*sum(y). */
static inline __m256 avx2_fdot_k4(const uint8_t *qs, const uint8_t *qh, const uint8_t packed[12], float d, float dmin,
                                  const float *y, __m256 acc)
{
    uint8_t sc[8], mn[8];
    quant_unpack_k4_scales(packed, sc, mn);
    const __m256i low4 = _mm256_set1_epi8(15);
    const __m256i bits = qh ? _mm256_loadu_si256((const __m256i *)qh) : _mm256_setzero_si256();
    for (int s = 0; s < 8; s++) {
        const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * (s / 2)));
        __m256i codes = _mm256_and_si256((s & 1) ? _mm256_srli_epi16(raw, 4) : raw, low4);
        if (qh) {
            const __m256i bit = _mm256_set1_epi8((char)(1 << s));
            codes = _mm256_or_si256(codes, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bits, bit), bit),
                                                            _mm256_set1_epi8(16)));
        }
        acc = avx2_fdot_affine(codes, d * (float)sc[s], -dmin * (float)mn[s], y + 32 * s, acc);
    }
    return acc;
}

void quant_avx2_fdot_q4_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q4_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++)
        acc = avx2_fdot_k4(x[b].qs, NULL, x[b].scales, avx2_f16(x[b].d), avx2_f16(x[b].dmin), y + QK_K * b, acc);
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q5_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q5_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++)
        acc = avx2_fdot_k4(x[b].qs, x[b].qh, x[b].scales, avx2_f16(x[b].d), avx2_f16(x[b].dmin), y + QK_K * b, acc);
    *result = avx2_hsum(acc);
}

/* 16-sub-block types: chunk c (32 elements) holds sub-blocks 2c, 2c+1;
 * codes are signed (offset removed); mins (Q2_K) multiply sums of y. */
static inline __m256 avx2_fdot_sub16(const __m256i codes[8], const float scale[16], const float minv[16],
                                     const float *y, __m256 acc)
{
    for (int c = 0; c < 8; c++) {
        __m256 lo, hi;
        avx2_fdot32(codes[c], y + 32 * c, &lo, &hi);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[2 * c]), lo, acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(scale[2 * c + 1]), hi, acc);
        if (minv) {
            __m256 slo, shi;
            avx2_fsum32(y + 32 * c, &slo, &shi);
            acc = _mm256_fnmadd_ps(_mm256_set1_ps(minv[2 * c]), slo, acc);
            acc = _mm256_fnmadd_ps(_mm256_set1_ps(minv[2 * c + 1]), shi, acc);
        }
    }
    return acc;
}

void quant_avx2_fdot_q2_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q2_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        float scale[16], minv[16];
        const float d = avx2_f16(x[b].d), dmin = avx2_f16(x[b].dmin);
        avx2_unpack_2bit(x[b].qs, codes);
        for (int s = 0; s < 16; s++) {
            scale[s] = d * (float)(x[b].scales[s] & 15);
            minv[s] = dmin * (float)(x[b].scales[s] >> 4);
        }
        acc = avx2_fdot_sub16(codes, scale, minv, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q3_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q3_k *x = w;
    const float *y = a;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        int8_t sc[16];
        float scale[16];
        const float d = avx2_f16(x[b].d);
        avx2_unpack_2bit(x[b].qs, codes);
        __m256i hmask = _mm256_loadu_si256((const __m256i *)x[b].hmask);
        for (int c = 0; c < 8; c++) {
            const __m256i high = _mm256_and_si256(_mm256_slli_epi16(hmask, 2), _mm256_set1_epi8(4));
            codes[c] = _mm256_sub_epi8(_mm256_or_si256(codes[c], high), _mm256_set1_epi8(4));
            hmask = _mm256_srli_epi16(hmask, 1);
        }
        quant_unpack_q3_k_scales(x[b].scales, sc);
        for (int s = 0; s < 16; s++) scale[s] = d * (float)sc[s];
        acc = avx2_fdot_sub16(codes, scale, NULL, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

void quant_avx2_fdot_q6_k(int64_t n, float *result, const void *w, const void *a)
{
    const quant_block_q6_k *x = w;
    const float *y = a;
    const __m256i low4 = _mm256_set1_epi8(15), two = _mm256_set1_epi8(3 << 4), offset = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / QK_K; b++) {
        __m256i codes[8];
        float scale[16];
        const float d = avx2_f16(x[b].d);
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x[b].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x[b].qh + 32 * h));
            codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
            codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
            codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, two));
            codes[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
        }
        for (int c = 0; c < 8; c++) codes[c] = _mm256_sub_epi8(codes[c], offset);
        for (int s = 0; s < 16; s++) scale[s] = d * (float)x[b].scales[s];
        acc = avx2_fdot_sub16(codes, scale, NULL, y + QK_K * b, acc);
    }
    *result = avx2_hsum(acc);
}

/* ---- the table ------------------------------------------------------------------------------- */

#define AVX2_ENTRY(T, deq, quant, dot, fdot) [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, NULL, NULL }
#define AVX2_ENTRY_FAST(T, deq, quant, dot, fdot, rows, multi) \
    [SLM_TYPE_##T] = { QUANT_META_##T, deq, quant, dot, fdot, rows, multi }

const quant_traits quant_table_avx2[SLM_TYPE_COUNT] = {
    AVX2_ENTRY(F32, quant_scalar_dequantize_f32, quant_scalar_quantize_f32, quant_avx2_dot_f32, quant_avx2_dot_f32),
    AVX2_ENTRY(F16, quant_avx2_dequantize_f16, quant_avx2_quantize_f16, quant_avx2_dot_f16, quant_avx2_dot_f16),
    AVX2_ENTRY(BF16, quant_scalar_dequantize_bf16, quant_scalar_quantize_bf16, quant_avx2_dot_bf16, quant_avx2_dot_bf16),
    AVX2_ENTRY_FAST(Q4_0, quant_scalar_dequantize_q4_0, quant_scalar_quantize_q4_0, quant_avx2_dot_q4_0, quant_avx2_fdot_q4_0,
                    quant_avx2_dot_rows_q4_0, quant_avx2_dot_multi_q4_0),
    AVX2_ENTRY(Q4_1, quant_scalar_dequantize_q4_1, quant_scalar_quantize_q4_1, quant_avx2_dot_q4_1, quant_avx2_fdot_q4_1),
    AVX2_ENTRY(Q5_0, quant_scalar_dequantize_q5_0, quant_scalar_quantize_q5_0, quant_avx2_dot_q5_0, quant_avx2_fdot_q5_0),
    AVX2_ENTRY(Q5_1, quant_scalar_dequantize_q5_1, quant_scalar_quantize_q5_1, quant_avx2_dot_q5_1, quant_avx2_fdot_q5_1),
    AVX2_ENTRY_FAST(Q8_0, quant_scalar_dequantize_q8_0, quant_avx2_quantize_q8_0, quant_avx2_dot_q8_0, quant_avx2_fdot_q8_0,
                    quant_avx2_dot_rows_q8_0, quant_avx2_dot_multi_q8_0),
    AVX2_ENTRY(Q8_1, quant_scalar_dequantize_q8_1, quant_avx2_quantize_q8_1, NULL, NULL),
    AVX2_ENTRY(Q8_K, quant_scalar_dequantize_q8_k, quant_avx2_quantize_q8_k, NULL, NULL),
    AVX2_ENTRY(Q2_K, quant_scalar_dequantize_q2_k, quant_scalar_quantize_q2_k, quant_avx2_dot_q2_k, quant_avx2_fdot_q2_k),
    AVX2_ENTRY(Q3_K, quant_scalar_dequantize_q3_k, quant_scalar_quantize_q3_k, quant_avx2_dot_q3_k, quant_avx2_fdot_q3_k),
    AVX2_ENTRY_FAST(Q4_K, quant_scalar_dequantize_q4_k, quant_scalar_quantize_q4_k, quant_avx2_dot_q4_k, quant_avx2_fdot_q4_k,
                    NULL, quant_avx2_dot_multi_q4_k),
    AVX2_ENTRY(Q5_K, quant_scalar_dequantize_q5_k, quant_scalar_quantize_q5_k, quant_avx2_dot_q5_k, quant_avx2_fdot_q5_k),
    AVX2_ENTRY_FAST(Q6_K, quant_scalar_dequantize_q6_k, quant_scalar_quantize_q6_k, quant_avx2_dot_q6_k, quant_avx2_fdot_q6_k,
                    NULL, quant_avx2_dot_multi_q6_k),
};
#endif /* __x86_64__ */
