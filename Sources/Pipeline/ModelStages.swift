import Foundation
import Models
import WordPipeSupport

/// The settings of the `train-tagger` and `train-classifier` stages: the data files (`train`,
/// `dev`, optional `test`, resolved against the pipeline file and hashed into the lock like any
/// input) beside the keys of the task's configuration struct, which `wordpipe train-tagger`
/// and `train-classifier` share.
struct ModelStageSettings<Configuration: Codable> {
    static var dataKeys: [String] { ["train", "dev", "test"] }

    var train: String
    var dev: String
    var test: String?
    var configuration: Configuration

    /// Splits the settings object into data files and the configuration, rejecting unknown keys
    /// with the closest valid one.
    static func decode(_ data: Data, configurationKeys: [String]) throws -> ModelStageSettings {
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidOption(name: "with", value: "(not a mapping)", expected: "a mapping of settings")
        }
        let allowed = dataKeys + configurationKeys
        for key in object.keys.sorted() where !allowed.contains(key) {
            var message = "unknown key '\(key)'"
            if let guess = StrictKeys.closest(to: key, in: allowed) { message += " (did you mean '\(guess)'?)" }
            throw ModelError.invalidOption(name: "with", value: message, expected: "one of \(allowed.joined(separator: ", "))")
        }
        func path(_ key: String, required: Bool) throws -> String? {
            let value = object.removeValue(forKey: key)
            if value == nil && !required { return nil }
            guard let text = value as? String, !text.isEmpty else {
                throw ModelError.invalidOption(name: key, value: value.map { "\($0)" } ?? "(missing)", expected: "the path of a data file")
            }
            return text
        }
        let train = try path("train", required: true) ?? ""
        let dev = try path("dev", required: true) ?? ""
        let test = try path("test", required: false)
        let rest = try JSONSerialization.data(withJSONObject: object)
        return ModelStageSettings(train: train, dev: dev, test: test, configuration: try JSONDecoder().decode(Configuration.self, from: rest))
    }

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

    /// The data files, resolved against `directory`.
    func files(in directory: String) -> [String] {
        [train, dev] .map { resolve($0, in: directory) } + (test.map { [resolve($0, in: directory)] } ?? [])
    }

    /// Throws when a data file is missing.
    func checkFiles(in directory: String) throws {
        for (key, path) in zip(["train", "dev", "test"], files(in: directory)) where !FileManager.default.fileExists(atPath: path) {
            throw ModelError.invalidOption(name: key, value: "'\(path)'", expected: "an existing file")
        }
    }
}

extension StageType {
    static let trainTagger = StageType(
        name: "train-tagger", version: 1, output: .model, outputFile: "model.wpm", required: [], optional: [.vectors],
        configure: { data, directory in
            let settings = try ModelStageSettings<TaggerConfiguration>.decode(data, configurationKeys: TaggerConfiguration.keys)
            try settings.checkFiles(in: directory)
            return try settings.canonical()
        },
        dataFiles: { data, directory in
            (try? ModelStageSettings<TaggerConfiguration>.decode(data, configurationKeys: TaggerConfiguration.keys))?.files(in: directory) ?? []
        },
        run: { context, data in
            let settings = try ModelStageSettings<TaggerConfiguration>.decode(data, configurationKeys: TaggerConfiguration.keys)
            let files = settings.files(in: context.baseDirectory)
            var notes: [String] = []
            let result = try TaggerTraining.run(trainPath: files[0], devPath: files[1], vectorsPath: context.inputs[.vectors]?.first,
                                                configuration: settings.configuration, threads: context.threads,
                                                log: { line in
                                                    notes.append(line)
                                                    if context.progress != .never { StandardError.write("\(context.name): \(line)\n") }
                                                })
            try result.tagger.save(to: context.outputDirectory + "/model.wpm", record: result.record)
            let name = result.record.metric
            var metrics = ["dev_\(name)": result.record.devScore, "best_epoch": Double(result.record.bestEpoch),
                           "epochs": Double(result.record.epochs), "train_seconds": result.record.trainSeconds]
            if let oov = result.record.oovDev { metrics["oov_dev"] = oov }
            if files.count > 2 {
                let test = try TaggerTraining.evaluate(result.tagger, path: files[2])
                metrics["test_\(name)"] = test.main
                try OutputFile.writeAtomically(Data(try test.metrics.jsonString().utf8), to: context.outputDirectory + "/test.json")
            }
            try OutputFile.writeAtomically(Data(try result.dev.metrics.jsonString().utf8), to: context.outputDirectory + "/dev.json")
            return StageOutcome(metrics: metrics, notes: notes)
        })

    static let trainClassifier = StageType(
        name: "train-classifier", version: 1, output: .model, outputFile: "model.wpm", required: [], optional: [.vectors],
        configure: { data, directory in
            let settings = try ModelStageSettings<ClassifierConfiguration>.decode(data, configurationKeys: ClassifierConfiguration.keys)
            try settings.checkFiles(in: directory)
            return try settings.canonical()
        },
        dataFiles: { data, directory in
            (try? ModelStageSettings<ClassifierConfiguration>.decode(data, configurationKeys: ClassifierConfiguration.keys))?.files(in: directory) ?? []
        },
        run: { context, data in
            let settings = try ModelStageSettings<ClassifierConfiguration>.decode(data, configurationKeys: ClassifierConfiguration.keys)
            let files = settings.files(in: context.baseDirectory)
            var notes: [String] = []
            let result = try ClassifierTraining.run(trainPath: files[0], devPath: files[1], vectorsPath: context.inputs[.vectors]?.first,
                                                    configuration: settings.configuration, threads: context.threads,
                                                    log: { line in
                                                        notes.append(line)
                                                        if context.progress != .never { StandardError.write("\(context.name): \(line)\n") }
                                                    })
            try result.classifier.save(to: context.outputDirectory + "/model.wpm", record: result.record)
            var metrics = ["dev_accuracy": result.dev.accuracy, "dev_macro_f1": result.dev.macroF1,
                           "best_epoch": Double(result.record.bestEpoch), "epochs": Double(result.record.epochs),
                           "train_seconds": result.record.trainSeconds]
            if files.count > 2 {
                let test = try ClassifierTraining.evaluate(result.classifier, path: files[2])
                metrics["test_accuracy"] = test.accuracy
                metrics["test_macro_f1"] = test.macroF1
                try OutputFile.writeAtomically(Data(try test.jsonString().utf8), to: context.outputDirectory + "/test.json")
            }
            try OutputFile.writeAtomically(Data(try result.dev.jsonString().utf8), to: context.outputDirectory + "/dev.json")
            return StageOutcome(metrics: metrics, notes: notes)
        })
}
