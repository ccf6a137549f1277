/*
 * compare_output.c — a comparison as a terminal table, a Markdown report and
 * JUnit XML (one testcase per run × metric; a regression is a <failure>, a
 * noisy or unavailable metric is <skipped> with the reason, so CI dashboards
 * show it instead of a silent pass).
 *
 * Invariants: files are written atomically; numbers that do not exist (NaN)
 * print as "n/a", never as 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/compare.h"
#include "results/compare_write.h"
#include "results/results.h"

static void format_number(char *buffer, size_t size, double value)
{
    if (isnan(value))
        snprintf(buffer, size, "n/a");
    else
        snprintf(buffer, size, "%.6g", value);
}

static void format_p(char *buffer, size_t size, double p)
{
    if (isnan(p))
        snprintf(buffer, size, "n/a");
    else if (p < 1e-4)
        snprintf(buffer, size, "%.2e", p);
    else
        snprintf(buffer, size, "%.4f", p);
}

static void format_change(char *buffer, size_t size, const res_metric_comparison *row)
{
    const char *unit = row->change_in_points ? " pt" : "%";
    if (isnan(row->change.estimate))
        snprintf(buffer, size, "n/a");
    else
        snprintf(buffer, size, "%+.2f%s [%+.2f, %+.2f]", row->change.estimate, unit,
                 row->change.low, row->change.high);
}

static void print_reasons(const res_comparison *comparison, FILE *out, const char *prefix)
{
    for (size_t i = 0; i < comparison->n_reasons; i++)
        fprintf(out, "%s%s\n", prefix, comparison->reasons[i]);
}

void res_compare_print_text(const res_comparison *comparison, const char *base_path,
                            const char *new_path, void *stream)
{
    FILE *out = stream;
    const res_compare_options *o = &comparison->options;
    fprintf(out, "compare: base %s -> new %s\n", base_path, new_path);
    fprintf(out, "rule: regression = p < %g and change worse than %g%% (accuracy: %g points); "
                 "CV above %g is noisy, not judged; CI %.0f%% bootstrap, seed %llu%s\n",
            o->alpha, o->threshold_pct, o->accuracy_threshold_points, o->max_cv,
            100 * (1 - o->alpha), (unsigned long long)o->seed,
            o->paired ? "; metrics paired by item" : "");
    if (comparison->forced)
        print_reasons(comparison, out, "forced despite: ");
    for (size_t i = 0; i < comparison->n_warnings; i++)
        fprintf(out, "warning: %s\n", comparison->warnings[i]);
    fprintf(out, "%-16s %-6s %6s %12s %12s %-30s %-9s %-22s %s\n", "metric", "better", "n",
            "base", "new", "change [CI]", "p", "verdict", "run");
    for (size_t i = 0; i < comparison->n_rows; i++) {
        const res_metric_comparison *row = &comparison->rows[i];
        char base[32], new_value[32], change[64], p[24];
        format_number(base, sizeof base, row->center_base);
        format_number(new_value, sizeof new_value, row->center_new);
        format_change(change, sizeof change, row);
        format_p(p, sizeof p, row->p_value);
        fprintf(out, "%-16s %-6s %6zu %12s %12s %-30s %-9s %-22s %s\n", row->metric,
                res_direction_name(row->direction), row->n_new, base, new_value, change, p,
                res_verdict_name(row->verdict), row->run_label);
        if (row->note[0])
            fprintf(out, "    note: %s\n", row->note);
    }
    fprintf(out, "%zu regression(s), %zu noisy metric(s) not judged\n", comparison->n_regressions,
            comparison->n_noisy);
}

static void markdown_row(FILE *out, const res_metric_comparison *row)
{
    char base[32], new_value[32], change[64], p[24];
    format_number(base, sizeof base, row->center_base);
    format_number(new_value, sizeof new_value, row->center_new);
    format_change(change, sizeof change, row);
    format_p(p, sizeof p, row->p_value);
    fprintf(out, "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", row->metric,
            res_direction_name(row->direction), base, new_value, change, p,
            row->test ? row->test : "-", res_verdict_name(row->verdict),
            row->note[0] ? row->note : "");
}

int res_compare_write_markdown(const res_comparison *comparison, const char *base_path,
                               const char *new_path, const char *out_path, char *err,
                               size_t err_size)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", out_path);
        return -1;
    }
    const res_compare_options *o = &comparison->options;
    fprintf(out, "# Regression check\n\nBase: `%s`  \nNew: `%s`\n\n", base_path, new_path);
    fprintf(out, "**%s** — %zu regression(s), %zu noisy metric(s) not judged.\n\n",
            comparison->n_regressions ? "FAIL" : "PASS", comparison->n_regressions,
            comparison->n_noisy);
    fprintf(out, "Rule: a regression is significant (p < %g) and worse than %g%% on the median "
                 "(accuracy: %g points on the mean score). Change intervals are %.0f%% percentile "
                 "bootstrap, seed %llu. Coefficient of variation above %g: noisy, not judged.\n\n",
            o->alpha, o->threshold_pct, o->accuracy_threshold_points, 100 * (1 - o->alpha),
            (unsigned long long)o->seed, o->max_cv);
    for (size_t i = 0; i < comparison->n_reasons && comparison->forced; i++)
        fprintf(out, "> Forced despite: %s\n", comparison->reasons[i]);
    for (size_t i = 0; i < comparison->n_warnings; i++)
        fprintf(out, "> Warning: %s\n", comparison->warnings[i]);
    const char *current = NULL;
    for (size_t i = 0; i < comparison->n_rows; i++) {
        const res_metric_comparison *row = &comparison->rows[i];
        if (!current || strcmp(current, row->run_label) != 0) {
            current = row->run_label;
            fprintf(out, "\n## `%s`\n\n| metric | better | base | new | change [CI] | p | test "
                         "| verdict | note |\n|---|---|---|---|---|---|---|---|---|\n",
                    current);
        }
        markdown_row(out, row);
    }
    return res_write_memstream_atomic(out, &text, &length, out_path, err, err_size);
}

static int junit_case(FILE *out, const res_metric_comparison *row)
{
    char *name = res_xml_escape(row->metric), *class_name = res_xml_escape(row->run_label);
    char *note = res_xml_escape(row->note);
    if (!name || !class_name || !note) {
        free(name);
        free(class_name);
        free(note);
        return -1;
    }
    char change[64], p[24];
    format_change(change, sizeof change, row);
    format_p(p, sizeof p, row->p_value);
    fprintf(out, "    <testcase classname=\"slmbench.compare.%s\" name=\"%s\">\n", class_name, name);
    if (row->verdict == RES_VERDICT_REGRESSED)
        fprintf(out, "      <failure message=\"%s regressed: change %s, p %s\"/>\n", name, change, p);
    else if (row->verdict == RES_VERDICT_NOISY || row->verdict == RES_VERDICT_UNAVAILABLE ||
             row->verdict == RES_VERDICT_INSUFFICIENT)
        fprintf(out, "      <skipped message=\"%s: %s\"/>\n", res_verdict_name(row->verdict), note);
    fprintf(out, "      <system-out>change %s, p %s, verdict %s</system-out>\n", change, p,
            res_verdict_name(row->verdict));
    fprintf(out, "    </testcase>\n");
    free(name);
    free(class_name);
    free(note);
    return 0;
}

static size_t count_skipped(const res_comparison *comparison)
{
    size_t skipped = 0;
    for (size_t i = 0; i < comparison->n_rows; i++) {
        res_verdict v = comparison->rows[i].verdict;
        skipped += v == RES_VERDICT_NOISY || v == RES_VERDICT_UNAVAILABLE ||
                   v == RES_VERDICT_INSUFFICIENT;
    }
    return skipped;
}

int res_compare_write_junit(const res_comparison *comparison, const char *out_path, char *err,
                            size_t err_size)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", out_path);
        return -1;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites>\n  <testsuite name=\"slmbench.compare\" tests=\"%zu\" "
                 "failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            comparison->n_rows, comparison->n_regressions, count_skipped(comparison));
    int status = 0;
    for (size_t i = 0; i < comparison->n_rows && status == 0; i++)
        status = junit_case(out, &comparison->rows[i]);
    fprintf(out, "  </testsuite>\n</testsuites>\n");
    if (status != 0) {
        fclose(out);
        free(text);
        snprintf(err, err_size, "%s: out of memory formatting JUnit XML", out_path);
        return -1;
    }
    return res_write_memstream_atomic(out, &text, &length, out_path, err, err_size);
}
