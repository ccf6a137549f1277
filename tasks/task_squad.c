/*
 * task_squad.c — SQuAD exact match and token F1, as the official v1.1
 * evaluation script defines them, plus v2.0 no-answer handling.
 *
 * normalize(s) = collapse_whitespace(remove_articles(remove_punctuation(lower(s))))
 * with: lower = ASCII lowercase; punctuation = the 32 ASCII punctuation
 * characters; articles = the whole words a / an / the (word characters are
 * ASCII letters, digits, '_' and every byte >= 0x80, approximating Python's
 * Unicode \w); whitespace = ASCII space, \t \n \v \f \r. Non-ASCII case folding
 * and Unicode whitespace are not applied (documented in tasks/FORMAT.md).
 * F1 = 2PR/(P+R) over the multiset of normalized tokens; 0 if nothing shared.
 * Pure functions, no state.
 */
#include "tasks/task.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static int is_space_byte(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static int is_article(const char *s, size_t len)
{
    return (len == 1 && s[0] == 'a') || (len == 2 && memcmp(s, "an", 2) == 0) ||
           (len == 3 && memcmp(s, "the", 3) == 0);
}

/* Stage 1: ASCII lowercase, ASCII punctuation deleted. Returns the length. */
static size_t lower_without_punctuation(const char *text, char *out)
{
    size_t k = 0;
    for (size_t i = 0; text[i]; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80 && ispunct(c))
            continue;
        out[k++] = (char)(c < 0x80 ? tolower(c) : c);
    }
    out[k] = '\0';
    return k;
}

static void put_separator(char *out, size_t *o)
{
    if (*o > 0 && out[*o - 1] != ' ')
        out[(*o)++] = ' ';
}

/* Stage 2: maximal runs of word bytes and non-word bytes; an article word
 * becomes a separator, whitespace runs become single separators, other
 * non-word bytes are kept. Trailing separators are dropped. */
static void drop_articles_collapse(const char *stage, size_t k, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        int word = is_word_byte((unsigned char)stage[i]);
        while (j < k && is_word_byte((unsigned char)stage[j]) == word)
            j++;
        if (word && !is_article(stage + i, j - i)) {
            memcpy(out + o, stage + i, j - i);
            o += j - i;
        } else if (word) {
            put_separator(out, &o);
        } else {
            for (size_t t = i; t < j; t++) {
                if (is_space_byte((unsigned char)stage[t]))
                    put_separator(out, &o);
                else
                    out[o++] = stage[t];
            }
        }
        i = j;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* Returns a malloc'd normalized copy (tokens separated by single spaces). */
static char *squad_normalize(const char *text)
{
    size_t n = strlen(text);
    char *stage = malloc(n + 1), *out = malloc(n + 1);
    if (stage && out)
        drop_articles_collapse(stage, lower_without_punctuation(text, stage), out);
    free(stage);
    if (!stage) {
        free(out);
        return NULL;
    }
    return out;
}

/* Splits a normalized string in place into tokens; returns the count. */
static int split_tokens(char *s, char ***tokens)
{
    int count = 0;
    for (char *p = s; *p; p++)
        if (p == s || p[-1] == ' ')
            count += *p != ' ';
    *tokens = calloc((size_t)count + 1, sizeof(char *));
    if (!*tokens)
        return -1;
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        (*tokens)[n++] = tok;
    return n;
}

double task_squad_exact(const char *prediction, const char *answer)
{
    char *a = squad_normalize(prediction), *b = squad_normalize(answer);
    double r = (a && b && strcmp(a, b) == 0) ? 1.0 : 0.0;
    free(a);
    free(b);
    return r;
}

static int shared_tokens(char **pred, int np, char **gold, int ng)
{
    char *used = calloc((size_t)ng + 1, 1);
    if (!used)
        return 0;
    int same = 0;
    for (int i = 0; i < np; i++)
        for (int j = 0; j < ng; j++)
            if (!used[j] && strcmp(pred[i], gold[j]) == 0) {
                used[j] = 1;
                same++;
                break;
            }
    free(used);
    return same;
}

double task_squad_f1(const char *prediction, const char *answer)
{
    char *a = squad_normalize(prediction), *b = squad_normalize(answer);
    char **pt = NULL, **gt = NULL;
    double f1 = 0.0;
    if (a && b) {
        int np = split_tokens(a, &pt), ng = split_tokens(b, &gt);
        int same = (np > 0 && ng > 0) ? shared_tokens(pt, np, gt, ng) : 0;
        if (same > 0) {
            double p = (double)same / np, r = (double)same / ng;
            f1 = 2 * p * r / (p + r);
        }
    }
    free(pt);
    free(gt);
    free(a);
    free(b);
    return f1;
}

void task_squad_score(const char *prediction, const char *const *answers, int n_answers,
                      double *exact, double *f1)
{
    *exact = 0.0;
    *f1 = 0.0;
    if (n_answers == 0) {
        char *p = squad_normalize(prediction);
        *exact = *f1 = (p && p[0] == '\0') ? 1.0 : 0.0;
        free(p);
        return;
    }
    for (int i = 0; i < n_answers; i++) {
        double e = task_squad_exact(prediction, answers[i]);
        double f = task_squad_f1(prediction, answers[i]);
        if (e > *exact)
            *exact = e;
        if (f > *f1)
            *f1 = f;
    }
}
