import WordPipeSupport

/// Formats of text classification data.
///
/// - `tsv`: `label<TAB>text` per line, with an optional header line naming the columns.
/// - `fasttext`: `__label__X text` per line, as fastText's supervised mode reads it.
public enum ClassificationDataFormat: String, Codable, Sendable, CaseIterable { case tsv, fasttext }

/// One labeled text.
public struct ClassificationExample: Sendable, Equatable {
    /// The label; empty for unlabeled input (`requireLabels: false`).
    public var label: String
    /// The text, as in the file (not tokenized).
    public var text: String
    /// The 1-based line number in the file.
    public var line: Int

    /// Creates an example.
    public init(label: String, text: String, line: Int) {
        self.label = label
        self.text = text
        self.line = line
    }
}

/// A whole classification file.
///
/// **tsv.** The first line is a header when its fields name the columns: `label` plus one of
/// `text`, `sentence`, `review`, `question` or `content` (any case; SST-2's train file says
/// `sentence`, its dev file `content`). The header then fixes which column is the label and
/// which the text, so `sentence<TAB>label` files work too. Without a header, column 1 is the
/// label and the rest of the line after the first tab is the text.
///
/// **fasttext.** `__label__X text`: one or more `__label__` words lead the line; the first names
/// the label and the text is what follows the last of them.
///
/// Blank lines are skipped. Files may be plain, gzip or bzip2; `-` is standard input.
public struct ClassificationFile: Sendable, Equatable {
    /// The path as given (for messages).
    public var path: String
    /// The examples, in file order.
    public var examples: [ClassificationExample]
    /// Whether the first line was a header (tsv only).
    public var hasHeader: Bool

    /// Names that mark a header's text column.
    public static let textColumnNames: Set<String> = ["text", "sentence", "review", "question", "content"]

    /// Reads a file.
    ///
    /// - Parameter requireLabels: when false (input to classify), lines may be text only: in tsv
    ///   a line without a tab is all text, in fasttext a line without a `__label__` prefix; their
    ///   label is "".
    /// - Throws: `CorpusError` when the file cannot be opened or read, `LabeledDataError` for
    ///   lines without a label or with an empty one (with `file:line`).
    public static func read(path: String, format: ClassificationDataFormat, requireLabels: Bool = true) throws -> ClassificationFile {
        try parse(lines: LabeledDataLines.read(path: path), name: path, format: format, requireLabels: requireLabels)
    }

    /// Reads from a string (for tests and standard input), with `name` used in error locations.
    public static func parse(_ text: String, name: String, format: ClassificationDataFormat, requireLabels: Bool = true) throws -> ClassificationFile {
        try parse(lines: LabeledDataLines.split(Array(text.utf8), name: name), name: name, format: format, requireLabels: requireLabels)
    }

    static func parse(lines: [String], name: String, format: ClassificationDataFormat, requireLabels: Bool) throws -> ClassificationFile {
        switch format {
        case .tsv: return try parseTSV(lines, name: name, requireLabels: requireLabels)
        case .fasttext: return try parseFastText(lines, name: name, requireLabels: requireLabels)
        }
    }

    /// The label and text columns a header line names, or nil when it is not a header.
    static func headerColumns(_ line: String) -> (label: Int, text: Int)? {
        let names = LabeledDataLines.tabFields(line).map { LabeledDataLines.trimmingWhitespace($0[...]).lowercased() }
        guard let label = names.firstIndex(of: "label"),
              let text = names.firstIndex(where: { textColumnNames.contains($0) }) else { return nil }
        return (label, text)
    }

    private static func parseTSV(_ lines: [String], name: String, requireLabels: Bool) throws -> ClassificationFile {
        var examples: [ClassificationExample] = []
        var columns: (label: Int, text: Int, count: Int)? = nil
        var hasHeader = false
        var seenContent = false
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if LabeledDataLines.isBlank(line) { continue }
            if !seenContent {
                seenContent = true
                if let header = headerColumns(line) {
                    hasHeader = true
                    columns = (header.label, header.text, LabeledDataLines.tabFields(line).count)
                    continue
                }
            }
            let location = SourceLocation(path: name, line: number)
            var label: String
            var text: String
            if let columns {
                let fields = LabeledDataLines.tabFields(line)
                if fields.count == 1 && !requireLabels {
                    label = ""
                    text = line
                } else {
                    guard fields.count > columns.label, fields.count > columns.text else {
                        if fields.count == 1 { throw LabeledDataError.missingLabel(location: location, format: .tsv) }
                        throw LabeledDataError.columnCountMismatch(location: location, expected: columns.count, found: fields.count, firstLine: lines.firstIndex { !LabeledDataLines.isBlank($0) }.map { $0 + 1 } ?? 1)
                    }
                    label = fields[columns.label]
                    // A text column that is the header's last takes the rest of the line, tabs and all.
                    text = columns.text == columns.count - 1 && columns.text > columns.label
                        ? fields[columns.text...].joined(separator: "\t") : fields[columns.text]
                }
            } else if let tab = line.utf8.firstIndex(of: 0x09) {
                label = String(Substring(line.utf8[..<tab]))
                text = String(Substring(line.utf8[line.utf8.index(after: tab)...]))
            } else {
                if requireLabels { throw LabeledDataError.missingLabel(location: location, format: .tsv) }
                label = ""
                text = line
            }
            label = String(LabeledDataLines.trimmingWhitespace(label[...]))
            if label.isEmpty && requireLabels { throw LabeledDataError.emptyLabel(location: location) }
            examples.append(ClassificationExample(label: label, text: text, line: number))
        }
        return ClassificationFile(path: name, examples: examples, hasHeader: hasHeader)
    }

    private static func parseFastText(_ lines: [String], name: String, requireLabels: Bool) throws -> ClassificationFile {
        let prefix = "__label__"
        var examples: [ClassificationExample] = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if LabeledDataLines.isBlank(line) { continue }
            let location = SourceLocation(path: name, line: number)
            var rest = LabeledDataLines.trimmingWhitespace(line[...])
            var label: String? = nil
            while rest.hasPrefix(prefix) {
                let end = rest.utf8.firstIndex { $0 == 0x20 || $0 == 0x09 } ?? rest.endIndex
                let word = rest[..<end]
                if label == nil {
                    label = String(word.dropFirst(prefix.count))
                    if label?.isEmpty ?? true { throw LabeledDataError.emptyLabel(location: location) }
                }
                rest = LabeledDataLines.trimmingWhitespace(rest[end...])
            }
            if label == nil && requireLabels { throw LabeledDataError.missingLabel(location: location, format: .fasttext) }
            examples.append(ClassificationExample(label: label ?? "", text: String(rest), line: number))
        }
        return ClassificationFile(path: name, examples: examples, hasHeader: false)
    }
}
