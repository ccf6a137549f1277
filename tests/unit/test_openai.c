/*
 * test_openai.c — the OpenAI-compatible streaming backend against a loopback
 * chat-completions server started by this test (tests/unit/loopback_chat_server.h,
 * 127.0.0.1 only), and its SSE parser fed byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <math.h>

#include "harness/backend.h"
#include "harness/commands.h"
#include "results/compare_load.h"
#include "harness/backend_openai_sse.h"
#include "tests/unit/loopback_chat_server.h"

/* ---- parser alone -------------------------------------------------------------- */

static const char stream_text[] =
    ": comment\r\n"
    "event: message\n"
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"A\\u00e9\"},"
    "\"logprobs\":{\"content\":[{\"logprob\":-0.5}]}}]}\r\n\r\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"B\"},"
    "\"logprobs\":{\"content\":[{\"logprob\":-1.5}]},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}\n\n"
    "data: [DONE]\n\n";

static void test_parser_byte_by_byte(void **state)
{
    (void)state;
    openai_stream s;
    backend_openai_stream_init(&s);
    for (size_t i = 0; i < sizeof stream_text - 1; i++)
        assert_int_equal(backend_openai_stream_feed(&s, stream_text + i, 1, 1000 + i), 0);
    assert_int_equal(backend_openai_stream_finish(&s, 99999), 0);
    assert_string_equal(s.text.data, "A\xc3\xa9" "B");
    assert_int_equal(s.n_chunks, 2);
    assert_true(s.chunk_ns[0] < s.chunk_ns[1]);
    assert_true(s.usage_known && s.prompt_tokens == 7 && s.completion_tokens == 2);
    assert_int_equal(s.n_logprobs, 2);
    assert_true(s.logprob_sum == -2.0 && s.logprob_min == -1.5);
    assert_string_equal(s.finish_reason, "stop");
    assert_true(s.done);
    backend_openai_stream_free(&s);
}

static void expect_parser_failure(const char *text, const char *needle)
{
    openai_stream s;
    backend_openai_stream_init(&s);
    int status = backend_openai_stream_feed(&s, text, strlen(text), 1);
    if (status == 0)
        status = backend_openai_stream_finish(&s, 2);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(s.error, needle));
    backend_openai_stream_free(&s);
}

static void test_parser_failures(void **state)
{
    (void)state;
    expect_parser_failure("data: {oops\n\n", "malformed SSE event");
    expect_parser_failure("data: [1,2]\n\n", "malformed SSE event");
    expect_parser_failure("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n", "ended before");
    expect_parser_failure("data: [DONE]\n\ndata: {}\n\n", "after [DONE]");
    expect_parser_failure("data: {\"error\":{\"message\":\"overloaded\"}}\n\n", "overloaded");
    expect_parser_failure("data: {\"choices\":{}}\n\n", "not an array");
}

/* ---- backend against the loopback server ------------------------------------------ */

typedef struct hook_log {
    int prefill_calls, first_token_calls, order_ok;
} hook_log;

static void on_prefill(void *user)
{
    hook_log *log = user;
    log->prefill_calls++;
}

static void on_first(void *user)
{
    hook_log *log = user;
    log->first_token_calls++;
    log->order_ok = log->prefill_calls == 1;
}

static int generate(loopback_server *server, const char *model, const char *key_env, int max_tokens,
                    backend_response *response, hook_log *log, char *err, size_t err_size)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1/", server->port);
    backend_openai_options options = {endpoint, model, key_env, 10};
    backend *b;
    if (backend_openai_open(&options, &b, err, err_size) != 0)
        return -2;
    backend_request request = {.system = "Be brief.", .user = "Say hello", .max_new_tokens = max_tokens,
                               .stop = {"\n\n", NULL}, .temperature = 0, .seed = 42,
                               .on_prefill_start = on_prefill, .on_first_token = on_first,
                               .hook_user = log};
    int status = b->generate(b, &request, response, err, err_size);
    b->destroy(b);
    return status;
}

static void test_streaming_ok(void **state)
{
    (void)state;
    unsetenv("OPENAI_API_KEY");
    loopback_server server;
    assert_int_equal(loopback_start(&server, 1), 0);
    backend_response r;
    hook_log log = {0};
    char err[512] = "";
    int status = generate(&server, "ok", NULL, 16, &r, &log, err, sizeof err);
    loopback_stop(&server);
    assert_int_equal(status, 0);
    assert_string_equal(r.text, "Hello world!");
    assert_int_equal(r.prompt_tokens, 12);
    assert_int_equal(r.generated_tokens, 5);
    assert_int_equal(r.n_token_times, 5);
    assert_true(r.first_token_ns == r.token_time_ns[0] && r.first_token_ns > r.start_ns);
    assert_true(r.ttft_ms >= 15 && r.e2e_ms >= r.ttft_ms);
    assert_true(r.decode_tps > 0 && r.decode_tps < 4 / 0.060); /* >= 4 gaps of ~20 ms */
    assert_true(r.prefill_tps > 0);
    assert_true(r.logprobs_known);
    assert_true(fabs(r.logprob_mean - (-2.0 / 5)) < 1e-12 && r.logprob_min == -1.0);
    assert_int_equal(r.stop_reason, BACKEND_STOP_EOG);
    assert_string_equal(r.unavailable, "");
    assert_true(log.prefill_calls == 1 && log.first_token_calls == 1 && log.order_ok);
    const char *request = server.last_request;
    assert_non_null(strstr(request, "POST /v1/chat/completions HTTP/1.1"));
    assert_non_null(strstr(request, "\"stream\":true"));
    assert_non_null(strstr(request, "\"stream_options\":{\"include_usage\":true}"));
    assert_non_null(strstr(request, "\"logprobs\":true"));
    assert_non_null(strstr(request, "\"max_tokens\":16"));
    assert_non_null(strstr(request, "\"role\":\"system\""));
    assert_null(strstr(request, "Authorization"));
    printf("loopback ok: ttft %.1f ms, decode %.1f chunks/s, e2e %.1f ms\n", r.ttft_ms,
           r.decode_tps, r.e2e_ms);
    backend_response_free(&r);
    backend_response_free(&r); /* safe twice */
}

static void test_no_usage_and_length(void **state)
{
    (void)state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, 2), 0);
    backend_response r;
    hook_log log = {0};
    char err[512];
    assert_int_equal(generate(&server, "nousage", NULL, 16, &r, &log, err, sizeof err), 0);
    assert_int_equal(r.prompt_tokens, -1);
    assert_int_equal(r.generated_tokens, 5);
    assert_true(r.prefill_tps < 0);
    assert_false(r.logprobs_known);
    assert_non_null(strstr(r.unavailable, "no usage"));
    assert_non_null(strstr(r.unavailable, "no logprobs"));
    backend_response_free(&r);
    assert_int_equal(generate(&server, "length", NULL, 3, &r, &log, err, sizeof err), 0);
    assert_int_equal(r.generated_tokens, 5); /* from usage, as the server reported it */
    assert_int_equal(r.stop_reason, BACKEND_STOP_MAX_TOKENS);
    backend_response_free(&r);
    loopback_stop(&server);
}

static void test_api_key_from_environment(void **state)
{
    (void)state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, 2), 0);
    backend_response r;
    hook_log log = {0};
    char err[512];
    setenv("SLM_TEST_KEY", "test-key", 1);
    assert_int_equal(generate(&server, "auth", "SLM_TEST_KEY", 16, &r, &log, err, sizeof err), 0);
    assert_string_equal(r.text, "Hello world!");
    backend_response_free(&r);
    setenv("SLM_TEST_KEY", "wrong", 1);
    assert_int_equal(generate(&server, "auth", "SLM_TEST_KEY", 16, &r, &log, err, sizeof err), -1);
    assert_non_null(strstr(err, "HTTP 401"));
    assert_non_null(strstr(err, "Incorrect API key"));
    assert_null(strstr(err, "wrong")); /* the key never appears in messages */
    loopback_stop(&server);
    unsetenv("SLM_TEST_KEY");
    assert_int_equal(generate(&server, "auth", "SLM_TEST_KEY", 16, &r, &log, err, sizeof err), -2);
    assert_non_null(strstr(err, "SLM_TEST_KEY is not set"));
}

static void expect_error(const char *model, const char *needle)
{
    loopback_server server;
    assert_int_equal(loopback_start(&server, 1), 0);
    backend_response r;
    hook_log log = {0};
    char err[512] = "";
    int status = generate(&server, model, NULL, 16, &r, &log, err, sizeof err);
    loopback_stop(&server);
    printf("%s: %s\n", model, err);
    assert_int_equal(status, -1);
    assert_non_null(strstr(err, needle));
    assert_non_null(strstr(err, "127.0.0.1"));
    assert_null(strchr(err, '\n'));
    assert_null(r.text);
}

static void test_http_error_and_malformed_streams(void **state)
{
    (void)state;
    expect_error("error", "HTTP 500");
    expect_error("malformed", "malformed SSE event");
    expect_error("truncated", "ended before");
}

static void test_retry_without_optional_fields(void **state)
{
    (void)state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, 2), 0);
    backend_response r;
    hook_log log = {0};
    char err[512];
    assert_int_equal(generate(&server, "picky", NULL, 16, &r, &log, err, sizeof err), 0);
    loopback_stop(&server);
    assert_string_equal(r.text, "Hello world!");
    assert_null(strstr(server.last_request, "stream_options"));
    assert_non_null(strstr(r.unavailable, "rejected"));
    backend_response_free(&r);
}

static void test_refused_connection_and_bad_options(void **state)
{
    (void)state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, 0), 0);
    loopback_stop(&server); /* port now closed: connection refused */
    backend_response r;
    hook_log log = {0};
    char err[512];
    assert_int_equal(generate(&server, "ok", NULL, 16, &r, &log, err, sizeof err), -1);
    assert_non_null(strstr(err, "127.0.0.1"));
    backend_openai_options options = {"ftp://x", "m", NULL, 0};
    backend *b;
    assert_int_not_equal(backend_openai_open(&options, &b, err, sizeof err), 0);
    assert_non_null(strstr(err, "--endpoint"));
    options = (backend_openai_options){"http://127.0.0.1:9", "", NULL, 0};
    assert_int_not_equal(backend_openai_open(&options, &b, err, sizeof err), 0);
    options = (backend_openai_options){"http://127.0.0.1:9/v1", "remote-m", NULL, 0};
    assert_int_equal(backend_openai_open(&options, &b, err, sizeof err), 0);
    cJSON *model = cJSON_CreateObject(), *info = cJSON_CreateObject();
    assert_int_equal(b->describe(b, model, info, err, sizeof err), 0);
    assert_string_equal(cJSON_GetObjectItem(model, "sha256")->valuestring, "unavailable: remote model");
    assert_string_equal(cJSON_GetObjectItem(info, "name")->valuestring, "openai");
    cJSON_Delete(model);
    cJSON_Delete(info);
    b->destroy(b);
}

/* `slmbench run --backend openai` end to end: results in the same format.
 * Runs in a private directory without -o (default runs/<timestamp>/). */
static void test_run_command_against_loopback(void **state)
{
    (void)state;
    loopback_server server;
    assert_int_equal(loopback_start(&server, -1), 0);
    char dir[] = "/tmp/slm_openai_run_XXXXXX", endpoint[64], err[1200], cwd[1024];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d/v1", server.port);
    char *argv[] = {"run", "--backend", "openai", "--endpoint", endpoint, "-m", "ok", "--suite",
                    "qa", "--limit", "2", NULL};
    int status = cmd_run((int)(sizeof argv / sizeof argv[0]) - 1, argv);
    loopback_stop(&server);
    glob_t found;
    int globbed = glob("runs/*/results.json", 0, NULL, &found);
    char path[1200] = "";
    if (globbed == 0)
        snprintf(path, sizeof path, "%s/%s", dir, found.gl_pathv[0]);
    if (globbed == 0)
        globfree(&found);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(status, 0);
    assert_int_equal(globbed, 0);
    res_file file;
    assert_int_equal(res_file_load(path, &file, err, sizeof err), 0);
    const cJSON *run = res_file_run(&file, 0);
    const cJSON *backend_info = cJSON_GetObjectItem(run, "backend");
    assert_string_equal(cJSON_GetObjectItem(backend_info, "name")->valuestring, "openai");
    assert_null(res_run_model_sha256(run)); /* "unavailable: remote model" */
    const cJSON *items = cJSON_GetObjectItem(run, "items");
    assert_int_equal(cJSON_GetArraySize(items), 2);
    double value;
    assert_int_equal(res_item_number(cJSON_GetArrayItem(items, 0), "ttft_ms", &value), 0);
    assert_true(value > 0);
    assert_int_equal(res_item_number(cJSON_GetArrayItem(items, 0), "prompt_tokens", &value), 0);
    assert_true(value == 12);
    assert_int_equal(res_item_number(cJSON_GetArrayItem(items, 0), "logprob_mean", &value), 0);
    assert_true(fabs(value + 0.4) < 1e-9);
    res_file_free(&file);
    char command[200];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal(system(command), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_byte_by_byte),
        cmocka_unit_test(test_parser_failures),
        cmocka_unit_test(test_streaming_ok),
        cmocka_unit_test(test_no_usage_and_length),
        cmocka_unit_test(test_api_key_from_environment),
        cmocka_unit_test(test_http_error_and_malformed_streams),
        cmocka_unit_test(test_retry_without_optional_fields),
        cmocka_unit_test(test_refused_connection_and_bad_options),
        cmocka_unit_test(test_run_command_against_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
