// The few-row product of a recurrent step, C += A · op(B) with A a few rows: one thread of
// OpenBLAS (cblas_sgemm) against wpr_sgemm_few_rows (Sources/RecurrentKernels/few_rows.c), at the
// shapes of the language models' steps. Built and run by few_rows.sh. Prints, per shape, the best
// of 3 rounds of each, in ms per call and GFLOP/s, the speedup, and the largest difference
// between the two results.
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "recurrent_kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float draw(unsigned long *state) {
    *state = *state * 6364136223846793005UL + 1442695040888963407UL;
    return (float)((*state >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f;
}

static void sgemm(int nt, long m, long n, long k, const float *a, const float *b, float *c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, nt ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1, a, (int)k, b,
                (int)(nt ? k : n), 1, c, (int)n);
}

static void run(int nt, long m, long n, long k, int reps) {
    unsigned long state = 42;
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k);
    float *c1 = malloc(sizeof(float) * m * n), *c2 = malloc(sizeof(float) * m * n);
    for (long i = 0; i < m * k; i++) a[i] = draw(&state);
    for (long i = 0; i < n * k; i++) b[i] = draw(&state);
    for (long i = 0; i < m * n; i++) c1[i] = c2[i] = draw(&state);
    sgemm(nt, m, n, k, a, b, c1);
    if (!wpr_sgemm_few_rows(nt, m, n, k, a, k, b, nt ? k : n, c2, n)) {
        printf("%s m=%2ld n=%5ld k=%5ld: outside the kernel's range\n", nt ? "NT" : "NN", m, n, k);
        return;
    }
    double worst = 0;
    for (long i = 0; i < m * n; i++) worst = fmax(worst, fabs(c1[i] - c2[i]));
    double blas = 1e9, few = 1e9;
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (int r = 0; r < reps; r++) sgemm(nt, m, n, k, a, b, c1);
        double t1 = now();
        for (int r = 0; r < reps; r++) wpr_sgemm_few_rows(nt, m, n, k, a, k, b, nt ? k : n, c2, n);
        double t2 = now();
        blas = fmin(blas, t1 - t0);
        few = fmin(few, t2 - t1);
    }
    double flop = 2.0 * m * n * k * reps;
    printf("%s m=%2ld n=%5ld k=%5ld: OpenBLAS %.3f ms (%3.0f GFLOP/s), kernel %.3f ms (%3.0f GFLOP/s), %.2fx, max diff %.1e\n",
           nt ? "NT" : "NN", m, n, k, blas / reps * 1e3, flop / blas / 1e9, few / reps * 1e3, flop / few / 1e9, blas / few, worst);
    free(a); free(b); free(c1); free(c2);
}

int main(void) {
    openblas_set_num_threads(1);
    printf("OpenBLAS %s, one thread; AVX2 kernels: %s\n", openblas_get_corename(), wpr_kernels_vectorized() ? "yes" : "no");
    const long rows[] = {1, 5, 10, 12, 16};
    // h · W_hhᵀ and dG · W_hh of a 650-wide LSTM (PTB medium), then of a 256-wide one (the char model).
    for (int i = 0; i < 5; i++) { run(1, rows[i], 2600, 650, 100); run(0, rows[i], 650, 2600, 100); }
    for (int i = 0; i < 5; i++) { run(1, rows[i], 1024, 256, 1000); run(0, rows[i], 256, 1024, 1000); }
    return 0;
}
