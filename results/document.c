/*
 * document.c — the results document: creation with tool facts, loading with
 * schema validation, saving (results.json + items.csv, both atomic), the model
 * object, and run bookkeeping used by --resume.
 *
 * Invariants: run_id values are unique in a document ("r0001", ...); a loaded
 * document has passed the same checks every reader relies on (schema name,
 * version, runs array of objects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/commands.h"
#include "results/results.h"

static cJSON *tool_object(void)
{
    cJSON *tool = cJSON_CreateObject();
    cJSON_AddStringToObject(tool, "name", "slmbench");
    cJSON_AddStringToObject(tool, "version", build_version());
    cJSON_AddStringToObject(tool, "git_commit", build_git_commit());
    cJSON_AddStringToObject(tool, "compiler", build_compiler());
    cJSON_AddStringToObject(tool, "cflags", build_cflags());
    cJSON_AddStringToObject(tool, "simd_path", slm_simd_path());
    return tool;
}

static char *join_argv(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *out = calloc(len, 1);
    for (int i = 0; out && i < argc; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, argv[i]);
    }
    return out;
}

cJSON *res_document_new(int argc, char **argv)
{
    cJSON *doc = cJSON_CreateObject();
    char now[32];
    res_utc_now(now, sizeof now);
    cJSON_AddStringToObject(doc, "schema", RES_SCHEMA_NAME);
    cJSON_AddNumberToObject(doc, "schema_version", RES_SCHEMA_VERSION);
    cJSON_AddStringToObject(doc, "created_utc", now);
    cJSON_AddStringToObject(doc, "updated_utc", now);
    cJSON_AddStringToObject(doc, "status", "running");
    char *command = join_argv(argc, argv);
    cJSON_AddStringToObject(doc, "command", command ? command : "");
    free(command);
    cJSON_AddItemToObject(doc, "tool", tool_object());
    cJSON_AddItemToObject(doc, "runs", cJSON_CreateArray());
    return doc;
}

/* Every run an object with an "items" array, every item an object. */
static int check_runs(const cJSON *runs, const char *path, char *err, size_t err_size)
{
    int index = 0;
    const cJSON *run;
    cJSON_ArrayForEach(run, runs) {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(run, "items");
        if (!cJSON_IsObject(run) || !cJSON_IsArray(items)) {
            snprintf(err, err_size, "%s: runs[%d] is not an object with an \"items\" array", path, index);
            return -1;
        }
        int item_index = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, items) {
            if (!cJSON_IsObject(item)) {
                snprintf(err, err_size, "%s: runs[%d].items[%d] is not an object", path, index, item_index);
                return -1;
            }
            item_index++;
        }
        index++;
    }
    return 0;
}

int res_document_check(const cJSON *doc, const char *path, char *err, size_t err_size)
{
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(doc, "runs");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(schema) || strcmp(schema->valuestring, RES_SCHEMA_NAME)) {
        snprintf(err, err_size, "%s: not a slmbench results file (\"schema\" is not \"%s\")", path,
                 RES_SCHEMA_NAME);
        return -1;
    }
    if (!cJSON_IsNumber(version) || version->valuedouble < 1 || version->valuedouble > RES_SCHEMA_VERSION) {
        snprintf(err, err_size, "%s: schema_version %g is not supported (this slmbench reads 1..%d)", path,
                 cJSON_IsNumber(version) ? version->valuedouble : -1.0, RES_SCHEMA_VERSION);
        return -1;
    }
    if (!cJSON_IsArray(runs)) {
        snprintf(err, err_size, "%s: \"runs\" is missing or not an array", path);
        return -1;
    }
    return check_runs(runs, path, err, err_size);
}

int res_document_load(const char *path, cJSON **out, char *err, size_t err_size)
{
    *out = NULL;
    char *text = res_read_file(path, SIZE_MAX, NULL, err, err_size);
    if (!text)
        return -1;
    const char *error_at = NULL;
    cJSON *doc = cJSON_ParseWithOpts(text, &error_at, 1);
    if (!doc) {
        long offset = error_at ? (long)(error_at - text) : -1;
        snprintf(err, err_size, "%s: invalid JSON near byte %ld", path, offset);
        free(text);
        return -1;
    }
    free(text);
    if (res_document_check(doc, path, err, err_size) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int res_document_write(cJSON *doc, const char *path, char *err, size_t err_size)
{
    char now[32];
    res_utc_now(now, sizeof now);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "updated_utc", cJSON_CreateString(now));
    return res_write_json_atomic(path, doc, err, err_size);
}

int res_document_save(cJSON *doc, const char *dir, char *err, size_t err_size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (res_document_write(doc, path, err, err_size) != 0)
        return -1;
    char *csv = NULL;
    size_t csv_len = 0;
    if (res_items_csv(doc, &csv, &csv_len, err, err_size) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/items.csv", dir);
    int status = res_write_file_atomic(path, csv, csv_len, err, err_size);
    free(csv);
    return status;
}

static cJSON *type_mix_object(const slm_model_info *info)
{
    cJSON *mix = cJSON_CreateObject();
    for (int t = 0; t < SLM_TYPE_COUNT; t++) {
        if (!info->type_tensors[t])
            continue;
        const char *name = slm_type_name(t);
        cJSON *entry = cJSON_AddObjectToObject(mix, name ? name : "unknown");
        cJSON_AddNumberToObject(entry, "tensors", info->type_tensors[t]);
        cJSON_AddNumberToObject(entry, "bytes", (double)info->type_bytes[t]);
    }
    return mix;
}

int res_model_describe(const char *path, const slm_model_info *info, const char *sha256,
                       cJSON *model, char *err, size_t err_size)
{
    char sha[65];
    if (sha256 && *sha256)
        snprintf(sha, sizeof sha, "%s", sha256);
    else if (res_sha256_file(path, sha, err, err_size) != 0)
        return -1;
    cJSON_AddStringToObject(model, "path", path);
    cJSON_AddStringToObject(model, "name", info->name);
    cJSON_AddStringToObject(model, "arch", info->arch);
    cJSON_AddStringToObject(model, "sha256", sha);
    cJSON_AddNumberToObject(model, "file_bytes", (double)info->file_bytes);
    cJSON_AddNumberToObject(model, "n_params", (double)info->n_params);
    cJSON_AddNumberToObject(model, "tensor_bytes", (double)info->tensor_bytes);
    cJSON_AddNumberToObject(model, "gguf_version", info->gguf_version);
    cJSON_AddNumberToObject(model, "n_ctx_train", info->n_ctx_train);
    cJSON_AddNumberToObject(model, "n_layer", info->n_layer);
    cJSON_AddNumberToObject(model, "n_embd", info->n_embd);
    cJSON_AddNumberToObject(model, "n_vocab", info->n_vocab);
    cJSON_AddItemToObject(model, "type_mix", type_mix_object(info));
    cJSON_AddStringToObject(model, "chat_template_family", info->chat_template_family);
    cJSON_AddBoolToObject(model, "synthetic", info->synthetic);
    return 0;
}

cJSON *res_run_add(cJSON *doc, const char *kind, const char *run_key)
{
    cJSON *runs = cJSON_GetObjectItemCaseSensitive(doc, "runs");
    char id[32], now[32];
    snprintf(id, sizeof id, "r%04d", cJSON_GetArraySize(runs) + 1);
    res_utc_now(now, sizeof now);
    cJSON *run = cJSON_CreateObject();
    cJSON_AddStringToObject(run, "run_id", id);
    cJSON_AddStringToObject(run, "run_key", run_key);
    cJSON_AddStringToObject(run, "kind", kind);
    cJSON_AddStringToObject(run, "status", "running");
    cJSON_AddStringToObject(run, "started_utc", now);
    cJSON_AddObjectToObject(run, "model");
    cJSON_AddObjectToObject(run, "backend");
    cJSON_AddObjectToObject(run, "config");
    cJSON_AddArrayToObject(run, "items");
    cJSON_AddObjectToObject(run, "aggregates");
    cJSON_AddItemToArray(runs, run);
    return run;
}

static const char *string_at(const cJSON *object, const char *a, const char *b)
{
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(object, a);
    if (b)
        node = cJSON_GetObjectItemCaseSensitive(node, b);
    return cJSON_IsString(node) ? node->valuestring : NULL;
}

const char *res_model_identity(const cJSON *model)
{
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(model, "sha256");
    if (cJSON_IsString(sha) && !res_is_unavailable(sha))
        return sha->valuestring;
    const char *path = string_at(model, "path", NULL);
    const char *name = string_at(model, "name", NULL);
    return path ? path : name ? name : "";
}

cJSON *res_run_find(cJSON *doc, const char *run_key, const char *model_identity)
{
    cJSON *run;
    cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(doc, "runs")) {
        const char *key = string_at(run, "run_key", NULL);
        const char *identity = res_model_identity(cJSON_GetObjectItemCaseSensitive(run, "model"));
        if (key && !strcmp(key, run_key) && model_identity && !strcmp(identity, model_identity))
            return run;
    }
    return NULL;
}

int res_run_has_item(const cJSON *run, const char *id, int rep)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items")) {
        const char *item_id = string_at(item, "id", NULL);
        const cJSON *item_rep = cJSON_GetObjectItemCaseSensitive(item, "rep");
        if (item_id && !strcmp(item_id, id) && cJSON_IsNumber(item_rep) && item_rep->valueint == rep)
            return 1;
    }
    return 0;
}

void res_run_finish(cJSON *run, const char *status)
{
    char now[32];
    res_utc_now(now, sizeof now);
    cJSON_ReplaceItemInObjectCaseSensitive(run, "status", cJSON_CreateString(status));
    cJSON_DeleteItemFromObjectCaseSensitive(run, "finished_utc");
    cJSON_AddStringToObject(run, "finished_utc", now);
}
