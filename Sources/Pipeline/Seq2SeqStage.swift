import Foundation
import Models
import WordPipeSupport

/// The settings of the `train-seq2seq` stage: the parallel files (each resolved against the
/// pipeline file and hashed into the lock like any input) beside the keys of
/// `Seq2SeqConfiguration`, which `wordpipe train-seq2seq` shares. Each set is two line-aligned
/// files (`source` and `target`, `dev_source` …) or one file of tab-separated pairs (`pairs`,
/// `dev_pairs`, `test_pairs`).
struct Seq2SeqStageSettings: Decodable, Sendable {
    var source: String?
    var target: String?
    var pairs: String?
    var devSource: String?
    var devTarget: String?
    var devPairs: String?
    var testSource: String?
    var testTarget: String?
    var testPairs: String?
    var configuration: Seq2SeqConfiguration

    enum CodingKeys: String, CodingKey {
        case source, target, pairs
        case devSource = "dev_source"
        case devTarget = "dev_target"
        case devPairs = "dev_pairs"
        case testSource = "test_source"
        case testTarget = "test_target"
        case testPairs = "test_pairs"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> String? { try container.decodeIfPresent(String.self, forKey: key) }
        (source, target, pairs) = (try value(.source), try value(.target), try value(.pairs))
        (devSource, devTarget, devPairs) = (try value(.devSource), try value(.devTarget), try value(.devPairs))
        (testSource, testTarget, testPairs) = (try value(.testSource), try value(.testTarget), try value(.testPairs))
        /// One set: both sides, or the pairs, never both (the test set may be absent).
        func check(_ source: String?, _ target: String?, _ pairs: String?, keys: (CodingKeys, CodingKeys, CodingKeys), required: Bool) throws {
            let (sourceKey, targetKey, pairsKey) = keys
            let sides = "\(sourceKey.rawValue) and \(targetKey.rawValue)"
            if pairs != nil && (source != nil || target != nil) {
                throw DecodingError.dataCorrupted(DecodingError.Context(
                    codingPath: [pairsKey], debugDescription: "give \(pairsKey.rawValue) (one file of tab-separated pairs) or \(sides), not both"))
            }
            if pairs == nil && (source == nil) != (target == nil) {
                throw DecodingError.dataCorrupted(DecodingError.Context(
                    codingPath: [source == nil ? sourceKey : targetKey], debugDescription: "\(sides) go together: give both or neither"))
            }
            if required && pairs == nil && source == nil {
                throw DecodingError.keyNotFound(sourceKey, DecodingError.Context(
                    codingPath: [], debugDescription: "give \(sides) (two line-aligned files) or \(pairsKey.rawValue) (source TAB target per line)"))
            }
        }
        try check(source, target, pairs, keys: (.source, .target, .pairs), required: true)
        try check(devSource, devTarget, devPairs, keys: (.devSource, .devTarget, .devPairs), required: true)
        try check(testSource, testTarget, testPairs, keys: (.testSource, .testTarget, .testPairs), required: false)
        configuration = try Seq2SeqConfiguration(from: decoder)
    }

    /// The data files with their keys, resolved against `directory`.
    func files(in directory: String) -> [(key: CodingKeys, path: String)] {
        let all: [(CodingKeys, String?)] = [(.source, source), (.target, target), (.pairs, pairs), (.devSource, devSource),
                                            (.devTarget, devTarget), (.devPairs, devPairs), (.testSource, testSource),
                                            (.testTarget, testTarget), (.testPairs, testPairs)]
        return all.compactMap { key, path in path.map { (key, resolve($0, in: directory)) } }
    }
}

extension ParallelFiles {
    /// A set of the stage's resolved files, by key prefix (`""`, `"dev_"`, `"test_"`); nil when absent.
    init?(_ files: [String: String], prefix: String) {
        if let pairs = files[prefix + "pairs"] {
            self.init(pairs: pairs)
        } else if let source = files[prefix + "source"], let target = files[prefix + "target"] {
            self.init(source: source, target: target)
        } else {
            return nil
        }
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
        guard let train = ParallelFiles(files, prefix: ""), let dev = ParallelFiles(files, prefix: "dev_") else {
            throw ModelError.badData(location: nil, message: "the training and dev data are missing; give source and target, or pairs (and dev_source and dev_target, or dev_pairs)")
        }
        let result = try Seq2SeqTraining.run(train: train, dev: dev,
                                             vectorsPath: context.inputs[.vectors]?.first, configuration: configuration.configuration,
                                             options: options)
        let record = result.record
        var metrics = ["dev_bleu": result.dev.bleu, "dev_chrf": result.dev.chrf, "best_epoch": Double(record.bestEpoch),
                       "epochs": Double(record.epochs), "train_seconds": record.trainSeconds]
        var test: Seq2SeqMetrics?
        if let testFiles = ParallelFiles(files, prefix: "test_") {
            let score = try Seq2SeqTraining.evaluate(result.model, on: testFiles, threads: context.threads)
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
