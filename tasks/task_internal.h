/*
 * task_internal.h — helpers shared by the tasks/ sources (not for the harness).
 *
 * Invariants: a task_jsonl_reader reads plain or gzip files line by line
 * (zlib reads plain files transparently) and counts lines from 1; every
 * function reports errors as "FILE:LINE: problem" in err.
 */
#ifndef TASK_INTERNAL_H
#define TASK_INTERNAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "tasks/task.h"

typedef struct task_jsonl_reader {
    void *gz;          /* gzFile */
    const char *path;
    char *line;        /* current line, NUL-terminated, without '\n' */
    size_t cap;
    int line_no;
} task_jsonl_reader;

int task_jsonl_open(task_jsonl_reader *r, const char *path, char *err, size_t err_size);
/* 1 = a line in r->line, 0 = end of file, -1 = read error (err filled). */
int task_jsonl_next(task_jsonl_reader *r, char *err, size_t err_size);
/* Parses r->line; blank lines return NULL with no error (*blank set). */
cJSON *task_jsonl_parse(task_jsonl_reader *r, int *blank, char *err, size_t err_size);
void task_jsonl_close(task_jsonl_reader *r);

/* One JSON object line of a file, for task_jsonl_each; non-zero stops the walk
 * (fn has filled err). */
typedef int (*task_jsonl_fn)(void *ctx, const cJSON *json, const task_jsonl_reader *r,
                             char *err, size_t err_size);
/* Calls fn for every non-blank line of path, in order, until the end of the
 * file or the first error (unreadable file, invalid JSON, fn failing). */
int task_jsonl_each(const char *path, task_jsonl_fn fn, void *ctx, char *err, size_t err_size);

/* Reads a whole (optionally gzip'd) file; *out malloc'd, NUL-terminated. */
int task_read_file(const char *path, char **out, size_t *len, char *err, size_t err_size);

/* Appends a zeroed item with the per-type defaults; NULL on allocation failure. */
task_item *task_suite_add(task_suite *suite, task_type type);
void task_item_free(task_item *item);
/* Defaults per type: max_new_tokens and stop sequences (raw prompts). */
int task_item_set_defaults(task_item *item);
/* strdup of a cJSON string member (NULL when absent or not a string). */
char *task_json_string(const cJSON *object, const char *key);
/* String array member -> malloc'd char** (n set); -1 when not strings. */
int task_json_strings(const cJSON *object, const char *key, char ***out, int *n);
int task_strings_push(char ***list, int *n, const char *s);

/* Format-specific loaders (tasks/task_loaders.c, tasks/task_native.c). */
int task_load_native(const char *path, task_suite *suite, char *err, size_t err_size);
int task_load_squad(const char *path, task_suite *suite, char *err, size_t err_size);
int task_load_humaneval(const char *path, task_suite *suite, char *err, size_t err_size);
int task_load_mbpp(const char *path, task_suite *suite, char *err, size_t err_size);
int task_load_summarization(const char *path, const task_load_options *opts,
                            task_suite *suite, char *err, size_t err_size);

/* The opening ``` of a chat-style fenced answer, or NULL when text is a raw
 * continuation (its first lines are indented code) or has no fence. */
const char *task_code_fence(const char *text);
/* Runs a code item in the sandbox and fills status + passed/compile_error/timeout. */
int task_code_run(const task_item *item, const char *completion, const task_sandbox_config *config,
                  task_score *score, char *err, size_t err_size);

#endif
