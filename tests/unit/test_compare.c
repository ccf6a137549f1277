/*
 * test_compare.c — the regression gate on planted data, and its statistics
 * against hand-computed values.
 *
 * Planted data: 30 items per file, decode_tps ~ Normal(20, 2%) drawn from a
 * fixed seed. A 10% slowdown of the same samples must be a regression; a
 * re-run (new draws, same distribution) and a shift that is within noise must
 * not; different devices must be refused unless forced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "results/compare.h"
#include "results/compare_stats.h"
#include "tests/unit/planted_results.h"

#define N_ITEMS 30

static void fill_items(planted_item *items, uint64_t seed, double decode_mean, double cv)
{
    uint64_t state = seed;
    for (size_t i = 0; i < N_ITEMS; i++) {
        items[i] = (planted_item){
            .decode_tps = decode_mean * (1 + cv * planted_normal(&state)),
            .ttft_ms = 100 * (1 + 0.02 * planted_normal(&state)),
            .e2e_ms = 2000 * (1 + 0.02 * planted_normal(&state)),
            .energy_j = 5 * (1 + 0.02 * planted_normal(&state)),
            .score = i % 4 == 3 ? 0 : 1,
            .logprob_mean = -0.5,
            .prompt_tokens = 300,
            .generated_tokens = 40,
        };
    }
}

typedef struct pair_outcome {
    int status;
    res_metric_comparison decode, accuracy;
    size_t n_regressions;
    char reason[400];
} pair_outcome;

static const res_metric_comparison *find_row(const res_comparison *c, const char *metric)
{
    for (size_t i = 0; i < c->n_rows; i++)
        if (!strcmp(c->rows[i].metric, metric))
            return &c->rows[i];
    return NULL;
}

static pair_outcome compare_planted(const planted_run *base_run, const planted_run *new_run,
                                    int force)
{
    char dir[64], base_path[128], new_path[128], err[512];
    pair_outcome outcome;
    memset(&outcome, 0, sizeof outcome);
    assert_int_equal(planted_tempdir(dir, sizeof dir, "cmp"), 0);
    snprintf(base_path, sizeof base_path, "%s/base.json", dir);
    snprintf(new_path, sizeof new_path, "%s/new.json", dir);
    assert_int_equal(planted_write(base_path, base_run), 0);
    assert_int_equal(planted_write(new_path, new_run), 0);
    res_file base, new_file;
    assert_int_equal(res_file_load(base_path, &base, err, sizeof err), 0);
    assert_int_equal(res_file_load(new_path, &new_file, err, sizeof err), 0);
    res_compare_options options;
    res_compare_default_options(&options);
    options.force = force;
    res_comparison c;
    outcome.status = res_compare_files(&base, &new_file, &options, &c, err, sizeof err);
    if (outcome.status == 0) {
        const res_metric_comparison *decode = find_row(&c, "decode_tps");
        const res_metric_comparison *accuracy = find_row(&c, "accuracy");
        assert_non_null(decode);
        assert_non_null(accuracy);
        outcome.decode = *decode;
        outcome.accuracy = *accuracy;
        outcome.n_regressions = c.n_regressions;
        res_compare_print_text(&c, base_path, new_path, stdout);
    } else if (outcome.status == 1) {
        snprintf(outcome.reason, sizeof outcome.reason, "%s", c.reasons[0]);
    }
    res_comparison_free(&c);
    res_file_free(&base);
    res_file_free(&new_file);
    unlink(base_path);
    unlink(new_path);
    rmdir(dir);
    return outcome;
}

static planted_run make_run(const planted_item *items, const char *device)
{
    return (planted_run){.device_id = device, .sha256 = "ab12", .run_key = "suite=qa|threads=2",
                         .items = items, .n_items = N_ITEMS};
}

static void test_slowdown_of_ten_percent_is_a_regression(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], slow[N_ITEMS];
    fill_items(base, 1, 20, 0.02);
    memcpy(slow, base, sizeof base);
    for (size_t i = 0; i < N_ITEMS; i++)
        slow[i].decode_tps *= 0.9;
    planted_run a = make_run(base, "dev1"), b = make_run(slow, "dev1");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    printf("planted 10%% slowdown: change %+.2f%% CI [%+.2f, %+.2f], Mann-Whitney p = %.3g\n",
           o.decode.change.estimate, o.decode.change.low, o.decode.change.high, o.decode.p_value);
    assert_int_equal(o.decode.verdict, RES_VERDICT_REGRESSED);
    assert_true(fabs(o.decode.change.estimate + 10) < 1e-9);
    assert_true(o.decode.change.high < -5);
    assert_true(o.decode.p_value < 1e-6);
    assert_int_equal(o.n_regressions, 1);
}

static void test_rerun_of_same_distribution_is_not(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], rerun[N_ITEMS];
    fill_items(base, 1, 20, 0.02);
    fill_items(rerun, 2, 20, 0.02);
    planted_run a = make_run(base, "dev1"), b = make_run(rerun, "dev1");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    printf("re-run: change %+.2f%% CI [%+.2f, %+.2f], p = %.3g\n", o.decode.change.estimate,
           o.decode.change.low, o.decode.change.high, o.decode.p_value);
    assert_int_not_equal(o.decode.verdict, RES_VERDICT_REGRESSED);
    assert_int_equal(o.n_regressions, 0);
}

static void test_change_within_noise_is_not(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], shifted[N_ITEMS];
    fill_items(base, 3, 20, 0.08);
    fill_items(shifted, 4, 20 * 0.98, 0.08);
    planted_run a = make_run(base, "dev1"), b = make_run(shifted, "dev1");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    printf("2%% shift in 8%% noise: change %+.2f%% CI [%+.2f, %+.2f], p = %.3g, verdict %s\n",
           o.decode.change.estimate, o.decode.change.low, o.decode.change.high, o.decode.p_value,
           res_verdict_name(o.decode.verdict));
    assert_int_not_equal(o.decode.verdict, RES_VERDICT_REGRESSED);
    assert_int_equal(o.n_regressions, 0);
}

static void test_noisy_metric_is_flagged_not_judged(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], noisy[N_ITEMS];
    fill_items(base, 5, 20, 0.02);
    fill_items(noisy, 6, 15, 0.40);
    planted_run a = make_run(base, "dev1"), b = make_run(noisy, "dev1");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    assert_int_equal(o.decode.verdict, RES_VERDICT_NOISY);
    assert_true(o.decode.cv_new > 0.25);
}

static void test_mismatched_devices_are_refused(void **state)
{
    (void)state;
    planted_item items[N_ITEMS];
    fill_items(items, 1, 20, 0.02);
    planted_run a = make_run(items, "dev1"), b = make_run(items, "dev2");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.reason, "different devices"));
    o = compare_planted(&a, &b, 1);
    assert_int_equal(o.status, 0);
    planted_run c = make_run(items, NULL);
    assert_int_equal(compare_planted(&a, &c, 0).status, 1);
}

static void test_mismatched_models_and_configs_are_refused(void **state)
{
    (void)state;
    planted_item items[N_ITEMS];
    fill_items(items, 1, 20, 0.02);
    planted_run a = make_run(items, "dev1"), b = make_run(items, "dev1");
    b.sha256 = "cd34";
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.reason, "different models"));
    b.sha256 = "ab12";
    b.run_key = "suite=qa|threads=4";
    o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.reason, "different configs"));
}

static void test_accuracy_drop_is_paired(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], worse[N_ITEMS];
    fill_items(base, 1, 20, 0.02);
    memcpy(worse, base, sizeof base);
    /* 8 items right in base become wrong; none the other way: McNemar p = 2 / 2^8. */
    size_t flipped = 0;
    for (size_t i = 0; i < N_ITEMS && flipped < 8; i++)
        if (worse[i].score == 1) {
            worse[i].score = 0;
            flipped++;
        }
    planted_run a = make_run(base, "dev1"), b = make_run(worse, "dev1");
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.accuracy.test, "McNemar exact");
    assert_true(fabs(o.accuracy.p_value - 2.0 / 256) < 1e-12);
    assert_true(fabs(o.accuracy.change.estimate - (-800.0 / 30)) < 1e-9);
    assert_int_equal(o.accuracy.verdict, RES_VERDICT_REGRESSED);
    assert_int_equal(o.decode.verdict, RES_VERDICT_NO_CHANGE);
}

static void test_remote_models_compare_by_name_and_status_is_warned(void **state)
{
    (void)state;
    planted_item items[N_ITEMS];
    fill_items(items, 1, 20, 0.02);
    planted_run a = make_run(items, "dev1"), b = make_run(items, "dev1");
    a.sha256 = b.sha256 = NULL;
    a.remote_model = b.remote_model = "gpt-x";
    b.status = "interrupted";
    pair_outcome o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 0);
    b.remote_model = "gpt-y";
    o = compare_planted(&a, &b, 0);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.reason, "remote:gpt-x@"));
    a.remote_model = b.remote_model = NULL; /* nothing identifies the model: not comparable */
    assert_int_equal(compare_planted(&a, &b, 0).status, 1);
}

/* Items of different lengths: TTFT 50..500 ms by item; the new run is 10% slower on
 * every item (+-1%). Unpaired, the spread between items hides it (and reads as
 * noisy); paired by item, it is a clear regression. */
static void test_paired_finds_what_item_spread_hides(void **state)
{
    (void)state;
    planted_item base[N_ITEMS], slow[N_ITEMS];
    fill_items(base, 9, 20, 0.02);
    uint64_t rng = 77;
    for (size_t i = 0; i < N_ITEMS; i++) {
        base[i].ttft_ms = 50 + 15.0 * (double)i;
        slow[i] = base[i];
        slow[i].ttft_ms = base[i].ttft_ms * 1.10 * (1 + 0.01 * planted_normal(&rng));
    }
    char dir[64], base_path[128], new_path[128], err[512];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "paired"), 0);
    snprintf(base_path, sizeof base_path, "%s/base.json", dir);
    snprintf(new_path, sizeof new_path, "%s/new.json", dir);
    planted_run a = make_run(base, "dev1"), b = make_run(slow, "dev1");
    assert_int_equal(planted_write(base_path, &a), 0);
    assert_int_equal(planted_write(new_path, &b), 0);
    res_file fa, fb;
    assert_int_equal(res_file_load(base_path, &fa, err, sizeof err), 0);
    assert_int_equal(res_file_load(new_path, &fb, err, sizeof err), 0);
    res_compare_options options;
    res_compare_default_options(&options);
    options.metrics[options.n_metrics++] = "ttft_ms";
    res_comparison c;
    assert_int_equal(res_compare_files(&fa, &fb, &options, &c, err, sizeof err), 0);
    printf("unpaired ttft: %s, p = %.3g\n", res_verdict_name(c.rows[0].verdict), c.rows[0].p_value);
    assert_int_not_equal(c.rows[0].verdict, RES_VERDICT_REGRESSED);
    res_comparison_free(&c);
    options.paired = 1;
    assert_int_equal(res_compare_files(&fa, &fb, &options, &c, err, sizeof err), 0);
    printf("paired ttft: change %+.2f%% CI [%+.2f, %+.2f], Wilcoxon p = %.3g\n",
           c.rows[0].change.estimate, c.rows[0].change.low, c.rows[0].change.high,
           c.rows[0].p_value);
    assert_int_equal(c.rows[0].verdict, RES_VERDICT_REGRESSED);
    assert_true(c.rows[0].change.low > 5 && c.rows[0].change.high < 15);
    assert_true(c.rows[0].p_value < 1e-4);
    res_comparison_free(&c);
    res_file_free(&fa);
    res_file_free(&fb);
    unlink(base_path);
    unlink(new_path);
    rmdir(dir);
}

static void test_wilcoxon_hand_computed(void **state)
{
    (void)state;
    char err[256];
    res_wilcoxon_result w;
    const double d[] = {1, 2, 3, 4, 5};
    assert_int_equal(res_wilcoxon_signed_rank(d, 5, &w, err, sizeof err), 0);
    /* W+ = 15, mean 7.5, var 13.75, z = 7 / sqrt(13.75) */
    assert_true(w.w_plus == 15 && w.n_used == 5);
    assert_true(fabs(w.z - 7 / sqrt(13.75)) < 1e-12);
    assert_true(fabs(w.p_value - 0.0590582) < 1e-6);
    /* zero dropped; |d| 1,1 -> ranks 1.5; 2,2 -> 3.5; W+ = 8.5; var = 7.5 - 12/48 */
    const double e[] = {0, 1, -1, 2, 2};
    assert_int_equal(res_wilcoxon_signed_rank(e, 5, &w, err, sizeof err), 0);
    assert_true(w.w_plus == 8.5 && w.n_used == 4);
    assert_true(fabs(w.z - 3.0 / sqrt(7.25)) < 1e-12);
    const double zeros[] = {0, 0};
    assert_int_equal(res_wilcoxon_signed_rank(zeros, 2, &w, err, sizeof err), 0);
    assert_true(w.p_value == 1 && w.n_used == 0);
    res_interval r;
    const double b[] = {10, 20, 40}, n[] = {11, 22, 44};
    assert_int_equal(res_bootstrap_median_ratio(b, n, 3, 2000, 0.95, 1, &r, err, sizeof err), 0);
    assert_true(fabs(r.estimate - 10) < 1e-9 && fabs(r.low - 10) < 1e-9 && fabs(r.high - 10) < 1e-9);
    const double neg[] = {-1, 2, 3};
    assert_int_not_equal(res_bootstrap_median_ratio(neg, n, 3, 2000, 0.95, 1, &r, err, sizeof err), 0);
}

/* ---- statistics against hand-computed values ------------------------------- */

static void test_mann_whitney_hand_computed(void **state)
{
    (void)state;
    char err[256];
    res_mann_whitney_result r;
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    assert_int_equal(res_mann_whitney(a, 5, b, 5, &r, err, sizeof err), 0);
    /* U = 25, mean 12.5, var = 25*11/12, z = 12/sqrt(22.9167) = 2.50672 */
    assert_true(fabs(r.u_new - 25) < 1e-12);
    assert_true(fabs(r.z - 2.506718) < 1e-5);
    assert_true(fabs(r.p_value - 0.0121858) < 1e-6);
    /* With ties: ranks 1,3,3,3,6,6,6,8; U_new = 13; tie term 48; var = 10.857143 */
    const double c[] = {1, 2, 2, 3}, d[] = {2, 3, 3, 4};
    assert_int_equal(res_mann_whitney(c, 4, d, 4, &r, err, sizeof err), 0);
    assert_true(fabs(r.u_new - 13) < 1e-12);
    assert_true(fabs(r.z - 4.5 / sqrt(10.857142857)) < 1e-8);
    assert_true(fabs(r.p_value - erfc(4.5 / sqrt(10.857142857) / sqrt(2))) < 1e-9);
    const double e[] = {3, 3, 3};
    assert_int_equal(res_mann_whitney(e, 3, e, 3, &r, err, sizeof err), 0);
    assert_true(r.all_tied && r.p_value == 1);
    assert_int_not_equal(res_mann_whitney(e, 1, e, 3, &r, err, sizeof err), 0);
}

static void test_mcnemar_and_bootstrap(void **state)
{
    (void)state;
    assert_true(fabs(res_mcnemar_exact(1, 6) - 0.125) < 1e-12); /* 2 * 8/128 */
    assert_true(res_mcnemar_exact(0, 0) == 1);
    assert_true(res_mcnemar_exact(5, 5) == 1);
    char err[256];
    const double base[] = {10, 11, 12, 13, 14}, new_values[] = {9, 9.9, 10.8, 11.7, 12.6};
    res_interval first, second;
    assert_int_equal(res_bootstrap_median_change(base, 5, new_values, 5, 2000, 0.95, 7, &first,
                                                 err, sizeof err), 0);
    assert_int_equal(res_bootstrap_median_change(base, 5, new_values, 5, 2000, 0.95, 7, &second,
                                                 err, sizeof err), 0);
    assert_true(fabs(first.estimate + 10) < 1e-9);
    assert_true(first.low == second.low && first.high == second.high);
    assert_true(first.low <= first.estimate && first.estimate <= first.high);
    const double with_nan[] = {1, NAN};
    assert_int_not_equal(res_bootstrap_median_change(with_nan, 2, base, 5, 2000, 0.95, 7, &first,
                                                     err, sizeof err), 0);
}

static void test_bad_files_are_refused_with_one_line(void **state)
{
    (void)state;
    char dir[64], path[128], err[512];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "bad"), 0);
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"schema\": \"other\"}", f);
    fclose(f);
    res_file file;
    assert_int_not_equal(res_file_load(path, &file, err, sizeof err), 0);
    assert_non_null(strstr(err, path));
    assert_null(strchr(err, '\n'));
    f = fopen(path, "w");
    fputs("{not json", f);
    fclose(f);
    assert_int_not_equal(res_file_load(path, &file, err, sizeof err), 0);
    assert_non_null(strstr(err, "not valid JSON"));
    f = fopen(path, "w");
    fputs("{\"schema\": \"slmbench.results\", \"schema_version\": 2, \"runs\": []}", f);
    fclose(f);
    assert_int_not_equal(res_file_load(path, &file, err, sizeof err), 0);
    assert_non_null(strstr(err, "schema_version"));
    f = fopen(path, "w");
    fputs("{\"schema\": \"slmbench.results\", \"schema_version\": 1, \"runs\": [{\"items\": [1]}]}", f);
    fclose(f);
    assert_int_not_equal(res_file_load(path, &file, err, sizeof err), 0);
    assert_non_null(strstr(err, "runs[0].items[0]"));
    unlink(path);
    assert_int_not_equal(res_file_load(path, &file, err, sizeof err), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slowdown_of_ten_percent_is_a_regression),
        cmocka_unit_test(test_rerun_of_same_distribution_is_not),
        cmocka_unit_test(test_change_within_noise_is_not),
        cmocka_unit_test(test_noisy_metric_is_flagged_not_judged),
        cmocka_unit_test(test_mismatched_devices_are_refused),
        cmocka_unit_test(test_mismatched_models_and_configs_are_refused),
        cmocka_unit_test(test_accuracy_drop_is_paired),
        cmocka_unit_test(test_remote_models_compare_by_name_and_status_is_warned),
        cmocka_unit_test(test_paired_finds_what_item_spread_hides),
        cmocka_unit_test(test_wilcoxon_hand_computed),
        cmocka_unit_test(test_mann_whitney_hand_computed),
        cmocka_unit_test(test_mcnemar_and_bootstrap),
        cmocka_unit_test(test_bad_files_are_refused_with_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
