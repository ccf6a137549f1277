/*
 * csv.c — items.csv: one row per item of every run (columns in SCHEMA.md),
 * RFC 4180 quoting, an empty cell for anything unavailable.
 *
 * Invariant: the column list here and in SCHEMA.md are the same, in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"
#include "results/stats.h"

static const char *const csv_columns =
    "run_id,kind,model_name,model_sha256,suite,threads,id,task,rep,prompt_tokens,generated_tokens,"
    "ttft_ms,itl_ms_p50,itl_ms_p90,itl_ms_p99,prefill_tps,decode_tps,e2e_ms,energy_j,energy_dynamic_j,"
    "energy_method,power_avg_w,rss_peak_bytes,logprob_mean,logprob_min,stop_reason,accuracy,output\n";

/* The rows go to an open_memstream: libc grows the buffer and reports a
 * failed allocation at fclose. */
static void put(FILE *b, const char *s, size_t n) { fwrite(s, 1, n, b); }
static void put_str(FILE *b, const char *s) { fputs(s, b); }

static void put_quoted(FILE *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        put_str(b, s);
        return;
    }
    put_str(b, "\"");
    for (const char *p = s; *p; p++)
        put(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    put_str(b, "\"");
}

static void put_number(FILE *b, double v)
{
    char num[64];
    snprintf(num, sizeof num, "%.10g", v);
    put_str(b, num);
}

/* A field: number as is, string quoted unless "unavailable...", else empty. */
static void put_field(FILE *b, const cJSON *v, int last)
{
    if (cJSON_IsNumber(v))
        put_number(b, v->valuedouble);
    else if (cJSON_IsString(v) && !res_is_unavailable(v))
        put_quoted(b, v->valuestring);
    put_str(b, last ? "\n" : ",");
}

static const cJSON *at(const cJSON *o, const char *a, const char *b_name)
{
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(o, a);
    return b_name ? cJSON_GetObjectItemCaseSensitive(node, b_name) : node;
}

static void put_itl_percentiles(FILE *b, const cJSON *item)
{
    const cJSON *itl = cJSON_GetObjectItemCaseSensitive(item, "itl_ms");
    int n = cJSON_IsArray(itl) ? cJSON_GetArraySize(itl) : 0;
    double *values = n > 0 ? malloc((size_t)n * sizeof *values) : NULL;
    size_t count = 0;
    const cJSON *v;
    if (values)
        cJSON_ArrayForEach(v, itl) if (cJSON_IsNumber(v)) values[count++] = v->valuedouble;
    res_summary s;
    if (count > 0 && res_summarize(values, count, &s) == 0) {
        put_number(b, s.median); put_str(b, ",");
        put_number(b, s.p90); put_str(b, ",");
        put_number(b, s.p99); put_str(b, ",");
    } else {
        put_str(b, ",,,");
    }
    free(values);
}

static void put_item(FILE *b, const cJSON *run, const cJSON *item, const char *primary)
{
    put_field(b, at(run, "run_id", NULL), 0);
    put_field(b, at(run, "kind", NULL), 0);
    put_field(b, at(run, "model", "name"), 0);
    put_field(b, at(run, "model", "sha256"), 0);
    put_field(b, at(run, "config", "suite"), 0);
    put_field(b, at(run, "config", "threads"), 0);
    static const char *const head[] = {"id", "task", "rep", "prompt_tokens", "generated_tokens", "ttft_ms"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        put_field(b, at(item, head[i], NULL), 0);
    put_itl_percentiles(b, item);
    static const char *const tail[] = {"prefill_tps", "decode_tps", "e2e_ms", "energy_j", "energy_dynamic_j",
                                       "energy_method", "power_avg_w", "rss_peak_bytes", "logprob_mean",
                                       "logprob_min", "stop_reason"};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        put_field(b, at(item, tail[i], NULL), 0);
    put_field(b, primary ? at(item, "scores", primary) : NULL, 0);
    put_field(b, at(item, "output", NULL), 1);
}

int res_items_csv(const cJSON *doc, char **out, size_t *out_len, char *err, size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&text, &len);
    if (!b) {
        snprintf(err, err_size, "out of memory while writing items.csv");
        return -1;
    }
    put_str(b, csv_columns);
    const cJSON *run, *item;
    cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(doc, "runs")) {
        const cJSON *metric = at(at(run, "aggregates", "accuracy"), "metric", NULL);
        const char *primary = cJSON_IsString(metric) ? metric->valuestring : NULL;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items"))
            put_item(b, run, item, primary);
    }
    if (fclose(b) != 0 || !text) {
        free(text);
        snprintf(err, err_size, "out of memory while writing items.csv");
        return -1;
    }
    *out = text;
    *out_len = len;
    return 0;
}
