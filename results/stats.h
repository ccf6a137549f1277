/*
 * stats.h — summary statistics for results aggregates: mean, median, p90, p99,
 * sample standard deviation and a reproducible 95% bootstrap confidence
 * interval of the mean.
 *
 * Invariants:
 *  - Percentiles interpolate linearly between closest ranks at p = (n-1)*q
 *    (numpy's default), so hand-computed values match exactly.
 *  - The bootstrap uses its own xorshift64* generator seeded with
 *    RES_BOOTSTRAP_SEED: the same input always gives the same interval. No
 *    global state; inputs are never modified (functions sort a copy).
 */
#ifndef RES_STATS_H
#define RES_STATS_H

#include <stddef.h>
#include <stdint.h>

#define RES_BOOTSTRAP_SEED 20240601ULL
#define RES_BOOTSTRAP_RESAMPLES 2000

typedef struct res_summary {
    size_t n;
    double mean, median, p90, p99, sd, min, max;
    double ci95_low, ci95_high;
} res_summary;

/* qsort comparator for doubles, ascending (NaN-free input). */
int res_compare_doubles(const void *a, const void *b);
/* A malloc'd ascending copy of values[0..n) (the input stays untouched); NULL on OOM. */
double *res_sorted_copy(const double *values, size_t n);
/* q in [0,1] over sorted[0..n); n must be > 0. */
double res_percentile_sorted(const double *sorted, size_t n, double q);
double res_mean(const double *values, size_t n);
double res_sd(const double *values, size_t n); /* n-1 denominator; 0 when n < 2 */
/* 95% percentile-bootstrap CI of the mean. n == 1 gives [v, v]. Returns -1 on
 * allocation failure or n == 0. */
int res_bootstrap_ci95(const double *values, size_t n, uint64_t seed, int resamples,
                       double *low, double *high);
/* Everything at once. Returns -1 when n == 0 or on allocation failure. */
int res_summarize(const double *values, size_t n, res_summary *out);

#endif
