/*
 * sampler.c — the power/temperature/frequency sampler: probe discovery,
 * the sampling thread (default 10 Hz), the idle baseline, and the energy of
 * any CLOCK_MONOTONIC window.
 *
 * Design for testing: dev_sampler_poll(s, now_ns) takes one sample with a
 * caller-given timestamp, so with cfg.manual = 1 (no thread) a test drives
 * the sampler with a synthetic clock over a fake sysfs tree, and energy is
 * checked exactly, without sleeping.
 *
 * Invariants: all sampler state is touched with s->lock held; the thread
 * stops within one period (it waits on a condition variable, not a sleep);
 * the primary probe is the best usable device-wide measured probe (external
 * meter, RAPL, PAPI RAPL, Pi PMIC, board/CPU hwmon with a whole-module rail
 * first, a discharging battery), else the estimate — a component sensor such
 * as a GPU's is reported but never primary; an energy result always names its
 * method and probe.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/dev_sampler.h"

void dev_sampler_config_defaults(dev_sampler_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hz = 10.0;
    cfg->probes = "auto";
}

static const char *copy_opt(char *dst, size_t size, const char *src)
{
    if (!src)
        return NULL;
    dev_copy(dst, size, src);
    return dst;
}

static void copy_config(dev_sampler *s, const dev_sampler_config *cfg)
{
    s->cfg = *cfg;
    s->cfg.probes = copy_opt(s->probes_sel, sizeof s->probes_sel, cfg->probes);
    s->cfg.external_cmd = copy_opt(s->external_cmd, sizeof s->external_cmd, cfg->external_cmd);
    s->cfg.external_csv = copy_opt(s->external_csv, sizeof s->external_csv, cfg->external_csv);
    s->cfg.external_clock =
        copy_opt(s->external_clock, sizeof s->external_clock, cfg->external_clock);
    s->cfg.vcgencmd = copy_opt(s->vcgencmd, sizeof s->vcgencmd, cfg->vcgencmd);
    s->cfg.profiles_dir = copy_opt(s->profiles_dir, sizeof s->profiles_dir, cfg->profiles_dir);
    s->cfg.cpu_brand = copy_opt(s->cpu_brand, sizeof s->cpu_brand, cfg->cpu_brand);
    if (!(s->cfg.hz > 0))
        s->cfg.hz = 10.0;
    s->period_ns = (uint64_t)(1e9 / s->cfg.hz);
}

/* 1 when kind is selected by the comma list (NULL/"auto"/"all" select all). */
static int selected(const char *list, const char *kind)
{
    if (!list || !*list || !strcmp(list, "auto") || !strcmp(list, "all"))
        return 1;
    size_t len = strlen(kind);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && !strncmp(p, kind, len))
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int validate_selection(const char *list, char *err, size_t err_size)
{
    if (!list || !*list || !strcmp(list, "auto") || !strcmp(list, "all"))
        return 0;
    char copy[256];
    dev_copy(copy, sizeof copy, list);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int known = 0;
        for (int k = 0; k < DEV_PROBE_KIND_COUNT; k++)
            known |= !strcmp(tok, dev_probe_kind_name((dev_probe_kind)k));
        if (!known) {
            dev_set_err(err, err_size, "unknown probe kind '%s' (rapl, papi_rapl, hwmon, "
                        "battery, rpi_pmic, external, estimated)", tok);
            return -1;
        }
    }
    return 0;
}

/* CPU description for profile matching: /proc/cpuinfo model name + board model. */
static void detect_brand(char *out, size_t size)
{
    char *info = malloc(1 << 20), model[128] = "", name[160] = "";
    if (info && dev_read_text("/proc/cpuinfo", info, 1 << 20, NULL) == 0) {
        const char *p = strstr(info, "model name");
        const char *colon = p ? strchr(p, ':') : NULL;
        if (colon)
            dev_fmt(name, sizeof name, "%.*s", (int)strcspn(colon + 2, "\n"), colon + 2);
    }
    free(info);
    dev_read_text("/proc/device-tree/model", model, sizeof model, NULL);
    dev_fmt(out, size, "%s%s%s", name, name[0] && model[0] ? " " : "", model);
}

/* Logical CPUs from the "cpuN" lines of /proc/stat (under the root). */
static int count_cpus(void)
{
    char *text = malloc(1 << 16);
    int n = 0;
    if (text && dev_read_text("/proc/stat", text, 1 << 16, NULL) == 0)
        for (const char *p = strstr(text, "\ncpu"); p; p = strstr(p + 1, "\ncpu"))
            n += p[4] >= '0' && p[4] <= '9';
    free(text);
    if (n == 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

static int auto_selection(const char *list)
{
    return !list || !*list || !strcmp(list, "auto") || !strcmp(list, "all");
}

static int has_usable(const dev_sampler *s, dev_probe_kind kind)
{
    for (int i = 0; i < s->probes.n; i++)
        if (s->probes.items[i].kind == kind && s->probes.items[i].usable)
            return 1;
    return 0;
}

static void discover_probes(dev_sampler *s)
{
    const dev_sampler_config *c = &s->cfg;
    if (selected(c->probes, "external"))
        dev_probe_discover_external(&s->probes, c, s->start_ns);
    if (selected(c->probes, "rapl"))
        dev_probe_discover_rapl(&s->probes);
    /* PAPI's RAPL reads the same counters: only worth it when sysfs cannot. */
    if (selected(c->probes, "papi_rapl") && (!auto_selection(c->probes) || !has_usable(s, DEV_PROBE_RAPL)))
        dev_probe_discover_papi_rapl(&s->probes);
    if (selected(c->probes, "rpi_pmic"))
        dev_probe_discover_pmic(&s->probes, c->vcgencmd ? c->vcgencmd : "vcgencmd",
                                c->vcgencmd != NULL);
    if (selected(c->probes, "hwmon"))
        dev_probe_discover_hwmon(&s->probes);
    if (selected(c->probes, "battery"))
        dev_probe_discover_battery(&s->probes);
    char brand[256];
    if (c->cpu_brand)
        dev_copy(brand, sizeof brand, c->cpu_brand);
    else
        detect_brand(brand, sizeof brand);
    dev_probe_discover_estimated(&s->probes, c->profiles_dir, brand, count_cpus());
}

static int primary_candidate(const dev_probe *p, dev_probe_kind kind)
{
    /* a battery on AC would leave every window without samples */
    return p->usable && p->kind == kind && p->device_wide &&
           (p->kind != DEV_PROBE_BATTERY || dev_battery_discharging(p));
}

static int choose_primary(const dev_sampler *s)
{
    static const dev_probe_kind order[] = {DEV_PROBE_EXTERNAL, DEV_PROBE_RAPL,
                                           DEV_PROBE_PAPI_RAPL, DEV_PROBE_RPI_PMIC,
                                           DEV_PROBE_HWMON, DEV_PROBE_BATTERY,
                                           DEV_PROBE_ESTIMATED};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        int best = -1;
        for (int i = 0; i < s->probes.n; i++)   /* a whole-module rail beats the others */
            if (primary_candidate(&s->probes.items[i], order[k]) &&
                (best < 0 || s->probes.items[i].device_wide > s->probes.items[best].device_wide))
                best = i;
        if (best >= 0)
            return best;
    }
    return -1;
}

static double read_util(dev_sampler *s)
{
    char line[512];
    uint64_t busy, total;
    if (dev_read_text("/proc/stat", line, sizeof line, NULL) ||
        dev_parse_proc_stat(line, &busy, &total))
        return 0.0;
    double u = s->have_stat ? dev_cpu_util(s->stat_busy, s->stat_total, busy, total) : 0.0;
    s->stat_busy = busy;
    s->stat_total = total;
    s->have_stat = 1;
    return u;
}

static int poll_locked(dev_sampler *s, uint64_t now_ns, char *err, size_t err_size)
{
    double util = read_util(s);
    int rc = 0;
    if (dev_thermal_sample(s, now_ns, util)) {
        dev_set_err(err, err_size, "out of memory storing samples");
        rc = -1;
    }
    for (int i = 0; i < s->probes.n; i++) {
        char perr[256];
        if (dev_probe_sample(&s->probes.items[i], now_ns, util, perr, sizeof perr)) {
            dev_fmt(s->last_error, sizeof s->last_error, "%s: %s", s->probes.items[i].name, perr);
            dev_set_err(err, err_size, "%s", s->last_error);
            rc = -1;
        }
    }
    return rc;
}

int dev_sampler_poll(dev_sampler *s, uint64_t now_ns, char *err, size_t err_size)
{
    pthread_mutex_lock(&s->lock);
    int rc = poll_locked(s, now_ns, err, err_size);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void *sampler_thread(void *arg)
{
    dev_sampler *s = arg;
    uint64_t next = dev_now_ns();
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        poll_locked(s, dev_now_ns(), NULL, 0);
        next += s->period_ns;
        uint64_t now = dev_now_ns();
        if (next < now)
            next = now;   /* fell behind (slow probe): do not burst */
        struct timespec ts = {(time_t)(next / 1000000000ULL), (long)(next % 1000000000ULL)};
        while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int init_sync(dev_sampler *s)
{
    pthread_condattr_t attr;
    if (pthread_mutex_init(&s->lock, NULL))
        return -1;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc)
        pthread_mutex_destroy(&s->lock);
    return rc ? -1 : 0;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int dev_sampler_start(const dev_sampler_config *cfg, dev_sampler **out, char *err,
                      size_t err_size)
{
    dev_sampler_config defaults;
    if (!cfg) {
        dev_sampler_config_defaults(&defaults);
        cfg = &defaults;
    }
    if (validate_selection(cfg->probes, err, err_size))
        return -1;
    dev_sampler *s = calloc(1, sizeof *s);
    if (!s || init_sync(s)) {
        free(s);
        dev_set_err(err, err_size, "out of memory creating the sampler");
        return -1;
    }
    copy_config(s, cfg);
    s->start_ns = dev_now_ns();
    discover_probes(s);
    dev_thermal_discover(s);
    s->primary = choose_primary(s);
    if (s->cfg.idle_power_w > 0 && s->primary >= 0)
        s->probes.items[s->primary].idle_w = s->cfg.idle_power_w;
    *out = s;
    if (s->cfg.manual)
        return 0;
    if (pthread_create(&s->thread, NULL, sampler_thread, s)) {
        dev_set_err(err, err_size, "cannot start the sampler thread");
        dev_sampler_free(s);
        *out = NULL;
        return -1;
    }
    s->thread_started = 1;
    if (s->cfg.idle_baseline_s > 0) {
        uint64_t t0 = dev_now_ns();
        dev_sampler_poll(s, t0, NULL, 0);   /* the thread's first sample may come later */
        sleep_ns((uint64_t)(s->cfg.idle_baseline_s * 1e9));
        uint64_t t1 = dev_now_ns();
        dev_sampler_poll(s, t1, NULL, 0);
        if (dev_sampler_set_idle_window(s, t0, t1, err, err_size))
            return 0;   /* no baseline (e.g. no samples yet); energies carry none */
    }
    return 0;
}

int dev_sampler_set_idle_window(dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns, char *err,
                                size_t err_size)
{
    if (t1_ns <= t0_ns) {
        dev_set_err(err, err_size, "idle window is empty");
        return -1;
    }
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->probes.n; i++) {
        dev_probe *p = &s->probes.items[i];
        double e, peak;
        int n;
        char perr[256];
        if (!p->usable || dev_series_energy(&p->series, p->quantity, -1, t0_ns, t1_ns, &e, &peak,
                                            &n, perr, sizeof perr))
            continue;
        p->idle_w = e / ((double)(t1_ns - t0_ns) / 1e9);
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    if (rc)
        dev_set_err(err, err_size, "no probe has samples covering the idle window");
    return rc;
}

static void fill_energy(const dev_probe *p, uint64_t t0, uint64_t t1, double e, double peak,
                        int n, dev_energy *out)
{
    memset(out, 0, sizeof *out);
    dev_copy(out->method, sizeof out->method, p->measured ? "measured" : "estimated");
    dev_copy(out->probe, sizeof out->probe, p->name);
    if (!p->measured)
        dev_copy(out->profile, sizeof out->profile, p->profile.name);
    dev_copy(out->integration, sizeof out->integration,
             p->quantity == DEV_QTY_ENERGY ? "counter" : "trapezoid");
    out->duration_s = (double)(t1 - t0) / 1e9;
    out->energy_j = e;
    out->idle_power_w = p->idle_w;
    out->dynamic_energy_j = p->idle_w >= 0 ? e - p->idle_w * out->duration_s : NAN;
    out->avg_power_w = out->duration_s > 0 ? e / out->duration_s : 0.0;
    out->peak_power_w = peak;
    out->n_samples = n;
}

int dev_sampler_probe_energy(dev_sampler *s, int probe, uint64_t t0_ns, uint64_t t1_ns,
                             dev_energy *out, char *err, size_t err_size)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (probe < 0 || probe >= s->probes.n || !s->probes.items[probe].usable) {
        dev_set_err(err, err_size, "no usable probe %d", probe);
        goto done;
    }
    dev_probe *p = &s->probes.items[probe];
    /* A running sampler closes a window that ends after its last sample. */
    if (s->thread_started && !s->stop && p->kind != DEV_PROBE_EXTERNAL &&
        (p->series.n == 0 || p->series.t_ns[p->series.n - 1] < t1_ns) && t1_ns <= dev_now_ns())
        poll_locked(s, dev_now_ns(), NULL, 0);
    double e, peak;
    int n;
    char perr[200];
    if (dev_series_energy(&p->series, p->quantity, -1, t0_ns, t1_ns, &e, &peak, &n, perr,
                          sizeof perr)) {
        dev_set_err(err, err_size, "probe %s: %s", p->name, perr);
        goto done;
    }
    fill_energy(p, t0_ns, t1_ns, e, peak, n, out);
    rc = 0;
done:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int dev_sampler_energy(dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns, dev_energy *out,
                       char *err, size_t err_size)
{
    if (s->primary < 0) {
        dev_set_err(err, err_size, "no usable power probe");
        return -1;
    }
    return dev_sampler_probe_energy(s, s->primary, t0_ns, t1_ns, out, err, err_size);
}

int dev_sampler_probe_count(const dev_sampler *s)
{
    return s->probes.n;
}

int dev_sampler_primary_probe(const dev_sampler *s)
{
    return s->primary;
}

const char *dev_sampler_probe_name(const dev_sampler *s, int probe)
{
    return (probe >= 0 && probe < s->probes.n) ? s->probes.items[probe].name : NULL;
}

int dev_sampler_probe_usable(const dev_sampler *s, int probe)
{
    return probe >= 0 && probe < s->probes.n && s->probes.items[probe].usable;
}

void dev_sampler_stop(dev_sampler *s)
{
    if (!s || !s->thread_started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->thread_started = 0;
    /* A last sample at the stop time, so every window up to now stays answerable. */
    dev_sampler_poll(s, dev_now_ns(), NULL, 0);
}

void dev_sampler_free(dev_sampler *s)
{
    if (!s)
        return;
    dev_sampler_stop(s);
    dev_probe_list_free(&s->probes);
    dev_thermal_free(s);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
