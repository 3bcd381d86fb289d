import Foundation
import TestSupport

/// `wordpipe inspect` and the checks on load, through the real binary (issue 13).
@Suite struct InspectCLITests {
    static let compass = """
        4 2
        east 2.0 0.0
        north 0.0 1.0
        w10 0.9848077 0.17364818
        west -1.0 0.0

        """

    private func nativeVectors(in directory: URL) throws -> String {
        let text = directory.appendingPathComponent("compass.vec").path
        try Data(Self.compass.utf8).write(to: URL(fileURLWithPath: text))
        let native = directory.appendingPathComponent("compass.wpv").path
        let converted = try CLI.run(["convert", text, "-o", native, "--format", "native"])
        #expect(converted.status == 0, "\(converted.stderr)")
        return native
    }

    @Test func inspectTellsWhatAVectorFileIs() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = try nativeVectors(in: directory)
        let text = try CLI.run(["inspect", path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.hasPrefix("\(path): vectors, WPVECTRS format version 2\n"))
        #expect(text.stdout.contains("  words: 4\n  dim: 2\n"))
        #expect(text.stdout.contains("checksum of the rows: CRC-32C "))
        #expect(text.stdout.contains("not computed (use --verify)"))

        let verified = try CLI.run(["inspect", path, "--verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasSuffix("verified: every checksum matches and the header agrees with the payload\n"))

        let json = try CLI.run(["inspect", path, "--verify", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "vectors")
        #expect(object["version"] as? Int == 2)
        #expect(object["verified"] as? Bool == true)
        let fields = try #require(object["fields"] as? [String: Any])
        #expect(fields["words"] as? Int == 4 && fields["dim"] as? Int == 2)
        let checksums = try #require(object["checksums"] as? [[String: Any]])
        #expect(checksums.map { $0["part"] as? String } == ["header", "rows"])
    }

    /// A flipped bit in the rows: `--verify` exits 1 with the reason, and loading refuses it.
    /// Trained vectors show the whole training configuration and the tokenizer configuration
    /// they were made with, as text and as JSON objects.
    @Test func inspectShowsTrainedVectorsConfigurations() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt").path
        try Data(String(repeating: "Dr. Smith met Mr. Jones. The cat sat.\n", count: 30).utf8).write(to: URL(fileURLWithPath: corpus))
        let tokens = directory.appendingPathComponent("tokens.txt").path
        #expect(try CLI.run(["tokenize", corpus, "-o", tokens, "--locale", "en"]).status == 0)
        let vectors = directory.appendingPathComponent("v.wpv").path
        let trained = try CLI.run(["train", tokens, "-o", vectors, "--min-count", "1", "--dim", "6", "--window", "3", "--epochs", "1", "--threads", "1"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let text = try CLI.run(["inspect", vectors])
        #expect(text.stdout.contains("  training:\n") && text.stdout.contains("    window: 3\n") && text.stdout.contains("    dim: 6\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  tokenizer:\n") && text.stdout.contains("    locale: en\n"), "\(text.stdout)")
        let json = try CLI.run(["inspect", vectors, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let fields = try #require(object["fields"] as? [String: Any], "\(json.stdout)")
        #expect((fields["training"] as? [String: Any])?["window"] as? Int == 3)
        #expect((fields["tokenizer"] as? [String: Any])?["abbreviations"] as? Bool == true)
    }

    @Test func verifyRefusesADamagedFile() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = try nativeVectors(in: directory)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let quick = try CLI.run(["inspect", path])
        #expect(quick.status == 0, "the header alone is intact: \(quick.stderr)")
        let verify = try CLI.run(["inspect", path, "--verify"])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("wordpipe inspect: error: \(path): damaged rows: their CRC-32C is"), "\(verify.stderr)")
        let nearest = try CLI.run(["nearest", "--vectors", path, "east"])
        #expect(nearest.status == 1)
        #expect(nearest.stderr.contains("\(path): damaged rows"), "\(nearest.stderr)")
    }

    @Test func inspectRefusesOtherFiles() throws {
        let directory = try SharedData.temporaryDirectory()
        let text = directory.appendingPathComponent("compass.vec").path
        try Data(Self.compass.utf8).write(to: URL(fileURLWithPath: text))
        let result = try CLI.run(["inspect", text])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(text): not a WordPipe binary file"), "\(result.stderr)")
        let missing = try CLI.run(["inspect", directory.appendingPathComponent("none.wpv").path])
        #expect(missing.status == 1)
    }

    /// An encoded corpus: counts, and a flipped token count refused (it was accepted before).
    @Test func inspectAnEncodedCorpus() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("corpus.txt").path
        try Data("the cat sat\nthe dog\n".utf8).write(to: URL(fileURLWithPath: corpus))
        let vocabulary = directory.appendingPathComponent("vocab.tsv").path
        let encoded = directory.appendingPathComponent("corpus.wpc").path
        #expect(try CLI.run(["vocab", corpus, "-o", vocabulary, "--min-count", "1"]).status == 0)
        let encode = try CLI.run(["encode", corpus, "--vocab", vocabulary, "-o", encoded])
        #expect(encode.status == 0, "\(encode.stderr)")
        let result = try CLI.run(["inspect", encoded, "--verify"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("encoded corpus, WPCORPUS format version 2\n  tokens: 5\n  sentences: 2\n"), "\(result.stdout)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: encoded)))
        bytes[32] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: encoded))
        let damaged = try CLI.run(["inspect", encoded])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("\(encoded): damaged header"), "\(damaged.stderr)")
    }

    /// CRLF pair files read as gensim reads them; a file read as one pair is an error naming it.
    @Test func evaluatePairsReadsCRLF() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = try nativeVectors(in: directory)
        let pairs = directory.appendingPathComponent("pairs-crlf.tsv").path
        try Data("east\tw10\t9.0\r\neast\tnorth\t3.0\r\neast\twest\t1.0\r\n".utf8).write(to: URL(fileURLWithPath: pairs))
        let result = try CLI.run(["evaluate", "--vectors", vectors, "--pairs", pairs, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entry = try #require(object["pairs:" + pairs] as? [String: Any])
        #expect(entry["pairs"] as? Int == 3)
        #expect(abs((entry["spearman"] as? Double ?? 0) - 1) < 1e-9)
        let one = directory.appendingPathComponent("one-pair.tsv").path
        try Data("east\tw10\t9.0\n".utf8).write(to: URL(fileURLWithPath: one))
        let refused = try CLI.run(["evaluate", "--vectors", vectors, "--pairs", one])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(one): read as 1 word pair;"), "\(refused.stderr)")
    }
}
