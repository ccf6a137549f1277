/*
 * quant.c — kernel dispatch: ISA detection, per-ISA traits tables, half
 * conversions and the public type names.
 *
 * Invariants:
 *  - The only mutable globals are the detected ISA and the resolved kernel
 *    tables, written once under pthread_once and read-only afterwards
 *    (idempotent, thread-safe).
 *  - An isa's table may be sparse: an entry it leaves empty is the entry of
 *    the next lower isa (avx512-vnni -> avx512 -> avx2 -> scalar; neon ->
 *    scalar), taken whole, so one type's kernels always come from one set.
 *  - AVX-512 counts as supported only when the CPU has F/BW/VL/DQ and the OS
 *    saves opmask and ZMM state (XCR0 bits 1,2,5,6,7); AVX2 requires FMA and
 *    F16C as well, and OS-saved YMM state.
 *  - SLM_FORCE_ISA caps the choice; it never raises it above what the CPU can
 *    run. Unknown values are ignored (the scalar path always works). On
 *    AArch64 the choice is neon unless SLM_FORCE_ISA=scalar.
 *  - Half conversions round to nearest even and keep subnormals, infinities
 *    and NaNs (NaN payloads are made quiet).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "quant_kernels.h"

/* ---- half-precision conversions -------------------------------------------- */

static float quant_bits_to_f32(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t quant_f32_to_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

float quant_f16_to_f32(quant_f16 h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exp = (h >> 10) & 31;
    uint32_t mant = h & 0x3ff;
    if (exp == 31) return quant_bits_to_f32(sign | 0x7f800000u | mant << 13);
    if (exp != 0) return quant_bits_to_f32(sign | (exp + 112) << 23 | mant << 13);
    if (mant == 0) return quant_bits_to_f32(sign);
    uint32_t e = 113; /* subnormal: normalise the mantissa */
    while (!(mant & 0x400)) {
        mant <<= 1;
        e--;
    }
    return quant_bits_to_f32(sign | e << 23 | (mant & 0x3ff) << 13);
}

/* Rounds value >> shift to nearest even. */
static uint32_t quant_shift_round(uint32_t value, int shift)
{
    const uint32_t kept = value >> shift;
    const uint32_t rest = value & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    return kept + (rest > half || (rest == half && (kept & 1)));
}

quant_f16 quant_f32_to_f16(float f)
{
    const uint32_t bits = quant_f32_to_bits(f);
    const uint32_t sign = (bits >> 16) & 0x8000;
    const int exp = (int)((bits >> 23) & 0xff);
    const uint32_t mant = bits & 0x7fffff;
    if (exp == 255) return (quant_f16)(sign | 0x7c00 | (mant ? 0x200 | mant >> 13 : 0));
    const int e = exp - 127 + 15;
    if (e >= 31) return (quant_f16)(sign | 0x7c00);
    if (e <= 0) {
        const int shift = 14 - e;
        if (shift > 24) return (quant_f16)sign;
        return (quant_f16)(sign | quant_shift_round(mant | 0x800000, shift));
    }
    /* a carry out of the mantissa correctly bumps the exponent (up to inf) */
    return (quant_f16)(sign | quant_shift_round((uint32_t)e << 23 | mant, 13));
}

float quant_bf16_to_f32(quant_bf16 h) { return quant_bits_to_f32((uint32_t)h << 16); }

quant_bf16 quant_f32_to_bf16(float f)
{
    const uint32_t bits = quant_f32_to_bits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) return (quant_bf16)((bits >> 16) | 0x40);
    return (quant_bf16)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/* ---- ISA detection ------------------------------------------------------------- */

static pthread_once_t quant_isa_once = PTHREAD_ONCE_INIT;
static int quant_isa_flags; /* bit per supported quant_isa; written once */
static quant_isa quant_isa_best;

#if defined(__x86_64__)
static uint64_t quant_xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static int quant_os_has_osxsave(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    return (c >> 27) & 1;
}

static int quant_detect_x86(void)
{
    int flags = 1 << QUANT_ISA_SCALAR;
    __builtin_cpu_init();
    if (!quant_os_has_osxsave()) return flags;
    const uint64_t xcr0 = quant_xgetbv0();
    const int ymm_ok = (xcr0 & 0x6) == 0x6;
    const int zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;
    if (ymm_ok && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        /* F16C has no __builtin_cpu_supports name in every gcc; AVX2 CPUs all have it,
         * but check CPUID.1:ECX[29] to be exact. */
        uint32_t a, b, c, d;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        if ((c >> 29) & 1) flags |= 1 << QUANT_ISA_AVX2;
    }
    if ((flags & (1 << QUANT_ISA_AVX2)) && zmm_ok && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq")) {
        flags |= 1 << QUANT_ISA_AVX512;
        if (__builtin_cpu_supports("avx512vnni")) flags |= 1 << QUANT_ISA_AVX512_VNNI;
    }
    return flags;
}
#endif

static int quant_detect(void)
{
#if defined(__x86_64__)
    return quant_detect_x86();
#elif defined(__aarch64__)
    return 1 << QUANT_ISA_SCALAR | 1 << QUANT_ISA_NEON; /* Advanced SIMD is mandatory on AArch64 */
#else
    return 1 << QUANT_ISA_SCALAR;
#endif
}

static const char *const quant_isa_names[QUANT_ISA_COUNT] = {
    "scalar", "avx2", "avx512", "avx512-vnni", "neon",
};

static quant_isa quant_isa_cap_from_env(void)
{
    const char *env = getenv("SLM_FORCE_ISA");
    if (env == NULL || *env == '\0') return QUANT_ISA_COUNT;
    for (int i = 0; i < QUANT_ISA_COUNT; i++) {
        if (strcmp(env, quant_isa_names[i]) == 0) return (quant_isa)i;
    }
    return QUANT_ISA_COUNT;
}

static void quant_tables_resolve(void);

static void quant_isa_init(void)
{
    quant_tables_resolve();
    quant_isa_flags = quant_detect();
    const quant_isa cap = quant_isa_cap_from_env();
    quant_isa best = QUANT_ISA_SCALAR;
    for (int i = 0; i < QUANT_ISA_COUNT; i++) {
        if ((quant_isa_flags >> i) & 1) {
            /* NEON is not an x86 level; the x86 levels are ordered */
            if (cap == QUANT_ISA_COUNT || i <= (int)cap) best = (quant_isa)i;
        }
    }
    quant_isa_best = best;
}

const char *quant_isa_name(quant_isa isa)
{
    return (unsigned)isa < QUANT_ISA_COUNT ? quant_isa_names[isa] : "unknown";
}

int quant_isa_supported(quant_isa isa)
{
    pthread_once(&quant_isa_once, quant_isa_init);
    return (unsigned)isa < QUANT_ISA_COUNT && ((quant_isa_flags >> isa) & 1);
}

quant_isa quant_best_isa(void)
{
    pthread_once(&quant_isa_once, quant_isa_init);
    return quant_isa_best;
}

/* ---- tables -------------------------------------------------------------------- */

static const quant_traits *quant_table_own(quant_isa isa)
{
    switch (isa) {
    case QUANT_ISA_SCALAR: return quant_table_scalar;
#if defined(__x86_64__)
    case QUANT_ISA_AVX2: return quant_table_avx2;
    case QUANT_ISA_AVX512: return quant_table_avx512;
    case QUANT_ISA_AVX512_VNNI: return quant_table_avx512_vnni;
#endif
#if defined(__aarch64__)
    case QUANT_ISA_NEON: return quant_table_neon;
#endif
    default: return NULL;
    }
}

/* The isa whose entries fill the ones an isa's own table leaves empty. */
static quant_isa quant_isa_fallback(quant_isa isa)
{
    switch (isa) {
    case QUANT_ISA_AVX512_VNNI: return QUANT_ISA_AVX512;
    case QUANT_ISA_AVX512: return QUANT_ISA_AVX2;
    default: return QUANT_ISA_SCALAR;
    }
}

/* Each isa's own table with its empty entries taken, whole, from the
 * fallback chain (built once under quant_isa_once; read-only afterwards). */
static quant_traits quant_tables_resolved[QUANT_ISA_COUNT][SLM_TYPE_COUNT];

static void quant_tables_resolve(void)
{
    for (int i = 0; i < QUANT_ISA_COUNT; i++) { /* fallbacks have lower indices */
        const quant_traits *own = quant_table_own((quant_isa)i);
        if (own == NULL) continue;
        for (int t = 0; t < SLM_TYPE_COUNT; t++) {
            const quant_isa from = quant_isa_fallback((quant_isa)i);
            quant_tables_resolved[i][t] = own[t].name != NULL || i == QUANT_ISA_SCALAR ? own[t]
                                                                                      : quant_tables_resolved[from][t];
        }
    }
}

const quant_traits *quant_traits_for(slm_type type, quant_isa isa)
{
    pthread_once(&quant_isa_once, quant_isa_init);
    if ((unsigned)isa >= QUANT_ISA_COUNT || quant_table_own(isa) == NULL || (unsigned)type >= SLM_TYPE_COUNT)
        return NULL;
    const quant_traits *t = &quant_tables_resolved[isa][type];
    return t->name != NULL ? t : NULL;
}

const quant_traits *quant_get_traits(slm_type type) { return quant_traits_for(type, quant_best_isa()); }

void quant_vec_dot_rows(const quant_traits *t, int64_t n, int64_t n_rows, float *out, const void *weights,
                        size_t row_bytes, const void *activations)
{
    if (t->vec_dot_rows != NULL) {
        t->vec_dot_rows(n, n_rows, out, weights, row_bytes, activations);
        return;
    }
    for (int64_t r = 0; r < n_rows; r++)
        t->vec_dot(n, &out[r], (const uint8_t *)weights + (size_t)r * row_bytes, activations);
}

void quant_vec_dot_multi(const quant_traits *t, int64_t n, int n_acts, float *out, size_t out_stride,
                         const void *weights, const void *activations, size_t act_stride)
{
    for (int k = 0; k < n_acts; k += QUANT_MULTI_MAX) {
        const int count = n_acts - k < QUANT_MULTI_MAX ? n_acts - k : QUANT_MULTI_MAX;
        const uint8_t *act = (const uint8_t *)activations + (size_t)k * act_stride;
        if (t->vec_dot_multi != NULL) {
            t->vec_dot_multi(n, count, out + (size_t)k * out_stride, out_stride, weights, act, act_stride);
            continue;
        }
        for (int j = 0; j < count; j++) t->vec_dot(n, &out[(size_t)(k + j) * out_stride], weights, act + (size_t)j * act_stride);
    }
}

void quant_f16_to_f32_row(const quant_f16 *src, float *dst, int64_t n)
{
    quant_get_traits(SLM_TYPE_F16)->dequantize_row(src, dst, n);
}

void quant_f32_to_f16_row(const float *src, quant_f16 *dst, int64_t n)
{
    quant_get_traits(SLM_TYPE_F16)->quantize_row(src, dst, n);
}

/* ---- public names ----------------------------------------------------------------- */

const char *slm_simd_path(void) { return quant_isa_name(quant_best_isa()); }

const char *slm_type_name(int type)
{
    if (type < 0 || type >= SLM_TYPE_COUNT) return NULL;
    return quant_table_scalar[type].name;
}
