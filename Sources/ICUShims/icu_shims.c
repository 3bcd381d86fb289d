// ICUShims implementation: thin, allocation-free wrappers over ICU's C API.
#include "icu_shims.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uclean.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>

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
};

wp_breaker *wp_breaker_open(int32_t kind, const char *locale, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    UBreakIteratorType type = kind == WP_BREAK_SENTENCE ? UBRK_SENTENCE : UBRK_WORD;
    UBreakIterator *iterator = ubrk_open(type, locale, NULL, 0, &error);
    *status = (int32_t)error;
    if (U_FAILURE(error)) return NULL;
    wp_breaker *breaker = malloc(sizeof(wp_breaker));
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
    free(breaker);
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
