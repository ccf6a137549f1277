/*
 * tokenizer_api.c — slm.h's tokenizer and chat-template functions, on top of
 * the model's tok_vocab (engine/tokenizer.h) and engine/chat.c.
 *
 * Invariants: a model without tokenizer metadata fails every text function
 * with "PATH: model has no tokenizer metadata" (ids-only use still works);
 * the getters return -1 / 0 in that case. Nothing here keeps state.
 * slm_vocab_load builds a model that has only the file and its vocabulary
 * (engine/model.h fields; slm_model_free releases it like any other).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tokenizer_internal.h"

static const tok_vocab *need_vocab(const slm_model *model, char *err, size_t err_size)
{
    const tok_vocab *v = eng_model_vocab(model);
    if (v == NULL)
        snprintf(err, err_size, "%s: model has no tokenizer metadata", eng_model_path(model));
    return v;
}

int32_t slm_token_bos(const slm_model *model)
{
    const tok_vocab *v = eng_model_vocab(model);
    return v ? v->bos : -1;
}

int32_t slm_token_eos(const slm_model *model)
{
    const tok_vocab *v = eng_model_vocab(model);
    return v ? v->eos : -1;
}

int slm_token_is_eog(const slm_model *model, int32_t token)
{
    const tok_vocab *v = eng_model_vocab(model);
    return v ? tok_is_eog(v, token) : 0;
}

int slm_add_bos_default(const slm_model *model)
{
    const tok_vocab *v = eng_model_vocab(model);
    return v ? v->add_bos : 0;
}

int slm_tokenize(const slm_model *model, const char *text, size_t text_len,
                 int add_bos, int parse_special, int32_t **out, int *n_out,
                 char *err, size_t err_size)
{
    *out = NULL;
    *n_out = 0;
    const tok_vocab *v = need_vocab(model, err, err_size);
    if (v == NULL)
        return -1;
    if (text == NULL && text_len > 0) {
        snprintf(err, err_size, "%s: tokenize: NULL text", v->path);
        return -1;
    }
    tok_ids ids = {0};
    if (tok_encode(v, text ? text : "", text_len, add_bos, 0, parse_special, &ids, err, err_size) != 0) {
        free(ids.data);
        return -1;
    }
    if (ids.data == NULL)
        ids.data = malloc(sizeof *ids.data); /* callers may free an empty result */
    *out = ids.data;
    *n_out = ids.n;
    return 0;
}

int slm_token_to_piece(const slm_model *model, int32_t token, char *buf, size_t size)
{
    const tok_vocab *v = eng_model_vocab(model);
    if (v == NULL || token < 0 || token >= v->n_tokens)
        return -1;
    const char *piece = v->piece_arena + v->piece_offset[token];
    size_t len = v->piece_len[token];
    if (v->types[token] == TOK_TYPE_CONTROL || v->types[token] == TOK_TYPE_UNKNOWN)
        len = 0; /* not part of detokenized output */
    if (size == 0)
        return 0;
    if (len > size - 1)
        len = size - 1;
    memcpy(buf, piece, len);
    buf[len] = '\0';
    return (int)len;
}

int slm_detokenize(const slm_model *model, const int32_t *tokens, int n_tokens,
                   int render_special, char **out, char *err, size_t err_size)
{
    *out = NULL;
    const tok_vocab *v = need_vocab(model, err, err_size);
    if (v == NULL)
        return -1;
    if (n_tokens < 0 || (n_tokens > 0 && tokens == NULL)) {
        snprintf(err, err_size, "%s: detokenize: bad token list", v->path);
        return -1;
    }
    return tok_decode(v, tokens, n_tokens, render_special, out, NULL, err, err_size);
}

/* ---- chat templates ------------------------------------------------------------ */

static const char *token_text_or(const tok_vocab *v, int32_t id, const char *fallback)
{
    size_t len;
    return v != NULL && id >= 0 ? tok_text(v, id, &len) : fallback;
}

int slm_chat_render(const slm_model *model, const char *family_override,
                    const slm_chat_message *messages, int n_messages,
                    int add_generation_prompt, char **out, char *err, size_t err_size)
{
    *out = NULL;
    const tok_vocab *v = eng_model_vocab(model);
    gguf_str tmpl = {NULL, 0};
    int has_template = gguf_get_str(eng_model_gguf(model), "tokenizer.chat_template", &tmpl) == 0;
    const char *family = family_override;
    if (family == NULL) {
        if (!has_template) {
            snprintf(err, err_size, "%s: model has no tokenizer.chat_template; name a family "
                     "(--chat-template chatml|llama3|llama2|phi3|gemma|zephyr|deepseek) "
                     "or use --no-chat-template", eng_model_path(model));
            return -1;
        }
        family = chat_detect_family(tmpl.data, (size_t)tmpl.len);
        if (family == NULL) {
            snprintf(err, err_size, "%s: chat template not recognised (none of chatml, llama3, "
                     "llama2, phi3, gemma, zephyr, deepseek); use --chat-template NAME or "
                     "--no-chat-template", eng_model_path(model));
            return -1;
        }
    }
    chat_template_input in = {
        messages, n_messages, add_generation_prompt,
        has_template ? tmpl.data : NULL, has_template ? (size_t)tmpl.len : 0,
        token_text_or(v, v ? v->bos : -1, "<s>"), token_text_or(v, v ? v->eos : -1, "</s>"),
    };
    char inner[SLM_ERROR_SIZE];
    if (chat_render_family(family, &in, out, inner, sizeof inner) != 0) {
        snprintf(err, err_size, "%s: %s", eng_model_path(model), inner);
        return -1;
    }
    return 0;
}

/* ---- tokenizer-only models ------------------------------------------------------ */

int slm_vocab_load(const char *path, slm_model **out, char *err, size_t err_size)
{
    *out = NULL;
    slm_model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    if (gguf_open(path, &m->file, err, err_size) != 0 ||
        tok_vocab_load(m->file, path, &m->vocab, err, err_size) != 0) {
        slm_model_free(m);
        return -1;
    }
    if (m->vocab == NULL) {
        snprintf(err, err_size, "%s: model has no tokenizer metadata", path);
        slm_model_free(m);
        return -1;
    }
    /* Only what the tokenizer functions and slm_model_get_info need. */
    snprintf(m->info.path, sizeof m->info.path, "%s", path);
    snprintf(m->info.tokenizer_model, sizeof m->info.tokenizer_model, "%s", m->vocab->model);
    snprintf(m->info.tokenizer_pre, sizeof m->info.tokenizer_pre, "%s", m->vocab->pre);
    m->info.n_vocab = (uint32_t)m->vocab->n_tokens;
    m->hp.n_vocab = m->vocab->n_tokens;
    *out = m;
    return 0;
}
