/*
 * tokenizer.c — the tokenizer pipeline shared by both models: cut the text at
 * tokens that are matched verbatim (user-defined tokens always, control tokens
 * only with parse_special), hand every raw fragment to SPM or byte-level BPE,
 * add BOS/EOS; and the reverse, ids -> text.
 *
 * Invariants:
 *  - matching verbatim tokens is leftmost-longest over the raw text (what the
 *    Hugging Face added-token matcher does); fragments between them are
 *    tokenized independently; a token marked lstrip/rstrip absorbs the ASCII
 *    whitespace before/after it;
 *  - SPM fragments get the "▁" prefix when add_space_prefix is set and the
 *    fragment starts the text or follows a verbatim token (llama.cpp and
 *    SentencePiece behaviour), so decoding strips one leading space from the
 *    first rendered piece;
 *  - no byte of input is dropped, except where upstream drops it too: a
 *    byte-level vocabulary without the stand-in of a byte that never occurs in
 *    UTF-8 (StarCoder's lacks 0xFF, ...) has no token for it. SPM falls back
 *    to <0xNN>, then <unk>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

static int allowed_verbatim(const tok_vocab *v, int32_t id, int parse_special)
{
    return parse_special || v->types[id] == TOK_TYPE_USER_DEFINED;
}

/* The longest verbatim token at text[0..], or -1. */
static int32_t match_verbatim(const tok_vocab *v, const char *text, size_t len, int parse_special)
{
    unsigned char b = (unsigned char)text[0];
    for (uint32_t i = v->special_bucket[b]; i < v->special_bucket[b + 1]; i++) {
        int32_t id = v->specials[i];
        size_t tl;
        const char *t = tok_text(v, id, &tl);
        if (tl <= len && memcmp(t, text, tl) == 0 && allowed_verbatim(v, id, parse_special))
            return id;
    }
    return -1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

typedef struct encode_run {
    const tok_vocab *v;
    tok_bpe_state *bpe;
    tok_ids *out;
    int prev_verbatim; /* the previous fragment was a verbatim token (or none yet) */
} encode_run;

static int encode_fragment(encode_run *r, const char *text, size_t len, char *err, size_t err_size)
{
    if (len == 0)
        return 0;
    int prefix = r->v->add_space_prefix && r->prev_verbatim;
    r->prev_verbatim = 0;
    if (r->v->kind == TOK_KIND_SPM)
        return tok_spm_encode(r->v, text, len, prefix, r->out, err, err_size);
    if (!prefix)
        return tok_bpe_encode(r->v, r->bpe, text, len, r->out, err, err_size);
    char *spaced = malloc(len + 1); /* BPE with add_space_prefix (rare): a literal space */
    if (spaced == NULL) {
        snprintf(err, err_size, "%s: out of memory while tokenizing", r->v->path);
        return -1;
    }
    spaced[0] = ' ';
    memcpy(spaced + 1, text, len);
    int status = tok_bpe_encode(r->v, r->bpe, spaced, len + 1, r->out, err, err_size);
    free(spaced);
    return status;
}

static int encode_text(encode_run *r, const char *text, size_t len, int parse_special,
                       char *err, size_t err_size)
{
    const tok_vocab *v = r->v;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        if (v->special_bucket[b] == v->special_bucket[b + 1])
            continue;
        int32_t id = match_verbatim(v, text + i, len - i, parse_special);
        if (id < 0)
            continue;
        size_t before = i;
        if (v->strip && (v->strip[id] & TOK_STRIP_LEFT))
            while (before > start && is_space(text[before - 1]))
                before--;
        if (encode_fragment(r, text + start, before - start, err, err_size) != 0)
            return -1;
        tok_ids_push(r->out, id);
        r->prev_verbatim = 1;
        i += v->text_len[id];
        if (v->strip && (v->strip[id] & TOK_STRIP_RIGHT))
            while (i < len && is_space(text[i]))
                i++;
        start = i--;
    }
    return encode_fragment(r, text + start, len - start, err, err_size);
}

int tok_encode(const tok_vocab *v, const char *text, size_t len, int add_bos, int add_eos,
               int parse_special, tok_ids *out, char *err, size_t err_size)
{
    encode_run r = {v, NULL, out, 1};
    if (v->encode_error[0]) {
        snprintf(err, err_size, "%s: %s", v->path, v->encode_error);
        return -1;
    }
    if (v->kind == TOK_KIND_BPE && tok_bpe_state_create(v, &r.bpe, err, err_size) != 0)
        return -1;
    if (add_bos && v->bos >= 0)
        tok_ids_push(out, v->bos);
    int status = encode_text(&r, text, len, parse_special, err, err_size);
    if (status == 0 && add_eos && v->eos >= 0)
        tok_ids_push(out, v->eos);
    tok_bpe_state_free(r.bpe);
    if (status == 0 && out->failed) {
        snprintf(err, err_size, "%s: out of memory while tokenizing", v->path);
        status = -1;
    }
    return status;
}

/* ---- ids -> text ------------------------------------------------------------------ */

static int rendered(const tok_vocab *v, int32_t id, int render_special)
{
    uint8_t t = v->types[id];
    return render_special || (t != TOK_TYPE_CONTROL && t != TOK_TYPE_UNKNOWN);
}

int tok_decode(const tok_vocab *v, const int32_t *ids, int n, int render_special,
               char **out, size_t *out_len, char *err, size_t err_size)
{
    *out = NULL;
    size_t total = 1;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= v->n_tokens) {
            snprintf(err, err_size, "%s: token id %d out of range (vocabulary has %d tokens)",
                     v->path, (int)ids[i], v->n_tokens);
            return -1;
        }
        total += v->piece_len[ids[i]];
    }
    char *text = malloc(total);
    if (text == NULL) {
        snprintf(err, err_size, "%s: out of memory while detokenizing", v->path);
        return -1;
    }
    size_t len = 0;
    int strip_space = v->kind == TOK_KIND_SPM && v->add_space_prefix;
    for (int i = 0; i < n; i++) {
        if (!rendered(v, ids[i], render_special))
            continue;
        const char *piece = v->piece_arena + v->piece_offset[ids[i]];
        size_t plen = v->piece_len[ids[i]];
        if (strip_space && v->types[ids[i]] != TOK_TYPE_CONTROL && plen > 0 && piece[0] == ' ') {
            piece++;
            plen--;
        }
        if (v->types[ids[i]] != TOK_TYPE_CONTROL)
            strip_space = 0;
        memcpy(text + len, piece, plen);
        len += plen;
    }
    text[len] = '\0';
    *out = text;
    if (out_len)
        *out_len = len;
    return 0;
}
