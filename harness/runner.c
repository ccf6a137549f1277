/*
 * runner.c — `slmbench run`: every model x thread count x suite, one item at
 * a time, the results document rewritten atomically after every item, progress
 * on stderr, a summary table on stdout at the end.
 *
 * Invariants:
 *  - Suites, model files and the models' chat templates are checked before
 *    any measurement starts, so bad input fails fast with one line and no
 *    partial output directory content.
 *  - Each run's config records the prompt format actually used
 *    ("prompt_format": the chat family, or "raw").
 *  - A run is identified by run_key + model sha256; --resume finds it and
 *    skips every (item id, rep) already recorded.
 *  - A new run into a directory that already holds results.json is refused
 *    (use --resume): results are never overwritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/slm.h"
#include "harness/backend.h"
#include "harness/runner.h"
#include "harness/runner_internal.h"
#include "reports/report.h"
#include "results/results.h"
#include "tasks/task.h"

typedef struct run_session {
    const runner_options *o;
    cJSON *doc;
    runner_probes probes;
    task_suite suites[CLI_MAX_LIST];
    int n_suites_loaded;
} run_session;

void runner_options_default(runner_options *o)
{
    memset(o, 0, sizeof *o);
    o->reps = 1;
    o->seed = 42;
    o->backend_name = "local";
    runner_probe_options_default(&o->probes);
}

static int check_inputs(run_session *s, char *err, size_t err_size)
{
    const runner_options *o = s->o;
    for (int m = 0; !strcmp(o->backend_name, "local") && m < o->n_models; m++) {
        slm_model_info info;
        if (access(o->models[m], R_OK) != 0) {
            snprintf(err, err_size, "%s: model file not found or not readable", o->models[m]);
            return RUNNER_BAD_INPUT;
        }
        if (slm_model_inspect(o->models[m], &info, err, err_size) != 0)
            return RUNNER_BAD_INPUT; /* not a usable GGUF: fail before any output is written */
        char format[64];
        if (backend_local_prompt_format(o->models[m], o->chat_template, format, sizeof format,
                                        err, err_size) != 0)
            return RUNNER_BAD_INPUT; /* unrecognised template or unknown family, likewise */
    }
    task_load_options load;
    task_load_options_default(&load);
    load.limit = o->limit;
    load.seed = o->seed;
    for (int f = 0; f < o->n_field_maps && f < TASK_MAX_FIELD_MAPS; f++)
        load.field_map[load.n_field_maps++] = o->field_map[f];
    for (int i = 0; i < o->n_suites; i++) {
        if (task_suite_load_ex(o->suites[i], &load, &s->suites[i], err, err_size) != 0)
            return RUNNER_BAD_INPUT;
        s->n_suites_loaded = i + 1;
        if (s->suites[i].n_items == 0) {
            snprintf(err, err_size, "%s: suite has no items", o->suites[i]);
            return RUNNER_BAD_INPUT;
        }
    }
    return RUNNER_OK;
}

/* A resumed run must continue on the device that measured its first items. */
static int check_same_device(run_session *s, const char *path, char *err, size_t err_size)
{
    cJSON *here = runner_device_json(&s->probes);
    const cJSON *then_id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s->doc, "device"), "device_id");
    const cJSON *now_id = cJSON_GetObjectItemCaseSensitive(here, "device_id");
    int same = cJSON_IsString(then_id) && cJSON_IsString(now_id) && !strcmp(then_id->valuestring, now_id->valuestring);
    if (!same)
        snprintf(err, err_size, "%s: measured on device %s, this is device %s: resume on the same device or start a new -o",
                 path, cJSON_IsString(then_id) ? then_id->valuestring : "(unknown)",
                 cJSON_IsString(now_id) ? now_id->valuestring : "(unknown)");
    cJSON_Delete(here);
    return same ? 0 : -1;
}

static int open_document(run_session *s, char *err, size_t err_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", s->o->out_dir);
    if (s->o->resume) {
        if (res_document_load(path, &s->doc, err, err_size) != 0 || check_same_device(s, path, err, err_size) != 0)
            return RUNNER_BAD_INPUT;
        cJSON_ReplaceItemInObjectCaseSensitive(s->doc, "status", cJSON_CreateString("running"));
        return RUNNER_OK;
    }
    if (access(path, F_OK) == 0) {
        snprintf(err, err_size, "%s: already exists (continue it with --resume %s, or choose another -o)",
                 path, s->o->out_dir);
        return RUNNER_BAD_INPUT;
    }
    s->doc = res_document_new(s->o->argc, s->o->argv);
    if (!s->doc) {
        snprintf(err, err_size, "out of memory");
        return RUNNER_FAILED;
    }
    cJSON_AddItemToObject(s->doc, "device", runner_device_json(&s->probes));
    return RUNNER_OK;
}

static int open_backend(run_session *s, const char *model, int threads, backend **out,
                        char *err, size_t err_size)
{
    const runner_options *o = s->o;
    if (!strcmp(o->backend_name, "openai")) {
        backend_openai_options opt = {o->endpoint, model, o->api_key_env, 0};
        return backend_openai_open(&opt, out, err, err_size);
    }
    backend_local_options opt;
    memset(&opt, 0, sizeof opt);
    opt.model_path = model;
    opt.n_threads = threads;
    opt.n_ctx = o->n_ctx;
    opt.kv_f32 = o->kv_f32;
    opt.chat_template = o->chat_template;
    if (s->probes.binding) {
        opt.thread_init = dev_binding_thread_init;
        opt.thread_init_user = s->probes.binding;
    }
    return backend_local_open(&opt, out, err, err_size);
}

static void make_run_key(const run_session *s, const char *suite, int threads, const char *backend_name,
                         char *out, size_t size)
{
    const runner_options *o = s->o;
    snprintf(out, size, "suite=%s|threads=%d|n_ctx=%d|kv=%s|temp=%g|seed=%llu|chat=%s|limit=%d|shots=%d|"
             "max_new=%d|reps=%d|backend=%s",
             suite, threads, o->n_ctx, o->kv_f32 ? "f32" : "f16", (double)o->temperature,
             (unsigned long long)o->seed, o->chat_template ? o->chat_template : "auto", o->limit,
             o->n_shots, o->max_new_tokens, o->reps, backend_name);
}

static void fill_config(cJSON *config, const run_session *s, const char *suite, int threads,
                        const cJSON *backend_info)
{
    const runner_options *o = s->o;
    cJSON_AddNumberToObject(config, "threads", threads);
    cJSON_AddNumberToObject(config, "n_ctx", o->n_ctx);
    cJSON_AddStringToObject(config, "kv_type", o->kv_f32 ? "f32" : "f16");
    cJSON *sampling = cJSON_AddObjectToObject(config, "sampling");
    cJSON_AddNumberToObject(sampling, "temperature", o->temperature);
    cJSON_AddNumberToObject(sampling, "seed", (double)o->seed);
    cJSON_AddNumberToObject(config, "warmup", o->warmup);
    cJSON_AddNumberToObject(config, "reps", o->reps);
    cJSON_AddNumberToObject(config, "cooldown_s", o->cooldown_s);
    cJSON_AddStringToObject(config, "suite", suite);
    cJSON_AddNumberToObject(config, "limit", o->limit);
    cJSON_AddNumberToObject(config, "n_shots", o->n_shots);
    cJSON_AddStringToObject(config, "chat_template", o->chat_template ? o->chat_template : "auto");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(backend_info, "prompt_format");
    cJSON_AddStringToObject(config, "prompt_format", cJSON_IsString(format) ? format->valuestring : "unknown");
    cJSON_AddNumberToObject(config, "max_new_tokens", o->max_new_tokens);
    cJSON_AddBoolToObject(config, "thread_binding", o->probes.bind_threads);
}

/* The existing run (resume) or a new one with model/backend/config filled. */
static cJSON *find_or_add_run(run_session *s, backend *b, const char *suite, int threads,
                              char *err, size_t err_size)
{
    cJSON *model = cJSON_CreateObject(), *info = cJSON_CreateObject();
    if (b->describe(b, model, info, err, err_size) != 0) {
        cJSON_Delete(model);
        cJSON_Delete(info);
        return NULL;
    }
    char key[512];
    make_run_key(s, suite, threads, b->name, key, sizeof key);
    cJSON *run = res_run_find(s->doc, key, res_model_identity(model));
    if (run) {
        cJSON_Delete(model);
        cJSON_Delete(info);
        return run;
    }
    run = res_run_add(s->doc, "suite", key);
    cJSON_ReplaceItemInObjectCaseSensitive(run, "model", model);
    cJSON_ReplaceItemInObjectCaseSensitive(run, "backend", info);
    const cJSON *actual = cJSON_GetObjectItemCaseSensitive(info, "threads");
    fill_config(cJSON_GetObjectItemCaseSensitive(run, "config"), s, suite,
                threads == 0 && cJSON_IsNumber(actual) ? actual->valueint : threads, info);
    return run;
}

static void print_progress(const cJSON *run, const cJSON *item, int done, int total)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(item, "generated_tokens");
    const cJSON *ttft = cJSON_GetObjectItemCaseSensitive(item, "ttft_ms");
    const cJSON *tps = cJSON_GetObjectItemCaseSensitive(item, "decode_tps");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(item, "error");
    const cJSON *suite = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(run, "config"), "suite");
    fprintf(stderr, "  [%s %d/%d] %-14s", cJSON_IsString(suite) ? suite->valuestring : "?", done, total,
            cJSON_IsString(id) ? id->valuestring : "?");
    if (cJSON_IsString(error)) {
        fprintf(stderr, " error: %s\n", error->valuestring);
        return;
    }
    fprintf(stderr, " %3d tok", cJSON_IsNumber(gen) ? gen->valueint : 0);
    if (cJSON_IsNumber(ttft))
        fprintf(stderr, "  ttft %7.1f ms", ttft->valuedouble);
    if (cJSON_IsNumber(tps))
        fprintf(stderr, "  %6.1f tok/s", tps->valuedouble);
    fputc('\n', stderr);
}

static int record_item(run_session *s, cJSON *run, cJSON *item, const task_suite *suite,
                       char *err, size_t err_size)
{
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(run, "items"), item);
    if (res_run_aggregate(run, runner_primary_score(suite), err, err_size) != 0)
        return RUNNER_FAILED;
    return res_document_save(s->doc, s->o->out_dir, err, err_size) == 0 ? RUNNER_OK : RUNNER_FAILED;
}

static int count_pending(const cJSON *run, const task_suite *suite, int reps)
{
    int pending = 0;
    for (int i = 0; i < suite->n_items; i++)
        for (int r = 0; r < reps; r++)
            pending += !res_run_has_item(run, suite->items[i].id, r);
    return pending;
}

static int run_suite_items(run_session *s, backend *b, cJSON *run, const task_suite *suite,
                           char *err, size_t err_size)
{
    const runner_options *o = s->o;
    int total = suite->n_items * o->reps, done = total - count_pending(run, suite, o->reps), warmed = 0;
    for (int i = 0; i < suite->n_items; i++) {
        for (int r = 0; r < o->reps; r++) {
            if (res_run_has_item(run, suite->items[i].id, r))
                continue;
            int status = warmed ? RUNNER_OK : runner_warmup(b, &s->probes, suite, &suite->items[i], o, err, err_size);
            warmed = 1;
            cJSON *item = NULL;
            if (status == RUNNER_OK)
                status = runner_measure_item(b, &s->probes, suite, &suite->items[i], r, o, &item, err, err_size);
            if (status != RUNNER_OK)
                return status;
            print_progress(run, item, ++done, total);
            if ((status = record_item(s, run, item, suite, err, err_size)) != RUNNER_OK)
                return status;
            if (o->cooldown_s > 0)
                cli_sleep_interruptible(o->cooldown_s, o->stop);
            if (o->stop && *o->stop)
                return RUNNER_INTERRUPTED;
        }
    }
    return RUNNER_OK;
}

static int run_one_suite(run_session *s, backend *b, const task_suite *suite, int threads,
                         char *err, size_t err_size)
{
    cJSON *run = find_or_add_run(s, b, suite->name, threads, err, err_size);
    if (!run)
        return RUNNER_FAILED;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(run, "status");
    if (cJSON_IsString(status) && !strcmp(status->valuestring, "complete"))
        return RUNNER_OK;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(run, "run_id");
    fprintf(stderr, "slmbench run: %s: %s, suite %s, %d threads, %d items x %d reps\n",
            cJSON_IsString(id) ? id->valuestring : "?", b->name, suite->name, threads,
            suite->n_items, s->o->reps);
    uint64_t t0 = res_monotonic_ns();
    int rc = run_suite_items(s, b, run, suite, err, err_size);
    runner_add_trace(&s->probes, run, t0, res_monotonic_ns());
    if (rc == RUNNER_FAILED) {
        cJSON_AddStringToObject(run, "error", err);
        res_run_finish(run, "failed");
    } else {
        res_run_finish(run, rc == RUNNER_INTERRUPTED ? "interrupted" : "complete");
    }
    char save_err[512];
    if (res_run_aggregate(run, runner_primary_score(suite), save_err, sizeof save_err) != 0 ||
        res_document_save(s->doc, s->o->out_dir, save_err, sizeof save_err) != 0) {
        snprintf(err, err_size, "%s", save_err);
        return RUNNER_FAILED;
    }
    return rc;
}

static int run_model(run_session *s, const char *model, char *err, size_t err_size)
{
    for (int t = 0; t < s->o->n_threads; t++) {
        backend *b = NULL;
        if (open_backend(s, model, s->o->threads[t], &b, err, err_size) != 0)
            return RUNNER_BAD_INPUT; /* model, template or endpoint the user named */
        int rc = RUNNER_OK;
        for (int i = 0; rc == RUNNER_OK && i < s->n_suites_loaded; i++)
            rc = run_one_suite(s, b, &s->suites[i], s->o->threads[t], err, err_size);
        b->destroy(b);
        if (rc != RUNNER_OK)
            return rc;
    }
    return RUNNER_OK;
}

static void finish_session(run_session *s, int rc, char *err, size_t err_size)
{
    if (s->doc) {
        const char *status = rc == RUNNER_OK ? "complete" : rc == RUNNER_INTERRUPTED ? "interrupted" : "failed";
        cJSON_ReplaceItemInObjectCaseSensitive(s->doc, "status", cJSON_CreateString(status));
        char save_err[512];
        if (rc != RUNNER_BAD_INPUT && res_document_save(s->doc, s->o->out_dir, save_err, sizeof save_err) != 0 &&
            rc == RUNNER_OK)
            snprintf(err, err_size, "%s", save_err);
        if (rc == RUNNER_OK || rc == RUNNER_INTERRUPTED) {
            rep_input input = {s->doc, s->o->out_dir};
            printf("\n");
            rep_summary_table(&input, 1, stdout);
            fflush(stdout);
        }
        cJSON_Delete(s->doc);
    }
    for (int i = 0; i < s->n_suites_loaded; i++)
        task_suite_free(&s->suites[i]);
    runner_probes_close(&s->probes);
}

int runner_run(const runner_options *o, char *err, size_t err_size)
{
    run_session s;
    memset(&s, 0, sizeof s);
    s.o = o;
    int rc = check_inputs(&s, err, err_size);
    if (rc == RUNNER_OK && res_make_dir(o->out_dir, err, err_size) != 0)
        rc = RUNNER_BAD_INPUT;
    if (rc == RUNNER_OK && runner_probes_open(&s.probes, &o->probes, err, err_size) != 0)
        rc = RUNNER_FAILED;
    if (rc == RUNNER_OK)
        rc = open_document(&s, err, err_size);
    if (rc == RUNNER_OK && res_document_save(s.doc, o->out_dir, err, err_size) != 0)
        rc = RUNNER_BAD_INPUT;
    for (int m = 0; rc == RUNNER_OK && m < o->n_models; m++)
        rc = run_model(&s, o->models[m], err, err_size);
    finish_session(&s, rc, err, err_size);
    if (rc == RUNNER_INTERRUPTED)
        snprintf(err, err_size, "%s/results.json: interrupted; finished items kept (continue with --resume %s)",
                 o->out_dir, o->out_dir);
    return rc;
}
