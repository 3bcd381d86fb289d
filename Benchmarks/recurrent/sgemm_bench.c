// sgemm at the shapes of one LSTM forward + backward step, OpenBLAS vs BLIS, one thread.
//
// Built twice by run.sh: -DUSE_OPENBLAS against Debian's libopenblas (cblas.h), and -DUSE_BLIS
// against Debian's libblis (blis-openmp, its own cblas.h), so the two never share a process.
// Usage: sgemm_bench H B T I [repetitions]
// Prints one line per shape: name m n k transA transB median_us gflops.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#ifdef USE_BLIS
#include <blis.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *name, int m, int n, int k, int ta, int tb, int reps) {
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    memset(c, 0, sizeof(float) * (size_t)m * n);
    int lda = ta ? m : k, ldb = tb ? k : n;
    // Enough calls per sample for ~2 ms, so a sample is not all timer noise.
    int inner = 1;
    double t0 = now();
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    double once = now() - t0;
    if (once < 2e-3) inner = (int)(2e-3 / (once > 1e-7 ? once : 1e-7)) + 1;
    double *samples = malloc(sizeof(double) * reps);
    for (int r = 0; r < reps; r++) {
        t0 = now();
        for (int i = 0; i < inner; i++)
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 1.0f, c, n);
        samples[r] = (now() - t0) / inner;
    }
    qsort(samples, reps, sizeof(double), compare);
    double median = samples[reps / 2];
    printf("%-10s %5d %5d %5d %d %d %10.1f %7.1f\n", name, m, n, k, ta, tb, median * 1e6, 2.0 * m * n * k / median * 1e-9);
    free(a); free(b); free(c); free(samples);
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: %s H B T I [reps]\n", argv[0]); return 2; }
    int h = atoi(argv[1]), batch = atoi(argv[2]), steps = atoi(argv[3]), in = atoi(argv[4]);
    int reps = argc > 5 ? atoi(argv[5]) : 21;
#ifdef USE_BLIS
    bli_thread_set_num_threads(1);
    printf("# BLIS %s, kernels for %s\n", bli_info_get_version_str(), bli_arch_string(bli_arch_query_id()));
#else
    openblas_set_num_threads(1);
    printf("# OpenBLAS, core %s\n", openblas_get_corename());
#endif
    int tb = steps * batch, g = 4 * h;
    // Row-major, as Sources/Recurrent calls them (W_ih is 4H x I, W_hh is 4H x H).
    run("x_proj", tb, g, in, 0, 1, reps);        // X (TB x I) . W_ih^T
    run("h_step", batch, g, h, 0, 1, reps);      // H_{t-1} (B x H) . W_hh^T, once per step
    run("dh_step", batch, h, g, 0, 0, reps);     // dG_t (B x 4H) . W_hh, once per step
    run("dW_hh", g, h, tb, 1, 0, reps);          // dG^T (4H x TB) . H_prev (TB x H)
    run("dW_ih", g, in, tb, 1, 0, reps);         // dG^T . X
    run("dX", tb, in, g, 0, 0, reps);            // dG . W_ih
    run("square512", 512, 512, 512, 0, 0, reps); // the PLATFORM.md reference shape
    return 0;
}
