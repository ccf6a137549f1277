/*
 * device.h — the device layer: who the device is (fingerprint), binding the
 * engine's threads to cores, hardware counters around a phase, and a power /
 * temperature / frequency sampler that answers "how many joules between t0
 * and t1" for any CLOCK_MONOTONIC window.
 *
 * Conventions and invariants:
 *  - Every function that can fail returns 0 on success, non-zero otherwise,
 *    and writes one line into err[err_size] (DEV_ERROR_SIZE is always enough).
 *  - Every sysfs/procfs path is read under the root prefix given by the
 *    environment variable SLMBENCH_SYSFS_ROOT (default "/"), so tests can
 *    build fake trees. Nothing here caches the prefix in global state.
 *  - Timestamps are CLOCK_MONOTONIC nanoseconds (as in engine/slm.h).
 *  - A value that cannot be measured is reported as "unavailable" with a
 *    reason; an estimate is always labelled "estimated" with its profile.
 *  - JSON field names carry units: energy_j, power_w, temp_c, freq_mhz, bytes.
 *  - No global mutable state; objects are owned by the caller and freed with
 *    the matching *_free. A dev_sampler is thread-safe (its own thread writes,
 *    any thread queries); the other objects are used from one thread.
 */
#ifndef DEV_DEVICE_H
#define DEV_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEV_ERROR_SIZE 512
#define DEV_ID_SIZE 17          /* 16 hex digits + NUL */

/* Current CLOCK_MONOTONIC time in nanoseconds. */
uint64_t dev_now_ns(void);

/* ---- fingerprint --------------------------------------------------------------- */

/* ISA features that matter for inference. -1 = not applicable to this arch. */
typedef struct dev_isa {
    int sse4_2, avx2, fma, f16c;
    int avx512f, avx512bw, avx512vnni, avx512bf16, amx;   /* x86 */
    int neon, dotprod, i8mm, sve;                          /* aarch64 */
} dev_isa;

typedef struct dev_cpu {
    char arch[16];          /* "x86_64", "aarch64", ... (uname machine) */
    char vendor[32];        /* "AuthenticAMD", "GenuineIntel", "ARM", ... */
    char brand[128];        /* "AMD EPYC 7B13", "Cortex-A76", ... */
    int family, model, stepping;   /* display family/model; -1 if unknown */
    int cores;              /* physical cores (hwloc), fallback libcpuid */
    int threads;            /* logical CPUs (PUs) */
    dev_isa isa;
    char source[64];        /* "libcpuid", "hwloc+/proc/cpuinfo", ... */
} dev_cpu;

typedef struct dev_topology {
    int packages, cores, pus, numa_nodes;
    uint64_t l1d_bytes, l2_bytes, l3_bytes;   /* per instance, 0 if absent */
    uint64_t memory_bytes;                    /* hwloc total memory */
} dev_topology;

typedef struct dev_cpufreq {
    int available;          /* 0: no cpufreq in sysfs (e.g. a VM) */
    char governor[32];
    double min_mhz, max_mhz, cur_mhz;   /* cpu0 */
} dev_cpufreq;

typedef struct dev_fingerprint {
    dev_cpu cpu;
    dev_topology topology;
    char os[64];            /* uname sysname */
    char kernel[128];       /* uname release */
    char os_pretty[128];    /* /etc/os-release PRETTY_NAME, "" if absent */
    uint64_t mem_total_bytes, mem_available_bytes;   /* /proc/meminfo */
    dev_cpufreq cpufreq;
    char board_model[128];  /* /proc/device-tree/model, "" if absent */
    char dmi_product[128];  /* /sys/class/dmi/id/product_name, "" if absent */
    int hypervisor;         /* 1 running under a hypervisor */
    char hypervisor_vendor[32];
    int battery_present;
    char device_id[DEV_ID_SIZE];  /* FNV-1a 64 of the stable fields, hex */
} dev_fingerprint;

/* Collects everything above. Fields that cannot be read stay empty/0; only a
 * failure to identify the CPU at all is an error. */
int dev_fingerprint_collect(dev_fingerprint *out, char *err, size_t err_size);
/* Recomputes out->device_id from the stable fields (CPU identity and ISA,
 * topology, total memory rounded to GiB, board/DMI model, OS and arch; never
 * frequencies, available memory or the kernel release). */
void dev_fingerprint_compute_id(dev_fingerprint *fp);
cJSON *dev_fingerprint_to_json(const dev_fingerprint *fp);

/* ---- thread binding (for slm_context_params.thread_init) ------------------------ */

typedef struct dev_binding dev_binding;

/* Prepares binding of pool thread i to physical core i (modulo the number of
 * cores) through hwloc. */
int dev_binding_create(dev_binding **out, char *err, size_t err_size);
/* Matches slm_context_params.thread_init; user is the dev_binding. Records
 * per-thread success (it cannot report errors itself). */
void dev_binding_thread_init(int thread_index, void *user);
/* {"bound_threads": n, "failed_threads": n, "first_error": "..."} */
cJSON *dev_binding_to_json(const dev_binding *binding);
void dev_binding_free(dev_binding *binding);

/* ---- hardware counters (PAPI) ----------------------------------------------------- */

#define DEV_COUNTERS_MAX 8

typedef struct dev_counters dev_counters;

typedef struct dev_counter_reading {
    int n;
    char names[DEV_COUNTERS_MAX][32];   /* "instructions", "cycles", "l1d_misses", ... */
    long long values[DEV_COUNTERS_MAX];
    uint64_t t0_ns, t1_ns;
} dev_counter_reading;

/* Always succeeds unless out of memory: when PAPI or every event is
 * unavailable the object says so (dev_counters_available() == 0) and carries
 * PAPI's reason and perf_event_paranoid. Counts the calling thread. */
int dev_counters_open(dev_counters **out, char *err, size_t err_size);
int dev_counters_available(const dev_counters *c);
const char *dev_counters_reason(const dev_counters *c);
/* Start before a phase and read after it, from the same thread. Both fail
 * (with the reason) when counters are unavailable. */
int dev_counters_start(dev_counters *c, char *err, size_t err_size);
int dev_counters_read(dev_counters *c, dev_counter_reading *out, char *err, size_t err_size);
/* Capabilities: {"status":"available","events":[...]} or
 * {"status":"unavailable","reason":"...","perf_event_paranoid":2}. */
cJSON *dev_counters_to_json(const dev_counters *c);
/* One phase: {"instructions":n,...} or the unavailable object above. */
cJSON *dev_counter_reading_to_json(const dev_counters *c, const dev_counter_reading *r);
void dev_counters_free(dev_counters *c);

/* ---- power / energy sampler -------------------------------------------------------- */

typedef enum dev_probe_kind {
    DEV_PROBE_RAPL = 0,        /* powercap intel-rapl zones (energy counters) */
    DEV_PROBE_PAPI_RAPL,       /* PAPI rapl/powercap component (energy counters) */
    DEV_PROBE_HWMON,           /* hwmon power, energy, in+curr pairs (INA-style) */
    DEV_PROBE_BATTERY,         /* power_supply, only while discharging */
    DEV_PROBE_RPI_PMIC,        /* vcgencmd pmic_read_adc (Raspberry Pi 5) */
    DEV_PROBE_EXTERNAL,        /* external meter: command or CSV */
    DEV_PROBE_ESTIMATED,       /* profile idle/full-load watts x utilisation */
    DEV_PROBE_KIND_COUNT
} dev_probe_kind;

const char *dev_probe_kind_name(dev_probe_kind kind);   /* "rapl", "hwmon", ... */

typedef struct dev_sampler_config {
    double hz;                   /* sampling rate; <= 0: 10 */
    const char *probes;          /* NULL/"auto": all found; else comma list of kind names */
    double idle_baseline_s;      /* seconds measured idle in dev_sampler_start; 0: none */
    double idle_power_w;         /* > 0: use this idle power instead of measuring */
    const char *external_cmd;    /* meter command printing "timestamp watts" lines, or NULL */
    const char *external_csv;    /* CSV "timestamp,watts" file, or NULL */
    const char *external_clock;  /* "auto" (NULL), "monotonic", "realtime", "relative" */
    double external_offset_s;    /* added to meter timestamps after alignment */
    const char *vcgencmd;        /* command for the Pi PMIC; NULL: "vcgencmd" on a Pi only */
    const char *profiles_dir;    /* NULL: $SLMBENCH_PROFILES_DIR, ./devices/profiles, next to the binary */
    const char *cpu_brand;       /* for profile matching; NULL: detect */
    double trip_temp_c;          /* > 0: thermal throttle threshold instead of trip points */
    int manual;                  /* 1: no thread; the caller drives dev_sampler_poll() */
} dev_sampler_config;

void dev_sampler_config_defaults(dev_sampler_config *cfg);

typedef struct dev_sampler dev_sampler;

/* Finds the probes, then (unless manual) starts the sampling thread and, if
 * idle_baseline_s > 0, blocks that long to measure the idle power. Probes
 * that exist but cannot be read are listed as unavailable with the reason.
 * The estimated probe is always present; it is primary only when no
 * device-wide measured probe is (a GPU's or a drive's sensor never is). */
int dev_sampler_start(const dev_sampler_config *cfg, dev_sampler **out, char *err, size_t err_size);
/* Takes one sample of every probe at time now_ns (manual mode, tests, or to
 * close a window precisely). */
int dev_sampler_poll(dev_sampler *s, uint64_t now_ns, char *err, size_t err_size);
/* Measures the idle power over [t0_ns, t1_ns] of samples already taken. */
int dev_sampler_set_idle_window(dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns, char *err, size_t err_size);
/* Stops the thread after a last sample at the stop time (samples stay
 * queryable for any window up to then). Idempotent. */
void dev_sampler_stop(dev_sampler *s);
void dev_sampler_free(dev_sampler *s);

typedef struct dev_energy {
    char method[16];        /* "measured" or "estimated" */
    char probe[64];         /* "rapl", "hwmon:ina3221", "estimated", ... */
    char profile[64];       /* estimated: the profile name; else "" */
    char integration[16];   /* "counter" (energy deltas) or "trapezoid" (power) */
    double duration_s;
    double energy_j;        /* total over the window */
    double dynamic_energy_j;/* energy_j - idle_power_w * duration_s (may be < 0 from noise) */
    double idle_power_w;    /* < 0: no idle baseline (dynamic_energy_j then NAN); the
                               estimated probe starts from its profile's idle watts */
    double avg_power_w, peak_power_w;
    int n_samples;          /* samples inside the window */
} dev_energy;

/* Energy of the primary probe over any window [t0_ns, t1_ns] covered by the
 * samples (interpolated at the ends). When the sampler runs and t1_ns is
 * later than the last sample, a sample is taken first. */
int dev_sampler_energy(dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns, dev_energy *out,
                       char *err, size_t err_size);
/* Same for probe index (0..dev_sampler_probe_count-1). */
int dev_sampler_probe_energy(dev_sampler *s, int probe, uint64_t t0_ns, uint64_t t1_ns,
                             dev_energy *out, char *err, size_t err_size);
/* Probes found, usable or not (an unusable one fails dev_sampler_probe_energy). */
int dev_sampler_probe_count(const dev_sampler *s);
/* Per channel (RAPL zone, INA rail, PMIC rail...) of one probe over a window:
 * [{"name", "in_total", "energy_j", "avg_power_w", "peak_power_w"}], or NULL
 * with err when the window is not covered. */
cJSON *dev_sampler_channels_to_json(dev_sampler *s, int probe, uint64_t t0_ns, uint64_t t1_ns,
                                    char *err, size_t err_size);
int dev_sampler_primary_probe(const dev_sampler *s);   /* index, -1 none */
const char *dev_sampler_probe_name(const dev_sampler *s, int probe);   /* NULL if out of range */
int dev_sampler_probe_usable(const dev_sampler *s, int probe);
cJSON *dev_energy_to_json(const dev_energy *e);

/* Probes (usable and unavailable, kind, channels, measured/estimated) and
 * thermal sensors, for `slmbench device`. */
cJSON *dev_sampler_probes_to_json(const dev_sampler *s);
/* Samples in [t0_ns, t1_ns] (0,0 = all): {"samples":[{"t_s", "power_w":{probe:w},
 * "temp_c":{zone:c}, "freq_mhz", "cpu_util"}]}, t_s relative to t0 (or first sample). */
cJSON *dev_sampler_trace_to_json(const dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns);

typedef struct dev_throttle_event {
    uint64_t t_ns;
    char kind[16];          /* "frequency" or "thermal" */
    char source[64];        /* zone type or "cpufreq" */
    double value;           /* temp_c or freq_mhz at the event */
    double threshold;       /* trip temp_c or the frequency limit in MHz */
} dev_throttle_event;

/* Throttling onsets in [t0_ns, t1_ns] (0,0 = all); returns the count (may be
 * more than max, only max are copied). */
int dev_sampler_throttle_events(const dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns,
                                dev_throttle_event *out, int max);
cJSON *dev_sampler_throttle_to_json(const dev_sampler *s, uint64_t t0_ns, uint64_t t1_ns);

#ifdef __cplusplus
}
#endif
#endif /* DEV_DEVICE_H */
