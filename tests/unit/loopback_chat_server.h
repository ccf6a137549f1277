/*
 * loopback_chat_server.h — test helper (header-only, static): a tiny HTTP/1.1
 * server on 127.0.0.1 (ephemeral port) in a thread of the test process that
 * speaks the streaming chat-completions protocol. No traffic leaves the host.
 *
 * The scenario is chosen by the request's "model" field:
 *   ok            5 content chunks 20 ms apart with logprobs, finish "stop", usage, [DONE]
 *   nousage       the same text without usage or logprobs
 *   length        3 chunks, finish "length" (max_tokens 3 in the test)
 *   auth          like ok, but 401 unless "Authorization: Bearer test-key"
 *   error         HTTP 500 with an OpenAI-style JSON error
 *   malformed     a data line that is not JSON
 *   truncated     one chunk, then the connection closes (no finish, no [DONE])
 *   picky         HTTP 400 when the body has "stream_options", else like nousage
 * Lines are written in small pieces (and CRLF in places) so the client's
 * parser sees events split across reads.
 *
 * Invariants: serves exactly `connections` requests (or, when it is negative,
 * until loopback_stop), then the thread ends;
 * the last request (headers + body) is kept for assertions.
 */
#ifndef LOOPBACK_CHAT_SERVER_H
#define LOOPBACK_CHAT_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct loopback_server {
    int listen_fd;
    int port;
    int connections;
    char last_request[16384];
    pthread_t thread;
} loopback_server;

static inline void loopback_sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void loopback_send(int fd, const char *text)
{
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t sent = send(fd, text, length, MSG_NOSIGNAL);
        if (sent <= 0)
            return;
        text += sent;
        length -= (size_t)sent;
    }
}

/* Sends an SSE line in two pieces to split it across reads. */
static inline void loopback_send_split(int fd, const char *line)
{
    char first[512];
    size_t half = strlen(line) / 2;
    snprintf(first, sizeof first, "%.*s", (int)half, line);
    loopback_send(fd, first);
    loopback_sleep_ms(1);
    loopback_send(fd, line + half);
}

static inline void loopback_headers(int fd, int status, const char *type)
{
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nConnection: close\r\n\r\n", status,
             status == 200 ? "OK" : "Error", type);
    loopback_send(fd, head);
}

static inline void loopback_json_error(int fd, int status, const char *message)
{
    char body[512];
    snprintf(body, sizeof body, "{\"error\": {\"message\": \"%s\", \"type\": \"test\"}}", message);
    char head[256];
    snprintf(head, sizeof head,
             "HTTP/1.1 %d Error\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n", status, strlen(body));
    loopback_send(fd, head);
    loopback_send(fd, body);
}

static inline void loopback_stream(int fd, int chunks, int with_logprobs, int with_usage,
                                   const char *finish)
{
    static const char *const pieces[] = {"Hel", "lo", " wor", "ld", "!"};
    static const double logprobs[] = {-0.1, -0.2, -0.3, -0.4, -1.0};
    loopback_headers(fd, 200, "text/event-stream");
    loopback_send(fd, ": keep-alive comment\n\n");
    loopback_send_split(fd, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},"
                            "\"finish_reason\":null}]}\r\n\r\n");
    for (int i = 0; i < chunks; i++) {
        char line[512];
        char lp[128] = "";
        if (with_logprobs)
            snprintf(lp, sizeof lp, ",\"logprobs\":{\"content\":[{\"token\":\"%s\",\"logprob\":%g}]}",
                     pieces[i], logprobs[i]);
        snprintf(line, sizeof line,
                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}%s,"
                 "\"finish_reason\":null}]}\n\n", pieces[i], lp);
        loopback_sleep_ms(20);
        loopback_send_split(fd, line);
    }
    char line[256];
    snprintf(line, sizeof line,
             "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"%s\"}]}\n\n", finish);
    loopback_send(fd, line);
    if (with_usage)
        loopback_send_split(fd, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
                                "\"completion_tokens\":5,\"total_tokens\":17}}\n\n");
    loopback_send(fd, "data: [DONE]\n\n");
}

static inline void loopback_respond(loopback_server *server, int fd)
{
    const char *r = server->last_request;
    if (strstr(r, "\"model\":\"ok\""))
        loopback_stream(fd, 5, 1, 1, "stop");
    else if (strstr(r, "\"model\":\"nousage\""))
        loopback_stream(fd, 5, 0, 0, "stop");
    else if (strstr(r, "\"model\":\"length\""))
        loopback_stream(fd, 3, 1, 1, "length");
    else if (strstr(r, "\"model\":\"auth\"")) {
        if (strstr(r, "Authorization: Bearer test-key\r\n"))
            loopback_stream(fd, 5, 1, 1, "stop");
        else
            loopback_json_error(fd, 401, "Incorrect API key provided");
    } else if (strstr(r, "\"model\":\"malformed\"")) {
        loopback_headers(fd, 200, "text/event-stream");
        loopback_send(fd, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
        loopback_send(fd, "data: {this is not json\n\n");
        loopback_send(fd, "data: [DONE]\n\n");
    } else if (strstr(r, "\"model\":\"truncated\"")) {
        loopback_headers(fd, 200, "text/event-stream");
        loopback_send(fd, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n");
    } else if (strstr(r, "\"model\":\"picky\"")) {
        if (strstr(r, "stream_options"))
            loopback_json_error(fd, 400, "Unrecognized request argument: stream_options");
        else
            loopback_stream(fd, 5, 0, 0, "stop");
    } else {
        loopback_json_error(fd, 500, "internal error: unknown test model");
    }
}

/* Reads headers and a Content-Length body into last_request. */
static inline int loopback_read_request(loopback_server *server, int fd)
{
    size_t used = 0, capacity = sizeof server->last_request - 1;
    long body_length = -1;
    char *end = NULL;
    while (used < capacity) {
        ssize_t got = recv(fd, server->last_request + used, capacity - used, 0);
        if (got <= 0)
            return -1;
        used += (size_t)got;
        server->last_request[used] = '\0';
        if (!end && (end = strstr(server->last_request, "\r\n\r\n"))) {
            const char *cl = strcasestr(server->last_request, "Content-Length:");
            body_length = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (end && (long)(used - (size_t)(end + 4 - server->last_request)) >= body_length)
            return 0;
    }
    return -1;
}

static inline void *loopback_main(void *user)
{
    loopback_server *server = user;
    for (int i = 0; server->connections < 0 || i < server->connections; i++) {
        int fd = accept(server->listen_fd, NULL, NULL);
        if (fd < 0)
            break;
        if (loopback_read_request(server, fd) == 0)
            loopback_respond(server, fd);
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
    return NULL;
}

static inline int loopback_start(loopback_server *server, int connections)
{
    memset(server, 0, sizeof *server);
    server->connections = connections;
    server->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (server->listen_fd < 0)
        return -1;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(server->listen_fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(server->listen_fd, 4) != 0 ||
        getsockname(server->listen_fd, (struct sockaddr *)&address, &length) != 0) {
        close(server->listen_fd);
        return -1;
    }
    server->port = ntohs(address.sin_port);
    return pthread_create(&server->thread, NULL, loopback_main, server) == 0 ? 0 : -1;
}

static inline void loopback_stop(loopback_server *server)
{
    if (server->connections < 0)
        shutdown(server->listen_fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(server->thread, NULL);
    close(server->listen_fd);
}

#endif
