/*
 * backend_openai.c — the "openai" generation backend (harness/backend.h):
 * one streaming POST to ENDPOINT/chat/completions per request, with libcurl.
 *
 * Request: {"model", "messages", "max_tokens", "temperature", "seed", "stop"
 * (at most 4, the API's limit), "stream": true, "stream_options":
 * {"include_usage": true}, "logprobs": true}. If the server answers HTTP 400
 * to that, the request is retried once without stream_options and logprobs
 * (some compatible servers reject them) and the response says so.
 *
 * Measurements: start = just before the request is sent; TTFT = first
 * non-empty content delta; one timestamp per content chunk (servers normally
 * send one token per chunk); token counts from "usage" when the server sends
 * it, else prompt tokens are unavailable and generated tokens are the number
 * of content chunks (said in `unavailable`); logprobs when returned.
 *
 * Invariants: the API key is read from the environment at open time and only
 * ever sent in the Authorization header; it is never logged or written to
 * results. Errors name the endpoint and the HTTP status / SSE problem.
 * No global state except curl_global_init, which libcurl makes idempotent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "harness/backend.h"
#include "harness/backend_openai_sse.h"

#define OPENAI_MAX_STOP 4
#define OPENAI_ERROR_BODY 2048

typedef struct openai_impl {
    char url[1100];
    char endpoint[1024];
    char model[256];
    char *authorization;   /* "Authorization: Bearer ..." or NULL */
    double timeout_s;
} openai_impl;

typedef struct transfer {
    openai_stream stream;
    const backend_request *request;
    openai_buffer error_body;  /* body of a non-2xx response */
    long http_status;
    int cancelled;
} transfer;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- request body ------------------------------------------------------------ */

static void add_message(cJSON *messages, const char *role, const char *content)
{
    cJSON *message = cJSON_CreateObject();
    cJSON_AddStringToObject(message, "role", role);
    cJSON_AddStringToObject(message, "content", content);
    cJSON_AddItemToArray(messages, message);
}

static void add_stop(cJSON *body, const backend_request *request)
{
    int n = request->n_stop;
    if (n <= 0)
        for (n = 0; n < BACKEND_MAX_STOP && request->stop[n]; n++)
            ;
    if (n > OPENAI_MAX_STOP)
        n = OPENAI_MAX_STOP;
    if (n == 0)
        return;
    cJSON *stop = cJSON_AddArrayToObject(body, "stop");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(stop, cJSON_CreateString(request->stop[i]));
}

static char *request_body(const openai_impl *impl, const backend_request *request, int extras)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "model", impl->model);
    cJSON *messages = cJSON_AddArrayToObject(body, "messages");
    if (request->raw_prompt) {
        add_message(messages, "user", request->raw_prompt);
    } else {
        if (request->system)
            add_message(messages, "system", request->system);
        add_message(messages, "user", request->user ? request->user : "");
    }
    cJSON_AddNumberToObject(body, "max_tokens", request->max_new_tokens);
    cJSON_AddNumberToObject(body, "temperature", request->temperature > 0 ? request->temperature : 0);
    cJSON_AddNumberToObject(body, "seed", (double)(request->seed & 0x7fffffff));
    add_stop(body, request);
    cJSON_AddBoolToObject(body, "stream", 1);
    if (extras) {
        cJSON_AddBoolToObject(cJSON_AddObjectToObject(body, "stream_options"), "include_usage", 1);
        cJSON_AddBoolToObject(body, "logprobs", 1);
    }
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    return text;
}

/* ---- transfer ----------------------------------------------------------------- */

static void first_content(void *user)
{
    const backend_request *request = ((transfer *)user)->request;
    if (request->on_first_token)
        request->on_first_token(request->hook_user);
}

static size_t on_body(char *bytes, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t length = size * count;
    if (t->request->cancel && *t->request->cancel) {
        t->cancelled = 1;
        return 0; /* aborts the transfer */
    }
    if (t->http_status >= 300) {
        size_t room = OPENAI_ERROR_BODY > t->error_body.length ? OPENAI_ERROR_BODY - t->error_body.length : 0;
        openai_buffer *b = &t->error_body;
        size_t take = length < room ? length : room;
        char *grown = realloc(b->data, b->length + take + 1);
        if (!grown)
            return 0;
        b->data = grown;
        memcpy(b->data + b->length, bytes, take);
        b->length += take;
        b->data[b->length] = '\0';
        return length;
    }
    return backend_openai_stream_feed(&t->stream, bytes, length, now_ns()) == 0 ? length : 0;
}

/* The status is known once headers are in; read it there so on_body can branch. */
static size_t on_header(char *bytes, size_t size, size_t count, void *user)
{
    transfer *t = user;
    size_t length = size * count;
    if (length > 9 && !strncmp(bytes, "HTTP/", 5)) {
        const char *space = memchr(bytes, ' ', length);
        if (space)
            t->http_status = strtol(space + 1, NULL, 10);
    }
    return length;
}

static CURL *make_handle(const openai_impl *impl, const char *body, struct curl_slist *headers,
                         transfer *t)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return NULL;
    curl_easy_setopt(curl, CURLOPT_URL, impl->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(impl->timeout_s * 1000));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
    return curl;
}

static struct curl_slist *make_headers(const openai_impl *impl)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = headers ? curl_slist_append(headers, "Accept: text/event-stream") : NULL;
    headers = headers ? curl_slist_append(headers, "Expect:") : NULL; /* no 100-continue */
    if (headers && impl->authorization)
        headers = curl_slist_append(headers, impl->authorization);
    return headers;
}

static void describe_http_error(const openai_impl *impl, const transfer *t, char *err,
                                size_t err_size)
{
    const char *detail = t->error_body.data ? t->error_body.data : "";
    cJSON *json = cJSON_Parse(detail);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(json, "error"), "message");
    snprintf(err, err_size, "%s: HTTP %ld: %.200s", impl->endpoint, t->http_status,
             cJSON_IsString(message) ? message->valuestring : detail[0] ? detail : "(empty body)");
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    cJSON_Delete(json);
}

/* One HTTP exchange. Returns 0 ok, 1 HTTP 400 (caller may retry), -1 error. */
static int perform(const openai_impl *impl, const backend_request *request, int extras,
                   transfer *t, backend_response *response, char *err, size_t err_size)
{
    char *body = request_body(impl, request, extras);
    struct curl_slist *headers = make_headers(impl);
    CURL *curl = body && headers ? make_handle(impl, body, headers, t) : NULL;
    if (!curl) {
        free(body);
        curl_slist_free_all(headers);
        snprintf(err, err_size, "%s: out of memory preparing the request", impl->endpoint);
        return -1;
    }
    if (request->on_prefill_start)
        request->on_prefill_start(request->hook_user);
    response->start_ns = now_ns();
    CURLcode code = curl_easy_perform(curl);
    response->end_ns = now_ns();
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    free(body);
    if (t->http_status >= 300) {
        describe_http_error(impl, t, err, err_size);
        return t->http_status == 400 && extras ? 1 : -1;
    }
    if (t->cancelled)
        return 0;
    if (code != CURLE_OK) {
        snprintf(err, err_size, "%s: %s", impl->endpoint,
                 t->stream.failed ? t->stream.error : curl_easy_strerror(code));
        return -1;
    }
    if (backend_openai_stream_finish(&t->stream, response->end_ns) != 0) {
        snprintf(err, err_size, "%s: %s", impl->endpoint, t->stream.error);
        return -1;
    }
    return 0;
}

/* ---- response ------------------------------------------------------------------- */

static backend_stop_reason stop_reason_of(const transfer *t, int generated)
{
    if (t->cancelled)
        return BACKEND_STOP_INTERRUPTED;
    if (!strcmp(t->stream.finish_reason, "length"))
        return generated >= t->request->max_new_tokens ? BACKEND_STOP_MAX_TOKENS
                                                        : BACKEND_STOP_CONTEXT_FULL;
    return BACKEND_STOP_EOG;
}

static void append_reason(backend_response *response, const char *reason)
{
    size_t used = strlen(response->unavailable);
    snprintf(response->unavailable + used, sizeof response->unavailable - used, "%s%s",
             used ? "; " : "", reason);
}

static void fill_rates(backend_response *r, const openai_stream *s)
{
    r->ttft_ms = r->first_token_ns ? (double)(r->first_token_ns - r->start_ns) / 1e6 : -1;
    r->e2e_ms = (double)(r->end_ns - r->start_ns) / 1e6;
    r->prefill_tps = r->prompt_tokens > 0 && r->ttft_ms > 0 ? r->prompt_tokens / (r->ttft_ms / 1e3) : -1;
    double span_s = s->n_chunks > 1 ? (double)(s->chunk_ns[s->n_chunks - 1] - s->chunk_ns[0]) / 1e9 : 0;
    r->decode_tps = span_s > 0 ? (r->generated_tokens - 1) / span_s : -1;
}

static int fill_response(transfer *t, int extras, backend_response *r, char *err, size_t err_size)
{
    openai_stream *s = &t->stream;
    r->text = strdup(s->text.data ? s->text.data : "");
    r->token_time_ns = malloc((size_t)(s->n_chunks ? s->n_chunks : 1) * sizeof *r->token_time_ns);
    if (!r->text || !r->token_time_ns) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    memcpy(r->token_time_ns, s->chunk_ns, (size_t)s->n_chunks * sizeof *r->token_time_ns);
    r->n_token_times = s->n_chunks;
    r->first_token_ns = s->n_chunks ? s->chunk_ns[0] : 0;
    r->prompt_tokens = s->usage_known ? s->prompt_tokens : -1;
    r->generated_tokens = s->usage_known ? s->completion_tokens : s->n_chunks;
    if (!s->usage_known)
        append_reason(r, "server sent no usage: prompt tokens unknown, generated tokens = streamed content chunks");
    r->logprobs_known = s->n_logprobs > 0;
    r->logprob_mean = s->n_logprobs ? s->logprob_sum / s->n_logprobs : 0;
    r->logprob_min = s->n_logprobs ? s->logprob_min : 0;
    if (!r->logprobs_known)
        append_reason(r, extras ? "server returned no logprobs"
                                : "server rejected logprobs/stream_options (HTTP 400); retried without");
    r->stop_reason = stop_reason_of(t, r->generated_tokens);
    fill_rates(r, s);
    return 0;
}

static void transfer_init(transfer *t, const backend_request *request)
{
    memset(t, 0, sizeof *t);
    backend_openai_stream_init(&t->stream);
    t->request = request;
    t->stream.on_first_content = first_content;
    t->stream.hook_user = t;
}

static void transfer_free(transfer *t)
{
    backend_openai_stream_free(&t->stream);
    free(t->error_body.data);
}

static int openai_generate(backend *self, const backend_request *request,
                           backend_response *response, char *err, size_t err_size)
{
    openai_impl *impl = self->impl;
    memset(response, 0, sizeof *response);
    int extras = 1;
    transfer t;
    transfer_init(&t, request);
    int status = perform(impl, request, extras, &t, response, err, err_size);
    if (status == 1) { /* HTTP 400: retry once without the optional fields */
        transfer_free(&t);
        transfer_init(&t, request);
        extras = 0;
        status = perform(impl, request, extras, &t, response, err, err_size);
        if (status == 1)
            status = -1;
    }
    if (status == 0)
        status = fill_response(&t, extras, response, err, err_size);
    transfer_free(&t);
    if (status != 0)
        backend_response_free(response);
    return status;
}

static int openai_describe(backend *self, cJSON *model, cJSON *backend_info, char *err,
                           size_t err_size)
{
    (void)err;
    (void)err_size;
    openai_impl *impl = self->impl;
    cJSON_AddStringToObject(model, "name", impl->model);
    cJSON_AddStringToObject(model, "sha256", "unavailable: remote model");
    cJSON_AddBoolToObject(model, "synthetic", 0);
    cJSON_AddStringToObject(backend_info, "name", "openai");
    cJSON_AddStringToObject(backend_info, "endpoint", impl->endpoint);
    cJSON_AddStringToObject(backend_info, "model", impl->model);
    cJSON_AddStringToObject(backend_info, "prompt_format", "chat (server-side template)");
    return 0;
}

static void openai_destroy(backend *self)
{
    if (!self)
        return;
    openai_impl *impl = self->impl;
    if (impl && impl->authorization) {
        memset(impl->authorization, 0, strlen(impl->authorization));
        free(impl->authorization);
    }
    free(impl);
    free(self);
}

/* ---- open ------------------------------------------------------------------------- */

static int read_api_key(const backend_openai_options *options, openai_impl *impl, char *err,
                        size_t err_size)
{
    const char *name = options->api_key_env ? options->api_key_env : "OPENAI_API_KEY";
    const char *key = getenv(name);
    if (!key || !key[0]) {
        if (!options->api_key_env)
            return 0; /* no default key: fine for local servers */
        snprintf(err, err_size, "--api-key-env: environment variable %s is not set", name);
        return -1;
    }
    size_t size = strlen(key) + 32;
    impl->authorization = malloc(size);
    if (!impl->authorization) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    snprintf(impl->authorization, size, "Authorization: Bearer %s", key);
    return 0;
}

static int build_url(const backend_openai_options *options, openai_impl *impl, char *err,
                     size_t err_size)
{
    const char *endpoint = options->endpoint;
    if (!endpoint || (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8))) {
        snprintf(err, err_size, "--endpoint: '%s' is not an http:// or https:// URL",
                 endpoint ? endpoint : "");
        return -1;
    }
    size_t length = strlen(endpoint);
    while (length && endpoint[length - 1] == '/')
        length--;
    snprintf(impl->endpoint, sizeof impl->endpoint, "%.*s", (int)length, endpoint);
    int has_path = length >= 17 && !strcmp(impl->endpoint + length - 17, "/chat/completions");
    snprintf(impl->url, sizeof impl->url, "%s%s", impl->endpoint, has_path ? "" : "/chat/completions");
    return 0;
}

int backend_openai_open(const backend_openai_options *options, backend **out, char *err,
                        size_t err_size)
{
    *out = NULL;
    if (!options->model || !options->model[0]) {
        snprintf(err, err_size, "--backend openai: a model name is needed (-m NAME)");
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, err_size, "libcurl could not be initialized");
        return -1;
    }
    backend *self = calloc(1, sizeof *self);
    openai_impl *impl = calloc(1, sizeof *impl);
    if (!self || !impl) {
        free(self);
        free(impl);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    self->impl = impl;
    if (build_url(options, impl, err, err_size) != 0 || read_api_key(options, impl, err, err_size) != 0) {
        openai_destroy(self);
        return -1;
    }
    snprintf(impl->model, sizeof impl->model, "%s", options->model);
    impl->timeout_s = options->timeout_s > 0 ? options->timeout_s : 300;
    self->name = "openai";
    self->generate = openai_generate;
    self->describe = openai_describe;
    self->destroy = openai_destroy;
    self->chat_format = 1; /* always chat completions: messages, never raw text */
    *out = self;
    return 0;
}
