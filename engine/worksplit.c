/*
 * worksplit.c — contiguous per-thread shares with stealing (see worksplit.h).
 */
#include "worksplit.h"

static int shares_for(int n_threads)
{
    if (n_threads < 1) return 1;
    return n_threads < ENG_SPLIT_MAX_SHARES ? n_threads : ENG_SPLIT_MAX_SHARES;
}

void eng_split_share_bounds(int64_t n, int n_threads, int ith, int64_t *first, int64_t *end)
{
    int shares = shares_for(n_threads);
    if (ith >= shares) {
        *first = *end = 0;
        return;
    }
    *first = n * ith / shares;
    *end = n * (ith + 1) / shares;
}

void eng_split_init(eng_split *split, int64_t n, int n_threads, int takes_per_share)
{
    split->n_shares = shares_for(n_threads);
    int64_t per_share = (n + split->n_shares - 1) / split->n_shares;
    if (takes_per_share < 1) takes_per_share = 1;
    split->chunk = (per_share + takes_per_share - 1) / takes_per_share;
    if (split->chunk < 1) split->chunk = 1;
    for (int i = 0; i < split->n_shares; i++) {
        int64_t first, end;
        eng_split_share_bounds(n, n_threads, i, &first, &end);
        atomic_init(&split->share[i].range, (uint64_t)first | (uint64_t)end << 32);
    }
}

/* Takes units from share s: from the front (its owner) up to chunk, but no
 * more than a quarter of what is left, so the owner's takes shrink to single
 * units as its share runs out; from the back (a thief) half of what is left.
 * Both keep the job's end ragged by about one unit instead of one chunk:
 * when a thread runs dry, the other is never far into a big take. */
static int take_from(eng_split_share *s, int64_t chunk, int from_back, int64_t *first, int64_t *end)
{
    uint64_t old = atomic_load_explicit(&s->range, memory_order_relaxed);
    for (;;) {
        int64_t front = (int64_t)(old & 0xFFFFFFFFu), back = (int64_t)(old >> 32);
        if (front >= back) return 0;
        int64_t left = back - front;
        int64_t n = from_back ? (left + 1) / 2 : (left + 3) / 4;
        if (!from_back && n > chunk) n = chunk;
        uint64_t next = from_back ? (uint64_t)front | (uint64_t)(back - n) << 32
                                  : (uint64_t)(front + n) | (uint64_t)back << 32;
        if (atomic_compare_exchange_weak_explicit(&s->range, &old, next, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *first = from_back ? back - n : front;
            *end = from_back ? back : front + n;
            return 1;
        }
    }
}

int eng_split_take(eng_split *split, int ith, int64_t *first, int64_t *end)
{
    int own = ith % split->n_shares;
    if (take_from(&split->share[own], split->chunk, 0, first, end)) return 1;
    for (int k = 1; k < split->n_shares; k++)
        if (take_from(&split->share[(own + k) % split->n_shares], split->chunk, 1, first, end)) return 1;
    return 0;
}
