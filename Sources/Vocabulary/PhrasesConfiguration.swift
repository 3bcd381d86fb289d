import Foundation
import WordPipeSupport

/// How a pair of adjacent tokens is scored for joining into a phrase.
public enum PhraseScoring: String, Codable, Sendable, CaseIterable {
    /// word2vec's `word2phrase.c` (and gensim's `original_scorer`, which multiplies by the
    /// vocabulary size instead of the corpus size):
    /// `(count(ab) − min_count) / (count(a) × count(b)) × total_words`, and 0 when `a` or `b`
    /// occurs fewer than `min_count` times or the pair was never seen. Unbounded above.
    case word2vec
    /// Normalized pointwise mutual information (Bouma 2009; gensim's `npmi_scorer`):
    /// `ln(p(ab) / (p(a) p(b))) / −ln(p(ab))` with `p(x) = count(x) / total_words`, in [−1, 1];
    /// −∞ (never joined) when `count(ab) < min_count`.
    case npmi

    /// The default threshold: 100 for `word2vec` (word2phrase's), 0.5 for `npmi`.
    public var defaultThreshold: Double {
        switch self {
        case .word2vec: return 100
        case .npmi: return 0.5
        }
    }

    /// The score of the pair `a b` from its counts (see the cases for the formulas).
    ///
    /// - Parameters:
    ///   - countA: occurrences of the first token.
    ///   - countB: occurrences of the second token.
    ///   - countAB: occurrences of the two tokens next to each other, in this order, on one line.
    ///   - totalWords: tokens in the corpus.
    ///   - minCount: the `min_count` of the configuration.
    public func score(countA: Int64, countB: Int64, countAB: Int64, totalWords: Int64, minCount: Int) -> Double {
        switch self {
        case .word2vec:
            // word2phrase.c: `if (pa < min_count) oov = 1; if (pb < min_count) oov = 1;
            // if (oov) score = 0; else score = (pab - min_count) / (real)pa / (real)pb * (real)train_words;`
            guard countAB > 0, countA >= minCount, countB >= minCount, countA > 0, countB > 0 else { return 0 }
            return (Double(countAB) - Double(minCount)) / (Double(countA) * Double(countB)) * Double(totalWords)
        case .npmi:
            // gensim.models.phrases.npmi_scorer: `if bigram_count >= min_count: ... else: return -inf`.
            guard countAB >= Int64(minCount), countAB > 0, countA > 0, countB > 0, totalWords > 0 else { return -.infinity }
            let total = Double(totalWords)
            let pA = Double(countA) / total
            let pB = Double(countB) / total
            let pAB = Double(countAB) / total
            let denominator = -Foundation.log(pAB)
            // p(ab) = 1 only when the whole corpus is this one pair: perfect association.
            guard denominator > 0 else { return 1 }
            return Foundation.log(pAB / (pA * pB)) / denominator
        }
    }
}

/// How phrases are found and joined: the configuration of the `phrases` stage (word2vec's
/// `word2phrase`, gensim's `Phrases`). Decoding fills in the defaults below for missing keys
/// (the threshold's default depends on the scoring) and rejects unknown keys.
public struct PhrasesConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Tokens and pairs seen fewer times are never joined (see `PhraseScoring`). Default: 5
    /// (word2phrase's and gensim's).
    public var minCount: Int
    /// A pair is joined when its score is strictly greater. Default: the scoring's
    /// `defaultThreshold` (100 for word2vec, 0.5 for npmi). For `npmi` it must lie in [−1, 1];
    /// for `word2vec` it must be >= 0 (pairs that are never joinable score 0).
    public var threshold: Double
    /// The score. Default: `word2vec`.
    public var scoring: PhraseScoring
    /// How many times to count and join, each pass on the previous one's output, so that pass 2
    /// can form `new_york_times` from `new_york times`. Default: 1.
    public var passes: Int
    /// Written between the two tokens of a joined pair. Default: `_`.
    public var delimiter: String

    /// Creates a configuration; every argument has the documented default (`threshold: nil`
    /// means the scoring's default).
    public init(minCount: Int = 5, threshold: Double? = nil, scoring: PhraseScoring = .word2vec, passes: Int = 1,
                delimiter: String = "_") {
        self.minCount = minCount
        self.threshold = threshold ?? scoring.defaultThreshold
        self.scoring = scoring
        self.passes = passes
        self.delimiter = delimiter
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minCount = "min_count"
        case threshold
        case scoring
        case passes
        case delimiter
    }

    /// Decodes a configuration: missing keys take the defaults, unknown keys and bad values throw.
    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = PhrasesConfiguration()
        minCount = try container.decodeIfPresent(Int.self, forKey: .minCount) ?? defaults.minCount
        scoring = try container.decodeIfPresent(PhraseScoring.self, forKey: .scoring) ?? defaults.scoring
        threshold = try container.decodeIfPresent(Double.self, forKey: .threshold) ?? scoring.defaultThreshold
        passes = try container.decodeIfPresent(Int.self, forKey: .passes) ?? defaults.passes
        delimiter = try container.decodeIfPresent(String.self, forKey: .delimiter) ?? defaults.delimiter
        try validate()
    }

    /// Throws `VocabularyError.invalidOption` naming the first bad value (by its key:
    /// `min_count`, `threshold`, `passes`, `delimiter`).
    public func validate() throws {
        if minCount < 1 { throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.minCount), value: "\(minCount)", expected: "an integer >= 1") }
        if !threshold.isFinite {
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.threshold), value: "\(threshold)", expected: "a finite number")
        }
        switch scoring {
        case .npmi where !(-1...1).contains(threshold):
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.threshold), value: "\(threshold)",
                                                expected: "a number in [-1, 1] with npmi scoring")
        case .word2vec where threshold < 0:
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.threshold), value: "\(threshold)",
                                                expected: "a number >= 0 with word2vec scoring")
        default:
            break
        }
        if passes < 1 { throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.passes), value: "\(passes)", expected: "an integer >= 1") }
        if delimiter.isEmpty || delimiter.utf8.contains(where: isSeparator) {
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.delimiter), value: "'\(delimiter)'",
                                                expected: "a non-empty string without spaces, tabs or line ends")
        }
    }
}
