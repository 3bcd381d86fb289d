import Foundation
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
}
