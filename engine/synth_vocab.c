/*
 * synth_vocab.c — tokenizer metadata for synthetic models, copied from a real
 * vocabulary GGUF (default: the GPT-2 byte-level BPE vocab in tests/fixtures)
 * and fitted to the preset, so text tasks can run on a synthetic model.
 *
 * What differs from the real model's tokenizer (recorded in the file as
 * slmbench.synthetic_tokenizer_source):
 *  - the token list is the source's first n_vocab tokens, padded with
 *    "[PAD<id>]" tokens of type UNUSED when the source is smaller;
 *  - the preset's special tokens (ChatML <|im_start|>/<|im_end|>, Llama 3
 *    header tokens, Phi-3 role tokens, <s>/</s>) reuse the source's id when
 *    the source has that token, else take the last ids, replacing what was
 *    there; they are CONTROL tokens;
 *  - merges survive only if both parts and their concatenation are kept;
 *  - the chat template is slmbench's own minimal template of the family.
 * Token texts with an embedded NUL byte cannot be carried (the writer takes
 * C strings); no real vocabulary has one.
 */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNTH_DEFAULT_VOCAB "tests/fixtures/tokenizer/ggml-vocab-gpt-2.gguf"
#define SYNTH_TOKEN_NORMAL 1
#define SYNTH_TOKEN_CONTROL 3
#define SYNTH_TOKEN_UNUSED 5
#define SYNTH_MAX_SPECIALS 6

typedef struct synth_chat_format {
    const char *specials[SYNTH_MAX_SPECIALS];
    const char *bos, *eos, *eot;
    int add_bos;
    const char *template_text;
} synth_chat_format;

static const synth_chat_format synth_formats[] = {
    [SYNTH_CHAT_CHATML] = {
        {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, "<|endoftext|>", "<|im_end|>", "<|im_end|>", 0,
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
        "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
        "{% endif %}"},
    [SYNTH_CHAT_LLAMA3] = {
        {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"},
        "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>", 1,
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
        "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"},
    [SYNTH_CHAT_PHI3] = {
        {"<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"},
        "<|endoftext|>", "<|endoftext|>", "<|end|>", 0,
        "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}"},
    [SYNTH_CHAT_ZEPHYR] = {
        {"<s>", "</s>"}, "<s>", "</s>", NULL, 1,
        "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + "
        "eos_token }}{% elif message['role'] == 'system' %}{{ '<|system|>\\n' + message['content'] + eos_token }}"
        "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + eos_token }}"
        "{% endif %}{% if loop.last and add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}{% endfor %}"},
};

/* The fitted vocabulary being built. */
typedef struct synth_vocab {
    uint32_t n;
    char **text;        /* n NUL-terminated tokens (owned) */
    int32_t *type;
    float *score;       /* NULL when the source has no scores */
    int32_t *hash;      /* id + 1, 0 = empty; only ids whose text is current */
    uint64_t hash_mask;
    char **merges;      /* kept merges (owned) */
    uint64_t n_merges, n_src_merges;
    uint32_t n_src;
    uint32_t n_replaced;
} synth_vocab;

static void synth_hash_put(synth_vocab *v, uint32_t id)
{
    uint64_t h = synth_hash_str(v->text[id]) & v->hash_mask;
    while (v->hash[h] != 0) {
        if (strcmp(v->text[v->hash[h] - 1], v->text[id]) == 0)
            return; /* duplicate text: the first id wins */
        h = (h + 1) & v->hash_mask;
    }
    v->hash[h] = (int32_t)id + 1;
}

static int64_t synth_hash_find(const synth_vocab *v, const char *s)
{
    uint64_t h = synth_hash_str(s) & v->hash_mask;
    while (v->hash[h] != 0) {
        if (strcmp(v->text[v->hash[h] - 1], s) == 0)
            return v->hash[h] - 1;
        h = (h + 1) & v->hash_mask;
    }
    return -1;
}

/* Rebuilds the hash after ids were replaced (open addressing has no delete). */
static void synth_hash_rebuild(synth_vocab *v)
{
    memset(v->hash, 0, (size_t)(v->hash_mask + 1) * sizeof *v->hash);
    for (uint32_t i = 0; i < v->n; i++)
        synth_hash_put(v, i);
}

static void synth_vocab_free(synth_vocab *v)
{
    for (uint32_t i = 0; v->text && i < v->n; i++)
        free(v->text[i]);
    for (uint64_t i = 0; v->merges && i < v->n_merges; i++)
        free(v->merges[i]);
    free(v->text);
    free(v->type);
    free(v->score);
    free(v->hash);
    free(v->merges);
}

static char *synth_strndup(const char *s, uint64_t n)
{
    char *c = malloc((size_t)n + 1);
    if (c) {
        memcpy(c, s, (size_t)n);
        c[n] = '\0';
    }
    return c;
}

static int synth_vocab_alloc(synth_vocab *v, uint32_t n, int with_scores)
{
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2)
        cap <<= 1;
    v->n = n;
    v->hash_mask = cap - 1;
    v->text = calloc(n, sizeof *v->text);
    v->type = calloc(n, sizeof *v->type);
    v->hash = calloc((size_t)cap, sizeof *v->hash);
    v->score = with_scores ? calloc(n, sizeof *v->score) : NULL;
    return v->text && v->type && v->hash && (!with_scores || v->score) ? 0 : -1;
}

/* The first n tokens of the source, padded with UNUSED tokens. */
static int synth_vocab_tokens(synth_vocab *v, const gguf_file *src, uint32_t n)
{
    gguf_value_type et;
    uint64_t count = 0;
    gguf_get_array_info(src, "tokenizer.ggml.tokens", &et, &count);
    v->n_src = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
    const int32_t *types = NULL;
    const float *scores = gguf_get_array_data(src, "tokenizer.ggml.scores");
    uint64_t n_types = 0, n_scores = 0;
    if (gguf_get_array_info(src, "tokenizer.ggml.token_type", &et, &n_types) == 0 && et == GGUF_VALUE_INT32)
        types = gguf_get_array_data(src, "tokenizer.ggml.token_type");
    if (!scores || gguf_get_array_info(src, "tokenizer.ggml.scores", &et, &n_scores) != 0 || et != GGUF_VALUE_FLOAT32)
        scores = NULL;
    if (synth_vocab_alloc(v, n, scores != NULL) != 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        gguf_str s;
        char pad[32];
        if (i < v->n_src && gguf_get_array_str(src, "tokenizer.ggml.tokens", i, &s) == 0) {
            v->text[i] = synth_strndup(s.data, s.len);
            int32_t t = SYNTH_TOKEN_NORMAL;
            if (types && i < n_types)
                memcpy(&t, types + i, 4);
            v->type[i] = t;
            if (v->score && i < n_scores)
                memcpy(&v->score[i], scores + i, 4);
        } else {
            snprintf(pad, sizeof pad, "[PAD%u]", i);
            v->text[i] = synth_strndup(pad, strlen(pad));
            v->type[i] = SYNTH_TOKEN_UNUSED;
            if (v->score)
                v->score[i] = -1000.0f;
        }
        if (!v->text[i])
            return -1;
    }
    synth_hash_rebuild(v);
    return 0;
}

static int synth_is_found_special(const int64_t *found, int n, int64_t id)
{
    for (int k = 0; k < n; k++)
        if (found[k] == id)
            return 1;
    return 0;
}

/* Specials the source lacks take the last ids (not those of specials it
 * has), in the format's order. */
static int synth_vocab_specials(synth_vocab *v, const synth_chat_format *fmt)
{
    int64_t found[SYNTH_MAX_SPECIALS];
    int n_special = 0;
    uint32_t missing = 0;
    for (; n_special < SYNTH_MAX_SPECIALS && fmt->specials[n_special]; n_special++) {
        found[n_special] = synth_hash_find(v, fmt->specials[n_special]);
        missing += found[n_special] < 0;
    }
    if (missing + (uint32_t)n_special >= v->n)
        return -1;
    int64_t slots[SYNTH_MAX_SPECIALS];
    int64_t id = v->n;
    for (int k = (int)missing - 1; k >= 0; k--) {
        do
            id--;
        while (synth_is_found_special(found, n_special, id));
        slots[k] = id;
    }
    int next = 0;
    for (int k = 0; k < n_special; k++) {
        int64_t t = found[k];
        if (t < 0) {
            t = slots[next++];
            free(v->text[t]);
            v->text[t] = synth_strndup(fmt->specials[k], strlen(fmt->specials[k]));
            if (!v->text[t])
                return -1;
            if (v->score)
                v->score[t] = 0.0f;
        }
        v->type[t] = SYNTH_TOKEN_CONTROL;
    }
    v->n_replaced = missing;
    synth_hash_rebuild(v);
    return 0;
}

/* A merge "a b" survives when a, b and ab are all tokens. */
static int synth_merge_kept(const synth_vocab *v, gguf_str m, char *buf, size_t size)
{
    if (m.len + 1 > size)
        return 0;
    memcpy(buf, m.data, (size_t)m.len);
    buf[m.len] = '\0';
    char *space = strchr(buf, ' ');
    if (!space || space == buf || space[1] == '\0' || strlen(buf) != m.len)
        return 0;
    *space = '\0';
    if (synth_hash_find(v, buf) < 0 || synth_hash_find(v, space + 1) < 0)
        return 0;
    memmove(space, space + 1, strlen(space + 1) + 1); /* "ab" */
    return synth_hash_find(v, buf) >= 0;
}

static int synth_vocab_merges(synth_vocab *v, const gguf_file *src)
{
    gguf_value_type et;
    uint64_t count = 0;
    if (gguf_get_array_info(src, "tokenizer.ggml.merges", &et, &count) != 0 || et != GGUF_VALUE_STRING)
        return 0;
    v->n_src_merges = count;
    v->merges = calloc((size_t)(count ? count : 1), sizeof *v->merges);
    if (!v->merges)
        return -1;
    char buf[1024];
    for (uint64_t i = 0; i < count; i++) {
        gguf_str m;
        if (gguf_get_array_str(src, "tokenizer.ggml.merges", i, &m) != 0 || !synth_merge_kept(v, m, buf, sizeof buf))
            continue;
        v->merges[v->n_merges] = synth_strndup(m.data, m.len);
        if (!v->merges[v->n_merges++])
            return -1;
    }
    return 0;
}

static int synth_set_id(gguf_writer *w, const synth_vocab *v, const char *key, const char *text)
{
    int64_t id = text ? synth_hash_find(v, text) : -1;
    return id < 0 ? 0 : gguf_writer_set_u32(w, key, (uint32_t)id);
}

static int synth_copy_str(gguf_writer *w, const gguf_file *src, const char *key, char *dst, size_t size)
{
    gguf_str s;
    dst[0] = '\0';
    if (gguf_get_str(src, key, &s) != 0)
        return 0;
    snprintf(dst, size, "%.*s", (int)(s.len < size ? s.len : size - 1), s.data);
    return gguf_writer_set_str(w, key, dst);
}

static int synth_vocab_keys(gguf_writer *w, const synth_vocab *v, const gguf_file *src,
                            const synth_chat_format *fmt, const char *source_note)
{
    char model[64], pre[64];
    int rc = synth_copy_str(w, src, "tokenizer.ggml.model", model, sizeof model) |
             synth_copy_str(w, src, "tokenizer.ggml.pre", pre, sizeof pre) |
             gguf_writer_set_array_str(w, "tokenizer.ggml.tokens", (const char *const *)v->text, v->n) |
             gguf_writer_set_array(w, "tokenizer.ggml.token_type", GGUF_VALUE_INT32, v->type, v->n) |
             synth_set_id(w, v, "tokenizer.ggml.bos_token_id", fmt->bos) |
             synth_set_id(w, v, "tokenizer.ggml.eos_token_id", fmt->eos) |
             synth_set_id(w, v, "tokenizer.ggml.eot_token_id", fmt->eot) |
             synth_set_id(w, v, "tokenizer.ggml.padding_token_id", fmt->bos) |
             gguf_writer_set_bool(w, "tokenizer.ggml.add_bos_token", fmt->add_bos) |
             gguf_writer_set_bool(w, "tokenizer.ggml.add_eos_token", 0) |
             gguf_writer_set_str(w, "tokenizer.chat_template", fmt->template_text) |
             gguf_writer_set_str(w, "slmbench.synthetic_tokenizer_source", source_note);
    if (v->score)
        rc |= gguf_writer_set_array(w, "tokenizer.ggml.scores", GGUF_VALUE_FLOAT32, v->score, v->n);
    if (v->merges)
        rc |= gguf_writer_set_array_str(w, "tokenizer.ggml.merges", (const char *const *)v->merges, v->n_merges);
    uint32_t unk;
    if (gguf_get_u32(src, "tokenizer.ggml.unknown_token_id", &unk) == 0 && unk < v->n && unk < v->n_src &&
        unk < v->n - v->n_replaced)
        rc |= gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", unk);
    return rc ? -1 : 0;
}

/* The default vocab, from the working directory or beside the binary
 * (build/slmbench -> ../tests/fixtures/...). */
static const char *synth_default_vocab(char *buf, size_t size)
{
    if (access(SYNTH_DEFAULT_VOCAB, R_OK) == 0)
        return SYNTH_DEFAULT_VOCAB;
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return SYNTH_DEFAULT_VOCAB;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(buf, size, "%s/../%s", exe, SYNTH_DEFAULT_VOCAB);
    return access(buf, R_OK) == 0 ? buf : SYNTH_DEFAULT_VOCAB;
}

static int synth_vocab_build(synth_vocab *v, const gguf_file *src, const synth_preset *p,
                             const synth_chat_format *fmt)
{
    return synth_vocab_tokens(v, src, p->n_vocab) || synth_vocab_specials(v, fmt) ||
           synth_vocab_merges(v, src) ? -1 : 0;
}

int synth_vocab_write(gguf_writer *w, const synth_preset *p, const char *vocab_path,
                      char *err, size_t err_size)
{
    char buf[1024];
    const char *path = vocab_path ? vocab_path : synth_default_vocab(buf, sizeof buf);
    gguf_file *src = NULL;
    if (gguf_open(path, &src, err, err_size) != 0)
        return -1;
    gguf_value_type et;
    uint64_t count = 0;
    gguf_str model;
    if (gguf_get_str(src, "tokenizer.ggml.model", &model) != 0 ||
        gguf_get_array_info(src, "tokenizer.ggml.tokens", &et, &count) != 0 || et != GGUF_VALUE_STRING ||
        count == 0) {
        snprintf(err, err_size, "%s: not a vocabulary (no tokenizer.ggml.model or tokenizer.ggml.tokens)", path);
        gguf_close(src);
        return -1;
    }
    synth_vocab v = {0};
    const synth_chat_format *fmt = &synth_formats[p->chat];
    int rc = synth_vocab_build(&v, src, p, fmt);
    if (rc != 0) {
        snprintf(err, err_size, "%s: cannot fit this vocabulary to %u tokens", path, p->n_vocab);
    } else {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        char note[1024];
        snprintf(note, sizeof note,
                 "%.200s (%.*s): first %u of its %u tokens%s; %u special tokens placed in the last ids; "
                 "%llu of %llu merges kept; slmbench's own %s chat template",
                 base, (int)(model.len > 16 ? 16 : model.len), model.data,
                 v.n_src < p->n_vocab ? v.n_src : p->n_vocab, v.n_src,
                 v.n_src < p->n_vocab ? ", padded with [PAD<id>] tokens" : "", v.n_replaced,
                 (unsigned long long)v.n_merges, (unsigned long long)v.n_src_merges,
                 p->chat == SYNTH_CHAT_CHATML ? "ChatML" : p->chat == SYNTH_CHAT_LLAMA3 ? "Llama 3"
                 : p->chat == SYNTH_CHAT_PHI3 ? "Phi-3" : "Zephyr");
        rc = synth_vocab_keys(w, &v, src, fmt, note);
        if (rc != 0)
            snprintf(err, err_size, "%s: out of memory copying the vocabulary", path);
    }
    synth_vocab_free(&v);
    gguf_close(src);
    return rc;
}
