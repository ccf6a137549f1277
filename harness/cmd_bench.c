/*
 * cmd_bench.c — `slmbench bench`: flag parsing for the synthetic pp/tg sweep
 * (harness/runner_bench.c).
 *
 * Exit status: 0 done, 2 bad input (flags, missing/invalid model, unwritable
 * -o), 3 runtime failure or interrupted (finished reps kept with -o FILE.json).
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/runner.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench bench -m MODEL.gguf [-m MODEL2 ...] [options]\n"
            "  -p LIST   prompt sizes for pp tests (default 512)\n"
            "  -n LIST   generation sizes for tg tests (default 128)\n"
            "  -t LIST   thread counts (default: engine default)\n"
            "  -r N      measured repetitions (default 5)   --warmup N (default 1)\n"
            "  --no-pp-tg            skip the combined ppN+tgM tests\n"
            "  --ctx N   KV cache length (default: engine default)   --kv f16|f32   --seed N\n"
            "  --output-format md|csv|json (default md)   -o FILE (default stdout)\n"
            "  --bind-threads   --no-counters   --probes LIST   --sample-hz HZ   --idle-baseline S\n");
}

static int parse_value(bench_options *o, const char *flag, char *value, char *err, size_t err_size)
{
    if (!strcmp(flag, "-m") || !strcmp(flag, "--model"))
        return cli_string_list(flag, value, o->models, &o->n_models, err, err_size);
    if (!strcmp(flag, "-p"))
        return cli_int_list(flag, value, 1, 1 << 20, o->prompt_sizes, &o->n_prompt_sizes, err, err_size);
    if (!strcmp(flag, "-n"))
        return cli_int_list(flag, value, 1, 1 << 20, o->gen_sizes, &o->n_gen_sizes, err, err_size);
    if (!strcmp(flag, "-t") || !strcmp(flag, "--threads"))
        return cli_int_list(flag, value, 1, 1024, o->threads, &o->n_threads, err, err_size);
    if (!strcmp(flag, "-r") || !strcmp(flag, "--reps"))
        return cli_int(flag, value, 1, 10000, &o->reps, err, err_size);
    if (!strcmp(flag, "--warmup"))
        return cli_int(flag, value, 0, 100, &o->warmup, err, err_size);
    if (!strcmp(flag, "--ctx"))
        return cli_int(flag, value, 16, 1 << 20, &o->n_ctx, err, err_size);
    if (!strcmp(flag, "--seed"))
        return cli_u64(flag, value, INT32_MAX, &o->seed, err, err_size);
    if (!strcmp(flag, "--kv")) {
        if (strcmp(value, "f16") && strcmp(value, "f32")) {
            snprintf(err, err_size, "--kv: '%s' is not f16 or f32", value);
            return -1;
        }
        o->kv_f32 = !strcmp(value, "f32");
        return 0;
    }
    if (!strcmp(flag, "--output-format"))
        return cli_format_parse(value, &o->format, err, err_size);
    if (!strcmp(flag, "-o") || !strcmp(flag, "--output")) { o->output = value; return 0; }
    if (!strcmp(flag, "--probes")) { o->probes.probes = value; return 0; }
    if (!strcmp(flag, "--sample-hz"))
        return cli_double(flag, value, 0.1, 1000, &o->probes.sampler_hz, err, err_size);
    if (!strcmp(flag, "--idle-baseline"))
        return cli_double(flag, value, 0, 600, &o->probes.idle_baseline_s, err, err_size);
    snprintf(err, err_size, "unknown option '%s' (slmbench bench --help)", flag);
    return -1;
}

static int parse_args(bench_options *o, int argc, char **argv, char *err, size_t err_size)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-pp-tg")) o->pp_tg = 0;
        else if (!strcmp(argv[i], "--bind-threads")) o->probes.bind_threads = 1;
        else if (!strcmp(argv[i], "--no-counters")) o->probes.counters = 0;
        else {
            const char *flag = argv[i];
            const char *value = cli_value(argc, argv, &i, err, err_size);
            if (!value || parse_value(o, flag, (char *)value, err, err_size) != 0)
                return -1;
        }
    }
    if (o->n_models == 0) {
        snprintf(err, err_size, "no model given (-m MODEL.gguf)");
        return -1;
    }
    for (int m = 0; m < o->n_models; m++)
        if (cli_input_file_ok(o->models[m], "model", err, err_size) != 0)
            return -1;
    if (o->output && cli_output_file_ok("-o", o->output, err, err_size) != 0)
        return -1;
    if (o->n_threads == 0)
        o->threads[o->n_threads++] = 0;
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CMD_OK;
    }
    bench_options o;
    bench_options_default(&o);
    char err[1024] = "";
    char **args = cli_argv_copy(argc, argv);
    if (!args || parse_args(&o, argc, args, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench bench: %s\n", args ? err : "out of memory");
        cli_argv_free(argc, args);
        return CMD_USAGE;
    }
    o.argc = argc;
    o.argv = argv;
    o.stop = cli_stop_install();
    int rc = runner_bench(&o, err, sizeof err);
    if (rc != RUNNER_OK)
        fprintf(stderr, "slmbench bench: %s\n", err);
    cli_argv_free(argc, args); /* o's strings point into args */
    return rc == RUNNER_OK ? CMD_OK : rc == RUNNER_BAD_INPUT ? CMD_USAGE : CMD_FAILURE;
}
