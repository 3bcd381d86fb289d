import Foundation
import Testing
import TestSupport

/// SIGINT and SIGTERM in the middle of every multi-threaded command: the workers stop at a
/// batch boundary, the partial outputs go, and the process exits with 128 + the signal,
/// never with a crash (issue 13: `train-tagger --threads 2` ended in SIGSEGV inside OpenBLAS).
/// Also: training's temporaries live beside the output, and a run killed with SIGKILL has its
/// leftovers removed by the next run there.
@Suite(.serialized) struct InterruptCLITests {
    /// What one interrupted run did.
    struct Outcome {
        var reason: Process.TerminationReason
        var status: Int32
        var stderr: String
        /// Entries of the output directory after the run.
        var entries: [String]
        /// The process id.
        var pid: Int32
    }

    /// The fields of `/proc/PID/stat` after the command name (the first is field 3, the state).
    static func statFields(_ pid: Int32) -> [Substring] {
        // /proc files report a size of 0: read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/stat") else { return [] }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let paren = text.lastIndex(of: ")") else { return [] }
        return text[text.index(after: paren)...].split(separator: " ")
    }

    /// CPU seconds (user + system) that process `pid` has used.
    static func cpuSeconds(_ pid: Int32) -> Double {
        let fields = statFields(pid)
        // utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Whether `pid` runs (exists and is not a zombie waiting to be reaped).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let state = statFields(pid).first else { return false }
        return state != "Z" && state != "X"
    }

    /// Runs `wordpipe ARGS` with its outputs in `directory`, waits until its standard error
    /// holds `marker` (if any) and it has then used `cpu` more CPU seconds, sends `signal` and
    /// waits for the end. Fails the test when the run ends before it could be interrupted.
    static func interrupt(_ arguments: [String], in directory: URL, signal: Int32, marker: String? = nil, cpu: Double,
                          stdin: String? = nil, twice: Bool = false) throws -> Outcome? {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("wordpipe-interrupt-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = stdin.map { FileHandle(forReadingAtPath: $0) ?? FileHandle.nullDevice } ?? FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(120)
        var base: Double?
        while isRunning(pid) && Date() < deadline {
            if base == nil {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if marker.map(text.contains) ?? true { base = cpuSeconds(pid) }
            }
            if let base, cpuSeconds(pid) - base >= cpu { break }
            usleep(10_000)
        }
        let interrupted = isRunning(pid)
        kill(pid, signal)
        if twice {
            usleep(2_000)
            kill(pid, signal)
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(interrupted, "\(arguments[0]) ended before the signal (status \(process.terminationStatus)); make its input larger: \(stderr)")
        guard interrupted else { return nil }
        return Outcome(reason: process.terminationReason, status: process.terminationStatus, stderr: stderr,
                       entries: try FileManager.default.contentsOfDirectory(atPath: directory.path), pid: pid)
    }

    /// The checks every interrupted run must pass: an exit (not a signal) with 128 + `signal`,
    /// no crash report, the final outputs absent and no temporary left.
    static func expectCleanStop(_ outcome: Outcome?, signal: Int32, outputs: [String], command: String) {
        guard let outcome else { return }
        #expect(outcome.reason == .exit, "\(command): ended by signal \(outcome.status): \(outcome.stderr)")
        #expect(outcome.status == 128 + signal, "\(command): exit \(outcome.status), expected \(128 + signal): \(outcome.stderr)")
        for crash in ["Backtrace", "Program crashed", "Fatal error", "Segmentation fault", "Thread 0"] {
            #expect(!outcome.stderr.contains(crash), "\(command): crash report on stderr: \(outcome.stderr)")
        }
        #expect(outcome.stderr.contains("interrupted"), "\(command): \(outcome.stderr)")
        for output in outputs { #expect(!outcome.entries.contains(output), "\(command): \(output) written although interrupted") }
        let leftovers = outcome.entries.filter { $0.contains(".partial-") || $0.hasSuffix(".wpc") }
        #expect(leftovers.isEmpty, "\(command): temporaries left: \(leftovers)")
    }

    /// A tokenized corpus of about `megabytes` MB (space-separated words from a 3,000-word
    /// Zipf-like vocabulary, 20 per line), written to `url`.
    static func writeTokens(_ url: URL, megabytes: Int) throws {
        var generator = SplitMix64(seed: 7)
        var block = ""
        while block.utf8.count < 1 << 20 {
            var line: [String] = []
            for _ in 0..<20 {
                let rank = Int(generator.next() % 3000) % (Int(generator.next() % 3000) + 1)
                line.append("w\(rank)")
            }
            block += line.joined(separator: " ") + "\n"
        }
        let data = Data(block.utf8)
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        for _ in 0..<megabytes { handle.write(data) }
        try handle.close()
    }

    /// Shared inputs, made once.
    final class Inputs: @unchecked Sendable {
        let directory: URL
        let tokens: URL
        let text: URL
        let conllTrain: String
        let conllDev: String
        let conllBig: String
        let tsvTrain: String
        let tsvDev: String
        let tsvBig: String
        let tagger: String
        let classifier: String

        init() throws {
            directory = try SharedData.temporaryDirectory()
            tokens = directory.appendingPathComponent("tokens.txt")
            try InterruptCLITests.writeTokens(tokens, megabytes: 16)
            text = directory.appendingPathComponent("text.txt")
            try CLI.writeCorpus(text, lines: 40_000)
            conllTrain = try ModelCLITests.write(ModelCLITests.conll(3000, offset: 0), "train.conll", in: directory)
            conllDev = try ModelCLITests.write(ModelCLITests.conll(300, offset: 7), "dev.conll", in: directory)
            conllBig = try ModelCLITests.write(ModelCLITests.conll(60_000, offset: 3), "big.conll", in: directory)
            func rows(_ count: Int, _ offset: Int) -> String {
                let fillers = ["the", "film", "was", "a", "story", "with", "and", "it", "some", "plot"]
                var text = "label\tsentence\n"
                for index in 0..<count {
                    let k = index + offset
                    let cue = k % 2 == 0 ? "great" : "awful"
                    let words = (0..<12).map { fillers[(k / ($0 + 1) + $0) % fillers.count] }
                    text += "\(k % 2 == 0 ? "pos" : "neg")\t\(words[0..<6].joined(separator: " ")) \(cue) \(words[6...].joined(separator: " "))\n"
                }
                return text
            }
            tsvTrain = try ModelCLITests.write(rows(4000, 0), "train.tsv", in: directory)
            tsvDev = try ModelCLITests.write(rows(400, 5), "dev.tsv", in: directory)
            tsvBig = try ModelCLITests.write(rows(120_000, 9), "big.tsv", in: directory)
            tagger = directory.appendingPathComponent("tagger.wpm").path
            classifier = directory.appendingPathComponent("classifier.wpm").path
            let small = ["--hidden", "16", "--dim", "16", "--epochs", "1", "--batch", "16", "--threads", "1"]
            let trained = try CLI.run(["train-tagger", "--train", conllTrain, "--dev", conllDev, "-o", tagger] + small)
            #expect(trained.status == 0, "\(trained.stderr)")
            let trainedClassifier = try CLI.run(["train-classifier", "--train", tsvTrain, "--dev", tsvDev, "-o", classifier] + small)
            #expect(trainedClassifier.status == 0, "\(trainedClassifier.stderr)")
        }
    }

    nonisolated(unsafe) static var sharedInputs: Inputs?
    static func inputs() throws -> Inputs {
        if let sharedInputs { return sharedInputs }
        let made = try Inputs()
        sharedInputs = made
        return made
    }

    /// The commands run with two threads, each with what marks its threaded phase and the CPU
    /// seconds to let it run inside that phase.
    enum Command: String, CaseIterable, CustomStringConvertible {
        case tokenize, vocab, phrases, train, trainTagger = "train-tagger", trainClassifier = "train-classifier", tag, classify
        var description: String { rawValue }

        /// Arguments, the output names, the stderr marker and the CPU seconds.
        func setup(_ inputs: Inputs, out: URL) -> (arguments: [String], outputs: [String], marker: String?, cpu: Double) {
            let progress = ["--progress", "never"]
            switch self {
            case .tokenize:
                return (["tokenize", inputs.text.path, "-o", out.appendingPathComponent("t.txt").path, "--threads", "2"] + progress,
                        ["t.txt", "t.txt.json"], nil, 0.3)
            case .vocab:
                return (["vocab", inputs.tokens.path, "-o", out.appendingPathComponent("v.tsv").path, "--threads", "2"] + progress,
                        ["v.tsv", "v.tsv.json"], nil, 0.2)
            case .phrases:
                return (["phrases", inputs.tokens.path, "-o", out.appendingPathComponent("p.txt").path, "--threads", "2", "--passes", "2"] + progress,
                        ["p.txt"], nil, 0.3)
            case .train:
                return (["train", inputs.tokens.path, "-o", out.appendingPathComponent("v.wpv").path, "--threads", "2", "--dim", "64",
                         "--epochs", "20", "--min-count", "1"] + progress,
                        ["v.wpv"], "vocabulary:", 0.8)
            case .trainTagger:
                return (["train-tagger", "--train", inputs.conllTrain, "--dev", inputs.conllDev, "-o", out.appendingPathComponent("m.wpm").path,
                         "--hidden", "48", "--dim", "32", "--epochs", "30", "--batch", "16", "--threads", "2"],
                        ["m.wpm"], "data:", 0.5)
            case .trainClassifier:
                return (["train-classifier", "--train", inputs.tsvTrain, "--dev", inputs.tsvDev, "-o", out.appendingPathComponent("m.wpm").path,
                         "--hidden", "48", "--dim", "32", "--epochs", "30", "--batch", "16", "--threads", "2"],
                        ["m.wpm"], "data:", 0.5)
            case .tag:
                return (["tag", "--model", inputs.tagger, inputs.conllBig, "-o", out.appendingPathComponent("tags.txt").path, "--threads", "2"],
                        ["tags.txt"], nil, 0.6)
            case .classify:
                return (["classify", "--model", inputs.classifier, inputs.tsvBig, "-o", out.appendingPathComponent("labels.txt").path,
                         "--threads", "2"],
                        ["labels.txt"], nil, 0.6)
            }
        }
    }

    /// Each signal twice (four times for the trainers on BLAS, where today's main crashed in
    /// about 1 of 4 tries).
    @Test(arguments: Command.allCases)
    func interruptStopsCleanly(command: Command) throws {
        let inputs = try Self.inputs()
        let rounds = command == .trainTagger || command == .trainClassifier ? 4 : 2
        for signal in Array(repeating: [SIGINT, SIGTERM], count: rounds).joined() {
            let out = try SharedData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: out) }
            let (arguments, outputs, marker, cpu) = command.setup(inputs, out: out)
            let outcome = try Self.interrupt(arguments, in: out, signal: signal, marker: marker, cpu: cpu)
            Self.expectCleanStop(outcome, signal: signal, outputs: outputs, command: "\(command) (signal \(signal))")
        }
    }

    /// A second Ctrl-C right after the first ends the process at once, as cleanly.
    @Test func secondInterruptEndsAtOnce() throws {
        let inputs = try Self.inputs()
        for _ in 0..<2 {
            let out = try SharedData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: out) }
            let (arguments, outputs, marker, cpu) = Command.trainTagger.setup(inputs, out: out)
            let outcome = try Self.interrupt(arguments, in: out, signal: SIGINT, marker: marker, cpu: cpu, twice: true)
            Self.expectCleanStop(outcome, signal: SIGINT, outputs: outputs, command: "train-tagger (two SIGINTs)")
        }
    }

    /// The safety net: a command that stops on interrupts but is stuck where it does not check
    /// (here `tag` reading a standard input that never ends) is ended by the watcher after the
    /// 5 s grace period, still with 128 + the signal and no crash.
    @Test func workThatDoesNotStopIsEndedAfterTheGracePeriod() throws {
        let inputs = try Self.inputs()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["tag", "--model", inputs.tagger, "-", "--threads", "2"]
        let input = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        defer { try? input.fileHandleForWriting.close() }
        let pid = process.processIdentifier
        // The handlers are in place soon after start (OpenBLAS may start threads even earlier,
        // so the thread count is only a lower bound on the wait).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
              ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).count < 2 {
            usleep(10_000)
        }
        usleep(1_000_000)
        let start = Date()
        kill(pid, SIGTERM)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        #expect(process.terminationReason == .exit, "\(stderr)")
        #expect(process.terminationStatus == 128 + SIGTERM, "\(stderr)")
        #expect(stderr.contains("did not stop within 5 s"), "\(stderr)")
        #expect(seconds >= 4.5 && seconds < 30, "ended after \(seconds) s")
    }

    /// `train`'s encoded copy of the corpus is beside the output, named with its owner
    /// (`.OUT.corpus.wpc.partial-PID-START`), not in the temporary folder; after SIGKILL it
    /// stays (nothing can remove it then), and the next run in that folder removes it.
    @Test func killedTrainingsTemporariesAreRemovedByTheNextRun() throws {
        let inputs = try Self.inputs()
        let out = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let vectors = out.appendingPathComponent("v.wpv").path
        let arguments = ["train", inputs.tokens.path, "-o", vectors, "--threads", "2", "--dim", "64", "--epochs", "20",
                         "--min-count", "1", "--progress", "never"]
        let killed = try #require(try Self.interrupt(arguments, in: out, signal: SIGKILL, marker: "vocabulary:", cpu: 1.0))
        #expect(killed.reason == .uncaughtSignal)
        let stale = killed.entries.filter { $0.contains(".partial-") }
        // The copy itself, or (killed while encoding) the temporary it is written through.
        #expect(stale.contains { $0.contains(".v.wpv.corpus.wpc.partial-\(killed.pid)-") }, "no encoded corpus beside the output: \(killed.entries)")
        let system = (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
        #expect(!system.contains { $0.hasPrefix("wordpipe-\(killed.pid)-") }, "an encoded corpus in the temporary folder")

        // A rerun into the same folder (a short one) removes the dead run's leftovers.
        let rerun = try CLI.run(["train", inputs.text.path, "-o", out.appendingPathComponent("w.wpv").path, "--threads", "1",
                                 "--dim", "8", "--epochs", "1", "--min-count", "1", "--progress", "never"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let after = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(after.filter { $0.contains(".partial-") }.isEmpty, "left after the rerun: \(after)")
        #expect(after.contains("w.wpv"))
    }

    /// A pipeline stage interrupted while it runs: its temporary stage folder goes, the lock
    /// records nothing, and the exit is 128 + the signal.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedPipelineStageLeavesNoTemporaryFolder(signal: Int32) throws {
        let inputs = try Self.inputs()
        let out = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let pipeline = out.appendingPathComponent("p.yaml").path
        try Data("""
            version: 1
            stages:
              tokens:
                type: tokenize
                inputs: [\(inputs.text.path)]
              vectors:
                type: train
                inputs: [tokens]
                with: { dim: 64, epochs: 50, vocabulary: { min_count: 1 } }

            """.utf8).write(to: URL(fileURLWithPath: pipeline))
        let workdir = out.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        let outcome = try Self.interrupt(["run", pipeline, "--workdir", workdir.path, "--threads", "2", "--progress", "never"],
                                         in: workdir, signal: signal, marker: "vocabulary:", cpu: 0.8)
        Self.expectCleanStop(outcome, signal: signal, outputs: ["vectors"], command: "run (signal \(signal))")
    }
}
