/*
 * sampler.c — token sampling: repetition penalty, then (unless greedy) top-k,
 * top-p and min-p on the temperature-1 distribution, then temperature on the
 * survivors and a draw from a seeded PRNG (the llama.cpp default order).
 *
 * Invariants: the caller's logits are never modified (work happens in the
 * sampler's own buffers, allocated once for n_vocab); the PRNG state lives in
 * the sampler (no global state), so equal seeds give equal sequences; the
 * reported log-probability is always under the unmodified softmax.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward_simd.h"
#include "quant.h"
#include "slm.h"

typedef struct candidate {
    int32_t id;
    float logit;
} candidate;

struct slm_sampler {
    slm_sampler_params params;
    int n_vocab;
    uint64_t rng;
    float *work;          /* [n_vocab] penalised logits */
    unsigned char *seen;  /* [n_vocab] repetition marks, all zero between calls */
    candidate *cands;     /* [n_vocab] */
    candidate *sorted;    /* [n_vocab] best-first prefix for top-p */
};

slm_sampler_params slm_sampler_default_params(void)
{
    slm_sampler_params p;
    memset(&p, 0, sizeof p);
    p.temperature = 0.0f;
    p.top_p = 1.0f;
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 64;
    p.seed = 0;
    return p;
}

/* splitmix64: tiny, full-period, good enough for sampling. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *state) /* [0, 1) */
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

void slm_sampler_free(slm_sampler *s)
{
    if (!s) return;
    free(s->work);
    free(s->seen);
    free(s->cands);
    free(s->sorted);
    free(s);
}

int slm_sampler_create(const slm_sampler_params *params, int n_vocab, slm_sampler **out, char *err,
                       size_t err_size)
{
    *out = NULL;
    if (n_vocab <= 0) {
        snprintf(err, err_size, "sampler: vocabulary size %d must be positive", n_vocab);
        return -1;
    }
    if (!isfinite(params->temperature) || isnan(params->top_p) || isnan(params->min_p) ||
        !(params->repeat_penalty > 0.0f) || !isfinite(params->repeat_penalty) || params->repeat_last_n < 0) {
        snprintf(err, err_size, "sampler: temperature must be finite, repeat penalty > 0, repeat_last_n >= 0");
        return -1;
    }
    slm_sampler *s = calloc(1, sizeof *s);
    if (!s || !(s->work = malloc((size_t)n_vocab * sizeof(float))) ||
        !(s->seen = calloc((size_t)n_vocab, 1)) || !(s->cands = malloc((size_t)n_vocab * sizeof(candidate))) ||
        !(s->sorted = malloc((size_t)n_vocab * sizeof(candidate)))) {
        slm_sampler_free(s);
        snprintf(err, err_size, "sampler: out of memory for %d tokens", n_vocab);
        return -1;
    }
    s->params = *params;
    s->n_vocab = n_vocab;
    s->rng = params->seed;
    *out = s;
    return 0;
}

static double sum_exp_scalar(const float *x, int n, float max)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += expf(x[i] - max);
    return sum;
}

/* log softmax(logits)[id], given the maximum logit: runs every decoded token
 * over the whole vocabulary, so it uses the AVX2 exponential when it can. */
static float log_softmax_at(const float *logits, int n, int32_t id, float max)
{
    eng_sum_exp_fn sum_exp = sum_exp_scalar;
#if ENG_X86_LOOPS
    if (eng_avx2_loops_usable()) sum_exp = eng_sum_exp_avx2;
#endif
    return (float)((double)(logits[id] - max) - log(sum_exp(logits, n, max)));
}

static float max_of(const float *x, int n)
{
    float max = x[0];
    for (int i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    return max;
}

/* Divides positive / multiplies negative logits of tokens in the last
 * repeat_last_n of history (each distinct token once). */
static void apply_penalty(slm_sampler *s, const int32_t *history, int n_history)
{
    float penalty = s->params.repeat_penalty;
    int first = n_history > s->params.repeat_last_n ? n_history - s->params.repeat_last_n : 0;
    for (int i = first; i < n_history; i++) {
        int32_t t = history[i];
        if (t < 0 || t >= s->n_vocab || s->seen[t]) continue;
        s->seen[t] = 1;
        s->work[t] = s->work[t] > 0.0f ? s->work[t] / penalty : s->work[t] * penalty;
    }
    for (int i = first; i < n_history; i++)
        if (history[i] >= 0 && history[i] < s->n_vocab) s->seen[history[i]] = 0;
}

static int32_t argmax(const float *x, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static int cmp_desc(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->logit != y->logit) return x->logit < y->logit ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Keeps the k best of cands[0..n) in cands[0..k), sorted: a bounded
 * insertion into a sorted prefix, O(n) for typical logits because most
 * candidates lose to the current k-th at once. */
static int keep_top_k(candidate *c, int n, int k)
{
    qsort(c, (size_t)k, sizeof *c, cmp_desc);
    for (int i = k; i < n; i++) {
        if (cmp_desc(&c[i], &c[k - 1]) >= 0) continue;
        candidate x = c[i];
        int j = k - 1;
        while (j > 0 && cmp_desc(&x, &c[j - 1]) < 0) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
    return k;
}

static float max_logit(const candidate *c, int n)
{
    float m = c[0].logit;
    for (int i = 1; i < n; i++) m = c[i].logit > m ? c[i].logit : m;
    return m;
}

/* Max-heap on (logit, then lower id first), the order of cmp_desc. */
static void sift_down(candidate *h, int n, int i)
{
    for (;;) {
        int best = i, l = 2 * i + 1, r = l + 1;
        if (l < n && cmp_desc(&h[l], &h[best]) < 0) best = l;
        if (r < n && cmp_desc(&h[r], &h[best]) < 0) best = r;
        if (best == i) return;
        candidate t = h[i];
        h[i] = h[best];
        h[best] = t;
        i = best;
    }
}

/* The smallest best-first prefix of c[0..n) whose temperature-1 mass reaches
 * top_p, sorted into out[]: heapify once, then pop only as many as needed
 * (a few hundred for real logits instead of sorting the whole vocabulary). */
static int top_p_prefix(candidate *c, int n, float top_p, candidate *out)
{
    float max = max_logit(c, n);
    double total = 0.0, cum = 0.0;
    for (int i = 0; i < n; i++) total += exp((double)(c[i].logit - max));
    for (int i = n / 2 - 1; i >= 0; i--) sift_down(c, n, i);
    int m = 0;
    while (n > 0 && cum < top_p) {
        out[m++] = c[0];
        cum += exp((double)(c[0].logit - max)) / total;
        c[0] = c[--n];
        sift_down(c, n, 0);
    }
    return m;
}

/* Keeps candidates with probability >= min_p times the best one's. */
static int keep_min_p(candidate *c, int n, float min_p)
{
    float floor_logit = max_logit(c, n) + logf(min_p);
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (c[i].logit >= floor_logit) c[kept++] = c[i];
    return kept;
}

/* top-p on a best-first sorted set. */
static int cut_sorted_top_p(const candidate *c, int n, float top_p)
{
    float max = c[0].logit;
    double total = 0.0, cum = 0.0;
    for (int i = 0; i < n; i++) total += exp((double)(c[i].logit - max));
    for (int i = 0; i < n; i++) {
        cum += exp((double)(c[i].logit - max)) / total;
        if (cum >= top_p) return i + 1;
    }
    return n;
}

/* Draws from softmax(logit / t) over c[0..n); weights go to s->work (free
 * once the candidates were filled from it). */
static int32_t draw(slm_sampler *s, const candidate *c, int n, float t)
{
    float max = max_logit(c, n), inv_t = 1.0f / t;
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        s->work[i] = expf((c[i].logit - max) * inv_t);
        total += s->work[i];
    }
    double u = rng_uniform(&s->rng) * total, cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += s->work[i];
        if (u < cum) return c[i].id;
    }
    return c[n - 1].id;
}

static int32_t sample_truncated(slm_sampler *s)
{
    candidate *c = s->cands;
    int n = s->n_vocab;
    const slm_sampler_params *p = &s->params;
    for (int i = 0; i < n; i++) {
        c[i].id = i;
        c[i].logit = s->work[i];
    }
    if (p->top_k > 0 && p->top_k < n) {
        n = keep_top_k(c, n, p->top_k);
        if (p->top_p < 1.0f) n = cut_sorted_top_p(c, n, p->top_p);
    } else if (p->top_p < 1.0f) {
        n = top_p_prefix(c, n, p->top_p, s->sorted);
        c = s->sorted;
    }
    if (p->min_p > 0.0f) n = keep_min_p(c, n, p->min_p);
    return draw(s, c, n, p->temperature);
}

int32_t slm_sampler_sample(slm_sampler *s, const float *logits, const int32_t *history, int n_history,
                           float *logprob_out)
{
    int32_t chosen;
    int penalise = s->params.repeat_penalty != 1.0f && n_history > 0 && s->params.repeat_last_n > 0;
#if ENG_X86_LOOPS
    if (s->params.temperature <= 0.0f && !penalise && eng_avx2_loops_usable()) {
        float max; /* greedy decode: one vector pass finds both the token and the max for its logprob */
        chosen = eng_argmax_avx2(logits, s->n_vocab, &max);
        if (logprob_out) *logprob_out = log_softmax_at(logits, s->n_vocab, chosen, max);
        return chosen;
    }
#endif
    if (s->params.temperature <= 0.0f && !penalise) {
        chosen = argmax(logits, s->n_vocab);
    } else {
        memcpy(s->work, logits, (size_t)s->n_vocab * sizeof(float));
        if (penalise) apply_penalty(s, history, n_history);
        chosen = s->params.temperature <= 0.0f ? argmax(s->work, s->n_vocab) : sample_truncated(s);
    }
    if (logprob_out) *logprob_out = log_softmax_at(logits, s->n_vocab, chosen, max_of(logits, s->n_vocab));
    return chosen;
}
