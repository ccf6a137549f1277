/*
 * main.c — the slmbench command line: dispatches to one subcommand.
 *
 * The only place that turns a status into a process exit code. SIGPIPE is
 * ignored so that `slmbench ... | head` ends with a write error, not a signal.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/commands.h"
#include "engine/slm.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"model", cmd_model, "model info MODEL.gguf [--json] | model synth --preset NAME --type TYPE -o OUT.gguf"},
    {"logits", cmd_logits, "write the logits of every position for a token list"},
    {"generate", cmd_generate, "generate tokens from a prompt, with timings"},
    {"tokenize", cmd_tokenize, "text -> token ids with the model's tokenizer"},
    {"detokenize", cmd_detokenize, "token ids -> text"},
    {"device", cmd_device, "device fingerprint, counters, power probes; --sample S measures power"},
    {"run", cmd_run, "benchmark models over task suites; writes results, items.csv, report"},
    {"bench", cmd_bench, "synthetic prefill/decode sweep (like llama-bench)"},
    {"soak", cmd_soak, "sustained decode over minutes: throughput, power, temperature, throttling"},
    {"score", cmd_score, "score predictions made elsewhere with slmbench's scorers"},
    {"report", cmd_report, "Markdown report and charts from result files"},
    {"compare", cmd_compare, "regression gate between two result files"},
    {"history", cmd_history, "store and show results over time (SQLite)"},
    {"carbon", cmd_carbon, "energy per query converted to gCO2e"},
    {"route", cmd_route, "cloud-vs-local thresholds on the confidence signal"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: slmbench COMMAND [options]   (slmbench COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CMD_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CMD_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("slmbench %s (commit %s, %s, kernels %s)\n", build_version(), build_git_commit(),
               build_compiler(), slm_simd_path());
        return CMD_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "slmbench: unknown command '%s' (slmbench --help lists them)\n", argv[1]);
    return CMD_USAGE;
}
