// Row-major sgemm for a few rows of A without packing: C (m × n) += A (m × k) · op(B), where B is
// a large weight matrix read once per call. See wpr_sgemm_few_rows in recurrent_kernels.h.
//
// Why: a recurrent step multiplies the batch's few rows of h (or of the gate gradients) by the
// recurrent weight. OpenBLAS packs all of B for every such call, which for 10 rows by a 650 × 2,600
// weight costs as much as the product itself: one thread of OpenBLAS 0.3.21 (Zen kernels, AMD
// EPYC, AVX2) took 1.0 ms for h · W_hhᵀ at m = 10 and 1.2 ms at m = 20. These kernels read B in
// place: 0.57 ms at m = 10 (Benchmarks/recurrent/few_rows.sh prints the table).
//
// NT (C += A · Bᵀ, B is n × k): dot products, blocks of 2 rows of A by 4 rows of B in 8 AVX
// accumulators, k contiguous in both. NN (C += A · B, B is k × n): blocks of up to 6 rows by 16
// columns of C held in registers while k runs, k cut into panels of 128 so that a panel of B
// (128 rows) stays in L2 for all the row blocks (without the panels, B's rows, 2,600 bytes apart,
// missed the TLB on every step and the kernel ran at a third of OpenBLAS's speed).
#include "recurrent_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define FEW_TARGET __attribute__((target("avx2,fma")))
#define FEW_INLINE __attribute__((always_inline)) static inline

/// [Σa, Σb, Σc, Σd] of four 8-lane vectors.
FEW_TARGET FEW_INLINE __m128 sum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/// Σ of one 8-lane vector.
FEW_TARGET FEW_INLINE float sum1(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// C[r][j] += Σ_p A[r][p] · B[j][p] for r < MR (≤ 2), j < NR (≤ 4). MR and NR are constants at
/// each call, so the accumulators live in registers.
FEW_TARGET FEW_INLINE void nt_block(int MR, int NR, long k, const float *a, long lda, const float *b, long ldb,
                                    float *c, long ldc) {
    __m256 acc[2][4];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = _mm256_setzero_ps();
    long p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 bv[4];
        for (int j = 0; j < NR; j++) bv[j] = _mm256_loadu_ps(b + j * ldb + p);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_loadu_ps(a + r * lda + p);
            for (int j = 0; j < NR; j++) acc[r][j] = _mm256_fmadd_ps(av, bv[j], acc[r][j]);
        }
    }
    for (int r = 0; r < MR; r++) {
        float sums[4];
        if (NR == 4) {
            _mm_storeu_ps(sums, sum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
        } else {
            for (int j = 0; j < NR; j++) sums[j] = sum1(acc[r][j]);
        }
        for (int j = 0; j < NR; j++) {
            float s = sums[j];
            for (long q = p; q < k; q++) s += a[r * lda + q] * b[j * ldb + q];
            c[r * ldc + j] += s;
        }
    }
}

/// The main block on its own, not inlined: inlined into the loops below, clang ran out of
/// registers and reloaded five pointers from the stack in every step of k (0.79 ms instead of
/// 0.52 at m = 10).
FEW_TARGET __attribute__((noinline)) static void nt_block_2x4(long k, const float *a, long lda, const float *b, long ldb,
                                                               float *c, long ldc) {
    nt_block(2, 4, k, a, lda, b, ldb, c, ldc);
}

FEW_TARGET static void sgemm_nt(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        long r = 0;
        for (; r + 2 <= m; r += 2) nt_block_2x4(k, a + r * lda, lda, b + j * ldb, ldb, c + r * ldc + j, ldc);
        if (r < m) nt_block(1, 4, k, a + r * lda, lda, b + j * ldb, ldb, c + r * ldc + j, ldc);
    }
    for (; j < n; j++) {
        long r = 0;
        for (; r + 2 <= m; r += 2) nt_block(2, 1, k, a + r * lda, lda, b + j * ldb, ldb, c + r * ldc + j, ldc);
        if (r < m) nt_block(1, 1, k, a + r * lda, lda, b + j * ldb, ldb, c + r * ldc + j, ldc);
    }
}

/// C[r][8v + i] += Σ_p A[r][p] · B[p][8v + i] for r < MR (≤ 6), v < NV (≤ 2), i < 8.
FEW_TARGET FEW_INLINE void nn_block(int MR, int NV, long k, const float *a, long lda, const float *b, long ldb,
                                    float *c, long ldc) {
    __m256 acc[6][2];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_loadu_ps(c + r * ldc + 8 * v);
    for (long p = 0; p < k; p++) {
        __m256 bv[2];
        for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + p * ldb + 8 * v);
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(a + r * lda + p);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) _mm256_storeu_ps(c + r * ldc + 8 * v, acc[r][v]);
}

/// All rows of C for the 8·NV columns from `j`, in blocks of 6 rows and one smaller block.
FEW_TARGET FEW_INLINE void nn_columns(int NV, long j, long m, long k, const float *a, long lda, const float *b, long ldb,
                                      float *c, long ldc) {
    long r = 0;
    for (; r + 6 <= m; r += 6) nn_block(6, NV, k, a + r * lda, lda, b + j, ldb, c + r * ldc + j, ldc);
    const float *ar = a + r * lda;
    float *cr = c + r * ldc + j;
    switch (m - r) {
    case 5: nn_block(5, NV, k, ar, lda, b + j, ldb, cr, ldc); break;
    case 4: nn_block(4, NV, k, ar, lda, b + j, ldb, cr, ldc); break;
    case 3: nn_block(3, NV, k, ar, lda, b + j, ldb, cr, ldc); break;
    case 2: nn_block(2, NV, k, ar, lda, b + j, ldb, cr, ldc); break;
    case 1: nn_block(1, NV, k, ar, lda, b + j, ldb, cr, ldc); break;
    default: break;
    }
}

/// One panel of k: every column block, then the columns left over one by one.
FEW_TARGET static void nn_panel(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    long j = 0;
    for (; j + 16 <= n; j += 16) nn_columns(2, j, m, k, a, lda, b, ldb, c, ldc);
    for (; j + 8 <= n; j += 8) nn_columns(1, j, m, k, a, lda, b, ldb, c, ldc);
    for (; j < n; j++)
        for (long r = 0; r < m; r++) {
            float s = 0;
            for (long p = 0; p < k; p++) s += a[r * lda + p] * b[p * ldb + j];
            c[r * ldc + j] += s;
        }
}

FEW_TARGET static void sgemm_nn(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
    const long panel = 128;
    for (long p = 0; p < k; p += panel) {
        long rows = k - p < panel ? k - p : panel;
        nn_panel(m, n, rows, a + p, lda, b + p * ldb, ldb, c, ldc);
    }
}

#endif

// The shapes where the kernels beat one thread of OpenBLAS on the benchmark's table: up to 16 rows
// for NT (1.2x at 16, 1.8x at 10, 5x at 1) and up to 12 for NN (1.0x at 16, 1.5x at 10), when B is
// large enough that its packing matters.
enum { few_rows_nt = 16, few_rows_nn = 12, few_min_side = 64 };

int wpr_sgemm_few_rows(int transposeB, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                       float *c, long ldc) {
#if defined(__x86_64__)
    if (m < 1 || m > (transposeB ? few_rows_nt : few_rows_nn) || n < few_min_side || k < few_min_side || !wpr_kernels_vectorized())
        return 0;
    if (transposeB) sgemm_nt(m, n, k, a, lda, b, ldb, c, ldc);
    else sgemm_nn(m, n, k, a, lda, b, ldb, c, ldc);
    return 1;
#else
    (void)transposeB; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
    return 0;
#endif
}
