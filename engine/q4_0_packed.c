/*
 * q4_0_packed.c — layout of packed Q4_0 rows (see q4_0_packed.h): packing,
 * block lookup, dequantization and the exact rewrite as Q8_0 for prefill.
 */
#include "q4_0_packed.h"

#include <string.h>

#include "forward_simd.h"
#include "quant.h"

int eng_q4_0_packing_wanted(void) { return eng_avx2_loops_usable(); }

/* Size (blocks) of the chunk that starts at block b of a row of nb. */
static int64_t chunk_blocks(int64_t nb, int64_t b)
{
    int64_t left = nb - b;
    return left >= ENG_Q4_0_GROUP ? ENG_Q4_0_GROUP : left >= 2 ? 2 : 1;
}

/* First block of the chunk holding block b: groups of 8 first, then pairs,
 * then a last single block when the remainder is odd. */
static int64_t chunk_start(int64_t nb, int64_t b)
{
    int64_t full = nb / ENG_Q4_0_GROUP * ENG_Q4_0_GROUP;
    if (b < full) return b / ENG_Q4_0_GROUP * ENG_Q4_0_GROUP;
    if ((nb - full) % 2 == 1 && b == nb - 1) return b;
    return full + (b - full) / 2 * 2;
}

/* Where block i of a chunk of k keeps its scale: a group of 8 stores them in
 * the lane order of the kernel's reduction, 0 2 4 6 1 3 5 7. */
static int64_t scale_slot(int64_t k, int64_t i)
{
    return k == ENG_Q4_0_GROUP ? (i % 2) * 4 + i / 2 : i;
}

void eng_q4_0_pack_row(uint8_t *row, int64_t nb, uint8_t *scratch)
{
    memcpy(scratch, row, (size_t)nb * ENG_Q4_0_BLOCK_BYTES);
    uint8_t *out = row;
    for (int64_t b = 0; b < nb;) {
        int64_t k = chunk_blocks(nb, b);
        for (int64_t i = 0; i < k; i++) memcpy(out + 2 * scale_slot(k, i), scratch + (b + i) * ENG_Q4_0_BLOCK_BYTES, 2);
        for (int64_t i = 0; i < k; i++)
            memcpy(out + 2 * k + 16 * i, scratch + (b + i) * ENG_Q4_0_BLOCK_BYTES + 2, 16);
        out += k * ENG_Q4_0_BLOCK_BYTES;
        b += k;
    }
}

void eng_q4_0_packed_block(const uint8_t *row, int64_t nb, int64_t b, const uint8_t **scale, const uint8_t **qs)
{
    int64_t start = chunk_start(nb, b), k = chunk_blocks(nb, start), i = b - start;
    const uint8_t *chunk = row + start * ENG_Q4_0_BLOCK_BYTES;
    *scale = chunk + 2 * scale_slot(k, i);
    *qs = chunk + 2 * k + 16 * i;
}

void eng_q4_0_packed_dequantize_row(const uint8_t *row, float *out, int64_t n)
{
    int64_t nb = n / 32;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *scale, *qs;
        eng_q4_0_packed_block(row, nb, b, &scale, &qs);
        float d = quant_f16_to_f32((quant_f16)(scale[0] | scale[1] << 8));
        for (int j = 0; j < 16; j++) {
            out[32 * b + j] = ((qs[j] & 15) - 8) * d;
            out[32 * b + j + 16] = ((qs[j] >> 4) - 8) * d;
        }
    }
}
