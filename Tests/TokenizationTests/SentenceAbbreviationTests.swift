import Foundation
import Testing
import TestSupport
@testable import Tokenization

/// Sentences do not end after a locale's known abbreviations (ICU's `ss=standard`
/// suppressions plus `Abbreviations.more`), and an unknown locale is an error.
@Suite struct SentenceAbbreviationTests {
    static func sentences(_ text: String, locale: String, abbreviations: Bool = true) throws -> [[String]] {
        try Tokenizer(configuration: TokenizerConfiguration(punctuation: .keep, locale: locale, abbreviations: abbreviations)).tokenize(text)
    }

    @Test func titlesKeepTheSentenceGoingInEnglish() throws {
        let text = "Dr. Smith met Mr. Jones and Gen. Lee in the U.S. Army. They left."
        #expect(try Self.sentences(text, locale: "en").count == 2)
        #expect(try Self.sentences(text, locale: "en-GB").count == 2)
        // Without suppressions ICU ends a sentence after Dr., Mr., Gen. and U.S.
        #expect(try Self.sentences(text, locale: "en", abbreviations: false).count == 6)
        // The root locale has no list: as before.
        #expect(try Self.sentences(text, locale: "").count == 6)
        // A real sentence end after an abbreviation at the end of a line stays one.
        #expect(try Self.sentences("He saw Dr.\nThen he left.", locale: "en").count == 2)
    }

    @Test func germanUsesICUsList() throws {
        // "Nr." and "bzw." are in CLDR's German list.
        #expect(try Self.sentences("Er wohnt in Haus Nr. Fünf. Dann ging er.", locale: "de").count == 2)
        #expect(try Self.sentences("Er wohnt in Haus Nr. Fünf. Dann ging er.", locale: "de", abbreviations: false).count == 3)
    }

    @Test func rulesVersionOneHadNoSuppressions() throws {
        let old = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(#"{"version": 1, "locale": "en"}"#.utf8))
        #expect(!old.abbreviations)
        let current = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(#"{"locale": "en"}"#.utf8))
        #expect(current.abbreviations && current.version == 2)
        let roundTrip = try JSONDecoder().decode(TokenizerConfiguration.self, from: JSONEncoder().encode(old))
        #expect(roundTrip == old)
    }

    @Test(arguments: ["xx-bogus", "zz", "en_US!", "qaa"])
    func unknownLocalesAreErrors(_ tag: String) throws {
        #expect(throws: TokenizationError.self) { try Locales.check(tag) }
        #expect(throws: TokenizationError.self) { try Tokenizer(configuration: TokenizerConfiguration(locale: tag)) }
    }

    @Test(arguments: ["", "root", "en", "en-US", "de-CH", "zh-Hant", "th", "sr-Latn", "pt-BR"])
    func knownLocalesPass(_ tag: String) throws {
        _ = try Locales.check(tag)
        #expect(Locales.available.contains("en") && Locales.available.count > 100)
    }

    /// Real abbreviations from the English Wikipedia sample: every line with a title or
    /// abbreviation before a capitalized word (`Gen. Lee`, `Dr. Anderson`, `U.S. Army`).
    /// With `en`, no sentence ends on one of them; without the suppressions, many do.
    @Test(.enabled(if: SharedData.exists("corpora/enwiki-2015/AA/wiki_00"), SharedData.missing("corpora/enwiki-2015/AA/wiki_00")))
    func wikipediaAbbreviationsDoNotEndSentences() throws {
        let words = ["Dr", "Mr", "Mrs", "Gen", "St", "Lt", "Sen", "Mt", "Prof", "Gov", "U.S"]
        let pattern = try NSRegularExpression(pattern: #"(^|[\s(])(Dr|Mr|Mrs|Gen|St|Lt|Sen|Mt|Prof|Gov|U\.S)\. [A-Z]"#)
        var lines: [String] = []
        for file in ["wiki_00", "wiki_01"] {
            let text = try String(contentsOfFile: SharedData.path("corpora/enwiki-2015/AA/\(file)"), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("<") {
                let string = String(line)
                if pattern.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil { lines.append(string) }
            }
        }
        #expect(lines.count >= 100, "found only \(lines.count) lines with abbreviations")
        /// The sentences that end on an abbreviation (its word, then ".").
        func endingOnAbbreviation(_ abbreviations: Bool) throws -> Int {
            let tokenizer = try Tokenizer(configuration: TokenizerConfiguration(punctuation: .keep, locale: "en", abbreviations: abbreviations))
            var count = 0
            for line in lines {
                for sentence in try tokenizer.tokenize(line) {
                    let tail = sentence.suffix(2)
                    if tail.count == 2, tail.last == ".", words.contains(tail.first ?? "") { count += 1 }
                    if let last = sentence.last, last == "U.S." || last == "U.S" { count += 1 }
                }
            }
            return count
        }
        let without = try endingOnAbbreviation(false)
        let with = try endingOnAbbreviation(true)
        #expect(without >= 100, "ICU alone ends \(without) sentences on an abbreviation")
        #expect(with == 0, "\(with) sentences still end on an abbreviation")
    }
}
