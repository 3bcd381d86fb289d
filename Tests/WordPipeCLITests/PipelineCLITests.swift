import Foundation
import TestSupport

@Suite(.serialized) struct PipelineCLITests {
    static let yaml = """
    version: 1
    stages:
      tokens:
        type: tokenize
        inputs: [corpus.txt]
        with: { lowercase: true }
      vectors:
        type: train
        inputs: [tokens]
        with: { dim: 24, epochs: 4, seed: 7, window: 3, vocabulary: { min_count: 1 } }

    """

    static func workspace() throws -> URL {
        let directory = try SharedData.temporaryDirectory()
        try CLI.writeCorpus(directory.appendingPathComponent("corpus.txt"), lines: 12_000)
        try Data(yaml.utf8).write(to: directory.appendingPathComponent("pipe.yaml"))
        return directory
    }

    /// kill -9 during `train`, then `run` again: the stage is redone, and its vectors equal a
    /// clean run's (one thread, same seed).
    @Test func killedStageIsRedoneAndMatchesACleanRun() throws {
        let clean = try Self.workspace()
        let cleanRun = try CLI.run(["run", clean.appendingPathComponent("pipe.yaml").path, "--threads", "1", "--progress", "never"])
        #expect(cleanRun.status == 0, "\(cleanRun.stderr)\(cleanRun.stdout)")

        let killed = try Self.workspace()
        let (process, _, _) = try CLI.start(["run", killed.appendingPathComponent("pipe.yaml").path, "--threads", "1", "--progress", "never"])
        let build = killed.appendingPathComponent("build").path
        let deadline = Date().addingTimeInterval(60)
        var sawTraining = false
        while Date() < deadline && process.isRunning {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: build)) ?? []
            if entries.contains(where: { $0.hasPrefix(".vectors.partial-") }) {
                sawTraining = true
                break
            }
            usleep(10_000)
        }
        #expect(sawTraining, "the run ended before train could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Nothing looks complete: no vectors directory, and the lock does not claim it.
        #expect(!FileManager.default.fileExists(atPath: build + "/vectors/vectors.wpv"))
        let status = try CLI.run(["status", killed.appendingPathComponent("pipe.yaml").path])
        #expect(status.stdout.contains("tokens: up to date"), "\(status.stdout)")
        #expect(status.stdout.contains("vectors: never run"), "\(status.stdout)")

        let rerun = try CLI.run(["run", killed.appendingPathComponent("pipe.yaml").path, "--threads", "1", "--progress", "never"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("tokens: up to date"))
        #expect(rerun.stdout.contains("vectors: running train"))
        let a = try Data(contentsOf: clean.appendingPathComponent("build/vectors/vectors.wpv"))
        let b = try Data(contentsOf: killed.appendingPathComponent("build/vectors/vectors.wpv"))
        #expect(a == b)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: build).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// The run's last line counts stages in good English: "1 stage ran", "0 stages ran".
    @Test func summaryLineCountsStages() throws {
        let directory = try SharedData.temporaryDirectory()
        try Data("The cat sat.\n".utf8).write(to: directory.appendingPathComponent("c.txt"))
        let pipeline = directory.appendingPathComponent("p.yaml").path
        try Data("version: 1\nstages:\n  tokens:\n    type: tokenize\n    inputs: [c.txt]\n".utf8).write(to: URL(fileURLWithPath: pipeline))
        let first = try CLI.run(["run", pipeline])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("run: 1 stage ran, 0 up to date"), "\(first.stdout)")
        // Each stage's key figures before the last line, also when it was up to date.
        #expect(first.stdout.contains("  tokens: 1 documents, 1 sentences, 3 tokens"), "\(first.stdout)")
        let second = try CLI.run(["run", pipeline])
        #expect(second.stdout.contains("run: 0 stages ran, 1 up to date"), "\(second.stdout)")
        #expect(second.stdout.contains("  tokens: 1 documents, 1 sentences, 3 tokens"), "\(second.stdout)")
    }

    @Test func badPipelineFileGivesPositionAndNonZeroExit() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.yaml").path
        try Data("version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [nothing.txt]\n".utf8).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["run", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("wordpipe run: error: \(path):5:14: stage 't': input 'nothing.txt' does not exist"), "\(result.stderr)")
    }

    /// Issue 13, defect 2: two pipeline files of one folder (each with its own work directory)
    /// run at once keep both their entries in the shared wordpipe.lock.
    @Test func twoPipelinesRunAtOnceKeepTheirLockEntries() throws {
        for trial in 0..<6 {
            let directory = try SharedData.temporaryDirectory()
            try CLI.writeCorpus(directory.appendingPathComponent("corpus.txt"), lines: 200)
            for name in ["a", "b"] {
                let yaml = """
                version: 1
                workdir: build-\(name)
                stages:
                  tokens:
                    type: tokenize
                    inputs: [corpus.txt]
                  vocab:
                    type: vocab
                    inputs: [tokens]
                  phrased:
                    type: phrases
                    inputs: [tokens]
                  vocab2:
                    type: vocab
                    inputs: [phrased]

                """
                try Data(yaml.utf8).write(to: directory.appendingPathComponent("\(name).yaml"))
            }
            let started = try ["a", "b"].map { try CLI.start(["run", directory.appendingPathComponent("\($0).yaml").path, "--threads", "1", "--progress", "never"]) }
            for (process, out, err) in started {
                let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "trial \(trial): \(stdout)\(stderr)")
            }
            for name in ["a", "b"] {
                let status = try CLI.run(["status", directory.appendingPathComponent("\(name).yaml").path])
                #expect(status.stdout == "tokens: up to date\nvocab: up to date\nphrased: up to date\nvocab2: up to date\n",
                        "trial \(trial), \(name).yaml: \(status.stdout)\(status.stderr)")
            }
        }
    }

    /// Issue 13, defect 4: YAML alias bombs (9 levels of 9 aliases: 387 million values), one
    /// under `with` and one as a mapping key (which YAML hashes whole), are refused with a
    /// position in well under a second, not expanded. Each process is killed after 5 s, so the
    /// test fails rather than hangs when a bomb is expanded.
    @Test(arguments: ["with", "key"])
    func aliasBombIsRefusedQuickly(place: String) throws {
        let directory = try SharedData.temporaryDirectory()
        try Data("a b\n".utf8).write(to: directory.appendingPathComponent("corpus.txt"))
        var bomb = "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            bomb += "x\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        let yaml: String
        if place == "with" {
            let indented = bomb.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
            yaml = "version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [corpus.txt]\n    with:\n\(indented)\n"
        } else {
            yaml = "version: 1\n\(bomb)? *a9\n: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [corpus.txt]\n"
        }
        let path = directory.appendingPathComponent("bomb.yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        let (process, out, err) = try CLI.start(["status", path])
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        let finished = !process.isRunning
        if !finished { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(finished, "\(place): still running after 5 s")
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = out.fileHandleForReading.readDataToEndOfFile()
        #expect(process.terminationStatus == 1, "\(place): \(stderr)")
        #expect(stderr.contains("\(path):"), "\(stderr)")
        #expect(stderr.contains("alias"), "\(stderr)")
        if place == "with" { #expect(stderr.contains("stage 't'"), "\(stderr)") }
    }
}
