/*
 * gguf.c — GGUF v2/v3 reader: maps a file (or takes a caller's buffer) and
 * validates its whole structure before handing out anything.
 *
 * Invariants once gguf_open/gguf_open_memory succeed:
 *  - every key, string, array (nested to at most GGUF_MAX_ARRAY_DEPTH levels)
 *    and tensor info lies inside the buffer; no count was trusted before it was
 *    checked against the bytes left, and no size computation can overflow;
 *  - keys and tensor names are unique, non-empty and contain no NUL byte;
 *  - every tensor has 1..4 non-zero dims, a known type, a row length that is a
 *    multiple of its block size, and data inside the file aligned to
 *    general.alignment (a power of two, default 32); no two tensors overlap;
 *  - string arrays are indexed (gguf_get_array_str is O(1)) and keys and tensor
 *    names are hashed (lookups are O(1) on average).
 * The host is assumed little-endian (x86-64, aarch64), like GGUF itself; values
 * are read with memcpy, so the buffer needs no alignment.
 */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAGIC "GGUF"
#define GGUF_MAX_ARRAY_DEPTH 8
#define GGUF_MAX_NAME_BYTES 1024  /* tensor names; llama.cpp itself allows 63 */
#define GGUF_HEADER_BYTES 24      /* magic, version, n_tensors, n_kv */
#define GGUF_MIN_KV_BYTES 13      /* key length 8 + 1 byte of key + type 4 */
#define GGUF_MIN_TENSOR_BYTES 33  /* name length 8 + 1 + n_dims 4 + ne 8 + type 4 + offset 8 */

/* ---- tensor type facts ----------------------------------------------------- */

typedef struct gguf_type_fact {
    uint32_t block_elements;
    uint32_t block_bytes;
} gguf_type_fact;

/* Indexed by slm_type; block_elements 0 marks a number GGUF uses for a type
 * slmbench does not know (or no type at all). */
static const gguf_type_fact gguf_type_facts[SLM_TYPE_COUNT] = {
    [SLM_TYPE_F32] = {1, 4},     [SLM_TYPE_F16] = {1, 2},     [SLM_TYPE_BF16] = {1, 2},
    [SLM_TYPE_Q4_0] = {32, 18},  [SLM_TYPE_Q4_1] = {32, 20},  [SLM_TYPE_Q5_0] = {32, 22},
    [SLM_TYPE_Q5_1] = {32, 24},  [SLM_TYPE_Q8_0] = {32, 34},  [SLM_TYPE_Q8_1] = {32, 36},
    [SLM_TYPE_Q2_K] = {256, 84}, [SLM_TYPE_Q3_K] = {256, 110}, [SLM_TYPE_Q4_K] = {256, 144},
    [SLM_TYPE_Q5_K] = {256, 176}, [SLM_TYPE_Q6_K] = {256, 210}, [SLM_TYPE_Q8_K] = {256, 292},
};

uint32_t gguf_type_block_elements(slm_type type)
{
    if ((unsigned)type >= SLM_TYPE_COUNT)
        return 0;
    return gguf_type_facts[type].block_elements;
}

uint32_t gguf_type_block_bytes(slm_type type)
{
    if ((unsigned)type >= SLM_TYPE_COUNT)
        return 0;
    return gguf_type_facts[type].block_bytes;
}

uint64_t gguf_type_bytes(slm_type type, uint64_t n)
{
    uint32_t block = gguf_type_block_elements(type);
    if (block == 0 || n % block != 0)
        return 0;
    uint64_t blocks = n / block;
    uint64_t bytes = gguf_type_facts[type].block_bytes;
    if (blocks > UINT64_MAX / bytes)
        return 0;
    return blocks * bytes;
}

/* ---- the file object ------------------------------------------------------- */

typedef struct gguf_kv {
    gguf_str key;
    gguf_value_type type;
    const uint8_t *value;      /* scalar bytes; string: its length prefix */
    gguf_str str;              /* type STRING */
    gguf_value_type elem_type; /* type ARRAY */
    uint64_t count;
    const uint8_t *array_data; /* first element (numeric arrays: packed data) */
    gguf_str *strings;         /* string arrays: index of count entries */
} gguf_kv;

struct gguf_file {
    char *path;
    const uint8_t *base;
    uint64_t size;
    int mapped;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    uint64_t header_end;
    int64_t n_kv;
    gguf_kv *kv;
    uint64_t kv_hash_mask;
    int64_t *kv_hash;          /* index + 1, 0 = empty */
    int64_t n_tensors;
    gguf_tensor *tensors;
    char *name_arena;
    uint64_t tensor_hash_mask;
    int64_t *tensor_hash;
};

/* The parse cursor: every read goes through it and checks the bytes left. */
typedef struct gguf_cursor {
    const uint8_t *base;
    uint64_t size;
    uint64_t pos;
    const char *name;
    char *err;
    size_t err_size;
} gguf_cursor;

static int gguf_fail(gguf_cursor *c, const char *fmt, ...)
{
    if (c->err && c->err_size > 0) {
        int n = snprintf(c->err, c->err_size, "%s: ", c->name);
        if (n < 0 || (size_t)n >= c->err_size)
            return -1;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static uint64_t gguf_left(const gguf_cursor *c)
{
    return c->size - c->pos;
}

static int gguf_need(gguf_cursor *c, uint64_t n, const char *what)
{
    if (n > gguf_left(c))
        return gguf_fail(c, "truncated: %s at offset %" PRIu64 " needs %" PRIu64
                         " bytes, file has %" PRIu64 " bytes",
                         what, c->pos, n, c->size);
    return 0;
}

static int gguf_read(gguf_cursor *c, void *dst, uint64_t n, const char *what)
{
    if (gguf_need(c, n, what) != 0)
        return -1;
    memcpy(dst, c->base + c->pos, (size_t)n);
    c->pos += n;
    return 0;
}

static int gguf_read_u32(gguf_cursor *c, uint32_t *v, const char *what)
{
    return gguf_read(c, v, 4, what);
}

static int gguf_read_u64(gguf_cursor *c, uint64_t *v, const char *what)
{
    return gguf_read(c, v, 8, what);
}

/* A string: u64 length then bytes. The length is checked before use. */
static int gguf_read_str(gguf_cursor *c, gguf_str *s, const char *what)
{
    uint64_t start = c->pos;
    if (gguf_read_u64(c, &s->len, what) != 0)
        return -1;
    if (s->len > gguf_left(c))
        return gguf_fail(c, "%s: string length %" PRIu64 " at offset %" PRIu64
                         " extends past end of file (%" PRIu64 " bytes)",
                         what, s->len, start, c->size);
    s->data = (const char *)c->base + c->pos;
    c->pos += s->len;
    return 0;
}

uint32_t gguf_value_type_size(gguf_value_type t)
{
    switch (t) {
    case GGUF_VALUE_UINT8: case GGUF_VALUE_INT8: case GGUF_VALUE_BOOL: return 1;
    case GGUF_VALUE_UINT16: case GGUF_VALUE_INT16: return 2;
    case GGUF_VALUE_UINT32: case GGUF_VALUE_INT32: case GGUF_VALUE_FLOAT32: return 4;
    case GGUF_VALUE_UINT64: case GGUF_VALUE_INT64: case GGUF_VALUE_FLOAT64: return 8;
    default: return 0;
    }
}

static int gguf_print_name(char *dst, size_t size, gguf_str s)
{
    size_t n = s.len < 64 ? (size_t)s.len : 64;
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < size; i++) {
        unsigned char ch = (unsigned char)s.data[i];
        dst[j++] = (ch >= 32 && ch < 127) ? (char)ch : '?';
    }
    if (s.len > n && j + 4 < size) {
        memcpy(dst + j, "...", 3);
        j += 3;
    }
    dst[j] = '\0';
    return 0;
}

static int gguf_check_bools(gguf_cursor *c, const uint8_t *p, uint64_t n, const char *key)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i] > 1)
            return gguf_fail(c, "key '%s': bool value %u is neither 0 nor 1", key, p[i]);
    return 0;
}

static int gguf_skip_array(gguf_cursor *c, const char *key, int depth,
                           gguf_value_type *elem_type, uint64_t *count);

/* Checks one value of type t at the cursor and moves past it. */
static int gguf_skip_value(gguf_cursor *c, const char *key, gguf_value_type t, int depth)
{
    uint32_t size = gguf_value_type_size(t);
    if (size > 0) {
        if (gguf_need(c, size, "metadata value") != 0)
            return -1;
        if (t == GGUF_VALUE_BOOL && gguf_check_bools(c, c->base + c->pos, 1, key) != 0)
            return -1;
        c->pos += size;
        return 0;
    }
    if (t == GGUF_VALUE_STRING) {
        gguf_str s;
        return gguf_read_str(c, &s, "string value");
    }
    if (t == GGUF_VALUE_ARRAY) {
        gguf_value_type et;
        uint64_t n;
        return gguf_skip_array(c, key, depth + 1, &et, &n);
    }
    return gguf_fail(c, "key '%s': unknown value type %u at offset %" PRIu64,
                     key, (unsigned)t, c->pos - 4);
}

/* Array header (element type, count) then elements. Count is checked against
 * the smallest possible element size before any element is read. */
static int gguf_skip_array(gguf_cursor *c, const char *key, int depth,
                           gguf_value_type *elem_type, uint64_t *count)
{
    uint32_t et;
    uint64_t n;
    if (depth > GGUF_MAX_ARRAY_DEPTH)
        return gguf_fail(c, "key '%s': arrays nested deeper than %d levels", key, GGUF_MAX_ARRAY_DEPTH);
    if (gguf_read_u32(c, &et, "array element type") != 0 || gguf_read_u64(c, &n, "array length") != 0)
        return -1;
    if (et >= GGUF_VALUE_TYPE_COUNT)
        return gguf_fail(c, "key '%s': unknown array element type %u at offset %" PRIu64,
                         key, et, c->pos - 12);
    uint64_t min_elem = gguf_value_type_size((gguf_value_type)et);
    if (et == GGUF_VALUE_STRING)
        min_elem = 8;
    else if (et == GGUF_VALUE_ARRAY)
        min_elem = 12;
    if (n > gguf_left(c) / min_elem)
        return gguf_fail(c, "key '%s': array length %" PRIu64 " at offset %" PRIu64
                         " extends past end of file (%" PRIu64 " bytes)",
                         key, n, c->pos - 8, c->size);
    *elem_type = (gguf_value_type)et;
    *count = n;
    if (min_elem > 0 && et != GGUF_VALUE_STRING && et != GGUF_VALUE_ARRAY) {
        if (et == GGUF_VALUE_BOOL && gguf_check_bools(c, c->base + c->pos, n, key) != 0)
            return -1;
        c->pos += n * min_elem;
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        if (gguf_skip_value(c, key, (gguf_value_type)et, depth) != 0)
            return -1;
    return 0;
}

/* ---- hashing ----------------------------------------------------------------- */

static uint64_t gguf_hash(const char *s, uint64_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (uint64_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int64_t *gguf_hash_alloc(int64_t n, uint64_t *mask)
{
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2)
        cap <<= 1;
    *mask = cap - 1;
    return calloc((size_t)cap, sizeof(int64_t));
}

static int gguf_str_eq_n(gguf_str a, const char *b, uint64_t blen)
{
    return a.len == blen && memcmp(a.data, b, (size_t)blen) == 0;
}

/* ---- metadata ------------------------------------------------------------------ */

static int gguf_read_kv_value(gguf_cursor *c, gguf_kv *kv, const char *key)
{
    if (kv->type == GGUF_VALUE_STRING)
        return gguf_read_str(c, &kv->str, "string value");
    if (kv->type != GGUF_VALUE_ARRAY)
        return gguf_skip_value(c, key, kv->type, 0);
    uint64_t elements_at = c->pos + 12;
    if (gguf_skip_array(c, key, 1, &kv->elem_type, &kv->count) != 0)
        return -1;
    kv->array_data = c->base + elements_at;
    if (kv->elem_type != GGUF_VALUE_STRING)
        return 0;
    kv->strings = malloc((size_t)(kv->count ? kv->count : 1) * sizeof(gguf_str));
    if (!kv->strings)
        return gguf_fail(c, "out of memory indexing string array '%s' (%" PRIu64 " entries)", key, kv->count);
    gguf_cursor walk = *c;
    walk.pos = elements_at;
    for (uint64_t i = 0; i < kv->count; i++)
        if (gguf_read_str(&walk, &kv->strings[i], "string array element") != 0)
            return -1;
    return 0;
}

static int gguf_add_key_hash(gguf_file *f, gguf_cursor *c, int64_t i)
{
    gguf_str k = f->kv[i].key;
    uint64_t h = gguf_hash(k.data, k.len) & f->kv_hash_mask;
    while (f->kv_hash[h] != 0) {
        gguf_str other = f->kv[f->kv_hash[h] - 1].key;
        if (gguf_str_eq_n(other, k.data, k.len)) {
            char shown[80];
            gguf_print_name(shown, sizeof shown, k);
            return gguf_fail(c, "duplicate key '%s'", shown);
        }
        h = (h + 1) & f->kv_hash_mask;
    }
    f->kv_hash[h] = i + 1;
    return 0;
}

static int gguf_read_kv(gguf_file *f, gguf_cursor *c, int64_t i)
{
    gguf_kv *kv = &f->kv[i];
    char shown[80];
    uint64_t at = c->pos;
    if (gguf_read_str(c, &kv->key, "key name") != 0)
        return -1;
    if (kv->key.len == 0)
        return gguf_fail(c, "key #%" PRId64 " at offset %" PRIu64 " has an empty name", i, at);
    gguf_print_name(shown, sizeof shown, kv->key);
    if (memchr(kv->key.data, '\0', (size_t)kv->key.len))
        return gguf_fail(c, "key #%" PRId64 " '%s' contains a NUL byte", i, shown);
    uint32_t t;
    if (gguf_read_u32(c, &t, "value type") != 0)
        return -1;
    if (t >= GGUF_VALUE_TYPE_COUNT)
        return gguf_fail(c, "key '%s': unknown value type %u at offset %" PRIu64, shown, t, c->pos - 4);
    kv->type = (gguf_value_type)t;
    kv->value = c->base + c->pos;
    if (gguf_read_kv_value(c, kv, shown) != 0)
        return -1;
    return gguf_add_key_hash(f, c, i);
}

static int gguf_read_header(gguf_file *f, gguf_cursor *c, uint64_t *n_tensors, uint64_t *n_kv)
{
    char magic[4];
    if (c->size < 4 || memcmp(c->base, GGUF_MAGIC, 4) != 0) {
        if (c->size == 0)
            return gguf_fail(c, "not a GGUF file: file is empty");
        return gguf_fail(c, "not a GGUF file: bad magic (expected \"GGUF\")");
    }
    if (gguf_read(c, magic, 4, "magic") != 0 || gguf_read_u32(c, &f->version, "version") != 0)
        return -1;
    if (f->version == 1)
        return gguf_fail(c, "GGUF version 1 is not supported (only versions 2 and 3)");
    if (f->version != 2 && f->version != 3) {
        if ((f->version & 0xffff) == 0 && f->version != 0)
            return gguf_fail(c, "GGUF version %u is not supported (a big-endian file?)", f->version);
        return gguf_fail(c, "GGUF version %u is not supported (only versions 2 and 3)", f->version);
    }
    if (gguf_read_u64(c, n_tensors, "tensor count") != 0 || gguf_read_u64(c, n_kv, "key count") != 0)
        return -1;
    if (*n_kv > gguf_left(c) / GGUF_MIN_KV_BYTES)
        return gguf_fail(c, "key count %" PRIu64 " is impossible for a file of %" PRIu64 " bytes",
                         *n_kv, c->size);
    if (*n_tensors > gguf_left(c) / GGUF_MIN_TENSOR_BYTES)
        return gguf_fail(c, "tensor count %" PRIu64 " is impossible for a file of %" PRIu64 " bytes",
                         *n_tensors, c->size);
    return 0;
}

static int gguf_read_metadata(gguf_file *f, gguf_cursor *c, uint64_t n_kv)
{
    f->n_kv = (int64_t)n_kv;
    f->kv = calloc((size_t)(n_kv ? n_kv : 1), sizeof(gguf_kv));
    f->kv_hash = gguf_hash_alloc(f->n_kv, &f->kv_hash_mask);
    if (!f->kv || !f->kv_hash)
        return gguf_fail(c, "out of memory for %" PRIu64 " keys", n_kv);
    for (int64_t i = 0; i < f->n_kv; i++)
        if (gguf_read_kv(f, c, i) != 0)
            return -1;
    return 0;
}

static int gguf_read_alignment(gguf_file *f, gguf_cursor *c)
{
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    int64_t i = gguf_find_key(f, "general.alignment");
    if (i < 0)
        return 0;
    const gguf_kv *kv = &f->kv[i];
    if (kv->type != GGUF_VALUE_UINT32)
        return gguf_fail(c, "general.alignment has value type %u, expected uint32", (unsigned)kv->type);
    uint32_t a;
    memcpy(&a, kv->value, 4);
    if (a == 0 || (a & (a - 1)) != 0)
        return gguf_fail(c, "general.alignment %u is not a power of two", a);
    f->alignment = a;
    return 0;
}

/* ---- tensors ---------------------------------------------------------------------- */

static int gguf_check_dims(gguf_cursor *c, gguf_tensor *t)
{
    uint64_t n = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        if (d >= t->n_dims) {
            t->ne[d] = 1;
            continue;
        }
        if (t->ne[d] == 0)
            return gguf_fail(c, "tensor '%s': dimension %u is zero", t->name, d);
        if (t->ne[d] > (uint64_t)INT64_MAX / n)
            return gguf_fail(c, "tensor '%s': element count overflows (dims %" PRIu64 " x %" PRIu64
                             " x %" PRIu64 " x %" PRIu64 ")", t->name, t->ne[0],
                             t->n_dims > 1 ? t->ne[1] : 1, t->n_dims > 2 ? t->ne[2] : 1,
                             t->n_dims > 3 ? t->ne[3] : 1);
        n *= t->ne[d];
    }
    t->n_elements = n;
    return 0;
}

static int gguf_check_type(gguf_cursor *c, gguf_tensor *t, uint32_t type)
{
    if (type >= SLM_TYPE_COUNT || gguf_type_facts[type].block_elements == 0)
        return gguf_fail(c, "tensor '%s': unknown or unsupported tensor type %u", t->name, type);
    t->type = (slm_type)type;
    uint32_t block = gguf_type_facts[type].block_elements;
    if (t->ne[0] % block != 0)
        return gguf_fail(c, "tensor '%s': row length %" PRIu64 " is not a multiple of the %s block size %u",
                         t->name, t->ne[0], slm_type_name((int)type) ? slm_type_name((int)type) : "type", block);
    t->n_bytes = gguf_type_bytes(t->type, t->n_elements);
    if (t->n_bytes == 0)
        return gguf_fail(c, "tensor '%s': byte size overflows", t->name);
    return 0;
}

static int gguf_read_tensor_name(gguf_file *f, gguf_cursor *c, int64_t i, char **arena)
{
    gguf_tensor *t = &f->tensors[i];
    gguf_str s;
    uint64_t at = c->pos;
    if (gguf_read_str(c, &s, "tensor name") != 0)
        return -1;
    if (s.len == 0)
        return gguf_fail(c, "tensor #%" PRId64 " at offset %" PRIu64 " has an empty name", i, at);
    char shown[80];
    gguf_print_name(shown, sizeof shown, s);
    if (s.len > GGUF_MAX_NAME_BYTES)
        return gguf_fail(c, "tensor #%" PRId64 " '%s': name of %" PRIu64 " bytes is too long", i, shown, s.len);
    for (uint64_t k = 0; k < s.len; k++)
        if ((unsigned char)s.data[k] < 32 || s.data[k] == 127)
            return gguf_fail(c, "tensor #%" PRId64 " '%s': name contains a control byte", i, shown);
    memcpy(*arena, s.data, (size_t)s.len);
    (*arena)[s.len] = '\0';
    t->name = *arena;
    *arena += s.len + 1;
    return 0;
}

static int gguf_read_tensor_info(gguf_file *f, gguf_cursor *c, int64_t i, char **arena)
{
    gguf_tensor *t = &f->tensors[i];
    if (gguf_read_tensor_name(f, c, i, arena) != 0)
        return -1;
    if (gguf_read_u32(c, &t->n_dims, "tensor dimension count") != 0)
        return -1;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return gguf_fail(c, "tensor '%s': %u dimensions (must be 1..%d)", t->name, t->n_dims, GGUF_MAX_DIMS);
    for (uint32_t d = 0; d < t->n_dims; d++)
        if (gguf_read_u64(c, &t->ne[d], "tensor dimension") != 0)
            return -1;
    if (gguf_check_dims(c, t) != 0)
        return -1;
    uint32_t type;
    if (gguf_read_u32(c, &type, "tensor type") != 0 || gguf_check_type(c, t, type) != 0)
        return -1;
    return gguf_read_u64(c, &t->offset, "tensor offset");
}

static int gguf_add_tensor_hash(gguf_file *f, gguf_cursor *c, int64_t i)
{
    const char *name = f->tensors[i].name;
    uint64_t h = gguf_hash(name, strlen(name)) & f->tensor_hash_mask;
    while (f->tensor_hash[h] != 0) {
        if (strcmp(f->tensors[f->tensor_hash[h] - 1].name, name) == 0)
            return gguf_fail(c, "duplicate tensor name '%s'", name);
        h = (h + 1) & f->tensor_hash_mask;
    }
    f->tensor_hash[h] = i + 1;
    return 0;
}

static int gguf_read_tensor_infos(gguf_file *f, gguf_cursor *c, uint64_t n)
{
    f->n_tensors = (int64_t)n;
    f->tensors = calloc((size_t)(n ? n : 1), sizeof(gguf_tensor));
    /* Names total at most the bytes left and at most the longest allowed
     * name each, plus one NUL each (the smaller bound: not the file size). */
    uint64_t arena_bytes = gguf_left(c) + n + 1;
    if (n < arena_bytes / (GGUF_MAX_NAME_BYTES + 1))
        arena_bytes = n * (GGUF_MAX_NAME_BYTES + 1) + 1;
    f->name_arena = malloc((size_t)arena_bytes);
    f->tensor_hash = gguf_hash_alloc(f->n_tensors, &f->tensor_hash_mask);
    if (!f->tensors || !f->name_arena || !f->tensor_hash)
        return gguf_fail(c, "out of memory for %" PRIu64 " tensors", n);
    char *arena = f->name_arena;
    for (int64_t i = 0; i < f->n_tensors; i++) {
        if (gguf_read_tensor_info(f, c, i, &arena) != 0)
            return -1;
        if (gguf_add_tensor_hash(f, c, i) != 0)
            return -1;
    }
    return 0;
}

static int gguf_place_tensors(gguf_file *f, gguf_cursor *c)
{
    uint64_t a = f->alignment;
    uint64_t end = c->pos;
    f->header_end = end;
    f->data_offset = end + (a - end % a) % a;
    for (int64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        if (t->offset % a != 0)
            return gguf_fail(c, "tensor '%s': data offset %" PRIu64 " is not a multiple of the alignment %u",
                             t->name, t->offset, f->alignment);
        uint64_t room = f->data_offset <= f->size ? f->size - f->data_offset : 0;
        if (t->offset > room || t->n_bytes > room - t->offset)
            return gguf_fail(c, "tensor '%s' data [offset %" PRIu64 "+%" PRIu64 "] extends past end of file (%"
                             PRIu64 " bytes)", t->name, f->data_offset + t->offset, t->n_bytes, f->size);
        t->data = f->base + f->data_offset + t->offset;
    }
    return 0;
}

/* A tensor's data range, sortable by offset. */
typedef struct gguf_span {
    uint64_t offset, n_bytes;
    int64_t index;
} gguf_span;

static int gguf_span_cmp(const void *a, const void *b)
{
    const gguf_span *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* No two tensors may share data bytes. */
static int gguf_check_overlap(gguf_file *f, gguf_cursor *c)
{
    if (f->n_tensors < 2)
        return 0;
    gguf_span *spans = malloc((size_t)f->n_tensors * sizeof *spans);
    if (!spans)
        return gguf_fail(c, "out of memory checking %" PRId64 " tensors", f->n_tensors);
    for (int64_t i = 0; i < f->n_tensors; i++)
        spans[i] = (gguf_span){f->tensors[i].offset, f->tensors[i].n_bytes, i};
    qsort(spans, (size_t)f->n_tensors, sizeof *spans, gguf_span_cmp);
    int rc = 0;
    for (int64_t i = 1; i < f->n_tensors && rc == 0; i++) {
        const gguf_span *prev = &spans[i - 1], *cur = &spans[i];
        if (prev->offset + prev->n_bytes > cur->offset)
            rc = gguf_fail(c, "tensor '%s' data [offset %" PRIu64 "+%" PRIu64 "] overlaps tensor '%s' at offset %"
                           PRIu64, f->tensors[prev->index].name, f->data_offset + prev->offset, prev->n_bytes,
                           f->tensors[cur->index].name, f->data_offset + cur->offset);
    }
    free(spans);
    return rc;
}

static int gguf_parse(gguf_file *f, char *err, size_t err_size)
{
    gguf_cursor c = {f->base, f->size, 0, f->path, err, err_size};
    uint64_t n_tensors, n_kv;
    if (gguf_read_header(f, &c, &n_tensors, &n_kv) != 0)
        return -1;
    if (gguf_read_metadata(f, &c, n_kv) != 0 || gguf_read_alignment(f, &c) != 0)
        return -1;
    if (gguf_read_tensor_infos(f, &c, n_tensors) != 0)
        return -1;
    if (gguf_place_tensors(f, &c) != 0)
        return -1;
    return gguf_check_overlap(f, &c);
}

static gguf_file *gguf_new(const char *name)
{
    gguf_file *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->path = strdup(name ? name : "(memory)");
    if (!f->path) {
        free(f);
        return NULL;
    }
    return f;
}

static int gguf_finish_open(gguf_file *f, gguf_file **out, char *err, size_t err_size)
{
    if (gguf_parse(f, err, err_size) != 0) {
        gguf_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

int gguf_open_memory(const void *buf, size_t size, const char *name,
                     gguf_file **out, char *err, size_t err_size)
{
    *out = NULL;
    gguf_file *f = gguf_new(name);
    if (!f) {
        snprintf(err, err_size, "%s: out of memory", name ? name : "(memory)");
        return -1;
    }
    static const uint8_t empty[1];
    f->base = buf ? buf : empty;
    f->size = buf ? size : 0;
    return gguf_finish_open(f, out, err, err_size);
}

static int gguf_map(gguf_file *f, int fd, char *err, size_t err_size)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, err_size, "%s: cannot stat: %s", f->path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "%s: not a regular file", f->path);
        return -1;
    }
    f->size = (uint64_t)st.st_size;
    if (f->size == 0) {
        static const uint8_t empty[1];
        f->base = empty;
        return 0;
    }
    void *p = mmap(NULL, (size_t)f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, err_size, "%s: cannot map %" PRIu64 " bytes: %s", f->path, f->size, strerror(errno));
        return -1;
    }
    f->base = p;
    f->mapped = 1;
    return 0;
}

int gguf_open(const char *path, gguf_file **out, char *err, size_t err_size)
{
    *out = NULL;
    gguf_file *f = gguf_new(path);
    if (!f) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        gguf_close(f);
        return -1;
    }
    int rc = gguf_map(f, fd, err, err_size);
    close(fd);
    if (rc != 0) {
        gguf_close(f);
        return -1;
    }
    return gguf_finish_open(f, out, err, err_size);
}

void gguf_close(gguf_file *f)
{
    if (!f)
        return;
    if (f->mapped)
        munmap((void *)f->base, (size_t)f->size);
    if (f->kv)
        for (int64_t i = 0; i < f->n_kv; i++)
            free(f->kv[i].strings);
    free(f->kv);
    free(f->kv_hash);
    free(f->tensors);
    free(f->name_arena);
    free(f->tensor_hash);
    free(f->path);
    free(f);
}

/* ---- accessors ---------------------------------------------------------------------- */

const char *gguf_path(const gguf_file *f) { return f->path; }
uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
uint32_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_data_offset(const gguf_file *f) { return f->data_offset; }
uint64_t gguf_header_end(const gguf_file *f) { return f->header_end; }
int64_t gguf_n_keys(const gguf_file *f) { return f->n_kv; }

int64_t gguf_find_key(const gguf_file *f, const char *key)
{
    if (!f || !key || !f->kv_hash)
        return -1;
    uint64_t len = strlen(key);
    uint64_t h = gguf_hash(key, len) & f->kv_hash_mask;
    while (f->kv_hash[h] != 0) {
        int64_t i = f->kv_hash[h] - 1;
        if (gguf_str_eq_n(f->kv[i].key, key, len))
            return i;
        h = (h + 1) & f->kv_hash_mask;
    }
    return -1;
}

gguf_str gguf_key_name(const gguf_file *f, int64_t i)
{
    gguf_str none = {"", 0};
    if (i < 0 || i >= f->n_kv)
        return none;
    return f->kv[i].key;
}

gguf_value_type gguf_key_type(const gguf_file *f, int64_t i)
{
    if (i < 0 || i >= f->n_kv)
        return GGUF_VALUE_TYPE_COUNT;
    return f->kv[i].type;
}

static const gguf_kv *gguf_kv_of(const gguf_file *f, const char *key)
{
    int64_t i = gguf_find_key(f, key);
    return i < 0 ? NULL : &f->kv[i];
}

/* An integer value widened to a sign flag plus magnitude bits. */
static int gguf_int_value(const gguf_kv *kv, int *negative, uint64_t *magnitude)
{
    int64_t s = 0;
    uint64_t u = 0;
    int is_signed = 1;
    switch (kv->type) {
    case GGUF_VALUE_UINT8: { uint8_t v; memcpy(&v, kv->value, 1); u = v; is_signed = 0; break; }
    case GGUF_VALUE_UINT16: { uint16_t v; memcpy(&v, kv->value, 2); u = v; is_signed = 0; break; }
    case GGUF_VALUE_UINT32: { uint32_t v; memcpy(&v, kv->value, 4); u = v; is_signed = 0; break; }
    case GGUF_VALUE_UINT64: { memcpy(&u, kv->value, 8); is_signed = 0; break; }
    case GGUF_VALUE_INT8: { int8_t v; memcpy(&v, kv->value, 1); s = v; break; }
    case GGUF_VALUE_INT16: { int16_t v; memcpy(&v, kv->value, 2); s = v; break; }
    case GGUF_VALUE_INT32: { int32_t v; memcpy(&v, kv->value, 4); s = v; break; }
    case GGUF_VALUE_INT64: { memcpy(&s, kv->value, 8); break; }
    default: return -1;
    }
    if (!is_signed) {
        *negative = 0;
        *magnitude = u;
    } else {
        *negative = s < 0;
        *magnitude = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
    }
    return 0;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    int neg;
    uint64_t m;
    if (!kv || gguf_int_value(kv, &neg, &m) != 0 || neg)
        return -1;
    *out = m;
    return 0;
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out)
{
    uint64_t v;
    if (gguf_get_u64(f, key, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int gguf_get_i32(const gguf_file *f, const char *key, int32_t *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    int neg;
    uint64_t m;
    if (!kv || gguf_int_value(kv, &neg, &m) != 0)
        return -1;
    if (neg ? m > (uint64_t)INT32_MAX + 1 : m > (uint64_t)INT32_MAX)
        return -1;
    *out = neg ? (int32_t)(-(int64_t)m) : (int32_t)m;
    return 0;
}

int gguf_get_f32(const gguf_file *f, const char *key, float *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv)
        return -1;
    if (kv->type == GGUF_VALUE_FLOAT32) {
        memcpy(out, kv->value, 4);
        return 0;
    }
    if (kv->type == GGUF_VALUE_FLOAT64) {
        double d;
        memcpy(&d, kv->value, 8);
        if (d == d && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38))
            return -1;
        *out = (float)d;
        return 0;
    }
    return -1;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv || kv->type != GGUF_VALUE_BOOL)
        return -1;
    *out = kv->value[0] != 0;
    return 0;
}

int gguf_get_str(const gguf_file *f, const char *key, gguf_str *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv || kv->type != GGUF_VALUE_STRING)
        return -1;
    *out = kv->str;
    return 0;
}

int gguf_get_array_info(const gguf_file *f, const char *key, gguf_value_type *elem_type, uint64_t *count)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv || kv->type != GGUF_VALUE_ARRAY)
        return -1;
    if (elem_type)
        *elem_type = kv->elem_type;
    if (count)
        *count = kv->count;
    return 0;
}

const void *gguf_get_array_data(const gguf_file *f, const char *key)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv || kv->type != GGUF_VALUE_ARRAY || gguf_value_type_size(kv->elem_type) == 0)
        return NULL;
    return kv->array_data;
}

int gguf_get_array_str(const gguf_file *f, const char *key, uint64_t i, gguf_str *out)
{
    const gguf_kv *kv = gguf_kv_of(f, key);
    if (!kv || kv->type != GGUF_VALUE_ARRAY || kv->elem_type != GGUF_VALUE_STRING || i >= kv->count)
        return -1;
    *out = kv->strings[i];
    return 0;
}

int64_t gguf_n_tensors(const gguf_file *f) { return f->n_tensors; }

const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i)
{
    if (i < 0 || i >= f->n_tensors)
        return NULL;
    return &f->tensors[i];
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    if (!f || !name || !f->tensor_hash)
        return NULL;
    uint64_t h = gguf_hash(name, strlen(name)) & f->tensor_hash_mask;
    while (f->tensor_hash[h] != 0) {
        const gguf_tensor *t = &f->tensors[f->tensor_hash[h] - 1];
        if (strcmp(t->name, name) == 0)
            return t;
        h = (h + 1) & f->tensor_hash_mask;
    }
    return NULL;
}

int gguf_str_eq(gguf_str s, const char *c)
{
    return c && gguf_str_eq_n(s, c, strlen(c));
}
