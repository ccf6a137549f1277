/*
 * history_changepoint.c — binary segmentation on a series of per-run medians
 * (rule in history.h).
 *
 * Invariants: recursion depth is bounded by n / min_segment; the input is not
 * modified; the first point of a series is never a change point.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/compare_stats.h"
#include "results/history.h"

typedef struct segmentation {
    const double *values;
    double min_shift_pct;
    size_t min_segment;
    int *change;
    double *shift_pct;
} segmentation;

/* Best split k in (lo, hi): left [lo, k), right [k, hi). Returns 0 when none. */
static size_t best_split(const segmentation *s, size_t lo, size_t hi, double *shift)
{
    size_t best = 0;
    double best_score = 0;
    size_t n = hi - lo;
    for (size_t k = lo + s->min_segment; k + s->min_segment <= hi; k++) {
        double left = res_median(s->values + lo, k - lo);
        double right = res_median(s->values + k, hi - k);
        double score = fabs(right - left) * (double)(k - lo) * (double)(hi - k) / (double)n;
        if (score > best_score && left != 0) {
            best_score = score;
            best = k;
            *shift = 100.0 * (right - left) / fabs(left);
        }
    }
    return best;
}

static void segment(const segmentation *s, size_t lo, size_t hi)
{
    if (hi - lo < 2 * s->min_segment)
        return;
    double shift = 0;
    size_t k = best_split(s, lo, hi, &shift);
    if (k == 0 || fabs(shift) < s->min_shift_pct)
        return;
    s->change[k] = 1;
    s->shift_pct[k] = shift;
    segment(s, lo, k);
    segment(s, k, hi);
}

void res_history_changepoints(const double *values, size_t n, double min_shift_pct,
                              size_t min_segment, int *change, double *shift_pct)
{
    memset(change, 0, n * sizeof *change);
    memset(shift_pct, 0, n * sizeof *shift_pct);
    segmentation s = {values, min_shift_pct, min_segment ? min_segment : 1, change, shift_pct};
    segment(&s, 0, n);
}

static int same_series(const res_history_point *a, const res_history_point *b)
{
    return !strcmp(a->model_sha256, b->model_sha256) && !strcmp(a->device_id, b->device_id) &&
           !strcmp(a->run_key, b->run_key);
}

static void mark_one_series(res_history_point *points, size_t n, double min_shift_pct,
                            size_t min_segment)
{
    double *values = malloc((n ? n : 1) * sizeof *values);
    double *shift = malloc((n ? n : 1) * sizeof *shift);
    int *change = malloc((n ? n : 1) * sizeof *change);
    if (values && shift && change) {
        for (size_t i = 0; i < n; i++)
            values[i] = points[i].median;
        res_history_changepoints(values, n, min_shift_pct, min_segment, change, shift);
        for (size_t i = 0; i < n; i++) {
            points[i].change_point = change[i];
            points[i].shift_pct = shift[i];
        }
    }
    free(values);
    free(shift);
    free(change);
}

void res_history_mark_series(res_history_point *points, size_t n, double min_shift_pct,
                             size_t min_segment)
{
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && same_series(&points[start], &points[end]))
            end++;
        mark_one_series(points + start, end - start, min_shift_pct, min_segment);
        start = end;
    }
}
