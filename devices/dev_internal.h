/*
 * dev_internal.h — helpers shared inside devices/ (not for the harness):
 * root-prefixed sysfs/procfs reading, error formatting, hashing, and the
 * small parsers that tests exercise directly.
 *
 * Invariants: every path given to dev_read_* is an absolute path as it would
 * be on a real system ("/sys/class/..."); the SLMBENCH_SYSFS_ROOT prefix is
 * applied here and nowhere else. Readers never abort: they return non-zero
 * and set *errno_out (may be NULL) so callers can explain a permission error.
 */
#ifndef DEV_INTERNAL_H
#define DEV_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define DEV_PATH_SIZE 512

/* "/" unless SLMBENCH_SYSFS_ROOT is set and non-empty. */
const char *dev_sysfs_root(void);
/* out = root + path (no double slash). Non-zero if it does not fit. */
int dev_path(char *out, size_t size, const char *path);
/* Reads a small file under the root, strips trailing whitespace. */
int dev_read_text(const char *path, char *buf, size_t size, int *errno_out);
int dev_read_u64(const char *path, uint64_t *out, int *errno_out);
int dev_read_double(const char *path, double *out, int *errno_out);
/* 1 if path (under the root) exists. */
int dev_exists(const char *path);

void dev_set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dev_copy(char *dst, size_t size, const char *src);
/* snprintf that truncates silently (paths built from short sysfs names). */
void dev_fmt(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

uint64_t dev_fnv1a(const char *text, uint64_t hash);
#define DEV_FNV_OFFSET 0xcbf29ce484222325ULL

uint64_t dev_realtime_ns(void);

struct dev_topology;
/* hwloc topology counts; brand/vendor from hwloc's CPUModel/CPUVendor infos
 * (what aarch64 has when libcpuid does not apply). */
int dev_topology_collect(struct dev_topology *out, char *brand, size_t brand_size, char *vendor,
                         size_t vendor_size, char *err, size_t err_size);

/* Initialises PAPI once (PAPI keeps its own state); reason on failure. */
int dev_papi_init(char *reason, size_t reason_size);

/* aarch64 identification from /proc/cpuinfo ids; NULL when unknown. */
const char *dev_arm_implementer_name(unsigned implementer);
const char *dev_arm_part_name(unsigned implementer, unsigned part);

/* ---- parsers tested directly ------------------------------------------------------- */

/* /proc/stat first line -> busy and total jiffies. */
int dev_parse_proc_stat(const char *text, uint64_t *busy, uint64_t *total);
/* Utilisation 0..1 between two snapshots (0 when total did not move). */
double dev_cpu_util(uint64_t busy0, uint64_t total0, uint64_t busy1, uint64_t total1);

/* RAPL-style counter delta with wraparound at max_range (raw units). */
uint64_t dev_counter_delta(uint64_t prev, uint64_t cur, uint64_t max_range);

#define DEV_PMIC_RAILS_MAX 24
typedef struct dev_pmic_rail {
    char name[48];
    double current_a, voltage_v;
    int has_current, has_voltage;
} dev_pmic_rail;
/* Parses `vcgencmd pmic_read_adc` output: "NAME_A current(N)=0.123A" and
 * "NAME_V volt(N)=0.8V" lines, paired by NAME. Returns the number of rails
 * (with both current and voltage first), -1 on nothing parseable. */
int dev_pmic_parse(const char *text, dev_pmic_rail *rails, int max_rails);

/* One external-meter line "timestamp watts" (space, tab or comma separated).
 * Returns 0 and fills both on success, non-zero for headers/comments/garbage. */
int dev_meter_parse_line(const char *line, double *timestamp, double *watts);

/* Estimated-power profile (devices/profiles/NAME.json). */
typedef struct dev_profile {
    char name[64];
    char source[160];
    char file[DEV_PATH_SIZE];     /* where it came from, "built-in" */
    char warning[200];            /* a profile file that could not be used, or "" */
    double idle_w, full_load_w;   /* whole device, or per CPU when per_cpu */
    int per_cpu;
} dev_profile;
/* Picks the profile whose "match" substrings occur in brand (case-insensitive),
 * else the one named "generic", else a built-in generic. dir may be NULL
 * (then the default search). Never fails; *out always holds a profile. */
void dev_profile_select(const char *dir, const char *brand, dev_profile *out);
/* Estimated power at utilisation util with n_cpus logical CPUs. */
double dev_profile_power_w(const dev_profile *p, double util, int n_cpus);

#endif
