/*
 * compare_stats.h — the statistics behind `slmbench compare` and `route`:
 * order statistics, dispersion, a deterministic bootstrap, the Mann–Whitney U
 * test (normal approximation with tie and continuity correction) and the
 * exact McNemar test for paired binary outcomes.
 *
 * Invariants:
 *  - No global state: the pseudo-random generator is a value the caller owns,
 *    so the same seed gives the same confidence interval on every machine.
 *  - Inputs are never modified; functions that need sorted data sort a copy.
 *  - Every function that can fail returns 0 on success and writes one line
 *    into err (err_size bytes) otherwise; NaN inputs are rejected, not ignored.
 */
#ifndef RES_COMPARE_STATS_H
#define RES_COMPARE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: small, fast, and good enough for resampling indices. */
typedef struct res_rng {
    uint64_t state;
} res_rng;

void res_rng_seed(res_rng *rng, uint64_t seed);
uint64_t res_rng_next(res_rng *rng);
/* Uniform integer in [0, bound), bound > 0 (rejection sampling, no modulo bias). */
size_t res_rng_below(res_rng *rng, size_t bound);

/* Quantile of unsorted data (interpolation as res_percentile_sorted in
 * results/stats.h); NaN for n == 0 or when a copy cannot be made. */
double res_quantile(const double *values, size_t n, double q);
double res_median(const double *values, size_t n);
/* sd (n - 1) / |mean|; NaN when the mean is 0 or n < 2. */
double res_coefficient_of_variation(const double *values, size_t n);

typedef struct res_interval {
    double estimate; /* the statistic on the original data */
    double low;      /* percentile-bootstrap bounds */
    double high;
} res_interval;

/*
 * Relative change of the median from base to new, in percent:
 * 100 * (median(new) - median(base)) / |median(base)|, with a percentile
 * bootstrap interval at `level` (e.g. 0.95) from `iterations` resamples of
 * each group drawn independently with the given seed.
 */
int res_bootstrap_median_change(const double *base, size_t n_base, const double *new_values,
                                size_t n_new, int iterations, double level, uint64_t seed,
                                res_interval *out, char *err, size_t err_size);

/*
 * Mean of paired differences (new[i] - base[i]) with a percentile bootstrap
 * interval over the pairs. Used for per-item accuracy scores.
 */
int res_bootstrap_paired_mean_difference(const double *base, const double *new_values, size_t n,
                                         int iterations, double level, uint64_t seed,
                                         res_interval *out, char *err, size_t err_size);

typedef struct res_mann_whitney_result {
    double u_new;   /* U statistic of the new sample (count of new > base, ties 1/2) */
    double z;       /* standardized, continuity-corrected; sign: positive when new is larger */
    double p_value; /* two-sided, normal approximation */
    int all_tied;   /* every value equal: no evidence either way, p = 1 */
} res_mann_whitney_result;

/*
 * Two-sided Mann–Whitney U test. Ranks the pooled sample with average ranks
 * for ties; the variance uses the tie correction
 *   n1*n2/12 * ((N + 1) - sum(t^3 - t) / (N * (N - 1)))
 * and |U - n1*n2/2| is reduced by 0.5 (continuity correction).
 * Both samples need at least 2 values.
 */
int res_mann_whitney(const double *base, size_t n_base, const double *new_values, size_t n_new,
                     res_mann_whitney_result *out, char *err, size_t err_size);

typedef struct res_wilcoxon_result {
    double w_plus;  /* sum of the ranks of positive differences */
    size_t n_used;  /* non-zero differences */
    double z;       /* continuity-corrected; positive when differences are mostly positive */
    double p_value; /* two-sided, normal approximation; 1 when n_used == 0 */
} res_wilcoxon_result;

/*
 * Wilcoxon signed-rank test on paired differences: zeros dropped (Wilcoxon's
 * method), average ranks of |d| for ties, variance
 *   n(n+1)(2n+1)/24 - sum(t^3 - t)/48,
 * and |W+ - n(n+1)/4| reduced by 0.5.
 */
int res_wilcoxon_signed_rank(const double *differences, size_t n, res_wilcoxon_result *out,
                             char *err, size_t err_size);

/*
 * Per-pair ratios new[i]/base[i] (all values > 0): the relative change of
 * their median in percent, 100 * (median ratio - 1), with a percentile
 * bootstrap over the pairs.
 */
int res_bootstrap_median_ratio(const double *base, const double *new_values, size_t n,
                               int iterations, double level, uint64_t seed, res_interval *out,
                               char *err, size_t err_size);

/*
 * Exact two-sided McNemar test on discordant pairs: only_base = items right
 * in base and wrong in new, only_new = the reverse. p = min(1, 2 * P(X <= min))
 * with X ~ Binomial(only_base + only_new, 1/2). No discordant pair gives p = 1.
 */
double res_mcnemar_exact(size_t only_base, size_t only_new);

#endif
