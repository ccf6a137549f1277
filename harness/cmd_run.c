/*
 * cmd_run.c — `slmbench run`: flag parsing for the suite runner (harness/runner.c).
 *
 * Exit status: 0 complete, 2 bad input (missing model, unknown suite, bad
 * flag, unwritable -o), 3 runtime failure or interrupted (finished items are
 * kept either way; --resume DIR continues).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/runner.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench run -m MODEL.gguf [-m MODEL2 ...] [options]\n"
            "  --suite LIST          qa,summarization,code or dataset files (default: all three built-ins)\n"
            "  --threads LIST        thread counts, e.g. 1,2 (default: engine default)\n"
            "  --warmup N            unrecorded generations before each run (default 0)\n"
            "  --reps N              repetitions of every item (default 1)\n"
            "  --cooldown S          seconds of rest between items (default 0)\n"
            "  --limit N             items per suite, deterministic sample (default: all)\n"
            "  --field OURS=THEIRS   dataset field mapping, e.g. --field document=article --field summary=highlights\n"
            "  --shots N             few-shot examples in prompts (default 0)\n"
            "  --max-new-tokens N    cap on generated tokens (default: the task's own)\n"
            "  --ctx N               KV cache length (default: min(train ctx, 4096))\n"
            "  --kv f16|f32          KV cache type (default f16)\n"
            "  --temperature T       0 = greedy (default)   --seed N (default 42)\n"
            "  --chat-template NAME  force a template family | --no-chat-template (raw prompts)\n"
            "  -o DIR                output directory (default runs/<UTC timestamp>)\n"
            "  --resume DIR          continue an interrupted run in DIR (same flags)\n"
            "  --backend local|openai  [--endpoint URL --api-key-env VAR] (-m is then the model name)\n"
            "  --bind-threads        bind engine threads to cores   --no-counters   --probes LIST\n"
            "  --sample-hz HZ        power sampling rate (default 10)   --idle-baseline S (default 1)\n");
}

static int parse_probe_flag(runner_probe_options *p, const char *flag, const char *value,
                            char *err, size_t err_size)
{
    if (!strcmp(flag, "--sample-hz"))
        return cli_double(flag, value, 0.1, 1000, &p->sampler_hz, err, err_size);
    if (!strcmp(flag, "--idle-baseline"))
        return cli_double(flag, value, 0, 600, &p->idle_baseline_s, err, err_size);
    p->probes = value; /* --probes */
    return 0;
}

static int parse_value_flag(runner_options *o, const char *flag, char *value, char *err, size_t err_size)
{
    double d = 0;
    if (!strcmp(flag, "-m") || !strcmp(flag, "--model"))
        return cli_string_list(flag, value, o->models, &o->n_models, err, err_size);
    if (!strcmp(flag, "--suite")) {
        o->n_suites = 0;
        return cli_string_list(flag, value, o->suites, &o->n_suites, err, err_size);
    }
    if (!strcmp(flag, "--threads"))
        return cli_int_list(flag, value, 1, 1024, o->threads, &o->n_threads, err, err_size);
    if (!strcmp(flag, "--warmup"))
        return cli_int(flag, value, 0, 100, &o->warmup, err, err_size);
    if (!strcmp(flag, "--reps"))
        return cli_int(flag, value, 1, 1000, &o->reps, err, err_size);
    if (!strcmp(flag, "--limit"))
        return cli_int(flag, value, 1, 1000000, &o->limit, err, err_size);
    if (!strcmp(flag, "--shots"))
        return cli_int(flag, value, 0, 8, &o->n_shots, err, err_size);
    if (!strcmp(flag, "--max-new-tokens"))
        return cli_int(flag, value, 1, 65536, &o->max_new_tokens, err, err_size);
    if (!strcmp(flag, "--ctx"))
        return cli_int(flag, value, 16, 1 << 20, &o->n_ctx, err, err_size);
    if (!strcmp(flag, "--seed"))
        return cli_u64(flag, value, INT32_MAX, &o->seed, err, err_size);
    if (!strcmp(flag, "--cooldown"))
        return cli_double(flag, value, 0, 3600, &o->cooldown_s, err, err_size);
    if (!strcmp(flag, "--temperature")) {
        if (cli_double(flag, value, 0, 10, &d, err, err_size) != 0)
            return -1;
        o->temperature = (float)d;
        return 0;
    }
    if (!strcmp(flag, "--kv")) {
        if (strcmp(value, "f16") && strcmp(value, "f32")) {
            snprintf(err, err_size, "--kv: '%s' is not f16 or f32", value);
            return -1;
        }
        o->kv_f32 = !strcmp(value, "f32");
        return 0;
    }
    if (!strcmp(flag, "--chat-template")) { o->chat_template = value; return 0; }
    if (!strcmp(flag, "--field")) {
        if (!strchr(value, '=') || o->n_field_maps == 8) {
            snprintf(err, err_size, "--field: '%s' is not ours=theirs (at most 8)", value);
            return -1;
        }
        o->field_map[o->n_field_maps++] = value;
        return 0;
    }
    if (!strcmp(flag, "-o") || !strcmp(flag, "--output")) { o->out_dir = value; return 0; }
    if (!strcmp(flag, "--resume")) { o->out_dir = value; o->resume = 1; return 0; }
    if (!strcmp(flag, "--backend")) { o->backend_name = value; return 0; }
    if (!strcmp(flag, "--endpoint")) { o->endpoint = value; return 0; }
    if (!strcmp(flag, "--api-key-env")) { o->api_key_env = value; return 0; }
    if (!strcmp(flag, "--sample-hz") || !strcmp(flag, "--idle-baseline") || !strcmp(flag, "--probes"))
        return parse_probe_flag(&o->probes, flag, value, err, err_size);
    snprintf(err, err_size, "unknown option '%s' (slmbench run --help)", flag);
    return -1;
}

static int parse_args(runner_options *o, int argc, char **argv, char *err, size_t err_size)
{
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (!strcmp(flag, "--no-chat-template")) o->chat_template = "none";
        else if (!strcmp(flag, "--bind-threads")) o->probes.bind_threads = 1;
        else if (!strcmp(flag, "--no-counters")) o->probes.counters = 0;
        else {
            const char *value = cli_value(argc, argv, &i, err, err_size);
            if (!value || parse_value_flag(o, flag, (char *)value, err, err_size) != 0)
                return -1;
        }
    }
    if (o->n_models == 0) {
        snprintf(err, err_size, "no model given (-m MODEL.gguf)");
        return -1;
    }
    if (strcmp(o->backend_name, "local") && strcmp(o->backend_name, "openai")) {
        snprintf(err, err_size, "--backend: '%s' is not local or openai", o->backend_name);
        return -1;
    }
    if (!strcmp(o->backend_name, "openai") && !o->endpoint) {
        snprintf(err, err_size, "--backend openai needs --endpoint URL");
        return -1;
    }
    return 0;
}

static void default_suites_and_threads(runner_options *o)
{
    static const char *const builtin[] = {"qa", "summarization", "code"};
    if (o->n_suites == 0)
        for (int i = 0; i < 3; i++)
            o->suites[o->n_suites++] = builtin[i];
    if (o->n_threads == 0)
        o->threads[o->n_threads++] = 0;
}

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_OK;
    }
    runner_options o;
    runner_options_default(&o);
    char err[1024] = "";
    char **args = cli_argv_copy(argc, argv);
    if (!args || parse_args(&o, argc, args, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench run: %s\n", args ? err : "out of memory");
        cli_argv_free(argc, args);
        return CMD_USAGE;
    }
    default_suites_and_threads(&o);
    char default_dir[64];
    if (!o.out_dir)
        o.out_dir = cli_default_out_dir("", default_dir, sizeof default_dir);
    o.argc = argc;
    o.argv = argv;
    o.stop = cli_stop_install();
    int rc = runner_run(&o, err, sizeof err);
    if (rc == RUNNER_OK)
        fprintf(stderr, "slmbench run: results in %s/results.json and %s/items.csv\n", o.out_dir, o.out_dir);
    else
        fprintf(stderr, "slmbench run: %s\n", err);
    cli_argv_free(argc, args); /* o's strings point into args */
    return rc == RUNNER_OK ? CMD_OK : rc == RUNNER_BAD_INPUT ? CMD_USAGE : CMD_FAILURE;
}
