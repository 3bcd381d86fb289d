// CountingKernels: the hot loop of vocabulary counting, in C.
//
// A token-count table keyed by byte strings (open addressing, linear probing, keys kept in one
// arena), and a scanner that splits a buffer of tokenized text (tokens separated by spaces,
// tabs or line ends) and counts every token. Swift wraps it in `TokenCounts`; one table per
// thread, merged at the end.
#ifndef WORDPIPE_COUNTING_KERNELS_H
#define WORDPIPE_COUNTING_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A count table. Not thread-safe: one per thread.
typedef struct wp_count_table wp_count_table;

/// Creates an empty table; NULL when out of memory.
wp_count_table *wp_count_table_create(void);
void wp_count_table_destroy(wp_count_table *table);

/// Number of distinct keys.
int64_t wp_count_table_size(const wp_count_table *table);

/// Adds `count` to the key `bytes[0..<length]`. Returns 0, or -1 when out of memory.
int wp_count_table_add(wp_count_table *table, const uint8_t *bytes, int32_t length, int64_t count);

/// Returns the count of a key (0 if absent).
int64_t wp_count_table_get(const wp_count_table *table, const uint8_t *bytes, int32_t length);

/// What a scanned buffer held besides well-formed tokens.
typedef struct {
    /// Tokens (occurrences) that are not valid UTF-8, and their ill-formed sequences (each one
    /// U+FFFD when decoded, by the Unicode "maximal subpart" practice that Swift and ICU follow).
    int64_t invalid_tokens;
    int64_t invalid_sequences;
    /// The byte offset in the buffer of the first such token, or -1.
    int64_t first_invalid;
    /// Tokens holding a NUL byte, and the offset of the first, or -1.
    int64_t nul_tokens;
    int64_t first_nul;
} wp_text_issues;

/// Splits `buffer` into tokens at ' ', '\t', '\r', '\n' and counts each one. Adds the number
/// of tokens to `*tokens` and the number of '\n' to `*lines`, and sets `*issues` (when not
/// NULL) to the buffer's tokens that are not valid UTF-8 or hold a NUL byte. Each key is
/// checked once, when the table first stores it, and remembers the result, so the check
/// costs nothing per token. Returns 0, or -1 when out of memory. Tokens longer than 65,535
/// bytes are cut to that length (which can cut a character).
int wp_count_table_scan(wp_count_table *table, const uint8_t *buffer, size_t length, int64_t *tokens, int64_t *lines,
                        wp_text_issues *issues);

/// The number of ill-formed UTF-8 sequences in `bytes` (each one U+FFFD when decoded, as
/// above); sets `*has_nul` to 1 (when not NULL) if a NUL byte occurs.
int64_t wp_utf8_invalid_sequences(const uint8_t *bytes, size_t length, int *has_nul);

/// Writes to `slots` the slots of the keys whose count is >= `minimum`, most frequent first and
/// equal counts by their bytes, ascending (unsigned; a key before its extensions). `slots` holds
/// at least `wp_count_table_size(table)` entries. Returns how many were written, or -1 when out
/// of memory.
int64_t wp_count_table_sorted_slots(const wp_count_table *table, int64_t minimum, int64_t *slots);

/// Adds every key and count of `other` into `table`. Returns 0, or -1 when out of memory.
int wp_count_table_merge(wp_count_table *table, const wp_count_table *other);

/// Removes every key whose count is <= `floor` (word2vec's ReduceVocab). Returns the number
/// of keys removed, or -1 when out of memory.
int64_t wp_count_table_prune(wp_count_table *table, int64_t floor);

/// Visits the entries: for i in 0..<capacity, returns 1 and sets the outputs when slot i is
/// used, 0 when it is empty. Keys stay valid until the table changes.
int64_t wp_count_table_capacity(const wp_count_table *table);
int wp_count_table_entry(const wp_count_table *table, int64_t slot, const uint8_t **bytes, int32_t *length, int64_t *count);

// Pairs of adjacent tokens (bigrams), for phrase detection (`wordpipe phrases`).
//
// A pair is stored in an ordinary count table under the key "a b": the two tokens joined by
// one space. Tokens never hold a space, so the key is unambiguous. Each token is first cut to
// 65,535 bytes, as the scanners do, and the key itself to 65,535 bytes.

/// Counts the tokens of `buffer` into `unigrams` (as `wp_count_table_scan`) and every pair of
/// adjacent tokens on the same line into `bigrams`. A line ends at '\n'; the end of the buffer
/// also ends the last pair. `context` (may be NULL) is the last token of the previous chunk
/// when `buffer` continues that chunk's line: it is not counted again, only used as the left
/// token of the pair it forms with the buffer's first token (unless the buffer starts with a
/// line end). Adds the tokens counted to `*tokens` and the '\n' seen to `*lines`. Returns 0, or
/// -1 when out of memory.
int wp_count_table_scan_pairs(wp_count_table *unigrams, wp_count_table *bigrams, const uint8_t *context,
                              int32_t context_length, const uint8_t *buffer, size_t length, int64_t *tokens,
                              int64_t *lines);

/// Returns the count of the pair key "a b" (0 if absent).
int64_t wp_count_table_get_pair(const wp_count_table *table, const uint8_t *a, int32_t a_length, const uint8_t *b,
                                int32_t b_length);

/// Adds `count` to the pair key "a b". Returns 0, or -1 when out of memory.
int wp_count_table_add_pair(wp_count_table *table, const uint8_t *a, int32_t a_length, const uint8_t *b,
                            int32_t b_length, int64_t count);

#ifdef __cplusplus
}
#endif
#endif
