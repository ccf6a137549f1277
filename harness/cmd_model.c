/*
 * cmd_model.c — `slmbench model info` and `slmbench model synth`.
 *
 *   slmbench model info MODEL.gguf [--json]
 *   slmbench model synth --preset NAME --type TYPE -o OUT.gguf [--seed S]
 *                        [--vocab VOCAB.gguf] [--threads N]
 *
 * info reads only the metadata and tensor table (slm_model_inspect), so it is
 * fast on multi-GB files. synth writes a model with random weights and the
 * exact tensor layout of a real one (engine/synth*.c), atomically.
 * Exit status: 0 ok, 2 bad input (usage, missing/corrupt model, unknown
 * preset/type), 3 runtime failure (cannot write the output).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/slm.h"
#include "harness/cli.h"
#include "harness/commands.h"

static const char model_usage[] =
    "usage: slmbench model info MODEL.gguf [--json]\n"
    "       slmbench model synth --preset NAME --type TYPE -o OUT.gguf [--seed S] [--vocab VOCAB.gguf]\n"
    "                            [--threads N]\n";

static int model_fail(int status, const char *msg)
{
    fprintf(stderr, "slmbench model: %s\n", msg);
    return status;
}

/* ---- info ---------------------------------------------------------------------- */

static const char *model_type_name(int t, char *buf, size_t size)
{
    const char *n = slm_type_name(t);
    if (n)
        return n;
    snprintf(buf, size, "type%d", t);
    return buf;
}

static cJSON *model_info_json(const slm_model_info *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", m->path);
    cJSON_AddStringToObject(o, "name", m->name);
    cJSON_AddStringToObject(o, "architecture", m->arch);
    cJSON_AddNumberToObject(o, "gguf_version", m->gguf_version);
    cJSON_AddNumberToObject(o, "file_bytes", (double)m->file_bytes);
    cJSON_AddNumberToObject(o, "n_params", (double)m->n_params);
    cJSON_AddNumberToObject(o, "tensor_bytes", (double)m->tensor_bytes);
    cJSON_AddNumberToObject(o, "bits_per_weight", m->n_params ? 8.0 * (double)m->tensor_bytes / (double)m->n_params : 0.0);
    cJSON *types = cJSON_AddArrayToObject(o, "tensor_types");
    for (int t = 0; t < SLM_TYPE_COUNT; t++) {
        if (m->type_tensors[t] == 0)
            continue;
        char buf[16];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", model_type_name(t, buf, sizeof buf));
        cJSON_AddNumberToObject(e, "tensors", m->type_tensors[t]);
        cJSON_AddNumberToObject(e, "bytes", (double)m->type_bytes[t]);
        cJSON_AddItemToArray(types, e);
    }
    cJSON_AddNumberToObject(o, "context_length_tokens", m->n_ctx_train);
    cJSON_AddNumberToObject(o, "n_layer", m->n_layer);
    cJSON_AddNumberToObject(o, "n_embd", m->n_embd);
    cJSON_AddNumberToObject(o, "n_head", m->n_head);
    cJSON_AddNumberToObject(o, "n_head_kv", m->n_head_kv);
    cJSON_AddNumberToObject(o, "n_ff", m->n_ff);
    cJSON_AddNumberToObject(o, "n_rot", m->n_rot);
    cJSON_AddNumberToObject(o, "n_vocab", m->n_vocab);
    cJSON_AddNumberToObject(o, "rope_freq_base", m->rope_freq_base);
    cJSON_AddNumberToObject(o, "norm_rms_eps", m->norm_rms_eps);
    cJSON_AddStringToObject(o, "tokenizer_model", m->tokenizer_model);
    cJSON_AddStringToObject(o, "tokenizer_pre", m->tokenizer_pre);
    cJSON_AddBoolToObject(o, "chat_template_present", m->has_chat_template);
    if (m->chat_template_family[0])
        cJSON_AddStringToObject(o, "chat_template_family", m->chat_template_family);
    else
        cJSON_AddNullToObject(o, "chat_template_family");
    cJSON_AddBoolToObject(o, "synthetic", m->synthetic);
    return o;
}

static void model_print_text(const slm_model_info *m)
{
    printf("file            %s\n", m->path);
    printf("name            %s\n", m->name[0] ? m->name : "(none)");
    printf("architecture    %s (GGUF v%u)\n", m->arch, m->gguf_version);
    printf("parameters      %" PRIu64 " (%.1f M)\n", m->n_params, (double)m->n_params / 1e6);
    printf("file size       %" PRIu64 " bytes (%.1f MiB), tensors %" PRIu64 " bytes, %.2f bits/weight\n",
           m->file_bytes, (double)m->file_bytes / 1048576.0, m->tensor_bytes,
           m->n_params ? 8.0 * (double)m->tensor_bytes / (double)m->n_params : 0.0);
    printf("tensor types   ");
    for (int t = 0; t < SLM_TYPE_COUNT; t++) {
        if (m->type_tensors[t] == 0)
            continue;
        char buf[16];
        printf(" %s: %u tensors %.1f MiB (%.1f%%);", model_type_name(t, buf, sizeof buf), m->type_tensors[t],
               (double)m->type_bytes[t] / 1048576.0,
               m->tensor_bytes ? 100.0 * (double)m->type_bytes[t] / (double)m->tensor_bytes : 0.0);
    }
    printf("\n");
    printf("context length  %u tokens\n", m->n_ctx_train);
    printf("layers          %u, embedding %u, heads %u, kv heads %u, feed-forward %u, rope dims %u\n",
           m->n_layer, m->n_embd, m->n_head, m->n_head_kv, m->n_ff, m->n_rot);
    printf("rope base       %g, rms eps %g\n", (double)m->rope_freq_base, (double)m->norm_rms_eps);
    printf("vocabulary      %u tokens, tokenizer %s%s%s%s\n", m->n_vocab,
           m->tokenizer_model[0] ? m->tokenizer_model : "none", m->tokenizer_pre[0] ? " (pre " : "",
           m->tokenizer_pre, m->tokenizer_pre[0] ? ")" : "");
    printf("chat template   %s%s%s\n", m->has_chat_template ? "present" : "absent",
           m->chat_template_family[0] ? ", family " : (m->has_chat_template ? ", family not recognised" : ""),
           m->chat_template_family);
    printf("synthetic       %s\n", m->synthetic ? "yes (random weights: scores are meaningless)" : "no");
}

static int model_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(model_usage, stdout);
            return CMD_OK;
        } else if (argv[i][0] == '-' && argv[i][1])
            return fprintf(stderr, "slmbench model: unknown option '%s' (slmbench model --help)\n", argv[i]), CMD_USAGE;
        else if (path)
            return model_fail(CMD_USAGE, "info takes one model file");
        else
            path = argv[i];
    }
    if (!path)
        return model_fail(CMD_USAGE, "info needs a MODEL.gguf (slmbench model --help)");
    slm_model_info info;
    char err[SLM_ERROR_SIZE];
    if (slm_model_inspect(path, &info, err, sizeof err) != 0)
        return model_fail(CMD_USAGE, err);
    if (!json) {
        model_print_text(&info);
        return CMD_OK;
    }
    cJSON *o = model_info_json(&info);
    int printed = cli_print_json(o);
    cJSON_Delete(o);
    if (printed != 0)
        return model_fail(CMD_FAILURE, "cannot print the JSON (out of memory or stdout closed)");
    return CMD_OK;
}

/* ---- synth ---------------------------------------------------------------------- */

static void model_synth_help(void)
{
    fputs(model_usage, stdout);
    printf("\nWrites a GGUF with random weights (approximately normal: std 0.02, attn_output and ffn_down\n"
           "0.02/sqrt(2 n_layer); norms 1) and the exact tensor names, shapes and hyper-parameters of a\n"
           "real model, for benchmarks without a download.\n"
           "The file says it is synthetic: general.name \"synthetic-PRESET-TYPE\", slmbench.synthetic = true,\n"
           "slmbench.synthetic_seed. Quality scores of a synthetic model are meaningless; speed is real.\n\n"
           "presets:");
    for (int i = 0; slm_synth_preset_name(i); i++)
        printf(" %s", slm_synth_preset_name(i));
    printf("\ntypes:  ");
    for (int i = 0; slm_synth_type_name(i); i++)
        printf(" %s", slm_synth_type_name(i));
    printf("\n\nA single type is used for every matrix (like llama-quantize --pure); norms, biases and rope\n"
           "factors stay F32. Q3_K_M, Q4_K_M, Q5_K_M choose per tensor as llama-quantize does: output (or tied\n"
           "token_embd) Q6_K; attn_v and ffn_down Q6_K on the first/last eighth and every third layer (Q4/Q5);\n"
           "Q3_K_M: attn_v Q5_K on layers 0-1 else Q4_K, ffn_down Q5_K on the first 1/16 else Q4_K,\n"
           "attn_output Q4_K; attn_qkv one step up. A K type on rows not a multiple of 256 falls back to\n"
           "Q5_0 (Q4_K), Q5_1 (Q5_K), Q8_0 (Q6_K) or Q4_0 (Q2_K, Q3_K; llama.cpp would use IQ4_NL).\n\n"
           "Tokenizer: copied from --vocab (default tests/fixtures/tokenizer/ggml-vocab-gpt-2.gguf, GPT-2\n"
           "byte-level BPE, 50257 tokens), NOT the real model's: the first n_vocab tokens are kept (padded with\n"
           "[PAD<id>] UNUSED tokens when the source is smaller), merges whose parts or result were dropped are\n"
           "dropped, and the preset's control tokens (ChatML <|im_start|> <|im_end|> <|endoftext|>; Llama 3\n"
           "header tokens; Phi-3 role tokens; <s> </s>) reuse the source's id or take the last ids. The chat\n"
           "template is slmbench's own minimal one of the family (ChatML, Llama 3, Phi-3, Zephyr). The file\n"
           "records this in slmbench.synthetic_tokenizer_source.\n");
}

typedef struct synth_opts {
    slm_synth_params params;
    const char *out;
} synth_opts;

static int model_synth_parse(int argc, char **argv, synth_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return -1;
        int known = !strcmp(a, "--preset") || !strcmp(a, "--type") || !strcmp(a, "-o") || !strcmp(a, "--out") ||
                    !strcmp(a, "--seed") || !strcmp(a, "--vocab") || !strcmp(a, "--threads");
        if (!known)
            return fprintf(stderr, "slmbench model: unknown option '%s' (slmbench model synth --help)\n", a), CMD_USAGE;
        if (i + 1 >= argc)
            return fprintf(stderr, "slmbench model: missing value for %s\n", a), CMD_USAGE;
        const char *v = argv[++i];
        char *end;
        errno = 0;
        if (!strcmp(a, "--preset")) o->params.preset = v;
        else if (!strcmp(a, "--type")) o->params.type = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--vocab")) o->params.vocab_path = v;
        else if (!strcmp(a, "--seed")) {
            o->params.seed = strtoull(v, &end, 0);
            if (errno || end == v || *end || v[0] == '-')
                return fprintf(stderr, "slmbench model: --seed wants an unsigned integer, got '%s'\n", v), CMD_USAGE;
        } else {
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < 1 || n > 64)
                return fprintf(stderr, "slmbench model: --threads wants 1..64, got '%s'\n", v), CMD_USAGE;
            o->params.n_threads = (int)n;
        }
    }
    return 0;
}

static int model_name_known(const char *(*list)(int), const char *name, int ignore_case)
{
    for (int i = 0; list(i); i++)
        if (ignore_case ? !strcasecmp(list(i), name) : !strcmp(list(i), name))
            return 1;
    return 0;
}

static int model_synth(int argc, char **argv)
{
    synth_opts o;
    int rc = model_synth_parse(argc, argv, &o);
    if (rc == -1) {
        model_synth_help();
        return CMD_OK;
    }
    if (rc != 0)
        return rc;
    if (!o.params.preset || !o.params.type || !o.out)
        return model_fail(CMD_USAGE, "synth needs --preset, --type and -o (slmbench model synth --help)");
    char msg[SLM_ERROR_SIZE];
    if (!model_name_known(slm_synth_preset_name, o.params.preset, 0) && strncmp(o.params.preset, "test-", 5) != 0) {
        snprintf(msg, sizeof msg, "%s: unknown preset '%s' (slmbench model synth --help lists them)", o.out,
                 o.params.preset);
        return model_fail(CMD_USAGE, msg);
    }
    if (!model_name_known(slm_synth_type_name, o.params.type, 1)) {
        snprintf(msg, sizeof msg, "%s: unknown type '%s' (slmbench model synth --help lists them)", o.out,
                 o.params.type);
        return model_fail(CMD_USAGE, msg);
    }
    char err[SLM_ERROR_SIZE] = "";
    if (o.params.vocab_path && cli_input_file_ok(o.params.vocab_path, "vocab", err, sizeof err) != 0)
        return model_fail(CMD_USAGE, err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (slm_model_synth(&o.params, o.out, err, sizeof err) != 0)
        return model_fail(CMD_FAILURE, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    slm_model_info info;
    if (slm_model_inspect(o.out, &info, err, sizeof err) != 0)
        return model_fail(CMD_FAILURE, err);
    printf("wrote %s: %s, %.1f M parameters, %" PRIu64 " bytes, %.2f s\n", o.out, info.name,
           (double)info.n_params / 1e6, info.file_bytes,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return CMD_OK;
}

int cmd_model(int argc, char **argv)
{
    if (argc < 2)
        return model_fail(CMD_USAGE, "expected 'info' or 'synth' (slmbench model --help)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(model_usage, stdout);
        return CMD_OK;
    }
    if (!strcmp(argv[1], "info"))
        return model_info(argc, argv);
    if (!strcmp(argv[1], "synth"))
        return model_synth(argc, argv);
    fprintf(stderr, "slmbench model: unknown subcommand '%s' (expected info or synth)\n", argv[1]);
    return CMD_USAGE;
}
