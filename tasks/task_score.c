/*
 * task_score.c — scoring one output against one item, pass@k, and trimming
 * outputs at stop sequences.
 *
 * Invariants: a wrong answer is a score, never an error; metrics are F/EM in
 * 0..1 or 0/1 flags; the literal answer "unanswerable" (after SQuAD
 * normalization) counts as the empty answer, so chat models can decline
 * SQuAD v2 questions in words; no state.
 */
#include "tasks/task_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void task_score_config_default(task_score_config *config)
{
    memset(config, 0, sizeof(*config));
    config->rouge_use_stemmer = 1;
    task_sandbox_config_default(&config->sandbox);
}

int task_score_get(const task_score *score, const char *name, double *value)
{
    for (int i = 0; i < score->n_metrics; i++)
        if (strcmp(score->metrics[i].name, name) == 0) {
            *value = score->metrics[i].value;
            return 0;
        }
    return -1;
}

static void add_metric(task_score *s, const char *name, double value)
{
    if (s->n_metrics >= TASK_MAX_METRICS)
        return;
    snprintf(s->metrics[s->n_metrics].name, TASK_METRIC_NAME_SIZE, "%s", name);
    s->metrics[s->n_metrics++].value = value;
}

double task_pass_at_k(int n, int c, int k)
{
    if (k <= 0 || n <= 0 || k > n || c < 0 || c > n)
        return -1.0;
    if (n - c < k)
        return 1.0;
    /* C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i): no huge binomials. */
    double fail = 1.0;
    for (int i = n - c + 1; i <= n; i++)
        fail *= 1.0 - (double)k / i;
    return 1.0 - fail;
}

static int is_declined(const char *output)
{
    static const char *const forms[] = {"unanswerable", "unanswerable."};
    const char *p = output;
    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (task_squad_exact(p, forms[i]) > 0)
            return 1;
    return 0;
}

static void score_qa(const task_item *item, const char *output, task_score *s)
{
    double em, f1;
    task_squad_score(is_declined(output) ? "" : output, (const char *const *)item->references,
                     item->n_references, &em, &f1);
    add_metric(s, "exact_match", em);
    add_metric(s, "f1", f1);
    snprintf(s->status, sizeof(s->status), TASK_STATUS_SCORED);
}

/* Best F-measure over the references, per metric (as rouge-score's multi-reference max). */
static int score_summary(const task_item *item, const char *output, const task_score_config *c,
                         task_score *s, char *err, size_t err_size)
{
    task_rouge best = {0, 0, 0, 0};
    for (int i = 0; i < item->n_references; i++) {
        task_rouge r;
        if (task_rouge_score(item->references[i], output, c->rouge_use_stemmer, &r) != 0) {
            snprintf(err, err_size, "%s: out of memory scoring ROUGE", item->id);
            return -1;
        }
        best.rouge1 = fmax(best.rouge1, r.rouge1);
        best.rouge2 = fmax(best.rouge2, r.rouge2);
        best.rougeL = fmax(best.rougeL, r.rougeL);
        best.rougeLsum = fmax(best.rougeLsum, r.rougeLsum);
    }
    add_metric(s, "rouge1", best.rouge1);
    add_metric(s, "rouge2", best.rouge2);
    add_metric(s, "rougeL", best.rougeL);
    add_metric(s, "rougeLsum", best.rougeLsum);
    snprintf(s->status, sizeof(s->status), TASK_STATUS_SCORED);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int task_score_item(const task_item *item, const char *output_text,
                    const task_score_config *config, task_score *score,
                    char *err, size_t err_size)
{
    memset(score, 0, sizeof(*score));
    task_score_config defaults;
    if (!config) {
        task_score_config_default(&defaults);
        config = &defaults;
    }
    if (!output_text)
        output_text = "";
    double start = now_ms();
    int rc = 0;
    switch (item->type) {
    case TASK_QA:
        score_qa(item, output_text, score);
        break;
    case TASK_SUMMARIZATION:
        rc = score_summary(item, output_text, config, score, err, err_size);
        break;
    case TASK_CODE_C:
    case TASK_CODE_PYTHON:
        rc = task_code_run(item, output_text, &config->sandbox, score, err, err_size);
        break;
    default:
        snprintf(err, err_size, "%s: unknown task type %d", item->id, (int)item->type);
        return -1;
    }
    score->duration_ms = now_ms() - start;
    return rc;
}

static size_t trim_at(const char *output, char *const *stops, int n_stops)
{
    size_t cut = strlen(output);
    for (int i = 0; i < n_stops; i++) {
        if (!stops[i][0])
            continue;
        const char *hit = strstr(output, stops[i]);
        if (hit && (size_t)(hit - output) < cut)
            cut = (size_t)(hit - output);
    }
    return cut;
}

/* A fenced chat answer to a code item is cut after its closing fence, not at
 * the raw stop sequences ("\ndef " would cut "```python\ndef f..." short). */
size_t task_output_trim(const task_item *item, const char *output)
{
    size_t cut = trim_at(output, item->stop, item->n_stop);
    if (item->type != TASK_CODE_C && item->type != TASK_CODE_PYTHON)
        return cut;
    const char *fence = task_code_fence(output);
    if (!fence)
        return cut;
    const char *body = strchr(fence, '\n');
    const char *close = body ? strstr(body, "```") : NULL;
    return close ? (size_t)(close - output) + 3 : strlen(output);
}

static char *const chat_qa_stops[] = {"\n\n"};

size_t task_output_trim_chat(const task_item *item, const char *output)
{
    if (item->type == TASK_QA)
        return trim_at(output, chat_qa_stops, 1);
    return strlen(output);
}

int task_stop_sequences(const task_item *item, int chat, const char *const **stops)
{
    if (!chat) {
        *stops = (const char *const *)item->stop;
        return item->n_stop;
    }
    *stops = (const char *const *)chat_qa_stops;
    return item->type == TASK_QA ? 1 : 0;
}
