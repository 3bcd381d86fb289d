import Foundation
import TestSupport
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
    func learnsTheStructure(model: TrainingConfiguration.Model, loss: TrainingConfiguration.Loss, batched: Bool) throws {
        let (vocabulary, corpus) = try toyCorpus(text: structuredText(sentences: 4000))
        var configuration = Self.configuration
        configuration.model = model
        configuration.loss = loss
        configuration.batched = batched
        configuration.alpha = model == .cbow ? 0.05 : 0.025
        configuration.epochs = 5
        let (vectors, summary) = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration,
                                                   options: TrainingOptions(threads: 2))
        func cosine(_ a: String, _ b: String) -> Double {
            guard let u = vectors.vector(a), let v = vectors.vector(b) else { return .nan }
            let dot = zip(u, v).map { Double($0) * Double($1) }.reduce(0, +)
            let nu = u.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            let nv = v.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            return dot / (nu * nv)
        }
        let within = (cosine("cat", "dog") + cosine("red", "blue") + cosine("one", "three")) / 3
        let across = (cosine("cat", "red") + cosine("dog", "three") + cosine("blue", "two")) / 3
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
            } catch let EmbeddingError.malformed(location, message) {
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
