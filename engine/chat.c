/*
 * chat.c — chat template families: recognition from the text of
 * tokenizer.chat_template and rendering of system/user/assistant turns.
 *
 * We do not run Jinja. A template is recognised by the marker strings its
 * family always contains (checked in a fixed order, because some families share
 * markers: Phi-3 and Zephyr both use "<|user|>"), and each family has a small
 * hand-written renderer that reproduces what the model's own template emits for
 * plain text turns.
 *
 * Invariants:
 *  - The rendered text never starts with the BOS token text: the tokenizer adds
 *    BOS (tokenizer.ggml.add_bos_token), exactly as llama.cpp-style callers do.
 *    Later BOS texts inside a conversation (Llama 2's "<s>[INST]") are rendered.
 *  - Special-token strings in the output are meant to be tokenized with
 *    parse_special on; message content is copied verbatim (or trimmed where the
 *    family's template trims it).
 *  - What a template adds on its own is reproduced from its text, never from
 *    the clock: a literal default system prompt (Qwen2, SmolLM2, DeepSeek
 *    Coder) and Llama 3.1/3.2's dated system turn with the template's fallback
 *    date, so the same messages always render to the same prompt.
 *  - Variants inside a family are told apart by the template text (Llama 2 vs
 *    Mistral by "<<SYS>>", DeepSeek Coder vs DeepSeek LLM by "### Instruction:").
 *  - No global mutable state; the only statics are constant tables.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

/* ---- recognition ------------------------------------------------------------ */

static int has(const char *text, size_t len, const char *needle)
{
    return memmem(text, len, needle, strlen(needle)) != NULL;
}

static const char *const chat_family_names[] = {
    "chatml", "llama3", "llama2", "phi3", "gemma", "zephyr", "deepseek",
};

const char *chat_family_canonical(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof chat_family_names / sizeof chat_family_names[0]; i++)
        if (strcmp(name, chat_family_names[i]) == 0)
            return chat_family_names[i];
    if (strcmp(name, "qwen") == 0 || strcmp(name, "qwen2") == 0)
        return "chatml";
    if (strcmp(name, "mistral") == 0)
        return "llama2";
    return NULL;
}

const char *chat_detect_family(const char *template_text, size_t len)
{
    const char *t = template_text;
    if (t == NULL || len == 0)
        return NULL;
    if (has(t, len, "<|im_start|>"))
        return "chatml";
    if (has(t, len, "<|start_header_id|>") && has(t, len, "<|end_header_id|>"))
        return "llama3";
    if (has(t, len, "<start_of_turn>"))
        return "gemma";
    if (has(t, len, "<|assistant|>") && has(t, len, "<|end|>"))
        return "phi3";
    if (has(t, len, "<|user|>") && has(t, len, "<|assistant|>"))
        return "zephyr";
    if (has(t, len, "[INST]"))
        return "llama2";
    if (has(t, len, "### Instruction:") && has(t, len, "### Response:"))
        return "deepseek";
    if (has(t, len, "'User: '") && has(t, len, "'Assistant: '"))
        return "deepseek";
    /* A template value that is itself a family name (some converters store that). */
    char name[16];
    if (len < sizeof name) {
        memcpy(name, t, len);
        name[len] = '\0';
        return chat_family_canonical(name);
    }
    return NULL;
}

/* ---- output buffer ------------------------------------------------------------ */

typedef struct chat_buf {
    char *data;
    size_t len, cap;
    int failed; /* out of memory: every later append is a no-op */
} chat_buf;

static void buf_append(chat_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(chat_buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

/* Appends s without leading and trailing ASCII whitespace (Jinja's |trim). */
static void buf_put_trimmed(chat_buf *b, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    buf_append(b, s, n);
}

/* ---- renderers ---------------------------------------------------------------- */

typedef struct chat_render_ctx {
    const chat_template_input *in;
    chat_buf *out;
    char *err;
    size_t err_size;
} chat_render_ctx;

static int role_is(const slm_chat_message *m, const char *role)
{
    return strcmp(m->role, role) == 0;
}

static int bad_role(chat_render_ctx *c, const char *family, const slm_chat_message *m)
{
    snprintf(c->err, c->err_size, "chat template %s: unsupported role \"%s\"", family, m->role);
    return -1;
}

/* The text between "<|im_start|>system\n" and "<|im_end|>" when the template
 * spells out a default system prompt as a literal (Qwen2, SmolLM do); the
 * newline may be written raw or as the two characters backslash-n. */
static int literal_between(const char *s, const char *end, const char **start, size_t *n)
{
    const char *e = memmem(s, (size_t)(end - s), "<|im_end|>", 10);
    if (e == NULL || e == s)
        return 0;
    for (const char *q = s; q < e; q++)
        if (*q == '\'' || *q == '"' || *q == '{' || *q == '+' || *q == '\\')
            return 0; /* not a literal: built from message content */
    *start = s;
    *n = (size_t)(e - s);
    return 1;
}

static int chatml_default_system(const char *t, size_t len, const char **start, size_t *n)
{
    static const char *const opens[] = {"<|im_start|>system\\n", "<|im_start|>system\n"};
    const char *end = t + len;
    for (size_t k = 0; k < 2; k++) {
        size_t open_len = strlen(opens[k]);
        for (const char *p = t; (p = memmem(p, (size_t)(end - p), opens[k], open_len)) != NULL; p += open_len)
            if (literal_between(p + open_len, end, start, n))
                return 1;
    }
    return 0;
}

static int render_chatml(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    const char *sys;
    size_t sys_len;
    if ((in->n_messages == 0 || !role_is(&in->messages[0], "system")) && in->template_text &&
        chatml_default_system(in->template_text, in->template_len, &sys, &sys_len)) {
        buf_puts(c->out, "<|im_start|>system\n");
        buf_append(c->out, sys, sys_len);
        buf_puts(c->out, "<|im_end|>\n");
    }
    for (int i = 0; i < in->n_messages; i++) {
        buf_puts(c->out, "<|im_start|>");
        buf_puts(c->out, in->messages[i].role);
        buf_puts(c->out, "\n");
        buf_puts(c->out, in->messages[i].content);
        buf_puts(c->out, "<|im_end|>\n");
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "<|im_start|>assistant\n");
    return 0;
}

/* Appends the template's literal that starts right after marker and ends at a
 * quote or a newline (raw or written as backslash-n); 0 if marker is absent. */
static int put_literal_after(chat_render_ctx *c, const char *marker)
{
    const chat_template_input *in = c->in;
    const char *end = in->template_text + in->template_len;
    const char *p = memmem(in->template_text, in->template_len, marker, strlen(marker));
    if (p == NULL)
        return 0;
    const char *q = p += strlen(marker);
    while (q < end && *q != '"' && *q != '\'' && *q != '\n' && *q != '\\')
        q++;
    buf_append(c->out, p, (size_t)(q - p));
    return 1;
}

/* Llama 3.1/3.2 templates always open with a system turn that states the
 * knowledge cutoff and a date; the date is the template's own fallback literal
 * (not today's), so prompts are the same on every run. */
static void llama3_dated_system(chat_render_ctx *c, const char *system)
{
    buf_puts(c->out, "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: ");
    put_literal_after(c, "Cutting Knowledge Date: ");
    buf_puts(c->out, "\nToday Date: ");
    if (!put_literal_after(c, "set date_string = \""))
        buf_puts(c->out, "26 Jul 2024");
    buf_puts(c->out, "\n\n");
    buf_put_trimmed(c->out, system ? system : "");
    buf_puts(c->out, "<|eot_id|>");
}

static int render_llama3(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    int i = 0;
    if (in->template_text && has(in->template_text, in->template_len, "Cutting Knowledge Date: ")) {
        int first_is_system = in->n_messages > 0 && role_is(&in->messages[0], "system");
        llama3_dated_system(c, first_is_system ? in->messages[0].content : NULL);
        i = first_is_system;
    }
    for (; i < in->n_messages; i++) {
        buf_puts(c->out, "<|start_header_id|>");
        buf_puts(c->out, in->messages[i].role);
        buf_puts(c->out, "<|end_header_id|>\n\n");
        buf_put_trimmed(c->out, in->messages[i].content);
        buf_puts(c->out, "<|eot_id|>");
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    return 0;
}

/* Llama 2: BOS before every [INST] but the first (the tokenizer adds that
 * one), the system text in a <<SYS>> block inside the first turn, each turn
 * stripped as a whole, " answer </s>" for the assistant. */
static int render_llama2_sys(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    const char *system = NULL;
    int first_user = 1;
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (role_is(m, "system")) {
            system = m->content;
        } else if (role_is(m, "user")) {
            chat_buf turn = {0};
            if (system != NULL && first_user) {
                buf_puts(&turn, "<<SYS>>\n");
                buf_puts(&turn, system);
                buf_puts(&turn, "\n<</SYS>>\n\n");
            }
            buf_puts(&turn, m->content);
            buf_puts(c->out, first_user ? "[INST] " : in->bos_text);
            buf_puts(c->out, first_user ? "" : "[INST] ");
            buf_put_trimmed(c->out, turn.data ? turn.data : "");
            buf_puts(c->out, " [/INST]");
            c->out->failed |= turn.failed;
            free(turn.data);
            first_user = 0;
        } else if (role_is(m, "assistant")) {
            buf_puts(c->out, " ");
            buf_put_trimmed(c->out, m->content);
            buf_puts(c->out, " ");
            buf_puts(c->out, in->eos_text);
        } else {
            return bad_role(c, "llama2", m);
        }
    }
    return 0;
}

/* Mistral: "[INST] user [/INST]answer</s>" with no BOS between turns and no
 * system role; a system text opens the first user turn. */
static int render_mistral(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    const char *system = NULL;
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (role_is(m, "system")) {
            system = m->content;
        } else if (role_is(m, "user")) {
            buf_puts(c->out, "[INST] ");
            if (system != NULL) {
                buf_puts(c->out, system);
                buf_puts(c->out, "\n\n");
                system = NULL;
            }
            buf_puts(c->out, m->content);
            buf_puts(c->out, " [/INST]");
        } else if (role_is(m, "assistant")) {
            buf_puts(c->out, m->content);
            buf_puts(c->out, in->eos_text);
        } else {
            return bad_role(c, "llama2", m);
        }
    }
    return 0;
}

/* Without a template to look at (an override on a model that has none), the
 * Llama 2 form is used; a template without "<<SYS>>" is Mistral's. */
static int render_llama2(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    if (in->template_text == NULL || has(in->template_text, in->template_len, "<<SYS>>"))
        return render_llama2_sys(c);
    return render_mistral(c);
}

/* Phi-3 and Zephyr share the "<|role|>\ncontent<END>\n" shape; only the end marker differs. */
static int render_tagged(chat_render_ctx *c, const char *family, const char *end)
{
    const chat_template_input *in = c->in;
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (!role_is(m, "system") && !role_is(m, "user") && !role_is(m, "assistant"))
            return bad_role(c, family, m);
        buf_puts(c->out, "<|");
        buf_puts(c->out, m->role);
        buf_puts(c->out, "|>\n");
        buf_puts(c->out, m->content);
        buf_puts(c->out, end);
        buf_puts(c->out, "\n");
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "<|assistant|>\n");
    return 0;
}

static int render_phi3(chat_render_ctx *c)
{
    return render_tagged(c, "phi3", "<|end|>");
}

static int render_zephyr(chat_render_ctx *c)
{
    return render_tagged(c, "zephyr", c->in->eos_text);
}

/* Gemma has no system role: the system text opens the first user turn. */
static int render_gemma(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    const char *system = NULL;
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (role_is(m, "system")) {
            system = m->content;
            continue;
        }
        if (!role_is(m, "user") && !role_is(m, "assistant"))
            return bad_role(c, "gemma", m);
        buf_puts(c->out, "<start_of_turn>");
        buf_puts(c->out, role_is(m, "user") ? "user\n" : "model\n");
        if (system != NULL && role_is(m, "user")) {
            buf_put_trimmed(c->out, system);
            buf_puts(c->out, "\n\n");
            system = NULL;
        }
        buf_put_trimmed(c->out, m->content);
        buf_puts(c->out, "<end_of_turn>\n");
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "<start_of_turn>model\n");
    return 0;
}

/* DeepSeek Coder's default system prompt, when its template spells one out
 * as a literal (the text up to the closing quote, "\n" escapes unescaped). */
static void deepseek_default_system(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    static const char marker[] = "You are an AI programming assistant";
    if (in->template_text == NULL)
        return;
    const char *end = in->template_text + in->template_len;
    const char *p = memmem(in->template_text, in->template_len, marker, sizeof marker - 1);
    if (p == NULL)
        return;
    for (; p < end && *p != '\''; p++) {
        if (p + 1 < end && p[0] == '\\' && p[1] == 'n') {
            buf_puts(c->out, "\n");
            p++;
        } else {
            buf_append(c->out, p, 1);
        }
    }
}

static int has_system(const chat_template_input *in)
{
    for (int i = 0; i < in->n_messages; i++)
        if (role_is(&in->messages[i], "system"))
            return 1;
    return 0;
}

/* DeepSeek Coder: "### Instruction:\n...\n" / "### Response:\n...\n<|EOT|>\n",
 * the system text verbatim; generation prompt "### Response:". */
static int render_deepseek_coder(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    if (!has_system(in))
        deepseek_default_system(c);
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (role_is(m, "system")) {
            buf_puts(c->out, m->content);
        } else if (role_is(m, "user")) {
            buf_puts(c->out, "### Instruction:\n");
            buf_puts(c->out, m->content);
            buf_puts(c->out, "\n");
        } else if (role_is(m, "assistant")) {
            buf_puts(c->out, "### Response:\n");
            buf_puts(c->out, m->content);
            buf_puts(c->out, "\n<|EOT|>\n");
        } else {
            return bad_role(c, "deepseek", m);
        }
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "### Response:");
    return 0;
}

/* DeepSeek LLM chat: "User: ...\n\n" / "Assistant: ...<EOS>", system text + "\n\n". */
static int render_deepseek_chat(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    for (int i = 0; i < in->n_messages; i++) {
        const slm_chat_message *m = &in->messages[i];
        if (role_is(m, "system") || role_is(m, "user")) {
            buf_puts(c->out, role_is(m, "user") ? "User: " : "");
            buf_puts(c->out, m->content);
            buf_puts(c->out, "\n\n");
        } else if (role_is(m, "assistant")) {
            buf_puts(c->out, "Assistant: ");
            buf_puts(c->out, m->content);
            buf_puts(c->out, in->eos_text);
        } else {
            return bad_role(c, "deepseek", m);
        }
    }
    if (in->add_generation_prompt)
        buf_puts(c->out, "Assistant:");
    return 0;
}

/* The Coder form unless the template is the "User: "/"Assistant: " one. */
static int render_deepseek(chat_render_ctx *c)
{
    const chat_template_input *in = c->in;
    if (in->template_text != NULL && !has(in->template_text, in->template_len, "### Instruction:") &&
        has(in->template_text, in->template_len, "'User: '"))
        return render_deepseek_chat(c);
    return render_deepseek_coder(c);
}

typedef struct chat_family_renderer {
    const char *name;
    int (*render)(chat_render_ctx *c);
} chat_family_renderer;

static const chat_family_renderer chat_renderers[] = {
    {"chatml", render_chatml}, {"llama3", render_llama3}, {"llama2", render_llama2},
    {"phi3", render_phi3},     {"gemma", render_gemma},   {"zephyr", render_zephyr},
    {"deepseek", render_deepseek},
};

static int check_messages(const chat_template_input *in, char *err, size_t err_size)
{
    if (in->n_messages < 0 || (in->n_messages > 0 && in->messages == NULL)) {
        snprintf(err, err_size, "chat template: bad message list");
        return -1;
    }
    for (int i = 0; i < in->n_messages; i++) {
        if (in->messages[i].role == NULL || in->messages[i].content == NULL) {
            snprintf(err, err_size, "chat template: message %d has no role or content", i);
            return -1;
        }
    }
    return 0;
}

int chat_render_family(const char *family, const chat_template_input *in, char **out,
                       char *err, size_t err_size)
{
    *out = NULL;
    const char *canonical = chat_family_canonical(family);
    if (canonical == NULL) {
        snprintf(err, err_size,
                 "unknown chat template family \"%s\" (known: chatml, llama3, llama2, phi3, "
                 "gemma, zephyr, deepseek)", family ? family : "(null)");
        return -1;
    }
    if (check_messages(in, err, err_size) != 0)
        return -1;
    chat_buf buf = {0};
    chat_render_ctx ctx = {in, &buf, err, err_size};
    int status = -1;
    for (size_t i = 0; i < sizeof chat_renderers / sizeof chat_renderers[0]; i++)
        if (strcmp(chat_renderers[i].name, canonical) == 0)
            status = chat_renderers[i].render(&ctx);
    buf_append(&buf, "", 0); /* an empty conversation still yields "" */
    if (status == 0 && buf.failed) {
        snprintf(err, err_size, "chat template %s: out of memory", canonical);
        status = -1;
    }
    if (status != 0) {
        free(buf.data);
        return -1;
    }
    *out = buf.data;
    return 0;
}
