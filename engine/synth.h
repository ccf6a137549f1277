/*
 * synth.h — synthetic models: random weights with the exact tensor names,
 * shapes and metadata of published small models. Internal to engine/; the
 * public entry point is slm_model_synth in slm.h.
 *
 * Invariants: a preset's hyper-parameters are those of the real model's
 * config.json/GGUF; the tensor plan lists tensors in the order llama.cpp's
 * converter writes them; synth_tensor_type is a pure function of
 * (requested type, tensor kind, layer, row length), so tests can check the
 * per-tensor choice of the _M mixes without writing a file.
 */
#ifndef ENG_SYNTH_H
#define ENG_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "gguf.h"
#include "slm.h"

typedef enum synth_chat {
    SYNTH_CHAT_CHATML = 0,
    SYNTH_CHAT_LLAMA3 = 1,
    SYNTH_CHAT_PHI3 = 2,
    SYNTH_CHAT_ZEPHYR = 3
} synth_chat;

typedef struct synth_preset {
    const char *name;
    const char *real_model;  /* what it imitates, for the file's metadata */
    const char *arch;        /* "llama", "qwen2", "phi3" */
    uint32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
    float rope_base;
    float norm_eps;
    int tied_embeddings;     /* no output.weight: the output reuses token_embd */
    int llama3_rope;         /* rope_freqs.weight from llama3 rope scaling */
    int phi3_longrope;       /* rope_factors_long/short.weight + original context */
    synth_chat chat;
    int hidden;              /* test presets, not listed in --help */
} synth_preset;

/* A requested --type: a single type (every matrix, like llama-quantize --pure)
 * or a K-quant mix (k_mix = 3, 4 or 5 for Q3_K_M, Q4_K_M, Q5_K_M). */
typedef struct synth_type {
    const char *name;
    slm_type base;
    int k_mix;
    uint32_t file_type;      /* general.file_type (llama_ftype) */
} synth_type;

typedef enum synth_kind {
    SYNTH_TOKEN_EMBD, SYNTH_OUTPUT_NORM, SYNTH_OUTPUT, SYNTH_ROPE_FREQS,
    SYNTH_ROPE_LONG, SYNTH_ROPE_SHORT,
    SYNTH_ATTN_NORM, SYNTH_ATTN_Q, SYNTH_ATTN_K, SYNTH_ATTN_V, SYNTH_ATTN_QKV,
    SYNTH_ATTN_Q_BIAS, SYNTH_ATTN_K_BIAS, SYNTH_ATTN_V_BIAS, SYNTH_ATTN_OUT,
    SYNTH_FFN_NORM, SYNTH_FFN_GATE, SYNTH_FFN_UP, SYNTH_FFN_DOWN
} synth_kind;

typedef struct synth_tensor {
    char name[64];
    synth_kind kind;
    int layer;               /* -1 for non-layer tensors */
    uint32_t n_dims;
    uint64_t ne[2];
    slm_type type;
} synth_tensor;

/* 64-bit FNV-1a of a NUL-terminated string: per-tensor seeds and the vocabulary hash table. */
static inline uint64_t synth_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

const synth_preset *synth_find_preset(const char *name);
const synth_type *synth_find_type(const char *name);

/* The type of a tensor: 1-D tensors stay F32; the _M mixes follow
 * llama-quantize's rules (output and tied embeddings Q6_K, attn_v/ffn_down
 * bigger on some layers, attn_qkv one step up); a K type on a row length that
 * is not a multiple of 256 falls back to a 32-block type. */
slm_type synth_tensor_type(const synth_type *type, synth_kind kind, int layer, int n_layer,
                           uint64_t n_in, int tied_embeddings);

/* Every tensor of preset for type: *out is malloc'd (caller frees). */
int synth_plan(const synth_preset *preset, const synth_type *type, synth_tensor **out, size_t *n_out);

/* Fills dst (n_bytes of tensor t's type) with seeded random weights of a
 * realistic scale, quantized with the kernels of quant.h, on n_threads. */
int synth_fill_tensor(const synth_preset *preset, const synth_tensor *t, uint64_t seed,
                      int n_threads, void *dst, uint64_t n_bytes);

/* 0 if every tensor's type has a quantize kernel; else -1 and *missing. */
int synth_check_kernels(const synth_tensor *t, size_t n, slm_type *missing);

/* Tokenizer metadata from vocab_path, fitted to the preset's vocabulary and
 * chat format (see synth_vocab.c for what differs from the real tokenizer). */
int synth_vocab_write(gguf_writer *w, const synth_preset *preset, const char *vocab_path,
                      char *err, size_t err_size);

#endif /* ENG_SYNTH_H */
