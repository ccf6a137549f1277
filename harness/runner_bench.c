/*
 * runner_bench.c — `slmbench bench`: a synthetic sweep like llama-bench.
 * Tests: ppN (evaluate N prompt tokens, sample one), tgM (M tokens decoded one
 * at a time from an empty cache), ppN+tgM (both). Prompt tokens are random
 * but seeded (seed + rep), so no tokenizer is involved and every rep of every
 * build sees the same tokens.
 *
 * Invariants: one run per model x threads x test, one item per rep with the
 * per-rep samples kept (compare needs them); warm-up reps are not recorded;
 * tg never stops early (end-of-generation tokens are just more tokens).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"
#include "harness/runner.h"
#include "reports/report.h"
#include "results/results.h"

typedef struct bench_test {
    char name[48];
    int n_prompt, n_gen;
} bench_test;

typedef struct bench_session {
    const bench_options *o;
    cJSON *doc;
    runner_probes probes;
    bench_test tests[CLI_MAX_LIST * 3];
    int n_tests;
} bench_session;

void bench_options_default(bench_options *o)
{
    memset(o, 0, sizeof *o);
    o->prompt_sizes[0] = 512;
    o->n_prompt_sizes = 1;
    o->gen_sizes[0] = 128;
    o->n_gen_sizes = 1;
    o->reps = 5;
    o->warmup = 1;
    o->pp_tg = 1;
    o->seed = 42;
    o->format = CLI_FORMAT_MD;
    runner_probe_options_default(&o->probes);
}

static void plan_tests(bench_session *s)
{
    const bench_options *o = s->o;
    for (int p = 0; p < o->n_prompt_sizes; p++)
        s->tests[s->n_tests++] = (bench_test){"", o->prompt_sizes[p], 0};
    for (int g = 0; g < o->n_gen_sizes; g++)
        s->tests[s->n_tests++] = (bench_test){"", 0, o->gen_sizes[g]};
    for (int p = 0; o->pp_tg && p < o->n_prompt_sizes; p++)
        for (int g = 0; g < o->n_gen_sizes && s->n_tests < CLI_MAX_LIST * 3; g++)
            s->tests[s->n_tests++] = (bench_test){"", o->prompt_sizes[p], o->gen_sizes[g]};
    for (int t = 0; t < s->n_tests; t++) {
        bench_test *b = &s->tests[t];
        if (b->n_prompt && b->n_gen)
            snprintf(b->name, sizeof b->name, "pp%d+tg%d", b->n_prompt, b->n_gen);
        else if (b->n_prompt)
            snprintf(b->name, sizeof b->name, "pp%d", b->n_prompt);
        else
            snprintf(b->name, sizeof b->name, "tg%d", b->n_gen);
    }
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

typedef struct rep_timing {
    uint64_t t0, t_first, t_end;
    uint64_t *times;   /* [n_gen] sample time of each generated token */
    int n_times;
} rep_timing;

/* Evaluates the prompt (or one seed token for tg), then decodes. */
static int bench_one_rep(slm_context *ctx, slm_sampler *sampler, const bench_test *t, uint64_t seed,
                         int n_vocab, runner_probes *probes, rep_timing *rt, volatile sig_atomic_t *stop,
                         char *err, size_t err_size)
{
    int n_prompt = t->n_prompt > 0 ? t->n_prompt : 1;
    int32_t *prompt = malloc((size_t)n_prompt * sizeof *prompt);
    if (!prompt) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    uint64_t state = seed * 2654435761ULL + 1;
    for (int i = 0; i < n_prompt; i++)
        prompt[i] = (int32_t)(next_random(&state) % (uint64_t)n_vocab);
    slm_context_reset(ctx);
    rt->n_times = 0;
    runner_hook_prefill_start(probes);
    rt->t0 = res_monotonic_ns();
    int status = slm_eval(ctx, prompt, n_prompt, NULL, err, err_size);
    free(prompt);
    int32_t token = status == 0 ? slm_sampler_sample(sampler, slm_context_logits(ctx), NULL, 0, NULL) : 0;
    rt->t_first = res_monotonic_ns();
    runner_hook_first_token(probes);
    if (t->n_gen > 0 && status == 0)
        rt->times[rt->n_times++] = rt->t_first;
    for (int i = 1; status == 0 && i < t->n_gen && !(stop && *stop); i++) {
        status = slm_eval(ctx, &token, 1, NULL, err, err_size);
        if (status == 0)
            token = slm_sampler_sample(sampler, slm_context_logits(ctx), NULL, 0, NULL);
        rt->times[rt->n_times++] = res_monotonic_ns();
    }
    rt->t_end = res_monotonic_ns();
    runner_probes_end_generation(probes);
    return status;
}

static cJSON *bench_item(const bench_test *t, int rep, const rep_timing *rt, runner_probes *probes)
{
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "id", t->name);
    cJSON_AddStringToObject(item, "task", "bench");
    cJSON_AddNumberToObject(item, "rep", rep);
    cJSON_AddNumberToObject(item, "prompt_tokens", t->n_prompt > 0 ? t->n_prompt : 1);
    cJSON_AddNumberToObject(item, "generated_tokens", rt->n_times);
    double ttft_s = (double)(rt->t_first - rt->t0) / 1e9;
    cJSON_AddNumberToObject(item, "ttft_ms", ttft_s * 1e3);
    cJSON_AddNumberToObject(item, "prefill_tps", (t->n_prompt > 0 ? t->n_prompt : 1) / ttft_s);
    cJSON *itl = cJSON_AddArrayToObject(item, "itl_ms");
    for (int i = 1; i < rt->n_times; i++)
        cJSON_AddItemToArray(itl, cJSON_CreateNumber((double)(rt->times[i] - rt->times[i - 1]) / 1e6));
    if (rt->n_times > 1)
        cJSON_AddNumberToObject(item, "decode_tps",
                                (rt->n_times - 1) / ((double)(rt->times[rt->n_times - 1] - rt->t_first) / 1e9));
    else
        res_add_unavailable(item, "decode_tps", t->n_gen ? "fewer than 2 generated tokens" : "pp test generates no tokens");
    cJSON_AddNumberToObject(item, "e2e_ms", (double)(rt->t_end - rt->t0) / 1e6);
    runner_add_energy(probes, item, rt->t0, rt->t_end);
    runner_add_phase_energy(probes, item, rt->t0, rt->t_first, rt->t_end);
    runner_add_counters(probes, item);
    runner_add_rss(item);
    cJSON_AddStringToObject(item, "stop_reason", "max_tokens");
    char now[32];
    res_utc_now(now, sizeof now);
    cJSON_AddStringToObject(item, "finished_utc", now);
    return item;
}

static void fill_bench_config(cJSON *config, const bench_test *t, int threads, const bench_options *o)
{
    cJSON_AddNumberToObject(config, "threads", threads);
    cJSON_AddNumberToObject(config, "n_ctx", o->n_ctx);
    cJSON_AddStringToObject(config, "kv_type", o->kv_f32 ? "f32" : "f16");
    cJSON *sampling = cJSON_AddObjectToObject(config, "sampling");
    cJSON_AddNumberToObject(sampling, "temperature", 0);
    cJSON_AddNumberToObject(sampling, "seed", (double)o->seed);
    cJSON_AddNumberToObject(config, "warmup", o->warmup);
    cJSON_AddNumberToObject(config, "reps", o->reps);
    cJSON_AddStringToObject(config, "test", t->name);
    cJSON_AddNumberToObject(config, "prompt_tokens", t->n_prompt);
    cJSON_AddNumberToObject(config, "gen_tokens", t->n_gen);
    cJSON_AddStringToObject(config, "prompt_source", "random token ids, xorshift64* seeded with seed + rep");
}

static int save_if_json(bench_session *s, char *err, size_t err_size)
{
    if (s->o->format != CLI_FORMAT_JSON || !s->o->output)
        return 0;
    return res_document_write(s->doc, s->o->output, err, err_size);
}

static int run_test(bench_session *s, slm_context *ctx, slm_sampler *sampler, int n_vocab, cJSON *run,
                    const bench_test *t, char *err, size_t err_size)
{
    int n_ctx_needed = (t->n_prompt > 0 ? t->n_prompt : 1) + t->n_gen;
    uint64_t *times = malloc(((size_t)t->n_gen + 1) * sizeof *times);
    if (!times) {
        snprintf(err, err_size, "out of memory");
        return RUNNER_FAILED;
    }
    rep_timing rt = {.times = times};
    int rc = RUNNER_OK;
    uint64_t t0 = res_monotonic_ns();
    for (int r = -s->o->warmup; rc == RUNNER_OK && r < s->o->reps; r++) {
        if (s->o->stop && *s->o->stop) {
            rc = RUNNER_INTERRUPTED;
            break;
        }
        if (bench_one_rep(ctx, sampler, t, s->o->seed + (uint64_t)(r < 0 ? 0 : r), n_vocab, &s->probes, &rt,
                          s->o->stop, err, err_size) != 0) {
            snprintf(err + strlen(err), err_size - strlen(err), " (test %s needs a context of %d)", t->name, n_ctx_needed);
            rc = RUNNER_FAILED;
        } else if (s->o->stop && *s->o->stop) {
            rc = RUNNER_INTERRUPTED;   /* a cut-short rep is not recorded */
        } else if (r >= 0) {
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(run, "items"), bench_item(t, r, &rt, &s->probes));
            if (res_run_aggregate(run, NULL, err, err_size) != 0 || save_if_json(s, err, err_size) != 0)
                rc = RUNNER_FAILED;
            fprintf(stderr, "  %-14s rep %d/%d  %.1f ms\n", t->name, r + 1, s->o->reps, (double)(rt.t_end - rt.t0) / 1e6);
        }
    }
    free(times);
    runner_add_trace(&s->probes, run, t0, res_monotonic_ns());
    res_run_finish(run, rc == RUNNER_OK ? "complete" : rc == RUNNER_INTERRUPTED ? "interrupted" : "failed");
    return rc;
}

static int bench_threads(bench_session *s, slm_model *model, const char *path, const char *sha, int threads,
                         char *err, size_t err_size)
{
    slm_context_params params = slm_context_default_params();
    params.n_threads = threads;
    params.n_ctx = s->o->n_ctx;
    params.kv_type = s->o->kv_f32 ? SLM_KV_F32 : SLM_KV_F16;
    if (s->probes.binding) {
        params.thread_init = dev_binding_thread_init;
        params.thread_init_user = s->probes.binding;
    }
    slm_context *ctx = NULL;
    slm_sampler *sampler = NULL;
    slm_sampler_params sp = slm_sampler_default_params();
    if (slm_context_create(model, &params, &ctx, err, err_size) != 0)
        return RUNNER_FAILED;
    if (slm_sampler_create(&sp, slm_n_vocab(model), &sampler, err, err_size) != 0) {
        slm_context_free(ctx);
        return RUNNER_FAILED;
    }
    slm_model_info info;
    slm_model_get_info(model, &info);
    int rc = RUNNER_OK;
    for (int t = 0; rc == RUNNER_OK && t < s->n_tests; t++) {
        char key[256];
        snprintf(key, sizeof key, "bench=%s|threads=%d|n_ctx=%d|kv=%s|seed=%llu|reps=%d", s->tests[t].name, threads,
                 s->o->n_ctx, s->o->kv_f32 ? "f32" : "f16", (unsigned long long)s->o->seed, s->o->reps);
        cJSON *run = res_run_add(s->doc, "bench", key);
        if (res_model_describe(path, &info, sha, cJSON_GetObjectItemCaseSensitive(run, "model"), err, err_size) != 0)
            rc = RUNNER_FAILED;
        cJSON *backend = cJSON_GetObjectItemCaseSensitive(run, "backend");
        cJSON_AddStringToObject(backend, "name", "local");
        cJSON_AddStringToObject(backend, "simd_path", slm_simd_path());
        cJSON_AddNumberToObject(backend, "threads", slm_context_n_threads(ctx));
        fill_bench_config(cJSON_GetObjectItemCaseSensitive(run, "config"), &s->tests[t],
                          threads ? threads : slm_context_n_threads(ctx), s->o);
        if (rc == RUNNER_OK)
            rc = run_test(s, ctx, sampler, slm_n_vocab(model), run, &s->tests[t], err, err_size);
    }
    slm_sampler_free(sampler);
    slm_context_free(ctx);
    return rc;
}

static int bench_model(bench_session *s, const char *path, char *err, size_t err_size)
{
    char sha[65];
    if (res_sha256_file(path, sha, err, err_size) != 0)
        return RUNNER_BAD_INPUT;
    slm_model *model = NULL;
    if (slm_model_load(path, &model, err, err_size) != 0)
        return RUNNER_BAD_INPUT;
    int rc = RUNNER_OK;
    for (int t = 0; rc == RUNNER_OK && t < s->o->n_threads; t++) {
        fprintf(stderr, "slmbench bench: %s, %d threads\n", path, s->o->threads[t]);
        rc = bench_threads(s, model, path, sha, s->o->threads[t], err, err_size);
    }
    slm_model_free(model);
    return rc;
}

int runner_bench(const bench_options *o, char *err, size_t err_size)
{
    bench_session s;
    memset(&s, 0, sizeof s);
    s.o = o;
    plan_tests(&s);
    if (runner_probes_open(&s.probes, &o->probes, err, err_size) != 0)
        return RUNNER_FAILED;
    s.doc = res_document_new(o->argc, o->argv);
    cJSON_AddItemToObject(s.doc, "device", runner_device_json(&s.probes));
    int rc = save_if_json(&s, err, err_size) == 0 ? RUNNER_OK : RUNNER_BAD_INPUT;
    for (int m = 0; rc == RUNNER_OK && m < o->n_models; m++)
        rc = bench_model(&s, o->models[m], err, err_size);
    const char *status = rc == RUNNER_OK ? "complete" : rc == RUNNER_INTERRUPTED ? "interrupted" : "failed";
    cJSON_ReplaceItemInObjectCaseSensitive(s.doc, "status", cJSON_CreateString(status));
    char out_err[512];
    if (rc != RUNNER_BAD_INPUT && runner_bench_output(s.doc, o, out_err, sizeof out_err) != 0 && rc == RUNNER_OK) {
        snprintf(err, err_size, "%s", out_err);
        rc = RUNNER_BAD_INPUT;
    }
    cJSON_Delete(s.doc);
    runner_probes_close(&s.probes);
    if (rc == RUNNER_INTERRUPTED)
        snprintf(err, err_size, "interrupted; finished reps kept%s%s", o->output ? " in " : "", o->output ? o->output : "");
    return rc;
}
