import Foundation
import Tokenization
import WordPipeSupport

/// A model that answers raw texts, one answer per text: what `wordpipe tag --format text
/// --json`, `classify --format text --json` and `generate --json` print, and what
/// `wordpipe serve` answers at `/v1/VERB`. A model type that conforms is served without a
/// change to the server: the server finds it by the model file's task type (`ModelTypes`),
/// reads the type's `Options` from the request and documents them from `optionFields`.
public protocol TextAnswering {
    /// One text's answer, encoded as JSON by the CLI and the server alike.
    associatedtype Answer: Codable & Sendable & Equatable
    /// The type's own settings of a request (`top` labels, sampling), read from the request's
    /// top-level keys; every field optional.
    associatedtype Options: Codable & Sendable
    /// The endpoint's and command's verb: `tag`, `classify`, `generate`.
    static var verb: String { get }
    /// The model type's name (`tagger`, `classifier`).
    static var typeName: String { get }
    /// `Options`' fields, for the API's documentation.
    static var optionFields: [OptionField] { get }
    /// The JSON schema (OpenAPI 3) of one `Answer`.
    static var answerSchema: [String: Any] { get }
    /// The labels it predicts (its vocabulary, for a language model).
    var labels: [String] { get }
    /// Whether `labels` is a vocabulary of words (a language model's) rather than a label set:
    /// listings then give its size, not the words. Default: false.
    static var predictsWords: Bool { get }
    /// Refuses options this model cannot use, naming the field (`InvalidOption`).
    func check(_ options: Options) throws
    /// The answers to `texts` (raw lines), in order. An empty or blank text gets an empty
    /// answer (a language model starts from its start state).
    func answer(_ texts: [String], options: Options, threads: Int) throws -> [Answer]
}

extension TextAnswering {
    public static var predictsWords: Bool { false }
}

/// A field of a model type's request options, for the API's documentation.
public struct OptionField: Sendable, Equatable {
    public var name: String
    /// `integer`, `number`, `string` or `boolean`.
    public var type: String
    public var description: String

    public init(_ name: String, _ type: String, _ description: String) {
        self.name = name
        self.type = type
        self.description = description
    }
}

/// A request option this model cannot use: the field and what is expected.
public struct InvalidOption: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var description: String { "\(field): \(message)" }
}

/// No options (taggers).
public struct NoOptions: Codable, Sendable {}

/// An entity in a tagged text: its type, where it lies in the text in Unicode scalars, and its
/// text; `start` and `end` are nil when one of its tokens was not found in the text.
public struct EntityAnswer: Codable, Sendable, Equatable {
    public var type: String
    public var start: Int?
    public var end: Int?
    public var text: String

    private enum CodingKeys: String, CodingKey { case type, start, end, text }

    /// Writes `start` and `end` as null when unknown (rather than leaving them out).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encode(text, forKey: .text)
    }
}

/// One tagged text: tokens, one tag per token, each token's `[start, end]` in the text in
/// Unicode scalars (null when not found) and the entities of chunk tags.
public struct TagAnswer: Codable, Sendable, Equatable {
    public var text: String
    public var tokens: [String]
    public var tags: [String]
    public var offsets: [[Int]?]
    public var entities: [EntityAnswer]

    /// One line of JSON (sorted keys), as the CLI prints an answer.
    public var jsonLine: String { TextAnswerJSON.line(self) }

    /// The answer for `line` from its tagging.
    public init(line: String, _ result: TaggedLine) {
        text = line
        tokens = result.tokens
        tags = result.tags
        offsets = result.offsets.map { range in range.map { [$0.lowerBound, $0.upperBound] } }
        entities = result.entities.map { entity in
            if let span = result.span(of: entity) {
                return EntityAnswer(type: entity.type, start: span.lowerBound, end: span.upperBound,
                                    text: TagAnswer.scalars(of: line, span))
            }
            return EntityAnswer(type: entity.type, start: nil, end: nil,
                                text: result.tokens[entity.start..<entity.end].joined(separator: " "))
        }
    }

    /// The Unicode scalars `range` of `text`, as a string.
    static func scalars(of text: String, _ range: Range<Int>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.dropFirst(range.lowerBound).prefix(range.count))
        return String(scalars)
    }
}

/// One label with its probability.
public struct LabelAnswer: Codable, Sendable, Equatable {
    public var label: String
    public var probability: Double
}

/// One classified text: its most probable labels, best first.
public struct ClassifyAnswer: Codable, Sendable, Equatable {
    public var text: String
    public var labels: [LabelAnswer]

    /// One line of JSON (sorted keys), as the CLI prints an answer.
    public var jsonLine: String { TextAnswerJSON.line(self) }

    public init(text: String, labels: [LabelProbability]) {
        self.text = text
        self.labels = labels.map { LabelAnswer(label: $0.label, probability: $0.probability) }
    }
}

/// A classifier's options: how many labels to give.
public struct ClassifyOptions: Codable, Sendable {
    public var top: Int?
    public init(top: Int? = nil) { self.top = top }
}

/// JSON schema pieces for `answerSchema`.
enum AnswerSchema {
    static func object(_ properties: [String: Any], required: [String]) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required, "additionalProperties": false]
    }
    static var string: [String: Any] { ["type": "string"] }
    static var strings: [String: Any] { ["type": "array", "items": ["type": "string"]] }
    static var number: [String: Any] { ["type": "number"] }
}

extension Tagger: TextAnswering {
    public static var verb: String { "tag" }
    public static var optionFields: [OptionField] { [] }
    public static var answerSchema: [String: Any] {
        let entity = AnswerSchema.object(["type": AnswerSchema.string, "start": ["type": "integer", "nullable": true],
                                          "end": ["type": "integer", "nullable": true], "text": AnswerSchema.string],
                                         required: ["type", "start", "end", "text"])
        return AnswerSchema.object(["text": AnswerSchema.string, "tokens": AnswerSchema.strings, "tags": AnswerSchema.strings,
                                    "offsets": ["type": "array", "items": ["type": "array", "items": ["type": "integer"], "nullable": true]],
                                    "entities": ["type": "array", "items": entity]],
                                   required: ["text", "tokens", "tags", "offsets", "entities"])
    }

    public func check(_: NoOptions) throws {}

    public func answer(_ texts: [String], options _: NoOptions, threads: Int) throws -> [TagAnswer] {
        let tokenizer = try Tokenizer(configuration: Tagger.surfaceTokenizer(from: self.tokenizer))
        let tagged = try tag(lines: texts, tokenizer: tokenizer, offsets: true, threads: threads)
        return zip(texts, tagged).map { TagAnswer(line: $0, $1) }
    }
}

extension Classifier: TextAnswering {
    public static var verb: String { "classify" }
    public static var optionFields: [OptionField] { [OptionField("top", "integer", "How many labels, most probable first (default 1)")] }
    public static var answerSchema: [String: Any] {
        let label = AnswerSchema.object(["label": AnswerSchema.string, "probability": AnswerSchema.number], required: ["label", "probability"])
        return AnswerSchema.object(["text": AnswerSchema.string, "labels": ["type": "array", "items": label]], required: ["text", "labels"])
    }

    public func check(_ options: ClassifyOptions) throws {
        if let top = options.top, !(1...max(1, labels.count)).contains(top) {
            throw InvalidOption(field: "top", message: "must be 1...\(max(1, labels.count)) (the model's labels), not \(top)")
        }
    }

    public func answer(_ texts: [String], options: ClassifyOptions, threads: Int) throws -> [ClassifyAnswer] {
        let tokenizer = try makeTokenizer()
        let tokens = try texts.map { try tokenizer.tokenize($0).joined().map { $0 } }
        let ranked = topLabels(tokens, k: options.top ?? 1, threads: threads)
        return zip(texts, ranked).map { ClassifyAnswer(text: $0, labels: $1) }
    }
}

/// Answers as the CLI prints them: one JSON object per line, keys sorted.
enum TextAnswerJSON {
    static func line<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Loading a model of any type that answers texts.
public enum TextAnsweringModels {
    /// The model at `path`, of whichever type its header names; an error naming the file when
    /// it is not a model, or when its type does not answer texts.
    public static func load(_ path: String) throws -> any TextAnswering {
        let type = try ModelTypes.named(try ModelFile.task(of: path), path: path)
        let model = try type.loadAny(from: path)
        guard let answering = model as? any TextAnswering else {
            throw ModelError.badModel(path: path, reason: "a model of task type '\(type.typeName)', which answers no texts")
        }
        return answering
    }
}

extension TrainableModel {
    /// The model at `path`, type-erased.
    static func loadAny(from path: String) throws -> any TrainableModel { try loadModel(from: path).0 }
}
