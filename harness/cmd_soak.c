/*
 * cmd_soak.c — `slmbench soak -m MODEL --minutes M`: flag parsing for the
 * sustained-decode test (harness/runner_soak.c).
 *
 * Exit status: 0 done, 2 bad input, 3 runtime failure or interrupted (finished
 * windows kept).
 */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/runner.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: slmbench soak -m MODEL.gguf [--minutes M] [--window S] [-t THREADS] [--ctx N]\n"
                 "       [--prompt-tokens N] [--seed N] [-o DIR] [--bind-threads] [--probes LIST] [--sample-hz HZ]\n"
                 "  sustained decode for M minutes (default 5) in S-second windows (default 10):\n"
                 "  throughput, power, temperature and frequency per window; throttling flagged\n");
}

static int parse_value(soak_options *o, const char *flag, const char *value, char *err, size_t err_size)
{
    if (!strcmp(flag, "-m") || !strcmp(flag, "--model")) { o->model = value; return 0; }
    if (!strcmp(flag, "--minutes")) return cli_double(flag, value, 0.01, 24 * 60, &o->minutes, err, err_size);
    if (!strcmp(flag, "--window")) return cli_double(flag, value, 0.1, 3600, &o->window_s, err, err_size);
    if (!strcmp(flag, "-t") || !strcmp(flag, "--threads")) return cli_int(flag, value, 1, 1024, &o->threads, err, err_size);
    if (!strcmp(flag, "--ctx")) return cli_int(flag, value, 16, 1 << 20, &o->n_ctx, err, err_size);
    if (!strcmp(flag, "--prompt-tokens")) return cli_int(flag, value, 1, 512, &o->prompt_tokens, err, err_size);
    if (!strcmp(flag, "-o") || !strcmp(flag, "--output")) { o->out_dir = value; return 0; }
    if (!strcmp(flag, "--probes")) { o->probes.probes = value; return 0; }
    if (!strcmp(flag, "--sample-hz")) return cli_double(flag, value, 0.1, 1000, &o->probes.sampler_hz, err, err_size);
    if (!strcmp(flag, "--idle-baseline")) return cli_double(flag, value, 0, 600, &o->probes.idle_baseline_s, err, err_size);
    if (!strcmp(flag, "--seed"))
        return cli_u64(flag, value, INT32_MAX, &o->seed, err, err_size);
    snprintf(err, err_size, "unknown option '%s' (slmbench soak --help)", flag);
    return -1;
}

int cmd_soak(int argc, char **argv)
{
    soak_options o;
    soak_options_default(&o);
    o.probes.counters = 0; /* counters are per generation; a soak has windows, not phases */
    char err[1024] = "";
    for (int i = 1; i < argc && !err[0]; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CMD_OK;
        }
        if (!strcmp(argv[i], "--bind-threads")) {
            o.probes.bind_threads = 1;
            continue;
        }
        const char *flag = argv[i], *value = cli_value(argc, argv, &i, err, sizeof err);
        if (value)
            parse_value(&o, flag, value, err, sizeof err);
    }
    if (!err[0] && !o.model)
        snprintf(err, sizeof err, "no model given (-m MODEL.gguf)");
    if (!err[0])
        cli_input_file_ok(o.model, "model", err, sizeof err);
    if (err[0]) {
        fprintf(stderr, "slmbench soak: %s\n", err);
        return CMD_USAGE;
    }
    char dir[64];
    if (!o.out_dir)
        o.out_dir = cli_default_out_dir("soak-", dir, sizeof dir);
    o.argc = argc;
    o.argv = argv;
    o.stop = cli_stop_install();
    int rc = runner_soak(&o, err, sizeof err);
    if (rc == RUNNER_OK) {
        fprintf(stderr, "slmbench soak: results in %s/results.json\n", o.out_dir);
        return CMD_OK;
    }
    fprintf(stderr, "slmbench soak: %s\n", err);
    return rc == RUNNER_BAD_INPUT ? CMD_USAGE : CMD_FAILURE;
}
