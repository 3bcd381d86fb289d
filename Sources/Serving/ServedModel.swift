import Foundation
import Models
import WordPipeSupport

/// A model of any type that answers texts, loaded once; its calls run one at a time (its
/// layers keep scratch state between the steps of a forward pass).
final class ServedModel: @unchecked Sendable {
    /// The name requests use: the file name without its extension.
    let name: String
    let file: String
    /// The endpoint's verb (`tag`, `classify`) and the model type (`tagger`, `classifier`).
    let verb: String
    let typeName: String
    let labels: [String]
    /// Whether `labels` is a vocabulary (a language model's): listed by its size only.
    let predictsWords: Bool
    private let model: any TextAnswering
    private let lock = NSLock()

    init(path: String) throws {
        model = try TextAnsweringModels.load(path)
        name = ServedModel.name(of: path)
        file = path
        verb = type(of: model).verb
        typeName = type(of: model).typeName
        labels = model.labels
        predictsWords = type(of: model).predictsWords
    }

    /// A file's name without directory and extension (`models/ner.wpm` → `ner`).
    static func name(of path: String) -> String {
        PathNames.stem(path)
    }

    /// Reads the model type's options from the request `body` and checks them (an error names
    /// the field); returns the work that answers `texts` as JSON: one answer object for a
    /// single `text`, else `{"model", "answers": [...]}`. The work runs one call at a time.
    func prepare(_ texts: [String], body: Data, single: Bool, threads: Int) throws -> @Sendable () throws -> Data {
        try prepare(model, texts, body: body, single: single, threads: threads)
    }

    private func prepare<Model: TextAnswering>(_ model: Model, _ texts: [String], body: Data, single: Bool,
                                               threads: Int) throws -> @Sendable () throws -> Data {
        let options: Model.Options
        do {
            options = try JSONDecoder().decode(Model.Options.self, from: body)
        } catch let error as DecodingError {
            throw Server.decodingFailure(error)
        }
        do {
            try model.check(options)
        } catch let error as InvalidOption {
            throw APIError.badRequest(error.field, error.message)
        }
        let box = UncheckedBox(model)
        let name = self.name
        return { [self] in
            lock.lock()
            defer { lock.unlock() }
            let answers = try box.value.answer(texts, options: options, threads: threads)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if single, let first = answers.first { return try encoder.encode(first) }
            return try encoder.encode(TextAnswers(model: name, answers: answers))
        }
    }

    /// The API description of this model's verb: its options and its answer's schema.
    var description: OpenAPI.Verb {
        OpenAPI.Verb(name: verb, options: type(of: model).optionFields, answer: type(of: model).answerSchema)
    }
}

/// A model handed to the work closure: used only under the served model's lock.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
