/*
 * avx512_emulation.h — plain-C models of the AVX-512 intrinsics that
 * engine/quant_avx512.c uses, so its kernels can be executed (and checked
 * against the scalar ones) on a CPU without AVX-512. Test-only.
 *
 * Each model follows Intel's pseudo-code for the instruction (lane order,
 * saturation, sign extension, index masking). Include after <immintrin.h>;
 * it redirects the _mm512_* names (and the few masked 256-bit ones) to the
 * models with macros, and __m512/__m512i to one union type.
 */
#ifndef AVX512_EMULATION_H
#define AVX512_EMULATION_H

#include <immintrin.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

typedef union {
    int8_t i8[64];
    uint8_t u8[64];
    int16_t i16[32];
    uint16_t u16[32];
    int32_t i32[16];
    int64_t i64[8];
    float f32[16];
    __m256i half[2];
    __m256 halfps[2];
} emu512;

typedef uint64_t emu_mask64;
typedef uint16_t emu_mask16;

#define EMU_LOOP(n) for (int i = 0; i < (n); i++)

static inline emu512 emu_zero(void) { emu512 r; memset(&r, 0, sizeof r); return r; }
static inline emu512 emu_setzero_si512(void) { return emu_zero(); }
static inline emu512 emu_setzero_ps(void) { return emu_zero(); }
static inline emu512 emu_set1_epi8(char v) { emu512 r; EMU_LOOP(64) r.i8[i] = (int8_t)v; return r; }
static inline emu512 emu_set1_epi16(short v) { emu512 r; EMU_LOOP(32) r.i16[i] = v; return r; }
static inline emu512 emu_set1_epi32(int v) { emu512 r; EMU_LOOP(16) r.i32[i] = v; return r; }
static inline emu512 emu_set1_ps(float v) { emu512 r; EMU_LOOP(16) r.f32[i] = v; return r; }
static inline emu512 emu_setr_epi32(int a0, int a1, int a2, int a3, int a4, int a5, int a6, int a7, int a8, int a9,
                                    int a10, int a11, int a12, int a13, int a14, int a15)
{
    const int v[16] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 };
    emu512 r;
    EMU_LOOP(16) r.i32[i] = v[i];
    return r;
}
static inline emu512 emu_setr_epi64(long long a0, long long a1, long long a2, long long a3, long long a4,
                                    long long a5, long long a6, long long a7)
{
    const long long v[8] = { a0, a1, a2, a3, a4, a5, a6, a7 };
    emu512 r;
    EMU_LOOP(8) r.i64[i] = v[i];
    return r;
}
/* _mm512_set_epi16 lists the highest lane first. */
static inline emu512 emu_set_epi16(short e31, short e30, short e29, short e28, short e27, short e26, short e25,
                                   short e24, short e23, short e22, short e21, short e20, short e19, short e18,
                                   short e17, short e16, short e15, short e14, short e13, short e12, short e11,
                                   short e10, short e9, short e8, short e7, short e6, short e5, short e4, short e3,
                                   short e2, short e1, short e0)
{
    const short v[32] = { e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15,
                          e16, e17, e18, e19, e20, e21, e22, e23, e24, e25, e26, e27, e28, e29, e30, e31 };
    emu512 r;
    EMU_LOOP(32) r.i16[i] = v[i];
    return r;
}

static inline emu512 emu_loadu(const void *p) { emu512 r; memcpy(&r, p, 64); return r; }
static inline emu512 emu_loadu_si512(const void *p) { return emu_loadu(p); }
static inline emu512 emu_loadu_ps(const float *p) { return emu_loadu(p); }
static inline emu512 emu_maskz_loadu_ps(emu_mask16 m, const float *p)
{
    emu512 r = emu_zero();
    EMU_LOOP(16) if ((m >> i) & 1) memcpy(&r.f32[i], p + i, 4);
    return r;
}
static inline __m256i emu_mm256_maskz_loadu_epi16(emu_mask16 m, const void *p)
{
    int16_t v[16] = { 0 };
    EMU_LOOP(16) if ((m >> i) & 1) memcpy(&v[i], (const char *)p + 2 * i, 2);
    return _mm256_loadu_si256((const __m256i *)v);
}

static inline emu512 emu_castsi256_si512(__m256i a) { emu512 r = emu_zero(); r.half[0] = a; return r; }
static inline emu512 emu_zextsi256_si512(__m256i a) { emu512 r = emu_zero(); r.half[0] = a; return r; }
static inline emu512 emu_castps256_ps512(__m256 a) { emu512 r = emu_zero(); r.halfps[0] = a; return r; }
static inline __m256i emu_castsi512_si256(emu512 a) { return a.half[0]; }
static inline emu512 emu_inserti64x4(emu512 a, __m256i b, int imm) { a.half[imm & 1] = b; return a; }
static inline emu512 emu_insertf32x8(emu512 a, __m256 b, int imm) { a.halfps[imm & 1] = b; return a; }

static inline emu512 emu_and_si512(emu512 a, emu512 b) { EMU_LOOP(8) a.i64[i] &= b.i64[i]; return a; }
static inline emu512 emu_or_si512(emu512 a, emu512 b) { EMU_LOOP(8) a.i64[i] |= b.i64[i]; return a; }
static inline emu512 emu_xor_si512(emu512 a, emu512 b) { EMU_LOOP(8) a.i64[i] ^= b.i64[i]; return a; }
static inline emu512 emu_add_epi16(emu512 a, emu512 b) { EMU_LOOP(32) a.i16[i] = (int16_t)(a.u16[i] + b.u16[i]); return a; }
static inline emu512 emu_add_epi32(emu512 a, emu512 b) { EMU_LOOP(16) a.i32[i] = (int32_t)((uint32_t)a.i32[i] + (uint32_t)b.i32[i]); return a; }
static inline emu512 emu_sub_epi32(emu512 a, emu512 b) { EMU_LOOP(16) a.i32[i] = (int32_t)((uint32_t)a.i32[i] - (uint32_t)b.i32[i]); return a; }
static inline emu512 emu_mullo_epi32(emu512 a, emu512 b) { EMU_LOOP(16) a.i32[i] = (int32_t)((int64_t)a.i32[i] * b.i32[i]); return a; }
static inline emu512 emu_abs_epi8(emu512 a) { EMU_LOOP(64) a.u8[i] = (uint8_t)(a.i8[i] < 0 ? -a.i8[i] : a.i8[i]); return a; }
static inline emu512 emu_slli_epi32(emu512 a, int n) { EMU_LOOP(16) a.i32[i] = n > 31 ? 0 : (int32_t)((uint32_t)a.i32[i] << n); return a; }
static inline emu512 emu_srai_epi32(emu512 a, int n) { EMU_LOOP(16) a.i32[i] = a.i32[i] >> (n > 31 ? 31 : n); return a; }
static inline emu512 emu_srlv_epi64(emu512 a, emu512 n)
{
    EMU_LOOP(8) a.i64[i] = n.i64[i] > 63 ? 0 : (int64_t)((uint64_t)a.i64[i] >> n.i64[i]);
    return a;
}
static inline emu512 emu_add_ps(emu512 a, emu512 b) { EMU_LOOP(16) a.f32[i] += b.f32[i]; return a; }
static inline emu512 emu_fmadd_ps(emu512 a, emu512 b, emu512 c) { EMU_LOOP(16) c.f32[i] = fmaf(a.f32[i], b.f32[i], c.f32[i]); return c; }
static inline emu512 emu_cvtepi32_ps(emu512 a) { EMU_LOOP(16) a.f32[i] = (float)a.i32[i]; return a; }
static inline emu512 emu_cvtph_ps(__m256i h)
{
    uint16_t v[16];
    memcpy(v, &h, sizeof v);
    emu512 r;
    EMU_LOOP(16) r.f32[i] = _cvtsh_ss(v[i]);
    return r;
}
static inline emu512 emu_cvtepu8_epi32(__m128i a)
{
    uint8_t v[16];
    memcpy(v, &a, 16);
    emu512 r;
    EMU_LOOP(16) r.i32[i] = v[i];
    return r;
}
static inline float emu_reduce_add_ps(emu512 a) { float s = 0; EMU_LOOP(16) s += a.f32[i]; return s; }

static inline emu512 emu_maddubs_epi16(emu512 a, emu512 b)
{
    emu512 r;
    EMU_LOOP(32) {
        int v = a.u8[2 * i] * b.i8[2 * i] + a.u8[2 * i + 1] * b.i8[2 * i + 1];
        r.i16[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    return r;
}
static inline emu512 emu_madd_epi16(emu512 a, emu512 b)
{
    emu512 r;
    EMU_LOOP(16) r.i32[i] = (int32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] + (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    return r;
}
static inline emu512 emu_dpbusd_epi32(emu512 acc, emu512 a, emu512 b)
{
    EMU_LOOP(16) {
        int64_t s = acc.i32[i];
        for (int k = 0; k < 4; k++) s += a.u8[4 * i + k] * b.i8[4 * i + k];
        acc.i32[i] = (int32_t)s;
    }
    return acc;
}
static inline emu512 emu_permutexvar_epi16(emu512 idx, emu512 a)
{
    emu512 r;
    EMU_LOOP(32) r.i16[i] = a.i16[idx.u16[i] & 31];
    return r;
}
static inline emu512 emu_permutexvar_epi32(emu512 idx, emu512 a)
{
    emu512 r;
    EMU_LOOP(16) r.i32[i] = a.i32[idx.i32[i] & 15];
    return r;
}
static inline emu_mask64 emu_movepi8_mask(emu512 a)
{
    emu_mask64 m = 0;
    EMU_LOOP(64) m |= (emu_mask64)(a.i8[i] < 0) << i;
    return m;
}
static inline emu_mask64 emu_test_epi8_mask(emu512 a, emu512 b)
{
    emu_mask64 m = 0;
    EMU_LOOP(64) m |= (emu_mask64)((a.u8[i] & b.u8[i]) != 0) << i;
    return m;
}
static inline emu512 emu_maskz_mov_epi8(emu_mask64 m, emu512 a)
{
    EMU_LOOP(64) if (!((m >> i) & 1)) a.u8[i] = 0;
    return a;
}
static inline emu512 emu_mask_sub_epi8(emu512 src, emu_mask64 m, emu512 a, emu512 b)
{
    EMU_LOOP(64) if ((m >> i) & 1) src.i8[i] = (int8_t)(a.u8[i] - b.u8[i]);
    return src;
}

#undef _mm512_setzero_si512
#define _mm512_setzero_si512 emu_setzero_si512
#undef _mm512_setzero_ps
#define _mm512_setzero_ps emu_setzero_ps
#undef _mm512_set1_epi8
#define _mm512_set1_epi8 emu_set1_epi8
#undef _mm512_set1_epi16
#define _mm512_set1_epi16 emu_set1_epi16
#undef _mm512_set1_epi32
#define _mm512_set1_epi32 emu_set1_epi32
#undef _mm512_set1_ps
#define _mm512_set1_ps emu_set1_ps
#undef _mm512_setr_epi32
#define _mm512_setr_epi32 emu_setr_epi32
#undef _mm512_setr_epi64
#define _mm512_setr_epi64 emu_setr_epi64
#undef _mm512_set_epi16
#define _mm512_set_epi16 emu_set_epi16
#undef _mm512_loadu_si512
#define _mm512_loadu_si512 emu_loadu_si512
#undef _mm512_loadu_ps
#define _mm512_loadu_ps emu_loadu_ps
#undef _mm512_maskz_loadu_ps
#define _mm512_maskz_loadu_ps emu_maskz_loadu_ps
#undef _mm256_maskz_loadu_epi16
#define _mm256_maskz_loadu_epi16 emu_mm256_maskz_loadu_epi16
#undef _mm512_castsi256_si512
#define _mm512_castsi256_si512 emu_castsi256_si512
#undef _mm512_zextsi256_si512
#define _mm512_zextsi256_si512 emu_zextsi256_si512
#undef _mm512_castps256_ps512
#define _mm512_castps256_ps512 emu_castps256_ps512
#undef _mm512_castsi512_si256
#define _mm512_castsi512_si256 emu_castsi512_si256
#undef _mm512_inserti64x4
#define _mm512_inserti64x4 emu_inserti64x4
#undef _mm512_insertf32x8
#define _mm512_insertf32x8 emu_insertf32x8
#undef _mm512_and_si512
#define _mm512_and_si512 emu_and_si512
#undef _mm512_or_si512
#define _mm512_or_si512 emu_or_si512
#undef _mm512_xor_si512
#define _mm512_xor_si512 emu_xor_si512
#undef _mm512_add_epi16
#define _mm512_add_epi16 emu_add_epi16
#undef _mm512_add_epi32
#define _mm512_add_epi32 emu_add_epi32
#undef _mm512_sub_epi32
#define _mm512_sub_epi32 emu_sub_epi32
#undef _mm512_mullo_epi32
#define _mm512_mullo_epi32 emu_mullo_epi32
#undef _mm512_abs_epi8
#define _mm512_abs_epi8 emu_abs_epi8
#undef _mm512_slli_epi32
#define _mm512_slli_epi32 emu_slli_epi32
#undef _mm512_srai_epi32
#define _mm512_srai_epi32 emu_srai_epi32
#undef _mm512_srlv_epi64
#define _mm512_srlv_epi64 emu_srlv_epi64
#undef _mm512_add_ps
#define _mm512_add_ps emu_add_ps
#undef _mm512_fmadd_ps
#define _mm512_fmadd_ps emu_fmadd_ps
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps emu_cvtepi32_ps
#undef _mm512_cvtph_ps
#define _mm512_cvtph_ps emu_cvtph_ps
#undef _mm512_cvtepu8_epi32
#define _mm512_cvtepu8_epi32 emu_cvtepu8_epi32
#undef _mm512_reduce_add_ps
#define _mm512_reduce_add_ps emu_reduce_add_ps
#undef _mm512_maddubs_epi16
#define _mm512_maddubs_epi16 emu_maddubs_epi16
#undef _mm512_madd_epi16
#define _mm512_madd_epi16 emu_madd_epi16
#undef _mm512_dpbusd_epi32
#define _mm512_dpbusd_epi32 emu_dpbusd_epi32
#undef _mm512_permutexvar_epi16
#define _mm512_permutexvar_epi16 emu_permutexvar_epi16
#undef _mm512_permutexvar_epi32
#define _mm512_permutexvar_epi32 emu_permutexvar_epi32
#undef _mm512_movepi8_mask
#define _mm512_movepi8_mask emu_movepi8_mask
#undef _mm512_test_epi8_mask
#define _mm512_test_epi8_mask emu_test_epi8_mask
#undef _mm512_maskz_mov_epi8
#define _mm512_maskz_mov_epi8 emu_maskz_mov_epi8
#undef _mm512_mask_sub_epi8
#define _mm512_mask_sub_epi8 emu_mask_sub_epi8
#undef __m512i
#define __m512i emu512
#undef __m512
#define __m512 emu512
#undef __mmask64
#define __mmask64 emu_mask64
#undef __mmask16
#define __mmask16 emu_mask16

#endif /* AVX512_EMULATION_H */
