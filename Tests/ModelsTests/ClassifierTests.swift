import Corpora
import Embeddings
import Foundation
import Vocabulary
import Recurrent
import TestSupport
import Tokenization
@testable import Models

@Suite struct ClassifierLearningTests {
    /// Texts whose label depends on one word anywhere in them (pos: "great"/"fine", neg:
    /// "awful"/"dull"), among fillers; a header line first.
    static func tsv(count: Int, seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        let fillers = ["the", "film", "was", "a", "story", "with", "actors", "and", "music", "it", "really", "quite"]
        var text = "label\tsentence\n"
        for _ in 0..<count {
            let positive = generator.nextIndex(below: 2) == 0
            var words = (0..<(3 + generator.nextIndex(below: 8))).map { _ in fillers[generator.nextIndex(below: fillers.count)] }
            let cue = positive ? ["great", "fine"][generator.nextIndex(below: 2)] : ["awful", "dull"][generator.nextIndex(below: 2)]
            words.insert(cue, at: generator.nextIndex(below: words.count + 1))
            text += "\(positive ? "pos" : "neg")\t\(words.joined(separator: " "))\n"
        }
        return text
    }

    @Test("a BiLSTM classifier learns a cue word with each pooling", arguments: Pooling.allCases)
    func learns(pooling: Pooling) throws {
        let train = try Synthetic.file(Self.tsv(count: 200, seed: 1), name: "train.tsv")
        let dev = try Synthetic.file(Self.tsv(count: 60, seed: 2), name: "dev.tsv")
        var configuration = ClassifierConfiguration()
        configuration.pooling = pooling
        configuration.encoder = Synthetic.settings(epochs: 12)
        let result = try TrainingLoop.train(Classifier.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration,
                                                threads: 1, log: { _ in })
        #expect(result.classifier.labels == ["neg", "pos"])
        #expect(result.dev.accuracy >= 0.95, "\(pooling): dev accuracy \(result.dev.accuracy)")

        // Save, load, same answers; texts are tokenized by the stored configuration.
        let path = try SharedData.temporaryDirectory().appendingPathComponent("classifier.wpm").path
        try result.classifier.save(to: path, record: result.record)
        let loaded = try Classifier.load(from: path).classifier
        let tokenizer = try loaded.makeTokenizer()
        let texts = try ["The film was GREAT.", "dull, dull music"].map { try tokenizer.tokenize($0).joined().map { $0 } }
        #expect(texts[0] == ["The", "film", "was", "GREAT", "."])
        #expect(loaded.classify(texts) == result.classifier.classify(texts))
        #expect(throws: ModelError.self) { try Tagger.load(from: path) }
    }

    @Test("a classifier on case-folded vectors answers the same after saving and loading")
    func caseFoldedVectorsRoundTrip() throws {
        var folding = TokenizerConfiguration()
        folding.normalize = .nfkcCasefold
        let words = ["great", "fine", "awful", "dull", "film"]
        var generator = SeededGenerator(seed: 3)
        let matrix = (0..<(words.count * 8)).map { _ in Float(generator.nextUniform(in: -1...1)) }
        let vectors = WordVectors(vocabulary: Vocabulary(words: words, counts: [5, 4, 3, 2, 1], tokenizer: folding), dim: 8, matrix: matrix)
        let directory = try SharedData.temporaryDirectory()
        let vectorsPath = directory.appendingPathComponent("vectors.wpv").path
        try vectors.write(to: vectorsPath, format: .native)
        let train = try Synthetic.file(Self.tsv(count: 200, seed: 1), name: "train.tsv")
        let dev = try Synthetic.file(Self.tsv(count: 60, seed: 2), name: "dev.tsv")
        var configuration = ClassifierConfiguration()
        configuration.encoder = Synthetic.settings(epochs: 6)
        let result = try TrainingLoop.train(Classifier.self, trainPath: train, devPath: dev, vectorsPath: vectorsPath, configuration: configuration,
                                                threads: 1, log: { _ in })
        let path = directory.appendingPathComponent("classifier.wpm").path
        try result.classifier.save(to: path, record: result.record)
        let loaded = try Classifier.load(from: path).classifier
        #expect(loaded.tokenizer == result.classifier.tokenizer)
        #expect(loaded.words.tokenizer == folding)
        // "GREAT" and "DULL" are not training tokens as written: both models find them through case folding.
        let texts = [["the", "film", "was", "GREAT"], ["DULL", "story"], ["Awful"]]
        let lookup = loaded.words.lookup()
        #expect(lookup("GREAT") == loaded.words.exactID("great"))
        #expect(loaded.classify(texts) == result.classifier.classify(texts))
        #expect(try ClassifierTraining.evaluate(loaded, path: dev) == result.dev)
    }

    @Test("pooling's backward pass routes each gradient to the step it came from")
    func poolingGradients() throws {
        for pooling in Pooling.allCases {
            var configuration = ClassifierConfiguration()
            configuration.pooling = pooling
            configuration.encoder = Synthetic.settings()
            let table = WordTable(words: ["<pad>", "<unk>", "a"], tokenizer: nil)
            let classifier = Classifier(configuration: configuration, words: table, initial: Matrix(rows: 3, columns: 4),
                                        labels: ["x", "y"])
            // Two sequences (lengths 3 and 1) of 4 features, time-major; bidirectional halves 2 + 2.
            let values: [Float] = [1, 5, 2, 0, /**/ 9, 9, 9, 9,
                                   4, 1, 3, 7, /**/ 0, 0, 0, 0,
                                   2, 2, 8, 1, /**/ 0, 0, 0, 0]
            let states = SequenceBatch(values: Matrix(rows: 6, columns: 4, storage: values), lengths: [3, 1], steps: 3)
            let (pooled, sources) = classifier.pool(states)
            let dPooled = Matrix<Float>(rows: 2, columns: 4, storage: [1, 2, 3, 4, 5, 6, 7, 8])
            let dStates = classifier.unpool(dPooled, states: states, sources: sources)
            // The gradient is the adjoint of pooling: <dPooled, pool(S)> is linear in S along the
            // chosen steps, so sum(dStates * S) == sum(dPooled * pooled) for max and last (which
            // pick one value each) and for mean (an average).
            let lhs = zip(dStates.storage, values).map { $0 * $1 }.reduce(0, +)
            let rhs = zip(dPooled.storage, pooled.storage).map { $0 * $1 }.reduce(0, +)
            #expect(abs(lhs - rhs) < 1e-4, "\(pooling): \(lhs) vs \(rhs)")
            // Padding rows get no gradient.
            for row in [3, 5] { #expect(Array(dStates.row(row)) == [0, 0, 0, 0], "\(pooling)") }
            switch pooling {
            case .last:
                #expect(Array(pooled.row(0)) == [2, 2, 2, 0])  // forward half at t = 2, backward half at t = 0
            case .max:
                #expect(Array(pooled.row(0)) == [4, 5, 8, 7])
            case .mean:
                let expected: [Float] = [7, 8, 13, 8].map { $0 / 3 }
                #expect(zip(Array(pooled.row(0)), expected).allSatisfy { abs($0 - $1) < 1e-6 })
            }
            #expect(Array(pooled.row(1)) == [9, 9, 9, 9])
        }
    }
}
