import Corpora
import Foundation
import Recurrent
import TestSupport
@testable import Models

/// Batch-parallel training (`BatchParallel`): the split, the summed gradients against the whole
/// batch's, reproducibility at 2 threads, and the 1-thread path left as it was.
@Suite struct BatchParallelTrainingTests {
    /// A tagger over a few synthetic sentences, and those sentences encoded.
    struct TaggerCase {
        let tagger: Tagger
        let lengths: [Int]
        let batch: Tagger.Batch
    }

    static func taggerCase(crf: Bool, characters: CharacterFeatureKind, count: Int = 9) throws -> TaggerCase {
        let path = try Synthetic.file(Synthetic.conll(count: count, seed: 5), name: "train.txt")
        var configuration = TaggerConfiguration()
        configuration.crf = crf
        configuration.charFeatures = characters
        configuration.encoder = Synthetic.settings()
        configuration.encoder.dropout = 0
        // Longest first, as the trainer's batches are.
        let sentences = try TaggerTraining.read(path, configuration: configuration).sentences.sorted { $0.tokens.count > $1.tokens.count }
        let tokens = sentences.map(\.tokens)
        let labels = Set(sentences.flatMap(\.tags)).sorted()
        let built = WordTable.build(trainingTokens: tokens, vectors: nil, dim: configuration.encoder.dim, seed: 1)
        let alphabet = characters == .none ? nil : CharacterVocabulary(words: tokens.joined())
        let tagger = Tagger(configuration: configuration, words: built.table, initial: built.matrix, labels: labels,
                            alphabet: alphabet, tokenizer: nil)
        let batch = tagger.batch(tokens, targets: sentences.map { $0.tags.map { Int32(labels.firstIndex(of: $0) ?? 0) } },
                                 lookup: built.table.lookup())
        return TaggerCase(tagger: tagger, lengths: tokens.map(\.count), batch: batch)
    }

    /// The examples at `indices` of a tagger batch.
    static func select(_ batch: Tagger.Batch, _ indices: [Int]) -> Tagger.Batch {
        Tagger.Batch(ids: indices.map { batch.ids[$0] }, characters: batch.characters.map { c in indices.map { c[$0] } },
                     targets: indices.map { batch.targets[$0] })
    }

    /// Each parameter's gradient, dense.
    static func gradients(_ parameters: [Parameter<Float>]) -> [Matrix<Float>] { parameters.map(\.denseGradient) }

    /// Expects `actual` to equal `expected` within `1e-5` of the largest magnitude of each parameter's gradient.
    static func expectClose(_ actual: [Matrix<Float>], _ expected: [Matrix<Float>], names: [String], _ label: String) {
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            let scale = max(e.storage.map { abs($0) }.max() ?? 0, 1e-3)
            let worst = zip(a.storage, e.storage).map { abs($0 - $1) }.max() ?? 0
            #expect(a.shape == e.shape && worst <= 1e-5 * scale, "\(label): \(names[index]) differs by \(worst) (largest \(scale))")
        }
    }

    /// A tagger's gradient and loss over the whole batch, then from `workers` workers summed.
    func compareTagger(crf: Bool, characters: CharacterFeatureKind, workers: Int) throws {
        let item = try Self.taggerCase(crf: crf, characters: characters)
        let tagger = item.tagger
        let parameters = tagger.trainableParameters
        let all = Array(item.lengths.indices)
        for parameter in parameters { parameter.zeroGradient() }
        let wholeLoss = tagger.trainStep(item.batch)
        let whole = Self.gradients(parameters)

        let parallel = BatchParallel(main: tagger, workers: workers, seed: 9)
        for parameter in parameters { parameter.zeroGradient() }
        let loss = parallel.step(all, lengths: item.lengths, units: { batch in tagger.lossCount(lengths: batch.map { item.lengths[$0] }) },
                                 work: { model, batch in model.trainStep(Self.select(item.batch, batch)) })
        let label = "crf \(crf), characters \(characters), \(workers) workers"
        #expect(abs(loss - wholeLoss) <= 1e-5 * abs(wholeLoss), "\(label): loss \(loss) vs \(wholeLoss)")
        Self.expectClose(Self.gradients(parameters), whole, names: parameters.map(\.name), label)
        // The replicas let go of the weights, so the optimizer step updates them in place.
        for replica in parallel.replicas { #expect(replica.allParameters.allSatisfy { $0.value.rows == 0 }, "\(label)") }
        #expect(tagger.allParameters.allSatisfy { $0.value.rows > 0 })
    }

    @Test("a softmax tagger: the workers' summed gradients are the whole batch's", arguments: [2, 3])
    func softmaxTagger(workers: Int) throws {
        try compareTagger(crf: false, characters: .none, workers: workers)
    }

    @Test("a CRF tagger, with character features too: the workers' summed gradients are the whole batch's",
          arguments: [CharacterFeatureKind.none, .cnn, .lstm])
    func crfTagger(characters: CharacterFeatureKind) throws {
        try compareTagger(crf: true, characters: characters, workers: 2)
    }

    @Test("a classifier: the workers' summed gradients are the whole batch's", arguments: Pooling.allCases)
    func classifier(pooling: Pooling) throws {
        var generator = SeededGenerator(seed: 4)
        let words = ["<pad>", "<unk>"] + (0..<12).map { "w\($0)" }
        // Texts of 1 to 9 tokens, longest first.
        let texts: [[Int32]] = (0..<9).map { _ in (0..<(1 + generator.nextIndex(below: 9))).map { _ in Int32(2 + generator.nextIndex(below: 12)) } }
            .sorted { $0.count > $1.count }
        let targets = texts.map { Int32($0.count % 3) }
        var configuration = ClassifierConfiguration()
        configuration.pooling = pooling
        configuration.encoder = Synthetic.settings()
        configuration.encoder.dropout = 0
        let table = WordTable(words: words, tokenizer: nil)
        let classifier = Classifier(configuration: configuration, words: table,
                                    initial: Matrix<Float>.normal(rows: words.count, columns: 8, using: &generator), labels: ["a", "b", "c"])
        let parameters = classifier.trainableParameters
        for parameter in parameters { parameter.zeroGradient() }
        let wholeLoss = classifier.trainStep(ids: texts, targets: targets)
        let whole = Self.gradients(parameters)

        let parallel = BatchParallel(main: classifier, workers: 2, seed: 9)
        for parameter in parameters { parameter.zeroGradient() }
        let loss = parallel.step(Array(texts.indices), lengths: texts.map(\.count), units: \.count,
                                 work: { model, batch in model.trainStep(ids: batch.map { texts[$0] }, targets: batch.map { targets[$0] }) })
        #expect(abs(loss - wholeLoss) <= 1e-5 * abs(wholeLoss), "\(pooling): loss \(loss) vs \(wholeLoss)")
        Self.expectClose(Self.gradients(parameters), whole, names: parameters.map(\.name), "\(pooling)")
    }

    @Test("a batch is split by tokens into parts that stay longest first", arguments: [
        ([9, 7, 5, 3, 1], 2, [[0, 3, 4], [1, 2]]),
        ([4, 4, 4, 4], 2, [[0, 2], [1, 3]]),
        ([10, 2, 2, 2, 2, 2], 2, [[0], [1, 2, 3, 4, 5]]),
        ([6, 5, 4, 3, 2, 1], 3, [[0, 5], [1, 4], [2, 3]]),
        ([3], 2, [[0], []]),
        ([0, 0, 0], 2, [[0, 2], [1]]),
    ])
    func split(lengths: [Int], parts: Int, expected: [[Int]]) {
        let result = BatchParallel<Tagger>.split(Array(lengths.indices), lengths: lengths, parts: parts)
        #expect(result == expected)
        for part in result { #expect(part.map { lengths[$0] } == part.map { lengths[$0] }.sorted(by: >)) }
    }

    @Test("replicas draw their own dropout masks")
    func replicaDropout() throws {
        var configuration = TaggerConfiguration()
        configuration.encoder = Synthetic.settings()
        let built = WordTable.build(trainingTokens: [["a", "b"]], vectors: nil, dim: 4, seed: 1)
        let tagger = Tagger(configuration: configuration, words: built.table, initial: built.matrix, labels: ["O"], alphabet: nil, tokenizer: nil)
        let replicas = BatchParallel(main: tagger, workers: 2, seed: 9).replicas
        let masks = replicas.map { $0.encoder.inputDropout.mask(rows: 8, columns: 8) }
        #expect(masks[0] != masks[1])
    }

    /// Trains a tagger and a classifier on tiny data for two epochs; returns each one's log (the
    /// timing fields removed) and a fingerprint of its weights.
    static func trainBoth(threads: Int, characters: CharacterFeatureKind = .cnn) throws -> [(log: [String], weights: UInt64)] {
        let train = try Synthetic.file(Synthetic.conll(count: 40, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 12, seed: 2), name: "dev.txt")
        var results: [(log: [String], weights: UInt64)] = []
        for (crf, chars) in [(false, CharacterFeatureKind.none), (true, characters)] {
            var configuration = TaggerConfiguration()
            configuration.crf = crf
            configuration.charFeatures = chars
            configuration.encoder = Synthetic.settings(epochs: 2)
            var lines: [String] = []
            let result = try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration,
                                                threads: threads, log: { lines.append(withoutTimes($0)) })
            results.append((lines, fingerprint(result.tagger.allParameters)))
        }
        let classifierTrain = try Synthetic.file(ClassifierLearningTests.tsv(count: 60, seed: 1), name: "train.tsv")
        let classifierDev = try Synthetic.file(ClassifierLearningTests.tsv(count: 20, seed: 2), name: "dev.tsv")
        var configuration = ClassifierConfiguration()
        configuration.encoder = Synthetic.settings(epochs: 2)
        var lines: [String] = []
        let result = try TrainingLoop.train(Classifier.self, trainPath: classifierTrain, devPath: classifierDev, vectorsPath: nil,
                                                configuration: configuration, threads: threads, log: { lines.append(withoutTimes($0)) })
        results.append((lines, fingerprint(result.classifier.allParameters)))
        return results
    }

    /// A training log line up to its timing fields (`train_s` and after).
    static func withoutTimes(_ line: String) -> String {
        line.range(of: " train_s ").map { String(line[..<$0.lowerBound]) } ?? line
    }

    /// FNV-1a over the bits of every weight.
    static func fingerprint(_ parameters: [Parameter<Float>]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for parameter in parameters {
            for value in parameter.value.storage { hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3 }
        }
        return hash
    }

    @Test("training at 2 threads is reproducible: the same losses and bit-identical weights")
    func reproducibleAtTwoThreads() throws {
        let first = try Self.trainBoth(threads: 2, characters: .lstm)
        let second = try Self.trainBoth(threads: 2, characters: .lstm)
        for (a, b) in zip(first, second) {
            #expect(a.log == b.log)
            #expect(a.weights == b.weights)
        }
        // It trains: the loss falls from the first epoch to the second.
        for result in first {
            let losses = result.log.filter { $0.hasPrefix("epoch") }.compactMap { line in
                line.split(separator: " ").drop { $0 != "loss" }.dropFirst().first.flatMap { Double($0) }
            }
            #expect(losses.count == 2 && losses[1] < losses[0], "\(result.log)")
        }
    }

    /// What the trainers gave at `threads: 1` before batch-parallel training existed (commit
    /// df5055f), on OpenBLAS's Cooperlake kernels: the weights depend on the kernels' rounding, so
    /// the figures are pinned only there.
    static let recordedCore = "Cooperlake"
    static let recorded: [(log: [String], weights: UInt64)] = [
        (["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
          "epoch 1/2 loss 1.302774 dev_f1 0.000000", "epoch 2/2 loss 0.917288 dev_f1 0.285714"], 0xc6fa_bdd0_1a8e_e167),
        (["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
          "epoch 1/2 loss 6.979787 dev_f1 0.344828", "epoch 2/2 loss 3.336514 dev_f1 0.750000"], 0xf377_db2b_2137_1301),
        (["data: 60 training texts, 20 dev texts, 2 labels; 18 words",
          "epoch 1/2 loss 0.640691 dev_accuracy 0.500000", "epoch 2/2 loss 0.453150 dev_accuracy 0.950000"], 0xa445_4f21_11e2_1579),
    ]

    @Test("training at 1 thread is what it was before batch-parallel training",
          .enabled(if: BLAS.coreName == recordedCore, "the recorded weights come from OpenBLAS's \(recordedCore) kernels"))
    func oneThreadUnchanged() throws {
        Self.expectRecorded(try Self.trainBoth(threads: 1), Self.recorded)
    }

    /// Expects each training's log and weight fingerprint to be the recorded one.
    static func expectRecorded(_ results: [(log: [String], weights: UInt64)], _ recorded: [(log: [String], weights: UInt64)]) {
        #expect(results.count == recorded.count)
        for (actual, expected) in zip(results, recorded) {
            #expect(actual.log == expected.log)
            #expect(actual.weights == expected.weights, "weights \(String(actual.weights, radix: 16))")
        }
    }
}
