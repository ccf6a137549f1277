/*
 * cmd_tokenize.c — `slmbench tokenize` and `slmbench detokenize`.
 *
 *   slmbench tokenize -m MODEL (-p TEXT | --file F) [--ids] [--bos] [--parse-special]
 *                     [--json] [--bench [--seconds S]]
 *   slmbench detokenize -m MODEL --ids "1 2 3" [--special]
 *
 * tokenize prints the ids on one line separated by single spaces (no BOS and
 * special-token text not parsed unless asked: the convention of the upstream
 * test vectors); without --ids it then prints one line per token, "ID<TAB>PIECE"
 * with the piece C-escaped. --bench tokenizes the text repeatedly on this one
 * thread for at least S seconds (default 1) and reports MB/s (1e6 bytes) by
 * wall time and by the thread's CPU time.
 * detokenize prints the text exactly (no newline added); control tokens are
 * rendered only with --special.
 *
 * Only the tokenizer is loaded (slm_vocab_load), so ggml-vocab-*.gguf files
 * work as well as full models. Exit status: 0 ok, 2 bad input (usage, missing
 * or malformed model, no tokenizer metadata, bad id), 3 runtime failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/slm.h"
#include "harness/cli.h"
#include "harness/commands.h"
#include "results/results.h"

typedef struct tokenize_args {
    const char *model, *prompt, *file, *ids_text;
    int ids_only, bos, parse_special, json, bench, special, help;
    double bench_seconds;
} tokenize_args;

static int tok_fail(const char *cmd, int status, const char *msg)
{
    fprintf(stderr, "slmbench %s: %s\n", cmd, msg);
    return status;
}

static int parse_args(const char *cmd, int argc, char **argv, tokenize_args *a)
{
    memset(a, 0, sizeof *a);
    a->bench_seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        int has_value = i + 1 < argc;
        if ((!strcmp(f, "-m") || !strcmp(f, "--model")) && has_value) a->model = argv[++i];
        else if ((!strcmp(f, "-p") || !strcmp(f, "--prompt")) && has_value) a->prompt = argv[++i];
        else if (!strcmp(f, "--file") && has_value) a->file = argv[++i];
        else if (!strcmp(f, "--ids") && !strcmp(cmd, "detokenize") && has_value) a->ids_text = argv[++i];
        else if (!strcmp(f, "--ids") && !strcmp(cmd, "tokenize")) a->ids_only = 1;
        else if (!strcmp(f, "--help") || !strcmp(f, "-h")) a->help = 1;
        else if (!strcmp(f, "--bos")) a->bos = 1;
        else if (!strcmp(f, "--parse-special")) a->parse_special = 1;
        else if (!strcmp(f, "--special")) a->special = 1;
        else if (!strcmp(f, "--json")) a->json = 1;
        else if (!strcmp(f, "--bench")) a->bench = 1;
        else if (!strcmp(f, "--seconds") && has_value) {
            char err[256];
            if (cli_double(f, argv[++i], 0.001, 600, &a->bench_seconds, err, sizeof err) != 0) {
                fprintf(stderr, "slmbench %s: %s\n", cmd, err);
                return -1;
            }
        } else {
            fprintf(stderr, "slmbench %s: unknown flag or missing value: %s\n", cmd, f);
            return -1;
        }
    }
    return 0;
}

/* ---- output ------------------------------------------------------------------ */

static void put_escaped(FILE *out, const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c == '\\') fputs("\\\\", out);
        else if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
        else fputc(c, out);
    }
}

/* The piece as it appears in output, or the token's text when it renders as nothing. */
static int token_display(const slm_model *m, int32_t id, char *buf, size_t size)
{
    int n = slm_token_to_piece(m, id, buf, size);
    if (n > 0)
        return n;
    char err[SLM_ERROR_SIZE], *text = NULL;
    if (slm_detokenize(m, &id, 1, 1, &text, err, sizeof err) != 0)
        return 0;
    snprintf(buf, size, "%s", text);
    free(text);
    return (int)strlen(buf);
}

static void print_plain(const slm_model *m, const int32_t *ids, int n, int ids_only)
{
    for (int i = 0; i < n; i++)
        printf(i ? " %d" : "%d", (int)ids[i]);
    printf("\n");
    if (ids_only)
        return;
    char piece[1024];
    for (int i = 0; i < n; i++) {
        int len = token_display(m, ids[i], piece, sizeof piece);
        printf("%d\t", (int)ids[i]);
        put_escaped(stdout, piece, len);
        printf("\n");
    }
}

/* Bytes of a valid UTF-8 character at s (at most n), or 0. */
static int utf8_char_len(const unsigned char *s, int n)
{
    int len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n || (len == 2 && s[0] < 0xC2))
        return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* JSON strings must be valid UTF-8: the bytes of a partial character (a byte
 * token, half an emoji) are written as <0xNN>. out holds 6 * n + 1 bytes. */
static void json_safe_piece(const char *piece, int n, char *out)
{
    const unsigned char *s = (const unsigned char *)piece;
    size_t o = 0;
    for (int i = 0; i < n;) {
        int len = utf8_char_len(s + i, n - i);
        if (len == 0 || s[i] == 0) {
            o += (size_t)sprintf(out + o, "<0x%02X>", s[i]);
            i++;
        } else {
            memcpy(out + o, s + i, (size_t)len);
            o += (size_t)len;
            i += len;
        }
    }
    out[o] = '\0';
}

static int print_json(const slm_model *m, const char *model_path, const int32_t *ids, int n, int ids_only)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", model_path);
    cJSON_AddNumberToObject(o, "n_tokens", n);
    cJSON *arr = cJSON_AddArrayToObject(o, "ids");
    cJSON *pieces = ids_only ? NULL : cJSON_AddArrayToObject(o, "pieces");
    char piece[1024];
    for (int i = 0; i < n; i++) {
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
        if (pieces) {
            char valid[6 * sizeof piece + 1];
            int len = token_display(m, ids[i], piece, sizeof piece);
            json_safe_piece(piece, len, valid);
            cJSON_AddItemToArray(pieces, cJSON_CreateString(valid));
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s == NULL)
        return -1;
    printf("%s\n", s);
    free(s);
    return 0;
}

/* ---- bench ---------------------------------------------------------------------- */

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_bench(const slm_model *m, const tokenize_args *a, const char *text, size_t len)
{
    char err[SLM_ERROR_SIZE];
    /* Wall time is what a user waits; thread CPU time is the speed of one core
     * even when other processes share it (the machine may be busy). */
    double start = clock_seconds(CLOCK_MONOTONIC), cpu_start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    double elapsed = 0;
    long repeats = 0;
    int n_tokens = 0;
    do {
        int32_t *ids = NULL;
        if (slm_tokenize(m, text, len, a->bos, a->parse_special, &ids, &n_tokens, err, sizeof err) != 0)
            return tok_fail("tokenize", CMD_FAILURE, err);
        free(ids);
        repeats++;
        elapsed = clock_seconds(CLOCK_MONOTONIC) - start;
    } while (elapsed < a->bench_seconds);
    double cpu = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    double bytes = (double)len * (double)repeats;
    double wall_mb_s = bytes / elapsed / 1e6, cpu_mb_s = cpu > 0 ? bytes / cpu / 1e6 : 0;
    if (a->json)
        printf("{\"model\":\"%s\",\"bytes\":%zu,\"n_tokens\":%d,\"repeats\":%ld,\"wall_s\":%.3f,"
               "\"cpu_s\":%.3f,\"threads\":1,\"tokenize_mb_per_s\":%.3f,\"tokenize_cpu_mb_per_s\":%.3f}\n",
               a->model, len, n_tokens, repeats, elapsed, cpu, wall_mb_s, cpu_mb_s);
    else
        printf("tokenize: %zu bytes -> %d tokens, %ld repeats, one thread: %.2f MB/s wall (%.2f s), "
               "%.2f MB/s CPU time (%.2f s)\n", len, n_tokens, repeats, wall_mb_s, elapsed, cpu_mb_s, cpu);
    return CMD_OK;
}

/* ---- commands --------------------------------------------------------------------- */

static const char tokenize_usage[] =
    "usage: slmbench tokenize -m MODEL (-p TEXT | --file F) [--ids] [--bos] [--parse-special] [--json] "
    "[--bench [--seconds S]]";

static const char detokenize_usage[] = "usage: slmbench detokenize -m MODEL --ids \"1 2 3\" [--special]";

int cmd_tokenize(int argc, char **argv)
{
    tokenize_args a;
    char err[SLM_ERROR_SIZE];
    if (parse_args("tokenize", argc, argv, &a) != 0)
        return CMD_USAGE;
    if (a.help) {
        printf("%s\n", tokenize_usage);
        return CMD_OK;
    }
    if (a.model == NULL || (a.prompt == NULL) == (a.file == NULL))
        return tok_fail("tokenize", CMD_USAGE, tokenize_usage);
    size_t len = 0;
    char *text = a.file ? res_read_file(a.file, SIZE_MAX, &len, err, sizeof err) : NULL;
    if (a.file && text == NULL)
        return tok_fail("tokenize", CMD_USAGE, err);
    if (a.prompt)
        len = strlen(a.prompt);
    slm_model *m = NULL;
    if (slm_vocab_load(a.model, &m, err, sizeof err) != 0) {
        free(text);
        return tok_fail("tokenize", CMD_USAGE, err);
    }
    const char *input = text ? text : a.prompt;
    int status = CMD_OK;
    int32_t *ids = NULL;
    int n = 0;
    if (a.bench)
        status = run_bench(m, &a, input, len);
    else if (slm_tokenize(m, input, len, a.bos, a.parse_special, &ids, &n, err, sizeof err) != 0)
        status = tok_fail("tokenize", CMD_FAILURE, err);
    else if (a.json)
        status = print_json(m, a.model, ids, n, a.ids_only) == 0 ? CMD_OK : CMD_FAILURE;
    else
        print_plain(m, ids, n, a.ids_only);
    free(ids);
    free(text);
    slm_model_free(m);
    return status;
}

/* "1 2 3" or "1,2,3" -> ids; fails on anything else. */
static int parse_id_list(const char *s, int32_t **out, int *n_out, char *err, size_t err_size)
{
    size_t cap = strlen(s) / 2 + 1;
    int32_t *ids = malloc(cap * sizeof *ids);
    int n = 0;
    if (ids == NULL) {
        snprintf(err, err_size, "--ids: out of memory");
        return -1;
    }
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && !strchr(" ,\t\n", *end))) {
            snprintf(err, err_size, "--ids: \"%.40s\" is not a list of token ids", p);
            free(ids);
            return -1;
        }
        ids[n++] = (int32_t)v;
        p = end;
    }
    *out = ids;
    *n_out = n;
    return 0;
}

int cmd_detokenize(int argc, char **argv)
{
    tokenize_args a;
    char err[SLM_ERROR_SIZE];
    if (parse_args("detokenize", argc, argv, &a) != 0)
        return CMD_USAGE;
    if (a.help) {
        printf("%s\n", detokenize_usage);
        return CMD_OK;
    }
    if (a.model == NULL || a.ids_text == NULL)
        return tok_fail("detokenize", CMD_USAGE, detokenize_usage);
    int32_t *ids = NULL;
    int n = 0;
    if (parse_id_list(a.ids_text, &ids, &n, err, sizeof err) != 0)
        return tok_fail("detokenize", CMD_USAGE, err);
    slm_model *m = NULL;
    if (slm_vocab_load(a.model, &m, err, sizeof err) != 0) {
        free(ids);
        return tok_fail("detokenize", CMD_USAGE, err);
    }
    char *text = NULL;
    int status = CMD_OK;
    if (slm_detokenize(m, ids, n, a.special, &text, err, sizeof err) != 0)
        status = tok_fail("detokenize", CMD_USAGE, err); /* the only failure: an id out of range */
    else
        fwrite(text, 1, strlen(text), stdout);
    free(text);
    free(ids);
    slm_model_free(m);
    return status;
}
