import Embeddings
import Foundation

/// An answer other than 200: its status, the request field it is about (nil for the whole
/// request) and what to do. Sent as `{"error": {"status", "field", "message"}}`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var field: String?
    public var message: String

    public init(status: Int, field: String? = nil, _ message: String) {
        self.status = status
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    static func badRequest(_ field: String?, _ message: String) -> APIError { APIError(status: 400, field: field, message) }
    static func unprocessable(_ field: String, _ message: String) -> APIError { APIError(status: 422, field: field, message) }

    /// The error's JSON body.
    struct Body: Codable, Equatable {
        struct Detail: Codable, Equatable {
            var status: Int
            var field: String?
            var message: String
        }
        var error: Detail
    }

    var body: Body { Body(error: .init(status: status, field: field, message: message)) }
}

// MARK: Requests

/// `POST /v1/nearest`: `{"word": "king", "k": 10}`, or several words to add (`words`) and to
/// subtract (`subtract`), as `wordpipe nearest`; `map` adds 2-D coordinates of the query and
/// its neighbours.
struct NearestRequest: Codable, Sendable {
    var word: String?
    var words: [String]?
    var subtract: [String]?
    var k: Int?
    var restrict: Int?
    var map: Bool?
}

/// `POST /v1/analogy`: `a` is to `b` as `c` is to ?
struct AnalogyRequest: Codable, Sendable {
    var a: String
    var b: String
    var c: String
    var k: Int?
    var method: String?
    var restrict: Int?
}

/// `POST /v1/similarity`: the cosine similarity of two words.
struct SimilarityRequest: Codable, Sendable {
    var first: String
    var second: String
}

/// `POST /v1/tag`, `/v1/classify` and every other model verb: one `text` or several `texts`,
/// and the `model` by name when several of the verb are loaded. The model type's own options
/// (`top` for classifiers, sampling for language models) are further keys of the same object.
struct TextRequest: Codable, Sendable {
    var text: String?
    var texts: [String]?
    var model: String?
}

// MARK: Answers

/// A point of the neighbourhood map.
struct MapPoint: Codable, Sendable, Equatable {
    var word: String
    var x: Double
    var y: Double
}

/// The answer of `/v1/nearest`: the query and its neighbours, as `wordpipe nearest --json`.
struct NearestAnswer: Codable, Sendable {
    var query: [String]
    var subtract: [String]
    var neighbours: [Neighbour]
    /// With `map`: the query (first, when it is one word) and each neighbour, projected on the
    /// first two principal components of their unit vectors.
    var map: [MapPoint]?
    /// How the map was made.
    var projection: String?
}

struct AnalogyAnswer: Codable, Sendable {
    var query: [String]
    var method: String
    var neighbours: [Neighbour]
}

struct SimilarityAnswer: Codable, Sendable {
    var first: String
    var second: String
    var similarity: Double
}

/// The answer to several texts.
struct TextAnswers<Answer: Encodable>: Encodable {
    var model: String
    var answers: [Answer]
}

/// A loaded artifact, for `/v1/models`.
struct LoadedArtifact: Codable, Sendable {
    /// The name requests use (the file name without its extension).
    var name: String
    /// `vectors`, or the model's task type (`tagger`, `classifier`).
    var kind: String
    /// The endpoint that uses it.
    var endpoint: [String]
    /// The file's name (without the directory).
    var file: String
    /// For vectors: words and dimension; for models: their labels (for a language model, the
    /// size of its vocabulary in `words` instead).
    var words: Int?
    var dimension: Int?
    var labels: [String]?
    /// The tokenizer configuration the artifact was made with, as `inspect` shows it.
    var tokenizer: [String: String]?
}
