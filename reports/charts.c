/*
 * charts.c — gnuplot charts for the report: each chart is NAME.dat (data,
 * one gnuplot index block per series) and NAME.gp (script) in the charts
 * directory, rendered to NAME.png (pngcairo) or NAME.svg by running gnuplot
 * there. A chart without data gets a .dat that says why and is not rendered.
 *
 * Invariants: .dat and .gp are each replaced whole (res_write_memstream_atomic);
 * gnuplot runs in a child process with its output discarded; a
 * failing gnuplot never fails the report (the image is simply absent);
 * labels are written with noenhanced text so model names print verbatim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "results/compare_write.h"
#include "results/results.h"
#include "results/stats.h"

const char *const rep_chart_names[] = {"latency_cdf", "throughput_threads", "power_trace", "accuracy_energy", NULL};
const char *const rep_chart_titles[] = {"Latency CDF (time to first token)", "Throughput vs threads",
                                        "Power and temperature trace", "Accuracy vs joules per query (Pareto front)",
                                        NULL};

static const cJSON *get(const cJSON *o, const char *a) { return cJSON_GetObjectItemCaseSensitive(o, a); }

static const char *str_or(const cJSON *v, const char *fallback)
{
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : fallback;
}

/* A series label without quotes (they would end the gnuplot string). */
static void series_label(const cJSON *run, char *out, size_t size)
{
    const cJSON *model = get(run, "model"), *config = get(run, "config");
    const char *name = str_or(get(model, "name"), str_or(get(model, "path"), "?"));
    const char *slash = strrchr(name, '/');
    const char *what = str_or(get(config, "suite"), str_or(get(config, "test"), str_or(get(run, "kind"), "?")));
    const cJSON *threads = get(config, "threads");
    snprintf(out, size, "%s %s t%d", slash ? slash + 1 : name, what, cJSON_IsNumber(threads) ? threads->valueint : 0);
    for (char *p = out; *p; p++)
        if (*p == '"' || *p == '\\')
            *p = '\'';
}

static void terminal_line(FILE *gp, rep_terminal term, const char *name)
{
    if (term == REP_TERM_SVG)
        fprintf(gp, "set terminal svg size 900,540 noenhanced\nset output '%s.svg'\n", name);
    else
        fprintf(gp, "set terminal pngcairo size 900,540 noenhanced\nset output '%s.png'\n", name);
}

/* ---- latency CDF -------------------------------------------------------- */

static int latency_cdf(const rep_input *in, int n_in, FILE *dat, FILE *gp)
{
    int series = 0;
    fprintf(gp, "set title 'Time to first token: cumulative distribution'\nset xlabel 'TTFT (ms)'\n"
                "set ylabel 'fraction of items'\nset yrange [0:1]\nset key bottom right\nset grid\nplot ");
    for (int d = 0; d < n_in; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
            double values[4096];
            int n = 0;
            const cJSON *item;
            cJSON_ArrayForEach(item, get(run, "items")) {
                const cJSON *v = get(item, "ttft_ms");
                if (cJSON_IsNumber(v) && n < 4096)
                    values[n++] = v->valuedouble;
            }
            if (n == 0)
                continue;
            qsort(values, (size_t)n, sizeof values[0], res_compare_doubles);
            char label[160];
            series_label(run, label, sizeof label);
            fprintf(dat, "# %s\n", label);
            fprintf(dat, "%g 0\n", values[0]); /* the step up from 0 at the fastest item */
            for (int i = 0; i < n; i++)
                fprintf(dat, "%g %g\n", values[i], (double)(i + 1) / n);
            fprintf(dat, "\n\n");
            fprintf(gp, "%s'latency_cdf.dat' index %d with steps lw 2 title \"%s\"", series ? ", " : "", series, label);
            series++;
        }
    }
    fprintf(gp, "\n");
    return series;
}

/* ---- throughput vs threads ---------------------------------------------- */

static double run_speed(const cJSON *run)
{
    const cJSON *mean = get(get(get(run, "aggregates"), "decode_tps"), "mean");
    if (!cJSON_IsNumber(mean))
        mean = get(get(get(run, "aggregates"), "prefill_tps"), "mean");
    return cJSON_IsNumber(mean) ? mean->valuedouble : -1;
}

static void group_key(const cJSON *run, char *out, size_t size)
{
    char label[160];
    series_label(run, label, sizeof label);
    char *t = strrchr(label, ' ');
    if (t)
        *t = '\0'; /* drop " tN": the group is model + suite/test */
    snprintf(out, size, "%s", label);
}

static int max_threads(const rep_input *in, int n_in)
{
    int max = 1;
    for (int d = 0; d < n_in; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
            const cJSON *t = get(get(run, "config"), "threads");
            if (cJSON_IsNumber(t) && t->valueint > max)
                max = t->valueint;
        }
    }
    return max;
}

static int throughput_threads(const rep_input *in, int n_in, FILE *dat, FILE *gp)
{
    char keys[64][160];
    int n_keys = 0;
    for (int d = 0; d < n_in; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
            char key[160];
            group_key(run, key, sizeof key);
            int known = 0;
            for (int k = 0; k < n_keys; k++)
                known |= !strcmp(keys[k], key);
            if (!known && n_keys < 64 && run_speed(run) >= 0)
                snprintf(keys[n_keys++], sizeof keys[0], "%s", key);
        }
    }
    fprintf(gp, "set title 'Throughput vs threads'\nset xlabel 'threads' offset 0,0.3\n"
                "set ylabel 'tok/s (decode; prefill for pp tests)'\nset grid\nset key below vertical spacing 1.2\n"
                "set xtics 1\nset xrange [0.5:%d.5]\nset yrange [0:*]\nplot ", max_threads(in, n_in));
    for (int k = 0; k < n_keys; k++) {
        fprintf(dat, "# %s\n", keys[k]);
        for (int threads = 1; threads <= 256; threads++)
            for (int d = 0; d < n_in; d++) {
                const cJSON *run;
                cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
                    char key[160];
                    group_key(run, key, sizeof key);
                    const cJSON *t = get(get(run, "config"), "threads");
                    if (!strcmp(key, keys[k]) && cJSON_IsNumber(t) && t->valueint == threads && run_speed(run) >= 0)
                        fprintf(dat, "%d %g\n", threads, run_speed(run));
                }
            }
        fprintf(dat, "\n\n");
        fprintf(gp, "%s'throughput_threads.dat' index %d with linespoints lw 2 pt 7 title \"%s\"",
                k ? ", " : "", k, keys[k]);
    }
    fprintf(gp, "\n");
    return n_keys;
}

/* ---- power and temperature trace ---------------------------------------- */

/* A trace sample's value: a number, or the first/maximum of an object of them. */
static int sample_value(const cJSON *v, int want_max, double *out, const char **source)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    int found = 0;
    const cJSON *child;
    cJSON_ArrayForEach(child, v) {
        if (!cJSON_IsNumber(child))
            continue;
        if (!found && source)
            *source = child->string;
        if (!found || (want_max && child->valuedouble > *out))
            *out = child->valuedouble;
        found = 1;
        if (!want_max)
            break;
    }
    return found;
}

static int power_trace(const rep_input *in, int n_in, FILE *dat, FILE *gp)
{
    int rows = 0, have_temp = 0;
    double offset = 0;
    const char *probe = NULL;
    fprintf(dat, "# t_s power_w temp_c (runs one after another)\n");
    for (int d = 0; d < n_in; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
            double last = 0;
            const cJSON *sample;
            cJSON_ArrayForEach(sample, get(get(run, "trace"), "samples")) {
                double t, power, temp;
                const cJSON *ts = get(sample, "t_s");
                if (!cJSON_IsNumber(ts))
                    continue;
                t = ts->valuedouble;
                int has_power = sample_value(get(sample, "power_w"), 0, &power, &probe);
                int has_temp = sample_value(get(sample, "temp_c"), 1, &temp, NULL);
                if (!has_power && !has_temp)
                    continue;
                have_temp |= has_temp;
                fprintf(dat, "%g ", offset + t);
                fprintf(dat, has_power ? "%g " : "NaN ", power);
                fprintf(dat, has_temp ? "%g\n" : "NaN\n", temp);
                last = t;
                rows++;
            }
            offset += last;
        }
    }
    char probe_name[64];
    snprintf(probe_name, sizeof probe_name, "%s", probe ? probe : "power");
    for (char *p = probe_name; *p; p++)
        if (*p == '\'' || *p == '\\')
            *p = ' ';
    fprintf(gp, "set title 'Power (first probe) and temperature (hottest zone)%s'\nset xlabel 'time (s)'\n"
                "set ylabel 'power (W)'\nset yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\nset grid\n"
                "set datafile missing 'NaN'\n",
            have_temp ? "" : ": no temperature sensor readable");
    if (have_temp)
        fprintf(gp, "set y2label 'temperature (C)'\nset ytics nomirror\nset y2tics\n");
    fprintf(gp, "plot 'power_trace.dat' using 1:2 with lines lw 2 title 'power W (%s)'%s\n", probe_name,
            have_temp ? ", '' using 1:3 axes x1y2 with lines lw 2 title 'temp C'" : "");
    return rows;
}

/* ---- accuracy vs energy with the Pareto front --------------------------- */

typedef struct point { double joules, accuracy; char label[160]; } point;

static int by_energy(const void *a, const void *b)
{
    const point *x = a, *y = b;
    if (x->joules != y->joules)
        return (x->joules > y->joules) - (x->joules < y->joules);
    return (x->accuracy < y->accuracy) - (x->accuracy > y->accuracy);
}

/* Runs with an accuracy and an energy figure, synthetic models left out:
 * their random weights make the accuracy axis meaningless. */
static int energy_points(const rep_input *in, int n_in, point *pts, int max, int *n_synthetic, int *n_estimated)
{
    int n = 0;
    for (int d = 0; d < n_in; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(in[d].doc, "runs")) {
            const cJSON *acc = get(get(get(run, "aggregates"), "accuracy"), "mean");
            const cJSON *joules = get(get(get(run, "aggregates"), "energy_j"), "mean");
            if (!cJSON_IsNumber(acc) || !cJSON_IsNumber(joules) || n == max)
                continue;
            if (cJSON_IsTrue(get(get(run, "model"), "synthetic"))) {
                (*n_synthetic)++;
                continue;
            }
            *n_estimated += rep_energy_estimated(run);
            pts[n].joules = joules->valuedouble;
            pts[n].accuracy = acc->valuedouble;
            series_label(run, pts[n].label, sizeof pts[n].label);
            n++;
        }
    }
    return n;
}

static int accuracy_energy(const rep_input *in, int n_in, FILE *dat, FILE *gp)
{
    point pts[256];
    int n_synthetic = 0, n_estimated = 0;
    int n = energy_points(in, n_in, pts, 256, &n_synthetic, &n_estimated);
    qsort(pts, (size_t)n, sizeof pts[0], by_energy);
    if (n == 0 && n_synthetic > 0)
        fprintf(dat, "# no data: only synthetic models (random weights: accuracy not meaningful)\n");
    else if (n_synthetic > 0)
        fprintf(dat, "# %d run(s) of synthetic models left out: accuracy not meaningful\n", n_synthetic);
    fprintf(dat, "# all runs: joules_per_query accuracy label\n");
    for (int i = 0; i < n; i++)
        fprintf(dat, "%g %g \"%s\"\n", pts[i].joules, pts[i].accuracy, pts[i].label);
    fprintf(dat, "\n\n# Pareto front (no other run is both cheaper and more accurate)\n");
    double best = -1;
    for (int i = 0; i < n; i++)
        if (pts[i].accuracy > best) {
            fprintf(dat, "%g %g\n", pts[i].joules, pts[i].accuracy);
            best = pts[i].accuracy;
        }
    fprintf(gp, "set title 'Accuracy vs energy per query (Pareto front marked)'\n"
                "set xlabel 'energy per query (J%s)'\n"
                "set ylabel 'accuracy (primary score, 0-1)'\nset yrange [0:1.05]\nset xrange [0:*]\nset grid\n"
                "set key top left\n"
                "plot 'accuracy_energy.dat' index 0 using 1:2 with points pt 7 ps 1.5 title 'runs', "
                "'' index 0 using 1:2:3 with labels offset 0,1 font ',8' notitle, "
                "'' index 1 using 1:2 with linespoints lw 2 dt 2 pt 6 ps 2.5 title 'Pareto front'\n",
            n > 0 && n_estimated == n ? ", estimated" : n_estimated > 0 ? ", some estimated" : "");
    return n;
}

/* ---- running gnuplot -------------------------------------------------------- */

static int gnuplot_accepts(const char *expr)
{
    return res_gnuplot_run(NULL, "-e", expr) == 0;
}

rep_terminal rep_detect_gnuplot(void)
{
    const char *force = getenv("SLMBENCH_GNUPLOT");   /* "none" lets tests check the no-gnuplot path */
    if (force && !strcmp(force, "none"))
        return REP_TERM_NONE;
    if (gnuplot_accepts("set terminal pngcairo"))
        return REP_TERM_PNG;
    if (gnuplot_accepts("set terminal svg"))
        return REP_TERM_SVG;
    return REP_TERM_NONE;
}

typedef int (*chart_writer)(const rep_input *, int, FILE *, FILE *);

int rep_write_charts(const rep_input *inputs, int n_inputs, const char *charts_dir,
                     rep_terminal term, int *n_rendered, char *err, size_t err_size)
{
    static const chart_writer writers[] = {latency_cdf, throughput_threads, power_trace, accuracy_energy};
    *n_rendered = 0;
    for (int c = 0; rep_chart_names[c]; c++) {
        char *dat_text = NULL, *gp_text = NULL, path[4096];
        size_t dat_len = 0, gp_len = 0;
        FILE *dat = open_memstream(&dat_text, &dat_len);
        FILE *gp = dat ? open_memstream(&gp_text, &gp_len) : NULL;
        if (!gp) {
            if (dat)
                fclose(dat);
            free(dat_text);
            snprintf(err, err_size, "%s/%s.dat: out of memory", charts_dir, rep_chart_names[c]);
            return -1;
        }
        fprintf(gp, "# %s — generated by slmbench report; render with: gnuplot %s.gp\n",
                rep_chart_titles[c], rep_chart_names[c]);
        terminal_line(gp, term, rep_chart_names[c]);
        int n = writers[c](inputs, n_inputs, dat, gp);
        if (n == 0)
            fprintf(dat, "# no data: no run in the input has values for this chart\n");
        snprintf(path, sizeof path, "%s/%s.dat", charts_dir, rep_chart_names[c]);
        int failed = res_write_memstream_atomic(dat, &dat_text, &dat_len, path, err, err_size);
        snprintf(path, sizeof path, "%s/%s.gp", charts_dir, rep_chart_names[c]);
        if (failed) {
            fclose(gp);
            free(gp_text);
            return -1;
        }
        if (res_write_memstream_atomic(gp, &gp_text, &gp_len, path, err, err_size) != 0)
            return -1;
        if (n > 0 && term != REP_TERM_NONE) {
            char script[128];
            snprintf(script, sizeof script, "%s.gp", rep_chart_names[c]);
            if (res_gnuplot_run(charts_dir, script, NULL) == 0)
                (*n_rendered)++;
        }
    }
    return 0;
}
