/*
 * fuzz_gguf.c — libFuzzer target for the GGUF reader: every input goes
 * through gguf_open_memory; an accepted one is walked completely (every key
 * through every getter, every string-array element, every tensor's first and
 * last data byte), so a reader invariant that does not hold shows up as an
 * ASan/UBSan report. A rejected input must come with an error line naming
 * the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"

static void fuzz_walk_key(const gguf_file *f, const char *key)
{
    uint32_t u32; int32_t i32; uint64_t u64; float f32; int b; gguf_str s;
    gguf_value_type et;
    uint64_t count;
    (void)gguf_get_u32(f, key, &u32);
    (void)gguf_get_i32(f, key, &i32);
    (void)gguf_get_u64(f, key, &u64);
    (void)gguf_get_f32(f, key, &f32);
    (void)gguf_get_bool(f, key, &b);
    if (gguf_get_str(f, key, &s) == 0 && s.len > 0) {
        volatile char c = s.data[s.len - 1];
        (void)c;
    }
    if (gguf_get_array_info(f, key, &et, &count) != 0)
        return;
    const uint8_t *data = gguf_get_array_data(f, key);
    if (data && count > 0) {
        volatile uint8_t c = data[0];
        (void)c;
    }
    for (uint64_t i = 0; et == GGUF_VALUE_STRING && i < count; i++) {
        if (gguf_get_array_str(f, key, i, &s) != 0)
            abort();
        if (s.len > 0) {
            volatile char c = s.data[s.len - 1];
            (void)c;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
    gguf_file *f = NULL;
    char err[512] = "";
    if (gguf_open_memory(buf, size, "fuzz.gguf", &f, err, sizeof err) != 0) {
        if (f != NULL || strncmp(err, "fuzz.gguf: ", 11) != 0 || strchr(err, '\n'))
            abort();
        return 0;
    }
    char key[4096];
    for (int64_t i = 0; i < gguf_n_keys(f); i++) {
        gguf_str k = gguf_key_name(f, i);
        if (k.len >= sizeof key)
            continue;
        memcpy(key, k.data, (size_t)k.len);
        key[k.len] = '\0';
        if (gguf_find_key(f, key) != i)
            abort();
        fuzz_walk_key(f, key);
    }
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        if (gguf_find_tensor(f, t->name) != t || t->n_bytes == 0)
            abort();
        volatile uint8_t c = ((const uint8_t *)t->data)[0] ^ ((const uint8_t *)t->data)[t->n_bytes - 1];
        (void)c;
    }
    gguf_close(f);
    return 0;
}
