/*
 * test_task_suites.c — the built-in suites meet their contract: sizes
 * (QA >= 60, summarization >= 40 passages of 120-400 words with 1-3
 * references, >= 40 C and >= 20 Python problems), every code problem passes
 * with its canonical_solution and fails with an obviously wrong body (run in
 * the sandbox, two workers), and prompts carry the item's parts.
 * Without python3 the Python problems must come back "unavailable"; the test
 * says so instead of checking pass/fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/task.h"

static int count_words(const char *s)
{
    int n = 0, in_word = 0;
    for (; *s; s++) {
        int space = *s == ' ' || *s == '\n' || *s == '\t';
        n += !space && !in_word;
        in_word = !space;
    }
    return n;
}

static void test_qa_suite(void **state)
{
    (void)state;
    task_suite s;
    char err[512] = "";
    if (task_suite_load("qa", 0, 1, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(s.n_items >= 60);
    for (int i = 0; i < s.n_items; i++) {
        assert_int_equal(s.items[i].type, TASK_QA);
        assert_non_null(s.items[i].context);
        assert_true(s.items[i].n_references >= 1);
        /* the first accepted answer scores 1 against itself */
        task_score sc;
        assert_int_equal(task_score_item(&s.items[i], s.items[i].references[0], NULL, &sc, err, sizeof(err)), 0);
        double em;
        assert_int_equal(task_score_get(&sc, "exact_match", &em), 0);
        assert_true(em == 1.0);
    }
    printf("qa: %d items\n", s.n_items);
    task_suite_free(&s);
}

static void test_summarization_suite(void **state)
{
    (void)state;
    task_suite s;
    char err[512] = "";
    if (task_suite_load("summarization", 0, 1, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(s.n_items >= 40);
    for (int i = 0; i < s.n_items; i++) {
        int words = count_words(s.items[i].context);
        if (words < 120 || words > 400)
            fail_msg("%s: %d words", s.items[i].id, words);
        assert_true(s.items[i].n_references >= 1 && s.items[i].n_references <= 3);
    }
    printf("summarization: %d passages\n", s.n_items);
    task_suite_free(&s);
}

/* A body that compiles (C: closes the function) and can never pass. */
static const char *wrong_body(const task_item *it)
{
    return it->type == TASK_CODE_C ? "    __builtin_abort();\n}\n" : "    raise NotImplementedError\n";
}

static void check_statuses(const task_item *const *items, const task_score *scores, int n,
                           const char *expected, int *unavailable)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(scores[i].status, TASK_STATUS_UNAVAILABLE) == 0) {
            assert_int_equal(items[i]->type, TASK_CODE_PYTHON); /* cc must exist */
            (*unavailable)++;
            continue;
        }
        if (strcmp(scores[i].status, expected) != 0)
            fail_msg("%s: status %s (%s), expected %s", items[i]->id, scores[i].status, scores[i].detail, expected);
    }
}

static void test_code_suite_reference_solutions(void **state)
{
    (void)state;
    task_suite s;
    char err[512] = "";
    if (task_suite_load("code", 0, 1, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    int n = s.n_items, n_c = 0, n_py = 0;
    const task_item **items = calloc((size_t)n, sizeof(*items));
    const char **good = calloc((size_t)n, sizeof(*good));
    const char **bad = calloc((size_t)n, sizeof(*bad));
    task_score *scores = calloc((size_t)n, sizeof(*scores));
    assert_non_null(scores);
    for (int i = 0; i < n; i++) {
        items[i] = &s.items[i];
        assert_non_null(s.items[i].canonical_solution);
        good[i] = s.items[i].canonical_solution;
        bad[i] = wrong_body(&s.items[i]);
        n_c += s.items[i].type == TASK_CODE_C;
        n_py += s.items[i].type == TASK_CODE_PYTHON;
    }
    assert_true(n_c >= 40);
    assert_true(n_py >= 20);
    task_score_config config;
    task_score_config_default(&config);
    int unavailable = 0;
    assert_int_equal(task_score_batch(items, good, n, &config, 2, scores, err, sizeof(err)), 0);
    check_statuses(items, scores, n, TASK_STATUS_PASSED, &unavailable);
    assert_int_equal(task_score_batch(items, bad, n, &config, 2, scores, err, sizeof(err)), 0);
    check_statuses(items, scores, n, TASK_STATUS_FAILED, &unavailable);
    if (unavailable)
        printf("NOTICE: python3 not found: %d Python runs reported unavailable, not checked\n", unavailable);
    printf("code: %d C and %d Python problems; references pass, wrong bodies fail\n", n_c, n_py);
    free(items);
    free(good);
    free(bad);
    free(scores);
    task_suite_free(&s);
}

static void test_compile_error_and_timeout_are_recorded(void **state)
{
    (void)state;
    task_suite s;
    char err[512] = "";
    if (task_suite_load("code_c", 0, 1, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    task_score_config config;
    task_score_config_default(&config);
    config.sandbox.wall_timeout_s = 2;
    config.sandbox.cpu_seconds = 1;
    task_score sc;
    assert_int_equal(task_score_item(&s.items[0], "    return ;;; not C\n}\n", &config, &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.status, TASK_STATUS_COMPILE_ERROR);
    assert_true(strstr(sc.detail, "error") != NULL);
    assert_int_equal(task_score_item(&s.items[0], "    for (;;) {}\n}\n", &config, &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.status, TASK_STATUS_TIMEOUT);
    double t;
    assert_int_equal(task_score_get(&sc, "timeout", &t), 0);
    assert_true(t == 1.0);
    /* A chat-style fenced answer with the whole function is accepted. */
    char fenced[2048];
    snprintf(fenced, sizeof(fenced), "Here it is:\n```c\nint sum_array(const int *a, int n)\n{\n%s```\n",
             s.items[0].canonical_solution);
    assert_string_equal(s.items[0].entry_point, "sum_array");
    assert_int_equal(task_score_item(&s.items[0], fenced, &config, &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.status, TASK_STATUS_PASSED);
    /* A completion cut at the "\n}" stop sequence still compiles. */
    char cut[1024];
    snprintf(cut, sizeof(cut), "%s", s.items[0].canonical_solution);
    cut[task_output_trim(&s.items[0], cut)] = '\0';
    assert_null(strstr(cut, "\n}"));
    assert_int_equal(task_score_item(&s.items[0], cut, &config, &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.status, TASK_STATUS_PASSED);
    task_suite_free(&s);
}

static void test_chat_and_raw_code_answers(void **state)
{
    (void)state;
    task_suite s;
    char err[512] = "";
    if (task_suite_load("code_python", 0, 1, &s, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    const task_item *it = &s.items[0]; /* running_max */
    task_score_config config;
    task_score_config_default(&config);
    task_score sc;
    /* a chat answer: prose, then a fenced whole function, then more prose */
    char chat[2048];
    snprintf(chat, sizeof(chat), "Sure:\n```python\nfrom typing import List\n\ndef running_max(numbers: List[int]) -> List[int]:\n%s```\nThis keeps the best so far.\ndef unrelated(): pass\n",
             it->canonical_solution);
    size_t keep = task_output_trim(it, chat);
    assert_true(keep > strlen("Sure:\n```python\ndef")); /* not cut at "\ndef " inside the fence */
    char *trimmed = strndup(chat, keep);
    assert_int_equal(task_score_item(it, trimmed, &config, &sc, err, sizeof(err)), 0);
    if (strcmp(sc.status, TASK_STATUS_UNAVAILABLE) != 0)
        assert_string_equal(sc.status, TASK_STATUS_PASSED);
    free(trimmed);
    /* a raw continuation that ends with a stray fence keeps its body */
    char raw[1024];
    snprintf(raw, sizeof(raw), "%s```\n", it->canonical_solution);
    assert_int_equal(task_score_item(it, raw, &config, &sc, err, sizeof(err)), 0);
    if (strcmp(sc.status, TASK_STATUS_UNAVAILABLE) != 0)
        assert_string_equal(sc.status, TASK_STATUS_PASSED);
    /* stop sequences for the generator */
    const char *const *stops;
    assert_int_equal(task_stop_sequences(it, 0, &stops), it->n_stop);
    assert_string_equal(stops[0], "\ndef ");
    assert_int_equal(task_stop_sequences(it, 1, &stops), 0);
    /* no interpreter: unavailable, no metrics, never pass or fail */
    config.sandbox.python = "python3-that-does-not-exist";
    assert_int_equal(task_score_item(it, it->canonical_solution, &config, &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.status, TASK_STATUS_UNAVAILABLE);
    assert_int_equal(sc.n_metrics, 0);
    assert_non_null(strstr(sc.detail, "not found"));
    task_suite_free(&s);
}

static void test_prompts(void **state)
{
    (void)state;
    task_suite qa, code;
    char err[512] = "";
    assert_int_equal(task_suite_load("qa", 3, 9, &qa, err, sizeof(err)), 0);
    assert_int_equal(qa.n_items, 3);
    task_prompt zero, few;
    const task_item *it = &qa.items[0];
    assert_int_equal(task_prompt_build(&qa, it, 0, &zero, err, sizeof(err)), 0);
    assert_int_equal(task_prompt_build(&qa, it, 2, &few, err, sizeof(err)), 0);
    assert_non_null(strstr(zero.user, it->context));
    assert_non_null(strstr(zero.user, it->question));
    assert_non_null(strstr(zero.raw, it->question));
    assert_true(strlen(few.user) > strlen(zero.user));
    assert_non_null(strstr(few.user, "Karrow Point"));    /* the first worked example */
    task_prompt_free(&zero);
    task_prompt_free(&few);
    assert_int_equal(task_suite_load("code_python", 2, 1, &code, err, sizeof(err)), 0);
    assert_int_equal(task_prompt_build(&code, &code.items[0], 0, &zero, err, sizeof(err)), 0);
    assert_string_equal(zero.raw, code.items[0].prompt);  /* base models continue the code */
    assert_non_null(strstr(zero.user, "```python"));
    task_prompt_free(&zero);
    /* stop sequences */
    assert_int_equal(task_output_trim(&qa.items[0], "Bell Rock\nQuestion: next"), 9);
    assert_int_equal(task_output_trim_chat(&qa.items[0], "Bell Rock\n\nExplanation"), 9);
    task_suite_free(&qa);
    task_suite_free(&code);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qa_suite),
        cmocka_unit_test(test_summarization_suite),
        cmocka_unit_test(test_code_suite_reference_solutions),
        cmocka_unit_test(test_compile_error_and_timeout_are_recorded),
        cmocka_unit_test(test_chat_and_raw_code_answers),
        cmocka_unit_test(test_prompts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
