/*
 * aggregate.c — run.aggregates from run.items (results/SCHEMA.md, AGGREGATE).
 *
 * Invariants: only numeric item values count (an "unavailable: ..." string is
 * skipped and n says how many were used); a metric with no numeric value gets
 * {"unavailable": reason}; per-item samples are kept in item order so that
 * compare can test distributions; itl_ms pools every item's latencies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"
#include "results/stats.h"

typedef struct metric_spec {
    const char *name;
    const char *unit;
    const char *better;
} metric_spec;

static const metric_spec scalar_metrics[] = {
    {"ttft_ms", "ms", "lower"},
    {"e2e_ms", "ms", "lower"},
    {"prefill_tps", "tok/s", "higher"},
    {"decode_tps", "tok/s", "higher"},
    {"energy_j", "J", "lower"},
    {"energy_dynamic_j", "J", "lower"},
    {"energy_prefill_j", "J", "lower"},
    {"energy_decode_j", "J", "lower"},
    {"power_avg_w", "W", "lower"},
    {"rss_peak_bytes", "bytes", "lower"},
    {"prompt_tokens", "tokens", "none"},
    {"generated_tokens", "tokens", "none"},
    {"logprob_mean", "nats", "higher"},
};

typedef struct value_list {
    double *values;
    size_t n, cap;
} value_list;

static int list_push(value_list *list, double v)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        double *bigger = realloc(list->values, cap * sizeof *bigger);
        if (!bigger)
            return -1;
        list->values = bigger;
        list->cap = cap;
    }
    list->values[list->n++] = v;
    return 0;
}

static cJSON *aggregate_object(const char *unit, const char *better, const value_list *list,
                               int keep_samples, const char *why_empty)
{
    cJSON *agg = cJSON_CreateObject();
    cJSON_AddStringToObject(agg, "unit", unit);
    cJSON_AddStringToObject(agg, "better", better);
    res_summary s;
    if (list->n == 0 || res_summarize(list->values, list->n, &s) != 0) {
        cJSON_AddStringToObject(agg, "unavailable", why_empty);
        return agg;
    }
    cJSON_AddNumberToObject(agg, "n", (double)s.n);
    cJSON_AddNumberToObject(agg, "mean", s.mean);
    cJSON_AddNumberToObject(agg, "median", s.median);
    cJSON_AddNumberToObject(agg, "p90", s.p90);
    cJSON_AddNumberToObject(agg, "p99", s.p99);
    cJSON_AddNumberToObject(agg, "sd", s.sd);
    cJSON_AddNumberToObject(agg, "min", s.min);
    cJSON_AddNumberToObject(agg, "max", s.max);
    cJSON_AddNumberToObject(agg, "ci95_low", s.ci95_low);
    cJSON_AddNumberToObject(agg, "ci95_high", s.ci95_high);
    char method[96];
    snprintf(method, sizeof method, "bootstrap percentile, %d resamples, seed %llu",
             RES_BOOTSTRAP_RESAMPLES, (unsigned long long)RES_BOOTSTRAP_SEED);
    cJSON_AddStringToObject(agg, "ci_method", method);
    if (keep_samples)
        cJSON_AddItemToObject(agg, "samples", cJSON_CreateDoubleArray(list->values, (int)list->n));
    return agg;
}

/* First "unavailable: ..." reason among the items for this field, for the aggregate. */
static void first_reason(const cJSON *items, const char *field, char *out, size_t size)
{
    const cJSON *item;
    snprintf(out, size, "no item has a value for %s", field);
    cJSON_ArrayForEach(item, items) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, field);
        if (res_is_unavailable(v)) {
            snprintf(out, size, "%s", v->valuestring + (strncmp(v->valuestring, "unavailable: ", 13) ? 0 : 13));
            return;
        }
    }
}

static int collect_field(const cJSON *items, const char *field, value_list *list)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, field);
        if (cJSON_IsNumber(v) && list_push(list, v->valuedouble) != 0)
            return -1;
    }
    return 0;
}

static int collect_itl(const cJSON *items, value_list *list)
{
    const cJSON *item, *v;
    cJSON_ArrayForEach(item, items) {
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(item, "itl_ms"))
            if (cJSON_IsNumber(v) && list_push(list, v->valuedouble) != 0)
                return -1;
    }
    return 0;
}

static int collect_energy_per_token(const cJSON *items, value_list *list)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(item, "energy_j");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(item, "generated_tokens");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(item, "prompt_tokens");
        double tokens = cJSON_IsNumber(g) ? g->valuedouble : 0;
        if (tokens <= 0 && cJSON_IsNumber(p))
            tokens = p->valuedouble;
        if (cJSON_IsNumber(e) && tokens > 0 && list_push(list, e->valuedouble / tokens) != 0)
            return -1;
    }
    return 0;
}

/* Every score name found in items[].scores, then one aggregate per name. */
static int add_scores(cJSON *aggregates, const cJSON *items, const char *primary)
{
    cJSON *scores = cJSON_AddObjectToObject(aggregates, "scores");
    const cJSON *item, *metric;
    cJSON_ArrayForEach(item, items) {
        cJSON_ArrayForEach(metric, cJSON_GetObjectItemCaseSensitive(item, "scores")) {
            if (!cJSON_IsNumber(metric) || cJSON_GetObjectItemCaseSensitive(scores, metric->string))
                continue;
            value_list list = {0};
            const cJSON *other;
            cJSON_ArrayForEach(other, items) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(other, "scores"), metric->string);
                if (cJSON_IsNumber(v) && list_push(&list, v->valuedouble) != 0) {
                    free(list.values);
                    return -1;
                }
            }
            cJSON_AddItemToObject(scores, metric->string,
                                  aggregate_object("score", "higher", &list, 1, "no scored item"));
            free(list.values);
        }
    }
    if (!primary)
        return 0;
    cJSON *acc = cJSON_GetObjectItemCaseSensitive(scores, primary);
    cJSON *copy = acc ? cJSON_Duplicate(acc, 1) : cJSON_CreateObject();
    if (!acc) {
        cJSON_AddStringToObject(copy, "unit", "score");
        cJSON_AddStringToObject(copy, "better", "higher");
        cJSON_AddStringToObject(copy, "unavailable", "no item was scored (see items[].scores)");
    }
    cJSON_AddStringToObject(copy, "metric", primary);
    cJSON_AddItemToObject(aggregates, "accuracy", copy);
    return 0;
}

int res_run_aggregate(cJSON *run, const char *primary_score, char *err, size_t err_size)
{
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(run, "items");
    cJSON *aggregates = cJSON_CreateObject();
    char why[256];
    int status = 0;
    for (size_t m = 0; status == 0 && m < sizeof scalar_metrics / sizeof scalar_metrics[0]; m++) {
        value_list list = {0};
        status = collect_field(items, scalar_metrics[m].name, &list);
        first_reason(items, scalar_metrics[m].name, why, sizeof why);
        cJSON_AddItemToObject(aggregates, scalar_metrics[m].name,
                              aggregate_object(scalar_metrics[m].unit, scalar_metrics[m].better, &list, 1, why));
        free(list.values);
    }
    value_list itl = {0}, ept = {0};
    if (status == 0)
        status = collect_itl(items, &itl);
    if (status == 0)
        status = collect_energy_per_token(items, &ept);
    first_reason(items, "itl_ms", why, sizeof why);
    cJSON_AddItemToObject(aggregates, "itl_ms", aggregate_object("ms", "lower", &itl, 0, why));
    first_reason(items, "energy_j", why, sizeof why);
    cJSON_AddItemToObject(aggregates, "energy_per_token_j", aggregate_object("J/token", "lower", &ept, 1, why));
    free(itl.values);
    free(ept.values);
    if (status == 0)
        status = add_scores(aggregates, items, primary_score);
    if (status != 0) {
        cJSON_Delete(aggregates);
        snprintf(err, err_size, "out of memory while aggregating");
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(run, "aggregates");
    cJSON_AddItemToObject(run, "aggregates", aggregates);
    return 0;
}
