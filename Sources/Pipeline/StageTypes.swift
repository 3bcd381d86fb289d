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

/// One point of a training loss curve: the fraction of training done and the mean loss there.
public struct LossPoint: Codable, Sendable, Equatable {
    public var progress: Double
    public var loss: Double

    public init(progress: Double, loss: Double) {
        self.progress = progress
        self.loss = loss
    }

    /// At most `limit` points, evenly spaced over the curve (the last point kept), so that the
    /// curve kept in the lock stays small on long runs.
    static func thinned(_ points: [(progress: Double, loss: Double)], limit: Int = 1000) -> [LossPoint] {
        guard points.count > limit, limit >= 2 else { return points.map { LossPoint(progress: $0.progress, loss: $0.loss) } }
        return (0..<limit).map { index in
            let point = points[index * (points.count - 1) / (limit - 1)]
            return LossPoint(progress: point.progress, loss: point.loss)
        }
    }
}

/// What a finished stage reports, typed per stage. The result is kept in the lock beside the
/// stage's record, so that `report.md` and `metrics.json` come out the same when the stage is
/// up to date and does not run.
public protocol StageResult: Codable, Sendable {
    /// Key figures (tokens, vocabulary size, words/s, loss, scores) for the report table,
    /// `metrics.json` and the lock.
    var metrics: [String: Double] { get }
    /// Short notes for the report.
    var notes: [String] { get }
    /// The training loss curve, when the stage trained.
    var lossCurve: [LossPoint] { get }
    /// The curves the report plots (`STAGE-NAME.svg`): by default the loss curve over the
    /// share of training done.
    var curves: [ReportCurve] { get }
    /// The stage's key figures in one line, for the end of `wordpipe run` (by default its
    /// first note).
    var summary: String { get }
}

extension StageResult {
    public var summary: String { notes.first ?? "" }
    public var lossCurve: [LossPoint] { [] }
    public var curves: [ReportCurve] {
        [ReportCurve(name: "loss", title: "training loss", xLabel: "% of training", yLabel: "mean loss",
                     points: lossCurve.map { ($0.progress * 100, $0.loss) })]
    }
}

/// A curve of the report, drawn as an SVG line chart when it has two points or more.
public struct ReportCurve: Sendable {
    /// The file name's suffix (`loss`: `STAGE-loss.svg`).
    public var name: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var points: [(x: Double, y: Double)]

    public init(name: String, title: String, xLabel: String, yLabel: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
    }
}

/// Everything a stage needs to run.
public struct StageContext: Sendable {
    /// The stage's name in the pipeline file.
    public var name: String
    /// Input files, by kind (raw inputs expanded).
    public var inputs: [ArtifactKind: [String]]
    /// The directory to write into (renamed into place when the stage succeeds).
    public var outputDirectory: String
    public var threads: Int
    public var progress: ProgressMode
    /// The pipeline file's directory (relative settings paths resolve against it).
    public var baseDirectory: String
    /// Seconds between progress lines when stderr is not a terminal.
    public var logEvery: Double = 10

    /// The options the stage's library call gets: these threads and progress, its log on stderr
    /// after the stage's name.
    var runOptions: RunOptions {
        RunOptions(threads: threads, progress: progress, terminal: StandardError.isTerminal, logEvery: logEvery, log: StandardError.log(stage: name))
    }
}

/// A pipeline stage type: the same library call as the matching CLI command, with the same
/// configuration struct, and a typed result. Registered in `StageType.all` by versioned name
/// (`train@1`), so that a later change of a stage's meaning does not silently reinterpret old
/// files and locks.
public protocol Stage: SendableMetatype {
    /// The `with` settings (the CLI command's configuration struct).
    associatedtype Configuration: Decodable & Sendable
    /// What a run reports.
    associatedtype Result: StageResult
    /// The name used in pipeline files.
    static var name: String { get }
    /// The version of its meaning.
    static var version: Int { get }
    /// Its output kind and file name inside the stage directory.
    static var output: ArtifactKind { get }
    static var outputFile: String { get }
    /// Input kinds it accepts: required ones and optional ones.
    static var required: [ArtifactKind] { get }
    static var optional: [ArtifactKind] { get }
    /// Checks decoded settings (files they name are resolved against `directory`).
    static func validate(_ configuration: Configuration, directory: String) throws
    /// The canonical JSON of the settings, recorded in the lock.
    static func canonical(_ configuration: Configuration) throws -> Data
    /// Files named in the settings whose content decides the result (labeled data), resolved
    /// against the pipeline file's directory; hashed into the lock like inputs.
    static func dataFiles(_ configuration: Configuration, directory: String) -> [String]
    /// Runs the stage, writing its outputs into `context.outputDirectory`.
    static func run(_ configuration: Configuration, context: StageContext) throws -> Result
}

extension Stage {
    public static var optional: [ArtifactKind] { [] }
    public static func validate(_ configuration: Configuration, directory: String) throws {}
    public static func dataFiles(_ configuration: Configuration, directory: String) -> [String] { [] }
}

extension Stage where Configuration: Encodable {
    public static func canonical(_ configuration: Configuration) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(configuration)
    }
}

/// A registered stage type, by name: a `Stage` with its configuration and result types erased,
/// for the runner, the lock and the report.
public struct StageType: Sendable {
    /// The name used in pipeline files.
    public let name: String
    /// The version of its meaning.
    public let version: Int
    /// Its output kind and file name inside the stage directory.
    public let output: ArtifactKind
    public let outputFile: String
    /// Input kinds it accepts: required ones and optional ones.
    public let required: [ArtifactKind]
    public let optional: [ArtifactKind]
    /// Decodes and validates the `with` settings (JSON); returns the canonical JSON.
    let configure: @Sendable (Data, String) throws -> Data
    /// The data files named in canonical settings.
    let dataFiles: @Sendable (Data, String) -> [String]
    /// Runs the stage on canonical settings.
    let run: @Sendable (StageContext, Data) throws -> any StageResult
    /// The result kept in the lock, back as its type (nil when it does not decode).
    let decodeResult: @Sendable (String) -> (any StageResult)?

    /// The registration of `stage`.
    public init<S: Stage>(_ stage: S.Type) {
        name = S.name
        version = S.version
        output = S.output
        outputFile = S.outputFile
        required = S.required
        optional = S.optional
        configure = { data, directory in
            let configuration = try JSONDecoder().decode(S.Configuration.self, from: data)
            try S.validate(configuration, directory: directory)
            return try S.canonical(configuration)
        }
        dataFiles = { data, directory in
            guard let configuration = try? JSONDecoder().decode(S.Configuration.self, from: data) else { return [] }
            return S.dataFiles(configuration, directory: directory)
        }
        run = { context, data in
            try S.run(try JSONDecoder().decode(S.Configuration.self, from: data), context: context)
        }
        decodeResult = { text in
            try? Self.resultDecoder.decode(S.Result.self, from: Data(text.utf8))
        }
    }

    /// `train@1`.
    public var versionedName: String { "\(name)@\(version)" }

    /// Every stage type this wordpipe knows, in the order the CLI lists them.
    public static let all: [StageType] = [
        StageType(TokenizeStage.self), StageType(PhrasesStage.self), StageType(VocabStage.self), StageType(TrainStage.self),
        StageType(EvaluateStage.self), StageType(TrainTaggerStage.self), StageType(TrainClassifierStage.self), StageType(TrainLanguageModelStage.self),
        StageType(GenerateStage.self), StageType(TrainSeq2SeqStage.self),
    ]

    /// The stage type called `name` in pipeline files.
    public static func named(_ name: String) -> StageType? { all.first { $0.name == name } }

    /// A result as kept in the lock: JSON, with non-finite figures as strings.
    static func encodeResult(_ result: any StageResult) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) }
    }

    static var resultDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

/// `tokenize`: raw documents to one sentence per line (`wordpipe tokenize`).
enum TokenizeStage: Stage {
    static let name = "tokenize", version = 1, outputFile = "tokens.txt"
    static let output = ArtifactKind.corpus
    static let required: [ArtifactKind] = [.raw]

    struct Result: StageResult {
        var documents: Int
        var sentences: Int
        var tokens: Int
        var invalidUTF8: Int
        var warnings: Int
        var tokensPerSecond: Double
        var line: String

        var metrics: [String: Double] {
            ["documents": Double(documents), "sentences": Double(sentences), "tokens": Double(tokens), "invalid_utf8": Double(invalidUTF8),
             "warnings": Double(warnings), "tokens_per_second": tokensPerSecond]
        }
        var notes: [String] { [line] }
    }

    static func validate(_ configuration: TokenizeConfiguration, directory: String) throws {
        try configuration.tokenizer.validate()
    }

    static func run(_ configuration: TokenizeConfiguration, context: StageContext) throws -> Result {
        let diagnostics = Diagnostics(stage: context.name)
        let summary = try CorpusTokenizer.run(
            inputs: context.inputs[.raw] ?? [], output: context.outputDirectory + "/tokens.txt", configuration: configuration,
            options: context.runOptions, diagnostics: diagnostics)
        return Result(documents: summary.counts.documents, sentences: summary.counts.sentences, tokens: summary.counts.tokens,
                      invalidUTF8: summary.invalidSequences, warnings: summary.warnings,
                      tokensPerSecond: Double(summary.counts.tokens) / max(summary.seconds, 1e-9), line: summary.line)
    }
}

/// `phrases`: joins frequent word pairs (`wordpipe phrases`).
enum PhrasesStage: Stage {
    static let name = "phrases", version = 1, outputFile = "tokens.txt"
    static let output = ArtifactKind.corpus
    static let required: [ArtifactKind] = [.corpus]

    struct Result: StageResult {
        var tokens: Int
        var phrases: Int
        var joins: Int
        var warnings: [String]
        var line: String

        var metrics: [String: Double] { ["tokens": Double(tokens), "phrases": Double(phrases), "joins": Double(joins)] }
        var notes: [String] { warnings + [line] }
    }

    static func run(_ configuration: PhrasesConfiguration, context: StageContext) throws -> Result {
        let summary = try PhraseDetector.run(inputs: context.inputs[.corpus] ?? [], output: context.outputDirectory + "/tokens.txt",
                                             configuration: configuration, options: context.runOptions)
        return Result(tokens: Int(summary.tokens), phrases: Int(summary.phrasesFormed), joins: Int(summary.joins), warnings: summary.warnings,
                      line: summary.line)
    }
}

/// `vocab`: counts and prunes a vocabulary (`wordpipe vocab`).
enum VocabStage: Stage {
    static let name = "vocab", version = 1, outputFile = "vocab.tsv"
    static let output = ArtifactKind.vocabulary
    static let required: [ArtifactKind] = [.corpus]

    struct Result: StageResult {
        var typesKept: Int
        var typesSeen: Int
        var tokens: Int
        var coverage: Double
        var line: String

        var metrics: [String: Double] {
            ["types_kept": Double(typesKept), "types_seen": Double(typesSeen), "tokens": Double(tokens), "coverage": coverage]
        }
        var notes: [String] { [line] }
    }

    static func run(_ configuration: VocabularyConfiguration, context: StageContext) throws -> Result {
        let (vocabulary, summary) = try VocabularyBuilder.build(inputs: context.inputs[.corpus] ?? [], configuration: configuration,
                                                                options: context.runOptions)
        let info = VocabularyInfo(configuration: configuration, tokenizer: vocabulary.tokenizer, specialCount: vocabulary.specialCount,
                                  corpusTokens: summary.tokens, typesSeen: summary.typesSeen, typesPruned: summary.typesPruned)
        try vocabulary.write(to: context.outputDirectory + "/vocab.tsv", format: .tsv, info: info)
        return Result(typesKept: Int(summary.typesKept), typesSeen: Int(summary.typesSeen), tokens: Int(summary.tokens),
                      coverage: summary.coverage, line: summary.line)
    }
}

/// `train`: word vectors (`wordpipe train`); also writes `loss.tsv`. With a `vectors` input
/// (another stage's vectors), training continues from them (`wordpipe train --init`): the
/// dimension must agree, and the n-grams are taken from them unless the settings name them.
enum TrainStage: Stage {
    static let name = "train", version = 1, outputFile = "vectors.wpv"
    static let output = ArtifactKind.vectors
    static let required: [ArtifactKind] = [.corpus]
    static let optional: [ArtifactKind] = [.vocabulary, .vectors]

    struct Result: StageResult {
        var words: Int
        var wordsPerSecond: Double
        var threads: Int
        var finalLoss: Double?
        var line: String
        var lossCurve: [LossPoint]
        /// The epochs trained (absent in results kept by an earlier wordpipe).
        var epochs: Int?

        /// The loss over the words trained, in epochs.
        var curves: [ReportCurve] {
            guard let epochs else { return [ReportCurve(name: "loss", title: "training loss", xLabel: "% of training", yLabel: "mean loss",
                                                        points: lossCurve.map { ($0.progress * 100, $0.loss) })] }
            return [ReportCurve(name: "loss", title: "training loss over the words trained", xLabel: "epoch", yLabel: "mean loss",
                                points: lossCurve.map { ($0.progress * Double(epochs), $0.loss) })]
        }

        var metrics: [String: Double] {
            var metrics = ["words": Double(words), "words_per_second": wordsPerSecond,
                           "words_per_second_per_thread": wordsPerSecond / Double(threads)]
            if let finalLoss { metrics["final_loss"] = finalLoss }
            return metrics
        }
        var notes: [String] { [line] }
    }

    static func run(_ configuration: TrainingConfiguration, context: StageContext) throws -> Result {
        var options = TrainingOptions(threads: context.threads, progress: context.progress, terminal: StandardError.isTerminal,
                                      log: StandardError.log(stage: context.name))
        options.logEvery = context.logEvery
        var configuration = configuration
        var initial: InitialVectors?
        if let vectors = context.inputs[.vectors] {
            guard vectors.count == 1 else {
                throw EmbeddingError.invalidOption(name: "inputs", value: "\(vectors.count) vector inputs", expected: "at most one stage whose vectors training continues from")
            }
            let loaded = try InitialVectors.load(path: vectors[0])
            configuration = try loaded.resolve(configuration, dimGiven: true,
                                               bucketsGiven: configuration.buckets != TrainingConfiguration.defaultBuckets)
            initial = loaded
        }
        let (_, summary) = try TrainingJob.run(
            inputs: context.inputs[.corpus] ?? [], vocabularyPath: context.inputs[.vocabulary]?.first,
            output: context.outputDirectory + "/vectors.wpv", format: .native, configuration: configuration, options: options,
            initial: initial)
        var curve = "progress\tloss\n"
        for point in summary.lossCurve { curve += String(format: "%.5f\t%.6f\n", point.progress, point.loss) }
        try OutputFile.writeAtomically(Data(curve.utf8), to: context.outputDirectory + "/loss.tsv")
        return Result(words: Int(summary.words), wordsPerSecond: summary.wordsPerSecond, threads: summary.threads,
                      finalLoss: summary.epochLosses.last, line: summary.line, lossCurve: LossPoint.thinned(summary.lossCurve),
                      epochs: configuration.epochs)
    }
}

/// `evaluate`: analogies and word-pair similarity of vectors (`wordpipe evaluate`).
enum EvaluateStage: Stage {
    static let name = "evaluate", version = 1, outputFile = "evaluation.json"
    static let output = ArtifactKind.evaluation
    static let required: [ArtifactKind] = [.vectors]

    struct Result: StageResult {
        /// Per evaluation file name: analogy accuracy and questions, Spearman's rho.
        var analogies: [String: Analogy] = [:]
        var spearman: [String: Double] = [:]
        var lines: [String] = []

        struct Analogy: Codable, Sendable {
            var accuracy: Double
            var questions: Int
        }

        var metrics: [String: Double] {
            var metrics: [String: Double] = [:]
            for (name, result) in analogies {
                metrics["analogy_accuracy:\(name)"] = result.accuracy
                metrics["analogy_questions:\(name)"] = Double(result.questions)
            }
            for (name, rho) in spearman { metrics["spearman:\(name)"] = rho }
            return metrics
        }
        var notes: [String] { lines }

        /// Each analogy file's accuracy and each pair file's Spearman correlation.
        var summary: String {
            let analogyFigures = analogies.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.2f%% of %d", $0.key, 100 * $0.value.accuracy, $0.value.questions) }
            let pairFigures = spearman.sorted { $0.key < $1.key }.map { String(format: "%@ Spearman %.4f", $0.key, $0.value) }
            return (analogyFigures + pairFigures).joined(separator: "; ")
        }
    }

    // Evaluation files are resolved against the pipeline file's directory and must exist.
    static func validate(_ configuration: EvaluationConfiguration, directory: String) throws {
        for path in configuration.analogies + configuration.pairs where !FileManager.default.fileExists(atPath: resolve(path, in: directory)) {
            throw EmbeddingError.invalidOption(name: "analogies/pairs", value: "'\(path)'", expected: "an existing file")
        }
    }

    // The evaluation sets decide the result too: hashed into the lock, and checked like inputs.
    static func dataFiles(_ configuration: EvaluationConfiguration, directory: String) -> [String] {
        (configuration.analogies + configuration.pairs).map { resolve($0, in: directory) }
    }

    static func run(_ configuration: EvaluationConfiguration, context: StageContext) throws -> Result {
        var configuration = configuration
        configuration.analogies = configuration.analogies.map { resolve($0, in: context.baseDirectory) }
        configuration.pairs = configuration.pairs.map { resolve($0, in: context.baseDirectory) }
        guard let vectorsPath = context.inputs[.vectors]?.first else { return Result() }
        let (vectors, _) = try WordVectors.load(from: vectorsPath)
        let results = try VectorStore(vectors).evaluate(configuration)
        let json = try JSONSerialization.data(withJSONObject: results.dictionary, options: [.prettyPrinted, .sortedKeys])
        try OutputFile.writeAtomically(json, to: context.outputDirectory + "/evaluation.json")
        var result = Result(lines: results.lines)
        for (path, outcome) in results.analogies {
            result.analogies[URL(fileURLWithPath: path).lastPathComponent] = .init(
                accuracy: outcome.total.accuracy, questions: outcome.total.correct + outcome.total.incorrect)
        }
        for (path, outcome) in results.pairs { result.spearman[URL(fileURLWithPath: path).lastPathComponent] = outcome.spearman }
        return result
    }
}

/// `path` made absolute against `directory` (unchanged when already absolute).
func resolve(_ path: String, in directory: String) -> String {
    if path.hasPrefix("/") || directory.isEmpty { return path }
    return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).absoluteURL.standardized.path
}
