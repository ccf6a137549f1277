/*
 * bench_engine.c — prefill and decode speed of one model for `make bench`.
 *
 *   bench_engine MODEL [--threads N] [--prompt 128] [--decode 128] [--reps 3]
 *   prints one line:
 *   model=.. threads=N prefill_tps=X decode_tps=Y rss_peak_bytes=R decode_bytes_per_token=B reps=3
 *
 * Prefill: one batched slm_eval of a seeded random prompt. Decode: greedy
 * (argmax + logprob, as slm_generate does), one slm_eval per token for
 * --decode tokens, never stopping at an EOG token (random weights emit them
 * at random). Each rep starts from an empty cache; the fastest rep is
 * reported (least disturbed on a shared machine). decode_bytes_per_token is
 * every weight matrix once (eng_model_decode_bytes): the numerator of the
 * memory-bandwidth bound. rss_peak_bytes is getrusage ru_maxrss * 1024.
 * decode_cpu_share: CPU time the process got during the best decode rep over
 * (wall time x threads); well below 1 means other processes took the cores
 * (spin-waiting counts as CPU time, so 1 does not prove full use).
 * A benchmark tool, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/model.h"
#include "engine/slm.h"

typedef struct bench_opts {
    const char *model;
    int n_threads, n_prompt, n_decode, reps;
} bench_opts;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static int parse(int argc, char **argv, bench_opts *o)
{
    *o = (bench_opts){NULL, 1, 128, 128, 3};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            o->model = argv[i];
            continue;
        }
        if (i + 1 >= argc) return -1;
        int v = atoi(argv[++i]);
        if (!strcmp(argv[i - 1], "--threads")) o->n_threads = v;
        else if (!strcmp(argv[i - 1], "--prompt")) o->n_prompt = v;
        else if (!strcmp(argv[i - 1], "--decode")) o->n_decode = v;
        else if (!strcmp(argv[i - 1], "--reps")) o->reps = v;
        else return -1;
    }
    return o->model && o->n_threads > 0 && o->n_prompt > 0 && o->n_decode > 0 && o->reps > 0 ? 0 : -1;
}

/* One rep: fills the prefill and decode rates. */
static int one_rep(slm_context *ctx, slm_sampler *sampler, const bench_opts *o, const int32_t *prompt,
                   double *prefill_tps, double *decode_tps, double *cpu_share, char *err, size_t err_size)
{
    slm_context_reset(ctx);
    double t0 = now_s();
    if (slm_eval(ctx, prompt, o->n_prompt, NULL, err, err_size) != 0) return -1;
    double t1 = now_s(), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < o->n_decode; i++) {
        float logprob;
        int32_t tok = slm_sampler_sample(sampler, slm_context_logits(ctx), NULL, 0, &logprob);
        if (slm_eval(ctx, &tok, 1, NULL, err, err_size) != 0) return -1;
    }
    double t2 = now_s(), c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    *prefill_tps = o->n_prompt / (t1 - t0);
    *decode_tps = o->n_decode / (t2 - t1);
    *cpu_share = (c2 - c1) / ((t2 - t1) * slm_context_n_threads(ctx));
    return 0;
}

static int run(const bench_opts *o, slm_model *model, char *err, size_t err_size)
{
    slm_context_params cp = slm_context_default_params();
    cp.n_threads = o->n_threads;
    cp.n_ctx = o->n_prompt + o->n_decode;
    slm_context *ctx = NULL;
    slm_sampler *sampler = NULL;
    slm_sampler_params sp = slm_sampler_default_params();
    int32_t *prompt = malloc((size_t)o->n_prompt * sizeof *prompt);
    int rc = -1;
    if (!prompt || slm_context_create(model, &cp, &ctx, err, err_size) != 0 ||
        slm_sampler_create(&sp, slm_n_vocab(model), &sampler, err, err_size) != 0)
        goto done;
    uint64_t seed = 12345;
    for (int i = 0; i < o->n_prompt; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        prompt[i] = (int32_t)((seed >> 33) % (uint64_t)slm_n_vocab(model));
    }
    double best_prefill = 0, best_decode = 0, share_of_best = 0;
    for (int r = 0; r < o->reps; r++) {
        double p, d, share;
        if (one_rep(ctx, sampler, o, prompt, &p, &d, &share, err, err_size) != 0) goto done;
        best_prefill = p > best_prefill ? p : best_prefill;
        if (d > best_decode) {
            best_decode = d;
            share_of_best = share;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("model=%s threads=%d prefill_tps=%.2f decode_tps=%.2f rss_peak_bytes=%lld "
           "decode_bytes_per_token=%llu decode_cpu_share=%.2f reps=%d\n",
           o->model, slm_context_n_threads(ctx), best_prefill, best_decode, (long long)ru.ru_maxrss * 1024,
           (unsigned long long)eng_model_decode_bytes(model), share_of_best, o->reps);
    rc = 0;
done:
    slm_sampler_free(sampler);
    slm_context_free(ctx);
    free(prompt);
    return rc;
}

int main(int argc, char **argv)
{
    bench_opts o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: bench_engine MODEL [--threads N] [--prompt N] [--decode N] [--reps N]\n");
        return 2;
    }
    char err[SLM_ERROR_SIZE];
    slm_model *model = NULL;
    if (slm_model_load(o.model, &model, err, sizeof err) != 0) {
        fprintf(stderr, "bench_engine: %s\n", err);
        return 2;
    }
    int rc = run(&o, model, err, sizeof err);
    if (rc != 0) fprintf(stderr, "bench_engine: %s\n", err);
    slm_model_free(model);
    return rc ? 3 : 0;
}
