import Foundation
import TestSupport

/// Seven 2-D vectors at known angles (east 0° length 2, north 90°, w10 10°, w50 50°, west 180°,
/// south 270° length 3, w135 135°), as word2vec text: every cosine is cos(Δangle).
private let compassText = """
    7 2
    east 2.0 0.0
    north 0.0 1.0
    w10 0.9848077 0.17364818
    w50 0.64278764 0.76604444
    west -1.0 0.0
    south 0.0 -3.0
    w135 -0.70710677 0.70710677

    """

private func writeCompass(in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("compass.vec").path
    try Data(compassText.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

private func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }
}

@Suite struct VectorCLITests {
    /// `wordpipe nearest` in stdin mode answers each line as it arrives: the test writes a query,
    /// reads the answer while stdin is still open, then writes the next one.
    @Test func nearestAnswersEachLineBeforeStdinCloses() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        // north − west points at 45°; a blank line gets an empty line, so that output line k
        // answers input line k; north and west tie at cos 45° from w135 (the lower id first), w50
        // is 85° away.
        let answers = ["east: w10 0.985, w50 0.643, north 0.000", "north -west: w50 0.996, w10 0.819, east 0.707", "",
                       "w135: north 0.707, west 0.707, w50 0.087", "nowhere gone: not in vocabulary"]
        try CLI.answersEachLineAsItArrives(["nearest", "--vectors", vectors, "-k", "3"], lines: ["east", "north -west", "  ", "w135", "nowhere -gone"],
                                           limit: 30) { index, answer in
            #expect(answer == answers[index])
        }
    }

    @Test func nearestJSONAndOneShotMode() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        let result = try CLI.run(["nearest", "--vectors", vectors, "-k", "2", "--json"],
                                 stdin: Data("east -west\nnowhere -gone -north\n\nw10\n".utf8))
        #expect(result.status == 0, "\(result.stderr)")
        // One line per input line: the blank line's answer is an empty line.
        #expect(result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(\.isEmpty) == [false, false, true, false, true])
        let objects = try jsonLines(result.stdout)
        #expect(objects.count == 3)
        guard objects.count == 3 else { return }
        for (index, object) in objects.enumerated() {
            #expect(Set(object.keys) == Set(["query", "negative", "neighbours", "oov"] + (index == 1 ? ["error"] : [])))
        }
        #expect(objects[1]["error"] as? String == "not in vocabulary")
        #expect(objects[0]["query"] as? [String] == ["east"])
        #expect(objects[0]["negative"] as? [String] == ["west"])
        #expect(objects[0]["oov"] as? [String] == [])
        let neighbours = try #require(objects[0]["neighbours"] as? [[String: Any]])
        #expect(neighbours.map { $0["word"] as? String } == ["w10", "w50"])
        let scores = neighbours.compactMap { $0["score"] as? Double }
        #expect(scores.count == 2 && abs(scores[0] - cos(10 * Double.pi / 180)) < 1e-5 && abs(scores[1] - cos(50 * Double.pi / 180)) < 1e-5)
        // Every unknown word, positive or negative, is listed; north is known.
        #expect(objects[1]["oov"] as? [String] == ["nowhere", "gone"])
        #expect((objects[1]["neighbours"] as? [Any])?.isEmpty == true)
        #expect((objects[2]["neighbours"] as? [[String: Any]])?.map { $0["word"] as? String } == ["east", "w50"])

        let oneShot = try CLI.run(["nearest", "--vectors", vectors, "w50", "--subtract", "w10", "-k", "1"])
        #expect(oneShot.status == 0)
        #expect(oneShot.stdout.hasPrefix("w50 -w10: "))
        // The old spelling still works, and is no longer shown.
        let alias = try CLI.run(["nearest", "--vectors", vectors, "w50", "--negative", "w10", "-k", "1"])
        #expect(alias.stdout == oneShot.stdout)
        let help = try CLI.run(["nearest", "--help"])
        #expect(help.stdout.contains("--subtract") && !help.stdout.contains("--negative"))
        let unknown = try CLI.run(["nearest", "--vectors", vectors, "nowhere"])
        #expect(unknown.status == 1)
        #expect(unknown.stdout == "nowhere: not in vocabulary\n")
        let missing = try CLI.run(["nearest", "--vectors", directory.appendingPathComponent("none.vec").path, "east"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("wordpipe nearest: error:") && missing.stderr.contains("none.vec: cannot open the file"))
    }

    /// analogy and similarity read queries from stdin too, one answer line per input line.
    @Test func analogyAndSimilarityAnswerEachStdinLine() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        let analogies = try CLI.run(["analogy", "--vectors", vectors, "-k", "1"], stdin: Data("north south east\n\nnorth nowhere east\nnorth south\n".utf8))
        #expect(analogies.status == 0, "\(analogies.stderr)")
        let lines = analogies.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5)
        guard lines.count == 5 else { return }
        #expect(lines[0].hasPrefix("north : south :: east : "))
        #expect(lines[1] == "")
        #expect(lines[2] == "nowhere: not in vocabulary")
        #expect(lines[3] == "expected three words, A B C, not 2")
        let json = try CLI.run(["analogy", "--vectors", vectors, "--json"], stdin: Data("north nowhere east\n".utf8))
        let record = try #require(try jsonLines(json.stdout).first)
        #expect(record["error"] as? String == "not in vocabulary" && record["oov"] as? [String] == ["nowhere"])

        let pairs = try CLI.run(["similarity", "--vectors", vectors], stdin: Data("north south\n\nnorth nowhere\n".utf8))
        #expect(pairs.stdout == "-1.0000\n\nnowhere: not in vocabulary\n", "\(pairs.stdout)")
        let wrongCount = try CLI.run(["similarity", "--vectors", vectors, "north"])
        #expect(wrongCount.status == 64)
    }

    /// The counts are worked out by hand in EmbeddingsTests/VectorStoreTests.swift (EvaluationTests).
    @Test func evaluateJSON() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        let questions = directory.appendingPathComponent("questions.txt").path
        try Data("""
            : compass
            w10 w50 north w135
            w10 w50 north west
            North East South W10
            east north nowhere south
            : gram1-directions
            east north west south
            north east south w10
            EAST NORTH ZZZ YYY
            east w10 w50 north

            """.utf8).write(to: URL(fileURLWithPath: questions))
        let pairs = directory.appendingPathComponent("pairs.tsv").path
        try Data("# c\neast\tw10\t9.0\neast\tw50\t6.0\neast\tnorth\t3.0\neast\twest\t1.0\nnorth\tw135\t5.0\neast\tnowhere\t2.0\n".utf8)
            .write(to: URL(fileURLWithPath: pairs))
        let result = try CLI.run(["evaluate", "--vectors", vectors, "--analogies", questions, "--pairs", pairs, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try jsonLines(result.stdout).first)
        #expect(Set(object.keys) == ["analogies:" + questions, "pairs:" + pairs])
        let analogies = try #require(object["analogies:" + questions] as? [String: Any])
        func counts(_ entry: Any?) -> [Int] {
            guard let entry = entry as? [String: Any] else { return [] }
            return ["correct", "incorrect", "skipped"].compactMap { entry[$0] as? Int }
        }
        let sections = try #require(analogies["sections"] as? [[String: Any]])
        #expect(sections.map { $0["name"] as? String } == ["compass", "gram1-directions"])
        #expect(sections.map(counts) == [[2, 1, 1], [2, 1, 1]])
        #expect(counts(analogies["semantic"]) == [2, 1, 1])
        #expect(counts(analogies["syntactic"]) == [2, 1, 1])
        #expect(counts(analogies["total"]) == [4, 2, 2])
        #expect(abs(((analogies["total"] as? [String: Any])?["accuracy"] as? Double ?? 0) - 4.0 / 6) < 1e-9)
        let pairResult = try #require(object["pairs:" + pairs] as? [String: Any])
        #expect(pairResult["pairs"] as? Int == 5)
        #expect(pairResult["skipped"] as? Int == 1)
        #expect(abs((pairResult["spearman"] as? Double ?? 0) - 0.9) < 1e-9)
        #expect(abs((pairResult["pearson"] as? Double ?? 0) - 0.917674) < 1e-5)
        #expect(abs((pairResult["oov_ratio"] as? Double ?? 0) - 1.0 / 6) < 1e-9)
    }

    @Test func convertToProjectorWithLimit() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        let projector = directory.appendingPathComponent("projector").path
        let result = try CLI.run(["convert", vectors, "-o", projector, "--format", "projector", "--limit", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("convert: 3 vectors of 2 from word2vec-text to projector"))
        #expect(try String(contentsOfFile: projector + "/vectors.tsv", encoding: .utf8) == "2.0\t0.0\n0.0\t1.0\n0.9848077\t0.17364818\n")
        #expect(try String(contentsOfFile: projector + "/metadata.tsv", encoding: .utf8) == "east\nnorth\nw10\n")

        // And back through word2vec binary: the same neighbours.
        let binary = directory.appendingPathComponent("compass.bin").path
        #expect(try CLI.run(["convert", vectors, "-o", binary, "--format", "word2vec-bin"]).status == 0)
        let fromBinary = try CLI.run(["nearest", "--vectors", binary, "east", "-k", "3"])
        #expect(fromBinary.stdout == "east: w10 0.985, w50 0.643, north 0.000\n")
        let badLimit = try CLI.run(["convert", vectors, "-o", binary, "--format", "glove", "--limit", "0"])
        #expect(badLimit.status == 64)
        #expect(badLimit.stderr.contains("--limit must be at least 1"))
    }

    /// The output format follows the file's extension unless --format says otherwise; a
    /// contradiction is refused before anything runs (`-o vectors.txt` wrote the native binary).
    @Test func formatsFollowFileNames() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try writeCompass(in: directory)
        let corpus = directory.appendingPathComponent("c.txt").path
        try Data(String(repeating: "east north west south east north\n", count: 40).utf8).write(to: URL(fileURLWithPath: corpus))
        let text = directory.appendingPathComponent("trained.txt").path
        let trained = try CLI.run(["train", corpus, "-o", text, "--min-count", "1", "--dim", "4", "--epochs", "1", "--threads", "1"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(try String(contentsOfFile: text, encoding: .utf8).hasPrefix("4 4\n"))
        let contradiction = try CLI.run(["train", corpus, "-o", directory.appendingPathComponent("v.bin").path, "--format", "word2vec-text"])
        #expect(contradiction.status == 64)
        #expect(contradiction.stderr.contains("invalid value word2vec-text for --format: expected the format that"), "\(contradiction.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("v.bin").path))

        let vec = directory.appendingPathComponent("compass.vec").path
        let converted = try CLI.run(["convert", vectors, "-o", vec.replacingOccurrences(of: "compass", with: "out")])
        #expect(converted.status == 0 && converted.stderr.contains("to fasttext"), "\(converted.stderr)")
        let native = try CLI.run(["convert", vectors, "-o", directory.appendingPathComponent("out.wpv").path])
        #expect(native.stderr.contains("to native"))
        let unnamed = try CLI.run(["convert", vectors, "-o", directory.appendingPathComponent("out").path])
        #expect(unnamed.status == 64 && unnamed.stderr.contains("name does not tell one"), "\(unnamed.stderr)")
    }

    /// A word2vec file that is only its header `2000 50`, without a newline, crashed `nearest`,
    /// `evaluate` and `convert` (issue 13): now each exits 1 with an error naming the file and line.
    @Test func headerOnlyFileIsAnErrorInEveryCommand() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = directory.appendingPathComponent("header-only.vec").path
        try Data("2000 50".utf8).write(to: URL(fileURLWithPath: vectors))
        let pairs = directory.appendingPathComponent("pairs.tsv").path
        try Data("east\tnorth\t1\nnorth\twest\t2\n".utf8).write(to: URL(fileURLWithPath: pairs))
        let output = directory.appendingPathComponent("out.vec").path
        for arguments in [["nearest", "--vectors", vectors, "the"], ["evaluate", "--vectors", vectors, "--pairs", pairs],
                          ["convert", vectors, "-o", output, "--format", "glove"]] {
            let result = try CLI.run(arguments)
            #expect(result.reason == .exit && result.status == 1, "\(arguments[0]): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("\(vectors):1: the header says 2000 vectors, the file has 0"), "\(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
