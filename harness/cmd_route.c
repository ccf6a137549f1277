/*
 * cmd_route.c — `slmbench route LOCAL.json (--cloud-results CLOUD.json |
 *   --cloud-accuracy A --cloud-latency-ms L) --price-in USD_PER_MTOK
 *   --price-out USD_PER_MTOK [--target-accuracy T] [--electricity-usd-per-kwh E]
 *   [--device-usd D [--device-lifetime-queries N]] [--chart OUT_BASE]`.
 *
 * Prints the threshold sweep, the cheapest threshold meeting the target, the
 * break-even query volume, and draws the curve. Model: reports/route.h.
 * Default target: the cloud-only accuracy minus 1 point. Default electricity
 * price: none (0) unless given, and the output says so.
 * Exit 0 ok, 1 no threshold meets the target, 2 bad input, 3 chart not writable.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/decide_args.h"
#include "reports/route.h"
#include "results/compare_write.h"
#include "results/results.h"

typedef struct route_args {
    const char *local_path, *cloud_path, *chart_base, *run_id, *json_path;
    double cloud_accuracy, cloud_latency_ms, target; /* < 0: not given */
    rep_route_prices prices;
    int have_price_in, have_price_out;
} route_args;

static void route_usage(FILE *out)
{
    fprintf(out,
            "usage: slmbench route LOCAL.json (--cloud-results CLOUD.json | --cloud-accuracy A "
            "--cloud-latency-ms L)\n"
            "         --price-in USD_PER_MTOK --price-out USD_PER_MTOK [--target-accuracy T]\n"
            "         [--electricity-usd-per-kwh E] [--device-usd D [--device-lifetime-queries N]]\n"
            "         [--run RUN_ID] [--json FILE] [--chart OUT_BASE]   (default chart: beside LOCAL.json, route_curve.png)\n");
}

static int parse_number(route_args *args, const char *flag, const char *value)
{
    struct { const char *flag; double min, max; double *out; } table[] = {
        {"--cloud-accuracy", 0, 1, &args->cloud_accuracy},
        {"--cloud-latency-ms", 0, 1e9, &args->cloud_latency_ms},
        {"--target-accuracy", 0, 1, &args->target},
        {"--price-in", 0, 1e6, &args->prices.usd_per_mtok_in},
        {"--price-out", 0, 1e6, &args->prices.usd_per_mtok_out},
        {"--electricity-usd-per-kwh", 0, 100, &args->prices.electricity_usd_per_kwh},
        {"--device-usd", 0, 1e9, &args->prices.device_usd},
        {"--device-lifetime-queries", 1, 1e15, &args->prices.device_lifetime_queries},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(flag, table[i].flag)) {
            args->have_price_in |= !strcmp(flag, "--price-in");
            args->have_price_out |= !strcmp(flag, "--price-out");
            return decide_parse_double("route", flag, value, table[i].min, table[i].max,
                                       table[i].out);
        }
    fprintf(stderr, "slmbench route: %s: unknown option (slmbench route --help)\n", flag);
    return -1;
}

static int check_args(const route_args *args)
{
    const char *problem = NULL;
    if (!args->local_path)
        problem = "a local results file is needed";
    else if (!args->cloud_path && (args->cloud_accuracy < 0 || args->cloud_latency_ms < 0))
        problem = "need --cloud-results CLOUD.json or both --cloud-accuracy and --cloud-latency-ms";
    else if (args->cloud_path && (args->cloud_accuracy >= 0 || args->cloud_latency_ms >= 0))
        problem = "--cloud-results and --cloud-accuracy/--cloud-latency-ms exclude each other";
    else if (!args->have_price_in || !args->have_price_out)
        problem = "--price-in and --price-out (USD per million tokens) are required";
    if (problem)
        fprintf(stderr, "slmbench route: %s\n", problem);
    return problem ? -1 : decide_output_ok("route", "--json", args->json_path);
}

static int parse_args(int argc, char **argv, route_args *args)
{
    memset(args, 0, sizeof *args);
    args->cloud_accuracy = args->cloud_latency_ms = args->target = -1;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-') {
            if (args->local_path) {
                fprintf(stderr, "slmbench route: %s: unexpected argument\n", argv[i]);
                return -1;
            }
            args->local_path = argv[i];
            continue;
        }
        const char *flag = argv[i], *value = decide_flag_value("route", argc, argv, &i);
        if (!value)
            return -1;
        if (!strcmp(flag, "--cloud-results"))
            args->cloud_path = value;
        else if (!strcmp(flag, "--chart"))
            args->chart_base = value;
        else if (!strcmp(flag, "--run"))
            args->run_id = value;
        else if (!strcmp(flag, "--json"))
            args->json_path = value;
        else if (parse_number(args, flag, value) != 0)
            return -1;
    }
    return check_args(args);
}

static void format_threshold(char *buffer, size_t size, const rep_route_point *p)
{
    if (p->cloud_only)
        snprintf(buffer, size, "cloud only");
    else
        snprintf(buffer, size, ">= %.4f", p->threshold);
}

static void format_ms(char *buffer, size_t size, double ms)
{
    if (isnan(ms))
        snprintf(buffer, size, "unavail.");
    else
        snprintf(buffer, size, "%.1f", ms);
}

static void print_table(const rep_route_point *points, size_t n, long best)
{
    printf("%-14s %7s %9s %14s %12s %10s %10s\n", "threshold", "local", "accuracy",
           "USD/1k queries", "J/query", "p50 ms", "p90 ms");
    for (size_t i = 0; i < n; i++) {
        const rep_route_point *p = &points[i];
        char threshold[32], p50[24], p90[24];
        format_threshold(threshold, sizeof threshold, p);
        format_ms(p50, sizeof p50, p->p50_ms);
        format_ms(p90, sizeof p90, p->p90_ms);
        printf("%-14s %6.1f%% %9.4f %14.6f %12.4f %10s %10s%s\n", threshold, 100 * p->share_local,
               p->accuracy, p->usd_per_1000, p->energy_j_per_query, p50, p90,
               (long)i == best ? "  <- chosen" : "");
    }
}

static void print_assumptions(const route_args *args, const rep_route_inputs *in)
{
    printf("route: %s vs %s; %zu items (%zu unscored skipped)\n", args->local_path,
           args->cloud_path ? args->cloud_path : "cloud constants", in->n, in->n_unscored);
    printf("model: cascade — the local model runs first on every query except 'cloud only'; "
           "confidence = logprob_mean; energy is the local device's only (cloud side not counted)\n");
    if (!args->cloud_path)
        printf("cloud: accuracy %.4f and latency %.1f ms for every item (given)\n",
               args->cloud_accuracy, args->cloud_latency_ms);
    if (in->tokens_estimated)
        printf("cloud tokens: estimated from the local prompt/generated token counts\n");
    if (in->n_no_energy)
        printf("local energy: unavailable for %zu item(s), counted as 0 J and 0 USD of electricity\n",
               in->n_no_energy);
    printf("prices: %.4g USD/Mtok in, %.4g USD/Mtok out, electricity %.4g USD/kWh%s\n",
           args->prices.usd_per_mtok_in, args->prices.usd_per_mtok_out,
           args->prices.electricity_usd_per_kwh,
           args->prices.electricity_usd_per_kwh > 0 ? "" : " (not given: electricity not costed)");
    if (args->prices.device_lifetime_queries > 0)
        printf("device: %.4g USD amortized over %.4g queries (included in USD/1k)\n\n",
               args->prices.device_usd, args->prices.device_lifetime_queries);
    else
        printf("device: %.4g USD, not amortized in USD/1k (no --device-lifetime-queries)\n\n",
               args->prices.device_usd);
}

static void print_decision(const route_args *args, const rep_route_point *points, long best,
                           double target)
{
    printf("\ntarget accuracy %.4f%s: ", target, args->target < 0 ? " (default: cloud-only - 0.01)" : "");
    if (best < 0) {
        printf("no threshold meets it\n");
        return;
    }
    char threshold[32];
    format_threshold(threshold, sizeof threshold, &points[best]);
    printf("cheapest threshold %s — %.1f%% answered locally, accuracy %.4f, %.6f USD per 1,000 queries\n",
           threshold, 100 * points[best].share_local, points[best].accuracy,
           points[best].usd_per_1000);
    if (args->prices.device_usd <= 0) {
        printf("break-even: not computed (give --device-usd D)\n");
        return;
    }
    double queries = rep_route_break_even(&points[0], &points[best], args->prices.device_usd);
    if (isinf(queries))
        printf("break-even: never — the chosen threshold saves nothing per query over cloud only\n");
    else
        printf("break-even: the %.2f USD device pays for itself after %.0f queries (operating "
               "saving %.3g USD/query)\n",
               args->prices.device_usd, ceil(queries), args->prices.device_usd / queries);
}

static int draw(const route_args *args, const rep_route_point *points, size_t n, long best)
{
    char base[1100], chart[1400], err[1200];
    if (args->chart_base) {
        snprintf(base, sizeof base, "%s", args->chart_base);
    } else {
        const char *slash = strrchr(args->local_path, '/');
        snprintf(base, sizeof base, "%.*sroute_curve",
                 slash ? (int)(slash - args->local_path + 1) : 0, args->local_path);
    }
    if (rep_route_chart(points, n, best, base, chart, sizeof chart, err, sizeof err) < 0) {
        fprintf(stderr, "slmbench route: %s\n", err);
        return -1;
    }
    printf("chart: %s\n", chart);
    return 0;
}

static int write_json(const route_args *args, const rep_route_inputs *inputs,
                      const rep_route_point *points, size_t n, long best, double target)
{
    cJSON *root = rep_route_to_json(inputs, &args->prices, points, n, best, target);
    char err[1200];
    int status = res_write_json_atomic(args->json_path, root, err, sizeof err);
    cJSON_Delete(root);
    if (status != 0)
        fprintf(stderr, "slmbench route: %s\n", err);
    else
        printf("json: %s\n", args->json_path);
    return status;
}

static int run_route(const route_args *args, const res_file *local, const res_file *cloud)
{
    char err[1200];
    rep_route_inputs inputs;
    if (rep_route_load(local, args->run_id, cloud, args->cloud_accuracy, args->cloud_latency_ms, &inputs, err,
                       sizeof err) != 0) {
        fprintf(stderr, "slmbench route: %s\n", err);
        return CMD_USAGE;
    }
    rep_route_point *points;
    size_t n;
    int status = CMD_FAILURE;
    if (rep_route_sweep(&inputs, &args->prices, &points, &n, err, sizeof err) == 0) {
        double target = args->target >= 0 ? args->target : points[0].accuracy - 0.01;
        long best = rep_route_best(points, n, target);
        print_assumptions(args, &inputs);
        print_table(points, n, best);
        print_decision(args, points, best, target);
        status = draw(args, points, n, best) != 0 ? CMD_FAILURE : best < 0 ? CMD_VERDICT : CMD_OK;
        if (args->json_path &&
            write_json(args, &inputs, points, n, best, target) != 0)
            status = CMD_FAILURE;
        free(points);
    } else {
        fprintf(stderr, "slmbench route: %s\n", err);
    }
    rep_route_inputs_free(&inputs);
    return status;
}

int cmd_route(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        route_usage(stdout);
        return CMD_OK;
    }
    route_args args;
    if (parse_args(argc, argv, &args) != 0)
        return CMD_USAGE;
    char err[1200];
    res_file local, cloud;
    memset(&cloud, 0, sizeof cloud);
    if (res_file_load(args.local_path, &local, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench route: %s\n", err);
        return CMD_USAGE;
    }
    if (args.cloud_path && res_file_load(args.cloud_path, &cloud, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench route: %s\n", err);
        res_file_free(&local);
        return CMD_USAGE;
    }
    int status = run_route(&args, &local, args.cloud_path ? &cloud : NULL);
    res_file_free(&local);
    res_file_free(&cloud);
    return status;
}
