import Foundation
import Testing
import TestSupport

/// `train-tagger` and `train-classifier` with `--checkpoint` / `--resume` (issue 14): a run
/// killed with SIGKILL in the middle of training and resumed gives the weights and predictions
/// of a run that was never stopped; a checkpoint of other settings or data is refused, naming
/// each difference.
@Suite(.serialized) struct ModelCheckpointCLITests {
    /// 60 training sentences in batches of 8: 8 batches an epoch, 4 epochs.
    static let settings = ["--hidden", "8", "--dim", "8", "--epochs", "4", "--patience", "4", "--batch", "8", "--dropout", "0.2",
                           "--word-dropout", "0.05", "--lr", "0.01", "--threads", "1"]

    /// The parameter section of a model file: from the parameter file's magic to the end (the
    /// header before it holds the training record, whose timings differ between runs).
    static func parameterSection(_ path: String) throws -> Data {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let magic = try #require(data.range(of: Data("WPRNNPAR".utf8)), "\(path) holds no parameter section")
        return data[magic.lowerBound...]
    }

    struct Files {
        let directory: URL
        let temporary: URL
        let train: String
        let dev: String

        init(tagger: Bool) throws {
            directory = try SharedData.temporaryDirectory()
            temporary = directory.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            if tagger {
                train = try ModelCLITests.write(ModelCLITests.conll(60, offset: 0), "train.conll", in: directory)
                dev = try ModelCLITests.write(ModelCLITests.conll(20, offset: 7), "dev.conll", in: directory)
            } else {
                func rows(_ count: Int, offset: Int) -> String {
                    let animals = ["cat", "dog", "cow", "horse"], colors = ["red", "blue", "green", "pink"]
                    return "label\ttext\n" + (0..<count).map { index in
                        let k = index + offset
                        return k % 2 == 0 ? "pos\tthe \(animals[k % 4]) was great\n" : "neg\ta \(colors[k % 4]) paint was awful\n"
                    }.joined()
                }
                train = try ModelCLITests.write(rows(60, offset: 0), "train.tsv", in: directory)
                dev = try ModelCLITests.write(rows(20, offset: 3), "dev.tsv", in: directory)
            }
        }

        /// A language model's texts: 300 training lines, 30 dev.
        init(languageModel: Void) throws {
            directory = try SharedData.temporaryDirectory()
            temporary = directory.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            train = try LanguageModelCLITests.write(LanguageModelCLITests.text(300, offset: 0), "train.txt", in: directory)
            dev = try LanguageModelCLITests.write(LanguageModelCLITests.text(30, offset: 5), "valid.txt", in: directory)
        }

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func wordpipe(_ arguments: [String], fault: String? = nil) throws -> FaultMatrixTests.Outcome {
            try FaultMatrixTests.wordpipe(arguments, fault: fault, temporary: temporary)
        }
    }

    /// Trains uninterrupted, then killed at `fault` and resumed; both models must have the same
    /// parameters and give the same predictions.
    func killAndResume(command: String, apply: String, files: Files, fault: String, extra: [String] = [],
                       checkpointExtra: [String] = [], threads: Int = 1, settings given: [String] = Self.settings) throws {
        let settings = given.map { $0 == "1" ? "\(threads)" : $0 }
        let base = [command, "--train", files.train, "--dev", files.dev] + settings + extra
        let whole = try files.wordpipe(base + ["-o", files.path("whole.wpm")])
        #expect(whole.status == 0, "\(whole.stderr)")

        let checkpoints = files.path("checkpoints")
        let killed = try files.wordpipe(base + ["-o", files.path("resumed.wpm"), "--checkpoint", checkpoints] + checkpointExtra, fault: fault)
        #expect(killed.killed, "the run was not killed at \(fault): \(killed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.path("resumed.wpm")))
        #expect(FileManager.default.fileExists(atPath: checkpoints + "/latest"), "no checkpoint before the kill")

        let resumed = try files.wordpipe(base + ["-o", files.path("resumed.wpm"), "--resume", checkpoints] + checkpointExtra)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed from \(checkpoints)"), "\(resumed.stderr)")
        // The resumed run did not start again: it ran fewer epochs than the whole one.
        let epochs = { (text: String) in text.split(separator: "\n").filter { $0.contains(": epoch ") }.count }
        #expect(epochs(resumed.stderr) < epochs(whole.stderr), "\(resumed.stderr)")
        #expect(try Self.parameterSection(files.path("whole.wpm")) == Self.parameterSection(files.path("resumed.wpm")))
        // The weights kept are those of an epoch that ran (at least in part) after the resume, so
        // that the comparison covers what the resume restored.
        let done = try #require(resumed.stderr.firstMatch(of: /resumed from [^:]+: (\d+) epochs done/)).1
        let kept = try #require(resumed.stderr.firstMatch(of: /kept epoch (\d+) of/)).1
        #expect(Int(kept)! > Int(done)!, "\(resumed.stderr)")

        let predictions = try ["whole.wpm", "resumed.wpm"].map { model in
            let result = try files.wordpipe([apply, "--model", files.path(model), files.dev])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        #expect(!predictions[0].isEmpty && predictions[0] == predictions[1])
    }

    /// Killed in epoch 3 (batch 20 of 32): resumed from the checkpoint at the end of epoch 2.
    @Test func aTaggerKilledAndResumedFromAnEpochCheckpointEqualsAnUninterruptedRun() throws {
        try killAndResume(command: "train-tagger", apply: "tag", files: Files(tagger: true), fault: "train-batch:20")
    }

    /// With --checkpoint-every 3, killed at batch 22 (epoch 3, batch 6): resumed inside epoch 3.
    @Test func aTaggerResumedInsideAnEpochEqualsAnUninterruptedRun() throws {
        try killAndResume(command: "train-tagger", apply: "tag", files: Files(tagger: true), fault: "train-batch:22",
                          checkpointExtra: ["--checkpoint-every", "3"])
    }

    /// A language model killed inside epoch 2 (90 segments an epoch; checkpoint at segment 56,
    /// killed at 60): the streams' carried states come back from the checkpoint, so the resumed
    /// run ends with the weights of one never stopped (with zero states it would not).
    @Test func aLanguageModelResumedInsideAnEpochEqualsAnUninterruptedRun() throws {
        let settings = ["--hidden", "8", "--dim", "8", "--layers", "2", "--epochs", "4", "--batch", "4", "--bptt", "5", "--dropout", "0.2",
                        "--lr-decay", "2", "--decay-after", "2", "--threads", "1", "--progress", "never"]
        try killAndResume(command: "train-lm", apply: "perplexity", files: Files(languageModel: ()), fault: "train-batch:150",
                          checkpointExtra: ["--checkpoint-every", "7"], settings: settings)
    }

    /// `--time-budget`: the run stops at the batch where the budget is spent, evaluates the cut
    /// epoch, and leaves a checkpoint inside it, from which `--resume` (without the budget) ends
    /// with the weights of a run never stopped.
    @Test func aTimeBudgetStopsInsideAnEpochAndTheRunResumes() throws {
        let files = try Files(languageModel: ())
        let settings = ["--hidden", "8", "--dim", "8", "--layers", "1", "--epochs", "2", "--batch", "4", "--bptt", "5", "--dropout", "0.2",
                        "--threads", "1", "--progress", "never"]
        let base = ["train-lm", "--train", files.train, "--dev", files.dev] + settings
        let whole = try files.wordpipe(base + ["-o", files.path("whole.wpm")])
        #expect(whole.status == 0, "\(whole.stderr)")
        let checkpoints = files.path("checkpoints")
        // A microsecond: spent by the first batch.
        let cut = try files.wordpipe(base + ["-o", files.path("cut.wpm"), "--checkpoint", checkpoints, "--time-budget", "0.000001"])
        #expect(cut.status == 0, "\(cut.stderr)")
        let epochs = cut.stderr.split(separator: "\n").filter { $0.contains(": epoch ") }
        #expect(epochs.count == 1, "\(cut.stderr)")
        #expect(epochs.first?.contains(/epoch 1\/2 .* \(time budget of 1e-06 s reached after 1 of \d+ batches\)/) == true, "\(cut.stderr)")
        #expect(FileManager.default.fileExists(atPath: files.path("cut.wpm")))

        let resumed = try files.wordpipe(base + ["-o", files.path("resumed.wpm"), "--resume", checkpoints])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed from \(checkpoints): 0 epochs done, 1 of"), "\(resumed.stderr)")
        #expect(try Self.parameterSection(files.path("whole.wpm")) == Self.parameterSection(files.path("resumed.wpm")))
        #expect(try Self.parameterSection(files.path("whole.wpm")) != Self.parameterSection(files.path("cut.wpm")))

        let refused = try files.wordpipe(base + ["-o", files.path("never.wpm"), "--time-budget", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("--time-budget must be a positive number of seconds, not 0.0"), "\(refused.stderr)")
    }

    /// At 2 threads the replicas' dropout generators are restored too.
    @Test func aTaggerAtTwoThreadsResumedEqualsAnUninterruptedRun() throws {
        try killAndResume(command: "train-tagger", apply: "tag", files: Files(tagger: true), fault: "train-batch:22",
                          checkpointExtra: ["--checkpoint-every", "3"], threads: 2)
    }

    /// A damaged checkpoint is refused, naming the file and what is wrong.
    @Test func aDamagedCheckpointIsRefused() throws {
        let files = try Files(tagger: true)
        let checkpoints = files.path("checkpoints")
        let base = ["train-tagger", "--train", files.train, "--dev", files.dev, "-o", files.path("m.wpm")] + Self.settings
        let killed = try files.wordpipe(base + ["--checkpoint", checkpoints], fault: "train-batch:12")
        #expect(killed.killed, "\(killed.stderr)")
        let step = checkpoints + "/" + (try String(contentsOfFile: checkpoints + "/latest", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)

        var weights = try Data(contentsOf: URL(fileURLWithPath: step + "/weights.wprnn"))
        weights[weights.count / 2] ^= 0x40
        try weights.write(to: URL(fileURLWithPath: step + "/weights.wprnn"))
        let damaged = try files.wordpipe(base + ["--resume", checkpoints])
        #expect(damaged.status != 0)
        #expect(damaged.stderr.contains("\(step)/weights.wprnn: damaged checkpoint"), "\(damaged.stderr)")
        weights[weights.count / 2] ^= 0x40
        try weights.write(to: URL(fileURLWithPath: step + "/weights.wprnn"))

        let state = try String(contentsOfFile: step + "/state.json", encoding: .utf8)
        try state.replacingOccurrences(of: "\"batch\" : 0", with: "\"batch\" : 99").write(toFile: step + "/state.json", atomically: true, encoding: .utf8)
        let batch = try files.wordpipe(base + ["--resume", checkpoints])
        #expect(batch.status != 0)
        #expect(batch.stderr.contains("field 'batch' is 99, outside 0..<8"), "\(batch.stderr)")

        try "{".write(toFile: step + "/state.json", atomically: true, encoding: .utf8)
        let json = try files.wordpipe(base + ["--resume", checkpoints])
        #expect(json.status != 0)
        #expect(json.stderr.contains("\(step)/state.json: unreadable checkpoint: not valid JSON"), "\(json.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.path("m.wpm")))
    }

    /// A run with --checkpoint gives the weights of one without (writing them changes nothing).
    @Test func checkpointsDoNotChangeTheWeights() throws {
        let files = try Files(tagger: true)
        let base = ["train-tagger", "--train", files.train, "--dev", files.dev] + Self.settings
        let plain = try files.wordpipe(base + ["-o", files.path("plain.wpm")])
        let checkpointed = try files.wordpipe(base + ["-o", files.path("checkpointed.wpm"), "--checkpoint", files.path("c"), "--checkpoint-every", "1"])
        #expect(plain.status == 0 && checkpointed.status == 0, "\(plain.stderr) \(checkpointed.stderr)")
        #expect(try Self.parameterSection(files.path("plain.wpm")) == Self.parameterSection(files.path("checkpointed.wpm")))
    }

    /// Killed while a checkpoint is being written is the same as killed after the one before.
    @Test func aTaggerKilledAfterACheckpointIsWrittenResumes() throws {
        try killAndResume(command: "train-tagger", apply: "tag", files: Files(tagger: true), fault: "checkpoint-written:2")
    }

    @Test func aClassifierKilledAndResumedEqualsAnUninterruptedRun() throws {
        // A small learning rate: the dev accuracy is still rising after the resume (epoch 3 is kept).
        try killAndResume(command: "train-classifier", apply: "classify", files: Files(tagger: false), fault: "train-batch:13",
                          extra: ["--lr", "0.002"], checkpointExtra: ["--checkpoint-every", "2"])
    }

    /// A checkpoint of other settings or other data is refused with each difference named, and
    /// a directory without one is an error naming it.
    @Test func aMismatchedResumeIsRefused() throws {
        let files = try Files(tagger: true)
        let checkpoints = files.path("checkpoints")
        let base = ["train-tagger", "--dev", files.dev, "-o", files.path("m.wpm")] + Self.settings
        let killed = try files.wordpipe(base + ["--train", files.train, "--checkpoint", checkpoints], fault: "train-batch:12")
        #expect(killed.killed, "\(killed.stderr)")

        let hidden = try files.wordpipe(base.map { $0 == "8" ? "16" : $0 } + ["--train", files.train, "--resume", checkpoints])
        #expect(hidden.status != 0)
        #expect(hidden.stderr.contains("the checkpoint was made with other settings or data"), "\(hidden.stderr)")
        #expect(hidden.stderr.contains("hidden: 8 → 16"), "\(hidden.stderr)")
        #expect(hidden.stderr.contains("dim: 8 → 16"), "\(hidden.stderr)")

        let otherTrain = try ModelCLITests.write(ModelCLITests.conll(61, offset: 0), "other.conll", in: files.directory)
        let data = try files.wordpipe(base + ["--train", otherTrain, "--resume", checkpoints])
        #expect(data.status != 0)
        #expect(data.stderr.contains("train data: \(files.train)"), "\(data.stderr)")

        let threads = try files.wordpipe(base.map { $0 == "1" ? "2" : $0 } + ["--train", files.train, "--resume", checkpoints])
        #expect(threads.status != 0)
        #expect(threads.stderr.contains("threads: 1 → 2"), "\(threads.stderr)")

        let none = try files.wordpipe(base + ["--train", files.train, "--resume", files.path("nothing")])
        #expect(none.status != 0)
        #expect(none.stderr.contains("\(files.path("nothing")): no checkpoint here"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.path("m.wpm")))
    }
}

/// `--progress` of `train-tagger` (issue 14): without a terminal, `always` prints a plain line at
/// each tenth of an epoch, `never` none; the per-epoch lines are there either way.
@Suite struct ModelProgressCLITests {
    @Test func progressLinesWithoutATerminal() throws {
        let files = try ModelCheckpointCLITests.Files(tagger: true)
        let base = ["train-tagger", "--train", files.train, "--dev", files.dev, "-o", files.path("m.wpm"), "--batch", "4",
                    "--hidden", "8", "--dim", "8", "--threads", "1"]
        let always = try files.wordpipe(base + ["--progress", "always", "--epochs", "2"])
        #expect(always.status == 0, "\(always.stderr)")
        let lines = always.stderr.split(separator: "\n").filter { $0.contains(" batch ") }
        // 60 sentences in batches of 4: 15 batches, a line at each of batches 1 to 14, twice.
        #expect(lines.count == 28, "\(always.stderr)")
        #expect(lines.first?.wholeMatch(of: /train-tagger: epoch 1\/2 batch 1\/15 \(6%\) loss \d+\.\d{4} tokens\/s \d+ eta \d+s/) != nil,
                "\(lines.first ?? "")")
        #expect(always.stderr.contains("train-tagger: epoch 2/2 loss "))
        #expect(!always.stderr.contains("\r"))

        let never = try files.wordpipe(base + ["--progress", "never", "--epochs", "2"])
        #expect(never.status == 0, "\(never.stderr)")
        #expect(!never.stderr.contains(" batch "), "\(never.stderr)")
        #expect(never.stderr.contains("train-tagger: epoch 2/2 loss "))
    }
}
