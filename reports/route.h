/*
 * route.h — cloud-vs-local routing on the local model's confidence signal
 * (per-item logprob_mean): answer locally when confidence >= threshold,
 * otherwise escalate to a cloud model.
 *
 * Model (a cascade): except for the "cloud only" point, every query first runs
 * on the local model, because the confidence signal needs the local
 * generation; an escalated query then adds the cloud's latency and token cost.
 *   share_local  = queries answered locally / N
 *   accuracy     = (sum of local scores of local answers + cloud scores of
 *                   escalated ones) / N; the cloud score is the cloud results'
 *                   per-item score, or --cloud-accuracy A
 *   USD/1,000    = 1000/N * (cloud tokens: prompt*price_in + completion*price_out, per 1e6
 *                  + local energy kWh * electricity USD/kWh
 *                  + device_usd / device_lifetime_queries per local run)
 *   energy/query = local device energy (J) / N — cloud-side energy is not counted
 *   latency      = local e2e for local answers, local e2e + cloud latency when escalated,
 *                  cloud latency only for "cloud only"; p50/p90 interpolated
 *   break-even   = device_usd / (cloud-only cost per query - chosen operating cost per query),
 *                  operating = without device amortization; infinite when nothing is saved
 * Items without a confidence value always escalate; items without a score are
 * skipped and counted.
 *
 * Invariants: deterministic; no global state; inputs untouched.
 */
#ifndef REP_ROUTE_H
#define REP_ROUTE_H

#include <stddef.h>

#include "results/compare_load.h"

typedef struct rep_route_item {
    double confidence;
    int has_confidence;
    double local_score, cloud_score;
    double local_ms, cloud_ms;
    double local_energy_j;        /* 0 when unavailable (counted in n_no_energy) */
    double prompt_tokens, completion_tokens; /* cloud tokens (or local counts as estimate) */
} rep_route_item;

typedef struct rep_route_inputs {
    rep_route_item *items;
    size_t n;
    size_t n_unscored;            /* local items skipped: no score */
    size_t n_no_energy;           /* local items without an energy figure */
    int cloud_per_item;           /* 1: cloud results file; 0: constants */
    int tokens_estimated;         /* 1: cloud tokens taken from local token counts */
} rep_route_inputs;

/*
 * cloud may be NULL: then cloud_accuracy (0..1) and cloud_latency_ms apply to
 * every item. run_id NULL takes every run of LOCAL, which must then all be of
 * one model (routing between two local models is not this model); otherwise
 * only that run.
 */
int rep_route_load(const res_file *local, const char *run_id, const res_file *cloud,
                   double cloud_accuracy, double cloud_latency_ms, rep_route_inputs *out,
                   char *err, size_t err_size);
void rep_route_inputs_free(rep_route_inputs *inputs);

typedef struct rep_route_prices {
    double usd_per_mtok_in, usd_per_mtok_out;
    double electricity_usd_per_kwh;
    double device_usd;               /* 0: no hardware cost */
    double device_lifetime_queries;  /* 0: no amortization */
} rep_route_prices;

typedef struct rep_route_point {
    double threshold;                /* -inf for "local only"; +inf for "cloud only" */
    int cloud_only;
    double share_local, accuracy;
    double usd_per_1000, usd_per_1000_operating;
    double energy_j_per_query;
    double p50_ms, p90_ms;
} rep_route_point;

/* Points from "cloud only" through every distinct confidence value, descending. */
int rep_route_sweep(const rep_route_inputs *inputs, const rep_route_prices *prices,
                    rep_route_point **points, size_t *n_points, char *err, size_t err_size);

/* Index of the cheapest point with accuracy >= target, or -1 when none meets it. */
long rep_route_best(const rep_route_point *points, size_t n, double target_accuracy);

/* Queries after which the device has paid for itself; INFINITY when never. */
double rep_route_break_even(const rep_route_point *cloud_only, const rep_route_point *chosen,
                            double device_usd);

/* Assumptions, every point, the choice and the break-even as JSON ("slmbench.route" 1). */
cJSON *rep_route_to_json(const rep_route_inputs *inputs, const rep_route_prices *prices,
                         const rep_route_point *points, size_t n, long best, double target);

/* OUT_BASE.dat/.gp and PNG/SVG: accuracy and cost against the share answered locally. */
int rep_route_chart(const rep_route_point *points, size_t n, long best, const char *out_base,
                    char *chart, size_t chart_size, char *err, size_t err_size);

#endif
