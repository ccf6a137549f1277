/*
 * test_quant_avx512_emulated.c — executes the AVX-512 and AVX-512 VNNI
 * kernels of engine/quant_avx512.c on any AVX2 CPU by compiling that file
 * against plain-C models of the AVX-512 intrinsics (avx512_emulation.h), and
 * checks every kernel against the scalar reference on random data. This is
 * what lets a machine without AVX-512 check the lane logic of those kernels;
 * test_quant.c runs the real instructions where the CPU has them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#define QUANT_AVX512_EMULATION "tests/unit/avx512_emulation.h"
/* rename the file's exported symbols so they do not clash with libslm.a */
#define quant_table_avx512 emulated_table_avx512
#define quant_table_avx512_vnni emulated_table_avx512_vnni
#define quant_avx512_dot_f32 emulated_dot_f32
#define quant_avx512_dot_f16 emulated_dot_f16
#include "engine/quant_avx512.c"
#pragma GCC pop_options

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float rng_gauss(uint64_t *s)
{
    const double u = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    const double v = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* One type, one length: the table's vec_dot against the scalar one. */
static int check_one(const quant_traits *table, slm_type type, int64_t n, uint64_t *seed)
{
    const quant_traits *ref = quant_traits_for(type, QUANT_ISA_SCALAR);
    const quant_traits *t = &table[type];
    if (t->name == NULL) return 0; /* not specialised: the AVX2 kernel, which test_quant checks */
    const quant_traits *vt = quant_traits_for(ref->vec_dot_type, QUANT_ISA_SCALAR);
    assert_string_equal(t->name, ref->name);
    assert_int_equal(t->vec_dot_type, ref->vec_dot_type);
    assert_int_equal(t->block_bytes, ref->block_bytes);
    float *x = malloc((size_t)n * sizeof(float)), *a = malloc((size_t)n * sizeof(float));
    void *wq = malloc((size_t)n * 4), *aq = malloc((size_t)n * 4);
    assert_true(x && a && wq && aq);
    double mag = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = 0.02f * rng_gauss(seed) * (rng_next(seed) % 97 == 0 ? 6.0f : 1.0f);
        a[i] = rng_gauss(seed);
        mag += fabs((double)x[i] * a[i]);
    }
    ref->quantize_row(x, wq, n);
    vt->quantize_row(a, aq, n);
    float want, got;
    ref->vec_dot(n, &want, wq, aq);
    t->vec_dot(n, &got, wq, aq);
    if (fabs((double)got - want) > 2e-5 * mag + 1e-30)
        fail_msg("emulated %s n=%lld: %.9g, scalar %.9g", t->name, (long long)n, got, want);
    ref->vec_dot_f32(n, &want, wq, a);
    t->vec_dot_f32(n, &got, wq, a);
    if (fabs((double)got - want) > 2e-5 * mag + 1e-30)
        fail_msg("emulated table %s vec_dot_f32 n=%lld: %.9g, scalar %.9g", t->name, (long long)n, got, want);
    free(x);
    free(a);
    free(wq);
    free(aq);
    return 1;
}

static void check_table(const quant_traits *table, const char *name)
{
    static const slm_type types[] = { SLM_TYPE_F32, SLM_TYPE_F16, SLM_TYPE_BF16, SLM_TYPE_Q8_0, SLM_TYPE_Q4_0,
                                      SLM_TYPE_Q4_1, SLM_TYPE_Q5_0, SLM_TYPE_Q5_1, SLM_TYPE_Q2_K, SLM_TYPE_Q3_K,
                                      SLM_TYPE_Q4_K, SLM_TYPE_Q5_K, SLM_TYPE_Q6_K };
    static const int64_t lengths32[] = { 32, 64, 96, 2048, 4064 }, lengths_k[] = { 256, 512, 2816 },
                         lengths1[] = { 7, 16, 100, 2048, 4111 };
    uint64_t seed = 0x1234567887654321ULL;
    int checked = 0;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const int bs = quant_traits_for(types[k], QUANT_ISA_SCALAR)->block_size;
        const int64_t *lengths = bs == QK_K ? lengths_k : bs == 1 ? lengths1 : lengths32;
        const int count = bs == QK_K ? 3 : 5;
        int own = 0;
        for (int l = 0; l < count; l++) own = check_one(table, types[k], lengths[l], &seed);
        checked += own;
    }
    assert_true(checked >= 2); /* F32, F16 at least */
    print_message("%s kernels (emulated intrinsics) match scalar for the %d types it specialises\n", name, checked);
}

static void test_emulated_avx512(void **state)
{
    (void)state;
    if (!quant_isa_supported(QUANT_ISA_AVX2)) {
        print_message("NOTICE: emulated AVX-512 check not executed: it needs AVX2/FMA/F16C, which this CPU lacks\n");
        return;
    }
    check_table(emulated_table_avx512, "avx512");
    check_table(emulated_table_avx512_vnni, "avx512-vnni");
}
#else
static void test_emulated_avx512(void **state)
{
    (void)state;
    print_message("NOTICE: AVX-512 emulated check not executed: not an x86-64 build\n");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulated_avx512),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
