/*
 * test_stats.c — results/stats.c against hand-computed values: percentiles
 * (linear interpolation at (n-1)q), sample sd, and a bootstrap CI that is the
 * same on every call with the same seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "results/stats.h"

static const double one_to_ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static void test_percentiles_hand_computed(void **state)
{
    (void)state;
    res_summary s;
    assert_int_equal(res_summarize(one_to_ten, 10, &s), 0);
    assert_int_equal(s.n, 10);
    assert_float_equal(s.mean, 5.5, 1e-12);
    assert_float_equal(s.median, 5.5, 1e-12);
    assert_float_equal(s.p90, 9.1, 1e-12);  /* rank 8.1: 9 + 0.1 * (10 - 9) */
    assert_float_equal(s.p99, 9.91, 1e-12); /* rank 8.91 */
    assert_float_equal(s.min, 1, 0);
    assert_float_equal(s.max, 10, 0);
    /* sum of squared deviations 82.5, / 9 */
    assert_float_equal(s.sd, 3.0276503540974917, 1e-12);
}

static void test_unsorted_input_not_modified(void **state)
{
    (void)state;
    double values[] = {3, 1, 2};
    res_summary s;
    assert_int_equal(res_summarize(values, 3, &s), 0);
    assert_float_equal(s.median, 2, 0);
    assert_float_equal(s.p90, 2.8, 1e-12); /* rank 1.8 */
    assert_float_equal(values[0], 3, 0);
    assert_float_equal(values[1], 1, 0);
}

static void test_single_value_and_empty(void **state)
{
    (void)state;
    double v = 42;
    res_summary s;
    assert_int_equal(res_summarize(&v, 1, &s), 0);
    assert_float_equal(s.sd, 0, 0);
    assert_float_equal(s.p99, 42, 0);
    assert_float_equal(s.ci95_low, 42, 0);
    assert_float_equal(s.ci95_high, 42, 0);
    assert_int_equal(res_summarize(&v, 0, &s), -1);
}

static void test_bootstrap_reproducible_and_sane(void **state)
{
    (void)state;
    double lo1, hi1, lo2, hi2, lo3, hi3;
    assert_int_equal(res_bootstrap_ci95(one_to_ten, 10, RES_BOOTSTRAP_SEED, 2000, &lo1, &hi1), 0);
    assert_int_equal(res_bootstrap_ci95(one_to_ten, 10, RES_BOOTSTRAP_SEED, 2000, &lo2, &hi2), 0);
    assert_true(lo1 == lo2 && hi1 == hi2);
    assert_true(lo1 < 5.5 && 5.5 < hi1);
    /* normal approximation: 5.5 +- 1.96 * 3.03 / sqrt(10) = [3.62, 7.38]; bootstrap is close */
    assert_true(lo1 > 3.0 && lo1 < 4.3);
    assert_true(hi1 > 6.7 && hi1 < 8.0);
    assert_int_equal(res_bootstrap_ci95(one_to_ten, 10, 7, 2000, &lo3, &hi3), 0);
    assert_true(lo3 != lo1 || hi3 != hi1); /* the seed matters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_hand_computed),
        cmocka_unit_test(test_unsorted_input_not_modified),
        cmocka_unit_test(test_single_value_and_empty),
        cmocka_unit_test(test_bootstrap_reproducible_and_sane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
