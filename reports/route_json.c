/*
 * route_json.c — the sweep of `slmbench route` as JSON (--json FILE).
 *
 * Invariants: every assumption the terminal states (cascade model, cloud
 * constants or per-item results, estimated tokens, local-only energy) is a
 * field too; a figure that does not exist is an "unavailable: ..." string.
 */
#include <math.h>

#include "reports/route.h"

static void add_number(cJSON *object, const char *name, double value, const char *reason)
{
    if (isnan(value) || isinf(value))
        cJSON_AddStringToObject(object, name, reason);
    else
        cJSON_AddNumberToObject(object, name, value);
}

static cJSON *point_json(const rep_route_point *p)
{
    cJSON *json = cJSON_CreateObject();
    if (p->cloud_only)
        cJSON_AddStringToObject(json, "threshold", "cloud only");
    else
        cJSON_AddNumberToObject(json, "threshold", p->threshold);
    cJSON_AddNumberToObject(json, "share_local", p->share_local);
    cJSON_AddNumberToObject(json, "accuracy", p->accuracy);
    cJSON_AddNumberToObject(json, "usd_per_1000_queries", p->usd_per_1000);
    cJSON_AddNumberToObject(json, "usd_per_1000_queries_operating", p->usd_per_1000_operating);
    cJSON_AddNumberToObject(json, "local_energy_j_per_query", p->energy_j_per_query);
    add_number(json, "latency_p50_ms", p->p50_ms, "unavailable: an item has no e2e_ms");
    add_number(json, "latency_p90_ms", p->p90_ms, "unavailable: an item has no e2e_ms");
    return json;
}

static cJSON *assumptions_json(const rep_route_inputs *in, const rep_route_prices *prices)
{
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "model", "cascade: the local model runs first on every query "
                                           "except 'cloud only'; confidence = logprob_mean");
    cJSON_AddStringToObject(json, "energy", "local device only; cloud-side energy not counted");
    cJSON_AddStringToObject(json, "cloud", in->cloud_per_item ? "per-item cloud results" : "constants");
    cJSON_AddBoolToObject(json, "cloud_tokens_estimated_from_local_counts", in->tokens_estimated);
    cJSON_AddNumberToObject(json, "items", (double)in->n);
    cJSON_AddNumberToObject(json, "items_unscored_skipped", (double)in->n_unscored);
    cJSON_AddNumberToObject(json, "items_without_energy", (double)in->n_no_energy);
    cJSON_AddNumberToObject(json, "usd_per_mtok_in", prices->usd_per_mtok_in);
    cJSON_AddNumberToObject(json, "usd_per_mtok_out", prices->usd_per_mtok_out);
    cJSON_AddNumberToObject(json, "electricity_usd_per_kwh", prices->electricity_usd_per_kwh);
    cJSON_AddNumberToObject(json, "device_usd", prices->device_usd);
    cJSON_AddNumberToObject(json, "device_lifetime_queries", prices->device_lifetime_queries);
    return json;
}

cJSON *rep_route_to_json(const rep_route_inputs *inputs, const rep_route_prices *prices,
                         const rep_route_point *points, size_t n, long best, double target)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "slmbench.route");
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddItemToObject(root, "assumptions", assumptions_json(inputs, prices));
    cJSON_AddNumberToObject(root, "target_accuracy", target);
    cJSON *list = cJSON_AddArrayToObject(root, "points");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(list, point_json(&points[i]));
    if (best < 0) {
        cJSON_AddStringToObject(root, "chosen", "unavailable: no threshold meets the target");
        return root;
    }
    cJSON_AddItemToObject(root, "chosen", point_json(&points[best]));
    if (prices->device_usd <= 0)
        cJSON_AddStringToObject(root, "break_even_queries", "unavailable: no --device-usd");
    else
        add_number(root, "break_even_queries",
                   ceil(rep_route_break_even(&points[0], &points[best], prices->device_usd)),
                   "never: the chosen threshold saves nothing over cloud only");
    return root;
}
