/*
 * series.c — the timestamped sample buffer of one probe and the energy of
 * any window over it.
 *
 * Invariants: timestamps strictly increase (out-of-order samples are
 * refused); a window is answered only when samples cover it, with linear
 * interpolation at both ends: counter difference for energy probes (exact
 * for a counter read at the sample times), trapezoidal integration for
 * power probes (exact for power that is piecewise linear between samples).
 */
#include <stdlib.h>
#include <string.h>

#include "devices/dev_probe.h"

static int series_grow(dev_series *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    size_t nch = s->n_channels > 0 ? (size_t)s->n_channels : 1;
    uint64_t *t = realloc(s->t_ns, cap * sizeof *t);
    if (!t)
        return -1;
    s->t_ns = t;
    double *total = realloc(s->total, cap * sizeof *total);
    if (!total)
        return -1;
    s->total = total;
    double *ch = realloc(s->channels, cap * nch * sizeof *ch);
    if (!ch)
        return -1;
    s->channels = ch;
    s->cap = cap;
    return 0;
}

int dev_series_append(dev_series *s, uint64_t t_ns, double total, const double *channels)
{
    if (s->n > 0 && t_ns <= s->t_ns[s->n - 1])
        return 1;   /* not after the last sample: dropped */
    if (s->n == s->cap && series_grow(s))
        return -1;
    s->t_ns[s->n] = t_ns;
    s->total[s->n] = total;
    for (int c = 0; c < s->n_channels; c++)
        s->channels[s->n * (size_t)s->n_channels + (size_t)c] = channels ? channels[c] : 0.0;
    s->n++;
    return 0;
}

void dev_series_free(dev_series *s)
{
    free(s->t_ns);
    free(s->total);
    free(s->channels);
    memset(s, 0, sizeof *s);
}

static double value_at_index(const dev_series *s, int channel, size_t i)
{
    return channel < 0 ? s->total[i] : s->channels[i * (size_t)s->n_channels + (size_t)channel];
}

/* Index k with t[k] <= t <= t[k+1] (k = n-2 at the right edge); requires n >= 2. */
static size_t segment_of(const dev_series *s, uint64_t t)
{
    size_t lo = 0, hi = s->n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t_ns[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static double interpolate(const dev_series *s, int channel, uint64_t t)
{
    if (s->n == 1)
        return value_at_index(s, channel, 0);
    size_t k = segment_of(s, t);
    double v0 = value_at_index(s, channel, k), v1 = value_at_index(s, channel, k + 1);
    double span = (double)(s->t_ns[k + 1] - s->t_ns[k]);
    double frac = (double)(t - s->t_ns[k]) / span;   /* t >= t[k]: window is covered */
    return v0 + (v1 - v0) * frac;
}

static double seconds(uint64_t a, uint64_t b)
{
    return (double)(b - a) / 1e9;
}

static void energy_counter(const dev_series *s, int channel, uint64_t t0, uint64_t t1,
                           double *energy_j, double *peak_w)
{
    *energy_j = interpolate(s, channel, t1) - interpolate(s, channel, t0);
    *peak_w = 0.0;
    if (s->n < 2)
        return;
    for (size_t k = segment_of(s, t0); k + 1 < s->n && s->t_ns[k] < t1; k++) {
        double w = (value_at_index(s, channel, k + 1) - value_at_index(s, channel, k)) /
                   seconds(s->t_ns[k], s->t_ns[k + 1]);
        if (w > *peak_w)
            *peak_w = w;
    }
}

static void energy_trapezoid(const dev_series *s, int channel, uint64_t t0, uint64_t t1,
                             double *energy_j, double *peak_w)
{
    uint64_t prev_t = t0;
    double prev_w = interpolate(s, channel, t0);
    double sum = 0.0, peak = prev_w;
    size_t k = s->n < 2 ? 0 : segment_of(s, t0) + 1;
    for (; k < s->n && s->t_ns[k] < t1; k++) {
        if (s->t_ns[k] <= t0)
            continue;
        double w = value_at_index(s, channel, k);
        sum += 0.5 * (prev_w + w) * seconds(prev_t, s->t_ns[k]);
        prev_t = s->t_ns[k];
        prev_w = w;
        if (w > peak)
            peak = w;
    }
    double w1 = interpolate(s, channel, t1);
    sum += 0.5 * (prev_w + w1) * seconds(prev_t, t1);
    if (w1 > peak)
        peak = w1;
    *energy_j = sum;
    *peak_w = peak;
}

int dev_series_energy(const dev_series *s, dev_quantity q, int channel, uint64_t t0_ns,
                      uint64_t t1_ns, double *energy_j, double *peak_w, int *n_in, char *err,
                      size_t err_size)
{
    if (t1_ns < t0_ns) {
        dev_set_err(err, err_size, "window ends before it starts");
        return -1;
    }
    if (channel >= s->n_channels) {
        dev_set_err(err, err_size, "no channel %d", channel);
        return -1;
    }
    if (s->n == 0 || t0_ns < s->t_ns[0] || t1_ns > s->t_ns[s->n - 1]) {
        if (s->n == 0)
            dev_set_err(err, err_size, "no samples");
        else
            dev_set_err(err, err_size, "window not covered by samples (%.3f..%.3f s vs %.3f..%.3f s)",
                        (double)t0_ns / 1e9, (double)t1_ns / 1e9, (double)s->t_ns[0] / 1e9,
                        (double)s->t_ns[s->n - 1] / 1e9);
        return -1;
    }
    int count = 0;
    for (size_t i = 0; i < s->n; i++)
        count += s->t_ns[i] >= t0_ns && s->t_ns[i] <= t1_ns;
    *n_in = count;
    if (q == DEV_QTY_ENERGY)
        energy_counter(s, channel, t0_ns, t1_ns, energy_j, peak_w);
    else
        energy_trapezoid(s, channel, t0_ns, t1_ns, energy_j, peak_w);
    return 0;
}

int dev_series_power_at(const dev_series *s, dev_quantity q, uint64_t t_ns, double *watts)
{
    if (s->n == 0 || t_ns < s->t_ns[0] || t_ns > s->t_ns[s->n - 1])
        return -1;
    if (q == DEV_QTY_POWER) {
        *watts = interpolate(s, -1, t_ns);
        return 0;
    }
    if (s->n < 2)
        return -1;
    size_t k = segment_of(s, t_ns);
    *watts = (s->total[k + 1] - s->total[k]) / seconds(s->t_ns[k], s->t_ns[k + 1]);
    return 0;
}
