/*
 * test_carbon.c — carbon arithmetic against hand-computed values, labels of
 * measured/estimated energy, and the shipped data files (every figure has a
 * number, a year and a source). Run from the repository root (as the test
 * runner does) so results/data/ is found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reports/carbon.h"
#include "tests/unit/planted_results.h"

static int load_planted(planted_item *items, size_t n, const char *method, res_file *file)
{
    char dir[64], path[128], err[512];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "carbon"), 0);
    snprintf(path, sizeof path, "%s/r.json", dir);
    planted_run run = {.device_id = "d", .sha256 = "s", .run_key = "k", .energy_method = method,
                       .items = items, .n_items = n};
    assert_int_equal(planted_write(path, &run), 0);
    int status = res_file_load(path, file, err, sizeof err);
    unlink(path);
    rmdir(dir);
    return status;
}

static void test_hand_computed_figures(void **state)
{
    (void)state;
    planted_item items[5];
    const double joules[] = {3.6, 7.2, 10.8, 14.4, NAN};
    for (int i = 0; i < 5; i++)
        items[i] = (planted_item){.energy_j = joules[i], .prompt_tokens = 100,
                                  .generated_tokens = 20, .score = NAN, .decode_tps = 10,
                                  .ttft_ms = 1, .e2e_ms = 1, .logprob_mean = -1};
    res_file file;
    assert_int_equal(load_planted(items, 5, "measured: rapl package", &file), 0);
    rep_energy_summary energy;
    char err[512];
    assert_int_equal(rep_carbon_energy(&file, 0, NULL, &energy, err, sizeof err), 0);
    assert_int_equal(energy.n_measured, 4);
    assert_int_equal(energy.n_unavailable, 1);
    assert_string_equal(energy.label, "measured");
    assert_true(fabs(energy.j_per_query - 9.0) < 1e-12);
    rep_carbon_figures f;
    rep_carbon_compute(&energy, 400, 1.5, 1000, &f);
    /* 9 J = 0.0025 Wh; 36 J over 480 tokens = 1e-5 kWh / 480 * 1e6 = 0.0208333 kWh/Mtok */
    assert_true(fabs(f.wh_per_query - 0.0025) < 1e-12);
    assert_true(fabs(f.wh_per_1000_queries - 2.5) < 1e-9);
    assert_true(fabs(f.kwh_per_million_tokens - 1e-5 / 480 * 1e6) < 1e-12);
    assert_true(fabs(f.kwh_per_million_generated_tokens - 1e-5 / 80 * 1e6) < 1e-12);
    /* 0.0025 Wh * 400 g/kWh * 1.5 = 0.0015 g; 1000/day = 1.5 g/day = 0.5475 kg/year */
    assert_true(fabs(f.g_per_query - 0.0015) < 1e-12);
    assert_true(fabs(f.g_per_1000_queries - 1.5) < 1e-9);
    assert_true(fabs(f.g_per_million_tokens - 12.5) < 1e-9);
    assert_true(fabs(f.g_per_day - 1.5) < 1e-9);
    assert_true(fabs(f.kg_per_year - 0.5475) < 1e-9);
    assert_int_equal(rep_carbon_energy(&file, 0, "r0001", &energy, err, sizeof err), 0);
    assert_int_not_equal(rep_carbon_energy(&file, 0, "r9999", &energy, err, sizeof err), 0);
    assert_non_null(strstr(err, "r9999"));
    res_file_free(&file);
}

static void test_estimated_energy_stays_labelled(void **state)
{
    (void)state;
    planted_item items[2] = {{.energy_j = 1, .score = NAN}, {.energy_j = 3, .score = NAN}};
    res_file file;
    assert_int_equal(load_planted(items, 2, "estimated: TDP x utilisation", &file), 0);
    rep_energy_summary energy;
    char err[512];
    assert_int_equal(rep_carbon_energy(&file, 0, NULL, &energy, err, sizeof err), 0);
    assert_string_equal(energy.label, "estimated");
    assert_non_null(strstr(energy.method, "TDP"));
    res_file_free(&file);
    planted_item none[2] = {{.energy_j = NAN, .score = NAN}, {.energy_j = NAN, .score = NAN}};
    assert_int_equal(load_planted(none, 2, NULL, &file), 0);
    assert_int_not_equal(rep_carbon_energy(&file, 0, NULL, &energy, err, sizeof err), 0);
    assert_non_null(strstr(err, "unavailable: planted"));
    res_file_free(&file);
}

static void test_shipped_data_files_are_cited(void **state)
{
    (void)state;
    char path[1100], err[1200];
    assert_int_equal(rep_data_file("grid_intensity.json", path, sizeof path, err, sizeof err), 0);
    rep_grid_figure grid;
    assert_int_equal(rep_grid_lookup(path, "fr", &grid, err, sizeof err), 0);
    assert_true(grid.g_per_kwh == 56 && grid.year == 2023);
    assert_non_null(strstr(grid.source, "Ember"));
    assert_int_equal(rep_grid_lookup(path, "WORLD", &grid, err, sizeof err), 0);
    assert_int_not_equal(rep_grid_lookup(path, "ATLANTIS", &grid, err, sizeof err), 0);
    assert_non_null(strstr(err, "ATLANTIS"));
    assert_int_equal(rep_data_file("cloud_energy.json", path, sizeof path, err, sizeof err), 0);
    rep_cloud_figure *cloud;
    size_t n;
    assert_int_equal(rep_cloud_load(path, &cloud, &n, err, sizeof err), 0);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(cloud[i].wh_per_query > 0 && cloud[i].year >= 2020);
        assert_true(strlen(cloud[i].source) > 10);
    }
    free(cloud);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_figures),
        cmocka_unit_test(test_estimated_energy_stays_labelled),
        cmocka_unit_test(test_shipped_data_files_are_cited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
