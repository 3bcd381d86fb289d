import ArgumentParser
import Embeddings
import Models
import Pipeline
import Tokenization
import Vocabulary
import WordPipeSupport
import Yams

/// `wordpipe config TYPE`: a stage type's full default settings, as a pipeline-file stage
/// ready to paste under `stages:` (as spaCy's `init config`).
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a pipeline stage type's default settings as YAML, ready to paste under stages: in a pipeline file.",
        discussion: """
            The settings are those of the stage's configuration struct at its defaults, which are \
            the defaults of the matching command's options. Settings without a default value \
            (such as --alpha, whose default depends on the model) are left out, as in a pipeline \
            file that does not set them. Stage types: \(pipelineStageTypeNames.joined(separator: ", ")).
            """)

    @Argument(help: "The stage type (as in the pipeline file's type:).")
    var type: String

    @Option(help: "The stage's name in the printed block (default: the type).")
    var name: String?

    @Option(name: .customLong("input"), help: "An input of the stage: a path, glob or stage name (repeatable; default: a placeholder naming what it reads).")
    var inputs: [String] = []

    func validate() throws {
        guard pipelineStageTypeNames.contains(type), Self.defaults[type] != nil else {
            var message = "unknown stage type '\(type)'"
            if let guess = StrictKeys.closest(to: type, in: pipelineStageTypeNames) { message += " (did you mean '\(guess)'?)" }
            throw ValidationError(message + "; stage types: \(pipelineStageTypeNames.joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            emit(try Self.block(type: type, name: name ?? type, inputs: inputs))
        } catch {
            throw StageFailure(stage: "config", underlying: error)
        }
    }

    /// Per stage type: what its inputs are (for the placeholder) and its default settings as YAML.
    static let defaults: [String: (inputs: [String], settings: @Sendable () throws -> String)] = [
        "tokenize": (["RAW_FILES"], { try yaml(TokenizeConfiguration()) }),
        "phrases": (["CORPUS_STAGE"], { try yaml(PhrasesConfiguration()) }),
        "vocab": (["CORPUS_STAGE"], { try yaml(VocabularyConfiguration()) }),
        "train": (["CORPUS_STAGE"], { try yaml(TrainingConfiguration()) }),
        // At least one evaluation file is required: a placeholder stands for it.
        "evaluate": (["VECTORS_STAGE"], { try yaml(EvaluationConfiguration(analogies: ["questions-words.txt"])) }),
        "train-tagger": ([], { "train: train.conll\ndev: dev.conll\n" + (try yaml(TaggerConfiguration())) }),
        "train-classifier": ([], { "train: train.tsv\ndev: dev.tsv\n" + (try yaml(ClassifierConfiguration())) }),
        "generate": (["LM_STAGE"], { try yaml(GenerationSettings()) }),
        "train-lm": ([], { "train: train.txt\ndev: valid.txt\n" + (try yaml(LanguageModelConfiguration())) }),
        "train-seq2seq": ([], { "source: train.de\ntarget: train.en\ndev_source: val.de\ndev_target: val.en\n" + (try yaml(Seq2SeqConfiguration())) }),
    ]

    /// `value` as a YAML block mapping.
    static func yaml<T: Encodable>(_ value: T) throws -> String { try YAMLEncoder().encode(value) }

    /// The stage as it goes under `stages:` (indented by two spaces).
    static func block(type: String, name: String, inputs: [String]) throws -> String {
        guard let entry = defaults[type] else { return "" }
        let inputs = inputs.isEmpty ? entry.inputs : inputs
        var lines = ["  # wordpipe config \(type): the default settings; paste under stages:", "  \(name):", "    type: \(type)"]
        if !inputs.isEmpty { lines.append("    inputs: [\(inputs.joined(separator: ", "))]") }
        let settings = try entry.settings().split(separator: "\n", omittingEmptySubsequences: true)
        if settings.isEmpty || settings == ["{}"] {
            lines.append("    with: {}")
        } else {
            lines.append("    with:")
            lines += settings.map { "      " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
