/*
 * test_dev_energy.c — the sampler over fake sysfs trees, driven by a
 * synthetic clock (manual mode, no sleeping): energy from RAPL across a
 * counter wrap, from INA3221 hwmon power integration, from a discharging
 * battery, from the Pi 5 PMIC through a fake vcgencmd, from an external meter
 * command and CSV; the estimated probe's labelling; idle baseline; thermal
 * and frequency throttling; the trace.
 *
 * Invariants: every expected value is computed by hand from the fixture
 * numbers written in the test and checked within 1e-6 relative.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "devices/device.h"
#include "tests/unit/dev_fake_tree.h"

#define S(x) ((uint64_t)((x) * 1e9))   /* seconds -> ns of the synthetic clock */

static void assert_rel(double got, double want)
{
    double tol = 1e-6 * fabs(want) + 1e-12;
    if (fabs(got - want) > tol)
        fail_msg("got %.12g, want %.12g", got, want);
}

static dev_sampler *start_manual(const char *probes, const fake_tree *t)
{
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.probes = probes;
    cfg.cpu_brand = "TestCPU 9000";
    char dir[300];
    snprintf(dir, sizeof dir, "%s/profiles", t->root);
    cfg.profiles_dir = dir;
    dev_sampler *s = NULL;
    char err[DEV_ERROR_SIZE];
    if (dev_sampler_start(&cfg, &s, err, sizeof err))
        fail_msg("dev_sampler_start: %s", err);
    return s;
}

static void poll_at(dev_sampler *s, uint64_t t)
{
    char err[DEV_ERROR_SIZE];
    if (dev_sampler_poll(s, t, err, sizeof err))
        fail_msg("poll: %s", err);
}

static dev_energy energy(dev_sampler *s, uint64_t t0, uint64_t t1)
{
    dev_energy e;
    char err[DEV_ERROR_SIZE];
    if (dev_sampler_energy(s, t0, t1, &e, err, sizeof err))
        fail_msg("energy: %s", err);
    return e;
}

/* ---- RAPL ---------------------------------------------------------------------------- */

#define RAPL_MAX 262143328850.0

static void write_rapl(const fake_tree *t, double pkg0, double core, double pkg1)
{
    fake_writef(t, "/sys/class/powercap/intel-rapl:0/energy_uj", "%.0f\n", pkg0);
    fake_writef(t, "/sys/class/powercap/intel-rapl:0:0/energy_uj", "%.0f\n", core);
    fake_writef(t, "/sys/class/powercap/intel-rapl:1/energy_uj", "%.0f\n", pkg1);
}

static void test_rapl_energy_across_wrap(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/powercap/intel-rapl:0/name", "package-0\n");
    fake_write(&t, "/sys/class/powercap/intel-rapl:0:0/name", "core\n");
    fake_write(&t, "/sys/class/powercap/intel-rapl:1/name", "package-1\n");
    fake_writef(&t, "/sys/class/powercap/intel-rapl:0/max_energy_range_uj", "%.0f\n", RAPL_MAX);
    fake_writef(&t, "/sys/class/powercap/intel-rapl:0:0/max_energy_range_uj", "%.0f\n", RAPL_MAX);
    fake_writef(&t, "/sys/class/powercap/intel-rapl:1/max_energy_range_uj", "%.0f\n", RAPL_MAX);
    /* package-0 is 1 J below the wrap; the core subzone moves a lot so that
     * counting it in the total would show. */
    write_rapl(&t, RAPL_MAX - 1e6, 1e6, 5e6);
    dev_sampler *s = start_manual("rapl", &t);
    poll_at(s, S(1.0));
    write_rapl(&t, 2e6, 900e6, 6e6);   /* package-0 wrapped: 1 J + 2 J; package-1: 1 J */
    poll_at(s, S(2.0));
    write_rapl(&t, 4e6, 1800e6, 6.5e6);   /* package-0: 2 J; package-1: 0.5 J */
    poll_at(s, S(3.0));

    dev_energy e = energy(s, S(1.0), S(3.0));
    assert_string_equal(e.method, "measured");
    assert_string_equal(e.probe, "rapl");
    assert_string_equal(e.integration, "counter");
    assert_rel(e.energy_j, 3.0 + 1.0 + 2.0 + 0.5);
    assert_rel(e.avg_power_w, 6.5 / 2.0);
    assert_rel(e.peak_power_w, 4.0);
    char cerr[DEV_ERROR_SIZE];
    cJSON *ch = dev_sampler_channels_to_json(s, dev_sampler_primary_probe(s), S(1.0), S(3.0),
                                             cerr, sizeof cerr);
    assert_non_null(ch);
    assert_int_equal(cJSON_GetArraySize(ch), 3);
    for (int i = 0; i < 3; i++) {
        cJSON *c = cJSON_GetArrayItem(ch, i);
        const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
        double j = cJSON_GetObjectItem(c, "energy_j")->valuedouble;
        if (!strcmp(name, "package-0"))
            assert_rel(j, 5.0);
        else if (!strcmp(name, "package-0/core"))
            assert_rel(j, 1799.0), assert_false(cJSON_IsTrue(cJSON_GetObjectItem(c, "in_total")));
        else if (!strcmp(name, "package-1"))
            assert_rel(j, 1.5);
        else
            fail_msg("unexpected channel %s", name);
    }
    cJSON_Delete(ch);
    e = energy(s, S(1.5), S(2.5));   /* half of each interval */
    assert_rel(e.energy_j, (3.0 + 1.0) / 2 + (2.0 + 0.5) / 2);
    dev_energy outside;
    char err[DEV_ERROR_SIZE];
    assert_int_not_equal(dev_sampler_energy(s, S(0.5), S(2.0), &outside, err, sizeof err), 0);
    assert_non_null(strstr(err, "not covered"));
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* Discovery as an unprivileged user (root ignores permission bits, so a root
 * test drops to nobody in a child). */
static int rapl_hint_check(int drop_root)
{
    if (drop_root && (setgid(65534) != 0 || setuid(65534) != 0))
        return 2;
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.probes = "rapl";
    dev_sampler *s;
    char err[DEV_ERROR_SIZE];
    if (dev_sampler_start(&cfg, &s, err, sizeof err))
        return 3;
    cJSON *j = dev_sampler_probes_to_json(s);
    char *text = cJSON_PrintUnformatted(j);
    int ok = text && strstr(text, "permission denied") &&
             strstr(text, "chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj");
    if (!ok)
        fprintf(stderr, "probes: %s\n", text ? text : "(null)");
    free(text);
    cJSON_Delete(j);
    dev_sampler_free(s);
    return ok ? 0 : 1;
}

static void test_rapl_permission_hint(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/powercap/intel-rapl:0/name", "package-0\n");
    fake_write(&t, "/sys/class/powercap/intel-rapl:0/energy_uj", "1\n");
    char path[512];
    snprintf(path, sizeof path, "%s/sys/class/powercap/intel-rapl:0/energy_uj", t.root);
    assert_int_equal(chmod(path, 0400), 0);   /* root-only, as since Linux 5.10 */
    assert_int_equal(chmod(t.root, 0755), 0);
    int rc;
    if (geteuid() == 0) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(rapl_hint_check(1));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
    } else {
        rc = rapl_hint_check(0);   /* already unprivileged */
    }
    fake_tree_remove(&t);
    assert_int_equal(rc, 0);
}

/* ---- hwmon INA3221 --------------------------------------------------------------------- */

static void test_hwmon_ina3221_integration(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    const char *d = "/sys/class/hwmon/hwmon0/";
    char p[256];
#define HW(file, text) (snprintf(p, sizeof p, "%s%s", d, file), fake_write(&t, p, text))
    HW("name", "ina3221\n");
    HW("in1_label", "VDD_IN\n");
    HW("in2_label", "VDD_CPU_GPU_CV\n");
    HW("in3_label", "VDD_SOC\n");
    HW("in1_input", "5000\n");
    HW("in2_input", "5000\n");
    HW("in3_input", "5000\n");
    HW("curr1_input", "1200\n");   /* 6 W */
    HW("curr2_input", "400\n");
    HW("curr3_input", "300\n");
    HW("in4_input", "12\n");        /* shunt voltage: not a rail */
    HW("curr4_input", "1900\n");    /* sum current: not a rail */
    fake_write(&t, "/sys/class/hwmon/hwmon1/name", "k10temp\n");
    fake_write(&t, "/sys/class/hwmon/hwmon1/temp1_input", "45000\n");
    dev_sampler *s = start_manual("hwmon", &t);
    poll_at(s, S(0.0) + 1);
    HW("curr1_input", "1600\n");    /* 8 W */
    poll_at(s, S(0.5) + 1);
    HW("curr1_input", "1000\n");    /* 5 W */
    poll_at(s, S(1.5) + 1);
#undef HW
    dev_energy e = energy(s, S(0.0) + 1, S(1.5) + 1);
    assert_string_equal(e.probe, "hwmon:ina3221");
    assert_string_equal(e.integration, "trapezoid");
    assert_string_equal(e.method, "measured");
    assert_rel(e.energy_j, 0.5 * (6 + 8) / 2 + 1.0 * (8 + 5) / 2);
    assert_rel(e.peak_power_w, 8.0);
    e = energy(s, S(0.25) + 1, S(1.0) + 1);
    assert_rel(e.energy_j, 0.25 * (7 + 8) / 2 + 0.5 * (8 + 6.5) / 2);

    cJSON *j = dev_sampler_probes_to_json(s);
    cJSON *probe = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "probes"), 0);
    assert_string_equal(cJSON_GetObjectItem(probe, "name")->valuestring, "hwmon:ina3221");
    cJSON *channels = cJSON_GetObjectItem(probe, "channels");
    assert_int_equal(cJSON_GetArraySize(channels), 3);   /* in4/curr4 ignored */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(channels, 0), "name")->valuestring,
                        "VDD_IN");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(channels, 0), "in_total")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(channels, 1), "in_total")));
    cJSON_Delete(j);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* Older Jetsons: INA3221 through IIO, POM_5V_IN is the whole module; a GPU's
 * hwmon power sensor is reported but never stands for the device. */
static void test_jetson_iio_rails_and_component_sensor(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    const char *d = "/sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0/";
    char p[256];
#define IIO(file, text) (snprintf(p, sizeof p, "%s%s", d, file), fake_write(&t, p, text))
    IIO("rail_name_0", "POM_5V_IN\n");
    IIO("rail_name_1", "POM_5V_GPU\n");
    IIO("rail_name_2", "POM_5V_CPU\n");
    IIO("in_power0_input", "4000\n");   /* mW */
    IIO("in_power1_input", "500\n");
    IIO("in_power2_input", "1500\n");
    fake_write(&t, "/sys/class/hwmon/hwmon3/name", "amdgpu\n");
    fake_write(&t, "/sys/class/hwmon/hwmon3/power1_input", "25000000\n");
    dev_sampler *s = start_manual("hwmon", &t);
    assert_string_equal(dev_sampler_probe_name(s, dev_sampler_primary_probe(s)),
                        "ina3221x:6-0040");
    poll_at(s, S(1.0));
    IIO("in_power0_input", "6000\n");
    poll_at(s, S(3.0));
#undef IIO
    dev_energy e = energy(s, S(1.0), S(3.0));
    assert_rel(e.energy_j, 2.0 * (4.0 + 6.0) / 2);   /* POM_5V_IN only, no double count */
    int gpu = -1;
    for (int i = 0; i < dev_sampler_probe_count(s); i++)
        if (!strcmp(dev_sampler_probe_name(s, i), "hwmon:amdgpu"))
            gpu = i;
    assert_true(gpu >= 0 && dev_sampler_probe_usable(s, gpu));
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_probe_energy(s, gpu, S(1.0), S(3.0), &e, err, sizeof err), 0);
    assert_rel(e.energy_j, 50.0);
    dev_sampler_free(s);

    /* Without the INA, the GPU sensor still does not become the device's probe. */
    fake_tree_remove(&t);
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/hwmon/hwmon3/name", "amdgpu\n");
    fake_write(&t, "/sys/class/hwmon/hwmon3/power1_input", "25000000\n");
    s = start_manual("hwmon", &t);
    assert_string_equal(dev_sampler_probe_name(s, dev_sampler_primary_probe(s)), "estimated");
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* amd_energy: per-core and per-socket counters; the socket contains its cores. */
static void test_hwmon_energy_counters_socket_only(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/hwmon/hwmon2/name", "amd_energy\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy1_label", "Ecore000\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy2_label", "Ecore001\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy3_label", "Esocket0\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy1_input", "1000000\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy2_input", "1000000\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy3_input", "5000000\n");
    dev_sampler *s = start_manual("hwmon", &t);
    poll_at(s, S(1.0));
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy1_input", "3000000\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy2_input", "2000000\n");
    fake_write(&t, "/sys/class/hwmon/hwmon2/energy3_input", "12000000\n");   /* +7 J */
    poll_at(s, S(2.0));
    dev_energy e = energy(s, S(1.0), S(2.0));
    assert_string_equal(e.probe, "hwmon:amd_energy");
    assert_string_equal(e.integration, "counter");
    assert_rel(e.energy_j, 7.0);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* ---- battery ---------------------------------------------------------------------------- */

static void test_battery_discharging(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/power_supply/ADP1/type", "Mains\n");
    fake_write(&t, "/sys/class/power_supply/BAT0/type", "Battery\n");
    fake_write(&t, "/sys/class/power_supply/BAT0/status", "Discharging\n");
    fake_write(&t, "/sys/class/power_supply/BAT0/voltage_now", "12000000\n");
    fake_write(&t, "/sys/class/power_supply/BAT0/current_now", "1000000\n");   /* 12 W */
    dev_sampler *s = start_manual("battery", &t);
    poll_at(s, S(10.0));
    fake_write(&t, "/sys/class/power_supply/BAT0/current_now", "-1500000\n");   /* 18 W, signed */
    poll_at(s, S(11.0));
    fake_write(&t, "/sys/class/power_supply/BAT0/status", "Charging\n");
    poll_at(s, S(12.0));   /* on AC: no sample */
    dev_energy e = energy(s, S(10.0), S(11.0));
    assert_string_equal(e.probe, "battery:BAT0");
    assert_rel(e.energy_j, (12.0 + 18.0) / 2);
    assert_int_equal(e.n_samples, 2);
    char err[DEV_ERROR_SIZE];
    assert_int_not_equal(dev_sampler_energy(s, S(10.0), S(12.0), &e, err, sizeof err), 0);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* ---- Raspberry Pi 5 PMIC --------------------------------------------------------------- */

static void test_pi5_pmic_fake_vcgencmd(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    char cmd[512];
    fake_script(&t, "bin/vcgencmd",
                "#!/bin/sh\n[ \"$1\" = pmic_read_adc ] || exit 1\n"
                "echo '     VDD_CORE_A current(0)=2.00000000A'\n"
                "echo '   3V3_SYS_A current(1)=0.10000000A'\n"
                "echo '     VDD_CORE_V volt(8)=0.80000000V'\n"
                "echo '   3V3_SYS_V volt(9)=3.30000000V'\n"
                "echo '     EXT5V_V volt(24)=5.10000000V'\n",
                cmd, sizeof cmd);
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.probes = "rpi_pmic";
    cfg.vcgencmd = cmd;
    dev_sampler *s;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    poll_at(s, S(1.0));
    poll_at(s, S(2.0));
    dev_energy e = energy(s, S(1.0), S(2.0));
    assert_string_equal(e.probe, "rpi_pmic");
    assert_rel(e.energy_j, 2.0 * 0.8 + 0.1 * 3.3);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* ---- external meter ---------------------------------------------------------------------- */

static void poll_until_energy(dev_sampler *s, uint64_t t0, uint64_t t1, dev_energy *e)
{
    char err[DEV_ERROR_SIZE] = "";
    for (int i = 0; i < 500; i++) {
        poll_at(s, S(1000.0) + (uint64_t)i);
        if (dev_sampler_energy(s, t0, t1, e, err, sizeof err) == 0)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("external meter never covered the window: %s", err);
}

static void test_external_meter_command(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    char cmd[512];
    fake_script(&t, "bin/meter",
                "#!/bin/sh\necho 'time watts'\necho '100.0 5.0'\necho '100.5 7.0'\n"
                "echo '101.0 5.0'\n",
                cmd, sizeof cmd);
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.probes = "external";
    cfg.external_cmd = cmd;
    cfg.external_clock = "monotonic";
    dev_sampler *s;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    assert_string_equal(dev_sampler_probe_name(s, dev_sampler_primary_probe(s)),
                        "external:command");
    dev_energy e;
    poll_until_energy(s, S(100.0), S(101.0), &e);
    assert_string_equal(e.method, "measured");
    assert_rel(e.energy_j, 0.5 * (5 + 7) / 2 + 0.5 * (7 + 5) / 2);
    assert_rel(e.peak_power_w, 7.0);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

static void test_external_meter_csv_offset_and_auto_clock(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "meter.csv", "timestamp,watts\n# bench supply\n50,10\n51,12\n52,10\n");
    char csv[512];
    snprintf(csv, sizeof csv, "%s/meter.csv", t.root);
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.probes = "external";
    cfg.external_csv = csv;
    cfg.external_clock = "monotonic";
    cfg.external_offset_s = 0.5;
    dev_sampler *s;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    dev_energy e;
    poll_until_energy(s, S(50.5), S(52.5), &e);
    assert_rel(e.energy_j, (10 + 12) / 2.0 + (12 + 10) / 2.0);
    dev_sampler_free(s);

    /* Unix timestamps around now: "auto" must see a realtime clock. */
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t mono_now = dev_now_ns();
    double now = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9;
    char text[256];
    snprintf(text, sizeof text, "%.6f,10\n%.6f,10\n%.6f,10\n", now - 3, now - 2, now - 1);
    fake_write(&t, "meter.csv", text);
    cfg.external_clock = NULL;
    cfg.external_offset_s = 0;
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    /* samples land at mono_now-3..mono_now-1 s (to within the clocks' read gap) */
    poll_until_energy(s, mono_now - S(2.9), mono_now - S(1.1), &e);
    assert_rel(e.energy_j, 10.0 * 1.8);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* ---- estimated ---------------------------------------------------------------------------- */

static void test_estimated_probe_labelled(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "profiles/test-board.json",
               "{\"name\":\"test-board\",\"match\":[\"TestCPU\"],\"idle_w\":2,"
               "\"full_load_w\":10,\"per_cpu\":false,\"source\":\"test\"}\n");
    fake_write(&t, "profiles/broken.json", "{not json");
    fake_write(&t, "/proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
    dev_sampler *s = start_manual("estimated", &t);
    poll_at(s, S(1.0));   /* first poll: no utilisation yet -> idle 2 W */
    fake_write(&t, "/proc/stat", "cpu  150 0 0 950 0 0 0 0 0 0\n");   /* 50 % busy -> 6 W */
    poll_at(s, S(2.0));
    dev_energy e = energy(s, S(1.0), S(2.0));
    assert_string_equal(e.method, "estimated");
    assert_string_equal(e.probe, "estimated");
    assert_string_equal(e.profile, "test-board");
    assert_rel(e.energy_j, (2.0 + 6.0) / 2);
    assert_rel(e.idle_power_w, 2.0);   /* the profile's idle until a baseline is measured */
    assert_rel(e.dynamic_energy_j, 4.0 - 2.0);
    cJSON *j = dev_energy_to_json(&e);
    assert_string_equal(cJSON_GetObjectItem(j, "method")->valuestring, "estimated");
    assert_string_equal(cJSON_GetObjectItem(j, "profile")->valuestring, "test-board");
    assert_non_null(cJSON_GetObjectItem(j, "energy_j"));
    assert_non_null(cJSON_GetObjectItem(j, "avg_power_w"));
    cJSON_Delete(j);
    j = dev_sampler_probes_to_json(s);
    char *text = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(text, "broken.json: not a valid profile (unreadable or not valid JSON)"));
    free(text);
    cJSON_Delete(j);
    dev_sampler_free(s);

    /* No pattern matches: the generic profile (here the built-in one). */
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.manual = 1;
    cfg.cpu_brand = "Unknown CPU";
    char dir[300];
    snprintf(dir, sizeof dir, "%s/profiles", t.root);
    cfg.profiles_dir = dir;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    poll_at(s, S(1.0));
    poll_at(s, S(2.0));
    e = energy(s, S(1.0), S(2.0));
    assert_string_equal(e.profile, "generic");
    assert_string_equal(e.method, "estimated");
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* ---- idle baseline, throttling, trace -------------------------------------------------- */

static void test_idle_baseline_dynamic_energy(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/hwmon/hwmon0/name", "power_meter\n");
    fake_write(&t, "/sys/class/hwmon/hwmon0/power1_input", "3000000\n");   /* 3 W */
    dev_sampler *s = start_manual("hwmon", &t);
    poll_at(s, S(1.0));
    poll_at(s, S(3.0));
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_set_idle_window(s, S(1.0), S(3.0), err, sizeof err), 0);
    fake_write(&t, "/sys/class/hwmon/hwmon0/power1_input", "7000000\n");   /* 7 W */
    poll_at(s, S(4.0));
    poll_at(s, S(5.0));
    dev_energy e = energy(s, S(4.0), S(5.0));
    assert_rel(e.idle_power_w, 3.0);
    assert_rel(e.energy_j, 7.0);
    assert_rel(e.dynamic_energy_j, 4.0);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

static void test_throttling_and_trace(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    const char *z = "/sys/class/thermal/thermal_zone0/";
    char p[256];
#define TZ(file, text) (snprintf(p, sizeof p, "%s%s", z, file), fake_write(&t, p, text))
    TZ("type", "x86_pkg_temp\n");
    TZ("trip_point_0_type", "passive\n");
    TZ("trip_point_0_temp", "90000\n");
    TZ("trip_point_1_type", "critical\n");
    TZ("trip_point_1_temp", "105000\n");
    TZ("temp", "70000\n");
    fake_write(&t, "/sys/class/thermal/thermal_zone1/type", "acpitz\n");
    fake_write(&t, "/sys/class/thermal/thermal_zone1/temp", "40000\n");
    fake_write(&t, "/sys/class/thermal/thermal_zone2/type", "acpitz\n");
    fake_write(&t, "/sys/class/thermal/thermal_zone2/temp", "41000\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "3000000\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "3000000\n");
    fake_write(&t, "/proc/stat", "cpu  100 0 0 900 0 0 0 0 0 0\n");
    dev_sampler *s = start_manual("estimated", &t);
    poll_at(s, S(1.0));
    TZ("temp", "95000\n");   /* above the passive trip: onset */
    fake_write(&t, "/proc/stat", "cpu  1000 0 0 900 0 0 0 0 0 0\n");   /* 100 % busy */
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1500000\n");
    poll_at(s, S(2.0));
    TZ("temp", "96000\n");   /* same episode */
    fake_write(&t, "/proc/stat", "cpu  1900 0 0 900 0 0 0 0 0 0\n");
    poll_at(s, S(3.0));
    TZ("temp", "80000\n");   /* cooled */
    poll_at(s, S(4.0));
    TZ("temp", "91000\n");   /* second episode */
    poll_at(s, S(5.0));
#undef TZ
    dev_throttle_event ev[8];
    int n = dev_sampler_throttle_events(s, 0, 0, ev, 8);
    assert_int_equal(n, 3);
    assert_string_equal(ev[0].kind, "thermal");
    assert_int_equal(ev[0].t_ns, S(2.0));
    assert_rel(ev[0].value, 95.0);
    assert_rel(ev[0].threshold, 90.0);
    assert_string_equal(ev[1].kind, "frequency");
    assert_int_equal(ev[1].t_ns, S(2.0));
    assert_rel(ev[1].value, 1500.0);
    assert_string_equal(ev[2].kind, "thermal");
    assert_int_equal(ev[2].t_ns, S(5.0));
    assert_int_equal(dev_sampler_throttle_events(s, S(4.5), S(6.0), ev, 8), 1);

    cJSON *trace = dev_sampler_trace_to_json(s, S(1.0), S(5.0));
    cJSON *samples = cJSON_GetObjectItem(trace, "samples");
    assert_int_equal(cJSON_GetArraySize(samples), 5);
    cJSON *second = cJSON_GetArrayItem(samples, 1);
    assert_rel(cJSON_GetObjectItem(second, "t_s")->valuedouble, 1.0);
    assert_rel(cJSON_GetObjectItem(second, "freq_mhz")->valuedouble, 1500.0);
    assert_rel(cJSON_GetObjectItem(cJSON_GetObjectItem(second, "temp_c"), "x86_pkg_temp")
                   ->valuedouble, 95.0);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(second, "power_w"), "estimated"));
    assert_rel(cJSON_GetObjectItem(cJSON_GetObjectItem(second, "temp_c"), "acpitz")->valuedouble,
               40.0);
    assert_rel(cJSON_GetObjectItem(cJSON_GetObjectItem(second, "temp_c"), "acpitz#1")->valuedouble,
               41.0);
    cJSON_Delete(trace);
    cJSON *th = dev_sampler_throttle_to_json(s, 0, 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(th, "throttled")));
    cJSON_Delete(th);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

/* The real thread at 100 Hz over a fake hwmon: windows inside the run are answered. */
static void test_threaded_sampler(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/sys/class/hwmon/hwmon0/name", "power_meter\n");
    fake_write(&t, "/sys/class/hwmon/hwmon0/power1_input", "5000000\n");   /* 5 W */
    dev_sampler_config cfg;
    dev_sampler_config_defaults(&cfg);
    cfg.hz = 100;
    cfg.probes = "hwmon";
    cfg.idle_baseline_s = 0.05;
    dev_sampler *s;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_sampler_start(&cfg, &s, err, sizeof err), 0);
    uint64_t t0 = dev_now_ns();
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    uint64_t t1 = dev_now_ns();
    dev_energy e;
    assert_int_equal(dev_sampler_energy(s, t0, t1, &e, err, sizeof err), 0);
    assert_rel(e.avg_power_w, 5.0);
    assert_rel(e.idle_power_w, 5.0);
    assert_true(e.n_samples >= 2);
    uint64_t t2 = dev_now_ns();
    dev_sampler_stop(s);
    dev_sampler_stop(s);   /* idempotent */
    /* the stop sample closes windows that end just before it */
    assert_int_equal(dev_sampler_energy(s, t0, t2, &e, err, sizeof err), 0);
    assert_rel(e.avg_power_w, 5.0);
    dev_sampler_free(s);
    fake_tree_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rapl_energy_across_wrap),
        cmocka_unit_test(test_rapl_permission_hint),
        cmocka_unit_test(test_hwmon_ina3221_integration),
        cmocka_unit_test(test_jetson_iio_rails_and_component_sensor),
        cmocka_unit_test(test_hwmon_energy_counters_socket_only),
        cmocka_unit_test(test_battery_discharging),
        cmocka_unit_test(test_pi5_pmic_fake_vcgencmd),
        cmocka_unit_test(test_external_meter_command),
        cmocka_unit_test(test_external_meter_csv_offset_and_auto_clock),
        cmocka_unit_test(test_estimated_probe_labelled),
        cmocka_unit_test(test_idle_baseline_dynamic_energy),
        cmocka_unit_test(test_throttling_and_trace),
        cmocka_unit_test(test_threaded_sampler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
