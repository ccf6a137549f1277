/*
 * test_results_cli.c — the shared flag parsers of harness/cli.c that every
 * results-producing command uses: lists, ranges, formats, missing values, and
 * the argv copy that keeps the original command line intact for results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness/cli.h"

static void test_int_list(void **state)
{
    (void)state;
    int v[CLI_MAX_LIST], n = 0;
    char err[256];
    assert_int_equal(cli_int_list("--threads", "1,2,4", 1, 64, v, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 4);
    assert_int_not_equal(cli_int_list("--threads", "1,x", 1, 64, v, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "--threads"));
    assert_non_null(strstr(err, "'x'"));
    assert_int_not_equal(cli_int_list("--threads", "0", 1, 64, v, &n, err, sizeof err), 0);
    assert_int_not_equal(cli_int_list("--threads", ",", 1, 64, v, &n, err, sizeof err), 0);
    assert_int_not_equal(cli_int_list("-p", "99999999999", 1, 1 << 20, v, &n, err, sizeof err), 0);
}

static void test_numbers(void **state)
{
    (void)state;
    int i = 0;
    double d = 0;
    char err[256];
    assert_int_equal(cli_int("--reps", "5", 1, 10, &i, err, sizeof err), 0);
    assert_int_equal(i, 5);
    assert_int_not_equal(cli_int("--reps", "5x", 1, 10, &i, err, sizeof err), 0);
    assert_int_not_equal(cli_int("--reps", "", 1, 10, &i, err, sizeof err), 0);
    assert_int_equal(cli_double("--cooldown", "0.5", 0, 10, &d, err, sizeof err), 0);
    assert_float_equal(d, 0.5, 0);
    assert_int_not_equal(cli_double("--cooldown", "nan", 0, 10, &d, err, sizeof err), 0);
    assert_int_not_equal(cli_double("--cooldown", "-1", 0, 10, &d, err, sizeof err), 0);
}

static void test_format_and_value(void **state)
{
    (void)state;
    cli_format f;
    char err[256];
    assert_int_equal(cli_format_parse("csv", &f, err, sizeof err), 0);
    assert_int_equal(f, CLI_FORMAT_CSV);
    assert_int_not_equal(cli_format_parse("xml", &f, err, sizeof err), 0);
    assert_non_null(strstr(err, "xml"));
    char *argv[] = {"run", "-o"};
    int i = 1;
    assert_null(cli_value(2, argv, &i, err, sizeof err));
    assert_non_null(strstr(err, "-o"));
}

static void test_string_list_on_copy(void **state)
{
    (void)state;
    char *argv[] = {"run", "--suite", "qa,code"};
    char **copy = cli_argv_copy(3, argv);
    assert_non_null(copy);
    const char *out[CLI_MAX_LIST];
    int n = 0;
    char err[256];
    assert_int_equal(cli_string_list("--suite", copy[2], out, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(out[1], "code");
    assert_string_equal(argv[2], "qa,code"); /* the original is untouched */
    cli_argv_free(3, copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_list),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_format_and_value),
        cmocka_unit_test(test_string_list_on_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
