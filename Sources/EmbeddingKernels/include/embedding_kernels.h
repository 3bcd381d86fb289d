// EmbeddingKernels: the inner loop of word2vec training, in C.
//
// Skip-gram and CBOW with negative sampling or hierarchical softmax, following word2vec.c
// (Mikolov et al. 2013) step for step: the 1000-entry sigmoid table over [-6, 6], the linear
// congruential generator `r = r * 25214903917 + 11`, the dynamic window `b = r % window`,
// subsampling before the window, and the update order. A batched skip-gram variant follows
// pWord2Vec (Ji et al. 2016, "Parallelizing Word2Vec in Shared and Distributed Memory"): the
// K negative samples are shared by all context words of a target's window, and the window's
// updates are all computed from the weights as they were before it and then applied together,
// so they become small matrix products.
//
// The two kernels do not give the same vectors. Applied together, each output row takes the
// sum of the window's gradients at the old weights; pair by pair, a later context sees output
// rows already moved toward the earlier ones and gets a smaller gradient. So a batched window
// takes a somewhat larger step for the same alpha: on the benchmark corpus (BENCHMARKS.md,
// "Where the batched kernel's gain comes from") it scores 1.2 analogy points above the per-pair
// loop at alpha 0.025, the per-pair loop at 1.25x alpha comes within 0.4 points of it, and
// sharing negatives with pair-by-pair updates is 0.4 points below the per-pair loop.
//
// With subwords (fastText, Bojanowski et al. 2017), skip-gram takes the centre word's input
// vector (the mean of its own row and its n-gram rows) to predict each context word, as
// fastText does. Batched (NS), the centre's vector is composed once per position, every
// context gets its own negatives, all the window's gradients are computed from the weights as
// they were before it, and the input gradient is spread over the centre's rows once; fastText
// composes and spreads once per (centre, context) pair. Per pair (--no-batched, or HS) is
// fastText's loop. CBOW averages all rows of all context words, as fastText's CBOW does.
//
// The shared weights are written lock-free from several threads (Hogwild, as word2vec.c
// does); each thread owns a `wp_train_state`. The public header holds plain C types only.
#ifndef WORDPIPE_EMBEDDING_KERNELS_H
#define WORDPIPE_EMBEDDING_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// word2vec.c's EXP_TABLE_SIZE and MAX_EXP.
#define WP_EXP_TABLE_SIZE 1000
#define WP_MAX_EXP 6
/// word2vec.c's MAX_CODE_LENGTH (Huffman code length limit).
#define WP_MAX_CODE_LENGTH 40
/// word2vec.c's MAX_SENTENCE_LENGTH: longer sentences are cut.
#define WP_MAX_SENTENCE_LENGTH 1000

enum { WP_MODEL_SKIPGRAM = 0, WP_MODEL_CBOW = 1 };
enum { WP_LOSS_NS = 0, WP_LOSS_HS = 1 };

/// The model: shared weights and read-only tables. Set every field before training.
typedef struct wp_train_model {
    float *input;          ///< vocabulary × dim input vectors (syn0)
    float *output;         ///< vocabulary × dim output vectors (syn1neg) for NS, (vocabulary - 1) × dim (syn1) for HS
    int32_t dim;
    int64_t vocabularySize;
    int32_t model;         ///< WP_MODEL_*
    int32_t loss;          ///< WP_LOSS_*
    int32_t window;
    int32_t negative;
    int32_t batched;       ///< skip-gram + NS only: share negatives across the window (pWord2Vec)
    int32_t cbowMean;      ///< CBOW: average the context (1, word2vec's cbow_mean) or sum (0)
    const uint32_t *keep;  ///< per id: keep probability × 2^32 (subsampling); NULL keeps all
    const float *acceptance;  ///< NS: alias-method acceptance per column
    const int32_t *alias;     ///< NS: alias-method alternative per column
    const uint8_t *codes;     ///< HS: per id, WP_MAX_CODE_LENGTH code bits
    const int32_t *points;    ///< HS: per id, WP_MAX_CODE_LENGTH inner-node indices
    const uint8_t *codeLengths;  ///< HS: per id, code length
    /// Subwords (fastText): NULL without them. With them, `input` holds vocabularySize +
    /// buckets rows, and word w's input vector is the mean of the rows
    /// subwordIDs[subwordOffsets[w] ..< subwordOffsets[w + 1]] (its own row and its n-grams').
    const int64_t *subwordOffsets;
    const int32_t *subwordIDs;
} wp_train_model;

/// One thread's state: its generator, its running loss and its scratch buffers.
typedef struct wp_train_state {
    uint64_t random;       ///< word2vec's LCG state
    double loss;           ///< sum of -log σ over the predictions made
    int64_t predictions;   ///< how many predictions the loss sums
    float *scratch;        ///< at least wp_scratch_floats(dim, window, negative) floats
} wp_train_state;

/// Floats of scratch space a state needs.
int64_t wp_scratch_floats(int32_t dim, int32_t window, int32_t negative);

/// Fills the sigmoid and log-sigmoid tables (idempotent; call once before training).
void wp_init_tables(void);

/// σ(x) from the 1000-entry table over [-6, 6], as word2vec.c reads it (x in range only).
float wp_sigmoid_table(float x);

/// Trains on one sentence of ids (at most WP_MAX_SENTENCE_LENGTH) with learning rate `alpha`.
/// Returns the number of words kept after subsampling, or -1 when the loss or an update
/// became NaN or infinite.
int32_t wp_train_sentence(const wp_train_model *model, wp_train_state *state,
                          const uint32_t *ids, int32_t length, float alpha);

/// Draws a noise word with the model's alias table and the state's generator.
uint32_t wp_draw_negative(const wp_train_model *model, wp_train_state *state);

/// Returns 1 when the fast (AVX2 + FMA) kernels are in use.
int32_t wp_kernels_vectorized(void);

#ifdef __cplusplus
}
#endif
#endif
