import Foundation
import TestSupport

@Suite(.serialized) struct TrainCLITests {
    /// `wordpipe train` killed with SIGKILL after a checkpoint, then resumed, gives the same
    /// bytes as an uninterrupted run (one thread, same seed).
    @Test func resumeAfterKillIsBitIdentical() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 12_000)
        let tokens = directory.appendingPathComponent("tokens.txt").path
        #expect(try CLI.run(["tokenize", corpus.path, "-o", tokens, "--lowercase", "--progress", "never"]).status == 0)
        let settings = ["--dim", "24", "--epochs", "6", "--seed", "3", "--window", "3", "--min-count", "1", "--threads", "1",
                        "--progress", "never"]
        let plain = directory.appendingPathComponent("plain.wpv").path
        let reference = try CLI.run(["train", tokens, "-o", plain] + settings)
        #expect(reference.status == 0, "\(reference.stderr)")

        let checkpoint = directory.appendingPathComponent("checkpoint").path
        let resumed = directory.appendingPathComponent("resumed.wpv").path
        let (process, _, _) = try CLI.start(["train", tokens, "-o", resumed, "--checkpoint", checkpoint, "--checkpoint-every", "30000"] + settings)
        // Wait for the second checkpoint (a mid-training one), then kill.
        let deadline = Date().addingTimeInterval(60)
        var steps = Set<String>()
        while Date() < deadline && process.isRunning {
            if let latest = try? String(contentsOfFile: checkpoint + "/latest", encoding: .utf8) { steps.insert(latest) }
            if steps.count >= 2 { break }
            usleep(5_000)
        }
        #expect(process.isRunning, "training finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: resumed))
        let latest = try String(contentsOfFile: checkpoint + "/latest", encoding: .utf8)
        #expect(!latest.hasPrefix("step-6-"), "the checkpoint is already at the end: \(latest)")

        let resume = try CLI.run(["train", tokens, "-o", resumed, "--resume", checkpoint] + settings)
        #expect(resume.status == 0, "\(resume.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: resumed)) == Data(contentsOf: URL(fileURLWithPath: plain)))

        // A resume with other settings is refused, naming the setting.
        let other = try CLI.run(["train", tokens, "-o", directory.appendingPathComponent("x.wpv").path, "--resume", checkpoint]
                                + settings.map { $0 == "24" ? "32" : $0 })
        #expect(other.status == 1)
        #expect(other.stderr.contains("dim: 24 → 32"), "\(other.stderr)")
    }

    @Test func badSettingsEndBeforeTraining() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 50)
        for (arguments, message) in [(["--dim", "0"], "--dim"), (["--window", "-1"], "--window"), (["--epochs", "0"], "--epochs")] {
            let result = try CLI.run(["train", corpus.path, "-o", directory.appendingPathComponent("v").path] + arguments)
            #expect(result.status == 64)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        let empty = directory.appendingPathComponent("empty.txt")
        try Data("\n".utf8).write(to: empty)
        let result = try CLI.run(["train", empty.path, "-o", directory.appendingPathComponent("v").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("wordpipe train: error: the corpus has no tokens"), "\(result.stderr)")
    }

    /// A vocabulary line with count 9223372036854775807 crashed `train --vocab` (an overflow in
    /// the sum of the counts, issue 13): now it is an error naming the file and line.
    @Test func hugeVocabularyCountsAreAnErrorNamingTheLine() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt").path
        try Data("the cat sat on the mat\nthe dog sat\n".utf8).write(to: URL(fileURLWithPath: corpus))
        let vocabulary = directory.appendingPathComponent("v.tsv").path
        try Data("the\t9223372036854775807\nsat\t2\ncat\t1\nmat\t1\non\t1\ndog\t1\n".utf8).write(to: URL(fileURLWithPath: vocabulary))
        for loss in ["ns", "hs"] {
            let result = try CLI.run(["train", corpus, "--vocab", vocabulary, "-o", directory.appendingPathComponent("v.wpv").path,
                                      "--dim", "4", "--epochs", "1", "--loss", loss])
            #expect(result.reason == .exit && result.status == 1, "\(result.status) \(result.stderr)")
            #expect(result.stderr.contains("\(vocabulary):2: the counts up to this line add up to more than 9223372036854775807"), "\(result.stderr)")
        }
    }

    /// A checkpoint whose state has a position past the corpus end, no workers, or a repeated
    /// worker crashed `train --resume` (index out of range, an overflow, division by zero) or
    /// was silently accepted (issue 13): each is now an error naming state.json and the field,
    /// and no output is written.
    @Test func damagedCheckpointIsAnErrorNotACrash() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 300)
        let settings = ["--dim", "8", "--epochs", "2", "--min-count", "1", "--threads", "2", "--progress", "never"]
        let checkpoint = directory.appendingPathComponent("checkpoint").path
        let output = directory.appendingPathComponent("v.wpv").path
        let first = try CLI.run(["train", corpus.path, "-o", output, "--checkpoint", checkpoint] + settings)
        #expect(first.status == 0, "\(first.stderr)")
        let step = try String(contentsOfFile: checkpoint + "/latest", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let file = checkpoint + "/" + step + "/state.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let saved = directory.appendingPathComponent("saved").path
        try FileManager.default.copyItem(atPath: checkpoint, toPath: saved)
        let changes: [(String, (inout [String: Any]) -> Void)] = [
            ("field 'workers[1].next' is 99999999", { state in
                var workers = state["workers"] as? [[String: Any]] ?? []
                workers[1]["next"] = 99_999_999
                state["workers"] = workers
            }),
            ("field 'workers[1].first/end'", { state in
                var workers = state["workers"] as? [[String: Any]] ?? []
                workers[1]["end"] = 99_999_999
                state["workers"] = workers
            }),
            ("field 'wordsDone' is 9223372036854775000", { $0["wordsDone"] = Int64(9_223_372_036_854_775_000) }),
            ("field 'workers' lists 0 workers, but 'threads' is 2", { $0["workers"] = [Any]() }),
            ("field 'workers[1].first/end'", { state in
                let workers = state["workers"] as? [Any] ?? []
                state["workers"] = [workers[0], workers[0]]
            }),
        ]
        for (message, change) in changes {
            // A fresh copy each time (a resume that went through would have moved the checkpoint on).
            try FileManager.default.removeItem(atPath: checkpoint)
            try FileManager.default.copyItem(atPath: saved, toPath: checkpoint)
            var state = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            // Back to the start of the last epoch, so that the resume trains.
            state["epoch"] = 1
            state["epochLosses"] = Array((state["epochLosses"] as? [Double] ?? []).prefix(1))
            change(&state)
            try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: file))
            try? FileManager.default.removeItem(atPath: output)
            let result = try CLI.run(["train", corpus.path, "-o", output, "--resume", checkpoint] + settings)
            #expect(result.reason == .exit && result.status == 1, "\(message): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("wordpipe train: error: \(file): \(message)"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }
}
