/// Guesses that catch input given in the wrong format, for warnings that name the right flag:
/// raw sentences read as CoNLL, and CoNLL read as raw text.
///
/// Both look only at the shape of lines, so they can be wrong; they are meant for a warning,
/// never to change how input is read.
public enum FormatHints {
    /// Whether `tag` reads as a chunk tag in CoNLL data: `O`, or one of `B I E S L U` then `-`
    /// and a type that starts with a letter (`B-PER`, `I-org`; not `B-52`).
    public static func isChunkTag(_ tag: String) -> Bool {
        if tag == "O" { return true }
        let scalars = Array(tag.unicodeScalars)
        guard scalars.count >= 3, "BIESLU".unicodeScalars.contains(scalars[0]), scalars[1] == "-" else { return false }
        return scalars[2].properties.isAlphabetic
    }

    /// Whether a line looks like a CoNLL token line: 2 to 5 whitespace-separated fields, the
    /// last a chunk tag (`Paris B-LOC`, `EU NNP B-NP B-ORG`).
    public static func looksLikeCoNLLTokenLine(_ line: String) -> Bool {
        let fields = LabeledDataLines.whitespaceFields(line)
        guard (2...5).contains(fields.count), let last = fields.last else { return false }
        return isChunkTag(last)
    }

    /// Whether lines given as raw text look like CoNLL: at least 4 in 5 of the non-blank lines
    /// are token lines ending in a chunk tag (`looksLikeCoNLLTokenLine`), and one of those tags
    /// is not `O`.
    public static func rawTextLooksLikeCoNLL(_ lines: [String]) -> Bool {
        let content = lines.filter { !LabeledDataLines.isBlank($0) }
        guard !content.isEmpty else { return false }
        let tokenLines = content.filter(looksLikeCoNLLTokenLine)
        guard tokenLines.count * 5 >= content.count * 4 else { return false }
        return tokenLines.contains { LabeledDataLines.whitespaceFields($0).last != "O" }
    }

    /// Whether a file read as CoNLL looks like raw sentences, one per line: at least half its
    /// sentences are a single line, and those lines have 5 or more fields, or differ in their
    /// number of fields (CoNLL files keep one column count). `John Smith went to Paris. B-PER`
    /// alone is such a file. Returns the first such line's number, or nil.
    public static func coNLLLooksLikeRawText(_ file: TaggedFile) -> Int? {
        guard file.format == .conll, !file.sentences.isEmpty else { return nil }
        let single = file.sentences.filter { $0.lines.count == 1 }
        guard !single.isEmpty, single.count * 2 >= file.sentences.count else { return nil }
        let counts = single.compactMap { sentence -> Int? in
            guard let number = sentence.lines.first, number >= 1, number <= file.lines.count else { return nil }
            return LabeledDataLines.whitespaceFields(file.lines[number - 1]).count
        }
        guard (counts.max() ?? 0) >= 5 || Set(counts).count > 1 else { return nil }
        return single.first?.lines.first
    }
}
