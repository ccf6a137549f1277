/*
 * runner.h — the measurement loops behind `run`, `bench` and `soak`, and the
 * device probes they share (fingerprint, power sampler, counters, binding).
 *
 * Invariants:
 *  - Single stream: one generation at a time; warm-up generations are never
 *    recorded.
 *  - After every finished item the whole results document is rewritten
 *    atomically, so a killed run keeps every finished item.
 *  - A stop request (*stop != 0, from Ctrl-C/SIGTERM) ends the loop after the
 *    current token; the run is saved with status "interrupted" and the
 *    function returns RUNNER_INTERRUPTED.
 *  - Every figure the probes cannot give is "unavailable: <reason>".
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "devices/device.h"
#include "harness/cli.h"

enum { RUNNER_OK = 0, RUNNER_FAILED = -1, RUNNER_BAD_INPUT = -2, RUNNER_INTERRUPTED = 1 };

/* ---- device probes ---------------------------------------------------------- */

typedef struct runner_probe_options {
    double sampler_hz;        /* <= 0: 10 */
    const char *probes;       /* NULL/"auto" or a comma list for dev_sampler_config.probes */
    double idle_baseline_s;   /* idle power measured at start (0: none -> dynamic energy unavailable) */
    int bind_threads;         /* 1: bind pool threads to cores through hwloc */
    int counters;             /* 1: PAPI counters per phase */
} runner_probe_options;

typedef struct runner_probes {
    dev_sampler *sampler;
    char sampler_reason[DEV_ERROR_SIZE];
    dev_counters *counters;
    dev_binding *binding;
    char binding_reason[DEV_ERROR_SIZE];
    /* Per-generation phase state, filled by the hooks. */
    dev_counter_reading prefill, decode;
    int prefill_ok, decode_ok;
    char counter_error[DEV_ERROR_SIZE];
} runner_probes;

void runner_probe_options_default(runner_probe_options *o);
/* Opens what is available; never fails for a missing probe (reasons are kept). */
int runner_probes_open(runner_probes *p, const runner_probe_options *o, char *err, size_t err_size);
void runner_probes_close(runner_probes *p);
/* device object for the results document: fingerprint + probes + counters. */
cJSON *runner_device_json(const runner_probes *p);
/* Hooks for backend_request (hook_user = runner_probes). */
void runner_hook_prefill_start(void *probes);
void runner_hook_first_token(void *probes);
/* Closes the decode phase; call right after the generation returns. */
void runner_probes_end_generation(runner_probes *p);
/* energy_j, energy_dynamic_j, energy_method, power_avg_w for [t0,t1]. */
void runner_add_energy(runner_probes *p, cJSON *item, uint64_t t0_ns, uint64_t t1_ns);
/* energy_prefill_j [t0, first token] and energy_decode_j [first token, t1]. */
void runner_add_phase_energy(runner_probes *p, cJSON *item, uint64_t t0_ns, uint64_t t_first_ns, uint64_t t1_ns);
/* counters: {"prefill":{...},"decode":{...}} or "unavailable: ...". */
void runner_add_counters(runner_probes *p, cJSON *item);
/* rss_peak_bytes. */
void runner_add_rss(cJSON *item);
/* run.trace (power/temperature/frequency samples in [t0,t1]) and run.throttling. */
void runner_add_trace(runner_probes *p, cJSON *run, uint64_t t0_ns, uint64_t t1_ns);

/* ---- run: models x suites x configs ---------------------------------------- */

typedef struct runner_options {
    const char *models[CLI_MAX_LIST];
    int n_models;
    const char *suites[CLI_MAX_LIST];
    int n_suites;
    int threads[CLI_MAX_LIST];
    int n_threads;
    int warmup, reps, limit, n_shots, max_new_tokens, n_ctx, kv_f32;
    double cooldown_s;
    float temperature;
    uint64_t seed;
    const char *chat_template;   /* NULL/"auto", "none", or a family */
    const char *field_map[8];    /* --field ours=theirs for dataset files (task_load_options) */
    int n_field_maps;
    const char *out_dir;
    int resume;
    const char *backend_name;    /* "local" | "openai" */
    const char *endpoint, *remote_model, *api_key_env;
    runner_probe_options probes;
    volatile sig_atomic_t *stop;
    int argc;
    char **argv;
} runner_options;

void runner_options_default(runner_options *o);
int runner_run(const runner_options *o, char *err, size_t err_size);

/* ---- bench: synthetic pp / tg / pp+tg sweep --------------------------------- */

typedef struct bench_options {
    const char *models[CLI_MAX_LIST];
    int n_models;
    int prompt_sizes[CLI_MAX_LIST];
    int n_prompt_sizes;
    int gen_sizes[CLI_MAX_LIST];
    int n_gen_sizes;
    int threads[CLI_MAX_LIST];
    int n_threads;
    int reps, warmup, n_ctx, kv_f32, pp_tg;  /* pp_tg: also run pp+tg combinations */
    uint64_t seed;
    cli_format format;
    const char *output;          /* NULL: stdout */
    runner_probe_options probes;
    volatile sig_atomic_t *stop;
    int argc;
    char **argv;
} bench_options;

void bench_options_default(bench_options *o);
int runner_bench(const bench_options *o, char *err, size_t err_size);
/* The document as o->format (md table, csv, json) to o->output or stdout. */
int runner_bench_output(cJSON *doc, const bench_options *o, char *err, size_t err_size);

/* ---- soak: sustained decode ------------------------------------------------ */

typedef struct soak_options {
    const char *model;
    double minutes, window_s;
    int threads, n_ctx, prompt_tokens;
    uint64_t seed;
    const char *out_dir;
    runner_probe_options probes;
    volatile sig_atomic_t *stop;
    int argc;
    char **argv;
} soak_options;

void soak_options_default(soak_options *o);
int runner_soak(const soak_options *o, char *err, size_t err_size);

#endif
