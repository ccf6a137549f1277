/*
 * test_build.c — the test runner itself works: cmocka links and build facts
 * are filled in by the Makefile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness/commands.h"

static void test_build_facts_are_set(void **state)
{
    (void)state;
    assert_string_not_equal(build_version(), "");
    assert_string_not_equal(build_compiler(), "unknown");
    assert_string_not_equal(build_cflags(), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_facts_are_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
