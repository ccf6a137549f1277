/*
 * task_prompt.c — zero- and few-shot prompts per task type.
 *
 * Each prompt comes in two forms: system + user text for chat models (the
 * runner wraps them with the model's chat template) and one raw string for
 * base models, which continue it (code: the raw prompt is the code prefix
 * itself, HumanEval convention). Few-shot examples are fixed, original worked
 * examples per type, never items of the suite, so no reference leaks into the
 * prompt. Invariants: all strings malloc'd; task_prompt_free releases them.
 */
#include "tasks/task_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shot {
    const char *context, *question, *answer;
} shot;

static const shot qa_shots[] = {
    {"The lighthouse on Karrow Point was built in 1871 from granite quarried on the island. "
     "Its lamp was converted to electricity in 1934 and automated in 1968.",
     "When was the lighthouse lamp automated?", "1968"},
    {"Marta keeps bees on the roof of the community library. Each summer the three hives "
     "produce about forty jars of honey, which are sold to fund children's books.",
     "What does the honey money pay for?", "children's books"},
    {"The ferry leaves the harbour at seven and reaches the outer islands by noon, "
     "stopping once at Bell Rock to collect mail.",
     "Where does the ferry stop on its way?", "Bell Rock"},
};

static const shot summary_shots[] = {
    {"The town council voted on Tuesday to close Elm Street to cars every Sunday during the summer. "
     "Shop owners had asked for the change after a trial weekend last year doubled the number of "
     "visitors to the street's cafes. Residents who need to reach their garages will receive permits. "
     "The first car-free Sunday is planned for the second week of June.",
     NULL,
     "Elm Street will be closed to cars on summer Sundays after a successful trial. "
     "Residents will get permits, and the scheme starts in mid-June."},
    {"A survey of the river below the old paper mill found otters for the first time in forty years. "
     "Volunteers counted tracks at six sites and recorded two animals on night cameras. Ecologists "
     "credit the cleaner water that followed the mill's closure and a decade of replanting along the banks.",
     NULL,
     "Otters have returned to the river below the closed paper mill for the first time in forty years, "
     "helped by cleaner water and replanted banks."},
};

typedef struct code_shot {
    const char *prompt, *completion;
} code_shot;

static const code_shot c_shots[] = {
    {"/* Returns the larger of a and b. */\nint max_of(int a, int b)\n{\n", "    return a > b ? a : b;\n}\n"},
    {"/* Counts the characters c in the NUL-terminated string s. */\nint count_char(const char *s, char c)\n{\n",
     "    int n = 0;\n    for (; *s; s++)\n        n += *s == c;\n    return n;\n}\n"},
};

static const code_shot py_shots[] = {
    {"def is_even(n: int) -> bool:\n    \"\"\"Return True when n is even.\n    >>> is_even(4)\n    True\n    \"\"\"\n",
     "    return n % 2 == 0\n"},
    {"def total_length(words: list) -> int:\n    \"\"\"Return the sum of the lengths of the words.\n    >>> total_length(['ab', 'c'])\n    3\n    \"\"\"\n",
     "    return sum(len(w) for w in words)\n"},
};

typedef struct text_out {
    char *data;
    size_t len;
    int failed;
} text_out;

static void out_printf(text_out *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *grown = n >= 0 ? realloc(o->data, o->len + (size_t)n + 1) : NULL;
    if (!grown) {
        o->failed = 1;
        va_end(ap);
        return;
    }
    o->data = grown;
    vsnprintf(o->data + o->len, (size_t)n + 1, fmt, ap);
    o->len += (size_t)n;
    va_end(ap);
}

static int clamp_shots(int n_shots, int available)
{
    return n_shots < 0 ? 0 : (n_shots > available ? available : n_shots);
}

static void qa_block(text_out *o, const char *context, const char *question)
{
    if (context)
        out_printf(o, "Passage: %s\n", context);
    out_printf(o, "Question: %s\nAnswer:", question);
}

static void build_qa(const task_suite *suite, const task_item *it, int n_shots, text_out *sys, text_out *user)
{
    out_printf(sys, "Answer the question using the passage. Reply with only the answer: a short phrase, "
                    "copied from the passage when possible, without explanation.");
    if (suite && suite->has_no_answer)
        out_printf(sys, " If the passage does not contain the answer, reply exactly: unanswerable");
    int n = clamp_shots(n_shots, 3);
    for (int i = 0; i < n; i++) {
        qa_block(user, qa_shots[i].context, qa_shots[i].question);
        out_printf(user, " %s\n\n", qa_shots[i].answer);
    }
    qa_block(user, it->context, it->question);
}

static void build_summary(const task_item *it, int n_shots, text_out *sys, text_out *user)
{
    out_printf(sys, "Summarize the text in one to three sentences. Reply with only the summary.");
    int n = clamp_shots(n_shots, 2);
    for (int i = 0; i < n; i++)
        out_printf(user, "Text: %s\nSummary: %s\n\n", summary_shots[i].context, summary_shots[i].answer);
    if (it->question)
        out_printf(user, "%s\n", it->question);
    out_printf(user, "Text: %s\nSummary:", it->context);
}

static void build_code(const task_item *it, int n_shots, text_out *sys, text_out *user, text_out *raw)
{
    int is_c = it->type == TASK_CODE_C;
    const char *lang = is_c ? "c" : "python";
    const code_shot *shots = is_c ? c_shots : py_shots;
    out_printf(sys, "You are an expert %s programmer. Reply with only code in one ```%s block: "
                    "the complete function, no explanation.", is_c ? "C" : "Python", lang);
    int n = clamp_shots(n_shots, 2);
    for (int i = 0; i < n; i++) {
        out_printf(user, "Complete this function:\n```%s\n%s```\n```%s\n%s%s```\n\n", lang, shots[i].prompt,
                   lang, shots[i].prompt, shots[i].completion);
        out_printf(raw, "%s%s\n", shots[i].prompt, shots[i].completion);
    }
    if (it->prompt) {
        out_printf(user, "Complete this function:\n```%s\n%s```", lang, it->prompt);
        out_printf(raw, "%s", it->prompt);
    } else { /* MBPP: a description and the asserts to satisfy */
        out_printf(user, "%s\nYour code should pass these tests:\n```%s\n%s```", it->question ? it->question : "",
                   lang, it->tests);
        out_printf(raw, "\"\"\"\n%s\n%s\"\"\"\n", it->question ? it->question : "", it->tests);
    }
}

void task_prompt_free(task_prompt *prompt)
{
    if (!prompt)
        return;
    free(prompt->system);
    free(prompt->user);
    free(prompt->raw);
    memset(prompt, 0, sizeof(*prompt));
}

int task_prompt_build(const task_suite *suite, const task_item *item, int n_shots,
                      task_prompt *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    text_out sys = {0}, user = {0}, raw = {0};
    switch (item->type) {
    case TASK_QA:
        build_qa(suite, item, n_shots, &sys, &user);
        break;
    case TASK_SUMMARIZATION:
        build_summary(item, n_shots, &sys, &user);
        break;
    default:
        build_code(item, n_shots, &sys, &user, &raw);
        break;
    }
    /* Base models get the instruction followed by the same user text. */
    if (item->type == TASK_QA || item->type == TASK_SUMMARIZATION)
        out_printf(&raw, "%s\n\n%s", sys.data ? sys.data : "", user.data ? user.data : "");
    if (sys.failed || user.failed || raw.failed || !sys.data || !user.data || !raw.data) {
        free(sys.data);
        free(user.data);
        free(raw.data);
        snprintf(err, err_size, "%s: out of memory building the prompt", item->id);
        return -1;
    }
    out->system = sys.data;
    out->user = user.data;
    out->raw = raw.data;
    return 0;
}
