import Foundation
import TestSupport
@testable import Tokenization

/// The token rules, one row per behaviour: configuration, input, expected lines.
@Suite struct TokenizerTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var configuration: TokenizerConfiguration
        var input: String
        var expected: [[String]]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "punctuation dropped by default", configuration: .init(),
            input: "Hello, world! How are you?", expected: [["Hello", "world"], ["How", "are", "you"]]),
        Row(name: "punctuation kept, spaces never tokens", configuration: .init(punctuation: .keep),
            input: "Hi,  there…", expected: [["Hi", ",", "there", "…"]]),
        Row(name: "ICU keeps e.g, U.S.A, 3.14, can't whole", configuration: .init(),
            input: "e.g the U.S.A paid 3.14 and can't", expected: [["e.g", "the", "U.S.A", "paid", "3.14", "and", "can't"]]),
        Row(name: "numbers as <num>", configuration: .init(numbers: .token),
            input: "In 1999 it cost 3,500 dollars", expected: [["In", "<num>", "it", "cost", "<num>", "dollars"]]),
        Row(name: "numbers dropped", configuration: .init(numbers: .drop),
            input: "Route 66 east", expected: [["Route", "east"]]),
        Row(name: "URL kept whole", configuration: .init(),
            input: "See https://example.com/a/b?x=1&y=2 now", expected: [["See", "https://example.com/a/b?x=1&y=2", "now"]]),
        Row(name: "URL trailing punctuation left out", configuration: .init(),
            input: "Visit www.example.org/wiki/A_(b). Then", expected: [["Visit", "www.example.org/wiki/A_(b)"], ["Then"]]),
        Row(name: "URL and e-mail placeholders", configuration: .init(urls: .token),
            input: "Mail jane.doe@example.co.uk or see http://x.org/p", expected: [["Mail", "<email>", "or", "see", "<url>"]]),
        Row(name: "URL and e-mail dropped", configuration: .init(urls: .drop),
            input: "Mail jane@example.com now", expected: [["Mail", "now"]]),
        Row(name: "no sentences: one line per document", configuration: .init(sentences: false),
            input: "One. Two. Three.", expected: [["One", "Two", "Three"]]),
        Row(name: "NFKC folds compatibility forms", configuration: .init(normalize: .nfkc),
            input: "ﬁne Ｆｕｌｌ ①", expected: [["fine", "Full", "1"]]),
        Row(name: "NFKC_Casefold folds case and ß", configuration: .init(normalize: .nfkcCasefold),
            input: "Straße ÉCOLE", expected: [["strasse", "école"]]),
        Row(name: "Turkish lowercase: dotted and dotless i", configuration: .init(lowercase: true, locale: "tr"),
            input: "İSTANBUL IĞDIR", expected: [["istanbul", "ığdır"]]),
        Row(name: "root lowercase keeps the dot as a combining mark", configuration: .init(lowercase: true),
            input: "İ", expected: [["i\u{307}"]]),
        Row(name: "German lowercase keeps ß", configuration: .init(lowercase: true, locale: "de"),
            input: "STRAẞE Groß", expected: [["straße", "groß"]]),
        Row(name: "accents stripped", configuration: .init(stripAccents: true),
            input: "café naïve Ångström", expected: [["cafe", "naive", "Angstrom"]]),
        Row(name: "sentence break before case folding", configuration: .init(normalize: .nfkcCasefold),
            input: "It rained. The end.", expected: [["it", "rained"], ["the", "end"]]),
        Row(name: "Japanese through the dictionary", configuration: .init(),
            input: "日本語のテキストです。", expected: [["日本語", "の", "テキスト", "です"]]),
        Row(name: "empty and blank text", configuration: .init(), input: "  \t ", expected: []),
    ]

    @Test(arguments: rows)
    func rule(_ row: Row) throws {
        let tokenizer = try Tokenizer(configuration: row.configuration)
        #expect(try tokenizer.tokenize(row.input) == row.expected)
    }

    @Test func countsAreKept() throws {
        let tokenizer = try Tokenizer(configuration: TokenizerConfiguration())
        var output: [UInt8] = []
        try tokenizer.tokenize("A b. C d e.", into: &output)
        #expect(tokenizer.counts == { var c = TokenCounts(); c.documents = 1; c.sentences = 2; c.tokens = 5; return c }())
        #expect(String(decoding: output, as: UTF8.self) == "A b\nC d e\n")
    }

    @Test func unknownLocaleIsAnErrorButAnUnknownRegionFallsBackToTheLanguage() throws {
        // ICU would fall back to the root rules silently for a language it has no data for.
        #expect(throws: TokenizationError.unknownLocale(tag: "xx-YY", reason: "ICU has no data for the language 'xx'")) {
            try Tokenizer(configuration: TokenizerConfiguration(locale: "xx-YY"))
        }
        let tokenizer = try Tokenizer(configuration: TokenizerConfiguration(locale: "en-YY"))
        #expect(try tokenizer.tokenize("plain words") == [["plain", "words"]])
    }

    @Test func configurationDecodesDefaultsAndRejectsUnknownKeys() throws {
        let decoded = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(#"{"normalize":"nfkc-casefold"}"#.utf8))
        #expect(decoded == TokenizerConfiguration(normalize: .nfkcCasefold))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(#"{"normalise":"nfc"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(#"{"version":99}"#.utf8))
        }
        let roundTrip = try JSONDecoder().decode(TokenizerConfiguration.self,
                                                 from: JSONEncoder().encode(TokenizerConfiguration(lowercase: true, urls: .drop)))
        #expect(roundTrip == TokenizerConfiguration(lowercase: true, urls: .drop))
    }
}

/// URL and e-mail detection on its own.
@Suite struct TextSpanTests {
    static let rows: [(String, [String])] = [
        ("plain text, nothing here", []),
        ("go to http://a.b/c now", ["http://a.b/c"]),
        ("HTTPS://EXAMPLE.COM/X.", ["HTTPS://EXAMPLE.COM/X"]),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("www.python.org, and wwwx.org", ["www.python.org"]),
        ("a www.x token", []),
        ("write to me@host.com.", ["me@host.com"]),
        ("not an address: a@b or @home or x@y.z", []),
        ("two: ftp://f.org/x and bob.smith+tag@mail.example.org!", ["ftp://f.org/x", "bob.smith+tag@mail.example.org"]),
        ("mailto-like user@domain.info;", ["user@domain.info"]),
    ]

    @Test(arguments: rows)
    func spans(_ input: String, _ expected: [String]) {
        let units = Array(input.utf16)
        var spans: [TextSpan] = []
        units.withUnsafeBufferPointer { TextSpan.find(in: $0, into: &spans) }
        let found = spans.map { String(decoding: units[$0.range], as: UTF16.self) }
        #expect(found == expected)
    }
}
