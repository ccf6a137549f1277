/*
 * tokenizer_spm.c — SentencePiece-style BPE (tokenizer.ggml.model = "llama":
 * Llama 2, TinyLlama, Phi-3, Mistral): spaces become "▁", the text starts as
 * one symbol per UTF-8 character, and the adjacent pair whose concatenation is
 * the vocabulary piece with the highest score is merged first (leftmost among
 * equal scores) until no pair forms a piece. A final symbol that is not a piece
 * falls back to its bytes' <0xNN> tokens (or <unk> when those are missing).
 *
 * Invariants: only normal, user-defined, unused and untyped pieces are merge
 * targets (SentencePiece never produces control, unknown or byte pieces by
 * merging); invalid UTF-8 bytes are single-byte symbols, so they reach the
 * byte fallback instead of being rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

typedef struct spm_symbol {
    uint32_t start, len; /* in the escaped text; len 0 = merged away */
    int32_t prev, next;
} spm_symbol;

typedef struct spm_candidate {
    float score;
    int32_t left, right;
    uint32_t len; /* combined length when queued; a mismatch means stale */
} spm_candidate;

typedef struct spm_work {
    const tok_vocab *v;
    const char *text;
    spm_symbol *symbols;
    spm_candidate *heap;
    size_t n_heap;
} spm_work;

static int cand_better(const spm_candidate *a, const spm_candidate *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void heap_push(spm_work *w, spm_candidate c)
{
    size_t i = w->n_heap++;
    while (i > 0 && cand_better(&c, &w->heap[(i - 1) / 2])) {
        w->heap[i] = w->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    w->heap[i] = c;
}

static spm_candidate heap_pop(spm_work *w)
{
    spm_candidate top = w->heap[0], last = w->heap[--w->n_heap];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= w->n_heap)
            break;
        if (child + 1 < w->n_heap && cand_better(&w->heap[child + 1], &w->heap[child]))
            child++;
        if (!cand_better(&w->heap[child], &last))
            break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    w->heap[i] = last;
    return top;
}

static int mergeable(uint8_t type)
{
    return type == TOK_TYPE_NORMAL || type == TOK_TYPE_USER_DEFINED || type == TOK_TYPE_UNUSED ||
           type == TOK_TYPE_UNDEFINED;
}

static void try_pair(spm_work *w, int32_t left, int32_t right)
{
    if (left < 0 || right < 0)
        return;
    const spm_symbol *l = &w->symbols[left], *r = &w->symbols[right];
    uint32_t len = l->len + r->len;
    int32_t id = tok_lookup(w->v, w->text + l->start, len);
    if (id < 0 || !mergeable(w->v->types[id]))
        return;
    spm_candidate c = {w->v->scores[id], left, right, len};
    heap_push(w, c);
}

/* Applies queued merges (best first) until none is left. */
static void merge_all(spm_work *w)
{
    while (w->n_heap > 0) {
        spm_candidate c = heap_pop(w);
        spm_symbol *l = &w->symbols[c.left], *r = &w->symbols[c.right];
        if (l->len == 0 || r->len == 0 || l->next != c.right || l->len + r->len != c.len)
            continue;
        l->len += r->len;
        l->next = r->next;
        if (r->next >= 0)
            w->symbols[r->next].prev = c.left;
        r->len = 0;
        try_pair(w, l->prev, c.left);
        try_pair(w, c.left, l->next);
    }
}

/* Symbols [begin, end) can be merged without looking past end: the symbol at
 * end - 1 is an ASCII character that no multi-character piece contains. */
static int32_t chunk_end(const spm_work *w, int32_t begin, int32_t n)
{
    for (int32_t i = begin; i < n; i++) {
        const spm_symbol *sym = &w->symbols[i];
        unsigned char c = (unsigned char)w->text[sym->start];
        if (sym->len == 1 && c < 0x80 && w->v->spm_breaks[c])
            return i + 1;
    }
    return n;
}

/* " " -> "▁"; with add_prefix_space a "▁" first. *out is malloc'd. */
static char *escape_spaces(const char *text, size_t len, int add_prefix_space, size_t *out_len)
{
    size_t spaces = (size_t)add_prefix_space;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    char *out = malloc(len + 2 * spaces + 1);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    if (add_prefix_space) {
        memcpy(out, "\xe2\x96\x81", 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(out + n, "\xe2\x96\x81", 3);
            n += 3;
        } else {
            out[n++] = text[i];
        }
    }
    *out_len = n;
    return out;
}

static void emit_symbol(const tok_vocab *v, const char *text, const spm_symbol *sym, tok_ids *out)
{
    int32_t id = tok_lookup(v, text + sym->start, sym->len);
    if (id >= 0) {
        tok_ids_push(out, id);
        return;
    }
    for (uint32_t i = 0; i < sym->len; i++) {
        int32_t b = v->byte_token[(unsigned char)text[sym->start + i]];
        if (b >= 0)
            tok_ids_push(out, b);
        else if (v->unk >= 0 && (i == 0 || v->byte_token[(unsigned char)text[sym->start + i - 1]] >= 0))
            tok_ids_push(out, v->unk); /* one <unk> per unknown character, as SentencePiece */
    }
}

static int32_t init_symbols(spm_work *w, size_t len)
{
    int32_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t clen = tok_utf8_len((const unsigned char *)w->text + i, len - i);
        w->symbols[n].start = (uint32_t)i;
        w->symbols[n].len = clen;
        w->symbols[n].prev = n - 1;
        w->symbols[n].next = i + clen < len ? n + 1 : -1;
        n++;
        i += clen;
    }
    return n;
}

int tok_spm_encode(const tok_vocab *v, const char *text, size_t len, int add_prefix_space,
                   tok_ids *out, char *err, size_t err_size)
{
    size_t elen;
    char *escaped = escape_spaces(text, len, add_prefix_space, &elen);
    spm_work w = {v, escaped, NULL, NULL, 0};
    if (escaped != NULL && elen >= UINT32_MAX / 3) {
        free(escaped);
        snprintf(err, err_size, "%s: text too long to tokenize in one piece (%zu bytes)", v->path, len);
        return -1;
    }
    if (escaped == NULL)
        goto oom;
    if (elen == 0) {
        free(escaped);
        return 0;
    }
    w.symbols = malloc(elen * sizeof *w.symbols);
    w.heap = malloc((elen * 3 + 1) * sizeof *w.heap); /* n-1 initial pairs + 2 per merge */
    if (w.symbols == NULL || w.heap == NULL)
        goto oom;
    int32_t n = init_symbols(&w, elen);
    for (int32_t begin = 0, end; begin < n; begin = end) {
        end = chunk_end(&w, begin, n);
        for (int32_t i = begin; i + 1 < end; i++)
            try_pair(&w, i, i + 1);
        merge_all(&w);
    }
    for (int32_t i = 0; i >= 0; i = w.symbols[i].next)
        emit_symbol(v, escaped, &w.symbols[i], out);
    free(w.symbols);
    free(w.heap);
    free(escaped);
    return 0;
oom:
    free(w.symbols);
    free(w.heap);
    free(escaped);
    snprintf(err, err_size, "%s: out of memory while tokenizing", v->path);
    return -1;
}
