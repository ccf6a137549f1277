/*
 * model_info.h — a GGUF's architecture hyper-parameters, tokenizer facts and
 * tensor-type mix as an slm_model_info, without preparing it for inference.
 * Internal to engine/. Used by slm_model_inspect (model_info.c) and by
 * slm_model_load (model.c).
 *
 * Invariant: on success every required key of the architecture was present
 * with a sane value (positive counts, n_head a multiple of n_head_kv, n_rot even
 * and at most the head size); on failure *out is zeroed and err names the
 * file and the key at fault.
 */
#ifndef ENG_MODEL_INFO_H
#define ENG_MODEL_INFO_H

#include <stddef.h>
#include "gguf.h"
#include "slm.h"

int eng_model_info_fill(const gguf_file *file, const char *path, slm_model_info *out,
                        char *err, size_t err_size);

#endif /* ENG_MODEL_INFO_H */
