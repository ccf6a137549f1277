/*
 * test_chat.c — chat template families: recognition from template text (the
 * real Phi-3 template from the fixture vocabulary and excerpts of the other
 * families' published templates), exact rendering per family (what each
 * family's own Jinja template emits for the same turns, leading BOS left to
 * the tokenizer), overrides, and the errors for unknown templates and roles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

static const char qwen2_template[] =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
static const char llama3_template[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
static const char llama2_template[] =
    "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + "
    "system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% endif %}{% if message['role'] == "
    "'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% endif %}";
static const char mistral_template[] =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + "
    "message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] "
    "+ eos_token}}{% endif %}{% endfor %}";
static const char gemma_template[] =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role "
    "= 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + "
    "'\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt "
    "%}{{'<start_of_turn>model\n'}}{% endif %}";
static const char zephyr_template[] =
    "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + "
    "message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'"
    "  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n"
    "{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
static const char deepseek_coder_template[] =
    "{{bos_token}}{%- if not ns.found -%}{{'You are an AI programming assistant, utilizing the "
    "Deepseek Coder model.\\n'}}{%- endif %}{%- for message in messages %}{%- if message['role'] == "
    "'system' %}{{ message['content'] }}{%- else %}{%- if message['role'] == 'user' %}{{'### "
    "Instruction:\\n' + message['content'] + '\\n'}}{%- else %}{{'### Response:\\n' + "
    "message['content'] + '\\n<|EOT|>\\n'}}{%- endif %}{%- endif %}{%- endfor %}{% if "
    "add_generation_prompt %}{{'### Response:'}}{% endif %}";
static const char deepseek_chat_template[] =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ 'User: ' + "
    "message['content'] + '\n\n' }}{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + "
    "message['content'] + eos_token }}{% elif message['role'] == 'system' %}{{ message['content'] + "
    "'\n\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

static const slm_chat_message sys_user[] = {{"system", "Be brief."}, {"user", "Hi there"}};
static const slm_chat_message user_only[] = {{"user", "Hi there"}};
static const slm_chat_message multi_turn[] = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}};

static char *render(const char *family, const char *tmpl, const slm_chat_message *m, int n, int gen)
{
    chat_template_input in = {m, n, gen, tmpl, tmpl ? strlen(tmpl) : 0, "<s>", "</s>"};
    char err[512], *out = NULL;
    if (chat_render_family(family, &in, &out, err, sizeof err) != 0)
        fail_msg("render %s: %s", family, err);
    return out;
}

static void expect(const char *family, const char *tmpl, const slm_chat_message *m, int n, int gen,
                   const char *expected)
{
    char *out = render(family, tmpl, m, n, gen);
    if (strcmp(out, expected) != 0)
        fprintf(stderr, "%s rendered:\n[%s]\nexpected:\n[%s]\n", family, out, expected);
    assert_string_equal(out, expected);
    free(out);
}

static void test_detect_families(void **state)
{
    (void)state;
    struct { const char *tmpl, *family; } cases[] = {
        {qwen2_template, "chatml"},   {llama3_template, "llama3"},  {llama2_template, "llama2"},
        {mistral_template, "llama2"}, {gemma_template, "gemma"},    {zephyr_template, "zephyr"},
        {deepseek_coder_template, "deepseek"}, {deepseek_chat_template, "deepseek"},
        {"chatml", "chatml"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = chat_detect_family(cases[i].tmpl, strlen(cases[i].tmpl));
        assert_non_null(got);
        assert_string_equal(got, cases[i].family);
    }
    const char *unknown = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    assert_null(chat_detect_family(unknown, strlen(unknown)));
    assert_null(chat_detect_family("", 0));
    assert_null(chat_detect_family(NULL, 0));
}

static void test_render_chatml(void **state)
{
    (void)state;
    expect("chatml", NULL, sys_user, 2, 1,
           "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
           "<|im_start|>assistant\n");
    /* Qwen2's template supplies its own default system prompt. */
    expect("chatml", qwen2_template, user_only, 1, 1,
           "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
           "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    expect("qwen", NULL, user_only, 1, 0, "<|im_start|>user\nHi there<|im_end|>\n");
}

static void test_render_llama3(void **state)
{
    (void)state;
    slm_chat_message padded[] = {{"user", "  Hi there \n"}};
    expect("llama3", llama3_template, padded, 1, 1,
           "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect("llama3", NULL, sys_user, 2, 0,
           "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
           "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>");
}

/* Llama 3.1/3.2: a dated system turn always comes first (the template's fallback date). */
static const char llama32_template[] =
    "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n"
    "        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n"
    "        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n"
    "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
    "{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
    "{{- system_message }}\n{{- \"<|eot_id|>\" }}\n{%- for message in messages %}{{- '<|start_header_id|>' + "
    "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}{%- endfor %}";

static void test_render_llama32_dated_system(void **state)
{
    (void)state;
    expect("llama3", llama32_template, user_only, 1, 1,
           "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
           "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
           "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect("llama3", llama32_template, sys_user, 2, 0,
           "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
           "Today Date: 26 Jul 2024\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
           "Hi there<|eot_id|>");
}

static void test_render_llama2_and_mistral(void **state)
{
    (void)state;
    expect("llama2", llama2_template, multi_turn, 4, 1,
           "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Bye [/INST]");
    expect("llama2", mistral_template, multi_turn, 4, 1,
           "[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] Bye [/INST]");
}

static void test_render_phi3_gemma_zephyr(void **state)
{
    (void)state;
    expect("phi3", NULL, sys_user, 2, 1,
           "<|system|>\nBe brief.<|end|>\n<|user|>\nHi there<|end|>\n<|assistant|>\n");
    expect("gemma", gemma_template, multi_turn, 4, 1,
           "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
           "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
    expect("zephyr", zephyr_template, sys_user, 2, 1,
           "<|system|>\nBe brief.</s>\n<|user|>\nHi there</s>\n<|assistant|>\n");
}

static void test_render_deepseek(void **state)
{
    (void)state;
    expect("deepseek", deepseek_coder_template, user_only, 1, 1,
           "You are an AI programming assistant, utilizing the Deepseek Coder model.\n"
           "### Instruction:\nHi there\n### Response:");
    expect("deepseek", deepseek_coder_template, multi_turn, 4, 0,
           "Be brief.### Instruction:\nHi\n### Response:\nHello!\n<|EOT|>\n### Instruction:\nBye\n");
    expect("deepseek", deepseek_chat_template, multi_turn, 4, 1,
           "Be brief.\n\nUser: Hi\n\nAssistant: Hello!</s>User: Bye\n\nAssistant:");
}

static void test_render_errors(void **state)
{
    (void)state;
    chat_template_input in = {user_only, 1, 1, NULL, 0, "<s>", "</s>"};
    char err[512], *out = (char *)1;
    assert_int_not_equal(chat_render_family("alpaca", &in, &out, err, sizeof err), 0);
    assert_null(out);
    assert_non_null(strstr(err, "alpaca"));
    slm_chat_message tool[] = {{"tool", "x"}};
    in.messages = tool;
    assert_int_not_equal(chat_render_family("gemma", &in, &out, err, sizeof err), 0);
    assert_non_null(strstr(err, "tool"));
    slm_chat_message no_content[] = {{"user", NULL}};
    in.messages = no_content;
    assert_int_not_equal(chat_render_family("chatml", &in, &out, err, sizeof err), 0);
}

/* Through the public API on a real vocabulary file: Phi-3's own template. */
static void test_slm_chat_render_phi3_vocab(void **state)
{
    (void)state;
    slm_model *m = NULL;
    char err[512], *out = NULL;
    assert_int_equal(slm_vocab_load("tests/fixtures/tokenizer/ggml-vocab-phi-3.gguf", &m, err, sizeof err), 0);
    assert_int_equal(slm_chat_render(m, NULL, user_only, 1, 1, &out, err, sizeof err), 0);
    assert_string_equal(out, "<|user|>\nHi there<|end|>\n<|assistant|>\n");
    int32_t *ids = NULL;
    int n = 0;
    assert_int_equal(slm_tokenize(m, out, strlen(out), slm_add_bos_default(m), 1, &ids, &n, err, sizeof err), 0);
    /* Phi-3's chat tokens absorb the newline after them (rstrip in its
     * tokenizer.json): BOS <|user|> ▁Hi ▁there <|end|> <|assistant|>. */
    assert_int_equal(n, 6);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 32010);
    assert_int_equal(ids[2], 6324); /* ▁Hi */
    assert_int_equal(ids[3], 727);  /* ▁there */
    assert_int_equal(ids[4], 32007);
    assert_int_equal(ids[5], 32001);
    free(ids);
    free(out);
    slm_model_free(m);

    /* GPT-2 has no template: an error naming the file unless a family is named. */
    assert_int_equal(slm_vocab_load("tests/fixtures/tokenizer/ggml-vocab-gpt-2.gguf", &m, err, sizeof err), 0);
    assert_int_not_equal(slm_chat_render(m, NULL, user_only, 1, 1, &out, err, sizeof err), 0);
    assert_non_null(strstr(err, "ggml-vocab-gpt-2.gguf"));
    assert_int_equal(slm_chat_render(m, "chatml", user_only, 1, 1, &out, err, sizeof err), 0);
    assert_string_equal(out, "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    free(out);
    slm_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_families),
        cmocka_unit_test(test_render_chatml),
        cmocka_unit_test(test_render_llama3),
        cmocka_unit_test(test_render_llama32_dated_system),
        cmocka_unit_test(test_render_llama2_and_mistral),
        cmocka_unit_test(test_render_phi3_gemma_zephyr),
        cmocka_unit_test(test_render_deepseek),
        cmocka_unit_test(test_render_errors),
        cmocka_unit_test(test_slm_chat_render_phi3_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
