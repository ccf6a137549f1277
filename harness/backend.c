/*
 * backend.c — what every generation backend shares: the stop-reason names of
 * the results schema and releasing a response.
 *
 * Invariant: backend_response_free leaves a zeroed response (safe to repeat).
 */
#include <stdlib.h>
#include <string.h>

#include "harness/backend.h"

const char *backend_stop_reason_name(backend_stop_reason reason)
{
    switch (reason) {
    case BACKEND_STOP_MAX_TOKENS: return "max_tokens";
    case BACKEND_STOP_EOG: return "eog";
    case BACKEND_STOP_SEQUENCE: return "stop_sequence";
    case BACKEND_STOP_CONTEXT_FULL: return "context_full";
    case BACKEND_STOP_INTERRUPTED: return "interrupted";
    }
    return "unknown";
}

void backend_response_free(backend_response *response)
{
    if (!response)
        return;
    free(response->text);
    free(response->token_time_ns);
    memset(response, 0, sizeof *response);
}
