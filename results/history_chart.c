/*
 * history_chart.c — the trend chart of `slmbench history show`: one line per
 * series (model × device × config) over time, change points circled.
 *
 * Invariants: the data file and script are written atomically next to each
 * other (OUT_BASE.dat, OUT_BASE.gp); without gnuplot they are kept and a
 * notice says so (res_gnuplot_render).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/compare_write.h"
#include "results/history.h"

/* gnuplot data: one block per series (two blank lines between), x = run number. */
static int write_data(const res_history_point *points, size_t n, const char *path,
                      size_t *n_series, char *err, size_t err_size)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    *n_series = 0;
    for (size_t i = 0, x = 0; i < n; i++, x++) {
        int starts = i == 0 || strcmp(points[i].run_key, points[i - 1].run_key) ||
                     strcmp(points[i].model_sha256, points[i - 1].model_sha256) ||
                     strcmp(points[i].device_id, points[i - 1].device_id);
        if (starts) {
            fprintf(out, "%s# series %zu: %s | %.12s | %s\n", i ? "\n\n" : "", *n_series,
                    points[i].model, points[i].device_id, points[i].run_key);
            (*n_series)++;
            x = 0;
        }
        fprintf(out, "%zu %.9g %d \"%s\"\n", x + 1, points[i].median, points[i].change_point,
                points[i].created_utc);
    }
    if (fclose(out) != 0 || !text) {
        free(text);
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    int status = res_decision_write_file(path, text, length, err, err_size);
    free(text);
    return status;
}

int res_history_chart(const res_history_point *points, size_t n, const char *metric,
                      const char *out_base, char *chart, size_t chart_size, char *err,
                      size_t err_size)
{
    char data_path[1100];
    size_t n_series;
    snprintf(data_path, sizeof data_path, "%s.dat", out_base);
    if (write_data(points, n, data_path, &n_series, err, err_size) != 0)
        return -1;
    char body[4096];
    snprintf(body, sizeof body,
             "set title 'slmbench history: %s (median per run; circles = change points)'\n"
             "set xlabel 'run (in time order)'\nset ylabel '%s'\nset grid\nset key outside below\n"
             "plot for [s=0:%zu] '%s' index s using 1:2 with linespoints title sprintf('series %%d', s), \\\n"
             "     for [s=0:%zu] '%s' index s using 1:($3 > 0 ? $2 : 1/0) with points pt 6 ps 3 lc rgb 'red' notitle\n",
             metric, metric, n_series ? n_series - 1 : 0, data_path, n_series ? n_series - 1 : 0,
             data_path);
    return res_gnuplot_render(out_base, body, chart, chart_size, err, err_size);
}
