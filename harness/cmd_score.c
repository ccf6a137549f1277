/*
 * cmd_score.c — `slmbench score`: scores predictions made elsewhere (another
 * runtime, a cloud model) with slmbench's own scorers.
 *
 *   slmbench score --task squad|rouge|humaneval|mbpp|c --data FILE
 *                  --predictions PRED.jsonl [--json] [--k 1,10] [--workers N]
 *                  [--field document=KEY ...] [--no-stem] [--timeout S] [--limit N --seed S]
 *                  [-o RESULT.json]
 *
 * Invariants: every data item is accounted for (scored, or counted missing
 * when no prediction names it); a prediction for an unknown id is bad input
 * unless --limit sampled the data; code runs only through the sandbox; a
 * value that cannot be computed (no python3, k larger than the samples) is
 * reported as "unavailable", never as 0.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "results/results.h"
#include "tasks/task.h"

#define MAX_K 8

typedef struct score_args {
    const char *task, *data, *predictions, *output;
    int json, workers, limit, n_k, stem;
    int k[MAX_K];
    double timeout_s;
    uint64_t seed;
    task_load_options load;
} score_args;

static void usage(FILE *out)
{
    fprintf(out, "usage: slmbench score --task squad|rouge|humaneval|mbpp|c --data FILE "
                 "--predictions PRED.jsonl [--json] [--k 1,10] [--workers N] "
                 "[--field document=KEY] [--field summary=KEY] [--no-stem] [--timeout S] "
                 "[--limit N] [--seed S] [-o RESULT.json]\n");
}

static int task_format_for(const char *task, task_format *f)
{
    static const struct { const char *name; task_format format; } map[] = {
        {"squad", TASK_FORMAT_AUTO}, {"rouge", TASK_FORMAT_AUTO}, {"humaneval", TASK_FORMAT_AUTO},
        {"mbpp", TASK_FORMAT_AUTO}, {"c", TASK_FORMAT_AUTO},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(task, map[i].name) == 0) {
            *f = map[i].format;
            return 0;
        }
    return -1;
}

/* Applies one flag at argv[*i]; returns 0, or -1 with a message in err. */
/* --k 1,10: the cli list parser, then at most MAX_K values. */
static int parse_k_list(const char *flag, const char *text, score_args *a, char *err, size_t err_size)
{
    int k[CLI_MAX_LIST], n_k;
    if (cli_int_list(flag, text, 1, 1000000, k, &n_k, err, err_size) != 0)
        return -1;
    if (n_k > MAX_K) {
        snprintf(err, err_size, "%s: at most %d values", flag, MAX_K);
        return -1;
    }
    memcpy(a->k, k, (size_t)n_k * sizeof *k);
    a->n_k = n_k;
    return 0;
}

static int parse_flag(int argc, char **argv, int *i, score_args *a, char *err, size_t err_size)
{
    const char *flag = argv[*i];
    int has_value = *i + 1 < argc;
    const char *value = has_value ? argv[*i + 1] : NULL;
    if (!strcmp(flag, "--json")) { a->json = 1; return 0; }
    if (!strcmp(flag, "--no-stem")) { a->stem = 0; return 0; }
    if (!has_value) {
        snprintf(err, err_size, "%s: unknown flag or missing value", flag);
        return -1;
    }
    (*i)++;
    if (!strcmp(flag, "--task")) a->task = value;
    else if (!strcmp(flag, "--data")) a->data = value;
    else if (!strcmp(flag, "--predictions")) a->predictions = value;
    else if (!strcmp(flag, "-o") || !strcmp(flag, "--output")) a->output = value;
    else if (!strcmp(flag, "--k")) return parse_k_list(flag, value, a, err, err_size);
    else if (!strcmp(flag, "--workers")) return cli_int(flag, value, 1, 64, &a->workers, err, err_size);
    else if (!strcmp(flag, "--limit")) return cli_int(flag, value, 1, INT_MAX, &a->limit, err, err_size);
    else if (!strcmp(flag, "--seed")) return cli_u64(flag, value, UINT64_MAX, &a->seed, err, err_size);
    else if (!strcmp(flag, "--timeout")) return cli_double(flag, value, 1e-6, 1e6, &a->timeout_s, err, err_size);
    else if (!strcmp(flag, "--field")) {
        if (!strchr(value, '=') || a->load.n_field_maps == TASK_MAX_FIELD_MAPS) goto bad;
        a->load.field_map[a->load.n_field_maps++] = value;
    } else {
        snprintf(err, err_size, "%s: unknown flag", flag);
        return -1;
    }
    return 0;
bad:
    snprintf(err, err_size, "%s: bad value '%s'", flag, value);
    return -1;
}

static int parse_args(int argc, char **argv, score_args *a, char *err, size_t err_size)
{
    memset(a, 0, sizeof(*a));
    a->workers = 2;
    a->stem = 1;
    a->k[0] = 1;
    a->n_k = 1;
    a->seed = 1234;
    task_load_options_default(&a->load);
    for (int i = 1; i < argc; i++)
        if (parse_flag(argc, argv, &i, a, err, err_size) != 0)
            return -1;
    if (!a->task || !a->data || !a->predictions) {
        snprintf(err, err_size, "--task, --data and --predictions are required");
        return -1;
    }
    if (task_format_for(a->task, &a->load.format) != 0) {
        snprintf(err, err_size, "--task %s: expected squad, rouge, humaneval, mbpp or c", a->task);
        return -1;
    }
    if (!strcmp(a->task, "rouge") && a->load.n_field_maps > 0)
        a->load.format = TASK_FORMAT_SUMMARIZATION;
    a->load.limit = a->limit;
    a->load.seed = a->seed;
    return a->output ? cli_output_file_ok("-o", a->output, err, err_size) : 0;
}

/* ---- matching predictions to items ------------------------------------------- */

typedef struct work {
    const task_item **items;   /* one per scored prediction */
    const char **outputs;
    task_score *scores;
    int n;
    int *samples_per_item;     /* per suite item */
    int missing;
} work;

static void work_free(work *w)
{
    free(w->items);
    free(w->outputs);
    free(w->scores);
    free(w->samples_per_item);
}

static int item_index(const task_suite *s, const char *id)
{
    const task_item *it = task_suite_find(s, id);
    return it ? (int)(it - s->items) : -1;
}

/* QA and summarization score one prediction per item (the first); code
 * scores every sample. */
static int match(const score_args *a, const task_suite *s, const task_prediction *p, int np,
                 work *w, char *err, size_t err_size)
{
    memset(w, 0, sizeof(*w));
    w->items = calloc((size_t)np + 1, sizeof(*w->items));
    w->outputs = calloc((size_t)np + 1, sizeof(*w->outputs));
    w->scores = calloc((size_t)np + 1, sizeof(*w->scores));
    w->samples_per_item = calloc((size_t)s->n_items + 1, sizeof(int));
    if (!w->items || !w->outputs || !w->scores || !w->samples_per_item) {
        snprintf(err, err_size, "%s: out of memory", a->predictions);
        return -1;
    }
    for (int i = 0; i < np; i++) {
        int k = item_index(s, p[i].id);
        if (k < 0) {
            if (a->limit > 0)
                continue;
            snprintf(err, err_size, "%s: prediction for unknown id \"%s\" (not in %s)", a->predictions,
                     p[i].id, a->data);
            return -1;
        }
        const task_item *it = &s->items[k];
        int is_code = it->type == TASK_CODE_C || it->type == TASK_CODE_PYTHON;
        if (!is_code && w->samples_per_item[k] > 0)
            continue;
        w->samples_per_item[k]++;
        w->items[w->n] = it;
        w->outputs[w->n++] = p[i].text;
    }
    for (int k = 0; k < s->n_items; k++)
        w->missing += w->samples_per_item[k] == 0;
    return 0;
}

/* ---- aggregation and output ---------------------------------------------------- */

typedef struct status_counts {
    int passed, failed, compile_error, timeout, unavailable, network_isolated;
} status_counts;

static void count_statuses(const work *w, status_counts *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < w->n; i++) {
        const char *st = w->scores[i].status;
        c->passed += !strcmp(st, TASK_STATUS_PASSED);
        c->failed += !strcmp(st, TASK_STATUS_FAILED);
        c->compile_error += !strcmp(st, TASK_STATUS_COMPILE_ERROR);
        c->timeout += !strcmp(st, TASK_STATUS_TIMEOUT);
        c->unavailable += !strcmp(st, TASK_STATUS_UNAVAILABLE);
        c->network_isolated += w->scores[i].network_isolated;
    }
}

/* Mean of a metric over the suite's items; items without a prediction count 0
 * (as the official SQuAD script does). */
static double metric_mean(const work *w, int n_items, const char *name)
{
    double sum = 0;
    for (int i = 0; i < w->n; i++) {
        double v;
        if (task_score_get(&w->scores[i], name, &v) == 0)
            sum += v;
    }
    return n_items > 0 ? sum / n_items : 0.0;
}

/* Mean pass@k over items with >= k executed samples; -1 when none qualify. */
static double mean_pass_at_k(const work *w, const task_suite *s, int k, int *n_used)
{
    double sum = 0;
    *n_used = 0;
    for (int item = 0; item < s->n_items; item++) {
        int n = 0, c = 0, unavailable = 0;
        for (int i = 0; i < w->n; i++) {
            if (w->items[i] != &s->items[item])
                continue;
            unavailable += !strcmp(w->scores[i].status, TASK_STATUS_UNAVAILABLE);
            n++;
            c += !strcmp(w->scores[i].status, TASK_STATUS_PASSED);
        }
        if (n >= k && unavailable == 0) {
            sum += task_pass_at_k(n, c, k);
            (*n_used)++;
        }
    }
    return *n_used ? sum / *n_used : -1.0;
}

static const char *const text_metrics[] = {"exact_match", "f1", "rouge1", "rouge2", "rougeL", "rougeLsum"};

static int is_code_task(const score_args *a)
{
    return !strcmp(a->task, "humaneval") || !strcmp(a->task, "mbpp") || !strcmp(a->task, "c");
}

static void add_code_metrics(cJSON *metrics, const score_args *a, const work *w, const task_suite *s)
{
    for (int i = 0; i < a->n_k; i++) {
        char name[32];
        int used;
        snprintf(name, sizeof(name), "pass@%d", a->k[i]);
        double v = mean_pass_at_k(w, s, a->k[i], &used);
        if (v < 0)
            cJSON_AddStringToObject(metrics, name, "unavailable");
        else
            cJSON_AddNumberToObject(metrics, name, v);
    }
}

static cJSON *item_json(const work *w, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", w->items[i]->id);
    cJSON_AddStringToObject(o, "status", w->scores[i].status);
    for (int m = 0; m < w->scores[i].n_metrics; m++)
        cJSON_AddNumberToObject(o, w->scores[i].metrics[m].name, w->scores[i].metrics[m].value);
    if (w->scores[i].detail[0])
        cJSON_AddStringToObject(o, "detail", w->scores[i].detail);
    cJSON_AddNumberToObject(o, "duration_ms", w->scores[i].duration_ms);
    return o;
}

static cJSON *summary_json(const score_args *a, const task_suite *s, const work *w, double wall_ms)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "task", a->task);
    cJSON_AddStringToObject(root, "data", a->data);
    cJSON_AddStringToObject(root, "predictions", a->predictions);
    cJSON_AddNumberToObject(root, "n_items", s->n_items);
    cJSON_AddNumberToObject(root, "n_scored", w->n);
    cJSON_AddNumberToObject(root, "missing", w->missing);
    cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
    if (is_code_task(a)) {
        add_code_metrics(metrics, a, w, s);
        status_counts c;
        count_statuses(w, &c);
        cJSON *counts = cJSON_AddObjectToObject(root, "counts");
        cJSON_AddNumberToObject(counts, "passed", c.passed);
        cJSON_AddNumberToObject(counts, "failed", c.failed);
        cJSON_AddNumberToObject(counts, "compile_error", c.compile_error);
        cJSON_AddNumberToObject(counts, "timeout", c.timeout);
        cJSON_AddNumberToObject(counts, "unavailable", c.unavailable);
        cJSON_AddBoolToObject(root, "network_isolated", w->n > 0 && c.network_isolated == w->n);
        for (int i = 0; i < w->n; i++)
            if (w->scores[i].network_note[0]) {
                cJSON_AddStringToObject(root, "network_note", w->scores[i].network_note);
                break;
            }
    } else {
        int first = !strcmp(a->task, "squad") ? 0 : 2, last = !strcmp(a->task, "squad") ? 2 : 6;
        for (int m = first; m < last; m++)
            cJSON_AddNumberToObject(metrics, text_metrics[m], metric_mean(w, s->n_items, text_metrics[m]));
    }
    cJSON_AddNumberToObject(root, "duration_ms", wall_ms);
    cJSON *items = cJSON_AddArrayToObject(root, "items");
    for (int i = 0; i < w->n; i++)
        cJSON_AddItemToArray(items, item_json(w, i));
    return root;
}

/* The first few code items that did not pass, with why (--json has all). */
static void print_examples(const cJSON *root)
{
    int shown = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(root, "items")) {
        const char *status = cJSON_GetObjectItem(item, "status")->valuestring;
        if (!strcmp(status, TASK_STATUS_PASSED) || !strcmp(status, TASK_STATUS_SCORED))
            continue;
        if (shown++ == 5) {
            printf("  ... (--json lists every item)\n");
            break;
        }
        const cJSON *detail = cJSON_GetObjectItem(item, "detail");
        printf("  %s: %s%s%.120s\n", cJSON_GetObjectItem(item, "id")->valuestring, status,
               detail ? ": " : "", detail ? detail->valuestring : "");
    }
}

static void print_text(const cJSON *root)
{
    printf("task %s: %d items, %d predictions scored, %d missing\n",
           cJSON_GetObjectItem(root, "task")->valuestring, cJSON_GetObjectItem(root, "n_items")->valueint,
           cJSON_GetObjectItem(root, "n_scored")->valueint, cJSON_GetObjectItem(root, "missing")->valueint);
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(root, "metrics")) {
        if (cJSON_IsNumber(m))
            printf("  %-12s %.4f\n", m->string, m->valuedouble);
        else
            printf("  %-12s %s\n", m->string, m->valuestring);
    }
    const cJSON *counts = cJSON_GetObjectItem(root, "counts");
    if (counts) {
        printf("  outcomes    ");
        cJSON_ArrayForEach(m, counts) printf(" %s=%d", m->string, m->valueint);
        const cJSON *note = cJSON_GetObjectItem(root, "network_note");
        printf("\n  network isolation: %s\n", cJSON_IsTrue(cJSON_GetObjectItem(root, "network_isolated")) ? "yes"
                                             : note ? note->valuestring : "no");
    }
    printf("  time         %.1f s\n", cJSON_GetObjectItem(root, "duration_ms")->valuedouble / 1000.0);
    print_examples(root);
}

static double wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Prints the summary (JSON with --json, else text) and writes -o FILE atomically. */
static int emit(const score_args *a, const cJSON *root, char *err, size_t err_size)
{
    char *text = cJSON_Print(root);
    if (!text) {
        snprintf(err, err_size, "out of memory printing the result");
        return -1;
    }
    if (a->json)
        printf("%s\n", text);
    else
        print_text(root);
    int rc = 0;
    if (a->output) {
        size_t len = strlen(text);
        text[len] = '\n';
        rc = res_write_file_atomic(a->output, text, len + 1, err, err_size);
        text[len] = '\0';
    }
    free(text);
    return rc;
}

static int score_all(const score_args *a, task_suite *s, task_prediction *p, int np)
{
    char err[1024] = "";
    work w;
    if (match(a, s, p, np, &w, err, sizeof(err)) != 0) {
        fprintf(stderr, "slmbench score: %s\n", err);
        work_free(&w);
        return CMD_USAGE;
    }
    if (w.missing > 0)
        fprintf(stderr, "slmbench score: %s: %d of %d items have no prediction (scored as 0)\n",
                a->predictions, w.missing, s->n_items);
    task_score_config config;
    task_score_config_default(&config);
    config.rouge_use_stemmer = a->stem;
    if (a->timeout_s > 0) {
        config.sandbox.wall_timeout_s = a->timeout_s;
        config.sandbox.cpu_seconds = (int)a->timeout_s + 1;
    }
    double start = wall_now_ms();
    int rc = task_score_batch(w.items, w.outputs, w.n, &config, a->workers, w.scores, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "slmbench score: %s\n", err);
        work_free(&w);
        return CMD_FAILURE;
    }
    cJSON *root = summary_json(a, s, &w, wall_now_ms() - start);
    rc = emit(a, root, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "slmbench score: %s\n", err);
    cJSON_Delete(root);
    work_free(&w);
    return rc == 0 ? CMD_OK : CMD_FAILURE;
}

int cmd_score(int argc, char **argv)
{
    score_args a;
    char err[1024] = "";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return CMD_OK;
    }
    if (parse_args(argc, argv, &a, err, sizeof(err)) != 0) {
        fprintf(stderr, "slmbench score: %s\n", err);
        return CMD_USAGE;
    }
    task_suite suite;
    if (task_suite_load_ex(a.data, &a.load, &suite, err, sizeof(err)) != 0) {
        fprintf(stderr, "slmbench score: %s\n", err);
        return CMD_USAGE;
    }
    task_prediction *preds = NULL;
    int np = 0;
    if (task_predictions_load(a.predictions, &preds, &np, err, sizeof(err)) != 0) {
        fprintf(stderr, "slmbench score: %s\n", err);
        task_suite_free(&suite);
        return CMD_USAGE;
    }
    int rc = score_all(&a, &suite, preds, np);
    task_predictions_free(preds, np);
    task_suite_free(&suite);
    return rc;
}
