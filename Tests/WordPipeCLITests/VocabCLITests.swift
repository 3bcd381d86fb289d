import Foundation
import TestSupport

@Suite struct VocabCLITests {
    @Test func vocabEncodeAndErrors() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try CLI.writeCorpus(corpus, lines: 200)
        let tokens = directory.appendingPathComponent("tokens.txt").path
        #expect(try CLI.run(["tokenize", corpus.path, "-o", tokens, "--lowercase", "--progress", "never"]).status == 0)
        let vocab = directory.appendingPathComponent("vocab.tsv").path
        let result = try CLI.run(["vocab", tokens, "-o", vocab, "--min-count", "3", "--special", "<unk>,<pad>", "--threads", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("kept"))
        let lines = try String(contentsOfFile: vocab, encoding: .utf8).split(separator: "\n")
        // Many types occur 200 times; ties go by UTF-8 bytes, so "brown" leads.
        #expect(lines.prefix(3) == ["<unk>\t0", "<pad>\t0", "brown\t200"])
        // The tokenizer configuration travels with the vocabulary.
        let info = try String(contentsOfFile: vocab + ".json", encoding: .utf8)
        #expect(info.contains("\"lowercase\" : true"))

        // Without -o, the vocabulary goes to standard output, as tokenize's tokens do.
        let toStdout = try CLI.run(["vocab", tokens, "--min-count", "3", "--special", "<unk>,<pad>", "--threads", "2"])
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == lines.map { $0 + "\n" }.joined())

        let w2v = directory.appendingPathComponent("vocab.w2v").path
        #expect(try CLI.run(["vocab", tokens, "-o", w2v, "--format", "word2vec"]).status == 0)
        #expect(try String(contentsOfFile: w2v, encoding: .utf8).hasPrefix("brown 200\n"))

        let encoded = directory.appendingPathComponent("c.wpc").path
        let encode = try CLI.run(["encode", tokens, "--vocab", vocab, "--unk", "<unk>", "-o", encoded])
        #expect(encode.status == 0, "\(encode.stderr)")
        #expect(encode.stderr.contains("mapped to <unk>"))

        let tooHigh = try CLI.run(["vocab", tokens, "-o", directory.appendingPathComponent("none.tsv").path, "--min-count", "100000"])
        #expect(tooHigh.status == 1)
        #expect(tooHigh.stderr.contains("wordpipe vocab: error: no type occurs at least 100000 times"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("none.tsv").path))

        let badMin = try CLI.run(["vocab", tokens, "-o", vocab, "--min-count", "0"])
        #expect(badMin.status == 64)
        #expect(badMin.stderr.contains("--min-count"))
    }

    /// `vocab` accepted NUL bytes and invalid UTF-8 that `tokenize` rejects (issue 13): now it
    /// reports invalid UTF-8 as `tokenize` does (file, first line, count) and refuses a NUL byte
    /// with its line, as `tokenize` refuses binary input.
    @Test func vocabReportsInvalidUTF8AsTokenizeDoesAndRefusesNUL() throws {
        let directory = try SharedData.temporaryDirectory()
        let unclean = directory.appendingPathComponent("unclean.txt").path
        try Data(Array("a b c\nd ".utf8) + [0xFF, 0xFE] + Array(" e\nq ".utf8) + [0xC3] + Array(" r\n".utf8))
            .write(to: URL(fileURLWithPath: unclean))
        let warning = "\(unclean):2: 3 invalid UTF-8 sequences replaced by U+FFFD (first on this line)"
        let tokenize = try CLI.run(["tokenize", unclean, "-o", directory.appendingPathComponent("t.txt").path])
        #expect(tokenize.status == 0)
        #expect(tokenize.stderr.contains("tokenize: " + warning), "\(tokenize.stderr)")
        let vocab = try CLI.run(["vocab", unclean, "-o", directory.appendingPathComponent("v.tsv").path, "--min-count", "1"])
        #expect(vocab.status == 0)
        #expect(vocab.stderr.contains("vocab: " + warning), "\(vocab.stderr)")
        #expect(vocab.stderr.contains("3 invalid UTF-8 sequences replaced by U+FFFD (first at \(unclean):2)"))

        let binary = directory.appendingPathComponent("binary.txt").path
        try Data(Array("a b\nc d\0e\n".utf8)).write(to: URL(fileURLWithPath: binary))
        let refused = try CLI.run(["vocab", binary, "-o", directory.appendingPathComponent("b.tsv").path, "--min-count", "1"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("wordpipe vocab: error: \(binary):2: a NUL byte in a token"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.tsv").path))
        let tokenizeBinary = try CLI.run(["tokenize", binary, "-o", directory.appendingPathComponent("b.txt").path])
        #expect(tokenizeBinary.status == 1)
        #expect(tokenizeBinary.stderr.contains("looks like binary data"))
    }

    /// `phrases` read the same input without a word: it now warns about ill-formed UTF-8 (which
    /// it copies through) with the file, first line and count, and refuses a NUL byte at its line,
    /// also when the lines are cut into many chunks.
    @Test func phrasesReportsInvalidUTF8AndRefusesNUL() throws {
        let directory = try SharedData.temporaryDirectory()
        let unclean = directory.appendingPathComponent("unclean.txt").path
        let clean = String(repeating: "new york is big\n", count: 3000)
        try Data(Array(clean.utf8) + Array("d ".utf8) + [0xFF, 0xFE] + Array(" e\nq ".utf8) + [0xC3] + Array(" r\n".utf8) + Array(clean.utf8))
            .write(to: URL(fileURLWithPath: unclean))
        let output = directory.appendingPathComponent("p.txt").path
        let phrases = try CLI.run(["phrases", unclean, "-o", output, "--min-count", "1", "--passes", "2"])
        #expect(phrases.status == 0, "\(phrases.stderr)")
        let warnings = phrases.stderr.split(separator: "\n").filter { $0.contains("ill-formed UTF-8") }
        #expect(warnings == ["phrases: \(unclean):3001: 3 ill-formed UTF-8 sequences (first on this line), copied through unchanged; run the text through `wordpipe tokenize` first to have them replaced by U+FFFD"],
                "\(phrases.stderr)")

        let binary = directory.appendingPathComponent("binary.txt").path
        try Data(Array((clean + "c d\0e\n").utf8)).write(to: URL(fileURLWithPath: binary))
        let refused = try CLI.run(["phrases", binary, "-o", directory.appendingPathComponent("b.txt").path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(binary):3001: a NUL byte in a token"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.txt").path))
    }
}
