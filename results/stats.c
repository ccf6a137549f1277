/*
 * stats.c — see stats.h. Sorting is on copies; the bootstrap PRNG lives on the
 * stack of the call, so results are reproducible and thread-safe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/stats.h"

int res_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double *res_sorted_copy(const double *values, size_t n)
{
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return NULL;
    memcpy(copy, values, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, res_compare_doubles);
    return copy;
}

double res_percentile_sorted(const double *sorted, size_t n, double q)
{
    if (q <= 0 || n == 1)
        return sorted[0];
    if (q >= 1)
        return sorted[n - 1];
    double rank = (double)(n - 1) * q;
    size_t lo = (size_t)floor(rank);
    double frac = rank - (double)lo;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

double res_mean(const double *values, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    return n ? sum / (double)n : 0;
}

double res_sd(const double *values, size_t n)
{
    if (n < 2)
        return 0;
    double mean = res_mean(values, n), sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (values[i] - mean) * (values[i] - mean);
    return sqrt(sum / (double)(n - 1));
}

static uint64_t xorshift64star(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int res_bootstrap_ci95(const double *values, size_t n, uint64_t seed, int resamples,
                       double *low, double *high)
{
    if (n == 0 || resamples < 1)
        return -1;
    double *means = malloc((size_t)resamples * sizeof *means);
    if (!means)
        return -1;
    uint64_t state = seed ? seed : 1;
    for (int r = 0; r < resamples; r++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += values[xorshift64star(&state) % n];
        means[r] = sum / (double)n;
    }
    qsort(means, (size_t)resamples, sizeof *means, res_compare_doubles);
    *low = res_percentile_sorted(means, (size_t)resamples, 0.025);
    *high = res_percentile_sorted(means, (size_t)resamples, 0.975);
    free(means);
    return 0;
}

int res_summarize(const double *values, size_t n, res_summary *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return -1;
    double *sorted = res_sorted_copy(values, n);
    if (!sorted)
        return -1;
    out->n = n;
    out->mean = res_mean(values, n);
    out->sd = res_sd(values, n);
    out->median = res_percentile_sorted(sorted, n, 0.5);
    out->p90 = res_percentile_sorted(sorted, n, 0.9);
    out->p99 = res_percentile_sorted(sorted, n, 0.99);
    out->min = sorted[0];
    out->max = sorted[n - 1];
    free(sorted);
    return res_bootstrap_ci95(values, n, RES_BOOTSTRAP_SEED, RES_BOOTSTRAP_RESAMPLES,
                              &out->ci95_low, &out->ci95_high);
}
