/*
 * cmd_compare.c — `slmbench compare BASE.json NEW.json`: the regression gate.
 *
 * Exit status: 0 nothing regressed, 1 at least one regression, 2 bad input or
 * results that are not comparable (different device, model or config) without
 * --force, 3 a runtime failure (e.g. a report file could not be written).
 * Method and thresholds: results/compare.h.
 */
#include <stdio.h>
#include <string.h>

#include "harness/commands.h"
#include "harness/decide_args.h"
#include "results/compare.h"

typedef struct compare_args {
    const char *base_path, *new_path;
    const char *markdown_path, *junit_path;
    res_compare_options options;
} compare_args;

static void compare_usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench compare BASE.json NEW.json [--metric NAME...] [--threshold PCT]\n"
            "         [--accuracy-threshold POINTS] [--alpha A] [--max-cv CV]\n"
            "         [--markdown FILE] [--junit FILE] [--force] [--paired]\n"
            "  exit 0: no regression, 1: regression, 2: bad input or not comparable\n"
            "  default metrics: decode_tps prefill_tps ttft_ms e2e_ms energy_j rss_peak_bytes accuracy\n"
            "  --paired: suite runs with the same items: per-item Wilcoxon signed-rank instead of\n"
            "            Mann-Whitney U (items differ in length, pairing removes that variance)\n");
}

static int add_metrics(compare_args *args, char *list)
{
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        if (args->options.n_metrics == RES_COMPARE_MAX_METRICS) {
            fprintf(stderr, "slmbench compare: --metric: more than %d metrics\n",
                    RES_COMPARE_MAX_METRICS);
            return -1;
        }
        args->options.metrics[args->options.n_metrics++] = name;
    }
    return 0;
}

static int parse_number_flag(compare_args *args, const char *flag, const char *value)
{
    res_compare_options *o = &args->options;
    if (!strcmp(flag, "--threshold"))
        return decide_parse_double("compare", flag, value, 0, 1000, &o->threshold_pct);
    if (!strcmp(flag, "--accuracy-threshold"))
        return decide_parse_double("compare", flag, value, 0, 100, &o->accuracy_threshold_points);
    if (!strcmp(flag, "--alpha"))
        return decide_parse_double("compare", flag, value, 1e-9, 0.5, &o->alpha);
    return decide_parse_double("compare", flag, value, 0, 100, &o->max_cv);
}

static int parse_flag(compare_args *args, int argc, char **argv, int *i)
{
    const char *flag = argv[*i];
    if (!strcmp(flag, "--force") || !strcmp(flag, "--paired")) {
        *(!strcmp(flag, "--force") ? &args->options.force : &args->options.paired) = 1;
        return 0;
    }
    int known = !strcmp(flag, "--metric") || !strcmp(flag, "--threshold") ||
                !strcmp(flag, "--accuracy-threshold") || !strcmp(flag, "--alpha") ||
                !strcmp(flag, "--max-cv") || !strcmp(flag, "--markdown") ||
                !strcmp(flag, "--junit");
    if (!known) {
        fprintf(stderr, "slmbench compare: %s: unknown option (slmbench compare --help)\n", flag);
        return -1;
    }
    const char *value = decide_flag_value("compare", argc, argv, i);
    if (!value)
        return -1;
    if (!strcmp(flag, "--metric"))
        return add_metrics(args, argv[*i]);
    if (!strcmp(flag, "--markdown"))
        args->markdown_path = value;
    else if (!strcmp(flag, "--junit"))
        args->junit_path = value;
    else
        return parse_number_flag(args, flag, value);
    return 0;
}

static int parse_positional(compare_args *args, const char *value)
{
    if (!args->base_path)
        args->base_path = value;
    else if (!args->new_path)
        args->new_path = value;
    else {
        fprintf(stderr, "slmbench compare: %s: unexpected argument (two result files expected)\n",
                value);
        return -1;
    }
    return 0;
}

/* 0 parsed, 1 help printed, -1 usage error (already reported). */
static int parse_args(int argc, char **argv, compare_args *args)
{
    memset(args, 0, sizeof *args);
    res_compare_default_options(&args->options);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            compare_usage(stdout);
            return 1;
        }
        int status = argv[i][0] == '-' && argv[i][1] ? parse_flag(args, argc, argv, &i)
                                                     : parse_positional(args, argv[i]);
        if (status != 0)
            return -1;
    }
    if (!args->new_path) {
        fprintf(stderr, "slmbench compare: two result files needed: BASE.json NEW.json\n");
        return -1;
    }
    if (decide_output_ok("compare", "--markdown", args->markdown_path) != 0 ||
        decide_output_ok("compare", "--junit", args->junit_path) != 0)
        return -1;
    return 0;
}

static int write_outputs(const compare_args *args, const res_comparison *comparison)
{
    char err[512];
    if (args->markdown_path &&
        res_compare_write_markdown(comparison, args->base_path, args->new_path,
                                   args->markdown_path, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench compare: %s\n", err);
        return -1;
    }
    if (args->junit_path &&
        res_compare_write_junit(comparison, args->junit_path, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench compare: %s\n", err);
        return -1;
    }
    return 0;
}

static int refuse(const res_comparison *comparison, const compare_args *args)
{
    fprintf(stderr, "slmbench compare: %s: not comparable with %s: %s%s (use --force to compare anyway)\n",
            args->new_path, args->base_path, comparison->reasons[0],
            comparison->n_reasons > 1 ? "; and more below" : "");
    for (size_t i = 1; i < comparison->n_reasons; i++)
        printf("not comparable: %s\n", comparison->reasons[i]);
    return CMD_USAGE;
}

static int run_comparison(const compare_args *args, const res_file *base, const res_file *new_file)
{
    char err[512];
    res_comparison comparison;
    int status = res_compare_files(base, new_file, &args->options, &comparison, err, sizeof err);
    if (status < 0) {
        fprintf(stderr, "slmbench compare: %s: %s\n", args->new_path, err);
        return CMD_USAGE;
    }
    if (status > 0)
        return refuse(&comparison, args);
    res_compare_print_text(&comparison, args->base_path, args->new_path, stdout);
    int result = comparison.n_regressions ? CMD_VERDICT : CMD_OK;
    if (write_outputs(args, &comparison) != 0)
        result = CMD_FAILURE;
    res_comparison_free(&comparison);
    return result;
}

/* 1 when some item of the file has the field (numeric or not: "unavailable: ..."
 * counts, the metric exists but was not measured); accuracy comes from scores. */
static int has_field(const res_file *file, const char *metric)
{
    if (!strcmp(metric, "accuracy"))
        return 1;
    const cJSON *run, *item;
    cJSON_ArrayForEach(run, file->runs)
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items"))
            if (cJSON_GetObjectItemCaseSensitive(item, metric))
                return 1;
    return 0;
}

/* A --metric that no item of either file has is a typo: without this check the
 * gate would report it "unavailable" and pass whatever the files say. */
static int check_metrics(const compare_args *args, const res_file *base, const res_file *new_file)
{
    for (size_t i = 0; i < args->options.n_metrics; i++) {
        const char *metric = args->options.metrics[i];
        if (!has_field(base, metric) && !has_field(new_file, metric)) {
            fprintf(stderr, "slmbench compare: --metric %s: no item of %s or %s has this field\n", metric,
                    args->base_path, args->new_path);
            return -1;
        }
    }
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    compare_args args;
    int parsed = parse_args(argc, argv, &args);
    if (parsed != 0)
        return parsed > 0 ? CMD_OK : CMD_USAGE;
    char err[1200];
    res_file base, new_file;
    if (res_file_load(args.base_path, &base, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench compare: %s\n", err);
        return CMD_USAGE;
    }
    if (res_file_load(args.new_path, &new_file, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench compare: %s\n", err);
        res_file_free(&base);
        return CMD_USAGE;
    }
    int status = check_metrics(&args, &base, &new_file) != 0 ? CMD_USAGE
                                                             : run_comparison(&args, &base, &new_file);
    res_file_free(&base);
    res_file_free(&new_file);
    return status;
}
