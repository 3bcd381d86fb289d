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

    @Test func badPipelineFileGivesPositionAndNonZeroExit() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("bad.yaml").path
        try Data("version: 1\nstages:\n  t:\n    type: tokenize\n    inputs: [nothing.txt]\n".utf8).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["run", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("wordpipe run: error: \(path):5:14: stage 't': input 'nothing.txt' does not exist"), "\(result.stderr)")
    }
}
