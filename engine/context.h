/*
 * context.h — an inference context: KV cache, scratch activations, thread
 * pool. Internal to engine/ (context.c creates it, forward.c runs it).
 *
 * Invariants:
 *  - KV cache layout is [layer][kv_head][n_ctx][head_dim], F16 or F32, so the
 *    keys of one head over all positions are contiguous (attention converts
 *    them to F32 in one call);
 *  - positions [0, n_past) of the cache hold valid keys/values; slm_eval only
 *    advances n_past after a whole batch succeeded;
 *  - scratch buffers are sized for n_batch rows at create time: the forward
 *    pass never allocates;
 *  - per-thread scratch (thread_scratch[i]) is touched only by pool thread i.
 */
#ifndef ENG_CONTEXT_H
#define ENG_CONTEXT_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "slm.h"
#include "threadpool.h"

enum { ENG_ACT_SLOTS = 3 }; /* most weights one matmul job reads the same input with */
enum { ENG_ROW_BLOCK = 16 };  /* weight rows a batched matmul keeps hot while the batch streams by */

typedef struct eng_thread_scratch {
    float *keys;    /* [n_ctx][head_dim] one head's keys in F32 */
    float *values;  /* [n_ctx][head_dim] */
    float *scores;  /* [n_head / n_head_kv][n_ctx]: one GQA group's scores */
    float *weight_row; /* [max_in]: one F16/BF16 weight row widened to F32 */
    void *repacked;    /* ENG_ROW_BLOCK rows of max_in elements as Q8_0 (batched Q5_0 matmul) */
    float *weight_scales; /* [ENG_ROW_BLOCK][scale_ld]: their Q8_0 block scales widened */
    void *packed_tables;  /* [n_batch][packed_table_stride]: tables of the packed kernels' inputs, or NULL
                             (no packed matrix); written before read, so left unzeroed (untouched pages) */
} eng_thread_scratch;

struct slm_context {
    slm_model *model;
    slm_context_params params;
    int n_ctx, n_batch, n_past;
    eng_pool *pool;

    void *k_cache, *v_cache; /* see layout above */
    size_t kv_elem_bytes;

    /* [n_batch][...] activations */
    float *x, *xb, *xb2;
    float *qkv;     /* [n_batch][n_q + 2 n_kv]: q | k | v */
    float *att;     /* [n_batch][n_q] */
    float *ffn;     /* [n_batch][2 n_ff]: gate | up */
    float *ffn_act; /* [n_batch][n_ff] */
    void *act[ENG_ACT_SLOTS]; /* inputs converted to a vec_dot_type */
    size_t act_row_bytes;
    float *act_scales[ENG_ACT_SLOTS]; /* [n_batch][scale_ld]: Q8_0 inputs' block scales widened */
    size_t scale_ld;                  /* max_in / 32 + 4 */
    size_t packed_table_stride;       /* eng_packed_table_bytes of the widest packed matrix */
    int max_in;

    float *inv_freq;  /* [n_rot/2] */
    float *rope_cos, *rope_sin; /* [n_batch][n_rot/2] */
    float *logits;    /* [n_vocab], last evaluated position */
    int have_logits;

    eng_thread_scratch *thread_scratch;
};

/* Runs n_tokens (<= n_batch, already validated) at positions n_past.. and
 * advances n_past. logits_out: [n_tokens][n_vocab] or NULL (then only the last
 * position's logits are computed, into ctx->logits). */
void eng_forward_batch(slm_context *ctx, const int32_t *tokens, int n_tokens, float *logits_out);

#endif /* ENG_CONTEXT_H */
