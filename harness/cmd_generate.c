/*
 * cmd_generate.c — `slmbench generate`: generate tokens from a prompt and
 * print them with a timing line.
 *
 *   slmbench generate -m MODEL (--tokens IDS | -p TEXT [--chat]) -n N
 *       [--chat-template NAME (implies --chat) | --no-chat-template (raw prompt)]
 *       [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]
 *       [--repeat-last-n N] [--seed S] [--threads N] [--ctx N] [--kv f16|f32]
 *
 * Output (stdout):
 *   ids: 12 34 56
 *   text: ...                        (only when the model has a tokenizer)
 *   timing: prompt_tokens=.. ttft_ms=.. prefill_tps=.. decode_tps=.. rss_peak_bytes=.. generated=.. stop=..
 * Invariants: bad flags are one line on stderr and exit 2; rss_peak_bytes is
 * getrusage's ru_maxrss (KiB on Linux) times 1024.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/slm.h"
#include "harness/commands.h"

typedef struct gen_opts {
    const char *model, *tokens_text, *prompt;
    const char *chat_template; /* --chat-template NAME: family override, NULL = the model's own */
    int chat, no_chat_template, n_predict, n_threads, n_ctx;
    slm_kv_type kv;
    slm_sampler_params sampling;
} gen_opts;

typedef struct id_list {
    int32_t *ids;
    int n, cap;
} id_list;

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "slmbench generate: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return CMD_USAGE;
}

static int to_int(const char *t, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (errno || end == t || *end || v < min || v > max) return -1;
    *out = (int)v;
    return 0;
}

static int to_float(const char *t, double min, double max, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (errno || end == t || *end || !(v >= min && v <= max)) return -1;
    *out = (float)v;
    return 0;
}

static int to_u64(const char *t, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(t, &end, 10);
    if (errno || end == t || *end || t[0] == '-') return -1;
    *out = v;
    return 0;
}

/* One flag with a value; returns 0, or CMD_USAGE after printing the error. */
static int parse_valued(gen_opts *o, const char *flag, const char *v)
{
    slm_sampler_params *s = &o->sampling;
    int bad = 0;
    if (!strcmp(flag, "-m") || !strcmp(flag, "--model")) o->model = v;
    else if (!strcmp(flag, "--tokens")) o->tokens_text = v;
    else if (!strcmp(flag, "-p") || !strcmp(flag, "--prompt")) o->prompt = v;
    else if (!strcmp(flag, "--chat-template")) { o->chat_template = v; o->chat = 1; }
    else if (!strcmp(flag, "-n")) bad = to_int(v, 0, 1 << 20, &o->n_predict);
    else if (!strcmp(flag, "--threads")) bad = to_int(v, 1, 1024, &o->n_threads);
    else if (!strcmp(flag, "--ctx")) bad = to_int(v, 1, 1 << 20, &o->n_ctx);
    else if (!strcmp(flag, "--temp")) bad = to_float(v, 0.0, 100.0, &s->temperature);
    else if (!strcmp(flag, "--top-k")) bad = to_int(v, 0, 1 << 24, &s->top_k);
    else if (!strcmp(flag, "--top-p")) bad = to_float(v, 0.0, 1.0, &s->top_p);
    else if (!strcmp(flag, "--min-p")) bad = to_float(v, 0.0, 1.0, &s->min_p);
    else if (!strcmp(flag, "--repeat-penalty")) bad = to_float(v, 1e-3, 100.0, &s->repeat_penalty);
    else if (!strcmp(flag, "--repeat-last-n")) bad = to_int(v, 0, 1 << 20, &s->repeat_last_n);
    else if (!strcmp(flag, "--seed")) bad = to_u64(v, &s->seed);
    else if (!strcmp(flag, "--kv")) {
        if (!strcmp(v, "f16")) o->kv = SLM_KV_F16;
        else if (!strcmp(v, "f32")) o->kv = SLM_KV_F32;
        else bad = 1;
    } else return usage_error("unknown option", flag);
    if (bad) {
        fprintf(stderr, "slmbench generate: bad value for %s: %s\n", flag, v);
        return CMD_USAGE;
    }
    return CMD_OK;
}

static int parse_opts(int argc, char **argv, gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sampling = slm_sampler_default_params();
    o->n_predict = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--chat")) {
            o->chat = 1;
            continue;
        }
        if (!strcmp(argv[i], "--no-chat-template")) {
            o->no_chat_template = 1;
            continue;
        }
        if (argv[i][0] != '-') return usage_error("unexpected argument", argv[i]);
        if (i + 1 >= argc) return usage_error("missing value for", argv[i]);
        int rc = parse_valued(o, argv[i], argv[i + 1]);
        if (rc != CMD_OK) return rc;
        i++;
    }
    if (!o->model || (!o->tokens_text == !o->prompt) || o->n_predict < 0)
        return usage_error("usage: slmbench generate -m MODEL (--tokens IDS | -p TEXT [--chat | --chat-template NAME | --no-chat-template]) -n N "
                           "[--temp --top-k --top-p --min-p --repeat-penalty --seed --threads]", NULL);
    if (o->chat_template && o->no_chat_template)
        return usage_error("--chat-template and --no-chat-template exclude each other", NULL);
    if (o->no_chat_template) o->chat = 0; /* the raw prompt, as asked */
    if (o->chat && !o->prompt) return usage_error("--chat needs -p TEXT", NULL);
    return CMD_OK;
}

static int parse_ids(const char *text, int32_t **out, int *n_out)
{
    int cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    int n = 0;
    for (const char *p = text; ids;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end && *end != ',')) break;
        ids[n++] = (int32_t)v;
        if (!*end) {
            *out = ids;
            *n_out = n;
            return 0;
        }
        p = end + 1;
    }
    free(ids);
    return -1;
}

/* The prompt ids from --tokens, -p or -p with --chat. */
static int prompt_ids(const gen_opts *o, const slm_model *model, int32_t **ids, int *n, char *err,
                      size_t err_size)
{
    if (o->tokens_text) {
        if (parse_ids(o->tokens_text, ids, n) == 0) return 0;
        snprintf(err, err_size, "--tokens wants comma-separated non-negative ids, got '%s'", o->tokens_text);
        return -1;
    }
    char *rendered = NULL;
    const char *text = o->prompt;
    if (o->chat) {
        slm_chat_message msg = {"user", o->prompt};
        if (slm_chat_render(model, o->chat_template, &msg, 1, 1, &rendered, err, err_size) != 0) return -1;
        text = rendered;
    }
    int rc = slm_tokenize(model, text, strlen(text), slm_add_bos_default(model), o->chat, ids, n, err, err_size);
    free(rendered);
    return rc;
}

static int collect(const slm_token_event *ev, void *user)
{
    id_list *l = user;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        int32_t *ids = realloc(l->ids, (size_t)cap * sizeof *ids);
        if (!ids) return 1;
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = ev->token;
    return 0;
}

static const char *stop_name(slm_stop_reason r)
{
    switch (r) {
    case SLM_STOP_EOG: return "eog";
    case SLM_STOP_CALLBACK: return "callback";
    case SLM_STOP_CONTEXT_FULL: return "context_full";
    default: return "max_tokens";
    }
}

static void print_result(const slm_model *model, const id_list *l, const slm_generate_stats *st)
{
    printf("ids:");
    for (int i = 0; i < l->n; i++) printf(" %d", (int)l->ids[i]);
    printf("\n");
    char *text = NULL, err[SLM_ERROR_SIZE];
    slm_model_info info;
    slm_model_get_info(model, &info);
    if (info.tokenizer_model[0]) {
        if (slm_detokenize(model, l->ids, l->n, 0, &text, err, sizeof err) == 0) printf("text: %s\n", text);
        else fprintf(stderr, "slmbench generate: %s\n", err);
        free(text);
    }
    struct rusage ru;
    long long rss = getrusage(RUSAGE_SELF, &ru) == 0 ? (long long)ru.ru_maxrss * 1024 : -1;
    printf("timing: prompt_tokens=%d ttft_ms=%.2f prefill_tps=%.1f decode_tps=%.1f rss_peak_bytes=%lld "
           "generated=%d stop=%s\n",
           st->n_prompt, st->ttft_ms, st->prefill_tps, st->decode_tps, rss, st->n_generated,
           stop_name(st->stop_reason));
}

static int run_generate(const gen_opts *o, slm_model *model)
{
    char err[SLM_ERROR_SIZE];
    int32_t *prompt = NULL;
    int n_prompt = 0;
    if (prompt_ids(o, model, &prompt, &n_prompt, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench generate: %s\n", err);
        return CMD_USAGE;
    }
    slm_context_params cp = slm_context_default_params();
    cp.n_threads = o->n_threads;
    cp.n_ctx = o->n_ctx;
    cp.kv_type = o->kv;
    slm_context *ctx = NULL;
    id_list l = {0};
    slm_generate_stats st;
    slm_generate_params gp = {o->n_predict, o->sampling};
    int rc = CMD_OK;
    if (slm_context_create(model, &cp, &ctx, err, sizeof err) != 0 ||
        slm_generate(ctx, prompt, n_prompt, &gp, collect, &l, &st, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench generate: %s\n", err);
        rc = CMD_FAILURE;
    } else {
        print_result(model, &l, &st);
    }
    free(l.ids);
    free(prompt);
    slm_context_free(ctx);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    gen_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CMD_OK) return rc;
    char err[SLM_ERROR_SIZE];
    slm_model *model = NULL;
    if (slm_model_load(o.model, &model, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench generate: %s\n", err);
        return CMD_USAGE;
    }
    rc = run_generate(&o, model);
    slm_model_free(model);
    return rc;
}
