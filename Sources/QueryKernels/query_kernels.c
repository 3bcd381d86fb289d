// QueryKernels implementation. See query_kernels.h.
#include "query_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define WPQ_TARGET __attribute__((target("avx2,fma,f16c")))
#endif

// Float32 scores must not depend on the build or the compiler: operations are fused into one
// rounding only where written (fmaf, _mm256_fmadd_ps), never by contraction of a * b + c.
#pragma STDC FP_CONTRACT OFF

// MARK: - Run-time choice

static int vectorized_override = -1;

static int vectorized(void) {
    if (vectorized_override >= 0) return vectorized_override;
#if defined(__x86_64__)
    static int answer = -1;
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return answer;
#else
    return 0;
#endif
}

int32_t wpq_kernels_vectorized(void) { return vectorized(); }

/// AVX-512 (F + BW) for the int8 scan, only where AVX2 is chosen too (so wpq_set_portable turns both off).
static int avx512(void) {
    if (!vectorized()) return 0;
#if defined(__x86_64__)
    static int answer = -1;
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return answer;
#else
    return 0;
#endif
}

int32_t wpq_kernels_avx512(void) { return avx512(); }

void wpq_set_portable(int32_t portable) {
    vectorized_override = portable ? 0 : -1;
}

// MARK: - Half precision, portable

float wpq_half_to_float(uint16_t half) {
    uint32_t sign = (uint32_t)(half & 0x8000) << 16;
    uint32_t exponent = (half >> 10) & 0x1F, mantissa = half & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        // Zero or subnormal: mantissa × 2^-24, exact in float32.
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) bits = sign | 0x7F800000u | (mantissa << 13);
    else bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

uint16_t wpq_float_to_half(float value) {
    uint32_t x;
    memcpy(&x, &value, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t magnitude = x & 0x7FFFFFFFu;
    if (magnitude >= 0x7F800000u) {  // infinity, or NaN (kept quiet, with its top payload bits)
        return sign | 0x7C00 | (magnitude > 0x7F800000u ? (uint16_t)(0x200 | ((magnitude >> 13) & 0x3FF)) : 0);
    }
    if (magnitude >= 0x477FF000u) return sign | 0x7C00;  // >= 65520 rounds to infinity
    if (magnitude < 0x38800000u) {
        // Below 2^-14: a subnormal half, round(|value| × 2^24) to nearest even; the scaling is exact,
        // and adding then subtracting 2^23 rounds to an integer in the default rounding mode.
        float scaled;
        memcpy(&scaled, &magnitude, 4);
        scaled *= 0x1p24f;
        float shifted = scaled + 0x1p23f;
        return sign | (uint16_t)(shifted - 0x1p23f);  // 1024 is the smallest normal half, correctly encoded
    }
    // Normal: rebias the exponent (127 − 15), round 23 mantissa bits to 10, nearest even
    // (a carry into the exponent is the right answer).
    uint32_t half = (magnitude - 0x38000000u) >> 13;
    uint32_t rest = magnitude & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half += 1;
    return sign | (uint16_t)half;
}

// MARK: - Float32 dot product with a fixed order
//
// The order of OpenBLAS's sgemv on AVX2 machines (kernel/x86_64/sgemv_t_microk_haswell-4.c,
// which `cblas_sgemv` ran for our queries before), so that scores keep their bits where that
// kernel computed them: of the n4 = dim − dim mod 4 first values, 4 go to lanes 0-3 of an
// 8-lane accumulator when n4 mod 8 = 4, then 8 when the rest mod 16 = 8, then 16 per step as
// two 8-lane steps, each lane a fused multiply-add; then lane l + lane l+4, and
// (lane 0 + lane 1) + (lane 2 + lane 3). The dim mod 4 last values are added as its scalar
// epilogue adds them (see add_tail). The portable version does the same operations with fmaf,
// so both builds give the same bits. Checked against cblas_sgemv (OpenBLAS 0.3.21, one thread,
// Haswell, Zen, SkylakeX and Cooperlake kernels): bit-identical for dims 1 to 303 on every row
// but the rows mod 4 last ones, which its SSE remainder kernels score.

/// Lanes 0-3 after the lane l + lane l+4 step, reduced as the kernel's two haddps do.
static inline float reduce_lanes(float l0, float l1, float l2, float l3) { return (l0 + l1) + (l2 + l3); }

/// `sum` with the dim mod 4 last values added, in the order of the kernel's scalar epilogue.
static inline float add_tail(float sum, const float *restrict v, const float *restrict q, int64_t dim) {
    int64_t n4 = dim & ~(int64_t)3;
    const float *a = v + n4, *x = q + n4;
    switch (dim & 3) {
    case 1: return fmaf(a[0], x[0], sum);
    case 2: return sum + fmaf(a[0], x[0], a[1] * x[1]);
    case 3: return sum + fmaf(a[2], x[2], fmaf(a[0], x[0], a[1] * x[1]));
    default: return sum;
    }
}

static float dot_f32_portable(const float *restrict v, const float *restrict q, int64_t dim) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t n4 = dim & ~(int64_t)3, i = 0, left = n4;
    if (left & 4) {
        for (int l = 0; l < 4; l++) acc[l] = fmaf(v[l], q[l], acc[l]);
        i = 4;
        left -= 4;
    }
    if (left & 8) {
        for (int l = 0; l < 8; l++) acc[l] = fmaf(v[i + l], q[i + l], acc[l]);
        i += 8;
        left -= 8;
    }
    for (; left > 0; i += 16, left -= 16) {
        for (int l = 0; l < 8; l++) acc[l] = fmaf(v[i + l], q[i + l], acc[l]);
        for (int l = 0; l < 8; l++) acc[l] = fmaf(v[i + 8 + l], q[i + 8 + l], acc[l]);
    }
    float sum = reduce_lanes(acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]);
    return add_tail(sum, v, q, dim);
}

#if defined(__x86_64__)
/// The scores of `count` (1 to 4) rows at once: the same operations per row as one at a time,
/// interleaved so that the rows' fused multiply-add chains overlap.
WPQ_TARGET static inline void dots_f32_avx2(const float *const *restrict rows, int count, const float *restrict q,
                                            int64_t dim, float *restrict out) {
    __m256 acc[4];
    for (int k = 0; k < count; k++) acc[k] = _mm256_setzero_ps();
    int64_t n4 = dim & ~(int64_t)3, i = 0, left = n4;
    if (left & 4) {
        __m128 x = _mm_loadu_ps(q);
        for (int k = 0; k < count; k++)
            acc[k] = _mm256_set_m128(_mm_setzero_ps(), _mm_fmadd_ps(_mm_loadu_ps(rows[k]), x, _mm_setzero_ps()));
        i = 4;
        left -= 4;
    }
    if (left & 8) {
        __m256 x = _mm256_loadu_ps(q + i);
        for (int k = 0; k < count; k++) acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[k] + i), x, acc[k]);
        i += 8;
        left -= 8;
    }
    for (; left > 0; i += 16, left -= 16) {
        __m256 x0 = _mm256_loadu_ps(q + i), x1 = _mm256_loadu_ps(q + i + 8);
        for (int k = 0; k < count; k++) {
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[k] + i), x0, acc[k]);
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[k] + i + 8), x1, acc[k]);
        }
    }
    for (int k = 0; k < count; k++) {
        __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc[k]), _mm256_extractf128_ps(acc[k], 1));
        lo = _mm_hadd_ps(lo, lo);
        lo = _mm_hadd_ps(lo, lo);
        float sum = _mm_cvtss_f32(lo);
        out[k] = add_tail(sum, rows[k], q, dim);
    }
}

WPQ_TARGET static void scores_f32_avx2(const float *matrix, int64_t rows, int64_t dim, const float *query, float *scores) {
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *four[4] = {matrix + r * dim, matrix + (r + 1) * dim, matrix + (r + 2) * dim, matrix + (r + 3) * dim};
        dots_f32_avx2(four, 4, query, dim, scores + r);
    }
    for (; r < rows; r++) {
        const float *one[1] = {matrix + r * dim};
        dots_f32_avx2(one, 1, query, dim, scores + r);
    }
}

/// Four rows at a time, as the full scan does: one row's fixed-order chain of fused multiply-adds
/// waits on each result, four chains overlap (rescoring thousands of rows of trained vectors ran
/// 3 to 4 times faster so). The rows after them are prefetched.
WPQ_TARGET static void scores_f32_rows_avx2(const float *matrix, int64_t dim, const float *query, const int32_t *ids,
                                            int64_t count, float *scores) {
    int64_t i = 0;
    for (; i + 4 <= count; i += 4) {
        if (i + 8 <= count) {
            for (int k = 4; k < 8; k++) {
                const char *row = (const char *)(matrix + (int64_t)ids[i + k] * dim);
                for (int64_t b = 0; b < dim * 4; b += 64) _mm_prefetch(row + b, _MM_HINT_T0);
            }
        }
        const float *four[4] = {matrix + (int64_t)ids[i] * dim, matrix + (int64_t)ids[i + 1] * dim,
                                matrix + (int64_t)ids[i + 2] * dim, matrix + (int64_t)ids[i + 3] * dim};
        dots_f32_avx2(four, 4, query, dim, scores + i);
    }
    for (; i < count; i++) {
        const float *one[1] = {matrix + (int64_t)ids[i] * dim};
        dots_f32_avx2(one, 1, query, dim, scores + i);
    }
}
#endif

void wpq_scores_f32(const float *matrix, int64_t rows, int64_t dim, const float *query, float *scores) {
#if defined(__x86_64__)
    if (vectorized()) { scores_f32_avx2(matrix, rows, dim, query, scores); return; }
#endif
    for (int64_t r = 0; r < rows; r++) scores[r] = dot_f32_portable(matrix + r * dim, query, dim);
}

void wpq_scores_f32_rows(const float *matrix, int64_t dim, const float *query, const int32_t *ids, int64_t count,
                         float *scores) {
#if defined(__x86_64__)
    if (vectorized()) { scores_f32_rows_avx2(matrix, dim, query, ids, count, scores); return; }
#endif
    for (int64_t i = 0; i < count; i++) scores[i] = dot_f32_portable(matrix + (int64_t)ids[i] * dim, query, dim);
}

// MARK: - Float16 copy and scan

#if defined(__x86_64__)
WPQ_TARGET static void convert_f16_avx2(const float *matrix, int64_t rows, int64_t dim, uint16_t *halves, int64_t stride) {
    for (int64_t r = 0; r < rows; r++) {
        const float *source = matrix + r * dim;
        uint16_t *target = halves + r * stride;
        int64_t i = 0;
        for (; i + 8 <= dim; i += 8) {
            __m128i packed = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            _mm_storeu_si128((__m128i *)(target + i), packed);
        }
        for (; i < dim; i++) target[i] = wpq_float_to_half(source[i]);
        for (; i < stride; i++) target[i] = 0;
    }
}

/// One row at a time, two accumulators; `stride` is a multiple of 8. Measured on the 100,000 ×
/// 300 matrix (2-core AMD EPYC): 2.5 ms, against 2.1 ms to merely read its 61 MB. Two rows at a
/// time read the rows out of order and ran 3 to 4 times slower (the prefetchers want one
/// ascending stream); software prefetching gained nothing; splitting the rows between two
/// threads gained nothing alone (one thread reads at the memory bandwidth) and lost 10 to 15%
/// at p50 in `wordpipe nearest` with the other core busy.
WPQ_TARGET static void scores_f16_avx2(const uint16_t *halves, int64_t stride, int64_t begin, int64_t end,
                                       const float *query, float *scores) {
    for (int64_t r = begin; r < end; r++) {
        const uint16_t *x = halves + r * stride;
        __m256 x0 = _mm256_setzero_ps(), x1 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= stride; i += 16) {
            x0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(query + i), x0);
            x1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8))), _mm256_loadu_ps(query + i + 8), x1);
        }
        if (i < stride) {
            x0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(query + i), x0);
        }
        x0 = _mm256_add_ps(x0, x1);
        __m128 u = _mm_add_ps(_mm256_castps256_ps128(x0), _mm256_extractf128_ps(x0, 1));
        u = _mm_hadd_ps(u, u);
        u = _mm_hadd_ps(u, u);
        scores[r] = _mm_cvtss_f32(u);
    }
}
#endif

double wpq_convert_f16(const float *matrix, int64_t rows, int64_t dim, uint16_t *halves, int64_t stride) {
    double largest = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = matrix + r * dim;
        double sum = 0;
        for (int64_t i = 0; i < dim; i++) sum += (double)row[i] * (double)row[i];
        if (sum > largest) largest = sum;  // false for NaN
    }
#if defined(__x86_64__)
    if (vectorized()) { convert_f16_avx2(matrix, rows, dim, halves, stride); return largest; }
#endif
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = 0;
        for (; i < dim; i++) halves[r * stride + i] = wpq_float_to_half(matrix[r * dim + i]);
        for (; i < stride; i++) halves[r * stride + i] = 0;
    }
    return largest;
}

void wpq_scores_f16(const uint16_t *halves, int64_t stride, int64_t begin, int64_t end, const float *query,
                    float *scores) {
#if defined(__x86_64__)
    if (vectorized()) { scores_f16_avx2(halves, stride, begin, end, query, scores); return; }
#endif
    for (int64_t r = begin; r < end; r++) {
        const uint16_t *x = halves + r * stride;
        float sum = 0;
        for (int64_t i = 0; i < stride; i++) sum += wpq_half_to_float(x[i]) * query[i];
        scores[r] = sum;
    }
}

// MARK: - Int8 copy and scan

void wpq_convert_i8(const float *matrix, int64_t rows, int64_t dim, int8_t *codes, int64_t stride, float *scales,
                    float *errors, double *bounds) {
    double largest_norm = 0, largest_error = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = matrix + r * dim;
        int8_t *target = codes + r * stride;
        float largest = 0;
        int finite = 1;
        for (int64_t i = 0; i < dim; i++) {
            float magnitude = fabsf(row[i]);
            if (!isfinite(magnitude)) finite = 0;
            else if (magnitude > largest) largest = magnitude;
        }
        memset(target, 0, (size_t)stride);
        if (!finite) { scales[r] = NAN; errors[r] = 0; continue; }
        float scale = largest / 127.0f;
        double norm = 0, error = 0;
        if (scale > 0 && isfinite(127.0f / largest)) {
            for (int64_t i = 0; i < dim; i++) {
                float code = rintf(row[i] / scale);
                if (code > 127) code = 127;
                if (code < -127) code = -127;
                target[i] = (int8_t)code;
                double difference = (double)row[i] - (double)scale * (double)code;
                error += difference * difference;
                norm += (double)row[i] * (double)row[i];
            }
        } else {
            // Only subnormal values (or zeros): every code 0, the whole row is the error.
            scale = 0;
            for (int64_t i = 0; i < dim; i++) norm += (double)row[i] * (double)row[i];
            error = norm;
        }
        scales[r] = scale;
        float own = (float)sqrt(error);
        errors[r] = (double)own < sqrt(error) ? nextafterf(own, INFINITY) : own;  // rounded up
        if (norm > largest_norm) largest_norm = norm;
        if (error > largest_error) largest_error = error;
    }
    bounds[0] = sqrt(largest_norm);
    bounds[1] = sqrt(largest_error);
}

float wpq_quantize_query_i16(const float *query, int64_t dim, int16_t *out, int64_t stride, double *error_norm) {
    float largest = 0;
    for (int64_t i = 0; i < dim; i++) if (fabsf(query[i]) > largest) largest = fabsf(query[i]);
    // |code| <= limit keeps dim · 127 · limit below 2^31 (the int32 sum of a row cannot overflow).
    int64_t limit = 32767;
    if (dim > 0 && (int64_t)2147483647 / (127 * dim) < limit) limit = (int64_t)2147483647 / (127 * dim);
    if (limit < 1) limit = 1;
    for (int64_t i = 0; i < stride; i++) out[i] = 0;
    double error = 0;
    float scale = largest > 0 ? largest / (float)limit : 0;
    if (!(scale > 0) || !isfinite((float)limit / largest)) {
        for (int64_t i = 0; i < dim; i++) error += (double)query[i] * (double)query[i];
        *error_norm = sqrt(error);
        return 0;
    }
    for (int64_t i = 0; i < dim; i++) {
        float code = rintf(query[i] / scale);
        if (code > (float)limit) code = (float)limit;
        if (code < -(float)limit) code = -(float)limit;
        out[i] = (int16_t)code;
        double difference = (double)query[i] - (double)scale * (double)code;
        error += difference * difference;
    }
    *error_norm = sqrt(error);
    return scale;
}

#if defined(__x86_64__)
/// Four rows at a time (their sums overlap), 16 codes per step sign-extended to int16 and
/// multiplied pairwise into int32 (vpmaddwd): exact.
WPQ_TARGET static void scores_i8_avx2(const int8_t *codes, int64_t stride, const float *scales, int64_t begin,
                                      int64_t end, const int16_t *query, float query_scale, float *scores) {
    int64_t r = begin;
    for (; r + 2 <= end; r += 2) {
        const int8_t *a = codes + r * stride, *b = a + stride;
        __m256i sa = _mm256_setzero_si256(), sb = _mm256_setzero_si256();
        for (int64_t i = 0; i < stride; i += 16) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(query + i));
            sa = _mm256_add_epi32(sa, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i))), q));
            sb = _mm256_add_epi32(sb, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i))), q));
        }
        // Horizontal sums of both rows at once.
        __m256i h = _mm256_hadd_epi32(sa, sb);  // a01 a23 b01 b23 | a45 a67 b45 b67
        __m128i u = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        u = _mm_hadd_epi32(u, u);  // a, b, a, b
        scores[r] = (float)_mm_cvtsi128_si32(u) * (scales[r] * query_scale);
        scores[r + 1] = (float)_mm_extract_epi32(u, 1) * (scales[r + 1] * query_scale);
    }
    for (; r < end; r++) {
        const int8_t *a = codes + r * stride;
        __m256i sa = _mm256_setzero_si256();
        for (int64_t i = 0; i < stride; i += 16) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(query + i));
            sa = _mm256_add_epi32(sa, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i))), q));
        }
        __m128i u = _mm_add_epi32(_mm256_castsi256_si128(sa), _mm256_extracti128_si256(sa, 1));
        u = _mm_hadd_epi32(u, u);
        u = _mm_hadd_epi32(u, u);
        scores[r] = (float)_mm_cvtsi128_si32(u) * (scales[r] * query_scale);
    }
}

#define WPQ_TARGET512 __attribute__((target("avx512f,avx512bw,avx2,fma,f16c")))

/// Row `a`'s int32 dot product with the query folded into 8 lanes: 32 codes per step
/// (vpmovsxbw zmm, vpmaddwd zmm), a 16-code ymm step for an odd number of 16s.
WPQ_TARGET512 static inline __m256i row_lanes_i8(const int8_t *a, const int16_t *query, int64_t n32, int64_t stride) {
    __m512i sum = _mm512_setzero_si512();
    int64_t i = 0;
    for (; i < n32; i += 32) {
        __m512i q = _mm512_loadu_si512((const void *)(query + i));
        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(_mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(a + i))), q));
    }
    __m256i lanes = _mm256_add_epi32(_mm512_castsi512_si256(sum), _mm512_extracti64x4_epi64(sum, 1));
    if (i < stride) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(query + i));
        lanes = _mm256_add_epi32(lanes, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i))), q));
    }
    return lanes;
}

/// The sums of eight rows' lanes, in row order, in one vector (a transposing tree of vphaddd):
/// the horizontal sums cost about two instructions a row instead of eight.
WPQ_TARGET512 static inline __m256i sum8_epi32(const __m256i *lanes) {
    __m256i h01 = _mm256_hadd_epi32(lanes[0], lanes[1]), h23 = _mm256_hadd_epi32(lanes[2], lanes[3]);
    __m256i h45 = _mm256_hadd_epi32(lanes[4], lanes[5]), h67 = _mm256_hadd_epi32(lanes[6], lanes[7]);
    __m256i h0123 = _mm256_hadd_epi32(h01, h23);  // rows 0-3, low halves | rows 0-3, high halves
    __m256i h4567 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20), _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

/// Eight rows from `r` scored against one query: the same int32 sums and the same float32
/// roundings, (float)sum · (scale · query_scale), as one row at a time.
WPQ_TARGET512 static inline void scores8_i8(const int8_t *codes, int64_t stride, const float *scales, int64_t r,
                                            const int16_t *query, float query_scale, float *scores, int64_t n32) {
    __m256i lanes[8];
    for (int j = 0; j < 8; j++) lanes[j] = row_lanes_i8(codes + (r + j) * stride, query, n32, stride);
    __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(scales + r), _mm256_set1_ps(query_scale));
    _mm256_storeu_ps(scores + r, _mm256_mul_ps(_mm256_cvtepi32_ps(sum8_epi32(lanes)), scale));
}

/// One row, for the last rows of a range that are not a multiple of eight.
WPQ_TARGET512 static inline float score1_i8(const int8_t *a, const int16_t *query, int64_t n32, int64_t stride, float scale) {
    __m256i lanes = row_lanes_i8(a, query, n32, stride);
    __m128i u = _mm_add_epi32(_mm256_castsi256_si128(lanes), _mm256_extracti128_si256(lanes, 1));
    u = _mm_hadd_epi32(u, u);
    u = _mm_hadd_epi32(u, u);
    return (float)_mm_cvtsi128_si32(u) * scale;
}

/// Eight rows at a time (see `sum8_epi32`).
WPQ_TARGET512 static void scores_i8_avx512(const int8_t *codes, int64_t stride, const float *scales, int64_t begin,
                                           int64_t end, const int16_t *query, float query_scale, float *scores) {
    int64_t n32 = stride & ~(int64_t)31;
    int64_t r = begin;
    for (; r + 8 <= end; r += 8) scores8_i8(codes, stride, scales, r, query, query_scale, scores, n32);
    for (; r < end; r++) scores[r] = score1_i8(codes + r * stride, query, n32, stride, scales[r] * query_scale);
}
#endif

#if defined(__x86_64__)
/// Several queries per pass: each block of eight rows is scored against every query while its
/// codes are in L1 (one pass over memory for all of them; the same scores as one at a time).
WPQ_TARGET512 static void scores_i8_block_avx512(const int8_t *codes, int64_t stride, const float *scales, int64_t begin,
                                                 int64_t end, const int16_t *queries, const float *query_scales,
                                                 int32_t count, float *scores, int64_t score_stride) {
    int64_t n32 = stride & ~(int64_t)31;
    int64_t r = begin;
    for (; r + 8 <= end; r += 8)
        for (int32_t q = 0; q < count; q++)
            scores8_i8(codes, stride, scales, r, queries + q * stride, query_scales[q], scores + q * score_stride, n32);
    for (; r < end; r++)
        for (int32_t q = 0; q < count; q++)
            scores[q * score_stride + r] = score1_i8(codes + r * stride, queries + q * stride, n32, stride, scales[r] * query_scales[q]);
}
#endif

void wpq_scores_i8_block(const int8_t *codes, int64_t stride, const float *scales, int64_t begin, int64_t end,
                         const int16_t *queries, const float *query_scales, int32_t count, float *scores,
                         int64_t score_stride) {
#if defined(__x86_64__)
    if (avx512() && count >= 1 && count <= 8) {
        scores_i8_block_avx512(codes, stride, scales, begin, end, queries, query_scales, count, scores, score_stride);
        return;
    }
#endif
    for (int32_t q = 0; q < count; q++)
        wpq_scores_i8(codes, stride, scales, begin, end, queries + q * stride, query_scales[q], scores + q * score_stride);
}

void wpq_scores_i8(const int8_t *codes, int64_t stride, const float *scales, int64_t begin, int64_t end,
                   const int16_t *query, float query_scale, float *scores) {
#if defined(__x86_64__)
    if (avx512()) { scores_i8_avx512(codes, stride, scales, begin, end, query, query_scale, scores); return; }
    if (vectorized()) { scores_i8_avx2(codes, stride, scales, begin, end, query, query_scale, scores); return; }
#endif
    for (int64_t r = begin; r < end; r++) {
        const int8_t *a = codes + r * stride;
        int32_t sum = 0;
        for (int64_t i = 0; i < stride; i++) sum += (int32_t)a[i] * (int32_t)query[i];
        scores[r] = (float)sum * (scales[r] * query_scale);
    }
}

// MARK: - Selection

/// Puts `value` into the min-heap `heap` of `size` values (capacity k), keeping the k largest.
static inline void heap_offer(double *heap, int64_t *size, int64_t k, double value) {
    if (*size < k) {
        int64_t index = (*size)++;
        heap[index] = value;
        while (index > 0 && heap[(index - 1) / 2] > heap[index]) {  // sift up
            double swap = heap[index];
            heap[index] = heap[(index - 1) / 2];
            heap[(index - 1) / 2] = swap;
            index = (index - 1) / 2;
        }
    } else if (value > heap[0]) {
        heap[0] = value;
        int64_t index = 0;
        for (;;) {
            int64_t smallest = index, left = 2 * index + 1, right = left + 1;
            if (left < k && heap[left] < heap[smallest]) smallest = left;
            if (right < k && heap[right] < heap[smallest]) smallest = right;
            if (smallest == index) break;
            double swap = heap[index];
            heap[index] = heap[smallest];
            heap[smallest] = swap;
            index = smallest;
        }
    }
}

float wpq_kth_largest(const float *scores, int64_t count, int64_t k) {
    if (k <= 0 || k > count) return -INFINITY;
    double *heap = malloc((size_t)k * sizeof(double));  // floats are exact in double: the same order
    if (heap == NULL) return -INFINITY;  // every row becomes a candidate: slower, still exact
    int64_t size = 0;
    for (int64_t r = 0; r < count; r++) {
        if (isnan(scores[r])) continue;
        heap_offer(heap, &size, k, (double)scores[r]);
    }
    float answer = size < k ? -INFINITY : (float)heap[0];
    free(heap);
    return answer;
}

/// A row's lower bound, score − (a·error + b), in double (two roundings, never fused).
static inline double lower_bound(float score, float error, double a, double b) {
    return (double)score - (a * (double)error + b);
}

#if defined(__x86_64__)
/// Once the heap is full, eight rows' bounds at a time are compared with its smallest value;
/// only the rare rows above it go through `heap_offer`, in row order, so the heap ends as the
/// scalar loop leaves it.
WPQ_TARGET512 static int64_t kth_lower_avx512(const float *scores, const float *errors, double a, double b, int64_t r,
                                              int64_t count, double *heap, int64_t k) {
    __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
    for (; r + 8 <= count; r += 8) {
        __m512d s = _mm512_cvtps_pd(_mm256_loadu_ps(scores + r));
        __m512d e = _mm512_cvtps_pd(_mm256_loadu_ps(errors + r));
        __m512d lower = _mm512_sub_pd(s, _mm512_add_pd(_mm512_mul_pd(va, e), vb));
        __mmask8 above = _mm512_cmp_pd_mask(lower, _mm512_set1_pd(heap[0]), _CMP_GT_OQ);  // false for NaN
        while (above) {
            int j = __builtin_ctz(above);
            above &= (__mmask8)(above - 1);
            heap_offer(heap, &k, k, lower_bound(scores[r + j], errors[r + j], a, b));
        }
    }
    return r;
}

/// Rows whose upper bound reaches `threshold`, or whose score is NaN, eight at a time.
WPQ_TARGET512 static int64_t collect_upper_avx512(const float *scores, const float *errors, double a, double b, int64_t count,
                                                  double threshold, int32_t *ids, int64_t capacity, int64_t *found) {
    __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b), t = _mm512_set1_pd(threshold);
    int64_t r = 0;
    for (; r + 8 <= count; r += 8) {
        __m512d s = _mm512_cvtps_pd(_mm256_loadu_ps(scores + r));
        __m512d e = _mm512_cvtps_pd(_mm256_loadu_ps(errors + r));
        __m512d upper = _mm512_add_pd(s, _mm512_add_pd(_mm512_mul_pd(va, e), vb));
        __mmask8 hit = _mm512_cmp_pd_mask(upper, t, _CMP_GE_OQ) | _mm512_cmp_pd_mask(s, s, _CMP_UNORD_Q);
        while (hit) {
            int j = __builtin_ctz(hit);
            hit &= (__mmask8)(hit - 1);
            if (*found < capacity) ids[*found] = (int32_t)(r + j);
            (*found)++;
        }
    }
    return r;
}
#endif

double wpq_kth_lower(const float *scores, const float *errors, double a, double b, int64_t count, int64_t k) {
    if (k <= 0 || k > count) return -INFINITY;
    double *heap = malloc((size_t)k * sizeof(double));
    if (heap == NULL) return -INFINITY;  // every row becomes a candidate: slower, still exact
    int64_t size = 0, r = 0;
    for (; r < count && size < k; r++) {
        if (isnan(scores[r])) continue;
        heap_offer(heap, &size, k, lower_bound(scores[r], errors[r], a, b));
    }
#if defined(__x86_64__)
    if (size == k && avx512()) r = kth_lower_avx512(scores, errors, a, b, r, count, heap, k);
#endif
    for (; r < count; r++) {
        if (isnan(scores[r])) continue;
        heap_offer(heap, &size, k, lower_bound(scores[r], errors[r], a, b));
    }
    double answer = size < k ? -INFINITY : heap[0];
    free(heap);
    return answer;
}

int64_t wpq_collect_upper(const float *scores, const float *errors, double a, double b, int64_t count, double threshold,
                          int32_t *ids, int64_t capacity) {
    int64_t found = 0, r = 0;
#if defined(__x86_64__)
    if (avx512()) r = collect_upper_avx512(scores, errors, a, b, count, threshold, ids, capacity, &found);
#endif
    for (; r < count; r++) {
        float score = scores[r];
        if ((double)score + (a * (double)errors[r] + b) >= threshold || isnan(score)) {
            if (found < capacity) ids[found] = (int32_t)r;
            found++;
        }
    }
    return found;
}

int64_t wpq_collect_at_least(const float *scores, int64_t count, float threshold, int32_t *ids, int64_t capacity) {
    int64_t found = 0;
    for (int64_t r = 0; r < count; r++) {
        float score = scores[r];
        if (score >= threshold || isnan(score)) {
            if (found < capacity) ids[found] = (int32_t)r;
            found++;
        }
    }
    return found;
}
