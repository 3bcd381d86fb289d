// RecurrentKernels: the transcendental part of a recurrent time step (sigmoid, tanh) and of
// additive attention for float32, in C, so that it vectorizes; and the few-row products of a
// step (few_rows.c).
//
// Each function covers the `batch` rows of one time step; row b is a real step when
// `step < lengths[b]` and padding otherwise (its state is carried over). Layouts and equations
// are those of Sources/Recurrent/RecurrentScalar+Kernels.swift, which holds the portable Swift
// versions used for Double; these are the Float versions. exp is a Cephes-style polynomial
// (relative error about 2e-7), tanh(x) = 1 − 2 / (1 + e^{2x}). An AVX2 + FMA build is chosen at run
// time, with a portable build otherwise (no unsafe flags).
#ifndef WORDPIPE_RECURRENT_KERNELS_H
#define WORDPIPE_RECURRENT_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// LSTM: `gates` (batch × 4·hidden pre-activations, order i, f, g, o) become activations in place;
/// writes c, tanh(c) and h.
void wpr_lstm_forward_step(long batch, long hidden, long step, const long *lengths, float *gates,
                           const float *cPrev, const float *hPrev, float *c, float *tanhC, float *h);

/// GRU (reset after the recurrent product): `gatesX` (W_ih·x + b_ih, order r, z, n) become the
/// activations r, z, n; `gatesH` (W_hh·h + b_hh) is read only.
void wpr_gru_forward_step(long batch, long hidden, long step, const long *lengths, float *gatesX,
                          const float *gatesH, const float *hPrev, float *h);

/// Simple RNN with tanh: h = tanh(a).
void wpr_rnn_tanh_forward_step(long batch, long hidden, long step, const long *lengths, const float *preactivations,
                               const float *hPrev, float *h);

/// Softmax cross-entropy over `rows` rows of `classes` logits: for each row whose target is in
/// `0..<classes`, adds −log softmax[target] to the returned sum and writes
/// `scale · (softmax − onehot)` to `gradient`; other rows get zeros. The exponentials are the
/// kernels' vectorized e^x. `gradient` may be `logits` itself, overwritten row by row.
double wpr_softmax_cross_entropy(long rows, long classes, const float *logits, const int32_t *targets, float scale, float *gradient);

/// Label-smoothed softmax cross-entropy (OpenNMT's smoothing): the target class gets 1 − ε, each
/// class other than the target and `ignore` (padding; −1 for none) gets ε / (classes − 2), and
/// `ignore` gets 0. Adds Σ_k q_k · (−log softmax_k) per row with a target to the returned sum and
/// writes `scale · (softmax − q)` to `gradient`; rows without a target get zeros.
double wpr_softmax_cross_entropy_smoothed(long rows, long classes, const float *logits, const int32_t *targets, float scale,
                                          float epsilon, long ignore, float *gradient);

/// Additive (Bahdanau) attention scores of one example: for each of `steps` query rows q_t
/// (`qStride` floats apart) and `sources` key rows k_i (`kStride` apart), writes
/// u = tanh(q_t + k_i) to `additive[(t·sources + i)·hidden …]` and u · v to `scores[t·sources + i]`.
void wpr_additive_attention_scores(long steps, long sources, long hidden, const float *q, long qStride, const float *k, long kStride,
                                   const float *v, float *scores, float *additive);

/// The backward pass of `wpr_additive_attention_scores`: given the scores' gradient
/// (`steps × sources`), adds dS · v ∘ (1 − u²) to dq_t and dk_i and dS · u to dv.
void wpr_additive_attention_backward(long steps, long sources, long hidden, const float *dScores, const float *additive, const float *v,
                                     float *dq, long qStride, float *dk, long kStride, float *dv);

/// C (m × n, row stride ldc) += A (m × k, stride lda) · op(B), row-major, for the few-row products
/// of a recurrent step, without packing B: op(B) = Bᵀ with B n × k (`transposeB` = 1) or B with
/// B k × n (0). Returns 1 when it computed the product, and 0, touching nothing, when the shape
/// is outside the range where it beats OpenBLAS (more than 16 rows for Bᵀ or 12 for B, or a side
/// under 64) or the AVX2 + FMA build is not in use: the caller then calls sgemm.
int wpr_sgemm_few_rows(int transposeB, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                       float *c, long ldc);

/// Returns 1 when the AVX2 + FMA build is in use.
int wpr_kernels_vectorized(void);

#ifdef __cplusplus
}
#endif
#endif
