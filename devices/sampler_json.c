/*
 * sampler_json.c — what the sampler reports: energy of a window, the probe
 * table (usable and unavailable, measured or estimated), thermal sensors,
 * the timestamped trace and the throttling events.
 *
 * Invariants: field names carry units (energy_j, power_w, temp_c, freq_mhz,
 * t_s); unknown numbers are JSON null, never 0; an estimated energy always
 * carries "method":"estimated" and its profile.
 */
#include <math.h>
#include <string.h>

#include "devices/dev_sampler.h"

static void add_number_or_null(cJSON *o, const char *name, double v)
{
    if (isnan(v) || isinf(v))
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, v);
}

cJSON *dev_energy_to_json(const dev_energy *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", e->method);
    cJSON_AddStringToObject(o, "probe", e->probe);
    if (e->profile[0])
        cJSON_AddStringToObject(o, "profile", e->profile);
    cJSON_AddStringToObject(o, "integration", e->integration);
    cJSON_AddNumberToObject(o, "duration_s", e->duration_s);
    cJSON_AddNumberToObject(o, "energy_j", e->energy_j);
    if (e->idle_power_w >= 0) {
        cJSON_AddNumberToObject(o, "idle_power_w", e->idle_power_w);
        add_number_or_null(o, "dynamic_energy_j", e->dynamic_energy_j);
    } else {
        cJSON_AddNullToObject(o, "idle_power_w");
        cJSON_AddNullToObject(o, "dynamic_energy_j");
    }
    cJSON_AddNumberToObject(o, "avg_power_w", e->avg_power_w);
    cJSON_AddNumberToObject(o, "peak_power_w", e->peak_power_w);
    cJSON_AddNumberToObject(o, "samples", e->n_samples);
    return o;
}

static cJSON *profile_to_json(const dev_profile *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "file", p->file);
    cJSON_AddNumberToObject(o, "idle_w", p->idle_w);
    cJSON_AddNumberToObject(o, "full_load_w", p->full_load_w);
    cJSON_AddBoolToObject(o, "per_cpu", p->per_cpu);
    cJSON_AddStringToObject(o, "source", p->source);
    if (p->warning[0])
        cJSON_AddStringToObject(o, "warning", p->warning);
    return o;
}

static cJSON *probe_to_json(const dev_probe *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "kind", dev_probe_kind_name(p->kind));
    cJSON_AddStringToObject(o, "method", p->measured ? "measured" : "estimated");
    if (!p->usable) {
        cJSON_AddStringToObject(o, "status", "unavailable");
        cJSON_AddStringToObject(o, "reason", p->reason);
        return o;
    }
    cJSON_AddStringToObject(o, "quantity", p->quantity == DEV_QTY_ENERGY ? "energy_counter"
                                                                         : "power");
    cJSON_AddStringToObject(o, "source", p->detail);
    if (p->reason[0])
        cJSON_AddStringToObject(o, "note", p->reason);
    cJSON *channels = cJSON_AddArrayToObject(o, "channels");
    for (int c = 0; c < p->n_channels; c++) {
        cJSON *ch = cJSON_CreateObject();
        cJSON_AddStringToObject(ch, "name", p->ch[c].name);
        cJSON_AddBoolToObject(ch, "in_total", p->ch[c].in_total);
        cJSON_AddItemToArray(channels, ch);
    }
    if (p->kind == DEV_PROBE_ESTIMATED)
        cJSON_AddItemToObject(o, "profile", profile_to_json(&p->profile));
    return o;
}

static cJSON *thermal_to_json(const dev_sampler *s)
{
    cJSON *arr = cJSON_CreateArray();
    for (int z = 0; z < s->n_zones; z++) {
        cJSON *o = cJSON_CreateObject();
        double mc;
        cJSON_AddStringToObject(o, "type", s->zones[z].type);
        if (dev_read_double(s->zones[z].temp_path, &mc, NULL) == 0)
            cJSON_AddNumberToObject(o, "temp_c", mc / 1000.0);
        else
            cJSON_AddNullToObject(o, "temp_c");
        if (s->zones[z].trip_c > 0)
            cJSON_AddNumberToObject(o, "trip_temp_c", s->zones[z].trip_c);
        else
            cJSON_AddNullToObject(o, "trip_temp_c");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *dev_sampler_probes_to_json(const dev_sampler *cs)
{
    dev_sampler *s = (dev_sampler *)cs;
    pthread_mutex_lock(&s->lock);
    cJSON *o = cJSON_CreateObject();
    cJSON *usable = cJSON_AddArrayToObject(o, "probes");
    cJSON *unavailable = cJSON_AddArrayToObject(o, "unavailable_probes");
    for (int i = 0; i < s->probes.n; i++)
        cJSON_AddItemToArray(s->probes.items[i].usable ? usable : unavailable,
                             probe_to_json(&s->probes.items[i]));
    if (s->primary >= 0)
        cJSON_AddStringToObject(o, "primary_probe", s->probes.items[s->primary].name);
    else
        cJSON_AddNullToObject(o, "primary_probe");
    cJSON_AddNumberToObject(o, "sample_hz", s->cfg.hz);
    cJSON_AddItemToObject(o, "thermal_sensors", thermal_to_json(s));
    cJSON_AddNumberToObject(o, "cpufreq_cpus", s->n_freq);
    if (s->freq_max_mhz > 0)
        cJSON_AddNumberToObject(o, "max_freq_mhz", s->freq_max_mhz);
    else
        cJSON_AddNullToObject(o, "max_freq_mhz");
    pthread_mutex_unlock(&s->lock);
    return o;
}

static int in_window(uint64_t t, uint64_t t0, uint64_t t1)
{
    return (t0 == 0 && t1 == 0) || (t >= t0 && t <= t1);
}

static cJSON *trace_sample(const dev_sampler *s, size_t i, uint64_t origin)
{
    const dev_system_series *y = &s->sys;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t_s", (double)(y->t_ns[i] - origin) / 1e9);
    cJSON_AddNumberToObject(o, "cpu_util", y->util[i]);
    add_number_or_null(o, "freq_mhz", y->freq_mhz[i]);
    cJSON *temps = cJSON_AddObjectToObject(o, "temp_c");
    for (int z = 0; z < s->n_zones; z++)
        add_number_or_null(temps, s->zones[z].type, y->temp_c[i * (size_t)s->n_zones + (size_t)z]);
    cJSON *power = cJSON_AddObjectToObject(o, "power_w");
    for (int p = 0; p < s->probes.n; p++) {
        const dev_probe *pr = &s->probes.items[p];
        double w;
        if (pr->usable && dev_series_power_at(&pr->series, pr->quantity, y->t_ns[i], &w) == 0)
            cJSON_AddNumberToObject(power, pr->name, w);
    }
    return o;
}

cJSON *dev_sampler_trace_to_json(const dev_sampler *cs, uint64_t t0_ns, uint64_t t1_ns)
{
    dev_sampler *s = (dev_sampler *)cs;
    pthread_mutex_lock(&s->lock);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sample_hz", s->cfg.hz);
    cJSON *samples = cJSON_AddArrayToObject(o, "samples");
    uint64_t origin = t0_ns ? t0_ns : (s->sys.n ? s->sys.t_ns[0] : 0);
    for (size_t i = 0; i < s->sys.n; i++)
        if (in_window(s->sys.t_ns[i], t0_ns, t1_ns) && s->sys.t_ns[i] >= origin)
            cJSON_AddItemToArray(samples, trace_sample(s, i, origin));
    pthread_mutex_unlock(&s->lock);
    return o;
}

int dev_sampler_throttle_events(const dev_sampler *cs, uint64_t t0_ns, uint64_t t1_ns,
                                dev_throttle_event *out, int max)
{
    dev_sampler *s = (dev_sampler *)cs;
    int n = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_events; i++) {
        if (!in_window(s->events[i].t_ns, t0_ns, t1_ns))
            continue;
        if (n < max && out)
            out[n] = s->events[i];
        n++;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

cJSON *dev_sampler_throttle_to_json(const dev_sampler *cs, uint64_t t0_ns, uint64_t t1_ns)
{
    dev_sampler *s = (dev_sampler *)cs;
    pthread_mutex_lock(&s->lock);
    cJSON *o = cJSON_CreateObject();
    cJSON *events = cJSON_AddArrayToObject(o, "events");
    uint64_t origin = t0_ns ? t0_ns : s->start_ns;
    int n = 0;
    for (int i = 0; i < s->n_events; i++) {
        const dev_throttle_event *e = &s->events[i];
        if (!in_window(e->t_ns, t0_ns, t1_ns))
            continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "t_s", ((double)e->t_ns - (double)origin) / 1e9);
        cJSON_AddStringToObject(j, "kind", e->kind);
        cJSON_AddStringToObject(j, "source", e->source);
        if (!strcmp(e->kind, "thermal")) {
            cJSON_AddNumberToObject(j, "temp_c", e->value);
            cJSON_AddNumberToObject(j, "trip_temp_c", e->threshold);
        } else {
            cJSON_AddNumberToObject(j, "freq_mhz", e->value);
            cJSON_AddNumberToObject(j, "limit_freq_mhz", e->threshold);
        }
        cJSON_AddItemToArray(events, j);
        n++;
    }
    cJSON_AddBoolToObject(o, "throttled", n > 0);
    pthread_mutex_unlock(&s->lock);
    return o;
}

cJSON *dev_sampler_channels_to_json(dev_sampler *s, int probe, uint64_t t0_ns, uint64_t t1_ns,
                                    char *err, size_t err_size)
{
    pthread_mutex_lock(&s->lock);
    cJSON *arr = NULL;
    if (probe < 0 || probe >= s->probes.n || !s->probes.items[probe].usable) {
        dev_set_err(err, err_size, "no usable probe %d", probe);
        goto done;
    }
    const dev_probe *p = &s->probes.items[probe];
    double seconds = (double)(t1_ns - t0_ns) / 1e9;
    arr = cJSON_CreateArray();
    for (int c = 0; c < p->n_channels && c < p->series.n_channels; c++) {
        double e, peak;
        int n;
        if (dev_series_energy(&p->series, p->quantity, c, t0_ns, t1_ns, &e, &peak, &n, err,
                              err_size)) {
            cJSON_Delete(arr);
            arr = NULL;
            goto done;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p->ch[c].name);
        cJSON_AddBoolToObject(o, "in_total", p->ch[c].in_total);
        cJSON_AddNumberToObject(o, "energy_j", e);
        add_number_or_null(o, "avg_power_w", seconds > 0 ? e / seconds : NAN);
        cJSON_AddNumberToObject(o, "peak_power_w", peak);
        cJSON_AddItemToArray(arr, o);
    }
done:
    pthread_mutex_unlock(&s->lock);
    return arr;
}
