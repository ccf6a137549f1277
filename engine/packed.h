/*
 * packed.h — Q4_0 and Q5_0 weight rows rearranged at load for the AVX2
 * decode kernel. Internal to engine/.
 *
 * GGUF blocks (32 elements): Q4_0 = f16 scale d, qs[16] (byte i holds
 * element i in its low nibble and element i + 16 in its high one), 18
 * bytes; Q5_0 = d, u32 qh (bit j = bit 4 of element j), then qs as Q4_0, 22
 * bytes. Decode streams every weight once per token, and with these blocks
 * the AVX2 kernel spends more instructions gathering scales, splitting
 * nibbles and spreading high bits than the memory needs time. A packed row
 * holds the same bytes, moved: the row is cut into chunks of 8 blocks while
 * 8 are left, then of 2, then 1. A chunk of k >= 2 blocks is
 *
 *   its k scales (2 bytes each; a group of 8 stores them in the order
 *   0 2 4 6 1 3 5 7, the lane order of the kernel's reduction),
 *   Q5_0 only: per pair of blocks (a, b), two u32 words of high bits laid
 *   out as the kernel's vectors are: bits 0-15 of a's qh with bits 0-15 of
 *   b's above them, then bits 16-31 of both likewise,
 *   the k blocks' 16-byte qs in block order,
 *
 * so one 32-byte load gives two blocks' qs, one 16-byte load eight scales,
 * and one u32 the high bits of a vector. A chunk of one block is a plain
 * block. Row size is unchanged (18 or 22 bytes a block), so row addressing
 * everywhere stays the same.
 *
 * Invariants: packing is a permutation of each row's bits (lossless);
 * eng_weight.packed says a matrix is packed; everything that reads a packed
 * matrix goes through this header (the kernel, which decode and prefill
 * both use, and the embedding lookup). Rows are packed only when the AVX2
 * kernel will read them (eng_packing_wanted).
 */
#ifndef ENG_PACKED_H
#define ENG_PACKED_H

#include <stddef.h>
#include <stdint.h>

#include "slm.h"

enum { ENG_PACKED_GROUP = 8 };

/* Whether matrices of this type should be packed on this CPU (Q4_0 and
 * Q5_0, when the AVX2 decode kernel is the one that runs here). */
int eng_packing_wanted(slm_type type);

/* Bytes of one block of a packable type (18 for Q4_0, 22 for Q5_0). */
size_t eng_packed_block_bytes(slm_type type);

/* Rearranges one row of nb blocks in place; scratch holds one row. */
void eng_pack_row(slm_type type, uint8_t *row, int64_t nb, uint8_t *scratch);

/* n elements of a packed row as F32 (the type's dequantization). */
void eng_packed_dequantize_row(slm_type type, const uint8_t *row, float *out, int64_t n);

/* Activation rows as the packed kernels read them: Q8_0 rows and, for each,
 * its activation table (eng_packed_table_avx2), which the kernels read for
 * every weight row instead of re-deriving it from the Q8_0 blocks: build it
 * once per activation row and share it between the calls that read it. */
typedef struct eng_packed_acts {
    const void *q8;          /* Q8_0 rows, q8_stride bytes apart */
    size_t q8_stride;
    const void *tables;      /* their tables, table_stride bytes apart; 32-byte aligned */
    size_t table_stride;
} eng_packed_acts;

/* A table holds, per group of 8 blocks, the codes split into halves, the
 * code sums and widened scales (ENG_PACKED_GROUP_TABLE_BYTES), then the same
 * per pair of blocks after the groups (ENG_PACKED_PAIR_TABLE_BYTES). */
enum { ENG_PACKED_GROUP_TABLE_BYTES = 320, ENG_PACKED_PAIR_TABLE_BYTES = 128 };
/* Bytes of the table of an n-element row (a multiple of 64, at least 64). */
size_t eng_packed_table_bytes(int64_t n);
/* Builds the table of one n-element row of Q8_0 blocks. AVX2 only. */
void eng_packed_table_avx2(int64_t n, const void *act, void *table);
/* out[r] = row r . activation for n_rows packed rows (row_bytes apart) of
 * n elements against the first row of acts. AVX2 only (x86-64). */
void eng_packed_rows_avx2(slm_type type, int64_t n, int64_t n_rows, float *out, const void *rows, size_t row_bytes,
                          const eng_packed_acts *acts);
/* The same for the first n_acts <= QUANT_MULTI_MAX rows of acts, out[k][r]
 * at out + k * out_ld + r, each with the bits of the one-row call: the
 * weights are read and unpacked once for all (prefill). */
void eng_packed_rows_multi_avx2(slm_type type, int64_t n, int64_t n_rows, int n_acts, float *out, size_t out_ld,
                                const void *rows, size_t row_bytes, const eng_packed_acts *acts);
/* A packed row of nb blocks rewritten as nb Q8_0 blocks (34 bytes: the
 * scale, then code - offset as int8), exactly: for the Q8_0 prefill tiles. */
void eng_packed_to_q8_0_avx2(slm_type type, const uint8_t *row, int64_t nb, uint8_t *out);

#endif /* ENG_PACKED_H */
