/*
 * counters.c — hardware counters through PAPI around one phase (prefill or
 * decode): instructions, cycles, L1D misses, last-level cache misses, branch
 * misses, whichever this machine offers.
 *
 * Invariants: every event is queried before it is added; an event that
 * cannot be added is skipped, never faked. With no event at all the object
 * is "unavailable" and keeps PAPI's reason and perf_event_paranoid. An event
 * set counts the thread that starts it, so open/start/read happen on one
 * thread. PAPI's own library state is PAPI's; we keep none.
 */
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dev_internal.h"
#include "devices/dev_probe.h"
#include "devices/device.h"

struct dev_counters {
    int available;
    int event_set;
    int running;
    int n;
    char names[DEV_COUNTERS_MAX][32];
    uint64_t t0_ns;
    char reason[256];
    int perf_event_paranoid;   /* INT32_MIN when unreadable */
};

typedef struct counter_candidate {
    const char *papi_name;
    const char *name;
} counter_candidate;

static const counter_candidate candidates[] = {
    {"PAPI_TOT_INS", "instructions"},
    {"PAPI_TOT_CYC", "cycles"},
    {"PAPI_L1_DCM", "l1d_misses"},
    {"PAPI_L3_TCM", "llc_misses"},
    {"PAPI_BR_MSP", "branch_misses"},
};

static int read_paranoid(void)
{
    double v;
    if (dev_read_double("/proc/sys/kernel/perf_event_paranoid", &v, NULL))
        return INT32_MIN;
    return (int)v;
}

int dev_papi_init(char *reason, size_t reason_size)
{
    if (PAPI_is_initialized() != PAPI_NOT_INITED)
        return 0;
    int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT) {
        dev_set_err(reason, reason_size, "PAPI_library_init failed: %s",
                    rc > 0 ? "version mismatch" : PAPI_strerror(rc));
        return -1;
    }
    return 0;
}

/* 1 when the kernel exposes a CPU PMU (x86 "cpu", arm "armv8_*"). */
static int have_cpu_pmu(void)
{
    char names[64][64];
    int n = dev_list_dir("/sys/bus/event_source/devices", "", names, 64);
    for (int i = 0; i < n; i++)
        if (!strncmp(names[i], "cpu", 3) || !strncmp(names[i], "armv", 4))
            return 1;
    return 0;
}

/* Why no event could be added, in PAPI's words, plus what the kernel shows. */
static void explain_unavailable(dev_counters *c, const char *first_error)
{
    const PAPI_component_info_t *info = PAPI_get_component_info(0);
    const char *pmu = have_cpu_pmu() ? ""
                                     : "; no CPU PMU in /sys/bus/event_source/devices "
                                       "(a VM without a virtual PMU)";
    if (info && info->disabled)
        dev_fmt(c->reason, sizeof c->reason, "PAPI component %s disabled: %s%s", info->name,
                info->disabled_reason[0] ? info->disabled_reason : "no reason given", pmu);
    else
        dev_fmt(c->reason, sizeof c->reason, "PAPI %s: no counter event can be added (%s)%s",
                info ? info->name : "cpu component", first_error[0] ? first_error : "none queried",
                pmu);
}

static void add_events(dev_counters *c)
{
    char first_error[128] = "";
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        int code, rc = PAPI_event_name_to_code((char *)candidates[i].papi_name, &code);
        if (rc == PAPI_OK)
            rc = PAPI_query_event(code);
        if (rc == PAPI_OK)
            rc = PAPI_add_event(c->event_set, code);   /* may fail: conflict, not countable */
        if (rc != PAPI_OK) {
            if (!first_error[0])
                dev_fmt(first_error, sizeof first_error, "%s: %s", candidates[i].papi_name,
                        PAPI_strerror(rc));
            continue;
        }
        dev_copy(c->names[c->n], sizeof c->names[c->n], candidates[i].name);
        c->n++;
    }
    if (c->n == 0)
        explain_unavailable(c, first_error);
}

int dev_counters_open(dev_counters **out, char *err, size_t err_size)
{
    dev_counters *c = calloc(1, sizeof *c);
    if (!c) {
        dev_set_err(err, err_size, "out of memory");
        return -1;
    }
    c->event_set = PAPI_NULL;
    c->perf_event_paranoid = read_paranoid();
    *out = c;
    if (dev_papi_init(c->reason, sizeof c->reason))
        return 0;
    int rc = PAPI_create_eventset(&c->event_set);
    if (rc != PAPI_OK) {
        dev_set_err(c->reason, sizeof c->reason, "PAPI_create_eventset: %s", PAPI_strerror(rc));
        c->event_set = PAPI_NULL;
        return 0;
    }
    add_events(c);
    c->available = c->n > 0;
    return 0;
}

int dev_counters_available(const dev_counters *c)
{
    return c && c->available;
}

const char *dev_counters_reason(const dev_counters *c)
{
    return c ? c->reason : "no counters object";
}

int dev_counters_start(dev_counters *c, char *err, size_t err_size)
{
    if (!c->available) {
        dev_set_err(err, err_size, "counters unavailable: %s", c->reason);
        return -1;
    }
    if (c->running) {
        long long discard[DEV_COUNTERS_MAX];
        PAPI_stop(c->event_set, discard);
        c->running = 0;
    }
    int rc = PAPI_start(c->event_set);
    if (rc != PAPI_OK) {
        dev_set_err(err, err_size, "PAPI_start: %s", PAPI_strerror(rc));
        return -1;
    }
    c->running = 1;
    c->t0_ns = dev_now_ns();
    return 0;
}

int dev_counters_read(dev_counters *c, dev_counter_reading *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (!c->available || !c->running) {
        dev_set_err(err, err_size, "counters %s", c->available ? "not started" : c->reason);
        return -1;
    }
    int rc = PAPI_stop(c->event_set, out->values);
    c->running = 0;
    if (rc != PAPI_OK) {
        dev_set_err(err, err_size, "PAPI_stop: %s", PAPI_strerror(rc));
        return -1;
    }
    out->n = c->n;
    memcpy(out->names, c->names, sizeof out->names);
    out->t0_ns = c->t0_ns;
    out->t1_ns = dev_now_ns();
    return 0;
}

static cJSON *unavailable_json(const dev_counters *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "unavailable");
    cJSON_AddStringToObject(o, "reason", c->reason);
    if (c->perf_event_paranoid != INT32_MIN)
        cJSON_AddNumberToObject(o, "perf_event_paranoid", c->perf_event_paranoid);
    else
        cJSON_AddStringToObject(o, "perf_event_paranoid", "unreadable");
    return o;
}

cJSON *dev_counters_to_json(const dev_counters *c)
{
    if (!c->available)
        return unavailable_json(c);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "available");
    cJSON_AddStringToObject(o, "source", "PAPI");
    cJSON *events = cJSON_AddArrayToObject(o, "events");
    for (int i = 0; i < c->n; i++)
        cJSON_AddItemToArray(events, cJSON_CreateString(c->names[i]));
    cJSON_AddStringToObject(o, "scope", "calling thread");
    return o;
}

cJSON *dev_counter_reading_to_json(const dev_counters *c, const dev_counter_reading *r)
{
    if (!c->available || !r || r->n == 0)
        return unavailable_json(c);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "duration_ms", (double)(r->t1_ns - r->t0_ns) / 1e6);
    for (int i = 0; i < r->n; i++)
        cJSON_AddNumberToObject(o, r->names[i], (double)r->values[i]);
    return o;
}

void dev_counters_free(dev_counters *c)
{
    if (!c)
        return;
    if (c->event_set != PAPI_NULL) {
        if (c->running) {
            long long discard[DEV_COUNTERS_MAX];
            PAPI_stop(c->event_set, discard);
        }
        PAPI_cleanup_eventset(c->event_set);
        PAPI_destroy_eventset(&c->event_set);
    }
    free(c);
}
