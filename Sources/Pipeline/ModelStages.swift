import Foundation
import Models
import Recurrent
import WordPipeSupport

/// The settings of the `train-tagger` and `train-classifier` stages: the data files (`train`,
/// `dev`, optional `test`, resolved against the pipeline file and hashed into the lock like any
/// input) beside the keys of the task's configuration struct, which `wordpipe train-tagger`
/// and `train-classifier` share.
struct ModelStageSettings<Configuration: Codable & Sendable>: Decodable, Sendable {
    var train: String
    var dev: String
    var test: String?
    var configuration: Configuration

    enum CodingKeys: String, CodingKey { case train, dev, test }

    /// Decodes the data paths and, from the same keys, the configuration (which accepts the
    /// data keys and rejects any other unknown key with the closest valid one).
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        train = try container.decode(String.self, forKey: .train)
        dev = try container.decode(String.self, forKey: .dev)
        test = try container.decodeIfPresent(String.self, forKey: .test)
        configuration = try Configuration(from: decoder)
    }

    static func decode(_ data: Data) throws -> ModelStageSettings { try JSONDecoder().decode(Self.self, from: data) }

    /// The canonical JSON: the configuration's keys plus the data paths as written.
    func canonical() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(configuration)) as? [String: Any] ?? [:]
        object["train"] = train
        object["dev"] = dev
        if let test { object["test"] = test }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// The data files by role, resolved against `directory`.
    func files(in directory: String) -> ModelDataFiles {
        ModelDataFiles(train: resolve(train, in: directory), dev: resolve(dev, in: directory), test: test.map { resolve($0, in: directory) })
    }

    /// Throws, at the key, when a data file is missing.
    func checkFiles(in directory: String) throws {
        for (key, path) in files(in: directory).byKey where !FileManager.default.fileExists(atPath: path) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: [CodingKeys(rawValue: key) ?? .train], debugDescription: "\(key): no such file '\(path)'"))
        }
    }
}

/// A model stage's labeled data files by role, resolved.
struct ModelDataFiles: Sendable {
    /// What the model learns from.
    var train: String
    /// What each epoch is scored on (the best epoch's weights are kept).
    var dev: String
    /// Scored once at the end, when given.
    var test: String?

    /// The files with their settings keys, in the order train, dev, test.
    var byKey: [(key: String, path: String)] { [("train", train), ("dev", dev)] + (test.map { [("test", $0)] } ?? []) }
}

/// What a model stage's training reports: its key figures, the training log (one line per
/// epoch), the training record and the full dev (and test) scores of the kept weights. Results
/// kept in locks before the record and scores were added decode with them absent.
struct ModelStageResult<Score: Codable & Sendable>: StageResult {
    var metrics: [String: Double]
    var notes: [String]
    /// How the model was trained (as its model file records it).
    var training: TrainingRecord?
    /// The dev score of the kept weights (a tagger's `TaggerScore`, a classifier's
    /// `ClassificationMetrics`), as `dev.json` holds it.
    var dev: Score?
    /// The score on `test`, when given, as `test.json` holds it.
    var test: Score?
    /// Each epoch's mean training loss and dev score.
    var history: [EpochFigures]?

    /// The kept epoch's dev score, and the test score's main figures.
    var summary: String {
        guard let training else { return notes.last ?? "" }
        let test = metrics.filter { $0.key.hasPrefix("test_") && !$0.key.hasPrefix("test_macro") }.sorted { $0.key < $1.key }
            .map { String(format: "; %@ %.4f", $0.key.replacingOccurrences(of: "_", with: " "), $0.value) }.joined()
        return String(format: "dev %@ %.4f at epoch %d of %d", training.metric, training.devScore, training.bestEpoch, training.epochs) + test
    }

    /// The loss and the dev score per epoch.
    var curves: [ReportCurve] {
        guard let history else { return [] }
        let metric = training?.metric ?? "score"
        return [ReportCurve(name: "loss", title: "training loss per epoch", xLabel: "epoch", yLabel: "mean loss",
                            points: history.map { (Double($0.epoch), $0.loss) }),
                ReportCurve(name: "dev", title: "dev \(metric) per epoch", xLabel: "epoch", yLabel: "dev \(metric)",
                            points: history.map { (Double($0.epoch), $0.dev) })]
    }
}

/// A stage that trains a model on labeled data: `with` holds the data files beside the keys of
/// the task's configuration; writes `model.wpm`, `dev.json` and, with `test`, `test.json`. A
/// model type gives its training call, its scoring of a file, its figures and its file; the
/// rest (options, log, test scoring, files written, the result) is shared.
protocol ModelStage: Stage where Configuration == ModelStageSettings<TaskConfiguration>, Result == ModelStageResult<Score> {
    associatedtype TaskConfiguration: Codable & Sendable
    /// The trained model.
    associatedtype Model
    /// The full dev and test score.
    associatedtype Score: Codable & Sendable
    /// Trains on `files.train`, selecting on `files.dev` (with the vectors file, when the stage
    /// has one); `options`' log sink gets the per-epoch lines.
    static func train(_ configuration: TaskConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TrainingResult<Model, Score>
    /// Scores `model` on a labeled file, with the OOV rate of its tokens against the vectors the
    /// model started from (nil without).
    static func evaluate(_ model: Model, path: String) throws -> (score: Score, oov: Double?)
    /// The report's figures of a score, named `PREFIX_NAME` (`dev_f1`, `test_accuracy`).
    static func figures(_ score: Score, prefix: String, record: TrainingRecord) -> [String: Double]
    /// The score as `dev.json` and `test.json` hold it.
    static func json(_ score: Score) throws -> String
    /// Saves the model file.
    static func save(_ model: Model, record: TrainingRecord, to path: String) throws
}

extension ModelStage {
    static var version: Int { 1 }
    static var output: ArtifactKind { .model }
    static var outputFile: String { "model.wpm" }
    static var required: [ArtifactKind] { [] }
    static var optional: [ArtifactKind] { [.vectors] }

    static func validate(_ configuration: Configuration, directory: String) throws { try configuration.checkFiles(in: directory) }
    static func canonical(_ configuration: Configuration) throws -> Data { try configuration.canonical() }
    static func dataFiles(_ configuration: Configuration, directory: String) -> [String] { configuration.files(in: directory).byKey.map(\.path) }

    static func run(_ configuration: Configuration, context: StageContext) throws -> ModelStageResult<Score> {
        let files = configuration.files(in: context.baseDirectory)
        // The log's lines become the stage's notes; they and the progress inside epochs are
        // shown on stderr unless progress is off.
        let notes = LogRecorder()
        let shown = context.progress != .never ? StandardError.log(stage: context.name) : nil
        let options = ModelTrainingOptions(run: RunOptions(threads: context.threads, progress: context.progress, terminal: StandardError.isTerminal,
                                                           logEvery: context.logEvery, log: notes.sink(forwardingTo: shown)))
        let result = try train(configuration.configuration, files: files, vectors: context.inputs[.vectors]?.first, options: options)
        let record = result.record
        var metrics = figures(result.dev, prefix: "dev", record: record).merging(
            ["best_epoch": Double(record.bestEpoch), "epochs": Double(record.epochs), "train_seconds": record.trainSeconds]) { $1 }
        var test: Score?
        if let testPath = files.test {
            let (score, oov) = try evaluate(result.model, path: testPath)
            metrics.merge(figures(score, prefix: "test", record: record)) { $1 }
            if let oov { metrics["oov_test"] = oov }
            test = score
        }
        try save(result.model, record: record, to: context.outputDirectory + "/model.wpm")
        if let test {
            try OutputFile.writeAtomically(Data(try json(test).utf8), to: context.outputDirectory + "/test.json")
        }
        try OutputFile.writeAtomically(Data(try json(result.dev).utf8), to: context.outputDirectory + "/dev.json")
        return ModelStageResult(metrics: metrics, notes: notes.lines, training: record, dev: result.dev, test: test, history: result.history)
    }
}

/// `train-tagger` (`wordpipe train-tagger`).
enum TrainTaggerStage: ModelStage {
    static let name = "train-tagger"

    static func train(_ configuration: TaggerConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TaggerTrainingResult {
        try TaggerTraining.run(trainPath: files.train, devPath: files.dev, vectorsPath: vectors, configuration: configuration, options: options)
    }

    static func evaluate(_ model: Tagger, path: String) throws -> (score: TaggerScore, oov: Double?) {
        let score = try TaggerTraining.evaluate(model, path: path)
        return (score, score.vectorOOVRate)
    }

    /// Entity F1 (chunk tags) or token accuracy, and on dev the OOV rate against the vectors.
    static func figures(_ score: TaggerScore, prefix: String, record: TrainingRecord) -> [String: Double] {
        var figures = ["\(prefix)_\(record.metric)": score.main]
        if prefix == "dev", let oov = record.oovDev { figures["oov_dev"] = oov }
        return figures
    }

    static func json(_ score: TaggerScore) throws -> String { try score.metrics.jsonString() }

    static func save(_ model: Tagger, record: TrainingRecord, to path: String) throws { try model.save(to: path, record: record) }
}

/// `train-classifier` (`wordpipe train-classifier`).
enum TrainClassifierStage: ModelStage {
    static let name = "train-classifier"

    static func train(_ configuration: ClassifierConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> ClassifierTrainingResult {
        try ClassifierTraining.run(trainPath: files.train, devPath: files.dev, vectorsPath: vectors, configuration: configuration, options: options)
    }

    static func evaluate(_ model: Classifier, path: String) throws -> (score: ClassificationMetrics, oov: Double?) {
        (try ClassifierTraining.evaluate(model, path: path), try ClassifierTraining.vectorOOVRate(model, path: path))
    }

    /// Accuracy and macro-averaged F1.
    static func figures(_ score: ClassificationMetrics, prefix: String, record: TrainingRecord) -> [String: Double] {
        ["\(prefix)_accuracy": score.accuracy, "\(prefix)_macro_f1": score.macroF1]
    }

    static func json(_ score: ClassificationMetrics) throws -> String { try score.jsonString() }

    static func save(_ model: Classifier, record: TrainingRecord, to path: String) throws { try model.save(to: path, record: record) }
}

/// `train-lm` (`wordpipe train-lm`): a language model on `train`, the epoch kept by its dev
/// perplexity (bits per char for char models); `test` is scored the same way. `wordpipe
/// generate` and `wordpipe perplexity` read its `model.wpm`.
enum TrainLanguageModelStage: ModelStage {
    static let name = "train-lm"

    static func train(_ configuration: LanguageModelConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TrainingResult<LanguageModel, LanguageModelMetrics> {
        try LanguageModelTraining.run(trainPath: files.train, devPath: files.dev, vectorsPath: vectors, configuration: configuration,
                                      options: options)
    }

    static func evaluate(_ model: LanguageModel, path: String) throws -> (score: LanguageModelMetrics, oov: Double?) {
        let score = try LanguageModelTraining.evaluate(model, path: path)
        return (score, score.tokens == 0 ? nil : Double(score.unknown) / Double(score.tokens))
    }

    /// Perplexity, or bits and nats per char, and the NLL per token.
    static func figures(_ score: LanguageModelMetrics, prefix: String, record: TrainingRecord) -> [String: Double] {
        var figures = ["\(prefix)_nll": score.nll]
        switch score.unit {
        case .word: figures["\(prefix)_perplexity"] = score.perplexity
        case .char:
            figures["\(prefix)_bits_per_char"] = score.bitsPerToken
            figures["\(prefix)_nats_per_char"] = score.nll
        }
        return figures
    }

    static func json(_ score: LanguageModelMetrics) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: score.figures, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func save(_ model: LanguageModel, record: TrainingRecord, to path: String) throws { try model.save(to: path, record: record) }
}

/// The settings of the `generate` stage: `wordpipe generate`'s options, flat snake_case keys.
public struct GenerationSettings: Codable, Sendable, Equatable {
    public var prompt: String?
    public var maxTokens: Int = 100
    public var temperature: Double = 1
    public var topK: Int?
    public var topP: Double?
    public var seed: UInt64 = 1
    public var count: Int = 1
    public var stop: String?

    /// The defaults (as `wordpipe generate`'s).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case prompt, temperature, seed, count, stop
        case maxTokens = "max_tokens"
        case topK = "top_k"
        case topP = "top_p"
    }

    static let keys = ["prompt", "max_tokens", "temperature", "top_k", "top_p", "seed", "count", "stop"]

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: Self.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? 100
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? 1
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
        stop = try c.decodeIfPresent(String.self, forKey: .stop)
        try options.validate()
        guard (1...10_000).contains(count) else {
            throw ModelError.invalidOption(name: SettingKey(stringValue: "count"), value: "\(count)", expected: "an integer in 1...10000")
        }
    }

    var options: SamplingOptions { SamplingOptions(temperature: temperature, topK: topK, topP: topP, maxTokens: maxTokens, stop: stop) }
}

/// `generate` (`wordpipe generate`): samples from the language model of its input stage into
/// `samples.txt` (samples separated by a blank line); the same seed gives the same samples.
enum GenerateStage: Stage {
    static let name = "generate", version = 1, outputFile = "samples.txt"
    static let output = ArtifactKind.evaluation
    static let required: [ArtifactKind] = [.model]

    struct Result: StageResult {
        var samples: [String]
        var metrics: [String: Double]
        var notes: [String] { samples }
        var summary: String {
            let first = samples.first ?? ""
            return "\(samples.count) sample\(samples.count == 1 ? "" : "s"); first: " + (first.count > 80 ? String(first.prefix(80)) + "…" : first)
        }
    }

    static func run(_ configuration: GenerationSettings, context: StageContext) throws -> Result {
        guard let path = context.inputs[.model]?.first else {
            throw ModelError.badData(location: nil, message: "the generate stage needs a train-lm stage among its inputs")
        }
        let model = try LanguageModel.load(from: path).model
        let prompt = try configuration.prompt.map { try model.tokens(of: $0, endOfLines: false) } ?? []
        var generator = SeededGenerator(seed: configuration.seed)
        var samples: [String] = [], tokens = 0, logProbability = 0.0
        for _ in 0..<configuration.count {
            let sample = model.generate(prompt: prompt, options: configuration.options, generator: &generator)
            // A word model's text after a prompt starts with its space.
            samples.append((configuration.prompt ?? "") + sample.text)
            tokens += sample.tokens.count
            logProbability += sample.logProbabilities.reduce(0, +)
        }
        try OutputFile.writeAtomically(Data((samples.joined(separator: "\n\n") + "\n").utf8), to: context.outputDirectory + "/samples.txt")
        return Result(samples: samples, metrics: ["samples": Double(samples.count), "tokens": Double(tokens),
                                                  "mean_logprob": tokens == 0 ? 0 : logProbability / Double(tokens)])
    }
}
