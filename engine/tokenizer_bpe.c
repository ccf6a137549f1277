/*
 * tokenizer_bpe.c — byte-level BPE (tokenizer.ggml.model = "gpt2"): the
 * pre-tokenizer chosen by tokenizer.ggml.pre (a sequence of PCRE2 patterns),
 * GPT-2's byte-to-unicode mapping, and merges applied by rank.
 *
 * Pre-tokenization follows the Hugging Face "Split ... Isolated" semantics
 * that the upstream tokenizers use: each pattern in turn splits every fragment
 * left by the previous one into its matches and the gaps between them, and
 * each pattern sees only its fragment (so lookarounds and "$" stop at the
 * fragment's edges). Every final fragment is one BPE word.
 *
 * Invariants:
 *  - patterns are compiled per vocabulary at load (PCRE2_UTF | PCRE2_UCP,
 *    JIT when the library has it) and never modified afterwards;
 *  - patterns only ever see valid UTF-8: invalid bytes are cut out first and
 *    each becomes a one-byte word (its byte token), so nothing is lost and
 *    nothing crashes;
 *  - BPE works on token ids: a word starts as one symbol per byte (the token
 *    of that byte's unicode stand-in) and a merge (left, right) -> merged is
 *    applied lowest rank first, leftmost first among equal ranks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* ---- pre-tokenizer patterns per tokenizer.ggml.pre --------------------------- */

#define RX_CONTRACTIONS "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
#define RX_GPT2 "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define RX_LLAMA3_LIKE(NUM) \
    RX_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" NUM \
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define RX_CJK "[\\x{4e00}-\\x{9fa5}\\x{800}-\\x{4e00}\\x{ac00}-\\x{d7ff}]+"
/* DeepSeek LLM's "letters": the cased-letter ranges from its tokenizer.json. */
#define RX_DEEPSEEK_LETTERS                                                                     \
    "\\s?[A-Za-z\\x{b5}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}"         \
    "\\x{1c4}-\\x{293}\\x{295}-\\x{2af}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37b}-\\x{37d}"      \
    "\\x{37f}\\x{386}\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-"      \
    "\\x{481}\\x{48a}-\\x{52f}\\x{531}-\\x{556}\\x{10a0}-\\x{10c5}\\x{13a0}-\\x{13f5}"          \
    "\\x{13f8}-\\x{13fd}\\x{1c90}-\\x{1cba}\\x{1cbd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}\\x{1d6b}-"    \
    "\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}\\x{1f18}-\\x{1f1d}\\x{1f20}-\\x{1f45}"     \
    "\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}\\x{1f5d}\\x{1f5f}-\\x{1f7d}"      \
    "\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1fbc}\\x{1fbe}\\x{1fc2}-\\x{1fc4}\\x{1fc6}-\\x{1fcc}"     \
    "\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-\\x{1fec}\\x{1ff2}-\\x{1ff4}\\x{1ff6}-"    \
    "\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}\\x{2115}\\x{2119}-\\x{211d}\\x{2124}"      \
    "\\x{2126}\\x{2128}\\x{212a}-\\x{212d}\\x{212f}-\\x{2134}\\x{2139}\\x{213c}-\\x{213f}"     \
    "\\x{2145}-\\x{2149}\\x{214e}\\x{2183}\\x{2184}\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}"     \
    "\\x{2ceb}-\\x{2cee}\\x{2cf2}\\x{2cf3}\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-"    \
    "\\x{a76f}\\x{a771}-\\x{a787}\\x{a78b}-\\x{a78e}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}"    \
    "\\x{fb13}-\\x{fb17}\\x{ff21}-\\x{ff3a}\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}"           \
    "\\x{104b0}-\\x{104d3}\\x{104d8}-\\x{104fb}\\x{10c80}-\\x{10cb2}\\x{10cc0}-\\x{10cf2}"     \
    "\\x{118a0}-\\x{118df}\\x{1e900}-\\x{1e943}]+"

typedef struct tok_pre_family {
    const char *names; /* tokenizer.ggml.pre values, '|'-separated */
    int ignore_merges;
    const char *patterns[TOK_MAX_REGEX];
} tok_pre_family;

static const tok_pre_family pre_families[] = {
    {"|default|", 0,
     {"[\\p{P}\\$\\+<=>\\^~\\|]+", RX_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"}},
    {"|gpt-2|phi-2|mpt|olmo|jais|jina-es|jina-de|jina-v1-en|jina-v2-es|jina-v2-de|jina-v2-code|"
     "roberta-bpe|gigachat|", 0, {RX_GPT2}},
    {"|llama3|llama-v3|llama-bpe|falcon3|pixtral|dbrx|smaug-bpe|chatglm-bpe|", 1,
     {RX_LLAMA3_LIKE("\\p{N}{1,3}")}},
    {"|qwen2|qwen2.5|deepseek-r1-qwen|megrez|stablelm2|", 0, {RX_LLAMA3_LIKE("\\p{N}")}},
    {"|starcoder|refact|command-r|smollm|codeshell|exaone|minerva-7b|", 0, {"\\p{N}", RX_GPT2}},
    {"|falcon|", 0, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", RX_GPT2, "[0-9][0-9][0-9]"}},
    {"|deepseek-coder|", 0, {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", RX_CJK, "\\p{N}"}},
    {"|deepseek-llm|", 0,
     {"[\r\n]", RX_DEEPSEEK_LETTERS,
      "\\s?[!-/:-~\\x{ff01}-\\x{ff0f}\\x{ff1a}-\\x{ff5e}\\x{2018}-\\x{201f}\\x{3000}-\\x{3002}]+",
      "\\s+$", RX_CJK, "\\p{N}+"}},
};

static const tok_pre_family *find_pre_family(const char *pre)
{
    char key[80];
    snprintf(key, sizeof key, "|%s|", pre[0] ? pre : "default");
    for (size_t i = 0; i < sizeof pre_families / sizeof pre_families[0]; i++)
        if (strstr(pre_families[i].names, key) != NULL)
            return &pre_families[i];
    return NULL;
}

int tok_bpe_compile(tok_vocab *v, char *err, size_t err_size)
{
    const tok_pre_family *family = find_pre_family(v->pre);
    if (family == NULL) { /* the model still loads: ids in, text out work */
        snprintf(v->encode_error, sizeof v->encode_error, "tokenizer.ggml.pre \"%.64s\" not supported "
                 "(another pre-tokenizer would give different ids than the model was trained on)", v->pre);
        return 0;
    }
    v->ignore_merges = family->ignore_merges;
    v->regex_jit = 1;
    for (int i = 0; i < TOK_MAX_REGEX && family->patterns[i]; i++) {
        int code;
        PCRE2_SIZE offset;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)family->patterns[i], PCRE2_ZERO_TERMINATED,
                                       PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &code, &offset, NULL);
        if (re == NULL) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(code, msg, sizeof msg);
            snprintf(err, err_size, "%s: pre-tokenizer pattern %d for \"%s\": %s at %zu",
                     v->path, i, v->pre, (const char *)msg, (size_t)offset);
            return -1;
        }
        v->regex[v->n_regex++] = re;
        if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
            v->regex_jit = 0;
    }
    return 0;
}

/* ---- byte <-> unicode stand-ins (GPT-2) ---------------------------------------- */

static int byte_is_printable(int b)
{
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

void tok_bpe_init_byte_maps(tok_vocab *v)
{
    for (int i = 0; i < 324; i++)
        v->unicode_to_byte[i] = -1;
    int next = 256;
    for (int b = 0; b < 256; b++) {
        int cp = byte_is_printable(b) ? b : next++;
        char utf8[4];
        size_t n = tok_utf8_encode((uint32_t)cp, utf8);
        v->byte_token[b] = tok_lookup(v, utf8, n);
        v->unicode_to_byte[cp] = (int16_t)b;
    }
}

size_t tok_bpe_decode_text(const tok_vocab *v, const char *text, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        const unsigned char *s = (const unsigned char *)text + i;
        uint32_t clen = tok_utf8_len(s, len - i);
        uint32_t cp = clen == 1 ? s[0] : clen == 2 ? ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu) : 0xFFFFFFFFu;
        if (clen <= 2 && cp < 324 && v->unicode_to_byte[cp] >= 0 && !(clen == 1 && cp >= 0x80)) {
            out[n++] = (char)v->unicode_to_byte[cp];
        } else {
            memcpy(out + n, s, clen);
            n += clen;
        }
        i += clen;
    }
    return n;
}

/* ---- merges ---------------------------------------------------------------------- */

static uint32_t hash_pair(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (uint32_t)key;
}

static const tok_merge_slot *merge_find(const tok_merge_index *m, int32_t left, int32_t right)
{
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    for (uint32_t i = hash_pair(key) & m->mask;; i = (i + 1) & m->mask) {
        if (m->slots[i].key == key)
            return &m->slots[i];
        if (m->slots[i].key == UINT64_MAX)
            return NULL;
    }
}

static void merge_insert(tok_merge_index *m, int32_t left, int32_t right, int32_t rank, int32_t merged)
{
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    uint32_t i = hash_pair(key) & m->mask;
    while (m->slots[i].key != UINT64_MAX) {
        if (m->slots[i].key == key)
            return; /* a repeated merge keeps its first (better) rank */
        i = (i + 1) & m->mask;
    }
    m->slots[i].key = key;
    m->slots[i].rank = rank;
    m->slots[i].merged = merged;
    m->count++;
}

/* Adds merge i ("LEFT RIGHT"); merges naming texts outside the vocabulary are skipped. */
static void add_merge(tok_vocab *v, gguf_str s, int32_t rank, char *scratch)
{
    const char *space = s.len > 1 ? memchr(s.data + 1, ' ', s.len - 1) : NULL;
    if (space == NULL)
        return;
    size_t left_len = (size_t)(space - s.data), right_len = s.len - left_len - 1;
    int32_t left = tok_lookup(v, s.data, left_len);
    int32_t right = tok_lookup(v, space + 1, right_len);
    memcpy(scratch, s.data, left_len);
    memcpy(scratch + left_len, space + 1, right_len);
    int32_t merged = tok_lookup(v, scratch, left_len + right_len);
    if (left >= 0 && right >= 0 && merged >= 0)
        merge_insert(&v->merges, left, right, rank, merged);
}

int tok_bpe_load_merges(tok_vocab *v, const gguf_file *f, char *err, size_t err_size)
{
    gguf_value_type type;
    uint64_t count = 0;
    if (gguf_get_array_info(f, "tokenizer.ggml.merges", &type, &count) != 0)
        count = 0; /* a BPE vocabulary without merges tokenizes to bytes */
    else if (type != GGUF_VALUE_STRING || count > (1u << 24)) {
        snprintf(err, err_size, "%s: tokenizer.ggml.merges is not a string array of at most 16M entries", v->path);
        return -1;
    }
    uint32_t cap = 1024;
    while (cap < count * 2)
        cap *= 2;
    v->merges.slots = malloc(cap * sizeof *v->merges.slots);
    char *scratch = malloc(65536);
    if (v->merges.slots == NULL || scratch == NULL) {
        free(scratch);
        snprintf(err, err_size, "%s: out of memory for %llu merges", v->path, (unsigned long long)count);
        return -1;
    }
    for (uint32_t i = 0; i < cap; i++)
        v->merges.slots[i].key = UINT64_MAX;
    v->merges.mask = cap - 1;
    for (uint64_t i = 0; i < count; i++) {
        gguf_str s;
        if (gguf_get_array_str(f, "tokenizer.ggml.merges", i, &s) == 0 && s.len < 65536)
            add_merge(v, s, (int32_t)i, scratch);
    }
    free(scratch);
    return 0;
}

/* ---- per-call state -------------------------------------------------------------- */

typedef struct bpe_symbol {
    int32_t id;
    int32_t prev, next; /* -1 at the ends */
} bpe_symbol;

typedef struct bpe_candidate {
    int32_t rank;
    int32_t left, right;       /* symbol indices */
    int32_t left_id, right_id; /* to recognise stale entries */
    int32_t merged;
} bpe_candidate;

/* Per-call memo of short words -> ids: English text repeats its words, and a
 * hit skips the merge loop (whose hash probes dominate otherwise). */
#define WORD_CACHE_MAX_BYTES 24
#define WORD_CACHE_MAX_IDS 8
typedef struct word_cache_entry {
    uint32_t hash;
    uint8_t len, n_ids; /* len 0 = empty slot */
    char word[WORD_CACHE_MAX_BYTES];
    int32_t ids[WORD_CACHE_MAX_IDS];
} word_cache_entry;

struct tok_bpe_state {
    const char *split_base;  /* pre-tokenize only: words' end offsets go to split_ends */
    tok_ids *split_ends;
    word_cache_entry *cache; /* NULL for short texts */
    uint32_t cache_mask, cache_used;
    pcre2_match_data *match;
    pcre2_match_context *match_context;
    pcre2_jit_stack *jit_stack;
    bpe_symbol *symbols;
    bpe_candidate *heap;
    size_t cap;        /* symbols and heap entries */
    char *word_text;   /* byte-level text of a word (ignore_merges lookup) */
    size_t word_cap;
};

int tok_bpe_state_create(const tok_vocab *v, tok_bpe_state **out, char *err, size_t err_size)
{
    tok_bpe_state *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        goto oom;
    s->match = pcre2_match_data_create(2, NULL);
    s->match_context = pcre2_match_context_create(NULL);
    if (s->match == NULL || s->match_context == NULL)
        goto oom;
    if (v->regex_jit) {
        s->jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
        if (s->jit_stack == NULL)
            goto oom;
        pcre2_jit_stack_assign(s->match_context, NULL, s->jit_stack);
    }
    *out = s;
    return 0;
oom:
    tok_bpe_state_free(s);
    snprintf(err, err_size, "%s: out of memory for the tokenizer state", v->path);
    return -1;
}

void tok_bpe_state_free(tok_bpe_state *s)
{
    if (s == NULL)
        return;
    pcre2_match_data_free(s->match);
    pcre2_match_context_free(s->match_context);
    pcre2_jit_stack_free(s->jit_stack);
    free(s->cache);
    free(s->symbols);
    free(s->heap);
    free(s->word_text);
    free(s);
}

static int state_reserve(tok_bpe_state *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n)
        cap *= 2;
    bpe_symbol *symbols = realloc(s->symbols, cap * sizeof *symbols);
    if (symbols == NULL)
        return -1;
    s->symbols = symbols;
    bpe_candidate *heap = realloc(s->heap, (cap * 3 + 1) * sizeof *heap); /* n-1 pairs + 2 per merge */
    if (heap == NULL)
        return -1;
    s->heap = heap;
    s->cap = cap;
    return 0;
}

/* ---- merge queue (binary min-heap on rank, then left index) ----------------------- */

static int cand_less(const bpe_candidate *a, const bpe_candidate *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(bpe_candidate *heap, size_t *n, bpe_candidate c)
{
    size_t i = (*n)++;
    while (i > 0 && cand_less(&c, &heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = c;
}

static bpe_candidate heap_pop(bpe_candidate *heap, size_t *n)
{
    bpe_candidate top = heap[0], last = heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= *n)
            break;
        if (child + 1 < *n && cand_less(&heap[child + 1], &heap[child]))
            child++;
        if (!cand_less(&heap[child], &last))
            break;
        heap[i] = heap[child];
        i = child;
    }
    heap[i] = last;
    return top;
}

static void try_pair(const tok_vocab *v, tok_bpe_state *s, size_t *n_heap, int32_t left, int32_t right)
{
    if (left < 0 || right < 0)
        return;
    int32_t a = s->symbols[left].id, b = s->symbols[right].id;
    if (a < 0 || b < 0)
        return;
    const tok_merge_slot *m = merge_find(&v->merges, a, b);
    if (m == NULL)
        return;
    bpe_candidate c = {m->rank, left, right, a, b, m->merged};
    heap_push(s->heap, n_heap, c);
}

/* ---- one word ---------------------------------------------------------------------- */

static int whole_word_token(const tok_vocab *v, tok_bpe_state *s, const unsigned char *w, size_t len, int32_t *id)
{
    if (len * 2 > s->word_cap) {
        char *grown = realloc(s->word_text, len * 2);
        if (grown == NULL)
            return -1;
        s->word_text = grown;
        s->word_cap = len * 2;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int32_t t = v->byte_token[w[i]];
        if (t < 0)
            return 0;
        size_t tl;
        const char *tt = tok_text(v, t, &tl);
        memcpy(s->word_text + n, tt, tl);
        n += tl;
    }
    *id = tok_lookup(v, s->word_text, n);
    return 0;
}

static uint32_t hash_word(const unsigned char *w, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ w[i]) * 16777619u;
    return h;
}

/* The slot for w: its entry when cached, else the empty slot to fill (or NULL). */
static word_cache_entry *cache_slot(tok_bpe_state *s, const unsigned char *w, size_t len, uint32_t h)
{
    for (uint32_t i = h & s->cache_mask, probes = 0; probes < 8; i = (i + 1) & s->cache_mask, probes++) {
        word_cache_entry *e = &s->cache[i];
        if (e->len == 0 || (e->hash == h && e->len == len && memcmp(e->word, w, len) == 0))
            return e;
    }
    return NULL;
}

static int bpe_word_merge(const tok_vocab *v, tok_bpe_state *s, const unsigned char *w, size_t len, tok_ids *out);

static int bpe_word(const tok_vocab *v, tok_bpe_state *s, const unsigned char *w, size_t len, tok_ids *out)
{
    if (s->cache == NULL || len > WORD_CACHE_MAX_BYTES || len < 2)
        return bpe_word_merge(v, s, w, len, out);
    uint32_t h = hash_word(w, len);
    word_cache_entry *e = cache_slot(s, w, len, h);
    if (e != NULL && e->len != 0) {
        for (int i = 0; i < e->n_ids; i++)
            tok_ids_push(out, e->ids[i]);
        return 0;
    }
    int first = out->n;
    if (bpe_word_merge(v, s, w, len, out) != 0)
        return -1;
    int n_ids = out->n - first;
    if (e != NULL && !out->failed && n_ids <= WORD_CACHE_MAX_IDS && s->cache_used < s->cache_mask / 2) {
        e->hash = h;
        e->len = (uint8_t)len;
        e->n_ids = (uint8_t)n_ids;
        memcpy(e->word, w, len);
        memcpy(e->ids, out->data + first, (size_t)n_ids * sizeof *e->ids);
        s->cache_used++;
    }
    return 0;
}

static int bpe_word_merge(const tok_vocab *v, tok_bpe_state *s, const unsigned char *w, size_t len, tok_ids *out)
{
    if (len == 1) {
        if (v->byte_token[w[0]] >= 0)
            tok_ids_push(out, v->byte_token[w[0]]);
        return 0;
    }
    if (v->ignore_merges) {
        int32_t id = -1;
        if (whole_word_token(v, s, w, len, &id) != 0)
            return -1;
        if (id >= 0) {
            tok_ids_push(out, id);
            return 0;
        }
    }
    if (state_reserve(s, len) != 0)
        return -1;
    size_t n_heap = 0;
    for (size_t i = 0; i < len; i++) {
        s->symbols[i].id = v->byte_token[w[i]];
        s->symbols[i].prev = (int32_t)i - 1;
        s->symbols[i].next = i + 1 < len ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < len; i++)
        try_pair(v, s, &n_heap, (int32_t)i, (int32_t)i + 1);
    while (n_heap > 0) {
        bpe_candidate c = heap_pop(s->heap, &n_heap);
        bpe_symbol *l = &s->symbols[c.left], *r = &s->symbols[c.right];
        if (l->next != c.right || l->id != c.left_id || r->id != c.right_id)
            continue; /* stale: one side was merged away since */
        l->id = c.merged;
        l->next = r->next;
        if (r->next >= 0)
            s->symbols[r->next].prev = c.left;
        r->id = -2; /* dead */
        r->next = r->prev = -1;
        try_pair(v, s, &n_heap, l->prev, c.left);
        try_pair(v, s, &n_heap, c.left, l->next);
    }
    for (int32_t i = 0; i >= 0; i = s->symbols[i].next)
        if (s->symbols[i].id >= 0)
            tok_ids_push(out, s->symbols[i].id);
    return 0;
}

/* ---- pre-tokenization -------------------------------------------------------------- */

static int split_level(const tok_vocab *v, tok_bpe_state *s, int level, const char *text, size_t len,
                       tok_ids *out, char *err, size_t err_size);
static int emit_word(const tok_vocab *v, tok_bpe_state *s, const char *text, size_t len,
                     tok_ids *out, char *err, size_t err_size);

static int split_piece(const tok_vocab *v, tok_bpe_state *s, int level, const char *text, size_t len,
                       tok_ids *out, char *err, size_t err_size)
{
    if (len == 0)
        return 0;
    if (level + 1 < v->n_regex)
        return split_level(v, s, level + 1, text, len, out, err, err_size);
    return emit_word(v, s, text, len, out, err, err_size);
}

static int emit_word(const tok_vocab *v, tok_bpe_state *s, const char *text, size_t len,
                     tok_ids *out, char *err, size_t err_size)
{
    if (s->split_ends != NULL) {
        tok_ids_push(s->split_ends, (int32_t)(text + len - s->split_base));
        return 0;
    }
    if (bpe_word(v, s, (const unsigned char *)text, len, out) != 0) {
        snprintf(err, err_size, "%s: out of memory while tokenizing", v->path);
        return -1;
    }
    return 0;
}

static int split_level(const tok_vocab *v, tok_bpe_state *s, int level, const char *text, size_t len,
                       tok_ids *out, char *err, size_t err_size)
{
    size_t pos = 0, done = 0;
    while (pos < len) {
        int rc = pcre2_match(v->regex[level], (PCRE2_SPTR)text, len, pos, PCRE2_NO_UTF_CHECK,
                             s->match, s->match_context);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            snprintf(err, err_size, "%s: pre-tokenizer: %s", v->path, (const char *)msg);
            return -1;
        }
        /* Copied out: the recursion below reuses the same match data. */
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->match);
        size_t start = ov[0], end = ov[1];
        if (end == start) { /* empty match: step over one character */
            pos = start + tok_utf8_len((const unsigned char *)text + start, len - start);
            continue;
        }
        if (split_piece(v, s, level, text + done, start - done, out, err, err_size) ||
            split_piece(v, s, level, text + start, end - start, out, err, err_size))
            return -1;
        pos = done = end;
    }
    return split_piece(v, s, level, text + done, len - done, out, err, err_size);
}

/* Runs of valid UTF-8 go through the patterns; each invalid byte is a word of its own. */
/* Texts long enough to repeat words get a cache sized to them (at most 1 MiB). */
static void cache_reserve(tok_bpe_state *s, size_t text_len)
{
    if (s->cache != NULL || text_len < 4096)
        return;
    uint32_t cap = 256;
    while (cap < 16384 && cap < text_len / 8)
        cap *= 2;
    s->cache = calloc(cap, sizeof *s->cache);
    s->cache_mask = s->cache ? cap - 1 : 0; /* no cache on allocation failure: just slower */
}

int tok_bpe_encode(const tok_vocab *v, tok_bpe_state *s, const char *text, size_t len,
                   tok_ids *out, char *err, size_t err_size)
{
    const unsigned char *u = (const unsigned char *)text;
    cache_reserve(s, len);
    size_t run = 0, i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t n = tok_utf8_len(u + i, len - i);
        if (n > 1) {
            i += n;
            continue;
        }
        if (i > run && split_level(v, s, 0, text + run, i - run, out, err, err_size) != 0)
            return -1;
        if (emit_word(v, s, text + i, 1, out, err, err_size) != 0)
            return -1;
        run = ++i;
    }
    if (len > run)
        return split_level(v, s, 0, text + run, len - run, out, err, err_size);
    return 0;
}

int tok_bpe_pretokenize(const tok_vocab *v, const char *text, size_t len, tok_ids *ends,
                        char *err, size_t err_size)
{
    tok_bpe_state *s = NULL;
    if (v->kind != TOK_KIND_BPE || v->n_regex == 0) {
        snprintf(err, err_size, "%s: no byte-level pre-tokenizer", v->path);
        return -1;
    }
    if (tok_bpe_state_create(v, &s, err, err_size) != 0)
        return -1;
    s->split_base = text;
    s->split_ends = ends;
    int status = tok_bpe_encode(v, s, text, len, NULL, err, err_size);
    tok_bpe_state_free(s);
    return status;
}
