/*
 * q4_0_packed.h — Q4_0 weight rows rearranged at load for the AVX2 decode
 * kernel. Internal to engine/.
 *
 * A GGUF Q4_0 row is nb blocks of 18 bytes (f16 scale d, 16 bytes qs: byte
 * i holds element i in its low nibble and element i + 16 in its high one).
 * Decode streams every weight once per token, and with 18-byte blocks the
 * AVX2 kernel spends more instructions gathering scales and splitting
 * nibbles than the memory needs time. A packed row holds the same bytes,
 * moved: the row is cut into chunks of 8 blocks while 8 are left, then of 2,
 * then 1; a chunk of k blocks is its k scales (2 bytes each; a group of 8
 * stores them in the order 0 2 4 6 1 3 5 7, the lane order of the kernel's
 * reduction) followed by the k blocks' 16-byte qs in block order. So one 32-byte load gives two blocks' qs, and one
 * 16-byte load gives eight scales. Row size is unchanged (18 bytes a block),
 * so row addressing everywhere stays the same; a chunk of one block is a
 * plain Q4_0 block.
 *
 * Invariants: packing is a permutation of each row's bytes (lossless);
 * eng_weight.packed says a matrix is packed; everything that reads a packed
 * matrix goes through this header (the kernel, which decode and prefill
 * both use, and the embedding lookup). Rows are packed only when the AVX2
 * kernel will read them (eng_q4_0_packing_wanted).
 */
#ifndef ENG_Q4_0_PACKED_H
#define ENG_Q4_0_PACKED_H

#include <stddef.h>
#include <stdint.h>

enum { ENG_Q4_0_BLOCK_BYTES = 18, ENG_Q4_0_GROUP = 8 };

/* Whether Q4_0 matrices should be packed on this CPU (the AVX2 decode
 * kernel is the one that runs here). */
int eng_q4_0_packing_wanted(void);

/* Rearranges one row of nb blocks in place; scratch holds nb * 18 bytes. */
void eng_q4_0_pack_row(uint8_t *row, int64_t nb, uint8_t *scratch);

/* Block b of a packed row of nb blocks: its f16 scale and 16 qs bytes. */
void eng_q4_0_packed_block(const uint8_t *row, int64_t nb, int64_t b, const uint8_t **scale, const uint8_t **qs);

/* n elements of a packed row as F32 (the Q4_0 dequantization). */
void eng_q4_0_packed_dequantize_row(const uint8_t *row, float *out, int64_t n);

/* out[r] = row r . activation for n_rows packed rows (row_bytes apart) of
 * n elements against one row of Q8_0 activation blocks. AVX2 only (x86-64). */
void eng_q4_0_packed_rows_avx2(int64_t n, int64_t n_rows, float *out, const void *rows, size_t row_bytes,
                               const void *act);

#endif /* ENG_Q4_0_PACKED_H */
