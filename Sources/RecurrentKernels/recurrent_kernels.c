// RecurrentKernels implementation. See recurrent_kernels.h.
#include "recurrent_kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#define WPR_SUFFIX(name) name##_avx2
#define WPR_TARGET __attribute__((target("avx2,fma")))
#include "step_impl.inc"
#undef WPR_SUFFIX
#undef WPR_TARGET
#endif

#define WPR_SUFFIX(name) name##_portable
#define WPR_TARGET
#include "step_impl.inc"
#undef WPR_SUFFIX
#undef WPR_TARGET

static int vectorized(void) {
#if defined(__x86_64__)
    static int answer = -1;
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return answer;
#else
    return 0;
#endif
}

int wpr_kernels_vectorized(void) { return vectorized(); }

void wpr_lstm_forward_step(long batch, long hidden, long step, const long *lengths, float *gates,
                           const float *cPrev, const float *hPrev, float *c, float *tanhC, float *h) {
#if defined(__x86_64__)
    if (vectorized()) { lstm_forward_step_avx2(batch, hidden, step, lengths, gates, cPrev, hPrev, c, tanhC, h); return; }
#endif
    lstm_forward_step_portable(batch, hidden, step, lengths, gates, cPrev, hPrev, c, tanhC, h);
}

void wpr_gru_forward_step(long batch, long hidden, long step, const long *lengths, float *gatesX,
                          const float *gatesH, const float *hPrev, float *h) {
#if defined(__x86_64__)
    if (vectorized()) { gru_forward_step_avx2(batch, hidden, step, lengths, gatesX, gatesH, hPrev, h); return; }
#endif
    gru_forward_step_portable(batch, hidden, step, lengths, gatesX, gatesH, hPrev, h);
}

void wpr_rnn_tanh_forward_step(long batch, long hidden, long step, const long *lengths, const float *preactivations,
                               const float *hPrev, float *h) {
#if defined(__x86_64__)
    if (vectorized()) { rnn_tanh_forward_step_avx2(batch, hidden, step, lengths, preactivations, hPrev, h); return; }
#endif
    rnn_tanh_forward_step_portable(batch, hidden, step, lengths, preactivations, hPrev, h);
}

double wpr_softmax_cross_entropy(long rows, long classes, const float *logits, const int32_t *targets, float scale, float *gradient) {
#if defined(__x86_64__)
    if (vectorized()) return softmax_xent_avx2(rows, classes, logits, targets, scale, gradient);
#endif
    return softmax_xent_portable(rows, classes, logits, targets, scale, gradient);
}

void wpr_additive_attention_scores(long steps, long sources, long hidden, const float *q, long qStride, const float *k, long kStride,
                                   const float *v, float *scores, float *additive) {
#if defined(__x86_64__)
    if (vectorized()) { additive_scores_avx2(steps, sources, hidden, q, qStride, k, kStride, v, scores, additive); return; }
#endif
    additive_scores_portable(steps, sources, hidden, q, qStride, k, kStride, v, scores, additive);
}

void wpr_additive_attention_backward(long steps, long sources, long hidden, const float *dScores, const float *additive, const float *v,
                                     float *dq, long qStride, float *dk, long kStride, float *dv) {
#if defined(__x86_64__)
    if (vectorized()) { additive_backward_avx2(steps, sources, hidden, dScores, additive, v, dq, qStride, dk, kStride, dv); return; }
#endif
    additive_backward_portable(steps, sources, hidden, dScores, additive, v, dq, qStride, dk, kStride, dv);
}

double wpr_softmax_cross_entropy_smoothed(long rows, long classes, const float *logits, const int32_t *targets, float scale,
                                          float epsilon, long ignore, float *gradient) {
#if defined(__x86_64__)
    if (vectorized()) return softmax_xent_smoothed_avx2(rows, classes, logits, targets, scale, epsilon, ignore, gradient);
#endif
    return softmax_xent_smoothed_portable(rows, classes, logits, targets, scale, epsilon, ignore, gradient);
}
