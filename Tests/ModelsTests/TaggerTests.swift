import Corpora
import Embeddings
import Foundation
import Recurrent
import TestSupport
import Tokenization
import Vocabulary
import WordPipeSupport
@testable import Models

/// Synthetic labeled data whose tags follow from the words, so a small model must learn them.
enum Synthetic {
    static let people = [["John", "Smith"], ["Mary"], ["Ann", "Lee"], ["Paul"]]
    static let places = [["Paris"], ["New", "York"], ["Rome"], ["Oslo"]]
    static let fillers = ["the", "man", "went", "to", "and", "saw", "in", "a", "city", "with", "friends", "today"]

    /// `count` CoNLL sentences: fillers, one person (B-PER I-PER…) and one place (B-LOC I-LOC…).
    static func conll(count: Int, seed: UInt64) -> String {
        var generator = SeededGenerator(seed: seed)
        var text = "-DOCSTART- O\n\n"
        for _ in 0..<count {
            var tokens: [(String, String)] = []
            func fill() { for _ in 0..<(1 + generator.nextIndex(below: 3)) { tokens.append((fillers[generator.nextIndex(below: fillers.count)], "O")) } }
            func entity(_ words: [String], _ type: String) {
                for (index, word) in words.enumerated() { tokens.append((word, (index == 0 ? "B-" : "I-") + type)) }
            }
            fill()
            entity(people[generator.nextIndex(below: people.count)], "PER")
            fill()
            entity(places[generator.nextIndex(below: places.count)], "LOC")
            if generator.nextIndex(below: 2) == 0 { fill() }
            text += tokens.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n\n"
        }
        return text
    }

    /// Writes `text` to a new temporary file.
    static func file(_ text: String, name: String) throws -> String {
        let path = try SharedData.temporaryDirectory().appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Small, fast settings.
    static func settings(epochs: Int = 15) -> EncoderSettings {
        var settings = EncoderSettings()
        settings.hidden = 16
        settings.dim = 16
        settings.epochs = epochs
        settings.patience = epochs
        settings.batch = 8
        settings.dropout = 0.1
        settings.lr = 0.02
        return settings
    }
}

@Suite struct TaggerLearningTests {
    func train(crf: Bool, characters: CharacterFeatureKind = .none, cell: CellKind = .lstm,
               scheme: TrainingTagScheme = .iob2) throws -> TaggerTrainingResult {
        let train = try Synthetic.file(Synthetic.conll(count: 120, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 40, seed: 2), name: "dev.txt")
        var configuration = TaggerConfiguration()
        configuration.crf = crf
        configuration.charFeatures = characters
        configuration.tagScheme = scheme
        configuration.encoder = Synthetic.settings()
        configuration.encoder.cell = cell
        return try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration, threads: 1, log: { _ in })
    }

    @Test("a BiLSTM-CRF learns entities that follow from the words", arguments: [true, false])
    func learns(crf: Bool) throws {
        let result = try train(crf: crf)
        #expect(result.tagger.isChunking)
        #expect(result.dev.main >= 0.9, "dev F1 \(result.dev.main)")
        #expect(result.record.bestEpoch >= 1 && result.record.bestEpoch <= result.record.epochs)
    }

    @Test("character features and a GRU train too")
    func characterFeatures() throws {
        let result = try train(crf: true, characters: .cnn, cell: .gru)
        #expect(result.dev.main >= 0.9, "dev F1 \(result.dev.main)")
    }

    @Test("the CRF never predicts an I- tag that does not continue its type")
    func constrainedDecoding() throws {
        let result = try train(crf: true)
        // Untrained-looking input: words never seen, in odd orders.
        let sentences = [["Oslo", "Oslo", "unknownword", "York"], ["York"], ["Smith", "New", "Lee", "zzz"]]
        for tags in result.tagger.tag(sentences) {
            var previous = "O"
            for tag in tags {
                if tag.hasPrefix("I-") {
                    let type = tag.dropFirst(2)
                    #expect(previous == "B-\(type)" || previous == "I-\(type)", "\(tags)")
                }
                previous = tag
            }
        }
    }

    @Test("model files round-trip and refuse other files with the reason")
    func modelFile() throws {
        let result = try train(crf: true)
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("tagger.wpm").path
        try result.tagger.save(to: path, record: result.record)
        let (loaded, record) = try Tagger.load(from: path)
        let sentences = [["John", "Smith", "went", "to", "Rome"], ["Mary", "saw", "New", "York", "today"]]
        #expect(loaded.tag(sentences) == result.tagger.tag(sentences))
        #expect(record == result.record)
        #expect(loaded.labels == result.tagger.labels)
        #expect(try ModelFile.task(of: path) == "tagger")

        #expect(throws: ModelError.self) { try Classifier.load(from: path) }
        do {
            _ = try Classifier.load(from: path)
        } catch {
            #expect("\(error)".contains("tagger model, not a classifier"))
        }
        // Truncated and foreign files.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let truncated = directory.appendingPathComponent("truncated.wpm").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: ModelError.self) { try Tagger.load(from: truncated) }
        // A hand-edited header (the first word no longer <pad>) is refused, not trusted.
        var edited = [UInt8](bytes)
        let pad = Array("\"<pad>\"".utf8)
        if let at = (0...(edited.count - pad.count)).first(where: { Array(edited[$0 ..< $0 + pad.count]) == pad }) {
            edited.replaceSubrange(at ..< at + pad.count, with: Array("\"<PAD>\"".utf8))
        }
        // Sealed again with a matching header checksum (offset 24: over bytes 0 ..< 24 and the JSON from 28).
        let jsonLength = Int(UInt64(littleEndian: edited[12 ..< 20].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        let sealed = CRC32C.checksum(of: edited[28 ..< 28 + jsonLength], continuing: CRC32C.checksum(of: edited[0 ..< 24]))
        withUnsafeBytes(of: sealed.littleEndian) { edited.replaceSubrange(24 ..< 28, with: $0) }
        let editedPath = directory.appendingPathComponent("edited.wpm").path
        try Data(edited).write(to: URL(fileURLWithPath: editedPath))
        do {
            _ = try Tagger.load(from: editedPath)
            Issue.record("an edited header was accepted")
        } catch {
            #expect("\(error)".contains("do not start with <pad>, <unk>"))
        }
        let foreign = directory.appendingPathComponent("foreign.wpm").path
        try Data("not a model at all, just some text\n".utf8).write(to: URL(fileURLWithPath: foreign))
        do {
            _ = try Tagger.load(from: foreign)
            Issue.record("a text file loaded as a model")
        } catch {
            #expect("\(error)".contains("this is plain text (its first line begins \"not a model at all, just some text\"), not a WordPipe model file"), "\(error)")
        }
    }

    @Test("evaluation names the line of a label the model does not know")
    func unknownLabel() throws {
        let result = try train(crf: false)
        let test = try Synthetic.file("John B-PER\nvisits O\nMars B-PLANET\n", name: "test.txt")
        do {
            _ = try TaggerTraining.evaluate(result.tagger, path: test)
            Issue.record("an unknown label was accepted")
        } catch {
            #expect("\(error)".contains("\(test):3: label 'B-PLANET'"))
        }
    }
}

@Suite struct WordTableTests {
    /// Vectors over case-folded words, with the tokenizer configuration that made them.
    func vectors() -> WordVectors {
        var configuration = TokenizerConfiguration()
        configuration.normalize = .nfkcCasefold
        let vocabulary = Vocabulary(words: ["eu", "paris", "the"], counts: [5, 4, 3], tokenizer: configuration)
        return WordVectors(vocabulary: vocabulary, dim: 2, matrix: [1, 0, 0, 1, 0.5, 0.5])
    }

    @Test("tokens are looked up as written, then under the vectors' normalization, else <unk>")
    func lookup() throws {
        let built = WordTable.build(trainingTokens: [["EU", "rejects", "Paris"]], vectors: vectors(), dim: 2, seed: 1)
        let table = built.table
        #expect(Array(table.words.prefix(5)) == ["<pad>", "<unk>", "EU", "rejects", "Paris"])
        #expect(table.words.contains("eu") && table.words.contains("the"))
        let lookup = table.lookup()
        #expect(lookup("EU") == table.exactID("EU"))
        #expect(lookup("THE") == table.exactID("the"))  // not a training token: found through case folding
        #expect(lookup("Mars") == 1)
        // Vectors without a tokenizer configuration (GloVe, word2vec files): the lower-cased token, as NCRF++.
        let plain = WordVectors(vocabulary: Vocabulary(words: ["eu", "the"], counts: [2, 1]), dim: 2, matrix: [1, 0, 0, 1])
        let plainTable = WordTable.build(trainingTokens: [["EU"]], vectors: plain, dim: 2, seed: 1)
        #expect(plainTable.typesWithVectors == 1)
        #expect(plainTable.table.lookup()("THE") == plainTable.table.exactID("the"))
        // A training token starts from the vector of its key; one without a vector is random.
        let eu = Int(try #require(table.exactID("EU")))
        #expect(Array(built.matrix.row(eu)) == [1, 0])
        #expect(built.typesWithVectors == 2 && built.trainingTypes == 3)
        // <pad> is zero, <unk> the mean vector.
        #expect(Array(built.matrix.row(0)) == [0, 0])
        #expect(Array(built.matrix.row(1)) == [0.5, 0.5])
    }

    @Test("with subword vectors, a training type without a vector starts from the mean of its key's n-gram rows")
    func ngramRows() throws {
        var withSubwords = vectors()
        // 8 buckets of dim 2, row r = (r, -r): the mean of a word's rows is fixed by its n-grams.
        let buckets = 8
        let subwords = SubwordVectors(range: SubwordRange(minn: 3, maxn: 4), buckets: buckets,
                                      matrix: (0..<buckets).flatMap { [Float($0), -Float($0)] })
        withSubwords.subwords = subwords
        let built = WordTable.build(trainingTokens: [["EU", "Rejects", "Paris"]], vectors: withSubwords, dim: 2, seed: 1)
        let rejects = Int(try #require(built.table.exactID("Rejects")))
        // Looked up under the vectors' normalization (case folded), as vector words are.
        let expected = try #require(subwords.vector(for: "rejects", dim: 2))
        #expect(Array(built.matrix.row(rejects)) == expected)
        #expect(built.typesWithVectors == 3 && built.typesWithNgrams == 1)
        #expect(built.table.fromVectors?[rejects] == true)
        // Without subwords the same type is random (and counted as without a vector).
        let plain = WordTable.build(trainingTokens: [["EU", "Rejects", "Paris"]], vectors: vectors(), dim: 2, seed: 1)
        #expect(plain.typesWithVectors == 2 && plain.typesWithNgrams == 0)
        #expect(Array(plain.matrix.row(rejects)) != expected)
    }

    @Test("the OOV rate counts tokens whose key is not among the vector words")
    func oov() throws {
        let built = WordTable.build(trainingTokens: [["EU", "rejects"]], vectors: vectors(), dim: 2, seed: 1)
        let rate = try #require(built.table.vectorOOVRate([["EU", "rejects", "Paris"], ["the", "x"]]))
        #expect(abs(rate - 2.0 / 5.0) < 1e-12)
        #expect(WordTable.build(trainingTokens: [["EU"]], vectors: nil, dim: 2, seed: 1).table.vectorOOVRate([["EU"]]) == nil)
    }
}

@Suite struct ConfigurationTests {
    @Test("pipeline settings decode with defaults, reject unknown keys and bad values")
    func decoding() throws {
        let decoded = try JSONDecoder().decode(TaggerConfiguration.self, from: Data(#"{"hidden": 64, "crf": false, "char_features": "cnn"}"#.utf8))
        #expect(decoded.encoder.hidden == 64 && !decoded.crf && decoded.charFeatures == .cnn)
        #expect(decoded.encoder.epochs == 50 && decoded.encoder.dropout == 0.5 && decoded.encoder.learningRate == 0.001)
        let roundTrip = try JSONDecoder().decode(TaggerConfiguration.self, from: try JSONEncoder().encode(decoded))
        #expect(roundTrip == decoded)
        do {
            _ = try JSONDecoder().decode(TaggerConfiguration.self, from: Data(#"{"hiden": 64}"#.utf8))
            Issue.record("unknown key accepted")
        } catch {
            #expect("\(error)".contains("did you mean 'hidden'"))
        }
        #expect(throws: ModelError.self) { try JSONDecoder().decode(ClassifierConfiguration.self, from: Data(#"{"layers": 9}"#.utf8)) }
    }
}
