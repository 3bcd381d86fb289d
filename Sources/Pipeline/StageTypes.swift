import Corpora
import Embeddings
import Foundation
import Tokenization
import Vocabulary
import WordPipeSupport

/// What a stage produces, so inputs can be checked before anything runs.
public enum ArtifactKind: String, Sendable, Codable {
    /// Raw documents (paths and globs in the pipeline file).
    case raw
    /// A tokenized corpus: one sentence per line.
    case corpus
    /// A vocabulary file.
    case vocabulary
    /// Word vectors.
    case vectors
    /// Evaluation results.
    case evaluation
    /// A trained tagger or classifier.
    case model
}

/// What a finished stage reports.
public struct StageOutcome: Sendable {
    /// Key figures (tokens, vocabulary size, words/s, loss, scores).
    public var metrics: [String: Double] = [:]
    /// Short notes for the report.
    public var notes: [String] = []
    /// The training loss curve, when the stage trained.
    public var lossCurve: [(progress: Double, loss: Double)] = []
}

/// Everything a stage needs to run.
struct StageContext {
    var name: String
    /// Input files, by kind (raw inputs expanded).
    var inputs: [ArtifactKind: [String]]
    /// The directory to write into (renamed into place when the stage succeeds).
    var outputDirectory: String
    var threads: Int
    var progress: ProgressMode
    /// The pipeline file's directory (relative settings paths resolve against it).
    var baseDirectory: String
}

/// A built-in stage type: the same library call as the matching CLI command, with the same
/// configuration struct. Type names are versioned (`train@1`) so that a later change of a
/// stage's meaning does not silently reinterpret old files and locks.
struct StageType: Sendable {
    /// The name used in pipeline files.
    var name: String
    /// The version of its meaning.
    var version: Int
    /// Its output kind and file name inside the stage directory.
    var output: ArtifactKind
    var outputFile: String
    /// Input kinds it accepts: required ones and optional ones.
    var required: [ArtifactKind]
    var optional: [ArtifactKind]
    /// Decodes and validates the `with` settings; returns the canonical configuration JSON.
    var configure: @Sendable (Data, String) throws -> Data
    /// Files named in the canonical settings whose content decides the result (labeled data),
    /// resolved against the pipeline file's directory; hashed into the lock like inputs.
    var dataFiles: @Sendable (Data, String) -> [String] = { _, _ in [] }
    /// Runs the stage.
    var run: @Sendable (StageContext, Data) throws -> StageOutcome

    var versionedName: String { "\(name)@\(version)" }

    /// Every stage type this wordpipe knows.
    static let all: [StageType] = [tokenize, phrases, vocab, train, evaluate, trainTagger, trainClassifier]

    static func named(_ name: String) -> StageType? { all.first { $0.name == name } }

    static func canonical<T: Codable>(_ type: T.Type, _ data: Data, validate: (T) throws -> Void = { _ in }) throws -> Data {
        let value = try JSONDecoder().decode(T.self, from: data)
        try validate(value)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static let tokenize = StageType(
        name: "tokenize", version: 1, output: .corpus, outputFile: "tokens.txt", required: [.raw], optional: [],
        configure: { data, _ in try canonical(TokenizeConfiguration.self, data) },
        run: { context, data in
            let configuration = try JSONDecoder().decode(TokenizeConfiguration.self, from: data)
            let diagnostics = Diagnostics(stage: context.name)
            let summary = try CorpusTokenizer.run(
                inputs: context.inputs[.raw] ?? [], output: context.outputDirectory + "/tokens.txt", configuration: configuration,
                options: RunOptions(threads: context.threads, progress: context.progress), diagnostics: diagnostics)
            return StageOutcome(metrics: ["documents": Double(summary.counts.documents), "sentences": Double(summary.counts.sentences),
                                          "tokens": Double(summary.counts.tokens), "invalid_utf8": Double(summary.invalidSequences),
                                          "warnings": Double(summary.warnings), "tokens_per_second": Double(summary.counts.tokens) / max(summary.seconds, 1e-9)],
                                notes: [summary.line])
        })

    static let phrases = StageType(
        name: "phrases", version: 1, output: .corpus, outputFile: "tokens.txt", required: [.corpus], optional: [],
        configure: { data, _ in try canonical(PhrasesConfiguration.self, data) },
        run: { context, data in
            let configuration = try JSONDecoder().decode(PhrasesConfiguration.self, from: data)
            let summary = try PhraseDetector.run(inputs: context.inputs[.corpus] ?? [], output: context.outputDirectory + "/tokens.txt",
                                                 configuration: configuration, threads: context.threads, progress: context.progress,
                                                 stage: context.name)
            return StageOutcome(metrics: ["tokens": Double(summary.tokens), "phrases": Double(summary.phrasesFormed), "joins": Double(summary.joins)],
                                notes: [summary.line])
        })

    static let vocab = StageType(
        name: "vocab", version: 1, output: .vocabulary, outputFile: "vocab.tsv", required: [.corpus], optional: [],
        configure: { data, _ in try canonical(VocabularyConfiguration.self, data) },
        run: { context, data in
            let configuration = try JSONDecoder().decode(VocabularyConfiguration.self, from: data)
            let (vocabulary, summary) = try VocabularyBuilder.build(inputs: context.inputs[.corpus] ?? [], configuration: configuration,
                                                                    threads: context.threads, progress: context.progress, stage: context.name)
            let info = VocabularyInfo(configuration: configuration, tokenizer: vocabulary.tokenizer, specialCount: vocabulary.specialCount,
                                      corpusTokens: summary.tokens, typesSeen: summary.typesSeen, typesPruned: summary.typesPruned)
            try vocabulary.write(to: context.outputDirectory + "/vocab.tsv", format: .tsv, info: info)
            return StageOutcome(metrics: ["types_kept": Double(summary.typesKept), "types_seen": Double(summary.typesSeen),
                                          "tokens": Double(summary.tokens), "coverage": summary.coverage],
                                notes: [summary.line])
        })

    static let train = StageType(
        name: "train", version: 1, output: .vectors, outputFile: "vectors.wpv", required: [.corpus], optional: [.vocabulary],
        configure: { data, _ in try canonical(TrainingConfiguration.self, data) },
        run: { context, data in
            let configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: data)
            let (_, summary) = try TrainingJob.run(
                inputs: context.inputs[.corpus] ?? [], vocabularyPath: context.inputs[.vocabulary]?.first,
                output: context.outputDirectory + "/vectors.wpv", format: .native, configuration: configuration,
                options: TrainingOptions(threads: context.threads, progress: context.progress), stage: context.name)
            var curve = "progress\tloss\n"
            for point in summary.lossCurve { curve += String(format: "%.5f\t%.6f\n", point.progress, point.loss) }
            try OutputFile.writeAtomically(Data(curve.utf8), to: context.outputDirectory + "/loss.tsv")
            var metrics = ["words": Double(summary.words), "words_per_second": summary.wordsPerSecond,
                           "words_per_second_per_thread": summary.wordsPerSecond / Double(summary.threads)]
            if let last = summary.epochLosses.last { metrics["final_loss"] = last }
            return StageOutcome(metrics: metrics, notes: [summary.line], lossCurve: summary.lossCurve)
        })

    static let evaluate = StageType(
        name: "evaluate", version: 1, output: .evaluation, outputFile: "evaluation.json", required: [.vectors], optional: [],
        configure: { data, directory in
            // Evaluation files are resolved against the pipeline file's directory and must exist.
            try canonical(EvaluationConfiguration.self, data) { configuration in
                for path in configuration.analogies + configuration.pairs where !FileManager.default.fileExists(atPath: resolve(path, in: directory)) {
                    throw EmbeddingError.invalidOption(name: "analogies/pairs", value: "'\(path)'", expected: "an existing file")
                }
            }
        },
        dataFiles: { data, directory in
            // The evaluation sets decide the result too: hashed into the lock, and checked like inputs.
            guard let configuration = try? JSONDecoder().decode(EvaluationConfiguration.self, from: data) else { return [] }
            return (configuration.analogies + configuration.pairs).map { resolve($0, in: directory) }
        },
        run: { context, data in
            var configuration = try JSONDecoder().decode(EvaluationConfiguration.self, from: data)
            configuration.analogies = configuration.analogies.map { resolve($0, in: context.baseDirectory) }
            configuration.pairs = configuration.pairs.map { resolve($0, in: context.baseDirectory) }
            guard let vectorsPath = context.inputs[.vectors]?.first else { return StageOutcome() }
            let (vectors, _) = try WordVectors.load(from: vectorsPath)
            let results = try VectorStore(vectors).evaluate(configuration)
            let json = try JSONSerialization.data(withJSONObject: results.dictionary, options: [.prettyPrinted, .sortedKeys])
            try OutputFile.writeAtomically(json, to: context.outputDirectory + "/evaluation.json")
            var metrics: [String: Double] = [:]
            for (path, result) in results.analogies {
                let name = URL(fileURLWithPath: path).lastPathComponent
                metrics["analogy_accuracy:\(name)"] = result.total.accuracy
                metrics["analogy_questions:\(name)"] = Double(result.total.correct + result.total.incorrect)
            }
            for (path, result) in results.pairs { metrics["spearman:\(URL(fileURLWithPath: path).lastPathComponent)"] = result.spearman }
            return StageOutcome(metrics: metrics, notes: results.lines)
        })
}

/// `path` made absolute against `directory` (unchanged when already absolute).
func resolve(_ path: String, in directory: String) -> String {
    if path.hasPrefix("/") || directory.isEmpty { return path }
    return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).absoluteURL.standardized.path
}
