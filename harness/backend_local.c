/*
 * backend_local.c — the "local" generation backend on libslm: chat template
 * (the model's own, a named family, or none), tokenization, slm_generate with
 * a per-token callback for timestamps, stop sequences, detokenization.
 *
 * Invariants:
 *  - The prompt format is fixed at open: the chat template (the model's own,
 *    or a forced family) or raw. A model without a template is a base model
 *    and gets the raw prompt; an unrecognised template is an error unless
 *    the caller chose "none" (--no-chat-template) or a family.
 *  - The KV cache is emptied before every request: items are independent.
 *  - Stop strings are checked on the text decoded so far; the output ends
 *    before the earliest stop string, which is never part of response.text.
 *  - The model file's SHA-256 is computed once per backend (it can take
 *    seconds for large files) and only when describe() is first called.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"
#include "harness/backend.h"
#include "results/results.h"

typedef struct local_backend {
    backend base;
    slm_model *model;
    slm_context *ctx;
    slm_model_info info;
    char template_family[32]; /* "" = the model's own; used only when use_template */
    int use_template;
    int n_ctx;
    char sha256[65];
} local_backend;

/* What the callback accumulates while tokens arrive. */
typedef struct generation_state {
    const local_backend *self;
    const backend_request *request;
    int32_t *tokens;
    uint64_t *times;
    int n, cap;
    char *text;
    size_t text_len, text_cap;
    int stopped_by_sequence, failed;
} generation_state;

/* NULL, "" or "auto": the model's own template (raw when it has none). */
static int is_automatic(const char *mode)
{
    return !mode || !*mode || !strcmp(mode, "auto");
}

/* The template decision shared by the backend and the early input check:
 * *use_template and the family in family[] ("" when raw). */
static int decide_template(slm_model *model, const slm_model_info *info, const char *mode,
                           int *use_template, char *family, size_t family_size,
                           char *err, size_t err_size)
{
    *use_template = 0;
    family[0] = '\0';
    if (mode && !strcmp(mode, "none"))
        return 0;
    int automatic = is_automatic(mode);
    if (automatic && !info->has_chat_template)
        return 0; /* a base model: the raw prompt is its format */
    /* Rendering a probe turn is what reports an unrecognised template or an
     * unknown family, with the file named, before anything is measured. */
    slm_chat_message probe = {"user", "x"};
    char *rendered = NULL;
    if (slm_chat_render(model, automatic ? NULL : mode, &probe, 1, 1, &rendered, err, err_size) != 0)
        return -1;
    free(rendered);
    snprintf(family, family_size, "%s", automatic ? info->chat_template_family : mode);
    *use_template = 1;
    return 0;
}

static int choose_template(local_backend *self, const char *mode, char *err, size_t err_size)
{
    char family[sizeof self->template_family];
    if (decide_template(self->model, &self->info, mode, &self->use_template, family, sizeof family,
                        err, err_size) != 0)
        return -1;
    int automatic = is_automatic(mode);
    /* "" renders with the model's own template; a forced family is passed on. */
    snprintf(self->template_family, sizeof self->template_family, "%s", automatic ? "" : family);
    self->base.chat_format = self->use_template;
    return 0;
}

int backend_local_prompt_format(const char *model_path, const char *chat_template,
                                char *format, size_t format_size, char *err, size_t err_size)
{
    slm_model_info info;
    slm_model *vocab = NULL;
    if (slm_model_inspect(model_path, &info, err, err_size) != 0 ||
        slm_vocab_load(model_path, &vocab, err, err_size) != 0)
        return -1;
    int use_template = 0;
    char family[64];
    int status = decide_template(vocab, &info, chat_template, &use_template, family, sizeof family,
                                 err, err_size);
    slm_model_free(vocab);
    if (status == 0)
        snprintf(format, format_size, "%s", use_template ? family : "raw");
    return status;
}

static int append_text(generation_state *st, const char *piece, size_t len)
{
    if (st->text_len + len + 1 > st->text_cap) {
        size_t cap = st->text_cap ? st->text_cap * 2 : 1024;
        while (st->text_len + len + 1 > cap)
            cap *= 2;
        char *bigger = realloc(st->text, cap);
        if (!bigger)
            return -1;
        st->text = bigger;
        st->text_cap = cap;
    }
    memcpy(st->text + st->text_len, piece, len);
    st->text_len += len;
    st->text[st->text_len] = '\0';
    return 0;
}

static int push_token(generation_state *st, int32_t token, uint64_t time_ns)
{
    if (st->n == st->cap) {
        int cap = st->cap ? st->cap * 2 : 256;
        int32_t *tokens = realloc(st->tokens, (size_t)cap * sizeof *tokens);
        if (tokens)
            st->tokens = tokens;
        uint64_t *times = tokens ? realloc(st->times, (size_t)cap * sizeof *times) : NULL;
        if (!times)
            return -1;
        st->times = times;
        st->cap = cap;
    }
    st->tokens[st->n] = token;
    st->times[st->n] = time_ns;
    st->n++;
    return 0;
}

/* Position of the earliest stop string in text, or -1. */
static long find_stop(const backend_request *request, const char *text)
{
    long best = -1;
    for (int i = 0; i < request->n_stop && i < BACKEND_MAX_STOP && request->stop[i]; i++) {
        if (!request->stop[i][0])
            continue;
        const char *hit = strstr(text, request->stop[i]);
        if (hit && (best < 0 || hit - text < best))
            best = hit - text;
    }
    return best;
}

static int on_token(const slm_token_event *event, void *user)
{
    generation_state *st = user;
    if (event->index == 0 && st->request->on_first_token)
        st->request->on_first_token(st->request->hook_user);
    char piece[256];
    int len = slm_token_to_piece(st->self->model, event->token, piece, sizeof piece);
    if (push_token(st, event->token, event->time_ns) != 0 ||
        (len > 0 && append_text(st, piece, (size_t)len) != 0)) {
        st->failed = 1;
        return 1;
    }
    if (st->request->n_stop > 0 && st->text && find_stop(st->request, st->text) >= 0) {
        st->stopped_by_sequence = 1;
        return 1;
    }
    return st->request->cancel && *st->request->cancel ? 1 : 0;
}

static char *join_system_user(const backend_request *request)
{
    const char *system = request->system ? request->system : "";
    const char *user = request->user ? request->user : "";
    size_t len = strlen(system) + strlen(user) + 3;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s%s%s", system, *system ? "\n\n" : "", user);
    return out;
}

/* The prompt text for this request and whether it holds special-token text. */
static int render_prompt(local_backend *self, const backend_request *request, char **out,
                         int *templated, char *err, size_t err_size)
{
    *templated = 0;
    if (self->use_template && request->user) {
        slm_chat_message messages[2];
        int n = 0;
        if (request->system && *request->system)
            messages[n++] = (slm_chat_message){"system", request->system};
        messages[n++] = (slm_chat_message){"user", request->user};
        *templated = 1;
        const char *family = self->template_family[0] ? self->template_family : NULL;
        return slm_chat_render(self->model, family, messages, n, 1, out, err, err_size);
    }
    *out = request->raw_prompt ? strdup(request->raw_prompt) : join_system_user(request);
    if (!*out) {
        snprintf(err, err_size, "out of memory building the prompt");
        return -1;
    }
    return 0;
}

static int tokenize_prompt(local_backend *self, const backend_request *request, int32_t **tokens,
                           int *n_tokens, char *err, size_t err_size)
{
    char *prompt = NULL;
    int templated = 0;
    if (render_prompt(self, request, &prompt, &templated, err, err_size) != 0)
        return -1;
    int status = slm_tokenize(self->model, prompt, strlen(prompt), slm_add_bos_default(self->model),
                              templated, tokens, n_tokens, err, err_size);
    free(prompt);
    if (status == 0 && *n_tokens >= self->n_ctx) {
        snprintf(err, err_size, "prompt of %d tokens does not fit the context of %d tokens (--ctx)",
                 *n_tokens, self->n_ctx);
        free(*tokens);
        *tokens = NULL;
        return -1;
    }
    return status;
}

static backend_stop_reason map_stop(const slm_generate_stats *stats, const generation_state *st)
{
    if (st->stopped_by_sequence)
        return BACKEND_STOP_SEQUENCE;
    switch (stats->stop_reason) {
    case SLM_STOP_EOG: return BACKEND_STOP_EOG;
    case SLM_STOP_CONTEXT_FULL: return BACKEND_STOP_CONTEXT_FULL;
    case SLM_STOP_CALLBACK: return BACKEND_STOP_INTERRUPTED;
    case SLM_STOP_MAX_TOKENS: break;
    }
    return BACKEND_STOP_MAX_TOKENS;
}

static int finish_response(local_backend *self, const backend_request *request, generation_state *st,
                           const slm_generate_stats *stats, backend_response *response,
                           char *err, size_t err_size)
{
    char *text = NULL;
    if (slm_detokenize(self->model, st->tokens, st->n, 0, &text, err, err_size) != 0)
        return -1;
    long cut = request->n_stop > 0 ? find_stop(request, text) : -1;
    if (cut >= 0)
        text[cut] = '\0';
    response->text = text;
    response->prompt_tokens = stats->n_prompt;
    response->generated_tokens = stats->n_generated;
    response->token_time_ns = st->times;
    response->n_token_times = st->n;
    st->times = NULL;
    response->start_ns = stats->start_ns;
    response->first_token_ns = stats->n_generated > 0 ? stats->first_token_ns : 0;
    response->end_ns = stats->end_ns;
    response->ttft_ms = stats->ttft_ms;
    response->e2e_ms = (double)(stats->end_ns - stats->start_ns) / 1e6;
    response->prefill_tps = stats->prefill_tps;
    response->decode_tps = stats->n_generated > 1 ? stats->decode_tps : -1;
    response->logprobs_known = stats->n_generated > 0;
    response->logprob_mean = stats->logprob_mean;
    response->logprob_min = stats->logprob_min;
    if (stats->n_generated == 0)
        snprintf(response->unavailable, sizeof response->unavailable, "no token generated");
    else if (stats->n_generated == 1)
        snprintf(response->unavailable, sizeof response->unavailable,
                 "decode rate needs at least 2 generated tokens");
    response->stop_reason = map_stop(stats, st);
    return 0;
}

static int local_generate(backend *base, const backend_request *request, backend_response *response,
                          char *err, size_t err_size)
{
    local_backend *self = base->impl;
    memset(response, 0, sizeof *response);
    int32_t *prompt = NULL;
    int n_prompt = 0;
    if (tokenize_prompt(self, request, &prompt, &n_prompt, err, err_size) != 0)
        return -1;
    slm_context_reset(self->ctx);
    slm_generate_params params = {0};
    params.max_tokens = request->max_new_tokens;
    params.sampling = slm_sampler_default_params();
    params.sampling.temperature = request->temperature;
    params.sampling.seed = request->seed;
    generation_state st = {.self = self, .request = request};
    slm_generate_stats stats;
    memset(&stats, 0, sizeof stats);
    if (request->on_prefill_start)
        request->on_prefill_start(request->hook_user);
    int status = slm_generate(self->ctx, prompt, n_prompt, &params, on_token, &st, &stats, err, err_size);
    free(prompt);
    if (status == 0 && st.failed) {
        snprintf(err, err_size, "out of memory while collecting generated tokens");
        status = -1;
    }
    if (status == 0)
        status = finish_response(self, request, &st, &stats, response, err, err_size);
    free(st.tokens);
    free(st.times);
    free(st.text);
    if (status != 0)
        backend_response_free(response);
    return status;
}

static int local_describe(backend *base, cJSON *model, cJSON *backend_info, char *err, size_t err_size)
{
    local_backend *self = base->impl;
    if (!self->sha256[0] && res_sha256_file(self->info.path, self->sha256, err, err_size) != 0)
        return -1;
    if (res_model_describe(self->info.path, &self->info, self->sha256, model, err, err_size) != 0)
        return -1;
    cJSON_AddStringToObject(backend_info, "name", "local");
    cJSON_AddStringToObject(backend_info, "simd_path", slm_simd_path());
    cJSON_AddNumberToObject(backend_info, "threads", slm_context_n_threads(self->ctx));
    cJSON_AddNumberToObject(backend_info, "n_ctx", self->n_ctx);
    const char *family = !self->use_template ? "none"
                         : self->template_family[0] ? self->template_family : self->info.chat_template_family;
    cJSON_AddStringToObject(backend_info, "chat_template", family);
    cJSON_AddStringToObject(backend_info, "prompt_format", self->use_template ? family : "raw");
    return 0;
}

static void local_destroy(backend *base)
{
    if (!base)
        return;
    local_backend *self = base->impl;
    slm_context_free(self->ctx);
    slm_model_free(self->model);
    free(self);
}

int backend_local_open(const backend_local_options *options, backend **out, char *err, size_t err_size)
{
    *out = NULL;
    local_backend *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->base = (backend){"local", local_generate, local_describe, local_destroy, self, 0};
    if (slm_model_load(options->model_path, &self->model, err, err_size) != 0) {
        free(self);
        return -1;
    }
    slm_model_get_info(self->model, &self->info);
    slm_context_params params = slm_context_default_params();
    params.n_threads = options->n_threads;
    params.n_ctx = options->n_ctx;
    params.kv_type = options->kv_f32 ? SLM_KV_F32 : SLM_KV_F16;
    params.thread_init = options->thread_init;
    params.thread_init_user = options->thread_init_user;
    if (slm_context_create(self->model, &params, &self->ctx, err, err_size) != 0 ||
        choose_template(self, options->chat_template, err, err_size) != 0) {
        local_destroy(&self->base);
        return -1;
    }
    self->n_ctx = params.n_ctx > 0 ? params.n_ctx
                  : (int)(self->info.n_ctx_train && self->info.n_ctx_train < 4096 ? self->info.n_ctx_train : 4096);
    *out = &self->base;
    return 0;
}
