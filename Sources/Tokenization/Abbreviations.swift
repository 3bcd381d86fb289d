/// Abbreviations after which no sentence ends, beyond ICU's standard suppressions.
///
/// ICU's English list (CLDR's `exceptions/SentenceBreak`) has `Mr.`, `Mrs.`, `Ms.`, `Prof.`,
/// `Capt.` and `Col.` but not `Dr.`, `Gen.` or `St.`; and its `U.S.` (an entry with an inner dot)
/// does not keep `the U.S. Army` whole in ICU 72. These fill the gaps for the titles and
/// abbreviations that, in the English Wikipedia sample of `../shared/data`, stand before a
/// capitalized word far more often than at the end of a sentence. Abbreviations that often end
/// a sentence (`Inc.`, `Co.`, `Jr.`, `etc.`) are left out, as CLDR leaves them out.
public enum Abbreviations {
    /// By language subtag.
    public static let more: [String: [String]] = [
        "en": [
            // Titles and ranks, always before a name.
            "Dr.", "Drs.", "Gen.", "Lt.", "Gov.", "Sen.", "Hon.", "Fr.", "Pres.", "Adm.", "Cpl.", "Cmdr.",
            "Supt.", "Insp.", "Messrs.", "St.", "Mt.", "Ft.",
            // With inner dots, matched by WordPipe itself (see `wp_breaker_open_sentences`).
            "U.S.", "U.K.", "U.N.", "e.g.", "i.e.", "a.k.a.",
        ],
    ]
}
