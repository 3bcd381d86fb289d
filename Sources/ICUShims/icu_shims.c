// ICUShims implementation: thin, allocation-free wrappers over ICU's C API.
#include "icu_shims.h"
#include "icu_shims_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uclean.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

const char *wp_icu_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

void wp_icu_version(char *buffer, int32_t capacity) {
    UVersionInfo info;
    char text[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(info);
    u_versionToString(info, text);
    if (capacity > 0) {
        strncpy(buffer, text, (size_t)capacity - 1);
        buffer[capacity - 1] = 0;
    }
}

struct wp_breaker {
    UBreakIterator *iterator;
    int32_t kind;
    /// Sentence iterators: abbreviations after which no sentence ends, as one UTF-16 buffer of
    /// words each followed by a space (NULL: none).
    uint16_t *abbreviations;
    int32_t abbreviations_length;
};

int32_t wp_locale_check(const char *tag, char *identifier, int32_t capacity, char *language, int32_t language_capacity) {
    if (capacity < 2 || language_capacity < 2) return WP_LOCALE_MALFORMED;
    identifier[0] = 0;
    language[0] = 0;
    if (tag[0] == 0 || strcmp(tag, "root") == 0) return WP_LOCALE_OK;
    UErrorCode error = U_ZERO_ERROR;
    int32_t parsed = 0;
    int32_t length = uloc_forLanguageTag(tag, identifier, capacity, &parsed, &error);
    if (U_FAILURE(error) || error == U_STRING_NOT_TERMINATED_WARNING || length >= capacity || parsed != (int32_t)strlen(tag)) {
        identifier[0] = 0;
        return WP_LOCALE_MALFORMED;
    }
    error = U_ZERO_ERROR;
    int32_t language_length = uloc_getLanguage(identifier, language, language_capacity, &error);
    if (U_FAILURE(error) || language_length == 0 || language_length >= language_capacity) return WP_LOCALE_MALFORMED;
    // Known: some locale ICU has data for has this language (else break rules and case mapping
    // would fall back to the root locale without a word).
    int32_t available = uloc_countAvailable();
    for (int32_t index = 0; index < available; index++) {
        const char *other = uloc_getAvailable(index);
        size_t size = strlen(language);
        if (strncmp(other, language, size) == 0 && (other[size] == 0 || other[size] == '_')) return WP_LOCALE_OK;
    }
    return WP_LOCALE_UNKNOWN_LANGUAGE;
}

int32_t wp_available_locale_count(void) { return uloc_countAvailable(); }

int32_t wp_available_locale_tag(int32_t index, char *tag, int32_t capacity) {
    if (index < 0 || index >= uloc_countAvailable() || capacity < 1) return 0;
    UErrorCode error = U_ZERO_ERROR;
    int32_t length = uloc_toLanguageTag(uloc_getAvailable(index), tag, capacity, 0, &error);
    if (U_FAILURE(error) || length >= capacity) { tag[0] = 0; return 0; }
    tag[length] = 0;
    return length;
}

/// Opens ICU's sentence iterator for the ICU locale `identifier`; with `suppress`, with the
/// locale's standard break suppressions (the `ss=standard` keyword).
static UBreakIterator *open_sentence_iterator(const char *identifier, int32_t suppress, UErrorCode *error) {
    if (!suppress) return ubrk_open(UBRK_SENTENCE, identifier, NULL, 0, error);
    char keyed[ULOC_FULLNAME_CAPACITY + 32];
    size_t size = strlen(identifier);
    if (size >= ULOC_FULLNAME_CAPACITY) {
        *error = U_ILLEGAL_ARGUMENT_ERROR;
        return NULL;
    }
    memcpy(keyed, size == 0 ? "root" : identifier, size == 0 ? 5 : size + 1);
    uloc_setKeywordValue("ss", "standard", keyed, (int32_t)sizeof(keyed), error);
    if (U_FAILURE(*error)) return NULL;
    return ubrk_open(UBRK_SENTENCE, keyed, NULL, 0, error);
}

wp_breaker *wp_breaker_open_sentences(const char *identifier, int32_t suppress, const uint16_t *abbreviations,
                                      int32_t abbreviations_length, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UBreakIterator *iterator = open_sentence_iterator(identifier, suppress, &error);
    *status = (int32_t)error;
    if (U_FAILURE(error)) return NULL;
    wp_breaker *breaker = calloc(1, sizeof(wp_breaker));
    uint16_t *copy = NULL;
    if (abbreviations_length > 0) copy = malloc(sizeof(uint16_t) * (size_t)abbreviations_length);
    if (breaker == NULL || (abbreviations_length > 0 && copy == NULL)) {
        ubrk_close(iterator);
        free(breaker);
        free(copy);
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    if (copy != NULL) memcpy(copy, abbreviations, sizeof(uint16_t) * (size_t)abbreviations_length);
    breaker->iterator = iterator;
    breaker->kind = WP_BREAK_SENTENCE;
    breaker->abbreviations = copy;
    breaker->abbreviations_length = copy == NULL ? 0 : abbreviations_length;
    return breaker;
}

wp_breaker *wp_breaker_open(int32_t kind, const char *locale, int32_t *status) {
    if (kind == WP_BREAK_SENTENCE) return wp_breaker_open_sentences(locale, 0, NULL, 0, status);
    UErrorCode error = U_ZERO_ERROR;
    UBreakIterator *iterator = wp_open_uax29_word_iterator(locale, &error);
    *status = (int32_t)error;
    if (U_FAILURE(error)) return NULL;
    wp_breaker *breaker = calloc(1, sizeof(wp_breaker));
    if (breaker == NULL) {
        ubrk_close(iterator);
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    breaker->iterator = iterator;
    breaker->kind = kind;
    return breaker;
}

void wp_breaker_close(wp_breaker *breaker) {
    if (breaker == NULL) return;
    ubrk_close(breaker->iterator);
    free(breaker->abbreviations);
    free(breaker);
}

static inline int is_white_space_unit(uint16_t unit);

/// Whether the sentence that ends at `end` ends in one of the breaker's abbreviations (after
/// trailing white space): the abbreviation preceded by the start of the text, white space or
/// an opening bracket or quote.
static int ends_in_abbreviation(const wp_breaker *breaker, const uint16_t *text, int32_t end) {
    int32_t last = end;
    while (last > 0 && is_white_space_unit(text[last - 1])) {
        uint16_t unit = text[last - 1];
        // A line or paragraph end stays a sentence end.
        if (unit == 0x0A || unit == 0x0B || unit == 0x0C || unit == 0x0D || unit == 0x85 || unit == 0x2028 || unit == 0x2029) return 0;
        last--;
    }
    if (last == end || last == 0 || text[last - 1] != '.') return 0;
    const uint16_t *list = breaker->abbreviations;
    int32_t index = 0;
    while (index < breaker->abbreviations_length) {
        int32_t start = index;
        while (index < breaker->abbreviations_length && list[index] != ' ') index++;
        int32_t size = index - start;
        index++;  // the space
        if (size == 0 || size > last) continue;
        if (memcmp(text + last - size, list + start, sizeof(uint16_t) * (size_t)size) != 0) continue;
        int32_t before = last - size;
        if (before == 0) return 1;
        uint16_t unit = text[before - 1];
        if (is_white_space_unit(unit) || unit == '(' || unit == '[' || unit == '"' || unit == '\'' || unit == 0x201C || unit == 0x2018) return 1;
    }
    return 0;
}

int32_t wp_breaker_segments(wp_breaker *breaker, const uint16_t *text, int32_t length,
                            int32_t *ends, int32_t *statuses, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    static const UChar empty[1] = {0};
    if (capacity < length) {
        *status = (int32_t)U_ILLEGAL_ARGUMENT_ERROR;
        return 0;
    }
    ubrk_setText(breaker->iterator, length > 0 ? (const UChar *)text : empty, length, &error);
    if (U_FAILURE(error)) {
        *status = (int32_t)error;
        return 0;
    }
    int32_t count = 0;
    UBreakIterator *iterator = breaker->iterator;
    if (statuses != NULL) {
        for (int32_t end = ubrk_next(iterator); end != UBRK_DONE; end = ubrk_next(iterator)) {
            ends[count] = end;
            statuses[count] = ubrk_getRuleStatus(iterator);
            count++;
        }
    } else if (breaker->abbreviations != NULL) {
        // No sentence ends after one of the abbreviations: its end is dropped, so the sentence
        // runs on to the next end.
        for (int32_t end = ubrk_next(iterator); end != UBRK_DONE; end = ubrk_next(iterator)) {
            if (end < length && ends_in_abbreviation(breaker, text, end)) continue;
            ends[count++] = end;
        }
    } else {
        for (int32_t end = ubrk_next(iterator); end != UBRK_DONE; end = ubrk_next(iterator)) {
            ends[count++] = end;
        }
    }
    // Detach from the caller's buffer, which may be freed or reused.
    ubrk_setText(iterator, empty, 0, &error);
    *status = (int32_t)U_ZERO_ERROR;
    return count;
}

static inline int is_white_space_unit(uint16_t unit) {
    switch (unit) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x2060: case 0x3000: case 0xFEFF:
        return 1;
    default:
        return unit >= 0x2000 && unit <= 0x200D;
    }
}

/// Appends text[start, end) as UTF-8; unpaired surrogates become U+FFFD.
static inline uint8_t *write_utf8(uint8_t *out, const uint16_t *text, int32_t start, int32_t end) {
    int32_t i = start;
    while (i < end) {
        uint32_t unit = text[i++];
        if (unit < 0x80) {
            *out++ = (uint8_t)unit;
        } else if (unit < 0x800) {
            *out++ = (uint8_t)(0xC0 | (unit >> 6));
            *out++ = (uint8_t)(0x80 | (unit & 0x3F));
        } else if ((unit & 0xFC00) == 0xD800 && i < end && (text[i] & 0xFC00) == 0xDC00) {
            uint32_t scalar = 0x10000 + ((unit - 0xD800) << 10) + (uint32_t)(text[i++] - 0xDC00);
            *out++ = (uint8_t)(0xF0 | (scalar >> 18));
            *out++ = (uint8_t)(0x80 | ((scalar >> 12) & 0x3F));
            *out++ = (uint8_t)(0x80 | ((scalar >> 6) & 0x3F));
            *out++ = (uint8_t)(0x80 | (scalar & 0x3F));
        } else if ((unit & 0xF800) == 0xD800) {
            *out++ = 0xEF;
            *out++ = 0xBF;
            *out++ = 0xBD;
        } else {
            *out++ = (uint8_t)(0xE0 | (unit >> 12));
            *out++ = (uint8_t)(0x80 | ((unit >> 6) & 0x3F));
            *out++ = (uint8_t)(0x80 | (unit & 0x3F));
        }
    }
    return out;
}

static inline uint8_t *write_bytes(uint8_t *out, const char *bytes) {
    while (*bytes) *out++ = (uint8_t)*bytes++;
    return out;
}

int32_t wp_breaker_write_tokens(wp_breaker *breaker, const uint16_t *text, int32_t length,
                                const wp_span *spans, int32_t spanCount,
                                int32_t keepPunctuation, int32_t numbers, int32_t urls, int32_t terminate,
                                uint8_t *output, int32_t *tokens, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    static const UChar empty[1] = {0};
    UBreakIterator *iterator = breaker->iterator;
    *tokens = 0;
    ubrk_setText(iterator, length > 0 ? (const UChar *)text : empty, length, &error);
    if (U_FAILURE(error)) {
        *status = (int32_t)error;
        return 0;
    }
    uint8_t *out = output;
    int32_t count = 0;
    int32_t spanIndex = 0;
    int32_t emittedSpan = -1;
    int32_t start = 0;
    for (int32_t end = ubrk_next(iterator); end != UBRK_DONE; start = end, end = ubrk_next(iterator)) {
        while (spanIndex < spanCount && spans[spanIndex].end <= start) spanIndex++;
        if (spanIndex < spanCount && spans[spanIndex].start < end) {
            if (emittedSpan != spanIndex && urls != WP_POLICY_DROP) {
                if (count > 0) *out++ = ' ';
                if (urls == WP_POLICY_KEEP) {
                    out = write_utf8(out, text, spans[spanIndex].start, spans[spanIndex].end);
                } else {
                    out = write_bytes(out, spans[spanIndex].kind == 1 ? "<email>" : "<url>");
                }
                count++;
            }
            emittedSpan = spanIndex;
            continue;
        }
        int32_t rule = ubrk_getRuleStatus(iterator);
        if (rule < UBRK_WORD_NONE_LIMIT) {
            if (!keepPunctuation) continue;
            int32_t i = start;
            while (i < end && is_white_space_unit(text[i])) i++;
            if (i == end) continue;
        } else if (rule < UBRK_WORD_NUMBER_LIMIT && numbers != WP_POLICY_KEEP) {
            if (numbers == WP_POLICY_DROP) continue;
            if (count > 0) *out++ = ' ';
            out = write_bytes(out, "<num>");
            count++;
            continue;
        }
        if (count > 0) *out++ = ' ';
        out = write_utf8(out, text, start, end);
        count++;
    }
    ubrk_setText(iterator, empty, 0, &error);
    if (count > 0 && terminate) *out++ = '\n';
    *tokens = count;
    *status = (int32_t)U_ZERO_ERROR;
    return (int32_t)(out - output);
}

int32_t wp_find_link_anchor(const uint16_t *text, int32_t start, int32_t length) {
    int32_t i = start;
#if defined(__SSE2__)
    const __m128i colon = _mm_set1_epi16(0x3A), at = _mm_set1_epi16(0x40);
    const __m128i w = _mm_set1_epi16(0x77), caseBit = _mm_set1_epi16(0x20);
    for (; i + 8 <= length; i += 8) {
        __m128i units = _mm_loadu_si128((const __m128i *)(text + i));
        __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(units, colon), _mm_cmpeq_epi16(units, at)),
                                    _mm_cmpeq_epi16(_mm_or_si128(units, caseBit), w));
        int mask = _mm_movemask_epi8(hits);
        if (mask != 0) return i + __builtin_ctz((unsigned)mask) / 2;
    }
#endif
    for (; i < length; i++) {
        uint16_t unit = text[i];
        if (unit == 0x3A || unit == 0x40 || (unit | 0x20) == 0x77) return i;
    }
    return length;
}

int32_t wp_is_ascii(const uint16_t *text, int32_t length) {
    int32_t i = 0;
#if defined(__SSE2__)
    const __m128i high = _mm_set1_epi16((short)0xFF80);
    __m128i any = _mm_setzero_si128();
    for (; i + 8 <= length; i += 8) {
        any = _mm_or_si128(any, _mm_and_si128(_mm_loadu_si128((const __m128i *)(text + i)), high));
    }
    if (_mm_movemask_epi8(_mm_cmpeq_epi16(any, _mm_setzero_si128())) != 0xFFFF) return 0;
#endif
    for (; i < length; i++) {
        if (text[i] >= 0x80) return 0;
    }
    return 1;
}

static const UNormalizer2 *normalizer_for(int32_t form, UErrorCode *error) {
    switch (form) {
    case WP_NORM_NFC: return unorm2_getNFCInstance(error);
    case WP_NORM_NFKC: return unorm2_getNFKCInstance(error);
    case WP_NORM_NFKC_CASEFOLD: return unorm2_getNFKCCasefoldInstance(error);
    case WP_NORM_NFD: return unorm2_getNFDInstance(error);
    case WP_NORM_NFKD: return unorm2_getNFKDInstance(error);
    default: *error = U_ILLEGAL_ARGUMENT_ERROR; return NULL;
    }
}

int32_t wp_normalize(int32_t form, const uint16_t *source, int32_t length,
                     uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = normalizer_for(form, &error);
    if (U_FAILURE(error)) {
        *status = (int32_t)error;
        return 0;
    }
    int32_t result = unorm2_normalize(normalizer, (const UChar *)source, length,
                                      (UChar *)destination, capacity, &error);
    *status = (int32_t)error;
    return result;
}

int32_t wp_normalized_prefix_length(int32_t form, const uint16_t *source, int32_t length, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = normalizer_for(form, &error);
    if (U_FAILURE(error)) {
        *status = (int32_t)error;
        return 0;
    }
    int32_t result = unorm2_spanQuickCheckYes(normalizer, (const UChar *)source, length, &error);
    *status = (int32_t)error;
    return result;
}

int32_t wp_to_lower(const char *locale, const uint16_t *source, int32_t length,
                    uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t result = u_strToLower((UChar *)destination, capacity, (const UChar *)source, length, locale, &error);
    if (error == U_STRING_NOT_TERMINATED_WARNING) error = U_ZERO_ERROR;
    *status = (int32_t)error;
    return result;
}

struct wp_transliterator {
    UTransliterator *transliterator;
};

wp_transliterator *wp_transliterator_open(const uint16_t *id, int32_t idLength, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UTransliterator *transliterator = utrans_openU((const UChar *)id, idLength, UTRANS_FORWARD, NULL, 0, NULL, &error);
    *status = (int32_t)error;
    if (U_FAILURE(error)) return NULL;
    wp_transliterator *result = malloc(sizeof(wp_transliterator));
    if (result == NULL) {
        utrans_close(transliterator);
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    result->transliterator = transliterator;
    return result;
}

void wp_transliterator_close(wp_transliterator *transliterator) {
    if (transliterator == NULL) return;
    utrans_close(transliterator->transliterator);
    free(transliterator);
}

void wp_transliterate(wp_transliterator *transliterator, uint16_t *buffer, int32_t *length,
                      int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t limit = *length;
    utrans_transUChars(transliterator->transliterator, (UChar *)buffer, length, capacity, 0, &limit, &error);
    if (error == U_STRING_NOT_TERMINATED_WARNING) error = U_ZERO_ERROR;
    *status = (int32_t)error;
}

int32_t wp_utf8_to_utf16(const char *source, int32_t length, uint16_t *destination,
                         int32_t capacity, int32_t *substitutions, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t result = 0;
    u_strFromUTF8WithSub((UChar *)destination, capacity, &result, source, length, 0xFFFD, substitutions, &error);
    if (error == U_STRING_NOT_TERMINATED_WARNING) error = U_ZERO_ERROR;
    *status = (int32_t)error;
    return result;
}
