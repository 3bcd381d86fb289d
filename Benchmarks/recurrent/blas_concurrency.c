// Are concurrent cblas calls from two threads safe with this OpenBLAS at one BLAS thread?
// (The batch-parallel mode of Benchmarks/recurrent/run.sh relies on it.)
//
// Each of two pthreads repeats the sgemm shapes of an LSTM half-batch forward + backward
// (hidden 128, input 100, 16 sequences, 40 steps) on its own operands, and every result is
// compared bit for bit with the same product computed before, alone. Prints the library's
// configuration, the number of mismatches (expected 0) and exits 1 on any.
//
// Build: gcc -O2 $(pkg-config --cflags openblas) blas_concurrency.c -o blas_concurrency -lopenblas -lpthread
// Usage: blas_concurrency [iterations=2000]
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HIDDEN = 128, INPUT = 100, BATCH = 16, STEPS = 40, WIDTH = 4 * HIDDEN, SHAPES = 6 };

typedef struct {
    int m, n, k, transA, transB;
} Shape;

// Row-major shapes (m × n × k) of one LSTM direction: X·W_ihᵀ, h·W_hhᵀ, dG·W_hh, dGᵀ·H, dGᵀ·X, dG·W_ih.
static const Shape shapes[SHAPES] = {
    {STEPS * BATCH, WIDTH, INPUT, 0, 1}, {BATCH, WIDTH, HIDDEN, 0, 1}, {BATCH, HIDDEN, WIDTH, 0, 0},
    {WIDTH, HIDDEN, STEPS * BATCH, 1, 0}, {WIDTH, INPUT, STEPS * BATCH, 1, 0}, {STEPS * BATCH, INPUT, WIDTH, 0, 0},
};

typedef struct {
    float *a[SHAPES], *b[SHAPES], *c[SHAPES], *expected[SHAPES];
    int iterations;
    long mismatches;
} Work;

static float *random_floats(size_t count, unsigned *seed) {
    float *values = malloc(count * sizeof(float));
    for (size_t i = 0; i < count; i++) values[i] = (float)rand_r(seed) / RAND_MAX - 0.5f;
    return values;
}

static void multiply(const Shape *s, const float *a, const float *b, float *c) {
    int lda = s->transA ? s->m : s->k, ldb = s->transB ? s->k : s->n;
    cblas_sgemm(CblasRowMajor, s->transA ? CblasTrans : CblasNoTrans, s->transB ? CblasTrans : CblasNoTrans,
                s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, c, s->n);
}

static void *run(void *argument) {
    Work *work = argument;
    for (int iteration = 0; iteration < work->iterations; iteration++) {
        for (int s = 0; s < SHAPES; s++) {
            multiply(&shapes[s], work->a[s], work->b[s], work->c[s]);
            if (memcmp(work->c[s], work->expected[s], (size_t)shapes[s].m * shapes[s].n * sizeof(float)) != 0) work->mismatches++;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    openblas_set_num_threads(1);
    printf("%s; parallel mode %d (1 = pthreads); BLAS threads %d\n", openblas_get_config(), openblas_get_parallel(),
           openblas_get_num_threads());
    Work work[2];
    unsigned seed = 1;
    for (int w = 0; w < 2; w++) {
        work[w].iterations = iterations;
        work[w].mismatches = 0;
        for (int s = 0; s < SHAPES; s++) {
            const Shape *shape = &shapes[s];
            work[w].a[s] = random_floats((size_t)shape->m * shape->k, &seed);
            work[w].b[s] = random_floats((size_t)shape->k * shape->n, &seed);
            work[w].c[s] = malloc((size_t)shape->m * shape->n * sizeof(float));
            work[w].expected[s] = malloc((size_t)shape->m * shape->n * sizeof(float));
            multiply(shape, work[w].a[s], work[w].b[s], work[w].expected[s]);  // alone, before the threads start
        }
    }
    pthread_t threads[2];
    for (int w = 0; w < 2; w++) pthread_create(&threads[w], NULL, run, &work[w]);
    for (int w = 0; w < 2; w++) pthread_join(threads[w], NULL);
    long mismatches = work[0].mismatches + work[1].mismatches;
    printf("2 threads x %d iterations x %d sgemm shapes: %ld results differ from the serial ones\n", iterations, SHAPES,
           mismatches);
    return mismatches == 0 ? 0 : 1;
}
