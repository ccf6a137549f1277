/*
 * task_native.c — the native JSONL item format (tasks/FORMAT.md).
 *
 * Invariants: every line is validated for its type (required fields present
 * and of the right JSON type); the first problem aborts the load with
 * "FILE:LINE: problem"; ids are unique across the suite being built.
 */
#include "tasks/task_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int require(int ok, const task_jsonl_reader *r, const char *what, char *err, size_t err_size)
{
    if (!ok)
        snprintf(err, err_size, "%s:%d: %s", r->path, r->line_no, what);
    return ok ? 0 : -1;
}

static int check_item(const task_item *it, const task_jsonl_reader *r, char *err, size_t err_size)
{
    switch (it->type) {
    case TASK_QA:
        return require(it->question != NULL, r, "qa item needs \"question\"", err, err_size);
    case TASK_SUMMARIZATION:
        if (require(it->context != NULL, r, "summarization item needs \"context\"", err, err_size))
            return -1;
        return require(it->n_references > 0, r, "summarization item needs \"references\"", err, err_size);
    case TASK_CODE_PYTHON:
        if (require(it->entry_point != NULL, r, "code_python item needs \"entry_point\"", err, err_size))
            return -1;
        /* fall through */
    case TASK_CODE_C:
        if (require(it->prompt != NULL, r, "code item needs \"prompt\"", err, err_size))
            return -1;
        return require(it->tests != NULL, r, "code item needs \"tests\"", err, err_size);
    }
    return 0;
}

static int fill_strings(task_item *it, const cJSON *j, const task_jsonl_reader *r,
                        char *err, size_t err_size)
{
    it->context = task_json_string(j, "context");
    it->question = task_json_string(j, "question");
    it->prompt = task_json_string(j, "prompt");
    it->entry_point = task_json_string(j, "entry_point");
    it->tests = task_json_string(j, "tests");
    it->canonical_solution = task_json_string(j, "canonical_solution");
    if (task_json_strings(j, "references", &it->references, &it->n_references) != 0)
        return require(0, r, "\"references\" must be a list of strings", err, err_size);
    if (task_json_strings(j, "stop", &it->stop, &it->n_stop) != 0)
        return require(0, r, "\"stop\" must be a list of strings", err, err_size);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "metadata");
    if (meta && !(it->metadata_json = cJSON_PrintUnformatted(meta)))
        return require(0, r, "out of memory", err, err_size);
    const cJSON *budget = cJSON_GetObjectItemCaseSensitive(j, "max_new_tokens");
    if (budget && (!cJSON_IsNumber(budget) || budget->valuedouble < 1 || budget->valuedouble > 65536))
        return require(0, r, "\"max_new_tokens\" must be a number in 1..65536", err, err_size);
    it->max_new_tokens = budget ? budget->valueint : 0;
    return 0;
}

static int parse_item(void *ctx, const cJSON *j, const task_jsonl_reader *r, char *err, size_t err_size)
{
    task_suite *suite = ctx;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "type");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    task_type t;
    if (!cJSON_IsString(type) || task_type_parse(type->valuestring, &t) != 0)
        return require(0, r, "\"type\" must be qa, summarization, code_c or code_python", err, err_size);
    if (!cJSON_IsString(id) || !id->valuestring[0])
        return require(0, r, "\"id\" must be a non-empty string", err, err_size);
    if (task_suite_find(suite, id->valuestring)) {
        snprintf(err, err_size, "%s:%d: duplicate id \"%s\"", r->path, r->line_no, id->valuestring);
        return -1;
    }
    task_item *it = task_suite_add(suite, t);
    if (!it || !(it->id = strdup(id->valuestring)))
        return require(0, r, "out of memory", err, err_size);
    if (fill_strings(it, j, r, err, err_size) != 0 || check_item(it, r, err, err_size) != 0)
        return -1;
    if (t == TASK_QA && it->n_references == 0)
        suite->has_no_answer = 1;
    return require(task_item_set_defaults(it) == 0, r, "out of memory", err, err_size);
}

int task_load_native(const char *path, task_suite *suite, char *err, size_t err_size)
{
    return task_jsonl_each(path, parse_item, suite, err, err_size);
}
