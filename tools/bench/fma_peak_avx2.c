/* The machine's fp32 FMA peak on AVX2 (AVX-512 machines: /work/shared/peers/fma_peak.c): one thread per core,
 * 10 independent 8-wide FMA chains each, best of 5 runs. Build: gcc -O2 -mavx2 -mfma -pthread fma_peak_avx2.c */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ITERS 200000000L
/* volatile: a static array nobody reads lets gcc delete the whole kernel */
static volatile float sink[64];

static void *run(void *arg) {
    long id = (long)arg;
    __m256 a = _mm256_set1_ps(1e-7f), b = _mm256_set1_ps(0.999999f);
    /* ten named accumulators stay in registers (an array of them went through the stack at -O2) */
    __m256 c0 = _mm256_set1_ps(0), c1 = _mm256_set1_ps(1), c2 = _mm256_set1_ps(2), c3 = _mm256_set1_ps(3),
           c4 = _mm256_set1_ps(4), c5 = _mm256_set1_ps(5), c6 = _mm256_set1_ps(6), c7 = _mm256_set1_ps(7),
           c8 = _mm256_set1_ps(8), c9 = _mm256_set1_ps(9);
    for (long it = 0; it < ITERS / 10; it++) {
        c0 = _mm256_fmadd_ps(c0, b, a); c1 = _mm256_fmadd_ps(c1, b, a); c2 = _mm256_fmadd_ps(c2, b, a);
        c3 = _mm256_fmadd_ps(c3, b, a); c4 = _mm256_fmadd_ps(c4, b, a); c5 = _mm256_fmadd_ps(c5, b, a);
        c6 = _mm256_fmadd_ps(c6, b, a); c7 = _mm256_fmadd_ps(c7, b, a); c8 = _mm256_fmadd_ps(c8, b, a);
        c9 = _mm256_fmadd_ps(c9, b, a);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)), _mm256_add_ps(c8, c9)));
    float out[8];
    _mm256_storeu_ps(out, s);
    sink[id] = out[0];
    return NULL;
}

int main(int argc, char **argv) {
    long threads = argc > 1 ? atol(argv[1]) : sysconf(_SC_NPROCESSORS_ONLN);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pthread_t th[64];
        for (long i = 0; i < threads; i++) pthread_create(&th[i], NULL, run, (void *)i);
        for (long i = 0; i < threads; i++) pthread_join(th[i], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (s < best) best = s;
    }
    double flops = 2.0 * 8 * ITERS * threads;
    printf("fma_peak_avx2: %ld threads, %.1f GFLOP/s fp32\n", threads, flops / best / 1e9);
    return 0;
}
