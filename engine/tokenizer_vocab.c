/*
 * tokenizer_vocab.c — loads a tok_vocab from GGUF metadata (tokenizer.ggml.*):
 * token texts, scores, types, special ids and flags, the end-of-generation set,
 * the list of tokens matched before splitting, and each token's decoded piece.
 * The BPE-specific parts (merges, byte maps, pre-tokenizer patterns) are in
 * tokenizer_bpe.c.
 *
 * Invariants: see tokenizer_internal.h. Every count and id read from the file
 * is checked before use; a malformed tokenizer fails with "PATH: problem".
 * When two tokens share a text, the lower id wins the text -> id lookup.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

static int fail(char *err, size_t err_size, const char *path, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, err_size, "%s: %s", path, msg);
    return -1;
}

/* ---- small shared helpers -------------------------------------------------- */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

const char *tok_text(const tok_vocab *v, int32_t id, size_t *len)
{
    *len = v->text_len[id];
    return v->text_arena + v->text_offset[id];
}

int32_t tok_lookup(const tok_vocab *v, const char *text, size_t len)
{
    uint32_t i = hash_bytes(text, len) & v->index.mask;
    for (;; i = (i + 1) & v->index.mask) {
        int32_t id = v->index.slots[i];
        if (id < 0)
            return -1;
        if (v->text_len[id] == len && memcmp(v->text_arena + v->text_offset[id], text, len) == 0)
            return id;
    }
}

uint32_t tok_utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    uint32_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n <= 1 || n > avail)
        return 1;
    for (uint32_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    /* Reject overlong forms and surrogates so "valid" means what PCRE2 means. */
    uint32_t cp = n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (uint32_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3Fu);
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 1;
    return n;
}

size_t tok_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void tok_ids_push(tok_ids *ids, int32_t id)
{
    if (ids->failed)
        return;
    if (ids->n == ids->cap) {
        if (ids->cap > INT32_MAX / 2) { /* counts are ints in slm.h */
            ids->failed = 1;
            return;
        }
        int cap = ids->cap ? ids->cap * 2 : 64;
        int32_t *grown = realloc(ids->data, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            ids->failed = 1;
            return;
        }
        ids->data = grown;
        ids->cap = cap;
    }
    ids->data[ids->n++] = id;
}

/* ---- token texts, scores, types --------------------------------------------- */

static int load_texts(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    gguf_value_type type;
    uint64_t count;
    if (gguf_get_array_info(f, "tokenizer.ggml.tokens", &type, &count) != 0)
        return fail(err, err_size, v->path, "tokenizer.ggml.model present but tokenizer.ggml.tokens missing");
    if (type != GGUF_VALUE_STRING || count == 0 || count > (1u << 24))
        return fail(err, err_size, v->path, "tokenizer.ggml.tokens: not a string array of 1..16M entries");
    v->n_tokens = (int32_t)count;
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        gguf_str s;
        if (gguf_get_array_str(f, "tokenizer.ggml.tokens", i, &s) != 0)
            return fail(err, err_size, v->path, "tokenizer.ggml.tokens[%llu] unreadable", (unsigned long long)i);
        total += s.len + 1;
    }
    if (total >= UINT32_MAX)
        return fail(err, err_size, v->path, "tokenizer.ggml.tokens: texts too large");
    v->text_arena = malloc(total);
    v->text_offset = malloc(count * sizeof *v->text_offset);
    v->text_len = malloc(count * sizeof *v->text_len);
    if (!v->text_arena || !v->text_offset || !v->text_len)
        return fail(err, err_size, v->path, "out of memory for the vocabulary");
    uint32_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        gguf_str s;
        gguf_get_array_str(f, "tokenizer.ggml.tokens", i, &s);
        memcpy(v->text_arena + at, s.data, s.len);
        v->text_arena[at + s.len] = '\0';
        v->text_offset[i] = at;
        v->text_len[i] = (uint32_t)s.len;
        at += (uint32_t)s.len + 1;
    }
    return 0;
}

static int load_scores_types(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    size_t n = (size_t)v->n_tokens;
    v->scores = calloc(n, sizeof *v->scores);
    v->types = malloc(n);
    if (!v->scores || !v->types)
        return fail(err, err_size, v->path, "out of memory for the vocabulary");
    memset(v->types, TOK_TYPE_NORMAL, n);
    gguf_value_type type;
    uint64_t count;
    if (gguf_get_array_info(f, "tokenizer.ggml.scores", &type, &count) == 0) {
        if (type != GGUF_VALUE_FLOAT32 || count != n)
            return fail(err, err_size, v->path, "tokenizer.ggml.scores: %llu entries for %zu tokens (or not f32)",
                        (unsigned long long)count, n);
        memcpy(v->scores, gguf_get_array_data(f, "tokenizer.ggml.scores"), n * sizeof(float));
    }
    if (gguf_get_array_info(f, "tokenizer.ggml.token_type", &type, &count) == 0) {
        if ((type != GGUF_VALUE_INT32 && type != GGUF_VALUE_UINT32) || count != n)
            return fail(err, err_size, v->path, "tokenizer.ggml.token_type: %llu entries for %zu tokens (or not i32)",
                        (unsigned long long)count, n);
        const unsigned char *raw = gguf_get_array_data(f, "tokenizer.ggml.token_type");
        for (size_t i = 0; i < n; i++) {
            int32_t t;
            memcpy(&t, raw + 4 * i, 4);
            v->types[i] = (uint8_t)(t >= 0 && t <= TOK_TYPE_BYTE ? t : TOK_TYPE_UNDEFINED);
        }
    }
    return 0;
}

static int build_index(tok_vocab *v, char *err, size_t err_size)
{
    uint32_t cap = 1024;
    while (cap < (uint32_t)v->n_tokens * 2u)
        cap *= 2;
    v->index.slots = malloc(cap * sizeof *v->index.slots);
    if (v->index.slots == NULL)
        return fail(err, err_size, v->path, "out of memory for the vocabulary index");
    memset(v->index.slots, 0xFF, cap * sizeof *v->index.slots);
    v->index.mask = cap - 1;
    for (int32_t id = 0; id < v->n_tokens; id++) {
        size_t len;
        const char *t = tok_text(v, id, &len);
        if (tok_lookup(v, t, len) >= 0)
            continue; /* duplicate text: the lower id keeps it */
        uint32_t i = hash_bytes(t, len) & v->index.mask;
        while (v->index.slots[i] >= 0)
            i = (i + 1) & v->index.mask;
        v->index.slots[i] = id;
    }
    return 0;
}

/* ---- special ids and flags ------------------------------------------------------ */

static int read_id(tok_vocab *v, const gguf_file *f, const char *key, int32_t *out,
                   char *err, size_t err_size)
{
    uint32_t id;
    if (gguf_find_key(f, key) < 0)
        return 0;
    if (gguf_get_u32(f, key, &id) != 0 || id >= (uint32_t)v->n_tokens)
        return fail(err, err_size, v->path, "%s out of range (vocabulary has %d tokens)", key, v->n_tokens);
    *out = (int32_t)id;
    return 0;
}

static int read_flag(const gguf_file *f, const char *key, int fallback)
{
    int value;
    return gguf_get_bool(f, key, &value) == 0 ? (value != 0) : fallback;
}

static int load_special_ids(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    v->bos = v->eos = v->eot = v->eom = v->unk = v->pad = -1;
    if (v->kind == TOK_KIND_SPM) { /* SentencePiece's fixed defaults, when present */
        v->bos = tok_lookup(v, "<s>", 3);
        v->eos = tok_lookup(v, "</s>", 4);
        v->unk = tok_lookup(v, "<unk>", 5);
    }
    if (read_id(v, f, "tokenizer.ggml.bos_token_id", &v->bos, err, err_size) ||
        read_id(v, f, "tokenizer.ggml.eos_token_id", &v->eos, err, err_size) ||
        read_id(v, f, "tokenizer.ggml.eot_token_id", &v->eot, err, err_size) ||
        read_id(v, f, "tokenizer.ggml.eom_token_id", &v->eom, err, err_size) ||
        read_id(v, f, "tokenizer.ggml.unknown_token_id", &v->unk, err, err_size) ||
        read_id(v, f, "tokenizer.ggml.padding_token_id", &v->pad, err, err_size))
        return -1;
    int spm = v->kind == TOK_KIND_SPM;
    v->add_bos = read_flag(f, "tokenizer.ggml.add_bos_token", spm) && v->bos >= 0;
    v->add_eos = read_flag(f, "tokenizer.ggml.add_eos_token", 0) && v->eos >= 0;
    v->add_space_prefix = read_flag(f, "tokenizer.ggml.add_space_prefix", spm);
    return 0;
}

/* Texts that end a turn in the common chat formats; a token with one of these
 * texts stops generation even when the file names no eot id. */
static const char *const eog_texts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|EOT|>", "<EOT>", "<|end_of_text|>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
};

static void add_eog(tok_vocab *v, int32_t id)
{
    if (id < 0)
        return;
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id)
            return;
    v->eog[v->n_eog++] = id;
}

static int build_eog(tok_vocab *v, char *err, size_t err_size)
{
    size_t n_texts = sizeof eog_texts / sizeof eog_texts[0];
    v->eog = malloc((n_texts + 3) * sizeof *v->eog);
    if (v->eog == NULL)
        return fail(err, err_size, v->path, "out of memory");
    add_eog(v, v->eos);
    add_eog(v, v->eot);
    add_eog(v, v->eom);
    for (size_t i = 0; i < n_texts; i++) {
        int32_t id = tok_lookup(v, eog_texts[i], strlen(eog_texts[i]));
        if (id >= 0 && (v->types[id] == TOK_TYPE_CONTROL || v->types[id] == TOK_TYPE_USER_DEFINED))
            add_eog(v, id);
    }
    return 0;
}

/* ---- tokens matched in raw text before splitting ---------------------------------- */

static int is_special_type(uint8_t t)
{
    return t == TOK_TYPE_CONTROL || t == TOK_TYPE_USER_DEFINED || t == TOK_TYPE_UNKNOWN;
}

static int cmp_special(const void *a, const void *b, void *user)
{
    const tok_vocab *v = user;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    unsigned char fx = (unsigned char)v->text_arena[v->text_offset[x]];
    unsigned char fy = (unsigned char)v->text_arena[v->text_offset[y]];
    if (fx != fy)
        return fx < fy ? -1 : 1;
    if (v->text_len[x] != v->text_len[y])
        return v->text_len[x] > v->text_len[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int build_specials(tok_vocab *v, char *err, size_t err_size)
{
    int n = 0;
    for (int32_t id = 0; id < v->n_tokens; id++)
        n += is_special_type(v->types[id]) && v->text_len[id] > 0;
    v->specials = malloc(((size_t)n + 1) * sizeof *v->specials);
    if (v->specials == NULL)
        return fail(err, err_size, v->path, "out of memory");
    for (int32_t id = 0; id < v->n_tokens; id++) {
        if (!is_special_type(v->types[id]) || v->text_len[id] == 0)
            continue;
        v->specials[v->n_specials++] = id;
    }
    qsort_r(v->specials, (size_t)v->n_specials, sizeof *v->specials, cmp_special, v);
    int i = 0;
    for (int b = 0; b <= 256; b++) {
        while (i < v->n_specials && (unsigned char)v->text_arena[v->text_offset[v->specials[i]]] < b)
            i++;
        v->special_bucket[b] = (uint32_t)i;
    }
    return 0;
}

/* Phi-3's added tokens carry rstrip in its tokenizer.json (except <unk>, <s>,
 * <|endoftext|>); the GGUF does not record it, so recognise the model by name. */
static int build_strip(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    gguf_str name;
    char lower[128];
    if (gguf_get_str(f, "general.name", &name) != 0)
        return 0;
    size_t n = name.len < sizeof lower - 1 ? (size_t)name.len : sizeof lower - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)(name.data[i] >= 'A' && name.data[i] <= 'Z' ? name.data[i] + 32 : name.data[i]);
    lower[n] = '\0';
    if (strstr(lower, "phi-3") == NULL && strstr(lower, "phi3") == NULL)
        return 0;
    v->strip = calloc((size_t)v->n_tokens, 1);
    if (v->strip == NULL)
        return fail(err, err_size, v->path, "out of memory");
    for (int i = 0; i < v->n_specials; i++)
        v->strip[v->specials[i]] = TOK_STRIP_RIGHT;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        int32_t id = tok_lookup(v, keep[i], strlen(keep[i]));
        if (id >= 0)
            v->strip[id] = 0;
    }
    return 0;
}

/* ---- decoded pieces ------------------------------------------------------------------ */

/* <0xNN> -> NN, or -1. */
static int parse_byte_token(const char *t, size_t len)
{
    if (len != 6 || memcmp(t, "<0x", 3) != 0 || t[5] != '>')
        return -1;
    int value = 0;
    for (int i = 3; i < 5; i++) {
        char c = t[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
              : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        value = value * 16 + d;
    }
    return value;
}

/* Pieces: SPM "▁" -> " " and byte tokens -> their byte; BPE normal tokens
 * byte-level decoded; BPE user-defined tokens as written (they were matched
 * verbatim in raw text: DeepSeek's "ü" token stands for "ü", not byte 0xFC);
 * control tokens keep their text (rendered only on request). */

/* SPM piece: "▁" -> " ", byte tokens -> their byte. Returns bytes written. */
static size_t spm_piece(const tok_vocab *v, int32_t id, char *out)
{
    size_t len;
    const char *t = tok_text(v, id, &len);
    if (v->types[id] == TOK_TYPE_BYTE) {
        int b = parse_byte_token(t, len);
        if (b >= 0) {
            out[0] = (char)b;
            return 1;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (i + 3 <= len && memcmp(t + i, "\xe2\x96\x81", 3) == 0) {
            out[n++] = ' ';
            i += 3;
        } else {
            out[n++] = t[i++];
        }
    }
    return n;
}

static int build_pieces(tok_vocab *v, char *err, size_t err_size)
{
    size_t total = v->text_offset[v->n_tokens - 1] + v->text_len[v->n_tokens - 1] + 1;
    v->piece_arena = malloc(total);
    v->piece_offset = malloc((size_t)v->n_tokens * sizeof *v->piece_offset);
    v->piece_len = malloc((size_t)v->n_tokens * sizeof *v->piece_len);
    if (!v->piece_arena || !v->piece_offset || !v->piece_len)
        return fail(err, err_size, v->path, "out of memory");
    uint32_t at = 0;
    for (int32_t id = 0; id < v->n_tokens; id++) {
        size_t len;
        const char *t = tok_text(v, id, &len);
        size_t n;
        if (v->kind == TOK_KIND_SPM)
            n = spm_piece(v, id, v->piece_arena + at);
        else if (v->types[id] == TOK_TYPE_NORMAL || v->types[id] == TOK_TYPE_UNDEFINED)
            n = tok_bpe_decode_text(v, t, len, v->piece_arena + at);
        else {
            memcpy(v->piece_arena + at, t, len);
            n = len;
        }
        v->piece_offset[id] = at;
        v->piece_len[id] = (uint32_t)n;
        at += (uint32_t)n; /* decoded pieces are never longer than the text */
    }
    return 0;
}

/* ---- load / free ------------------------------------------------------------------------ */

static int copy_str_key(const gguf_file *f, const char *key, char *out, size_t size)
{
    gguf_str s;
    out[0] = '\0';
    if (gguf_get_str(f, key, &s) != 0)
        return -1;
    size_t n = s.len < size - 1 ? (size_t)s.len : size - 1;
    memcpy(out, s.data, n);
    out[n] = '\0';
    return 0;
}

static int load_kind(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    copy_str_key(f, "tokenizer.ggml.model", v->model, sizeof v->model);
    copy_str_key(f, "tokenizer.ggml.pre", v->pre, sizeof v->pre);
    if (strcmp(v->model, "llama") == 0)
        v->kind = TOK_KIND_SPM;
    else if (strcmp(v->model, "gpt2") == 0)
        v->kind = TOK_KIND_BPE;
    else
        return fail(err, err_size, v->path,
                    "tokenizer.ggml.model \"%s\" not supported (supported: llama, gpt2)", v->model);
    return 0;
}

static void spm_byte_tokens(tok_vocab *v)
{
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        v->byte_token[b] = tok_lookup(v, name, 6);
    }
}

/* An ASCII byte breaks SPM chunks when no piece that merging can produce
 * (longer than one character) contains it. */
static void spm_find_breaks(tok_vocab *v)
{
    memset(v->spm_breaks, 1, sizeof v->spm_breaks);
    for (int32_t id = 0; id < v->n_tokens; id++) {
        uint8_t t = v->types[id];
        if (t == TOK_TYPE_CONTROL || t == TOK_TYPE_UNKNOWN || t == TOK_TYPE_BYTE)
            continue;
        size_t len;
        const unsigned char *text = (const unsigned char *)tok_text(v, id, &len);
        if (len < 2 || tok_utf8_len(text, len) == len)
            continue; /* a single character */
        for (size_t i = 0; i < len; i++)
            if (text[i] < 0x80)
                v->spm_breaks[text[i]] = 0;
    }
}

static int load_all(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    if (load_kind(v, f, err, err_size) || load_texts(v, f, err, err_size) ||
        load_scores_types(v, f, err, err_size) || build_index(v, err, err_size) ||
        load_special_ids(v, f, err, err_size) || build_eog(v, err, err_size) ||
        build_specials(v, err, err_size) || build_strip(v, f, err, err_size))
        return -1;
    if (v->kind == TOK_KIND_BPE) {
        tok_bpe_init_byte_maps(v);
        if (tok_bpe_load_merges(v, f, err, err_size) || tok_bpe_compile(v, err, err_size))
            return -1;
    } else {
        spm_byte_tokens(v);
        spm_find_breaks(v);
    }
    return build_pieces(v, err, err_size);
}

int tok_vocab_load(const gguf_file *file, const char *path, tok_vocab **out,
                   char *err, size_t err_size)
{
    *out = NULL;
    if (gguf_find_key(file, "tokenizer.ggml.model") < 0)
        return 0;
    tok_vocab *v = calloc(1, sizeof *v);
    if (v == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(v->path, sizeof v->path, "%s", path);
    if (load_all(v, file, err, err_size) != 0) {
        tok_vocab_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

void tok_vocab_free(tok_vocab *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < v->n_regex; i++)
        pcre2_code_free(v->regex[i]);
    free(v->text_arena);
    free(v->text_offset);
    free(v->text_len);
    free(v->piece_arena);
    free(v->piece_offset);
    free(v->piece_len);
    free(v->scores);
    free(v->types);
    free(v->index.slots);
    free(v->merges.slots);
    free(v->specials);
    free(v->strip);
    free(v->eog);
    free(v);
}

int tok_is_eog(const tok_vocab *v, int32_t id)
{
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id)
            return 1;
    return 0;
}
