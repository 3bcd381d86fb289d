import Foundation
import Testing
import TestSupport
import WordPipeSupport

@testable import Corpora

// Token-labeled data (CoNLL, CoNLL-U), classification data (TSV, fastText) and tag schemes.

/// Runs `body`, expecting a `LabeledDataError` whose message contains `fragment`.
private func expectError(_ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as LabeledDataError {
        #expect(error.description.contains(fragment), "\(error.description)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("LabeledData.CoNLL")
struct LabeledDataCoNLLTests {
    static let sample = "-DOCSTART- O \n\nEU B-ORG \nrejects O \nGerman B-MISC \n\nPeter B-PER\nBlackburn I-PER\n"

    @Test func parsesSentencesSkippingDocstartAndTrailingSpaces() throws {
        let file = try TaggedFile.parse(Self.sample, name: "t.txt", format: .conll)
        #expect(file.sentences == [
            TaggedSentence(tokens: ["EU", "rejects", "German"], tags: ["B-ORG", "O", "B-MISC"], lines: [3, 4, 5]),
            TaggedSentence(tokens: ["Peter", "Blackburn"], tags: ["B-PER", "I-PER"], lines: [7, 8]),
        ])
        #expect(file.tagColumn == 2)
        #expect(file.lines.count == 8)
        #expect(file.lines[0] == "-DOCSTART- O ")
    }

    @Test func docstartEndsASentenceWithoutBlankLine() throws {
        let file = try TaggedFile.parse("a X\n-DOCSTART- -X- O\nb Y\n", name: "t", format: .conll)
        #expect(file.sentences.map(\.tokens) == [["a"], ["b"]])
    }

    @Test func choosesTheTagColumn() throws {
        let text = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\r\n"
        let last = try TaggedFile.parse(text, name: "t", format: .conll)
        #expect(last.sentences[0].tags == ["B-ORG", "O"])
        #expect(last.tagColumn == 4)
        let pos = try TaggedFile.parse(text, name: "t", format: .conll, tagColumn: 2)
        #expect(pos.sentences[0].tags == ["NNP", "VBZ"])
        #expect(pos.tagColumn == 2)
    }

    @Test func tokensOnlyWhenTagsAreNotRequired() throws {
        let file = try TaggedFile.parse("Peter\nBlackburn\n\nHi\n", name: "t", format: .conll, requireTags: false)
        #expect(file.sentences == [
            TaggedSentence(tokens: ["Peter", "Blackburn"], tags: [], lines: [1, 2]),
            TaggedSentence(tokens: ["Hi"], tags: [], lines: [4]),
        ])
        #expect(file.tagColumn == 0)
    }

    @Test func errorsNameTheLine() {
        expectError("t.txt:3: expected 2 columns as on line 2, found 3") {
            _ = try TaggedFile.parse("\na O\nb O O\n", name: "t.txt", format: .conll)
        }
        expectError("t.txt:2: no tag column") {
            _ = try TaggedFile.parse("\nalone\n", name: "t.txt", format: .conll)
        }
        expectError("t.txt:1: tag column 3 is beyond the line's 2 columns") {
            _ = try TaggedFile.parse("a O\n", name: "t.txt", format: .conll, tagColumn: 3)
        }
        expectError("invalid tag column 1 for conll") {
            _ = try TaggedFile.parse("a O\n", name: "t.txt", format: .conll, tagColumn: 1)
        }
        expectError("t.txt:2: not valid UTF-8") {
            let bytes: [UInt8] = Array("a O\nb".utf8) + [0xFF] + Array(" O\n".utf8)
            _ = try TaggedFile.parse(lines: LabeledDataLines.split(bytes, name: "t.txt"), name: "t.txt", format: .conll, tagColumn: nil, requireTags: true)
        }
    }

    @Test func renderingAppendsAColumnAndKeepsOtherLines() throws {
        let file = try TaggedFile.parse(Self.sample, name: "t.txt", format: .conll)
        let output = try file.rendered(predictions: [["B-ORG", "O", "O"], ["B-PER", "I-PER"]])
        #expect(output == "-DOCSTART- O \n\nEU B-ORG B-ORG\nrejects O O\nGerman B-MISC O\n\nPeter B-PER B-PER\nBlackburn I-PER I-PER\n")
        // Unlabeled input gets the prediction as its second column.
        let bare = try TaggedFile.parse("Peter\nBlackburn\n", name: "t", format: .conll, requireTags: false)
        #expect(try bare.rendered(predictions: [["B-PER", "I-PER"]]) == "Peter B-PER\nBlackburn I-PER\n")
    }

    @Test func renderingChecksTheShape() throws {
        let file = try TaggedFile.parse(Self.sample, name: "t.txt", format: .conll)
        expectError("t.txt: 1 predicted sentences for 2 sentences") {
            _ = try file.rendered(predictions: [["O", "O", "O"]])
        }
        expectError("t.txt:7: sentence 2 has 2 tokens but 1 predicted tags") {
            _ = try file.rendered(predictions: [["O", "O", "O"], ["O"]])
        }
        expectError("t.txt:4: predicted tag 'B ORG'") {
            _ = try file.rendered(predictions: [["O", "B ORG", "O"], ["O", "O"]])
        }
    }
}

@Suite("LabeledData.CoNLLU")
struct LabeledDataCoNLLUTests {
    static let sample = """
        # sent_id = 1
        # text = Don't go.
        1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
        1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
        2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
        3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
        3.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t3:conj\t_
        4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

        # sent_id = 2
        1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_

        """

    @Test func parsesWordsSkippingCommentsRangesAndEmptyNodes() throws {
        let file = try TaggedFile.parse(Self.sample, name: "u.conllu", format: .conllu)
        #expect(file.tagColumn == 4)
        #expect(file.sentences == [
            TaggedSentence(tokens: ["Do", "n't", "go", "."], tags: ["AUX", "PART", "VERB", "PUNCT"], lines: [4, 5, 6, 8]),
            TaggedSentence(tokens: ["Hi"], tags: ["INTJ"], lines: [11]),
        ])
        let xpos = try TaggedFile.parse(Self.sample, name: "u.conllu", format: .conllu, tagColumn: 5)
        #expect(xpos.sentences[0].tags == ["VBP", "RB", "VB", "."])
    }

    @Test func underscoreTagsWhenTagsAreNotRequired() throws {
        let text = "1\tHi\t_\t_\t_\t_\t_\t_\t_\t_\n2\tyou\t_\t_\t_\t_\t_\t_\t_\t_\n"
        let file = try TaggedFile.parse(text, name: "u", format: .conllu, requireTags: false)
        #expect(file.sentences == [TaggedSentence(tokens: ["Hi", "you"], tags: [], lines: [1, 2])])
        #expect(try file.rendered(predictions: [["INTJ", "PRON"]]) == text
            .replacingOccurrences(of: "Hi\t_\t_", with: "Hi\t_\tINTJ").replacingOccurrences(of: "you\t_\t_", with: "you\t_\tPRON"))
    }

    @Test func errorsNameTheLine() {
        expectError("u.conllu:2: expected 10 tab-separated columns (CoNLL-U), found 3") {
            _ = try TaggedFile.parse("# c\n1\tHi\tINTJ\n", name: "u.conllu", format: .conllu)
        }
        expectError("u.conllu:1: no tag in column 4") {
            _ = try TaggedFile.parse("1\tHi\thi\t_\tUH\t_\t0\troot\t_\t_\n", name: "u.conllu", format: .conllu)
        }
        expectError("u.conllu:1: no tag in column 5") {
            _ = try TaggedFile.parse("1\tHi\thi\tINTJ\t\t_\t0\troot\t_\t_\n", name: "u.conllu", format: .conllu, tagColumn: 5)
        }
        expectError("u.conllu:2: invalid ID 'x'") {
            _ = try TaggedFile.parse("\nx\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n", name: "u.conllu", format: .conllu)
        }
        expectError("u.conllu:1: invalid ID '1-'") {
            _ = try TaggedFile.parse("1-\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n", name: "u.conllu", format: .conllu)
        }
        expectError("invalid tag column 2 for conllu; valid columns: 3 to 10") {
            _ = try TaggedFile.parse("", name: "u.conllu", format: .conllu, tagColumn: 2)
        }
    }

    @Test func renderingReplacesOnlyTheTagColumn() throws {
        let file = try TaggedFile.parse(Self.sample, name: "u.conllu", format: .conllu)
        let output = try file.rendered(predictions: [["VERB", "PART", "VERB", "PUNCT"], ["NOUN"]])
        let expected = Self.sample
            .replacingOccurrences(of: "1\tDo\tdo\tAUX", with: "1\tDo\tdo\tVERB")
            .replacingOccurrences(of: "1\tHi\thi\tINTJ", with: "1\tHi\thi\tNOUN")
        #expect(output == expected)
        let same = try file.rendered(predictions: file.sentences.map(\.tags))
        #expect(same == Self.sample)
    }
}

@Suite("LabeledData.TagSchemes")
struct LabeledDataTagSchemeTests {
    @Test func recognisesChunkTagSets() {
        #expect(TagSchemes.isChunkTagSet(["O", "B-PER", "I-PER", "E-LOC", "S-MISC"]))
        #expect(TagSchemes.isChunkTagSet(["U-PER", "L-LOC", "O"]))
        #expect(!TagSchemes.isChunkTagSet(["NOUN", "VERB"]))
        #expect(!TagSchemes.isChunkTagSet(["O", "B-"]))
        #expect(!TagSchemes.isChunkTagSet(["O", "X-PER"]))
        #expect(!TagSchemes.isChunkTagSet(["O"]))
        #expect(!TagSchemes.isChunkTagSet([String]()))
    }

    @Test(arguments: [
        // IOB1 (CoNLL-2003 original): B- only between adjacent chunks of one type.
        (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
        // A type change inside a run starts a new chunk.
        (["I-ORG", "I-LOC", "I-LOC"], ["B-ORG", "B-LOC", "I-LOC"]),
        // Valid IOB2 is unchanged.
        (["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]),
        // BIOES and BILOU input.
        (["S-PER", "B-LOC", "E-LOC", "U-ORG", "B-X", "I-X", "L-X"], ["B-PER", "B-LOC", "I-LOC", "B-ORG", "B-X", "I-X", "I-X"]),
        // Non-chunk tags are kept and end chunks.
        (["I-PER", "NN", "I-PER"], ["B-PER", "NN", "B-PER"]),
    ])
    func toIOB2(input: [String], expected: [String]) {
        #expect(TagSchemes.toIOB2(input) == expected)
        #expect(TagSchemes.toIOB2(expected) == expected)
    }

    @Test func bioesRoundTrip() {
        let iob2 = ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "B-MISC"]
        let bioes = ["B-PER", "I-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-MISC"]
        #expect(TagSchemes.toBIOES(iob2) == bioes)
        #expect(TagSchemes.fromBIOES(bioes) == iob2)
        #expect(TagSchemes.toBIOES(["I-PER", "I-PER", "B-PER"]) == ["B-PER", "E-PER", "S-PER"])
        #expect(TagSchemes.toBIOES(bioes) == bioes)
        #expect(TagSchemes.toBIOES([]) == [])
    }
}

@Suite("LabeledData.Classification")
struct LabeledDataClassificationTests {
    @Test func tsvWithHeaderInEitherOrder() throws {
        let a = try ClassificationFile.parse("label\tsentence\n0\thide new secretions\n\n1\tloves\tits characters\n", name: "a.tsv", format: .tsv)
        #expect(a.hasHeader)
        #expect(a.examples == [
            ClassificationExample(label: "0", text: "hide new secretions", line: 2),
            ClassificationExample(label: "1", text: "loves\tits characters", line: 4),
        ])
        let content = try ClassificationFile.parse("label\tcontent\n1\tfine\n", name: "d.tsv", format: .tsv)
        #expect(content.examples == [ClassificationExample(label: "1", text: "fine", line: 2)])
        let b = try ClassificationFile.parse("Sentence\tLabel\nhide new secretions\t0\n", name: "b.tsv", format: .tsv)
        #expect(b.hasHeader)
        #expect(b.examples == [ClassificationExample(label: "0", text: "hide new secretions", line: 2)])
    }

    @Test func tsvWithoutHeader() throws {
        let file = try ClassificationFile.parse("pos\tgreat film\nneg\tdull\tand long\n", name: "c.tsv", format: .tsv)
        #expect(!file.hasHeader)
        #expect(file.examples == [
            ClassificationExample(label: "pos", text: "great film", line: 1),
            ClassificationExample(label: "neg", text: "dull\tand long", line: 2),
        ])
    }

    @Test func tsvTextOnlyWhenLabelsAreNotRequired() throws {
        let file = try ClassificationFile.parse("great film\n\nneg\tdull\n", name: "c.tsv", format: .tsv, requireLabels: false)
        #expect(file.examples == [
            ClassificationExample(label: "", text: "great film", line: 1),
            ClassificationExample(label: "neg", text: "dull", line: 3),
        ])
        let headed = try ClassificationFile.parse("label\ttext\nfine\n", name: "c.tsv", format: .tsv, requireLabels: false)
        #expect(headed.examples == [ClassificationExample(label: "", text: "fine", line: 2)])
    }

    @Test func tsvErrors() {
        expectError("c.tsv:2: no label") {
            _ = try ClassificationFile.parse("pos\tgreat\nno tab here\n", name: "c.tsv", format: .tsv)
        }
        expectError("c.tsv:3: empty label") {
            _ = try ClassificationFile.parse("pos\tgreat\n\n\tno label\n", name: "c.tsv", format: .tsv)
        }
        expectError("c.tsv:2: empty label") {
            _ = try ClassificationFile.parse("sentence\tlabel\nfine\t\n", name: "c.tsv", format: .tsv)
        }
        expectError("c.tsv:2: no label") {
            _ = try ClassificationFile.parse("label\ttext\nfine\n", name: "c.tsv", format: .tsv)
        }
        expectError("c.tsv:2: expected 3 columns as on line 1, found 2") {
            _ = try ClassificationFile.parse("id\tlabel\ttext\n1\tpos\n", name: "c.tsv", format: .tsv)
        }
    }

    @Test func fastText() throws {
        let text = "__label__pos __label__good great film\n\n__label__neg\tdull\nunlabeled text\n"
        expectError("f.txt:4: no label (expected a '__label__' prefix)") {
            _ = try ClassificationFile.parse(text, name: "f.txt", format: .fasttext)
        }
        let file = try ClassificationFile.parse(text, name: "f.txt", format: .fasttext, requireLabels: false)
        #expect(file.examples == [
            ClassificationExample(label: "pos", text: "great film", line: 1),
            ClassificationExample(label: "neg", text: "dull", line: 3),
            ClassificationExample(label: "", text: "unlabeled text", line: 4),
        ])
        expectError("f.txt:1: empty label") {
            _ = try ClassificationFile.parse("__label__ text\n", name: "f.txt", format: .fasttext)
        }
    }
}

@Suite("LabeledData.SharedFiles")
struct LabeledDataSharedFileTests {
    @Test(arguments: [
        ("ner/conll2003/train.txt", TaggedDataFormat.conll, 14_041),
        ("ner/conll2003/valid.txt", .conll, 3_250),
        ("pos/UD_English-EWT/en_ewt-ud-train.conllu", .conllu, 12_544),
        ("pos/UD_English-EWT/en_ewt-ud-dev.conllu", .conllu, 2_001),
        ("pos/UD_French-Sequoia/fr_sequoia-ud-train.conllu", .conllu, 2_231),
        ("pos/UD_French-Sequoia/fr_sequoia-ud-dev.conllu", .conllu, 412),
    ])
    func taggedFile(relative: String, format: TaggedDataFormat, sentences: Int) throws {
        guard SharedData.exists(relative) else {
            // Arguments cannot carry per-row traits; an absent file is skipped here.
            print("skipped: \(SharedData.missing(relative).rawValue)")
            return
        }
        let file = try TaggedFile.read(path: SharedData.path(relative), format: format)
        #expect(file.sentences.count == sentences)
        #expect(file.sentences.allSatisfy { $0.tags.count == $0.tokens.count && $0.lines.count == $0.tokens.count })
        if format == .conll {
            #expect(TagSchemes.isChunkTagSet(file.sentences.lazy.flatMap(\.tags)))
        }
        // Writing the gold tags back is the identity for CoNLL-U and appends the gold column for CoNLL.
        let output = try file.rendered(predictions: file.sentences.map(\.tags))
        let reread = try TaggedFile.parse(output, name: relative, format: format)
        #expect(reread.sentences.map(\.tokens) == file.sentences.map(\.tokens))
        #expect(reread.sentences.map(\.tags) == file.sentences.map(\.tags))
    }

    @Test(arguments: [("classification/sst2/train.tsv", 67_349), ("classification/sst2/dev.tsv", 872)])
    func classificationFile(relative: String, examples: Int) throws {
        guard SharedData.exists(relative) else {
            print("skipped: \(SharedData.missing(relative).rawValue)")
            return
        }
        let file = try ClassificationFile.read(path: SharedData.path(relative), format: .tsv)
        let hasHeader = file.hasHeader
        let count = file.examples.count
        #expect(hasHeader)
        #expect(count == examples)
        #expect(Set(file.examples.map(\.label)) == ["0", "1"])
    }
}
