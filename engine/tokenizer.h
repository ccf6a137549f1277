/*
 * tokenizer.h — text <-> token ids and chat templates from GGUF metadata
 * (tokenizer.ggml.*, tokenizer.chat_template). Internal to engine/.
 *
 * The vocabulary is loaded once with the model and is read-only afterwards.
 * The public functions of slm.h's tokenizer and chat sections (slm_tokenize,
 * slm_detokenize, slm_token_to_piece, slm_token_bos/eos/is_eog,
 * slm_add_bos_default, slm_chat_render) are implemented on top of this in
 * engine/tokenizer*.c and engine/chat.c.
 */
#ifndef TOKENIZER_H
#define TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "gguf.h"
#include "slm.h"

typedef struct tok_vocab tok_vocab;

/* Loads the tokenizer of file (path is for messages). A file without
 * tokenizer.ggml.model succeeds with *out = NULL: the model then runs on ids
 * only and slm_tokenize fails with "PATH: model has no tokenizer metadata".
 * Malformed tokenizer metadata (counts that disagree, ids out of range) fails. */
int tok_vocab_load(const gguf_file *file, const char *path, tok_vocab **out,
                   char *err, size_t err_size);
void tok_vocab_free(tok_vocab *vocab);

/* Chat template family recognised from the template text ("chatml", "llama3",
 * "llama2", "phi3", "gemma", "zephyr", "deepseek"), or NULL. */
const char *chat_detect_family(const char *template_text, size_t len);
/* The canonical family for a name ("qwen" -> "chatml", "mistral" -> "llama2"), or NULL. */
const char *chat_family_canonical(const char *name);

/* What a renderer needs besides the family: the messages, the template text
 * (variants such as Mistral vs Llama 2 are told apart by it; may be NULL) and
 * the model's BOS/EOS token texts (e.g. "<s>", "</s>"; never NULL). */
typedef struct chat_template_input {
    const slm_chat_message *messages;
    int n_messages;
    int add_generation_prompt;
    const char *template_text;
    size_t template_len;
    const char *bos_text;
    const char *eos_text;
} chat_template_input;

/* Renders in->messages in family's format into *out (malloc'd, NUL-terminated). */
int chat_render_family(const char *family, const chat_template_input *in, char **out,
                       char *err, size_t err_size);

/* Provided by engine/model.c: the parts of a loaded model the tokenizer needs. */
const tok_vocab *eng_model_vocab(const slm_model *model);   /* NULL if none */
const gguf_file *eng_model_gguf(const slm_model *model);
const char *eng_model_path(const slm_model *model);

#endif /* TOKENIZER_H */
