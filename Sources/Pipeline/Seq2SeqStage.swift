import Foundation
import Models
import WordPipeSupport

/// The settings of the `train-seq2seq` stage: the parallel files (each resolved against the
/// pipeline file and hashed into the lock like any input) beside the keys of
/// `Seq2SeqConfiguration`, which `wordpipe train-seq2seq` shares.
struct Seq2SeqStageSettings: Decodable, Sendable {
    var source: String
    var target: String
    var devSource: String
    var devTarget: String
    var testSource: String?
    var testTarget: String?
    var configuration: Seq2SeqConfiguration

    enum CodingKeys: String, CodingKey {
        case source, target
        case devSource = "dev_source"
        case devTarget = "dev_target"
        case testSource = "test_source"
        case testTarget = "test_target"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        target = try container.decode(String.self, forKey: .target)
        devSource = try container.decode(String.self, forKey: .devSource)
        devTarget = try container.decode(String.self, forKey: .devTarget)
        testSource = try container.decodeIfPresent(String.self, forKey: .testSource)
        testTarget = try container.decodeIfPresent(String.self, forKey: .testTarget)
        if (testSource == nil) != (testTarget == nil) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: [testSource == nil ? CodingKeys.testSource : .testTarget],
                debugDescription: "test_source and test_target go together: give both or neither"))
        }
        configuration = try Seq2SeqConfiguration(from: decoder)
    }

    /// The data files with their keys, resolved against `directory`.
    func files(in directory: String) -> [(key: CodingKeys, path: String)] {
        var files: [(CodingKeys, String)] = [(.source, source), (.target, target), (.devSource, devSource), (.devTarget, devTarget)]
        if let testSource, let testTarget { files += [(.testSource, testSource), (.testTarget, testTarget)] }
        return files.map { ($0.0, resolve($0.1, in: directory)) }
    }
}

/// `train-seq2seq` (`wordpipe train-seq2seq`): an encoder-decoder on the parallel `source` and
/// `target`, the epoch kept by its greedy dev BLEU; with `test_source` and `test_target`, the
/// test set is translated greedily and scored. Writes `model.wpm`, `dev.json` and `test.json`;
/// `wordpipe translate` reads the model.
enum TrainSeq2SeqStage: Stage {
    static let name = "train-seq2seq", version = 1, outputFile = "model.wpm"
    static let output = ArtifactKind.model
    static let required: [ArtifactKind] = []
    static let optional: [ArtifactKind] = [.vectors]

    static func validate(_ configuration: Seq2SeqStageSettings, directory: String) throws {
        for (key, path) in configuration.files(in: directory) where !FileManager.default.fileExists(atPath: path) {
            throw DecodingError.dataCorrupted(DecodingError.Context(codingPath: [key], debugDescription: "\(key.rawValue): no such file '\(path)'"))
        }
    }

    static func canonical(_ configuration: Seq2SeqStageSettings) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(configuration.configuration)) as? [String: Any] ?? [:]
        for (key, path) in configuration.files(in: "") { object[key.rawValue] = path }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func dataFiles(_ configuration: Seq2SeqStageSettings, directory: String) -> [String] {
        configuration.files(in: directory).map(\.path)
    }

    static func run(_ configuration: Seq2SeqStageSettings, context: StageContext) throws -> ModelStageResult<Seq2SeqMetrics> {
        let files = Dictionary(uniqueKeysWithValues: configuration.files(in: context.baseDirectory).map { ($0.key.rawValue, $0.path) })
        let notes = LogRecorder()
        let shown = context.progress != .never ? StandardError.log(stage: context.name) : nil
        let options = ModelTrainingOptions(run: RunOptions(threads: context.threads, progress: context.progress, terminal: StandardError.isTerminal,
                                                           logEvery: context.logEvery, log: notes.sink(forwardingTo: shown)))
        let result = try Seq2SeqTraining.run(train: ParallelFiles(source: files["source"]!, target: files["target"]!),
                                             dev: ParallelFiles(source: files["dev_source"]!, target: files["dev_target"]!),
                                             vectorsPath: context.inputs[.vectors]?.first, configuration: configuration.configuration,
                                             options: options)
        let record = result.record
        var metrics = ["dev_bleu": result.dev.bleu, "dev_chrf": result.dev.chrf, "best_epoch": Double(record.bestEpoch),
                       "epochs": Double(record.epochs), "train_seconds": record.trainSeconds]
        var test: Seq2SeqMetrics?
        if let source = files["test_source"], let target = files["test_target"] {
            let score = try Seq2SeqTraining.evaluate(result.model, on: ParallelFiles(source: source, target: target), threads: context.threads)
            metrics["test_bleu"] = score.bleu
            metrics["test_chrf"] = score.chrf
            test = score
        }
        try result.model.save(to: context.outputDirectory + "/model.wpm", record: record)
        func json(_ score: Seq2SeqMetrics) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            return try encoder.encode(score) + Data("\n".utf8)
        }
        if let test { try OutputFile.writeAtomically(try json(test), to: context.outputDirectory + "/test.json") }
        try OutputFile.writeAtomically(try json(result.dev), to: context.outputDirectory + "/dev.json")
        return ModelStageResult(metrics: metrics, notes: notes.lines, training: record, dev: result.dev, test: test, history: result.history)
    }
}
