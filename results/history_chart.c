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
#include "results/results.h"
#include "results/history.h"

static int starts_series(const res_history_point *points, size_t i)
{
    return i == 0 || strcmp(points[i].run_key, points[i - 1].run_key) ||
           strcmp(points[i].model_sha256, points[i - 1].model_sha256) ||
           strcmp(points[i].device_id, points[i - 1].device_id);
}

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
        if (starts_series(points, i)) {
            fprintf(out, "%s# series %zu: %s | %.12s | %s\n", i ? "\n\n" : "", *n_series,
                    points[i].model, points[i].device_id, points[i].run_key);
            (*n_series)++;
            x = 0;
        }
        fprintf(out, "%zu %.9g %d \"%s\"\n", x + 1, points[i].median, points[i].change_point,
                points[i].created_utc);
    }
    return res_write_memstream_atomic(out, &text, &length, path, err, err_size);
}

/* gnuplot single-quoted string: a quote inside would end it, so it becomes ". */
static void plot_title(const res_history_point *p, char *out, size_t size)
{
    snprintf(out, size, "%.40s | %.12s | %.80s", p->model, p->device_id, p->run_key);
    for (char *q = out; *q; q++)
        if (*q == '\'')
            *q = '"';
}

static int plot_command(const res_history_point *points, size_t n, const char *data_path,
                        FILE *out)
{
    size_t series = 0;
    fprintf(out, "plot ");
    for (size_t i = 0; i < n; i++) {
        if (!starts_series(points, i))
            continue;
        char title[160];
        plot_title(&points[i], title, sizeof title);
        fprintf(out, "%s'%s' index %zu using 1:2 with linespoints title '%s', \\\n     "
                     "'%s' index %zu using 1:($3 > 0 ? $2 : 1/0) with points pt 6 ps 3 lc rgb 'red' notitle",
                series ? ", \\\n     " : "", data_path, series, title, data_path, series);
        series++;
    }
    fprintf(out, "\n");
    return 0;
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
    char *body = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&body, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", out_base);
        return -1;
    }
    fprintf(out, "set title 'slmbench history: %s (median per run; circles = change points)'\n"
                 "set xlabel 'run (in time order)'\nset ylabel '%s'\nset grid\nset key outside below\n",
            metric, metric);
    plot_command(points, n, data_path, out);
    if (fclose(out) != 0 || !body) {
        free(body);
        snprintf(err, err_size, "%s: out of memory", out_base);
        return -1;
    }
    int status = res_gnuplot_render(out_base, body, chart, chart_size, err, err_size);
    free(body);
    return status;
}
