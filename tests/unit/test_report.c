/*
 * test_report.c — `slmbench report` from results files this test writes: the
 * Markdown tables, the synthetic-weights notice, the leaderboard across two
 * files (two devices), every chart's script and data, the Pareto front, the
 * images when gnuplot is present and the notice when it is not; synthetic
 * models kept off the accuracy chart, estimated energy marked "(est.)", no
 * leaderboard for a single model on a single device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "reports/report.h"
#include "results/results.h"
#include "tests/unit/test_tmpdir.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void add_run(cJSON *doc, const char *model, int synthetic, int threads, double tps, double joules, double acc)
{
    char key[64];
    snprintf(key, sizeof key, "suite=qa|threads=%d", threads);
    cJSON *run = res_run_add(doc, "suite", key);
    cJSON_AddStringToObject(cJSON_GetObjectItem(run, "model"), "name", model);
    cJSON_AddBoolToObject(cJSON_GetObjectItem(run, "model"), "synthetic", synthetic);
    cJSON_AddStringToObject(cJSON_GetObjectItem(run, "config"), "suite", "qa");
    cJSON_AddNumberToObject(cJSON_GetObjectItem(run, "config"), "threads", threads);
    for (int i = 0; i < 4; i++) {
        cJSON *it = cJSON_CreateObject();
        char id[16];
        snprintf(id, sizeof id, "q%d", i);
        cJSON_AddStringToObject(it, "id", id);
        cJSON_AddNumberToObject(it, "rep", 0);
        cJSON_AddNumberToObject(it, "ttft_ms", 100 + 10 * i);
        cJSON_AddNumberToObject(it, "decode_tps", tps);
        cJSON_AddNumberToObject(it, "energy_j", joules);
        cJSON_AddStringToObject(it, "energy_method", "measured: rapl (counter)");
        cJSON *scores = cJSON_AddObjectToObject(it, "scores");
        cJSON_AddNumberToObject(scores, "f1", acc);
        cJSON_AddItemToArray(cJSON_GetObjectItem(run, "items"), it);
    }
    cJSON *trace = cJSON_AddObjectToObject(run, "trace");
    cJSON *samples = cJSON_AddArrayToObject(trace, "samples");
    for (int i = 0; i < 5; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "t_s", i * 0.1);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(s, "power_w"), "rapl", 10 + i);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(s, "temp_c"), "x86_pkg_temp", 50 + i);
        cJSON_AddItemToArray(samples, s);
    }
    char err[256];
    assert_int_equal(res_run_aggregate(run, "f1", err, sizeof err), 0);
    res_run_finish(run, "complete");
}

static cJSON *make_doc(const char *device_id)
{
    char *argv[] = {"slmbench", "run"};
    cJSON *doc = res_document_new(2, argv);
    cJSON *device = cJSON_AddObjectToObject(doc, "device");
    cJSON_AddStringToObject(device, "device_id", device_id);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(device, "cpu"), "brand", "Test CPU");
    return doc;
}

static void test_report_with_charts(void **state)
{
    const char *tmpdir = *state;
    cJSON *a = make_doc("aaaaaaaaaaaaaaaa"), *b = make_doc("bbbbbbbbbbbbbbbb");
    add_run(a, "synthetic-small", 1, 1, 20, 2.0, 0.30);
    add_run(a, "synthetic-small", 1, 2, 35, 1.5, 0.30);
    add_run(b, "real-model", 0, 2, 15, 4.0, 0.70);   /* more accurate, more energy: on the front */
    add_run(b, "dominated", 0, 2, 10, 5.0, 0.20);    /* worse and costlier: not on the front */
    rep_input inputs[2] = {{a, "a/results.json"}, {b, "b/results.json"}};
    char notice[512], err[512];
    unsetenv("SLMBENCH_GNUPLOT");
    assert_int_equal(rep_generate(inputs, 2, tmpdir, notice, sizeof notice, err, sizeof err), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/report.md", tmpdir);
    const char *md = slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "accuracy not meaningful: synthetic weights"));
    assert_non_null(strstr(md, "| synthetic-small | aaaaaaaa | qa | 2 | 4 | 0.300 f1 (synthetic) | 115.0 |"));
    assert_non_null(strstr(md, "## Leaderboard"));
    assert_non_null(strstr(md, "| qa | 1 | real-model |"));
    for (int c = 0; rep_chart_names[c]; c++) {
        snprintf(path, sizeof path, "%s/charts/%s.gp", tmpdir, rep_chart_names[c]);
        assert_int_equal(access(path, R_OK), 0);
    }
    snprintf(path, sizeof path, "%s/charts/accuracy_energy.dat", tmpdir);
    const char *dat = slurp(path);
    const char *front = strstr(dat, "# Pareto front");
    assert_non_null(front);
    assert_non_null(strstr(front, "\n4 0.7\n"));   /* the cheapest real run is also the most accurate */
    assert_null(strstr(front, "5 0.2"));
    assert_null(strstr(dat, "1.5 0.3"));  /* synthetic weights: no point on an accuracy chart */
    assert_non_null(strstr(dat, "2 run(s) of synthetic models left out"));
    snprintf(path, sizeof path, "%s/charts/throughput_threads.dat", tmpdir);
    assert_non_null(strstr(slurp(path), "1 20\n2 35\n"));
    rep_terminal term = rep_detect_gnuplot();
    if (term == REP_TERM_NONE) {
        printf("gnuplot not installed: chart images not checked (scripts checked)\n");
    } else {
        snprintf(path, sizeof path, "%s/charts/latency_cdf.%s", tmpdir, term == REP_TERM_PNG ? "png" : "svg");
        assert_int_equal(access(path, R_OK), 0);
        snprintf(path, sizeof path, "%s/charts/power_trace.%s", tmpdir, term == REP_TERM_PNG ? "png" : "svg");
        assert_int_equal(access(path, R_OK), 0);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_report_without_gnuplot(void **state)
{
    const char *tmpdir = *state;
    cJSON *a = make_doc("cccccccccccccccc");
    add_run(a, "m", 0, 1, 20, 2.0, 0.5);
    rep_input input = {a, "c/results.json"};
    char dir[512], notice[512], err[512], path[600];
    snprintf(dir, sizeof dir, "%s/nognuplot", tmpdir);
    setenv("SLMBENCH_GNUPLOT", "none", 1);
    assert_int_equal(rep_generate(&input, 1, dir, notice, sizeof notice, err, sizeof err), 0);
    unsetenv("SLMBENCH_GNUPLOT");
    assert_non_null(strstr(notice, "gnuplot not found: charts skipped"));
    snprintf(path, sizeof path, "%s/charts/latency_cdf.gp", dir);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/charts/latency_cdf.png", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/report.md", dir);
    assert_non_null(strstr(slurp(path), "gnuplot not found"));
    assert_null(strstr(slurp(path), "synthetic weights"));  /* real model: no notice */
    cJSON_Delete(a);
}

/* One synthetic model on one device with estimated energy: no leaderboard (it
 * would rank nothing), energy marked as estimated, no accuracy chart. */
static void test_report_synthetic_estimated(void **state)
{
    const char *tmpdir = *state;
    cJSON *a = make_doc("eeeeeeeeeeeeeeee");
    add_run(a, "synthetic-only", 1, 1, 20, 2.0, 0.0);
    add_run(a, "synthetic-only", 1, 2, 30, 1.5, 0.0);
    const cJSON *run, *item;
    cJSON_ArrayForEach(run, cJSON_GetObjectItem(a, "runs"))
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(run, "items"))
            cJSON_ReplaceItemInObject((cJSON *)item, "energy_method",
                                      cJSON_CreateString("estimated: profile generic (idle/full-load watts x CPU utilisation)"));
    rep_input input = {a, "e/results.json"};
    char dir[512], notice[512], err[512], path[600];
    snprintf(dir, sizeof dir, "%s/synthetic", tmpdir);
    assert_int_equal(rep_generate(&input, 1, dir, notice, sizeof notice, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/report.md", dir);
    const char *md = slurp(path);
    assert_non_null(strstr(md, "| 2.00 (est.) |"));
    assert_null(strstr(md, "## Leaderboard"));
    assert_non_null(strstr(md, "no data: only synthetic models"));
    assert_null(strstr(md, "energy figures are real measurements"));  /* they are estimates here */
    assert_non_null(strstr(md, "energy is measured or estimated as its method below says"));
    snprintf(path, sizeof path, "%s/charts/accuracy_energy.%s", dir, "png");
    assert_int_not_equal(access(path, F_OK), 0);
    cJSON_Delete(a);
}

static void test_report_unwritable_dir(void **state)
{
    (void)state;
    cJSON *a = make_doc("dddddddddddddddd");
    rep_input input = {a, "d/results.json"};
    char notice[256], err[512];
    assert_int_not_equal(rep_generate(&input, 1, "/proc/no-such/dir", notice, sizeof notice, err, sizeof err), 0);
    assert_non_null(strstr(err, "/proc/no-such"));
    cJSON_Delete(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_with_charts),
        cmocka_unit_test(test_report_without_gnuplot),
        cmocka_unit_test(test_report_synthetic_estimated),
        cmocka_unit_test(test_report_unwritable_dir),
    };
    return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
