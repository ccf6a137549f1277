/*
 * test_tokenizer.c — conformance of the tokenizers with the upstream test
 * vectors: every case of every ggml-vocab-*.gguf.inp must tokenize (no BOS,
 * special tokens not parsed) to exactly the ids on the matching .out line.
 *
 * The vocabularies in tests/fixtures/tokenizer always run; those in
 * $SLM_SHARED_DIR/fixtures/tokenizer (default ../shared relative to the repo)
 * run when that directory exists, otherwise a visible notice says they did not.
 * Every case is also decoded and must give back its input (all of these
 * vectors are lossless for their vocabularies).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

#define SEPARATOR "\n__ggml_vocab_test__\n"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* Parses one line of ids; returns the count. */
static int parse_ids(const char *line, const char *end, int32_t *ids, int max)
{
    int n = 0;
    const char *p = line;
    while (p < end && n < max) {
        char *next;
        long value = strtol(p, &next, 10);
        if (next == p)
            break;
        ids[n++] = (int32_t)value;
        p = next;
    }
    return n;
}

static void print_ids(const char *label, const int32_t *ids, int n)
{
    fprintf(stderr, "    %s:", label);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %d", (int)ids[i]);
    fprintf(stderr, "\n");
}

typedef struct vocab_result {
    int cases, passed, round_trips;
} vocab_result;

static void check_case(const tok_vocab *v, const char *name, const char *text, size_t len,
                       const char *line, const char *line_end, vocab_result *r)
{
    int32_t expected[4096];
    int n_expected = parse_ids(line, line_end, expected, 4096);
    tok_ids got = {0};
    char err[512];
    r->cases++;
    if (tok_encode(v, text, len, 0, 0, 0, &got, err, sizeof err) != 0) {
        fprintf(stderr, "  %s case %d: error %s\n", name, r->cases, err);
        return;
    }
    if (got.n == n_expected && (got.n == 0 || memcmp(got.data, expected, (size_t)got.n * sizeof(int32_t)) == 0)) {
        r->passed++;
    } else {
        fprintf(stderr, "  %s case %d MISMATCH for \"%.*s\"\n", name, r->cases, (int)len, text);
        print_ids("expected", expected, n_expected);
        print_ids("got     ", got.data, got.n);
    }
    char *back = NULL;
    size_t back_len = 0;
    if (tok_decode(v, got.data, got.n, 0, &back, &back_len, err, sizeof err) == 0 &&
        back_len == len && (len == 0 || memcmp(back, text, len) == 0))
        r->round_trips++;
    free(back);
    free(got.data);
}

/* Runs one vocabulary's vectors; returns the number of failed cases (or 1 if unreadable). */
static int run_vocab(const char *dir, const char *gguf_name, int *n_cases)
{
    char path[1024], inp_path[1100], out_path[1100], err[512];
    snprintf(path, sizeof path, "%.700s/%.255s", dir, gguf_name);
    snprintf(inp_path, sizeof inp_path, "%s.inp", path);
    snprintf(out_path, sizeof out_path, "%s.out", path);
    size_t inp_len, out_len;
    char *inp = read_all(inp_path, &inp_len), *out = read_all(out_path, &out_len);
    gguf_file *f = NULL;
    tok_vocab *v = NULL;
    int failed = 1;
    if (!inp || !out || gguf_open(path, &f, err, sizeof err) != 0 ||
        tok_vocab_load(f, path, &v, err, sizeof err) != 0 || v == NULL) {
        fprintf(stderr, "  %s: cannot load: %s\n", gguf_name, inp && out ? err : "missing .inp/.out");
        goto done;
    }
    vocab_result r = {0};
    const char *text = inp, *line = out;
    const char *sep;
    while ((sep = strstr(text, SEPARATOR)) != NULL) {
        const char *line_end = memchr(line, '\n', (size_t)(out + out_len - line));
        if (line_end == NULL)
            line_end = out + out_len;
        check_case(v, gguf_name, text, (size_t)(sep - text), line, line_end, &r);
        text = sep + strlen(SEPARATOR);
        line = line_end < out + out_len ? line_end + 1 : line_end;
    }
    printf("  %-36s %s/%s: %d/%d cases match, %d/%d round-trip\n", gguf_name, v->model, v->pre,
           r.passed, r.cases, r.round_trips, r.cases);
    *n_cases += r.cases;
    /* Every vector of these vocabularies is lossless upstream too, so a case
     * that does not come back is a decoding bug. */
    failed = r.cases - r.passed + (r.cases - r.round_trips) + (r.cases == 0);
done:
    tok_vocab_free(v);
    gguf_close(f);
    free(inp);
    free(out);
    return failed;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int run_dir(const char *dir, int *n_vocabs, int *n_cases)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    char names[64][256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64)
        if (ends_with(e->d_name, ".gguf"))
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    int failed = 0;
    printf("tokenizer vectors in %s:\n", dir);
    for (int i = 0; i < n; i++)
        failed += run_vocab(dir, names[i], n_cases);
    *n_vocabs += n;
    return failed;
}

static void test_fixture_vectors_in_repo(void **state)
{
    (void)state;
    int n_vocabs = 0, n_cases = 0;
    int failed = run_dir("tests/fixtures/tokenizer", &n_vocabs, &n_cases);
    assert_int_equal(failed, 0);
    assert_true(n_vocabs >= 2);
    assert_true(n_cases >= 2 * 40);
}

static void test_fixture_vectors_in_shared(void **state)
{
    (void)state;
    const char *shared = getenv("SLM_SHARED_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fixtures/tokenizer", shared && *shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("NOTICE: %s not present: shared tokenizer vectors NOT checked "
               "(set SLM_SHARED_DIR to run them)\n", dir);
        skip();
    }
    closedir(d);
    int n_vocabs = 0, n_cases = 0;
    int failed = run_dir(dir, &n_vocabs, &n_cases);
    printf("  shared: %d vocabularies, %d cases, %d failed\n", n_vocabs, n_cases, failed);
    assert_int_equal(failed, 0);
    assert_true(n_vocabs > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_vectors_in_repo),
        cmocka_unit_test(test_fixture_vectors_in_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
