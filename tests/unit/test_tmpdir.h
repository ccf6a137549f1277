/*
 * test_tmpdir.h — test helper (header-only, static): the cmocka group setup and
 * teardown that give a test group one fresh temporary directory.
 *
 *     return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
 *     ... in a test: const char *tmpdir = *state;
 *
 * Invariants: the directory is /tmp/slm_test_XXXXXX (mkdtemp), its path is the
 * group state that cmocka hands every test (no file-scope variable), and the
 * teardown removes it whole. A setup failure fails the group, visibly.
 */
#ifndef TEST_TMPDIR_H
#define TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_tmpdir_setup(void **state)
{
    char *dir = strdup("/tmp/slm_test_XXXXXX");
    if (!dir || !mkdtemp(dir)) {
        fprintf(stderr, "test_tmpdir_setup: cannot make a temporary directory under /tmp\n");
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int test_tmpdir_teardown(void **state)
{
    char *dir = *state, cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system(cmd);
    free(dir);
    return rc == 0 ? 0 : -1;
}

#endif
