/*
 * carbon.h — energy per query from a results file, converted to gCO2e with a
 * grid intensity, and set beside published per-query figures of cloud LLMs.
 *
 * Formulas (all energies from the items' energy_j, or energy_dynamic_j with
 * use_dynamic):
 *   J/query          = mean of energy_j over items with a number
 *   Wh/query         = J/query / 3600
 *   Wh/1,000 queries = 1000 * Wh/query
 *   kWh/Mtok         = (sum energy_j / sum (prompt + generated tokens)) * 1e6 / 3.6e6
 *   gCO2e            = kWh * grid gCO2e/kWh * PUE
 *   per day          = queries_per_day * gCO2e/query; per year = 365 * per day
 * PUE defaults to 1.0: an edge device has no data-centre overhead.
 *
 * Invariants: the energy label ("measured", "estimated", "mixed") is carried
 * from the items' energy_method to every output line; items without a number
 * are counted as unavailable, never as 0. No global state.
 */
#ifndef REP_CARBON_H
#define REP_CARBON_H

#include <stddef.h>

#include "results/compare_load.h"

typedef struct rep_energy_summary {
    size_t n_items, n_measured, n_estimated, n_unavailable;
    double total_j;
    double total_tokens;           /* prompt + generated, over the items with energy */
    double total_generated_tokens;
    double j_per_query;
    const char *label;             /* "measured" | "estimated" | "mixed" */
    char method[200];              /* the first energy_method seen */
    char unavailable_reason[200];  /* the first reason seen, if any */
} rep_energy_summary;

/* Over every run, or only the run whose run_id is `run_id` when it is not NULL. */
int rep_carbon_energy(const res_file *file, int use_dynamic, const char *run_id,
                      rep_energy_summary *out, char *err, size_t err_size);

typedef struct rep_carbon_figures {
    double wh_per_query, wh_per_1000_queries, kwh_per_million_tokens;
    double kwh_per_million_generated_tokens;
    double g_per_query, g_per_1000_queries, g_per_million_tokens;
    double g_per_day, kg_per_year;
} rep_carbon_figures;

void rep_carbon_compute(const rep_energy_summary *energy, double g_per_kwh, double pue,
                        double queries_per_day, rep_carbon_figures *out);

typedef struct rep_grid_figure {
    char code[16], name[64], basis[200], source[300];
    double g_per_kwh;
    int year;
    int approximate;
} rep_grid_figure;

/* Looks a region code up (case-insensitive) in a grid_intensity.json file. */
int rep_grid_lookup(const char *data_path, const char *region, rep_grid_figure *out, char *err,
                    size_t err_size);

typedef struct rep_cloud_figure {
    char id[64], label[128], kind[200], source[300];
    double wh_per_query;
    double g_per_query;            /* NaN when the source gives none */
    int year;
    int approximate;
} rep_cloud_figure;

int rep_cloud_load(const char *data_path, rep_cloud_figure **figures, size_t *n, char *err,
                   size_t err_size);

/* The whole report as a JSON object (schema "slmbench.carbon" 1); caller deletes. */
cJSON *rep_carbon_to_json(const char *results_path, const rep_energy_summary *energy,
                          const rep_grid_figure *grid, double pue, double queries_per_day,
                          const rep_carbon_figures *figures, const rep_cloud_figure *cloud,
                          size_t n_cloud);

/*
 * Finds a data file: $SLMBENCH_DATA_DIR/NAME, then results/data/NAME beside
 * the executable's parent directory, then ./results/data/NAME. Fills path.
 */
int rep_data_file(const char *name, char *path, size_t path_size, char *err, size_t err_size);

#endif
