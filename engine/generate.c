/*
 * generate.c — slm_generate: prefill the prompt, then sample / evaluate one
 * token at a time until max_tokens, an end-of-generation token, the callback
 * or a full context stops it.
 *
 * Invariants: timestamps are CLOCK_MONOTONIC; first_token_ns is taken when the
 * first token has been sampled (end of prefill) and end_ns when the last
 * token handed to the caller was sampled, so decode_tps = (n_generated - 1) /
 * (end - first) counts exactly the forward passes inside that interval. An
 * EOG token is never passed to the callback nor counted. A model without a
 * tokenizer has no EOG tokens: only max_tokens, the callback or the context
 * stop it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "context.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct gen_state {
    slm_context *ctx;
    slm_sampler *sampler;
    int32_t *history;
    int n_history;
    int has_vocab;
    double logprob_sum;
} gen_state;

static void finish_stats(slm_generate_stats *st, const gen_state *g)
{
    double prefill_s = (double)(st->first_token_ns - st->start_ns) / 1e9;
    double decode_s = (double)(st->end_ns - st->first_token_ns) / 1e9;
    st->ttft_ms = st->n_generated > 0 || st->first_token_ns > 0 ? prefill_s * 1e3 : 0.0;
    st->prefill_tps = prefill_s > 0 ? st->n_prompt / prefill_s : 0.0;
    st->decode_tps = st->n_generated > 1 && decode_s > 0 ? (st->n_generated - 1) / decode_s : 0.0;
    st->logprob_mean = st->n_generated > 0 ? g->logprob_sum / st->n_generated : 0.0;
}

/* One step: sample from the current logits, report, decide whether to go on.
 * Returns 1 to continue (the token still has to be evaluated), 0 to stop. */
static int step(gen_state *g, const slm_generate_params *params, slm_token_callback cb, void *user,
                slm_generate_stats *st)
{
    float logprob = 0.0f;
    int32_t tok = slm_sampler_sample(g->sampler, slm_context_logits(g->ctx), g->history, g->n_history, &logprob);
    uint64_t t = now_ns();
    if (st->first_token_ns == 0) st->first_token_ns = t;
    if (g->has_vocab && slm_token_is_eog(g->ctx->model, tok)) {
        st->stop_reason = SLM_STOP_EOG;
        return 0;
    }
    slm_token_event ev = {tok, logprob, st->n_generated, t};
    g->history[g->n_history++] = tok;
    st->n_generated++;
    st->end_ns = t;
    g->logprob_sum += logprob;
    if (st->n_generated == 1 || logprob < st->logprob_min) st->logprob_min = logprob;
    if (cb && cb(&ev, user)) {
        st->stop_reason = SLM_STOP_CALLBACK;
        return 0;
    }
    if (st->n_generated >= params->max_tokens) {
        st->stop_reason = SLM_STOP_MAX_TOKENS;
        return 0;
    }
    if (slm_context_n_past(g->ctx) >= g->ctx->n_ctx) {
        st->stop_reason = SLM_STOP_CONTEXT_FULL;
        return 0;
    }
    return 1;
}

static int run(gen_state *g, const int32_t *prompt, int n_prompt, const slm_generate_params *params,
               slm_token_callback cb, void *user, slm_generate_stats *st, char *err, size_t err_size)
{
    st->start_ns = now_ns();
    if (n_prompt > 0 && slm_eval(g->ctx, prompt, n_prompt, NULL, err, err_size) != 0) return -1;
    if (n_prompt == 0 && !g->ctx->have_logits) {
        snprintf(err, err_size, "%s: empty prompt and nothing evaluated yet", eng_model_path(g->ctx->model));
        return -1;
    }
    st->stop_reason = SLM_STOP_MAX_TOKENS;
    if (params->max_tokens <= 0) {
        st->first_token_ns = st->end_ns = now_ns();
        return 0;
    }
    while (step(g, params, cb, user, st)) {
        int32_t tok = g->history[g->n_history - 1];
        if (slm_eval(g->ctx, &tok, 1, NULL, err, err_size) != 0) return -1;
    }
    if (st->end_ns == 0) st->end_ns = st->first_token_ns;
    return 0;
}

int slm_generate(slm_context *ctx, const int32_t *prompt, int n_prompt, const slm_generate_params *params,
                 slm_token_callback cb, void *user, slm_generate_stats *stats, char *err, size_t err_size)
{
    slm_generate_stats local;
    slm_generate_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    st->n_prompt = n_prompt;
    if (n_prompt < 0 || (n_prompt > 0 && !prompt) || params->max_tokens < 0) {
        snprintf(err, err_size, "%s: bad generate request (%d prompt tokens, %d max tokens)",
                 eng_model_path(ctx->model), n_prompt, params->max_tokens);
        return -1;
    }
    gen_state g;
    memset(&g, 0, sizeof g);
    g.ctx = ctx;
    g.has_vocab = eng_model_vocab(ctx->model) != NULL;
    if (slm_sampler_create(&params->sampling, slm_n_vocab(ctx->model), &g.sampler, err, err_size) != 0)
        return -1;
    g.history = malloc(((size_t)n_prompt + (size_t)params->max_tokens + 1) * sizeof(int32_t));
    if (!g.history) {
        slm_sampler_free(g.sampler);
        snprintf(err, err_size, "%s: out of memory for generation history", eng_model_path(ctx->model));
        return -1;
    }
    if (n_prompt > 0) memcpy(g.history, prompt, (size_t)n_prompt * sizeof(int32_t));
    g.n_history = n_prompt;
    int rc = run(&g, prompt, n_prompt, params, cb, user, st, err, err_size);
    finish_stats(st, &g);
    free(g.history);
    slm_sampler_free(g.sampler);
    return rc;
}
