/*
 * cmd_device.c — `slmbench device`: what this device is and what it can
 * measure (fingerprint, hardware counters, power probes, thermal sensors),
 * and with --sample SECONDS the average/peak watts and joules of every
 * usable power probe over that period.
 *
 * Invariants: nothing is printed as measured that was estimated (each probe
 * carries "measured"/"estimated"); exit 0 ok, 2 usage, 3 runtime failure;
 * errors are one line "slmbench device: ...".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices/device.h"
#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/decide_args.h"

typedef struct device_options {
    int json;
    double sample_s;        /* 0: no sampling */
    dev_sampler_config cfg;
} device_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench device [--json]\n"
            "       slmbench device --sample SECONDS [--hz N] [--json] [--probes LIST]\n"
            "              [--meter-cmd CMD | --meter-csv FILE] [--meter-clock auto|monotonic|"
            "realtime|relative]\n"
            "              [--meter-offset S] [--vcgencmd CMD] [--profiles DIR] [--idle S]\n"
            "LIST: comma list of rapl,papi_rapl,hwmon,battery,rpi_pmic,external,estimated "
            "(default auto)\n"
            "Sysfs/procfs are read under $SLMBENCH_SYSFS_ROOT (default /).\n");
}

/* Inputs the user named are checked here, so a typo is a usage error and not
 * a probe that quietly drops out of the sampled results. */
static int check_named_inputs(const dev_sampler_config *cfg)
{
    static const char *const clocks[] = {"auto", "monotonic", "realtime", "relative"};
    int clock_ok = !cfg->external_clock;
    for (size_t i = 0; !clock_ok && i < sizeof clocks / sizeof clocks[0]; i++)
        clock_ok = !strcmp(cfg->external_clock, clocks[i]);
    if (!clock_ok) {
        fprintf(stderr, "slmbench device: --meter-clock: '%s' is not auto, monotonic, realtime or relative\n",
                cfg->external_clock);
        return -1;
    }
    struct stat st;
    const char *why = NULL;
    if (cfg->external_csv) {
        if (stat(cfg->external_csv, &st) != 0)
            why = strerror(errno);
        else if (S_ISDIR(st.st_mode))
            why = "is a directory, not a file";
        else if (access(cfg->external_csv, R_OK) != 0)
            why = strerror(errno);
        if (why) {
            fprintf(stderr, "slmbench device: %s: --meter-csv: %s\n", cfg->external_csv, why);
            return -1;
        }
    }
    if (cfg->profiles_dir) {
        if (stat(cfg->profiles_dir, &st) != 0)
            why = strerror(errno);
        else if (!S_ISDIR(st.st_mode))
            why = "not a directory";
        if (why) {
            fprintf(stderr, "slmbench device: %s: --profiles: %s\n", cfg->profiles_dir, why);
            return -1;
        }
    }
    return 0;
}

static int parse_args(int argc, char **argv, device_options *o)
{
    memset(o, 0, sizeof *o);
    dev_sampler_config_defaults(&o->cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "slmbench device: unknown flag or missing value: %s\n", a);
            return -1;
        }
        if (!strcmp(a, "--sample"))
            rc = decide_parse_double("device", a, v, 1e-6, 86400.0 * 7, &o->sample_s);
        else if (!strcmp(a, "--hz"))
            rc = decide_parse_double("device", a, v, 1e-6, 86400.0 * 7, &o->cfg.hz);
        else if (!strcmp(a, "--idle"))
            rc = decide_parse_double("device", a, v, 1e-6, 86400.0 * 7, &o->cfg.idle_baseline_s);
        else if (!strcmp(a, "--meter-offset"))
            rc = decide_parse_double("device", a, v, -86400, 86400, &o->cfg.external_offset_s);
        else if (!strcmp(a, "--probes"))
            o->cfg.probes = v;
        else if (!strcmp(a, "--meter-cmd"))
            o->cfg.external_cmd = v;
        else if (!strcmp(a, "--meter-csv"))
            o->cfg.external_csv = v;
        else if (!strcmp(a, "--meter-clock"))
            o->cfg.external_clock = v;
        else if (!strcmp(a, "--vcgencmd"))
            o->cfg.vcgencmd = v;
        else if (!strcmp(a, "--profiles"))
            o->cfg.profiles_dir = v;
        else {
            fprintf(stderr, "slmbench device: unknown flag %s (slmbench device --help)\n", a);
            return -1;
        }
        if (rc)
            return -1;
        i++;
    }
    if (o->cfg.hz > 1000) {
        fprintf(stderr, "slmbench device: --hz: at most 1000\n");
        return -1;
    }
    return check_named_inputs(&o->cfg);
}

static void print_text_device(const cJSON *fp, const cJSON *counters)
{
    const cJSON *cpu = cJSON_GetObjectItem(fp, "cpu");
    printf("device id   %s\n", cJSON_GetObjectItem(fp, "device_id")->valuestring);
    printf("cpu         %s (%s), %d cores, %d threads\n",
           cJSON_GetObjectItem(cpu, "brand")->valuestring,
           cJSON_GetObjectItem(cpu, "vendor")->valuestring,
           cJSON_GetObjectItem(cpu, "cores")->valueint,
           cJSON_GetObjectItem(cpu, "threads")->valueint);
    printf("isa        ");
    const cJSON *flag;
    cJSON_ArrayForEach(flag, cJSON_GetObjectItem(cpu, "isa"))
        if (!cJSON_IsNull(flag))
            printf(" %s=%s", flag->string, cJSON_IsTrue(flag) ? "yes" : "no");
    printf("\nos          %s %s\n", cJSON_GetObjectItem(fp, "os")->valuestring,
           cJSON_GetObjectItem(fp, "kernel")->valuestring);
    printf("memory      %.1f GiB total\n",
           cJSON_GetObjectItem(fp, "mem_total_bytes")->valuedouble / (1 << 30));
    printf("hypervisor  %s\n", cJSON_IsTrue(cJSON_GetObjectItem(fp, "hypervisor")) ? "yes" : "no");
    const cJSON *status = cJSON_GetObjectItem(counters, "status");
    printf("counters    %s", status->valuestring);
    if (cJSON_GetObjectItem(counters, "reason"))
        printf(": %s", cJSON_GetObjectItem(counters, "reason")->valuestring);
    printf("\n");
}

static void print_text_sensors(const cJSON *fp, const cJSON *power)
{
    const cJSON *freq = cJSON_GetObjectItem(fp, "cpufreq");
    if (cJSON_GetObjectItem(freq, "governor"))
        printf("cpufreq     %s, %.0f-%.0f MHz\n",
               cJSON_GetObjectItem(freq, "governor")->valuestring,
               cJSON_GetObjectItem(freq, "min_freq_mhz")->valuedouble,
               cJSON_GetObjectItem(freq, "max_freq_mhz")->valuedouble);
    else
        printf("cpufreq     unavailable\n");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(power, "thermal_sensors")) {
        const cJSON *temp = cJSON_GetObjectItem(p, "temp_c");
        const cJSON *trip = cJSON_GetObjectItem(p, "trip_temp_c");
        printf("thermal     %s", cJSON_GetObjectItem(p, "type")->valuestring);
        if (cJSON_IsNumber(temp))
            printf(" %.1f C", temp->valuedouble);
        if (cJSON_IsNumber(trip))
            printf(" (trip %.1f C)", trip->valuedouble);
        printf("\n");
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItem(power, "thermal_sensors")) == 0)
        printf("thermal     no sensors in /sys/class/thermal\n");
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(power, "probes"))
        printf("power probe %s (%s, %s)\n", cJSON_GetObjectItem(p, "name")->valuestring,
               cJSON_GetObjectItem(p, "method")->valuestring,
               cJSON_GetObjectItem(p, "source")->valuestring);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(power, "unavailable_probes"))
        printf("unavailable %s: %s\n", cJSON_GetObjectItem(p, "name")->valuestring,
               cJSON_GetObjectItem(p, "reason")->valuestring);
}

/* A profile file that could not be used: one line on stderr naming it. */
static void warn_profiles(const cJSON *power)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(power, "probes")) {
        const cJSON *w = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "profile"), "warning");
        if (cJSON_IsString(w))
            fprintf(stderr, "slmbench device: %s\n", w->valuestring);
    }
}

static int describe(const device_options *o)
{
    char err[DEV_ERROR_SIZE];
    dev_fingerprint fp;
    if (dev_fingerprint_collect(&fp, err, sizeof err)) {
        fprintf(stderr, "slmbench device: %s\n", err);
        return CMD_FAILURE;
    }
    dev_counters *counters;
    if (dev_counters_open(&counters, err, sizeof err)) {
        fprintf(stderr, "slmbench device: %s\n", err);
        return CMD_FAILURE;
    }
    dev_sampler_config cfg = o->cfg;
    cfg.manual = 1;   /* discovery only */
    dev_sampler *s;
    if (dev_sampler_start(&cfg, &s, err, sizeof err)) {
        dev_counters_free(counters);
        fprintf(stderr, "slmbench device: %s\n", err);
        return CMD_USAGE;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *fpj = dev_fingerprint_to_json(&fp);
    cJSON *cj = dev_counters_to_json(counters);
    cJSON *pj = dev_sampler_probes_to_json(s);
    cJSON_AddItemToObject(root, "device", fpj);
    cJSON_AddItemToObject(root, "counters", cj);
    cJSON_AddItemToObject(root, "power", pj);
    warn_profiles(pj);
    int rc = CMD_OK;
    if (o->json) {
        if (cli_print_json(root) != 0)
            rc = CMD_FAILURE;
    } else {
        print_text_device(fpj, cj);
        print_text_sensors(fpj, pj);
    }
    cJSON_Delete(root);
    dev_sampler_free(s);
    dev_counters_free(counters);
    return rc;
}

static void sleep_s(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static cJSON *sample_probes(dev_sampler *s, uint64_t t0, uint64_t t1)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < dev_sampler_probe_count(s); i++) {
        if (!dev_sampler_probe_usable(s, i))
            continue;
        dev_energy e;
        char err[DEV_ERROR_SIZE];
        if (dev_sampler_probe_energy(s, i, t0, t1, &e, err, sizeof err) == 0) {
            cJSON *j = dev_energy_to_json(&e);
            cJSON *channels = dev_sampler_channels_to_json(s, i, t0, t1, err, sizeof err);
            if (channels)
                cJSON_AddItemToObject(j, "channels", channels);
            cJSON_AddItemToArray(arr, j);
        } else {
            cJSON *u = cJSON_CreateObject();
            cJSON_AddStringToObject(u, "probe", dev_sampler_probe_name(s, i));
            cJSON_AddStringToObject(u, "status", "unavailable");
            cJSON_AddStringToObject(u, "reason", err);
            cJSON_AddItemToArray(arr, u);
        }
    }
    return arr;
}

static void print_text_sample(const cJSON *root)
{
    const cJSON *p;
    printf("sampled %.2f s at %.1f Hz\n", cJSON_GetObjectItem(root, "duration_s")->valuedouble,
           cJSON_GetObjectItem(root, "sample_hz")->valuedouble);
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(root, "probes")) {
        const cJSON *reason = cJSON_GetObjectItem(p, "reason");
        if (reason) {
            printf("%-24s unavailable: %s\n", cJSON_GetObjectItem(p, "probe")->valuestring,
                   reason->valuestring);
            continue;
        }
        const cJSON *profile = cJSON_GetObjectItem(p, "profile");
        printf("%-24s %-9s avg %.3f W  peak %.3f W  %.3f J  (%d samples%s%s)\n",
               cJSON_GetObjectItem(p, "probe")->valuestring,
               cJSON_GetObjectItem(p, "method")->valuestring,
               cJSON_GetObjectItem(p, "avg_power_w")->valuedouble,
               cJSON_GetObjectItem(p, "peak_power_w")->valuedouble,
               cJSON_GetObjectItem(p, "energy_j")->valuedouble,
               cJSON_GetObjectItem(p, "samples")->valueint, profile ? ", profile " : "",
               profile ? profile->valuestring : "");
        const cJSON *c;
        if (cJSON_GetArraySize(cJSON_GetObjectItem(p, "channels")) > 1)
            cJSON_ArrayForEach(c, cJSON_GetObjectItem(p, "channels"))
                printf("  %-22s avg %.3f W  %.3f J%s\n", cJSON_GetObjectItem(c, "name")->valuestring,
                       cJSON_GetObjectItem(c, "avg_power_w")->valuedouble,
                       cJSON_GetObjectItem(c, "energy_j")->valuedouble,
                       cJSON_IsTrue(cJSON_GetObjectItem(c, "in_total")) ? "" : "  (inside the total)");
    }
    const cJSON *events = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "throttling"), "events");
    printf("throttling events: %d\n", cJSON_GetArraySize(events));
}

static int sample(const device_options *o)
{
    char err[DEV_ERROR_SIZE];
    dev_sampler *s;
    if (dev_sampler_start(&o->cfg, &s, err, sizeof err)) {
        fprintf(stderr, "slmbench device: %s\n", err);
        return CMD_USAGE;
    }
    cJSON *probes = dev_sampler_probes_to_json(s);
    warn_profiles(probes);
    cJSON_Delete(probes);
    uint64_t t0 = dev_now_ns();
    dev_sampler_poll(s, t0, NULL, 0);
    sleep_s(o->sample_s);
    uint64_t t1 = dev_now_ns();
    dev_sampler_poll(s, t1, NULL, 0);
    dev_sampler_stop(s);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "duration_s", (double)(t1 - t0) / 1e9);
    cJSON_AddNumberToObject(root, "sample_hz", o->cfg.hz);
    int primary = dev_sampler_primary_probe(s);
    cJSON_AddStringToObject(root, "primary_probe", primary >= 0 ? dev_sampler_probe_name(s, primary) : "");
    cJSON_AddItemToObject(root, "probes", sample_probes(s, t0, t1));
    cJSON_AddItemToObject(root, "throttling", dev_sampler_throttle_to_json(s, t0, t1));
    int rc = CMD_OK;
    if (o->json) {
        if (cli_print_json(root) != 0)
            rc = CMD_FAILURE;
    } else {
        print_text_sample(root);
    }
    cJSON_Delete(root);
    dev_sampler_free(s);
    return rc;
}

int cmd_device(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_OK;
    }
    device_options o;
    if (parse_args(argc, argv, &o))
        return CMD_USAGE;
    return o.sample_s > 0 ? sample(&o) : describe(&o);
}
