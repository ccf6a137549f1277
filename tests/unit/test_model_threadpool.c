/*
 * test_model_threadpool.c — the engine's thread pool (engine/threadpool.h):
 * every work item of a job handed out from a shared counter is done exactly
 * once whatever the pool size (1..4, more threads than this machine's CPUs
 * included), many short jobs in a row never lose or repeat work, indices of
 * concurrent calls are unique, thread_init runs once per index, and the
 * physical core count is sane.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <string.h>

#include "engine/threadpool.h"

enum { ITEMS = 1000, JOBS = 2000 };

typedef struct counting_job {
    _Atomic int next;
    _Atomic int done[ITEMS];
    _Atomic int inside[8];  /* calls currently running per index */
    _Atomic int clash;
} counting_job;

static void count_task(void *arg, int ith, int nth)
{
    counting_job *job = arg;
    if (ith < 0 || ith >= nth || nth > 8) { /* no cmocka asserts off the main thread */
        atomic_store(&job->clash, 1);
        return;
    }
    if (atomic_fetch_add(&job->inside[ith], 1) != 0) atomic_store(&job->clash, 1);
    for (;;) {
        int i = atomic_fetch_add(&job->next, 1);
        if (i >= ITEMS) break;
        atomic_fetch_add(&job->done[i], 1);
    }
    atomic_fetch_sub(&job->inside[ith], 1);
}

static void init_count(int index, void *user)
{
    _Atomic int *calls = user;
    atomic_fetch_add(&calls[index], 1);
}

static void test_every_item_once(void **state)
{
    (void)state;
    char err[256];
    for (int n = 1; n <= 4; n++) {
        _Atomic int init_calls[8];
        for (int i = 0; i < 8; i++) atomic_init(&init_calls[i], 0);
        eng_pool *pool = NULL;
        assert_int_equal(eng_pool_create(n, init_count, init_calls, &pool, err, sizeof err), 0);
        assert_int_equal(eng_pool_size(pool), n);
        static counting_job job;
        for (int j = 0; j < JOBS; j++) {
            memset(&job, 0, sizeof job);
            eng_pool_run(pool, count_task, &job);
            for (int i = 0; i < ITEMS; i++) assert_int_equal(atomic_load(&job.done[i]), 1);
            assert_int_equal(atomic_load(&job.clash), 0);
        }
        eng_pool_free(pool); /* joins the workers: every init has run */
        for (int i = 0; i < n; i++) assert_int_equal(atomic_load(&init_calls[i]), 1);
    }
}

static void test_bad_sizes_and_cores(void **state)
{
    (void)state;
    char err[256];
    eng_pool *pool = NULL;
    assert_int_not_equal(eng_pool_create(0, NULL, NULL, &pool, err, sizeof err), 0);
    assert_null(pool);
    int cores = eng_physical_cores();
    assert_true(cores >= 1 && cores <= 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_once),
        cmocka_unit_test(test_bad_sizes_and_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
