/*
 * dev_sampler.h — internal: the sampler object shared by sampler.c (life
 * cycle, polling, energy), thermal.c (temperatures, frequencies, throttling)
 * and sampler_json.c (reports).
 *
 * Invariants: every field below the lock is read or written only with lock
 * held; the config strings are copied (the caller's may go away); system
 * samples (utilisation, frequency, temperatures) share the poll timestamps
 * with the sysfs probes.
 */
#ifndef DEV_SAMPLER_H
#define DEV_SAMPLER_H

#include <pthread.h>

#include "devices/dev_probe.h"

#define DEV_ZONES_MAX 32
#define DEV_FREQ_CPUS_MAX 256

typedef struct dev_thermal_zone {
    char type[48];
    char temp_path[DEV_PATH_SIZE];
    double trip_c;        /* <= 0: no trip point known */
    int hot;              /* currently above its trip point */
} dev_thermal_zone;

typedef struct dev_system_series {
    size_t n, cap;
    uint64_t *t_ns;
    double *util;
    double *freq_mhz;     /* mean of the CPUs' current frequency, NAN if unknown */
    double *temp_c;       /* [n][n_zones] */
} dev_system_series;

struct dev_sampler {
    dev_sampler_config cfg;
    char probes_sel[256], external_cmd[512], external_csv[DEV_PATH_SIZE],
        external_clock[16], vcgencmd[256], profiles_dir[DEV_PATH_SIZE], cpu_brand[256];
    uint64_t period_ns, start_ns;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    dev_probe_list probes;
    int primary;
    int n_zones;
    dev_thermal_zone zones[DEV_ZONES_MAX];
    int n_freq;
    char (*freq_paths)[DEV_PATH_SIZE];
    double freq_max_mhz;  /* 0: unknown */
    int freq_throttled;
    uint64_t stat_busy, stat_total;
    int have_stat;
    dev_system_series sys;
    dev_throttle_event *events;
    int n_events, cap_events;
    char last_error[256];
};

/* thermal.c */
void dev_thermal_discover(dev_sampler *s);
int dev_thermal_sample(dev_sampler *s, uint64_t now_ns, double util);
void dev_thermal_free(dev_sampler *s);

#endif
