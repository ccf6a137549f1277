/*
 * compare_load.c — loads a results file for the decision commands and reads
 * per-item samples out of it.
 *
 * Invariants: see compare_load.h. The whole file is read into memory once
 * (results files are small: one record per item); the cJSON tree is owned by
 * res_file and freed by res_file_free().
 */
#include "results/compare_load.h"
#include "results/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_MAX_FILE_BYTES ((size_t)512 * 1024 * 1024)

int res_file_load(const char *path, res_file *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    char *text = res_read_file(path, RES_MAX_FILE_BYTES, NULL, err, err_size);
    if (!text)
        return -1;
    out->root = cJSON_Parse(text);
    free(text);
    if (!out->root) {
        snprintf(err, err_size, "%s: not valid JSON", path);
        return -1;
    }
    if (res_document_check(out->root, path, err, err_size) != 0) {
        res_file_free(out);
        return -1;
    }
    out->runs = cJSON_GetObjectItemCaseSensitive(out->root, "runs");
    const cJSON *device = cJSON_GetObjectItemCaseSensitive(out->root, "device");
    const cJSON *device_id = cJSON_GetObjectItemCaseSensitive(device, "device_id");
    if (cJSON_IsString(device_id) && device_id->valuestring[0])
        out->device_id = device_id->valuestring;
    return 0;
}

void res_file_free(res_file *file)
{
    if (!file)
        return;
    cJSON_Delete(file->root);
    file->root = NULL;
    file->runs = NULL;
    file->device_id = NULL;
}

size_t res_file_run_count(const res_file *file)
{
    return file->runs ? (size_t)cJSON_GetArraySize(file->runs) : 0;
}

const cJSON *res_file_run(const res_file *file, size_t index)
{
    return cJSON_GetArrayItem(file->runs, (int)index);
}

static const char *usable_string(const cJSON *value)
{
    if (!cJSON_IsString(value) || !value->valuestring[0] ||
        strncmp(value->valuestring, "unavailable", 11) == 0)
        return NULL;
    return value->valuestring;
}

const char *res_run_string(const cJSON *run, const char *name)
{
    return usable_string(cJSON_GetObjectItemCaseSensitive(run, name));
}

const char *res_run_model_sha256(const cJSON *run)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(run, "model");
    return usable_string(cJSON_GetObjectItemCaseSensitive(model, "sha256"));
}

const char *res_run_model_name(const cJSON *run)
{
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(run, "model");
    const char *name = usable_string(cJSON_GetObjectItemCaseSensitive(model, "name"));
    return name ? name : usable_string(cJSON_GetObjectItemCaseSensitive(model, "path"));
}

int res_run_model_identity(const cJSON *run, char *out, size_t size)
{
    const char *sha = res_run_model_sha256(run);
    const cJSON *backend = cJSON_GetObjectItemCaseSensitive(run, "backend");
    const char *model = usable_string(cJSON_GetObjectItemCaseSensitive(backend, "model"));
    const char *endpoint = usable_string(cJSON_GetObjectItemCaseSensitive(backend, "endpoint"));
    if (sha)
        snprintf(out, size, "%s", sha);
    else if (model && endpoint)
        snprintf(out, size, "remote:%s@%s", model, endpoint);
    else
        out[0] = '\0';
    return out[0] ? 0 : -1;
}

/* The schema's table of directions (results/SCHEMA.md, "Metrics in aggregates"). */
static res_direction builtin_direction(const char *metric)
{
    static const char *const higher[] = {"prefill_tps", "decode_tps", "logprob_mean", "accuracy"};
    static const char *const lower[] = {"ttft_ms", "itl_ms", "e2e_ms", "energy_j",
                                        "energy_dynamic_j", "energy_per_token_j", "power_avg_w",
                                        "rss_peak_bytes"};
    for (size_t i = 0; i < sizeof higher / sizeof higher[0]; i++)
        if (!strcmp(metric, higher[i]))
            return RES_DIRECTION_HIGHER;
    for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++)
        if (!strcmp(metric, lower[i]))
            return RES_DIRECTION_LOWER;
    return RES_DIRECTION_NONE;
}

res_direction res_metric_direction(const cJSON *run, const char *metric)
{
    const cJSON *aggregates = cJSON_GetObjectItemCaseSensitive(run, "aggregates");
    const cJSON *aggregate = cJSON_GetObjectItemCaseSensitive(aggregates, metric);
    const cJSON *better = cJSON_GetObjectItemCaseSensitive(aggregate, "better");
    if (cJSON_IsString(better)) {
        if (!strcmp(better->valuestring, "higher"))
            return RES_DIRECTION_HIGHER;
        if (!strcmp(better->valuestring, "lower"))
            return RES_DIRECTION_LOWER;
        if (!strcmp(better->valuestring, "none"))
            return RES_DIRECTION_NONE;
    }
    return builtin_direction(metric);
}

const char *res_direction_name(res_direction direction)
{
    switch (direction) {
    case RES_DIRECTION_HIGHER: return "higher";
    case RES_DIRECTION_LOWER: return "lower";
    case RES_DIRECTION_NONE: break;
    }
    return "none";
}

const char *res_run_accuracy_metric(const cJSON *run)
{
    const cJSON *aggregates = cJSON_GetObjectItemCaseSensitive(run, "aggregates");
    const cJSON *accuracy = cJSON_GetObjectItemCaseSensitive(aggregates, "accuracy");
    const char *named = usable_string(cJSON_GetObjectItemCaseSensitive(accuracy, "metric"));
    if (named)
        return named;
    /* Older or hand-written files: the suite's primary score by convention. */
    static const char *const primary[] = {"f1", "rougeL", "passed", "pass", "accuracy"};
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(run, "items");
    const cJSON *first = cJSON_GetArrayItem(items, 0);
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(first, "scores");
    for (size_t i = 0; i < sizeof primary / sizeof primary[0]; i++)
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(scores, primary[i])))
            return primary[i];
    return NULL;
}

int res_item_number(const cJSON *item, const char *field, double *value)
{
    const cJSON *number = cJSON_GetObjectItemCaseSensitive(item, field);
    if (!cJSON_IsNumber(number))
        return -1;
    *value = number->valuedouble;
    return 0;
}

int res_item_accuracy(const cJSON *run, const cJSON *item, double *value)
{
    const char *metric = res_run_accuracy_metric(run);
    if (!metric)
        return -1;
    return res_item_number(cJSON_GetObjectItemCaseSensitive(item, "scores"), metric, value);
}

/* Values one item contributes: 1, or the length of an array field such as itl_ms. */
static size_t item_capacity(const cJSON *item, const char *metric)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, metric);
    return cJSON_IsArray(value) ? (size_t)cJSON_GetArraySize(value) : 1;
}

/* Appends the numbers of an array field (pooled, as the schema's itl_ms aggregate). */
static int add_array(const cJSON *array, res_samples *out)
{
    const cJSON *value;
    size_t before = out->n;
    cJSON_ArrayForEach(value, array)
        if (cJSON_IsNumber(value))
            out->values[out->n++] = value->valuedouble;
    return out->n > before ? 0 : -1;
}

int res_run_samples(const cJSON *run, const char *metric, res_samples *out, char *err,
                    size_t err_size)
{
    memset(out, 0, sizeof *out);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(run, "items");
    if (!cJSON_IsArray(items)) {
        snprintf(err, err_size, "run has no \"items\" array");
        return -1;
    }
    size_t capacity = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
        capacity += item_capacity(item, metric);
    out->values = malloc((capacity ? capacity : 1) * sizeof *out->values);
    if (!out->values) {
        snprintf(err, err_size, "out of memory reading %s samples", metric);
        return -1;
    }
    int is_accuracy = !strcmp(metric, "accuracy");
    cJSON_ArrayForEach(item, items) {
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(item, metric);
        double value;
        int status;
        if (cJSON_IsArray(field)) {
            status = add_array(field, out);
        } else {
            status = is_accuracy ? res_item_accuracy(run, item, &value)
                                 : res_item_number(item, metric, &value);
            if (status == 0)
                out->values[out->n++] = value;
        }
        if (status != 0)
            out->skipped++;
    }
    return 0;
}
