import Foundation
import Tokenization

/// One translated text as `POST /v1/translate` answers it: the text, then the keys `translate
/// --json` prints: the translation (the target tokens joined by spaces), its tokens, the beam's
/// score, the log-probability and the source tokens read (after truncation).
public struct TranslateAnswer: Codable, Sendable, Equatable {
    public var text: String
    public var translation: String
    public var tokens: [String]
    public var score: Double
    public var logProbability: Double
    public var sourceTokens: [String]

    enum CodingKeys: String, CodingKey {
        case text, translation, tokens, score
        case logProbability = "log_probability"
        case sourceTokens = "source_tokens"
    }
}

/// A request's decoding settings (`DecodingOptions`), snake_case as `wordpipe translate`'s options.
public struct TranslateOptions: Codable, Sendable {
    public var beam: Int?
    public var alpha: Double?
    public var maxRatio: Double?
    public var replaceUnk: Bool?

    enum CodingKeys: String, CodingKey {
        case beam, alpha
        case maxRatio = "max_ratio"
        case replaceUnk = "replace_unk"
    }

    /// The decoding settings, defaults filled in.
    var decoding: DecodingOptions {
        let defaults = DecodingOptions()
        return DecodingOptions(beam: beam ?? defaults.beam, alpha: alpha ?? defaults.alpha, maxRatio: maxRatio ?? defaults.maxRatio,
                               replaceUnknown: replaceUnk ?? false)
    }
}

extension Seq2Seq: TextAnswering {
    public static var verb: String { "translate" }
    public static var optionFields: [OptionField] {
        [OptionField("beam", "integer", "Beam size, 1...100 (default 1: greedy)"),
         OptionField("alpha", "number", "GNMT length-normalization alpha of beam search, 0...10 (default 0.6)"),
         OptionField("max_ratio", "number", "At most this many output tokens per source token, plus 5 (default 2)"),
         OptionField("replace_unk", "boolean", "Replace each <unk> by the source token it attended to most (default false)")]
    }
    public static var answerSchema: [String: Any] {
        AnswerSchema.object(["text": AnswerSchema.string, "translation": AnswerSchema.string, "tokens": AnswerSchema.strings,
                             "score": AnswerSchema.number, "log_probability": AnswerSchema.number, "source_tokens": AnswerSchema.strings],
                            required: ["text", "translation", "tokens", "score", "log_probability", "source_tokens"])
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

    /// One translation per text (tokens split on spaces, cut to `maxSourceTokens`); a blank text
    /// gets an empty translation.
    public func answer(_ texts: [String], options: TranslateOptions, threads: Int) throws -> [TranslateAnswer] {
        let decoding = options.decoding
        let tokenizers = try makeSideTokenizers()
        let tokens = try texts.map { try tokenizers?.source($0) ?? ParallelText.tokens($0) }
        let detokenizer = outputLanguage.map(Detokenizer.init(language:))
        return mapBatches(tokens, tokens: tokens.map(\.count), threads: threads) { model, tokens in
            model.translate(tokens, options: decoding)
        }.enumerated().map { index, translation in
            let best = translation.best
            let text = detokenizer?.detokenize(best.tokens) ?? best.tokens.joined(separator: " ")
            return TranslateAnswer(text: texts[index], translation: text, tokens: best.tokens,
                                   score: best.score, logProbability: best.logProbability, sourceTokens: translation.sourceTokens)
        }
    }
}
