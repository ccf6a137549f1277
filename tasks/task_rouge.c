/*
 * task_rouge.c — ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum F-measures with the
 * semantics of Google's rouge-score package.
 *
 * Tokenizing: lowercase (ASCII), every run of characters outside [a-z0-9]
 * becomes one space, split on spaces, optionally Porter-stem tokens longer
 * than 3 characters (with NLTK's corrections, as rouge-score does).
 * N-gram scores count clipped overlaps (min of counts);
 * ROUGE-L uses the LCS of the whole token sequences; ROUGE-Lsum splits both
 * texts at '\n' into sentences and, for each reference sentence, takes the
 * union of its LCS token positions against every predicted sentence, each
 * token hit counted at most as often as it occurs in both texts.
 * F = 2PR/(P+R), 0 when either side has no tokens. Pure, no state.
 */
#include "tasks/task.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct token_list {
    char **tokens;
    int n, cap;
} token_list;

static void tokens_free(token_list *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->tokens[i]);
    free(t->tokens);
    t->tokens = NULL;
    t->n = t->cap = 0;
}

static int tokens_push(token_list *t, const char *s, size_t len, int stem)
{
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        char **grown = realloc(t->tokens, (size_t)cap * sizeof(char *));
        if (!grown)
            return -1;
        t->tokens = grown;
        t->cap = cap;
    }
    char word[128];
    if (len >= sizeof(word))
        len = sizeof(word) - 1;
    memcpy(word, s, len);
    word[len] = '\0';
    char stemmed[128];
    if (stem && len > 3)
        task_porter_stem_nltk(word, stemmed, sizeof(stemmed));
    else
        memcpy(stemmed, word, len + 1);
    t->tokens[t->n] = strdup(stemmed);
    if (!t->tokens[t->n])
        return -1;
    t->n++;
    return 0;
}

/* Tokenizes text[0..len). */
static int tokenize(const char *text, size_t len, int stem, token_list *out)
{
    memset(out, 0, sizeof(*out));
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)tolower((unsigned char)text[i]) : ' ';
        int keep = c < 0x80 && (islower(c) || isdigit(c));
        if (keep && k < sizeof(buf) - 1) {
            buf[k++] = (char)c;
        } else if (!keep && k > 0) {
            if (tokens_push(out, buf, k, stem) != 0) {
                tokens_free(out);
                return -1;
            }
            k = 0;
        }
    }
    return 0;
}

static double f_measure(double hits, int n_target, int n_pred)
{
    if (n_target == 0 || n_pred == 0 || hits <= 0)
        return 0.0;
    double p = hits / n_pred, r = hits / n_target;
    return 2 * p * r / (p + r);
}

static int ngram_equal(const token_list *a, int i, const token_list *b, int j, int n)
{
    for (int k = 0; k < n; k++)
        if (strcmp(a->tokens[i + k], b->tokens[j + k]) != 0)
            return 0;
    return 1;
}

/* Clipped n-gram overlap: each predicted n-gram matches an unused target one. */
static double rouge_n(const token_list *target, const token_list *pred, int n)
{
    int nt = target->n - n + 1, np = pred->n - n + 1;
    if (nt <= 0 || np <= 0)
        return 0.0;
    char *used = calloc((size_t)nt, 1);
    if (!used)
        return 0.0;
    int hits = 0;
    for (int i = 0; i < np; i++)
        for (int j = 0; j < nt; j++)
            if (!used[j] && ngram_equal(pred, i, target, j, n)) {
                used[j] = 1;
                hits++;
                break;
            }
    free(used);
    return f_measure(hits, nt, np);
}

/* LCS table of a[a0..a1) vs b[b0..b1), (rows+1) x (cols+1), malloc'd. */
static int *lcs_table(char **a, int na, char **b, int nb)
{
    int *t = calloc((size_t)(na + 1) * (size_t)(nb + 1), sizeof(int));
    if (!t)
        return NULL;
    for (int i = 1; i <= na; i++)
        for (int j = 1; j <= nb; j++) {
            int *cell = &t[i * (nb + 1) + j];
            if (strcmp(a[i - 1], b[j - 1]) == 0)
                *cell = t[(i - 1) * (nb + 1) + j - 1] + 1;
            else {
                int up = t[(i - 1) * (nb + 1) + j], left = t[i * (nb + 1) + j - 1];
                *cell = up > left ? up : left;
            }
        }
    return t;
}

static double rouge_l(const token_list *target, const token_list *pred)
{
    if (target->n == 0 || pred->n == 0)
        return 0.0;
    int *t = lcs_table(target->tokens, target->n, pred->tokens, pred->n);
    if (!t)
        return 0.0;
    int lcs = t[target->n * (pred->n + 1) + pred->n];
    free(t);
    return f_measure(lcs, target->n, pred->n);
}

/* Marks in mark[] the positions of ref that one LCS with can uses (the
 * backtrack prefers a diagonal step on equal tokens, then the larger of
 * left/up, up on ties — the rouge-score order). */
static int mark_lcs(char **ref, int nr, char **can, int nc, char *mark)
{
    int *t = lcs_table(ref, nr, can, nc);
    if (!t)
        return -1;
    int i = nr, j = nc;
    while (i > 0 && j > 0) {
        if (strcmp(ref[i - 1], can[j - 1]) == 0) {
            mark[i - 1] = 1;
            i--;
            j--;
        } else if (t[i * (nc + 1) + j - 1] > t[(i - 1) * (nc + 1) + j]) {
            j--;
        } else {
            i--;
        }
    }
    free(t);
    return 0;
}

typedef struct sentence_set {
    token_list *sentences;
    int n;
    token_list all; /* every token, for the budgets */
} sentence_set;

static void sentences_free(sentence_set *s)
{
    for (int i = 0; i < s->n; i++)
        tokens_free(&s->sentences[i]);
    free(s->sentences);
    tokens_free(&s->all);
}

/* Splits at '\n'; sentences without tokens are dropped. */
static int split_sentences(const char *text, int stem, sentence_set *out)
{
    memset(out, 0, sizeof(*out));
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    out->sentences = calloc(lines, sizeof(token_list));
    if (!out->sentences || tokenize(text, strlen(text), stem, &out->all) != 0)
        return -1;
    for (const char *p = text;;) {
        size_t len = strcspn(p, "\n");
        token_list t;
        if (tokenize(p, len, stem, &t) != 0)
            return -1;
        if (t.n > 0)
            out->sentences[out->n++] = t;
        else
            tokens_free(&t);
        if (!p[len])
            break;
        p += len + 1;
    }
    return 0;
}

/* Remaining budget of token tok in list (count of tok minus used). */
static int count_token(const token_list *l, const char *tok)
{
    int c = 0;
    for (int i = 0; i < l->n; i++)
        c += strcmp(l->tokens[i], tok) == 0;
    return c;
}

typedef struct budget {
    char **keys;
    int *ref_left, *can_left;
    int n;
} budget;

static int budget_index(budget *b, const char *tok, const token_list *ref_all, const token_list *can_all)
{
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->keys[i], tok) == 0)
            return i;
    b->keys[b->n] = (char *)tok;
    b->ref_left[b->n] = count_token(ref_all, tok);
    b->can_left[b->n] = count_token(can_all, tok);
    return b->n++;
}

static int lsum_hits(const sentence_set *ref, const sentence_set *can, int *hits)
{
    budget b;
    int cap = ref->all.n + 1;
    b.keys = calloc((size_t)cap, sizeof(char *));
    b.ref_left = calloc((size_t)cap, sizeof(int));
    b.can_left = calloc((size_t)cap, sizeof(int));
    b.n = 0;
    int rc = (b.keys && b.ref_left && b.can_left) ? 0 : -1;
    *hits = 0;
    for (int r = 0; r < ref->n && rc == 0; r++) {
        const token_list *rs = &ref->sentences[r];
        char *mark = calloc((size_t)rs->n + 1, 1);
        if (!mark) {
            rc = -1;
            break;
        }
        for (int c = 0; c < can->n && rc == 0; c++)
            rc = mark_lcs(rs->tokens, rs->n, can->sentences[c].tokens, can->sentences[c].n, mark);
        for (int i = 0; i < rs->n && rc == 0; i++) {
            if (!mark[i])
                continue;
            int k = budget_index(&b, rs->tokens[i], &ref->all, &can->all);
            if (b.ref_left[k] > 0 && b.can_left[k] > 0) {
                b.ref_left[k]--;
                b.can_left[k]--;
                (*hits)++;
            }
        }
        free(mark);
    }
    free(b.keys);
    free(b.ref_left);
    free(b.can_left);
    return rc;
}

static int rouge_lsum(const char *target, const char *prediction, int stem, double *out)
{
    sentence_set ref, can;
    int rc = split_sentences(target, stem, &ref);
    rc = (split_sentences(prediction, stem, &can) == 0) ? rc : -1;
    *out = 0.0;
    if (rc == 0 && ref.n > 0 && can.n > 0) {
        int hits = 0;
        rc = lsum_hits(&ref, &can, &hits);
        *out = f_measure(hits, ref.all.n, can.all.n);
    }
    sentences_free(&ref);
    sentences_free(&can);
    return rc;
}

int task_rouge_score(const char *target, const char *prediction, int use_stemmer, task_rouge *out)
{
    memset(out, 0, sizeof(*out));
    token_list t, p;
    if (tokenize(target, strlen(target), use_stemmer, &t) != 0)
        return -1;
    if (tokenize(prediction, strlen(prediction), use_stemmer, &p) != 0) {
        tokens_free(&t);
        return -1;
    }
    out->rouge1 = rouge_n(&t, &p, 1);
    out->rouge2 = rouge_n(&t, &p, 2);
    out->rougeL = rouge_l(&t, &p);
    tokens_free(&t);
    tokens_free(&p);
    return rouge_lsum(target, prediction, use_stemmer, &out->rougeLsum);
}
