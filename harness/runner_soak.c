/*
 * runner_soak.c — `slmbench soak`: sustained single-stream decode for a given
 * time, cut into windows; per window the decode rate, energy, power, hottest
 * temperature, mean frequency and whether the device throttled. The context
 * is refilled with seeded random prompt tokens whenever it is full, so the
 * decode never stops.
 *
 * Invariants: a window is recorded only when it is complete (an interrupted
 * soak keeps every finished window); results are rewritten atomically after
 * each window; throttling is flagged from the device's throttle events and
 * from a decode-rate drop of more than 10% between the first and last windows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"
#include "harness/runner.h"
#include "results/results.h"

#define SOAK_DROP_PCT 10.0

typedef struct soak_state {
    const soak_options *o;
    runner_probes probes;
    cJSON *doc, *run;
    slm_model *model;
    slm_context *ctx;
    slm_sampler *sampler;
    uint64_t rng;
    int32_t token;
    int n_ctx;
} soak_state;

void soak_options_default(soak_options *o)
{
    memset(o, 0, sizeof *o);
    o->minutes = 5;
    o->window_s = 10;
    o->prompt_tokens = 32;
    o->seed = 42;
    runner_probe_options_default(&o->probes);
}

static int refill(soak_state *s, char *err, size_t err_size)
{
    int32_t prompt[512];
    int n = s->o->prompt_tokens < 512 ? s->o->prompt_tokens : 512;
    int n_vocab = slm_n_vocab(s->model);
    for (int i = 0; i < n; i++) {
        s->rng ^= s->rng >> 12, s->rng ^= s->rng << 25, s->rng ^= s->rng >> 27;
        prompt[i] = (int32_t)((s->rng * 0x2545F4914F6CDD1DULL) % (uint64_t)n_vocab);
    }
    slm_context_reset(s->ctx);
    if (slm_eval(s->ctx, prompt, n, NULL, err, err_size) != 0)
        return -1;
    s->token = slm_sampler_sample(s->sampler, slm_context_logits(s->ctx), NULL, 0, NULL);
    return 0;
}

static int decode_one(soak_state *s, char *err, size_t err_size)
{
    if (slm_context_n_past(s->ctx) + 1 >= s->n_ctx)
        return refill(s, err, err_size);
    if (slm_eval(s->ctx, &s->token, 1, NULL, err, err_size) != 0)
        return -1;
    s->token = slm_sampler_sample(s->sampler, slm_context_logits(s->ctx), NULL, 0, NULL);
    return 0;
}

/* temp_c_max and freq_mhz_mean of the window from the sampler's trace. */
static void add_thermal(soak_state *s, cJSON *item, uint64_t t0, uint64_t t1)
{
    double temp_max = -INFINITY, freq_sum = 0;
    int n_freq = 0;
    cJSON *trace = s->probes.sampler ? dev_sampler_trace_to_json(s->probes.sampler, t0, t1) : NULL;
    const cJSON *sample, *zone;
    cJSON_ArrayForEach(sample, cJSON_GetObjectItemCaseSensitive(trace, "samples")) {
        const cJSON *temp = cJSON_GetObjectItemCaseSensitive(sample, "temp_c");
        if (cJSON_IsNumber(temp) && temp->valuedouble > temp_max)
            temp_max = temp->valuedouble;
        cJSON_ArrayForEach(zone, temp) if (cJSON_IsNumber(zone) && zone->valuedouble > temp_max)
            temp_max = zone->valuedouble;
        const cJSON *freq = cJSON_GetObjectItemCaseSensitive(sample, "freq_mhz");
        if (cJSON_IsNumber(freq)) {
            freq_sum += freq->valuedouble;
            n_freq++;
        }
    }
    cJSON_Delete(trace);
    if (isfinite(temp_max))
        cJSON_AddNumberToObject(item, "temp_c_max", temp_max);
    else
        res_add_unavailable(item, "temp_c_max", s->probes.sampler ? "no thermal zone readable" : s->probes.sampler_reason);
    if (n_freq)
        cJSON_AddNumberToObject(item, "freq_mhz_mean", freq_sum / n_freq);
    else
        res_add_unavailable(item, "freq_mhz_mean", "no cpufreq reading (e.g. a VM)");
    dev_throttle_event ev;
    int n_events = s->probes.sampler ? dev_sampler_throttle_events(s->probes.sampler, t0, t1, &ev, 1) : 0;
    cJSON_AddBoolToObject(item, "throttled", n_events > 0);
}

static cJSON *window_item(soak_state *s, int index, uint64_t start, uint64_t t0, uint64_t t1, int tokens)
{
    cJSON *item = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "window-%04d", index);
    cJSON_AddStringToObject(item, "id", id);
    cJSON_AddStringToObject(item, "task", "soak");
    cJSON_AddNumberToObject(item, "rep", 0);
    cJSON_AddNumberToObject(item, "t_start_s", (double)(t0 - start) / 1e9);
    cJSON_AddNumberToObject(item, "t_end_s", (double)(t1 - start) / 1e9);
    cJSON_AddNumberToObject(item, "generated_tokens", tokens);
    cJSON_AddNumberToObject(item, "decode_tps", tokens / ((double)(t1 - t0) / 1e9));
    cJSON_AddNumberToObject(item, "e2e_ms", (double)(t1 - t0) / 1e6);
    runner_add_energy(&s->probes, item, t0, t1);
    add_thermal(s, item, t0, t1);
    runner_add_rss(item);
    return item;
}

static void flag_throttling(soak_state *s, uint64_t start, uint64_t end)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(s->run, "items");
    int n = cJSON_GetArraySize(items);
    dev_throttle_event ev;
    int events = s->probes.sampler ? dev_sampler_throttle_events(s->probes.sampler, start, end, &ev, 1) : 0;
    /* A final window much shorter than the others (the time ran out) is too noisy to judge by. */
    int last_index = n - 1;
    const cJSON *last_ms = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, last_index), "e2e_ms");
    if (n >= 3 && cJSON_IsNumber(last_ms) && last_ms->valuedouble < s->o->window_s * 500.0)
        last_index--;
    double first = n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "decode_tps")->valuedouble : 0;
    double last = n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, last_index), "decode_tps")->valuedouble : 0;
    double drop = first > 0 ? (first - last) / first * 100.0 : 0;
    cJSON *t = cJSON_CreateObject();
    cJSON_AddBoolToObject(t, "detected", events > 0 || (n >= 2 && drop > SOAK_DROP_PCT));
    cJSON_AddNumberToObject(t, "device_events", events);
    cJSON_AddNumberToObject(t, "decode_drop_pct", drop);
    char reason[256];
    snprintf(reason, sizeof reason, "%d device throttle event(s); decode rate %s %.1f%% from first to last window "
             "(flagged above %.0f%%)", events, drop >= 0 ? "fell" : "rose", fabs(drop), SOAK_DROP_PCT);
    cJSON_AddStringToObject(t, "reason", reason);
    cJSON_DeleteItemFromObjectCaseSensitive(s->run, "throttling");
    cJSON_AddItemToObject(s->run, "throttling", t);
}

static int soak_loop(soak_state *s, char *err, size_t err_size)
{
    uint64_t start = res_monotonic_ns(), end = start + (uint64_t)(s->o->minutes * 60e9);
    uint64_t window_ns = (uint64_t)(s->o->window_s * 1e9), t0 = start;
    int tokens = 0, index = 0;
    if (refill(s, err, err_size) != 0)
        return RUNNER_FAILED;
    while (!(s->o->stop && *s->o->stop)) {
        if (decode_one(s, err, err_size) != 0)
            return RUNNER_FAILED;
        tokens++;
        uint64_t now = res_monotonic_ns();
        if (now - t0 < window_ns && now < end)
            continue;
        cJSON *item = window_item(s, index++, start, t0, now, tokens);
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(s->run, "items"), item);
        fprintf(stderr, "  window %d: %.1f tok/s\n", index,
                cJSON_GetObjectItemCaseSensitive(item, "decode_tps")->valuedouble);
        flag_throttling(s, start, now);
        if (res_run_aggregate(s->run, NULL, err, err_size) != 0 ||
            res_document_save(s->doc, s->o->out_dir, err, err_size) != 0)
            return RUNNER_FAILED;
        t0 = now;
        tokens = 0;
        if (now >= end)
            break;
    }
    runner_add_trace(&s->probes, s->run, start, res_monotonic_ns());
    flag_throttling(s, start, res_monotonic_ns());
    return s->o->stop && *s->o->stop ? RUNNER_INTERRUPTED : RUNNER_OK;
}

static int open_engine(soak_state *s, char *err, size_t err_size)
{
    if (slm_model_load(s->o->model, &s->model, err, err_size) != 0)
        return RUNNER_BAD_INPUT;
    slm_context_params params = slm_context_default_params();
    params.n_threads = s->o->threads;
    params.n_ctx = s->o->n_ctx;
    if (s->probes.binding) {
        params.thread_init = dev_binding_thread_init;
        params.thread_init_user = s->probes.binding;
    }
    slm_sampler_params sp = slm_sampler_default_params();
    if (slm_context_create(s->model, &params, &s->ctx, err, err_size) != 0 ||
        slm_sampler_create(&sp, slm_n_vocab(s->model), &s->sampler, err, err_size) != 0)
        return RUNNER_FAILED;
    slm_model_info info;
    slm_model_get_info(s->model, &info);
    s->n_ctx = params.n_ctx > 0 ? params.n_ctx
               : (int)(info.n_ctx_train && info.n_ctx_train < 4096 ? info.n_ctx_train : 4096);
    if (s->o->prompt_tokens + 2 >= s->n_ctx) {
        snprintf(err, err_size, "--prompt-tokens %d does not fit the context of %d", s->o->prompt_tokens, s->n_ctx);
        return RUNNER_BAD_INPUT;
    }
    cJSON *run = s->run;
    if (res_model_describe(s->o->model, &info, NULL, cJSON_GetObjectItemCaseSensitive(run, "model"), err, err_size) != 0)
        return RUNNER_BAD_INPUT;
    cJSON *backend = cJSON_GetObjectItemCaseSensitive(run, "backend");
    cJSON_AddStringToObject(backend, "name", "local");
    cJSON_AddStringToObject(backend, "simd_path", slm_simd_path());
    cJSON *config = cJSON_GetObjectItemCaseSensitive(run, "config");
    cJSON_AddNumberToObject(config, "threads", slm_context_n_threads(s->ctx));
    cJSON_AddNumberToObject(config, "n_ctx", s->n_ctx);
    cJSON_AddNumberToObject(config, "minutes", s->o->minutes);
    cJSON_AddNumberToObject(config, "window_s", s->o->window_s);
    cJSON_AddNumberToObject(config, "prompt_tokens", s->o->prompt_tokens);
    cJSON_AddStringToObject(config, "workload", "greedy decode; context refilled with seeded random tokens when full");
    return RUNNER_OK;
}

static void close_engine(soak_state *s)
{
    slm_sampler_free(s->sampler);
    slm_context_free(s->ctx);
    slm_model_free(s->model);
}

int runner_soak(const soak_options *o, char *err, size_t err_size)
{
    soak_state s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.rng = o->seed * 2654435761ULL + 1;
    if (res_make_dir(o->out_dir, err, err_size) != 0)
        return RUNNER_BAD_INPUT;
    if (runner_probes_open(&s.probes, &o->probes, err, err_size) != 0)
        return RUNNER_FAILED;
    s.doc = res_document_new(o->argc, o->argv);
    cJSON_AddItemToObject(s.doc, "device", runner_device_json(&s.probes));
    char key[256];
    snprintf(key, sizeof key, "soak|threads=%d|n_ctx=%d|minutes=%g|window_s=%g", o->threads, o->n_ctx, o->minutes,
             o->window_s);
    s.run = res_run_add(s.doc, "soak", key);
    int rc = open_engine(&s, err, err_size);
    if (rc == RUNNER_OK) {
        fprintf(stderr, "slmbench soak: %s, %.1f min in %.0f s windows\n", o->model, o->minutes, o->window_s);
        rc = soak_loop(&s, err, err_size);
    }
    res_run_finish(s.run, rc == RUNNER_OK ? "complete" : rc == RUNNER_INTERRUPTED ? "interrupted" : "failed");
    cJSON_ReplaceItemInObjectCaseSensitive(s.doc, "status", cJSON_CreateString(
        rc == RUNNER_OK ? "complete" : rc == RUNNER_INTERRUPTED ? "interrupted" : "failed"));
    char save_err[512];
    if (rc != RUNNER_BAD_INPUT && res_document_save(s.doc, o->out_dir, save_err, sizeof save_err) != 0 && rc == RUNNER_OK) {
        snprintf(err, err_size, "%s", save_err);
        rc = RUNNER_FAILED;
    }
    if (rc == RUNNER_OK || rc == RUNNER_INTERRUPTED) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s.run, "throttling");
        printf("soak: %d windows, throttling %s: %s\n", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s.run, "items")),
               cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "detected")) ? "DETECTED" : "not detected",
               cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "reason")) ? cJSON_GetObjectItemCaseSensitive(t, "reason")->valuestring : "");
    }
    if (rc == RUNNER_INTERRUPTED)
        snprintf(err, err_size, "interrupted; finished windows kept in %s/results.json", o->out_dir);
    close_engine(&s);
    cJSON_Delete(s.doc);
    runner_probes_close(&s.probes);
    return rc;
}
