/*
 * compare.c — pairs the runs of two results files, checks they are
 * comparable, and judges each metric (method in compare.h).
 *
 * Invariants: a refused comparison has reasons and no rows; every row has a
 * verdict; the default metric set skips silently nothing: a metric that is
 * unavailable in a file gets an "unavailable" row with the reason.
 */
#include "results/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/stats.h"

static const char *const default_metrics[] = {"decode_tps", "prefill_tps", "ttft_ms", "e2e_ms",
                                              "energy_j", "rss_peak_bytes", "accuracy"};

void res_compare_default_options(res_compare_options *options)
{
    memset(options, 0, sizeof *options);
    options->threshold_pct = 5;
    options->accuracy_threshold_points = 2;
    options->alpha = 0.05;
    options->max_cv = 0.25;
    options->iterations = 2000;
    options->seed = RES_COMPARE_SEED;
}

const char *res_verdict_name(res_verdict verdict)
{
    switch (verdict) {
    case RES_VERDICT_NO_CHANGE: return "no significant change";
    case RES_VERDICT_WITHIN_THRESHOLD: return "within threshold";
    case RES_VERDICT_IMPROVED: return "improved";
    case RES_VERDICT_REGRESSED: return "REGRESSION";
    case RES_VERDICT_NOISY: return "noisy: not judged";
    case RES_VERDICT_INSUFFICIENT: return "too few samples";
    case RES_VERDICT_UNAVAILABLE: return "unavailable";
    case RES_VERDICT_INFORMATIONAL: return "informational";
    }
    return "unknown";
}

static void add_reason(res_comparison *out, const char *format, const char *a, const char *b,
                       const char *c)
{
    if (out->n_reasons < RES_COMPARE_MAX_REASONS)
        snprintf(out->reasons[out->n_reasons++], sizeof out->reasons[0], format, a, b, c);
}

static const char *or_unknown(const char *value)
{
    return value ? value : "unknown";
}

static int strings_match(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

static void check_devices(const res_file *base, const res_file *new_file, res_comparison *out)
{
    if (!strings_match(base->device_id, new_file->device_id))
        add_reason(out, "different devices: device_id %s in base, %s in new%s",
                   or_unknown(base->device_id), or_unknown(new_file->device_id),
                   base->device_id && new_file->device_id ? "" : " (unknown counts as different)");
}

static const char *model_identity(const cJSON *run, char *buffer, size_t size)
{
    return res_run_model_identity(run, buffer, size) == 0 ? buffer : NULL;
}

static void check_status(const cJSON *run, const char *which, res_comparison *out)
{
    const char *status = res_run_string(run, "status");
    if (status && strcmp(status, "complete") != 0 && out->n_warnings < RES_COMPARE_MAX_REASONS)
        snprintf(out->warnings[out->n_warnings++], sizeof out->warnings[0],
                 "%s run %s has status \"%s\": it may hold fewer items", which,
                 or_unknown(res_run_string(run, "run_id")), status);
}

static void check_run_pair(const cJSON *base_run, const cJSON *new_run, res_comparison *out)
{
    const char *base_key = res_run_string(base_run, "run_key");
    const char *new_key = res_run_string(new_run, "run_key");
    char base_buffer[400], new_buffer[400];
    const char *base_sha = model_identity(base_run, base_buffer, sizeof base_buffer);
    const char *new_sha = model_identity(new_run, new_buffer, sizeof new_buffer);
    check_status(base_run, "base", out);
    check_status(new_run, "new", out);
    if (!strings_match(base_sha, new_sha))
        add_reason(out, "different models: %.100s in base, %.100s in new (run %.40s)",
                   or_unknown(base_sha), or_unknown(new_sha), or_unknown(base_key));
    if (!strings_match(base_key, new_key))
        add_reason(out, "different configs: run_key \"%s\" in base, \"%s\" in new%s",
                   or_unknown(base_key), or_unknown(new_key), "");
}

/* The new run with the same run_key and model, else the one at the same index. */
static const cJSON *matching_run(const res_file *new_file, const cJSON *base_run, size_t index)
{
    const char *key = res_run_string(base_run, "run_key");
    char sha_buffer[400], candidate_buffer[400];
    const char *sha = model_identity(base_run, sha_buffer, sizeof sha_buffer);
    for (size_t j = 0; j < res_file_run_count(new_file); j++) {
        const cJSON *candidate = res_file_run(new_file, j);
        if (strings_match(key, res_run_string(candidate, "run_key")) &&
            strings_match(sha, model_identity(candidate, candidate_buffer, sizeof candidate_buffer)))
            return candidate;
    }
    return index < res_file_run_count(new_file) ? res_file_run(new_file, index) : NULL;
}

static int add_row(res_comparison *out, res_metric_comparison **row, char *err, size_t err_size)
{
    if (out->n_rows == out->capacity) {
        size_t capacity = out->capacity ? out->capacity * 2 : 16;
        res_metric_comparison *rows = realloc(out->rows, capacity * sizeof *rows);
        if (!rows) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        out->rows = rows;
        out->capacity = capacity;
    }
    *row = &out->rows[out->n_rows++];
    memset(*row, 0, sizeof **row);
    (*row)->p_value = NAN;
    (*row)->center_base = (*row)->center_new = NAN;
    (*row)->cv_base = NAN;
    (*row)->cv_new = NAN;
    (*row)->change.estimate = (*row)->change.low = (*row)->change.high = NAN;
    return 0;
}

/* Worse-direction sign: +1 when an increase is worse, -1 when a decrease is. */
static double worse_sign(res_direction direction)
{
    return direction == RES_DIRECTION_LOWER ? 1.0 : -1.0;
}

static res_verdict judge(res_direction direction, double change, double limit, int significant)
{
    if (direction == RES_DIRECTION_NONE)
        return RES_VERDICT_INFORMATIONAL;
    if (!significant)
        return RES_VERDICT_NO_CHANGE;
    if (fabs(change) <= limit)
        return RES_VERDICT_WITHIN_THRESHOLD;
    return change * worse_sign(direction) > 0 ? RES_VERDICT_REGRESSED : RES_VERDICT_IMPROVED;
}

static int judge_samples(res_metric_comparison *row, const res_samples *base,
                         const res_samples *new_samples, const res_compare_options *options,
                         char *err, size_t err_size)
{
    row->center_base = res_quantile(base->values, base->n, 0.5);
    row->center_new = res_quantile(new_samples->values, new_samples->n, 0.5);
    row->cv_base = res_coefficient_of_variation(base->values, base->n);
    row->cv_new = res_coefficient_of_variation(new_samples->values, new_samples->n);
    if (base->n < 2 || new_samples->n < 2) {
        row->verdict = RES_VERDICT_INSUFFICIENT;
        snprintf(row->note, sizeof row->note, "need >= 2 values per file (have %zu and %zu)",
                 base->n, new_samples->n);
        return 0;
    }
    row->test = "Mann-Whitney U";
    res_mann_whitney_result mwu;
    if (res_mann_whitney(base->values, base->n, new_samples->values, new_samples->n, &mwu, err,
                         err_size) != 0)
        return -1;
    row->p_value = mwu.p_value;
    if (row->center_base == 0) {
        row->verdict = RES_VERDICT_INSUFFICIENT;
        snprintf(row->note, sizeof row->note, "base median is 0: relative change undefined");
        return 0;
    }
    if (res_bootstrap_median_change(base->values, base->n, new_samples->values, new_samples->n,
                                    options->iterations, 1 - options->alpha, options->seed,
                                    &row->change, err, err_size) != 0)
        return -1;
    if (row->cv_base > options->max_cv || row->cv_new > options->max_cv) {
        row->verdict = RES_VERDICT_NOISY;
        snprintf(row->note, sizeof row->note,
                 "coefficient of variation %.3f (base) / %.3f (new) above %.3f", row->cv_base,
                 row->cv_new, options->max_cv);
        return 0;
    }
    row->verdict = judge(row->direction, row->change.estimate, options->threshold_pct,
                         row->p_value < options->alpha);
    return 0;
}

static void note_skipped(res_metric_comparison *row, const res_samples *base,
                         const res_samples *new_samples)
{
    if ((base->skipped || new_samples->skipped) && !row->note[0])
        snprintf(row->note, sizeof row->note, "%zu base / %zu new items without a value skipped",
                 base->skipped, new_samples->skipped);
}

static int compare_metric(const cJSON *base_run, const cJSON *new_run, const char *metric,
                          const res_compare_options *options, res_metric_comparison *row,
                          char *err, size_t err_size)
{
    res_samples base, new_samples;
    if (res_run_samples(base_run, metric, &base, err, err_size) != 0)
        return -1;
    if (res_run_samples(new_run, metric, &new_samples, err, err_size) != 0) {
        free(base.values);
        return -1;
    }
    row->n_base = base.n;
    row->n_new = new_samples.n;
    int status = 0;
    if (base.n == 0 || new_samples.n == 0) {
        row->verdict = RES_VERDICT_UNAVAILABLE;
        snprintf(row->note, sizeof row->note, "no numeric %s in %s", metric,
                 base.n == 0 && new_samples.n == 0 ? "either file"
                 : base.n == 0                     ? "base"
                                                   : "new");
    } else {
        status = judge_samples(row, &base, &new_samples, options, err, err_size);
        if (!strcmp(metric, "itl_ms") && !row->note[0])
            snprintf(row->note, sizeof row->note, "itl_ms pools every inter-token latency; they "
                     "are not independent samples, so p is optimistic");
        note_skipped(row, &base, &new_samples);
    }
    free(base.values);
    free(new_samples.values);
    return status;
}

/* ---- accuracy: paired by (id, rep) ---------------------------------------- */

typedef struct paired_scores {
    double *base, *new_values;
    size_t n, unpaired;
    int binary;
} paired_scores;

static const cJSON *find_item(const cJSON *run, const char *id, double rep)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items")) {
        const cJSON *item_id = cJSON_GetObjectItemCaseSensitive(item, "id");
        double item_rep = 0;
        res_item_number(item, "rep", &item_rep);
        if (cJSON_IsString(item_id) && !strcmp(item_id->valuestring, id) && item_rep == rep)
            return item;
    }
    return NULL;
}

static int item_value(const cJSON *run, const cJSON *item, const char *metric, double *value)
{
    return !strcmp(metric, "accuracy") ? res_item_accuracy(run, item, value)
                                       : res_item_number(item, metric, value);
}

/* Values of `metric` for the items present in both runs, matched by (id, rep). */
static int pair_values(const cJSON *base_run, const cJSON *new_run, const char *metric,
                       paired_scores *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(base_run, "items");
    size_t count = (size_t)cJSON_GetArraySize(items);
    out->base = malloc((count ? count : 1) * sizeof *out->base);
    out->new_values = malloc((count ? count : 1) * sizeof *out->new_values);
    if (!out->base || !out->new_values)
        return -1;
    out->binary = 1;
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        double rep = 0, base_value, new_value;
        res_item_number(item, "rep", &rep);
        const cJSON *other = cJSON_IsString(id) ? find_item(new_run, id->valuestring, rep) : NULL;
        if (!other || item_value(base_run, item, metric, &base_value) != 0 ||
            item_value(new_run, other, metric, &new_value) != 0) {
            out->unpaired++;
            continue;
        }
        out->binary &= (base_value == 0 || base_value == 1) && (new_value == 0 || new_value == 1);
        out->base[out->n] = base_value;
        out->new_values[out->n++] = new_value;
    }
    return 0;
}

static int pair_scores(const cJSON *base_run, const cJSON *new_run, paired_scores *out)
{
    return pair_values(base_run, new_run, "accuracy", out);
}

/* ---- performance metrics, paired by item (--paired) ------------------------ */

static int all_positive(const paired_scores *pairs)
{
    for (size_t i = 0; i < pairs->n; i++)
        if (!(pairs->base[i] > 0) || !(pairs->new_values[i] > 0))
            return 0;
    return 1;
}

static int judge_paired(res_metric_comparison *row, const paired_scores *pairs,
                        const res_compare_options *options, char *err, size_t err_size)
{
    double *log_ratio = malloc(pairs->n * sizeof *log_ratio);
    if (!log_ratio) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < pairs->n; i++)
        log_ratio[i] = log(pairs->new_values[i] / pairs->base[i]);
    res_wilcoxon_result w;
    int status = res_wilcoxon_signed_rank(log_ratio, pairs->n, &w, err, err_size);
    row->cv_new = res_sd(log_ratio, pairs->n);
    free(log_ratio);
    if (status != 0 ||
        res_bootstrap_median_ratio(pairs->base, pairs->new_values, pairs->n, options->iterations,
                                   1 - options->alpha, options->seed, &row->change, err,
                                   err_size) != 0)
        return -1;
    row->test = "Wilcoxon signed-rank (paired)";
    row->p_value = w.p_value;
    row->center_base = res_quantile(pairs->base, pairs->n, 0.5);
    row->center_new = res_quantile(pairs->new_values, pairs->n, 0.5);
    if (row->cv_new > options->max_cv) {
        row->verdict = RES_VERDICT_NOISY;
        snprintf(row->note, sizeof row->note, "sd of per-item log ratios %.3f above %.3f",
                 row->cv_new, options->max_cv);
        return 0;
    }
    row->verdict = judge(row->direction, row->change.estimate, options->threshold_pct,
                         row->p_value < options->alpha);
    if (pairs->unpaired)
        snprintf(row->note, sizeof row->note, "%zu base items without a counterpart skipped",
                 pairs->unpaired);
    return 0;
}

/* 1 when the pairs cannot carry a paired analysis (caller falls back to unpaired). */
static int compare_metric_paired(const cJSON *base_run, const cJSON *new_run, const char *metric,
                                 const res_compare_options *options, res_metric_comparison *row,
                                 char *err, size_t err_size)
{
    paired_scores pairs;
    int status = pair_values(base_run, new_run, metric, &pairs);
    if (status != 0)
        snprintf(err, err_size, "out of memory pairing %s", metric);
    else if (pairs.n < 2 || !all_positive(&pairs))
        status = 1;
    else {
        row->n_base = row->n_new = pairs.n;
        status = judge_paired(row, &pairs, options, err, err_size);
    }
    free(pairs.base);
    free(pairs.new_values);
    return status;
}

static double mcnemar_of(const paired_scores *pairs)
{
    size_t only_base = 0, only_new = 0;
    for (size_t i = 0; i < pairs->n; i++) {
        only_base += pairs->base[i] == 1 && pairs->new_values[i] == 0;
        only_new += pairs->base[i] == 0 && pairs->new_values[i] == 1;
    }
    return res_mcnemar_exact(only_base, only_new);
}

static int judge_accuracy(res_metric_comparison *row, const paired_scores *pairs,
                          const res_compare_options *options, char *err, size_t err_size)
{
    row->change_in_points = 1;
    row->n_base = row->n_new = pairs->n;
    if (pairs->n) {
        row->center_base = res_mean(pairs->base, pairs->n);
        row->center_new = res_mean(pairs->new_values, pairs->n);
    }
    if (pairs->n < 2) {
        row->verdict = pairs->n ? RES_VERDICT_INSUFFICIENT : RES_VERDICT_UNAVAILABLE;
        snprintf(row->note, sizeof row->note, "%zu items scored in both files", pairs->n);
        return 0;
    }
    if (res_bootstrap_paired_mean_difference(pairs->base, pairs->new_values, pairs->n,
                                             options->iterations, 1 - options->alpha,
                                             options->seed, &row->change, err, err_size) != 0)
        return -1;
    row->change.estimate *= 100;
    row->change.low *= 100;
    row->change.high *= 100;
    int significant;
    if (pairs->binary) {
        row->test = "McNemar exact";
        row->p_value = mcnemar_of(pairs);
        significant = row->p_value < options->alpha;
    } else {
        row->test = "paired bootstrap";
        significant = row->change.low > 0 || row->change.high < 0;
    }
    row->verdict = judge(RES_DIRECTION_HIGHER, row->change.estimate,
                         options->accuracy_threshold_points, significant);
    if (pairs->unpaired)
        snprintf(row->note, sizeof row->note, "%zu base items without a scored counterpart skipped",
                 pairs->unpaired);
    return 0;
}

static int compare_accuracy(const cJSON *base_run, const cJSON *new_run,
                            const res_compare_options *options, res_metric_comparison *row,
                            char *err, size_t err_size)
{
    paired_scores pairs;
    int status = pair_scores(base_run, new_run, &pairs);
    if (status != 0)
        snprintf(err, err_size, "out of memory pairing accuracy scores");
    else
        status = judge_accuracy(row, &pairs, options, err, err_size);
    free(pairs.base);
    free(pairs.new_values);
    return status;
}

/* ---- driver ---------------------------------------------------------------- */

static void label_run(const cJSON *run, size_t index, char *label, size_t size)
{
    const char *key = res_run_string(run, "run_key");
    const char *id = res_run_string(run, "run_id");
    if (key)
        snprintf(label, size, "%s", key);
    else
        snprintf(label, size, "%s", id ? id : (index ? "run" : "run 0"));
}

static int compare_run_pair(const cJSON *base_run, const cJSON *new_run, size_t index,
                            res_comparison *out, char *err, size_t err_size)
{
    const res_compare_options *options = &out->options;
    size_t n_metrics = options->n_metrics ? options->n_metrics
                                          : sizeof default_metrics / sizeof default_metrics[0];
    for (size_t m = 0; m < n_metrics; m++) {
        const char *metric = options->n_metrics ? options->metrics[m] : default_metrics[m];
        res_metric_comparison *row;
        if (add_row(out, &row, err, err_size) != 0)
            return -1;
        label_run(base_run, index, row->run_label, sizeof row->run_label);
        snprintf(row->metric, sizeof row->metric, "%s", metric);
        row->direction = res_metric_direction(base_run, metric);
        int status;
        if (!strcmp(metric, "accuracy"))
            status = compare_accuracy(base_run, new_run, options, row, err, err_size);
        else {
            status = options->paired ? compare_metric_paired(base_run, new_run, metric, options,
                                                             row, err, err_size)
                                     : 1;
            if (status == 1) {
                status = compare_metric(base_run, new_run, metric, options, row, err, err_size);
                if (options->paired && status == 0 && !row->note[0])
                    snprintf(row->note, sizeof row->note,
                             "not paired (fewer than 2 item pairs or a value <= 0): unpaired test");
            }
        }
        if (status != 0)
            return -1;
        out->n_regressions += row->verdict == RES_VERDICT_REGRESSED;
        out->n_noisy += row->verdict == RES_VERDICT_NOISY;
    }
    return 0;
}

static void check_pairs(const res_file *base, const res_file *new_file, res_comparison *out)
{
    check_devices(base, new_file, out);
    if (res_file_run_count(base) == 0)
        add_reason(out, "%.200s: no runs to compare%s%s", base->path, "", "");
    if (res_file_run_count(base) != res_file_run_count(new_file)) {
        char base_count[24], new_count[24];
        snprintf(base_count, sizeof base_count, "%zu", res_file_run_count(base));
        snprintf(new_count, sizeof new_count, "%zu", res_file_run_count(new_file));
        add_reason(out, "different run sets: %s runs in base, %s in new%s", base_count, new_count,
                   "");
    }
    for (size_t i = 0; i < res_file_run_count(base); i++) {
        const cJSON *base_run = res_file_run(base, i);
        const cJSON *new_run = matching_run(new_file, base_run, i);
        if (new_run)
            check_run_pair(base_run, new_run, out);
    }
}

int res_compare_files(const res_file *base, const res_file *new_file,
                      const res_compare_options *options, res_comparison *out, char *err,
                      size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->options = *options;
    check_pairs(base, new_file, out);
    if (out->n_reasons && !options->force)
        return 1;
    out->forced = out->n_reasons > 0;
    for (size_t i = 0; i < res_file_run_count(base); i++) {
        const cJSON *base_run = res_file_run(base, i);
        const cJSON *new_run = matching_run(new_file, base_run, i);
        if (new_run && compare_run_pair(base_run, new_run, i, out, err, err_size) != 0) {
            res_comparison_free(out);
            return -1;
        }
    }
    return 0;
}

void res_comparison_free(res_comparison *comparison)
{
    free(comparison->rows);
    comparison->rows = NULL;
    comparison->n_rows = comparison->capacity = 0;
}
