/*
 * history.h — results over time in SQLite (runs/history.sqlite by default):
 * `slmbench history add` stores one summary row per run and metric,
 * `history show` reads a metric's series back and marks change points.
 *
 * Tables (created on first open; schema version in PRAGMA user_version = 1):
 *   history_runs(id, added_utc, created_utc, source_path, git_commit, device_id,
 *                model_name, model_sha256, run_key)  UNIQUE on what identifies a run;
 *                model_sha256 holds res_run_model_identity() (remote:model@endpoint
 *                for a remote model without a sha256)
 *   history_metrics(run_id, metric, n, median, mean, p90, sd)
 *
 * Change points (res_history_changepoints): binary segmentation on the series
 * of per-run medians. A segment is split at the index maximizing
 * |median(left) - median(right)| * n_left * n_right / n; the split is kept when
 * both sides have at least min_segment runs and the medians differ by at least
 * min_shift_pct percent of the left median; both sides are then split again.
 * Because a side needs min_segment runs (default 2), one outlier is never a
 * change point and a new level is marked once it is confirmed by a second run.
 *
 * Invariants: adding the same results file twice stores it once; every
 * statement is prepared with bound parameters; writes run in one transaction.
 */
#ifndef RES_HISTORY_H
#define RES_HISTORY_H

#include <stddef.h>

#include "results/compare_load.h"

typedef struct sqlite3 sqlite3;

#define RES_HISTORY_DEFAULT_DB "runs/history.sqlite"

/* 1 when metric is one of those history add stores; names gets them all,
 * space-separated, for the error line. */
int res_history_metric_known(const char *metric, char *names, size_t names_size);

/* Opens; with create, makes the file, its parent directory and the tables as
 * needed; without, a missing file is an error (reading never creates). */
int res_history_open(const char *path, int create, sqlite3 **db, char *err, size_t err_size);
void res_history_close(sqlite3 *db);

/* Stores every run of the file; counts runs added and runs already present. */
int res_history_add(sqlite3 *db, const res_file *file, size_t *added, size_t *duplicates,
                    char *err, size_t err_size);

typedef struct res_history_point {
    char created_utc[40];
    char git_commit[48];
    char model[128];        /* model name, else sha256 prefix */
    char model_sha256[72];
    char device_id[80];
    char run_key[256];
    double median;
    double p90;
    int n;
    int change_point;       /* 1: first run of a new level */
    double shift_pct;       /* level change at this point, percent */
} res_history_point;

typedef struct res_history_filter {
    const char *metric;     /* required */
    const char *model;      /* matches model_name or a sha256 prefix; NULL = all */
    const char *device;     /* device_id prefix; NULL = all */
    const char *run_key;    /* exact; NULL = all */
} res_history_filter;

/* Points ordered by series (sha256, device, run_key) then time. Caller frees *points. */
int res_history_query(sqlite3 *db, const res_history_filter *filter, res_history_point **points,
                      size_t *n_points, char *err, size_t err_size);

/* Marks change points within each series of the query result (same sha256, device, run_key). */
void res_history_mark_series(res_history_point *points, size_t n, double min_shift_pct,
                             size_t min_segment);

/* On a plain series: sets change[i] = 1 and shift_pct[i] at each change point. */
void res_history_changepoints(const double *values, size_t n, double min_shift_pct,
                              size_t min_segment, int *change, double *shift_pct);

/* Writes OUT_BASE.dat + .gp and renders the trend chart (see res_gnuplot_render). */
int res_history_chart(const res_history_point *points, size_t n, const char *metric,
                      const char *out_base, char *chart, size_t chart_size, char *err,
                      size_t err_size);

#endif
