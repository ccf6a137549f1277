/*
 * worksplit.h — hands the units [0, n) of one pool job to its threads as
 * contiguous shares with stealing. Internal to engine/.
 *
 * Thread i owns share i (of min(n_threads, ENG_SPLIT_MAX_SHARES)) and takes
 * chunks from its front, in order, so each thread reads one contiguous run
 * of weight rows per matrix: the hardware prefetchers keep streaming instead
 * of restarting at every chunk, and a thread knows in advance which rows it
 * will read (forward.c prefetches them). A thread whose share is used up
 * takes half of what is left of another share, from its back, so a thread
 * the scheduler delays, or one that never joins the job (eng_pool_run's
 * contract), only moves its work to the others. An owner's takes shrink
 * (at most a quarter of what is left) so that when one thread runs dry the
 * other is about one unit from done, not one chunk: on smollm2-135m decode
 * (151 jobs a token, ~35 us each) that tail was ~5% of the job time.
 *
 * Invariants: every unit is handed out exactly once; a share's front and
 * back meet but never cross (one 64-bit word per share holds both, updated
 * by compare-and-swap). Units are whole (callers align rows to blocks).
 */
#ifndef ENG_WORKSPLIT_H
#define ENG_WORKSPLIT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

enum { ENG_SPLIT_MAX_SHARES = 64 };

typedef struct eng_split_share {
    alignas(64) _Atomic uint64_t range; /* front | back << 32: units [front, back) still free */
} eng_split_share;

typedef struct eng_split {
    int n_shares;
    int64_t chunk; /* most units an owner takes at once */
    eng_split_share share[ENG_SPLIT_MAX_SHARES];
} eng_split;

/* Splits n units (n < 2^32) over n_threads shares of nearly equal size;
 * an owner takes at most about 1 / takes_per_share of its share at once. */
void eng_split_init(eng_split *split, int64_t n, int n_threads, int takes_per_share);

/* The next units [*first, *end) for thread ith: its own share's front, or
 * another share's back once its own is empty. Returns 0 when no unit is
 * left anywhere. */
int eng_split_take(eng_split *split, int ith, int64_t *first, int64_t *end);

/* The units share ith would start with, for prefetching before the job
 * runs: [*first, *end) of thread ith's own share (empty when it has none). */
void eng_split_share_bounds(int64_t n, int n_threads, int ith, int64_t *first, int64_t *end);

#endif /* ENG_WORKSPLIT_H */
