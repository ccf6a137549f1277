/*
 * test_results_remote.c — the runner end to end in-process with the
 * OpenAI-compatible backend against a loopback chat-completions server
 * (tests/unit/loopback_chat_server.h, no traffic leaves the host): every item
 * is recorded with TTFT, inter-token latencies, the server's logprobs and a
 * QA score; the remote model's sha256 is "unavailable", never invented; a
 * resumed run adds nothing when every item is done; a server error becomes an
 * item with "error", not a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness/runner.h"
#include "results/results.h"
#include "tests/unit/loopback_chat_server.h"
#include "tests/unit/test_tmpdir.h"

/* The group's directory (test_tmpdir.h) with a two-item QA suite in it. */
static int make_tmp(void **state)
{
    if (test_tmpdir_setup(state) != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/qa.jsonl", (const char *)*state);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"id\":\"a\",\"type\":\"qa\",\"context\":\"Greeting text.\",\"question\":\"What is said?\","
               "\"references\":[\"Hello world!\"]}\n"
               "{\"id\":\"b\",\"type\":\"qa\",\"context\":\"Other text.\",\"question\":\"What else?\","
               "\"references\":[\"goodbye\"]}\n");
    return fclose(f);
}

static int run_remote(const char *tmpdir, loopback_server *server, const char *model, const char *out,
                      int resume, char *err,
                      size_t err_size)
{
    char endpoint[128], suite[512];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1", server->port);
    snprintf(suite, sizeof suite, "%s/qa.jsonl", tmpdir);
    runner_options o;
    runner_options_default(&o);
    o.models[o.n_models++] = model;
    o.suites[o.n_suites++] = suite;
    o.threads[o.n_threads++] = 0;
    o.backend_name = "openai";
    o.endpoint = endpoint;
    o.out_dir = out;
    o.resume = resume;
    o.probes.idle_baseline_s = 0;
    o.probes.counters = 0;
    char *argv[] = {"slmbench", "run"};
    o.argc = 2;
    o.argv = argv;
    return runner_run(&o, err, err_size);
}

static const cJSON *first_run(const cJSON *doc)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
}

static void test_remote_run_and_resume(void **state)
{
    const char *tmpdir = *state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, -1), 0);
    char out[512], err[1024] = "", path[600];
    snprintf(out, sizeof out, "%s/ok", tmpdir);
    int rc = run_remote(tmpdir, &server, "ok", out, 0, err, sizeof err);
    if (rc != RUNNER_OK)
        print_message("runner: %s\n", err);
    assert_int_equal(rc, RUNNER_OK);
    snprintf(path, sizeof path, "%s/results.json", out);
    cJSON *doc = NULL;
    assert_int_equal(res_document_load(path, &doc, err, sizeof err), 0);
    const cJSON *run = first_run(doc);
    assert_string_equal(cJSON_GetObjectItem(run, "status")->valuestring, "complete");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "backend"), "name")->valuestring, "openai");
    assert_true(res_is_unavailable(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "model"), "sha256")));
    const cJSON *items = cJSON_GetObjectItem(run, "items");
    assert_int_equal(cJSON_GetArraySize(items), 2);
    const cJSON *a = cJSON_GetArrayItem(items, 0);
    assert_string_equal(cJSON_GetObjectItem(a, "output")->valuestring, "Hello world!");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(a, "ttft_ms")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(a, "itl_ms")), 4); /* 5 chunks */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(a, "logprob_mean")));
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "scores"), "exact_match")->valuedouble, 1, 0);
    const cJSON *b = cJSON_GetArrayItem(items, 1);
    assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "scores"), "f1")->valuedouble, 0, 0);
    /* accuracy: f1 of 1 and 0 */
    const cJSON *acc = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), "accuracy");
    assert_float_equal(cJSON_GetObjectItem(acc, "mean")->valuedouble, 0.5, 1e-12);
    cJSON_Delete(doc);

    /* resume of a complete run: nothing new, still two items */
    assert_int_equal(run_remote(tmpdir, &server, "ok", out, 1, err, sizeof err), RUNNER_OK);
    assert_int_equal(res_document_load(path, &doc, err, sizeof err), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(first_run(doc), "items")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "runs")), 1);
    cJSON_Delete(doc);
    loopback_stop(&server);
}

static void test_remote_errors_become_items(void **state)
{
    const char *tmpdir = *state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, -1), 0);
    char out[512], err[1024] = "", path[600];
    snprintf(out, sizeof out, "%s/error", tmpdir);
    assert_int_equal(run_remote(tmpdir, &server, "error", out, 0, err, sizeof err), RUNNER_OK);
    snprintf(path, sizeof path, "%s/results.json", out);
    cJSON *doc = NULL;
    assert_int_equal(res_document_load(path, &doc, err, sizeof err), 0);
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(first_run(doc), "items"), 0);
    assert_string_equal(cJSON_GetObjectItem(item, "stop_reason")->valuestring, "error");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(item, "error")));
    assert_null(cJSON_GetObjectItem(item, "ttft_ms"));
    cJSON_Delete(doc);
    loopback_stop(&server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_run_and_resume),
        cmocka_unit_test(test_remote_errors_become_items),
    };
    return cmocka_run_group_tests(tests, make_tmp, test_tmpdir_teardown);
}
