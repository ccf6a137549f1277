/*
 * task_loaders.c — loaders for datasets users already have: SQuAD v1.1/v2.0
 * JSON, HumanEval JSONL(.gz), MBPP JSONL and summarization JSONL with a field
 * mapping (CNN/DailyMail-style "article"/"highlights", XSum "document"/"summary").
 *
 * Invariants: the first malformed record aborts the load with FILE[:LINE]
 * and the problem; items get the per-type defaults (tasks/task.c); SQuAD v2
 * unanswerable questions get zero references and set suite->has_no_answer.
 */
#include "tasks/task_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQuAD ------------------------------------------------------------------ */

static int squad_answers(task_item *it, const cJSON *qa)
{
    const cJSON *answers = cJSON_GetObjectItemCaseSensitive(qa, "answers"), *a;
    if (answers && !cJSON_IsArray(answers))
        return -1;
    cJSON_ArrayForEach(a, answers) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(a, "text");
        if (!cJSON_IsString(text) || task_strings_push(&it->references, &it->n_references, text->valuestring) != 0)
            return -1;
    }
    return 0;
}

static int squad_question(task_suite *suite, const char *context, const cJSON *qa,
                          const char *path, char *err, size_t err_size)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(qa, "id");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(qa, "question");
    if (!cJSON_IsString(id) || !cJSON_IsString(q)) {
        snprintf(err, err_size, "%s: a question lacks \"id\" or \"question\"", path);
        return -1;
    }
    task_item *it = task_suite_add(suite, TASK_QA);
    if (!it || !(it->id = strdup(id->valuestring)) || !(it->context = strdup(context)) ||
        !(it->question = strdup(q->valuestring))) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    if (squad_answers(it, qa) != 0) {
        snprintf(err, err_size, "%s: question %s: bad \"answers\"", path, id->valuestring);
        return -1;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(qa, "is_impossible"))) {
        for (int i = 0; i < it->n_references; i++)
            free(it->references[i]);
        it->n_references = 0;
    }
    if (it->n_references == 0)
        suite->has_no_answer = 1;
    return task_item_set_defaults(it);
}

static int squad_paragraphs(task_suite *suite, const cJSON *article, const char *path,
                            char *err, size_t err_size)
{
    const cJSON *paragraphs = cJSON_GetObjectItemCaseSensitive(article, "paragraphs"), *p;
    if (!cJSON_IsArray(paragraphs)) {
        snprintf(err, err_size, "%s: an article lacks \"paragraphs\"", path);
        return -1;
    }
    cJSON_ArrayForEach(p, paragraphs) {
        const cJSON *context = cJSON_GetObjectItemCaseSensitive(p, "context");
        const cJSON *qas = cJSON_GetObjectItemCaseSensitive(p, "qas"), *qa;
        if (!cJSON_IsString(context) || !cJSON_IsArray(qas)) {
            snprintf(err, err_size, "%s: a paragraph lacks \"context\" or \"qas\"", path);
            return -1;
        }
        cJSON_ArrayForEach(qa, qas) {
            if (squad_question(suite, context->valuestring, qa, path, err, err_size) != 0)
                return -1;
        }
    }
    return 0;
}

int task_load_squad(const char *path, task_suite *suite, char *err, size_t err_size)
{
    char *text = NULL;
    if (task_read_file(path, &text, NULL, err, err_size) != 0)
        return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        snprintf(err, err_size, "%s: invalid JSON at byte %ld", path, end ? (long)(end - text) : -1L);
        free(text);
        return -1;
    }
    free(text);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data"), *article;
    int rc = 0;
    if (!cJSON_IsArray(data)) {
        snprintf(err, err_size, "%s: not SQuAD JSON (no \"data\" array)", path);
        rc = -1;
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (cJSON_IsString(version) && strncmp(version->valuestring, "v2", 2) == 0)
        suite->has_no_answer = 1;
    if (rc == 0) {
        cJSON_ArrayForEach(article, data) {
            if ((rc = squad_paragraphs(suite, article, path, err, err_size)) != 0)
                break;
        }
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- JSONL driver --------------------------------------------------------------- */

typedef int (*record_fn)(task_suite *suite, const cJSON *j, const task_jsonl_reader *r,
                         const task_load_options *opts, char *err, size_t err_size);

typedef struct record_walk {
    record_fn fn;
    task_suite *suite;
    const task_load_options *opts;
} record_walk;

static int walk_record(void *ctx, const cJSON *j, const task_jsonl_reader *r, char *err, size_t err_size)
{
    const record_walk *walk = ctx;
    return walk->fn(walk->suite, j, r, walk->opts, err, err_size);
}

static int load_jsonl(const char *path, const task_load_options *opts, record_fn fn,
                      task_suite *suite, char *err, size_t err_size)
{
    record_walk walk = {fn, suite, opts};
    return task_jsonl_each(path, walk_record, &walk, err, err_size);
}

static int bad(const task_jsonl_reader *r, const char *what, char *err, size_t err_size)
{
    snprintf(err, err_size, "%s:%d: %s", r->path, r->line_no, what);
    return -1;
}

/* task_id may be a string ("HumanEval/0") or a number (MBPP: 11). */
static char *json_id(const cJSON *j, const char *key, const char *prefix)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    char buf[64];
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        snprintf(buf, sizeof(buf), "%s%d", prefix, v->valueint);
        return strdup(buf);
    }
    return NULL;
}

/* ---- HumanEval ------------------------------------------------------------------ */

static int humaneval_record(task_suite *suite, const cJSON *j, const task_jsonl_reader *r,
                            const task_load_options *opts, char *err, size_t err_size)
{
    (void)opts;
    task_item *it = task_suite_add(suite, TASK_CODE_PYTHON);
    if (!it)
        return bad(r, "out of memory", err, err_size);
    it->id = json_id(j, "task_id", "");
    it->prompt = task_json_string(j, "prompt");
    it->entry_point = task_json_string(j, "entry_point");
    it->tests = task_json_string(j, "test");
    it->canonical_solution = task_json_string(j, "canonical_solution");
    if (!it->id || !it->prompt || !it->entry_point || !it->tests)
        return bad(r, "HumanEval record needs task_id, prompt, entry_point and test", err, err_size);
    return task_item_set_defaults(it) == 0 ? 0 : bad(r, "out of memory", err, err_size);
}

int task_load_humaneval(const char *path, task_suite *suite, char *err, size_t err_size)
{
    return load_jsonl(path, NULL, humaneval_record, suite, err, err_size);
}

/* ---- MBPP ----------------------------------------------------------------------- */

/* Joins the setup code and the asserts into the test program. */
static char *mbpp_tests(const cJSON *j)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "test_list"), *t;
    const cJSON *setup = cJSON_GetObjectItemCaseSensitive(j, "test_setup_code");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return NULL;
    size_t len = cJSON_IsString(setup) ? strlen(setup->valuestring) + 2 : 1;
    cJSON_ArrayForEach(t, list) {
        if (!cJSON_IsString(t))
            return NULL;
        len += strlen(t->valuestring) + 1;
    }
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (cJSON_IsString(setup) && setup->valuestring[0]) {
        strcat(out, setup->valuestring);
        strcat(out, "\n");
    }
    cJSON_ArrayForEach(t, list) {
        strcat(out, t->valuestring);
        strcat(out, "\n");
    }
    return out;
}

/* The function the asserts call: "assert name(" -> name. */
static char *mbpp_entry_point(const char *tests)
{
    const char *p = strstr(tests, "assert ");
    if (!p)
        return NULL;
    p += 7;
    while (*p == ' ' || *p == '(')
        p++;
    size_t n = 0;
    while (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           (n > 0 && p[n] >= '0' && p[n] <= '9'))
        n++;
    return n ? strndup(p, n) : NULL;
}

static int mbpp_record(task_suite *suite, const cJSON *j, const task_jsonl_reader *r,
                       const task_load_options *opts, char *err, size_t err_size)
{
    (void)opts;
    task_item *it = task_suite_add(suite, TASK_CODE_PYTHON);
    if (!it)
        return bad(r, "out of memory", err, err_size);
    it->id = json_id(j, "task_id", "");
    it->question = task_json_string(j, "text");
    if (!it->question)
        it->question = task_json_string(j, "prompt"); /* sanitized MBPP */
    it->canonical_solution = task_json_string(j, "code");
    it->tests = mbpp_tests(j);
    if (!it->id || !it->question || !it->tests)
        return bad(r, "MBPP record needs task_id, text and test_list", err, err_size);
    it->entry_point = mbpp_entry_point(it->tests);
    /* No prompt: the model writes the whole function; the program is
     * completion + asserts, so the usual "\ndef" stops would cut it short. */
    if (task_strings_push(&it->stop, &it->n_stop, "\n```") != 0)
        return bad(r, "out of memory", err, err_size);
    return task_item_set_defaults(it) == 0 ? 0 : bad(r, "out of memory", err, err_size);
}

int task_load_mbpp(const char *path, task_suite *suite, char *err, size_t err_size)
{
    return load_jsonl(path, NULL, mbpp_record, suite, err, err_size);
}

/* ---- summarization JSONL ------------------------------------------------------------ */

/* Source key for our field (document, summary, id) from --field maps. */
static const char *mapped_key(const task_load_options *opts, const char *field, const char *fallback)
{
    size_t n = strlen(field);
    for (int i = 0; opts && i < opts->n_field_maps; i++)
        if (strncmp(opts->field_map[i], field, n) == 0 && opts->field_map[i][n] == '=')
            return opts->field_map[i] + n + 1;
    return fallback;
}

static int summary_references(task_item *it, const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsString(v))
        return task_strings_push(&it->references, &it->n_references, v->valuestring);
    return task_json_strings(j, key, &it->references, &it->n_references);
}

static int summarization_record(task_suite *suite, const cJSON *j, const task_jsonl_reader *r,
                                const task_load_options *opts, char *err, size_t err_size)
{
    const char *doc_key = mapped_key(opts, "document", "document");
    const char *sum_key = mapped_key(opts, "summary", "summary");
    const char *id_key = mapped_key(opts, "id", "id");
    task_item *it = task_suite_add(suite, TASK_SUMMARIZATION);
    if (!it)
        return bad(r, "out of memory", err, err_size);
    it->context = task_json_string(j, doc_key);
    if (!it->context) {
        char what[160];
        snprintf(what, sizeof(what), "no string field \"%.60s\" (map it with --field document=KEY)", doc_key);
        return bad(r, what, err, err_size);
    }
    if (summary_references(it, j, sum_key) != 0 || it->n_references == 0) {
        char what[160];
        snprintf(what, sizeof(what), "no summary field \"%.60s\" (map it with --field summary=KEY)", sum_key);
        return bad(r, what, err, err_size);
    }
    it->id = json_id(j, id_key, "");
    if (!it->id) {
        char line_id[32];
        snprintf(line_id, sizeof(line_id), "line-%d", r->line_no);
        it->id = strdup(line_id);
    }
    return (it->id && task_item_set_defaults(it) == 0) ? 0 : bad(r, "out of memory", err, err_size);
}

int task_load_summarization(const char *path, const task_load_options *opts,
                            task_suite *suite, char *err, size_t err_size)
{
    return load_jsonl(path, opts, summarization_record, suite, err, err_size);
}
