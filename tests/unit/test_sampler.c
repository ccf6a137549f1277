/*
 * test_sampler.c — slm_sampler_* and slm_generate.
 *
 * Sampler: greedy is the argmax; the logprob is under the unmodified softmax
 * whatever the settings; equal seeds give equal draws and the caller's logits
 * are untouched; top-k 1, a tiny top-p and min-p 1 all collapse to the argmax;
 * the repetition penalty moves the choice off a repeated token; temperature
 * sampling follows the softmax (frequencies within 5 sigma over 20000 draws).
 * Generation (on the in-repo fixture model): greedy tokens equal the argmax
 * of incremental slm_eval logits, events carry increasing indices and
 * monotonic timestamps, the callback stops it, stats are filled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"

#define NV 8

static const float base_logits[NV] = {1.0f, 3.0f, 2.5f, -1.0f, 0.0f, 2.9f, -3.0f, 0.5f};

static slm_sampler *make(slm_sampler_params p)
{
    char err[SLM_ERROR_SIZE];
    slm_sampler *s = NULL;
    assert_int_equal(slm_sampler_create(&p, NV, &s, err, sizeof err), 0);
    return s;
}

static double log_softmax(const float *x, int n, int i)
{
    double max = x[0], sum = 0;
    for (int k = 1; k < n; k++) max = x[k] > max ? x[k] : max;
    for (int k = 0; k < n; k++) sum += exp(x[k] - max);
    return x[i] - max - log(sum);
}

static void test_greedy_and_logprob(void **state)
{
    (void)state;
    slm_sampler *s = make(slm_sampler_default_params());
    float lp = 0;
    assert_int_equal(slm_sampler_sample(s, base_logits, NULL, 0, &lp), 1);
    assert_true(fabs(lp - log_softmax(base_logits, NV, 1)) < 1e-5);
    slm_sampler_free(s);
}

/* The logprob over a real-sized vocabulary (the SIMD exponential's path). */
static void test_logprob_large_vocab(void **state)
{
    (void)state;
    enum { N = 50001 };
    static float logits[N];
    unsigned seed = 1;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        logits[i] = (float)((seed >> 8) % 20000) / 1000.0f - 10.0f; /* -10 .. 10 */
    }
    char err[SLM_ERROR_SIZE];
    slm_sampler_params p = slm_sampler_default_params();
    slm_sampler *s = NULL;
    assert_int_equal(slm_sampler_create(&p, N, &s, err, sizeof err), 0);
    float lp = 0;
    int32_t t = slm_sampler_sample(s, logits, NULL, 0, &lp);
    double ref = log_softmax(logits, N, t);
    assert_true(fabs(lp - ref) <= 1e-5 * fabs(ref) + 1e-6);
    slm_sampler_free(s);
}

static void test_seeded_and_logits_untouched(void **state)
{
    (void)state;
    slm_sampler_params p = slm_sampler_default_params();
    p.temperature = 1.5f;
    p.seed = 1234;
    slm_sampler *a = make(p), *b = make(p);
    float copy[NV];
    memcpy(copy, base_logits, sizeof copy);
    int32_t hist[3] = {1, 2, 5};
    for (int i = 0; i < 200; i++) {
        float la, lb;
        int32_t ta = slm_sampler_sample(a, copy, hist, 3, &la), tb = slm_sampler_sample(b, copy, hist, 3, &lb);
        assert_int_equal(ta, tb);
        assert_true(fabs(la - log_softmax(base_logits, NV, ta)) < 1e-5);
    }
    assert_memory_equal(copy, base_logits, sizeof copy);
    slm_sampler_free(a);
    slm_sampler_free(b);
}

static void test_truncations_collapse_to_argmax(void **state)
{
    (void)state;
    slm_sampler_params variants[3];
    for (int v = 0; v < 3; v++) {
        variants[v] = slm_sampler_default_params();
        variants[v].temperature = 5.0f;
        variants[v].seed = (uint64_t)v + 7;
    }
    variants[0].top_k = 1;
    variants[1].top_p = 0.01f;
    variants[2].min_p = 1.0f;
    for (int v = 0; v < 3; v++) {
        slm_sampler *s = make(variants[v]);
        for (int i = 0; i < 100; i++) assert_int_equal(slm_sampler_sample(s, base_logits, NULL, 0, NULL), 1);
        slm_sampler_free(s);
    }
}

static void test_top_k_limits_support(void **state)
{
    (void)state;
    slm_sampler_params p = slm_sampler_default_params();
    p.temperature = 10.0f;
    p.top_k = 3;
    p.seed = 99;
    slm_sampler *s = make(p);
    int seen[NV] = {0};
    for (int i = 0; i < 2000; i++) seen[slm_sampler_sample(s, base_logits, NULL, 0, NULL)]++;
    for (int t = 0; t < NV; t++) assert_true((t == 1 || t == 5 || t == 2) ? seen[t] > 0 : seen[t] == 0);
    slm_sampler_free(s);
}

/* top-p keeps the smallest best-first set reaching the mass: with these logits
 * and top_p 0.8 that is tokens 1, 5 and 2 (0.357 + 0.323 + 0.217 >= 0.8). */
static void test_top_p_and_min_p_support(void **state)
{
    (void)state;
    double p1 = exp(log_softmax(base_logits, NV, 1)), p5 = exp(log_softmax(base_logits, NV, 5));
    assert_true(p1 + p5 < 0.8);
    slm_sampler_params p = slm_sampler_default_params();
    p.temperature = 1.0f;
    p.top_p = 0.8f;
    p.seed = 3;
    slm_sampler *s = make(p);
    int seen[NV] = {0};
    for (int i = 0; i < 3000; i++) seen[slm_sampler_sample(s, base_logits, NULL, 0, NULL)]++;
    for (int t = 0; t < NV; t++) assert_true((t == 1 || t == 5 || t == 2) ? seen[t] > 0 : seen[t] == 0);
    slm_sampler_free(s);
    /* min-p 0.5: exp(2.5 - 3) = 0.61 stays, exp(1 - 3) = 0.14 goes. */
    p.top_p = 1.0f;
    p.min_p = 0.5f;
    s = make(p);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 3000; i++) seen[slm_sampler_sample(s, base_logits, NULL, 0, NULL)]++;
    for (int t = 0; t < NV; t++) assert_true((t == 1 || t == 5 || t == 2) ? seen[t] > 0 : seen[t] == 0);
    slm_sampler_free(s);
}

static void test_repetition_penalty(void **state)
{
    (void)state;
    slm_sampler_params p = slm_sampler_default_params();
    p.repeat_penalty = 2.0f;
    p.repeat_last_n = 4;
    slm_sampler *s = make(p);
    int32_t hist[2] = {1, 1};
    /* 3.0 / 2 = 1.5 < 2.9: token 5 wins over the repeated token 1. */
    assert_int_equal(slm_sampler_sample(s, base_logits, hist, 2, NULL), 5);
    int32_t old[6] = {1, 0, 0, 0, 0, 0}; /* token 1 is outside the last 4 */
    assert_int_equal(slm_sampler_sample(s, base_logits, old, 6, NULL), 1);
    slm_sampler_free(s);
}

static void test_temperature_follows_softmax(void **state)
{
    (void)state;
    slm_sampler_params p = slm_sampler_default_params();
    p.temperature = 1.0f;
    p.seed = 42;
    slm_sampler *s = make(p);
    enum { DRAWS = 20000 };
    int counts[NV] = {0};
    for (int i = 0; i < DRAWS; i++) counts[slm_sampler_sample(s, base_logits, NULL, 0, NULL)]++;
    for (int t = 0; t < NV; t++) {
        double prob = exp(log_softmax(base_logits, NV, t)), expect = prob * DRAWS;
        double sigma = sqrt(DRAWS * prob * (1 - prob));
        assert_true(fabs(counts[t] - expect) <= 5 * sigma + 1);
    }
    slm_sampler_free(s);
}

static void test_bad_params(void **state)
{
    (void)state;
    char err[SLM_ERROR_SIZE];
    slm_sampler *s = NULL;
    slm_sampler_params p = slm_sampler_default_params();
    assert_int_not_equal(slm_sampler_create(&p, 0, &s, err, sizeof err), 0);
    p.repeat_penalty = 0.0f;
    assert_int_not_equal(slm_sampler_create(&p, NV, &s, err, sizeof err), 0);
    assert_null(s);
}

/* ---- generation ------------------------------------------------------------------ */

typedef struct trace {
    int32_t tokens[64];
    uint64_t times[64];
    int n, stop_after;
} trace;

static int record(const slm_token_event *ev, void *user)
{
    trace *t = user;
    assert_int_equal(ev->index, t->n);
    t->tokens[t->n] = ev->token;
    t->times[t->n] = ev->time_ns;
    t->n++;
    return t->stop_after > 0 && t->n >= t->stop_after;
}

static void test_generate_greedy_matches_eval(void **state)
{
    (void)state;
    char err[SLM_ERROR_SIZE];
    slm_model *m = NULL;
    assert_int_equal(slm_model_load("tests/fixtures/engine/tiny-llama-Q4_K_M.gguf", &m, err, sizeof err), 0);
    slm_context_params cp = slm_context_default_params();
    cp.n_threads = 2;
    slm_context *ctx = NULL;
    assert_int_equal(slm_context_create(m, &cp, &ctx, err, sizeof err), 0);
    int32_t prompt[4] = {1, 110, 107, 352};
    slm_generate_params gp = {12, slm_sampler_default_params()};
    trace t = {0};
    slm_generate_stats st;
    assert_int_equal(slm_generate(ctx, prompt, 4, &gp, record, &t, &st, err, sizeof err), 0);
    /* An EOG token may end it early; otherwise exactly max_tokens. */
    assert_true(st.stop_reason == SLM_STOP_MAX_TOKENS ? t.n == 12 : st.stop_reason == SLM_STOP_EOG);
    assert_int_equal(st.n_generated, t.n);
    assert_int_equal(st.n_prompt, 4);
    assert_true(st.first_token_ns >= st.start_ns && st.end_ns >= st.first_token_ns);
    assert_true(st.ttft_ms > 0 && st.prefill_tps > 0);
    for (int i = 1; i < t.n; i++) assert_true(t.times[i] >= t.times[i - 1]);
    /* Replay with slm_eval one token at a time: the same argmax sequence. */
    slm_context_reset(ctx);
    assert_int_equal(slm_eval(ctx, prompt, 4, NULL, err, sizeof err), 0);
    for (int i = 0; i < t.n; i++) {
        const float *lg = slm_context_logits(ctx);
        int best = 0;
        for (int k = 1; k < slm_n_vocab(m); k++) best = lg[k] > lg[best] ? k : best;
        assert_int_equal(best, t.tokens[i]);
        assert_int_equal(slm_eval(ctx, &t.tokens[i], 1, NULL, err, sizeof err), 0);
    }
    /* The callback stops it. */
    slm_context_reset(ctx);
    trace t2 = {.stop_after = 3};
    assert_int_equal(slm_generate(ctx, prompt, 4, &gp, record, &t2, &st, err, sizeof err), 0);
    assert_true(st.stop_reason == SLM_STOP_CALLBACK || st.stop_reason == SLM_STOP_EOG);
    assert_true(t2.n <= 3);
    slm_context_free(ctx);
    slm_model_free(m);
}

static void test_generate_context_full(void **state)
{
    (void)state;
    char err[SLM_ERROR_SIZE];
    slm_model *m = NULL;
    assert_int_equal(slm_model_load("tests/fixtures/engine/tiny-qwen2-Q4_K_M.gguf", &m, err, sizeof err), 0);
    slm_context_params cp = slm_context_default_params();
    cp.n_ctx = 6;
    cp.n_threads = 1;
    slm_context *ctx = NULL;
    assert_int_equal(slm_context_create(m, &cp, &ctx, err, sizeof err), 0);
    int32_t prompt[4] = {1, 110, 107, 352};
    slm_sampler_params sp = slm_sampler_default_params();
    sp.temperature = 0.7f;
    sp.seed = 5;
    slm_generate_params gp = {50, sp};
    slm_generate_stats st;
    assert_int_equal(slm_generate(ctx, prompt, 4, &gp, NULL, NULL, &st, err, sizeof err), 0);
    assert_true(st.stop_reason == SLM_STOP_CONTEXT_FULL || st.stop_reason == SLM_STOP_EOG);
    assert_true(st.n_generated <= 3);
    slm_context_free(ctx);
    slm_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_and_logprob),
        cmocka_unit_test(test_logprob_large_vocab),
        cmocka_unit_test(test_seeded_and_logits_untouched),
        cmocka_unit_test(test_truncations_collapse_to_argmax),
        cmocka_unit_test(test_top_k_limits_support),
        cmocka_unit_test(test_top_p_and_min_p_support),
        cmocka_unit_test(test_repetition_penalty),
        cmocka_unit_test(test_temperature_follows_softmax),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_generate_greedy_matches_eval),
        cmocka_unit_test(test_generate_context_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
