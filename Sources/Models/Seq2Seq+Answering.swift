import Foundation

/// One translated text as `POST /v1/translate` answers it, with the keys `translate --json`
/// prints: the translation (target tokens joined by spaces), its tokens, the beam's score
/// (log-probability over GNMT's length penalty), its log-probability in nats, and the source
/// tokens read (after truncation).
public struct TranslateAnswer: Codable, Sendable, Equatable {
    public var translation: String
    public var tokens: [String]
    public var score: Double
    public var logProbability: Double
    public var sourceTokens: [String]

    enum CodingKeys: String, CodingKey {
        case translation, tokens, score
        case logProbability = "log_probability"
        case sourceTokens = "source_tokens"
    }

    public init(_ translation: Translation) {
        let best = translation.best
        self.translation = best.tokens.joined(separator: " ")
        tokens = best.tokens
        score = best.score
        logProbability = best.logProbability
        sourceTokens = translation.sourceTokens
    }

    /// The answer to an empty text: nothing read, nothing written.
    static let empty = TranslateAnswer(translation: "", tokens: [], score: 0, logProbability: 0, sourceTokens: [])

    private init(translation: String, tokens: [String], score: Double, logProbability: Double, sourceTokens: [String]) {
        self.translation = translation
        self.tokens = tokens
        self.score = score
        self.logProbability = logProbability
        self.sourceTokens = sourceTokens
    }
}

/// A request's search settings: `translate`'s `--beam`, `--alpha` and `--max-ratio`.
public struct TranslateOptions: Codable, Sendable {
    public var beam: Int?
    public var alpha: Double?
    public var maxRatio: Double?

    enum CodingKeys: String, CodingKey {
        case beam, alpha
        case maxRatio = "max_ratio"
    }

    /// The decoding settings, defaults filled in.
    var decoding: DecodingOptions {
        let defaults = DecodingOptions()
        return DecodingOptions(beam: beam ?? defaults.beam, alpha: alpha ?? defaults.alpha, maxRatio: maxRatio ?? defaults.maxRatio)
    }
}

extension Seq2Seq: TextAnswering {
    public static var verb: String { "translate" }
    public static var optionFields: [OptionField] {
        [OptionField("beam", "integer", "Beam size, 1 to 100 (default 1: greedy)"),
         OptionField("alpha", "number", "GNMT length normalization of beam search, 0 to 10 (default 0.6; 0: raw log-probability)"),
         OptionField("max_ratio", "number", "At most this many output tokens per source token, plus 5; in (0, 100] (default 2)")]
    }
    public static var answerSchema: [String: Any] {
        AnswerSchema.object(["translation": AnswerSchema.string, "tokens": AnswerSchema.strings, "score": AnswerSchema.number,
                             "log_probability": AnswerSchema.number, "source_tokens": AnswerSchema.strings],
                            required: ["translation", "tokens", "score", "log_probability", "source_tokens"])
    }

    /// Its labels are its target vocabulary.
    public static var predictsWords: Bool { true }

    public func check(_ options: TranslateOptions) throws {
        if let beam = options.beam, !(1...100).contains(beam) {
            throw InvalidOption(field: "beam", message: "expected an integer in 1...100, not \(beam)")
        }
        if let alpha = options.alpha, !(alpha >= 0 && alpha <= 10) {
            throw InvalidOption(field: "alpha", message: "expected a number in [0, 10], not \(alpha)")
        }
        if let ratio = options.maxRatio, !(ratio > 0 && ratio <= 100) {
            throw InvalidOption(field: "max_ratio", message: "expected a number in (0, 100], not \(ratio)")
        }
    }

    /// One translation per text (tokens separated by spaces, as `translate` reads a line; a
    /// source longer than `maxSourceTokens` is cut, as there).
    public func answer(_ texts: [String], options: TranslateOptions, threads _: Int) throws -> [TranslateAnswer] {
        let decoding = options.decoding
        return texts.map { text in
            let tokens = ParallelText.tokens(text)
            return tokens.isEmpty ? .empty : TranslateAnswer(translate(tokens, options: decoding))
        }
    }
}
