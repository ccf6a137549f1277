/*
 * bench_quant.c — micro-benchmark of the vec_dot kernels (a benchmark, not a test).
 *
 *   bench_quant [--type NAME] [--isa NAME|best] [--threads N] [--mib M] [--n-in K] [--seconds S]
 *
 * For every weight type and every ISA this CPU runs, prints one line:
 *   bench_quant type=Q4_0 isa=avx2 threads=1 n_in=2048 cache_gbs=.. stream_gbs=.. dot_rel_err=..
 * Rows go through quant_vec_dot_rows in blocks of 16 (multi-row kernels where
 * the isa has them, else vec_dot per row).
 *  - cache_gbs: weight bytes per second one vec_dot loop consumes when the
 *    rows are cache-resident (256 KiB of weights, per thread): the kernel's
 *    compute ceiling;
 *  - stream_gbs: the same over --mib MiB of weights (default 256, far beyond
 *    L3) read once per pass, i.e. what a decode matmul can reach; with
 *    --threads N the threads split the rows and the figure is their total;
 *  - f32act_*: the same for vec_dot_f32 (weights . unquantized F32 activations,
 *    the precise path), cache-resident;
 *  - multi4_speedup: quant_vec_dot_multi with 4 activations (prefill) over 4
 *    vec_dot calls, cache-resident, one thread;
 *  - packed_cache_gbs, packed_stream_gbs (Q4_0 and Q5_0, where the engine
 *    packs them at load: AVX2): the same two figures for the packed-row
 *    kernel decode actually runs (engine/packed.h), whatever --isa says;
 *  - dot_rel_err: RMS over rows of (vec_dot - exact float64 dot) divided by the
 *    RMS of the exact dots, on gaussian weights with outliers and RMSNorm-like
 *    activations (a few large channels). "exact" dots the dequantized weights
 *    with the unquantized activations, so the figure is the error the
 *    activation format adds (what end-to-end logits see on top of the weights).
 * Best of the timed passes (least disturbed by other processes).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/packed.h"
#include "engine/quant.h"

typedef struct bench_options {
    const char *type;
    const char *isa;
    int threads;
    int64_t mib;
    int64_t n_in;
    double seconds;
} bench_options;

typedef struct bench_job {
    const quant_traits *t;
    const uint8_t *weights;
    size_t row_bytes;
    int64_t rows;
    int64_t n_in;
    const void *act;
    float *out;
    int passes;
    pthread_barrier_t *barrier;
    double seconds;
    int packed;            /* rows packed (engine/packed.h): run the packed-row kernel */
    void *table;           /* packed: the activation's table, built once a pass (as once a job in a matmul) */
} bench_job;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float rng_gauss(uint64_t *s)
{
    const double u = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    const double v = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void fill_weights(float *x, int64_t n, uint64_t *seed)
{
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.02f * rng_gauss(seed);
        if (rng_next(seed) % 97 == 0) x[i] *= 6.0f;
    }
}

/* RMSNorm output: unit RMS with a few large channels (as real models have). */
static void fill_activations(float *x, int64_t n, uint64_t *seed)
{
    for (int64_t i = 0; i < n; i++) x[i] = rng_gauss(seed) * (i % 211 == 5 ? 12.0f : 1.0f);
}

static void *bench_worker(void *arg)
{
    bench_job *job = arg;
    double best = 1e30;
    for (int p = 0; p < job->passes; p++) {
        pthread_barrier_wait(job->barrier);
        const double t0 = now_s();
        /* in blocks of 16 rows, as a matmul hands them out */
        for (int64_t r = 0; r < job->rows; r += 16) {
            const int64_t count = job->rows - r < 16 ? job->rows - r : 16;
            const uint8_t *rows = job->weights + (size_t)r * job->row_bytes;
#if defined(__x86_64__)
            if (job->packed) {
                if (r == 0) eng_packed_table_avx2(job->n_in, job->act, job->table);
                const eng_packed_acts acts = {job->act, 0, job->table, 0};
                eng_packed_rows_avx2(job->t->type, job->n_in, count, &job->out[r], rows, job->row_bytes, &acts);
                continue;
            }
#endif
            quant_vec_dot_rows(job->t, job->n_in, count, &job->out[r], rows, job->row_bytes, job->act);
        }
        const double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    job->seconds = best;
    return NULL;
}

/* Runs `passes` passes over rows of weights split among threads; returns GB/s (best pass). */
static double bench_run(const quant_traits *t, const uint8_t *weights, size_t row_bytes, int64_t rows,
                        int64_t n_in, const void *act, int threads, int passes, int replicate, int packed)
{
    pthread_t tid[64];
    bench_job jobs[64];
    pthread_barrier_t barrier;
    float *out = malloc((size_t)rows * (size_t)threads * sizeof(float));
    const size_t table_bytes = eng_packed_table_bytes(n_in);
    uint8_t *tables = packed ? aligned_alloc(64, table_bytes * (size_t)threads) : NULL;
    if (out == NULL || (packed && tables == NULL)) {
        free(out);
        free(tables);
        return -1.0;
    }
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    const int64_t per = replicate ? rows : (rows + threads - 1) / threads;
    for (int i = 0; i < threads; i++) {
        const int64_t start = replicate ? 0 : per * i;
        const int64_t count = replicate ? rows : (start + per <= rows ? per : rows - start);
        jobs[i] = (bench_job){ t, weights + (size_t)start * row_bytes, row_bytes, count, n_in, act,
                               out + (size_t)i * (size_t)rows, passes, &barrier, 0.0, packed,
                               packed ? tables + (size_t)i * table_bytes : NULL };
        if (replicate) jobs[i].weights = weights + (size_t)i * (size_t)rows * row_bytes;
    }
    for (int i = 1; i < threads; i++) pthread_create(&tid[i], NULL, bench_worker, &jobs[i]);
    bench_worker(&jobs[0]);
    double slowest = jobs[0].seconds, bytes = (double)jobs[0].rows * (double)row_bytes;
    for (int i = 1; i < threads; i++) {
        pthread_join(tid[i], NULL);
        if (jobs[i].seconds > slowest) slowest = jobs[i].seconds;
        bytes += (double)jobs[i].rows * (double)row_bytes;
    }
    pthread_barrier_destroy(&barrier);
    free(out);
    free(tables);
    return bytes / slowest / 1e9;
}

/* RMS(vec_dot - exact) / RMS(exact) over `rows` rows. */
static double dot_error(const quant_traits *t, int64_t n_in, int rows, uint64_t *seed)
{
    const quant_traits *vt = quant_traits_for(t->vec_dot_type, QUANT_ISA_SCALAR);
    const size_t wbytes = (size_t)(n_in / t->block_size) * t->block_bytes;
    const size_t abytes = (size_t)(n_in / vt->block_size) * vt->block_bytes;
    float *x = malloc((size_t)n_in * sizeof(float)), *deq = malloc((size_t)n_in * sizeof(float));
    float *a = malloc((size_t)n_in * sizeof(float));
    void *wq = malloc(wbytes), *aq = malloc(abytes);
    double num = 0.0, den = 0.0;
    if (x && deq && a && wq && aq) {
        fill_activations(a, n_in, seed);
        quant_get_traits(vt->type)->quantize_row(a, aq, n_in);
        for (int r = 0; r < rows; r++) {
            fill_weights(x, n_in, seed);
            t->quantize_row(x, wq, n_in);
            t->dequantize_row(wq, deq, n_in);
            double exact = 0.0;
            for (int64_t i = 0; i < n_in; i++) exact += (double)deq[i] * a[i];
            float got;
            t->vec_dot(n_in, &got, wq, aq);
            num += (got - exact) * (got - exact);
            den += exact * exact;
        }
    }
    free(x);
    free(deq);
    free(a);
    free(wq);
    free(aq);
    return den > 0.0 ? sqrt(num / den) : -1.0;
}

/* Speed-up of quant_vec_dot_multi over vec_dot per activation, 4
 * activations, cache-resident rows, one thread (best of passes each). */
static double multi_speedup(const quant_traits *t, const uint8_t *w, size_t row_bytes, int64_t rows, int64_t n_in,
                            const void *act4, size_t act_stride)
{
    float out[4];
    double best_single = 1e30, best_multi = 1e30;
    for (int p = 0; p < 50; p++) {
        double t0 = now_s();
        for (int64_t r = 0; r < rows; r++)
            for (int k = 0; k < 4; k++)
                t->vec_dot(n_in, &out[k], w + (size_t)r * row_bytes, (const uint8_t *)act4 + (size_t)k * act_stride);
        const double single = now_s() - t0;
        t0 = now_s();
        for (int64_t r = 0; r < rows; r++) quant_vec_dot_multi(t, n_in, 4, out, 1, w + (size_t)r * row_bytes, act4, act_stride);
        const double multi = now_s() - t0;
        if (single < best_single) best_single = single;
        if (multi < best_multi) best_multi = multi;
    }
    return best_single / best_multi;
}

/* Fills w (total bytes) with rows of type t: a few distinct quantized rows,
 * tiled (real bit patterns, fast setup). x is n_in floats of scratch. */
static void quantized_rows(const quant_traits *t, uint8_t *w, size_t total, size_t row_bytes, int64_t n_in, float *x,
                           uint64_t *seed)
{
    for (int64_t r = 0; r < 64 && (size_t)(r + 1) * row_bytes <= total; r++) {
        fill_weights(x, n_in, seed);
        t->quantize_row(x, w + (size_t)r * row_bytes, n_in);
    }
    for (size_t off = 64 * row_bytes; off < total; off += row_bytes) memcpy(w + off, w + off % (64 * row_bytes), row_bytes);
}

static int bench_type(const bench_options *o, slm_type type, quant_isa isa, uint64_t *seed)
{
    const quant_traits *t = quant_traits_for(type, isa);
    const quant_traits *vt = quant_traits_for(t->vec_dot_type, isa);
    const size_t row_bytes = (size_t)(o->n_in / t->block_size) * t->block_bytes;
    const int64_t stream_rows = o->mib * 1048576 / (int64_t)row_bytes;
    const int64_t cache_rows = (256 * 1024) / (int64_t)row_bytes + 1;
    const size_t total = (size_t)(stream_rows > cache_rows * o->threads ? stream_rows : cache_rows * o->threads) * row_bytes;
    uint8_t *w = malloc(total);
    float *x = malloc((size_t)o->n_in * sizeof(float));
    void *act = malloc((size_t)(o->n_in / vt->block_size) * vt->block_bytes);
    if (w == NULL || x == NULL || act == NULL) {
        fprintf(stderr, "bench_quant: out of memory for %s\n", t->name);
        free(w);
        free(x);
        free(act);
        return 1;
    }
    quantized_rows(t, w, total, row_bytes, o->n_in, x, seed);
    fill_activations(x, o->n_in, seed);
    vt->quantize_row(x, act, o->n_in);

    const int cache_passes = 1 + (int)(o->seconds * 2e9 / (double)(cache_rows * (int64_t)row_bytes) / 4.0);
    const int cache_reps = cache_passes > 2000 ? 2000 : cache_passes;
    const double cache_gbs = bench_run(t, w, row_bytes, cache_rows, o->n_in, act, o->threads, cache_reps, 1, 0);
    const double stream_gbs = bench_run(t, w, row_bytes, stream_rows, o->n_in, act, o->threads, 5, 0, 0);
    char packed_fields[128] = "";
    uint8_t *scratch = eng_packing_wanted(type) ? malloc(row_bytes) : NULL;
    if (scratch) {
        for (size_t off = 0; off + row_bytes <= total; off += row_bytes) eng_pack_row(type, w + off, o->n_in / 32, scratch);
        free(scratch);
        snprintf(packed_fields, sizeof packed_fields, " packed_cache_gbs=%.2f packed_stream_gbs=%.2f",
                 bench_run(t, w, row_bytes, cache_rows, o->n_in, act, o->threads, cache_reps, 1, 1),
                 bench_run(t, w, row_bytes, stream_rows, o->n_in, act, o->threads, 5, 0, 1));
        quantized_rows(t, w, total, row_bytes, o->n_in, x, seed); /* unpacked rows again */
        fill_activations(x, o->n_in, seed);
    }
    const double err = dot_error(t, o->n_in, 64, seed);
    /* the precise path: vec_dot_f32 against the float activations */
    quant_traits precise = *t;
    precise.vec_dot = t->vec_dot_f32;
    precise.vec_dot_rows = NULL;
    precise.vec_dot_type = SLM_TYPE_F32;
    const double precise_gbs = bench_run(&precise, w, row_bytes, cache_rows, o->n_in, x, o->threads, cache_reps, 1, 0);
    const double precise_err = dot_error(&precise, o->n_in, 64, seed);
    const size_t act_stride = (size_t)(o->n_in / vt->block_size) * vt->block_bytes;
    uint8_t *act4 = malloc(4 * act_stride);
    double speedup = -1.0;
    if (act4 != NULL) {
        for (int k = 0; k < 4; k++) {
            fill_activations(x, o->n_in, seed);
            vt->quantize_row(x, act4 + (size_t)k * act_stride, o->n_in);
        }
        speedup = multi_speedup(t, w, row_bytes, cache_rows, o->n_in, act4, act_stride);
        free(act4);
    }
    printf("bench_quant type=%s isa=%s threads=%d n_in=%lld cache_gbs=%.2f stream_gbs=%.2f%s dot_rel_err=%.2e"
           " f32act_cache_gbs=%.2f f32act_dot_rel_err=%.2e multi4_speedup=%.2f\n",
           t->name, quant_isa_name(isa), o->threads, (long long)o->n_in, cache_gbs, stream_gbs, packed_fields, err,
           precise_gbs, precise_err, speedup);
    fflush(stdout);
    free(w);
    free(x);
    free(act);
    return 0;
}

static int parse_options(int argc, char **argv, bench_options *o)
{
    *o = (bench_options){ NULL, NULL, 1, 256, 2048, 0.3 };
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) return -1;
        if (strcmp(argv[i], "--type") == 0) o->type = v;
        else if (strcmp(argv[i], "--isa") == 0) o->isa = v;
        else if (strcmp(argv[i], "--threads") == 0) o->threads = atoi(v);
        else if (strcmp(argv[i], "--mib") == 0) o->mib = atoll(v);
        else if (strcmp(argv[i], "--n-in") == 0) o->n_in = atoll(v);
        else if (strcmp(argv[i], "--seconds") == 0) o->seconds = atof(v);
        else return -1;
        i++;
    }
    if (o->threads < 1 || o->threads > 64 || o->mib < 1 || o->n_in < 256 || o->n_in % 256 != 0) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static const slm_type types[] = {
        SLM_TYPE_F32, SLM_TYPE_F16, SLM_TYPE_BF16, SLM_TYPE_Q8_0, SLM_TYPE_Q4_0, SLM_TYPE_Q4_1,
        SLM_TYPE_Q5_0, SLM_TYPE_Q5_1, SLM_TYPE_Q2_K, SLM_TYPE_Q3_K, SLM_TYPE_Q4_K, SLM_TYPE_Q5_K, SLM_TYPE_Q6_K,
    };
    bench_options o;
    if (parse_options(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_quant [--type NAME] [--isa NAME|best] [--threads N] [--mib M] [--n-in K (multiple of 256)] [--seconds S]\n");
        return 2;
    }
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int status = 0;
    for (int isa = 0; isa < QUANT_ISA_COUNT; isa++) {
        const int best = o.isa && strcmp(o.isa, "best") == 0;
        if (best ? isa != (int)quant_best_isa() : o.isa && strcmp(o.isa, quant_isa_name((quant_isa)isa)) != 0) continue;
        if (quant_traits_for(SLM_TYPE_F32, (quant_isa)isa) == NULL) continue;
        if (!quant_isa_supported((quant_isa)isa)) {
            printf("bench_quant isa=%s unavailable: not supported by this CPU\n", quant_isa_name((quant_isa)isa));
            continue;
        }
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
            if (o.type && strcmp(o.type, slm_type_name(types[k])) != 0) continue;
            status |= bench_type(&o, types[k], (quant_isa)isa, &seed);
        }
    }
    return status;
}
