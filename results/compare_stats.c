/*
 * compare_stats.c — order statistics, bootstrap, Mann–Whitney U, McNemar.
 *
 * Invariants: see compare_stats.h. Everything is deterministic for a given
 * seed; allocations are freed on every path; inputs stay untouched.
 */
#include "results/compare_stats.h"
#include "results/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void res_rng_seed(res_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t res_rng_next(res_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

size_t res_rng_below(res_rng *rng, size_t bound)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do
        x = res_rng_next(rng);
    while (x >= limit);
    return (size_t)(x % bound);
}

double res_quantile(const double *values, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double *copy = res_sorted_copy(values, n);
    if (!copy)
        return NAN;
    double result = res_percentile_sorted(copy, n, q);
    free(copy);
    return result;
}

double res_median(const double *values, size_t n)
{
    return res_quantile(values, n, 0.5);
}

double res_coefficient_of_variation(const double *values, size_t n)
{
    if (n < 2)
        return NAN;
    double mean = res_mean(values, n);
    if (mean == 0)
        return NAN;
    return res_sd(values, n) / fabs(mean);
}

static int check_finite(const double *values, size_t n, const char *what, char *err,
                        size_t err_size)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i])) {
            snprintf(err, err_size, "%s sample %zu is not a finite number", what, i);
            return -1;
        }
    return 0;
}

static double resampled_median(const double *values, size_t n, double *scratch, res_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = values[res_rng_below(rng, n)];
    qsort(scratch, n, sizeof *scratch, res_compare_doubles);
    return res_percentile_sorted(scratch, n, 0.5);
}

static double relative_change_percent(double base, double new_value)
{
    return 100.0 * (new_value - base) / fabs(base);
}

static int check_bootstrap_args(int iterations, double level, char *err, size_t err_size)
{
    if (iterations < 100 || level <= 0 || level >= 1) {
        snprintf(err, err_size, "bootstrap needs >= 100 iterations and 0 < level < 1");
        return -1;
    }
    return 0;
}

static void interval_from_draws(double *draws, int iterations, double level, res_interval *out)
{
    qsort(draws, (size_t)iterations, sizeof *draws, res_compare_doubles);
    out->low = res_percentile_sorted(draws, (size_t)iterations, (1 - level) / 2);
    out->high = res_percentile_sorted(draws, (size_t)iterations, 1 - (1 - level) / 2);
}

int res_bootstrap_median_change(const double *base, size_t n_base, const double *new_values,
                                size_t n_new, int iterations, double level, uint64_t seed,
                                res_interval *out, char *err, size_t err_size)
{
    if (n_base == 0 || n_new == 0) {
        snprintf(err, err_size, "bootstrap needs samples in both groups");
        return -1;
    }
    if (check_bootstrap_args(iterations, level, err, err_size) ||
        check_finite(base, n_base, "base", err, err_size) ||
        check_finite(new_values, n_new, "new", err, err_size))
        return -1;
    double base_median = res_median(base, n_base);
    if (base_median == 0) {
        snprintf(err, err_size, "base median is 0: a relative change is undefined");
        return -1;
    }
    double *scratch = malloc((n_base > n_new ? n_base : n_new) * sizeof *scratch);
    double *draws = malloc((size_t)iterations * sizeof *draws);
    if (!scratch || !draws) {
        free(scratch);
        free(draws);
        snprintf(err, err_size, "out of memory in bootstrap");
        return -1;
    }
    res_rng rng;
    res_rng_seed(&rng, seed);
    for (int i = 0; i < iterations; i++) {
        double b = resampled_median(base, n_base, scratch, &rng);
        double n = resampled_median(new_values, n_new, scratch, &rng);
        /* A resampled base median of 0 cannot happen unless the base median can
         * be 0; guard anyway so no inf enters the sort. */
        draws[i] = b == 0 ? 0 : relative_change_percent(b, n);
    }
    out->estimate = relative_change_percent(base_median, res_median(new_values, n_new));
    interval_from_draws(draws, iterations, level, out);
    free(scratch);
    free(draws);
    return 0;
}

int res_bootstrap_paired_mean_difference(const double *base, const double *new_values, size_t n,
                                         int iterations, double level, uint64_t seed,
                                         res_interval *out, char *err, size_t err_size)
{
    if (n == 0) {
        snprintf(err, err_size, "paired bootstrap needs at least one pair");
        return -1;
    }
    if (check_bootstrap_args(iterations, level, err, err_size) ||
        check_finite(base, n, "base", err, err_size) ||
        check_finite(new_values, n, "new", err, err_size))
        return -1;
    double *draws = malloc((size_t)iterations * sizeof *draws);
    if (!draws) {
        snprintf(err, err_size, "out of memory in bootstrap");
        return -1;
    }
    res_rng rng;
    res_rng_seed(&rng, seed);
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += new_values[i] - base[i];
    for (int it = 0; it < iterations; it++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = res_rng_below(&rng, n);
            sum += new_values[k] - base[k];
        }
        draws[it] = sum / (double)n;
    }
    out->estimate = total / (double)n;
    interval_from_draws(draws, iterations, level, out);
    free(draws);
    return 0;
}

typedef struct ranked_value {
    double value;
    int from_new;
} ranked_value;

static int compare_ranked(const void *a, const void *b)
{
    return res_compare_doubles(&((const ranked_value *)a)->value, &((const ranked_value *)b)->value);
}

/* Sum of average ranks of the new sample; *tie_term gets sum(t^3 - t). */
static double rank_sum_of_new(ranked_value *pooled, size_t total, double *tie_term)
{
    qsort(pooled, total, sizeof *pooled, compare_ranked);
    double rank_sum = 0;
    *tie_term = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i;
        while (j + 1 < total && pooled[j + 1].value == pooled[i].value)
            j++;
        double tied = (double)(j - i + 1);
        double average_rank = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            if (pooled[k].from_new)
                rank_sum += average_rank;
        *tie_term += tied * tied * tied - tied;
        i = j + 1;
    }
    return rank_sum;
}

int res_mann_whitney(const double *base, size_t n_base, const double *new_values, size_t n_new,
                     res_mann_whitney_result *out, char *err, size_t err_size)
{
    if (n_base < 2 || n_new < 2) {
        snprintf(err, err_size, "Mann-Whitney U needs at least 2 samples per group (have %zu and %zu)",
                 n_base, n_new);
        return -1;
    }
    if (check_finite(base, n_base, "base", err, err_size) ||
        check_finite(new_values, n_new, "new", err, err_size))
        return -1;
    size_t total = n_base + n_new;
    ranked_value *pooled = malloc(total * sizeof *pooled);
    if (!pooled) {
        snprintf(err, err_size, "out of memory in Mann-Whitney U");
        return -1;
    }
    for (size_t i = 0; i < n_base; i++)
        pooled[i] = (ranked_value){base[i], 0};
    for (size_t i = 0; i < n_new; i++)
        pooled[n_base + i] = (ranked_value){new_values[i], 1};
    double tie_term;
    double rank_sum = rank_sum_of_new(pooled, total, &tie_term);
    free(pooled);

    double n1 = (double)n_new, n2 = (double)n_base, n = (double)total;
    out->u_new = rank_sum - n1 * (n1 + 1) / 2;
    double mean_u = n1 * n2 / 2;
    double variance = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
    out->all_tied = variance <= 0;
    if (out->all_tied) {
        out->z = 0;
        out->p_value = 1;
        return 0;
    }
    double deviation = out->u_new - mean_u;
    double corrected = fabs(deviation) > 0.5 ? fabs(deviation) - 0.5 : 0;
    out->z = (deviation < 0 ? -corrected : corrected) / sqrt(variance);
    out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    if (out->p_value > 1)
        out->p_value = 1;
    return 0;
}

static int compare_abs(const void *a, const void *b)
{
    double x = fabs(*(const double *)a), y = fabs(*(const double *)b);
    return (x > y) - (x < y);
}

int res_wilcoxon_signed_rank(const double *differences, size_t n, res_wilcoxon_result *out,
                             char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->p_value = 1;
    if (check_finite(differences, n, "difference", err, err_size) != 0)
        return -1;
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) {
        snprintf(err, err_size, "out of memory in Wilcoxon signed-rank");
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (differences[i] != 0)
            d[m++] = differences[i];
    qsort(d, m, sizeof *d, compare_abs);
    double tie_term = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j + 1 < m && fabs(d[j + 1]) == fabs(d[i]))
            j++;
        double tied = (double)(j - i + 1), rank = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            out->w_plus += d[k] > 0 ? rank : 0;
        tie_term += tied * tied * tied - tied;
        i = j + 1;
    }
    free(d);
    out->n_used = m;
    double nm = (double)m;
    double variance = nm * (nm + 1) * (2 * nm + 1) / 24.0 - tie_term / 48.0;
    if (m == 0 || variance <= 0)
        return 0;
    double deviation = out->w_plus - nm * (nm + 1) / 4.0;
    double corrected = fabs(deviation) > 0.5 ? fabs(deviation) - 0.5 : 0;
    out->z = (deviation < 0 ? -corrected : corrected) / sqrt(variance);
    out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    if (out->p_value > 1)
        out->p_value = 1;
    return 0;
}

int res_bootstrap_median_ratio(const double *base, const double *new_values, size_t n,
                               int iterations, double level, uint64_t seed, res_interval *out,
                               char *err, size_t err_size)
{
    if (n == 0) {
        snprintf(err, err_size, "ratio bootstrap needs at least one pair");
        return -1;
    }
    if (check_bootstrap_args(iterations, level, err, err_size) != 0)
        return -1;
    double *ratios = malloc(n * sizeof *ratios);
    double *scratch = malloc(n * sizeof *scratch);
    double *draws = malloc((size_t)iterations * sizeof *draws);
    int status = ratios && scratch && draws ? 0 : -1;
    if (status != 0)
        snprintf(err, err_size, "out of memory in bootstrap");
    for (size_t i = 0; status == 0 && i < n; i++) {
        if (!(base[i] > 0) || !(new_values[i] > 0) || !isfinite(base[i]) || !isfinite(new_values[i])) {
            snprintf(err, err_size, "pair %zu: ratios need positive finite values", i);
            status = -1;
        } else {
            ratios[i] = new_values[i] / base[i];
        }
    }
    if (status == 0) {
        res_rng rng;
        res_rng_seed(&rng, seed);
        for (int it = 0; it < iterations; it++)
            draws[it] = 100.0 * (resampled_median(ratios, n, scratch, &rng) - 1);
        out->estimate = 100.0 * (res_median(ratios, n) - 1);
        interval_from_draws(draws, iterations, level, out);
    }
    free(ratios);
    free(scratch);
    free(draws);
    return status;
}

double res_mcnemar_exact(size_t only_base, size_t only_new)
{
    size_t n = only_base + only_new;
    if (n == 0)
        return 1;
    size_t k_max = only_base < only_new ? only_base : only_new;
    double tail = 0;
    for (size_t k = 0; k <= k_max; k++) {
        double log_term = lgamma((double)n + 1) - lgamma((double)k + 1) -
                          lgamma((double)(n - k) + 1) - (double)n * log(2.0);
        tail += exp(log_term);
    }
    double p = 2 * tail;
    return p > 1 ? 1 : p;
}
