/*
 * carbon.c — energy summary, carbon arithmetic and the two data files
 * (results/data/grid_intensity.json, results/data/cloud_energy.json).
 *
 * Invariants: see carbon.h. Data files are validated field by field; a
 * figure without a number, a year or a source is refused, so nothing
 * uncited reaches the output.
 */
#include "reports/carbon.h"
#include "results/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void classify_method(const cJSON *item, rep_energy_summary *out)
{
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(item, "energy_method");
    const char *text = cJSON_IsString(method) ? method->valuestring : "";
    if (!strncmp(text, "estimated", 9))
        out->n_estimated++;
    else
        out->n_measured++; /* the schema: a number without "estimated" is measured */
    if (!out->method[0])
        snprintf(out->method, sizeof out->method, "%s", text[0] ? text : "measured: (method not named)");
}

static void note_unavailable(const cJSON *item, const char *field, rep_energy_summary *out)
{
    out->n_unavailable++;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, field);
    if (!out->unavailable_reason[0])
        snprintf(out->unavailable_reason, sizeof out->unavailable_reason, "%s",
                 cJSON_IsString(value) ? value->valuestring : "absent");
}

static void add_run_items(const cJSON *run, const char *field, rep_energy_summary *out)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(run, "items")) {
        double joules, prompt = 0, generated = 0;
        out->n_items++;
        if (res_item_number(item, field, &joules) != 0 || joules < 0) {
            note_unavailable(item, field, out);
            continue;
        }
        res_item_number(item, "prompt_tokens", &prompt);
        res_item_number(item, "generated_tokens", &generated);
        out->total_j += joules;
        out->total_tokens += prompt + generated;
        out->total_generated_tokens += generated;
        classify_method(item, out);
    }
}

int rep_carbon_energy(const res_file *file, int use_dynamic, const char *run_id,
                      rep_energy_summary *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *field = use_dynamic ? "energy_dynamic_j" : "energy_j";
    size_t used = 0;
    for (size_t i = 0; i < res_file_run_count(file); i++) {
        const cJSON *run = res_file_run(file, i);
        const char *id = res_run_string(run, "run_id");
        if (run_id && (!id || strcmp(id, run_id) != 0))
            continue;
        add_run_items(run, field, out);
        used++;
    }
    if (run_id && used == 0) {
        snprintf(err, err_size, "%s: no run with run_id %s", file->path, run_id);
        return -1;
    }
    size_t with_energy = out->n_measured + out->n_estimated;
    if (with_energy == 0) {
        snprintf(err, err_size, "%s: no item has a numeric %s (%s)", file->path, field,
                 out->unavailable_reason[0] ? out->unavailable_reason : "no items");
        return -1;
    }
    out->j_per_query = out->total_j / (double)with_energy;
    out->label = out->n_estimated == 0 ? "measured" : out->n_measured == 0 ? "estimated" : "mixed";
    return 0;
}

void rep_carbon_compute(const rep_energy_summary *energy, double g_per_kwh, double pue,
                        double queries_per_day, rep_carbon_figures *out)
{
    memset(out, 0, sizeof *out);
    out->wh_per_query = energy->j_per_query / 3600.0;
    out->wh_per_1000_queries = 1000 * out->wh_per_query;
    double kwh_total = energy->total_j / 3.6e6;
    out->kwh_per_million_tokens = energy->total_tokens > 0 ? kwh_total / energy->total_tokens * 1e6 : NAN;
    out->kwh_per_million_generated_tokens = energy->total_generated_tokens > 0
                                                ? kwh_total / energy->total_generated_tokens * 1e6
                                                : NAN;
    double factor = g_per_kwh * pue;
    out->g_per_query = out->wh_per_query / 1000 * factor;
    out->g_per_1000_queries = out->wh_per_1000_queries / 1000 * factor;
    out->g_per_million_tokens = out->kwh_per_million_tokens * factor;
    out->g_per_day = queries_per_day * out->g_per_query;
    out->kg_per_year = out->g_per_day * 365 / 1000;
}

/* ---- data files ------------------------------------------------------------ */

static cJSON *load_json(const char *path, char *err, size_t err_size)
{
    char *text = res_read_file(path, SIZE_MAX, NULL, err, err_size);
    if (!text)
        return NULL;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        snprintf(err, err_size, "%s: not valid JSON", path);
    return root;
}

static int copy_required_string(const cJSON *object, const char *field, char *out, size_t size)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(object, field);
    if (!cJSON_IsString(value) || !value->valuestring[0])
        return -1;
    snprintf(out, size, "%s", value->valuestring);
    return 0;
}

static int read_grid_entry(const cJSON *entry, rep_grid_figure *out)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(entry, "g_co2e_per_kwh");
    const cJSON *year = cJSON_GetObjectItemCaseSensitive(entry, "year");
    if (!cJSON_IsNumber(value) || value->valuedouble < 0 || !cJSON_IsNumber(year) ||
        copy_required_string(entry, "source", out->source, sizeof out->source) != 0)
        return -1;
    out->g_per_kwh = value->valuedouble;
    out->year = year->valueint;
    copy_required_string(entry, "name", out->name, sizeof out->name);
    copy_required_string(entry, "basis", out->basis, sizeof out->basis);
    out->approximate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "approximate"));
    return 0;
}

int rep_grid_lookup(const char *data_path, const char *region, rep_grid_figure *out, char *err,
                    size_t err_size)
{
    memset(out, 0, sizeof *out);
    cJSON *root = load_json(data_path, err, err_size);
    if (!root)
        return -1;
    const cJSON *regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
    const cJSON *entry, *found = NULL;
    cJSON_ArrayForEach(entry, regions) {
        if (entry->string && !strcasecmp(entry->string, region))
            found = entry;
    }
    int status = -1;
    if (!found)
        snprintf(err, err_size, "%s: region '%s' not in the data file (use --grid-gco2-per-kwh X)",
                 data_path, region);
    else if (read_grid_entry(found, out) != 0)
        snprintf(err, err_size, "%s: region '%s' lacks a number, year or source", data_path, region);
    else {
        snprintf(out->code, sizeof out->code, "%s", found->string);
        status = 0;
    }
    cJSON_Delete(root);
    return status;
}

static int read_cloud_entry(const cJSON *entry, rep_cloud_figure *out)
{
    memset(out, 0, sizeof *out);
    const cJSON *wh = cJSON_GetObjectItemCaseSensitive(entry, "wh_per_query");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(entry, "g_co2e_per_query");
    const cJSON *year = cJSON_GetObjectItemCaseSensitive(entry, "year");
    if (!cJSON_IsNumber(wh) || wh->valuedouble <= 0 || !cJSON_IsNumber(year) ||
        copy_required_string(entry, "source", out->source, sizeof out->source) != 0 ||
        copy_required_string(entry, "label", out->label, sizeof out->label) != 0)
        return -1;
    copy_required_string(entry, "id", out->id, sizeof out->id);
    copy_required_string(entry, "kind", out->kind, sizeof out->kind);
    out->wh_per_query = wh->valuedouble;
    out->g_per_query = cJSON_IsNumber(g) ? g->valuedouble : NAN;
    out->year = year->valueint;
    out->approximate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "approximate"));
    return 0;
}

int rep_cloud_load(const char *data_path, rep_cloud_figure **figures, size_t *n, char *err,
                   size_t err_size)
{
    *figures = NULL;
    *n = 0;
    cJSON *root = load_json(data_path, err, err_size);
    if (!root)
        return -1;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "figures");
    if (!cJSON_IsArray(list)) {
        snprintf(err, err_size, "%s: no \"figures\" array (not a cloud energy data file)", data_path);
        cJSON_Delete(root);
        return -1;
    }
    size_t count = (size_t)cJSON_GetArraySize(list);
    *figures = calloc(count ? count : 1, sizeof **figures);
    int status = *figures ? 0 : -1;
    if (!*figures)
        snprintf(err, err_size, "%s: out of memory", data_path);
    for (size_t i = 0; i < count && status == 0; i++) {
        if (read_cloud_entry(cJSON_GetArrayItem(list, (int)i), &(*figures)[i]) != 0) {
            snprintf(err, err_size, "%s: figure %zu lacks wh_per_query, year, label or source",
                     data_path, i);
            status = -1;
        }
    }
    cJSON_Delete(root);
    if (status != 0) {
        free(*figures);
        *figures = NULL;
        return -1;
    }
    *n = count;
    return 0;
}

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

int rep_data_file(const char *name, char *path, size_t path_size, char *err, size_t err_size)
{
    const char *dir = getenv("SLMBENCH_DATA_DIR");
    if (dir && dir[0]) {
        snprintf(path, path_size, "%s/%s", dir, name);
        if (readable(path))
            return 0;
    }
    char exe[1024];
    ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length > 0) {
        exe[length] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, path_size, "%s/../results/data/%s", exe, name);
            if (readable(path))
                return 0;
        }
    }
    snprintf(path, path_size, "results/data/%s", name);
    if (readable(path))
        return 0;
    snprintf(err, err_size, "%s: data file not found (set SLMBENCH_DATA_DIR or run from the repository)",
             name);
    return -1;
}
