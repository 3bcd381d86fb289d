// Declarations shared by the shim's C and C++ files (ICU types allowed: not a public header).
#ifndef WORDPIPE_ICU_SHIMS_INTERNAL_H
#define WORDPIPE_ICU_SHIMS_INTERNAL_H
#include <unicode/ubrk.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens a word break iterator with ICU's rules for `locale`, minus CLDR's colon tailoring,
/// so that it follows UAX #29 exactly. The caller owns the result (ubrk_close).
UBreakIterator *wp_open_uax29_word_iterator(const char *locale, UErrorCode *status);

#ifdef __cplusplus
}
#endif
#endif
