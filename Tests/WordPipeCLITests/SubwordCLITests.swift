import Foundation
import TestSupport

/// `train --subwords`, and the query commands' vectors for words without a row.
@Suite(.serialized) struct SubwordCLITests {
    @Test func badSubwordSettingsEndBeforeTraining() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        try Data("the cat sat on the mat\nthe dog sat on the rug\n".utf8).write(to: corpus)
        let output = directory.appendingPathComponent("v.wpv").path
        for (arguments, message) in [(["--subwords", "6-3"], "invalid value 6-3 for --subwords: expected MIN-MAX character n-gram lengths with 1 <= MIN <= MAX"),
                                     (["--subwords", "0-3"], "invalid value 0-3 for --subwords"),
                                     (["--subwords", "three"], "invalid value three for --subwords: expected MIN-MAX"),
                                     (["--subwords", "3-6", "--buckets", "0"], "invalid value 0 for --buckets: expected an integer in 1...2000000000"),
                                     (["--buckets=-5"], "invalid value -5 for --buckets")] {
            let result = try CLI.run(["train", corpus.path, "-o", output, "--min-count", "1"] + arguments)
            // Bad option values exit with 64 (usage), as --dim 0 does.
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    @Test func unseenWordsGetNgramVectorsUnlessToldNot() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        var lines: [String] = []
        let animals = ["horse", "donkey", "camel", "zebra"], colours = ["crimson", "scarlet", "violet", "yellow"]
        for index in 0..<3000 {
            let group = index % 2 == 0 ? animals : colours
            let frame = index % 2 == 0 ? ["the", "X", "eats", "grass", "fast"] : ["a", "X", "paint", "colour", "bright"]
            lines.append(frame.map { $0 == "X" ? group[(index / 2) % 4] : $0 }.joined(separator: " "))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: corpus)
        let vectors = directory.appendingPathComponent("v.wpv").path
        let train = try CLI.run(["train", corpus.path, "-o", vectors, "--min-count", "1", "--dim", "16", "--epochs", "3",
                                 "--subwords", "3-6", "--buckets", "5000", "--threads", "1", "--progress", "never"])
        #expect(train.status == 0, "\(train.stderr)")

        let nearest = try CLI.run(["nearest", "--vectors", vectors, "horses", "-k", "3"])
        #expect(nearest.status == 0, "\(nearest.stderr)")
        #expect(nearest.stdout.hasPrefix("horses: "), "\(nearest.stdout)")
        let refused = try CLI.run(["nearest", "--vectors", vectors, "horses", "-k", "3", "--no-oov"])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("horses: not in vocabulary"), "\(refused.stdout)")
        let similarity = try CLI.run(["similarity", "--vectors", vectors, "horses", "horse"])
        #expect(similarity.status == 0, "\(similarity.stderr)")
        #expect((Double(similarity.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0.3, "\(similarity.stdout)")
        #expect(try CLI.run(["similarity", "--vectors", vectors, "horses", "horse", "--no-oov"]).status == 1)
        let analogy = try CLI.run(["analogy", "--vectors", vectors, "horse", "horses", "camel", "-k", "2"])
        #expect(analogy.status == 0, "\(analogy.stderr)")
        #expect(try CLI.run(["analogy", "--vectors", vectors, "horse", "horses", "camel", "--no-oov"]).status == 1)

        // fastText's .bin: written with --format fasttext-bin, read back by its magic number.
        let model = directory.appendingPathComponent("model.bin").path
        let convert = try CLI.run(["convert", vectors, "-o", model, "--format", "fasttext-bin"])
        #expect(convert.status == 0, "\(convert.stderr)")
        let fromBin = try CLI.run(["nearest", "--vectors", model, "horses", "-k", "3"])
        #expect(fromBin.status == 0, "\(fromBin.stderr)")
        #expect(fromBin.stdout == nearest.stdout, "\(fromBin.stdout) vs \(nearest.stdout)")

        // evaluate: skipped by default, scored with n-grams when asked.
        let pairs = directory.appendingPathComponent("pairs.tsv")
        try Data("horse\tdonkey\t8\nhorses\tcamel\t7\nhorse\tcrimson\t1\nscarlets\tviolet\t8\n".utf8).write(to: pairs)
        let skip = try CLI.run(["evaluate", "--vectors", vectors, "--pairs", pairs.path, "--json"])
        #expect(skip.status == 0, "\(skip.stderr)")
        #expect(skip.stdout.contains("\"skipped\":2"), "\(skip.stdout)")
        let ngrams = try CLI.run(["evaluate", "--vectors", vectors, "--pairs", pairs.path, "--json", "--oov", "ngrams"])
        #expect(ngrams.status == 0, "\(ngrams.stderr)")
        #expect(ngrams.stdout.contains("\"skipped\":0"), "\(ngrams.stdout)")
        #expect(try CLI.run(["evaluate", "--vectors", vectors, "--pairs", pairs.path, "--oov", "sometimes"]).status == 64)
    }
}
