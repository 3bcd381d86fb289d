import Foundation
import TestSupport
import WordPipeSupport
@testable import Embeddings
@testable import Vocabulary

/// A synthetic corpus with structure: words of the same group share contexts.
func structuredText(sentences: Int, seed: UInt64 = 3) -> String {
    var random = seed
    func next(_ bound: Int) -> Int {
        random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((random >> 33) % UInt64(bound))
    }
    let groups = [["cat", "dog", "horse", "cow"], ["red", "green", "blue", "yellow"], ["one", "two", "three", "four"]]
    let frames = [["the", "X", "runs", "fast"], ["a", "X", "color", "paint"], ["count", "X", "numbers", "sum"]]
    var lines: [String] = []
    for _ in 0..<sentences {
        let group = next(3)
        lines.append(frames[group].map { $0 == "X" ? groups[group][next(4)] : $0 }.joined(separator: " "))
    }
    return lines.joined(separator: "\n") + "\n"
}

@Suite struct TrainerTests {
    static let configuration = TrainingConfiguration(dim: 16, window: 3, negative: 3, sample: 0, epochs: 3,
                                                     vocabulary: VocabularyConfiguration(minCount: 1))

    @Test func oneThreadIsBitIdenticalAcrossRunsAndSeedsMatter() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 3000))
        let first = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration, options: TrainingOptions(threads: 1)).0
        let second = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration, options: TrainingOptions(threads: 1)).0
        #expect(first.matrix == second.matrix)
        var other = Self.configuration
        other.seed = 2
        let third = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: other, options: TrainingOptions(threads: 1)).0
        #expect(first.matrix != third.matrix)
    }

    /// Words that share contexts end up closer than words that do not, for every model and loss.
    @Test(arguments: [(TrainingConfiguration.Model.skipgram, TrainingConfiguration.Loss.ns, true),
                      (.skipgram, .ns, false), (.skipgram, .hs, false), (.cbow, .ns, false), (.cbow, .hs, false)])
    /// The settings of the structure tests: 5 epochs at word2vec's rate for the architecture.
    static func structureConfiguration(model: TrainingConfiguration.Model, loss: TrainingConfiguration.Loss,
                                       batched: Bool) -> TrainingConfiguration {
        var configuration = Self.configuration
        configuration.model = model
        configuration.loss = loss
        configuration.batched = batched
        configuration.alpha = model == .cbow ? 0.05 : 0.025
        configuration.epochs = 5
        return configuration
    }

    /// The mean cosine of word pairs within the toy text's groups and across them.
    static func groupSimilarity(_ vectors: WordVectors) -> (within: Double, across: Double) {
        func cosine(_ a: String, _ b: String) -> Double {
            guard let u = vectors.vector(a), let v = vectors.vector(b) else { return .nan }
            let dot = zip(u, v).map { Double($0) * Double($1) }.reduce(0, +)
            let nu = u.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            let nv = v.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            return dot / (nu * nv)
        }
        return ((cosine("cat", "dog") + cosine("red", "blue") + cosine("one", "three")) / 3,
                (cosine("cat", "red") + cosine("dog", "three") + cosine("blue", "two")) / 3)
    }

    func learnsTheStructure(model: TrainingConfiguration.Model, loss: TrainingConfiguration.Loss, batched: Bool) throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 4000))
        let configuration = Self.structureConfiguration(model: model, loss: loss, batched: batched)
        let (vectors, summary) = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration,
                                                   options: TrainingOptions(threads: 2))
        let (within, across) = Self.groupSimilarity(vectors)
        #expect(within > across + 0.2, "\(model) \(loss) batched \(batched): within \(within), across \(across)")
        #expect(summary.epochLosses.count == 5)
        #expect(summary.epochLosses.last! < summary.epochLosses.first!)
        #expect(summary.words == Int64(corpus.tokenCount * 5))
    }

    @Test func divergenceIsAnErrorNamingEpochAndPosition() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 2000))
        var configuration = Self.configuration
        configuration.alpha = 9.9
        configuration.minAlpha = 9.9
        configuration.epochs = 50
        do {
            _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: TrainingOptions(threads: 1))
            Issue.record("training with alpha 9.9 did not diverge")
        } catch let EmbeddingError.diverged(epoch, position, alpha) {
            #expect(epoch >= 1)
            #expect(position >= 0)
            #expect(abs(alpha - 9.9) < 1e-5)
        }
    }

    @Test func checkpointedRunResumesToTheSameVectors() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 3000))
        let directory = try SharedData.temporaryDirectory().appendingPathComponent("checkpoint").path
        let plain = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                      options: TrainingOptions(threads: 1)).0
        // A checkpointed run gives the same vectors as a plain one ...
        let checkpointed = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                             options: TrainingOptions(threads: 1, checkpoint: directory, checkpointEvery: 5000)).0
        #expect(checkpointed.matrix == plain.matrix)
        // ... and resuming from its last checkpoint (the end) reproduces them too.
        let resumed = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                        options: TrainingOptions(threads: 1, checkpoint: directory, resume: directory)).0
        #expect(resumed.matrix == plain.matrix)
        // Other settings are refused, naming the setting.
        var other = Self.configuration
        other.dim = 8
        do {
            _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: other,
                                  options: TrainingOptions(threads: 1, resume: directory))
            Issue.record("resume with another dim was accepted")
        } catch let EmbeddingError.checkpointMismatch(_, differences) {
            #expect(differences == ["dim: 16 → 8"])
        }
    }

    /// A flipped bit in a checkpoint's weights is refused on resume (state.json records their
    /// CRC-32C), where it was silently trained on.
    @Test func damagedCheckpointWeightsAreRefused() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 500))
        let directory = try SharedData.temporaryDirectory().appendingPathComponent("checkpoint").path
        _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                              options: TrainingOptions(threads: 1, checkpoint: directory))
        let step = directory + "/" + (try String(contentsOfFile: directory + "/latest", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
        for name in ["input.f32", "output.f32"] {
            let path = step + "/" + name
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            var damaged = original
            damaged[damaged.count / 3] ^= 0x20
            try damaged.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                      options: TrainingOptions(threads: 1, resume: directory))
                Issue.record("a damaged \(name) was resumed from")
            } catch let EmbeddingError.badCheckpoint(location, message) {
                #expect(location.path == path)
                #expect(message.hasPrefix("damaged checkpoint weights: their CRC-32C is"), "\(message)")
            }
            try original.write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func nativeAndWord2vecFilesRoundTrip() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 500))
        let (vectors, _) = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                             options: TrainingOptions(threads: 1))
        let directory = try SharedData.temporaryDirectory()
        let native = directory.appendingPathComponent("v.wpv").path
        try vectors.write(to: native, format: .native)
        let read = try WordVectors.readNative(from: native)
        #expect(read.matrix == vectors.matrix)
        #expect(read.vocabulary.words == vectors.vocabulary.words)
        #expect(read.training == Self.configuration)
        // Damaged native files are refused with a reason.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: native))
        bytes.removeLast(3)
        try bytes.write(to: URL(fileURLWithPath: native))
        #expect(throws: EmbeddingError.self) { try WordVectors.readNative(from: native) }
        // word2vec text: header, then a word and dim values per line, values round-tripping exactly.
        let text = directory.appendingPathComponent("v.txt").path
        try vectors.write(to: text, format: .word2vecText)
        let lines = try String(contentsOfFile: text, encoding: .utf8).split(separator: "\n")
        #expect(lines[0] == "\(vocabulary.count) 16")
        let fields = lines[1].split(separator: " ")
        #expect(fields.count == 17)
        #expect(fields.dropFirst().compactMap { Float(String($0)) } == Array(vectors.matrix[0..<16]))
        // word2vec binary: header, then "word " and 16 × 4 bytes and a newline per word.
        let binary = directory.appendingPathComponent("v.bin").path
        try vectors.write(to: binary, format: .word2vecBin)
        let size = try FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int
        let headerBytes = "\(vocabulary.count) 16\n".utf8.count
        let rowBytes: Int = vocabulary.words.reduce(0) { (total: Int, word: String) -> Int in total + word.utf8.count + 66 }
        let expected = headerBytes + rowBytes
        #expect(size == expected)
    }

    struct CheckpointCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Changes the decoded `state.json` (a JSON object).
        var change: @Sendable (inout [String: Any]) -> Void
        /// What the error says after `FILE: ` (nil: the resume succeeds).
        var message: String?
        var testDescription: String { name }
    }

    /// Every field of a checkpoint's state is checked against the corpus and the settings: a
    /// position past the corpus end, an empty `workers` list or a repeated worker crashed
    /// `train --resume` (index out of range, division by zero; issue 13).
    @Test(arguments: [
        CheckpointCase(name: "unchanged (the start of the last epoch)", change: { _ in }, message: nil),
        CheckpointCase(name: "no workers", change: { $0["workers"] = [Any]() },
                       message: "field 'workers' lists 0 workers, but 'threads' is 2"),
        CheckpointCase(name: "a repeated worker", change: { state in
            let workers = state["workers"] as! [Any]
            state["workers"] = [workers[0], workers[0]]
        }, message: "field 'workers[1].first/end' is 0..<"),
        CheckpointCase(name: "a third worker", change: { state in
            let workers = state["workers"] as! [Any]
            state["workers"] = workers + [workers[1]]
        }, message: "field 'workers' lists 3 workers, but 'threads' is 2"),
        CheckpointCase(name: "a position past the corpus end", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[1]["next"] = 1_000_000
            state["workers"] = workers
        }, message: "field 'workers[1].next' is 1000000, outside the worker's pieces"),
        CheckpointCase(name: "a range past the corpus end", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[1]["end"] = 1_000_000
            state["workers"] = workers
        }, message: "field 'workers[1].first/end' is"),
        CheckpointCase(name: "a negative position", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[0]["next"] = -3
            state["workers"] = workers
        }, message: "field 'workers[0].next' is -3"),
        CheckpointCase(name: "an epoch past the last", change: { $0["epoch"] = 7 }, message: "field 'epoch' is 7, outside 0...3"),
        CheckpointCase(name: "a negative epoch", change: { $0["epoch"] = -1 }, message: "field 'epoch' is -1, outside 0...3"),
        CheckpointCase(name: "epoch losses of another epoch", change: { $0["epochLosses"] = [0.5] },
                       message: "field 'epochLosses' holds 1 losses for 2 finished epochs"),
        CheckpointCase(name: "words done below 0", change: { $0["wordsDone"] = -5 }, message: "field 'wordsDone' is -5, outside 0..."),
        CheckpointCase(name: "words done past the run", change: { $0["wordsDone"] = Int64.max }, message: "field 'wordsDone' is 9223372036854775807"),
        CheckpointCase(name: "pending words below 0", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[0]["pending"] = -1
            state["workers"] = workers
        }, message: "field 'workers[0].pending' is -1"),
        CheckpointCase(name: "a learning rate out of range", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[0]["alpha"] = 5
            state["workers"] = workers
        }, message: "field 'workers[0].alpha' is 5.0, outside the learning rates of the run"),
        CheckpointCase(name: "predictions whose sum overflows", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[0]["predictions"] = Int64.max
            state["workers"] = workers
        }, message: "field 'workers[0].predictions' is 9223372036854775807, outside 0..."),
        CheckpointCase(name: "a negative loss", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[1]["loss"] = -1
            state["workers"] = workers
        }, message: "field 'workers[1].loss' is -1.0"),
        CheckpointCase(name: "another kind of file", change: { $0["kind"] = "wordpipe.model" },
                       message: "field 'kind' is 'wordpipe.model', not 'wordpipe.training-checkpoint'"),
        CheckpointCase(name: "a missing field", change: { state in
            var workers = state["workers"] as! [[String: Any]]
            workers[0]["next"] = nil
            state["workers"] = workers
        }, message: "unreadable checkpoint: field 'workers[0].next' is missing"),
    ])
    func damagedCheckpointStateIsAnErrorNamingTheField(_ c: CheckpointCase) throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 2000))
        let directory = try SharedData.temporaryDirectory().appendingPathComponent("checkpoint").path
        _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                              options: TrainingOptions(threads: 2, checkpoint: directory))
        let step = try String(contentsOfFile: directory + "/latest", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let file = directory + "/" + step + "/state.json"
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        // The end of training, made the start of the last epoch: a resume trains one more epoch.
        state["epoch"] = 2
        state["epochLosses"] = Array((state["epochLosses"] as? [Double] ?? []).prefix(2))
        c.change(&state)
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: file))
        let resume = { try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                                         options: TrainingOptions(threads: 2, resume: directory)) }
        guard let message = c.message else {
            #expect(try resume().1.epochLosses.count == 3)
            return
        }
        do {
            _ = try resume()
            Issue.record("the damaged checkpoint was accepted")
        } catch let error as EmbeddingError {
            guard case .badCheckpoint(let location, let got) = error else { throw error }
            #expect(location.path == file)
            #expect(got.contains(message), "\(got)")
            #expect(error.message(naming: .option).hasSuffix("train without --resume (or with another --checkpoint directory)"))
            #expect("\(error)".hasSuffix("train without resume (or with another checkpoint directory)"))
        }
    }

    @Test func latestMustNameAStep() throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 500))
        let directory = try SharedData.temporaryDirectory().appendingPathComponent("checkpoint").path
        _ = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                              options: TrainingOptions(threads: 1, checkpoint: directory))
        try Data("../../etc\n".utf8).write(to: URL(fileURLWithPath: directory + "/latest"))
        #expect(throws: EmbeddingError.badCheckpoint(location: WordPipeSupport.SourceLocation(path: directory + "/latest"),
                                                     message: "'../../etc' is not a checkpoint step name (step-EPOCH-WORDS)")) {
            try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: Self.configuration,
                              options: TrainingOptions(threads: 1, resume: directory))
        }
    }

    /// Counts whose sums overflow an Int64 (a vocabulary made in memory; `Vocabulary.read`
    /// refuses such files) build a Huffman tree instead of trapping.
    @Test func huffmanTreeOfHugeCounts() throws {
        let tree = try HuffmanTree(counts: [.max, .max - 1, 1, 0])
        #expect(tree.lengths.allSatisfy { $0 >= 1 && $0 <= 3 })
        #expect(tree.lengths[0] <= tree.lengths[2])
    }

    @Test func badSettingsNameTheOption() {
        for (configuration, name) in [(TrainingConfiguration(dim: 0), "dim"), (TrainingConfiguration(window: -1), "window"),
                                      (TrainingConfiguration(negative: 0), "negative"), (TrainingConfiguration(epochs: 0), "epochs")] {
            do {
                try configuration.validate()
                Issue.record("\(name) accepted")
            } catch let EmbeddingError.invalidOption(got, _, _) {
                #expect(got == name)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
