// The UAX #29 word rules, compiled once from ICU's own rules.
//
// ICU's root word rules carry one CLDR tailoring: COLON (and its small and full-width forms)
// is taken out of MidLetter, so "a:b" breaks into three segments where UAX #29 (and Lucene's
// StandardTokenizer) keep one word. WordPipe follows UAX #29 exactly: we take the rule source
// ICU stores inside its compiled break data (RuleBasedBreakIterator::getRules), restore the
// standard MidLetter set, and compile it. Everything else, including the dictionary set for
// CJK and South-East Asian scripts and the rule statuses, stays as ICU ships it.
#include "icu_shims_internal.h"

#include <mutex>
#include <unicode/brkiter.h>
#include <unicode/rbbi.h>
#include <unicode/ubrk.h>

using namespace icu;

namespace {
const char16_t kTailoredMidLetter[] = u"$MidLetter=[\\p{Word_Break=MidLetter}-[\\:\\uFE55\\uFF1A]];";
const char16_t kStandardMidLetter[] = u"$MidLetter=[\\p{Word_Break=MidLetter}];";
}  // namespace

extern "C" UBreakIterator *wp_open_uax29_word_iterator(const char *locale, UErrorCode *status) {
    if (U_FAILURE(*status)) return nullptr;
    LocalPointer<BreakIterator> stock(BreakIterator::createWordInstance(Locale(locale), *status));
    if (U_FAILURE(*status)) return nullptr;
    auto *rules = dynamic_cast<RuleBasedBreakIterator *>(stock.getAlias());
    if (rules == nullptr) return reinterpret_cast<UBreakIterator *>(stock.orphan());
    UnicodeString source = rules->getRules();
    UnicodeString tailored(kTailoredMidLetter);
    if (source.indexOf(tailored) < 0) {
        // Rules of another shape (another ICU or locale): use them as they are.
        return reinterpret_cast<UBreakIterator *>(stock.orphan());
    }
    source.findAndReplace(tailored, UnicodeString(kStandardMidLetter));
    UParseError parseError;
    LocalPointer<RuleBasedBreakIterator> standard(new RuleBasedBreakIterator(source, parseError, *status), *status);
    if (U_FAILURE(*status)) return nullptr;
    return reinterpret_cast<UBreakIterator *>(standard.orphan());
}
