/*
 * gguf.h — GGUF v2/v3 reader (mmap) and writer. Internal to engine/.
 *
 * Reader invariants, established by gguf_open before it returns success:
 *  - magic, version (2 or 3), counts, every string length, every array length
 *    and nesting, every tensor's dims, type and byte size were checked against
 *    the file size without integer overflow;
 *  - every tensor's data lies inside the file, aligned to general.alignment;
 *  - all pointers handed out point into the read-only mapping and stay valid
 *    until gguf_close. Strings from the file are NOT NUL-terminated (gguf_str),
 *    except tensor names, which the reader copies.
 * The reader does not know about architectures; engine/model.c checks the keys
 * an architecture requires.
 */
#ifndef GGUF_H
#define GGUF_H

#include <stddef.h>
#include <stdint.h>
#include "slm.h"

#define GGUF_MAX_DIMS 4
#define GGUF_DEFAULT_ALIGNMENT 32

typedef enum gguf_value_type {
    GGUF_VALUE_UINT8 = 0,
    GGUF_VALUE_INT8 = 1,
    GGUF_VALUE_UINT16 = 2,
    GGUF_VALUE_INT16 = 3,
    GGUF_VALUE_UINT32 = 4,
    GGUF_VALUE_INT32 = 5,
    GGUF_VALUE_FLOAT32 = 6,
    GGUF_VALUE_BOOL = 7,
    GGUF_VALUE_STRING = 8,
    GGUF_VALUE_ARRAY = 9,
    GGUF_VALUE_UINT64 = 10,
    GGUF_VALUE_INT64 = 11,
    GGUF_VALUE_FLOAT64 = 12,
    GGUF_VALUE_TYPE_COUNT = 13
} gguf_value_type;

/* Bytes of one element of a fixed-size value type; 0 for string, array or an
 * unknown type (shared by the reader and the writer). */
uint32_t gguf_value_type_size(gguf_value_type t);

typedef struct gguf_str {
    const char *data; /* not NUL-terminated */
    uint64_t len;
} gguf_str;

typedef struct gguf_tensor {
    char *name;                   /* NUL-terminated copy */
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS];   /* elements per dim, ne[0] innermost; unused dims are 1 */
    slm_type type;
    uint64_t n_elements;
    uint64_t n_bytes;
    uint64_t offset;              /* relative to the data section */
    const void *data;             /* inside the mapping */
} gguf_tensor;

typedef struct gguf_file gguf_file;

/* Maps and validates path. On failure *out is NULL and err names the file and fault. */
int gguf_open(const char *path, gguf_file **out, char *err, size_t err_size);
/* Same checks on a buffer the caller owns (used by the fuzzer); buf must outlive the file. */
int gguf_open_memory(const void *buf, size_t size, const char *name,
                     gguf_file **out, char *err, size_t err_size);
void gguf_close(gguf_file *file);

const char *gguf_path(const gguf_file *file);
uint32_t gguf_version(const gguf_file *file);
uint64_t gguf_file_size(const gguf_file *file);
uint32_t gguf_alignment(const gguf_file *file);
uint64_t gguf_data_offset(const gguf_file *file);
/* Offset just past the tensor infos, before the padding to the data section. */
uint64_t gguf_header_end(const gguf_file *file);

/* ---- metadata ---- */
int64_t gguf_n_keys(const gguf_file *file);
int64_t gguf_find_key(const gguf_file *file, const char *key); /* -1 if absent */
gguf_str gguf_key_name(const gguf_file *file, int64_t key_index);
gguf_value_type gguf_key_type(const gguf_file *file, int64_t key_index);

/* Typed getters: 0 on success; -1 if the key is absent or its value cannot be
 * represented (wrong type, negative to unsigned, out of range). Integer getters
 * accept any integer type whose value fits; gguf_get_f32 accepts F32 and F64. */
int gguf_get_u32(const gguf_file *file, const char *key, uint32_t *out);
int gguf_get_i32(const gguf_file *file, const char *key, int32_t *out);
int gguf_get_u64(const gguf_file *file, const char *key, uint64_t *out);
int gguf_get_f32(const gguf_file *file, const char *key, float *out);
int gguf_get_bool(const gguf_file *file, const char *key, int *out);
int gguf_get_str(const gguf_file *file, const char *key, gguf_str *out);

/* Arrays: element type and count of the array at key (nested arrays report
 * GGUF_VALUE_ARRAY as element type). */
int gguf_get_array_info(const gguf_file *file, const char *key,
                        gguf_value_type *elem_type, uint64_t *count);
/* Raw little-endian data of a numeric array (elements packed, no padding). */
const void *gguf_get_array_data(const gguf_file *file, const char *key);
/* Element i of a string array, O(1) (the reader indexes string arrays). */
int gguf_get_array_str(const gguf_file *file, const char *key, uint64_t i, gguf_str *out);

/* ---- tensors ---- */
int64_t gguf_n_tensors(const gguf_file *file);
const gguf_tensor *gguf_tensor_at(const gguf_file *file, int64_t i);
const gguf_tensor *gguf_find_tensor(const gguf_file *file, const char *name); /* NULL if absent */

/* Bytes of n elements of type (n must be a multiple of the block size); 0 for
 * an unknown type or a bad count. Checks for overflow. */
uint64_t gguf_type_bytes(slm_type type, uint64_t n);
/* Elements per block and bytes per block of type; 0 for an unknown type. */
uint32_t gguf_type_block_elements(slm_type type);
uint32_t gguf_type_block_bytes(slm_type type);

/* Compares a gguf_str with a C string. */
int gguf_str_eq(gguf_str s, const char *c);

/* ---- writer ---- */
typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_create(void); /* NULL on out of memory */
void gguf_writer_free(gguf_writer *w);
/* Setters copy their arguments. A key set twice keeps the last value. */
int gguf_writer_set_u32(gguf_writer *w, const char *key, uint32_t v);
int gguf_writer_set_i32(gguf_writer *w, const char *key, int32_t v);
int gguf_writer_set_u64(gguf_writer *w, const char *key, uint64_t v);
int gguf_writer_set_f32(gguf_writer *w, const char *key, float v);
int gguf_writer_set_bool(gguf_writer *w, const char *key, int v);
int gguf_writer_set_str(gguf_writer *w, const char *key, const char *v);
int gguf_writer_set_array(gguf_writer *w, const char *key, gguf_value_type elem_type,
                          const void *data, uint64_t count); /* numeric element types */
int gguf_writer_set_array_str(gguf_writer *w, const char *key,
                              const char *const *strings, uint64_t count);
/* Any value, given as its serialized payload (the bytes that follow the type
 * field in a GGUF file, e.g. for nested arrays). The payload is validated by
 * the reader; a malformed one is a writer fault. */
int gguf_writer_set_raw(gguf_writer *w, const char *key, gguf_value_type type,
                        const void *payload, size_t bytes);
/* Adds a tensor; data (n_bytes = gguf_type_bytes(type, elements)) is copied
 * unless data is NULL, in which case fill(user, dst, n_bytes) is called at write
 * time so huge synthetic models are never held in memory twice. */
int gguf_writer_add_tensor(gguf_writer *w, const char *name, slm_type type,
                           uint32_t n_dims, const uint64_t *ne, const void *data,
                           int (*fill)(void *user, void *dst, uint64_t n_bytes), void *user);
/* Writes version 3 with general.alignment (default 32) to a temp file beside
 * path, then renames it into place. */
int gguf_writer_write(gguf_writer *w, const char *path, char *err, size_t err_size);

#endif /* GGUF_H */
