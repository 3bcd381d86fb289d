import Foundation
import Recurrent
import Tokenization

extension ModelFile {
    /// The header of format versions 1 and 2: the task's name, its configuration under a key of
    /// that name (`"task": "tagger", "tagger": {…}`) and the tagger's alphabet at the top level.
    /// Only taggers and classifiers were written in it, so this layout never changes: a new
    /// model type has no files of these versions.
    struct LegacyHeader: Codable {
        var task: String
        var tagger: TaggerConfiguration?
        var classifier: ClassifierConfiguration?
        var tokenizer: TokenizerConfiguration?
        var words: [String]
        var labels: [String]
        var alphabet: CharacterVocabulary?
        var training: TrainingRecord?
        var fromVectors: String?

        /// A legacy header's JSON rewritten in the version-3 layout.
        static func upgrade(_ json: Data) throws -> Data {
            let old = try JSONDecoder().decode(LegacyHeader.self, from: json)
            func header<Section>(_ fields: Section) -> Header<Section> {
                Header(task: TaskSection(type: old.task, fields: fields), tokenizer: old.tokenizer, words: old.words,
                       labels: old.labels, training: old.training, fromVectors: old.fromVectors)
            }
            switch old.task {
            case Tagger.typeName:
                guard let configuration = old.tagger else { throw LegacyError.missing(old.task) }
                return try header(Tagger.Section(configuration: configuration, alphabet: old.alphabet)).json()
            case Classifier.typeName:
                guard let configuration = old.classifier else { throw LegacyError.missing(old.task) }
                return try header(Classifier.Section(configuration: configuration)).json()
            default:
                throw LegacyError.unknownTask(old.task)
            }
        }

        /// A version-3 header in this layout (for tests that write the files older wordpipes wrote).
        init<Section>(_ header: Header<Section>) {
            task = header.task.type
            tokenizer = header.tokenizer
            words = header.words
            labels = header.labels
            training = header.training
            fromVectors = header.fromVectors
            if let section = header.task.fields as? Tagger.Section {
                tagger = section.configuration
                alphabet = section.alphabet
            }
            if let section = header.task.fields as? Classifier.Section { classifier = section.configuration }
        }
    }

    enum LegacyError: Error, CustomStringConvertible {
        case missing(String)
        case unknownTask(String)

        var description: String {
            switch self {
            case .missing(let task): "the header has no \(task) configuration"
            case .unknownTask(let task): "task '\(task)' is not a task of model format versions 1 and 2 (tagger, classifier)"
            }
        }
    }
}
