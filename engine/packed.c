/*
 * packed.c — layout of packed Q4_0 and Q5_0 rows (see packed.h): packing,
 * block lookup and dequantization.
 */
#include "packed.h"

#include <string.h>

#include "forward_simd.h"
#include "quant.h"

enum { QS_BYTES = 16, Q4_0_BYTES = 18, Q5_0_BYTES = 22 };

int eng_packing_wanted(slm_type type)
{
    return (type == SLM_TYPE_Q4_0 || type == SLM_TYPE_Q5_0) && eng_avx2_loops_usable();
}

size_t eng_packed_block_bytes(slm_type type) { return type == SLM_TYPE_Q5_0 ? Q5_0_BYTES : Q4_0_BYTES; }

size_t eng_packed_table_bytes(int64_t n)
{
    int64_t nb = n / 32, groups = nb / ENG_PACKED_GROUP, pairs = (nb - groups * ENG_PACKED_GROUP) / 2;
    size_t bytes = (size_t)groups * ENG_PACKED_GROUP_TABLE_BYTES + (size_t)pairs * ENG_PACKED_PAIR_TABLE_BYTES;
    return bytes ? (bytes + 63) / 64 * 64 : 64;
}

/* Bytes of high-bit words per block in a chunk of k >= 2 (Q5_0: 4). */
static size_t high_bytes(slm_type type) { return type == SLM_TYPE_Q5_0 ? 4 : 0; }

/* Size (blocks) of the chunk that starts at block b of a row of nb. */
static int64_t chunk_blocks(int64_t nb, int64_t b)
{
    int64_t left = nb - b;
    return left >= ENG_PACKED_GROUP ? ENG_PACKED_GROUP : left >= 2 ? 2 : 1;
}

/* First block of the chunk holding block b: groups of 8 first, then pairs,
 * then a last single block when the remainder is odd. */
static int64_t chunk_start(int64_t nb, int64_t b)
{
    int64_t full = nb / ENG_PACKED_GROUP * ENG_PACKED_GROUP;
    if (b < full) return b / ENG_PACKED_GROUP * ENG_PACKED_GROUP;
    if ((nb - full) % 2 == 1 && b == nb - 1) return b;
    return full + (b - full) / 2 * 2;
}

/* Where block i of a chunk of k keeps its scale: a group of 8 stores them in
 * the lane order of the kernel's reduction, 0 2 4 6 1 3 5 7. */
static int64_t scale_slot(int64_t k, int64_t i)
{
    return k == ENG_PACKED_GROUP ? (i % 2) * 4 + i / 2 : i;
}

static uint32_t load_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The two high-bit words of the pair (a, b) (packed.h). */
static void pair_high_words(uint32_t qh_a, uint32_t qh_b, uint32_t words[2])
{
    words[0] = (qh_a & 0xFFFFu) | qh_b << 16;
    words[1] = qh_a >> 16 | (qh_b & 0xFFFF0000u);
}

void eng_pack_row(slm_type type, uint8_t *row, int64_t nb, uint8_t *scratch)
{
    const size_t bb = eng_packed_block_bytes(type), hb = high_bytes(type), qs_at = bb - QS_BYTES;
    memcpy(scratch, row, (size_t)nb * bb);
    uint8_t *out = row;
    for (int64_t b = 0; b < nb;) {
        int64_t k = chunk_blocks(nb, b);
        const uint8_t *in = scratch + (size_t)b * bb;
        if (k == 1) {
            memcpy(out, in, bb);
        } else {
            for (int64_t i = 0; i < k; i++) memcpy(out + 2 * scale_slot(k, i), in + (size_t)i * bb, 2);
            for (int64_t p = 0; hb && p < k / 2; p++) {
                uint32_t words[2];
                pair_high_words(load_u32(in + (size_t)(2 * p) * bb + 2), load_u32(in + (size_t)(2 * p + 1) * bb + 2),
                                words);
                memcpy(out + 2 * k + 8 * p, words, sizeof words);
            }
            for (int64_t i = 0; i < k; i++)
                memcpy(out + (2 + hb) * (size_t)k + QS_BYTES * (size_t)i, in + (size_t)i * bb + qs_at, QS_BYTES);
        }
        out += (size_t)k * bb;
        b += k;
    }
}

/* Block b of a packed row of nb blocks: its f16 scale, its qh bits (Q5_0)
 * and its 16 qs bytes. */
static void packed_block(slm_type type, const uint8_t *row, int64_t nb, int64_t b, uint16_t *scale,
                         uint32_t *qh, const uint8_t **qs)
{
    const size_t bb = eng_packed_block_bytes(type), hb = high_bytes(type);
    int64_t start = chunk_start(nb, b), k = chunk_blocks(nb, start), i = b - start;
    const uint8_t *chunk = row + (size_t)start * bb;
    *qh = 0;
    if (k == 1) { /* a plain block */
        *scale = (uint16_t)(chunk[0] | chunk[1] << 8);
        if (hb) *qh = load_u32(chunk + 2);
        *qs = chunk + bb - QS_BYTES;
        return;
    }
    const uint8_t *s = chunk + 2 * scale_slot(k, i);
    *scale = (uint16_t)(s[0] | s[1] << 8);
    if (hb) {
        const uint8_t *words = chunk + 2 * k + 8 * (i / 2);
        uint32_t lo = load_u32(words), hi = load_u32(words + 4);
        *qh = i % 2 ? lo >> 16 | (hi & 0xFFFF0000u) : (lo & 0xFFFFu) | hi << 16;
    }
    *qs = chunk + (2 + hb) * (size_t)k + QS_BYTES * (size_t)i;
}

void eng_packed_dequantize_row(slm_type type, const uint8_t *row, float *out, int64_t n)
{
    int64_t nb = n / 32;
    const int offset = type == SLM_TYPE_Q5_0 ? 16 : 8;
    for (int64_t b = 0; b < nb; b++) {
        uint16_t scale;
        uint32_t qh;
        const uint8_t *qs;
        packed_block(type, row, nb, b, &scale, &qh, &qs);
        float d = quant_f16_to_f32((quant_f16)scale);
        for (int j = 0; j < 16; j++) {
            int lo = (qs[j] & 15) | (int)((qh >> j) & 1) << 4, hi = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            out[32 * b + j] = (float)(lo - offset) * d;
            out[32 * b + j + 16] = (float)(hi - offset) * d;
        }
    }
}
