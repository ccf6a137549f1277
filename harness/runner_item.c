/*
 * runner_item.c — one measured generation of a task item: prompt, request,
 * generation through the backend, the schema's ITEM object (timings, every
 * inter-token latency, energy, counters, RSS, confidence, output, scores).
 *
 * Invariants:
 *  - Stop sequences and output trimming follow the backend's prompt format:
 *    task_stop_sequences(chat) / task_output_trim_chat for chat, the item's
 *    raw stops / task_output_trim otherwise.
 *  - A generation cut short by a stop request is never recorded (an
 *    incomplete item would bias every metric); a generation error becomes an
 *    item with "error" so that --resume does not retry it forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/backend.h"
#include "harness/runner.h"
#include "harness/runner_internal.h"
#include "results/results.h"
#include "tasks/task.h"

const char *runner_primary_score(const task_suite *suite)
{
    if (suite->n_items == 0)
        return NULL;
    switch (suite->items[0].type) {
    case TASK_QA: return "f1";
    case TASK_SUMMARIZATION: return "rougeL";
    case TASK_CODE_C:
    case TASK_CODE_PYTHON: return "passed";
    }
    return NULL;
}

/* Chat answers end at the end-of-turn token: they get the chat stop
 * sequences (none for code, so a fenced answer is not cut at "\ndef ");
 * raw continuations get the item's own. */
static void fill_stops(backend_request *req, const task_item *item, int chat)
{
    const char *const *stops = NULL;
    int n = task_stop_sequences(item, chat, &stops);
    for (int i = 0; i < n && req->n_stop < BACKEND_MAX_STOP; i++)
        req->stop[req->n_stop++] = stops[i];
}

static void fill_request(backend_request *req, const task_item *item, const task_prompt *prompt,
                         const runner_options *o, int rep, int chat, runner_probes *probes)
{
    memset(req, 0, sizeof *req);
    req->system = prompt->system;
    req->user = prompt->user;
    req->raw_prompt = prompt->raw;
    req->max_new_tokens = item->max_new_tokens > 0 ? item->max_new_tokens : 128;
    if (o->max_new_tokens > 0 && o->max_new_tokens < req->max_new_tokens)
        req->max_new_tokens = o->max_new_tokens;
    fill_stops(req, item, chat);
    req->temperature = o->temperature;
    req->seed = o->seed + (uint64_t)rep;
    req->cancel = o->stop;
    req->on_prefill_start = runner_hook_prefill_start;
    req->on_first_token = runner_hook_first_token;
    req->hook_user = probes;
}

static void add_timings(cJSON *json, const backend_response *r)
{
    if (r->prompt_tokens >= 0)
        cJSON_AddNumberToObject(json, "prompt_tokens", r->prompt_tokens);
    else
        res_add_unavailable(json, "prompt_tokens", r->unavailable);
    cJSON_AddNumberToObject(json, "generated_tokens", r->generated_tokens);
    if (r->n_token_times > 0)
        cJSON_AddNumberToObject(json, "ttft_ms", r->ttft_ms);
    else
        res_add_unavailable(json, "ttft_ms", "no token generated");
    cJSON *itl = cJSON_AddArrayToObject(json, "itl_ms");
    for (int i = 1; i < r->n_token_times; i++)
        cJSON_AddItemToArray(itl, cJSON_CreateNumber((double)(r->token_time_ns[i] - r->token_time_ns[i - 1]) / 1e6));
    if (r->prefill_tps >= 0)
        cJSON_AddNumberToObject(json, "prefill_tps", r->prefill_tps);
    else
        res_add_unavailable(json, "prefill_tps", r->unavailable);
    if (r->decode_tps >= 0)
        cJSON_AddNumberToObject(json, "decode_tps", r->decode_tps);
    else
        res_add_unavailable(json, "decode_tps", r->unavailable);
    cJSON_AddNumberToObject(json, "e2e_ms", r->e2e_ms);
}

static void add_confidence(cJSON *json, const backend_response *r)
{
    if (r->logprobs_known) {
        cJSON_AddNumberToObject(json, "logprob_mean", r->logprob_mean);
        cJSON_AddNumberToObject(json, "logprob_min", r->logprob_min);
    } else {
        res_add_unavailable(json, "logprob_mean", r->unavailable);
        res_add_unavailable(json, "logprob_min", r->unavailable);
    }
}

static void add_scores(cJSON *json, const task_item *item, const char *output)
{
    task_score_config config;
    task_score_config_default(&config);
    task_score score;
    char err[512];
    memset(&score, 0, sizeof score);
    if (task_score_item(item, output, &config, &score, err, sizeof err) != 0) {
        res_add_unavailable(json, "scores", err);
        return;
    }
    if (!strcmp(score.status, TASK_STATUS_UNAVAILABLE)) {
        res_add_unavailable(json, "scores", score.detail);
        return;
    }
    cJSON *scores = cJSON_AddObjectToObject(json, "scores");
    for (int i = 0; i < score.n_metrics; i++)
        cJSON_AddNumberToObject(scores, score.metrics[i].name, score.metrics[i].value);
    cJSON_AddStringToObject(scores, "status", score.status);
    char *detail = score.detail[0] ? res_utf8_sanitize(score.detail) : NULL;
    if (detail)
        cJSON_AddStringToObject(scores, "detail", detail);
    free(detail);
}

static cJSON *item_json(const task_item *item, int rep, int chat, const backend_response *r,
                        runner_probes *probes)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "id", item->id);
    cJSON_AddStringToObject(json, "task", task_type_name(item->type));
    cJSON_AddNumberToObject(json, "rep", rep);
    add_timings(json, r);
    runner_add_energy(probes, json, r->start_ns, r->end_ns);
    runner_add_phase_energy(probes, json, r->start_ns, r->first_token_ns, r->end_ns);
    runner_add_counters(probes, json);
    runner_add_rss(json);
    add_confidence(json, r);
    cJSON_AddStringToObject(json, "stop_reason", backend_stop_reason_name(r->stop_reason));
    const char *text = r->text ? r->text : "";
    size_t keep = chat ? task_output_trim_chat(item, text) : task_output_trim(item, text);
    char *output = strndup(text, keep);
    char *clean = res_utf8_sanitize(output ? output : "");
    cJSON_AddStringToObject(json, "output", clean ? clean : "");
    add_scores(json, item, output ? output : "");
    free(clean);
    free(output);
    char now[32];
    res_utc_now(now, sizeof now);
    cJSON_AddStringToObject(json, "finished_utc", now);
    return json;
}

static cJSON *error_item(const task_item *item, int rep, const char *error)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "id", item->id);
    cJSON_AddStringToObject(json, "task", task_type_name(item->type));
    cJSON_AddNumberToObject(json, "rep", rep);
    cJSON_AddStringToObject(json, "stop_reason", "error");
    char *clean = res_utf8_sanitize(error);
    cJSON_AddStringToObject(json, "error", clean ? clean : "generation failed");
    free(clean);
    res_add_unavailable(json, "scores", "generation failed");
    return json;
}

int runner_measure_item(backend *b, runner_probes *probes, const task_suite *suite, const task_item *item,
                        int rep, const runner_options *o, cJSON **out, char *err, size_t err_size)
{
    if (out)
        *out = NULL;
    task_prompt prompt;
    memset(&prompt, 0, sizeof prompt);
    if (task_prompt_build(suite, item, o->n_shots, &prompt, err, err_size) != 0)
        return RUNNER_FAILED;
    backend_request req;
    fill_request(&req, item, &prompt, o, rep, b->chat_format, probes);
    backend_response resp;
    char gen_err[512] = "";
    int status = b->generate(b, &req, &resp, gen_err, sizeof gen_err);
    runner_probes_end_generation(probes);
    task_prompt_free(&prompt);
    if (status != 0) {
        if (o->stop && *o->stop)
            return RUNNER_INTERRUPTED;
        if (out)
            *out = error_item(item, rep, gen_err);
        return RUNNER_OK;
    }
    if (resp.stop_reason == BACKEND_STOP_INTERRUPTED || (o->stop && *o->stop)) {
        backend_response_free(&resp);
        return RUNNER_INTERRUPTED;
    }
    if (out) /* NULL for warm-up: nothing is built, nothing is scored */
        *out = item_json(item, rep, b->chat_format, &resp, probes);
    backend_response_free(&resp);
    return RUNNER_OK;
}

int runner_warmup(backend *b, runner_probes *probes, const task_suite *suite, const task_item *item,
                  const runner_options *o, char *err, size_t err_size)
{
    for (int w = 0; w < o->warmup; w++) {
        if (o->stop && *o->stop)
            return RUNNER_INTERRUPTED;
        int status = runner_measure_item(b, probes, suite, item, 0, o, NULL, err, err_size);
        if (status != RUNNER_OK)
            return status;
    }
    return RUNNER_OK;
}
