/*
 * threadpool.h — a fixed pthread pool for the forward pass. Internal to engine/.
 *
 * eng_pool_run(pool, fn, arg) calls fn(arg, 0, n) on the calling thread and
 * fn(arg, i, n) on each worker i (1..n-1) that is ready to run while the job
 * is open; it returns when every call that started has returned (writes made
 * by them are visible to the caller afterwards). A worker the scheduler does
 * not run in time may not take part at all, so fn must hand its work out
 * dynamically (e.g. from an atomic counter) and must never assume that a
 * given index runs: the caller's own call alone has to finish the job. The
 * index i is unique among concurrent calls (per-thread scratch is safe).
 *
 * Workers spin briefly between jobs (a decode step dispatches a job every few
 * microseconds), then sleep on a futex so an idle pool costs no CPU. A pool is
 * used by one caller thread at a time; jobs must not call eng_pool_run.
 */
#ifndef ENG_THREADPOOL_H
#define ENG_THREADPOOL_H

#include <stddef.h>

typedef void (*eng_task_fn)(void *arg, int thread_index, int n_threads);
typedef void (*eng_thread_init_fn)(int thread_index, void *user);

typedef struct eng_pool eng_pool;

/* Starts n_threads - 1 workers; init (may be NULL) runs first in each worker
 * and, for index 0, in the caller before this returns. */
int eng_pool_create(int n_threads, eng_thread_init_fn init, void *init_user,
                    eng_pool **out, char *err, size_t err_size);
void eng_pool_free(eng_pool *pool);
int eng_pool_size(const eng_pool *pool);
void eng_pool_run(eng_pool *pool, eng_task_fn fn, void *arg);

/* Physical cores of this machine (distinct core_id/package pairs in sysfs),
 * falling back to online CPUs; always >= 1. */
int eng_physical_cores(void);

#endif /* ENG_THREADPOOL_H */
