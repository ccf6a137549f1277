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
        !(s->seen = calloc((size_t)n_vocab, 1)) || !(s->cands = malloc((size_t)n_vocab * sizeof(candidate)))) {
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

static float log_softmax_at(const float *logits, int n, int32_t id)
{
    float max = logits[0];
    for (int i = 1; i < n; i++) max = logits[i] > max ? logits[i] : max;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += expf(logits[i] - max);
    return (float)((double)(logits[id] - max) - log(sum));
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

/* Keeps the k best of cands[0..n) in cands[0..k), sorted (quickselect-free:
 * a bounded insertion into a sorted prefix, O(n k) worst case but O(n) for
 * typical logits because most candidates lose to the current k-th). */
static int keep_top_k(candidate *c, int n, int k)
{
    if (k <= 0 || k >= n) {
        qsort(c, (size_t)n, sizeof *c, cmp_desc);
        return n;
    }
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

/* Softmax of the (sorted) candidates at temperature t into probs (reusing
 * work[]): returns nothing, probs sum to 1. */
static void candidate_probs(const candidate *c, int n, float t, float *probs)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        probs[i] = (float)exp((double)(c[i].logit - c[0].logit) / t);
        sum += probs[i];
    }
    for (int i = 0; i < n; i++) probs[i] = (float)(probs[i] / sum);
}

static int truncate_top_p_min_p(const slm_sampler *s, const candidate *c, int n, float *probs)
{
    candidate_probs(c, n, 1.0f, probs);
    if (s->params.top_p < 1.0f) {
        double cum = 0.0;
        for (int i = 0; i < n; i++) {
            cum += probs[i];
            if (cum >= s->params.top_p) {
                n = i + 1;
                break;
            }
        }
    }
    if (s->params.min_p > 0.0f) {
        float floor_p = probs[0] * s->params.min_p;
        int keep = 1;
        while (keep < n && probs[keep] >= floor_p) keep++;
        n = keep;
    }
    return n;
}

static int32_t sample_truncated(slm_sampler *s)
{
    candidate *c = s->cands;
    int n = s->n_vocab;
    for (int i = 0; i < n; i++) {
        c[i].id = i;
        c[i].logit = s->work[i];
    }
    n = keep_top_k(c, n, s->params.top_k);
    float *probs = s->work; /* penalised logits live on in cands */
    n = truncate_top_p_min_p(s, c, n, probs);
    candidate_probs(c, n, s->params.temperature, probs);
    double u = rng_uniform(&s->rng), cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += probs[i];
        if (u < cum) return c[i].id;
    }
    return c[n - 1].id;
}

int32_t slm_sampler_sample(slm_sampler *s, const float *logits, const int32_t *history, int n_history,
                           float *logprob_out)
{
    int32_t chosen;
    int penalise = s->params.repeat_penalty != 1.0f && n_history > 0 && s->params.repeat_last_n > 0;
    if (s->params.temperature <= 0.0f && !penalise) {
        chosen = argmax(logits, s->n_vocab);
    } else {
        memcpy(s->work, logits, (size_t)s->n_vocab * sizeof(float));
        if (penalise) apply_penalty(s, history, n_history);
        chosen = s->params.temperature <= 0.0f ? argmax(s->work, s->n_vocab) : sample_truncated(s);
    }
    if (logprob_out) *logprob_out = log_softmax_at(logits, s->n_vocab, chosen);
    return chosen;
}
