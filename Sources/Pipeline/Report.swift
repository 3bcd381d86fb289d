import Foundation
import WordPipeSupport

/// One stage's entry in `metrics.json` (keyed by the stage's name): what the report's table
/// shows, the notes, the artifacts, and the stage's full typed result (`StageResult`), which the
/// lock keeps, so that an up-to-date rerun writes the same entry.
struct StageMetrics: Encodable {
    var type: String
    var ran: Bool
    var seconds: Double
    var peakMemoryMB: Double
    /// The key figures (finite ones), as the report's table shows them.
    var metrics: [String: Double]
    var notes: [String]
    var artifacts: [Artifact]
    /// The stage's typed result (absent for a stage recorded by a wordpipe before issue 14, until
    /// it runs again).
    var result: (any StageResult)?

    struct Artifact: Encodable {
        var path: String
        var bytes: Int64
        var sha256: String
    }

    enum CodingKeys: String, CodingKey {
        case type, ran, seconds, metrics, notes, artifacts, result
        case peakMemoryMB = "peak_memory_mb"
    }

    init(_ run: StageRun) {
        type = run.type
        ran = run.ran
        seconds = run.seconds
        peakMemoryMB = run.peakMemoryMB
        metrics = run.metrics
        notes = run.notes
        artifacts = run.artifacts.map { Artifact(path: $0.path, bytes: $0.size, sha256: $0.sha256) }
        result = run.result
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(ran, forKey: .ran)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(peakMemoryMB, forKey: .peakMemoryMB)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(notes, forKey: .notes)
        try container.encode(artifacts, forKey: .artifacts)
        if let result { try container.encode(result, forKey: .result) }
    }
}

/// Writes `report.md` and `metrics.json` into the work directory after a run.
enum Report {
    static func write(runs: [StageRun], workdir: String, pipeline: String) throws {
        var markdown = "# WordPipe run report\n\nPipeline: `\(pipeline)`, \(ISO8601DateFormatter().string(from: Date()))\n\n"
        markdown += "| stage | type | ran | wall time | peak memory | key figures |\n|---|---|---|---:|---:|---|\n"
        var metrics: [String: StageMetrics] = [:]
        for run in runs {
            let figures = run.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value))" }.joined(separator: ", ")
            let memory = run.ran ? String(format: "%.0f MB", run.peakMemoryMB) : "-"
            markdown += "| \(run.name) | \(run.type) | \(run.ran ? "yes" : "no (up to date)") | \(String(format: "%.1f s", run.seconds)) | \(memory) | \(figures) |\n"
            metrics[run.name] = StageMetrics(run)
        }
        for run in runs {
            markdown += "\n## \(run.name)\n\n"
            for note in run.notes { markdown += "    \(note)\n" }
            if !run.notes.isEmpty { markdown += "\n" }
            if !run.artifacts.isEmpty {
                markdown += "Artifacts:\n\n" + run.artifacts.map { "- `\($0.path)` (\(Format.bytes(Double($0.size))))" }.joined(separator: "\n") + "\n"
            }
            for curve in run.curves where curve.points.count >= 2 {
                let svg = SVGPlot.line(points: curve.points.map { ($0.x, $0.y) }, title: "\(run.name): \(curve.title)",
                                       xLabel: curve.xLabel, yLabel: curve.yLabel)
                try OutputFile.writeAtomically(Data(svg.utf8), to: workdir + "/\(run.name)-\(curve.name).svg")
                markdown += "\n![\(run.name) \(curve.name)](\(run.name)-\(curve.name).svg)\n"
            }
        }
        try OutputFile.writeAtomically(Data(markdown.utf8), to: workdir + "/report.md")
        try OutputFile.writeAtomically(try metricsJSON(metrics), to: workdir + "/metrics.json")
    }

    /// `metrics.json`: the stages' entries by name, keys sorted; non-finite figures in a result
    /// (a correlation over too few pairs) as the strings `nan`, `inf`, `-inf`, as the lock keeps them.
    static func metricsJSON(_ stages: [String: StageMetrics]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(stages)
    }

    static func format(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: abs(value) >= 100 ? "%.0f" : "%.4f", value)
    }
}

/// A small SVG line-chart writer (no JavaScript), for loss curves in the report.
enum SVGPlot {
    static func line(points: [(Double, Double)], title: String, xLabel: String, yLabel: String,
                     width: Double = 640, height: Double = 320) -> String {
        let left = 60.0, right = 20.0, top = 30.0, bottom = 45.0
        let xs = points.map(\.0), ys = points.map(\.1)
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9)
        var yMin = ys.min() ?? 0, yMax = ys.max() ?? 1
        if yMax - yMin < 1e-9 { yMin -= 0.5; yMax += 0.5 }
        func x(_ value: Double) -> Double { left + (value - xMin) / (xMax - xMin) * (width - left - right) }
        func y(_ value: Double) -> Double { height - bottom - (value - yMin) / (yMax - yMin) * (height - top - bottom) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(width / 2)\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"black\"/>\n"
        for step in 0...4 {
            let fraction = Double(step) / 4
            let xv = xMin + fraction * (xMax - xMin), yv = yMin + fraction * (yMax - yMin)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x(xv), height - bottom + 16, xv)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", left - 6, y(yv) + 4, yv)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y(yv), width - right, y(yv))
        }
        let path = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
        svg += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"14\" y=\"\((top + height - bottom) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \((top + height - bottom) / 2))\">\(escape(yLabel))</text>\n"
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
