import Foundation
import Testing
import TestSupport

/// `wordpipe index` and `nearest --index`: answers, and bad input refused with a clear message.
@Suite struct IndexCLITests {
    /// 400 words on a circle (word i at angle i degrees · 0.9), as word2vec text: the nearest
    /// words of w100 are w99 and w101, then w98 and w102.
    static func writeCircle(_ path: String, shift: Double = 0) throws {
        var text = "400 2\n"
        for i in 0..<400 {
            let angle = (Double(i) * 0.9 + shift) * .pi / 180
            text += "w\(i) \(cos(angle)) \(sin(angle))\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func indexAnswersAsTheExactScan() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = directory.appendingPathComponent("circle.vec").path, index = directory.appendingPathComponent("circle.wph").path
        try Self.writeCircle(vectors)
        let built = try CLI.run(["index", vectors, "-o", index, "--m", "8", "--ef-construction", "50", "--threads", "2"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("index: 400 words of dim 2, M 8, ef-construction 50"), "\(built.stderr)")
        let exact = try CLI.run(["nearest", "--vectors", vectors, "-k", "4"], stdin: Data("w100\nw7 -w300\n".utf8))
        let approximate = try CLI.run(["nearest", "--vectors", vectors, "--index", index, "--ef", "40", "-k", "4"], stdin: Data("w100\nw7 -w300\n".utf8))
        #expect(exact.status == 0 && approximate.status == 0, "\(approximate.stderr)")
        #expect(approximate.stdout == exact.stdout)
        #expect(approximate.stdout.hasPrefix("w100: w99 1.000, w101 1.000, w98 1.000, w102 1.000"), "\(approximate.stdout)")
    }

    /// `inspect` tells an index file apart and describes it; a damaged one is an error.
    @Test func inspectDescribesAnIndex() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = directory.appendingPathComponent("circle.vec").path, index = directory.appendingPathComponent("circle.wph").path
        try Self.writeCircle(vectors)
        #expect(try CLI.run(["index", vectors, "-o", index, "--m", "8", "--ef-construction", "50", "--seed", "3"]).status == 0)
        let described = try CLI.run(["inspect", index])
        #expect(described.status == 0, "\(described.stderr)")
        for line in ["\(index): HNSW index, WPHNSWIX format version 1", "  nodes: 400", "  dim: 2", "  m: 8", "  m0: 16", "  ef construction: 50", "  seed: 3"] {
            #expect(described.stdout.contains(line + "\n"), "\(line): \(described.stdout)")
        }
        #expect(described.stdout.contains(/checksum of the graph: CRC-32C [0-9a-f]{8}, verified/), "\(described.stdout)")
        let json = try CLI.run(["inspect", index, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["kind"] as? String == "HNSW index", "\(json.stdout)")

        var bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        bytes[bytes.count - 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: index))
        let damaged = try CLI.run(["inspect", index])
        #expect(damaged.status == 1 && damaged.stderr.contains("\(index): damaged graph"), "\(damaged.stderr)")
    }

    /// Lines written at once are answered in blocks (one pass over the rows for up to 8 queries),
    /// with the same lines as one query at a time; blank lines and unknown words keep their place.
    @Test func linesArrivingTogetherGetTheAnswersOfSingleQueries() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = directory.appendingPathComponent("random.vec").path
        var generator = SplitMix64(seed: 4)
        var text = "12000 90\n"  // 1.08M values: the int8 scan
        for i in 0..<12000 { text += "w\(i)" + (0..<90).map { _ in String(format: " %.4f", Double.random(in: -1 ... 1, using: &generator)) }.joined() + "\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: vectors))
        var lines = (0..<30).map { i in i % 7 == 3 ? "w\(i * 13) -w\(i)" : "w\(i * 397 % 12000)" }
        lines.insert("", at: 4)
        lines.insert("w5 nowhere", at: 9)
        var single: [String] = []
        try CLI.answersEachLineAsItArrives(["nearest", "--vectors", vectors, "-k", "5"], lines: lines) { _, answer in single.append(answer) }
        for threads in ["1", "2"] {
            let together = try CLI.run(["nearest", "--vectors", vectors, "-k", "5", "--threads", threads],
                                       stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
            #expect(together.status == 0, "\(together.stderr)")
            #expect(together.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) == single)
        }
        #expect(single[4] == "" && single[9] == "nowhere: not in vocabulary")
    }

    @Test func badIndexInputIsRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = directory.appendingPathComponent("circle.vec").path, other = directory.appendingPathComponent("other.vec").path
        let index = directory.appendingPathComponent("circle.wph").path
        try Self.writeCircle(vectors)
        try Self.writeCircle(other, shift: 0.1)
        #expect(try CLI.run(["index", vectors, "-o", index, "--m", "6"]).status == 0)

        // --ef 0, --ef without an index, --restrict with an index, --m 1: refused before any work.
        let zero = try CLI.run(["nearest", "--vectors", vectors, "--index", index, "--ef", "0", "w1"])
        #expect(zero.status != 0 && zero.stderr.contains("--ef must be at least 1, not 0"), "\(zero.stderr)")
        let alone = try CLI.run(["nearest", "--vectors", vectors, "--ef", "10", "w1"])
        #expect(alone.status != 0 && alone.stderr.contains("--ef applies to --index"), "\(alone.stderr)")
        let restricted = try CLI.run(["nearest", "--vectors", vectors, "--index", index, "--restrict", "10", "w1"])
        #expect(restricted.status != 0 && restricted.stderr.contains("--restrict cannot be combined with --index"), "\(restricted.stderr)")
        let small = try CLI.run(["index", vectors, "-o", index + ".2", "--m", "1"])
        #expect(small.status != 0 && small.stderr.contains("--m must be between 2 and 1024"), "\(small.stderr)")
        #expect(!FileManager.default.fileExists(atPath: index + ".2"))

        // Stale: the index of other vectors.
        let stale = try CLI.run(["nearest", "--vectors", other, "--index", index, "w1"])
        #expect(stale.status != 0 && stale.stderr.contains("stale index") && stale.stderr.contains(index)
                && stale.stderr.contains("wordpipe index \(other) -o \(index)"), "\(stale.stderr)")
        #expect(stale.stdout.isEmpty)

        // Truncated.
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: index))
        let truncated = try CLI.run(["nearest", "--vectors", vectors, "--index", index, "w1"])
        #expect(truncated.status != 0 && truncated.stderr.contains(index) && truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        #expect(truncated.reason == .exit)

        // The index given as the vectors, and the vectors given as the index.
        #expect(try CLI.run(["index", vectors, "-o", index, "--m", "6"]).status == 0)
        let asVectors = try CLI.run(["nearest", "--vectors", index, "w1"])
        #expect(asVectors.status != 0 && asVectors.stderr.contains("a WordPipe HNSW index"), "\(asVectors.stderr)")
        let swapped = try CLI.run(["nearest", "--vectors", vectors, "--index", vectors, "w1"])
        #expect(swapped.status != 0 && swapped.stderr.contains("build one with `wordpipe index VECTORS -o INDEX`"), "\(swapped.stderr)")
    }
}
