/*
 * test_model_load.c — slm_model_load's checks on small GGUFs written here
 * with the GGUF writer: a complete tokenizer-less llama model loads and runs
 * (generation then stops only at max tokens); a missing tensor, a wrong
 * shape, an unsupported architecture or a missing required key fail with one
 * line naming the file and the tensor/key. Also the info accessors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/slm.h"

enum { EMBD = 64, FF = 128, HEADS = 4, KV_HEADS = 2, VOCAB = 96, LAYERS = 1 };

typedef struct variant {
    const char *skip_tensor;   /* tensor left out */
    const char *bad_shape;     /* tensor written with n_out + 32 */
    const char *arch;
    int skip_block_count;
} variant;

static int fill_random(void *user, void *dst, uint64_t n_bytes)
{
    unsigned *seed = user;
    float *f = dst;
    for (uint64_t i = 0; i < n_bytes / sizeof(float); i++) {
        *seed = *seed * 1103515245u + 12345u;
        f[i] = ((float)((*seed >> 8) & 0xffff) / 65535.0f - 0.5f) * 0.2f;
    }
    return 0;
}

static void add(gguf_writer *w, const variant *v, const char *name, uint64_t n_in, uint64_t n_out,
                unsigned *seed)
{
    if (v->skip_tensor && !strcmp(v->skip_tensor, name)) return;
    if (v->bad_shape && !strcmp(v->bad_shape, name)) n_out += 32;
    uint64_t ne[2] = {n_in, n_out};
    assert_int_equal(gguf_writer_add_tensor(w, name, SLM_TYPE_F32, n_out == 1 ? 1 : 2, ne, NULL,
                                            fill_random, seed), 0);
}

static void write_model(const char *path, const variant *v)
{
    static unsigned seed = 7;
    gguf_writer *w = gguf_writer_create();
    assert_non_null(w);
    const char *a = v->arch ? v->arch : "llama";
    char key[96];
#define KEY(s) (snprintf(key, sizeof key, "%s.%s", a, s), key)
    gguf_writer_set_str(w, "general.architecture", a);
    gguf_writer_set_u32(w, KEY("context_length"), 64);
    gguf_writer_set_u32(w, KEY("embedding_length"), EMBD);
    if (!v->skip_block_count) gguf_writer_set_u32(w, KEY("block_count"), LAYERS);
    gguf_writer_set_u32(w, KEY("feed_forward_length"), FF);
    gguf_writer_set_u32(w, KEY("attention.head_count"), HEADS);
    gguf_writer_set_u32(w, KEY("attention.head_count_kv"), KV_HEADS);
    gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
#undef KEY
    int kv = EMBD / HEADS * KV_HEADS;
    add(w, v, "token_embd.weight", EMBD, VOCAB, &seed);
    add(w, v, "output_norm.weight", EMBD, 1, &seed);
    add(w, v, "output.weight", EMBD, VOCAB, &seed);
    add(w, v, "blk.0.attn_norm.weight", EMBD, 1, &seed);
    add(w, v, "blk.0.attn_q.weight", EMBD, EMBD, &seed);
    add(w, v, "blk.0.attn_k.weight", EMBD, (uint64_t)kv, &seed);
    add(w, v, "blk.0.attn_v.weight", EMBD, (uint64_t)kv, &seed);
    add(w, v, "blk.0.attn_output.weight", EMBD, EMBD, &seed);
    add(w, v, "blk.0.ffn_norm.weight", EMBD, 1, &seed);
    add(w, v, "blk.0.ffn_gate.weight", EMBD, FF, &seed);
    add(w, v, "blk.0.ffn_up.weight", EMBD, FF, &seed);
    add(w, v, "blk.0.ffn_down.weight", FF, EMBD, &seed);
    char err[SLM_ERROR_SIZE];
    int rc = gguf_writer_write(w, path, err, sizeof err);
    if (rc != 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    gguf_writer_free(w);
}

static void temp_path(char *buf, size_t size, const char *tag)
{
    snprintf(buf, size, "/tmp/slm_test_model_%ld_%s.gguf", (long)getpid(), tag);
}

static void test_valid_model_without_tokenizer(void **state)
{
    (void)state;
    char path[256], err[SLM_ERROR_SIZE];
    temp_path(path, sizeof path, "ok");
    variant v = {0};
    write_model(path, &v);
    slm_model *m = NULL;
    int rc = slm_model_load(path, &m, err, sizeof err);
    if (rc != 0) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(slm_n_vocab(m), VOCAB);
    slm_model_info info;
    slm_model_get_info(m, &info);
    assert_string_equal(info.arch, "llama");
    assert_int_equal(info.n_layer, LAYERS);
    assert_int_equal(info.n_head_kv, KV_HEADS);
    slm_context *ctx = NULL;
    slm_context_params cp = slm_context_default_params();
    cp.n_threads = 2;
    assert_int_equal(slm_context_create(m, &cp, &ctx, err, sizeof err), 0);
    int32_t prompt[3] = {1, 2, 3};
    slm_generate_params gp = {10, slm_sampler_default_params()};
    slm_generate_stats st;
    assert_int_equal(slm_generate(ctx, prompt, 3, &gp, NULL, NULL, &st, err, sizeof err), 0);
    assert_int_equal(st.n_generated, 10); /* no tokenizer: no EOG, only max tokens */
    assert_int_equal(st.stop_reason, SLM_STOP_MAX_TOKENS);
    slm_context_free(ctx);
    slm_model_free(m);
    unlink(path);
}

static void expect_failure(const variant *v, const char *tag, const char *needle)
{
    char path[256], err[SLM_ERROR_SIZE] = "";
    temp_path(path, sizeof path, tag);
    write_model(path, v);
    slm_model *m = NULL;
    assert_int_not_equal(slm_model_load(path, &m, err, sizeof err), 0);
    assert_null(m);
    printf("%-14s -> %s\n", tag, err);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, needle));
    assert_null(strchr(err, '\n'));
    unlink(path);
}

static void test_load_errors(void **state)
{
    (void)state;
    variant missing = {.skip_tensor = "blk.0.attn_k.weight"};
    expect_failure(&missing, "missing", "blk.0.attn_k.weight");
    variant shape = {.bad_shape = "blk.0.ffn_down.weight"};
    expect_failure(&shape, "shape", "blk.0.ffn_down.weight");
    variant norm = {.skip_tensor = "output_norm.weight"};
    expect_failure(&norm, "norm", "output_norm.weight");
    variant arch = {.arch = "gpt2"};
    expect_failure(&arch, "arch", "gpt2");
    variant key = {.skip_block_count = 1};
    expect_failure(&key, "key", "block_count");
    char err[SLM_ERROR_SIZE];
    slm_model *m = NULL;
    assert_int_not_equal(slm_model_load("/nonexistent/model.gguf", &m, err, sizeof err), 0);
    assert_non_null(strstr(err, "/nonexistent/model.gguf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_model_without_tokenizer),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
