/*
 * test_results.c — the results document: schema round-trip through a file,
 * aggregates computed from items (hand-checked), unavailable values kept as
 * reasons, atomic writes (no temp file left, failure leaves the old file),
 * validation of corrupt or foreign files, items.csv quoting, resume lookups,
 * SHA-256 against the FIPS 180-2 "abc" vector, UTF-8 sanitising.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "results/results.h"
#include "tests/unit/test_tmpdir.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static cJSON *item(const char *id, double ttft, double tps, double f1, int energy)
{
    cJSON *it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "id", id);
    cJSON_AddNumberToObject(it, "rep", 0);
    cJSON_AddNumberToObject(it, "ttft_ms", ttft);
    cJSON_AddNumberToObject(it, "decode_tps", tps);
    cJSON_AddNumberToObject(it, "generated_tokens", 10);
    double itl[] = {1, 2, 3};
    cJSON_AddItemToObject(it, "itl_ms", cJSON_CreateDoubleArray(itl, 3));
    if (energy)
        cJSON_AddNumberToObject(it, "energy_j", 5.0);
    else
        res_add_unavailable(it, "energy_j", "no probe");
    cJSON *scores = cJSON_AddObjectToObject(it, "scores");
    cJSON_AddNumberToObject(scores, "f1", f1);
    cJSON_AddStringToObject(it, "output", "a, \"quoted\"\nline");
    return it;
}

static cJSON *sample_doc(void)
{
    char *argv[] = {"slmbench", "run", "-m", "x.gguf"};
    cJSON *doc = res_document_new(4, argv);
    cJSON *run = res_run_add(doc, "suite", "suite=qa|threads=1");
    cJSON_AddStringToObject(cJSON_GetObjectItem(run, "model"), "sha256", "abc123");
    cJSON_AddStringToObject(cJSON_GetObjectItem(run, "model"), "name", "m");
    cJSON_AddStringToObject(cJSON_GetObjectItem(run, "config"), "suite", "qa");
    cJSON *items = cJSON_GetObjectItem(run, "items");
    cJSON_AddItemToArray(items, item("q1", 100, 10, 1.0, 1));
    cJSON_AddItemToArray(items, item("q2", 200, 20, 0.5, 1));
    cJSON_AddItemToArray(items, item("q3", 300, 30, 0.0, 0));
    char err[256];
    assert_int_equal(res_run_aggregate(run, "f1", err, sizeof err), 0);
    return doc;
}

static double agg(const cJSON *run, const char *metric, const char *stat)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), metric), stat);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_round_trip_and_aggregates(void **state)
{
    const char *tmpdir = *state;
    cJSON *doc = sample_doc();
    char err[512];
    assert_int_equal(res_document_save(doc, tmpdir, err, sizeof err), 0);
    cJSON_Delete(doc);
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", tmpdir);
    cJSON *loaded = NULL;
    assert_int_equal(res_document_load(path, &loaded, err, sizeof err), 0);
    assert_string_equal(cJSON_GetObjectItem(loaded, "schema")->valuestring, RES_SCHEMA_NAME);
    assert_int_equal(cJSON_GetObjectItem(loaded, "schema_version")->valueint, RES_SCHEMA_VERSION);
    const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(loaded, "runs"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run, "items")), 3);
    assert_float_equal(agg(run, "ttft_ms", "mean"), 200, 1e-9);
    assert_float_equal(agg(run, "ttft_ms", "median"), 200, 1e-9);
    assert_float_equal(agg(run, "ttft_ms", "p90"), 280, 1e-9);  /* rank 1.8 */
    assert_float_equal(agg(run, "ttft_ms", "sd"), 100, 1e-9);
    assert_float_equal(agg(run, "decode_tps", "mean"), 20, 1e-9);
    assert_float_equal(agg(run, "accuracy", "mean"), 0.5, 1e-9);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), "accuracy"),
                                            "metric")->valuestring, "f1");
    /* energy: two numeric of three -> n 2; J/token 5/10 */
    assert_float_equal(agg(run, "energy_j", "n"), 2, 0);
    assert_float_equal(agg(run, "energy_per_token_j", "mean"), 0.5, 1e-12);
    assert_float_equal(agg(run, "itl_ms", "n"), 9, 0); /* pooled */
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), "itl_ms"), "samples"));
    const cJSON *samples = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), "decode_tps"), "samples");
    assert_int_equal(cJSON_GetArraySize(samples), 3);
    /* a metric no item has is unavailable with a reason, not zero */
    const cJSON *power = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "aggregates"), "power_avg_w");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(power, "unavailable")));
    assert_null(cJSON_GetObjectItem(power, "mean"));
    cJSON_Delete(loaded);
}

static void test_unavailable_reason_kept(void **state)
{
    (void)state;
    cJSON *o = cJSON_CreateObject();
    res_add_unavailable(o, "energy_j", "no RAPL");
    assert_string_equal(cJSON_GetObjectItem(o, "energy_j")->valuestring, "unavailable: no RAPL");
    assert_true(res_is_unavailable(cJSON_GetObjectItem(o, "energy_j")));
    cJSON_Delete(o);
}

static void test_atomic_write(void **state)
{
    const char *tmpdir = *state;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/a.txt", tmpdir);
    assert_int_equal(res_write_file_atomic(path, "first", 5, err, sizeof err), 0);
    assert_int_equal(res_write_file_atomic(path, "second", 6, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "second");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", tmpdir);
    assert_int_not_equal(system(cmd), 0); /* no temp file left behind */
    assert_int_not_equal(res_write_file_atomic("/nonexistent-dir/x.json", "x", 1, err, sizeof err), 0);
    assert_non_null(strstr(err, "/nonexistent-dir/x.json"));
}

static void test_load_rejects_bad_files(void **state)
{
    const char *tmpdir = *state;
    char path[512], err[512];
    cJSON *doc = NULL;
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    write_text(path, "{\"schema\": \"slmbench.results\", \"runs\": [");
    assert_int_not_equal(res_document_load(path, &doc, err, sizeof err), 0);
    assert_null(doc);
    assert_non_null(strstr(err, "bad.json"));
    assert_non_null(strstr(err, "invalid JSON"));
    write_text(path, "{\"schema\": \"other\", \"schema_version\": 1, \"runs\": []}");
    assert_int_not_equal(res_document_load(path, &doc, err, sizeof err), 0);
    write_text(path, "{\"schema\": \"slmbench.results\", \"schema_version\": 99, \"runs\": []}");
    assert_int_not_equal(res_document_load(path, &doc, err, sizeof err), 0);
    assert_non_null(strstr(err, "schema_version"));
    write_text(path, "{\"schema\": \"slmbench.results\", \"schema_version\": 1, \"runs\": [1]}");
    assert_int_not_equal(res_document_load(path, &doc, err, sizeof err), 0);
    assert_int_not_equal(res_document_load("/nonexistent/results.json", &doc, err, sizeof err), 0);
    assert_non_null(strstr(err, "/nonexistent/results.json"));
}

/* Cell `col` of the row starting at row (cells before the quoted output column only). */
static const char *csv_cell(const char *row, int col)
{
    static char cell[64];
    for (int c = 0; c < col; c++)
        row = strchr(row, ',') + 1;
    size_t n = strcspn(row, ",\n");
    snprintf(cell, sizeof cell, "%.*s", (int)n, row);
    return cell;
}

static void test_csv(void **state)
{
    (void)state;
    cJSON *doc = sample_doc();
    char *csv = NULL, err[256];
    size_t len = 0;
    assert_int_equal(res_items_csv(doc, &csv, &len, err, sizeof err), 0);
    assert_int_equal(strncmp(csv, "run_id,kind,model_name,model_sha256,suite,threads,id,", 53), 0);
    assert_non_null(strstr(csv, "\"a, \"\"quoted\"\"\nline\""));  /* RFC 4180 quoting */
    /* energy_j is column 18 (0-based): q1 has 5, q3's is unavailable -> empty cell */
    assert_string_equal(csv_cell(strstr(csv, "\nr0001,suite,m,abc123,qa,,q1,") + 1, 18), "5");
    assert_string_equal(csv_cell(strstr(csv, "\nr0001,suite,m,abc123,qa,,q3,") + 1, 18), "");
    assert_int_equal(strlen(csv), len);
    free(csv);
    cJSON_Delete(doc);
}

static void test_resume_lookups(void **state)
{
    (void)state;
    cJSON *doc = sample_doc();
    cJSON *run = res_run_find(doc, "suite=qa|threads=1", "abc123");
    assert_non_null(run);
    assert_null(res_run_find(doc, "suite=qa|threads=2", "abc123"));
    assert_null(res_run_find(doc, "suite=qa|threads=1", "other"));
    assert_true(res_run_has_item(run, "q2", 0));
    assert_false(res_run_has_item(run, "q2", 1));
    assert_false(res_run_has_item(run, "q9", 0));
    cJSON_Delete(doc);
}

static void test_sha256_known_vector(void **state)
{
    const char *tmpdir = *state;
    char path[512], hex[65], err[256];
    snprintf(path, sizeof path, "%s/abc.bin", tmpdir);
    write_text(path, "abc");
    assert_int_equal(res_sha256_file(path, hex, err, sizeof err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_not_equal(res_sha256_file("/nonexistent.gguf", hex, err, sizeof err), 0);
}

static void test_utf8_sanitize(void **state)
{
    (void)state;
    char *ok = res_utf8_sanitize("caf\xc3\xa9 \xe2\x82\xac");
    assert_string_equal(ok, "caf\xc3\xa9 \xe2\x82\xac");
    free(ok);
    char *bad = res_utf8_sanitize("a\xdd" "b\xc0\xaf" "c\xed\xa0\x80");
    assert_string_equal(bad, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(bad);
}

static void test_make_dir_errors(void **state)
{
    const char *tmpdir = *state;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/x/y/z", tmpdir);
    assert_int_equal(res_make_dir(path, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/plain-file", tmpdir);
    write_text(path, "x");
    snprintf(path, sizeof path, "%s/plain-file/sub", tmpdir);
    assert_int_not_equal(res_make_dir(path, err, sizeof err), 0);
    assert_non_null(strstr(err, "plain-file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_aggregates),
        cmocka_unit_test(test_unavailable_reason_kept),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_load_rejects_bad_files),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_resume_lookups),
        cmocka_unit_test(test_sha256_known_vector),
        cmocka_unit_test(test_utf8_sanitize),
        cmocka_unit_test(test_make_dir_errors),
    };
    return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
