// ICUShims: the only place WordPipe calls ICU.
//
// Why a C target: ICU's C headers cannot be imported into a Swift module that also sees
// Foundation on Linux (Foundation carries its own ICU with the same C enums), and Debian's
// ICU renames every function (`ubrk_open` is `ubrk_open_72`) through macros Swift cannot see.
// This header therefore holds plain C types only: UTF-16 buffers as `uint16_t`, opaque handles,
// and ICU's `UErrorCode` as an `int32_t` (0 = success, > 0 = failure, 15 = buffer overflow).
#ifndef WORDPIPE_ICU_SHIMS_H
#define WORDPIPE_ICU_SHIMS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// ICU's U_BUFFER_OVERFLOW_ERROR: the destination was too small; the return value is the size needed.
#define WP_ICU_BUFFER_OVERFLOW 15

/// Returns ICU's name for a status code (never NULL).
const char *wp_icu_error_name(int32_t status);

/// Returns the ICU version string, e.g. "72.1".
void wp_icu_version(char *buffer, int32_t capacity);

// MARK: - Break iteration (UAX #29 via ubrk)

/// An ICU break iterator. Not thread-safe: one per thread.
typedef struct wp_breaker wp_breaker;

/// Kinds of break iterator.
enum { WP_BREAK_WORD = 0, WP_BREAK_SENTENCE = 1 };

/// Opens a word or sentence break iterator for `locale` ("" = root). Word iterators follow
/// UAX #29 exactly: ICU's rules without CLDR's colon tailoring (see word_rules.cpp).
wp_breaker *wp_breaker_open(int32_t kind, const char *locale, int32_t *status);
/// Opens a sentence break iterator for the ICU locale `identifier` ("" = root). With
/// `suppress`, no sentence ends after the locale's standard abbreviations (ICU's `ss=standard`
/// suppressions, where the locale has them) nor after `abbreviations`: words (such as `Dr.`,
/// `U.S.`) each followed by one space, `abbreviations_length` UTF-16 units in all (0: none).
wp_breaker *wp_breaker_open_sentences(const char *identifier, int32_t suppress, const uint16_t *abbreviations,
                                      int32_t abbreviations_length, int32_t *status);
void wp_breaker_close(wp_breaker *breaker);

/// Results of `wp_locale_check`.
enum { WP_LOCALE_OK = 0, WP_LOCALE_MALFORMED = 1, WP_LOCALE_UNKNOWN_LANGUAGE = 2 };

/// Checks a BCP 47 tag ("" and "root" are the root locale): writes ICU's locale identifier
/// (`de-CH` -> `de_CH`) and the language subtag. Malformed when the tag does not parse whole;
/// unknown language when ICU has no locale data for its language at all.
int32_t wp_locale_check(const char *tag, char *identifier, int32_t capacity, char *language, int32_t language_capacity);
/// The number of locales ICU has data for, and the BCP 47 tag of one of them (its length; 0
/// when it does not fit).
int32_t wp_available_locale_count(void);
int32_t wp_available_locale_tag(int32_t index, char *tag, int32_t capacity);

/// Segments `text` (UTF-16, `length` units). For segment i, writes its end offset to `ends[i]`
/// and, when `statuses` is not NULL, the break rule status of the segment (UBRK_WORD_* values:
/// 0-99 none, 100-199 number, 200-299 letter, 300-399 kana, 400-499 ideographic) to
/// `statuses[i]`. Segment i starts at `ends[i-1]` (or 0). `capacity` must be >= `length`.
/// Returns the number of segments. The breaker keeps no reference to `text` after the call.
int32_t wp_breaker_segments(wp_breaker *breaker, const uint16_t *text, int32_t length,
                            int32_t *ends, int32_t *statuses, int32_t capacity, int32_t *status);

/// Token rules for `wp_breaker_write_tokens`.
enum {
    WP_POLICY_KEEP = 0,   ///< keep the token as written
    WP_POLICY_TOKEN = 1,  ///< replace it with a placeholder
    WP_POLICY_DROP = 2,   ///< leave it out
};

/// A protected span (URL or e-mail address) found before word breaking: [start, end) in
/// UTF-16 units, `kind` 0 for a URL and 1 for an e-mail address.
typedef struct wp_span {
    int32_t start;
    int32_t end;
    int32_t kind;
} wp_span;

/// Word-breaks `text` and writes its tokens as UTF-8 to `output`, separated by one space,
/// with a trailing newline when `terminate` is non-zero and at least one token was written.
///
/// Rule status decides: status < 100 (punctuation, space) is dropped unless
/// `keepPunctuation`, and white space never becomes a token; 100-199 (numbers) follows
/// `numbers`; any word segment overlapping a span is replaced by the span, once, following
/// `urls` (`<url>`/`<email>` placeholders). `spans` must be sorted and disjoint.
/// `output` must hold at least `3 * length + 8 * (length + 1) + 2` bytes.
/// Returns the number of bytes written; `*tokens` receives the number of tokens.
int32_t wp_breaker_write_tokens(wp_breaker *breaker, const uint16_t *text, int32_t length,
                                const wp_span *spans, int32_t spanCount,
                                int32_t keepPunctuation, int32_t numbers, int32_t urls, int32_t terminate,
                                uint8_t *output, int32_t *tokens, int32_t *status);

/// Returns the index of the first unit at or after `start` that is ':', '@', 'w' or 'W' (where
/// a URL or e-mail address could be anchored), or `length` if there is none. SSE2 when
/// available, 8 units per compare.
int32_t wp_find_link_anchor(const uint16_t *text, int32_t start, int32_t length);

/// Returns 1 when every unit of `text` is ASCII (< 0x80), else 0. SSE2 when available.
int32_t wp_is_ascii(const uint16_t *text, int32_t length);

// MARK: - Normalization (Normalizer2)

/// Normalization forms.
enum {
    WP_NORM_NFC = 0,
    WP_NORM_NFKC = 1,
    WP_NORM_NFKC_CASEFOLD = 2,
    WP_NORM_NFD = 3,
    WP_NORM_NFKD = 4,
};

/// Normalizes `source` into `destination`. Returns the normalized length; when it exceeds
/// `capacity`, `*status` is WP_ICU_BUFFER_OVERFLOW and nothing useful was written.
int32_t wp_normalize(int32_t form, const uint16_t *source, int32_t length,
                     uint16_t *destination, int32_t capacity, int32_t *status);

/// Returns the length of the prefix of `source` that is already in `form` (quick check "yes").
int32_t wp_normalized_prefix_length(int32_t form, const uint16_t *source, int32_t length, int32_t *status);

// MARK: - Case mapping and transliteration

/// Full lowercase mapping for `locale` (u_strToLower): Turkish dotted i, Greek final sigma, ...
int32_t wp_to_lower(const char *locale, const uint16_t *source, int32_t length,
                    uint16_t *destination, int32_t capacity, int32_t *status);

/// An ICU transliterator. Not thread-safe: one per thread.
typedef struct wp_transliterator wp_transliterator;

/// Opens a transliterator from an ICU rule id such as "NFD; [:Nonspacing Mark:] Remove; NFC".
wp_transliterator *wp_transliterator_open(const uint16_t *id, int32_t idLength, int32_t *status);
void wp_transliterator_close(wp_transliterator *transliterator);

/// Transliterates `buffer` in place. `*length` is updated; if the result would exceed
/// `capacity`, `*status` is WP_ICU_BUFFER_OVERFLOW and `*length` holds the size needed.
void wp_transliterate(wp_transliterator *transliterator, uint16_t *buffer, int32_t *length,
                      int32_t capacity, int32_t *status);

// MARK: - UTF conversion

/// UTF-8 to UTF-16; ill-formed sequences become U+FFFD and are counted in `*substitutions`.
int32_t wp_utf8_to_utf16(const char *source, int32_t length, uint16_t *destination,
                         int32_t capacity, int32_t *substitutions, int32_t *status);

#ifdef __cplusplus
}
#endif
#endif
