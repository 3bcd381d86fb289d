import Foundation
import TestSupport
import WordPipeSupport
@testable import Embeddings
@testable import Vocabulary

/// The official fastText Python module (`pip install fasttext-wheel`) in the benchmark venv:
/// `$VENV` or /work/venv-bench, else Benchmarks/.venv. Tests that need it skip when it is absent.
enum FastTextPeer {
    static let python: String? = {
        var candidates: [String] = []
        if let venv = ProcessInfo.processInfo.environment["VENV"] { candidates.append(venv + "/bin/python") }
        candidates.append("/work/venv-bench/bin/python")
        candidates.append(SharedData.repositoryRoot.appendingPathComponent("Benchmarks/.venv/bin/python").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? run(candidate, ["-c", "import fasttext"]))?.status == 0 { return candidate }
        }
        return nil
    }()

    static var available: Bool { python != nil }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a Python script with the fastText module; returns its standard output.
    static func script(_ source: String, _ arguments: [String]) throws -> String {
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("script.py").path
        try Data(source.utf8).write(to: URL(fileURLWithPath: path))
        let (status, output) = try run(python!, [path] + arguments)
        guard status == 0 else { throw QueryError.invalid("the fastText script failed (\(status)): \(output)") }
        return output
    }
}

@Suite struct FastTextBinTests {
    static let vectorsScript = """
        import json, sys, fasttext
        model = fasttext.load_model(sys.argv[1])
        print(json.dumps({w: [float(x) for x in model.get_word_vector(w)] for w in sys.argv[2:]}))
        """

    /// fastText reads our `.bin` and gives every word, in the vocabulary or not, our vector.
    @Test(.enabled(if: FastTextPeer.available, "needs the fasttext Python module (pip install fasttext-wheel into $VENV)"))
    func fastTextReadsOurModel() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 1500))
        var configuration = TrainerTests.configuration
        configuration.subwords = SubwordRange(minn: 3, maxn: 6)
        configuration.buckets = 3000
        let vectors = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: TrainingOptions(threads: 1)).0
        let path = try SharedData.temporaryDirectory().appendingPathComponent("ours.bin").path
        try vectors.write(to: path, format: .fasttextBin)
        let words = ["cat", "horse", "three", "horses", "colour", "zzz"]
        let output = try FastTextPeer.script(Self.vectorsScript, [path] + words)
        let theirs = try JSONDecoder().decode([String: [Float]].self, from: Data(output.utf8))
        for word in words {
            let ours = try #require(vectors.vectorOrNgrams(word))
            let their = try #require(theirs[word])
            let difference = zip(ours, their).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-5, "\(word): differs by \(difference)")
        }
        // And we read our own file back to the same vectors.
        let (read, report) = try WordVectors.load(from: path)
        #expect(report.format == .fasttextBin)
        let difference = zip(read.matrix, vectors.matrix).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-5)
        #expect(read.subwords?.matrix == vectors.subwords?.matrix)
    }

    /// We read a model fastText trained and give its words, and words it never saw, its vectors.
    @Test(.enabled(if: FastTextPeer.available, "needs the fasttext Python module (pip install fasttext-wheel into $VENV)"))
    func weReadFastTextsModel() throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("corpus.txt").path
        try Data(structuredText(sentences: 1500).utf8).write(to: URL(fileURLWithPath: corpus))
        let model = directory.appendingPathComponent("theirs.bin").path
        _ = try FastTextPeer.script("""
            import sys, fasttext
            fasttext.train_unsupervised(sys.argv[1], model="skipgram", dim=12, epoch=2, minCount=1, minn=2, maxn=5,
                                        bucket=5000, thread=1, verbose=0).save_model(sys.argv[2])
            """, [corpus, model])
        let words = ["cat", "yellow", "cats", "paintings", "</s>"]
        let theirs = try JSONDecoder().decode([String: [Float]].self,
                                              from: Data(try FastTextPeer.script(Self.vectorsScript, [model] + words).utf8))
        let (vectors, report) = try WordVectors.load(from: model)
        #expect(report.format == .fasttextBin)
        #expect(vectors.subwords?.range == SubwordRange(minn: 2, maxn: 5) && vectors.subwords?.buckets == 5000)
        #expect(vectors.training?.dim == 12 && vectors.training?.subwords == SubwordRange(minn: 2, maxn: 5))
        let store = VectorStore(vectors)
        for word in words {
            let ours = try #require(vectors.vectorOrNgrams(word), "\(word)")
            let their = try #require(theirs[word])
            let difference = zip(ours, their).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-5, "\(word): differs by \(difference)")
        }
        #expect(try store.nearest(positive: ["cats"], k: 3).count == 3)

        // A truncated model is refused with its sizes.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        let truncated = directory.appendingPathComponent("truncated.bin").path
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: truncated))
        do {
            _ = try WordVectors.load(from: truncated)
            Issue.record("a truncated model was read")
        } catch let error as EmbeddingError {
            let message = error.message(naming: .option)
            #expect(message.contains("\(bytes.count - 100) bytes") && message.contains("promise \(bytes.count)"), "\(message)")
        }
    }

    /// A truncated header or dictionary is an error, not a crash (no fastText needed).
    @Test func truncatedModelsAreRefused() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 300))
        var configuration = TrainerTests.configuration
        configuration.subwords = SubwordRange(minn: 3, maxn: 4)
        configuration.buckets = 100
        configuration.epochs = 1
        let vectors = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: TrainingOptions(threads: 1)).0
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("v.bin").path
        try vectors.write(to: path, format: .fasttextBin)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for length in [6, 30, 70, 100, 200, bytes.count / 2, bytes.count - 1] {
            let cut = directory.appendingPathComponent("cut\(length).bin").path
            try bytes.prefix(length).write(to: URL(fileURLWithPath: cut))
            #expect(throws: EmbeddingError.self, "\(length) bytes") { _ = try WordVectors.load(from: cut) }
        }
        // A dictionary that claims 2^31 - 1 words in a short file is refused, not reserved.
        var huge = bytes.prefix(200)
        huge.replaceSubrange(64 ..< 72, with: [0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F])
        let hugePath = directory.appendingPathComponent("huge.bin").path
        try huge.write(to: URL(fileURLWithPath: hugePath))
        #expect(throws: EmbeddingError.self) { _ = try WordVectors.load(from: hugePath) }
        #expect(try VectorFormat.choose(given: .fasttextBin, path: "model.bin") == .fasttextBin)
        #expect(try VectorFormat.choose(given: nil, path: "model.bin") == .word2vecBin)
    }
}
