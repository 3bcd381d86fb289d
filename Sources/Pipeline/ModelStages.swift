import Foundation
import Models
import WordPipeSupport

/// The settings of the `train-tagger` and `train-classifier` stages: the data files (`train`,
/// `dev`, optional `test`, resolved against the pipeline file and hashed into the lock like any
/// input) beside the keys of the task's configuration struct, which `wordpipe train-tagger`
/// and `train-classifier` share.
struct ModelStageSettings<Configuration: Codable>: Decodable {
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

    /// The data files by key, resolved against `directory`.
    func files(in directory: String) -> [(key: String, path: String)] {
        [("train", train), ("dev", dev)].map { ($0.0, resolve($0.1, in: directory)) } + (test.map { [("test", resolve($0, in: directory))] } ?? [])
    }

    /// Throws, at the key, when a data file is missing.
    func checkFiles(in directory: String) throws {
        for (key, path) in files(in: directory) where !FileManager.default.fileExists(atPath: path) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: [CodingKeys(rawValue: key) ?? .train], debugDescription: "\(key): no such file '\(path)'"))
        }
    }
}

/// What a model stage's training leaves: the model file's writer, the metrics of the report and
/// the dev (and test) score files' JSON.
struct ModelStageResult {
    var save: (String) throws -> Void
    var metrics: [String: Double]
    var devJSON: String
    var testJSON: String?
}

extension StageType {
    /// A stage that trains a model on labeled data: `with` holds the data files beside the keys
    /// of `Configuration`; writes `model.wpm`, `dev.json` and, with `test`, `test.json`.
    /// `train` gets the settings, the resolved data files (train, dev, test), the vectors file,
    /// the thread count and the log.
    static func modelStage<Configuration: Codable & Sendable>(
        name: String, _: Configuration.Type,
        train: @escaping @Sendable (ModelStageSettings<Configuration>, [String], String?, Int, (String) -> Void) throws -> ModelStageResult
    ) -> StageType {
        StageType(
            name: name, version: 1, output: .model, outputFile: "model.wpm", required: [], optional: [.vectors],
            configure: { data, directory in
                let settings = try ModelStageSettings<Configuration>.decode(data)
                try settings.checkFiles(in: directory)
                return try settings.canonical()
            },
            dataFiles: { data, directory in
                (try? ModelStageSettings<Configuration>.decode(data))?.files(in: directory).map(\.path) ?? []
            },
            run: { context, data in
                let settings = try ModelStageSettings<Configuration>.decode(data)
                let files = settings.files(in: context.baseDirectory).map(\.path)
                var notes: [String] = []
                let result = try train(settings, files, context.inputs[.vectors]?.first, context.threads) { line in
                    notes.append(line)
                    if context.progress != .never { StandardError.write("\(context.name): \(line)\n") }
                }
                try result.save(context.outputDirectory + "/model.wpm")
                if let test = result.testJSON {
                    try OutputFile.writeAtomically(Data(test.utf8), to: context.outputDirectory + "/test.json")
                }
                try OutputFile.writeAtomically(Data(result.devJSON.utf8), to: context.outputDirectory + "/dev.json")
                return StageOutcome(metrics: result.metrics, notes: notes)
            })
    }

    static let trainTagger = modelStage(name: "train-tagger", TaggerConfiguration.self) { settings, files, vectors, threads, log in
        let result = try TaggerTraining.run(trainPath: files[0], devPath: files[1], vectorsPath: vectors,
                                            configuration: settings.configuration, threads: threads, log: log)
        let name = result.record.metric
        var metrics = ["dev_\(name)": result.record.devScore, "best_epoch": Double(result.record.bestEpoch),
                       "epochs": Double(result.record.epochs), "train_seconds": result.record.trainSeconds]
        if let oov = result.record.oovDev { metrics["oov_dev"] = oov }
        var testJSON: String?
        if files.count > 2 {
            let test = try TaggerTraining.evaluate(result.tagger, path: files[2])
            metrics["test_\(name)"] = test.main
            if let oov = test.vectorOOVRate { metrics["oov_test"] = oov }
            testJSON = try test.metrics.jsonString()
        }
        return ModelStageResult(save: { try result.tagger.save(to: $0, record: result.record) }, metrics: metrics,
                                devJSON: try result.dev.metrics.jsonString(), testJSON: testJSON)
    }

    static let trainClassifier = modelStage(name: "train-classifier", ClassifierConfiguration.self) { settings, files, vectors, threads, log in
        let result = try ClassifierTraining.run(trainPath: files[0], devPath: files[1], vectorsPath: vectors,
                                                configuration: settings.configuration, threads: threads, log: log)
        var metrics = ["dev_accuracy": result.dev.accuracy, "dev_macro_f1": result.dev.macroF1,
                       "best_epoch": Double(result.record.bestEpoch), "epochs": Double(result.record.epochs),
                       "train_seconds": result.record.trainSeconds]
        var testJSON: String?
        if files.count > 2 {
            let test = try ClassifierTraining.evaluate(result.classifier, path: files[2])
            metrics["test_accuracy"] = test.accuracy
            metrics["test_macro_f1"] = test.macroF1
            if let oov = try ClassifierTraining.vectorOOVRate(result.classifier, path: files[2]) { metrics["oov_test"] = oov }
            testJSON = try test.jsonString()
        }
        return ModelStageResult(save: { try result.classifier.save(to: $0, record: result.record) }, metrics: metrics,
                                devJSON: try result.dev.jsonString(), testJSON: testJSON)
    }
}
