import Foundation
import TestSupport
import Tokenization
import WordPipeSupport
@testable import Embeddings
@testable import Vocabulary

/// Sentences of three groups of words in three frames (as `structuredText`), from the words given.
func groupedText(groups: [[String]], sentences: Int, seed: UInt64) -> String {
    var random = seed
    func next(_ bound: Int) -> Int {
        random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((random >> 33) % UInt64(bound))
    }
    let frames = [["the", "X", "runs", "fast"], ["a", "X", "color", "paint"], ["count", "X", "numbers", "sum"]]
    var lines: [String] = []
    for _ in 0..<sentences {
        let group = next(3)
        lines.append(frames[group].map { $0 == "X" ? groups[group][next(groups[group].count)] : $0 }.joined(separator: " "))
    }
    return lines.joined(separator: "\n") + "\n"
}

/// `train --init`: continued training from vectors in every format.
@Suite struct ContinuedTrainingTests {
    /// The first corpus: the old words; `cow` appears only here.
    static let oldGroups = [["cat", "dog", "horse", "cow"], ["red", "green", "blue", "yellow"], ["one", "two", "three", "four"]]
    /// The second corpus: new words in each group, `cow` gone.
    static let newGroups = [["cat", "dog", "horse", "llama", "goat"], ["red", "green", "magenta", "teal"], ["one", "two", "five", "six"]]
    static let configuration = TrainingConfiguration(dim: 16, window: 3, negative: 3, sample: 0, epochs: 4,
                                                     vocabulary: VocabularyConfiguration(minCount: 1))

    struct Setup {
        let directory: URL
        let first: String
        let second: String
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    }

    static func setup() throws -> Setup {
        let directory = try SharedData.temporaryDirectory()
        let first = directory.appendingPathComponent("first.txt").path
        let second = directory.appendingPathComponent("second.txt").path
        try Data(groupedText(groups: oldGroups, sentences: 3000, seed: 3).utf8).write(to: URL(fileURLWithPath: first))
        try Data(groupedText(groups: newGroups, sentences: 3000, seed: 5).utf8).write(to: URL(fileURLWithPath: second))
        return Setup(directory: directory, first: first, second: second)
    }

    static func cosine(_ vectors: WordVectors, _ a: String, _ b: String) -> Double {
        guard let u = vectors.vector(a), let v = vectors.vector(b) else { return .nan }
        let dot = zip(u, v).map { Double($0) * Double($1) }.reduce(0, +)
        let nu = u.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        let nv = v.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        return dot / (nu * nv)
    }

    /// Mean cosine within the groups minus across them, over the pairs that involve `words`.
    static func separation(_ vectors: WordVectors, within: [(String, String)], across: [(String, String)]) -> (Double, Double) {
        (within.map { cosine(vectors, $0.0, $0.1) }.reduce(0, +) / Double(within.count),
         across.map { cosine(vectors, $0.0, $0.1) }.reduce(0, +) / Double(across.count))
    }

    static let newWithin = [("llama", "dog"), ("goat", "cat"), ("magenta", "red"), ("teal", "green"), ("five", "two"), ("six", "one")]
    static let newAcross = [("llama", "red"), ("goat", "two"), ("magenta", "one"), ("teal", "cat"), ("five", "green"), ("six", "horse")]
    static let oldWithin = [("cow", "dog"), ("horse", "cat"), ("blue", "red"), ("yellow", "green"), ("three", "two"), ("four", "one")]
    static let oldAcross = [("cow", "red"), ("horse", "two"), ("blue", "one"), ("yellow", "cat"), ("three", "green"), ("four", "horse")]

    /// Word-only vectors: the new words learn their group, the old ones keep theirs, counts add
    /// up, and a word the new corpus lacks keeps its row bit for bit (its row moved to its new id).
    @Test func continuedTrainingLearnsNewWordsAndKeepsTheOld() throws {
        let setup = try Self.setup()
        let (old, _) = try TrainingJob.run(inputs: [setup.first], vocabularyPath: nil, output: setup.path("old.wpv"), format: .native,
                                           configuration: Self.configuration, options: TrainingOptions(threads: 1))
        let initial = try InitialVectors.load(path: setup.path("old.wpv"))
        #expect(initial.hasCounts && !initial.hasOutputWeights && initial.dim == 16)
        let configuration = try initial.resolve(Self.configuration, dimGiven: true, bucketsGiven: false)
        let (vectors, _) = try TrainingJob.run(inputs: [setup.second], vocabularyPath: nil, output: setup.path("new.wpv"), format: .native,
                                               configuration: configuration, options: TrainingOptions(threads: 1), initial: initial)
        let (counted, _) = try VocabularyBuilder.build(inputs: [setup.second], configuration: VocabularyConfiguration(minCount: 1))
        let oldVocabulary = old.vocabulary, newVocabulary = vectors.vocabulary
        func count(_ vocabulary: Vocabulary, _ word: String) -> Int64 { vocabulary.id(of: word).map { vocabulary.counts[Int($0)] } ?? 0 }
        for word in ["horse", "cat", "red", "one", "the"] {
            #expect(count(newVocabulary, word) == count(oldVocabulary, word) + count(counted, word), "\(word)")
        }
        #expect(count(newVocabulary, "cow") == count(oldVocabulary, "cow"))
        #expect(count(newVocabulary, "llama") == count(counted, "llama") && count(newVocabulary, "llama") > 0)
        #expect(newVocabulary.count == oldVocabulary.count + 6)
        // Ordered as any vocabulary: by count.
        #expect(zip(newVocabulary.counts, newVocabulary.counts.dropFirst()).allSatisfy { $0 >= $1 })
        // Skip-gram only moves a word's input row when it is the centre: `cow` is untouched.
        #expect(vectors.vector("cow").map(Array.init) == old.vector("cow").map(Array.init))
        #expect(newVocabulary.id(of: "cow") != oldVocabulary.id(of: "cow"))
        let (newIn, newOut) = Self.separation(vectors, within: Self.newWithin, across: Self.newAcross)
        #expect(newIn > newOut + 0.3, "new words: within \(newIn), across \(newOut)")
        let (oldIn, oldOut) = Self.separation(vectors, within: Self.oldWithin, across: Self.oldAcross)
        #expect(oldIn > oldOut + 0.3, "old words: within \(oldIn), across \(oldOut)")
        // Trained further, from where they were: moved, but still close to the old vectors.
        let moved = Self.cosineBetween(try #require(old.vector("horse")), try #require(vectors.vector("horse")))
        #expect(moved < 0.9999 && moved > 0.3, "\(moved)")
    }

    static func cosineBetween(_ u: ArraySlice<Float>, _ v: ArraySlice<Float>) -> Double {
        let dot = zip(u, v).map { Double($0) * Double($1) }.reduce(0, +)
        return dot / (u.map { Double($0 * $0) }.reduce(0, +).squareRoot() * v.map { Double($0 * $0) }.reduce(0, +).squareRoot())
    }

    /// Subword vectors (native version 3): the own rows are recovered exactly enough that each
    /// word's mean gives the file's vector back; n-grams and buckets are taken from the file,
    /// and the n-gram rows train further.
    @Test func subwordVectorsContinueWithTheirNgrams() throws {
        let setup = try Self.setup()
        var first = Self.configuration
        first.subwords = SubwordRange(minn: 3, maxn: 6)
        first.buckets = 5000
        let (old, _) = try TrainingJob.run(inputs: [setup.first], vocabularyPath: nil, output: setup.path("old.wpv"), format: .native,
                                           configuration: first, options: TrainingOptions(threads: 1))
        let initial = try InitialVectors.load(path: setup.path("old.wpv"))
        let subwords = try #require(initial.subwords)
        #expect(subwords.buckets == 5000)
        let table = SubwordTable(vocabulary: initial.vocabulary, range: subwords.range, buckets: subwords.buckets)
        var worst: Float = 0
        for word in 0..<initial.vocabulary.count {
            let from = Int(table.offsets[word]), to = Int(table.offsets[word + 1])
            for index in 0..<16 {
                var sum = initial.ownRows[word * 16 + index]
                for position in (from + 1)..<to { sum += subwords.storage.buffer[(Int(table.ids[position]) - initial.vocabulary.count) * 16 + index] }
                worst = max(worst, abs(sum / Float(to - from) - old.matrix[word * 16 + index]))
            }
        }
        #expect(worst < 1e-5, "\(worst)")
        // Not given: taken from the file.
        let configuration = try initial.resolve(Self.configuration, dimGiven: false, bucketsGiven: false)
        #expect(configuration.subwords == SubwordRange(minn: 3, maxn: 6) && configuration.buckets == 5000)
        let (vectors, _) = try TrainingJob.run(inputs: [setup.second], vocabularyPath: nil, output: setup.path("new.wpv"), format: .native,
                                               configuration: configuration, options: TrainingOptions(threads: 1), initial: initial)
        let ngrams = try #require(vectors.subwords)
        #expect(ngrams.buckets == 5000)
        #expect(ngrams.matrix != subwords.matrix)
        let (newIn, newOut) = Self.separation(vectors, within: Self.newWithin, across: Self.newAcross)
        #expect(newIn > newOut + 0.3, "new words: within \(newIn), across \(newOut)")
        let (oldIn, oldOut) = Self.separation(vectors, within: Self.oldWithin, across: Self.oldAcross)
        #expect(oldIn > oldOut + 0.3, "old words: within \(oldIn), across \(oldOut)")
        // The n-gram rows kept their meaning: an unseen inflection of an old word is near it.
        let horses = try #require(vectors.vectorOrNgrams("horses"))
        #expect(Self.cosineBetween(horses[...], try #require(vectors.vector("horse"))) > 0.3)
    }

    /// word2vec text (no counts) and fastText `.bin` (counts, own rows, output rows) work as `--init`.
    @Test func otherFormatsWorkAsInit() throws {
        let setup = try Self.setup()
        let (old, _) = try TrainingJob.run(inputs: [setup.first], vocabularyPath: nil, output: setup.path("old.wpv"), format: .native,
                                           configuration: Self.configuration, options: TrainingOptions(threads: 1))
        try old.write(to: setup.path("old.txt"), format: .word2vecText)
        try old.write(to: setup.path("old.bin"), format: .fasttextBin)
        let text = try InitialVectors.load(path: setup.path("old.txt"))
        #expect(text.format == .word2vecText && !text.hasCounts && text.vocabulary.counts.allSatisfy { $0 == 0 })
        let fasttext = try InitialVectors.load(path: setup.path("old.bin"))
        #expect(fasttext.format == .fasttextBin && fasttext.hasCounts && fasttext.hasOutputWeights)
        #expect(fasttext.ownRows == old.matrix)
        // Training's output rows went into the `.bin` and come back for continued training.
        #expect(old.outputWeights != nil && fasttext.output == old.outputWeights)
        for initial in [text, fasttext] {
            let configuration = try initial.resolve(Self.configuration, dimGiven: true, bucketsGiven: false)
            let (vectors, _) = try TrainingJob.run(inputs: [setup.second], vocabularyPath: nil, output: setup.path("new.wpv"), format: .native,
                                                   configuration: configuration, options: TrainingOptions(threads: 1), initial: initial)
            // `cow` (absent from the new corpus) keeps its count (0 without counts) and its row.
            let cow = try #require(vectors.vocabulary.id(of: "cow"))
            #expect(vectors.vocabulary.counts[Int(cow)] == (initial.hasCounts ? old.vocabulary.counts[Int(old.vocabulary.id(of: "cow")!)] : 0))
            #expect(vectors.vector("cow").map(Array.init) == old.vector("cow").map(Array.init), "\(initial.format)")
            let (newIn, newOut) = Self.separation(vectors, within: Self.newWithin, across: Self.newAcross)
            #expect(newIn > newOut + 0.3, "\(initial.format): within \(newIn), across \(newOut)")
        }
    }

    /// Settings that contradict the file, and a corpus tokenized another way, are refused with
    /// errors naming the file and what to do.
    @Test func contradictionsAreRefused() throws {
        let setup = try Self.setup()
        var first = Self.configuration
        first.subwords = SubwordRange(minn: 3, maxn: 6)
        first.buckets = 5000
        _ = try TrainingJob.run(inputs: [setup.first], vocabularyPath: nil, output: setup.path("old.wpv"), format: .native,
                                configuration: first, options: TrainingOptions(threads: 1))
        let initial = try InitialVectors.load(path: setup.path("old.wpv"))
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let error as EmbeddingError { return error.message(naming: .option) } catch { return "\(error)" }
            return "(no error)"
        }
        var wrongDim = Self.configuration
        wrongDim.dim = 32
        #expect(message { _ = try initial.resolve(wrongDim, dimGiven: true, bucketsGiven: false) }
            .contains("invalid value 32 for --dim: expected the dimension of the --init file \(setup.path("old.wpv")), 16"))
        #expect(try initial.resolve(wrongDim, dimGiven: false, bucketsGiven: false).dim == 16)
        var wrongRange = first
        wrongRange.subwords = SubwordRange(minn: 2, maxn: 5)
        #expect(message { _ = try initial.resolve(wrongRange, dimGiven: true, bucketsGiven: false) }.contains("invalid value 2-5 for --subwords"))
        var wrongBuckets = first
        wrongBuckets.buckets = 4000
        #expect(message { _ = try initial.resolve(wrongBuckets, dimGiven: true, bucketsGiven: true) }.contains("invalid value 4000 for --buckets"))
        #expect(try initial.resolve(wrongBuckets, dimGiven: true, bucketsGiven: false).buckets == 5000)
        // The library refuses a configuration that was not resolved against the file.
        #expect(message {
            _ = try TrainingJob.run(inputs: [setup.second], vocabularyPath: nil, output: setup.path("new.wpv"), format: .native,
                                    configuration: Self.configuration, options: TrainingOptions(threads: 1), initial: initial)
        }.contains("--init file"))
        #expect(!FileManager.default.fileExists(atPath: setup.path("new.wpv")))
        // Another tokenizer configuration.
        var lowercase = TokenizerConfiguration()
        lowercase.lowercase = true
        var tokenized = initial
        tokenized.vocabulary.tokenizer = TokenizerConfiguration()
        let corpus = Vocabulary(words: ["cat"], counts: [3], tokenizer: lowercase)
        #expect(message { _ = try tokenized.merged(with: corpus, configuration: VocabularyConfiguration()) }
            .contains("the corpus was tokenized with another configuration than the --init vectors"))
        // The file's configuration is carried over when the corpus has none.
        #expect(try tokenized.merged(with: Vocabulary(words: ["cat"], counts: [3]), configuration: VocabularyConfiguration()).tokenizer == TokenizerConfiguration())
    }
}
