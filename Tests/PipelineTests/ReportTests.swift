import Foundation
import Testing
import TestSupport
@testable import Pipeline

/// `report.md` and `metrics.json` are the same on a rerun where every stage is up to date as
/// after the run that built them, apart from timings, peak memory and the "ran" flags.
@Suite(.serialized) struct ReportRerunTests {
    /// The workspace pipeline plus a tagger stage, with enough training for a loss curve (one
    /// point per half second of training: epochs of a second or more, on a corpus of 500,000 words).
    static let yaml = Workspace.yaml.replacingOccurrences(of: "dim: 8, epochs: 2", with: "dim: 16, epochs: 3, sample: 0") + """
      ner:
        type: train-tagger
        inputs: [vectors]
        with: { train: data/ner.txt, dev: data/ner.txt, test: data/ner.txt, hidden: 8, epochs: 2, batch: 4 }

    """

    /// report.md without the run's date, the table's ran / wall time / peak memory columns.
    static func stable(report: String) -> String {
        report.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("Pipeline: ") { return "Pipeline: (date)" }
            guard line.hasPrefix("| "), !line.hasPrefix("| stage |") else { return String(line) }
            var cells = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            // "", stage, type, ran, wall time, peak memory, key figures, ""
            if cells.count >= 8 { cells[3] = ""; cells[4] = ""; cells[5] = "" }
            return cells.joined(separator: "|")
        }.joined(separator: "\n")
    }

    /// metrics.json without ran, seconds and peak memory.
    static func stable(metrics data: Data) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (name, value) in object {
            guard var stage = value as? [String: Any] else { continue }
            stage["ran"] = nil
            stage["seconds"] = nil
            stage["peak_memory_mb"] = nil
            object[name] = stage
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self)
    }

    @Test("an up-to-date rerun keeps the report's notes, loss plot and figures, and metrics.json")
    func upToDateRerunKeepsTheReport() throws {
        let workspace = try Workspace(yaml: Self.yaml)
        var random = SplitMix64(seed: 7)
        var corpus = ""
        for _ in 0..<50000 {
            corpus += (0..<8).map { _ in "w\(random.next() % 200)" }.joined(separator: " ") + " cat dog.\n"
        }
        try Data(corpus.utf8).write(to: URL(fileURLWithPath: workspace.corpus))
        try Data("The O\ncat B-ANIMAL\nruns O\n\nA O\ndog B-ANIMAL\n".utf8).write(to: workspace.directory.appendingPathComponent("data/ner.txt"))
        let build = workspace.directory.appendingPathComponent("build")
        #expect(try workspace.run() == ["tokens", "vocab", "vectors", "eval", "ner"])
        let firstReport = try String(contentsOf: build.appendingPathComponent("report.md"), encoding: .utf8)
        let firstMetrics = try Data(contentsOf: build.appendingPathComponent("metrics.json"))
        // What the rerun must keep: each stage's notes and the loss plot of the vectors stage.
        #expect(firstReport.contains("![vectors loss](vectors-loss.svg)"), "no loss plot: train too fast for a curve?\n\(firstReport)")
        #expect(firstReport.contains("\n    epoch 2/2 loss "), "\(firstReport)")
        // Every training stage's curves, with epochs on the x axis: the vectors' loss over the
        // words trained, a model's loss and dev score per epoch.
        #expect(firstReport.contains("![ner loss](ner-loss.svg)") && firstReport.contains("![ner dev](ner-dev.svg)"), "\(firstReport)")
        for name in ["vectors-loss", "ner-loss", "ner-dev"] {
            let svg = try String(contentsOf: build.appendingPathComponent(name + ".svg"), encoding: .utf8)
            #expect(svg.contains(">epoch</text>"), "\(name): \(svg.prefix(400))")
        }
        #expect(try String(contentsOf: build.appendingPathComponent("ner-dev.svg"), encoding: .utf8).contains("dev f1"))
        #expect(try workspace.run() == [])
        let secondReport = try String(contentsOf: build.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(secondReport.contains("no (up to date)"))
        #expect(Self.stable(report: secondReport) == Self.stable(report: firstReport))
        #expect(try Self.stable(metrics: Data(contentsOf: build.appendingPathComponent("metrics.json"))) == Self.stable(metrics: firstMetrics))
        #expect(FileManager.default.fileExists(atPath: build.appendingPathComponent("vectors-loss.svg").path))
        try Self.expectTypedResults(Data(contentsOf: build.appendingPathComponent("metrics.json")))
    }

    /// metrics.json holds each stage's full typed result beside the table's figures: the model
    /// stage's training record and its whole dev and test scores (as dev.json and test.json), the
    /// vectors stage's loss curve, the notes.
    static func expectTypedResults(_ data: Data) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ner = try #require(object["ner"] as? [String: Any])
        #expect(ner["type"] as? String == "train-tagger@1")
        #expect(Set(ner.keys) == ["type", "ran", "seconds", "peak_memory_mb", "metrics", "notes", "artifacts", "result"])
        #expect((ner["metrics"] as? [String: Any])?["dev_f1"] is Double)
        #expect((ner["notes"] as? [String])?.contains { $0.hasPrefix("epoch 2/2 loss ") } == true, "\(ner)")
        let result = try #require(ner["result"] as? [String: Any])
        let training = try #require(result["training"] as? [String: Any])
        #expect(training["epochs"] as? Int == 2 && training["metric"] as? String == "f1" && training["vectors"] is String)
        for key in ["dev", "test"] {
            let score = try #require(result[key] as? [String: Any], "no \(key) score in \(result)")
            let metrics = try #require(score["metrics"] as? [String: Any])
            #expect((metrics["micro"] as? [String: Any])?["f1"] is Double && metrics["per_type"] is [String: Any] && metrics["tokens"] as? Int == 5)
        }
        let vectors = try #require((object["vectors"] as? [String: Any])?["result"] as? [String: Any])
        #expect((vectors["lossCurve"] as? [Any])?.count ?? 0 >= 2 && vectors["words"] is Int)
        let artifacts = try #require(ner["artifacts"] as? [[String: Any]])
        #expect(artifacts.contains { ($0["path"] as? String)?.hasSuffix("model.wpm") == true && $0["bytes"] is Int && $0["sha256"] is String })
    }
}

/// Locks written before stages were typed stay valid: the same versioned names and settings
/// serialization, and a record without a kept result still reads as up to date.
@Suite(.serialized) struct TypedStageCompatibilityTests {
    /// Each stage type's canonical settings for one `with`, as wordpipe wrote them into the lock
    /// before issue 14 (recorded with the build of commit ee28ae4). The tokenizer's rules version
    /// 2 (sentence abbreviations) changed tokenize's on purpose, adding `abbreviations` and
    /// `version: 2`: a tokenize stage reruns once after that upgrade, as its rules changed.
    static let recorded: [(type: String, with: String, lock: String)] = [
        ("tokenize", #"{"lowercase": true}"#,
         #"{"abbreviations":true,"format":"auto","json_field":"text","locale":"","lowercase":true,"normalize":"nfc","numbers":"keep","punctuation":"drop","sentences":true,"strip_accents":false,"urls":"keep","version":2,"xml_elements":[]}"#),
        ("phrases", #"{"min_count": 2, "threshold": 1}"#,
         #"{"delimiter":"_","min_count":2,"passes":1,"scoring":"word2vec","threshold":1}"#),
        ("vocab", #"{"min_count": 1}"#, #"{"min_count":1,"specials":[]}"#),
        ("train", #"{"dim": 8, "epochs": 1, "seed": 1, "window": 2}"#,
         #"{"alpha":0.025,"batched":true,"dim":8,"epochs":1,"loss":"ns","min_alpha":0.0001,"model":"skipgram","negative":5,"noise_exponent":0.75,"sample":0.001,"seed":1,"vocabulary":{"min_count":5,"specials":[]},"window":2}"#),
        ("evaluate", #"{"pairs": ["data/pairs.tsv"]}"#,
         #"{"analogies":[],"case_insensitive":true,"pairs":["data\/pairs.tsv"],"restrict":30000}"#),
        ("train-tagger", #"{"train": "data/ner.txt", "dev": "data/ner.txt", "test": "data/ner.txt", "hidden": 8, "epochs": 1, "batch": 8}"#,
         #"{"batch":8,"bidirectional":true,"cell":"lstm","char_features":"none","clip":5,"crf":true,"dev":"data\/ner.txt","dim":100,"dropout":0.5,"epochs":1,"format":"conll","freeze_embeddings":false,"hidden":8,"layers":1,"optimizer":"adam","patience":5,"seed":1,"test":"data\/ner.txt","train":"data\/ner.txt"}"#),
        ("train-classifier", #"{"train": "data/sentiment.tsv", "dev": "data/sentiment.tsv", "hidden": 8, "epochs": 1, "batch": 8}"#,
         #"{"batch":8,"bidirectional":true,"cell":"lstm","clip":5,"dev":"data\/sentiment.tsv","dim":100,"dropout":0.5,"epochs":1,"format":"tsv","freeze_embeddings":false,"hidden":8,"layers":1,"optimizer":"adam","patience":5,"pooling":"max","seed":1,"train":"data\/sentiment.tsv"}"#),
    ]

    @Test("every stage type is listed by name and version, in the CLI's order")
    func registry() {
        #expect(StageType.all.map(\.versionedName) == ["tokenize@1", "phrases@1", "vocab@1", "train@1", "evaluate@1",
                                                       "train-tagger@1", "train-classifier@1", "train-lm@1", "generate@1", "train-seq2seq@1"])
        #expect(StageType.named("train-tagger")?.outputFile == "model.wpm")
    }

    @Test("settings serialize as in locks written before stages were typed", arguments: recorded.map(\.type))
    func settingsSerializeAsBefore(type: String) throws {
        let workspace = try Workspace()
        for name in ["ner.txt", "sentiment.tsv"] {
            try Data("a O\n".utf8).write(to: workspace.directory.appendingPathComponent("data/" + name))
        }
        let recorded = try #require(Self.recorded.first { $0.type == type })
        let stage = try #require(StageType.named(type))
        let canonical = try stage.configure(Data(recorded.with.utf8), workspace.directory.path)
        #expect(String(decoding: canonical, as: UTF8.self) == recorded.lock)
    }

    @Test("a lock record without a kept result (written before issue 14) is up to date and reports its figures")
    func lockWithoutResult() throws {
        let workspace = try Workspace()
        #expect(try workspace.run() == ["tokens", "vocab", "vectors", "eval"])
        let lockPath = workspace.directory.appendingPathComponent("wordpipe.lock")
        let text = try String(contentsOf: lockPath, encoding: .utf8)
        #expect(text.contains("\"result\" : "))
        // Remove every stage's result, as an older wordpipe wrote the lock.
        var contents = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var pipelines = try #require(contents["pipelines"] as? [String: Any])
        var pipeline = try #require(pipelines["pipe.yaml"] as? [String: Any])
        var workdirs = try #require(pipeline["workdirs"] as? [String: Any])
        var build = try #require(workdirs["build"] as? [String: Any])
        var stages = try #require(build["stages"] as? [String: [String: Any]])
        for name in stages.keys { stages[name]?["result"] = nil }
        build["stages"] = stages
        workdirs["build"] = build
        pipeline["workdirs"] = workdirs
        pipelines["pipe.yaml"] = pipeline
        contents["pipelines"] = pipelines
        try JSONSerialization.data(withJSONObject: contents, options: [.prettyPrinted, .sortedKeys]).write(to: lockPath)
        #expect(!(try String(contentsOf: lockPath, encoding: .utf8)).contains("\"result\""))
        #expect(try workspace.run() == [])
        let report = try String(contentsOf: workspace.directory.appendingPathComponent("build/report.md"), encoding: .utf8)
        #expect(report.contains("| vocab | vocab@1 | no (up to date) |") && report.contains("types_kept "), "\(report)")
    }
}
