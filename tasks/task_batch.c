/*
 * task_batch.c — scoring many outputs with a few worker threads, and reading
 * prediction files.
 *
 * Invariants: workers take items from a shared index guarded by a mutex that
 * lives on the caller's stack (no global state); each score slot is written
 * by exactly one worker; the first error is kept and later ones dropped.
 */
#include "tasks/task_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct batch_state {
    const task_item *const *items;
    const char *const *outputs;
    int n, next;
    const task_score_config *config;
    task_score *scores;
    pthread_mutex_t lock;
    int failed;
    char err[512];
} batch_state;

static int take_index(batch_state *b)
{
    pthread_mutex_lock(&b->lock);
    int i = b->next < b->n ? b->next++ : -1;
    pthread_mutex_unlock(&b->lock);
    return i;
}

static void *batch_worker(void *arg)
{
    batch_state *b = arg;
    for (int i; (i = take_index(b)) >= 0;) {
        char err[512] = "";
        if (task_score_item(b->items[i], b->outputs[i], b->config, &b->scores[i], err, sizeof(err)) != 0) {
            pthread_mutex_lock(&b->lock);
            if (!b->failed)
                snprintf(b->err, sizeof(b->err), "%s", err);
            b->failed = 1;
            pthread_mutex_unlock(&b->lock);
        }
    }
    return NULL;
}

int task_score_batch(const task_item *const *items, const char *const *outputs, int n,
                     const task_score_config *config, int workers, task_score *scores,
                     char *err, size_t err_size)
{
    batch_state b = {.items = items, .outputs = outputs, .n = n, .config = config, .scores = scores};
    pthread_mutex_init(&b.lock, NULL);
    if (workers < 1)
        workers = 1;
    if (workers > 64)
        workers = 64;
    pthread_t threads[64];
    int started = 0;
    for (int i = 1; i < workers; i++, started++)
        if (pthread_create(&threads[started], NULL, batch_worker, &b) != 0)
            break;
    batch_worker(&b);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&b.lock);
    if (b.failed)
        snprintf(err, err_size, "%s", b.err);
    return b.failed ? -1 : 0;
}

/* ---- predictions -------------------------------------------------------------- */

static char *first_string(const cJSON *j, const char *const *keys, int n_keys, int allow_number)
{
    for (int i = 0; i < n_keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
        if (cJSON_IsString(v))
            return strdup(v->valuestring);
        if (allow_number && cJSON_IsNumber(v)) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%d", v->valueint);
            return strdup(buf);
        }
    }
    return NULL;
}

typedef struct prediction_list {
    task_prediction **items;
    int *n;
} prediction_list;

static int add_prediction(void *ctx, const cJSON *j, const task_jsonl_reader *r, char *err, size_t err_size)
{
    task_prediction **out = ((prediction_list *)ctx)->items;
    int *n = ((prediction_list *)ctx)->n;
    static const char *const id_keys[] = {"task_id", "id"};
    static const char *const text_keys[] = {"completion", "prediction", "output"};
    task_prediction p = {first_string(j, id_keys, 2, 1), first_string(j, text_keys, 3, 0)};
    task_prediction *grown = (p.id && p.text) ? realloc(*out, (size_t)(*n + 1) * sizeof(**out)) : NULL;
    if (!grown) {
        snprintf(err, err_size, "%s:%d: %s", r->path, r->line_no,
                 !p.id ? "needs \"task_id\" or \"id\"" :
                 !p.text ? "needs a string \"completion\", \"prediction\" or \"output\"" : "out of memory");
        free(p.id);
        free(p.text);
        return -1;
    }
    *out = grown;
    grown[(*n)++] = p;
    return 0;
}

int task_predictions_load(const char *path, task_prediction **out, int *n,
                          char *err, size_t err_size)
{
    *out = NULL;
    *n = 0;
    prediction_list list = {out, n};
    int rc = task_jsonl_each(path, add_prediction, &list, err, err_size);
    if (rc != 0) {
        task_predictions_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void task_predictions_free(task_prediction *predictions, int n)
{
    for (int i = 0; i < n; i++) {
        free(predictions[i].id);
        free(predictions[i].text);
    }
    free(predictions);
}
