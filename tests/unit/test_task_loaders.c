/*
 * test_task_loaders.c — every input format loads into the same item shape:
 * native JSONL, SQuAD v1.1 and v2.0, HumanEval (plain and gzip), MBPP,
 * summarization JSONL with --field mapping; bad lines name FILE:LINE;
 * --limit sampling is deterministic and keeps file order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tasks/task.h"

typedef struct fixture_dir {
    char path[256];
} fixture_dir;

static int setup(void **state)
{
    fixture_dir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/slm-test-loaders-XXXXXX");
    if (!mkdtemp(d->path))
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    fixture_dir *d = *state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
    int rc = system(cmd);
    free(d);
    return rc == 0 ? 0 : -1;
}

static const char *write_file(void **state, const char *name, const char *text, char *path, size_t size)
{
    fixture_dir *d = *state;
    snprintf(path, size, "%s/%s", d->path, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_native_jsonl(void **state)
{
    char path[512], err[512] = "";
    write_file(state, "n.jsonl",
               "{\"id\":\"a\",\"type\":\"qa\",\"context\":\"C\",\"question\":\"Q?\",\"references\":[\"x\",\"y\"],\"metadata\":{\"k\":1}}\n"
               "\n"
               "{\"id\":\"b\",\"type\":\"code_c\",\"prompt\":\"int f(void)\\n{\\n\",\"entry_point\":\"f\",\"tests\":\"int main(void){return f();}\",\"max_new_tokens\":50}\n",
               path, sizeof(path));
    task_suite s;
    assert_int_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n_items, 2);
    assert_string_equal(s.items[0].id, "a");
    assert_int_equal(s.items[0].type, TASK_QA);
    assert_int_equal(s.items[0].n_references, 2);
    assert_string_equal(s.items[0].metadata_json, "{\"k\":1}");
    assert_int_equal(s.items[0].max_new_tokens, 32);       /* qa default */
    assert_string_equal(s.items[0].stop[0], "\n");
    assert_int_equal(s.items[1].type, TASK_CODE_C);
    assert_int_equal(s.items[1].max_new_tokens, 50);
    assert_non_null(task_suite_find(&s, "b"));
    assert_null(task_suite_find(&s, "zzz"));
    task_suite_free(&s);
}

static void test_bad_lines_name_file_and_line(void **state)
{
    char path[512], err[512] = "";
    task_suite s;
    write_file(state, "t.jsonl",
               "{\"id\":\"a\",\"type\":\"qa\",\"question\":\"Q\",\"references\":[\"x\"]}\n"
               "{\"id\":\"b\",\"type\":\"qa\",\"quest\n", path, sizeof(path));
    assert_int_not_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "t.jsonl:2:"));
    assert_int_equal(s.n_items, 0);
    write_file(state, "u.jsonl", "{\"id\":\"a\",\"type\":\"poetry\"}\n", path, sizeof(path));
    assert_int_not_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "u.jsonl:1:"));
    assert_non_null(strstr(err, "type"));
    write_file(state, "d.jsonl",
               "{\"id\":\"a\",\"type\":\"qa\",\"question\":\"Q\"}\n{\"id\":\"a\",\"type\":\"qa\",\"question\":\"Q\"}\n",
               path, sizeof(path));
    assert_int_not_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "d.jsonl:2: duplicate id"));
    assert_int_not_equal(task_suite_load("/nonexistent/x.jsonl", 0, 1, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
}

static const char squad_v2[] =
    "{\"version\":\"v2.0\",\"data\":[{\"title\":\"T\",\"paragraphs\":[{\"context\":\"Ada wrote notes in 1843.\","
    "\"qas\":[{\"id\":\"q1\",\"question\":\"Who wrote?\",\"answers\":[{\"text\":\"Ada\",\"answer_start\":0},"
    "{\"text\":\"Ada\",\"answer_start\":0}],\"is_impossible\":false},"
    "{\"id\":\"q2\",\"question\":\"Who read?\",\"answers\":[],\"plausible_answers\":[{\"text\":\"Ada\"}],"
    "\"is_impossible\":true}]}]}]}";

static void test_squad(void **state)
{
    char path[512], err[512] = "";
    task_suite s;
    write_file(state, "dev-v2.0.json", squad_v2, path, sizeof(path));
    assert_int_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n_items, 2);
    assert_true(s.has_no_answer);
    assert_string_equal(s.items[0].context, "Ada wrote notes in 1843.");
    assert_int_equal(s.items[0].n_references, 2);
    assert_int_equal(s.items[1].n_references, 0);
    task_score score;
    assert_int_equal(task_score_item(&s.items[1], "unanswerable", NULL, &score, err, sizeof(err)), 0);
    double em;
    assert_int_equal(task_score_get(&score, "exact_match", &em), 0);
    assert_true(em == 1.0);
    task_suite_free(&s);
    write_file(state, "v1.json", "{\"version\":\"1.1\",\"data\":[{\"paragraphs\":[{\"context\":\"c\",\"qas\":[{\"id\":\"z\","
                                 "\"question\":\"q\",\"answers\":[{\"text\":\"c\"}]}]}]}]}", path, sizeof(path));
    assert_int_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_false(s.has_no_answer);
    task_suite_free(&s);
    write_file(state, "broken.json", "{\"data\":[{\"paragraphs\":[", path, sizeof(path));
    assert_int_not_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "broken.json"));
}

static const char humaneval_line[] =
    "{\"task_id\": \"HumanEval/0\", \"prompt\": \"def add(a, b):\\n    \\\"\\\"\\\"Add.\\\"\\\"\\\"\\n\", "
    "\"entry_point\": \"add\", \"canonical_solution\": \"    return a + b\\n\", "
    "\"test\": \"\\n\\ndef check(candidate):\\n    assert candidate(2, 3) == 5\\n\"}\n";

static void test_humaneval_plain_and_gzip(void **state)
{
    char path[512], gz_path[512], err[512] = "";
    task_suite s;
    write_file(state, "he.jsonl", humaneval_line, path, sizeof(path));
    snprintf(gz_path, sizeof(gz_path), "%s/he.jsonl.gz", ((fixture_dir *)*state)->path);
    gzFile gz = gzopen(gz_path, "wb");
    assert_non_null(gz);
    gzputs(gz, humaneval_line);
    gzclose(gz);
    const char *paths[] = {path, gz_path};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(task_suite_load(paths[i], 0, 1, &s, err, sizeof(err)), 0);
        assert_int_equal(s.n_items, 1);
        assert_int_equal(s.items[0].type, TASK_CODE_PYTHON);
        assert_string_equal(s.items[0].entry_point, "add");
        assert_string_equal(s.items[0].canonical_solution, "    return a + b\n");
        char *program = NULL;
        assert_int_equal(task_code_program(&s.items[0], s.items[0].canonical_solution, &program, err, sizeof(err)), 0);
        assert_non_null(strstr(program, "    return a + b\n"));
        assert_non_null(strstr(program, "check(add)"));
        free(program);
        task_suite_free(&s);
    }
}

static void test_every_truncation_is_one_clear_error(void **state)
{
    char path[512], err[512];
    size_t full = strlen(humaneval_line);
    for (size_t cut = 1; cut + 1 < full; cut++) {
        char *text = strndup(humaneval_line, cut);
        write_file(state, "cut.jsonl", text, path, sizeof(path));
        free(text);
        task_suite s;
        err[0] = '\0';
        int rc = task_suite_load(path, 0, 1, &s, err, sizeof(err));
        if (rc == 0)
            fail_msg("prefix of %zu bytes loaded", cut);
        if (!strstr(err, "cut.jsonl"))
            fail_msg("prefix %zu: error does not name the file: %s", cut, err);
        assert_int_equal(s.n_items, 0);
    }
}

static void test_mbpp(void **state)
{
    char path[512], err[512] = "";
    task_suite s;
    write_file(state, "mbpp.jsonl",
               "{\"task_id\": 11, \"text\": \"Write a function to double a number.\", \"code\": \"def double(x):\\n    return 2 * x\", "
               "\"test_list\": [\"assert double(2) == 4\", \"assert double(0) == 0\"], \"test_setup_code\": \"\", \"challenge_test_list\": []}\n",
               path, sizeof(path));
    assert_int_equal(task_suite_load(path, 0, 1, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n_items, 1);
    assert_string_equal(s.items[0].id, "11");
    assert_string_equal(s.items[0].entry_point, "double");
    assert_null(s.items[0].prompt);
    assert_non_null(strstr(s.items[0].tests, "assert double(0) == 0"));
    task_prompt p;
    assert_int_equal(task_prompt_build(&s, &s.items[0], 0, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(p.user, "double a number"));
    assert_non_null(strstr(p.user, "assert double(2) == 4"));
    task_prompt_free(&p);
    task_suite_free(&s);
}

static void test_summarization_field_mapping(void **state)
{
    char path[512], err[512] = "";
    task_suite s;
    write_file(state, "cnndm.jsonl",
               "{\"guid\":\"g1\",\"article\":\"Long text one.\",\"highlights\":\"Sum one.\\nSecond line.\"}\n"
               "{\"guid\":\"g2\",\"article\":\"Long text two.\",\"highlights\":\"Sum two.\"}\n",
               path, sizeof(path));
    task_load_options o;
    task_load_options_default(&o);
    o.format = TASK_FORMAT_SUMMARIZATION;
    o.field_map[0] = "document=article";
    o.field_map[1] = "summary=highlights";
    o.field_map[2] = "id=guid";
    o.n_field_maps = 3;
    assert_int_equal(task_suite_load_ex(path, &o, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n_items, 2);
    assert_string_equal(s.items[0].id, "g1");
    assert_string_equal(s.items[0].context, "Long text one.");
    assert_string_equal(s.items[0].references[0], "Sum one.\nSecond line.");
    task_suite_free(&s);
    o.n_field_maps = 0; /* without the mapping the document field is missing */
    assert_int_not_equal(task_suite_load_ex(path, &o, &s, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "cnndm.jsonl:1:"));
    assert_non_null(strstr(err, "--field document="));
}

static void test_limit_sampling_is_deterministic(void **state)
{
    char path[512], err[512] = "";
    char text[8192] = "";
    for (int i = 0; i < 50; i++) {
        char line[128];
        snprintf(line, sizeof(line), "{\"id\":\"q%02d\",\"type\":\"qa\",\"question\":\"Q\",\"references\":[\"a\"]}\n", i);
        strcat(text, line);
    }
    write_file(state, "many.jsonl", text, path, sizeof(path));
    task_suite a, b, c;
    assert_int_equal(task_suite_load(path, 10, 42, &a, err, sizeof(err)), 0);
    assert_int_equal(task_suite_load(path, 10, 42, &b, err, sizeof(err)), 0);
    assert_int_equal(task_suite_load(path, 10, 7, &c, err, sizeof(err)), 0);
    assert_int_equal(a.n_items, 10);
    int same_as_other_seed = 1;
    for (int i = 0; i < 10; i++) {
        assert_string_equal(a.items[i].id, b.items[i].id);
        if (i > 0)
            assert_true(strcmp(a.items[i - 1].id, a.items[i].id) < 0); /* file order kept */
        same_as_other_seed &= strcmp(a.items[i].id, c.items[i].id) == 0;
    }
    assert_false(same_as_other_seed);
    task_suite_free(&a);
    task_suite_free(&b);
    task_suite_free(&c);
}

static void test_predictions(void **state)
{
    char path[512], err[512] = "";
    write_file(state, "p.jsonl",
               "{\"task_id\": 11, \"completion\": \"x\"}\n{\"id\": \"a\", \"prediction\": \"y\"}\n{\"id\": \"a\", \"output\": \"z\"}\n",
               path, sizeof(path));
    task_prediction *p = NULL;
    int n = 0;
    assert_int_equal(task_predictions_load(path, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].id, "11");
    assert_string_equal(p[2].text, "z");
    task_predictions_free(p, n);
    write_file(state, "q.jsonl", "{\"id\": \"a\"}\n", path, sizeof(path));
    assert_int_not_equal(task_predictions_load(path, &p, &n, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "q.jsonl:1:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_native_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_squad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_humaneval_plain_and_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_is_one_clear_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbpp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summarization_field_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_sampling_is_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_predictions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
