/*
 * backend_openai_sse.c — Server-Sent Events parsing for chat-completions
 * streaming (format and invariants in backend_openai_sse.h).
 */
#include "harness/backend_openai_sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define SSE_MAX_LINE (8u * 1024 * 1024)

static int buffer_append(openai_buffer *buffer, const char *bytes, size_t length)
{
    if (buffer->length + length + 1 > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 256;
        while (capacity < buffer->length + length + 1)
            capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown)
            return -1;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
    return 0;
}

void backend_openai_stream_init(openai_stream *stream)
{
    memset(stream, 0, sizeof *stream);
}

void backend_openai_stream_free(openai_stream *stream)
{
    free(stream->line.data);
    free(stream->event_data.data);
    free(stream->text.data);
    free(stream->chunk_ns);
    memset(stream, 0, sizeof *stream);
}

static int fail(openai_stream *stream, const char *format, const char *detail)
{
    if (!stream->failed) {
        stream->failed = 1;
        snprintf(stream->error, sizeof stream->error, format, detail);
    }
    return -1;
}

static int record_chunk_time(openai_stream *stream, uint64_t now_ns)
{
    if (stream->n_chunks == stream->chunk_capacity) {
        int capacity = stream->chunk_capacity ? stream->chunk_capacity * 2 : 64;
        uint64_t *grown = realloc(stream->chunk_ns, (size_t)capacity * sizeof *grown);
        if (!grown)
            return -1;
        stream->chunk_ns = grown;
        stream->chunk_capacity = capacity;
    }
    stream->chunk_ns[stream->n_chunks++] = now_ns;
    return 0;
}

static void take_logprobs(openai_stream *stream, const cJSON *choice)
{
    const cJSON *logprobs = cJSON_GetObjectItemCaseSensitive(choice, "logprobs");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(logprobs, "content")) {
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(entry, "logprob");
        if (!cJSON_IsNumber(value))
            continue;
        if (stream->n_logprobs == 0 || value->valuedouble < stream->logprob_min)
            stream->logprob_min = value->valuedouble;
        stream->logprob_sum += value->valuedouble;
        stream->n_logprobs++;
    }
}

static int take_content(openai_stream *stream, const cJSON *choice, uint64_t now_ns)
{
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");
    if (!cJSON_IsString(content) || !content->valuestring[0])
        return 0; /* role-only or empty deltas carry no token */
    if (buffer_append(&stream->text, content->valuestring, strlen(content->valuestring)) != 0 ||
        record_chunk_time(stream, now_ns) != 0)
        return fail(stream, "out of memory%s", "");
    if (stream->n_chunks == 1 && stream->on_first_content)
        stream->on_first_content(stream->hook_user);
    return 0;
}

static void take_usage(openai_stream *stream, const cJSON *chunk)
{
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(chunk, "usage");
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
    const cJSON *completion = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
    if (cJSON_IsNumber(prompt) && cJSON_IsNumber(completion)) {
        stream->usage_known = 1;
        stream->prompt_tokens = prompt->valueint;
        stream->completion_tokens = completion->valueint;
    }
}

static int take_chunk(openai_stream *stream, const cJSON *chunk, uint64_t now_ns)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(chunk, "error");
    if (error) {
        const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
        return fail(stream, "server error in stream: %s",
                    cJSON_IsString(message) ? message->valuestring : "(no message)");
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(chunk, "choices");
    if (choices && !cJSON_IsArray(choices))
        return fail(stream, "malformed SSE chunk: \"choices\" is not an array%s", "");
    const cJSON *choice = cJSON_GetArrayItem(choices, 0);
    if (choice) {
        if (take_content(stream, choice, now_ns) != 0)
            return -1;
        take_logprobs(stream, choice);
        const cJSON *finish = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
        if (cJSON_IsString(finish))
            snprintf(stream->finish_reason, sizeof stream->finish_reason, "%s", finish->valuestring);
    }
    take_usage(stream, chunk);
    return 0;
}

static int dispatch_event(openai_stream *stream, uint64_t now_ns)
{
    if (stream->event_data.length == 0)
        return 0;
    const char *data = stream->event_data.data;
    int status = 0;
    if (!strcmp(data, "[DONE]")) {
        stream->done = 1;
    } else if (stream->done) {
        status = fail(stream, "malformed SSE stream: data after [DONE]%s", "");
    } else {
        cJSON *chunk = cJSON_Parse(data);
        if (!chunk || !cJSON_IsObject(chunk)) {
            char excerpt[64];
            snprintf(excerpt, sizeof excerpt, "%.60s", data);
            status = fail(stream, "malformed SSE event (not a JSON object): %s", excerpt);
        } else {
            status = take_chunk(stream, chunk, now_ns);
        }
        cJSON_Delete(chunk);
    }
    stream->event_data.length = 0;
    if (stream->event_data.data)
        stream->event_data.data[0] = '\0';
    return status;
}

static int take_field(openai_stream *stream, const char *line, size_t length)
{
    if (length < 5 || strncmp(line, "data:", 5) != 0)
        return 0; /* comments, event:, id:, retry: and unknown fields are ignored */
    const char *value = line + 5;
    size_t value_length = length - 5;
    if (value_length && *value == ' ') {
        value++;
        value_length--;
    }
    if ((stream->event_data.length && buffer_append(&stream->event_data, "\n", 1) != 0) ||
        buffer_append(&stream->event_data, value, value_length) != 0)
        return fail(stream, "out of memory%s", "");
    return 0;
}

static int take_line(openai_stream *stream, uint64_t now_ns)
{
    char *line = stream->line.data ? stream->line.data : "";
    size_t length = stream->line.length;
    if (length && line[length - 1] == '\r')
        length--;
    int status = length == 0 ? dispatch_event(stream, now_ns) : take_field(stream, line, length);
    stream->line.length = 0;
    return status;
}

int backend_openai_stream_feed(openai_stream *stream, const char *bytes, size_t length,
                               uint64_t now_ns)
{
    if (stream->failed)
        return -1;
    while (length > 0) {
        const char *newline = memchr(bytes, '\n', length);
        size_t take = newline ? (size_t)(newline - bytes) : length;
        if (stream->line.length + take > SSE_MAX_LINE)
            return fail(stream, "malformed SSE stream: a line longer than 8 MiB%s", "");
        if (buffer_append(&stream->line, bytes, take) != 0)
            return fail(stream, "out of memory%s", "");
        if (!newline)
            break;
        if (take_line(stream, now_ns) != 0)
            return -1;
        bytes += take + 1;
        length -= take + 1;
    }
    return 0;
}

int backend_openai_stream_finish(openai_stream *stream, uint64_t now_ns)
{
    if (stream->failed)
        return -1;
    if (stream->line.length && take_line(stream, now_ns) != 0)
        return -1;
    if (dispatch_event(stream, now_ns) != 0)
        return -1;
    if (!stream->done && !stream->finish_reason[0])
        return fail(stream, "stream ended before [DONE] or a finish_reason (truncated response)%s", "");
    return 0;
}
