/*
 * carbon_json.c — the figures of `slmbench carbon` as JSON (--json FILE), so a
 * pipeline reads the same numbers the terminal shows.
 *
 * Invariants: the energy label ("measured" / "estimated" / "mixed") and the
 * method travel with every figure's object; numbers that do not exist (no
 * token counts) are "unavailable: ..." strings, as in results/SCHEMA.md.
 */
#include <math.h>

#include "reports/carbon.h"

static void add_number(cJSON *object, const char *name, double value, const char *reason)
{
    if (isnan(value))
        cJSON_AddStringToObject(object, name, reason);
    else
        cJSON_AddNumberToObject(object, name, value);
}

static cJSON *energy_json(const rep_energy_summary *energy)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "label", energy->label);
    cJSON_AddStringToObject(json, "method", energy->method);
    cJSON_AddNumberToObject(json, "items_measured", (double)energy->n_measured);
    cJSON_AddNumberToObject(json, "items_estimated", (double)energy->n_estimated);
    cJSON_AddNumberToObject(json, "items_unavailable", (double)energy->n_unavailable);
    cJSON_AddNumberToObject(json, "energy_j_per_query", energy->j_per_query);
    return json;
}

static cJSON *grid_json(const rep_grid_figure *grid)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "region", grid->code);
    cJSON_AddNumberToObject(json, "g_co2e_per_kwh", grid->g_per_kwh);
    cJSON_AddStringToObject(json, "source", grid->source);
    if (grid->year)
        cJSON_AddNumberToObject(json, "year", grid->year);
    cJSON_AddStringToObject(json, "basis", grid->basis[0] ? grid->basis : "as given");
    cJSON_AddBoolToObject(json, "approximate", grid->approximate);
    return json;
}

static cJSON *figures_json(const rep_carbon_figures *f, const char *label)
{
    const char *no_tokens = "unavailable: no token counts";
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "energy_label", label);
    cJSON_AddNumberToObject(json, "energy_wh_per_query", f->wh_per_query);
    cJSON_AddNumberToObject(json, "energy_wh_per_1000_queries", f->wh_per_1000_queries);
    add_number(json, "energy_kwh_per_million_tokens", f->kwh_per_million_tokens, no_tokens);
    cJSON_AddNumberToObject(json, "co2e_g_per_query", f->g_per_query);
    cJSON_AddNumberToObject(json, "co2e_g_per_1000_queries", f->g_per_1000_queries);
    add_number(json, "co2e_g_per_million_tokens", f->g_per_million_tokens, no_tokens);
    cJSON_AddNumberToObject(json, "co2e_g_per_day", f->g_per_day);
    cJSON_AddNumberToObject(json, "co2e_kg_per_year", f->kg_per_year);
    return json;
}

static cJSON *cloud_json(const rep_cloud_figure *figures, size_t n, double g_per_kwh)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const rep_cloud_figure *c = &figures[i];
        cJSON *json = cJSON_CreateObject();
        cJSON_AddStringToObject(json, "id", c->id);
        cJSON_AddStringToObject(json, "label", c->label);
        cJSON_AddNumberToObject(json, "energy_wh_per_query", c->wh_per_query);
        cJSON_AddNumberToObject(json, "co2e_g_per_query_at_this_grid", c->wh_per_query / 1000 * g_per_kwh);
        add_number(json, "co2e_g_per_query_published", c->g_per_query, "unavailable: not published");
        cJSON_AddNumberToObject(json, "year", c->year);
        cJSON_AddStringToObject(json, "source", c->source);
        cJSON_AddStringToObject(json, "kind", c->kind);
        cJSON_AddBoolToObject(json, "approximate", c->approximate);
        cJSON_AddItemToArray(list, json);
    }
    return list;
}

cJSON *rep_carbon_to_json(const char *results_path, const rep_energy_summary *energy,
                          const rep_grid_figure *grid, double pue, double queries_per_day,
                          const rep_carbon_figures *figures, const rep_cloud_figure *cloud,
                          size_t n_cloud)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "slmbench.carbon");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "results", results_path);
    cJSON_AddItemToObject(root, "energy", energy_json(energy));
    cJSON_AddItemToObject(root, "grid", grid_json(grid));
    cJSON_AddNumberToObject(root, "pue", pue);
    cJSON_AddNumberToObject(root, "queries_per_day", queries_per_day);
    cJSON_AddItemToObject(root, "local", figures_json(figures, energy->label));
    cJSON_AddItemToObject(root, "cloud_published", cloud_json(cloud, n_cloud, grid->g_per_kwh));
    return root;
}
