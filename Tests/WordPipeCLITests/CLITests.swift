import Foundation
import Testing
import TestSupport
import Vocabulary
import Tokenization

/// Runs the built `wordpipe` binary, as a user would.
enum CLI {
    /// Runs `arguments` with stdin a pipe, writes `lines` one at a time and reads each answer
    /// before writing the next line, so every answer (the first among them) must arrive before
    /// the last line is written. A watchdog kills the process after `limit` seconds, so that a
    /// command that waits for the end of input fails the test instead of hanging it.
    static func answersEachLineAsItArrives(_ arguments: [String], lines: [String], limit: Double = 120,
                                           check: (Int, String) -> Void) throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        defer { watchdog.cancel() }
        let reader = ArrivingLines(output.fileHandleForReading)
        for (index, line) in lines.enumerated() {
            input.fileHandleForWriting.write(Data((line + "\n").utf8))
            guard let answer = reader.next() else {
                Issue.record("no answer to line \(index + 1) (killed by the watchdog, or ended): \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
                return
            }
            check(index, answer)
        }
        #expect(process.isRunning)
        try input.fileHandleForWriting.close()
        #expect(reader.next() == nil)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    /// The directory holding the test bundle and the built products.
    static let productsDirectory: URL = {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }()

    static var binary: URL { productsDirectory.appendingPathComponent("wordpipe") }

    struct Result {
        var status: Int32
        var reason: Process.TerminationReason
        var stdout: String
        var stderr: String
    }

    /// Starts `wordpipe ARGS` with optional standard input.
    static func start(_ arguments: [String], stdin: Data? = nil) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return (process, out, err)
    }

    /// Runs `wordpipe ARGS` to completion.
    static func run(_ arguments: [String], stdin: Data? = nil) throws -> Result {
        let (process, out, err) = try start(arguments, stdin: stdin)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, reason: process.terminationReason,
                      stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A plain-text corpus of `lines` lines of mixed content, written to `url`.
    static func writeCorpus(_ url: URL, lines: Int) throws {
        var text = ""
        for index in 0..<lines {
            text += "Line \(index): The Quick brown fox (no. \(index % 97)) visits https://example.org/p?\(index). "
            text += "Sie sagte: „Straße“. 東京は日本の首都です。 Mail x\(index)@example.com!\n"
        }
        try Data(text.utf8).write(to: url)
    }
}

@Suite(.serialized) struct CLITests {
    @Test func outputIsTheSameWhateverTheThreadCount() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("corpus.txt")
        try CLI.writeCorpus(corpus, lines: 20_000)
        var outputs: [Data] = []
        for threads in ["1", "2", "3"] {
            let out = directory.appendingPathComponent("out\(threads).txt").path
            let result = try CLI.run(["tokenize", corpus.path, "-o", out, "--threads", threads, "--normalize", "nfkc-casefold"])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
        }
        #expect(outputs[0].count > 1_000_000)
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
        let text = String(decoding: outputs[0], as: UTF8.self)
        #expect(text.hasPrefix("line 0 the quick brown fox no 0 visits https://example.org/p?0\nsie sagte strasse\n東京 は 日本 の 首都 です\nmail x0@example.com\n"))
        #expect(!text.contains("\n\n") && !text.contains("  "))
    }

    @Test func configurationIsSavedBesideTheOutput() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 10)
        let out = directory.appendingPathComponent("tokens.txt").path
        let result = try CLI.run(["tokenize", corpus.path, "-o", out, "--lowercase", "--numbers", "token", "--no-sentences", "--progress", "never"])
        #expect(result.status == 0, "\(result.stderr)")
        // One naming rule for side files: OUT.json, as a vocabulary's `vocab.tsv.json`.
        #expect(FileManager.default.fileExists(atPath: out + ".json"))
        let info = try #require(try TokenizedCorpusInfo.load(for: out))
        #expect(info.configuration.tokenizer == TokenizerConfiguration(lowercase: true, numbers: .token, sentences: false))
        #expect(info.icuVersion.hasPrefix("72"))
        // The older name is still read, and a vocabulary built from the corpus takes its tokenizer.
        try FileManager.default.moveItem(atPath: out + ".json", toPath: out + ".tokenizer.json")
        #expect(try TokenizedCorpusInfo.load(for: out) == info)
        let vocabulary = directory.appendingPathComponent("vocab.tsv").path
        #expect(try CLI.run(["vocab", out, "-o", vocabulary, "--min-count", "1"]).status == 0)
        #expect(try Vocabulary.read(from: vocabulary).tokenizer == info.configuration.tokenizer)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 10)
        #expect(result.stderr.contains("10 documents, 10 sentences"))
    }

    @Test func standardInputAndOutput() throws {
        let result = try CLI.run(["tokenize", "-", "--progress", "never"], stdin: Data("Hello, world. Bye now!\n".utf8))
        #expect(result.status == 0)
        #expect(result.stdout == "Hello world\nBye now\n")
        #expect(result.stderr.contains("1 documents, 2 sentences, 4 tokens"))
    }

    /// `Dr. Smith met Mr. Jones` stays one sentence with `--locale en`; `--no-abbreviations`
    /// gives ICU's plain rules; an unknown locale is an error naming how to list valid ones,
    /// on the command line and in a pipeline (at the setting's position).
    @Test func localesAndAbbreviations() throws {
        let text = Data("Dr. Smith met Mr. Jones. They left.\n".utf8)
        let english = try CLI.run(["tokenize", "-", "--locale", "en", "--progress", "never"], stdin: text)
        #expect(english.status == 0, "\(english.stderr)")
        #expect(english.stdout == "Dr Smith met Mr Jones\nThey left\n")
        let plain = try CLI.run(["tokenize", "-", "--locale", "en", "--no-abbreviations", "--progress", "never"], stdin: text)
        #expect(plain.stdout == "Dr\nSmith met Mr\nJones\nThey left\n")

        let bogus = try CLI.run(["tokenize", "-", "--locale", "xx-bogus"], stdin: text)
        #expect(bogus.status == 64)
        #expect(bogus.stderr.contains("invalid value 'xx-bogus' for --locale"), "\(bogus.stderr)")
        #expect(bogus.stderr.contains("wordpipe locales"))

        let list = try CLI.run(["locales"])
        #expect(list.status == 0)
        let tags = list.stdout.split(separator: "\n")
        #expect(tags.contains("en") && tags.contains("de-CH") && tags.contains("th") && !tags.contains("xx"))

        let directory = try SharedData.temporaryDirectory()
        try text.write(to: directory.appendingPathComponent("c.txt"))
        let pipeline = directory.appendingPathComponent("p.yaml").path
        try Data("version: 1\nworkdir: w\nstages:\n  tokens:\n    type: tokenize\n    inputs: [c.txt]\n    with: { locale: xx-bogus }\n".utf8)
            .write(to: URL(fileURLWithPath: pipeline))
        let run = try CLI.run(["run", pipeline])
        #expect(run.status != 0)
        #expect(run.stderr.contains("p.yaml:7:21: stage 'tokens': unknown locale 'xx-bogus'"), "\(run.stderr)")
    }

    @Test func badInputsGiveClearErrorsAndNonZeroExits() throws {
        let directory = try SharedData.temporaryDirectory()
        let missing = try CLI.run(["tokenize", "/nonexistent/file.txt"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("wordpipe tokenize: error: /nonexistent/file.txt: cannot open: no such file or directory"))

        let empty = directory.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let emptyRun = try CLI.run(["tokenize", empty.path, "-o", directory.appendingPathComponent("o.txt").path])
        #expect(emptyRun.status == 1)
        #expect(emptyRun.stderr.contains("no text could be read"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("o.txt").path))

        let badOption = try CLI.run(["tokenize", empty.path, "--normalize", "nfkx"])
        #expect(badOption.status == 64)
        #expect(badOption.stderr.contains("nfkc-casefold"))

        let badThreads = try CLI.run(["tokenize", empty.path, "--threads", "0"])
        #expect(badThreads.status == 64)
        #expect(badThreads.stderr.contains("--threads must be at least 1"))

        let invalid = directory.appendingPathComponent("bad.txt")
        try Data([0x6F, 0x6B, 0x0A, 0x61, 0xFF, 0x62, 0x0A]).write(to: invalid)
        let invalidRun = try CLI.run(["tokenize", invalid.path, "--format", "text"])
        #expect(invalidRun.status == 0)
        #expect(invalidRun.stderr.contains("bad.txt:2: 1 invalid UTF-8 sequences replaced by U+FFFD"))
        // U+FFFD has no word status, so it is dropped with the punctuation.
        #expect(invalidRun.stdout == "ok\na b\n")
    }

    /// An interrupted run leaves no file under the output name, and SIGINT removes its temporary.
    @Test(arguments: [SIGINT, SIGKILL])
    func interruptedRunLeavesNoOutput(signal: Int32) throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("big.txt")
        try CLI.writeCorpus(corpus, lines: 200_000)
        let out = directory.appendingPathComponent("out.txt")
        let (process, _, _) = try CLI.start(["tokenize", corpus.path, "-o", out.path, "--threads", "1", "--progress", "never"])
        // Wait until the temporary output exists and holds data, then interrupt.
        let deadline = Date().addingTimeInterval(20)
        var started = false
        while Date() < deadline && process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            if let partial = names.first(where: { $0.contains(".partial-") }),
               let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(partial).path))?[.size] as? Int,
               size > 0 {
                started = true
                break
            }
            usleep(20_000)
        }
        #expect(started, "the run finished or never started writing before it could be interrupted")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(!FileManager.default.fileExists(atPath: out.path + ".json"))
        if signal == SIGINT {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(!names.contains { $0.contains(".partial-") }, "left behind: \(names)")
        }
    }

    @Test(.enabled(if: SharedData.exists("corpora/html/python3.11-doc"), SharedData.missing("corpora/html/python3.11-doc")))
    func readsADirectoryOfHTMLPages() throws {
        let result = try CLI.run(["tokenize", SharedData.path("corpora/html/python3.11-doc"), "--progress", "never"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("reading as html (auto-detected)"))
        #expect(result.stderr.contains("17 documents"))
        #expect(result.stdout.contains("Python is an easy to learn powerful programming language"))
    }
}
