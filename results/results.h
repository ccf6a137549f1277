/*
 * results.h — the slmbench results document (results/SCHEMA.md, version 1):
 * building it, aggregating runs, loading and validating it, writing it
 * atomically together with items.csv.
 *
 * Invariants:
 *  - The document is a cJSON tree owned by the caller; these functions never
 *    keep pointers into it between calls and keep no global state.
 *  - Files are written atomically: temp file in the same directory, fsync,
 *    rename, fsync of the directory. A reader never sees a partial file.
 *  - A value that cannot be measured is the string "unavailable: <reason>".
 */
#ifndef RES_RESULTS_H
#define RES_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "engine/slm.h"

#define RES_SCHEMA_NAME "slmbench.results"
#define RES_SCHEMA_VERSION 1

/* ---- small helpers ---------------------------------------------------------- */

/* "2026-11-25T15:04:05Z" of now into buf (>= 21 bytes). */
void res_utc_now(char *buf, size_t size);
uint64_t res_monotonic_ns(void);
/* Adds name: "unavailable: <reason>" to object. */
void res_add_unavailable(cJSON *object, const char *name, const char *reason);
/* 1 if item is a string starting with "unavailable". */
int res_is_unavailable(const cJSON *item);
/* Copy of text with invalid UTF-8 replaced by U+FFFD (malloc'd; NULL on OOM). */
char *res_utf8_sanitize(const char *text);
/* Peak resident set size of this process (VmHWM), or -1 with err filled. */
long long res_rss_peak_bytes(char *err, size_t err_size);

/* ---- files -------------------------------------------------------------------- */

/* A whole file as a NUL-terminated malloc'd buffer (*len, when len is not
 * NULL, gets its length, which may include NUL bytes). NULL with err naming
 * the file when it cannot be opened, is a directory, is over max_bytes, or a
 * read fails. */
char *res_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_size);
/* Replaces path whole or not at all: a mkstemp temporary beside it, mode 0644,
 * fsync, rename, then a best-effort fsync of the directory. */
int res_write_file_atomic(const char *path, const char *data, size_t len,
                          char *err, size_t err_size);
/* json printed (indented) and written with res_write_file_atomic; a NULL json
 * (its builder ran out of memory) is an error. */
int res_write_json_atomic(const char *path, const cJSON *json, char *err, size_t err_size);
/* Closes a stream made by open_memstream(text, length) and writes what it
 * holds to path with res_write_file_atomic; frees *text either way (the
 * pointers, because open_memstream fills them only at fclose). */
int res_write_memstream_atomic(FILE *stream, char **text, size_t *length, const char *path,
                               char *err, size_t err_size);
/* SHA-256 of a file as 64 lowercase hex chars (OpenSSL libcrypto EVP). */
int res_sha256_file(const char *path, char hex[65], char *err, size_t err_size);
/* mkdir -p; fails with a clear line when the directory cannot be made or written. */
int res_make_dir(const char *path, char *err, size_t err_size);

/* ---- the document --------------------------------------------------------------- */

/* New document with schema, created_utc, status "running", tool facts and the
 * command line. The device object is added by the caller. NULL on OOM. */
cJSON *res_document_new(int argc, char **argv);
/* Validates a parsed results document: schema name, schema_version, a "runs"
 * array of objects with an "items" array of objects. err names path and the
 * first problem (with its runs[i].items[j] index). */
int res_document_check(const cJSON *doc, const char *path, char *err, size_t err_size);
/* Loads and validates a results file: JSON syntax, schema name, version,
 * runs array. On failure *out is NULL and err names the file and the problem. */
int res_document_load(const char *path, cJSON **out, char *err, size_t err_size);
/* Sets updated_utc and writes DIR/results.json and DIR/items.csv atomically. */
int res_document_save(cJSON *doc, const char *dir, char *err, size_t err_size);
/* Writes the document alone to FILE atomically (bench -o FILE.json). */
int res_document_write(cJSON *doc, const char *path, char *err, size_t err_size);

/* Model object of the schema from a GGUF file: info + sha256 (computed when
 * sha256 is NULL or empty). */
int res_model_describe(const char *path, const slm_model_info *info, const char *sha256,
                       cJSON *model, char *err, size_t err_size);

/* ---- runs and items ------------------------------------------------------------- */

/* Appends a run {run_id, run_key, kind, status "running", started_utc, model,
 * backend, config, items: [], aggregates: {}}; returns it (owned by doc). */
cJSON *res_run_add(cJSON *doc, const char *kind, const char *run_key);
/* What identifies a model across runs: its sha256, or (a remote model without
 * one) its path, else its name. "" when the object has none of them. */
const char *res_model_identity(const cJSON *model);
/* The run whose run_key and model identity match, or NULL. Used by --resume. */
cJSON *res_run_find(cJSON *doc, const char *run_key, const char *model_identity);
/* 1 if the run already holds item (id, rep). */
int res_run_has_item(const cJSON *run, const char *id, int rep);
/* Recomputes run.aggregates from run.items (see SCHEMA.md for the metrics);
 * primary_score names the accuracy metric ("f1", "rougeL", "passed") or NULL. */
int res_run_aggregate(cJSON *run, const char *primary_score, char *err, size_t err_size);
/* Marks the run finished: status and finished_utc. */
void res_run_finish(cJSON *run, const char *status);

/* ---- CSV -------------------------------------------------------------------- */

/* items.csv of the whole document (header + one row per item). *out malloc'd. */
int res_items_csv(const cJSON *doc, char **out, size_t *out_len, char *err, size_t err_size);

#endif
