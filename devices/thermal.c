/*
 * thermal.c — temperatures (/sys/class/thermal), core frequencies (cpufreq)
 * and CPU utilisation (/proc/stat) per poll, and throttling detection.
 *
 * Throttling is flagged at its onset: a thermal zone reaching its trip point
 * (the lowest passive/hot trip, else critical, or the configured
 * trip_temp_c), or the mean core frequency falling below 70 % of the maximum
 * while the CPUs are at least 50 % busy. A zone must cool 2 °C below its trip
 * (the frequency recover to 80 % of max, or the load drop) before a new onset
 * counts, so one episode gives one event.
 *
 * Invariants: called with the sampler lock held; unreadable sensors give NAN,
 * never a made-up value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dev_sampler.h"

#define FREQ_THROTTLE_RATIO 0.70
#define FREQ_RECOVER_RATIO 0.80
#define BUSY_UTIL 0.50
#define THERMAL_HYSTERESIS_C 2.0

static double zone_trip_c(const char *dir)
{
    double best = 0.0, critical = 0.0;
    for (int k = 0; k < 32; k++) {
        char path[DEV_PATH_SIZE], type[32];
        double mc;
        dev_fmt(path, sizeof path, "%s/trip_point_%d_type", dir, k);
        if (dev_read_text(path, type, sizeof type, NULL))
            break;
        dev_fmt(path, sizeof path, "%s/trip_point_%d_temp", dir, k);
        if (dev_read_double(path, &mc, NULL) || mc <= 0)
            continue;
        if (!strcmp(type, "passive") || !strcmp(type, "hot")) {
            if (best <= 0 || mc / 1000.0 < best)
                best = mc / 1000.0;
        } else if (!strcmp(type, "critical")) {
            critical = mc / 1000.0;
        }
    }
    return best > 0 ? best : critical;
}

/* Zone types name JSON keys: a second "acpitz" becomes "acpitz#1". */
static void make_unique(const dev_sampler *s, dev_thermal_zone *z)
{
    int dup = 0;
    for (int i = 0; i < s->n_zones; i++)
        dup += !strncmp(s->zones[i].type, z->type, strlen(z->type)) &&
               (s->zones[i].type[strlen(z->type)] == '\0' ||
                s->zones[i].type[strlen(z->type)] == '#');
    if (dup) {
        char base[48];
        dev_copy(base, sizeof base, z->type);
        dev_fmt(z->type, sizeof z->type, "%.40s#%d", base, dup);
    }
}

static void discover_zones(dev_sampler *s)
{
    char names[DEV_ZONES_MAX][64];
    int n = dev_list_dir("/sys/class/thermal", "thermal_zone", names, DEV_ZONES_MAX);
    for (int i = 0; i < n && s->n_zones < DEV_ZONES_MAX; i++) {
        dev_thermal_zone *z = &s->zones[s->n_zones];
        char dir[DEV_PATH_SIZE], path[DEV_PATH_SIZE];
        dev_fmt(dir, sizeof dir, "/sys/class/thermal/%s", names[i]);
        dev_fmt(z->temp_path, sizeof z->temp_path, "%s/temp", dir);
        if (!dev_exists(z->temp_path))
            continue;
        dev_fmt(path, sizeof path, "%s/type", dir);
        if (dev_read_text(path, z->type, sizeof z->type, NULL) || !z->type[0])
            dev_copy(z->type, sizeof z->type, names[i]);
        make_unique(s, z);
        z->trip_c = s->cfg.trip_temp_c > 0 ? s->cfg.trip_temp_c : zone_trip_c(dir);
        s->n_zones++;
    }
}

static int is_cpu_dir(const char *name)
{
    if (strncmp(name, "cpu", 3) || !name[3])
        return 0;
    for (const char *p = name + 3; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

static void discover_freq(dev_sampler *s)
{
    char (*names)[64] = malloc(DEV_FREQ_CPUS_MAX * sizeof *names);
    s->freq_paths = malloc(DEV_FREQ_CPUS_MAX * sizeof *s->freq_paths);
    if (!names || !s->freq_paths) {
        free(names);
        return;
    }
    int n = dev_list_dir("/sys/devices/system/cpu", "cpu", names, DEV_FREQ_CPUS_MAX);
    for (int i = 0; i < n; i++) {
        char path[DEV_PATH_SIZE];
        double khz;
        if (!is_cpu_dir(names[i]))
            continue;
        dev_fmt(path, sizeof path, "/sys/devices/system/cpu/%s/cpufreq/scaling_cur_freq",
                names[i]);
        if (!dev_exists(path))
            continue;
        dev_copy(s->freq_paths[s->n_freq++], DEV_PATH_SIZE, path);
        dev_fmt(path, sizeof path, "/sys/devices/system/cpu/%s/cpufreq/cpuinfo_max_freq",
                names[i]);
        if (dev_read_double(path, &khz, NULL) == 0 && khz / 1000.0 > s->freq_max_mhz)
            s->freq_max_mhz = khz / 1000.0;
    }
    free(names);
}

void dev_thermal_discover(dev_sampler *s)
{
    discover_zones(s);
    discover_freq(s);
}

static double mean_freq_mhz(const dev_sampler *s)
{
    double sum = 0.0;
    int n = 0;
    for (int i = 0; i < s->n_freq; i++) {
        double khz;
        if (dev_read_double(s->freq_paths[i], &khz, NULL) == 0)
            sum += khz / 1000.0, n++;
    }
    return n ? sum / n : NAN;
}

static void add_event(dev_sampler *s, uint64_t t, const char *kind, const char *source,
                      double value, double threshold)
{
    if (s->n_events == s->cap_events) {
        int cap = s->cap_events ? s->cap_events * 2 : 16;
        dev_throttle_event *e = realloc(s->events, (size_t)cap * sizeof *e);
        if (!e)
            return;
        s->events = e;
        s->cap_events = cap;
    }
    dev_throttle_event *e = &s->events[s->n_events++];
    e->t_ns = t;
    dev_copy(e->kind, sizeof e->kind, kind);
    dev_copy(e->source, sizeof e->source, source);
    e->value = value;
    e->threshold = threshold;
}

static void check_thermal(dev_sampler *s, uint64_t t, const double *temps)
{
    for (int z = 0; z < s->n_zones; z++) {
        dev_thermal_zone *zone = &s->zones[z];
        if (zone->trip_c <= 0 || isnan(temps[z]))
            continue;
        if (!zone->hot && temps[z] >= zone->trip_c) {
            zone->hot = 1;
            add_event(s, t, "thermal", zone->type, temps[z], zone->trip_c);
        } else if (zone->hot && temps[z] < zone->trip_c - THERMAL_HYSTERESIS_C) {
            zone->hot = 0;
        }
    }
}

static void check_frequency(dev_sampler *s, uint64_t t, double freq, double util)
{
    if (s->freq_max_mhz <= 0 || isnan(freq))
        return;
    double limit = FREQ_THROTTLE_RATIO * s->freq_max_mhz;
    if (!s->freq_throttled && util >= BUSY_UTIL && freq < limit) {
        s->freq_throttled = 1;
        add_event(s, t, "frequency", "cpufreq", freq, limit);
    } else if (s->freq_throttled &&
               (util < BUSY_UTIL || freq >= FREQ_RECOVER_RATIO * s->freq_max_mhz)) {
        s->freq_throttled = 0;
    }
}

static int sys_grow(dev_system_series *y, int n_zones)
{
    size_t cap = y->cap ? y->cap * 2 : 256;
    size_t nz = n_zones > 0 ? (size_t)n_zones : 1;
    uint64_t *t = realloc(y->t_ns, cap * sizeof *t);
    if (!t)
        return -1;
    y->t_ns = t;
    double *u = realloc(y->util, cap * sizeof *u);
    if (!u)
        return -1;
    y->util = u;
    double *f = realloc(y->freq_mhz, cap * sizeof *f);
    if (!f)
        return -1;
    y->freq_mhz = f;
    double *tc = realloc(y->temp_c, cap * nz * sizeof *tc);
    if (!tc)
        return -1;
    y->temp_c = tc;
    y->cap = cap;
    return 0;
}

int dev_thermal_sample(dev_sampler *s, uint64_t now_ns, double util)
{
    dev_system_series *y = &s->sys;
    if (y->n > 0 && now_ns <= y->t_ns[y->n - 1])
        return 0;
    if (y->n == y->cap && sys_grow(y, s->n_zones))
        return -1;
    double temps[DEV_ZONES_MAX];
    for (int z = 0; z < s->n_zones; z++) {
        double mc;
        temps[z] = dev_read_double(s->zones[z].temp_path, &mc, NULL) ? NAN : mc / 1000.0;
        y->temp_c[y->n * (size_t)s->n_zones + (size_t)z] = temps[z];
    }
    double freq = mean_freq_mhz(s);
    y->t_ns[y->n] = now_ns;
    y->util[y->n] = util;
    y->freq_mhz[y->n] = freq;
    y->n++;
    check_thermal(s, now_ns, temps);
    check_frequency(s, now_ns, freq, util);
    return 0;
}

void dev_thermal_free(dev_sampler *s)
{
    free(s->sys.t_ns);
    free(s->sys.util);
    free(s->sys.freq_mhz);
    free(s->sys.temp_c);
    free(s->freq_paths);
    free(s->events);
    memset(&s->sys, 0, sizeof s->sys);
    s->freq_paths = NULL;
    s->events = NULL;
}
