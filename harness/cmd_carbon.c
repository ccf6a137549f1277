/*
 * cmd_carbon.c — `slmbench carbon RESULTS.json (--region CODE | --grid-gco2-per-kwh X)
 *   [--pue P] [--queries-per-day N] [--dynamic] [--grid-data FILE] [--cloud-data FILE]`.
 *
 * Prints energy per query, per 1,000 queries and per million tokens with its
 * gCO2e, labelled measured/estimated as the results file says, the grid figure
 * with its source and year, and published cloud per-query figures (each cited)
 * converted at the same grid intensity. Formulas: reports/carbon.h.
 * Exit 0 ok, 2 bad input (incl. a results file without any energy figure).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/decide_args.h"
#include "reports/carbon.h"
#include "results/compare_write.h"
#include "results/results.h"

typedef struct carbon_args {
    const char *results_path, *region, *grid_data, *cloud_data, *run_id, *json_path;
    double grid_g_per_kwh; /* < 0: not given */
    double pue, queries_per_day;
    int dynamic;
} carbon_args;

static void carbon_usage(FILE *out)
{
    fprintf(out, "usage: slmbench carbon RESULTS.json (--region CODE | --grid-gco2-per-kwh X)\n"
                 "         [--pue P] [--queries-per-day N] [--dynamic] [--run RUN_ID]\n"
                 "         [--grid-data FILE] [--cloud-data FILE] [--json FILE]\n"
                 "  a file with several runs gets one line per run, then the figures over all of them\n"
                 "  --pue defaults to 1.0 (an edge device has no data-centre overhead);\n"
                 "  --dynamic uses energy_dynamic_j (above idle) instead of energy_j\n");
}

static int parse_flag(carbon_args *args, const char *flag, const char *value)
{
    if (!strcmp(flag, "--region"))
        args->region = value;
    else if (!strcmp(flag, "--run"))
        args->run_id = value;
    else if (!strcmp(flag, "--json"))
        args->json_path = value;
    else if (!strcmp(flag, "--grid-data"))
        args->grid_data = value;
    else if (!strcmp(flag, "--cloud-data"))
        args->cloud_data = value;
    else if (!strcmp(flag, "--grid-gco2-per-kwh"))
        return decide_parse_double("carbon", flag, value, 0, 5000, &args->grid_g_per_kwh);
    else if (!strcmp(flag, "--pue"))
        return decide_parse_double("carbon", flag, value, 1, 10, &args->pue);
    else if (!strcmp(flag, "--queries-per-day"))
        return decide_parse_double("carbon", flag, value, 0, 1e12, &args->queries_per_day);
    else {
        fprintf(stderr, "slmbench carbon: %s: unknown option (slmbench carbon --help)\n", flag);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, carbon_args *args)
{
    memset(args, 0, sizeof *args);
    args->grid_g_per_kwh = -1;
    args->pue = 1;
    args->queries_per_day = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dynamic")) {
            args->dynamic = 1;
        } else if (argv[i][0] == '-') {
            const char *value = decide_flag_value("carbon", argc, argv, &i);
            if (!value || parse_flag(args, argv[i - 1], value) != 0)
                return -1;
        } else if (!args->results_path) {
            args->results_path = argv[i];
        } else {
            fprintf(stderr, "slmbench carbon: %s: unexpected argument\n", argv[i]);
            return -1;
        }
    }
    if (!args->results_path || (!args->region) == (args->grid_g_per_kwh < 0)) {
        fprintf(stderr, "slmbench carbon: need RESULTS.json and exactly one of --region CODE or "
                        "--grid-gco2-per-kwh X\n");
        return -1;
    }
    return decide_output_ok("carbon", "--json", args->json_path);
}

static int resolve_grid(const carbon_args *args, rep_grid_figure *grid)
{
    char err[1200], path[1100];
    if (!args->region) {
        memset(grid, 0, sizeof *grid);
        grid->g_per_kwh = args->grid_g_per_kwh;
        snprintf(grid->code, sizeof grid->code, "custom");
        snprintf(grid->source, sizeof grid->source, "given on the command line");
        return 0;
    }
    const char *data = args->grid_data;
    if (!data && rep_data_file("grid_intensity.json", path, sizeof path, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench carbon: %s\n", err);
        return -1;
    }
    if (rep_grid_lookup(data ? data : path, args->region, grid, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench carbon: %s\n", err);
        return -1;
    }
    return 0;
}

static void print_local(const carbon_args *args, const rep_energy_summary *energy,
                        const rep_grid_figure *grid, const rep_carbon_figures *f)
{
    const char *label = energy->label;
    printf("energy: %s (method of the first item: %s)\n", label, energy->method);
    printf("  items: %zu with energy (%zu measured, %zu estimated), %zu unavailable%s%s\n",
           energy->n_measured + energy->n_estimated, energy->n_measured, energy->n_estimated,
           energy->n_unavailable, energy->n_unavailable ? ": " : "", energy->unavailable_reason);
    printf("grid: %s %s%s%.1f gCO2e/kWh (%s%s%d; %s)%s\n", grid->code, grid->name,
           grid->name[0] ? " " : "", grid->g_per_kwh, grid->source, grid->year ? ", " : "",
           grid->year, grid->basis[0] ? grid->basis : "as given", grid->approximate ? " [approximate]" : "");
    printf("PUE %.2f, %s energy\n\n", args->pue, args->dynamic ? "dynamic (above idle)" : "total");
    printf("  %-28s %14s %16s\n", "", "energy", "gCO2e");
    printf("  %-28s %11.4f Wh %16.6f   [%s]\n", "per query", f->wh_per_query, f->g_per_query, label);
    printf("  %-28s %11.3f Wh %16.4f   [%s]\n", "per 1,000 queries", f->wh_per_1000_queries,
           f->g_per_1000_queries, label);
    if (isnan(f->kwh_per_million_tokens))
        printf("  %-28s   unavailable: no token counts\n", "per million tokens");
    else
        printf("  %-28s %10.4f kWh %16.3f   [%s] (prompt + generated tokens)\n",
               "per million tokens", f->kwh_per_million_tokens, f->g_per_million_tokens, label);
    printf("  at %.0f queries/day: %.3f gCO2e/day, %.4f kgCO2e/year   [%s]\n\n",
           args->queries_per_day, f->g_per_day, f->kg_per_year, label);
}

static void print_cloud(const rep_cloud_figure *figures, size_t n, const rep_grid_figure *grid,
                        const rep_carbon_figures *local, const char *label)
{
    printf("published cloud per-query figures (not like-for-like: see each source's scope)\n");
    for (size_t i = 0; i < n; i++) {
        const rep_cloud_figure *c = &figures[i];
        double at_grid = c->wh_per_query / 1000 * grid->g_per_kwh;
        printf("  %-44s %7.3f Wh/query%s  local/cloud energy %.3gx  at this grid %.4f gCO2e",
               c->label, c->wh_per_query, c->approximate ? " (approx.)" : "",
               local->wh_per_query / c->wh_per_query, at_grid);
        if (!isnan(c->g_per_query))
            printf(", published %.3f gCO2e", c->g_per_query);
        printf("\n      %s, %d — %s\n", c->source, c->year, c->kind);
    }
    printf("  (local figures are %s; cloud figures are as published)\n", label);
}

/* One line per run: runs of different models or suites differ, pooling hides it. */
static void print_runs(const carbon_args *args, const res_file *file, const rep_grid_figure *grid)
{
    printf("per run:\n");
    for (size_t i = 0; i < res_file_run_count(file); i++) {
        const cJSON *run = res_file_run(file, i);
        const char *id = res_run_string(run, "run_id");
        const char *model = res_run_model_name(run);
        rep_energy_summary energy;
        char err[512];
        if (!id || rep_carbon_energy(file, args->dynamic, id, &energy, err, sizeof err) != 0) {
            printf("  %-8s %-24.24s energy unavailable\n", id ? id : "?", model ? model : "?");
            continue;
        }
        rep_carbon_figures f;
        rep_carbon_compute(&energy, grid->g_per_kwh, args->pue, args->queries_per_day, &f);
        printf("  %-8s %-24.24s %10.4f Wh/query %12.6f gCO2e/query [%s]  %s\n", id,
               model ? model : "?", f.wh_per_query, f.g_per_query, energy.label,
               res_run_string(run, "run_key") ? res_run_string(run, "run_key") : "");
    }
    printf("all runs together:\n");
}

static int load_cloud(const carbon_args *args, rep_cloud_figure **figures, size_t *n)
{
    char err[1200], path[1100];
    const char *data = args->cloud_data;
    if (!data && rep_data_file("cloud_energy.json", path, sizeof path, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench carbon: %s\n", err);
        return -1;
    }
    if (rep_cloud_load(data ? data : path, figures, n, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench carbon: %s\n", err);
        return -1;
    }
    return 0;
}

static int write_json(const carbon_args *args, const rep_energy_summary *energy,
                      const rep_grid_figure *grid, const rep_carbon_figures *figures,
                      const rep_cloud_figure *cloud, size_t n_cloud)
{
    cJSON *root = rep_carbon_to_json(args->results_path, energy, grid, args->pue,
                                     args->queries_per_day, figures, cloud, n_cloud);
    char err[1200];
    int status = res_write_json_atomic(args->json_path, root, err, sizeof err);
    cJSON_Delete(root);
    if (status != 0)
        fprintf(stderr, "slmbench carbon: %s\n", err);
    else
        printf("json: %s\n", args->json_path);
    return status;
}

int cmd_carbon(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        carbon_usage(stdout);
        return CMD_OK;
    }
    carbon_args args;
    if (parse_args(argc, argv, &args) != 0)
        return CMD_USAGE;
    rep_grid_figure grid;
    if (resolve_grid(&args, &grid) != 0)
        return CMD_USAGE;
    char err[1200];
    res_file file;
    rep_energy_summary energy;
    if (res_file_load(args.results_path, &file, err, sizeof err) != 0 ||
        rep_carbon_energy(&file, args.dynamic, args.run_id, &energy, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench carbon: %s\n", err);
        res_file_free(&file);
        return CMD_USAGE;
    }
    rep_cloud_figure *cloud;
    size_t n_cloud;
    int status = load_cloud(&args, &cloud, &n_cloud) == 0 ? CMD_OK : CMD_USAGE;
    if (status == CMD_OK) {
        rep_carbon_figures figures;
        rep_carbon_compute(&energy, grid.g_per_kwh, args.pue, args.queries_per_day, &figures);
        printf("carbon: %s%s%s\n", args.results_path, args.run_id ? ", run " : "",
               args.run_id ? args.run_id : "");
        if (!args.run_id && res_file_run_count(&file) > 1)
            print_runs(&args, &file, &grid);
        print_local(&args, &energy, &grid, &figures);
        print_cloud(cloud, n_cloud, &grid, &figures, energy.label);
        if (args.json_path && write_json(&args, &energy, &grid, &figures, cloud, n_cloud) != 0)
            status = CMD_FAILURE;
        free(cloud);
    }
    res_file_free(&file);
    return status;
}
