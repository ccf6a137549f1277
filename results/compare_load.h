/*
 * compare_load.h — read-only access to a results file (results/SCHEMA.md,
 * schema "slmbench.results" version 1) for the decision commands: compare,
 * history, carbon and route.
 *
 * Invariants:
 *  - A loaded file has passed the schema/version check and has a "runs" array;
 *    anything else is refused with one line naming the file and the problem.
 *  - Values that the file marks unavailable (strings "unavailable: ...") are
 *    skipped and counted, never read as 0.
 *  - Accessors return pointers into the parsed tree; they live until
 *    res_file_free().
 */
#ifndef RES_COMPARE_LOAD_H
#define RES_COMPARE_LOAD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define RES_SCHEMA_NAME "slmbench.results"
#define RES_SCHEMA_VERSION 1

typedef struct res_file {
    char path[1024];
    cJSON *root;
    const cJSON *runs;       /* array, never NULL once loaded */
    const char *device_id;   /* NULL when the device is unavailable */
} res_file;

int res_file_load(const char *path, res_file *out, char *err, size_t err_size);
void res_file_free(res_file *file);

size_t res_file_run_count(const res_file *file);
const cJSON *res_file_run(const res_file *file, size_t index);

/* String fields of a run; NULL when absent, not a string, or "unavailable: ...". */
const char *res_run_string(const cJSON *run, const char *name);
const char *res_run_model_sha256(const cJSON *run);
const char *res_run_model_name(const cJSON *run);
/*
 * What identifies the model: its sha256, or for a remote model (no sha256)
 * "remote:<backend.model>@<backend.endpoint>". Returns 0, or -1 (out = "")
 * when neither is known.
 */
int res_run_model_identity(const cJSON *run, char *out, size_t size);

typedef enum res_direction {
    RES_DIRECTION_NONE = 0,
    RES_DIRECTION_HIGHER,
    RES_DIRECTION_LOWER
} res_direction;

/* The run's aggregates[metric].better when present, else the schema's table. */
res_direction res_metric_direction(const cJSON *run, const char *metric);
const char *res_direction_name(res_direction direction);

/* Name of the primary score ("f1", "rougeL", "pass", ...) or NULL. */
const char *res_run_accuracy_metric(const cJSON *run);

/* A number field of an item; returns 0 and sets *value when it is a number. */
int res_item_number(const cJSON *item, const char *field, double *value);
/* The item's primary score when it has one. */
int res_item_accuracy(const cJSON *run, const cJSON *item, double *value);

typedef struct res_samples {
    double *values;
    size_t n;
    size_t skipped; /* items where the value was unavailable or absent */
} res_samples;

/*
 * Per-item values of one metric, in item order. "accuracy" reads the primary
 * score; an array field (itl_ms) contributes all its numbers, pooled. Fills
 * out (caller frees out->values with free()).
 */
int res_run_samples(const cJSON *run, const char *metric, res_samples *out, char *err,
                    size_t err_size);

#endif
