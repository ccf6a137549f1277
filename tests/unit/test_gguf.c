/*
 * test_gguf.c — the GGUF reader and writer: round trips of every value and
 * tensor type, every fixture model, and corrupt input of every kind (each must
 * fail with a one-line error naming the file, never crash; runs under ASan).
 *
 * Fixture models are read from tests/fixtures/engine (always) and from
 * $SLM_SHARED_DIR/fixtures/engine (default ../shared) when that exists; a
 * missing shared dir is reported on stdout, not silently skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "tests/unit/test_tmpdir.h"

#define ERR_SIZE 512

/* ---- a byte builder for hand-made (corrupt) files ------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_u32(bytes *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(bytes *b, uint64_t v) { put(b, &v, 8); }
static void put_str(bytes *b, const char *s) { put_u64(b, strlen(s)); put(b, s, strlen(s)); }
static void put_header(bytes *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    put(b, "GGUF", 4);
    put_u32(b, version);
    put_u64(b, n_tensors);
    put_u64(b, n_kv);
}
static void put_pad(bytes *b, size_t a)
{
    static const uint8_t zero[64];
    while (b->n % a)
        put(b, zero, 1);
    (void)zero;
}

/* Opens buf and expects failure with an error that names the file and mentions needle. */
static void expect_fail(const bytes *b, const char *needle)
{
    gguf_file *f = (gguf_file *)1;
    char err[ERR_SIZE] = "";
    int rc = gguf_open_memory(b->p, b->n, "bad.gguf", &f, err, sizeof err);
    if (rc == 0)
        fail_msg("expected failure mentioning '%s', file was accepted", needle);
    assert_null(f);
    assert_non_null(strstr(err, "bad.gguf: "));
    assert_null(strchr(err, '\n'));
    if (needle && !strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

static gguf_file *expect_ok(const bytes *b)
{
    gguf_file *f = NULL;
    char err[ERR_SIZE] = "";
    if (gguf_open_memory(b->p, b->n, "ok.gguf", &f, err, sizeof err) != 0)
        fail_msg("unexpected failure: %s", err);
    return f;
}

/* ---- temp dir ------------------------------------------------------------------- */

static void tmp_path(const char *tmp_dir, char *dst, size_t size, const char *name)
{
    snprintf(dst, size, "%s/%s", tmp_dir, name);
}

static uint8_t *read_whole(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)size + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    *n = (size_t)size;
    return p;
}

/* ---- round trip ------------------------------------------------------------------- */

static const slm_type all_types[] = {
    SLM_TYPE_F32, SLM_TYPE_F16, SLM_TYPE_BF16, SLM_TYPE_Q4_0, SLM_TYPE_Q4_1, SLM_TYPE_Q5_0,
    SLM_TYPE_Q5_1, SLM_TYPE_Q8_0, SLM_TYPE_Q8_1, SLM_TYPE_Q2_K, SLM_TYPE_Q3_K, SLM_TYPE_Q4_K,
    SLM_TYPE_Q5_K, SLM_TYPE_Q6_K, SLM_TYPE_Q8_K,
};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

static void set_scalar_raw(gguf_writer *w, const char *key, gguf_value_type t, const void *v, size_t n)
{
    assert_int_equal(gguf_writer_set_raw(w, key, t, v, n), 0);
}

static void add_values(gguf_writer *w)
{
    uint8_t u8 = 200; int8_t i8 = -100; uint16_t u16 = 60000; int16_t i16 = -30000;
    int64_t i64 = -5000000000LL; double f64 = 2.5;
    set_scalar_raw(w, "v.u8", GGUF_VALUE_UINT8, &u8, 1);
    set_scalar_raw(w, "v.i8", GGUF_VALUE_INT8, &i8, 1);
    set_scalar_raw(w, "v.u16", GGUF_VALUE_UINT16, &u16, 2);
    set_scalar_raw(w, "v.i16", GGUF_VALUE_INT16, &i16, 2);
    set_scalar_raw(w, "v.i64", GGUF_VALUE_INT64, &i64, 8);
    set_scalar_raw(w, "v.f64", GGUF_VALUE_FLOAT64, &f64, 8);
    assert_int_equal(gguf_writer_set_u32(w, "v.u32", 4000000000u), 0);
    assert_int_equal(gguf_writer_set_i32(w, "v.i32", -7), 0);
    assert_int_equal(gguf_writer_set_u64(w, "v.u64", 1ull << 40), 0);
    assert_int_equal(gguf_writer_set_f32(w, "v.f32", 0.25f), 0);
    assert_int_equal(gguf_writer_set_bool(w, "v.bool", 1), 0);
    assert_int_equal(gguf_writer_set_str(w, "v.str", "hello"), 0);
    assert_int_equal(gguf_writer_set_str(w, "v.str", "hello again"), 0); /* last wins */
    int32_t ints[5] = {1, -2, 3, -4, 5};
    float floats[3] = {0.5f, 1.5f, -2.0f};
    uint8_t bools[2] = {0, 1};
    assert_int_equal(gguf_writer_set_array(w, "a.i32", GGUF_VALUE_INT32, ints, 5), 0);
    assert_int_equal(gguf_writer_set_array(w, "a.f32", GGUF_VALUE_FLOAT32, floats, 3), 0);
    assert_int_equal(gguf_writer_set_array(w, "a.bool", GGUF_VALUE_BOOL, bools, 2), 0);
    assert_int_equal(gguf_writer_set_array(w, "a.empty", GGUF_VALUE_UINT64, NULL, 0), 0);
    const char *strs[3] = {"a", "", "ccc"};
    assert_int_equal(gguf_writer_set_array_str(w, "a.str", strs, 3), 0);
    /* [[1,2],[3]] of u32 and [["x"],[]] of strings */
    bytes nested = {0};
    put_u32(&nested, GGUF_VALUE_ARRAY); put_u64(&nested, 2);
    put_u32(&nested, GGUF_VALUE_UINT32); put_u64(&nested, 2); put_u32(&nested, 1); put_u32(&nested, 2);
    put_u32(&nested, GGUF_VALUE_UINT32); put_u64(&nested, 1); put_u32(&nested, 3);
    assert_int_equal(gguf_writer_set_raw(w, "a.nested", GGUF_VALUE_ARRAY, nested.p, nested.n), 0);
    nested.n = 0;
    put_u32(&nested, GGUF_VALUE_ARRAY); put_u64(&nested, 2);
    put_u32(&nested, GGUF_VALUE_STRING); put_u64(&nested, 1); put_str(&nested, "x");
    put_u32(&nested, GGUF_VALUE_STRING); put_u64(&nested, 0);
    assert_int_equal(gguf_writer_set_raw(w, "a.nested_str", GGUF_VALUE_ARRAY, nested.p, nested.n), 0);
    /* A malformed raw payload is refused (and poisons the writer, so not here). */
    free(nested.p);
}

static void check_values(const gguf_file *f)
{
    uint32_t u32; int32_t i32; uint64_t u64; float f32; int b; gguf_str s;
    assert_int_equal(gguf_get_u32(f, "v.u8", &u32), 0); assert_int_equal(u32, 200);
    assert_int_equal(gguf_get_i32(f, "v.i8", &i32), 0); assert_int_equal(i32, -100);
    assert_int_equal(gguf_get_u32(f, "v.u16", &u32), 0); assert_int_equal(u32, 60000);
    assert_int_equal(gguf_get_i32(f, "v.i16", &i32), 0); assert_int_equal(i32, -30000);
    assert_int_equal(gguf_get_u32(f, "v.u32", &u32), 0); assert_int_equal(u32, 4000000000u);
    assert_int_equal(gguf_get_i32(f, "v.u32", &i32), -1);  /* does not fit */
    assert_int_equal(gguf_get_i32(f, "v.i32", &i32), 0); assert_int_equal(i32, -7);
    assert_int_equal(gguf_get_u32(f, "v.i32", &u32), -1);  /* negative to unsigned */
    assert_int_equal(gguf_get_u64(f, "v.u64", &u64), 0); assert_int_equal(u64, 1ull << 40);
    assert_int_equal(gguf_get_u32(f, "v.u64", &u32), -1);
    assert_int_equal(gguf_get_i32(f, "v.i64", &i32), -1);
    assert_int_equal(gguf_get_f32(f, "v.f32", &f32), 0); assert_true(f32 == 0.25f);
    assert_int_equal(gguf_get_f32(f, "v.f64", &f32), 0); assert_true(f32 == 2.5f);
    assert_int_equal(gguf_get_f32(f, "v.u32", &f32), -1);
    assert_int_equal(gguf_get_bool(f, "v.bool", &b), 0); assert_int_equal(b, 1);
    assert_int_equal(gguf_get_str(f, "v.str", &s), 0); assert_true(gguf_str_eq(s, "hello again"));
    assert_int_equal(gguf_get_str(f, "v.u32", &s), -1);
    assert_int_equal(gguf_get_u32(f, "absent", &u32), -1);
    assert_int_equal(gguf_find_key(f, "absent"), -1);
    int64_t k = gguf_find_key(f, "v.i64");
    assert_true(k >= 0);
    assert_int_equal(gguf_key_type(f, k), GGUF_VALUE_INT64);
    assert_true(gguf_str_eq(gguf_key_name(f, k), "v.i64"));
}

static void check_arrays(const gguf_file *f)
{
    gguf_value_type et; uint64_t n; gguf_str s;
    assert_int_equal(gguf_get_array_info(f, "a.i32", &et, &n), 0);
    assert_int_equal(et, GGUF_VALUE_INT32); assert_int_equal(n, 5);
    const int32_t *ints = gguf_get_array_data(f, "a.i32");
    assert_non_null(ints);
    int32_t i4; memcpy(&i4, ints + 3, 4); assert_int_equal(i4, -4);
    const float *fl = gguf_get_array_data(f, "a.f32");
    float f2; memcpy(&f2, fl + 2, 4); assert_true(f2 == -2.0f);
    const uint8_t *bo = gguf_get_array_data(f, "a.bool"); assert_int_equal(bo[1], 1);
    assert_int_equal(gguf_get_array_info(f, "a.empty", &et, &n), 0); assert_int_equal(n, 0);
    assert_int_equal(gguf_get_array_info(f, "a.str", &et, &n), 0);
    assert_int_equal(et, GGUF_VALUE_STRING); assert_int_equal(n, 3);
    assert_null(gguf_get_array_data(f, "a.str"));
    assert_int_equal(gguf_get_array_str(f, "a.str", 2, &s), 0); assert_true(gguf_str_eq(s, "ccc"));
    assert_int_equal(gguf_get_array_str(f, "a.str", 1, &s), 0); assert_int_equal(s.len, 0);
    assert_int_equal(gguf_get_array_str(f, "a.str", 3, &s), -1);
    assert_int_equal(gguf_get_array_info(f, "a.nested", &et, &n), 0);
    assert_int_equal(et, GGUF_VALUE_ARRAY); assert_int_equal(n, 2);
    assert_int_equal(gguf_get_array_info(f, "a.nested_str", &et, &n), 0);
    assert_int_equal(et, GGUF_VALUE_ARRAY);
    assert_int_equal(gguf_get_array_info(f, "v.u32", &et, &n), -1);
}

/* Deterministic bytes for tensor i, so the data can be checked after reading. */
static uint8_t tensor_byte(size_t i, uint64_t j)
{
    return (uint8_t)(i * 31 + j * 7 + (j >> 8));
}

static int fill_pattern(void *user, void *dst, uint64_t n)
{
    size_t i = (size_t)(uintptr_t)user;
    for (uint64_t j = 0; j < n; j++)
        ((uint8_t *)dst)[j] = tensor_byte(i, j);
    return 0;
}

static void add_tensors(gguf_writer *w)
{
    for (size_t i = 0; i < N_TYPES; i++) {
        char name[64];
        snprintf(name, sizeof name, "t.%zu", i);
        uint64_t ne[3] = {256, 3, 2};
        uint64_t n_bytes = gguf_type_bytes(all_types[i], 256 * 3 * 2);
        assert_true(n_bytes > 0);
        if (i % 2 == 0) {
            uint8_t *data = malloc((size_t)n_bytes);
            fill_pattern((void *)(uintptr_t)i, data, n_bytes);
            assert_int_equal(gguf_writer_add_tensor(w, name, all_types[i], 3, ne, data, NULL, NULL), 0);
            free(data);
        } else {
            assert_int_equal(gguf_writer_add_tensor(w, name, all_types[i], 3, ne, NULL,
                                                    fill_pattern, (void *)(uintptr_t)i), 0);
        }
    }
}

static void check_tensors(const gguf_file *f)
{
    assert_int_equal(gguf_n_tensors(f), N_TYPES);
    for (size_t i = 0; i < N_TYPES; i++) {
        char name[64];
        snprintf(name, sizeof name, "t.%zu", i);
        const gguf_tensor *t = gguf_find_tensor(f, name);
        assert_non_null(t);
        assert_ptr_equal(t, gguf_tensor_at(f, (int64_t)i));
        assert_int_equal(t->type, all_types[i]);
        assert_int_equal(t->n_dims, 3);
        assert_int_equal(t->ne[0], 256); assert_int_equal(t->ne[1], 3);
        assert_int_equal(t->ne[2], 2); assert_int_equal(t->ne[3], 1);
        assert_int_equal(t->n_elements, 1536);
        assert_int_equal(t->n_bytes, gguf_type_bytes(all_types[i], 1536));
        assert_int_equal(t->offset % gguf_alignment(f), 0);
        const uint8_t *d = t->data;
        for (uint64_t j = 0; j < t->n_bytes; j++)
            if (d[j] != tensor_byte(i, j))
                fail_msg("tensor %s byte %llu differs", name, (unsigned long long)j);
    }
    assert_null(gguf_find_tensor(f, "nope"));
    assert_null(gguf_tensor_at(f, -1));
    assert_null(gguf_tensor_at(f, (int64_t)N_TYPES));
}

static void test_round_trip(void **state)
{
    const char *tmp_dir = *state;
    gguf_writer *w = gguf_writer_create();
    assert_non_null(w);
    add_values(w);
    add_tensors(w);
    char path[300], err[ERR_SIZE];
    tmp_path(tmp_dir, path, sizeof path, "round.gguf");
    if (gguf_writer_write(w, path, err, sizeof err) != 0)
        fail_msg("write failed: %s", err);
    gguf_writer_free(w);
    gguf_file *f = NULL;
    if (gguf_open(path, &f, err, sizeof err) != 0)
        fail_msg("read failed: %s", err);
    assert_int_equal(gguf_version(f), 3);
    assert_int_equal(gguf_alignment(f), 32);
    assert_int_equal(gguf_data_offset(f) % 32, 0);
    assert_string_equal(gguf_path(f), path);
    check_values(f);
    check_arrays(f);
    check_tensors(f);
    gguf_close(f);
}

static void test_writer_alignment_and_faults(void **state)
{
    const char *tmp_dir = *state;
    char path[300], err[ERR_SIZE];
    tmp_path(tmp_dir, path, sizeof path, "align.gguf");
    gguf_writer *w = gguf_writer_create();
    assert_int_equal(gguf_writer_set_u32(w, "general.alignment", 64), 0);
    uint64_t ne[1] = {32};
    float data[32] = {0};
    assert_int_equal(gguf_writer_add_tensor(w, "a", SLM_TYPE_F32, 1, ne, data, NULL, NULL), 0);
    assert_int_equal(gguf_writer_add_tensor(w, "b", SLM_TYPE_F32, 1, ne, data, NULL, NULL), 0);
    assert_int_equal(gguf_writer_write(w, path, err, sizeof err), 0);
    gguf_writer_free(w);
    gguf_file *f = NULL;
    assert_int_equal(gguf_open(path, &f, err, sizeof err), 0);
    assert_int_equal(gguf_alignment(f), 64);
    assert_int_equal(gguf_data_offset(f) % 64, 0);
    assert_int_equal(gguf_find_tensor(f, "b")->offset, 128);
    gguf_close(f);

    /* Faults: duplicate tensor, bad row length, unknown type, malformed raw value. */
    w = gguf_writer_create();
    assert_int_equal(gguf_writer_add_tensor(w, "a", SLM_TYPE_F32, 1, ne, data, NULL, NULL), 0);
    assert_int_equal(gguf_writer_add_tensor(w, "a", SLM_TYPE_F32, 1, ne, data, NULL, NULL), -1);
    uint64_t bad_ne[1] = {33};
    assert_int_equal(gguf_writer_add_tensor(w, "c", SLM_TYPE_Q4_0, 1, bad_ne, data, NULL, NULL), -1);
    assert_int_equal(gguf_writer_add_tensor(w, "d", (slm_type)5, 1, ne, data, NULL, NULL), -1);
    uint8_t junk[3] = {1, 2, 3};
    assert_int_equal(gguf_writer_set_raw(w, "r", GGUF_VALUE_STRING, junk, 3), -1);
    tmp_path(tmp_dir, path, sizeof path, "fault.gguf");
    assert_int_equal(gguf_writer_write(w, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate tensor name 'a'"));
    assert_int_equal(access(path, F_OK), -1);  /* nothing written */
    gguf_writer_free(w);

    /* Unwritable directory. */
    w = gguf_writer_create();
    assert_int_equal(gguf_writer_write(w, "/nonexistent-dir/x.gguf", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.gguf: "));
    gguf_writer_free(w);
}

static int fill_fails(void *user, void *dst, uint64_t n)
{
    (void)user; (void)dst; (void)n;
    return -1;
}

static void test_writer_fill_failure_leaves_nothing(void **state)
{
    const char *tmp_dir = *state;
    char path[300], err[ERR_SIZE];
    tmp_path(tmp_dir, path, sizeof path, "fillfail.gguf");
    gguf_writer *w = gguf_writer_create();
    uint64_t ne[1] = {64};
    assert_int_equal(gguf_writer_add_tensor(w, "x", SLM_TYPE_F32, 1, ne, NULL, fill_fails, NULL), 0);
    assert_int_equal(gguf_writer_write(w, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "tensor 'x'"));
    gguf_writer_free(w);
    assert_int_equal(access(path, F_OK), -1);
    /* no temp file left behind either */
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, "fillfail"));
    closedir(d);
}

/* ---- fixtures --------------------------------------------------------------------- */

static int open_all_in(const char *dir, int *n_files)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0)
            continue;
        char path[1024], err[ERR_SIZE];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        gguf_file *f = NULL;
        if (gguf_open(path, &f, err, sizeof err) != 0)
            fail_msg("fixture rejected: %s", err);
        gguf_str arch;
        int64_t n_tensors = gguf_n_tensors(f);
        if (n_tensors > 0) {
            assert_int_equal(gguf_get_str(f, "general.architecture", &arch), 0);
            assert_non_null(gguf_find_tensor(f, "token_embd.weight"));
        }
        for (int64_t i = 0; i < n_tensors; i++) {
            const gguf_tensor *t = gguf_tensor_at(f, i);
            assert_true((const uint8_t *)t->data + t->n_bytes <= (const uint8_t *)t->data + gguf_file_size(f));
            assert_ptr_equal(gguf_find_tensor(f, t->name), t);
        }
        gguf_close(f);
        (*n_files)++;
    }
    closedir(d);
    return 0;
}

static const char *shared_dir(void)
{
    const char *s = getenv("SLM_SHARED_DIR");
    return s && s[0] ? s : "../shared";
}

static void test_fixtures(void **state)
{
    (void)state;
    int n = 0;
    assert_int_equal(open_all_in("tests/fixtures/engine", &n), 0);
    assert_int_equal(open_all_in("tests/fixtures/tokenizer", &n), 0);
    assert_true(n >= 3);
    printf("[ INFO     ] %d GGUF files in tests/fixtures read and validated\n", n);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fixtures/engine", shared_dir());
    int n_shared = 0;
    if (open_all_in(dir, &n_shared) != 0) {
        printf("[ NOTICE   ] %s not present: shared fixture models not checked\n", dir);
        return;
    }
    snprintf(dir, sizeof dir, "%s/fixtures/tokenizer", shared_dir());
    open_all_in(dir, &n_shared);
    printf("[ INFO     ] %d GGUF files in %s/fixtures read and validated\n", n_shared, shared_dir());
    assert_true(n_shared >= 40);
}

/* ---- corrupt input ------------------------------------------------------------------- */

/* A small valid file with keys of several types and two tensors, in memory. */
static uint8_t *small_file(const char *tmp_dir, size_t *n, uint64_t *min_valid)
{
    gguf_writer *w = gguf_writer_create();
    add_values(w);
    uint64_t ne[2] = {32, 2};
    float data[64];
    for (int i = 0; i < 64; i++)
        data[i] = (float)i;
    assert_int_equal(gguf_writer_add_tensor(w, "w.f32", SLM_TYPE_F32, 2, ne, data, NULL, NULL), 0);
    assert_int_equal(gguf_writer_add_tensor(w, "w.q8", SLM_TYPE_Q8_0, 2, ne, data, NULL, NULL), 0);
    char path[300], err[ERR_SIZE];
    tmp_path(tmp_dir, path, sizeof path, "small.gguf");
    assert_int_equal(gguf_writer_write(w, path, err, sizeof err), 0);
    gguf_writer_free(w);
    uint8_t *p = read_whole(path, n);
    gguf_file *f = NULL;
    assert_int_equal(gguf_open_memory(p, *n, "small", &f, err, sizeof err), 0);
    const gguf_tensor *t = gguf_find_tensor(f, "w.q8");
    *min_valid = gguf_data_offset(f) + t->offset + t->n_bytes;
    gguf_close(f);
    return p;
}

static void test_truncation_everywhere(void **state)
{
    const char *tmp_dir = *state;
    size_t n;
    uint64_t min_valid;
    uint8_t *p = small_file(tmp_dir, &n, &min_valid);
    for (size_t len = 0; len <= n; len++) {
        /* A fresh heap copy of exactly len bytes, so ASan sees any overread. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, p, len);
        bytes b = {copy, len, len};
        if (len < min_valid) {
            expect_fail(&b, NULL);
        } else {
            gguf_file *f = expect_ok(&b);
            gguf_close(f);
        }
        free(copy);
    }
    free(p);
}

static void walk(const gguf_file *f)
{
    for (int64_t i = 0; i < gguf_n_keys(f); i++) {
        gguf_str k = gguf_key_name(f, i);
        char key[2048];
        snprintf(key, sizeof key, "%.*s", (int)(k.len < 2000 ? k.len : 2000), k.data);
        gguf_value_type et;
        uint64_t count;
        gguf_str s;
        if (gguf_get_array_info(f, key, &et, &count) == 0 && et == GGUF_VALUE_STRING)
            for (uint64_t j = 0; j < count; j++)
                assert_int_equal(gguf_get_array_str(f, key, j, &s), 0);
    }
    volatile uint8_t sink = 0;
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        sink ^= ((const uint8_t *)t->data)[t->n_bytes - 1];
    }
    (void)sink;
}

static void test_flipped_bytes(void **state)
{
    const char *tmp_dir = *state;
    size_t n;
    uint64_t min_valid;
    uint8_t *p = small_file(tmp_dir, &n, &min_valid);
    uint8_t *copy = malloc(n);
    const uint8_t patterns[] = {0xff, 0x80, 0x01};
    for (size_t pat = 0; pat < sizeof patterns; pat++) {
        for (size_t i = 0; i < n; i++) {
            memcpy(copy, p, n);
            copy[i] ^= patterns[pat];
            gguf_file *f = NULL;
            char err[ERR_SIZE] = "";
            if (gguf_open_memory(copy, n, "flip.gguf", &f, err, sizeof err) == 0) {
                walk(f);
                gguf_close(f);
            } else {
                assert_non_null(strstr(err, "flip.gguf: "));
            }
        }
    }
    free(copy);
    free(p);
}

static void test_bad_headers(void **state)
{
    (void)state;
    bytes b = {0};
    expect_fail(&b, "empty");
    put(&b, "GGML", 4); put_u32(&b, 3); put_u64(&b, 0); put_u64(&b, 0);
    expect_fail(&b, "bad magic");
    b.n = 0; put_header(&b, 1, 0, 0);
    expect_fail(&b, "version 1");
    b.n = 0; put_header(&b, 4, 0, 0);
    expect_fail(&b, "version 4");
    b.n = 0; put_header(&b, 0x03000000, 0, 0);
    expect_fail(&b, "big-endian");
    b.n = 0; put_header(&b, 3, 0, UINT64_MAX);
    expect_fail(&b, "key count");
    b.n = 0; put_header(&b, 3, 1ull << 60, 0);
    expect_fail(&b, "tensor count");
    b.n = 0; put_header(&b, 2, 0, 0);
    gguf_file *f = expect_ok(&b);   /* an empty v2 file is valid */
    assert_int_equal(gguf_version(f), 2);
    gguf_close(f);
    free(b.p);
}

static void test_bad_metadata(void **state)
{
    (void)state;
    bytes b = {0};
    put_header(&b, 3, 0, 1); put_u64(&b, 1ull << 62); put(&b, "k", 1); put_u64(&b, 0); put_u64(&b, 0);
    expect_fail(&b, "string length");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k"); put_u32(&b, 13);
    expect_fail(&b, "unknown value type 13");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k"); put_u32(&b, GGUF_VALUE_ARRAY);
    put_u32(&b, GGUF_VALUE_UINT32); put_u64(&b, 1ull << 61);
    expect_fail(&b, "array length");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k"); put_u32(&b, GGUF_VALUE_ARRAY);
    put_u32(&b, 77); put_u64(&b, 0);
    expect_fail(&b, "array element type 77");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k"); put_u32(&b, GGUF_VALUE_ARRAY);
    put_u32(&b, GGUF_VALUE_STRING); put_u64(&b, 2); put_str(&b, "a"); put_u64(&b, 1000);
    expect_fail(&b, "string length 1000");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k");
    for (int depth = 0; depth < 20; depth++) { put_u32(&b, GGUF_VALUE_ARRAY); put_u32(&b, GGUF_VALUE_ARRAY); put_u64(&b, 1); b.n -= 4; }
    put_u32(&b, GGUF_VALUE_UINT8); put_u64(&b, 0);
    expect_fail(&b, NULL);
    b.n = 0; put_header(&b, 3, 0, 2); put_str(&b, "k"); put_u32(&b, GGUF_VALUE_UINT8); put(&b, "\1", 1);
    put_str(&b, "k"); put_u32(&b, GGUF_VALUE_UINT8); put(&b, "\2", 1);
    expect_fail(&b, "duplicate key 'k'");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, ""); put_u32(&b, GGUF_VALUE_UINT8); put(&b, "\1", 1);
    expect_fail(&b, "empty name");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "k"); put_u32(&b, GGUF_VALUE_BOOL); put(&b, "\2", 1);
    expect_fail(&b, "bool");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "general.alignment"); put_u32(&b, GGUF_VALUE_UINT32); put_u32(&b, 24);
    expect_fail(&b, "power of two");
    b.n = 0; put_header(&b, 3, 0, 1); put_str(&b, "general.alignment"); put_u32(&b, GGUF_VALUE_UINT64); put_u64(&b, 32);
    expect_fail(&b, "general.alignment");
    free(b.p);
}

/* One tensor 'w' with the given dims/type/offset and 4096 data bytes. */
static void one_tensor(bytes *b, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset)
{
    b->n = 0;
    put_header(b, 3, 1, 0);
    put_str(b, "w");
    put_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++)
        put_u64(b, ne[d]);
    put_u32(b, type);
    put_u64(b, offset);
    put_pad(b, 32);
    static const uint8_t data[4096];
    put(b, data, sizeof data);
}

static void test_bad_tensors(void **state)
{
    (void)state;
    bytes b = {0};
    uint64_t ne[5] = {64, 4, 1, 1, 1};
    one_tensor(&b, 2, ne, SLM_TYPE_F32, 0);
    gguf_close(expect_ok(&b));
    one_tensor(&b, 2, ne, 5, 0);
    expect_fail(&b, "unknown or unsupported tensor type 5");
    one_tensor(&b, 2, ne, 99, 0);
    expect_fail(&b, "tensor type 99");
    one_tensor(&b, 2, ne, SLM_TYPE_F32, 16);
    expect_fail(&b, "not a multiple of the alignment");
    one_tensor(&b, 2, ne, SLM_TYPE_F32, 4096);
    expect_fail(&b, "extends past end of file");
    one_tensor(&b, 2, ne, SLM_TYPE_F32, UINT64_MAX - 31);
    expect_fail(&b, "extends past end of file");
    one_tensor(&b, 5, ne, SLM_TYPE_F32, 0);
    expect_fail(&b, "5 dimensions");
    one_tensor(&b, 0, ne, SLM_TYPE_F32, 0);
    expect_fail(&b, "0 dimensions");
    uint64_t zero[2] = {64, 0};
    one_tensor(&b, 2, zero, SLM_TYPE_F32, 0);
    expect_fail(&b, "dimension 1 is zero");
    uint64_t huge[4] = {1ull << 32, 1ull << 32, 1ull << 32, 1};
    one_tensor(&b, 3, huge, SLM_TYPE_F32, 0);
    expect_fail(&b, "overflows");
    uint64_t big_bytes[2] = {1ull << 40, 1ull << 22};
    one_tensor(&b, 2, big_bytes, SLM_TYPE_F32, 0);
    expect_fail(&b, NULL);
    uint64_t odd[2] = {48, 2};
    one_tensor(&b, 2, odd, SLM_TYPE_Q4_0, 0);
    expect_fail(&b, "block size 32");
    /* Duplicate tensor names. */
    b.n = 0;
    put_header(&b, 3, 2, 0);
    for (int i = 0; i < 2; i++) {
        put_str(&b, "dup"); put_u32(&b, 1); put_u64(&b, 8); put_u32(&b, SLM_TYPE_F32); put_u64(&b, 0);
    }
    put_pad(&b, 32);
    put(&b, ne, 32);
    expect_fail(&b, "duplicate tensor name 'dup'");
    /* Overlapping data. */
    b.n = 0;
    put_header(&b, 3, 2, 0);
    put_str(&b, "a"); put_u32(&b, 1); put_u64(&b, 8); put_u32(&b, SLM_TYPE_F32); put_u64(&b, 0);
    put_str(&b, "b"); put_u32(&b, 1); put_u64(&b, 8); put_u32(&b, SLM_TYPE_F32); put_u64(&b, 32);
    put_pad(&b, 32);
    put(&b, ne, 40); put(&b, ne, 40);
    gguf_close(expect_ok(&b));
    b.n = 0;
    put_header(&b, 3, 2, 0);
    put_str(&b, "a"); put_u32(&b, 1); put_u64(&b, 16); put_u32(&b, SLM_TYPE_F32); put_u64(&b, 32);
    put_str(&b, "b"); put_u32(&b, 1); put_u64(&b, 16); put_u32(&b, SLM_TYPE_F32); put_u64(&b, 0);
    put_pad(&b, 32);
    put(&b, ne, 40); put(&b, ne, 40); put(&b, ne, 40);
    expect_fail(&b, "tensor 'b' data [offset 96+64] overlaps tensor 'a' at offset 128");
    free(b.p);
}

static void test_type_bytes(void **state)
{
    (void)state;
    assert_int_equal(gguf_type_bytes(SLM_TYPE_F32, 10), 40);
    assert_int_equal(gguf_type_bytes(SLM_TYPE_Q4_0, 64), 36);
    assert_int_equal(gguf_type_bytes(SLM_TYPE_Q4_K, 512), 288);
    assert_int_equal(gguf_type_bytes(SLM_TYPE_Q6_K, 256), 210);
    assert_int_equal(gguf_type_bytes(SLM_TYPE_Q4_0, 33), 0);
    assert_int_equal(gguf_type_bytes((slm_type)4, 32), 0);
    assert_int_equal(gguf_type_bytes(SLM_TYPE_F32, UINT64_MAX / 2), 0);
    assert_int_equal(gguf_type_block_elements(SLM_TYPE_Q2_K), 256);
    assert_int_equal(gguf_type_block_bytes(SLM_TYPE_Q8_K), 292);
}

static void test_open_errors(void **state)
{
    (void)state;
    gguf_file *f = (gguf_file *)1;
    char err[ERR_SIZE];
    assert_int_not_equal(gguf_open("/nonexistent/m.gguf", &f, err, sizeof err), 0);
    assert_null(f);
    assert_non_null(strstr(err, "/nonexistent/m.gguf: "));
    assert_int_not_equal(gguf_open("/tmp", &f, err, sizeof err), 0);
    assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_bytes),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_alignment_and_faults),
        cmocka_unit_test(test_writer_fill_failure_leaves_nothing),
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_truncation_everywhere),
        cmocka_unit_test(test_flipped_bytes),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_metadata),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
