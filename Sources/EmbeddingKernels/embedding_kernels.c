// EmbeddingKernels implementation. See embedding_kernels.h.
#include "embedding_kernels.h"

#include <math.h>
#include <stddef.h>

static float exp_table[WP_EXP_TABLE_SIZE + 1];
static float log_table[WP_EXP_TABLE_SIZE + 1];
static int tables_ready = 0;

void wp_init_tables(void) {
    if (tables_ready) return;
    // word2vec.c: expTable[i] = exp((i / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP), then x / (x + 1).
    for (int i = 0; i <= WP_EXP_TABLE_SIZE; i++) {
        double x = exp(((double)i / WP_EXP_TABLE_SIZE * 2 - 1) * WP_MAX_EXP);
        exp_table[i] = (float)(x / (x + 1));
        log_table[i] = (float)-log(x / (x + 1));  // -log σ at the same points
    }
    tables_ready = 1;
}

float wp_sigmoid_table(float x) {
    if (x <= -WP_MAX_EXP) return exp_table[0];
    if (x >= WP_MAX_EXP) return exp_table[WP_EXP_TABLE_SIZE];
    return exp_table[(int)((x + WP_MAX_EXP) * (WP_EXP_TABLE_SIZE / WP_MAX_EXP / 2))];
}

/// -log σ(x) from the table; outside [-6, 6], 0 above and -x below (the asymptotes).
static inline double log_sigmoid_loss(float x) {
    if (x >= WP_MAX_EXP) return 0;
    if (x <= -WP_MAX_EXP) return -x;
    return log_table[(int)((x + WP_MAX_EXP) * (WP_EXP_TABLE_SIZE / WP_MAX_EXP / 2))];
}

int64_t wp_scratch_floats(int32_t dim, int32_t window, int32_t negative) {
    return 2 * (int64_t)dim + 2 * (int64_t)window * (negative + 1) + 2 * (int64_t)window * dim + 64;
}

uint32_t wp_draw_negative(const wp_train_model *m, wp_train_state *st) {
    st->random = st->random * 25214903917ULL + 11;
    uint64_t column = (st->random >> 16) % (uint64_t)m->vocabularySize;
    st->random = st->random * 25214903917ULL + 11;
    float u = (float)((st->random >> 40) & 0xFFFFFF) / 16777216.0f;
    return u < m->acceptance[column] ? (uint32_t)column : (uint32_t)m->alias[column];
}

#if defined(__x86_64__)
#define WP_SUFFIX(name) name##_avx2
#define WP_TARGET __attribute__((target("avx2,fma")))
#include "train_impl.inc"
#undef WP_SUFFIX
#undef WP_TARGET
#endif

#define WP_SUFFIX(name) name##_portable
#define WP_TARGET
#include "train_impl.inc"
#undef WP_SUFFIX
#undef WP_TARGET

static int vectorized(void) {
#if defined(__x86_64__) || defined(__i386__)
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

int32_t wp_kernels_vectorized(void) { return vectorized(); }

int32_t wp_train_sentence(const wp_train_model *model, wp_train_state *state,
                          const uint32_t *ids, int32_t length, float alpha) {
#if defined(__x86_64__)
    if (vectorized()) return train_sentence_avx2(model, state, ids, length, alpha);
#endif
    return train_sentence_portable(model, state, ids, length, alpha);
}
