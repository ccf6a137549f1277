/*
 * test_synth.c — synthetic models: the per-tensor type rules of the _M mixes,
 * tensor names/shapes/metadata of small hidden presets of each architecture,
 * the fitted tokenizer (specials, merges), determinism across thread counts,
 * loading and evaluating the result with the engine, and error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/model_info.h"
#include "engine/synth.h"
#include "tests/unit/test_tmpdir.h"

#define ERR_SIZE 512

static void synth(const char *tmp_dir, const char *preset, const char *type, uint64_t seed, int threads, char *path, size_t size)
{
    snprintf(path, size, "%s/%s-%s-%llu-%d.gguf", tmp_dir, preset, type, (unsigned long long)seed, threads);
    slm_synth_params p = {preset, type, seed, NULL, threads};
    char err[ERR_SIZE] = "";
    if (slm_model_synth(&p, path, err, sizeof err) != 0)
        fail_msg("synth %s %s failed: %s", preset, type, err);
}

/* ---- type rules ---------------------------------------------------------------- */

static slm_type ty(const char *mix, synth_kind kind, int layer, int n_layer, uint64_t n_in, int tied)
{
    return synth_tensor_type(synth_find_type(mix), kind, layer, n_layer, n_in, tied);
}

static void test_q4_k_m_rules(void **state)
{
    (void)state;
    /* 32 layers: "more bits" layers are 0-3, 28-31 and 4 + 3k + 2 (6, 9, ...). */
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 0, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 4, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 6, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 7, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 28, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_FFN_DOWN, 9, 32, 8192, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_FFN_DOWN, 10, 32, 8192, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_Q, 0, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_FFN_UP, 0, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_QKV, 5, 32, 3072, 0), SLM_TYPE_Q5_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_OUTPUT, -1, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_TOKEN_EMBD, -1, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q4_K_M", SYNTH_TOKEN_EMBD, -1, 32, 2048, 1), SLM_TYPE_Q6_K); /* tied */
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_NORM, 0, 32, 2048, 0), SLM_TYPE_F32);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_Q_BIAS, 0, 32, 2048, 0), SLM_TYPE_F32);
    /* Rows not a multiple of 256 (SmolLM2's 576): 32-block fallbacks. */
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_Q, 3, 30, 576, 0), SLM_TYPE_Q5_0);
    assert_int_equal(ty("Q4_K_M", SYNTH_ATTN_V, 0, 30, 576, 0), SLM_TYPE_Q8_0);
    assert_int_equal(ty("Q4_K_M", SYNTH_TOKEN_EMBD, -1, 30, 576, 1), SLM_TYPE_Q8_0);
}

static void test_q3_q5_k_m_and_single_rules(void **state)
{
    (void)state;
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_V, 1, 32, 2048, 0), SLM_TYPE_Q5_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_V, 2, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_FFN_DOWN, 1, 32, 8192, 0), SLM_TYPE_Q5_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_FFN_DOWN, 2, 32, 8192, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_OUT, 7, 32, 2048, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_QKV, 7, 32, 3072, 0), SLM_TYPE_Q4_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_K, 7, 32, 2048, 0), SLM_TYPE_Q3_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_OUTPUT, -1, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q3_K_M", SYNTH_ATTN_K, 7, 32, 896, 0), SLM_TYPE_Q4_0);
    assert_int_equal(ty("Q5_K_M", SYNTH_ATTN_V, 0, 32, 2048, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q5_K_M", SYNTH_ATTN_V, 5, 32, 2048, 0), SLM_TYPE_Q5_K);
    assert_int_equal(ty("Q5_K_M", SYNTH_ATTN_QKV, 5, 32, 3072, 0), SLM_TYPE_Q6_K);
    assert_int_equal(ty("Q5_K_M", SYNTH_FFN_GATE, 5, 32, 960, 0), SLM_TYPE_Q5_1);
    /* Single types: every matrix, including output and embeddings. */
    assert_int_equal(ty("Q4_0", SYNTH_OUTPUT, -1, 32, 2048, 0), SLM_TYPE_Q4_0);
    assert_int_equal(ty("Q8_0", SYNTH_ATTN_V, 0, 32, 2048, 0), SLM_TYPE_Q8_0);
    assert_int_equal(ty("BF16", SYNTH_TOKEN_EMBD, -1, 32, 2048, 1), SLM_TYPE_BF16);
    assert_int_equal(ty("F16", SYNTH_FFN_NORM, 0, 32, 2048, 0), SLM_TYPE_F32);
    assert_int_equal(ty("Q2_K", SYNTH_ATTN_Q, 0, 32, 960, 0), SLM_TYPE_Q4_0);
    assert_int_equal(ty("q6_k", SYNTH_ATTN_Q, 0, 32, 960, 0), SLM_TYPE_Q8_0); /* case-insensitive */
    assert_null(synth_find_type("Q4_K_S"));
    assert_null(synth_find_preset("gpt-5"));
}

static void test_real_preset_plans(void **state)
{
    (void)state;
    synth_tensor *t;
    size_t n;
    const synth_preset *p = synth_find_preset("qwen2.5-0.5b");
    assert_non_null(p);
    assert_int_equal(synth_plan(p, synth_find_type("Q4_K_M"), &t, &n), 0);
    assert_int_equal(n, 1 + 24 * 12 + 1); /* embd, 24 x (norms 2, qkv 3, biases 3, o, ffn 3), output_norm */
    uint64_t params = 0;
    for (size_t i = 0; i < n; i++)
        params += t[i].ne[0] * t[i].ne[1];
    assert_true(params > 490000000 && params < 500000000); /* Qwen2.5-0.5B: 494 M */
    free(t);
    p = synth_find_preset("llama3.2-1b");
    assert_int_equal(synth_plan(p, synth_find_type("Q8_0"), &t, &n), 0);
    params = 0;
    for (size_t i = 0; i < n; i++)
        params += t[i].ne[0] * t[i].ne[1];
    assert_true(params > 1230000000 && params < 1240000000); /* Llama 3.2 1B: 1.236 B */
    assert_string_equal(t[1].name, "rope_freqs.weight");
    assert_int_equal(t[1].ne[0], 32);
    free(t);
    p = synth_find_preset("phi3.5-mini");
    assert_int_equal(synth_plan(p, synth_find_type("Q4_K_M"), &t, &n), 0);
    params = 0;
    for (size_t i = 0; i < n; i++)
        params += t[i].ne[0] * t[i].ne[1];
    assert_true(params > 3800000000 && params < 3830000000); /* Phi-3.5-mini: 3.82 B */
    free(t);
}

/* ---- written files --------------------------------------------------------------- */

static void check_tensor(const gguf_file *f, const char *name, uint64_t ne0, uint64_t ne1, slm_type type)
{
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t)
        fail_msg("tensor %s missing", name);
    assert_int_equal(t->ne[0], ne0);
    assert_int_equal(t->ne[1], ne1);
    if ((int)type >= 0)
        assert_int_equal(t->type, type);
}

static gguf_file *open_ok(const char *path)
{
    gguf_file *f = NULL;
    char err[ERR_SIZE];
    if (gguf_open(path, &f, err, sizeof err) != 0)
        fail_msg("%s", err);
    return f;
}

static void check_token(const gguf_file *f, uint64_t id, const char *text)
{
    gguf_str s;
    assert_int_equal(gguf_get_array_str(f, "tokenizer.ggml.tokens", id, &s), 0);
    if (!gguf_str_eq(s, text))
        fail_msg("token %llu is '%.*s', expected '%s'", (unsigned long long)id, (int)s.len, s.data, text);
}

static void test_llama_layout_and_metadata(void **state)
{
    const char *tmp_dir = *state;
    char path[512];
    synth(tmp_dir, "test-llama", "Q4_K_M", 7, 2, path, sizeof path);
    gguf_file *f = open_ok(path);
    gguf_str s;
    int b;
    uint64_t seed;
    uint32_t u;
    assert_int_equal(gguf_get_str(f, "general.name", &s), 0);
    assert_true(gguf_str_eq(s, "synthetic-test-llama-Q4_K_M"));
    assert_int_equal(gguf_get_bool(f, "slmbench.synthetic", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(gguf_get_u64(f, "slmbench.synthetic_seed", &seed), 0);
    assert_int_equal(seed, 7);
    assert_int_equal(gguf_get_str(f, "slmbench.synthetic_tokenizer_source", &s), 0);
    assert_int_equal(gguf_get_u32(f, "llama.attention.head_count_kv", &u), 0);
    assert_int_equal(u, 2);
    assert_int_equal(gguf_get_u32(f, "general.file_type", &u), 0);
    assert_int_equal(u, 15);
    check_tensor(f, "token_embd.weight", 256, 1000, SLM_TYPE_Q4_K);
    check_tensor(f, "output.weight", 256, 1000, SLM_TYPE_Q6_K);
    check_tensor(f, "rope_freqs.weight", 32, 1, SLM_TYPE_F32);
    check_tensor(f, "blk.0.attn_v.weight", 256, 128, SLM_TYPE_Q6_K);   /* layer 0 of 8: more bits */
    check_tensor(f, "blk.1.attn_v.weight", 256, 128, SLM_TYPE_Q4_K);
    check_tensor(f, "blk.7.ffn_down.weight", 512, 256, SLM_TYPE_Q6_K);
    check_tensor(f, "blk.3.ffn_gate.weight", 256, 512, SLM_TYPE_Q4_K);
    check_tensor(f, "blk.3.attn_norm.weight", 256, 1, SLM_TYPE_F32);
    /* Zephyr preset: <s> and </s> take the last ids of the GPT-2 vocab. */
    check_token(f, 998, "<s>");
    check_token(f, 999, "</s>");
    check_token(f, 0, "!");
    assert_int_equal(gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &u), 0);
    assert_int_equal(u, 999);
    slm_model_info info;
    char err[ERR_SIZE];
    assert_int_equal(eng_model_info_fill(f, path, &info, err, sizeof err), 0);
    assert_string_equal(info.chat_template_family, "zephyr");
    assert_int_equal(info.synthetic, 1);
    assert_int_equal(info.n_vocab, 1000);
    gguf_close(f);
}

static void test_qwen2_phi3_layouts(void **state)
{
    const char *tmp_dir = *state;
    char path[512];
    synth(tmp_dir, "test-qwen2", "Q8_0", 1, 1, path, sizeof path);
    gguf_file *f = open_ok(path);
    check_tensor(f, "blk.1.attn_q.bias", 256, 1, SLM_TYPE_F32);
    check_tensor(f, "blk.1.attn_k.bias", 128, 1, SLM_TYPE_F32);
    check_tensor(f, "blk.1.attn_v.weight", 256, 128, SLM_TYPE_Q8_0);
    assert_null(gguf_find_tensor(f, "output.weight"));          /* tied */
    check_token(f, 997, "<|endoftext|>");
    check_token(f, 998, "<|im_start|>");
    check_token(f, 999, "<|im_end|>");
    slm_model_info info;
    char err[ERR_SIZE];
    assert_int_equal(eng_model_info_fill(f, path, &info, err, sizeof err), 0);
    assert_string_equal(info.chat_template_family, "chatml");
    assert_string_equal(info.tokenizer_model, "gpt2");
    /* Every kept merge's parts are tokens of the fitted vocab. */
    gguf_value_type et;
    uint64_t n_merges = 0;
    assert_int_equal(gguf_get_array_info(f, "tokenizer.ggml.merges", &et, &n_merges), 0);
    assert_true(n_merges > 100 && n_merges < 1000);
    gguf_close(f);

    synth(tmp_dir, "test-phi3", "F16", 1, 1, path, sizeof path);
    f = open_ok(path);
    check_tensor(f, "blk.0.attn_qkv.weight", 256, 768, SLM_TYPE_F16);
    check_tensor(f, "blk.0.ffn_up.weight", 256, 1024, SLM_TYPE_F16);
    assert_null(gguf_find_tensor(f, "blk.0.ffn_gate.weight"));
    check_tensor(f, "rope_factors_long.weight", 32, 1, SLM_TYPE_F32);
    check_tensor(f, "output.weight", 256, 1000, SLM_TYPE_F16);
    assert_int_equal(eng_model_info_fill(f, path, &info, err, sizeof err), 0);
    assert_string_equal(info.chat_template_family, "phi3");
    gguf_close(f);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *p = malloc(*n);
    assert_int_equal(fread(p, 1, *n, fp), *n);
    fclose(fp);
    return p;
}

static void test_deterministic_across_threads(void **state)
{
    const char *tmp_dir = *state;
    char a[512], b[512], c[512];
    synth(tmp_dir, "test-odd", "Q4_K_M", 42, 1, a, sizeof a);
    synth(tmp_dir, "test-odd", "Q4_K_M", 42, 3, b, sizeof b);
    synth(tmp_dir, "test-odd", "Q4_K_M", 43, 3, c, sizeof c);
    size_t na, nb, nc;
    uint8_t *pa = slurp(a, &na), *pb = slurp(b, &nb), *pc = slurp(c, &nc);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na);
    assert_int_equal(na, nc);   /* same layout; the seed key differs and so do weights */
    assert_memory_not_equal(pa, pc, na);
    free(pa); free(pb); free(pc);
    gguf_file *f = open_ok(a);
    /* n_embd 96: no K type fits, everything falls back to 32-block types. */
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        slm_type t = gguf_tensor_at(f, i)->type;
        assert_true(t == SLM_TYPE_F32 || t == SLM_TYPE_Q5_0 || t == SLM_TYPE_Q8_0 || t == SLM_TYPE_Q4_K ||
                    t == SLM_TYPE_Q6_K);
        if (gguf_tensor_at(f, i)->ne[0] % 256 != 0)
            assert_true(t == SLM_TYPE_F32 || t == SLM_TYPE_Q5_0 || t == SLM_TYPE_Q8_0);
    }
    gguf_close(f);
}

static void test_engine_runs_synthetic_model(void **state)
{
    const char *tmp_dir = *state;
    const char *presets[] = {"test-llama", "test-qwen2", "test-phi3"};
    for (int k = 0; k < 3; k++) {
        char path[512], err[ERR_SIZE];
        synth(tmp_dir, presets[k], k == 2 ? "Q5_K_M" : "Q4_K_M", 3, 2, path, sizeof path);
        slm_model *m = NULL;
        if (slm_model_load(path, &m, err, sizeof err) != 0)
            fail_msg("engine rejects synthetic %s: %s", presets[k], err);
        slm_context_params cp = slm_context_default_params();
        cp.n_ctx = 64;
        cp.n_threads = 1;
        slm_context *ctx = NULL;
        assert_int_equal(slm_context_create(m, &cp, &ctx, err, sizeof err), 0);
        int32_t tokens[4] = {5, 300, 17, 900};
        assert_int_equal(slm_eval(ctx, tokens, 4, NULL, err, sizeof err), 0);
        const float *logits = slm_context_logits(ctx);
        double sum = 0, sum2 = 0;
        for (int i = 0; i < 1000; i++) {
            assert_true(isfinite(logits[i]));
            sum += logits[i];
            sum2 += (double)logits[i] * logits[i];
        }
        double sd = sqrt(sum2 / 1000 - (sum / 1000) * (sum / 1000));
        assert_true(sd > 0.05 && sd < 20.0);   /* neither flat nor exploded */
        slm_context_free(ctx);
        slm_model_free(m);
    }
}

static void test_errors(void **state)
{
    const char *tmp_dir = *state;
    char err[ERR_SIZE];
    slm_synth_params p = {"nope", "Q4_0", 1, NULL, 1};
    assert_int_not_equal(slm_model_synth(&p, "/tmp/x.gguf", err, sizeof err), 0);
    assert_non_null(strstr(err, "unknown preset 'nope'"));
    p.preset = "test-llama";
    p.type = "Q9_9";
    assert_int_not_equal(slm_model_synth(&p, "/tmp/x.gguf", err, sizeof err), 0);
    assert_non_null(strstr(err, "unknown type"));
    p.type = "Q4_0";
    p.vocab_path = "/nonexistent/vocab.gguf";
    assert_int_not_equal(slm_model_synth(&p, "/tmp/x.gguf", err, sizeof err), 0);
    assert_non_null(strstr(err, "/nonexistent/vocab.gguf: "));
    p.vocab_path = "tests/fixtures/engine/tiny-llama-Q4_K_M.gguf"; /* has tokens, works */
    char path[512];
    snprintf(path, sizeof path, "%s/spm.gguf", tmp_dir);
    assert_int_equal(slm_model_synth(&p, path, err, sizeof err), 0);
    p.vocab_path = NULL;
    assert_int_not_equal(slm_model_synth(&p, "/nonexistent-dir/x.gguf", err, sizeof err), 0);
    assert_non_null(strstr(err, "/nonexistent-dir/x.gguf: "));
    assert_int_equal(slm_synth_preset_name(0) != NULL, 1);
    for (int i = 0; slm_synth_preset_name(i); i++)
        assert_null(strstr(slm_synth_preset_name(i), "test-"));   /* hidden */
}

/* A minimal metadata-only llama file with one key left out or overridden. */
static int info_of(const char *tmp_dir, const char *skip, const char *arch, uint32_t kv_heads, char *err)
{
    gguf_writer *w = gguf_writer_create();
    const char *keys[] = {"llama.context_length", "llama.embedding_length", "llama.block_count",
                          "llama.feed_forward_length", "llama.attention.head_count"};
    const uint32_t vals[] = {512, 256, 2, 512, 4};
    gguf_writer_set_str(w, "general.architecture", arch);
    for (int i = 0; i < 5; i++)
        if (!skip || strcmp(skip, keys[i]) != 0)
            gguf_writer_set_u32(w, keys[i], vals[i]);
    if (!skip || strcmp(skip, "eps") != 0)
        gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    if (kv_heads)
        gguf_writer_set_u32(w, "llama.attention.head_count_kv", kv_heads);
    gguf_writer_set_u32(w, "llama.vocab_size", 100);
    char path[512];
    snprintf(path, sizeof path, "%s/info.gguf", tmp_dir);
    assert_int_equal(gguf_writer_write(w, path, err, ERR_SIZE), 0);
    gguf_writer_free(w);
    slm_model_info info;
    int rc = slm_model_inspect(path, &info, err, ERR_SIZE);
    if (rc == 0) {
        assert_int_equal(info.n_head_kv, kv_heads ? kv_heads : 4);
        assert_int_equal(info.n_rot, 64);
        assert_int_equal(info.n_vocab, 100);
        assert_true(info.rope_freq_base == 10000.0f);
    }
    return rc;
}

static void test_model_info_required_keys(void **state)
{
    const char *tmp_dir = *state;
    char err[ERR_SIZE];
    assert_int_equal(info_of(tmp_dir, NULL, "llama", 0, err), 0);   /* defaults applied */
    assert_int_equal(info_of(tmp_dir, NULL, "llama", 2, err), 0);
    assert_int_not_equal(info_of(tmp_dir, "llama.block_count", "llama", 0, err), 0);
    assert_non_null(strstr(err, "required key 'llama.block_count' is missing"));
    assert_int_not_equal(info_of(tmp_dir, "eps", "llama", 0, err), 0);
    assert_non_null(strstr(err, "layer_norm_rms_epsilon"));
    assert_int_not_equal(info_of(tmp_dir, NULL, "llama", 3, err), 0);
    assert_non_null(strstr(err, "not a multiple of head_count_kv 3"));
    assert_int_not_equal(info_of(tmp_dir, NULL, "gpt2", 0, err), 0);
    assert_non_null(strstr(err, "architecture 'gpt2' is not supported"));
    assert_non_null(strstr(err, "info.gguf: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q4_k_m_rules),
        cmocka_unit_test(test_q3_q5_k_m_and_single_rules),
        cmocka_unit_test(test_real_preset_plans),
        cmocka_unit_test(test_llama_layout_and_metadata),
        cmocka_unit_test(test_qwen2_phi3_layouts),
        cmocka_unit_test(test_deterministic_across_threads),
        cmocka_unit_test(test_engine_runs_synthetic_model),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_model_info_required_keys),
    };
    return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
