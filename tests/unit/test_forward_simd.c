/*
 * test_forward_simd.c — the forward pass's work split and AVX2 float loops.
 *
 * Work split (engine/worksplit.h): every unit is handed out exactly once for
 * many sizes and thread counts, alone or with threads really racing in the
 * engine's pool (joined or not); an owner's takes come from its own share in
 * order while it has one; stealing takes from the back of other shares.
 * AVX2 (engine/forward_simd.h), when the CPU has it (a notice says so when
 * not): the attention of one head matches a float64 softmax attention, its
 * F16 and F32 versions give the same bits for the same values, and the
 * argmax picks what the scalar "x[i] > x[best]" loop picks (ties, NaN, -inf,
 * short and odd lengths); silu(gate) * up matches float64 within 1e-6.
 * Packed Q4_0 and Q5_0 (engine/packed.h): packing is lossless and the AVX2
 * kernel matches the scalar dot of the type for row lengths of 1..600
 * blocks, each row alone giving its bits in a batch, and 1-4 activation
 * rows at once (prefill) giving each the one-row kernel's bits; the rewrite
 * of a packed row as Q8_0 holds its values exactly.
 * The 512-bit Q8_0 prefill tiles equal the AVX2 tile bit for bit (where
 * the CPU has AVX-512; a notice says so when not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/forward_simd.h"
#include "engine/packed.h"
#include "engine/quant.h"
#include "engine/threadpool.h"
#include "engine/worksplit.h"

/* ---- work split ---------------------------------------------------------------------- */

static void test_split_single_thread_covers_all(void **state)
{
    (void)state;
    static eng_split split;
    for (int64_t n = 0; n <= 70; n++)
        for (int threads = 1; threads <= 5; threads++)
            for (int takes = 1; takes <= 9; takes += 4) {
                int seen[80] = {0};
                eng_split_init(&split, n, threads, takes);
                int64_t first, end, previous_end = 0;
                /* thread 0 alone: its own share front to back, then the others' backs */
                int in_own_share = 1;
                int64_t own_first, own_end;
                eng_split_share_bounds(n, threads, 0, &own_first, &own_end);
                while (eng_split_take(&split, 0, &first, &end)) {
                    assert_true(first < end);
                    if (in_own_share && first == previous_end && end <= own_end) {
                        previous_end = end; /* in order within its own share */
                    } else {
                        in_own_share = 0;
                        assert_true(first >= own_end); /* stolen: outside its share */
                    }
                    for (int64_t u = first; u < end; u++) seen[u]++;
                }
                assert_int_equal(previous_end, own_end);
                for (int64_t u = 0; u < n; u++) assert_int_equal(seen[u], 1);
            }
}

static void test_split_steals_from_the_back(void **state)
{
    (void)state;
    static eng_split split;
    eng_split_init(&split, 100, 2, 5); /* shares [0, 50) and [50, 100), up to 10 units per take */
    int64_t first, end;
    assert_true(eng_split_take(&split, 1, &first, &end));
    assert_int_equal(first, 50);
    assert_int_equal(end, 60);
    /* the owner's takes shrink to a quarter of what is left, down to 1 unit */
    int64_t next = 0, sizes[16], n_takes = 0;
    while (next < 50) {
        assert_true(eng_split_take(&split, 0, &first, &end));
        assert_int_equal(first, next);
        int64_t left = 50 - next, n = end - first;
        assert_true(n >= 1 && n <= 10 && n <= (left + 3) / 4);
        sizes[n_takes++] = n;
        next = end;
    }
    assert_int_equal(sizes[0], 10);
    assert_int_equal(sizes[n_takes - 1], 1);
    assert_true(eng_split_take(&split, 0, &first, &end)); /* share 0 used up: half of share 1's rest, from the back */
    assert_int_equal(first, 80);
    assert_int_equal(end, 100);
    assert_true(eng_split_take(&split, 1, &first, &end));
    assert_int_equal(first, 60); /* the owner goes on from its front */
    assert_int_equal(end, 65);  /* a quarter of the 20 left */
}

enum { RACE_UNITS = 997, RACE_JOBS = 500 };

typedef struct race_job {
    eng_split split;
    _Atomic int done[RACE_UNITS];
} race_job;

static void race_task(void *arg, int ith, int nth)
{
    race_job *job = arg;
    int64_t first, end;
    (void)nth;
    while (eng_split_take(&job->split, ith, &first, &end))
        for (int64_t u = first; u < end; u++) atomic_fetch_add(&job->done[u], 1);
}

static void test_split_races_in_the_pool(void **state)
{
    (void)state;
    char err[256];
    for (int threads = 1; threads <= 4; threads++) {
        eng_pool *pool = NULL;
        assert_int_equal(eng_pool_create(threads, NULL, NULL, &pool, err, sizeof err), 0);
        static race_job job;
        for (int j = 0; j < RACE_JOBS; j++) {
            memset(&job, 0, sizeof job);
            eng_split_init(&job.split, RACE_UNITS - j % 7, threads, 1 + j % 8);
            eng_pool_run(pool, race_task, &job);
            for (int u = 0; u < RACE_UNITS - j % 7; u++) assert_int_equal(atomic_load(&job.done[u]), 1);
        }
        eng_pool_free(pool);
    }
}

/* ---- AVX2 loops -------------------------------------------------------------------------- */

static int have_avx2(void)
{
    quant_isa isa = quant_best_isa();
    if (isa >= QUANT_ISA_AVX2 && isa != QUANT_ISA_NEON) return 1;
    printf("NOTICE: this CPU has no AVX2: the AVX2 attention and argmax loops were not run\n");
    return 0;
}

static float uniform(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (float)((*seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
}

/* float64 softmax(scale q.k) . v */
static void attend_reference(const float *q, const float *k, const float *v, int n, int d, double *out)
{
    double *s = malloc((size_t)n * sizeof *s), max = -INFINITY, sum = 0;
    for (int t = 0; t < n; t++) {
        double dot = 0;
        for (int i = 0; i < d; i++) dot += (double)q[i] * k[(size_t)t * d + i];
        s[t] = dot / sqrt((double)d);
        max = s[t] > max ? s[t] : max;
    }
    for (int t = 0; t < n; t++) sum += (s[t] = exp(s[t] - max));
    for (int i = 0; i < d; i++) {
        out[i] = 0;
        for (int t = 0; t < n; t++) out[i] += s[t] / sum * v[(size_t)t * d + i];
    }
    free(s);
}

/* The rotary embedding loop forward.c runs without AVX2. */
static void rope_scalar(float *vec, int n_heads, int head_dim, int half, int neox, const float *c, const float *s)
{
    for (int h = 0; h < n_heads; h++) {
        float *v = vec + (size_t)h * head_dim;
        for (int i = 0; i < half; i++) {
            int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * c[i] - x1 * s[i];
            v[b] = x0 * s[i] + x1 * c[i];
        }
    }
}

static void test_rope_equals_scalar(void **state)
{
    (void)state;
    if (!have_avx2()) return;
    static const int shapes[][3] = {{64, 64, 9}, {64, 32, 3}, {128, 128, 2}, {80, 64, 5}, {96, 48, 1}};
    unsigned seed = 5;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
        for (int neox = 0; neox < 2; neox++) {
            int head_dim = shapes[si][0], half = shapes[si][1] / 2, n_heads = shapes[si][2];
            if (half % (neox ? 8 : 4)) continue;
            float vec[9 * 128], want[9 * 128], c[64], s[64];
            for (int i = 0; i < n_heads * head_dim; i++) vec[i] = want[i] = 8 * uniform(&seed);
            for (int i = 0; i < half; i++) {
                c[i] = cosf(0.37f * (float)(i + 1) * (float)(si + 1));
                s[i] = sinf(0.37f * (float)(i + 1) * (float)(si + 1));
            }
            rope_scalar(want, n_heads, head_dim, half, neox, c, s);
            eng_rope_avx2(vec, n_heads, head_dim, half, neox, c, s);
            if (memcmp(vec, want, (size_t)n_heads * head_dim * sizeof(float)))
                fail_msg("head_dim %d, n_rot %d, %s: differs from the scalar loop", head_dim, 2 * half,
                         neox ? "neox" : "pairs");
        }
}

/* A run of heads sharing one kv head gives each head the bits it gets alone. */
static void test_attend_heads_equal_single_heads(void **state)
{
    (void)state;
    if (!have_avx2()) return;
    static const int dims[] = {8, 64, 72, 128};
    static const int lengths[] = {1, 7, 8, 9, 31, 32, 33, 161};
    static const int groups[] = {1, 2, 3, 7};
    unsigned seed = 11;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
            for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++) {
                int d = dims[di], n = lengths[li], g = groups[gi];
                size_t cells = (size_t)n * d;
                uint16_t *k16 = malloc(cells * 2), *v16 = malloc(cells * 2);
                float *q = malloc((size_t)g * d * 4), *together = malloc((size_t)g * d * 4);
                float *alone = malloc((size_t)d * 4), *scores = malloc((size_t)g * n * 4);
                for (size_t i = 0; i < cells; i++) {
                    k16[i] = quant_f32_to_f16(4 * uniform(&seed));
                    v16[i] = quant_f32_to_f16(uniform(&seed));
                }
                for (int i = 0; i < g * d; i++) q[i] = 4 * uniform(&seed);
                eng_attend_heads_f16_avx2(q, g, k16, v16, n, d, 0.125f, scores, together);
                for (int h = 0; h < g; h++) {
                    eng_attend_f16_avx2(q + (size_t)h * d, k16, v16, n, d, 0.125f, scores, alone);
                    if (memcmp(alone, together + (size_t)h * d, (size_t)d * sizeof(float)))
                        fail_msg("head %d of %d, head_dim %d, %d positions: differs from the head alone", h, g, d, n);
                }
                free(k16);
                free(v16);
                free(q);
                free(together);
                free(alone);
                free(scores);
            }
}

static void test_attend_matches_reference(void **state)
{
    (void)state;
    if (!have_avx2()) return;
    static const int dims[] = {8, 24, 64, 72, 128};
    static const int lengths[] = {1, 2, 7, 8, 9, 15, 16, 17, 40, 161};
    unsigned seed = 7;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            int d = dims[di], n = lengths[li];
            size_t cells = (size_t)n * d;
            uint16_t *k16 = malloc(cells * 2), *v16 = malloc(cells * 2);
            float *k = malloc(cells * 4), *v = malloc(cells * 4), q[128], out16[128], out32[128], scores[161];
            double ref[128];
            for (size_t i = 0; i < cells; i++) {
                k16[i] = quant_f32_to_f16(4 * uniform(&seed));
                v16[i] = quant_f32_to_f16(uniform(&seed));
                k[i] = quant_f16_to_f32(k16[i]);
                v[i] = quant_f16_to_f32(v16[i]);
            }
            for (int i = 0; i < d; i++) q[i] = 4 * uniform(&seed);
            eng_attend_f16_avx2(q, k16, v16, n, d, 1.0f / sqrtf((float)d), scores, out16);
            eng_attend_f32_avx2(q, k, v, n, d, 1.0f / sqrtf((float)d), scores, out32);
            attend_reference(q, k, v, n, d, ref);
            assert_memory_equal(out16, out32, (size_t)d * sizeof(float));
            double err = 0, norm = 0;
            for (int i = 0; i < d; i++) {
                err += (out32[i] - ref[i]) * (out32[i] - ref[i]);
                norm += ref[i] * ref[i];
            }
            if (!(sqrt(err / norm) < 2e-6)) fail_msg("head_dim %d, %d positions: relative error %g", d, n, sqrt(err / norm));
            free(k16);
            free(v16);
            free(k);
            free(v);
        }
}

static int32_t argmax_scalar(const float *x, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static void check_argmax(const float *x, int n)
{
    float max;
    int32_t got = eng_argmax_avx2(x, n, &max), want = argmax_scalar(x, n);
    if (got != want) fail_msg("n %d: argmax %d, scalar loop %d", n, got, want);
    assert_memory_equal(&max, &x[want], sizeof max);
}

static void test_argmax_matches_scalar(void **state)
{
    (void)state;
    if (!have_avx2()) return;
    float x[100];
    unsigned seed = 3;
    for (int n = 1; n <= 100; n++) {
        for (int i = 0; i < n; i++) x[i] = uniform(&seed);
        check_argmax(x, n);
        for (int i = 0; i < n; i++) x[i] = (float)((int)(8 * uniform(&seed))); /* many ties */
        check_argmax(x, n);
        x[n - 1] = 100.0f; /* the largest in the scalar tail */
        check_argmax(x, n);
        x[0] = NAN; /* x[0] NaN: nothing beats it */
        check_argmax(x, n);
        x[0] = -INFINITY;
        if (n > 1) x[n / 2] = NAN; /* a NaN elsewhere is never chosen */
        check_argmax(x, n);
        for (int i = 0; i < n; i++) x[i] = -INFINITY;
        check_argmax(x, n);
    }
}

static void test_silu_mul_matches_reference(void **state)
{
    (void)state;
    if (!have_avx2()) return;
    enum { N = 203 }; /* 25 vectors and a scalar tail of 3 */
    float gate[N], up[N], out[N];
    unsigned seed = 5;
    for (int i = 0; i < N; i++) {
        gate[i] = 40 * uniform(&seed); /* |x| up to 20: both sigmoid branches, tiny and saturated */
        up[i] = 1 + uniform(&seed);
    }
    gate[0] = 0.0f;
    gate[1] = -0.0f;
    gate[2] = 88.0f;
    gate[3] = -100.0f; /* exp(-100) clamps inside; silu is ~ -4e-42 */
    eng_silu_mul_avx2(gate, up, out, N);
    for (int i = 0; i < N; i++) {
        double x = gate[i], want = x / (1 + exp(-x)) * up[i];
        if (!(fabs(out[i] - want) <= 1e-6 * fabs(want) + 1e-30))
            fail_msg("silu(%g) * %g: got %.9g, want %.9g", x, up[i], out[i], want);
    }
}

/* ---- packed Q4_0 and Q5_0 ------------------------------------------------------------------ */

/* Random Q4_0 or Q5_0 rows (scales in [0.5, 1.5) x 2^-4, any codes and high bits). */
static void random_blocks(slm_type type, uint8_t *rows, int64_t n_rows, int64_t nb, unsigned *seed)
{
    size_t bb = eng_packed_block_bytes(type);
    for (int64_t i = 0; i < n_rows * nb; i++) {
        uint8_t *b = rows + i * bb;
        quant_f16 d = quant_f32_to_f16((1.0f + uniform(seed)) / 16);
        b[0] = (uint8_t)(d & 0xFF);
        b[1] = (uint8_t)(d >> 8);
        for (size_t j = 2; j < bb; j++) b[j] = (uint8_t)((*seed = *seed * 1103515245u + 12345u) >> 16);
    }
}

#if defined(__x86_64__)
/* count Q8_0 rows (act_stride bytes apart) of n elements with their tables,
 * in a buffer the caller frees (acts.tables). */
static eng_packed_acts packed_acts(int64_t n, const uint8_t *act, size_t act_stride, int count)
{
    size_t stride = eng_packed_table_bytes(n);
    uint8_t *tables = aligned_alloc(64, stride * (size_t)count);
    assert_non_null(tables);
    for (int k = 0; k < count; k++) eng_packed_table_avx2(n, act + (size_t)k * act_stride, tables + (size_t)k * stride);
    return (eng_packed_acts){act, act_stride, tables, stride};
}

/* Up to QUANT_MULTI_MAX activation rows at once (prefill) give each row the
 * bits of the one-row kernel (decode). */
static void check_packed_multi(slm_type type, int64_t n, int64_t n_rows, const uint8_t *packed, size_t row_bytes,
                               unsigned *seed)
{
    const quant_traits *q8 = quant_get_traits(SLM_TYPE_Q8_0);
    size_t act_stride = (size_t)(n / 32) * 34 + 6; /* not a multiple of the row: strides are honoured */
    uint8_t *acts = malloc(act_stride * QUANT_MULTI_MAX);
    float *x = malloc((size_t)n * sizeof(float)), *multi = malloc(sizeof(float) * (size_t)n_rows * QUANT_MULTI_MAX);
    float *one = malloc(sizeof(float) * (size_t)n_rows);
    for (int k = 0; k < QUANT_MULTI_MAX; k++) {
        for (int64_t i = 0; i < n; i++) x[i] = 4 * uniform(seed);
        q8->quantize_row(x, acts + (size_t)k * act_stride, n);
    }
    const eng_packed_acts all = packed_acts(n, acts, act_stride, QUANT_MULTI_MAX);
    for (int count = 1; count <= QUANT_MULTI_MAX; count++) {
        eng_packed_rows_multi_avx2(type, n, n_rows, count, multi, (size_t)n_rows, packed, row_bytes, &all);
        for (int k = 0; k < count; k++) {
            const eng_packed_acts one_act = packed_acts(n, acts + (size_t)k * act_stride, 0, 1);
            eng_packed_rows_avx2(type, n, n_rows, one, packed, row_bytes, &one_act);
            free((void *)one_act.tables);
            if (memcmp(one, multi + (size_t)k * n_rows, sizeof(float) * (size_t)n_rows))
                fail_msg("%s, %lld elements: activation %d of %d differs from the one-row kernel",
                         quant_get_traits(type)->name, (long long)n, k, count);
        }
    }
    free((void *)all.tables);
    free(acts);
    free(x);
    free(multi);
    free(one);
}
#endif

static void check_packed_rows(slm_type type)
{
    static const int64_t block_counts[] = {1, 2, 3, 7, 8, 9, 10, 11, 17, 18, 19, 28, 48, 600};
    const quant_traits *wt = quant_get_traits(type), *q8 = quant_get_traits(SLM_TYPE_Q8_0);
    const quant_traits *scalar = quant_traits_for(type, QUANT_ISA_SCALAR);
    const size_t bb = eng_packed_block_bytes(type);
    unsigned seed = 11;
    for (size_t c = 0; c < sizeof block_counts / sizeof block_counts[0]; c++) {
        /* 21 rows: two full batches of 8 (run two rows at a time) and a part batch */
        int64_t nb = block_counts[c], n = 32 * nb, n_rows = 21;
        size_t row_bytes = (size_t)nb * bb;
        uint8_t *rows = malloc(row_bytes * n_rows), *packed = malloc(row_bytes * n_rows), *scratch = malloc(row_bytes);
        uint8_t *act = malloc((size_t)nb * 34);
        float *x = malloc((size_t)n * sizeof(float)), *deq = malloc((size_t)n * sizeof(float)), *ref = malloc((size_t)n * sizeof(float));
        float out[21];
        random_blocks(type, rows, n_rows, nb, &seed);
        memcpy(packed, rows, row_bytes * n_rows);
        for (int64_t i = 0; i < n; i++) x[i] = 4 * uniform(&seed);
        q8->quantize_row(x, act, n);
        for (int64_t r = 0; r < n_rows; r++) {
            uint8_t *row = packed + r * row_bytes;
            eng_pack_row(type, row, nb, scratch);
            /* lossless: the dequantized row equals the unpacked row's */
            wt->dequantize_row(rows + r * row_bytes, ref, n);
            eng_packed_dequantize_row(type, row, deq, n);
            assert_memory_equal(deq, ref, (size_t)n * sizeof(float));
        }
        if (have_avx2()) {
#if defined(__x86_64__)
            /* the exact rewrite as Q8_0 (packed Q5_0's prefill tile) holds the same values */
            uint8_t *as_q8 = malloc((size_t)nb * 34);
            for (int64_t r = 0; r < n_rows; r++) {
                eng_packed_to_q8_0_avx2(type, packed + r * row_bytes, nb, as_q8);
                wt->dequantize_row(rows + r * row_bytes, ref, n);
                q8->dequantize_row(as_q8, deq, n);
                assert_memory_equal(deq, ref, (size_t)n * sizeof(float));
            }
            free(as_q8);
            const eng_packed_acts acts = packed_acts(n, act, 0, 1);
            eng_packed_rows_avx2(type, n, n_rows, out, packed, row_bytes, &acts);
            for (int64_t r = 0; r < n_rows; r++) {
                float want;
                scalar->vec_dot(n, &want, rows + r * row_bytes, act);
                /* integer block sums are exact; only float summation order differs, so the
                 * error is bounded by a few ulps of the sum of |terms| */
                double magnitude = 0;
                wt->dequantize_row(rows + r * row_bytes, ref, n);
                q8->dequantize_row(act, deq, n);
                for (int64_t i = 0; i < n; i++) magnitude += fabs((double)ref[i] * deq[i]);
                if (!(fabs((double)out[r] - want) <= 1e-6 * (1.0 + magnitude)))
                    fail_msg("%s, %lld blocks, row %lld: packed %.7g, scalar %.7g", wt->name,
                             (long long)nb, (long long)r, out[r], want);
                /* each row alone gives the bits it gets in a batch (prefill equals decode) */
                float alone;
                eng_packed_rows_avx2(type, n, 1, &alone, packed + r * row_bytes, row_bytes, &acts);
                if (memcmp(&alone, &out[r], sizeof alone))
                    fail_msg("%s, %lld blocks, row %lld: %.9g in a batch of %lld, %.9g alone", wt->name,
                             (long long)nb, (long long)r, out[r], (long long)n_rows, alone);
            }
            free((void *)acts.tables);
            check_packed_multi(type, n, n_rows, packed, row_bytes, &seed);
#endif
        }
        free(rows);
        free(packed);
        free(scratch);
        free(act);
        free(x);
        free(deq);
        free(ref);
    }
}

static void test_packed_rows(void **state)
{
    (void)state;
    check_packed_rows(SLM_TYPE_Q4_0);
    check_packed_rows(SLM_TYPE_Q5_0);
}

/* Random Q8_0 blocks: codes over the whole int8 range (-128 too, which a
 * file may hold) or, for activations, the quantizer's [-127, 127]. */
static void random_q8_0(uint8_t *blocks, int nb, int activations, float *scales, unsigned *seed)
{
    for (int b = 0; b < nb; b++) {
        uint8_t *block = blocks + (size_t)b * 34;
        const float d = 0.001f + fabsf(uniform(seed)) * 0.05f;
        const uint16_t h = quant_f32_to_f16(d);
        memcpy(block, &h, 2);
        scales[b] = quant_f16_to_f32(h);
        for (int i = 0; i < 32; i++) {
            *seed = *seed * 1103515245u + 12345u;
            int code = (int)((*seed >> 16) % 256) - 128;
            block[2 + i] = (uint8_t)(int8_t)(activations && code == -128 ? -127 : code);
        }
    }
}

/* The 512-bit prefill tiles (forward_avx512.c) give the AVX2 tile's bits for
 * every block count (groups of 8 and tails) and activation count. */
static void test_q8_0_tile_avx512_equals_avx2(void **state)
{
    (void)state;
#if defined(__x86_64__)
    if (!quant_isa_supported(QUANT_ISA_AVX512)) {
        print_message("NOTICE: CPU without AVX-512: the 512-bit prefill tiles compiled, not executed\n");
        return;
    }
    static const int block_counts[] = {1, 2, 7, 8, 9, 15, 16, 17, 18, 24, 28, 33, 152};
    unsigned seed = 5;
    int variants = 0;
    for (size_t c = 0; c < sizeof block_counts / sizeof block_counts[0]; c++) {
        const int nb = block_counts[c];
        const size_t act_stride = (size_t)nb * 34 + 6, scale_stride = (size_t)nb + 3;
        uint8_t *w = malloc((size_t)nb * 34), *acts = malloc(4 * act_stride);
        float *ws = malloc((size_t)nb * sizeof(float)), *as = malloc(4 * scale_stride * sizeof(float));
        assert_true(w && acts && ws && as);
        random_q8_0(w, nb, 0, ws, &seed);
        for (int k = 0; k < 4; k++) random_q8_0(acts + k * act_stride, nb, 1, as + k * scale_stride, &seed);
        for (int n_acts = 1; n_acts <= 4; n_acts++) {
            float want[8], got[8];
            eng_q8_0_tile_avx2(nb, w, ws, n_acts, acts, act_stride, as, scale_stride, want, 2);
            eng_q8_0_tile_avx512(nb, w, ws, n_acts, acts, act_stride, as, scale_stride, got, 2);
            for (int k = 0; k < n_acts; k++)
                if (memcmp(&got[2 * k], &want[2 * k], sizeof(float)) != 0)
                    fail_msg("avx512 tile, %d blocks, act %d of %d: %.9g, avx2 %.9g", nb, k, n_acts, got[2 * k], want[2 * k]);
            if (quant_isa_supported(QUANT_ISA_AVX512_VNNI)) {
                eng_q8_0_tile_avx512_vnni(nb, w, ws, n_acts, acts, act_stride, as, scale_stride, got, 2);
                for (int k = 0; k < n_acts; k++)
                    if (memcmp(&got[2 * k], &want[2 * k], sizeof(float)) != 0)
                        fail_msg("avx512-vnni tile, %d blocks, act %d of %d: %.9g, avx2 %.9g", nb, k, n_acts,
                                 got[2 * k], want[2 * k]);
            }
        }
        free(w);
        free(acts);
        free(ws);
        free(as);
    }
    variants = quant_isa_supported(QUANT_ISA_AVX512_VNNI) ? 2 : 1;
    print_message("512-bit prefill tiles equal the AVX2 tile bit for bit (%d variant%s executed%s)\n", variants,
                  variants == 1 ? "" : "s", variants == 1 ? "; NOTICE: no VNNI on this CPU, the VNNI tile not executed" : "");
#else
    print_message("NOTICE: not an x86-64 build: no 512-bit prefill tiles\n");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_single_thread_covers_all),
        cmocka_unit_test(test_split_steals_from_the_back),
        cmocka_unit_test(test_split_races_in_the_pool),
        cmocka_unit_test(test_attend_matches_reference),
        cmocka_unit_test(test_attend_heads_equal_single_heads),
        cmocka_unit_test(test_rope_equals_scalar),
        cmocka_unit_test(test_argmax_matches_scalar),
        cmocka_unit_test(test_silu_mul_matches_reference),
        cmocka_unit_test(test_packed_rows),
        cmocka_unit_test(test_q8_0_tile_avx512_equals_avx2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
