/*
 * cmd_history.c — `slmbench history add RESULTS.json [--db FILE]` and
 * `slmbench history show --metric NAME [--model M] [--device D] [--run-key K]
 *  [--min-shift PCT] [--min-segment N] [--chart OUT_BASE] [--db FILE]`.
 *
 * Storage, series and the change-point rule: results/history.h. Exit 0 ok,
 * 2 bad input (a file that is not results, an unusable database, bad flags),
 * 3 the chart could not be written. A missing gnuplot is a notice, not an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/commands.h"
#include "harness/decide_args.h"
#include "results/history.h"

typedef struct history_args {
    const char *db_path;
    const char *results_path;
    res_history_filter filter;
    double min_shift_pct;
    int min_segment;
    const char *chart_base;
    int no_chart;
} history_args;

static void history_usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench history add RESULTS.json [--db FILE]\n"
            "       slmbench history show --metric NAME [--model NAME|SHA] [--device ID]\n"
            "            [--run-key KEY] [--min-shift PCT] [--min-segment N] [--chart OUT_BASE | --no-chart]\n"
            "            [--db FILE]   (default chart: history_METRIC.png/.svg beside the database)\n"
            "  default db: %s; change points: binary segmentation on per-run medians,\n"
            "  kept when the level shifts >= --min-shift %% (default 5) with >= --min-segment runs\n"
            "  (default 2) on each side\n",
            RES_HISTORY_DEFAULT_DB);
}

static int parse_value_flag(history_args *args, const char *flag, const char *value)
{
    if (!strcmp(flag, "--db"))
        args->db_path = value;
    else if (!strcmp(flag, "--metric"))
        args->filter.metric = value;
    else if (!strcmp(flag, "--model"))
        args->filter.model = value;
    else if (!strcmp(flag, "--device"))
        args->filter.device = value;
    else if (!strcmp(flag, "--run-key"))
        args->filter.run_key = value;
    else if (!strcmp(flag, "--chart"))
        args->chart_base = value;
    else if (!strcmp(flag, "--min-shift"))
        return decide_parse_double("history", flag, value, 0, 1000, &args->min_shift_pct);
    else if (!strcmp(flag, "--min-segment"))
        return decide_parse_int("history", flag, value, 1, 1000, &args->min_segment);
    else {
        fprintf(stderr, "slmbench history: %s: unknown option (slmbench history --help)\n", flag);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, history_args *args)
{
    memset(args, 0, sizeof *args);
    args->db_path = RES_HISTORY_DEFAULT_DB;
    args->min_shift_pct = 5;
    args->min_segment = 2;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-chart")) {
            args->no_chart = 1;
        } else if (argv[i][0] == '-') {
            const char *value = decide_flag_value("history", argc, argv, &i);
            if (!value || parse_value_flag(args, argv[i - 1], value) != 0)
                return -1;
        } else if (!args->results_path) {
            args->results_path = argv[i];
        } else {
            fprintf(stderr, "slmbench history: %s: unexpected argument\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int history_add(const history_args *args)
{
    if (!args->results_path) {
        fprintf(stderr, "slmbench history add: a results file is needed\n");
        return CMD_USAGE;
    }
    char err[1200];
    res_file file;
    if (res_file_load(args->results_path, &file, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench history: %s\n", err);
        return CMD_USAGE;
    }
    sqlite3 *db;
    size_t added = 0, duplicates = 0;
    int status = res_history_open(args->db_path, 1, &db, err, sizeof err);
    if (status == 0) {
        status = res_history_add(db, &file, &added, &duplicates, err, sizeof err);
        res_history_close(db);
    }
    res_file_free(&file);
    if (status != 0) {
        fprintf(stderr, "slmbench history: %s: %s (database %s)\n", args->results_path, err,
                args->db_path);
        return CMD_USAGE;
    }
    printf("history: %s: %zu run(s) added, %zu already stored, in %s\n", args->results_path, added,
           duplicates, args->db_path);
    return CMD_OK;
}

static void print_points(const res_history_point *points, size_t n, const char *metric)
{
    const char *series = NULL;
    for (size_t i = 0; i < n; i++) {
        const res_history_point *p = &points[i];
        if (!series || strcmp(series, p->run_key) || (i && (strcmp(p->model_sha256, points[i - 1].model_sha256) ||
                                                          strcmp(p->device_id, points[i - 1].device_id)))) {
            series = p->run_key;
            printf("\nseries: model %s | device %.16s | %s\n", p->model, p->device_id, p->run_key);
            printf("  %-22s %-14s %14s %6s  %s\n", "created_utc", "git_commit", metric, "n", "");
        }
        char marker[64] = "";
        if (p->change_point)
            snprintf(marker, sizeof marker, "<- change point (%+.1f%%)", p->shift_pct);
        printf("  %-22s %-14.14s %14.6g %6d  %s\n", p->created_utc, p->git_commit, p->median, p->n,
               marker);
    }
}

/* --chart, else history_<metric> beside the database. */
static void default_chart_base(const history_args *args, char *out, size_t size)
{
    if (args->chart_base) {
        snprintf(out, size, "%s", args->chart_base);
        return;
    }
    const char *slash = strrchr(args->db_path, '/');
    snprintf(out, size, "%.*shistory_%s", slash ? (int)(slash - args->db_path + 1) : 0,
             args->db_path, args->filter.metric);
}

static int history_show(const history_args *args)
{
    if (!args->filter.metric) {
        fprintf(stderr, "slmbench history show: --metric NAME is required (e.g. decode_tps)\n");
        return CMD_USAGE;
    }
    char err[1200];
    if (!res_history_metric_known(args->filter.metric, err, sizeof err)) {
        fprintf(stderr, "slmbench history show: --metric %s: not a metric history stores (%s)\n",
                args->filter.metric, err);
        return CMD_USAGE;
    }
    sqlite3 *db;
    if (res_history_open(args->db_path, 0, &db, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench history: %s\n", err);
        return CMD_USAGE;
    }
    res_history_point *points;
    size_t n;
    int status = res_history_query(db, &args->filter, &points, &n, err, sizeof err);
    res_history_close(db);
    if (status != 0) {
        fprintf(stderr, "slmbench history: %s: %s\n", args->db_path, err);
        return CMD_USAGE;
    }
    res_history_mark_series(points, n, args->min_shift_pct, (size_t)args->min_segment);
    printf("history of %s in %s: %zu run(s); change points: binary segmentation, shift >= %g%%, "
           ">= %d runs per side\n", args->filter.metric, args->db_path, n, args->min_shift_pct,
           args->min_segment);
    print_points(points, n, args->filter.metric);
    int result = CMD_OK;
    char chart_base[1100];
    default_chart_base(args, chart_base, sizeof chart_base);
    if (n && !args->no_chart) {
        char chart[1400];
        int drawn = res_history_chart(points, n, args->filter.metric, chart_base, chart,
                                      sizeof chart, err, sizeof err);
        if (drawn < 0) {
            fprintf(stderr, "slmbench history: %s\n", err);
            result = CMD_FAILURE;
        } else {
            printf("chart: %s\n", chart);
        }
    }
    free(points);
    return result;
}

int cmd_history(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        history_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CMD_USAGE : CMD_OK;
    }
    history_args args;
    if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "show") != 0) {
        fprintf(stderr, "slmbench history: %s: unknown subcommand (add or show)\n", argv[1]);
        return CMD_USAGE;
    }
    if (parse_args(argc, argv, &args) != 0)
        return CMD_USAGE;
    return !strcmp(argv[1], "add") ? history_add(&args) : history_show(&args);
}
