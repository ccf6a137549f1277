/*
 * route.c — loads local (and cloud) items, sweeps the confidence threshold,
 * picks the cheapest threshold that meets the target accuracy, and draws the
 * curve. Model and formulas: route.h.
 *
 * Invariants: see route.h. Thresholds are the distinct confidence values, so
 * every possible split of the items is visited exactly once.
 */
#include "reports/route.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/compare_stats.h"
#include "results/compare_write.h"
#include "results/results.h"

static const cJSON *find_cloud_item(const res_file *cloud, const cJSON *local_item,
                                    const cJSON **cloud_run)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(local_item, "id");
    double rep = 0;
    res_item_number(local_item, "rep", &rep);
    for (size_t r = 0; cJSON_IsString(id) && r < res_file_run_count(cloud); r++) {
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(res_file_run(cloud, r), "items")) {
            const cJSON *other = cJSON_GetObjectItemCaseSensitive(item, "id");
            double other_rep = 0;
            res_item_number(item, "rep", &other_rep);
            if (cJSON_IsString(other) && !strcmp(other->valuestring, id->valuestring) &&
                other_rep == rep) {
                *cloud_run = res_file_run(cloud, r);
                return item;
            }
        }
    }
    return NULL;
}

static int fill_cloud(const res_file *cloud, const cJSON *local_item, rep_route_item *item,
                      rep_route_inputs *out, char *err, size_t err_size)
{
    const cJSON *cloud_run = NULL;
    const cJSON *cloud_item = find_cloud_item(cloud, local_item, &cloud_run);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(local_item, "id");
    const char *name = cJSON_IsString(id) ? id->valuestring : "?";
    if (!cloud_item || res_item_accuracy(cloud_run, cloud_item, &item->cloud_score) != 0 ||
        res_item_number(cloud_item, "e2e_ms", &item->cloud_ms) != 0) {
        snprintf(err, err_size, "%s: item %s has no scored counterpart with e2e_ms", cloud->path,
                 name);
        return -1;
    }
    double prompt, completion;
    if (res_item_number(cloud_item, "prompt_tokens", &prompt) == 0 &&
        res_item_number(cloud_item, "generated_tokens", &completion) == 0) {
        item->prompt_tokens = prompt;
        item->completion_tokens = completion;
    } else {
        out->tokens_estimated = 1; /* keep the local counts already filled in */
    }
    return 0;
}

static int fill_item(const cJSON *run, const cJSON *local_item, const res_file *cloud,
                     double cloud_accuracy, double cloud_latency_ms, rep_route_inputs *out,
                     char *err, size_t err_size)
{
    rep_route_item *item = &out->items[out->n];
    memset(item, 0, sizeof *item);
    if (res_item_accuracy(run, local_item, &item->local_score) != 0) {
        out->n_unscored++;
        return 0;
    }
    item->has_confidence = res_item_number(local_item, "logprob_mean", &item->confidence) == 0;
    if (res_item_number(local_item, "e2e_ms", &item->local_ms) != 0)
        item->local_ms = NAN;
    if (res_item_number(local_item, "energy_j", &item->local_energy_j) != 0) {
        item->local_energy_j = 0;
        out->n_no_energy++;
    }
    res_item_number(local_item, "prompt_tokens", &item->prompt_tokens);
    res_item_number(local_item, "generated_tokens", &item->completion_tokens);
    if (cloud) {
        if (fill_cloud(cloud, local_item, item, out, err, err_size) != 0)
            return -1;
    } else {
        item->cloud_score = cloud_accuracy;
        item->cloud_ms = cloud_latency_ms;
        out->tokens_estimated = 1;
    }
    out->n++;
    return 0;
}

static int selected(const cJSON *run, const char *run_id)
{
    const char *id = res_run_string(run, "run_id");
    return !run_id || (id && !strcmp(id, run_id));
}

/* Every selected run must be of the same model; at least one must be selected. */
static int check_runs(const res_file *local, const char *run_id, char *err, size_t err_size)
{
    char first[400] = "", identity[400];
    size_t n_selected = 0;
    for (size_t r = 0; r < res_file_run_count(local); r++) {
        const cJSON *run = res_file_run(local, r);
        if (!selected(run, run_id))
            continue;
        res_run_model_identity(run, identity, sizeof identity);
        if (n_selected++ == 0)
            snprintf(first, sizeof first, "%s", identity);
        else if (strcmp(first, identity) != 0) {
            snprintf(err, err_size, "%s: runs of different models (%.60s, %.60s): choose one with --run RUN_ID",
                     local->path, first, identity);
            return -1;
        }
    }
    if (n_selected == 0) {
        snprintf(err, err_size, "%s: no run%s%s", local->path, run_id ? " with run_id " : "s",
                 run_id ? run_id : "");
        return -1;
    }
    return 0;
}

int rep_route_load(const res_file *local, const char *run_id, const res_file *cloud,
                   double cloud_accuracy, double cloud_latency_ms, rep_route_inputs *out,
                   char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (check_runs(local, run_id, err, err_size) != 0)
        return -1;
    out->cloud_per_item = cloud != NULL;
    size_t capacity = 0;
    for (size_t r = 0; r < res_file_run_count(local); r++)
        capacity += (size_t)cJSON_GetArraySize(
            cJSON_GetObjectItemCaseSensitive(res_file_run(local, r), "items"));
    out->items = malloc((capacity ? capacity : 1) * sizeof *out->items);
    if (!out->items) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (size_t r = 0; r < res_file_run_count(local); r++) {
        const cJSON *run = res_file_run(local, r), *item;
        if (!selected(run, run_id))
            continue;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items"))
            if (fill_item(run, item, cloud, cloud_accuracy, cloud_latency_ms, out, err,
                          err_size) != 0) {
                rep_route_inputs_free(out);
                return -1;
            }
    }
    if (out->n == 0) {
        snprintf(err, err_size, "%s: no item has a score (route needs per-item accuracy)",
                 local->path);
        rep_route_inputs_free(out);
        return -1;
    }
    return 0;
}

void rep_route_inputs_free(rep_route_inputs *inputs)
{
    free(inputs->items);
    inputs->items = NULL;
    inputs->n = 0;
}

/* ---- sweep ------------------------------------------------------------------ */

static double cloud_usd(const rep_route_item *item, const rep_route_prices *prices)
{
    return (item->prompt_tokens * prices->usd_per_mtok_in +
            item->completion_tokens * prices->usd_per_mtok_out) / 1e6;
}

static double local_operating_usd(const rep_route_item *item, const rep_route_prices *prices)
{
    return item->local_energy_j / 3.6e6 * prices->electricity_usd_per_kwh;
}

static double amortized_usd(const rep_route_prices *prices)
{
    return prices->device_lifetime_queries > 0 ? prices->device_usd / prices->device_lifetime_queries
                                               : 0;
}

static void evaluate(const rep_route_inputs *in, const rep_route_prices *prices, double threshold,
                     int cloud_only, double *latency, rep_route_point *point)
{
    memset(point, 0, sizeof *point);
    point->threshold = threshold;
    point->cloud_only = cloud_only;
    double score = 0, operating = 0, hardware = 0, energy = 0;
    size_t local = 0;
    for (size_t i = 0; i < in->n; i++) {
        const rep_route_item *item = &in->items[i];
        int answered_locally = !cloud_only && item->has_confidence && item->confidence >= threshold;
        if (!cloud_only) {
            operating += local_operating_usd(item, prices);
            hardware += amortized_usd(prices);
            energy += item->local_energy_j;
        }
        local += answered_locally;
        score += answered_locally ? item->local_score : item->cloud_score;
        operating += answered_locally ? 0 : cloud_usd(item, prices);
        latency[i] = cloud_only ? item->cloud_ms
                                : item->local_ms + (answered_locally ? 0 : item->cloud_ms);
    }
    double n = (double)in->n;
    point->share_local = (double)local / n;
    point->accuracy = score / n;
    point->usd_per_1000_operating = 1000 * operating / n;
    point->usd_per_1000 = 1000 * (operating + hardware) / n;
    point->energy_j_per_query = energy / n;
    int latency_known = 1;
    for (size_t i = 0; i < in->n; i++)
        latency_known &= !isnan(latency[i]);
    /* A missing e2e_ms makes the percentiles unknown, never silently lower. */
    point->p50_ms = latency_known ? res_quantile(latency, in->n, 0.5) : NAN;
    point->p90_ms = latency_known ? res_quantile(latency, in->n, 0.9) : NAN;
}

static int compare_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Distinct confidence values, descending; returns the count. */
static size_t distinct_thresholds(const rep_route_inputs *in, double *out)
{
    size_t n = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->items[i].has_confidence)
            out[n++] = in->items[i].confidence;
    qsort(out, n, sizeof *out, compare_desc);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (distinct == 0 || out[i] != out[distinct - 1])
            out[distinct++] = out[i];
    return distinct;
}

int rep_route_sweep(const rep_route_inputs *inputs, const rep_route_prices *prices,
                    rep_route_point **points, size_t *n_points, char *err, size_t err_size)
{
    double *thresholds = malloc((inputs->n + 1) * sizeof *thresholds);
    double *latency = malloc((inputs->n + 1) * sizeof *latency);
    *points = malloc((inputs->n + 1) * sizeof **points);
    if (!thresholds || !latency || !*points) {
        free(thresholds);
        free(latency);
        free(*points);
        *points = NULL;
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    size_t n = distinct_thresholds(inputs, thresholds);
    evaluate(inputs, prices, INFINITY, 1, latency, &(*points)[0]);
    for (size_t i = 0; i < n; i++)
        evaluate(inputs, prices, thresholds[i], 0, latency, &(*points)[i + 1]);
    *n_points = n + 1;
    free(thresholds);
    free(latency);
    return 0;
}

long rep_route_best(const rep_route_point *points, size_t n, double target_accuracy)
{
    long best = -1;
    for (size_t i = 0; i < n; i++)
        if (points[i].accuracy >= target_accuracy - 1e-12 &&
            (best < 0 || points[i].usd_per_1000 < points[best].usd_per_1000))
            best = (long)i;
    return best;
}

double rep_route_break_even(const rep_route_point *cloud_only, const rep_route_point *chosen,
                            double device_usd)
{
    double saving_per_query =
        (cloud_only->usd_per_1000_operating - chosen->usd_per_1000_operating) / 1000;
    return saving_per_query > 0 ? device_usd / saving_per_query : INFINITY;
}

int rep_route_chart(const rep_route_point *points, size_t n, long best, const char *out_base,
                    char *chart, size_t chart_size, char *err, size_t err_size)
{
    char *text = NULL, data_path[1100];
    size_t length = 0;
    snprintf(data_path, sizeof data_path, "%s.dat", out_base);
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", data_path);
        return -1;
    }
    fprintf(out, "# share_local accuracy usd_per_1000 p90_ms chosen\n");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%.6f %.6f %.9g %.6g %d\n", points[i].share_local, points[i].accuracy,
                points[i].usd_per_1000, points[i].p90_ms, (long)i == best);
    if (res_write_memstream_atomic(out, &text, &length, data_path, err, err_size) != 0)
        return -1;
    char body[4096];
    snprintf(body, sizeof body,
             "set title 'slmbench route: local confidence threshold sweep'\n"
             "set xlabel 'share answered locally'\nset ylabel 'accuracy'\n"
             "set y2label 'USD per 1,000 queries'\nset ytics nomirror\nset y2tics\nset grid\n"
             "set key outside below\n"
             "plot '%s' using 1:2 with linespoints title 'accuracy', \\\n"
             "     '%s' using 1:3 axes x1y2 with linespoints title 'USD / 1,000 queries', \\\n"
             "     '%s' using 1:($5 > 0 ? $2 : 1/0) with points pt 6 ps 3 lc rgb 'red' title 'chosen threshold'\n",
             data_path, data_path, data_path);
    return res_gnuplot_render(out_base, body, chart, chart_size, err, err_size);
}
