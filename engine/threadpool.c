/*
 * threadpool.c — the forward pass's pthread pool (see threadpool.h).
 *
 * Protocol: the caller publishes (fn, arg), opens job `gen` in `state`
 * (generation in the high 32 bits, a closed bit, the count of workers inside
 * the job in the low bits) and bumps the futex word `generation`. A worker
 * that sees the new generation joins with a CAS (only while the job is open
 * and still current), runs fn, and leaves. The caller runs fn itself, then
 * closes the job and waits only for the workers that joined. Jobs hand out
 * their work dynamically (eng_pool_run's contract), so a worker the scheduler
 * has not run yet on a busy machine is simply not waited for: it finds the
 * job closed and goes back to waiting. Both sides spin (yielding now and
 * then) for a bounded number of polls before sleeping on a futex word, so
 * short jobs never pay a syscall while an idle pool does not burn CPU.
 * Invariant: fn/arg are written only while no worker is inside a job (the
 * previous job is closed with no participant left).
 */
#include "threadpool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Polls (~35 ns each) before sleeping. After its first `pure` polls a
 * spinner yields every YIELD_EVERY polls, so that on an oversubscribed
 * machine the thread it waits for can have the core. An idle worker spins
 * WORKER_PURE_POLLS (~0.3 ms, longer than the sampling step between two
 * tokens) before it starts yielding: a yield on a busy machine can cost a
 * whole time slice, and the worker would then miss the next token's jobs.
 * The caller, waiting for workers inside a job, yields early: if the worker
 * it waits for shares its core, spinning would only delay it. */
enum { SPIN_POLLS = 20000, YIELD_EVERY = 256, WORKER_PURE_POLLS = 8192, CALLER_PURE_POLLS = 256 };

#define STATE_ACTIVE_MASK 0xFFFFull
#define STATE_CLOSED (1ull << 16)

typedef struct worker {
    eng_pool *pool;
    int index;
    pthread_t thread;
} worker;

struct eng_pool {
    int n_threads;
    _Atomic uint32_t generation;
    _Atomic uint32_t done;
    _Atomic uint64_t state;          /* gen << 32 | CLOSED | participants */
    _Atomic int stop;
    _Atomic int generation_sleepers; /* workers inside futex_wait(generation) */
    _Atomic int done_sleepers;       /* the caller inside futex_wait(done) */
    eng_task_fn fn;
    void *arg;
    eng_thread_init_fn init;
    void *init_user;
    worker *workers;
    int n_started;
};

static void futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Waits until *word != seen; returns the new value. The sleeper count and
 * the word are both accessed sequentially consistently, so a waker that bumps
 * the word and then finds no sleeper can skip the syscall safely: a sleeper
 * registered after that bump sees the new value in futex_wait and returns. */
static uint32_t wait_change(_Atomic uint32_t *word, uint32_t seen, _Atomic int *sleepers, int pure)
{
    for (int i = 0; i < SPIN_POLLS; i++) {
        uint32_t now = atomic_load_explicit(word, memory_order_acquire);
        if (now != seen) return now;
        if (i >= pure && i % YIELD_EVERY == YIELD_EVERY - 1) sched_yield();
        else CPU_RELAX();
    }
    for (;;) {
        atomic_fetch_add(sleepers, 1);
        uint32_t now = atomic_load(word);
        if (now == seen) futex_wait(word, seen);
        atomic_fetch_sub(sleepers, 1);
        now = atomic_load(word);
        if (now != seen) return now;
    }
}

static void bump_and_wake(_Atomic uint32_t *word, _Atomic int *sleepers)
{
    atomic_fetch_add(word, 1);
    if (atomic_load(sleepers) > 0) futex_wake_all(word);
}

/* Enters job gen if it is still the open job; 1 on success. */
static int join_job(eng_pool *pool, uint32_t gen)
{
    uint64_t s = atomic_load(&pool->state);
    for (;;) {
        if ((uint32_t)(s >> 32) != gen || (s & STATE_CLOSED)) return 0;
        if (atomic_compare_exchange_weak(&pool->state, &s, s + 1)) return 1;
    }
}

static void leave_job(eng_pool *pool)
{
    uint64_t s = atomic_fetch_sub(&pool->state, 1);
    if ((s & STATE_ACTIVE_MASK) == 1 && (s & STATE_CLOSED)) bump_and_wake(&pool->done, &pool->done_sleepers);
}

static void *worker_main(void *p)
{
    worker *w = p;
    eng_pool *pool = w->pool;
    if (pool->init) pool->init(w->index, pool->init_user);
    uint32_t seen = 0;
    for (;;) {
        seen = wait_change(&pool->generation, seen, &pool->generation_sleepers, WORKER_PURE_POLLS);
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) break;
        if (!join_job(pool, seen)) continue;
        pool->fn(pool->arg, w->index, pool->n_threads);
        leave_job(pool);
    }
    return NULL;
}

int eng_pool_size(const eng_pool *pool) { return pool->n_threads; }

/* Closes the current job and waits for the workers inside it. */
static void close_job(eng_pool *pool)
{
    uint64_t s = atomic_fetch_or(&pool->state, STATE_CLOSED);
    while (s & STATE_ACTIVE_MASK) {
        uint32_t d = atomic_load(&pool->done);
        s = atomic_load(&pool->state);
        if (!(s & STATE_ACTIVE_MASK)) break;
        wait_change(&pool->done, d, &pool->done_sleepers, CALLER_PURE_POLLS);
        s = atomic_load(&pool->state);
    }
}

void eng_pool_run(eng_pool *pool, eng_task_fn fn, void *arg)
{
    if (pool->n_threads == 1) {
        fn(arg, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    uint32_t gen = atomic_load(&pool->generation) + 1;
    atomic_store(&pool->state, (uint64_t)gen << 32);
    bump_and_wake(&pool->generation, &pool->generation_sleepers);
    fn(arg, 0, pool->n_threads);
    close_job(pool);
}

static void stop_workers(eng_pool *pool)
{
    atomic_store_explicit(&pool->stop, 1, memory_order_release);
    atomic_fetch_add(&pool->generation, 1);
    futex_wake_all(&pool->generation);
    for (int i = 0; i < pool->n_started; i++) pthread_join(pool->workers[i].thread, NULL);
    pool->n_started = 0;
}

void eng_pool_free(eng_pool *pool)
{
    if (!pool) return;
    stop_workers(pool);
    free(pool->workers);
    free(pool);
}

int eng_pool_create(int n_threads, eng_thread_init_fn init, void *init_user,
                    eng_pool **out, char *err, size_t err_size)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024) {
        snprintf(err, err_size, "thread count %d is out of range 1..1024", n_threads);
        return -1;
    }
    eng_pool *pool = calloc(1, sizeof *pool);
    if (!pool || !(pool->workers = calloc((size_t)n_threads, sizeof *pool->workers))) {
        free(pool);
        snprintf(err, err_size, "out of memory creating %d threads", n_threads);
        return -1;
    }
    pool->n_threads = n_threads;
    pool->init = init;
    pool->init_user = init_user;
    if (init) init(0, init_user);
    for (int i = 1; i < n_threads; i++) {
        worker *w = &pool->workers[pool->n_started];
        w->pool = pool;
        w->index = i;
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            snprintf(err, err_size, "cannot start thread %d of %d: %s", i, n_threads, strerror(rc));
            eng_pool_free(pool);
            return -1;
        }
        pool->n_started++;
    }
    *out = pool;
    return 0;
}

/* ---- topology -------------------------------------------------------------------- */

static int read_int_file(const char *path, int *out)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fscanf(f, "%d", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

int eng_physical_cores(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int n_cpu = online > 0 && online < 4096 ? (int)online : 1;
    int keys[4096], n_keys = 0;
    for (int cpu = 0; cpu < n_cpu; cpu++) {
        char path[128];
        int core, package;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
        if (read_int_file(path, &core) != 0) return n_cpu;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
        if (read_int_file(path, &package) != 0) package = 0;
        int key = package * 65536 + core, seen = 0;
        for (int i = 0; i < n_keys && !seen; i++) seen = keys[i] == key;
        if (!seen) keys[n_keys++] = key;
    }
    return n_keys > 0 ? n_keys : 1;
}
