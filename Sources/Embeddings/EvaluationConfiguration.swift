import Foundation
import WordPipeSupport

/// What to evaluate vectors on: the configuration of the `evaluate` stage, shared by
/// `wordpipe evaluate` and the pipeline.
public struct EvaluationConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Analogy question files (`: section` headers, `a b c d` lines).
    public var analogies: [String]
    /// Word-pair similarity files (WordSim-353, SimLex-999).
    public var pairs: [String]
    /// Only the N most frequent words take part (word2vec's compute-accuracy: 30000). Default: 30000.
    public var restrict: Int
    /// Compare words case-insensitively, as gensim does. Default: true.
    public var caseInsensitive: Bool
    /// Word pairs with a word outside the (restricted) vocabulary: skipped and counted (gensim's
    /// and fastText's default), or scored with the word's vector built from its character
    /// n-grams when the vectors have subwords (gensim's FastText and fastText's OOV vectors).
    /// Analogy questions are always skipped, since the answer must be a vocabulary word. Default: skip.
    public var oov: OOVPolicy

    /// What evaluations do with words outside the vocabulary.
    public enum OOVPolicy: String, Codable, Sendable, CaseIterable {
        case skip
        case ngrams
    }

    /// Creates a configuration; every argument has the documented default.
    public init(analogies: [String] = [], pairs: [String] = [], restrict: Int = 30_000, caseInsensitive: Bool = true,
                oov: OOVPolicy = .skip) {
        self.analogies = analogies
        self.pairs = pairs
        self.restrict = restrict
        self.caseInsensitive = caseInsensitive
        self.oov = oov
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case analogies, pairs, restrict, oov
        case caseInsensitive = "case_insensitive"
    }

    /// Writes every setting; `oov` only when it is not the default, so that configurations
    /// written before it existed keep their bytes (and lock-file hashes).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(analogies, forKey: .analogies)
        try container.encode(pairs, forKey: .pairs)
        try container.encode(restrict, forKey: .restrict)
        try container.encode(caseInsensitive, forKey: .caseInsensitive)
        if oov != .skip { try container.encode(oov, forKey: .oov) }
    }

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        analogies = try container.decodeIfPresent([String].self, forKey: .analogies) ?? []
        pairs = try container.decodeIfPresent([String].self, forKey: .pairs) ?? []
        restrict = try container.decodeIfPresent(Int.self, forKey: .restrict) ?? 30_000
        caseInsensitive = try container.decodeIfPresent(Bool.self, forKey: .caseInsensitive) ?? true
        oov = try container.decodeIfPresent(OOVPolicy.self, forKey: .oov) ?? .skip
        try validate()
    }

    /// Throws `EmbeddingError.invalidOption` for an unusable value.
    public func validate() throws {
        if analogies.isEmpty && pairs.isEmpty {
            throw EmbeddingError.invalidOption(name: "analogies/pairs", value: "(none)", expected: "at least one evaluation file")
        }
        if restrict < 1 { throw EmbeddingError.invalidOption(name: SettingKey(CodingKeys.restrict), value: "\(restrict)", expected: "an integer >= 1") }
    }
}

/// The results of one evaluation run.
public struct EvaluationResults: Sendable {
    /// Per analogy file.
    public var analogies: [(path: String, result: AnalogyEvaluation)] = []
    /// Per pairs file.
    public var pairs: [(path: String, result: PairEvaluation)] = []

    /// A JSON-ready dictionary (what `--json` prints and the pipeline records); an undefined
    /// correlation (too few pairs) is null.
    public var dictionary: [String: Any] {
        func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
        var result: [String: Any] = [:]
        func entry(_ section: AnalogyEvaluation.Section) -> [String: Any] {
            ["name": section.name, "correct": section.correct, "incorrect": section.incorrect,
             "skipped": section.skipped, "accuracy": section.accuracy]
        }
        for (path, evaluation) in analogies {
            result["analogies:" + path] = ["sections": evaluation.sections.map(entry), "semantic": entry(evaluation.semantic),
                                          "syntactic": entry(evaluation.syntactic), "total": entry(evaluation.total)]
        }
        for (path, evaluation) in pairs {
            result["pairs:" + path] = ["pearson": number(evaluation.pearson), "spearman": number(evaluation.spearman),
                                       "pairs": evaluation.pairs, "skipped": evaluation.skipped, "oov_ratio": evaluation.oovRatio]
        }
        return result
    }

    /// Human-readable lines.
    public var lines: [String] {
        var result: [String] = []
        for (path, evaluation) in analogies {
            result.append("\(path):")
            for section in evaluation.sections + [evaluation.semantic, evaluation.syntactic, evaluation.total] {
                result.append(String(format: "  %-28@ %6.2f%%  (%d/%d, %d skipped as OOV)", section.name, section.accuracy * 100,
                                     section.correct, section.correct + section.incorrect, section.skipped))
            }
        }
        for (path, evaluation) in pairs {
            result.append(String(format: "%@: Spearman %.4f, Pearson %.4f (%d pairs, %.1f%% OOV)", path, evaluation.spearman,
                                 evaluation.pearson, evaluation.pairs, evaluation.oovRatio * 100))
        }
        return result
    }
}

extension VectorStore {
    /// Runs every evaluation `configuration` names.
    public func evaluate(_ configuration: EvaluationConfiguration) throws -> EvaluationResults {
        try configuration.validate()
        var results = EvaluationResults()
        for path in configuration.analogies {
            results.analogies.append((path, try evaluateAnalogies(path: path, restrict: configuration.restrict,
                                                                  caseInsensitive: configuration.caseInsensitive)))
        }
        for path in configuration.pairs {
            results.pairs.append((path, try evaluatePairs(path: path, restrict: configuration.restrict,
                                                          caseInsensitive: configuration.caseInsensitive, oov: configuration.oov)))
        }
        return results
    }
}
