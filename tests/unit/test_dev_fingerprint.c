/*
 * test_dev_fingerprint.c — the fingerprint of this machine (CPU named, core
 * counts consistent with hwloc), the stability of the device id (same across
 * collections, blind to volatile fields, sensitive to identity), fingerprint
 * reads under a fake root, thread binding, and the counters' honest
 * "unavailable" answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "devices/device.h"
#include "tests/unit/dev_fake_tree.h"

static void collect(dev_fingerprint *fp)
{
    char err[DEV_ERROR_SIZE];
    if (dev_fingerprint_collect(fp, err, sizeof err))
        fail_msg("dev_fingerprint_collect: %s", err);
}

static void test_fingerprint_names_this_cpu(void **state)
{
    (void)state;
    dev_fingerprint fp;
    collect(&fp);
    assert_true(strlen(fp.cpu.vendor) > 0);
    assert_true(strlen(fp.cpu.brand) > 0);
    assert_true(fp.cpu.cores >= 1);
    assert_true(fp.cpu.threads >= fp.cpu.cores);
    assert_true(fp.mem_total_bytes > 0);
    assert_int_equal(strlen(fp.device_id), 16);
#if defined(__x86_64__)
    assert_true(fp.cpu.isa.sse4_2 == 0 || fp.cpu.isa.sse4_2 == 1);
    assert_int_equal(fp.cpu.isa.neon, -1);
    print_message("cpu: %s / %s, %d cores, avx2=%d avx512f=%d\n", fp.cpu.vendor, fp.cpu.brand,
                  fp.cpu.cores, fp.cpu.isa.avx2, fp.cpu.isa.avx512f);
#endif
    cJSON *j = dev_fingerprint_to_json(&fp);
    cJSON *cpu = cJSON_GetObjectItem(j, "cpu");
    assert_string_equal(cJSON_GetObjectItem(cpu, "brand")->valuestring, fp.cpu.brand);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "topology"), "l1d_bytes"));
    assert_non_null(cJSON_GetObjectItem(j, "mem_total_bytes"));
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "isa"), "avx512vnni"));
    cJSON_Delete(j);
}

static void test_device_id_stable(void **state)
{
    (void)state;
    dev_fingerprint a, b;
    collect(&a);
    collect(&b);
    assert_string_equal(a.device_id, b.device_id);
    char id[DEV_ID_SIZE];
    memcpy(id, a.device_id, sizeof id);
    a.mem_available_bytes /= 2;
    a.cpufreq.cur_mhz += 700;
    a.mem_total_bytes += 1 << 20;   /* a MiB of reserved memory moved: same GiB */
    snprintf(a.kernel, sizeof a.kernel, "9.9.9-other");
    dev_fingerprint_compute_id(&a);
    assert_string_equal(a.device_id, id);
    snprintf(a.cpu.brand, sizeof a.cpu.brand, "Another CPU");
    dev_fingerprint_compute_id(&a);
    assert_string_not_equal(a.device_id, id);
}

static void test_fingerprint_under_fake_root(void **state)
{
    (void)state;
    fake_tree t;
    fake_tree_create(&t);
    fake_write(&t, "/proc/device-tree/model", "Raspberry Pi 5 Model B Rev 1.0");
    fake_write(&t, "/sys/class/dmi/id/product_name", "Test Board\n");
    fake_write(&t, "/proc/meminfo", "MemTotal:        8000000 kB\nMemAvailable:    6000000 kB\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "schedutil\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "2400000\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq", "1500000\n");
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1800000\n");
    fake_write(&t, "/sys/class/power_supply/BAT0/type", "Battery\n");
    dev_fingerprint fp;
    collect(&fp);
    assert_string_equal(fp.board_model, "Raspberry Pi 5 Model B Rev 1.0");
    assert_string_equal(fp.dmi_product, "Test Board");
    assert_true(fp.mem_total_bytes == 8000000ULL * 1024);
    assert_true(fp.mem_available_bytes == 6000000ULL * 1024);
    assert_true(fp.cpufreq.available);
    assert_string_equal(fp.cpufreq.governor, "schedutil");
    assert_true(fp.cpufreq.max_mhz == 2400.0 && fp.cpufreq.min_mhz == 1500.0);
    assert_true(fp.cpufreq.cur_mhz == 1800.0);
    assert_true(fp.battery_present);
    char id[DEV_ID_SIZE];
    memcpy(id, fp.device_id, sizeof id);
    fake_write(&t, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2400000\n");
    fake_write(&t, "/proc/meminfo", "MemTotal:        8000000 kB\nMemAvailable:    1000 kB\n");
    collect(&fp);
    assert_string_equal(fp.device_id, id);   /* volatile values do not move the id */
    fake_write(&t, "/proc/device-tree/model", "Raspberry Pi 4 Model B");
    collect(&fp);
    assert_string_not_equal(fp.device_id, id);
    fake_tree_remove(&t);
}

static void test_thread_binding(void **state)
{
    (void)state;
    dev_binding *b;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_binding_create(&b, err, sizeof err), 0);
    dev_binding_thread_init(0, b);
    cJSON *j = dev_binding_to_json(b);
    int bound = cJSON_GetObjectItem(j, "bound_threads")->valueint;
    int failed = cJSON_GetObjectItem(j, "failed_threads")->valueint;
    assert_int_equal(bound + failed, 1);
    if (failed)
        print_message("binding refused here: %s\n",
                      cJSON_GetObjectItem(j, "first_error")->valuestring);
    cJSON_Delete(j);
    dev_binding_thread_init(-1, b);   /* ignored */
    dev_binding_thread_init(0, NULL); /* ignored */
    dev_binding_free(b);
}

static void test_counters_available_or_explained(void **state)
{
    (void)state;
    dev_counters *c;
    char err[DEV_ERROR_SIZE];
    assert_int_equal(dev_counters_open(&c, err, sizeof err), 0);
    cJSON *j = dev_counters_to_json(c);
    const char *status = cJSON_GetObjectItem(j, "status")->valuestring;
    if (dev_counters_available(c)) {
        assert_string_equal(status, "available");
        dev_counter_reading r;
        assert_int_equal(dev_counters_start(c, err, sizeof err), 0);
        volatile double x = 0;
        for (int i = 0; i < 100000; i++)
            x += i;
        assert_true(x > 0);
        assert_int_equal(dev_counters_read(c, &r, err, sizeof err), 0);
        assert_true(r.n > 0 && r.values[0] > 0);
    } else {
        print_message("counters unavailable here: %s\n", dev_counters_reason(c));
        assert_string_equal(status, "unavailable");
        assert_true(strlen(dev_counters_reason(c)) > 10);
        assert_non_null(cJSON_GetObjectItem(j, "perf_event_paranoid"));
        assert_int_not_equal(dev_counters_start(c, err, sizeof err), 0);
        assert_non_null(strstr(err, "unavailable"));
        cJSON *r = dev_counter_reading_to_json(c, NULL);
        assert_string_equal(cJSON_GetObjectItem(r, "status")->valuestring, "unavailable");
        cJSON_Delete(r);
    }
    cJSON_Delete(j);
    dev_counters_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_names_this_cpu),
        cmocka_unit_test(test_device_id_stable),
        cmocka_unit_test(test_fingerprint_under_fake_root),
        cmocka_unit_test(test_thread_binding),
        cmocka_unit_test(test_counters_available_or_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
