import Foundation
import TestSupport

/// `train --init`: bad init files and contradicting options end before training, non-zero.
@Suite(.serialized) struct ContinuedTrainingCLITests {
    @Test func badInitFilesAndContradictionsEndBeforeTraining() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt").path
        var lines: [String] = []
        for index in 0..<400 { lines.append(index % 2 == 0 ? "the cat sat on the mat" : "a dog ran to the red barn") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: corpus))
        let old = directory.appendingPathComponent("old.wpv").path
        let train = try CLI.run(["train", corpus, "-o", old, "--min-count", "1", "--dim", "8", "--epochs", "1",
                                 "--subwords", "3-6", "--buckets", "1000", "--threads", "1", "--progress", "never"])
        #expect(train.status == 0, "\(train.stderr)")
        let output = directory.appendingPathComponent("new.wpv").path
        for (arguments, message) in [(["--dim", "16"], "invalid value 16 for --dim: expected the dimension of the --init file \(old), 8: give 8 or leave the dimension out"),
                                     (["--subwords", "2-5"], "invalid value 2-5 for --subwords: expected the n-gram lengths of the --init file \(old), 3-6"),
                                     (["--buckets", "2000"], "invalid value 2000 for --buckets: expected the bucket count of the --init file \(old), 1000")] {
            let result = try CLI.run(["train", "--init", old, corpus, "-o", output, "--min-count", "1", "--progress", "never"] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
        // Agreeing options, and none: both train.
        for arguments in [["--dim", "8", "--subwords", "3-6", "--buckets", "1000"], []] {
            let result = try CLI.run(["train", "--init", old, corpus, "-o", output, "--min-count", "1", "--epochs", "1", "--threads", "1", "--progress", "never"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("init: \(old)"), "\(result.stderr)")
            try? FileManager.default.removeItem(atPath: output)
        }
        // A damaged n-gram table: named, and nothing trained.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: old))
        bytes[bytes.count - 5] ^= 0x40
        let damaged = directory.appendingPathComponent("damaged.wpv").path
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try CLI.run(["train", "--init", damaged, corpus, "-o", output, "--min-count", "1", "--progress", "never"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\(damaged): damaged n-gram rows") && refused.stderr.contains("--init needs intact vectors"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        // A missing file, a file that is not vectors, and --vocab with --init.
        let missing = try CLI.run(["train", "--init", directory.appendingPathComponent("none.wpv").path, corpus, "-o", output, "--progress", "never"])
        #expect(missing.status != 0 && missing.stderr.contains("none.wpv"), "\(missing.stderr)")
        let notVectors = try CLI.run(["train", "--init", corpus, corpus, "-o", output, "--progress", "never"])
        #expect(notVectors.status != 0 && notVectors.stderr.contains("c.txt"), "\(notVectors.stderr)")
        let vocabulary = directory.appendingPathComponent("v.vocab").path
        #expect(try CLI.run(["vocab", corpus, "-o", vocabulary, "--min-count", "1"]).status == 0)
        let withVocabulary = try CLI.run(["train", "--init", old, corpus, "--vocab", vocabulary, "-o", output, "--progress", "never"])
        #expect(withVocabulary.status != 0 && withVocabulary.stderr.contains("no vocabulary with --init"), "\(withVocabulary.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
