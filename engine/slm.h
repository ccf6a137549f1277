/*
 * slm.h — the public interface of libslm, slmbench's inference engine.
 *
 * libslm loads a GGUF model (llama, qwen2, phi3 families), turns text into
 * tokens and back, runs the transformer on the CPU and samples tokens. The
 * harness is its only client; nothing outside engine/ includes the engine's
 * internal headers.
 *
 * Conventions:
 *  - Every function that can fail returns 0 on success and a non-zero status
 *    otherwise, and writes one human-readable line (naming the file or the
 *    argument at fault) into the caller's error buffer `err` of `err_size`
 *    bytes. SLM_ERROR_SIZE is a buffer size that is always enough.
 *  - The engine never calls exit() and keeps no global mutable state other
 *    than the run-time CPU feature detection, which is idempotent.
 *  - Timestamps are CLOCK_MONOTONIC nanoseconds.
 *  - Objects are not thread-safe; one slm_context per thread of use. A
 *    slm_model is read-only after load and may be shared by contexts.
 */
#ifndef SLM_H
#define SLM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLM_ERROR_SIZE 512

/* Tensor element types, numbered as in GGUF (ggml_type). */
typedef enum slm_type {
    SLM_TYPE_F32 = 0,
    SLM_TYPE_F16 = 1,
    SLM_TYPE_Q4_0 = 2,
    SLM_TYPE_Q4_1 = 3,
    SLM_TYPE_Q5_0 = 6,
    SLM_TYPE_Q5_1 = 7,
    SLM_TYPE_Q8_0 = 8,
    SLM_TYPE_Q8_1 = 9,
    SLM_TYPE_Q2_K = 10,
    SLM_TYPE_Q3_K = 11,
    SLM_TYPE_Q4_K = 12,
    SLM_TYPE_Q5_K = 13,
    SLM_TYPE_Q6_K = 14,
    SLM_TYPE_Q8_K = 15,
    SLM_TYPE_BF16 = 30,
    SLM_TYPE_COUNT = 31
} slm_type;

/* "F32", "Q4_K", ...; NULL for a number that is not a known type. */
const char *slm_type_name(int type);

/* The kernel set chosen at run time: "avx512-vnni", "avx512", "avx2", "neon" or "scalar". */
const char *slm_simd_path(void);

/* ---- model ----------------------------------------------------------------- */

typedef struct slm_model slm_model;

typedef struct slm_model_info {
    char path[1024];
    char name[256];            /* general.name, "" if absent */
    char arch[32];             /* "llama", "qwen2", "phi3" */
    uint32_t gguf_version;
    uint64_t file_bytes;
    uint64_t n_params;         /* sum of tensor element counts */
    uint64_t tensor_bytes;     /* sum of tensor data sizes */
    uint64_t type_bytes[SLM_TYPE_COUNT];   /* tensor bytes per slm_type */
    uint32_t type_tensors[SLM_TYPE_COUNT]; /* tensor count per slm_type */
    uint32_t n_ctx_train;
    uint32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_rot;
    float rope_freq_base;
    float norm_rms_eps;
    char tokenizer_model[32];  /* tokenizer.ggml.model: "llama", "gpt2", "" */
    char tokenizer_pre[64];    /* tokenizer.ggml.pre, "" if absent */
    int has_chat_template;
    char chat_template_family[32]; /* detected family ("chatml", "llama3", ...) or "" */
    int synthetic;             /* slmbench.synthetic key present and true */
} slm_model_info;

/* Opens and validates a GGUF file (mmap). Every structural fault, a missing
 * required key or an unsupported tensor type fails with an error naming the file. */
int slm_model_load(const char *path, slm_model **out, char *err, size_t err_size);
/* Reads a GGUF's metadata and tensor table into *out without preparing the
 * model for inference (fast; what `slmbench model info` uses). Same checks. */
int slm_model_inspect(const char *path, slm_model_info *out, char *err, size_t err_size);
void slm_model_free(slm_model *model);
void slm_model_get_info(const slm_model *model, slm_model_info *out);

/* ---- synthetic models (random weights, real shapes; engine/synth*.c) -------- */

typedef struct slm_synth_params {
    const char *preset;      /* one of slm_synth_preset_name() */
    const char *type;        /* one of slm_synth_type_name(): "Q4_K_M", "F16", ... */
    uint64_t seed;
    const char *vocab_path;  /* tokenizer source GGUF; NULL: the GPT-2 vocab in tests/fixtures */
    int n_threads;           /* 0: online CPUs */
} slm_synth_params;

/* i-th preset / type name, NULL past the last. */
const char *slm_synth_preset_name(int i);
const char *slm_synth_type_name(int i);
/* Writes a synthetic GGUF atomically to out_path (general.name
 * "synthetic-PRESET-TYPE", slmbench.synthetic = true). */
int slm_model_synth(const slm_synth_params *params, const char *out_path, char *err, size_t err_size);

/* ---- inference context: KV cache, scratch buffers, thread pool --------------- */

typedef enum slm_kv_type { SLM_KV_F16 = 0, SLM_KV_F32 = 1 } slm_kv_type;

typedef struct slm_context_params {
    int n_ctx;          /* KV cache length; 0 = min(model n_ctx_train, 4096) */
    int n_threads;      /* 0 = number of physical cores */
    int n_batch;        /* most tokens per prefill step; 0 = 512 */
    slm_kv_type kv_type;
    /* Called once in each pool thread (index 0..n_threads-1; 0 is the caller's
     * thread) before any work, e.g. to bind it to a core. May be NULL. */
    void (*thread_init)(int thread_index, void *user);
    void *thread_init_user;
} slm_context_params;

typedef struct slm_context slm_context;

slm_context_params slm_context_default_params(void);
int slm_context_create(slm_model *model, const slm_context_params *params,
                       slm_context **out, char *err, size_t err_size);
void slm_context_free(slm_context *ctx);
void slm_context_reset(slm_context *ctx); /* empties the KV cache */
int slm_context_n_past(const slm_context *ctx);
int slm_context_n_threads(const slm_context *ctx);

/* Runs tokens[0..n_tokens) at positions n_past.. and appends them to the KV
 * cache. If logits_out is not NULL it receives the logits of every position,
 * [n_tokens][n_vocab]. The last position's logits are always available from
 * slm_context_logits() afterwards. Fails (without changing the cache) when the
 * cache would overflow or a token id is out of range. */
int slm_eval(slm_context *ctx, const int32_t *tokens, int n_tokens,
             float *logits_out, char *err, size_t err_size);
const float *slm_context_logits(const slm_context *ctx); /* [n_vocab] */

/* ---- sampling ----------------------------------------------------------------- */

typedef struct slm_sampler_params {
    float temperature;     /* <= 0: greedy */
    int top_k;             /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int repeat_last_n;     /* tokens of history the penalty looks at */
    uint64_t seed;
} slm_sampler_params;

typedef struct slm_sampler slm_sampler;

slm_sampler_params slm_sampler_default_params(void); /* greedy */
int slm_sampler_create(const slm_sampler_params *params, int n_vocab,
                       slm_sampler **out, char *err, size_t err_size);
void slm_sampler_free(slm_sampler *sampler);
/* Picks a token from logits (not modified). *logprob_out (may be NULL) gets the
 * natural-log probability of the chosen token under the model's unmodified
 * softmax (temperature 1, no truncation): the confidence signal. */
int32_t slm_sampler_sample(slm_sampler *sampler, const float *logits,
                           const int32_t *history, int n_history, float *logprob_out);

/* ---- generation ----------------------------------------------------------------- */

typedef struct slm_token_event {
    int32_t token;
    float logprob;
    int index;             /* 0 for the first generated token */
    uint64_t time_ns;      /* when the token was sampled */
} slm_token_event;

/* Return non-zero to stop generating after this token. */
typedef int (*slm_token_callback)(const slm_token_event *event, void *user);

typedef enum slm_stop_reason {
    SLM_STOP_MAX_TOKENS = 0,
    SLM_STOP_EOG = 1,       /* an end-of-generation token (not passed on as output) */
    SLM_STOP_CALLBACK = 2,
    SLM_STOP_CONTEXT_FULL = 3
} slm_stop_reason;

typedef struct slm_generate_params {
    int max_tokens;
    slm_sampler_params sampling;
} slm_generate_params;

typedef struct slm_generate_stats {
    int n_prompt;
    int n_generated;
    uint64_t start_ns;       /* before prefill */
    uint64_t first_token_ns; /* first token sampled: end of prefill */
    uint64_t end_ns;
    double ttft_ms;
    double prefill_tps;      /* n_prompt / prefill seconds */
    double decode_tps;       /* (n_generated - 1) / (end - first token) seconds */
    double logprob_mean;
    double logprob_min;
    slm_stop_reason stop_reason;
} slm_generate_stats;

/* Prefills prompt (appending to whatever the context already holds), then
 * samples up to max_tokens, calling cb (may be NULL) for every token. */
int slm_generate(slm_context *ctx, const int32_t *prompt, int n_prompt,
                 const slm_generate_params *params, slm_token_callback cb, void *user,
                 slm_generate_stats *stats, char *err, size_t err_size);

/* ---- tokenizer ------------------------------------------------------------------ */

/* Opens only the tokenizer of a GGUF file: tensors are neither needed nor
 * checked (e.g. the ggml-vocab-*.gguf vocabularies). The result works with the
 * tokenizer and chat-template functions below and slm_model_free, not with
 * slm_context_create. A file without tokenizer metadata fails with
 * "PATH: model has no tokenizer metadata". */
int slm_vocab_load(const char *path, slm_model **out, char *err, size_t err_size);

int slm_n_vocab(const slm_model *model);
int32_t slm_token_bos(const slm_model *model);  /* -1 if none */
int32_t slm_token_eos(const slm_model *model);  /* -1 if none */
int slm_token_is_eog(const slm_model *model, int32_t token);
int slm_add_bos_default(const slm_model *model); /* tokenizer.ggml.add_bos_token */

/* Text -> ids. *out is malloc'd (caller frees). add_bos adds BOS if the model
 * has one; parse_special lets special-token text (e.g. "<|im_start|>") map to
 * its id. Invalid UTF-8 is tokenized as bytes, never rejected. */
int slm_tokenize(const slm_model *model, const char *text, size_t text_len,
                 int add_bos, int parse_special, int32_t **out, int *n_out,
                 char *err, size_t err_size);
/* The text of one token as it appears in detokenized output (may be a partial
 * UTF-8 sequence for byte tokens). Returns the byte length written (without
 * NUL), or -1 for a bad id; truncates to size-1 bytes and NUL-terminates. */
int slm_token_to_piece(const slm_model *model, int32_t token, char *buf, size_t size);
/* Ids -> text. *out is malloc'd, NUL-terminated. Special tokens are rendered
 * only when render_special is non-zero. */
int slm_detokenize(const slm_model *model, const int32_t *tokens, int n_tokens,
                   int render_special, char **out, char *err, size_t err_size);

/* ---- chat templates ------------------------------------------------------------- */

typedef struct slm_chat_message {
    const char *role;    /* "system", "user", "assistant" */
    const char *content;
} slm_chat_message;

/* Renders messages in the model's chat format. family_override (may be NULL)
 * names a family ("chatml", "llama3", "llama2", "phi3", "gemma", "zephyr",
 * "deepseek") instead of the one detected from tokenizer.chat_template. Fails
 * with a clear error when the model has no template, or one not recognised,
 * and no override is given. *out is malloc'd. */
int slm_chat_render(const slm_model *model, const char *family_override,
                    const slm_chat_message *messages, int n_messages,
                    int add_generation_prompt, char **out, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif /* SLM_H */
