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
}
