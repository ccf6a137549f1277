/*
 * backend.h — the generation backend the runner drives: one request in, one
 * measured response out. Two implementations: "local" (harness/backend_local.c,
 * on libslm) and "openai" (harness/backend_openai.c, any OpenAI-compatible
 * chat-completions server over libcurl, streaming so TTFT is measurable).
 *
 * Invariants:
 *  - generate() is single-stream and blocking; a backend object is used by one
 *    thread at a time.
 *  - All timestamps are CLOCK_MONOTONIC nanoseconds (same clock as slm.h), so
 *    the runner can line them up with the device sampler's windows.
 *  - A figure the backend cannot know (e.g. logprobs from a server that does
 *    not return them, prompt tokens from a server that reports no usage) is
 *    marked unavailable with a reason, never guessed: the matching *_known flag
 *    is 0 and `unavailable` holds the reason.
 *  - The response owns its buffers; backend_response_free() releases them and
 *    leaves a zeroed struct, so it is safe to call twice.
 *  - Hooks run on the generating thread, in order: on_prefill_start (just
 *    before the prompt is sent/evaluated), on_first_token (once, when the first
 *    generated token exists). The runner uses them to switch counter phases and
 *    to mark energy windows; they must be quick and must not fail.
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define BACKEND_MAX_STOP 8

typedef enum backend_stop_reason {
    BACKEND_STOP_MAX_TOKENS = 0,
    BACKEND_STOP_EOG,           /* end-of-generation token / server finish_reason "stop" */
    BACKEND_STOP_SEQUENCE,      /* output ended with one of request.stop (trimmed from text) */
    BACKEND_STOP_CONTEXT_FULL,  /* local KV cache full / server finish_reason "length" before max */
    BACKEND_STOP_INTERRUPTED    /* request.cancel became non-zero */
} backend_stop_reason;

/* "max_tokens", "eog", "stop_sequence", "context_full", "interrupted" (results schema values). */
const char *backend_stop_reason_name(backend_stop_reason reason);

typedef struct backend_request {
    /* A backend with a chat format (a local model with a chat template, the
     * openai backend) sends system + user; one without (a base model, or
     * --no-chat-template) sends raw_prompt as is. When user is NULL raw_prompt
     * is always used; when raw_prompt is NULL, system and user are joined. */
    const char *system;       /* system message, may be NULL */
    const char *user;         /* the user turn */
    const char *raw_prompt;   /* plain-text prompt for models without a chat format */
    int max_new_tokens;
    const char *stop[BACKEND_MAX_STOP]; /* stop strings, NULL-terminated or n_stop entries */
    int n_stop;
    float temperature;        /* <= 0: greedy */
    uint64_t seed;
    /* Set by the runner's signal handler; the backend stops at the next token. May be NULL. */
    volatile const sig_atomic_t *cancel;
    void (*on_prefill_start)(void *hook_user);
    void (*on_first_token)(void *hook_user);
    void *hook_user;
} backend_request;

typedef struct backend_response {
    char *text;               /* malloc'd, NUL-terminated, stop sequence trimmed */
    int prompt_tokens;        /* -1 when unknown */
    int generated_tokens;     /* tokens produced (incl. any that formed a trimmed stop string) */
    uint64_t *token_time_ns;  /* malloc'd [n_token_times]: when each generated token arrived */
    int n_token_times;
    uint64_t start_ns;        /* just before the prompt was evaluated / the request sent */
    uint64_t first_token_ns;  /* 0 when no token was generated */
    uint64_t end_ns;
    double ttft_ms;           /* first_token - start */
    double e2e_ms;            /* end - start */
    double prefill_tps;       /* prompt_tokens / ttft; < 0 when unknown */
    double decode_tps;        /* (n_token_times - 1) / (end_of_last_token - first_token); < 0 when unknown */
    int logprobs_known;
    double logprob_mean, logprob_min;
    char unavailable[160];    /* why prompt_tokens / prefill_tps / logprobs are unknown, "" if all known */
    backend_stop_reason stop_reason;
} backend_response;

void backend_response_free(backend_response *response);

typedef struct backend backend;
struct backend {
    const char *name;         /* "local" | "openai" */
    int (*generate)(backend *self, const backend_request *request,
                    backend_response *response, char *err, size_t err_size);
    /* Fills the results schema's "model" and "backend" objects (both already
     * created, empty). A remote model writes "sha256": "unavailable: remote model". */
    int (*describe)(backend *self, cJSON *model, cJSON *backend_info, char *err, size_t err_size);
    void (*destroy)(backend *self);
    void *impl;
    /* 1: requests go out as system + user turns in a chat format (a local
     * model's template, a server's); 0: raw_prompt as is. The runner picks
     * stop sequences and output trimming by it (tasks/task.h). */
    int chat_format;
};

/* ---- local backend (harness/backend_local.c) ---------------------------- */

typedef struct backend_local_options {
    const char *model_path;
    int n_threads;            /* 0 = engine default */
    int n_ctx;                /* 0 = engine default */
    int kv_f32;               /* 0: f16 KV cache, 1: f32 */
    /* NULL or "auto": the model's own template, raw prompt when it has none
     * (an unrecognised template fails the open: see backend_local_prompt_format);
     * "none": never a template; otherwise a family name for slm_chat_render. */
    const char *chat_template;
    void (*thread_init)(int thread_index, void *user); /* may be NULL (e.g. core binding) */
    void *thread_init_user;
} backend_local_options;

int backend_local_open(const backend_local_options *options, backend **out,
                       char *err, size_t err_size);

/* The prompt format a local model gets under chat_template (as in
 * backend_local_options), decided from the file's tokenizer metadata alone so
 * that a run can refuse bad input before it writes anything: "raw" or the
 * chat family. In auto mode a model without a template is "raw" (a base
 * model); one whose template is not recognised is an error, as is an unknown
 * forced family: one line naming the file and the problem. */
int backend_local_prompt_format(const char *model_path, const char *chat_template,
                                char *format, size_t format_size, char *err, size_t err_size);

/* ---- OpenAI-compatible remote backend (harness/backend_openai.c) --------- */

typedef struct backend_openai_options {
    const char *endpoint;     /* base URL, e.g. "http://127.0.0.1:8080/v1" */
    const char *model;        /* model name sent in the request */
    const char *api_key_env;  /* name of the environment variable holding the key; NULL = none */
    double timeout_s;         /* whole-request timeout; 0 = 300 */
} backend_openai_options;

int backend_openai_open(const backend_openai_options *options, backend **out,
                        char *err, size_t err_size);

#endif /* BACKEND_H */
