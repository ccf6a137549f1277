/*
 * gguf_writer.c — builds a GGUF v3 file: metadata and tensor table in memory,
 * tensor data streamed to disk.
 *
 * Invariants:
 *  - every value is serialized when it is set, so the writer owns copies of
 *    everything except the fill callbacks' user pointers;
 *  - tensors are checked when added (known type, 1..4 non-zero dims, row length
 *    a multiple of the block size, unique name); the first fault is kept and
 *    reported by gguf_writer_write, which then writes nothing;
 *  - the output appears atomically: a temp file beside the target is written,
 *    fsync'd and renamed over it; on failure the temp file is removed;
 *  - a tensor with a fill callback is filled in place through a shared mapping
 *    of its region of the temp file (space reserved first with
 *    posix_fallocate, so a full disk is an error, not SIGBUS): multi-GB
 *    synthetic models never sit in the heap.
 */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct gguf_wkv {
    char *key;
    gguf_value_type type;
    uint8_t *payload;   /* the value exactly as it follows the type field */
    size_t payload_bytes;
} gguf_wkv;

typedef struct gguf_wtensor {
    char *name;
    slm_type type;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS];
    uint64_t n_bytes;
    uint64_t offset;
    void *data;
    int (*fill)(void *user, void *dst, uint64_t n_bytes);
    void *user;
} gguf_wtensor;

struct gguf_writer {
    gguf_wkv *kv;
    size_t n_kv, cap_kv;
    gguf_wtensor *tensors;
    size_t n_tensors, cap_tensors;
    char fault[256];     /* first error of a setter, reported by write */
};

/* A growable byte buffer for serializing. */
typedef struct gguf_buf {
    uint8_t *data;
    size_t len, cap;
    int oom;
} gguf_buf;

static void gguf_buf_put(gguf_buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void gguf_buf_u32(gguf_buf *b, uint32_t v) { gguf_buf_put(b, &v, 4); }
static void gguf_buf_u64(gguf_buf *b, uint64_t v) { gguf_buf_put(b, &v, 8); }

static void gguf_buf_str(gguf_buf *b, const char *s, size_t n)
{
    gguf_buf_u64(b, n);
    gguf_buf_put(b, s, n);
}

gguf_writer *gguf_writer_create(void)
{
    return calloc(1, sizeof(gguf_writer));
}

void gguf_writer_free(gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].payload);
    }
    for (size_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->kv);
    free(w->tensors);
    free(w);
}

static int gguf_writer_fault(gguf_writer *w, const char *fmt, ...)
{
    if (w->fault[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->fault, sizeof w->fault, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Takes ownership of payload (freed on failure too). */
static int gguf_writer_put(gguf_writer *w, const char *key, gguf_value_type type,
                           uint8_t *payload, size_t bytes)
{
    if (!key || !key[0]) {
        free(payload);
        return gguf_writer_fault(w, "empty key name");
    }
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, key) == 0) {
            free(w->kv[i].payload);
            w->kv[i].type = type;
            w->kv[i].payload = payload;
            w->kv[i].payload_bytes = bytes;
            return 0;
        }
    }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 32;
        gguf_wkv *kv = realloc(w->kv, cap * sizeof *kv);
        if (!kv) {
            free(payload);
            return gguf_writer_fault(w, "out of memory");
        }
        w->kv = kv;
        w->cap_kv = cap;
    }
    char *copy = strdup(key);
    if (!copy) {
        free(payload);
        return gguf_writer_fault(w, "out of memory");
    }
    w->kv[w->n_kv++] = (gguf_wkv){copy, type, payload, bytes};
    return 0;
}

static int gguf_writer_put_buf(gguf_writer *w, const char *key, gguf_value_type type, gguf_buf *b)
{
    if (b->oom) {
        free(b->data);
        return gguf_writer_fault(w, "key '%s': out of memory", key ? key : "");
    }
    return gguf_writer_put(w, key, type, b->data, b->len);
}

static int gguf_writer_scalar(gguf_writer *w, const char *key, gguf_value_type type,
                              const void *v, size_t n)
{
    gguf_buf b = {0};
    gguf_buf_put(&b, v, n);
    return gguf_writer_put_buf(w, key, type, &b);
}

int gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v)
{
    return gguf_writer_scalar(w, key, GGUF_VALUE_UINT32, &v, 4);
}

int gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v)
{
    return gguf_writer_scalar(w, key, GGUF_VALUE_INT32, &v, 4);
}

int gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v)
{
    return gguf_writer_scalar(w, key, GGUF_VALUE_UINT64, &v, 8);
}

int gguf_writer_set_f32(gguf_writer *w, const char *key, float v)
{
    return gguf_writer_scalar(w, key, GGUF_VALUE_FLOAT32, &v, 4);
}

int gguf_writer_set_bool(gguf_writer *w, const char *key, int v)
{
    uint8_t b = v ? 1 : 0;
    return gguf_writer_scalar(w, key, GGUF_VALUE_BOOL, &b, 1);
}

int gguf_writer_set_str(gguf_writer *w, const char *key, const char *v)
{
    gguf_buf b = {0};
    gguf_buf_str(&b, v ? v : "", v ? strlen(v) : 0);
    return gguf_writer_put_buf(w, key, GGUF_VALUE_STRING, &b);
}

int gguf_writer_set_array(gguf_writer *w, const char *key, gguf_value_type elem_type,
                          const void *data, uint64_t count)
{
    size_t size = gguf_value_type_size(elem_type);
    if (size == 0)
        return gguf_writer_fault(w, "key '%s': array element type %u is not numeric",
                                 key ? key : "", (unsigned)elem_type);
    if (count > SIZE_MAX / size || (count > 0 && !data))
        return gguf_writer_fault(w, "key '%s': bad array of %" PRIu64 " elements", key ? key : "", count);
    gguf_buf b = {0};
    gguf_buf_u32(&b, (uint32_t)elem_type);
    gguf_buf_u64(&b, count);
    gguf_buf_put(&b, data, (size_t)count * size);
    return gguf_writer_put_buf(w, key, GGUF_VALUE_ARRAY, &b);
}

int gguf_writer_set_array_str(gguf_writer *w, const char *key,
                              const char *const *strings, uint64_t count)
{
    if (count > 0 && !strings)
        return gguf_writer_fault(w, "key '%s': NULL string array", key ? key : "");
    gguf_buf b = {0};
    gguf_buf_u32(&b, GGUF_VALUE_STRING);
    gguf_buf_u64(&b, count);
    for (uint64_t i = 0; i < count; i++) {
        const char *s = strings[i] ? strings[i] : "";
        gguf_buf_str(&b, s, strlen(s));
    }
    return gguf_writer_put_buf(w, key, GGUF_VALUE_ARRAY, &b);
}

/* The payload is checked by parsing a one-key GGUF built around it. */
static int gguf_writer_check_raw(gguf_value_type type, const void *payload, size_t bytes)
{
    gguf_buf b = {0};
    gguf_buf_put(&b, "GGUF", 4);
    gguf_buf_u32(&b, 3);
    gguf_buf_u64(&b, 0);
    gguf_buf_u64(&b, 1);
    gguf_buf_str(&b, "k", 1);
    gguf_buf_u32(&b, (uint32_t)type);
    gguf_buf_put(&b, payload, bytes);
    if (b.oom) {
        free(b.data);
        return -1;
    }
    gguf_file *f = NULL;
    char err[256];
    int rc = gguf_open_memory(b.data, b.len, "raw", &f, err, sizeof err);
    /* The value must use exactly the bytes given. */
    if (rc == 0 && gguf_header_end(f) != b.len)
        rc = -1;
    gguf_close(f);
    free(b.data);
    return rc;
}

int gguf_writer_set_raw(gguf_writer *w, const char *key, gguf_value_type type,
                        const void *payload, size_t bytes)
{
    if (type >= GGUF_VALUE_TYPE_COUNT || (bytes > 0 && !payload) ||
        gguf_writer_check_raw(type, payload, bytes) != 0)
        return gguf_writer_fault(w, "key '%s': malformed raw value of type %u", key ? key : "", (unsigned)type);
    uint8_t *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return gguf_writer_fault(w, "key '%s': out of memory", key ? key : "");
    memcpy(copy, payload, bytes);
    return gguf_writer_put(w, key, type, copy, bytes);
}

/* ---- tensors -------------------------------------------------------------------- */

static int gguf_writer_check_tensor(gguf_writer *w, const char *name, slm_type type,
                                    uint32_t n_dims, const uint64_t *ne, uint64_t *n_bytes)
{
    if (!name || !name[0] || strlen(name) > 1024)
        return gguf_writer_fault(w, "tensor name empty or longer than 1024 bytes");
    for (size_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return gguf_writer_fault(w, "duplicate tensor name '%s'", name);
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS || !ne)
        return gguf_writer_fault(w, "tensor '%s': %u dimensions (must be 1..4)", name, n_dims);
    uint32_t block = gguf_type_block_elements(type);
    if (block == 0)
        return gguf_writer_fault(w, "tensor '%s': unknown tensor type %d", name, (int)type);
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] == 0 || ne[d] > (uint64_t)INT64_MAX / n)
            return gguf_writer_fault(w, "tensor '%s': dimension %u is zero or overflows", name, d);
        n *= ne[d];
    }
    if (ne[0] % block != 0)
        return gguf_writer_fault(w, "tensor '%s': row length %" PRIu64 " not a multiple of block size %u",
                                 name, ne[0], block);
    *n_bytes = gguf_type_bytes(type, n);
    if (*n_bytes == 0)
        return gguf_writer_fault(w, "tensor '%s': byte size overflows", name);
    return 0;
}

int gguf_writer_add_tensor(gguf_writer *w, const char *name, slm_type type,
                           uint32_t n_dims, const uint64_t *ne, const void *data,
                           int (*fill)(void *user, void *dst, uint64_t n_bytes), void *user)
{
    uint64_t n_bytes;
    if (gguf_writer_check_tensor(w, name, type, n_dims, ne, &n_bytes) != 0)
        return -1;
    if (!data && !fill)
        return gguf_writer_fault(w, "tensor '%s': neither data nor a fill callback", name);
    if (w->n_tensors == w->cap_tensors) {
        size_t cap = w->cap_tensors ? w->cap_tensors * 2 : 64;
        gguf_wtensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t)
            return gguf_writer_fault(w, "out of memory");
        w->tensors = t;
        w->cap_tensors = cap;
    }
    gguf_wtensor t = {0};
    t.name = strdup(name);
    if (data && n_bytes <= SIZE_MAX)
        t.data = malloc((size_t)n_bytes);
    if (!t.name || (data && !t.data)) {
        free(t.name);
        free(t.data);
        return gguf_writer_fault(w, "tensor '%s': out of memory", name);
    }
    if (data)
        memcpy(t.data, data, (size_t)n_bytes);
    t.type = type;
    t.n_dims = n_dims;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++)
        t.ne[d] = d < n_dims ? ne[d] : 1;
    t.n_bytes = n_bytes;
    t.fill = data ? NULL : fill;
    t.user = user;
    w->tensors[w->n_tensors++] = t;
    return 0;
}

/* ---- writing ---------------------------------------------------------------------- */

static int gguf_writer_alignment(gguf_writer *w, uint32_t *alignment)
{
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kv[i].key, "general.alignment") != 0)
            continue;
        uint32_t a = 0;
        if (w->kv[i].type != GGUF_VALUE_UINT32)
            return gguf_writer_fault(w, "general.alignment must be uint32");
        memcpy(&a, w->kv[i].payload, 4);
        if (a == 0 || (a & (a - 1)) != 0)
            return gguf_writer_fault(w, "general.alignment %u is not a power of two", a);
        *alignment = a;
        return 0;
    }
    *alignment = GGUF_DEFAULT_ALIGNMENT;
    return gguf_writer_set_u32(w, "general.alignment", GGUF_DEFAULT_ALIGNMENT);
}

static uint64_t gguf_align_up(uint64_t x, uint64_t a)
{
    return x + (a - x % a) % a;
}

/* Header, metadata, tensor infos and padding up to the data section; sets
 * every tensor's offset and *total (file size). */
static int gguf_writer_header(gguf_writer *w, uint32_t alignment, gguf_buf *b, uint64_t *total)
{
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        w->tensors[i].offset = offset;
        if (w->tensors[i].n_bytes > UINT64_MAX - offset - alignment)
            return gguf_writer_fault(w, "total tensor size overflows");
        offset = gguf_align_up(offset + w->tensors[i].n_bytes, alignment);
    }
    gguf_buf_put(b, "GGUF", 4);
    gguf_buf_u32(b, 3);
    gguf_buf_u64(b, w->n_tensors);
    gguf_buf_u64(b, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        gguf_buf_str(b, w->kv[i].key, strlen(w->kv[i].key));
        gguf_buf_u32(b, (uint32_t)w->kv[i].type);
        gguf_buf_put(b, w->kv[i].payload, w->kv[i].payload_bytes);
    }
    for (size_t i = 0; i < w->n_tensors; i++) {
        const gguf_wtensor *t = &w->tensors[i];
        gguf_buf_str(b, t->name, strlen(t->name));
        gguf_buf_u32(b, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++)
            gguf_buf_u64(b, t->ne[d]);
        gguf_buf_u32(b, (uint32_t)t->type);
        gguf_buf_u64(b, t->offset);
    }
    static const uint8_t zeros[4096];
    size_t pad = (size_t)(gguf_align_up(b->len, alignment) - b->len);
    while (pad > 0) {
        size_t n = pad < sizeof zeros ? pad : sizeof zeros;
        gguf_buf_put(b, zeros, n);
        pad -= n;
    }
    if (b->oom)
        return gguf_writer_fault(w, "out of memory building the header");
    *total = b->len + offset;
    return 0;
}

static int gguf_write_all(int fd, const void *p, uint64_t n, uint64_t at)
{
    const uint8_t *c = p;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t k = pwrite(fd, c, chunk, (off_t)at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (uint64_t)k;
        at += (uint64_t)k;
    }
    return 0;
}

/* Fills one tensor through a shared mapping of its page-aligned region. */
static int gguf_fill_mapped(int fd, const gguf_wtensor *t, uint64_t at, char *err, size_t err_size,
                            const char *path)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = at - at % page;
    uint64_t len = at + t->n_bytes - start;
    void *m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
    if (m == MAP_FAILED) {
        snprintf(err, err_size, "%s: tensor '%s': cannot map %" PRIu64 " bytes: %s",
                 path, t->name, len, strerror(errno));
        return -1;
    }
    int rc = t->fill(t->user, (uint8_t *)m + (at - start), t->n_bytes);
    /* Start write-back now so dirty pages do not pile up across tensors. */
    msync(m, (size_t)len, MS_ASYNC);
    munmap(m, (size_t)len);
    if (rc != 0)
        snprintf(err, err_size, "%s: tensor '%s': generating its data failed", path, t->name);
    return rc;
}

static int gguf_writer_body(gguf_writer *w, int fd, const gguf_buf *header, uint64_t total,
                            const char *path, char *err, size_t err_size)
{
    int e = posix_fallocate(fd, 0, (off_t)total);
    if (e != 0) {
        snprintf(err, err_size, "%s: cannot reserve %" PRIu64 " bytes: %s", path, total, strerror(e));
        return -1;
    }
    if (gguf_write_all(fd, header->data, header->len, 0) != 0) {
        snprintf(err, err_size, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < w->n_tensors; i++) {
        const gguf_wtensor *t = &w->tensors[i];
        uint64_t at = header->len + t->offset;
        if (t->data && gguf_write_all(fd, t->data, t->n_bytes, at) != 0) {
            snprintf(err, err_size, "%s: tensor '%s': write failed: %s", path, t->name, strerror(errno));
            return -1;
        }
        if (!t->data && gguf_fill_mapped(fd, t, at, err, err_size, path) != 0)
            return -1;
    }
    /* mkstemp creates 0600; a model file is not secret. Not fatal if refused. */
    (void)fchmod(fd, 0644);
    if (fsync(fd) != 0) {
        snprintf(err, err_size, "%s: fsync failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void gguf_sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int gguf_writer_write(gguf_writer *w, const char *path, char *err, size_t err_size)
{
    uint32_t alignment;
    gguf_buf header = {0};
    uint64_t total = 0;
    if (w->fault[0] || gguf_writer_alignment(w, &alignment) != 0 ||
        gguf_writer_header(w, alignment, &header, &total) != 0) {
        snprintf(err, err_size, "%s: %s", path, w->fault);
        free(header.data);
        return -1;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        free(header.data);
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot create a temp file beside it: %s", path, strerror(errno));
        free(tmp);
        free(header.data);
        return -1;
    }
    int rc = gguf_writer_body(w, fd, &header, total, path, err, err_size);
    if (close(fd) != 0 && rc == 0) {
        snprintf(err, err_size, "%s: close failed: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, err_size, "%s: cannot rename the temp file into place: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    else
        gguf_sync_dir(path);
    free(tmp);
    free(header.data);
    return rc;
}
