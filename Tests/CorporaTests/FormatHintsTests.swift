import Testing
@testable import Corpora

/// `FormatHints`: raw sentences read as CoNLL, and CoNLL read as raw text.
@Suite struct FormatHintsTests {
    @Test func chunkTags() {
        for tag in ["O", "B-PER", "I-LOC", "E-X", "S-org", "L-MISC", "U-PER"] { #expect(FormatHints.isChunkTag(tag), "\(tag)") }
        for tag in ["B-52", "B", "Paris.", "NNP", "B_PER", "o", ""] { #expect(!FormatHints.isChunkTag(tag), "\(tag)") }
    }

    @Test func rawTextThatIsCoNLL() {
        #expect(FormatHints.rawTextLooksLikeCoNLL(["Mary B-PER", "saw O", "", "Paris B-LOC"]))
        #expect(FormatHints.rawTextLooksLikeCoNLL(["EU\tNNP\tB-NP\tB-ORG", "rejects VBZ B-VP O"]))
        // All O: no sign of tags.
        #expect(!FormatHints.rawTextLooksLikeCoNLL(["I said O", "he said O"]))
        #expect(!FormatHints.rawTextLooksLikeCoNLL(["John Smith went to Paris.", "I flew a B-52", "Plan B"]))
        #expect(!FormatHints.rawTextLooksLikeCoNLL(["", "  "]))
    }

    @Test func coNLLThatIsRawText() throws {
        func file(_ text: String) throws -> TaggedFile { try TaggedFile.parse(text, name: "x", format: .conll, requireTags: false) }
        #expect(FormatHints.coNLLLooksLikeRawText(try file("John Smith went to Paris. B-PER\n")) == 1)
        #expect(FormatHints.coNLLLooksLikeRawText(try file("-DOCSTART- O\n\nHello there B-PER\n\nSee you later O\n")) == 3)
        #expect(FormatHints.coNLLLooksLikeRawText(try file("Mary B-PER\nsaw O\n\nParis B-LOC\n")) == nil)
        // A one-token sentence in CoNLL-2003's four columns is CoNLL.
        #expect(FormatHints.coNLLLooksLikeRawText(try file("SOCCER NN B-NP O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n")) == nil)
    }
}
