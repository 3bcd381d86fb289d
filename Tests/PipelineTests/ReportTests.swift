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
        with: { train: data/ner.txt, dev: data/ner.txt, hidden: 8, epochs: 2, batch: 4 }

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
        #expect(try workspace.run() == [])
        let secondReport = try String(contentsOf: build.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(secondReport.contains("no (up to date)"))
        #expect(Self.stable(report: secondReport) == Self.stable(report: firstReport))
        #expect(try Self.stable(metrics: Data(contentsOf: build.appendingPathComponent("metrics.json"))) == Self.stable(metrics: firstMetrics))
        #expect(FileManager.default.fileExists(atPath: build.appendingPathComponent("vectors-loss.svg").path))
    }
}
