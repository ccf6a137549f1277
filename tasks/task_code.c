/*
 * task_code.c — turns a code completion into the program that is run, and
 * runs it in the sandbox (tasks/sandbox.c): C is compiled with the system
 * compiler and executed; Python runs under python3.
 *
 * Program = (C: standard headers +) prompt + completion (+ the closing
 * braces a C completion cut at its "\n}" stop sequence lacks) + tests
 * (+ "check(entry_point)" for HumanEval style tests). A chat answer in a
 * ``` fence is unwrapped first; when it holds the whole function, that
 * function replaces the prompt's (Python: defined after the prompt's stub so
 * it wins; C: the prompt up to the signature line is kept for its #includes).
 * Invariants: completions are never executed outside the sandbox; a missing
 * compiler/interpreter yields status "unavailable", never pass or fail.
 */
#include "tasks/task_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *task_code_fence(const char *text)
{
    const char *fence = strstr(text, "```");
    if (!fence)
        return NULL;
    /* A raw continuation starts with the indented function body; a chat answer
     * starts with prose or the fence itself. */
    for (const char *line = text; line < fence; line = strchr(line, '\n') + 1) {
        if (*line == ' ' || *line == '\t')
            return NULL;
        if (!strchr(line, '\n'))
            break;
    }
    return fence;
}

/* The contents of the first ``` fence (to the end if it is not closed), or
 * NULL when the answer is not fenced (see task_code_fence). */
static char *unfence(const char *text)
{
    const char *open = task_code_fence(text);
    if (!open)
        return NULL;
    const char *body = strchr(open, '\n');
    if (!body)
        return NULL;
    body++;
    const char *close = strstr(body, "```");
    size_t len = close ? (size_t)(close - body) : strlen(body);
    for (size_t i = 0; i < len; i++)
        if (body[i] != ' ' && body[i] != '\n' && body[i] != '\t' && body[i] != '\r')
            return strndup(body, len);
    return NULL; /* an empty fence: use the text as it is */
}

/* Brace depth of C source, skipping comments, strings and char literals. */
static int brace_depth(const char *s)
{
    int depth = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            if (!e)
                break;
            p = e + 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (p[1] && p[1] != '\n')
                p++;
        } else if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                break;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}') {
            depth--;
        }
    }
    return depth;
}

/* 1 if code defines the entry point as a whole function. */
static int defines_function(const task_item *item, const char *code)
{
    if (!item->entry_point)
        return 0;
    char needle[160];
    if (item->type == TASK_CODE_PYTHON)
        snprintf(needle, sizeof(needle), "def %s(", item->entry_point);
    else
        snprintf(needle, sizeof(needle), "%s(", item->entry_point);
    const char *hit = strstr(code, needle);
    return hit && (item->type == TASK_CODE_PYTHON || strchr(hit, '{') != NULL);
}

/* Start of the line in prompt that declares the entry point (C). */
static size_t c_signature_offset(const task_item *item)
{
    char needle[160];
    snprintf(needle, sizeof(needle), "%s(", item->entry_point);
    const char *hit = strstr(item->prompt, needle);
    if (!hit)
        return 0;
    while (hit > item->prompt && hit[-1] != '\n')
        hit--;
    return (size_t)(hit - item->prompt);
}

/* Standard headers every C program gets first, so a completion that calls
 * malloc or strlen is not failed for an #include the prompt did not show
 * (newer compilers reject implicit declarations). */
static const char c_prelude[] =
    "#include <ctype.h>\n#include <limits.h>\n#include <math.h>\n#include <stdbool.h>\n"
    "#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "#include <string.h>\n\n";

/* b is an open_memstream over *text: fflush makes *text the program so far. */
static void add_body(FILE *b, char **text, const task_item *item, const char *code, int whole)
{
    const char *prompt = item->prompt ? item->prompt : "";
    if (item->type == TASK_CODE_C)
        fputs(c_prelude, b);
    if (item->type == TASK_CODE_PYTHON) {
        fputs(prompt, b);
        if (whole && item->prompt)
            fputs("    pass\n\n", b);
        fputs(code, b);
    } else {
        fwrite(prompt, 1, whole ? c_signature_offset(item) : strlen(prompt), b);
        fputs(code, b);
        fputs("\n", b);
        int depth = fflush(b) == 0 && *text ? brace_depth(*text) : 0;
        for (; depth > 0; depth--)
            fputs("}\n", b);
    }
}

int task_code_program(const task_item *item, const char *completion, char **out,
                      char *err, size_t err_size)
{
    *out = NULL;
    char *fenced = unfence(completion);
    /* A raw continuation that ends in a stray fence ends there. */
    const char *stray = fenced ? NULL : strstr(completion, "```");
    if (stray && !(fenced = strndup(completion, (size_t)(stray - completion)))) {
        snprintf(err, err_size, "%s: out of memory building the program", item->id);
        return -1;
    }
    const char *code = fenced ? fenced : completion;
    int whole = item->prompt == NULL || (fenced && !stray && defines_function(item, code));
    char *text = NULL;
    size_t length = 0;
    FILE *b = open_memstream(&text, &length);
    if (!b) {
        free(fenced);
        snprintf(err, err_size, "%s: out of memory building the program", item->id);
        return -1;
    }
    add_body(b, &text, item, code, whole);
    fputs("\n\n", b);
    fputs(item->tests, b);
    if (item->type == TASK_CODE_PYTHON && item->entry_point && strstr(item->tests, "def check(")) {
        fputs("\n\ncheck(", b);
        fputs(item->entry_point, b);
        fputs(")\n", b);
    }
    free(fenced);
    if (fclose(b) != 0 || !text) {
        free(text);
        snprintf(err, err_size, "%s: out of memory building the program", item->id);
        return -1;
    }
    *out = text;
    return 0;
}

/* ---- running ---------------------------------------------------------------- */

static void set_metrics(task_score *s, int passed, int compile_error, int timeout)
{
    static const char *const names[] = {"passed", "compile_error", "timeout"};
    const int values[] = {passed, compile_error, timeout};
    s->n_metrics = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(s->metrics[i].name, sizeof(s->metrics[i].name), "%s", names[i]);
        s->metrics[i].value = values[i];
    }
}

/* First line of text that mentions "error" (or the first non-empty line). */
static void first_error_line(const char *text, char *out, size_t size)
{
    const char *pick = NULL;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        size_t len = strcspn(line, "\n");
        if (!pick && len > 0)
            pick = line;
        if (memmem(line, len, "rror", 4)) {
            pick = line;
            break;
        }
    }
    if (!pick) {
        snprintf(out, size, "%s", "");
        return;
    }
    snprintf(out, size, "%.*s", (int)strcspn(pick, "\n"), pick);
}

/* The last non-empty line (Python tracebacks end with the exception). */
static void last_line(const char *text, char *out, size_t size)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    snprintf(out, size, "%.*s", (int)(n - start), text + start);
}

static void classify(const task_item *item, const task_sandbox_result *r, int failed_step,
                     task_score *s)
{
    int is_c = item->type == TASK_CODE_C;
    if (r->outcome == TASK_SANDBOX_TIMEOUT) {
        snprintf(s->status, sizeof(s->status), TASK_STATUS_TIMEOUT);
        snprintf(s->detail, sizeof(s->detail), "%s after %.0f ms",
                 is_c && failed_step == 0 ? "compilation timed out" : "timed out", r->wall_ms);
        set_metrics(s, 0, 0, 1);
        return;
    }
    if (failed_step < 0) {
        snprintf(s->status, sizeof(s->status), TASK_STATUS_PASSED);
        set_metrics(s, 1, 0, 0);
        return;
    }
    int syntax = !is_c && (strstr(r->stderr_text, "SyntaxError") || strstr(r->stderr_text, "IndentationError"));
    int compile_error = (is_c && failed_step == 0) || syntax;
    snprintf(s->status, sizeof(s->status), "%s", compile_error ? TASK_STATUS_COMPILE_ERROR : TASK_STATUS_FAILED);
    if (is_c && failed_step == 0)
        first_error_line(r->stderr_text, s->detail, sizeof(s->detail));
    else if (r->outcome == TASK_SANDBOX_SIGNALED)
        snprintf(s->detail, sizeof(s->detail), "killed by signal %d", r->signal);
    else
        last_line(r->stderr_text, s->detail, sizeof(s->detail));
    set_metrics(s, 0, compile_error, 0);
}

static void mark_unavailable(task_score *s, const char *program, const char *why)
{
    snprintf(s->status, sizeof(s->status), TASK_STATUS_UNAVAILABLE);
    snprintf(s->detail, sizeof(s->detail), "%s %s: code not executed", program, why);
    s->n_metrics = 0;
}

int task_code_run(const task_item *item, const char *completion, const task_sandbox_config *config,
                  task_score *s, char *err, size_t err_size)
{
    int is_c = item->type == TASK_CODE_C;
    const char *tool = is_c ? config->cc : config->python;
    if (!task_program_available(tool)) {
        mark_unavailable(s, tool, "not found");
        return 0;
    }
    char *program = NULL;
    if (task_code_program(item, completion, &program, err, err_size) != 0)
        return -1;
    task_sandbox_file files[] = {{is_c ? "prog.c" : "prog.py", program}};
    char *compile[] = {(char *)config->cc, "-std=gnu11", "-O1", "-w", "-o", "prog", "prog.c", "-lm", NULL};
    char *run_c[] = {"./prog", NULL};
    char *run_py[] = {(char *)config->python, "prog.py", NULL};
    char *const *c_steps[] = {compile, run_c};
    char *const *py_steps[] = {run_py};
    task_sandbox_result r;
    int failed_step = -1;
    int rc = task_sandbox_run(config, files, 1, is_c ? c_steps : py_steps, is_c ? 2 : 1, &r,
                              &failed_step, err, err_size);
    free(program);
    if (rc != 0)
        return -1;
    s->network_isolated = r.network_isolated;
    snprintf(s->network_note, sizeof(s->network_note), "%s", r.network_note);
    if (r.outcome == TASK_SANDBOX_EXEC_FAILED) {
        /* found by us, but not startable by the sandbox user (e.g. under /root) */
        mark_unavailable(s, failed_step == 0 ? tool : "./prog", "could not be started in the sandbox");
    } else {
        classify(item, &r, failed_step, s);
    }
    s->duration_ms = r.wall_ms;
    task_sandbox_result_free(&r);
    return 0;
}
