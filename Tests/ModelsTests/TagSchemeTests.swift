import Corpora
import Foundation
import Recurrent
import TestSupport
import Testing
@testable import Models

/// `tag_scheme: bioes`: BIOES training labels and CRF constraints, IOB2 out.
@Suite struct TagSchemeTests {
    @Test("IOB2 → BIOES → IOB2 gives the tags back, and each BIOES label maps to its IOB2 label")
    func roundTrip() {
        let sequences: [[String]] = [
            ["B-PER", "I-PER", "O", "B-LOC", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC"],
            ["B-MISC"], ["O", "O"], ["B-ORG", "I-ORG", "B-PER", "I-PER"], [],
        ]
        for tags in sequences {
            let bioes = TagSchemes.toBIOES(tags)
            #expect(TagSchemes.fromBIOES(bioes) == tags)
            #expect(bioes.map(Tagger.iob2Label) == tags)
        }
        #expect(TagSchemes.toBIOES(sequences[0]) == ["B-PER", "E-PER", "O", "S-LOC", "O", "S-LOC", "B-LOC", "I-LOC", "E-LOC"])
    }

    static func train(scheme: TrainingTagScheme, crf: Bool = true) throws -> TaggerTrainingResult {
        try TaggerLearningTests().train(crf: crf, scheme: scheme)
    }

    /// Whether `tags` is valid IOB2: only `O`, `B-X` and `I-X`, each `I-X` after `B-X` or `I-X`.
    static func isValidIOB2(_ tags: [String]) -> Bool {
        var previous = "O"
        for tag in tags {
            if tag.hasPrefix("I-") {
                let type = tag.dropFirst(2)
                guard previous == "B-\(type)" || previous == "I-\(type)" else { return false }
            } else if tag != "O" && !tag.hasPrefix("B-") {
                return false
            }
            previous = tag
        }
        return true
    }

    @Test("a BIOES-trained BiLSTM-CRF learns, and its IOB2 output is always valid")
    func bioesCRFLearns() throws {
        let result = try Self.train(scheme: .bioes)
        #expect(result.tagger.isChunking && result.tagger.isBIOES)
        // The synthetic data has one-token (Mary, Paris) and two-token (John Smith, New York) entities.
        #expect(result.tagger.labels == ["B-LOC", "B-PER", "E-LOC", "E-PER", "O", "S-LOC", "S-PER"])
        #expect(result.tagger.outputLabels == ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"])
        #expect(result.dev.main >= 0.9, "dev F1 \(result.dev.main)")
        let sentences = [["John", "Smith", "went", "to", "New", "York"], ["Mary", "saw", "Paris"],
                         ["Oslo", "Oslo", "unknownword", "York"], ["York"], ["Smith", "New", "Lee", "zzz"], ["New"]]
        let tagged = result.tagger.tag(sentences)
        for tags in tagged { #expect(Self.isValidIOB2(tags), "\(tags)") }
        #expect(tagged[0] == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"])
        #expect(tagged[1] == ["B-PER", "O", "B-LOC"])
    }

    @Test("the model file records the scheme; a file without the key is an iob2 model")
    func modelFile() throws {
        let directory = try SharedData.temporaryDirectory()
        let bioes = try Self.train(scheme: .bioes)
        let path = directory.appendingPathComponent("bioes.wpm").path
        try bioes.tagger.save(to: path, record: bioes.record)
        #expect(try ModelFile.header(of: Tagger.self, json: ModelFile.read(path).json, path: path).task.fields.configuration.tagScheme == .bioes)
        let loaded = try Tagger.load(from: path).tagger
        #expect(loaded.isBIOES && loaded.labels == bioes.tagger.labels)
        let sentences = [["John", "Smith", "went", "to", "Rome"], ["Mary", "saw", "New", "York", "today"]]
        #expect(loaded.tag(sentences) == bioes.tagger.tag(sentences))
        let test = try Synthetic.file(Synthetic.conll(count: 40, seed: 3), name: "test.txt")
        #expect(try TaggerTraining.evaluate(loaded, path: test).main >= 0.9)

        // An iob2 model's header has no tag_scheme key: it is written as before the key existed, and read as iob2.
        let iob2 = try Self.train(scheme: .iob2, crf: false)
        let iob2Path = directory.appendingPathComponent("iob2.wpm").path
        try iob2.tagger.save(to: iob2Path, record: iob2.record)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: iob2Path))
        #expect(bytes.range(of: Data("tag_scheme".utf8)) == nil)
        #expect(bytes.range(of: Data("word_dropout".utf8)) == nil)
        let reloaded = try Tagger.load(from: iob2Path).tagger
        #expect(reloaded.configuration.tagScheme == .iob2 && !reloaded.isBIOES)
        #expect(reloaded.tag(sentences) == iob2.tagger.tag(sentences))
    }

    @Test("on tags that are not chunk tags, bioes changes nothing")
    func plainTags() throws {
        let text = "the DET\ncat NOUN\nruns VERB\n\na DET\ndog NOUN\nsleeps VERB\n"
        let train = try Synthetic.file(String(repeating: text + "\n", count: 10), name: "pos.txt")
        var configuration = TaggerConfiguration()
        configuration.tagScheme = .bioes
        configuration.encoder = Synthetic.settings(epochs: 3)
        let result = try TrainingLoop.train(Tagger.self, trainPath: train, devPath: train, vectorsPath: nil, configuration: configuration, threads: 1, log: { _ in })
        #expect(!result.tagger.isChunking && !result.tagger.isBIOES)
        #expect(result.tagger.labels == ["DET", "NOUN", "VERB"] && result.tagger.outputLabels == result.tagger.labels)
    }
}

/// `word_dropout`: training tokens read as `<unk>` with a probability.
@Suite struct WordDropoutTests {
    static func encoder(wordDropout: Double, seed: UInt64 = 7) -> WordEncoder {
        var settings = Synthetic.settings()
        settings.wordDropout = wordDropout
        return WordEncoder(initial: Matrix<Float>(rows: 50, columns: 4), settings: settings, characterKind: .none, alphabetSize: 2, seed: seed)
    }

    static let ids: [[Int32]] = (0..<200).map { sentence in (0..<25).map { Int32(2 + ($0 + sentence) % 48) } }

    @Test("about p of the tokens become <unk>, the same ones for the same seed; p = 0 changes nothing")
    func replacesAboutP() {
        let dropped = Self.encoder(wordDropout: 0.2).droppingWords(Self.ids)
        let again = Self.encoder(wordDropout: 0.2).droppingWords(Self.ids)
        #expect(dropped == again)
        #expect(dropped != Self.encoder(wordDropout: 0.2, seed: 8).droppingWords(Self.ids))
        let total = Self.ids.joined().count
        var unknown = 0
        for (original, result) in zip(Self.ids, dropped) {
            #expect(original.count == result.count)
            for (a, b) in zip(original, result) {
                if b == WordEncoder.unknownID { unknown += 1 } else { #expect(a == b) }
            }
        }
        // 5,000 tokens: the standard deviation of the rate is 0.0057, so 0.17–0.23 is over 5 of them.
        let rate = Double(unknown) / Double(total)
        #expect(rate > 0.17 && rate < 0.23, "rate \(rate)")
        #expect(Self.encoder(wordDropout: 0).droppingWords(Self.ids) == Self.ids)
    }

    @Test("word dropout acts in training only")
    func trainingOnly() {
        let encoder = Self.encoder(wordDropout: 0.5)
        let ids = Array(Self.ids.prefix(4))
        #expect(encoder.forward(ids: ids, characters: nil, training: false).tokens.ids == TokenBatch(sequences: ids).ids)
        #expect(encoder.forward(ids: ids, characters: nil, training: true).tokens.ids != TokenBatch(sequences: ids).ids)
    }

    /// Trains a tagger on the synthetic data (no vectors: every training token has its own row).
    static func train(wordDropout: Double) throws -> TaggerTrainingResult {
        let train = try Synthetic.file(Synthetic.conll(count: 60, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 20, seed: 2), name: "dev.txt")
        var configuration = TaggerConfiguration()
        configuration.encoder = Synthetic.settings(epochs: 3)
        configuration.encoder.wordDropout = wordDropout
        return try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration, threads: 1, log: { _ in })
    }

    @Test("the <unk> row trains only with word dropout; 0 is the training of before, bit for bit")
    func unknownRowLearns() throws {
        let settings = Synthetic.settings(epochs: 3)
        let train = try Synthetic.file(Synthetic.conll(count: 60, seed: 1), name: "train.txt")
        let tokens = try TaggedFile.read(path: train, format: .conll, tagColumn: nil).sentences.map(\.tokens)
        let initial = WordTable.build(trainingTokens: tokens, vectors: nil, dim: settings.dim, seed: settings.seed).matrix
        let off = try Self.train(wordDropout: 0), on = try Self.train(wordDropout: 0.1)
        #expect(Array(off.tagger.encoder.embedding.weight.value.row(1)) == Array(initial.row(1)))
        #expect(Array(on.tagger.encoder.embedding.weight.value.row(1)) != Array(initial.row(1)))
        // Off, training draws nothing from the word-dropout generator: runs repeat bit for bit (the
        // weights of before word dropout existed are pinned in BatchParallelTrainingTests.oneThreadUnchanged).
        let again = try Self.train(wordDropout: 0)
        #expect(BatchParallelTrainingTests.fingerprint(again.tagger.allParameters) == BatchParallelTrainingTests.fingerprint(off.tagger.allParameters))
    }
}

@Suite struct TagSchemeConfigurationTests {
    @Test("settings without the new keys decode to iob2 and no word dropout; with them they round-trip")
    func defaults() throws {
        let old = try JSONDecoder().decode(TaggerConfiguration.self, from: Data(#"{"hidden": 64, "crf": true, "char_features": "none"}"#.utf8))
        #expect(old.tagScheme == .iob2 && old.encoder.wordDropout == 0)
        let encoded = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        #expect(!encoded.contains("tag_scheme") && !encoded.contains("word_dropout"), "\(encoded)")
        let new = try JSONDecoder().decode(TaggerConfiguration.self, from: Data(#"{"tag_scheme": "bioes", "word_dropout": 0.05}"#.utf8))
        #expect(new.tagScheme == .bioes && new.encoder.wordDropout == 0.05)
        #expect(try JSONDecoder().decode(TaggerConfiguration.self, from: try JSONEncoder().encode(new)) == new)
        let classifier = try JSONDecoder().decode(ClassifierConfiguration.self, from: Data(#"{"word_dropout": 0.1}"#.utf8))
        #expect(classifier.encoder.wordDropout == 0.1)
    }

    @Test("bad values are rejected naming the key", arguments: [
        (#"{"word_dropout": 1.5}"#, "word_dropout"), (#"{"word_dropout": -0.1}"#, "word_dropout"),
        (#"{"word_dropout": 1}"#, "word_dropout"), (#"{"tag_scheme": "bilou"}"#, "tag_scheme"),
        (#"{"tag_schme": "bioes"}"#, "did you mean 'tag_scheme'"),
    ])
    func badValues(json: String, key: String) throws {
        do {
            _ = try JSONDecoder().decode(TaggerConfiguration.self, from: Data(json.utf8))
            Issue.record("\(json) was accepted")
        } catch {
            #expect("\(error)".contains(key), "\(error)")
        }
    }
}
