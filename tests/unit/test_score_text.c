/*
 * test_score_text.c — SQuAD EM/F1, ROUGE-1/2/L/Lsum, the Porter stemmer and
 * pass@k against values computed by hand (the arithmetic is in the comments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "tasks/task.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static void test_squad_normalization(void **state)
{
    (void)state;
    NEAR(task_squad_exact("The Cat!", "cat"), 1);            /* article + punctuation */
    NEAR(task_squad_exact("an apple", "Apple"), 1);
    NEAR(task_squad_exact("theatre", "atre"), 0);           /* articles only as whole words */
    NEAR(task_squad_exact("U.S.A.", "USA"), 1);              /* punctuation deleted, not spaced */
    NEAR(task_squad_exact("1,000", "1000"), 1);
    NEAR(task_squad_exact("  New \t York ", "new york"), 1);
    NEAR(task_squad_exact("foo_bar", "foobar"), 1);          /* '_' is ASCII punctuation */
    NEAR(task_squad_exact("", "x"), 0);
}

static void test_squad_f1(void **state)
{
    (void)state;
    /* [big red dog] vs [red dog barked]: 2 shared, P = R = 2/3 */
    NEAR(task_squad_f1("the big red dog", "red dog barked"), 2.0 / 3);
    /* multisets: [x x y] vs [x y y]: x min(2,1) + y min(1,2) = 2 -> 2/3 */
    NEAR(task_squad_f1("x x y", "x y y"), 2.0 / 3);
    /* "state-of-the-art" is one token "stateoftheart" after punctuation removal */
    NEAR(task_squad_f1("state-of-the-art", "state of the art"), 0);
    NEAR(task_squad_f1("", "anything"), 0);
    NEAR(task_squad_f1("Paris", "paris"), 1);
}

static void test_squad_max_and_no_answer(void **state)
{
    (void)state;
    double em, f1;
    const char *answers[] = {"Paris", "city"};
    /* [city of paris] vs [paris]: P 1/3, R 1 -> 0.5; same vs [city] */
    task_squad_score("the city of Paris", answers, 2, &em, &f1);
    NEAR(em, 0);
    NEAR(f1, 0.5);
    const char *two[] = {"paris france", "Paris"};
    task_squad_score("Paris.", two, 2, &em, &f1);
    NEAR(em, 1);
    NEAR(f1, 1);
    /* SQuAD v2: no answers -> correct only for an empty (normalized) prediction */
    task_squad_score("", NULL, 0, &em, &f1);
    NEAR(em, 1);
    NEAR(f1, 1);
    task_squad_score("The.", NULL, 0, &em, &f1);
    NEAR(em, 1);
    task_squad_score("London", NULL, 0, &em, &f1);
    NEAR(em, 0);
    NEAR(f1, 0);
}

static void test_rouge_classic(void **state)
{
    (void)state;
    task_rouge r;
    /* t = [the cat was found under the bed] (7), p = [the cat was under the bed] (6)
     * R1: overlap 6 -> P 1, R 6/7 -> F 12/13.  R2: 4 of 5 vs 6 bigrams -> 8/11.
     * L: LCS 6 -> 12/13. */
    assert_int_equal(task_rouge_score("the cat was found under the bed", "the cat was under the bed", 0, &r), 0);
    NEAR(r.rouge1, 12.0 / 13);
    NEAR(r.rouge2, 8.0 / 11);
    NEAR(r.rougeL, 12.0 / 13);
    NEAR(r.rougeLsum, 12.0 / 13);
    assert_int_equal(task_rouge_score("Hello, World!", "hello world", 1, &r), 0);
    NEAR(r.rouge1, 1);
    NEAR(r.rouge2, 1);
    assert_int_equal(task_rouge_score("some words", "", 1, &r), 0);
    NEAR(r.rouge1, 0);
    NEAR(r.rougeLsum, 0);
}

static void test_rouge_stemming(void **state)
{
    (void)state;
    task_rouge r;
    /* no stemming: [running dogs] vs [the dog runs] share nothing */
    task_rouge_score("running dogs", "the dog runs", 0, &r);
    NEAR(r.rouge1, 0);
    /* stemmed: [run dog] vs [the dog run]: 2 shared, P 2/3, R 1 -> 0.8 ("the" and
     * "dog" have 3 letters and are not stemmed) */
    task_rouge_score("running dogs", "the dog runs", 1, &r);
    NEAR(r.rouge1, 0.8);
}

static void test_rouge_lsum_union_lcs(void **state)
{
    (void)state;
    task_rouge r;
    /* refs [a b c] [d e]; cands [a c] [d b e].
     * r1: LCS with c1 = {a,c}, with c2 = {b} -> union a b c: 3 hits.
     * r2: LCS with c2 = {d,e}: 2 hits. 5 of 5 -> Lsum 1.
     * Whole-text L: [a b c d e] vs [a c d b e], LCS a c d e = 4 -> 0.8. */
    task_rouge_score("a b c\nd e", "a c\nd b e", 0, &r);
    NEAR(r.rougeLsum, 1.0);
    NEAR(r.rougeL, 0.8);
    /* Hits are clipped by token counts: refs [x y] [x y], cand [x y]: the second
     * reference sentence finds the candidate's x and y used up. 2 hits, P 1,
     * R 2/4 -> 2/3. */
    task_rouge_score("x y\nx y", "x y", 0, &r);
    NEAR(r.rougeLsum, 2.0 / 3);
}

static void test_porter_known_stems(void **state)
{
    (void)state;
    /* Examples from Porter (1980) and its published test vocabulary. */
    static const char *const pairs[][2] = {
        {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"caress", "caress"},
        {"cats", "cat"}, {"feed", "feed"}, {"agreed", "agre"}, {"plastered", "plaster"},
        {"bled", "bled"}, {"motoring", "motor"}, {"sing", "sing"}, {"hopping", "hop"},
        {"tanned", "tan"}, {"falling", "fall"}, {"hissing", "hiss"}, {"fizzed", "fizz"},
        {"failing", "fail"}, {"filing", "file"}, {"happy", "happi"}, {"sky", "sky"},
        {"relational", "relat"}, {"conditional", "condit"}, {"rational", "ration"},
        {"generalizations", "gener"}, {"oscillators", "oscil"}, {"connection", "connect"},
        {"connected", "connect"}, {"connecting", "connect"}, {"running", "run"},
        {"adjustment", "adjust"}, {"effective", "effect"}, {"probate", "probat"},
        {"rate", "rate"}, {"cease", "ceas"}, {"controlling", "control"}, {"roll", "roll"},
        {"electrical", "electr"}, {"hopeful", "hope"}, {"goodness", "good"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        char out[64];
        task_porter_stem(pairs[i][0], out, sizeof(out));
        if (strcmp(out, pairs[i][1]) != 0)
            fail_msg("stem(%s) = %s, expected %s", pairs[i][0], out, pairs[i][1]);
    }
}

static void test_porter_nltk_variant(void **state)
{
    (void)state;
    /* word, published algorithm, with NLTK's corrections (rouge-score's stemmer) */
    static const char *const triples[][3] = {
        {"skies", "ski", "sky"}, {"dying", "dy", "die"}, {"ties", "ti", "tie"},
        {"died", "di", "die"}, {"spied", "spi", "spi"}, {"enjoy", "enjoi", "enjoy"},
        {"always", "alwai", "alway"}, {"carefully", "carefulli", "care"},
        {"hopefully", "hopefulli", "hope"}, {"geology", "geologi", "geolog"},
        {"sensibly", "sensibli", "sensibl"}, {"news", "new", "news"},
        {"proceed", "proce", "proceed"}, {"cry", "cry", "cri"}, {"happy", "happi", "happi"},
    };
    for (size_t i = 0; i < sizeof(triples) / sizeof(triples[0]); i++) {
        char a[64], b[64];
        task_porter_stem(triples[i][0], a, sizeof(a));
        task_porter_stem_nltk(triples[i][0], b, sizeof(b));
        if (strcmp(a, triples[i][1]) != 0 || strcmp(b, triples[i][2]) != 0)
            fail_msg("%s: %s / %s, expected %s / %s", triples[i][0], a, b, triples[i][1], triples[i][2]);
    }
    /* ROUGE stems like rouge-score: "carefully" and "care" match */
    task_rouge r;
    task_rouge_score("handle with care", "handle carefully", 1, &r);
    NEAR(r.rouge1, 2.0 * (2.0 / 2) * (2.0 / 3) / (1.0 + 2.0 / 3)); /* 2 shared: P 1, R 2/3 -> 0.8 */
}

static void test_pass_at_k(void **state)
{
    (void)state;
    NEAR(task_pass_at_k(10, 3, 1), 0.3);
    NEAR(task_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0);  /* 1 - C(7,5)/C(10,5) */
    NEAR(task_pass_at_k(5, 5, 3), 1.0);
    NEAR(task_pass_at_k(5, 0, 3), 0.0);
    NEAR(task_pass_at_k(200, 1, 100), 0.5);                /* C(199,100)/C(200,100) = 1/2 */
    NEAR(task_pass_at_k(10, 8, 3), 1.0);                   /* n - c < k */
    assert_true(task_pass_at_k(3, 1, 5) < 0);              /* k > n undefined */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_squad_normalization),
        cmocka_unit_test(test_squad_f1),
        cmocka_unit_test(test_squad_max_and_no_answer),
        cmocka_unit_test(test_rouge_classic),
        cmocka_unit_test(test_rouge_stemming),
        cmocka_unit_test(test_rouge_lsum_union_lcs),
        cmocka_unit_test(test_porter_known_stems),
        cmocka_unit_test(test_porter_nltk_variant),
        cmocka_unit_test(test_pass_at_k),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
