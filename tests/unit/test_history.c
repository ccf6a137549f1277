/*
 * test_history.c — SQLite history: add is idempotent, show returns the series
 * in time order, the change-point rule marks a planted 15% level shift and
 * ignores a single outlier, and the chart is drawn (or a notice says why not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "results/history.h"
#include "tests/unit/planted_results.h"

#define N_ITEMS 10
#define N_RUNS 8

static void write_run(const char *dir, int index, double decode_mean, char *path, size_t size)
{
    planted_item items[N_ITEMS];
    uint64_t state = (uint64_t)index + 100;
    for (size_t i = 0; i < N_ITEMS; i++)
        items[i] = (planted_item){.decode_tps = decode_mean * (1 + 0.01 * planted_normal(&state)),
                                  .ttft_ms = 100, .e2e_ms = 1000, .energy_j = NAN, .score = 1,
                                  .logprob_mean = -0.3, .prompt_tokens = 100,
                                  .generated_tokens = 20};
    char created[40];
    snprintf(created, sizeof created, "2026-11-%02dT10:00:00Z", index + 1);
    planted_run run = {.device_id = "dev1", .sha256 = "ab12", .run_key = "suite=qa|threads=2",
                       .created_utc = created, .items = items, .n_items = N_ITEMS};
    snprintf(path, size, "%s/run%d.json", dir, index);
    assert_int_equal(planted_write(path, &run), 0);
}

static void test_changepoints_on_plain_series(void **state)
{
    (void)state;
    const double step[] = {20, 20.2, 19.9, 20.1, 17, 17.1, 16.9, 17.2};
    int change[8];
    double shift[8];
    res_history_changepoints(step, 8, 5, 2, change, shift);
    for (int i = 0; i < 8; i++)
        assert_int_equal(change[i], i == 4);
    /* medians 20.05 -> 17.05: -14.96% */
    assert_true(fabs(shift[4] - 100 * (17.05 - 20.05) / 20.05) < 1e-9);
    const double outlier[] = {20, 20.1, 20, 14, 20.2, 19.9, 20, 20.1};
    res_history_changepoints(outlier, 8, 5, 2, change, shift);
    for (int i = 0; i < 8; i++)
        assert_int_equal(change[i], 0);
    const double small[] = {20, 20, 20, 20, 19.5, 19.5, 19.5, 19.5};
    res_history_changepoints(small, 8, 5, 2, change, shift);
    for (int i = 0; i < 8; i++)
        assert_int_equal(change[i], 0);
}

static void test_add_show_and_chart(void **state)
{
    (void)state;
    char dir[64], db_path[128], path[128], err[1200];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "hist"), 0);
    snprintf(db_path, sizeof db_path, "%s/sub/history.sqlite", dir);
    sqlite3 *db;
    assert_int_equal(res_history_open(db_path, 1, &db, err, sizeof err), 0);
    for (int r = 0; r < N_RUNS; r++) {
        write_run(dir, r, r < 4 ? 20 : 17, path, sizeof path);
        res_file file;
        assert_int_equal(res_file_load(path, &file, err, sizeof err), 0);
        size_t added, duplicates;
        assert_int_equal(res_history_add(db, &file, &added, &duplicates, err, sizeof err), 0);
        assert_int_equal(added, 1);
        assert_int_equal(duplicates, 0);
        if (r == 0) { /* the same file again is stored once */
            assert_int_equal(res_history_add(db, &file, &added, &duplicates, err, sizeof err), 0);
            assert_int_equal(added, 0);
            assert_int_equal(duplicates, 1);
        }
        res_file_free(&file);
        unlink(path);
    }
    res_history_filter filter = {.metric = "decode_tps", .model = "planted-model"};
    res_history_point *points;
    size_t n;
    assert_int_equal(res_history_query(db, &filter, &points, &n, err, sizeof err), 0);
    assert_int_equal(n, N_RUNS);
    res_history_mark_series(points, n, 5, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(points[i].n, N_ITEMS);
        assert_int_equal(points[i].change_point, i == 4);
        if (i)
            assert_true(strcmp(points[i - 1].created_utc, points[i].created_utc) < 0);
    }
    printf("planted -15%% level shift found at run 5: shift %+.2f%%\n", points[4].shift_pct);
    assert_true(points[4].shift_pct < -12 && points[4].shift_pct > -18);

    char base[128], chart[1400];
    snprintf(base, sizeof base, "%s/trend", dir);
    int drawn = res_history_chart(points, n, "decode_tps", base, chart, sizeof chart, err, sizeof err);
    assert_true(drawn >= 0);
    printf("chart: %s\n", chart);
    char script[160];
    snprintf(script, sizeof script, "%s.gp", base);
    struct stat st;
    assert_int_equal(stat(script, &st), 0);
    if (drawn == 0)
        assert_int_equal(stat(chart, &st), 0);
    free(points);

    filter.device = "other";
    assert_int_equal(res_history_query(db, &filter, &points, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    free(points);
    res_history_close(db);
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

static void test_not_a_database_is_refused(void **state)
{
    (void)state;
    char dir[64], path[128], err[1200];
    assert_int_equal(planted_tempdir(dir, sizeof dir, "histbad"), 0);
    snprintf(path, sizeof path, "%s/garbage.sqlite", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not an SQLite database, just text long enough to have a header.....", f);
    fclose(f);
    sqlite3 *db;
    assert_int_not_equal(res_history_open(path, 1, &db, err, sizeof err), 0);
    assert_non_null(strstr(err, path));
    assert_null(db);
    unlink(path);
    assert_int_not_equal(res_history_open(path, 0, &db, err, sizeof err), 0); /* no create */
    assert_non_null(strstr(err, "no history database"));
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changepoints_on_plain_series),
        cmocka_unit_test(test_add_show_and_chart),
        cmocka_unit_test(test_not_a_database_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
