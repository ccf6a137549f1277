/*
 * backend_openai_sse.h — incremental parser for the streaming response of an
 * OpenAI-compatible /v1/chat/completions request (Server-Sent Events).
 *
 * The stream is a sequence of events separated by blank lines; each event's
 * "data:" lines (joined with "\n") hold one JSON chunk
 *   {"choices":[{"delta":{"content":"..."},"logprobs":{"content":[{"logprob":-0.1},...]},
 *                "finish_reason":null|"stop"|"length"}], "usage":{...}|null}
 * and the last one is "data: [DONE]". Comment lines (":"), "event:", "id:" and
 * "retry:" fields are ignored. A chunk with an "error" object is a failure.
 *
 * Invariants:
 *  - Bytes may arrive split anywhere (inside a line, inside UTF-8); the parser
 *    keeps the partial line and never reads past what it was given.
 *  - Timestamps are supplied by the caller (CLOCK_MONOTONIC ns), so the parser
 *    is deterministic and testable without a network.
 *  - After a failure, further input is ignored and `error` keeps the first
 *    problem; the owner frees everything with backend_openai_stream_free().
 */
#ifndef BACKEND_OPENAI_SSE_H
#define BACKEND_OPENAI_SSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct openai_buffer {
    char *data;
    size_t length, capacity;
} openai_buffer;

typedef struct openai_stream {
    openai_buffer line;          /* partial line */
    openai_buffer event_data;    /* data lines of the current event */
    openai_buffer text;          /* generated text so far */
    uint64_t *chunk_ns;          /* arrival time of each content chunk */
    int n_chunks, chunk_capacity;
    int done;                    /* "[DONE]" seen */
    int failed;
    char error[256];
    char finish_reason[32];
    int usage_known;
    int prompt_tokens, completion_tokens;
    int n_logprobs;
    double logprob_sum, logprob_min;
    void (*on_first_content)(void *user);
    void *hook_user;
} openai_stream;

void backend_openai_stream_init(openai_stream *stream);
void backend_openai_stream_free(openai_stream *stream);

/* Feeds received bytes; returns 0, or -1 once the stream has failed (see error). */
int backend_openai_stream_feed(openai_stream *stream, const char *bytes, size_t length,
                               uint64_t now_ns);

/* End of input: dispatches a last event without a trailing blank line; checks
 * the stream finished ([DONE] or a finish_reason). Returns 0 or -1. */
int backend_openai_stream_finish(openai_stream *stream, uint64_t now_ns);

#endif
