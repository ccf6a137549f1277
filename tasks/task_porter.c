/*
 * task_porter.c — the Porter (1980) suffix-stripping stemmer, as published
 * ("An algorithm for suffix stripping", Program 14(3)), steps 1a–5b, and the
 * variant with the later corrections that NLTK applies by default (which is
 * what Google's rouge-score stems with):
 *   - a short table of irregular forms (skies -> sky, dying -> die, ...);
 *   - 4-letter "-ies" -> "-ie"; "-ied" -> "-ie" (4 letters) or "-i";
 *   - *o also holds for a 2-letter vowel-consonant stem;
 *   - step 1c: y -> i only after a consonant that is not the first letter;
 *   - step 2: "alli" -> "al" first (then step 2 again), "bli" -> "ble"
 *     replaces "abli" -> "able", plus "fulli" -> "ful" and "logi" -> "log".
 * Works on lowercase ASCII words; anything else is copied unchanged. Words of
 * one or two letters are never stemmed. Within a step only the rule with the
 * longest matching suffix is considered; if its condition fails the step does
 * nothing (the paper's rule). Pure functions, no state.
 */
#include "tasks/task.h"

#include <stdio.h>
#include <string.h>

typedef struct stem_word {
    char b[64];
    int len;        /* current length of b */
    int extensions; /* 1: NLTK's corrections (see the header) */
} stem_word;

/* 1 if b[i] is a consonant in Porter's sense (y after a consonant is a vowel). */
static int is_consonant(const stem_word *w, int i)
{
    switch (w->b[i]) {
    case 'a': case 'e': case 'i': case 'o': case 'u':
        return 0;
    case 'y':
        return i == 0 ? 1 : !is_consonant(w, i - 1);
    default:
        return 1;
    }
}

/* m of b[0..end): the number of VC sequences in [C](VC){m}[V]. */
static int measure(const stem_word *w, int end)
{
    int i = 0, m = 0;
    while (i < end && is_consonant(w, i))
        i++;
    while (i < end) {
        while (i < end && !is_consonant(w, i))
            i++;
        if (i >= end)
            break;
        while (i < end && is_consonant(w, i))
            i++;
        m++;
    }
    return m;
}

static int has_vowel(const stem_word *w, int end)
{
    for (int i = 0; i < end; i++)
        if (!is_consonant(w, i))
            return 1;
    return 0;
}

static int double_consonant(const stem_word *w, int end)
{
    return end >= 2 && w->b[end - 1] == w->b[end - 2] && is_consonant(w, end - 1);
}

/* *o: the stem ends consonant-vowel-consonant, the last not w, x or y. */
static int cvc(const stem_word *w, int end)
{
    if (w->extensions && end == 2 && !is_consonant(w, 0) && is_consonant(w, 1))
        return 1;
    if (end < 3 || !is_consonant(w, end - 1) || is_consonant(w, end - 2) || !is_consonant(w, end - 3))
        return 0;
    char c = w->b[end - 1];
    return c != 'w' && c != 'x' && c != 'y';
}

static int ends_with(const stem_word *w, const char *suffix)
{
    int n = (int)strlen(suffix);
    return n <= w->len && memcmp(w->b + w->len - n, suffix, (size_t)n) == 0;
}

/* Replaces the (known) suffix of length suffix_len with replacement. */
static void replace_tail(stem_word *w, int suffix_len, const char *replacement)
{
    int n = (int)strlen(replacement);
    w->len -= suffix_len;
    memcpy(w->b + w->len, replacement, (size_t)n);
    w->len += n;
    w->b[w->len] = '\0';
}

typedef struct stem_rule {
    const char *suffix, *replacement;
} stem_rule;

/* Applies the longest matching rule if the stem's measure exceeds min_m. */
static int apply_rules(stem_word *w, const stem_rule *rules, int n_rules, int min_m)
{
    int best = -1, best_len = 0;
    for (int i = 0; i < n_rules; i++) {
        int len = (int)strlen(rules[i].suffix);
        if (len > best_len && ends_with(w, rules[i].suffix)) {
            best = i;
            best_len = len;
        }
    }
    if (best < 0)
        return 0;
    if (measure(w, w->len - best_len) > min_m)
        replace_tail(w, best_len, rules[best].replacement);
    return 1;
}

static void step1a(stem_word *w)
{
    if (w->extensions && w->len == 4 && ends_with(w, "ies"))
        replace_tail(w, 3, "ie");
    else if (ends_with(w, "sses"))
        replace_tail(w, 4, "ss");
    else if (ends_with(w, "ies"))
        replace_tail(w, 3, "i");
    else if (ends_with(w, "ss"))
        return;
    else if (ends_with(w, "s"))
        replace_tail(w, 1, "");
}

static void step1b_tidy(stem_word *w)
{
    if (ends_with(w, "at") || ends_with(w, "bl") || ends_with(w, "iz")) {
        replace_tail(w, 0, "e");
    } else if (double_consonant(w, w->len)) {
        char c = w->b[w->len - 1];
        if (c != 'l' && c != 's' && c != 'z')
            replace_tail(w, 1, "");
    } else if (measure(w, w->len) == 1 && cvc(w, w->len)) {
        replace_tail(w, 0, "e");
    }
}

static void step1b(stem_word *w)
{
    if (w->extensions && ends_with(w, "ied")) {
        replace_tail(w, 3, w->len == 4 ? "ie" : "i");
        return;
    }
    if (ends_with(w, "eed")) {
        if (measure(w, w->len - 3) > 0)
            replace_tail(w, 1, "");
        return;
    }
    int cut = ends_with(w, "ed") ? 2 : ends_with(w, "ing") ? 3 : 0;
    if (cut && has_vowel(w, w->len - cut)) {
        replace_tail(w, cut, "");
        step1b_tidy(w);
    }
}

static void step1c(stem_word *w)
{
    if (!ends_with(w, "y"))
        return;
    int stem = w->len - 1;
    if (w->extensions ? (stem > 1 && is_consonant(w, stem - 1)) : has_vowel(w, stem))
        w->b[w->len - 1] = 'i';
}

static void step2(stem_word *w)
{
    static const stem_rule rules[] = {
        {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"},
        {"izer", "ize"}, {"abli", "able"}, {"alli", "al"}, {"entli", "ent"},
        {"eli", "e"}, {"ousli", "ous"}, {"ization", "ize"}, {"ation", "ate"},
        {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"},
        {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
    };
    static const stem_rule extended[] = {
        {"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"},
        {"izer", "ize"}, {"bli", "ble"}, {"entli", "ent"},
        {"eli", "e"}, {"ousli", "ous"}, {"ization", "ize"}, {"ation", "ate"},
        {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"}, {"fulness", "ful"},
        {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
        {"fulli", "ful"},
    };
    if (!w->extensions) {
        apply_rules(w, rules, (int)(sizeof(rules) / sizeof(rules[0])), 0);
        return;
    }
    if (ends_with(w, "alli") && measure(w, w->len - 4) > 0) {
        replace_tail(w, 4, "al");
        step2(w);
        return;
    }
    /* "logi" -> "log" measures the stem with its 'l' (so geo-, theo- work) */
    if (ends_with(w, "logi")) {
        if (measure(w, w->len - 3) > 0)
            replace_tail(w, 1, "");
        return;
    }
    apply_rules(w, extended, (int)(sizeof(extended) / sizeof(extended[0])), 0);
}

static void step3(stem_word *w)
{
    static const stem_rule rules[] = {
        {"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"},
        {"ical", "ic"}, {"ful", ""}, {"ness", ""},
    };
    apply_rules(w, rules, (int)(sizeof(rules) / sizeof(rules[0])), 0);
}

static void step4(stem_word *w)
{
    static const char *const suffixes[] = {
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment",
        "ent", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize",
    };
    int best_len = 0;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        int len = (int)strlen(suffixes[i]);
        if (len > best_len && ends_with(w, suffixes[i]))
            best_len = len;
    }
    if (best_len == 0)
        return;
    int stem_end = w->len - best_len;
    if (measure(w, stem_end) <= 1)
        return;
    /* (m>1 and (*S or *T)) ION */
    if (ends_with(w, "ion") && best_len == 3 &&
        !(stem_end > 0 && (w->b[stem_end - 1] == 's' || w->b[stem_end - 1] == 't')))
        return;
    replace_tail(w, best_len, "");
}

static void step5(stem_word *w)
{
    if (ends_with(w, "e")) {
        int m = measure(w, w->len - 1);
        if (m > 1 || (m == 1 && !cvc(w, w->len - 1)))
            replace_tail(w, 1, "");
    }
    if (measure(w, w->len) > 1 && double_consonant(w, w->len) && w->b[w->len - 1] == 'l')
        replace_tail(w, 1, "");
}

static int is_lower_word(const char *word, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (word[i] < 'a' || word[i] > 'z')
            return 0;
    return 1;
}

/* NLTK's table of irregular forms; 1 and *out set when word is one. */
static int irregular_form(const char *word, const char **out)
{
    static const char *const forms[][2] = {
        {"sky", "sky"}, {"skies", "sky"}, {"dying", "die"}, {"lying", "lie"}, {"tying", "tie"},
        {"news", "news"}, {"innings", "inning"}, {"inning", "inning"}, {"outings", "outing"},
        {"outing", "outing"}, {"cannings", "canning"}, {"canning", "canning"}, {"howe", "howe"},
        {"proceed", "proceed"}, {"exceed", "exceed"}, {"succeed", "succeed"},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strcmp(word, forms[i][0]) == 0) {
            *out = forms[i][1];
            return 1;
        }
    return 0;
}

static void stem_word_with(const char *word, char *out, size_t out_size, int extensions)
{
    if (out_size == 0)
        return;
    size_t len = strlen(word);
    const char *irregular;
    if (extensions && irregular_form(word, &irregular)) {
        snprintf(out, out_size, "%s", irregular);
        return;
    }
    if (len <= 2 || len >= sizeof(((stem_word *)0)->b) || !is_lower_word(word, len)) {
        snprintf(out, out_size, "%s", word);
        return;
    }
    stem_word w;
    memcpy(w.b, word, len + 1);
    w.len = (int)len;
    w.extensions = extensions;
    step1a(&w);
    step1b(&w);
    step1c(&w);
    step2(&w);
    step3(&w);
    step4(&w);
    step5(&w);
    snprintf(out, out_size, "%s", w.b);
}

void task_porter_stem(const char *word, char *out, size_t out_size)
{
    stem_word_with(word, out, out_size, 0);
}

void task_porter_stem_nltk(const char *word, char *out, size_t out_size)
{
    stem_word_with(word, out, out_size, 1);
}
