/*
 * dev_probe.h — internal: the power probes (one struct for every kind) and
 * the timestamped series the sampler keeps per probe.
 *
 * Invariants:
 *  - A probe has one quantity: ENERGY probes store, per sample, cumulative
 *    joules since the first sample (counter wraps already unfolded); POWER
 *    probes store watts. "total" sums the channels with in_total set (zones
 *    that do not contain one another), so nothing is counted twice.
 *  - Series timestamps strictly increase; a sample that would not is dropped.
 *  - A probe that is not usable never gets samples and says why in reason.
 *  - Probes are only touched with the owning sampler's lock held.
 */
#ifndef DEV_PROBE_H
#define DEV_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/dev_internal.h"
#include "devices/device.h"

#define DEV_CHANNELS_MAX 24

typedef enum dev_quantity { DEV_QTY_ENERGY = 0, DEV_QTY_POWER = 1 } dev_quantity;

typedef struct dev_channel {
    char name[64];
    int in_total;
    char path[DEV_PATH_SIZE];    /* energy/power file, or the voltage file of a pair */
    char path2[DEV_PATH_SIZE];   /* current file of a voltage+current pair, else "" */
    double scale;                /* raw (or raw*raw2) -> joules or watts */
    uint64_t max_range;          /* raw value where the counter wraps; 0: none */
    uint64_t last_raw;
    int have_last;
    double accumulated_j;
    int papi_index;              /* PAPI probe: position in the event set */
} dev_channel;

typedef struct dev_series {
    size_t n, cap;
    int n_channels;
    uint64_t *t_ns;
    double *total;               /* joules (ENERGY) or watts (POWER) */
    double *channels;            /* [n][n_channels] */
} dev_series;

typedef struct dev_meter dev_meter;

typedef struct dev_probe {
    dev_probe_kind kind;
    char name[64];
    char detail[256];            /* where it reads from */
    int usable;
    char reason[256];            /* why not usable, or a caveat */
    int measured;                /* 0: estimated */
    int device_wide;             /* may stand for the device's energy (else a component sensor) */
    dev_quantity quantity;
    int n_channels;
    dev_channel ch[DEV_CHANNELS_MAX];
    dev_profile profile;         /* ESTIMATED */
    int n_cpus;                  /* ESTIMATED */
    char status_path[DEV_PATH_SIZE];   /* BATTERY */
    char command[512];           /* RPI_PMIC */
    dev_meter *meter;            /* EXTERNAL */
    int papi_event_set;          /* PAPI_RAPL */
    int papi_running;
    double idle_w;               /* < 0: no baseline */
    dev_series series;
} dev_probe;

typedef struct dev_probe_list {
    int n, cap;
    dev_probe *items;
} dev_probe_list;

/* Appends a zeroed probe; NULL when out of memory. */
dev_probe *dev_probe_list_add(dev_probe_list *list, dev_probe_kind kind, const char *name);
void dev_probe_list_free(dev_probe_list *list);

/* Discovery (each appends usable and/or unavailable probes). */
void dev_probe_discover_rapl(dev_probe_list *list);
void dev_probe_discover_papi_rapl(dev_probe_list *list);
void dev_probe_discover_hwmon(dev_probe_list *list);
void dev_probe_discover_battery(dev_probe_list *list);
void dev_probe_discover_pmic(dev_probe_list *list, const char *command, int explicit_command);
void dev_probe_discover_external(dev_probe_list *list, const dev_sampler_config *cfg,
                                 uint64_t start_ns);
void dev_probe_discover_estimated(dev_probe_list *list, const char *profiles_dir,
                                  const char *brand, int n_cpus);

/* Takes one sample at now_ns (util: CPU utilisation 0..1 since the previous
 * poll, for the estimated probe). Appends to p->series. Returns 0 when a
 * sample was stored or legitimately skipped (battery on AC), non-zero with
 * err on a read failure. */
int dev_probe_sample(dev_probe *p, uint64_t now_ns, double util, char *err, size_t err_size);
void dev_probe_release(dev_probe *p);

/* Helpers shared by the probe files. */
int dev_list_dir(const char *path, const char *prefix, char (*names)[64], int max);
int dev_channel_read(dev_channel *c, dev_quantity q, double *value, char *err, size_t err_size);
int dev_battery_discharging(const dev_probe *p);

/* External meter (external.c). */
int dev_meter_open(dev_probe *p, const dev_sampler_config *cfg, uint64_t start_ns, char *err,
                   size_t err_size);
int dev_meter_poll(dev_probe *p, char *err, size_t err_size);
int dev_meter_finished(const dev_probe *p);
void dev_meter_close(dev_probe *p);

/* Series (series.c). */
int dev_series_append(dev_series *s, uint64_t t_ns, double total, const double *channels);
void dev_series_free(dev_series *s);
/* Energy over [t0, t1] of the total (channel < 0) or one channel: interpolated
 * at the ends, trapezoid for POWER, counter difference for ENERGY. peak_w is
 * the highest power seen in the window. Fails when the samples do not cover
 * the window. */
int dev_series_energy(const dev_series *s, dev_quantity q, int channel, uint64_t t0_ns,
                      uint64_t t1_ns, double *energy_j, double *peak_w, int *n_in, char *err,
                      size_t err_size);
/* Power of the total at t: the value for POWER, the slope of the counter
 * interval containing t for ENERGY. Non-zero outside the samples. */
int dev_series_power_at(const dev_series *s, dev_quantity q, uint64_t t_ns, double *watts);

#endif
