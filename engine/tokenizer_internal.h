/*
 * tokenizer_internal.h — the tok_vocab structure and the functions the
 * tokenizer's own files (engine/tokenizer*.c) share. Nothing outside those
 * files includes this header; the rest of the engine uses tokenizer.h.
 *
 * Invariants of a loaded tok_vocab (established by tok_vocab_load):
 *  - every token text is copied into text_arena (the vocabulary does not
 *    depend on the GGUF mapping staying open) and NUL-terminated there;
 *  - every id stored anywhere (bos, eos, byte_token, merges, specials, eog)
 *    is -1 or in [0, n_tokens);
 *  - piece_arena holds each token's detokenized bytes (byte-level decoded for
 *    BPE, "▁" -> " " and <0xNN> -> byte for SPM), so decoding is a copy;
 *  - the PCRE2 patterns are compiled (and JIT-compiled where available) once
 *    here and only read afterwards, so a vocab may be shared across threads;
 *    per-call match state lives in the caller's tok_split_state.
 */
#ifndef TOKENIZER_INTERNAL_H
#define TOKENIZER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* tokenizer.ggml.token_type values (as written by llama.cpp's converters). */
enum {
    TOK_TYPE_UNDEFINED = 0,
    TOK_TYPE_NORMAL = 1,
    TOK_TYPE_UNKNOWN = 2,
    TOK_TYPE_CONTROL = 3,
    TOK_TYPE_USER_DEFINED = 4,
    TOK_TYPE_UNUSED = 5,
    TOK_TYPE_BYTE = 6
};

typedef enum tok_kind { TOK_KIND_SPM = 0, TOK_KIND_BPE = 1 } tok_kind;

enum { TOK_STRIP_LEFT = 1, TOK_STRIP_RIGHT = 2 };

#define TOK_MAX_REGEX 6

/* Open-addressing hash: token text -> id. */
typedef struct tok_text_index {
    int32_t *slots; /* -1 = empty */
    uint32_t mask;
} tok_text_index;

/* Open-addressing hash: (left id, right id) -> merge rank and merged id. */
typedef struct tok_merge_slot {
    uint64_t key; /* (left << 32) | right; UINT64_MAX = empty */
    int32_t rank;
    int32_t merged;
} tok_merge_slot;

typedef struct tok_merge_index {
    tok_merge_slot *slots;
    uint32_t mask;
    uint32_t count;
} tok_merge_index;

struct tok_vocab {
    tok_kind kind;
    char path[512];
    char model[32];
    char pre[64];
    int32_t n_tokens;

    char *text_arena;
    uint32_t *text_offset;
    uint32_t *text_len;
    char *piece_arena;
    uint32_t *piece_offset;
    uint32_t *piece_len;
    float *scores;
    uint8_t *types;
    tok_text_index index;

    int32_t byte_token[256]; /* BPE: token of the byte's unicode char; SPM: <0xNN> */
    uint8_t spm_breaks[128]; /* SPM: ASCII bytes no multi-character piece contains,
                              * so no merge crosses them (lets SPM work in chunks) */
    int16_t unicode_to_byte[324]; /* BPE decoding; -1 = not a byte-level char */

    tok_merge_index merges;    /* BPE */
    pcre2_code *regex[TOK_MAX_REGEX];
    int n_regex;
    int regex_jit;             /* all patterns JIT-compiled */
    int ignore_merges;         /* a whole pre-token found in the vocab is one token */
    /* Non-empty when text cannot be tokenized faithfully (an unknown
     * tokenizer.ggml.pre): encoding fails with this message, decoding works. */
    char encode_error[256];

    /* Tokens matched in raw text before splitting: user-defined always,
     * control/unknown only with parse_special. Sorted by first byte, then by
     * text length, longest first; those starting with byte b are
     * specials[special_bucket[b] .. special_bucket[b + 1]). */
    int32_t *specials;
    int n_specials;
    uint32_t special_bucket[257];
    /* Whitespace a verbatim token absorbs (Hugging Face lstrip/rstrip), per id;
     * NULL when no token does. GGUF has no key for it, so it is set by model
     * name as llama.cpp does (Phi-3's chat tokens absorb the newline after them). */
    uint8_t *strip;

    int32_t bos, eos, eot, eom, unk, pad;
    int add_bos, add_eos, add_space_prefix;
    int32_t *eog;
    int n_eog;
};

/* ---- shared helpers (tokenizer_vocab.c) ---- */
int32_t tok_lookup(const tok_vocab *v, const char *text, size_t len); /* -1 if absent */
const char *tok_text(const tok_vocab *v, int32_t id, size_t *len);
uint32_t tok_utf8_len(const unsigned char *s, size_t avail); /* 1..4, bytes of a valid char or 1 */
size_t tok_utf8_encode(uint32_t cp, char *out);

/* ---- growable id list ---- */
typedef struct tok_ids {
    int32_t *data;
    int n, cap;
    int failed; /* out of memory: later pushes are dropped */
} tok_ids;
void tok_ids_push(tok_ids *ids, int32_t id);

/* ---- algorithms ---- */
/* Byte-level BPE pre-tokenizer + merges for one raw fragment (no specials inside). */
typedef struct tok_bpe_state tok_bpe_state;
int tok_bpe_state_create(const tok_vocab *v, tok_bpe_state **out, char *err, size_t err_size);
void tok_bpe_state_free(tok_bpe_state *s);
int tok_bpe_encode(const tok_vocab *v, tok_bpe_state *s, const char *text, size_t len,
                   tok_ids *out, char *err, size_t err_size);
int tok_bpe_compile(tok_vocab *v, char *err, size_t err_size);
/* The pre-tokenizer alone: the end offset of every word of text, in order. */
int tok_bpe_pretokenize(const tok_vocab *v, const char *text, size_t len, tok_ids *ends,
                        char *err, size_t err_size);
int tok_bpe_load_merges(tok_vocab *v, const gguf_file *f, char *err, size_t err_size);
void tok_bpe_init_byte_maps(tok_vocab *v);
size_t tok_bpe_decode_text(const tok_vocab *v, const char *text, size_t len, char *out);

/* SentencePiece-style: text already has its prefix space; spaces become ▁ inside. */
int tok_spm_encode(const tok_vocab *v, const char *text, size_t len, int add_prefix_space,
                   tok_ids *out, char *err, size_t err_size);

/* The whole pipeline: specials, pre-tokenization, model; BOS/EOS as asked. */
int tok_encode(const tok_vocab *v, const char *text, size_t len, int add_bos, int add_eos,
               int parse_special, tok_ids *out, char *err, size_t err_size);
int tok_decode(const tok_vocab *v, const int32_t *ids, int n, int render_special,
               char **out, size_t *out_len, char *err, size_t err_size);
int tok_is_eog(const tok_vocab *v, int32_t id);

#endif /* TOKENIZER_INTERNAL_H */
