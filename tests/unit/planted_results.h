/*
 * planted_results.h — test helper (header-only, static): writes small results
 * files in the format of results/SCHEMA.md with values the test chooses, so
 * compare/history/carbon/route tests know the right answer in advance.
 *
 * Invariants: deterministic (own generator, fixed seeds); a NaN field is
 * written as "unavailable: planted" as the schema requires, never as 0.
 */
#ifndef PLANTED_RESULTS_H
#define PLANTED_RESULTS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

typedef struct planted_item {
    double decode_tps, ttft_ms, e2e_ms, energy_j, score, logprob_mean;
    double prompt_tokens, generated_tokens;
} planted_item;

typedef struct planted_run {
    const char *device_id;     /* NULL: device unavailable */
    const char *sha256;
    const char *run_key;
    const char *energy_method; /* "measured: ..." or "estimated: ..." */
    const char *created_utc;
    const char *status;        /* NULL: "complete" */
    const char *remote_model;  /* with sha256 NULL: an openai backend run of this model */
    const planted_item *items;
    size_t n_items;
} planted_run;

/* Deterministic standard normal draws (Box-Muller over splitmix64). */
static inline double planted_normal(uint64_t *state)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        u[i] = ((double)(z >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static inline void planted_number(cJSON *object, const char *name, double value)
{
    if (isnan(value))
        cJSON_AddStringToObject(object, name, "unavailable: planted");
    else
        cJSON_AddNumberToObject(object, name, value);
}

static inline cJSON *planted_item_json(const planted_item *item, size_t index, const char *method)
{
    cJSON *json = cJSON_CreateObject();
    char id[32];
    snprintf(id, sizeof id, "qa-%03zu", index);
    cJSON_AddStringToObject(json, "id", id);
    cJSON_AddStringToObject(json, "task", "qa");
    cJSON_AddNumberToObject(json, "rep", 0);
    planted_number(json, "prompt_tokens", item->prompt_tokens);
    planted_number(json, "generated_tokens", item->generated_tokens);
    planted_number(json, "decode_tps", item->decode_tps);
    planted_number(json, "ttft_ms", item->ttft_ms);
    planted_number(json, "e2e_ms", item->e2e_ms);
    planted_number(json, "energy_j", item->energy_j);
    cJSON_AddStringToObject(json, "energy_method", method ? method : "measured: planted probe");
    planted_number(json, "logprob_mean", item->logprob_mean);
    if (!isnan(item->score)) {
        cJSON *scores = cJSON_AddObjectToObject(json, "scores");
        cJSON_AddNumberToObject(scores, "exact_match", item->score);
        cJSON_AddNumberToObject(scores, "f1", item->score);
    }
    return json;
}

static inline cJSON *planted_run_json(const planted_run *run)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "run_id", "r0001");
    cJSON_AddStringToObject(json, "run_key", run->run_key);
    cJSON_AddStringToObject(json, "kind", "suite");
    cJSON_AddStringToObject(json, "status", run->status ? run->status : "complete");
    cJSON *model = cJSON_AddObjectToObject(json, "model");
    cJSON_AddStringToObject(model, "name", "planted-model");
    cJSON_AddStringToObject(model, "sha256", run->sha256 ? run->sha256 : "unavailable: remote model");
    if (run->remote_model) {
        cJSON *backend = cJSON_AddObjectToObject(json, "backend");
        cJSON_AddStringToObject(backend, "name", "openai");
        cJSON_AddStringToObject(backend, "model", run->remote_model);
        cJSON_AddStringToObject(backend, "endpoint", "http://127.0.0.1:8080/v1");
    }
    cJSON *aggregates = cJSON_AddObjectToObject(json, "aggregates");
    cJSON *accuracy = cJSON_AddObjectToObject(aggregates, "accuracy");
    cJSON_AddStringToObject(accuracy, "metric", "f1");
    cJSON *items = cJSON_AddArrayToObject(json, "items");
    for (size_t i = 0; i < run->n_items; i++)
        cJSON_AddItemToArray(items, planted_item_json(&run->items[i], i, run->energy_method));
    return json;
}

/* Writes a one-run results file; returns 0 on success. */
static inline int planted_write(const char *path, const planted_run *run)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "slmbench.results");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "created_utc",
                            run->created_utc ? run->created_utc : "2026-11-25T15:00:00Z");
    cJSON_AddStringToObject(root, "status", "complete");
    cJSON *tool = cJSON_AddObjectToObject(root, "tool");
    cJSON_AddStringToObject(tool, "git_commit", "planted");
    cJSON *device = cJSON_AddObjectToObject(root, "device");
    if (run->device_id)
        cJSON_AddStringToObject(device, "device_id", run->device_id);
    else
        cJSON_AddStringToObject(device, "unavailable", "planted");
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    cJSON_AddItemToArray(runs, planted_run_json(run));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = text ? fopen(path, "w") : NULL;
    int status = f && fputs(text, f) >= 0 ? 0 : -1;
    if (f && fclose(f) != 0)
        status = -1;
    free(text);
    return status;
}

/* A private directory for one test's files: "/tmp/slm_<tag>_XXXXXX". */
static inline int planted_tempdir(char *dir, size_t size, const char *tag)
{
    snprintf(dir, size, "/tmp/slm_%s_XXXXXX", tag);
    return mkdtemp(dir) ? 0 : -1;
}

#endif
