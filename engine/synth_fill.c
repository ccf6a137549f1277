/*
 * synth_fill.c — the data of synthetic tensors: seeded random rows of a
 * realistic scale, quantized row by row with quant.h's kernels, split over
 * threads.
 *
 * Invariants: the bytes of a tensor depend only on (seed, tensor name, row),
 * never on the thread count, so a given seed always gives the same file;
 * weights are approximately normal with std 0.02 (Irwin-Hall sum of four
 * uniforms: fast, bounded at about 3.5 sigma) except attn_output and ffn_down,
 * 0.02 / sqrt(2 n_layer) as in GPT-2's initialisation; norms are 1, biases N(0, 0.02),
 * rope_freqs holds the llama3 rope scaling factors of the real model (factor
 * 32, low/high frequency factors 1 and 4, original context 8192), and
 * phi3's longrope factors are 1 (the real ones are learned values).
 */
#include "synth.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"

#define SYNTH_STD 0.02f

typedef struct synth_rng {
    uint64_t s[4];
} synth_rng;

static uint64_t synth_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void synth_rng_seed(synth_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = synth_splitmix(&seed);
}

static uint64_t synth_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256+ */
static uint64_t synth_next(synth_rng *r)
{
    uint64_t result = r->s[0] + r->s[3];
    uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = synth_rotl(r->s[3], 45);
    return result;
}

/* Approximately N(0, std): four 16-bit uniforms summed (variance 4/12). */
static float synth_normal(synth_rng *r, float std)
{
    uint64_t x = synth_next(r);
    float sum = (float)(x & 0xffff) + (float)((x >> 16) & 0xffff) + (float)((x >> 32) & 0xffff) +
                (float)(x >> 48);
    const float mean = 4.0f * 32767.5f;
    const float scale = 1.7320508f / 65536.0f; /* sqrt(3) / range: unit variance */
    return (sum - mean) * scale * std;
}

/* llama3 rope scaling as Meta publishes it: low frequencies divided by the
 * factor, high ones kept, a smooth blend between. */
static void synth_llama3_factors(float *out, uint64_t n, uint32_t n_rot, float base)
{
    const double factor = 32.0, low = 1.0, high = 4.0, old_ctx = 8192.0;
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    for (uint64_t i = 0; i < n; i++) {
        double freq = pow((double)base, -2.0 * (double)i / (double)n_rot);
        double wavelen = 2.0 * M_PI / freq;
        if (wavelen < high_wavelen) {
            out[i] = 1.0f;
        } else if (wavelen > low_wavelen) {
            out[i] = (float)factor;
        } else {
            double smooth = (old_ctx / wavelen - low) / (high - low);
            out[i] = (float)(1.0 / ((1.0 - smooth) / factor + smooth));
        }
    }
}

static void synth_row_values(const synth_preset *p, const synth_tensor *t, synth_rng *r, float *row)
{
    uint64_t n = t->ne[0];
    switch (t->kind) {
    case SYNTH_OUTPUT_NORM: case SYNTH_ATTN_NORM: case SYNTH_FFN_NORM:
    case SYNTH_ROPE_LONG: case SYNTH_ROPE_SHORT:
        for (uint64_t i = 0; i < n; i++)
            row[i] = 1.0f;
        break;
    case SYNTH_ROPE_FREQS:
        synth_llama3_factors(row, n, p->n_embd / p->n_head, p->rope_base);
        break;
    case SYNTH_ATTN_OUT: case SYNTH_FFN_DOWN: {
        /* Projections into the residual stream scaled by 1/sqrt(2 n_layer), as
         * GPT-2-style initialisation does: the stream keeps the token's
         * embedding visible through all layers instead of drowning it. */
        float std = SYNTH_STD / sqrtf(2.0f * (float)p->n_layer);
        for (uint64_t i = 0; i < n; i++)
            row[i] = synth_normal(r, std);
        break;
    }
    default:
        for (uint64_t i = 0; i < n; i++)
            row[i] = synth_normal(r, SYNTH_STD);
        break;
    }
}

typedef struct synth_worker {
    const synth_preset *preset;
    const synth_tensor *tensor;
    const quant_traits *traits;
    uint64_t seed;
    uint64_t row_begin, row_end;
    size_t row_bytes;
    uint8_t *dst;
    int failed;
} synth_worker;

static void *synth_work(void *arg)
{
    synth_worker *wk = arg;
    const synth_tensor *t = wk->tensor;
    float *row = malloc((size_t)t->ne[0] * sizeof(float));
    if (!row) {
        wk->failed = 1;
        return NULL;
    }
    uint64_t base = wk->seed ^ synth_hash_str(t->name);
    for (uint64_t r = wk->row_begin; r < wk->row_end; r++) {
        synth_rng rng;
        /* Mix the row number first: seeding consecutive rows with consecutive
         * splitmix states would give overlapping xoshiro states, i.e.
         * correlated rows and a rank-one bias in every matrix. */
        uint64_t row_key = base ^ (r * 0xd1b54a32d192ed03ull);
        synth_rng_seed(&rng, synth_splitmix(&row_key));
        synth_row_values(wk->preset, t, &rng, row);
        uint8_t *dst = wk->dst + r * wk->row_bytes;
        if (t->type == SLM_TYPE_F32)
            memcpy(dst, row, (size_t)t->ne[0] * sizeof(float));
        else
            wk->traits->quantize_row(row, dst, (int64_t)t->ne[0]);
    }
    free(row);
    return NULL;
}

int synth_fill_tensor(const synth_preset *preset, const synth_tensor *t, uint64_t seed,
                      int n_threads, void *dst, uint64_t n_bytes)
{
    const quant_traits *traits = quant_get_traits(t->type);
    if (t->type != SLM_TYPE_F32 && (!traits || !traits->quantize_row))
        return -1;
    uint64_t rows = t->ne[1];
    size_t row_bytes = (size_t)gguf_type_bytes(t->type, t->ne[0]);
    if (row_bytes == 0 || row_bytes * rows != n_bytes)
        return -1;
    if (n_threads < 1 || rows < 64)
        n_threads = 1;
    if (n_threads > 64)
        n_threads = 64;
    synth_worker wk[64];
    pthread_t tid[64];
    int started[64] = {0};
    for (int i = 0; i < n_threads; i++)
        wk[i] = (synth_worker){preset, t, traits, seed, rows * (uint64_t)i / (uint64_t)n_threads,
                               rows * (uint64_t)(i + 1) / (uint64_t)n_threads, row_bytes, dst, 0};
    /* Worker 0 runs on this thread; one whose thread cannot start runs here too. */
    for (int i = 1; i < n_threads; i++)
        started[i] = pthread_create(&tid[i], NULL, synth_work, &wk[i]) == 0;
    synth_work(&wk[0]);
    int failed = wk[0].failed;
    for (int i = 1; i < n_threads; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            synth_work(&wk[i]);
        failed |= wk[i].failed;
    }
    return failed ? -1 : 0;
}

int synth_check_kernels(const synth_tensor *t, size_t n, slm_type *missing)
{
    for (size_t i = 0; i < n; i++) {
        const quant_traits *traits = quant_get_traits(t[i].type);
        if (t[i].type != SLM_TYPE_F32 && (!traits || !traits->quantize_row)) {
            *missing = t[i].type;
            return -1;
        }
    }
    return 0;
}
