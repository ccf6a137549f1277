/*
 * probe_other.c — the probe list, the Raspberry Pi 5 PMIC probe (through a
 * configurable vcgencmd), the PAPI rapl/powercap component probe, the
 * estimated probe, and one-sample dispatch over every kind.
 *
 * Invariants: the estimated probe is always usable and always says it is an
 * estimate and which profile it used; commands are run only when configured
 * or on a board that names itself a Raspberry Pi 5; a PAPI event set is
 * started by the thread that first samples it (the sampler thread).
 */
#include <math.h>
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dev_probe.h"

static const char *const kind_names[DEV_PROBE_KIND_COUNT] = {
    "rapl", "papi_rapl", "hwmon", "battery", "rpi_pmic", "external", "estimated"};

const char *dev_probe_kind_name(dev_probe_kind kind)
{
    return (kind >= 0 && kind < DEV_PROBE_KIND_COUNT) ? kind_names[kind] : "unknown";
}

dev_probe *dev_probe_list_add(dev_probe_list *list, dev_probe_kind kind, const char *name)
{
    if (list->n == list->cap) {
        int cap = list->cap ? list->cap * 2 : 8;
        dev_probe *items = realloc(list->items, (size_t)cap * sizeof *items);
        if (!items)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    dev_probe *p = &list->items[list->n++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->idle_w = -1.0;
    p->papi_event_set = PAPI_NULL;
    dev_copy(p->name, sizeof p->name, name);
    return p;
}

void dev_probe_release(dev_probe *p)
{
    if (p->kind == DEV_PROBE_EXTERNAL)
        dev_meter_close(p);
    if (p->papi_event_set != PAPI_NULL) {
        long long discard[DEV_CHANNELS_MAX];
        if (p->papi_running)
            PAPI_stop(p->papi_event_set, discard);
        PAPI_cleanup_eventset(p->papi_event_set);
        PAPI_destroy_eventset(&p->papi_event_set);
    }
    dev_series_free(&p->series);
}

void dev_probe_list_free(dev_probe_list *list)
{
    for (int i = 0; i < list->n; i++)
        dev_probe_release(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

/* ---- Raspberry Pi 5 PMIC --------------------------------------------------------- */

static int run_capture(const char *command, char *out, size_t size, char *err, size_t err_size)
{
    FILE *f = popen(command, "r");
    if (!f) {
        dev_set_err(err, err_size, "cannot run '%s'", command);
        return -1;
    }
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    if (status != 0) {
        dev_set_err(err, err_size, "'%s' exited with status %d", command, status);
        return -1;
    }
    return 0;
}

static int pmic_read(const dev_probe *p, dev_pmic_rail *rails, int *n_complete, char *err,
                     size_t err_size)
{
    char out[8192];
    if (run_capture(p->command, out, sizeof out, err, err_size))
        return -1;
    int n = dev_pmic_parse(out, rails, DEV_PMIC_RAILS_MAX);
    int complete = 0;
    for (int i = 0; i < n; i++)
        complete += rails[i].has_current && rails[i].has_voltage;
    if (complete == 0) {
        dev_set_err(err, err_size, "'%s': no rail with both current and voltage", p->command);
        return -1;
    }
    *n_complete = complete;
    return 0;
}

void dev_probe_discover_pmic(dev_probe_list *list, const char *command, int explicit_command)
{
    char model[128] = "";
    dev_read_text("/proc/device-tree/model", model, sizeof model, NULL);
    int is_pi5 = strstr(model, "Raspberry Pi 5") != NULL;
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_RPI_PMIC, "rpi_pmic");
    if (!p)
        return;
    p->measured = 1;
    p->quantity = DEV_QTY_POWER;
    if (!explicit_command && !is_pi5) {
        dev_copy(p->reason, sizeof p->reason, "not a Raspberry Pi 5 (/proc/device-tree/model)");
        return;
    }
    snprintf(p->command, sizeof p->command, "%.490s pmic_read_adc", command);
    dev_copy(p->detail, sizeof p->detail, p->command);
    dev_pmic_rail rails[DEV_PMIC_RAILS_MAX];
    int complete;
    if (pmic_read(p, rails, &complete, p->reason, sizeof p->reason))
        return;
    for (int i = 0; i < complete && i < DEV_CHANNELS_MAX; i++) {
        dev_copy(p->ch[i].name, sizeof p->ch[i].name, rails[i].name);
        p->ch[i].in_total = 1;
    }
    p->n_channels = complete < DEV_CHANNELS_MAX ? complete : DEV_CHANNELS_MAX;
    dev_copy(p->reason, sizeof p->reason,
             "sum of the PMIC rails (SoC, DRAM, I/O); excludes USB/peripheral load on 5 V");
    p->usable = 1;
    p->device_wide = 1;
}

static int pmic_sample(dev_probe *p, double *values, double *total, char *err, size_t err_size)
{
    dev_pmic_rail rails[DEV_PMIC_RAILS_MAX];
    int complete;
    if (pmic_read(p, rails, &complete, err, err_size))
        return -1;
    *total = 0.0;
    for (int c = 0; c < p->n_channels; c++) {
        values[c] = 0.0;
        for (int i = 0; i < complete; i++)
            if (!strcmp(rails[i].name, p->ch[c].name))
                values[c] = rails[i].current_a * rails[i].voltage_v;
        *total += values[c];
    }
    return 0;
}

/* ---- PAPI rapl / powercap component ------------------------------------------------ */

/* Energy events of a component: powercap "ENERGY_UJ" (uJ), rapl "*_ENERGY:" (nJ). */
static void papi_add_events(dev_probe *p, int cid, const char *component)
{
    int code = PAPI_NATIVE_MASK;
    int is_powercap = !strcmp(component, "powercap");
    if (PAPI_enum_cmp_event(&code, PAPI_ENUM_FIRST, cid) != PAPI_OK)
        return;
    do {
        char name[PAPI_MAX_STR_LEN];
        if (PAPI_event_code_to_name(code, name) != PAPI_OK)
            continue;
        int wanted = is_powercap ? (strstr(name, ":::ENERGY_UJ:") != NULL)
                                 : (strstr(name, "_ENERGY:") != NULL && !strstr(name, "_CNT"));
        if (!wanted || p->n_channels >= DEV_CHANNELS_MAX ||
            PAPI_add_event(p->papi_event_set, code) != PAPI_OK)
            continue;
        dev_channel *c = &p->ch[p->n_channels];
        memset(c, 0, sizeof *c);
        const char *short_name = strstr(name, ":::");
        dev_copy(c->name, sizeof c->name, short_name ? short_name + 3 : name);
        c->scale = is_powercap ? 1e-6 : 1e-9;
        c->in_total = strstr(name, "PACKAGE") != NULL || strstr(name, "ZONE") != NULL;
        c->papi_index = p->n_channels++;
    } while (PAPI_enum_cmp_event(&code, PAPI_ENUM_EVENTS, cid) == PAPI_OK);
}

void dev_probe_discover_papi_rapl(dev_probe_list *list)
{
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_PAPI_RAPL, "papi_rapl");
    if (!p)
        return;
    p->measured = 1;
    p->quantity = DEV_QTY_ENERGY;
    if (dev_papi_init(p->reason, sizeof p->reason))
        return;
    const char *components[] = {"powercap", "rapl"};
    char reasons[2][120] = {"", ""};
    for (int i = 0; i < 2; i++) {
        int cid = PAPI_get_component_index(components[i]);
        const PAPI_component_info_t *info = cid >= 0 ? PAPI_get_component_info(cid) : NULL;
        if (!info) {
            snprintf(reasons[i], sizeof reasons[i], "%s component not built in", components[i]);
            continue;
        }
        if (info->disabled) {
            snprintf(reasons[i], sizeof reasons[i], "%s component disabled: %.80s", components[i],
                     info->disabled_reason);
            continue;
        }
        if (PAPI_create_eventset(&p->papi_event_set) != PAPI_OK)
            continue;
        papi_add_events(p, cid, components[i]);
        if (p->n_channels > 0) {
            snprintf(p->detail, sizeof p->detail, "PAPI component %s", components[i]);
            p->usable = 1;
            p->device_wide = 1;
            return;
        }
        PAPI_cleanup_eventset(p->papi_event_set);
        PAPI_destroy_eventset(&p->papi_event_set);
        snprintf(reasons[i], sizeof reasons[i], "%s: no energy events", components[i]);
    }
    snprintf(p->reason, sizeof p->reason, "PAPI: %s; %s", reasons[0], reasons[1]);
}

static int papi_sample(dev_probe *p, double *values, double *total, char *err, size_t err_size)
{
    long long raw[DEV_CHANNELS_MAX];
    if (!p->papi_running) {
        if (PAPI_start(p->papi_event_set) != PAPI_OK) {
            dev_set_err(err, err_size, "PAPI_start on %s failed", p->detail);
            return -1;
        }
        p->papi_running = 1;
    }
    if (PAPI_read(p->papi_event_set, raw) != PAPI_OK) {
        dev_set_err(err, err_size, "PAPI_read on %s failed", p->detail);
        return -1;
    }
    *total = 0.0;
    for (int c = 0; c < p->n_channels; c++) {
        dev_channel *ch = &p->ch[c];
        uint64_t cur = (uint64_t)raw[ch->papi_index];
        if (ch->have_last)
            ch->accumulated_j += (double)dev_counter_delta(ch->last_raw, cur, ch->max_range) *
                                 ch->scale;
        ch->last_raw = cur;
        ch->have_last = 1;
        values[c] = ch->accumulated_j;
        if (ch->in_total)
            *total += values[c];
    }
    return 0;
}

/* ---- estimated ------------------------------------------------------------------------ */

void dev_probe_discover_estimated(dev_probe_list *list, const char *profiles_dir,
                                  const char *brand, int n_cpus)
{
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_ESTIMATED, "estimated");
    if (!p)
        return;
    p->measured = 0;
    p->quantity = DEV_QTY_POWER;
    p->n_cpus = n_cpus;
    dev_profile_select(profiles_dir, brand, &p->profile);
    snprintf(p->detail, sizeof p->detail, "profile %.60s (%.180s)", p->profile.name,
             p->profile.file);
    dev_fmt(p->reason, sizeof p->reason,
             "estimate: idle + (full load - idle) x CPU utilisation from /proc/stat%s%.200s",
             p->profile.warning[0] ? "; " : "", p->profile.warning);
    dev_copy(p->ch[0].name, sizeof p->ch[0].name, "cpu");
    p->ch[0].in_total = 1;
    p->n_channels = 1;
    p->idle_w = dev_profile_power_w(&p->profile, 0.0, n_cpus);
    p->usable = 1;
    p->device_wide = 1;
}

/* ---- one sample ------------------------------------------------------------------------ */

static int sysfs_sample(dev_probe *p, double *values, double *total, char *err, size_t err_size)
{
    *total = 0.0;
    for (int c = 0; c < p->n_channels; c++) {
        if (dev_channel_read(&p->ch[c], p->quantity, &values[c], err, err_size))
            return -1;
        if (p->kind == DEV_PROBE_BATTERY)
            values[c] = fabs(values[c]);   /* sign conventions differ between drivers */
        if (p->ch[c].in_total)
            *total += values[c];
    }
    return 0;
}

int dev_probe_sample(dev_probe *p, uint64_t now_ns, double util, char *err, size_t err_size)
{
    double values[DEV_CHANNELS_MAX], total = 0.0;
    int rc = 0;
    if (!p->usable)
        return 0;
    p->series.n_channels = p->n_channels;
    switch (p->kind) {
    case DEV_PROBE_EXTERNAL:
        return dev_meter_poll(p, err, err_size);   /* samples carry the meter's own times */
    case DEV_PROBE_ESTIMATED:
        values[0] = total = dev_profile_power_w(&p->profile, util, p->n_cpus);
        break;
    case DEV_PROBE_RPI_PMIC:
        rc = pmic_sample(p, values, &total, err, err_size);
        break;
    case DEV_PROBE_PAPI_RAPL:
        rc = papi_sample(p, values, &total, err, err_size);
        break;
    case DEV_PROBE_BATTERY:
        if (!dev_battery_discharging(p))
            return 0;   /* on AC the battery does not see the device's draw */
        rc = sysfs_sample(p, values, &total, err, err_size);
        break;
    default:
        rc = sysfs_sample(p, values, &total, err, err_size);
        break;
    }
    if (rc)
        return rc;
    if (dev_series_append(&p->series, now_ns, total, values) < 0) {
        dev_set_err(err, err_size, "out of memory storing samples");
        return -1;
    }
    return 0;
}
