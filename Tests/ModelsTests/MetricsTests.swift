import Foundation
import Testing
import TestSupport
@testable import Models

/// Chunks and scores, each answer computed by hand (and checked against seqeval 1.2.2 / scikit-learn).
@Suite struct ChunkTests {
    static let cases: [(tags: [String], expected: [Entity])] = [
        // An entity at the sentence end.
        (["O", "B-PER", "I-PER"], [Entity(type: "PER", start: 1, end: 3)]),
        // I- without B-: at the sentence start and after O.
        (["I-PER", "I-PER", "O"], [Entity(type: "PER", start: 0, end: 2)]),
        (["O", "I-LOC", "O"], [Entity(type: "LOC", start: 1, end: 2)]),
        // Adjacent entities of one type.
        (["B-PER", "B-PER"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "PER", start: 1, end: 2)]),
        (["B-PER", "I-PER", "B-PER"], [Entity(type: "PER", start: 0, end: 2), Entity(type: "PER", start: 2, end: 3)]),
        // A type change inside starts a new chunk.
        (["B-PER", "I-LOC"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "LOC", start: 1, end: 2)]),
        (["I-PER", "I-LOC", "I-LOC"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "LOC", start: 1, end: 3)]),
        // IOB1: B- only between two chunks of one type.
        (["I-PER", "I-PER", "B-PER", "I-PER"], [Entity(type: "PER", start: 0, end: 2), Entity(type: "PER", start: 2, end: 4)]),
        // BIOES, including an E- after O and I- after E- (seqeval: a new chunk each).
        (["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "E-ORG", "S-MISC"],
         [Entity(type: "PER", start: 0, end: 1), Entity(type: "LOC", start: 1, end: 4),
          Entity(type: "ORG", start: 5, end: 6), Entity(type: "MISC", start: 6, end: 7)]),
        (["E-PER", "I-PER"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "PER", start: 1, end: 2)]),
        (["B-PER", "E-PER", "I-PER", "E-PER"], [Entity(type: "PER", start: 0, end: 2), Entity(type: "PER", start: 2, end: 4)]),
        // BILOU spellings.
        (["U-PER", "B-LOC", "I-LOC", "L-LOC"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "LOC", start: 1, end: 4)]),
        // IOE: I- ... E- with E- closing.
        (["I-NP", "E-NP", "I-NP", "O", "E-VP"],
         [Entity(type: "NP", start: 0, end: 2), Entity(type: "NP", start: 2, end: 3), Entity(type: "VP", start: 4, end: 5)]),
        // Bare letters and an empty type are seqeval's `_`.
        (["B", "I", "O", "B-"], [Entity(type: "_", start: 0, end: 2), Entity(type: "_", start: 3, end: 4)]),
        // Types with hyphens keep everything after the first one.
        (["B-PER-X", "I-PER-X"], [Entity(type: "PER-X", start: 0, end: 2)]),
        // All O, empty, and part-of-speech tags: no chunks; a non-chunk tag ends one.
        (["O", "O", "O"], []),
        ([], []),
        (["NN", "VBZ", "DT", "."], []),
        (["B-PER", "NN", "I-PER"], [Entity(type: "PER", start: 0, end: 1), Entity(type: "PER", start: 2, end: 3)]),
    ]

    @Test(arguments: cases)
    func entities(tags: [String], expected: [Entity]) {
        #expect(Chunks.entities(tags) == expected)
    }
}

@Suite struct ChunkMetricsTests {
    let gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    let predicted = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-MISC", "B-PER"]]

    /// Gold: PER[0,2) LOC[3,4) | ORG[0,1) PER[2,3). Predicted: PER[0,1) LOC[3,4) | ORG[0,1) MISC[1,2) PER[2,3).
    /// Correct: LOC, ORG, the second PER: 3 of 5 predicted, 3 of 4 gold.
    @Test func microAndPerType() {
        let metrics = ChunkMetrics(gold: gold, predicted: predicted)
        #expect(metrics.micro.correct == 3 && metrics.micro.predicted == 5 && metrics.micro.support == 4)
        #expect(metrics.micro.precision == 0.6)
        #expect(metrics.micro.recall == 0.75)
        #expect(abs(metrics.micro.f1 - 2.0 / 3.0) < 1e-15)
        #expect(metrics.perType["PER"] == PRF(precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2, correct: 1))
        #expect(metrics.perType["LOC"] == PRF(precision: 1, recall: 1, f1: 1, support: 1, predicted: 1, correct: 1))
        #expect(metrics.perType["ORG"] == PRF(precision: 1, recall: 1, f1: 1, support: 1, predicted: 1, correct: 1))
        // Predicted but never gold: listed with zeros, as seqeval's report lists it.
        #expect(metrics.perType["MISC"] == PRF(precision: 0, recall: 0, f1: 0, support: 0, predicted: 1, correct: 0))
        #expect(metrics.types == ["LOC", "MISC", "ORG", "PER"])
        #expect(metrics.tokens == 7)
        #expect(metrics.tokenAccuracy == 5.0 / 7.0)
    }

    @Test func entityAtSentenceEndMustMatchBothBoundaries() {
        let metrics = ChunkMetrics(gold: [["O", "B-LOC", "I-LOC"]], predicted: [["O", "O", "I-LOC"]])
        // Predicted LOC[2,3) against gold LOC[1,3): wrong start.
        #expect(metrics.micro.correct == 0 && metrics.micro.predicted == 1 && metrics.micro.support == 1)
        #expect(metrics.micro.f1 == 0)
    }

    @Test func iWithoutBMatchesWhenBoundariesDo() {
        let metrics = ChunkMetrics(gold: [["B-PER", "I-PER", "O", "B-LOC"]], predicted: [["I-PER", "I-PER", "O", "I-LOC"]])
        #expect(metrics.micro.precision == 1 && metrics.micro.recall == 1 && metrics.micro.f1 == 1)
        #expect(metrics.tokenAccuracy == 0.5)
    }

    @Test func adjacentSameTypeEntitiesAreNotMerged() {
        let metrics = ChunkMetrics(gold: [["B-PER", "B-PER"]], predicted: [["B-PER", "I-PER"]])
        // Gold PER[0,1) PER[1,2); predicted PER[0,2).
        #expect(metrics.micro.correct == 0 && metrics.micro.predicted == 1 && metrics.micro.support == 2)
    }

    @Test func typeChangeInsideSplits() {
        let metrics = ChunkMetrics(gold: [["B-PER", "I-PER", "O"]], predicted: [["B-PER", "I-LOC", "O"]])
        // Predicted PER[0,1) and LOC[1,2), neither matches PER[0,2).
        #expect(metrics.micro.correct == 0 && metrics.micro.predicted == 2 && metrics.micro.support == 1)
        #expect(metrics.perType["LOC"]?.predicted == 1 && metrics.perType["LOC"]?.support == 0)
    }

    @Test func bioes() {
        let gold = [["S-PER", "O", "B-ORG", "I-ORG", "E-ORG"]]
        let predicted = [["S-PER", "O", "B-ORG", "E-ORG", "S-ORG"]]
        let metrics = ChunkMetrics(gold: gold, predicted: predicted)
        #expect(metrics.micro.correct == 1 && metrics.micro.predicted == 3 && metrics.micro.support == 2)
        #expect(metrics.perType["ORG"] == PRF(precision: 0, recall: 0, f1: 0, support: 1, predicted: 2, correct: 0))
        #expect(metrics.perType["PER"] == PRF(precision: 1, recall: 1, f1: 1, support: 1, predicted: 1, correct: 1))
    }

    @Test func allO() {
        let metrics = ChunkMetrics(gold: [["O", "O"], ["O"]], predicted: [["O", "O"], ["O"]])
        #expect(metrics.micro == PRF(precision: 0, recall: 0, f1: 0, support: 0, predicted: 0, correct: 0))
        #expect(metrics.perType.isEmpty)
        #expect(metrics.tokenAccuracy == 1 && metrics.tokens == 3)
    }

    @Test func emptyPredictions() {
        let metrics = ChunkMetrics(gold: [["B-PER", "I-PER", "O", "B-LOC"]], predicted: [["O", "O", "O", "O"]])
        #expect(metrics.micro == PRF(precision: 0, recall: 0, f1: 0, support: 2, predicted: 0, correct: 0))
        #expect(metrics.perType["PER"] == PRF(precision: 0, recall: 0, f1: 0, support: 1, predicted: 0, correct: 0))
        #expect(metrics.tokenAccuracy == 0.25)
    }

    @Test func noSentences() {
        let metrics = ChunkMetrics(gold: [], predicted: [])
        #expect(metrics.tokens == 0 && metrics.tokenAccuracy == 0 && metrics.micro.f1 == 0)
    }

    @Test func partOfSpeechTagsScoreTokenAccuracyOnly() {
        let metrics = ChunkMetrics(gold: [["DT", "NN", "VBZ"]], predicted: [["DT", "VB", "VBZ"]])
        #expect(metrics.micro.support == 0 && metrics.micro.predicted == 0 && metrics.perType.isEmpty)
        #expect(metrics.tokenAccuracy == 2.0 / 3.0)
        #expect(TokenAccuracy(gold: [["DT", "NN", "VBZ"]], predicted: [["DT", "VB", "VBZ"]])
                == TokenAccuracy.init(gold: [["DT", "NN", "VBZ"]], predicted: [["DT", "VB", "VBZ"]]))
        let accuracy = TokenAccuracy(gold: [["DT", "NN", "VBZ"]], predicted: [["DT", "VB", "VBZ"]])
        #expect(accuracy.correct == 2 && accuracy.tokens == 3)
    }

    @Test func conllevalReport() {
        let report = ChunkMetrics(gold: gold, predicted: predicted).report()
        #expect(report == """
            processed 7 tokens with 4 phrases; found: 5 phrases; correct: 3.
            accuracy:  71.43%; precision:  60.00%; recall:  75.00%; FB1:  66.67
                          LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1
                         MISC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
                          ORG: precision: 100.00%; recall: 100.00%; FB1: 100.00  1
                          PER: precision:  50.00%; recall:  50.00%; FB1:  50.00  2

            """)
    }

    @Test func jsonHasSnakeCaseSortedKeys() throws {
        let text = try ChunkMetrics(gold: [["B-PER", "O"]], predicted: [["B-PER", "O"]]).jsonString()
        #expect(text == #"{"micro":{"correct":1,"f1":1,"precision":1,"predicted":1,"recall":1,"support":1},"#
                + #""per_type":{"PER":{"correct":1,"f1":1,"precision":1,"predicted":1,"recall":1,"support":1}},"#
                + #""token_accuracy":1,"tokens":2}"#)
        let decoded = try JSONDecoder().decode(ChunkMetrics.self, from: Data(text.utf8))
        #expect(decoded == ChunkMetrics(gold: [["B-PER", "O"]], predicted: [["B-PER", "O"]]))
    }
}

@Suite struct ClassificationMetricsTests {
    /// gold a a b c c c, predicted a b b c a d: labels a b c d;
    /// a: tp 1 of 2 gold, 2 predicted (P .5 R .5 F .5); b: 1 of 1, 2 predicted (P .5 R 1 F 2/3);
    /// c: 1 of 3, 1 predicted (P 1 R 1/3 F .5); d: 0 of 0, 1 predicted (0 0 0). Macro F1 = (5/3)/4 = 5/12.
    @Test func smallCase() {
        let metrics = ClassificationMetrics(gold: ["a", "a", "b", "c", "c", "c"], predicted: ["a", "b", "b", "c", "a", "d"])
        #expect(metrics.labels == ["a", "b", "c", "d"])
        #expect(metrics.confusion == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]])
        #expect(metrics.accuracy == 0.5)
        #expect(abs(metrics.macroF1 - 5.0 / 12.0) < 1e-15)
        #expect(metrics.perClass["a"] == PRF(precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2, correct: 1))
        #expect(metrics.perClass["b"]?.recall == 1 && abs((metrics.perClass["b"]?.f1 ?? 0) - 2.0 / 3.0) < 1e-15)
        #expect(metrics.perClass["c"]?.precision == 1 && metrics.perClass["c"]?.f1 == 0.5)
        #expect(metrics.perClass["d"] == PRF(precision: 0, recall: 0, f1: 0, support: 0, predicted: 1, correct: 0))
    }

    @Test func empty() {
        let metrics = ClassificationMetrics(gold: [], predicted: [])
        #expect(metrics.accuracy == 0 && metrics.macroF1 == 0 && metrics.labels.isEmpty && metrics.confusion.isEmpty)
    }

    @Test func jsonKeys() throws {
        let text = try ClassificationMetrics(gold: ["x"], predicted: ["x"]).jsonString()
        #expect(text.contains(#""macro_f1":1"#) && text.contains(#""per_class":{"x":"#) && text.contains(#""confusion":[[1]]"#))
    }
}

@Suite struct PredictionsFileTests {
    @Test func parsesTheConllevalLayout() throws {
        let text = "-DOCSTART- -X- O O\n\nEU NNP B-ORG B-ORG\nrejects VBZ O O\r\nGerman JJ B-MISC B-LOC\n \n\nPeter\tNNP\tB-PER\tI-PER\n"
        let contents = try PredictionsFile.parse(text, path: "p.txt")
        #expect(contents.gold == [["B-ORG", "O", "B-MISC"], ["B-PER"]])
        #expect(contents.predicted == [["B-ORG", "O", "B-LOC"], ["I-PER"]])
    }

    @Test func docstartEndsASentence() throws {
        let contents = try PredictionsFile.parse("a B-PER B-PER\n-DOCSTART- O O\nb O O\n", path: "p")
        #expect(contents.gold == [["B-PER"], ["O"]])
    }

    @Test func tooFewColumnsNamesTheLine() {
        #expect(throws: PredictionsFileError.tooFewColumns(location: .init(path: "p.txt", line: 3), found: 1)) {
            try PredictionsFile.parse("a O O\n\nB-PER\n", path: "p.txt")
        }
        let error = PredictionsFileError.tooFewColumns(location: .init(path: "p.txt", line: 3), found: 1)
        #expect(error.description.hasPrefix("p.txt:3: "))
    }

    @Test func columnCountMustStayWithinASentence() throws {
        #expect(throws: PredictionsFileError.columnCountChanged(location: .init(path: "p", line: 2), found: 3, expected: 4, firstLine: 1)) {
            try PredictionsFile.parse("a NN O O\nb O O\n", path: "p")
        }
        // A new sentence may have another column count.
        let contents = try PredictionsFile.parse("a NN O O\n\nb O O\n", path: "p")
        #expect(contents.gold.count == 2)
    }

    @Test func missingFile() {
        #expect(throws: PredictionsFileError.self) { try PredictionsFile.score(path: "/nonexistent/p.txt") }
        do {
            _ = try PredictionsFile.score(path: "/nonexistent/p.txt")
        } catch {
            #expect("\(error)".hasPrefix("/nonexistent/p.txt: cannot read: "))
        }
    }

    @Test func scoresAFile() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("predictions.txt").path
        try Data("x B-PER B-PER\ny I-PER O\n\nz B-LOC B-LOC\n".utf8).write(to: URL(fileURLWithPath: path))
        let metrics = try PredictionsFile.score(path: path)
        #expect(metrics.micro.correct == 1 && metrics.micro.predicted == 2 && metrics.micro.support == 2)
        #expect(metrics.tokens == 3)
    }

    /// The gold tags of CoNLL-2003 valid scored against themselves: every chunk found, every type.
    @Test(.enabled(if: SharedData.exists("ner/conll2003/valid.txt"), SharedData.missing("ner/conll2003/valid.txt")))
    func conll2003ValidAgainstItself() throws {
        // The file has two columns, word and tag: its "predicted" column is the gold tag.
        let tags = try PredictionsFile.read(path: SharedData.path("ner/conll2003/valid.txt")).predicted
        let metrics = ChunkMetrics(gold: tags, predicted: tags)
        #expect(metrics.micro.f1 == 1 && metrics.tokenAccuracy == 1)
        #expect(metrics.types == ["LOC", "MISC", "ORG", "PER"])
        // The CoNLL-2003 development set's published count (Tjong Kim Sang and De Meulder 2003).
        #expect(metrics.micro.support == 5942)
    }
}
