import Foundation
import Models

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
    private let model: any TextAnswering
    private let lock = NSLock()

    init(path: String) throws {
        model = try TextAnsweringModels.load(path)
        name = ServedModel.name(of: path)
        file = path
        verb = type(of: model).verb
        typeName = type(of: model).typeName
        labels = model.labels
    }

    /// A file's name without directory and extension (`models/ner.wpm` → `ner`).
    static func name(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// The answers to `texts` as JSON: one answer object for a single `text`, else
    /// `{"model", "answers": [...]}`.
    func answerJSON(_ texts: [String], single: Bool, top: Int, threads: Int) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        return try encode(model, texts, single: single, top: top, threads: threads)
    }

    private func encode<Model: TextAnswering>(_ model: Model, _ texts: [String], single: Bool, top: Int, threads: Int) throws -> Data {
        let answers = try model.answer(texts, top: top, threads: threads)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if single, let first = answers.first { return try encoder.encode(first) }
        return try encoder.encode(TextAnswers(model: name, answers: answers))
    }
}
