/*
 * cmd_logits.c — `slmbench logits`: the logits of every position of a token
 * list, as little-endian float32 [n_tokens][n_vocab], written atomically.
 *
 *   slmbench logits -m MODEL --tokens 1,2,3 --out FILE
 *                   [--incremental] [--threads N] [--kv f16|f32] [--ctx N]
 *
 * Default: one batched prefill. --incremental feeds the tokens one at a time
 * through the KV cache (the decode path), which must agree with the batch.
 * Invariants: nothing is written unless every position was computed; the
 * output replaces FILE only as a whole (temp file + fsync + rename).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"
#include "harness/commands.h"
#include "results/results.h"

typedef struct logits_opts {
    const char *model, *tokens_text, *out;
    int incremental, n_threads, n_ctx;
    slm_kv_type kv;
} logits_opts;

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "slmbench logits: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return CMD_USAGE;
}

static int parse_int(const char *text, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) return -1;
    *out = (int)v;
    return 0;
}

static int parse_opts(int argc, char **argv, logits_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--incremental")) o->incremental = 1;
        else if (!has_value && (!strcmp(a, "-m") || !strcmp(a, "--model") || !strcmp(a, "--tokens") ||
                                !strcmp(a, "--out") || !strcmp(a, "-o") || !strcmp(a, "--threads") ||
                                !strcmp(a, "--kv") || !strcmp(a, "--ctx")))
            return usage_error("missing value for", a);
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) o->model = argv[++i];
        else if (!strcmp(a, "--tokens")) o->tokens_text = argv[++i];
        else if (!strcmp(a, "--out") || !strcmp(a, "-o")) o->out = argv[++i];
        else if (!strcmp(a, "--threads")) {
            if (parse_int(argv[++i], 1, 1024, &o->n_threads)) return usage_error("--threads wants 1..1024, got", argv[i]);
        } else if (!strcmp(a, "--ctx")) {
            if (parse_int(argv[++i], 1, 1 << 20, &o->n_ctx)) return usage_error("--ctx wants 1..1048576, got", argv[i]);
        } else if (!strcmp(a, "--kv")) {
            const char *v = argv[++i];
            if (!strcmp(v, "f16")) o->kv = SLM_KV_F16;
            else if (!strcmp(v, "f32")) o->kv = SLM_KV_F32;
            else return usage_error("--kv wants f16 or f32, got", v);
        } else return usage_error("unknown option", a);
    }
    if (!o->model || !o->tokens_text || !o->out)
        return usage_error("usage: slmbench logits -m MODEL --tokens 1,2,3 --out FILE "
                           "[--incremental] [--threads N] [--kv f16|f32] [--ctx N]", NULL);
    return CMD_OK;
}

/* "1,2,3" -> malloc'd ids (range-checked later against the model). */
static int parse_tokens(const char *text, int32_t **out, int *n_out)
{
    int cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    if (!ids) return -1;
    int n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            free(ids);
            return -1;
        }
        ids[n++] = (int32_t)v;
        if (!*end) break;
        p = end + 1;
    }
    *out = ids;
    *n_out = n;
    return 0;
}

static int compute(slm_context *ctx, const int32_t *ids, int n, int incremental, float *logits, char *err,
                   size_t err_size, int n_vocab)
{
    if (!incremental) return slm_eval(ctx, ids, n, logits, err, err_size);
    for (int i = 0; i < n; i++)
        if (slm_eval(ctx, &ids[i], 1, logits + (size_t)i * n_vocab, err, err_size) != 0) return -1;
    return 0;
}

static int run_logits(const logits_opts *o, const int32_t *ids, int n)
{
    char err[SLM_ERROR_SIZE];
    slm_model *model = NULL;
    slm_context *ctx = NULL;
    float *logits = NULL;
    int rc = CMD_FAILURE;
    if (slm_model_load(o->model, &model, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench logits: %s\n", err);
        return CMD_USAGE;
    }
    slm_context_params cp = slm_context_default_params();
    cp.n_threads = o->n_threads;
    cp.kv_type = o->kv;
    cp.n_ctx = o->n_ctx;
    int n_vocab = slm_n_vocab(model);
    if (slm_context_create(model, &cp, &ctx, err, sizeof err) != 0) goto done;
    logits = malloc((size_t)n * (size_t)n_vocab * sizeof(float));
    if (!logits) {
        snprintf(err, sizeof err, "%s: out of memory for %d x %d logits", o->model, n, n_vocab);
        goto done;
    }
    if (compute(ctx, ids, n, o->incremental, logits, err, sizeof err, n_vocab) != 0) {
        rc = CMD_USAGE; /* overflow or a bad token id: the request was at fault */
        goto done;
    }
    if (res_write_file_atomic(o->out, (const char *)logits, (size_t)n * (size_t)n_vocab * sizeof(float), err,
                              sizeof err) != 0)
        goto done;
    rc = CMD_OK;
done:
    if (rc != CMD_OK) fprintf(stderr, "slmbench logits: %s\n", err);
    free(logits);
    slm_context_free(ctx);
    slm_model_free(model);
    return rc;
}

int cmd_logits(int argc, char **argv)
{
    logits_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CMD_OK) return rc;
    int32_t *ids = NULL;
    int n = 0;
    if (parse_tokens(o.tokens_text, &ids, &n) != 0)
        return usage_error("--tokens wants comma-separated non-negative ids, got", o.tokens_text);
    rc = run_logits(&o, ids, n);
    free(ids);
    return rc;
}
