/*
 * task.c — suites: loading (built-in manifests and files, format detection),
 * deterministic sampling, item defaults, lookup and freeing.
 *
 * Invariants: a suite is either fully loaded or empty (on error everything
 * allocated so far is freed); sampling with the same seed over the same file
 * yields the same items in file order; no global mutable state.
 */
#include "tasks/task_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const type_names[] = {"qa", "summarization", "code_c", "code_python"};

const char *task_type_name(task_type type)
{
    return (type >= TASK_QA && type <= TASK_CODE_PYTHON) ? type_names[type] : NULL;
}

int task_type_parse(const char *name, task_type *out)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, type_names[i]) == 0) {
            *out = (task_type)i;
            return 0;
        }
    return -1;
}

void task_load_options_default(task_load_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->format = TASK_FORMAT_AUTO;
    opts->seed = 1234;
}

void task_item_free(task_item *item)
{
    free(item->id);
    free(item->context);
    free(item->question);
    free(item->prompt);
    free(item->entry_point);
    for (int i = 0; i < item->n_references; i++)
        free(item->references[i]);
    free(item->references);
    free(item->tests);
    free(item->canonical_solution);
    free(item->metadata_json);
    for (int i = 0; i < item->n_stop; i++)
        free(item->stop[i]);
    free(item->stop);
    memset(item, 0, sizeof(*item));
}

void task_suite_free(task_suite *suite)
{
    if (!suite)
        return;
    for (int i = 0; i < suite->n_items; i++)
        task_item_free(&suite->items[i]);
    free(suite->items);
    free(suite->name);
    free(suite->source);
    memset(suite, 0, sizeof(*suite));
}

const task_item *task_suite_find(const task_suite *suite, const char *id)
{
    for (int i = 0; i < suite->n_items; i++)
        if (strcmp(suite->items[i].id, id) == 0)
            return &suite->items[i];
    return NULL;
}

task_item *task_suite_add(task_suite *suite, task_type type)
{
    task_item *grown = realloc(suite->items, (size_t)(suite->n_items + 1) * sizeof(task_item));
    if (!grown)
        return NULL;
    suite->items = grown;
    task_item *item = &suite->items[suite->n_items++];
    memset(item, 0, sizeof(*item));
    item->type = type;
    return item;
}

int task_strings_push(char ***list, int *n, const char *s)
{
    char **grown = realloc(*list, (size_t)(*n + 1) * sizeof(char *));
    if (!grown)
        return -1;
    *list = grown;
    grown[*n] = strdup(s);
    if (!grown[*n])
        return -1;
    (*n)++;
    return 0;
}

int task_item_set_defaults(task_item *item)
{
    static const char *const qa_stop[] = {"\n"};
    static const char *const sum_stop[] = {"\n\n"};
    static const char *const c_stop[] = {"\n}", "\n```"};
    static const char *const py_stop[] = {"\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\n```"};
    static const int budgets[] = {32, 160, 384, 384};
    const char *const *stops[] = {qa_stop, sum_stop, c_stop, py_stop};
    const int counts[] = {1, 1, 2, 6};
    if (item->max_new_tokens <= 0)
        item->max_new_tokens = budgets[item->type];
    if (item->n_stop > 0)
        return 0;
    for (int i = 0; i < counts[item->type]; i++)
        if (task_strings_push(&item->stop, &item->n_stop, stops[item->type][i]) != 0)
            return -1;
    return 0;
}

char *task_json_string(const cJSON *object, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(object, key);
    return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

int task_json_strings(const cJSON *object, const char *key, char ***out, int *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(object, key);
    if (!arr)
        return 0;
    if (cJSON_IsString(arr))
        return task_strings_push(out, n, arr->valuestring);
    if (!cJSON_IsArray(arr))
        return -1;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (!cJSON_IsString(v) || task_strings_push(out, n, v->valuestring) != 0)
            return -1;
    }
    return 0;
}

/* ---- deterministic sampling ----------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Keeps `limit` items chosen by a seeded partial Fisher-Yates shuffle, in
 * their original order. */
static int sample_items(task_suite *suite, int limit, uint64_t seed)
{
    int n = suite->n_items;
    if (limit <= 0 || limit >= n)
        return 0;
    int *order = malloc((size_t)n * sizeof(int));
    char *keep = calloc((size_t)n, 1);
    if (!order || !keep) {
        free(order);
        free(keep);
        return -1;
    }
    for (int i = 0; i < n; i++)
        order[i] = i;
    uint64_t state = seed;
    for (int i = 0; i < limit; i++) {
        int j = i + (int)(splitmix64(&state) % (uint64_t)(n - i));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    qsort(order, (size_t)limit, sizeof(int), compare_int);
    for (int i = 0; i < limit; i++)
        keep[order[i]] = 1;
    int w = 0;
    for (int i = 0; i < n; i++) {
        if (keep[i])
            suite->items[w++] = suite->items[i];
        else
            task_item_free(&suite->items[i]);
    }
    suite->n_items = w;
    free(order);
    free(keep);
    return 0;
}

/* ---- format detection and manifests ----------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Looks at the first JSONL line (or the JSON document) to pick a format. */
static task_format detect_format(const char *path, char *err, size_t err_size)
{
    if (ends_with(path, ".json") || ends_with(path, ".json.gz"))
        return TASK_FORMAT_SQUAD; /* manifests are caught before this */
    task_jsonl_reader r;
    if (task_jsonl_open(&r, path, err, err_size) != 0)
        return TASK_FORMAT_AUTO;
    task_format f = TASK_FORMAT_SUMMARIZATION;
    int blank = 1, got = 0;
    cJSON *first = NULL;
    while (blank && (got = task_jsonl_next(&r, err, err_size)) == 1)
        first = task_jsonl_parse(&r, &blank, err, err_size);
    if (first) {
        int has_task_id = cJSON_HasObjectItem(first, "task_id");
        if (cJSON_HasObjectItem(first, "type"))
            f = TASK_FORMAT_NATIVE;
        else if (has_task_id && cJSON_HasObjectItem(first, "entry_point"))
            f = TASK_FORMAT_HUMANEVAL;
        else if (has_task_id && cJSON_HasObjectItem(first, "test_list"))
            f = TASK_FORMAT_MBPP;
        cJSON_Delete(first);
    } else if (got != 0 || !blank) {
        f = TASK_FORMAT_AUTO; /* err already says why */
    } else {
        snprintf(err, err_size, "%s: file is empty", path);
        f = TASK_FORMAT_AUTO;
    }
    task_jsonl_close(&r);
    return f;
}

static int load_file(const char *path, const task_load_options *opts, task_suite *suite,
                     char *err, size_t err_size);

/* out = a + sep + b; -1 when it does not fit. */
static int join_path(char *out, size_t size, const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    if (la + ls + lb + 1 > size)
        return -1;
    memcpy(out, a, la);
    memcpy(out + la, sep, ls);
    memcpy(out + la + ls, b, lb + 1);
    return 0;
}

/* A manifest {"name": ..., "files": [...]} loads each file (relative paths are
 * relative to the manifest) into one suite. */
static int load_manifest(const char *path, cJSON *manifest, const task_load_options *opts,
                         task_suite *suite, char *err, size_t err_size)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(manifest, "files");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) == 0) {
        snprintf(err, err_size, "%s: manifest needs a non-empty \"files\" array", path);
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        char full[PATH_MAX];
        if (!cJSON_IsString(f)) {
            snprintf(err, err_size, "%s: \"files\" must hold strings", path);
            return -1;
        }
        if (join_path(full, sizeof(full), f->valuestring[0] == '/' ? "" : dir,
                      f->valuestring[0] == '/' ? "" : "/", f->valuestring) != 0) {
            snprintf(err, err_size, "%s: path too long", path);
            return -1;
        }
        task_load_options inner = *opts;
        inner.format = TASK_FORMAT_AUTO;
        if (load_file(full, &inner, suite, err, err_size) != 0)
            return -1;
    }
    return 0;
}

/* Returns 1 (and loads) when path is a manifest, 0 when it is not, -1 on error. */
static int try_manifest(const char *path, const task_load_options *opts, task_suite *suite,
                        char *err, size_t err_size)
{
    if (!ends_with(path, ".json"))
        return 0;
    char *text = NULL;
    if (task_read_file(path, &text, NULL, err, err_size) != 0)
        return -1;
    cJSON *json = cJSON_Parse(text);
    free(text);
    int is_manifest = json && cJSON_HasObjectItem(json, "files") && !cJSON_HasObjectItem(json, "data");
    int rc = is_manifest ? (load_manifest(path, json, opts, suite, err, err_size) == 0 ? 1 : -1) : 0;
    cJSON_Delete(json);
    return rc;
}

static int load_file(const char *path, const task_load_options *opts, task_suite *suite,
                     char *err, size_t err_size)
{
    int m = try_manifest(path, opts, suite, err, err_size);
    if (m != 0)
        return m < 0 ? -1 : 0;
    task_format f = opts->format;
    if (f == TASK_FORMAT_AUTO && (f = detect_format(path, err, err_size)) == TASK_FORMAT_AUTO)
        return -1;
    switch (f) {
    case TASK_FORMAT_NATIVE: return task_load_native(path, suite, err, err_size);
    case TASK_FORMAT_SQUAD: return task_load_squad(path, suite, err, err_size);
    case TASK_FORMAT_HUMANEVAL: return task_load_humaneval(path, suite, err, err_size);
    case TASK_FORMAT_MBPP: return task_load_mbpp(path, suite, err, err_size);
    case TASK_FORMAT_SUMMARIZATION: return task_load_summarization(path, opts, suite, err, err_size);
    default: snprintf(err, err_size, "%s: unknown format", path); return -1;
    }
}

/* ---- built-in suites ------------------------------------------------------------ */

static int is_dir_with_manifest(const char *dir)
{
    char probe[PATH_MAX];
    return join_path(probe, sizeof(probe), dir, "/", "qa.json") == 0 && access(probe, R_OK) == 0;
}

int task_builtin_dir(char *out, size_t out_size, char *err, size_t err_size)
{
    const char *env = getenv("SLM_TASKS_DIR");
    if (env && *env) {
        snprintf(out, out_size, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const ups[] = {"/../tasks/suites", "/../../tasks/suites"};
        for (int i = 0; i < 2; i++) {
            char candidate[PATH_MAX + 64];
            snprintf(candidate, sizeof(candidate), "%s%s", exe, ups[i]);
            if (is_dir_with_manifest(candidate) && strlen(candidate) < out_size) {
                snprintf(out, out_size, "%s", candidate);
                return 0;
            }
        }
    }
    if (is_dir_with_manifest("tasks/suites")) {
        snprintf(out, out_size, "tasks/suites");
        return 0;
    }
    snprintf(err, err_size, "tasks/suites: built-in suites not found (set SLM_TASKS_DIR)");
    return -1;
}

static int is_builtin_name(const char *name)
{
    static const char *const names[] = {"qa", "summarization", "code", "code_c", "code_python"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static int finish_suite(task_suite *suite, const char *name, const char *source,
                        const task_load_options *opts, char *err, size_t err_size)
{
    suite->name = strdup(name);
    suite->source = strdup(source);
    if (!suite->name || !suite->source || sample_items(suite, opts->limit, opts->seed) != 0) {
        snprintf(err, err_size, "%s: out of memory", source);
        return -1;
    }
    if (suite->n_items == 0) {
        snprintf(err, err_size, "%s: no items", source);
        return -1;
    }
    return 0;
}

int task_suite_load_ex(const char *name_or_path, const task_load_options *opts,
                       task_suite *suite, char *err, size_t err_size)
{
    memset(suite, 0, sizeof(*suite));
    task_load_options defaults;
    if (!opts) {
        task_load_options_default(&defaults);
        opts = &defaults;
    }
    char path[PATH_MAX], source[PATH_MAX + 16], name[256];
    if (is_builtin_name(name_or_path)) {
        char dir[PATH_MAX - 64];
        if (task_builtin_dir(dir, sizeof(dir), err, err_size) != 0)
            return -1;
        snprintf(path, sizeof(path), "%s/%.32s.json", dir, name_or_path);
        snprintf(source, sizeof(source), "builtin:%s", name_or_path);
        snprintf(name, sizeof(name), "%s", name_or_path);
    } else {
        snprintf(path, sizeof(path), "%s", name_or_path);
        snprintf(source, sizeof(source), "%s", name_or_path);
        const char *base = strrchr(name_or_path, '/');
        snprintf(name, sizeof(name), "%s", base ? base + 1 : name_or_path);
    }
    int rc = load_file(path, opts, suite, err, err_size);
    if (rc == 0)
        rc = finish_suite(suite, name, source, opts, err, err_size);
    if (rc != 0)
        task_suite_free(suite);
    return rc;
}

int task_suite_load(const char *name_or_path, int limit, uint64_t seed,
                    task_suite *suite, char *err, size_t err_size)
{
    task_load_options opts;
    task_load_options_default(&opts);
    opts.limit = limit;
    opts.seed = seed;
    return task_suite_load_ex(name_or_path, &opts, suite, err, err_size);
}
