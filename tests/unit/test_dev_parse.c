/*
 * test_dev_parse.c — the device layer's small parsers and arithmetic:
 * counter wraparound, /proc/stat utilisation, `vcgencmd pmic_read_adc`
 * output, external-meter lines, profile selection, the root prefix, and the
 * window arithmetic of the sample series.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "devices/dev_probe.h"
#include "tests/unit/dev_fake_tree.h"

static void test_counter_delta_wraps(void **state)
{
    (void)state;
    assert_int_equal(dev_counter_delta(100, 250, 1000), 150);
    assert_int_equal(dev_counter_delta(900, 50, 1000), 150);   /* 100 to the wrap + 50 */
    assert_int_equal(dev_counter_delta(900, 50, 0), 50);       /* unknown range: what we saw */
}

static void test_proc_stat_utilisation(void **state)
{
    (void)state;
    uint64_t b0, t0, b1, t1;
    assert_int_equal(dev_parse_proc_stat("cpu  10 0 10 70 10 0 0 0 5 0\ncpu0 1 2 3\n", &b0, &t0), 0);
    assert_int_equal(t0, 100);   /* guest (5) is already inside user */
    assert_int_equal(b0, 20);    /* idle + iowait excluded */
    assert_int_equal(dev_parse_proc_stat("cpu  40 0 10 110 10 0 0 0 0 0", &b1, &t1), 0);
    assert_true(fabs(dev_cpu_util(b0, t0, b1, t1) - 30.0 / 70.0) < 1e-12);
    assert_true(dev_cpu_util(b1, t1, b1, t1) == 0.0);
    assert_int_not_equal(dev_parse_proc_stat("intr 1 2 3", &b0, &t0), 0);
}

static void test_pmic_parse(void **state)
{
    (void)state;
    const char *out = "     3V7_WL_SW_A current(0)=0.00390372A\n"
                      "   VDD_CORE_A current(7)=1.25000000A\n"
                      "     EXT5V_V volt(24)=5.15096000V\n"
                      "garbage line\n"
                      "     3V7_WL_SW_V volt(8)=3.74704500V\n"
                      "   VDD_CORE_V volt(15)=0.80000000V\n";
    dev_pmic_rail rails[DEV_PMIC_RAILS_MAX];
    int n = dev_pmic_parse(out, rails, DEV_PMIC_RAILS_MAX);
    assert_int_equal(n, 3);
    /* complete rails first, in order of appearance; EXT5V has no current */
    assert_string_equal(rails[0].name, "3V7_WL_SW");
    assert_true(fabs(rails[0].current_a - 0.00390372) < 1e-12);
    assert_true(fabs(rails[0].voltage_v - 3.747045) < 1e-12);
    assert_string_equal(rails[1].name, "VDD_CORE");
    assert_string_equal(rails[2].name, "EXT5V");
    assert_false(rails[2].has_current);
    assert_int_equal(dev_pmic_parse("vcgencmd: command not found\n", rails, 4), -1);
}

static void test_meter_line(void **state)
{
    (void)state;
    double t, w;
    assert_int_equal(dev_meter_parse_line("  12.5 3.25", &t, &w), 0);
    assert_true(t == 12.5 && w == 3.25);
    assert_int_equal(dev_meter_parse_line("1700000000.125,4.5\r", &t, &w), 0);
    assert_true(w == 4.5);
    assert_int_equal(dev_meter_parse_line("1\t2", &t, &w), 0);
    assert_int_not_equal(dev_meter_parse_line("timestamp,watts", &t, &w), 0);
    assert_int_not_equal(dev_meter_parse_line("# comment", &t, &w), 0);
    assert_int_not_equal(dev_meter_parse_line("12.5", &t, &w), 0);
    assert_int_not_equal(dev_meter_parse_line("", &t, &w), 0);
}

static void test_profile_selection(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "p/generic.json", "{\"name\":\"generic\",\"idle_w\":1,\"full_load_w\":3,"
                                     "\"per_cpu\":true}");
    fake_write(&t, "p/broad.json", "{\"name\":\"broad\",\"match\":[\"Cortex\"],\"idle_w\":1,"
                                   "\"full_load_w\":2}");
    fake_write(&t, "p/pi5.json", "{\"name\":\"pi5\",\"match\":[\"Raspberry Pi 5\"],"
                                 "\"idle_w\":2.5,\"full_load_w\":7}");
    fake_write(&t, "p/bad.json", "{\"name\":\"bad\",\"idle_w\":5,\"full_load_w\":1}");
    char dir[300];
    snprintf(dir, sizeof dir, "%s/p", t.root);
    dev_profile p;
    dev_profile_select(dir, "Cortex-A76 raspberry pi 5 model b", &p);
    assert_string_equal(p.name, "pi5");   /* longest match wins, case-insensitive */
    assert_true(fabs(dev_profile_power_w(&p, 0.5, 4) - 4.75) < 1e-12);
    assert_non_null(strstr(p.warning, "bad.json"));
    dev_profile_select(dir, "Some x86", &p);
    assert_string_equal(p.name, "generic");
    assert_true(fabs(dev_profile_power_w(&p, 1.0, 4) - 12.0) < 1e-12);   /* per CPU */
    dev_profile_select("/nonexistent/dir", "Some x86", &p);
    assert_string_equal(p.name, "generic");   /* repo profiles or the built-in one */
    fake_tree_remove(&t);
}

static void test_root_prefix(void **state)
{
    (void)state;
    char out[DEV_PATH_SIZE];
    setenv("SLMBENCH_SYSFS_ROOT", "/tmp/x/", 1);
    assert_int_equal(dev_path(out, sizeof out, "/sys/class/hwmon"), 0);
    assert_string_equal(out, "/tmp/x/sys/class/hwmon");
    unsetenv("SLMBENCH_SYSFS_ROOT");
    assert_int_equal(dev_path(out, sizeof out, "/proc/stat"), 0);
    assert_string_equal(out, "/proc/stat");
    char tiny[8];
    assert_int_not_equal(dev_path(tiny, sizeof tiny, "/proc/meminfo"), 0);
}

static void test_series_windows(void **state)
{
    (void)state;
    dev_series s = {0};
    s.n_channels = 1;
    double v;
    v = 0;
    assert_int_equal(dev_series_append(&s, 1000, 0.0, &v), 0);
    v = 10;
    assert_int_equal(dev_series_append(&s, 2000, 10.0, &v), 0);
    assert_int_equal(dev_series_append(&s, 2000, 99.0, &v), 1);   /* not after: dropped */
    double e, peak;
    int n;
    char err[128];
    /* POWER ramp 0 -> 10 W over 1 us: 5e-6 J */
    assert_int_equal(dev_series_energy(&s, DEV_QTY_POWER, -1, 1000, 2000, &e, &peak, &n, err,
                                       sizeof err), 0);
    assert_true(fabs(e - 5e-6) < 1e-18 && peak == 10.0 && n == 2);
    assert_int_equal(dev_series_energy(&s, DEV_QTY_POWER, 0, 1500, 1500, &e, &peak, &n, err,
                                       sizeof err), 0);
    assert_true(e == 0.0);
    /* ENERGY counter 0 -> 10 J: a quarter of the interval holds 2.5 J */
    assert_int_equal(dev_series_energy(&s, DEV_QTY_ENERGY, -1, 1250, 1500, &e, &peak, &n, err,
                                       sizeof err), 0);
    assert_true(fabs(e - 2.5) < 1e-12);
    assert_int_not_equal(dev_series_energy(&s, DEV_QTY_ENERGY, -1, 1500, 1400, &e, &peak, &n,
                                           err, sizeof err), 0);
    assert_int_not_equal(dev_series_energy(&s, DEV_QTY_ENERGY, -1, 999, 1400, &e, &peak, &n,
                                           err, sizeof err), 0);
    assert_int_not_equal(dev_series_energy(&s, DEV_QTY_ENERGY, 3, 1000, 1400, &e, &peak, &n,
                                           err, sizeof err), 0);
    dev_series_free(&s);
}

static void test_arm_names(void **state)
{
    (void)state;
    assert_string_equal(dev_arm_implementer_name(0x41), "ARM");
    assert_string_equal(dev_arm_part_name(0x41, 0xd0b), "Cortex-A76");     /* Pi 5 */
    assert_string_equal(dev_arm_part_name(0x41, 0xd42), "Cortex-A78AE");   /* Orin */
    assert_null(dev_arm_part_name(0x41, 0xfff));
    assert_null(dev_arm_implementer_name(0x99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_delta_wraps),
        cmocka_unit_test(test_proc_stat_utilisation),
        cmocka_unit_test(test_pmic_parse),
        cmocka_unit_test(test_meter_line),
        cmocka_unit_test(test_profile_selection),
        cmocka_unit_test(test_root_prefix),
        cmocka_unit_test(test_series_windows),
        cmocka_unit_test(test_arm_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
