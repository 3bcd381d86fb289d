// Scan kernels against the memory bandwidth of this machine (issue 17, item 2).
//
// Builds a ROWS × DIM random unit matrix (default 100,000 × 300), then times, per query (median
// of REPS): a plain read of the float16 copy's and the int8 copy's bytes (the bandwidth probe: an
// AVX2 loop of 32-byte loads, or-ed so nothing is skipped), the float16 scan, the int8 scan, and the
// float32 scan, with 1 and 2 threads (rows split in two halves). Prints GB/s and the fraction of
// the probe's bandwidth each scan reaches.
//
//   clang -O2 -ISources/QueryKernels/include Benchmarks/vectors/scanbench.c \
//         Sources/QueryKernels/query_kernels.c -lm -lpthread -o /tmp/scanbench && /tmp/scanbench [ROWS DIM REPS]
#include "query_kernels.h"

#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

__attribute__((target("avx2"))) static uint64_t read_bytes(const void *data, size_t bytes) {
    const __m256i *p = data;
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    size_t n = bytes / 128;
    for (size_t i = 0; i < n; i++) {
        a = _mm256_or_si256(a, _mm256_load_si256(p + 4 * i));
        b = _mm256_or_si256(b, _mm256_load_si256(p + 4 * i + 1));
        c = _mm256_or_si256(c, _mm256_load_si256(p + 4 * i + 2));
        d = _mm256_or_si256(d, _mm256_load_si256(p + 4 * i + 3));
    }
    a = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
    return (uint64_t)_mm256_extract_epi64(a, 0) | (uint64_t)_mm256_extract_epi64(a, 3);
}

enum kind { READ_F16, READ_I8, SCAN_F16, SCAN_I8, SCAN_F32 };
struct job {
    enum kind kind;
    int64_t begin, end;
    const float *matrix; int64_t dim;
    const uint16_t *halves; int64_t hstride;
    const int8_t *codes; int64_t cstride; const float *scales;
    const float *query, *padded; const int16_t *query16; float qscale;
    float *scores;
    uint64_t sink;
};

static void *work(void *argument) {
    struct job *j = argument;
    switch (j->kind) {
    case READ_F16: j->sink = read_bytes(j->halves + j->begin * j->hstride, (size_t)(j->end - j->begin) * j->hstride * 2); break;
    case READ_I8: j->sink = read_bytes(j->codes + j->begin * j->cstride, (size_t)(j->end - j->begin) * j->cstride); break;
    case SCAN_F16: wpq_scores_f16(j->halves, j->hstride, j->begin, j->end, j->padded, j->scores); break;
    case SCAN_I8: wpq_scores_i8(j->codes, j->cstride, j->scales, j->begin, j->end, j->query16, j->qscale, j->scores); break;
    case SCAN_F32: wpq_scores_f32(j->matrix + j->begin * j->dim, j->end - j->begin, j->dim, j->query, j->scores + j->begin); break;
    }
    return NULL;
}

static double run(struct job base, int64_t rows, int threads) {
    struct job jobs[2];
    pthread_t ids[2];
    double start = now();
    for (int t = 0; t < threads; t++) {
        jobs[t] = base;
        jobs[t].begin = rows * t / threads;
        jobs[t].end = rows * (t + 1) / threads;
        if (t > 0) pthread_create(&ids[t], NULL, work, &jobs[t]);
    }
    work(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
    return now() - start;
}

int main(int argc, char **argv) {
    int64_t rows = argc > 1 ? atoll(argv[1]) : 100000, dim = argc > 2 ? atoll(argv[2]) : 300;
    int reps = argc > 3 ? atoi(argv[3]) : 200;
    int64_t hstride = (dim + 7) / 8 * 8, cstride = (dim + 15) / 16 * 16;
    float *matrix = aligned_alloc(64, (size_t)(rows * dim * 4 + 64));
    uint16_t *halves = aligned_alloc(64, (size_t)(rows * hstride * 2 + 128) / 64 * 64 + 64);
    int8_t *codes = aligned_alloc(64, (size_t)(rows * cstride + 128) / 64 * 64 + 64);
    float *scales = malloc((size_t)rows * 4), *scores = malloc((size_t)rows * 4), *errors = malloc((size_t)rows * 4);
    srand(42);
    for (int64_t r = 0; r < rows; r++) {
        double norm = 0;
        for (int64_t i = 0; i < dim; i++) {
            double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = rand() / (RAND_MAX + 1.0);
            float v = (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
            matrix[r * dim + i] = v;
            norm += (double)v * v;
        }
        for (int64_t i = 0; i < dim; i++) matrix[r * dim + i] /= (float)sqrt(norm);
    }
    wpq_convert_f16(matrix, rows, dim, halves, hstride);
    double bounds[2];
    wpq_convert_i8(matrix, rows, dim, codes, cstride, scales, errors, bounds);
    float *padded = calloc((size_t)hstride, 4);
    memcpy(padded, matrix + 7 * dim, (size_t)dim * 4);
    int16_t *query16 = calloc((size_t)cstride, 2);
    double qerror;
    float qscale = wpq_quantize_query_i16(matrix + 7 * dim, dim, query16, cstride, &qerror);
    struct job base = {.matrix = matrix, .dim = dim, .halves = halves, .hstride = hstride, .codes = codes,
                       .cstride = cstride, .scales = scales, .query = matrix + 7 * dim, .padded = padded,
                       .query16 = query16, .qscale = qscale, .scores = scores};
    printf("%lld x %lld, AVX2 %d, AVX-512 %d; int8 error bound: max row norm %.6f, max error norm %.6f, query error %.2e\n",
           (long long)rows, (long long)dim, wpq_kernels_vectorized(), wpq_kernels_avx512(), bounds[0], bounds[1], qerror);
    const char *names[] = {"read float16 bytes", "read int8 bytes", "float16 scan", "int8 scan", "float32 scan"};
    double bytes[] = {rows * hstride * 2.0, rows * (double)cstride, rows * hstride * 2.0, rows * (double)cstride + rows * 4.0,
                      rows * dim * 4.0};
    double *times = malloc(sizeof(double) * reps);
    double probe[2][2] = {{0}};
    for (int threads = 1; threads <= 2; threads++) {
        for (int k = 0; k < 5; k++) {
            base.kind = (enum kind)k;
            int n = k == SCAN_F32 ? (reps < 40 ? reps : 40) : reps;
            run(base, rows, threads);
            for (int i = 0; i < n; i++) times[i] = run(base, rows, threads);
            qsort(times, (size_t)n, sizeof(double), compare);
            double p50 = times[n / 2], gbs = bytes[k] / p50 / 1e9;
            if (k <= READ_I8) probe[threads - 1][k] = gbs;
            double reference = probe[threads - 1][k == SCAN_I8 ? READ_I8 : READ_F16];
            printf("%d thread%s  %-20s p50 %7.3f ms  min %7.3f ms  %6.1f GB/s", threads, threads == 1 ? " " : "s", names[k],
                   p50 * 1e3, times[0] * 1e3, gbs);
            if (k > READ_I8) printf("  (%.0f%% of the read probe)", 100 * gbs / reference);
            printf("\n");
        }
    }
    // Several queries per pass over the int8 rows (wpq_scores_i8_block): time per query.
    int16_t *block = calloc((size_t)(8 * cstride), 2);
    float qscales[8];
    float *block_scores = malloc((size_t)(8 * rows) * 4);
    for (int q = 0; q < 8; q++) {
        double e;
        qscales[q] = wpq_quantize_query_i16(matrix + (11 + q) * dim, dim, block + q * cstride, cstride, &e);
    }
    for (int count = 1; count <= 8; count *= 2) {
        int n = reps;
        for (int i = 0; i < n; i++) {
            double start = now();
            wpq_scores_i8_block(codes, cstride, scales, 0, rows, block, qscales, count, block_scores, rows);
            times[i] = now() - start;
        }
        qsort(times, (size_t)n, sizeof(double), compare);
        printf("1 thread   int8 scan, %d quer%s per pass  p50 %7.3f ms per pass, %7.3f ms per query (min %.3f)\n", count,
               count == 1 ? "y " : "ies", times[n / 2] * 1e3, times[n / 2] * 1e3 / count, times[0] * 1e3 / count);
    }
    // The block kernel gives the same bits as one query at a time.
    float *single = malloc((size_t)rows * 4);
    for (int q = 0; q < 8; q++) {
        wpq_scores_i8(codes, cstride, scales, 0, rows, block + q * cstride, qscales[q], single);
        if (memcmp(single, block_scores + (int64_t)q * rows, (size_t)rows * 4) != 0) { printf("block kernel differs for query %d\n", q); return 1; }
    }
    return 0;
}
