import Foundation
import Recurrent
import Testing
import WordPipeSupport
@testable import Models

/// The encoder-decoder: gradients of the full loss, decoding, parallel data.
@Suite("Encoder-decoder")
struct Seq2SeqTests {
    static let sourceWords = ["<pad>", "<unk>", "ein", "hund", "läuft", "im", "park", "katze"]
    static let targetWords = Seq2Seq.targetSpecials + ["a", "dog", "runs", "park", "cat"]

    static func model(attention: AttentionKind, cell: CellKind = .gru, layers: Int = 1, tied: Bool = false, dropout: Double = 0,
                      seed: UInt64 = 7, smoothing: Double = 0, inputFeeding: Bool = false) -> Seq2Seq {
        var configuration = Seq2SeqConfiguration()
        configuration.labelSmoothing = smoothing
        configuration.inputFeeding = inputFeeding
        configuration.attention = attention
        configuration.tied = tied
        configuration.encoder.cell = cell
        configuration.encoder.layers = layers
        configuration.encoder.hidden = 3
        configuration.encoder.dim = tied ? 6 : 4
        configuration.encoder.dropout = dropout
        configuration.encoder.seed = seed
        var generator = SeededGenerator(seed: seed &+ 11)
        var initial = Matrix<Float>.normal(rows: sourceWords.count, columns: configuration.encoder.dim, standardDeviation: 0.5, using: &generator)
        for j in 0..<initial.columns { initial[0, j] = 0 }
        let model = Seq2Seq(configuration: configuration, words: WordTable(words: sourceWords, tokenizer: nil), initial: initial,
                            labels: targetWords)
        // Larger weights than the initialization's, so that attention weights differ from uniform.
        var drawer = SeededGenerator(seed: seed &+ 5)
        for parameter in model.allParameters where parameter !== model.sourceEmbedding {
            for index in parameter.value.storage.indices { parameter.value.storage[index] = Float(drawer.nextUniform(in: -0.8...0.8)) }
        }
        return model
    }

    static let examples = Seq2SeqExamples(sources: [[2, 3, 4, 5, 6], [2, 7], [1, 3, 4]],
                                          targets: [[4, 5, 6, 4, 7], [4, 8, 8, 6], [5]])

    struct GradientCase: CustomTestStringConvertible, Sendable {
        var attention: AttentionKind
        var cell: CellKind
        var layers: Int
        var tied: Bool
        var smoothing = 0.0
        var inputFeeding = false
        var dropout = 0.0
        var testDescription: String {
            "\(attention.rawValue) \(cell.rawValue) x\(layers)\(tied ? " tied" : "")\(smoothing > 0 ? " label smoothing \(smoothing)" : "")"
                + "\(inputFeeding ? " input feeding" : "")\(dropout > 0 ? " dropout \(dropout)" : "")"
        }
    }

    static let gradientCases: [GradientCase] = AttentionKind.allCases.flatMap { attention in
        [GradientCase(attention: attention, cell: .gru, layers: 1, tied: false), GradientCase(attention: attention, cell: .lstm, layers: 2, tied: false)]
    } + [GradientCase(attention: .bahdanau, cell: .gru, layers: 1, tied: true),
         GradientCase(attention: .luongGeneral, cell: .gru, layers: 1, tied: false, smoothing: 0.1)]
        // Input feeding, for each attention that has an attentional vector to feed; with dropout
        // (its masks replayed for every evaluation), the mask that the output layer and the next
        // step share.
        + AttentionKind.allCases.filter { $0 != .none }.map {
            GradientCase(attention: $0, cell: .gru, layers: 1, tied: false, inputFeeding: true)
        }
        + [GradientCase(attention: .luongGeneral, cell: .lstm, layers: 2, tied: false, inputFeeding: true),
           GradientCase(attention: .bahdanau, cell: .gru, layers: 2, tied: false, inputFeeding: true, dropout: 0.3)]

    /// Every parameter's gradient equals the central difference of the full teacher-forced loss
    /// (encoder, bridge, decoder, attention, output) for each attention type, with and without
    /// input feeding. The targets have different lengths, so padding is covered.
    @Test(arguments: gradientCases)
    func gradientsMatchFiniteDifferences(_ testCase: GradientCase) {
        let model = Self.model(attention: testCase.attention, cell: testCase.cell, layers: testCase.layers, tied: testCase.tied,
                               dropout: testCase.dropout, smoothing: testCase.smoothing, inputFeeding: testCase.inputFeeding)
        #expect(model.feedsInput == testCase.inputFeeding)
        let batch = Array(Self.examples.sources.indices)
        let generators = model.generatorStates
        EndToEndGradientTests.check(model.trainableParameters, perParameter: 8) {
            model.generatorStates = generators  // the same dropout masks each time
            return model.lossAndGradients(batch, of: Self.examples)
        }
    }

    static let decodingCases: [(AttentionKind, Bool)] = AttentionKind.allCases.map { ($0, false) }
        + AttentionKind.allCases.filter { $0 != .none }.map { ($0, true) }

    /// Beam search with K = 1 is greedy decoding: same tokens, same log-probability (with input
    /// feeding too, where each hypothesis carries its attentional vector).
    @Test(arguments: decodingCases)
    func beamOneIsGreedy(_ attention: AttentionKind, inputFeeding: Bool) {
        let model = Self.model(attention: attention, cell: .lstm, seed: 21, inputFeeding: inputFeeding)
        #expect(model.feedsInput == inputFeeding)
        for source in [["ein", "hund"], ["katze", "läuft", "im", "park"], ["unbekannt"], ["ein", "ein", "ein", "hund", "park", "im"]] {
            let encoded = model.encodeSource(model.sourceIDs(source))
            let limit = Seq2Seq.outputLimit(sourceLength: source.count, options: DecodingOptions())
            let greedy = model.greedy(encoded, limit: limit, alpha: 0.6)
            let beam = model.beamSearch(encoded, limit: limit, options: DecodingOptions(beam: 1))
            #expect(beam.count == 1)
            #expect(beam[0].ids == greedy.ids)
            #expect(abs(beam[0].logProbability - greedy.logProbability) < 1e-9)
        }
    }

    /// log P(ids, </s> | source), step by step, as the brute force computes it.
    static func logProbability(_ model: Seq2Seq, _ source: Seq2Seq.EncodedSource, _ ids: [Int32]) -> Double {
        var state = model.initialDecoderState(source)
        var previous = Seq2Seq.startID
        var total = 0.0
        for id in ids + [Seq2Seq.endID] {
            let (logProbabilities, _, next) = model.step([previous], state: state, source: source)
            total += Double(logProbabilities.storage[Int(id)])
            previous = id
            state = next
        }
        return total
    }

    /// On a toy model (4 producible tokens, at most 3 before </s>), a beam wide enough to keep
    /// every prefix returns the best of all 40 outputs by length-normalized score, found by brute
    /// force (with input feeding too: the beam reorders each hypothesis's attentional vector).
    @Test(arguments: [0.0, 0.6, 2.0], [false, true])
    func beamFindsTheBruteForceBest(alpha: Double, inputFeeding: Bool) {
        var configuration = Seq2SeqConfiguration()
        configuration.inputFeeding = inputFeeding
        configuration.encoder.hidden = 3
        configuration.encoder.dim = 4
        configuration.encoder.dropout = 0
        let labels = Seq2Seq.targetSpecials + ["x", "y"]
        for seed: UInt64 in [1, 2, 3] {
            configuration.encoder.seed = seed
            var generator = SeededGenerator(seed: seed)
            let initial = Matrix<Float>.normal(rows: Self.sourceWords.count, columns: 4, standardDeviation: 1, using: &generator)
            let model = Seq2Seq(configuration: configuration, words: WordTable(words: Self.sourceWords, tokenizer: nil), initial: initial, labels: labels)
            for parameter in model.allParameters {
                for index in parameter.value.storage.indices { parameter.value.storage[index] = Float(generator.nextUniform(in: -1.5...1.5)) }
            }
            let source = model.encodeSource([2, 3, 4])
            let producible: [Int32] = [1, 4, 5]
            var all: [[Int32]] = [[]]
            var frontier: [[Int32]] = [[]]
            for _ in 0..<3 {
                frontier = frontier.flatMap { prefix in producible.map { prefix + [$0] } }
                all += frontier
            }
            #expect(all.count == 40)
            let scored = all.map { ids in (ids, Self.logProbability(model, source, ids) / Seq2Seq.lengthPenalty(ids.count + 1, alpha: alpha)) }
            let best = scored.max { $0.1 < $1.1 }!
            let found = model.beamSearch(source, limit: 3, options: DecodingOptions(beam: 40, alpha: alpha, nBest: 40))
            #expect(found[0].ids == best.0, "seed \(seed): beam \(found[0].ids) \(found[0].score), brute force \(best.0) \(best.1)")
            #expect(abs(found[0].score - best.1) < 1e-6)
            // Every finished hypothesis, not only the best, has the log-probability of its own
            // tokens (each carried its own state and attentional vector through the reordering).
            #expect(found.count == 40)
            for hypothesis in found {
                let expected = Self.logProbability(model, source, hypothesis.ids)
                #expect(abs(hypothesis.logProbability - expected) < 1e-6, "seed \(seed): \(hypothesis.ids) \(hypothesis.logProbability) != \(expected)")
            }
        }
    }

    /// Decoding step by step gives each target the log-probability that the teacher-forced
    /// forward pass of training computes (so decoding feeds `h̃` as training does).
    @Test(arguments: decodingCases)
    func stepwiseScoresMatchTeacherForcing(_ attention: AttentionKind, inputFeeding: Bool) {
        let model = Self.model(attention: attention, cell: .gru, layers: 2, seed: 5, inputFeeding: inputFeeding)
        for (source, target) in zip(Self.examples.sources, Self.examples.targets) {
            let stepwise = Self.logProbability(model, model.encodeSource(source), target)
            let forced = model.forward(sources: [source], targets: [target], training: false).sum
            #expect(abs(stepwise + forced) < 1e-4 * max(1, abs(forced)), "\(source): step by step \(stepwise), teacher forced \(-forced)")
        }
    }

    /// A source of 10,000 tokens is cut to `maxSourceTokens` and translated.
    @Test func longSourceIsTruncated() {
        let model = Self.model(attention: .luongDot)
        let tokens = (0..<10_000).map { ["ein", "hund", "zzz"][$0 % 3] }
        let translation = model.translate(tokens, options: DecodingOptions(beam: 2))
        #expect(translation.sourceTokens.count == Seq2Seq.maxSourceTokens)
        #expect(translation.best.tokens.count <= DecodingOptions().maxOutput)
    }

    static func write(_ lines: [String], _ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func misalignedFilesNameBothFilesAndCounts() throws {
        let source = try Self.write(["a b", "c", "d"], "train.de"), target = try Self.write(["x", "y"], "train.en")
        do {
            _ = try ParallelText.read(ParallelFiles(source: source, target: target))
            Issue.record("no error")
        } catch {
            let message = "\(error)"
            #expect(message.contains(source) && message.contains(target) && message.contains("3") && message.contains("2"), "\(message)")
        }
    }

    @Test func emptySideNamesItsLine() throws {
        let source = try Self.write(["a b", "", "d"], "train.de"), target = try Self.write(["x", "y", "z"], "train.en")
        #expect(throws: ModelError.badData(location: .init(path: source, line: 2),
                                           message: "empty line where \(target) line 2 has text; a pair needs both sides (remove the pair or fill in its translation)")) {
            try ParallelText.read(ParallelFiles(source: source, target: target))
        }
    }

    @Test func longPairsAreDroppedAndCounted() throws {
        let source = try Self.write(["a b", "a b c d", "d"], "train.de"), target = try Self.write(["x", "y", "z z z z"], "train.en")
        let text = try ParallelText.read(ParallelFiles(source: source, target: target), maxLength: 3)
        #expect(text.sources == [["a", "b"]])
        #expect(text.dropped == 2)
    }

    @Test func vocabularyByCountAndSize() {
        let sentences = [["a", "b", "a"], ["c", "b", "a"], ["d"]]
        #expect(sideVocabulary(sentences, minCount: 1, maxSize: 0) == ["a", "b", "c", "d"])
        #expect(sideVocabulary(sentences, minCount: 2, maxSize: 0) == ["a", "b"])
        #expect(sideVocabulary(sentences, minCount: 1, maxSize: 3) == ["a", "b", "c"])
    }

    /// Training on a toy copy-like task drives the dev BLEU up, and the saved model translates
    /// the same after loading (with input feeding too, which the model file keeps); another
    /// task's model is refused by name.
    @Test(arguments: [false, true])
    func trainsSavesAndLoads(inputFeeding: Bool) throws {
        let pairs = [("ein hund", "a dog"), ("eine katze", "a cat"), ("der hund läuft", "the dog runs"),
                     ("die katze läuft", "the cat runs"), ("ein hund läuft", "a dog runs"), ("eine katze schläft", "a cat sleeps"),
                     // Targets of 4 tokens and more, so that BLEU's 4-gram precision is not 0/0 (else a
                     // perfect model scores 0 and the first epoch is kept).
                     ("der hund läuft im park", "the dog runs in the park"), ("die katze schläft im park", "the cat sleeps in the park")]
        let train = ParallelFiles(source: try Self.write(pairs.map(\.0), "train.de"), target: try Self.write(pairs.map(\.1), "train.en"))
        var configuration = Seq2SeqConfiguration()
        configuration.encoder.hidden = 16
        configuration.encoder.dim = 16
        configuration.encoder.epochs = 60
        configuration.encoder.patience = 60
        configuration.encoder.batch = 3
        configuration.encoder.lr = 0.02
        configuration.encoder.dropout = 0
        configuration.inputFeeding = inputFeeding
        let result = try Seq2SeqTraining.run(train: train, dev: train, vectorsPath: nil, configuration: configuration,
                                             options: ModelTrainingOptions())
        #expect(result.dev.bleu > 60, "dev BLEU \(result.dev.bleu)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s2s-\(UUID().uuidString).wpm").path
        try result.model.save(to: path, record: result.record)
        let loaded = try Seq2Seq.load(from: path).model
        #expect(loaded.configuration.inputFeeding == inputFeeding && loaded.feedsInput == inputFeeding)
        for (source, _) in pairs {
            let tokens = source.split(separator: " ").map(String.init)
            for beam in [1, 3] {
                let before = result.model.translate(tokens, beam: beam).best, after = loaded.translate(tokens, beam: beam).best
                #expect(after.tokens == before.tokens && after.logProbability == before.logProbability && after.attention == before.attention)
            }
        }
        #expect(throws: (any Error).self) { try LanguageModel.load(from: path) }

        // The model answers texts as `wordpipe serve` asks (TextAnswering), beam and greedy.
        let answering = try #require(try TextAnsweringModels.load(path) as? Seq2Seq)
        let answers = try answering.answer(["ein hund", "", "eine katze"], options: TranslateOptions(beam: 3), threads: 2)
        #expect(answers.map(\.translation) == ["ein hund", "", "eine katze"].map {
            result.model.translate(ParallelText.tokens($0), beam: 3).best.tokens.joined(separator: " ")
        })
        #expect(answers[1].tokens.isEmpty)
        #expect(throws: InvalidOption(field: "beam", message: "expected an integer in 1...100, not 0")) {
            try answering.check(TranslateOptions(beam: 0))
        }
    }

    /// --replace-unk: each <unk> takes the source token of its step's highest attention weight
    /// (the first on a tie); other tokens, ids and scores are kept.
    @Test func unknownsTakeTheMostAttendedSourceToken() {
        let hypothesis = TranslationHypothesis(tokens: ["<unk>", "dog", "<unk>"], ids: [Seq2Seq.unknownID, 9, Seq2Seq.unknownID],
                                               logProbability: -3, score: -2,
                                               attention: [[0.1, 0.7, 0.2], [0.9, 0.05, 0.05], [0.4, 0.2, 0.4], [1, 0, 0]])
        let replaced = Seq2Seq.replacingUnknowns(hypothesis, source: ["ein", "Dackel", "bellt"])
        #expect(replaced.tokens == ["Dackel", "dog", "ein"])
        #expect(replaced.ids == hypothesis.ids && replaced.score == hypothesis.score && replaced.attention == hypothesis.attention)
        let none = TranslationHypothesis(tokens: ["<unk>"], ids: [Seq2Seq.unknownID], logProbability: 0, score: 0, attention: [])
        #expect(Seq2Seq.replacingUnknowns(none, source: ["x"]).tokens == ["<unk>"])
    }

    /// --lr-decay/--decay-after: Zaremba's step decay for Adam and SGD; left at 1, each optimizer's
    /// default schedule. The new keys are written only when set, so that older settings encode
    /// (and hash in pipeline locks) as before, and they round-trip.
    @Test func stepDecayAndItsKeys() throws {
        var configuration = Seq2SeqConfiguration()
        let base = configuration.encoder.learningRate
        #expect((1...4).map { Seq2Seq.plan(of: configuration).rate(.adam, base, $0) } == [base, base, base, base])
        configuration.lrDecay = 2
        configuration.decayAfter = 2
        configuration.labelSmoothing = 0.1
        for optimizer in [OptimizerKind.adam, .sgd] {
            #expect((1...4).map { Seq2Seq.plan(of: configuration).rate(optimizer, base, $0) } == [base, base, base / 2, base / 4])
        }
        let plain = String(decoding: try JSONEncoder().encode(Seq2SeqConfiguration()), as: UTF8.self)
        #expect(!plain.contains("lr_decay") && !plain.contains("decay_after") && !plain.contains("label_smoothing")
                && !plain.contains("input_feeding"), "\(plain)")
        let decoded = try JSONDecoder().decode(Seq2SeqConfiguration.self, from: try JSONEncoder().encode(configuration))
        #expect(decoded == configuration)
        configuration.lrDecay = 0.5
        #expect(throws: ModelError.self) { try configuration.validate() }
    }

    /// input_feeding: written only when on (a model file or pipeline lock from before it reads
    /// as off and hashes as before), read back when on, and refused without attention.
    @Test func inputFeedingKeyAndItsRefusalWithoutAttention() throws {
        let plain = try JSONEncoder().encode(Seq2SeqConfiguration())
        #expect(try JSONDecoder().decode(Seq2SeqConfiguration.self, from: plain).inputFeeding == false)
        var configuration = Seq2SeqConfiguration()
        configuration.inputFeeding = true
        let encoded = try JSONEncoder().encode(configuration)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"input_feeding\":true"))
        #expect(try JSONDecoder().decode(Seq2SeqConfiguration.self, from: encoded) == configuration)
        configuration.attention = .none
        #expect(throws: ModelError.invalidOption(name: SettingKey(stringValue: "input_feeding"), value: "true",
                                                 expected: "false when attention is none (input feeding passes the previous step's attentional vector to the decoder, and there is none without attention; choose an attention or leave input feeding off)")) {
            try configuration.validate()
        }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(Seq2SeqConfiguration.self, from: Data(#"{"attention": "none", "input_feeding": true}"#.utf8))
        }
    }
}

@Suite("Encoder-decoder initialization")
struct Seq2SeqInitializationTests {
    /// Random source rows of an encoder-decoder have unit variance (uniform ±√3, PyTorch's
    /// embedding scale); a tagger's keep variance 1/dim; rows beside vectors keep √(3/dim).
    @Test func randomRowsHaveUnitVarianceOnlyForEncoderDecoders() {
        let dim = 64
        #expect(Seq2Seq.randomEmbeddingLimit(dim: dim, withVectors: false) == 3.0.squareRoot())
        #expect(Seq2Seq.randomEmbeddingLimit(dim: dim, withVectors: true) == (3.0 / Double(dim)).squareRoot())
        #expect(Tagger.randomEmbeddingLimit(dim: dim, withVectors: false) == (3.0 / Double(dim)).squareRoot())
        let tokens = [(0 ..< 200).map { "w\($0)" }]
        let wide = WordTable.build(trainingTokens: tokens, vectors: nil, dim: dim, seed: 3,
                                   randomLimit: Seq2Seq.randomEmbeddingLimit(dim: dim, withVectors: false)).matrix.storage
        let narrow = WordTable.build(trainingTokens: tokens, vectors: nil, dim: dim, seed: 3).matrix.storage
        let variance = { (values: [Float]) in values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count) }
        // 202 rows (with <pad> and <unk>) of 64: the sample variance is near 1 and near 1/64.
        #expect(abs(variance(wide) - 1) < 0.1, "\(variance(wide))")
        #expect(abs(variance(narrow) * Double(dim) - 1) < 0.1, "\(variance(narrow) * Double(dim))")
    }
}
