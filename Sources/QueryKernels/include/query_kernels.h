// QueryKernels: the scans behind nearest-word queries, in C.
//
// A query over a large matrix first scans an int8 copy of the unit-normalized matrix with a
// float32 scale per row (a quarter of the memory traffic of float32; exact int32 dot products
// against an int16 copy of the query; AVX-512BW, AVX2 or portable) or a float16 copy (half the
// traffic, dot products accumulated in float32), then rescores in float32
// the few rows whose float16 score could still place them in the top k (see
// Sources/Embeddings/VectorStore+Kernels.swift for the error bound that decides which).
//
// Float32 scores come from one dot product with a fixed order of operations, the same for every
// row, every CPU, every thread count and both builds (AVX2 and portable): so an exact scan of all
// rows and a rescan of a few rows give bit-identical scores. The order is that of OpenBLAS's
// sgemv on AVX2 machines, which answered single queries before. An AVX2 + F16C + FMA build is chosen at run time,
// with a portable build otherwise (no unsafe flags). The header holds plain C types only.
#ifndef WORDPIPE_QUERY_KERNELS_H
#define WORDPIPE_QUERY_KERNELS_H

#include <stdint.h>

#include "hnsw_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The float32 score of every row: scores[r] = matrix[r·dim ..< (r+1)·dim] · query, r < rows.
void wpq_scores_f32(const float *matrix, int64_t rows, int64_t dim, const float *query, float *scores);

/// The float32 score of the rows `ids[0 ..< count]`, bit-identical to `wpq_scores_f32`'s.
void wpq_scores_f32_rows(const float *matrix, int64_t dim, const float *query, const int32_t *ids, int64_t count,
                         float *scores);

/// Float32 to IEEE half (round to nearest even): `rows` rows of `dim` values into rows of
/// `stride` halves (stride >= dim, a multiple of 8), the padding zeroed. Returns the largest
/// squared Euclidean norm of a row, computed in double (rows with NaN left out; infinity when a
/// row holds an infinity).
double wpq_convert_f16(const float *matrix, int64_t rows, int64_t dim, uint16_t *halves, int64_t stride);

/// IEEE half to float32 (exact).
float wpq_half_to_float(uint16_t half);

/// IEEE half from float32 (round to nearest even), as `wpq_convert_f16` does it.
uint16_t wpq_float_to_half(float value);

/// The float16 scores of rows [begin, end), accumulated in float32 in any order: scores[r] =
/// halves[r·stride ..< (r+1)·stride] · query, where `query` holds `stride` floats (zero padded).
void wpq_scores_f16(const uint16_t *halves, int64_t stride, int64_t begin, int64_t end, const float *query,
                    float *scores);

/// Int8 copy for the first pass of a scan: row r becomes codes[r·stride ..< (r+1)·stride] and
/// scales[r], with matrix[r][i] ≈ scales[r] · codes[i] (scale = max |value| / 127, codes rounded to
/// nearest, padding zeroed; `stride` >= dim, a multiple of 16). A row holding NaN or an infinity
/// gets scale NaN. Writes to `bounds` the largest Euclidean norm of a finite row (bounds[0]) and
/// the largest norm of a finite row's rounding error ‖row − scale · codes‖ (bounds[1]), both
/// computed in double; and to errors[r] each row's own error norm (rounded up to float; 0 for a
/// row with NaN or an infinity).
void wpq_convert_i8(const float *matrix, int64_t rows, int64_t dim, int8_t *codes, int64_t stride, float *scales,
                    float *errors, double *bounds);

/// The k-th largest of the lower bounds scores[r] − (a · errors[r] + b), computed in double, NaN
/// scores skipped; −infinity when fewer than k are not NaN (or k <= 0).
double wpq_kth_lower(const float *scores, const float *errors, double a, double b, int64_t count, int64_t k);

/// Writes to `ids` the rows r < count whose upper bound scores[r] + a · errors[r] + b (double) is
/// at least `threshold`, or whose score is NaN, in increasing order, at most `capacity` of them;
/// returns how many there are (possibly more than capacity).
int64_t wpq_collect_upper(const float *scores, const float *errors, double a, double b, int64_t count, double threshold,
                          int32_t *ids, int64_t capacity);

/// Int16 copy of a finite query for `wpq_scores_i8`: query[i] ≈ scale · out[i], |out[i]| small
/// enough that a row's dot product of `dim` int8 × int16 terms cannot overflow int32; `out` holds
/// `stride` values (zero padded). Returns the scale (0 for a zero query) and writes the norm of
/// the rounding error ‖query − scale · out‖ (double) to `error_norm`.
float wpq_quantize_query_i16(const float *query, int64_t dim, int16_t *out, int64_t stride, double *error_norm);

/// The int8 scores of rows [begin, end): scores[r] = (scales[r] · query_scale) · Σ codes·query,
/// the sum exact in int32 (AVX-512BW, AVX2 or portable, chosen at run time; all give the same bits).
void wpq_scores_i8(const int8_t *codes, int64_t stride, const float *scales, int64_t begin, int64_t end,
                   const int16_t *query, float query_scale, float *scores);

/// `wpq_scores_i8` for `count` queries (1 to 8) in one pass over the rows: query q's int16 codes
/// at queries[q·stride ..< (q+1)·stride], its scale query_scales[q], its scores at
/// scores[q·score_stride + r]. Bit-identical to `count` calls of `wpq_scores_i8`.
void wpq_scores_i8_block(const int8_t *codes, int64_t stride, const float *scales, int64_t begin, int64_t end,
                         const int16_t *queries, const float *query_scales, int32_t count, float *scores,
                         int64_t score_stride);

/// Returns 1 when the AVX-512BW build of `wpq_scores_i8` is in use.
int32_t wpq_kernels_avx512(void);

/// The k-th largest of scores[0 ..< count], NaNs skipped; -infinity when fewer than k are not NaN.
float wpq_kth_largest(const float *scores, int64_t count, int64_t k);

/// Writes to `ids` the indices r < count with scores[r] >= threshold or NaN, in increasing
/// order, at most `capacity` of them; returns how many there are (possibly more than capacity).
int64_t wpq_collect_at_least(const float *scores, int64_t count, float threshold, int32_t *ids, int64_t capacity);

/// Returns 1 when the AVX2 + F16C + FMA build is in use.
int32_t wpq_kernels_vectorized(void);

/// For tests: 1 makes every call use the portable build (as on a CPU without AVX2), 0 restores
/// the run-time choice. Not thread-safe against concurrent calls.
void wpq_set_portable(int32_t portable);

#ifdef __cplusplus
}
#endif
#endif
