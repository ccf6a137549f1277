/*
 * task.h — evaluation tasks: items, suites, loaders, prompts and scoring.
 *
 * The runner (harness/cmd_run.c) codes against this header only:
 *   1. task_suite_load("qa" | "summarization" | "code" | PATH, limit, seed, &suite, err)
 *   2. for each item: task_prompt_build(&suite, item, n_shots, &prompt, err)
 *      -> prompt.system + prompt.user for chat models (wrap with slm_chat_render),
 *         prompt.raw for base models; generate at most item->max_new_tokens,
 *         stopping at task_stop_sequences(item, chat, &stops) (raw: item->stop;
 *         chat: none for code, "\n\n" for QA); afterwards cut the text with
 *         task_output_trim (raw) or task_output_trim_chat (chat).
 *   3. task_score_item(item, output_text, &config, &score, err) -> named metrics
 *      (task_score_batch scores many with worker threads).
 *   4. task_suite_free(&suite).
 *
 * Invariants:
 *  - Every string in a task_item is malloc'd, NUL-terminated and owned by its
 *    suite; absent optional parts are NULL, never "" (except references[i]).
 *  - references: QA accepted answers (n_references == 0 means "no answer" as in
 *    SQuAD v2, only when suite->has_no_answer is set), summarization reference
 *    summaries (1..n). Code items carry tests + canonical_solution instead.
 *  - Model-generated code is executed only through tasks/sandbox.h.
 *  - No global mutable state; all functions return 0 on success and fill
 *    err (one line naming the file and the problem) on failure.
 * The JSONL item format is documented in tasks/FORMAT.md.
 */
#ifndef TASK_H
#define TASK_H

#include <stddef.h>
#include <stdint.h>

#include "tasks/sandbox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum task_type {
    TASK_QA = 0,            /* extractive / short-answer question answering */
    TASK_SUMMARIZATION = 1, /* summarize context into a few sentences */
    TASK_CODE_C = 2,        /* complete a C function; tests are a main() with asserts */
    TASK_CODE_PYTHON = 3    /* HumanEval style: prompt + check(candidate) */
} task_type;

/* "qa", "summarization", "code_c", "code_python"; NULL for out-of-range. */
const char *task_type_name(task_type type);
/* Parses the names above; returns 0 and sets *out, -1 when unknown. */
int task_type_parse(const char *name, task_type *out);

typedef struct task_item {
    char *id;             /* unique within the suite */
    task_type type;
    char *context;        /* qa: passage; summarization: the document; else NULL */
    char *question;       /* qa: the question; others: optional instruction */
    char *prompt;         /* code: prefix to complete (signature + doc comment) */
    char *entry_point;    /* code: function name the tests call */
    char **references;    /* see invariants above */
    int n_references;
    char *tests;          /* code: python "def check(candidate)..." / C main() with asserts */
    char *canonical_solution; /* code: reference body; appended to prompt it must pass */
    char *metadata_json;  /* raw JSON object text from the source line, or NULL */
    int max_new_tokens;   /* per item (defaults per type, see FORMAT.md) */
    char **stop;          /* stop sequences (not included in the output) */
    int n_stop;
} task_item;

typedef struct task_suite {
    char *name;           /* "qa", "summarization", "code", or the file's base name */
    char *source;         /* path or "builtin:NAME" */
    task_item *items;
    int n_items;
    int has_no_answer;    /* SQuAD v2 semantics: empty references = unanswerable */
} task_suite;

/* Source formats for task_suite_load_ex. TASK_FORMAT_AUTO guesses from the
 * file name and first bytes (.json with "data"/"paragraphs" = SQuAD,
 * "task_id"+"entry_point" = HumanEval, "task_id"+"test_list" = MBPP,
 * "type" = native JSONL, otherwise summarization JSONL). */
typedef enum task_format {
    TASK_FORMAT_AUTO = 0,
    TASK_FORMAT_NATIVE,        /* tasks/FORMAT.md JSONL */
    TASK_FORMAT_SQUAD,         /* SQuAD v1.1 / v2.0 JSON */
    TASK_FORMAT_HUMANEVAL,     /* HumanEval JSONL or .jsonl.gz */
    TASK_FORMAT_MBPP,          /* MBPP JSONL */
    TASK_FORMAT_SUMMARIZATION  /* JSONL with document/summary fields (mappable) */
} task_format;

#define TASK_MAX_FIELD_MAPS 8
typedef struct task_load_options {
    task_format format;
    int limit;            /* <= 0: all items; else a seeded deterministic sample */
    uint64_t seed;        /* same seed + same file -> same items in the same order */
    /* "document=article", "summary=highlights", "id=guid": our field = source key */
    const char *field_map[TASK_MAX_FIELD_MAPS];
    int n_field_maps;
} task_load_options;

void task_load_options_default(task_load_options *opts);

/* name_or_path: a built-in suite name ("qa", "summarization", "code",
 * "code_c", "code_python") or a file path (format auto-detected). limit <= 0
 * loads everything; otherwise `limit` items sampled deterministically from
 * seed (original order kept). On failure the suite is left empty. */
int task_suite_load(const char *name_or_path, int limit, uint64_t seed,
                    task_suite *suite, char *err, size_t err_size);
int task_suite_load_ex(const char *name_or_path, const task_load_options *opts,
                       task_suite *suite, char *err, size_t err_size);
void task_suite_free(task_suite *suite);
/* The item with this id, or NULL. */
const task_item *task_suite_find(const task_suite *suite, const char *id);
/* Directory of the built-in suite files (env SLM_TASKS_DIR, else
 * "tasks/suites" relative to the binary's repo, else the current directory). */
int task_builtin_dir(char *out, size_t out_size, char *err, size_t err_size);

/* ---- prompts ---------------------------------------------------------------- */

typedef struct task_prompt {
    char *system;   /* instruction for chat models (role "system") */
    char *user;     /* the user turn: few-shot examples + this item */
    char *raw;      /* plain-text prompt for non-chat (base) models */
} task_prompt;
/* Stop sequences: item->stop applies to raw prompts (a base model continues
 * the text); chat answers end at the end-of-turn token and are trimmed with
 * task_output_trim_chat (code answers may be fenced; the scorer extracts). */

/* n_shots 0 = zero-shot; n_shots > 0 prepends up to that many fixed, original
 * worked examples for the item's task type (never items of the suite, so no
 * answer leaks). For code items raw is the code prefix itself, so the
 * completion continues the function body (HumanEval convention). */
int task_prompt_build(const task_suite *suite, const task_item *item, int n_shots,
                      task_prompt *out, char *err, size_t err_size);
void task_prompt_free(task_prompt *prompt);

/* Length of output up to (not including) the earliest stop sequence of item
 * (raw prompts), resp. the chat stop sequences of its type (chat prompts). */
size_t task_output_trim(const task_item *item, const char *output);
size_t task_output_trim_chat(const task_item *item, const char *output);
/* The stop sequences to give the generator: item->stop for raw prompts; for
 * chat prompts only "\n\n" for QA and none otherwise (a fenced code answer
 * must not stop at "\ndef "). Returns the count; *stops stays valid while
 * item lives. task_output_trim is fence-aware for code items either way. */
int task_stop_sequences(const task_item *item, int chat, const char *const **stops);

/* ---- scoring ---------------------------------------------------------------- */

#define TASK_MAX_METRICS 12
#define TASK_METRIC_NAME_SIZE 24

typedef struct task_metric {
    char name[TASK_METRIC_NAME_SIZE];
    double value;
} task_metric;

/* status values */
#define TASK_STATUS_SCORED        "scored"        /* qa / summarization */
#define TASK_STATUS_PASSED        "passed"        /* code: tests passed */
#define TASK_STATUS_FAILED        "failed"        /* code: assertion / runtime error */
#define TASK_STATUS_COMPILE_ERROR "compile_error" /* code: C compile (or Python syntax) error */
#define TASK_STATUS_TIMEOUT       "timeout"       /* code: wall or CPU limit hit */
#define TASK_STATUS_UNAVAILABLE   "unavailable"   /* could not be measured here (detail says why) */

typedef struct task_score {
    task_metric metrics[TASK_MAX_METRICS];
    int n_metrics;
    char status[16];
    char detail[256];       /* first line of the error / reason for "unavailable" */
    double duration_ms;     /* time spent scoring (sandbox run for code) */
    int network_isolated;   /* code: 1 if the sandbox had its own network namespace */
    char network_note[160]; /* code: "network isolation unavailable: <reason>" or "" */
} task_score;

/* Metrics filled per type:
 *   qa:            exact_match, f1 (0..1; SQuAD v1.1 normalization, max over references)
 *   summarization: rouge1, rouge2, rougeL, rougeLsum (F-measure 0..1, max over references)
 *   code:          passed (1/0), compile_error (1/0), timeout (1/0)
 * Code items whose interpreter is missing get status "unavailable" and NO
 * metrics (never counted as pass or fail). */
typedef struct task_score_config {
    int rouge_use_stemmer;        /* Porter-stem tokens longer than 3 chars (default 1) */
    task_sandbox_config sandbox;  /* limits for code execution */
} task_score_config;

void task_score_config_default(task_score_config *config);

/* Scores output_text (already trimmed at stop sequences) against item. A
 * returned error means the scorer could not run (bad item, fork failure); a
 * wrong, failing or timed-out answer is a score, not an error. */
int task_score_item(const task_item *item, const char *output_text,
                    const task_score_config *config, task_score *score,
                    char *err, size_t err_size);

/* Value of a named metric; returns 0 and sets *value, -1 if absent. */
int task_score_get(const task_score *score, const char *name, double *value);

/* Scores n (item, output) pairs with `workers` threads (code items run in
 * parallel sandboxes; <= 0 means 1). scores[i] belongs to items[i]. Returns
 * non-zero when any item could not be scored (err names the first). */
int task_score_batch(const task_item *const *items, const char *const *outputs, int n,
                     const task_score_config *config, int workers, task_score *scores,
                     char *err, size_t err_size);

/* Predictions made elsewhere: JSONL lines {"task_id"|"id": string or number,
 * "completion"|"prediction"|"output": string}; several lines may share an id
 * (n samples for pass@k). A bad line fails with FILE:LINE. */
typedef struct task_prediction {
    char *id;
    char *text;
} task_prediction;
int task_predictions_load(const char *path, task_prediction **out, int *n,
                          char *err, size_t err_size);
void task_predictions_free(task_prediction *predictions, int n);

/* ---- scorer building blocks (also used by slmbench score) ---------------------- */

/* SQuAD v1.1: normalized exact match / token F1 of one prediction vs one answer. */
double task_squad_exact(const char *prediction, const char *answer);
double task_squad_f1(const char *prediction, const char *answer);
/* Max over answers; n_answers == 0 (SQuAD v2 unanswerable): 1 iff prediction
 * normalizes to empty. */
void task_squad_score(const char *prediction, const char *const *answers, int n_answers,
                      double *exact, double *f1);

typedef struct task_rouge {
    double rouge1, rouge2, rougeL, rougeLsum; /* F-measures */
} task_rouge;
/* google rouge-score semantics; returns -1 only on allocation failure. */
int task_rouge_score(const char *target, const char *prediction, int use_stemmer,
                     task_rouge *out);
/* Porter (1980) stem of a lowercase ASCII word into out (NUL-terminated):
 * the published algorithm, and the variant with NLTK's default corrections
 * that rouge-score uses (and so task_rouge_score does). */
void task_porter_stem(const char *word, char *out, size_t out_size);
void task_porter_stem_nltk(const char *word, char *out, size_t out_size);

/* Unbiased pass@k estimator 1 - C(n-c,k)/C(n,k), computed as a product.
 * Returns -1 when k > n (undefined), else a value in [0,1]. */
double task_pass_at_k(int n, int c, int k);

/* Builds the program that is compiled/run for a code item: prompt + completion
 * (or a full function extracted from a ```fenced``` answer) + tests. *out is
 * malloc'd. */
int task_code_program(const task_item *item, const char *completion, char **out,
                      char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif /* TASK_H */
