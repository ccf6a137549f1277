/*
 * compare.h — the regression gate: compares two results files metric by
 * metric and decides, for each, whether the new run regressed.
 *
 * Method (per pair of matching runs, per metric):
 *  - performance metrics: relative change of the median with a percentile
 *    bootstrap interval (fixed seed), two-sided Mann–Whitney U on the per-item
 *    values. A regression is p < alpha AND a change in the worse direction
 *    beyond threshold_pct.
 *  - accuracy: items paired by (id, rep); the change of the mean score in
 *    points with a paired bootstrap interval; the exact McNemar test when all
 *    scores are 0/1, otherwise "significant" means the interval excludes 0.
 *    A regression is significant AND a drop beyond accuracy_threshold_points.
 *  - with options.paired (suite runs: the same items in both files), performance
 *    metrics are compared per item instead: Wilcoxon signed-rank on
 *    log(new/base), change = median per-item ratio - 1 with a bootstrap over
 *    the pairs, noise = sd of the log ratios; without two positive pairs the
 *    unpaired method is used and the row says so.
 *  - a metric whose coefficient of variation exceeds max_cv in either file is
 *    marked noisy and not judged; it never counts as a pass or a regression
 *    silently (the verdict says "noisy").
 *
 * Invariants: runs are compared only when device_id, model identity (sha256,
 * or model@endpoint for a remote model) and run_key agree, unless
 * options.force; every disagreement is recorded as a reason. Runs that are
 * not "complete" are compared but warned about.
 * No global state; the comparison owns its rows.
 */
#ifndef RES_COMPARE_H
#define RES_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "results/compare_load.h"
#include "results/compare_stats.h"

#define RES_COMPARE_MAX_METRICS 32
#define RES_COMPARE_MAX_REASONS 16

typedef struct res_compare_options {
    const char *metrics[RES_COMPARE_MAX_METRICS]; /* empty: the default set */
    size_t n_metrics;
    double threshold_pct;              /* default 5 */
    double accuracy_threshold_points;  /* default 2 (points of a 0..100 scale) */
    double alpha;                      /* default 0.05 */
    double max_cv;                     /* default 0.25 */
    int force;
    int paired;                        /* performance metrics per item (Wilcoxon) */
    int iterations;                    /* bootstrap resamples, default 2000 */
    uint64_t seed;                     /* default RES_COMPARE_SEED */
} res_compare_options;

#define RES_COMPARE_SEED 20240601ULL

void res_compare_default_options(res_compare_options *options);

typedef enum res_verdict {
    RES_VERDICT_NO_CHANGE = 0,   /* not significant */
    RES_VERDICT_WITHIN_THRESHOLD,/* significant but smaller than the threshold */
    RES_VERDICT_IMPROVED,
    RES_VERDICT_REGRESSED,
    RES_VERDICT_NOISY,           /* CV above max_cv: not judged */
    RES_VERDICT_INSUFFICIENT,    /* fewer than 2 values on a side */
    RES_VERDICT_UNAVAILABLE,     /* the metric is absent/unavailable in a file */
    RES_VERDICT_INFORMATIONAL    /* no better direction: reported, never judged */
} res_verdict;

const char *res_verdict_name(res_verdict verdict);

typedef struct res_metric_comparison {
    char run_label[160];
    char metric[48];
    res_direction direction;
    size_t n_base, n_new;
    double center_base, center_new; /* medians; mean score for accuracy */
    res_interval change;            /* percent for metrics, points for accuracy */
    int change_in_points;
    double p_value;                 /* NaN when the test has no p-value */
    const char *test;               /* "Mann-Whitney U", "McNemar exact", "paired bootstrap" */
    double cv_base, cv_new;
    res_verdict verdict;
    char note[200];
} res_metric_comparison;

typedef struct res_comparison {
    res_metric_comparison *rows;
    size_t n_rows, capacity;
    char reasons[RES_COMPARE_MAX_REASONS][400]; /* why the files are not comparable */
    size_t n_reasons;
    char warnings[RES_COMPARE_MAX_REASONS][256]; /* e.g. a run that is not complete */
    size_t n_warnings;
    int forced;            /* reasons exist and --force overrode them */
    size_t n_regressions;
    size_t n_noisy;
    res_compare_options options;
} res_comparison;

/*
 * Returns 0 when compared (rows filled), 1 when refused (reasons filled, no
 * rows), -1 on error (err filled).
 */
int res_compare_files(const res_file *base, const res_file *new_file,
                      const res_compare_options *options, res_comparison *out, char *err,
                      size_t err_size);
void res_comparison_free(res_comparison *comparison);

/* Outputs (results/compare_output.c). Files are written atomically. */
void res_compare_print_text(const res_comparison *comparison, const char *base_path,
                            const char *new_path, void *stream /* FILE * */);
int res_compare_write_markdown(const res_comparison *comparison, const char *base_path,
                               const char *new_path, const char *out_path, char *err,
                               size_t err_size);
int res_compare_write_junit(const res_comparison *comparison, const char *out_path, char *err,
                            size_t err_size);

#endif
