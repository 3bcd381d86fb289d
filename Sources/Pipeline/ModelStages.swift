import Foundation
import Models
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
}

/// What a model stage's training leaves: the model file's writer, the figures of the report,
/// the training record and the dev (and test) scores.
struct TrainedModel<Score: Codable & Sendable> {
    var save: (String) throws -> Void
    var metrics: [String: Double]
    var record: TrainingRecord
    var dev: Score
    var test: Score?
    var devJSON: String
    var testJSON: String?
}

/// A stage that trains a model on labeled data: `with` holds the data files beside the keys of
/// the task's configuration; writes `model.wpm`, `dev.json` and, with `test`, `test.json`.
protocol ModelStage: Stage where Configuration == ModelStageSettings<TaskConfiguration>, Result == ModelStageResult<Score> {
    associatedtype TaskConfiguration: Codable & Sendable
    /// The full dev and test score.
    associatedtype Score: Codable & Sendable
    /// Trains on `files` (with the vectors file, when the stage has one) and scores dev and test;
    /// `options`' log sink gets the per-epoch lines.
    static func train(_ configuration: TaskConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TrainedModel<Score>
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
        let options = ModelTrainingOptions(run: RunOptions(threads: context.threads, progress: context.progress,
                                                           terminal: StandardError.isTerminal, log: notes.sink(forwardingTo: shown)))
        let trained = try train(configuration.configuration, files: files, vectors: context.inputs[.vectors]?.first, options: options)
        try trained.save(context.outputDirectory + "/model.wpm")
        if let test = trained.testJSON {
            try OutputFile.writeAtomically(Data(test.utf8), to: context.outputDirectory + "/test.json")
        }
        try OutputFile.writeAtomically(Data(trained.devJSON.utf8), to: context.outputDirectory + "/dev.json")
        return ModelStageResult(metrics: trained.metrics, notes: notes.lines, training: trained.record, dev: trained.dev, test: trained.test)
    }
}

/// `train-tagger` (`wordpipe train-tagger`).
enum TrainTaggerStage: ModelStage {
    static let name = "train-tagger"

    static func train(_ configuration: TaggerConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TrainedModel<TaggerScore> {
        let result = try TaggerTraining.run(trainPath: files.train, devPath: files.dev, vectorsPath: vectors,
                                            configuration: configuration, options: options)
        let name = result.record.metric
        var metrics = ["dev_\(name)": result.record.devScore, "best_epoch": Double(result.record.bestEpoch),
                       "epochs": Double(result.record.epochs), "train_seconds": result.record.trainSeconds]
        if let oov = result.record.oovDev { metrics["oov_dev"] = oov }
        var test: TaggerScore?
        if let testPath = files.test {
            let score = try TaggerTraining.evaluate(result.tagger, path: testPath)
            metrics["test_\(name)"] = score.main
            if let oov = score.vectorOOVRate { metrics["oov_test"] = oov }
            test = score
        }
        return TrainedModel(save: { try result.tagger.save(to: $0, record: result.record) }, metrics: metrics,
                            record: result.record, dev: result.dev, test: test,
                            devJSON: try result.dev.metrics.jsonString(), testJSON: try test?.metrics.jsonString())
    }
}

/// `train-classifier` (`wordpipe train-classifier`).
enum TrainClassifierStage: ModelStage {
    static let name = "train-classifier"

    static func train(_ configuration: ClassifierConfiguration, files: ModelDataFiles, vectors: String?,
                      options: ModelTrainingOptions) throws -> TrainedModel<ClassificationMetrics> {
        let result = try ClassifierTraining.run(trainPath: files.train, devPath: files.dev, vectorsPath: vectors,
                                                configuration: configuration, options: options)
        var metrics = ["dev_accuracy": result.dev.accuracy, "dev_macro_f1": result.dev.macroF1,
                       "best_epoch": Double(result.record.bestEpoch), "epochs": Double(result.record.epochs),
                       "train_seconds": result.record.trainSeconds]
        var test: ClassificationMetrics?
        if let testPath = files.test {
            let score = try ClassifierTraining.evaluate(result.classifier, path: testPath)
            metrics["test_accuracy"] = score.accuracy
            metrics["test_macro_f1"] = score.macroF1
            if let oov = try ClassifierTraining.vectorOOVRate(result.classifier, path: testPath) { metrics["oov_test"] = oov }
            test = score
        }
        return TrainedModel(save: { try result.classifier.save(to: $0, record: result.record) }, metrics: metrics,
                            record: result.record, dev: result.dev, test: test,
                            devJSON: try result.dev.jsonString(), testJSON: try test?.jsonString())
    }
}
