/*
 * bandwidth.c — measured memory read bandwidth, the denominator of the decode
 * bound in `make bench` (decode reads every weight once per token).
 *
 *   bandwidth [--threads N] [--mib SIZE] [--passes P] [--seconds S]
 *   prints: read_bandwidth threads=N bytes=B passes=P best_gbs=X median_gbs=Y window_gbs=W window_s=T
 *
 * Each thread streams through its own slice of one buffer (default 1 GiB,
 * far larger than any L3) with 256-bit loads when AVX2 is available (plain
 * 64-bit loads otherwise), summing so the loads cannot be elided. The buffer
 * is written first so every page is really mapped, and asks for transparent
 * huge pages like the engine's weight copy does (engine/model.c), so TLB
 * misses do not make the bound look lower than the hardware's.
 * Two figures: best_gbs, the fastest single pass (tens of ms: the peak of a
 * quiet moment), and window_gbs, all bytes read over all passes' time, where
 * passes repeat (at least P) until S seconds have gone by. A decode rate is
 * an average over its whole run, so on a shared machine whose load changes
 * from second to second the window figure is the one measured like it;
 * `make bench` uses windows as long as its decode runs and prints both. The
 * median pass is printed too. A benchmark tool, not a test.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct slice {
    const uint8_t *data;
    size_t bytes;
    uint64_t sum;
    pthread_barrier_t *start;
} slice;

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t n)
{
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (size_t i = 0; i + 128 <= n; i += 128) {
        a = _mm256_xor_si256(a, _mm256_load_si256((const __m256i *)(p + i)));
        b = _mm256_xor_si256(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
        c = _mm256_xor_si256(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
        d = _mm256_xor_si256(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
    }
    a = _mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    return (uint64_t)_mm256_extract_epi64(a, 0) ^ (uint64_t)_mm256_extract_epi64(a, 3);
}
#endif

static uint64_t read_plain(const uint8_t *p, size_t n)
{
    const uint64_t *q = (const uint64_t *)p;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= n / 8; i += 4) {
        s0 ^= q[i];
        s1 ^= q[i + 1];
        s2 ^= q[i + 2];
        s3 ^= q[i + 3];
    }
    return s0 ^ s1 ^ s2 ^ s3;
}

static void *reader(void *arg)
{
    slice *s = arg;
    pthread_barrier_wait(s->start);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        s->sum = read_avx2(s->data, s->bytes);
        return NULL;
    }
#endif
    s->sum = read_plain(s->data, s->bytes);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Bytes each reader streams: an equal share, whole 128-byte steps. */
static size_t slice_bytes(size_t bytes, int n_threads) { return bytes / (size_t)n_threads / 128 * 128; }

/* One pass with n_threads readers; returns GB/s (1e9 bytes per second). */
static double one_pass(const uint8_t *buf, size_t bytes, int n_threads, uint64_t *sink)
{
    pthread_t th[64];
    slice sl[64];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n_threads + 1);
    size_t per = slice_bytes(bytes, n_threads);
    for (int i = 0; i < n_threads; i++) {
        sl[i] = (slice){buf + (size_t)i * per, per, 0, &start};
        pthread_create(&th[i], NULL, reader, &sl[i]);
    }
    double t0 = now_s();
    pthread_barrier_wait(&start);
    for (int i = 0; i < n_threads; i++) {
        pthread_join(th[i], NULL);
        *sink ^= sl[i].sum;
    }
    double t = now_s() - t0;
    pthread_barrier_destroy(&start);
    return (double)per * n_threads / t / 1e9;
}

enum { MAX_PASSES = 1000 };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n_threads = 1, passes = 7;
    long mib = 1024;
    double seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) n_threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mib")) mib = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--passes")) passes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else {
            fprintf(stderr, "bandwidth: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (n_threads < 1 || n_threads > 64 || mib < 16 || passes < 1 || passes > MAX_PASSES || seconds < 0 ||
        seconds > 60) {
        fprintf(stderr, "bandwidth: --threads 1..64, --mib >= 16, --passes 1..%d, --seconds 0..60\n", MAX_PASSES);
        return 2;
    }
    size_t bytes = (size_t)mib << 20;
    size_t huge = (size_t)2 << 20;
    uint8_t *map = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *buf = map == MAP_FAILED ? NULL : (uint8_t *)(((uintptr_t)map + huge - 1) / huge * huge);
    if (buf) madvise(buf, bytes, MADV_HUGEPAGE);
    if (!buf) {
        fprintf(stderr, "bandwidth: cannot allocate %ld MiB\n", mib);
        return 3;
    }
    for (size_t i = 0; i < bytes; i += 64) memset(buf + i, (int)(i >> 6), 64);
    static double gbs[MAX_PASSES];
    uint64_t sink = 0;
    double bytes_read = 0, t0 = now_s(), elapsed = 0;
    int done = 0;
    while (done < MAX_PASSES && (done < passes || elapsed < seconds)) {
        gbs[done] = one_pass(buf, bytes, n_threads, &sink);
        bytes_read += (double)slice_bytes(bytes, n_threads) * n_threads;
        elapsed = now_s() - t0;
        done++;
    }
    double window = bytes_read / elapsed / 1e9;
    qsort(gbs, (size_t)done, sizeof gbs[0], cmp_double);
    printf("read_bandwidth threads=%d bytes=%zu passes=%d best_gbs=%.2f median_gbs=%.2f window_gbs=%.2f "
           "window_s=%.2f checksum=%llx\n",
           n_threads, bytes, done, gbs[done - 1], gbs[done / 2], window, elapsed, (unsigned long long)(sink & 0xff));
    munmap(map, bytes + huge);
    return 0;
}
