/*
 * report.c — report.md: header, synthetic-model and device notices, a table
 * per run, a leaderboard when several models or devices are present, and the
 * charts section. See report.h for the invariants.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "results/results.h"

static const cJSON *get(const cJSON *o, const char *a) { return cJSON_GetObjectItemCaseSensitive(o, a); }
static const cJSON *get2(const cJSON *o, const char *a, const char *b) { return get(get(o, a), b); }

static const char *str_or(const cJSON *v, const char *fallback)
{
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : fallback;
}

/* "12.3" or "n/a" for an aggregate's statistic. */
static void fmt_stat(char *out, size_t size, const cJSON *run, const char *metric, const char *stat,
                     double scale, const char *format)
{
    const cJSON *v = get(get2(run, "aggregates", metric), stat);
    if (cJSON_IsNumber(v))
        snprintf(out, size, format, v->valuedouble * scale);
    else
        snprintf(out, size, "n/a");
}

static void fmt_mean_sd(char *out, size_t size, const cJSON *run, const char *metric)
{
    const cJSON *agg = get2(run, "aggregates", metric);
    const cJSON *mean = get(agg, "mean"), *sd = get(agg, "sd");
    if (cJSON_IsNumber(mean) && cJSON_IsNumber(sd))
        snprintf(out, size, "%.2f ± %.2f", mean->valuedouble, sd->valuedouble);
    else
        snprintf(out, size, "n/a");
}

static const char *run_label(const cJSON *run, char *buf, size_t size)
{
    const cJSON *config = get(run, "config");
    const char *kind = str_or(get(run, "kind"), "?");
    if (!strcmp(kind, "bench"))
        snprintf(buf, size, "bench %s", str_or(get(config, "test"), "?"));
    else if (!strcmp(kind, "soak"))
        snprintf(buf, size, "soak");
    else
        snprintf(buf, size, "%s", str_or(get(config, "suite"), "?"));
    return buf;
}

static const char *model_label(const cJSON *run)
{
    const cJSON *model = get(run, "model");
    const char *name = str_or(get(model, "name"), NULL);
    if (name)
        return name;
    const char *path = str_or(get(model, "path"), "?");
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void accuracy_cell(char *out, size_t size, const cJSON *run)
{
    const cJSON *acc = get2(run, "aggregates", "accuracy");
    const cJSON *mean = get(acc, "mean"), *metric = get(acc, "metric");
    int synthetic = cJSON_IsTrue(get2(run, "model", "synthetic"));
    if (cJSON_IsNumber(mean))
        snprintf(out, size, "%.3f %s%s", mean->valuedouble, str_or(metric, ""), synthetic ? " (synthetic)" : "");
    else
        snprintf(out, size, "n/a");
}

int rep_energy_estimated(const cJSON *run)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, get(run, "items")) {
        const cJSON *method = get(item, "energy_method");
        if (cJSON_IsString(method))
            return !strncmp(method->valuestring, "estimated", 9);
    }
    return 0;
}

/* Mean J per item, "(est.)" when the figure is an estimate, not a measurement. */
static void energy_cell(char *out, size_t size, const cJSON *run)
{
    fmt_stat(out, size, run, "energy_j", "mean", 1, "%.2f");
    if (strcmp(out, "n/a") && rep_energy_estimated(run))
        snprintf(out + strlen(out), size - strlen(out), " (est.)");
}

static void table_row(const cJSON *run, const cJSON *doc, FILE *out)
{
    char label[96], acc[64], ttft50[32], ttft90[32], tps[48], joules[32], rss[32];
    accuracy_cell(acc, sizeof acc, run);
    fmt_stat(ttft50, sizeof ttft50, run, "ttft_ms", "median", 1, "%.1f");
    fmt_stat(ttft90, sizeof ttft90, run, "ttft_ms", "p90", 1, "%.1f");
    fmt_mean_sd(tps, sizeof tps, run, "decode_tps");
    if (!strcmp(str_or(get(run, "kind"), ""), "bench") && !cJSON_IsNumber(get(get2(run, "aggregates", "decode_tps"), "mean")))
        fmt_mean_sd(tps, sizeof tps, run, "prefill_tps");
    energy_cell(joules, sizeof joules, run);
    fmt_stat(rss, sizeof rss, run, "rss_peak_bytes", "max", 1.0 / (1024 * 1024), "%.0f");
    const cJSON *threads = get2(run, "config", "threads");
    int errors = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, get(run, "items"))
        errors += cJSON_IsString(get(item, "error"));
    char status[64];
    snprintf(status, sizeof status, errors ? "%s, %d failed" : "%s", str_or(get(run, "status"), "?"), errors);
    fprintf(out, "| %s | %.8s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n",
            model_label(run), str_or(get2(doc, "device", "device_id"), "n/a"), run_label(run, label, sizeof label),
            cJSON_IsNumber(threads) ? threads->valueint : 0,
            cJSON_GetArraySize(get(run, "items")),
            acc, ttft50, ttft90, tps, joules, rss, status);
}

void rep_summary_table(const rep_input *inputs, int n_inputs, FILE *out)
{
    fprintf(out, "| model | device | suite/test | threads | n | accuracy | TTFT p50 ms | TTFT p90 ms |"
                 " decode tok/s (mean ± sd) | J/query | peak RSS MiB | status |\n");
    fprintf(out, "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|\n");
    for (int d = 0; d < n_inputs; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(inputs[d].doc, "runs"))
            table_row(run, inputs[d].doc, out);
    }
}

/* ---- leaderboard ------------------------------------------------------------ */

typedef struct board_row {
    const cJSON *run, *doc;
    double accuracy, decode_tps, joules;
} board_row;

static double mean_of(const cJSON *run, const char *metric)
{
    const cJSON *v = get(get2(run, "aggregates", metric), "mean");
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int board_order(const void *a, const void *b)
{
    const board_row *x = a, *y = b;
    int suite = strcmp(str_or(get2(x->run, "config", "suite"), ""), str_or(get2(y->run, "config", "suite"), ""));
    if (suite)
        return suite;
    if (x->accuracy != y->accuracy)
        return x->accuracy < y->accuracy ? 1 : -1;
    return (x->decode_tps < y->decode_tps) - (x->decode_tps > y->decode_tps);
}

/* More than one model, or one model on more than one device. */
static int several_contenders(const board_row *rows, int n)
{
    for (int i = 1; i < n; i++)
        if (strcmp(model_label(rows[i].run), model_label(rows[0].run)) ||
            strcmp(str_or(get2(rows[i].doc, "device", "device_id"), ""),
                   str_or(get2(rows[0].doc, "device", "device_id"), "")))
            return 1;
    return 0;
}

static void write_leaderboard(const rep_input *inputs, int n_inputs, FILE *out)
{
    board_row rows[512];
    int n = 0;
    for (int d = 0; d < n_inputs; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(inputs[d].doc, "runs")) {
            if (n == 512 || strcmp(str_or(get(run, "kind"), ""), "suite"))
                continue;
            rows[n++] = (board_row){run, inputs[d].doc, mean_of(run, "accuracy"), mean_of(run, "decode_tps"),
                                    mean_of(run, "energy_j")};
        }
    }
    if (!several_contenders(rows, n))
        return; /* one model on one device: a ranking would rank nothing */
    qsort(rows, (size_t)n, sizeof rows[0], board_order);
    fprintf(out, "\n## Leaderboard (per suite: accuracy, then decode speed)\n\n");
    fprintf(out, "| suite | rank | model | device | threads | accuracy | decode tok/s | J/query |\n");
    fprintf(out, "|---|---:|---|---|---:|---:|---:|---:|\n");
    int rank = 0;
    for (int i = 0; i < n; i++) {
        rank = i > 0 && !strcmp(str_or(get2(rows[i].run, "config", "suite"), ""),
                                str_or(get2(rows[i - 1].run, "config", "suite"), "")) ? rank + 1 : 1;
        char acc[64], tps[32], joules[32];
        accuracy_cell(acc, sizeof acc, rows[i].run);
        fmt_stat(tps, sizeof tps, rows[i].run, "decode_tps", "mean", 1, "%.2f");
        energy_cell(joules, sizeof joules, rows[i].run);
        const cJSON *threads = get2(rows[i].run, "config", "threads");
        const cJSON *device = get(rows[i].doc, "device");
        fprintf(out, "| %s | %d | %s | %s (%.8s) | %d | %s | %s | %s |\n",
                str_or(get2(rows[i].run, "config", "suite"), "?"), rank, model_label(rows[i].run),
                str_or(get2(device, "cpu", "brand"), "?"), str_or(get(device, "device_id"), "n/a"),
                cJSON_IsNumber(threads) ? threads->valueint : 0, acc, tps, joules);
    }
}

/* ---- notices and device ---------------------------------------------------- */

static void write_synthetic_notice(const rep_input *inputs, int n_inputs, FILE *out)
{
    int printed = 0;
    for (int d = 0; d < n_inputs; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(inputs[d].doc, "runs")) {
            if (!cJSON_IsTrue(get2(run, "model", "synthetic")))
                continue;
            if (!printed++)
                fprintf(out, "> **Synthetic model(s): accuracy not meaningful: synthetic weights.** "
                             "Speed and memory figures are real measurements of the engine; energy is "
                             "measured or estimated as its method below says.\n>\n");
            fprintf(out, "> - %s (%s)\n", model_label(run), str_or(get2(run, "model", "path"), "?"));
            break;
        }
    }
    if (printed)
        fputc('\n', out);
}

static void write_device(const rep_input *in, FILE *out)
{
    const cJSON *device = get(in->doc, "device");
    const cJSON *tool = get(in->doc, "tool");
    fprintf(out, "- **%s**: ", in->path);
    if (get(device, "unavailable")) {
        fprintf(out, "device unavailable: %s\n", str_or(get(device, "unavailable"), "?"));
    } else {
        const cJSON *cores = get2(device, "cpu", "cores"), *mem = get(device, "mem_total_bytes");
        fprintf(out, "%s, %d cores, %.1f GiB, %s %s, device_id %s", str_or(get2(device, "cpu", "brand"), "?"),
                cJSON_IsNumber(cores) ? cores->valueint : 0,
                cJSON_IsNumber(mem) ? mem->valuedouble / (1024.0 * 1024 * 1024) : 0.0,
                str_or(get(device, "os_pretty"), str_or(get(device, "os"), "?")),
                str_or(get(device, "kernel"), ""), str_or(get(device, "device_id"), "n/a"));
        fputc('\n', out);
    }
    fprintf(out, "  slmbench %s (commit %s, %s, %s, kernels %s); created %s, status %s\n",
            str_or(get(tool, "version"), "?"), str_or(get(tool, "git_commit"), "?"),
            str_or(get(tool, "compiler"), "?"), str_or(get(tool, "cflags"), "?"),
            str_or(get(tool, "simd_path"), "?"), str_or(get(in->doc, "created_utc"), "?"),
            str_or(get(in->doc, "status"), "?"));
}

static void write_energy_methods(const rep_input *inputs, int n_inputs, FILE *out)
{
    for (int d = 0; d < n_inputs; d++) {
        const cJSON *run;
        cJSON_ArrayForEach(run, get(inputs[d].doc, "runs")) {
            const cJSON *item = cJSON_GetArrayItem(get(run, "items"), 0);
            const cJSON *method = get(item, "energy_method");
            if (cJSON_IsString(method)) {
                fprintf(out, "- Energy (%s): %s\n", inputs[d].path, method->valuestring);
                break;
            }
        }
    }
}

/* The first "# no data: REASON" line of a chart's .dat, else a generic reason. */
static const char *no_data_reason(const char *out_dir, const char *chart, char *buf, size_t size)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/charts/%s.dat", out_dir, chart);
    snprintf(buf, size, "no data in these results");
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "# no data: ", 11)) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(buf, size, "no data: %.200s", line + 11);
            break;
        }
    }
    if (f)
        fclose(f);
    return buf;
}

static void write_charts_section(const char *out_dir, rep_terminal term, int n_rendered,
                                 const char *notice, FILE *out)
{
    fprintf(out, "\n## Charts\n\n%s\n\n", notice);
    if (term == REP_TERM_NONE || n_rendered == 0)
        return;
    for (int i = 0; rep_chart_names[i]; i++) {
        const char *ext = term == REP_TERM_PNG ? "png" : "svg";
        char path[4096], reason[256];
        snprintf(path, sizeof path, "%s/charts/%s.%s", out_dir, rep_chart_names[i], ext);
        if (access(path, F_OK) == 0)
            fprintf(out, "![%s](charts/%s.%s)\n\n", rep_chart_titles[i], rep_chart_names[i], ext);
        else
            fprintf(out, "- %s: %s (see charts/%s.dat)\n\n", rep_chart_titles[i],
                    no_data_reason(out_dir, rep_chart_names[i], reason, sizeof reason), rep_chart_names[i]);
    }
}

static int write_report(const rep_input *inputs, int n_inputs, const char *out_dir, rep_terminal term,
                        int n_rendered, const char *notice, char *err, size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    char now[32];
    res_utc_now(now, sizeof now);
    fprintf(out, "# slmbench report\n\nGenerated %s from %d result file(s).\n\n", now, n_inputs);
    write_synthetic_notice(inputs, n_inputs, out);
    fprintf(out, "## Devices and builds\n\n");
    for (int d = 0; d < n_inputs; d++)
        write_device(&inputs[d], out);
    write_energy_methods(inputs, n_inputs, out);
    fprintf(out, "\n## Results\n\nOne row per run (model x suite or test x configuration). TTFT includes "
                 "prompt processing; tok/s is decode speed (prefill speed for prompt-only bench tests); "
                 "J/query is the mean energy of one item (est. = estimated from a power profile and CPU utilisation, "
                 "not measured: see Energy above); n/a = not measured here (see results.json for the reason).\n\n");
    rep_summary_table(inputs, n_inputs, out);
    write_leaderboard(inputs, n_inputs, out);
    write_charts_section(out_dir, term, n_rendered, notice, out);
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", out_dir);
    return res_write_memstream_atomic(out, &text, &len, path, err, err_size);
}

int rep_generate(const rep_input *inputs, int n_inputs, const char *out_dir,
                 char *notice, size_t notice_size, char *err, size_t err_size)
{
    char charts_dir[4096];
    snprintf(charts_dir, sizeof charts_dir, "%s/charts", out_dir);
    if (res_make_dir(out_dir, err, err_size) != 0 || res_make_dir(charts_dir, err, err_size) != 0)
        return -1;
    rep_terminal term = rep_detect_gnuplot();
    int n_rendered = 0;
    if (rep_write_charts(inputs, n_inputs, charts_dir, term, &n_rendered, err, err_size) != 0)
        return -1;
    if (term == REP_TERM_NONE)
        snprintf(notice, notice_size, "gnuplot not found: charts skipped; their scripts and data are in %s "
                 "(run `gnuplot NAME.gp` there)", charts_dir);
    else
        snprintf(notice, notice_size, "%d chart(s) rendered as %s with gnuplot; scripts and data in %s",
                 n_rendered, term == REP_TERM_PNG ? "PNG (pngcairo)" : "SVG (pngcairo unavailable)", charts_dir);
    return write_report(inputs, n_inputs, out_dir, term, n_rendered, notice, err, err_size);
}
