/*
 * test_route.c — the routing sweep against hand-computed values.
 *
 * Four local items (confidence, correct, e2e ms, J): (-0.1, 1, 100, 1),
 * (-0.5, 1, 200, 2), (-1.0, 0, 300, 3), (-2.0, 0, 400, 4); 100 prompt and 10
 * generated tokens each. Cloud: accuracy 0.9, 1000 ms. Prices 1 and 2 USD/Mtok
 * -> 1.2e-4 USD per escalated query; electricity 0.36 USD/kWh -> 1e-7 USD/J.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "reports/route.h"
#include "tests/unit/planted_results.h"

static void load_inputs(rep_route_inputs *inputs, res_file *file, const res_file *cloud,
                        double cloud_accuracy)
{
    const double confidence[] = {-0.1, -0.5, -1.0, -2.0}, score[] = {1, 1, 0, 0};
    planted_item items[4];
    for (int i = 0; i < 4; i++)
        items[i] = (planted_item){.logprob_mean = confidence[i], .score = score[i],
                                  .e2e_ms = 100.0 * (i + 1), .energy_j = i + 1.0,
                                  .prompt_tokens = 100, .generated_tokens = 10, .decode_tps = 10,
                                  .ttft_ms = 10};
    char dir[64], path[128], err[512];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "route"), 0);
    snprintf(path, sizeof path, "%s/local.json", dir);
    planted_run run = {.device_id = "d", .sha256 = "s", .run_key = "k", .items = items,
                       .n_items = 4};
    assert_int_equal(planted_write(path, &run), 0);
    assert_int_equal(res_file_load(path, file, err, sizeof err), 0);
    unlink(path);
    rmdir(dir);
    assert_int_equal(rep_route_load(file, NULL, cloud, cloud_accuracy, 1000, inputs, err, sizeof err), 0);
}

static void test_sweep_matches_hand_computation(void **state)
{
    (void)state;
    rep_route_inputs inputs;
    res_file file;
    char err[512];
    load_inputs(&inputs, &file, NULL, 0.9);
    assert_int_equal(inputs.n, 4);
    rep_route_inputs only;
    assert_int_equal(rep_route_load(&file, "r0001", NULL, 0.9, 1000, &only, err, sizeof err), 0);
    assert_int_equal(only.n, 4);
    rep_route_inputs_free(&only);
    assert_int_not_equal(rep_route_load(&file, "r0404", NULL, 0.9, 1000, &only, err, sizeof err), 0);
    assert_non_null(strstr(err, "r0404"));
    rep_route_prices prices = {.usd_per_mtok_in = 1, .usd_per_mtok_out = 2,
                               .electricity_usd_per_kwh = 0.36};
    rep_route_point *p;
    size_t n;
    assert_int_equal(rep_route_sweep(&inputs, &prices, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 5); /* cloud only + 4 distinct thresholds */
    /* cloud only */
    assert_true(p[0].cloud_only && p[0].share_local == 0);
    assert_true(fabs(p[0].accuracy - 0.9) < 1e-12);
    assert_true(fabs(p[0].usd_per_1000 - 0.12) < 1e-12);
    assert_true(p[0].energy_j_per_query == 0 && p[0].p50_ms == 1000 && p[0].p90_ms == 1000);
    /* threshold -0.5: items 0 and 1 local */
    assert_true(p[2].threshold == -0.5 && p[2].share_local == 0.5);
    assert_true(fabs(p[2].accuracy - 0.95) < 1e-12);
    assert_true(fabs(p[2].usd_per_1000 - 0.06025) < 1e-12);
    assert_true(fabs(p[2].energy_j_per_query - 2.5) < 1e-12);
    assert_true(fabs(p[2].p50_ms - 750) < 1e-9);   /* latencies 100, 200, 1300, 1400 */
    assert_true(fabs(p[2].p90_ms - 1370) < 1e-9);
    /* all local */
    assert_true(p[4].share_local == 1 && fabs(p[4].accuracy - 0.5) < 1e-12);
    assert_true(fabs(p[4].usd_per_1000 - 0.00025) < 1e-12);
    long best = rep_route_best(p, n, 0.9);
    assert_int_equal(best, 2);
    /* device 100 USD: saving 1.2e-4 - 6.025e-5 = 5.975e-5 USD/query */
    double queries = rep_route_break_even(&p[0], &p[best], 100);
    assert_true(fabs(queries - 100 / 5.975e-5) < 1e-3);
    assert_int_equal(rep_route_best(p, n, 0.99), -1);
    assert_true(isinf(rep_route_break_even(&p[0], &p[0], 100)));
    /* amortization: 100 USD over 1e6 queries adds 1e-4 USD per local run */
    prices.device_usd = 100;
    prices.device_lifetime_queries = 1e6;
    free(p);
    assert_int_equal(rep_route_sweep(&inputs, &prices, &p, &n, err, sizeof err), 0);
    assert_true(fabs(p[2].usd_per_1000 - (0.06025 + 0.1)) < 1e-12);
    assert_true(fabs(p[2].usd_per_1000_operating - 0.06025) < 1e-12);
    assert_true(fabs(p[0].usd_per_1000 - 0.12) < 1e-12);
    char dir[64], base[128], chart[1400];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "routechart"), 0);
    snprintf(base, sizeof base, "%s/curve", dir);
    int drawn = rep_route_chart(p, n, 2, base, chart, sizeof chart, err, sizeof err);
    assert_true(drawn >= 0);
    printf("chart: %s\n", chart);   /* drawn == 1: the notice says gnuplot was missing or failed */
    /* the data and the script are written whether or not gnuplot runs; the image when it did */
    char path[160];
    struct stat st;
    snprintf(path, sizeof path, "%s.dat", base);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0);
    snprintf(path, sizeof path, "%s.gp", base);
    assert_int_equal(stat(path, &st), 0);
    if (drawn == 0)
        assert_int_equal(stat(chart, &st), 0);
    char command[200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
    free(p);
    rep_route_inputs_free(&inputs);
    res_file_free(&file);
}

static void test_cloud_results_per_item(void **state)
{
    (void)state;
    /* cloud file: same ids, cloud wrong on item 3 only, 500 ms, 50+5 tokens */
    planted_item cloud_items[4];
    for (int i = 0; i < 4; i++)
        cloud_items[i] = (planted_item){.score = i == 3 ? 0 : 1, .e2e_ms = 500, .energy_j = NAN,
                                        .prompt_tokens = 50, .generated_tokens = 5,
                                        .logprob_mean = NAN, .decode_tps = 1, .ttft_ms = 1};
    char dir[64], path[128], err[512];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "routecloud"), 0);
    snprintf(path, sizeof path, "%s/cloud.json", dir);
    planted_run run = {.device_id = "c", .sha256 = "remote", .run_key = "k", .items = cloud_items,
                       .n_items = 4};
    assert_int_equal(planted_write(path, &run), 0);
    res_file cloud, local;
    assert_int_equal(res_file_load(path, &cloud, err, sizeof err), 0);
    unlink(path);
    rmdir(dir);
    rep_route_inputs inputs;
    load_inputs(&inputs, &local, &cloud, -1);
    assert_int_equal(inputs.tokens_estimated, 0);
    rep_route_prices prices = {.usd_per_mtok_in = 1, .usd_per_mtok_out = 2};
    rep_route_point *p;
    size_t n;
    assert_int_equal(rep_route_sweep(&inputs, &prices, &p, &n, err, sizeof err), 0);
    assert_true(fabs(p[0].accuracy - 0.75) < 1e-12);
    assert_true(fabs(p[0].usd_per_1000 - 1000 * 60e-6) < 1e-12); /* (50 + 10) / 1e6 */
    /* threshold -1.0: items 0,1,2 local (1+1+0), item 3 cloud (0) */
    assert_true(fabs(p[3].accuracy - 0.5) < 1e-12);
    free(p);
    rep_route_inputs_free(&inputs);
    res_file_free(&local);
    res_file_free(&cloud);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_matches_hand_computation),
        cmocka_unit_test(test_cloud_results_per_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
