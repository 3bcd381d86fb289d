import Foundation
import TestSupport
import Testing

/// `--threads`, `--progress` and `--seed` come from one option group: each command shows and
/// accepts those it uses, and refuses the others.
@Suite struct RunOptionsCLITests {
    @Test func eachCommandShowsTheRunOptionsItUses() throws {
        for (command, threads, progress, seed) in [("tokenize", true, true, false), ("vocab", true, true, false),
                                                   ("phrases", true, true, false), ("run", true, true, false),
                                                   ("train", true, true, true), ("train-tagger", true, true, true),
                                                   ("train-classifier", true, true, true), ("tag", true, false, false),
                                                   ("classify", true, false, false)] {
            let help = try CLI.run([command, "--help"]).stdout
            #expect(help.contains("--threads <threads>") == threads, "\(command)")
            #expect(help.contains("--progress <progress>") == progress, "\(command)")
            #expect(help.contains("--seed <seed>") == seed, "\(command)")
        }
    }

    @Test func anOptionTheCommandDoesNotUseIsRefused() throws {
        let seed = try CLI.run(["tokenize", "in.txt", "--seed", "3"])
        #expect(seed.status != 0)
        #expect(seed.stderr.contains("no --seed option"))
        let progress = try CLI.run(["tag", "--model", "m.wpm", "--progress", "never"])
        #expect(progress.status != 0)
        #expect(progress.stderr.contains("no --progress option"))
    }

    @Test func threadsAreCheckedTheSameEverywhere() throws {
        for arguments in [["tokenize", "in.txt"], ["tag", "--model", "m.wpm"], ["train-tagger", "--train", "a", "--dev", "b", "-o", "/tmp/m"]] {
            let result = try CLI.run(arguments + ["--threads", "0"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("--threads must be at least 1, not 0"), "\(arguments): \(result.stderr)")
        }
    }

    /// Without a terminal, a long command writes a plain progress line every --log-every
    /// seconds (10 by default), as gensim logs; --progress never silences it (issue 19, item 6).
    @Test func progressLinesInLogsAtAFixedInterval() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 60000)
        let out = directory.appendingPathComponent("t.txt").path
        let logged = try CLI.run(["tokenize", corpus.path, "-o", out, "--threads", "1", "--log-every", "0.02"])
        #expect(logged.status == 0, "\(logged.stderr)")
        let lines = logged.stderr.split(separator: "\n").filter { $0.hasPrefix("tokenize: ") && $0.contains("tokens/s") && $0.contains("%") }
        #expect(lines.count >= 2, "\(logged.stderr)")
        #expect(!logged.stderr.contains("\r"))
        let vocab = try CLI.run(["vocab", out, "-o", directory.appendingPathComponent("v.tsv").path, "--threads", "1", "--log-every", "0.01"])
        #expect(vocab.status == 0)
        // The default interval (10 s) prints nothing in a run this short; never prints nothing.
        let quiet = try CLI.run(["tokenize", corpus.path, "-o", out, "--threads", "1"])
        #expect(!quiet.stderr.contains("tokens/s,"), "\(quiet.stderr)")
        let never = try CLI.run(["tokenize", corpus.path, "-o", out, "--threads", "1", "--log-every", "0.02", "--progress", "never"])
        #expect(!never.stderr.contains("%,"), "\(never.stderr)")
        let bad = try CLI.run(["tokenize", corpus.path, "--log-every", "0"])
        #expect(bad.status == 64 && bad.stderr.contains("--log-every must be a number of seconds above 0"))
    }
}
