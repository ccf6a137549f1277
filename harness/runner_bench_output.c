/*
 * runner_bench_output.c — bench results as a Markdown table (like
 * llama-bench), CSV (one row per model x threads x test) or the results JSON
 * document, to stdout or atomically to -o FILE.
 *
 * Invariant: every figure comes from the run's aggregates; a missing one is
 * "n/a" (Markdown) or an empty cell (CSV), never 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/runner.h"
#include "results/results.h"

static const cJSON *get(const cJSON *o, const char *a) { return cJSON_GetObjectItemCaseSensitive(o, a); }

static const cJSON *stat_of(const cJSON *run, const char *metric, const char *stat)
{
    return get(get(get(run, "aggregates"), metric), stat);
}

/* Decode speed for tests that generate, prefill speed for prompt-only ones. */
static const char *speed_metric(const cJSON *run)
{
    return cJSON_IsNumber(stat_of(run, "decode_tps", "mean")) ? "decode_tps" : "prefill_tps";
}

static void num(FILE *out, const cJSON *v, const char *format, double scale, const char *missing)
{
    if (cJSON_IsNumber(v))
        fprintf(out, format, v->valuedouble * scale);
    else
        fputs(missing, out);
}

static void md_row(FILE *out, const cJSON *run)
{
    const cJSON *model = get(run, "model"), *config = get(run, "config");
    const char *name = cJSON_IsString(get(model, "name")) && get(model, "name")->valuestring[0]
                       ? get(model, "name")->valuestring : get(model, "path")->valuestring;
    const char *speed = speed_metric(run);
    fprintf(out, "| %s | ", name);
    num(out, get(model, "file_bytes"), "%.1f", 1.0 / (1024 * 1024), "n/a");
    fputs(" | ", out);
    num(out, get(model, "n_params"), "%.1f", 1e-6, "n/a");
    fputs(" | ", out);
    num(out, get(config, "threads"), "%.0f", 1, "n/a");
    fprintf(out, " | %s | ", cJSON_IsString(get(config, "test")) ? get(config, "test")->valuestring : "?");
    num(out, stat_of(run, speed, "mean"), "%.2f", 1, "n/a");
    num(out, stat_of(run, speed, "sd"), " ± %.2f", 1, "");
    fputs(" | ", out);
    num(out, stat_of(run, "ttft_ms", "median"), "%.1f", 1, "n/a");
    num(out, stat_of(run, "ttft_ms", "p90"), " / %.1f", 1, "");
    num(out, stat_of(run, "ttft_ms", "p99"), " / %.1f", 1, "");
    fputs(" | ", out);
    num(out, stat_of(run, "itl_ms", "median"), "%.2f", 1, "n/a");
    num(out, stat_of(run, "itl_ms", "p90"), " / %.2f", 1, "");
    num(out, stat_of(run, "itl_ms", "p99"), " / %.2f", 1, "");
    fputs(" | ", out);
    num(out, stat_of(run, "energy_per_token_j", "mean"), "%.4f", 1, "n/a");
    fputs(" | ", out);
    num(out, stat_of(run, "rss_peak_bytes", "max"), "%.0f", 1.0 / (1024 * 1024), "n/a");
    fputs(" |\n", out);
}

static const char *first_energy_method(const cJSON *doc)
{
    const cJSON *run;
    cJSON_ArrayForEach(run, get(doc, "runs")) {
        const cJSON *m = get(cJSON_GetArrayItem(get(run, "items"), 0), "energy_method");
        if (cJSON_IsString(m))
            return m->valuestring;
    }
    return "unavailable: no rep finished";
}

static void write_md(FILE *out, const cJSON *doc)
{
    fprintf(out, "| model | size MiB | params M | threads | test | tok/s | TTFT p50 / p90 / p99 ms | ITL p50 / p90 / p99 ms |"
                 " J/token | peak RSS MiB |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
    const cJSON *run;
    cJSON_ArrayForEach(run, get(doc, "runs"))
        md_row(out, run);
    fprintf(out, "\ntok/s: mean ± sd over reps (prefill for pp tests, decode for tg and pp+tg). "
                 "J/token: per generated token (per prompt token for pp tests), energy %s. Kernels: %s.\n", first_energy_method(doc),
            cJSON_IsString(get(get(doc, "tool"), "simd_path")) ? get(get(doc, "tool"), "simd_path")->valuestring : "?");
}

static void write_csv(FILE *out, const cJSON *doc)
{
    fprintf(out, "model,sha256,threads,test,n,tps_mean,tps_sd,ttft_ms_p50,ttft_ms_p90,ttft_ms_p99,itl_ms_p50,itl_ms_p90,itl_ms_p99,"
                 "energy_per_token_j,rss_peak_bytes,status\n");
    const cJSON *run;
    cJSON_ArrayForEach(run, get(doc, "runs")) {
        const cJSON *model = get(run, "model"), *config = get(run, "config");
        const char *speed = speed_metric(run);
        fprintf(out, "%s,%s,", get(model, "path")->valuestring,
                cJSON_IsString(get(model, "sha256")) ? get(model, "sha256")->valuestring : "");
        num(out, get(config, "threads"), "%.0f", 1, "");
        fprintf(out, ",%s,%d,", cJSON_IsString(get(config, "test")) ? get(config, "test")->valuestring : "",
                cJSON_GetArraySize(get(run, "items")));
        num(out, stat_of(run, speed, "mean"), "%.6g", 1, "");
        fputc(',', out);
        num(out, stat_of(run, speed, "sd"), "%.6g", 1, "");
        static const char *const rest[][2] = {{"ttft_ms", "median"}, {"ttft_ms", "p90"}, {"ttft_ms", "p99"},
                                              {"itl_ms", "median"}, {"itl_ms", "p90"},
                                              {"itl_ms", "p99"}, {"energy_per_token_j", "mean"},
                                              {"rss_peak_bytes", "max"}};
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
            fputc(',', out);
            num(out, stat_of(run, rest[i][0], rest[i][1]), strcmp(rest[i][0], "rss_peak_bytes") ? "%.6g" : "%.0f", 1, "");
        }
        fprintf(out, ",%s\n", cJSON_IsString(get(run, "status")) ? get(run, "status")->valuestring : "");
    }
}

int runner_bench_output(cJSON *doc, const bench_options *o, char *err, size_t err_size)
{
    if (o->format == CLI_FORMAT_JSON && o->output)
        return res_document_write(doc, o->output, err, err_size);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (o->format == CLI_FORMAT_JSON) {
        char *json = cJSON_Print(doc);
        fprintf(mem, "%s\n", json ? json : "{}");
        cJSON_free(json);
    } else if (o->format == CLI_FORMAT_CSV) {
        write_csv(mem, doc);
    } else {
        write_md(mem, doc);
    }
    fclose(mem);
    int status = 0;
    if (o->output)
        status = res_write_file_atomic(o->output, text, len, err, err_size);
    else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        snprintf(err, err_size, "stdout: write failed");
        status = -1;
    }
    free(text);
    return status;
}
