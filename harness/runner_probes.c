/*
 * runner_probes.c — the device layer as the runner uses it: one power sampler
 * for the whole invocation (energy of any window is asked afterwards), PAPI
 * counters split at the first token into prefill and decode phases, optional
 * core binding, the device object of the results document.
 *
 * Invariants: a probe that cannot be opened leaves a reason, never a figure;
 * counters count the calling thread (engine pool thread 0) and say so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/runner.h"
#include "results/results.h"

void runner_probe_options_default(runner_probe_options *o)
{
    memset(o, 0, sizeof *o);
    o->sampler_hz = 10;
    o->idle_baseline_s = 1.0;
    o->counters = 1;
}

int runner_probes_open(runner_probes *p, const runner_probe_options *o, char *err, size_t err_size)
{
    memset(p, 0, sizeof *p);
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.hz = o->sampler_hz;
    cfg.probes = o->probes;
    cfg.idle_baseline_s = o->idle_baseline_s;
    if (dev_sampler_start(&cfg, &p->sampler, p->sampler_reason, sizeof p->sampler_reason) != 0)
        p->sampler = NULL;
    if (o->counters && dev_counters_open(&p->counters, err, err_size) != 0) {
        runner_probes_close(p);
        return -1;
    }
    if (!o->counters)
        snprintf(p->counter_error, sizeof p->counter_error, "counters disabled (--no-counters)");
    if (o->bind_threads && dev_binding_create(&p->binding, p->binding_reason, sizeof p->binding_reason) != 0)
        p->binding = NULL;
    return 0;
}

void runner_probes_close(runner_probes *p)
{
    if (p->sampler)
        dev_sampler_free(p->sampler);
    if (p->counters)
        dev_counters_free(p->counters);
    if (p->binding)
        dev_binding_free(p->binding);
    memset(p, 0, sizeof *p);
}

cJSON *runner_device_json(const runner_probes *p)
{
    dev_fingerprint fp;
    char err[DEV_ERROR_SIZE];
    cJSON *device;
    if (dev_fingerprint_collect(&fp, err, sizeof err) == 0) {
        device = dev_fingerprint_to_json(&fp);
        if (!cJSON_GetObjectItemCaseSensitive(device, "device_id"))
            cJSON_AddStringToObject(device, "device_id", fp.device_id);
    } else {
        device = cJSON_CreateObject();
        cJSON_AddStringToObject(device, "unavailable", err);
    }
    if (p->sampler)
        cJSON_AddItemToObject(device, "power_probes", dev_sampler_probes_to_json(p->sampler));
    else
        res_add_unavailable(device, "power_probes", p->sampler_reason);
    if (p->counters)
        cJSON_AddItemToObject(device, "counters", dev_counters_to_json(p->counters));
    if (p->binding)
        cJSON_AddItemToObject(device, "thread_binding", dev_binding_to_json(p->binding));
    return device;
}

void runner_hook_prefill_start(void *user)
{
    runner_probes *p = user;
    p->prefill_ok = p->decode_ok = 0;
    p->counter_error[0] = '\0';
    if (p->counters && dev_counters_available(p->counters))
        dev_counters_start(p->counters, p->counter_error, sizeof p->counter_error);
}

void runner_hook_first_token(void *user)
{
    runner_probes *p = user;
    if (!p->counters || !dev_counters_available(p->counters))
        return;
    p->prefill_ok = dev_counters_read(p->counters, &p->prefill, p->counter_error, sizeof p->counter_error) == 0;
    dev_counters_start(p->counters, p->counter_error, sizeof p->counter_error);
}

void runner_probes_end_generation(runner_probes *p)
{
    if (!p->counters || !dev_counters_available(p->counters))
        return;
    p->decode_ok = dev_counters_read(p->counters, &p->decode, p->counter_error, sizeof p->counter_error) == 0;
}

void runner_add_counters(runner_probes *p, cJSON *item)
{
    if (!p->counters || !dev_counters_available(p->counters)) {
        res_add_unavailable(item, "counters", p->counters ? dev_counters_reason(p->counters) : p->counter_error);
        return;
    }
    if (!p->prefill_ok && !p->decode_ok) {
        res_add_unavailable(item, "counters", p->counter_error[0] ? p->counter_error : "no phase was read");
        return;
    }
    cJSON *counters = cJSON_AddObjectToObject(item, "counters");
    cJSON_AddStringToObject(counters, "scope", "calling thread (engine pool thread 0)");
    if (p->prefill_ok)
        cJSON_AddItemToObject(counters, "prefill", dev_counter_reading_to_json(p->counters, &p->prefill));
    else
        res_add_unavailable(counters, "prefill", "no first token");
    if (p->decode_ok)
        cJSON_AddItemToObject(counters, "decode", dev_counter_reading_to_json(p->counters, &p->decode));
    else
        res_add_unavailable(counters, "decode", p->counter_error);
}

static void energy_method(const dev_energy *e, char *out, size_t size)
{
    if (!strcmp(e->method, "estimated"))
        snprintf(out, size, "estimated: profile %s (idle/full-load watts x CPU utilisation)",
                 e->profile[0] ? e->profile : e->probe);
    else
        snprintf(out, size, "measured: %s (%s)", e->probe, e->integration);
}

void runner_add_energy(runner_probes *p, cJSON *item, uint64_t t0_ns, uint64_t t1_ns)
{
    dev_energy e;
    char err[DEV_ERROR_SIZE] = "";
    if (!p->sampler || dev_sampler_energy(p->sampler, t0_ns, t1_ns, &e, err, sizeof err) != 0) {
        const char *why = p->sampler ? err : p->sampler_reason;
        res_add_unavailable(item, "energy_j", why);
        res_add_unavailable(item, "energy_dynamic_j", why);
        res_add_unavailable(item, "energy_method", why);
        res_add_unavailable(item, "power_avg_w", why);
        return;
    }
    cJSON_AddNumberToObject(item, "energy_j", e.energy_j);
    if (e.idle_power_w >= 0 && isfinite(e.dynamic_energy_j))
        cJSON_AddNumberToObject(item, "energy_dynamic_j", e.dynamic_energy_j);
    else
        res_add_unavailable(item, "energy_dynamic_j", "no idle baseline (--idle-baseline S)");
    char method[160];
    energy_method(&e, method, sizeof method);
    cJSON_AddStringToObject(item, "energy_method", method);
    cJSON_AddNumberToObject(item, "power_avg_w", e.avg_power_w);
    cJSON_AddNumberToObject(item, "energy_samples", e.n_samples);
}

void runner_add_rss(cJSON *item)
{
    char err[256];
    long long rss = res_rss_peak_bytes(err, sizeof err);
    if (rss >= 0)
        cJSON_AddNumberToObject(item, "rss_peak_bytes", (double)rss);
    else
        res_add_unavailable(item, "rss_peak_bytes", err);
}

void runner_add_trace(runner_probes *p, cJSON *run, uint64_t t0_ns, uint64_t t1_ns)
{
    cJSON_DeleteItemFromObjectCaseSensitive(run, "trace");
    cJSON_DeleteItemFromObjectCaseSensitive(run, "throttling");
    if (!p->sampler) {
        cJSON *trace = cJSON_AddObjectToObject(run, "trace");
        cJSON_AddStringToObject(trace, "unavailable", p->sampler_reason);
        return;
    }
    cJSON *trace = dev_sampler_trace_to_json(p->sampler, t0_ns, t1_ns);
    cJSON_AddItemToObject(run, "trace", trace ? trace : cJSON_CreateObject());
    cJSON *throttle = dev_sampler_throttle_to_json(p->sampler, t0_ns, t1_ns);
    if (throttle)
        cJSON_AddItemToObject(run, "throttling", throttle);
}

void runner_add_phase_energy(runner_probes *p, cJSON *item, uint64_t t0_ns, uint64_t t_first_ns, uint64_t t1_ns)
{
    dev_energy e;
    char err[DEV_ERROR_SIZE] = "";
    const char *why = "no first token: no phase boundary";
    if (!p->sampler)
        why = p->sampler_reason;
    if (p->sampler && t_first_ns > t0_ns && t1_ns >= t_first_ns) {
        if (dev_sampler_energy(p->sampler, t0_ns, t_first_ns, &e, err, sizeof err) == 0)
            cJSON_AddNumberToObject(item, "energy_prefill_j", e.energy_j);
        else
            res_add_unavailable(item, "energy_prefill_j", err);
        if (dev_sampler_energy(p->sampler, t_first_ns, t1_ns, &e, err, sizeof err) == 0)
            cJSON_AddNumberToObject(item, "energy_decode_j", e.energy_j);
        else
            res_add_unavailable(item, "energy_decode_j", err);
        return;
    }
    res_add_unavailable(item, "energy_prefill_j", why);
    res_add_unavailable(item, "energy_decode_j", why);
}
