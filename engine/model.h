/*
 * model.h — a loaded model: hyper-parameters and weight views into the GGUF
 * mapping, per architecture (llama, qwen2, phi3). Internal to engine/.
 *
 * Invariants established by slm_model_load before it returns success:
 *  - every weight tensor the architecture needs exists with exactly the shape
 *    the hyper-parameters imply, and has a type with kernels (quant_get_traits);
 *  - eng_weight.data points into the model's own anonymous copy of the weight
 *    matrices (2 MiB aligned, transparent huge pages requested: decode streams
 *    every weight per token and 4 KiB file pages cost ~20% in TLB misses), or
 *    into the read-only file mapping when that copy could not be made; valid
 *    until slm_model_free. Rows are row_bytes apart and n_in is a multiple of
 *    the type's block size;
 *  - 1-D tensors (norm weights, biases, rope_freqs) are converted once to F32
 *    copies the model owns, so the forward pass reads them as plain floats;
 *  - n_head % n_head_kv == 0 and head_dim * n_head == n_embd (phi3/llama/qwen2
 *    as published); n_rot <= head_dim and even.
 * The model is read-only after load and may be shared by several contexts.
 */
#ifndef ENG_MODEL_H
#define ENG_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "gguf.h"
#include "quant.h"
#include "slm.h"
#include "tokenizer.h"

typedef enum eng_arch { ENG_ARCH_LLAMA = 0, ENG_ARCH_QWEN2 = 1, ENG_ARCH_PHI3 = 2 } eng_arch;

/* How RoPE pairs dimensions: adjacent (x[2i], x[2i+1]) for llama, or halves
 * (x[i], x[i + n_rot/2]) for the NeoX layout used by qwen2 and phi3. */
typedef enum eng_rope_kind { ENG_ROPE_NORMAL = 0, ENG_ROPE_NEOX = 1 } eng_rope_kind;

/* A 2-D weight: n_out rows of n_in elements (ggml ne[0] = n_in, ne[1] = n_out). */
typedef struct eng_weight {
    const void *data;
    slm_type type;
    int64_t n_in;
    int64_t n_out;
    size_t row_bytes;
    const quant_traits *traits;
    int packed;            /* Q4_0 or Q5_0 rows rearranged at load (packed.h) */
} eng_weight;

typedef struct eng_layer {
    float *attn_norm;          /* [n_embd] */
    eng_weight wq, wk, wv;     /* separate projections (llama, qwen2) */
    eng_weight wqkv;           /* fused (phi3): rows q | k | v */
    float *bq, *bk, *bv;       /* qwen2 biases, NULL otherwise */
    eng_weight wo;
    float *ffn_norm;           /* [n_embd] */
    eng_weight gate, up;       /* separate (llama, qwen2) */
    eng_weight gate_up;        /* fused (phi3): rows gate | up */
    eng_weight down;
} eng_layer;

typedef struct eng_hparams {
    eng_arch arch;
    eng_rope_kind rope_kind;
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_rot, head_dim;
    int n_ctx_train;
    float norm_eps;
    float rope_base;
    float rope_pos_scale;      /* 1 / linear scaling factor (1 when absent) */
    float rope_attn_factor;    /* cos/sin multiplier (phi3 longrope), 1 otherwise */
    int rope_orig_ctx;         /* phi3 longrope: context up to which short factors apply */
} eng_hparams;

struct slm_model {
    gguf_file *file;
    tok_vocab *vocab;          /* NULL when the file has no tokenizer */
    slm_model_info info;
    eng_hparams hp;
    eng_weight tok_embd;       /* [n_vocab] rows of n_embd */
    eng_weight output;         /* tok_embd when tied */
    float *output_norm;
    float *rope_freq_factors;  /* [n_rot/2] divisors of each frequency, NULL if none */
    float *rope_factors_short, *rope_factors_long; /* phi3 longrope, NULL if none */
    eng_layer *layers;
    void *weights_copy;        /* anonymous mapping holding the matrices, NULL if none */
    size_t weights_copy_bytes;
};

/* Bytes of weights a decoded token reads (every matrix once, the embedding row
 * excluded): the numerator of the decode memory-bandwidth bound. */
uint64_t eng_model_decode_bytes(const slm_model *model);

/* The largest n_in of a packed matrix (packed.h), 0 when none is packed. */
int64_t eng_model_packed_max_in(const slm_model *model);

#endif /* ENG_MODEL_H */
