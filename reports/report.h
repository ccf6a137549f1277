/*
 * report.h — human-readable output from results documents: the Markdown
 * report (per-run table, leaderboard across models and devices, device and
 * synthetic-model notices) and gnuplot charts (latency CDF, throughput vs
 * threads, power/temperature trace, accuracy vs joules per query with the
 * Pareto front).
 *
 * Invariants: documents are read-only here; a figure missing from a result
 * is shown as "n/a", never as 0; chart scripts (.gp) and their data (.dat)
 * are always written, images only when gnuplot runs (PNG via pngcairo when
 * the terminal exists, else SVG), and the report says which.
 */
#ifndef REP_REPORT_H
#define REP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define REP_MAX_DOCS 64

typedef struct rep_input {
    const cJSON *doc;
    const char *path;
} rep_input;

/* A Markdown table, one row per run: model, kind, suite/test, threads, n,
 * accuracy, TTFT p50/p90, decode tok/s, J/query, peak RSS, status. */
void rep_summary_table(const rep_input *inputs, int n_inputs, FILE *out);
/* 1 when the run's energy figures are estimates (energy_method "estimated: ..."),
 * which every table and chart then says next to them. */
int rep_energy_estimated(const cJSON *run);
/* OUT_DIR/report.md plus charts in OUT_DIR/charts/. Fills notice with the
 * chart outcome ("charts: 4 PNG (pngcairo)" / "gnuplot not found: ..."). */
int rep_generate(const rep_input *inputs, int n_inputs, const char *out_dir,
                 char *notice, size_t notice_size, char *err, size_t err_size);

/* ---- charts (reports/charts.c) ---- */

typedef enum rep_terminal { REP_TERM_NONE = 0, REP_TERM_PNG, REP_TERM_SVG } rep_terminal;

/* Which gnuplot terminal works here; REP_TERM_NONE without gnuplot. */
rep_terminal rep_detect_gnuplot(void);
/* Writes every chart's .dat/.gp into charts_dir and renders them with term.
 * *n_rendered counts images made; names of written charts go to the report
 * through rep_chart_names. */
int rep_write_charts(const rep_input *inputs, int n_inputs, const char *charts_dir,
                     rep_terminal term, int *n_rendered, char *err, size_t err_size);
/* The chart base names in order, NULL-terminated. */
extern const char *const rep_chart_names[];
extern const char *const rep_chart_titles[];

#endif
