/*
 * fuzz_tokenizer.c — libFuzzer target for the tokenizers: every input is
 * tokenized as arbitrary bytes (invalid UTF-8 included) by the byte-level BPE
 * (GPT-2) and the SentencePiece (Llama SPM, and Phi-3 with its added chat
 * tokens) vocabularies of tests/fixtures/tokenizer, with parse-special off
 * and on, and the ids are detokenized again with and without special tokens
 * rendered.
 *
 * Checked beyond "no ASan/UBSan report": every id is inside the vocabulary,
 * tokenizing never fails on text (the fixture vocabularies have known
 * pre-tokenizers), detokenized text is NUL-terminated at its length, and the
 * byte-level BPE tokenizer with parse-special off round-trips the input byte
 * for byte (it is lossless by construction).
 *
 * The vocabularies are loaded once in LLVMFuzzerInitialize (read-only after
 * that): libFuzzer's entry points give no other place to keep them. Run from
 * the repository root, or set SLM_FUZZ_VOCAB_DIR.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/slm.h"

typedef struct fuzz_vocab {
    const char *file;
    int lossless;  /* byte-level BPE: detokenize(tokenize(x)) == x without specials */
    slm_model *model;
} fuzz_vocab;

static fuzz_vocab fuzz_vocabs[] = {
    {"ggml-vocab-gpt-2.gguf", 1, NULL},
    {"ggml-vocab-llama-spm.gguf", 0, NULL},
    {"ggml-vocab-phi-3.gguf", 0, NULL}, /* SPM with added chat tokens (<|user|>, <|end|>...) */
};
#define FUZZ_N_VOCABS (sizeof fuzz_vocabs / sizeof fuzz_vocabs[0])

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("SLM_FUZZ_VOCAB_DIR");
    if (!dir || !*dir)
        dir = "tests/fixtures/tokenizer";
    for (size_t i = 0; i < FUZZ_N_VOCABS; i++) {
        char path[1024], err[SLM_ERROR_SIZE];
        snprintf(path, sizeof path, "%s/%s", dir, fuzz_vocabs[i].file);
        if (slm_vocab_load(path, &fuzz_vocabs[i].model, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    }
    return 0;
}

static void fuzz_detokenize(const fuzz_vocab *v, const int32_t *ids, int n, const uint8_t *data,
                            size_t size, int parse_special)
{
    for (int render_special = 0; render_special <= 1; render_special++) {
        char *text = NULL, err[SLM_ERROR_SIZE];
        if (slm_detokenize(v->model, ids, n, render_special, &text, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_tokenizer: %s: detokenize failed: %s\n", v->file, err);
            abort();
        }
        size_t len = strlen(text);
        if (v->lossless && !parse_special && (len != size || memcmp(text, data, size) != 0)) {
            fprintf(stderr, "fuzz_tokenizer: %s: round trip lost bytes (%zu in, %zu out)\n", v->file,
                    size, len);
            abort();
        }
        free(text);
    }
}

static void fuzz_one(const fuzz_vocab *v, const uint8_t *data, size_t size, int parse_special)
{
    int32_t *ids = NULL;
    int n = 0;
    char err[SLM_ERROR_SIZE];
    if (slm_tokenize(v->model, (const char *)data, size, 0, parse_special, &ids, &n, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_tokenizer: %s: tokenize failed: %s\n", v->file, err);
        abort();
    }
    int n_vocab = slm_n_vocab(v->model);
    char piece[64];
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= n_vocab) {
            fprintf(stderr, "fuzz_tokenizer: %s: id %d out of range\n", v->file, ids[i]);
            abort();
        }
        if (slm_token_to_piece(v->model, ids[i], piece, sizeof piece) < 0)
            abort();
    }
    fuzz_detokenize(v, ids, n, data, size, parse_special);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Text with an embedded NUL is still bytes of a given length to the
     * tokenizer, but it cannot come back out of a NUL-terminated string. */
    int has_nul = memchr(data, 0, size) != NULL;
    for (size_t i = 0; i < FUZZ_N_VOCABS; i++) {
        fuzz_vocab v = fuzz_vocabs[i];
        v.lossless = v.lossless && !has_nul;
        fuzz_one(&v, data, size, 0);
        fuzz_one(&v, data, size, 1);
    }
    return 0;
}
