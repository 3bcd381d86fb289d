import Foundation
import TestSupport
@testable import Tokenization

/// The Universal Declaration of Human Rights in 17 languages: known words of each language
/// come out as tokens, including Thai, Chinese and Japanese, which have no spaces and need
/// ICU's dictionaries.
@Suite struct ScriptCoverageTests {
    /// (file, words that must appear as whole tokens, whether the script has no spaces).
    static let languages: [(String, [String], Bool)] = [
        ("arb", ["المادة", "الحق", "لكل"], false),
        ("cmn_hans", ["自由", "权利", "人人"], true),
        ("cmn_hant", ["自由", "權利", "人人"], true),
        ("deu", ["Recht", "Artikel", "Jeder"], false),
        ("eng", ["right", "Article", "Everyone"], false),
        ("fra", ["droit", "Article", "personne"], false),
        ("heb", ["סעיף", "אדם", "זכאי"], false),
        ("hin", ["अधिकार", "व्यक्ति", "अनुच्छेद"], false),
        ("ita", ["diritto", "Articolo", "individuo"], false),
        ("jpn", ["権利", "自由", "すべて"], true),
        ("kor", ["모든", "권리를", "사람은"], false),
        ("pol", ["prawo", "Artykuł", "człowiek"], false),
        ("rus", ["право", "Статья", "человек"], false),
        ("spa", ["derecho", "persona", "Artículo"], false),
        ("tha", ["สิทธิ", "เสรีภาพ", "ทุก"], true),
        ("tur", ["Madde", "hakkı", "veya"], false),
        ("vie", ["quyền", "người", "Điều"], false),
    ]

    @Test(.enabled(if: SharedData.exists("multilingual/udhr/eng.txt"), SharedData.missing("multilingual/udhr/")),
          arguments: languages.map { $0.0 })
    func knownWords(language: String) throws {
        guard let (_, words, unspaced) = Self.languages.first(where: { $0.0 == language }) else { return }
        let text = try String(contentsOfFile: SharedData.path("multilingual/udhr/\(language).txt"), encoding: .utf8)
        let tokenizer = try Tokenizer(configuration: TokenizerConfiguration())
        var tokens: [String] = []
        for line in text.split(separator: "\n") {
            tokens += try tokenizer.tokenize(String(line)).flatMap { $0 }
        }
        let vocabulary = Set(tokens)
        for word in words {
            #expect(vocabulary.contains(word), "\(language): '\(word)' is not a token")
        }
        #expect(tokens.count > 500, "\(language): only \(tokens.count) tokens")
        if unspaced {
            // Dictionary segmentation: words are short, not whole space-free runs.
            let meanLength = Double(tokens.reduce(0) { $0 + $1.count }) / Double(tokens.count)
            #expect(meanLength < 4, "\(language): mean token length \(meanLength) characters")
        }
    }
}
