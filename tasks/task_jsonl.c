/*
 * task_jsonl.c — line-oriented reading of JSONL files, plain or gzip'd.
 *
 * Invariants: lines of any length are read whole (the buffer grows); a line
 * that is not one complete JSON value is an error naming FILE:LINE and the
 * byte offset where parsing stopped; a file whose last line lacks its
 * newline is still read.
 */
#include "tasks/task_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* gzopen opens a directory and fails only at the first read ("FILE:1: read
 * error"): refused here, with the same line for both readers. */
static gzFile open_gz(const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory, not a file", path);
        return NULL;
    }
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        snprintf(err, err_size, "%s: cannot open: %s", path, errno ? strerror(errno) : "gzopen failed");
    return gz;
}

int task_jsonl_open(task_jsonl_reader *r, const char *path, char *err, size_t err_size)
{
    memset(r, 0, sizeof(*r));
    r->path = path;
    r->gz = open_gz(path, err, err_size);
    if (!r->gz)
        return -1;
    gzbuffer(r->gz, 1 << 16);
    return 0;
}

int task_jsonl_next(task_jsonl_reader *r, char *err, size_t err_size)
{
    size_t len = 0;
    for (;;) {
        if (r->cap - len < 4096) {
            size_t cap = r->cap ? r->cap * 2 : 8192;
            char *grown = realloc(r->line, cap);
            if (!grown) {
                snprintf(err, err_size, "%s:%d: out of memory", r->path, r->line_no + 1);
                return -1;
            }
            r->line = grown;
            r->cap = cap;
        }
        if (!gzgets(r->gz, r->line + len, (int)(r->cap - len))) {
            int code = 0;
            const char *msg = gzerror(r->gz, &code);
            if (code != Z_OK && code != Z_BUF_ERROR) {
                snprintf(err, err_size, "%s:%d: read error: %s", r->path, r->line_no + 1, msg);
                return -1;
            }
            if (len == 0)
                return 0;
            break;
        }
        len += strlen(r->line + len);
        if (len > 0 && r->line[len - 1] == '\n')
            break;
    }
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    r->line_no++;
    return 1;
}

cJSON *task_jsonl_parse(task_jsonl_reader *r, int *blank, char *err, size_t err_size)
{
    const char *p = r->line;
    while (*p == ' ' || *p == '\t')
        p++;
    *blank = *p == '\0';
    if (*blank)
        return NULL;
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithOpts(r->line, &end, 1);
    if (!json) {
        /* cJSON sets end to the error position (its global error pointer is
         * not used: loaders may run in several threads). */
        long at = end ? (long)(end - r->line) : -1;
        size_t len = strlen(r->line);
        while (len > 0 && (r->line[len - 1] == ' ' || r->line[len - 1] == '\t'))
            len--;
        int truncated = len == 0 || r->line[len - 1] != '}';
        snprintf(err, err_size, "%s:%d: invalid JSON at byte %ld%s", r->path, r->line_no, at,
                 truncated ? " (truncated line: no closing '}')" : "");
        return NULL;
    }
    if (!cJSON_IsObject(json)) {
        snprintf(err, err_size, "%s:%d: expected a JSON object", r->path, r->line_no);
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

void task_jsonl_close(task_jsonl_reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    free(r->line);
    memset(r, 0, sizeof(*r));
}

int task_read_file(const char *path, char **out, size_t *len, char *err, size_t err_size)
{
    *out = NULL;
    gzFile gz = open_gz(path, err, err_size);
    if (!gz)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (cap - n < 4096) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        int got = gzread(gz, buf + n, (unsigned)(cap - n - 1));
        if (got < 0) {
            int code;
            snprintf(err, err_size, "%s: read error: %s", path, gzerror(gz, &code));
            free(buf);
            gzclose(gz);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    gzclose(gz);
    if (!buf) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int task_jsonl_each(const char *path, task_jsonl_fn fn, void *ctx, char *err, size_t err_size)
{
    task_jsonl_reader r;
    if (task_jsonl_open(&r, path, err, err_size) != 0)
        return -1;
    int rc = 0, got = 0;
    while (rc == 0 && (got = task_jsonl_next(&r, err, err_size)) == 1) {
        int blank;
        cJSON *json = task_jsonl_parse(&r, &blank, err, err_size);
        if (!json) {
            rc = blank ? 0 : -1;
            continue;
        }
        rc = fn(ctx, json, &r, err, err_size);
        cJSON_Delete(json);
    }
    if (rc == 0 && got < 0)
        rc = -1;
    task_jsonl_close(&r);
    return rc;
}
