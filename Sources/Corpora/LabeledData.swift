import Foundation
import WordPipeSupport

/// Formats of token-labeled data.
///
/// - `conll`: CoNLL-2003 style, whitespace-separated columns `token … TAG`, blank lines between
///   sentences, `-DOCSTART-` lines ignored.
/// - `conllu`: Universal Dependencies CoNLL-U, 10 tab-separated columns, `#` comments,
///   multiword-token ranges and empty nodes skipped.
public enum TaggedDataFormat: String, Codable, Sendable, CaseIterable {
    case conll, conllu

    /// The format a file's name asks for: `.conllu` CoNLL-U, `.conll` CoNLL (before a `.gz` or
    /// `.bz2`); nil for other names.
    public static func named(by path: String) -> TaggedDataFormat? {
        var name = path.lowercased()
        for compressed in [".gz", ".bz2"] where name.hasSuffix(compressed) { name.removeLast(compressed.count) }
        if name.hasSuffix(".conllu") { return .conllu }
        if name.hasSuffix(".conll") { return .conll }
        return nil
    }
}

/// One sentence of token-labeled data.
public struct TaggedSentence: Sendable, Equatable {
    /// The tokens (CoNLL column 1, CoNLL-U FORM).
    public var tokens: [String]
    /// One tag per token; empty when the input has no tag column (unlabeled input to tag).
    public var tags: [String]
    /// The 1-based line number in the file of each token (as many as `tokens`).
    public var lines: [Int]

    /// Creates a sentence from its tokens, tags (or none) and line numbers.
    public init(tokens: [String], tags: [String], lines: [Int]) {
        self.tokens = tokens
        self.tags = tags
        self.lines = lines
    }
}

/// A whole token-labeled file: its raw lines (so that tagging can write every input line back
/// unchanged) and its sentences.
///
/// ```swift
/// let file = try TaggedFile.read(path: "train.txt", format: .conll)
/// let output = try file.rendered(predictions: predicted)   // token … gold predicted
/// ```
///
/// Files may be plain, gzip or bzip2 (recognised by their magic bytes); `-` is standard input.
/// Lines end with `\n` or `\r\n`; a leading UTF-8 BOM is dropped.
public struct TaggedFile: Sendable, Equatable {
    /// The path as given (for messages).
    public var path: String
    /// The format the file was read as.
    public var format: TaggedDataFormat
    /// Every raw line, without its terminator (index = line number - 1).
    public var lines: [String]
    /// The sentences, in file order.
    public var sentences: [TaggedSentence]
    /// The 1-based column the tags were read from. Defaults: conll, the last column of the first
    /// token line (0 when no tags were read: a tokens-only or empty file); conllu, 4 (UPOS).
    public var tagColumn: Int

    /// Reads a file.
    ///
    /// - Parameters:
    ///   - tagColumn: the 1-based tag column; nil for the format's default (conll: the last
    ///     column; conllu: 4, UPOS). conll accepts 2 or more, conllu 3 to 10.
    ///   - requireTags: when false, lines without a tag are accepted and their sentences get
    ///     empty `tags` (conll: a 1-column file is then tokens only; conllu: a sentence with `_`
    ///     in the tag column of any word).
    /// - Throws: `CorpusError` when the file cannot be opened or read, `LabeledDataError` for
    ///   malformed lines (with `file:line`).
    public static func read(path: String, format: TaggedDataFormat, tagColumn: Int? = nil, requireTags: Bool = true) throws -> TaggedFile {
        try parse(lines: LabeledDataLines.read(path: path), name: path, format: format, tagColumn: tagColumn, requireTags: requireTags)
    }

    /// Reads from a string (for tests and standard input), with `name` used in error locations.
    public static func parse(_ text: String, name: String, format: TaggedDataFormat, tagColumn: Int? = nil, requireTags: Bool = true) throws -> TaggedFile {
        try parse(lines: LabeledDataLines.split(Array(text.utf8), name: name), name: name, format: format, tagColumn: tagColumn, requireTags: requireTags)
    }

    static func parse(lines: [String], name: String, format: TaggedDataFormat, tagColumn: Int?, requireTags: Bool) throws -> TaggedFile {
        switch format {
        case .conll:
            if let tagColumn, tagColumn < 2 {
                throw LabeledDataError.invalidTagColumn(column: tagColumn, format: format, valid: 2...Int.max)
            }
            let (sentences, resolved) = try parseCoNLL(lines, name: name, tagColumn: tagColumn, requireTags: requireTags)
            return TaggedFile(path: name, format: format, lines: lines, sentences: sentences, tagColumn: resolved)
        case .conllu:
            let column = tagColumn ?? 4
            guard (3...10).contains(column) else {
                throw LabeledDataError.invalidTagColumn(column: column, format: format, valid: 3...10)
            }
            let sentences = try parseCoNLLU(lines, name: name, tagColumn: column, requireTags: requireTags)
            return TaggedFile(path: name, format: format, lines: lines, sentences: sentences, tagColumn: column)
        }
    }

    /// CoNLL-2003: whitespace-separated columns, token first; blank and `-DOCSTART-` lines end
    /// sentences. Returns the sentences and the resolved tag column.
    private static func parseCoNLL(_ lines: [String], name: String, tagColumn: Int?, requireTags: Bool) throws -> ([TaggedSentence], Int) {
        var sentences: [TaggedSentence] = []
        var current = TaggedSentence(tokens: [], tags: [], lines: [])
        var first: (line: Int, columns: Int)?
        var resolved: Int? = nil
        func finish() {
            if !current.tokens.isEmpty { sentences.append(current) }
            current = TaggedSentence(tokens: [], tags: [], lines: [])
            first = nil
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let fields = LabeledDataLines.whitespaceFields(line)
            guard let token = fields.first, token != "-DOCSTART-" else {
                finish()
                continue
            }
            let location = SourceLocation(path: name, line: number)
            if let first {
                if fields.count != first.columns {
                    throw LabeledDataError.columnCountMismatch(location: location, expected: first.columns, found: fields.count, firstLine: first.line)
                }
            } else {
                first = (number, fields.count)
            }
            let column = tagColumn ?? fields.count
            if fields.count >= 2 && column <= fields.count {
                current.tags.append(fields[column - 1])
                if resolved == nil { resolved = column }
            } else if requireTags {
                if fields.count == 1 { throw LabeledDataError.noTagColumn(location: location) }
                throw LabeledDataError.tagColumnBeyondLine(location: location, column: column, columns: fields.count)
            }
            current.tokens.append(token)
            current.lines.append(number)
        }
        finish()
        return (sentences, tagColumn ?? resolved ?? 0)
    }

    /// CoNLL-U: 10 tab-separated columns; comments, ranges and empty nodes skipped.
    private static func parseCoNLLU(_ lines: [String], name: String, tagColumn: Int, requireTags: Bool) throws -> [TaggedSentence] {
        var sentences: [TaggedSentence] = []
        var current = TaggedSentence(tokens: [], tags: [], lines: [])
        var missingTag = false
        func finish() {
            if !current.tokens.isEmpty {
                if missingTag { current.tags = [] }
                sentences.append(current)
            }
            current = TaggedSentence(tokens: [], tags: [], lines: [])
            missingTag = false
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if LabeledDataLines.isBlank(line) {
                finish()
                continue
            }
            if line.utf8.first == UInt8(ascii: "#") { continue }
            let location = SourceLocation(path: name, line: number)
            let fields = LabeledDataLines.tabFields(line)
            guard fields.count == 10 else {
                throw LabeledDataError.wrongCoNLLUColumnCount(location: location, found: fields.count)
            }
            switch CoNLLUID(fields[0]) {
            case nil: throw LabeledDataError.invalidID(location: location, id: fields[0])
            case .range?, .emptyNode?: continue
            case .word?: break
            }
            let tag = fields[tagColumn - 1]
            if tag.isEmpty || tag == "_" {
                if requireTags { throw LabeledDataError.emptyTag(location: location, column: tagColumn) }
                missingTag = true
            }
            current.tokens.append(fields[1])
            current.tags.append(tag)
            current.lines.append(number)
        }
        finish()
        return sentences
    }

    /// Writes `predictions` (one tag array per sentence, the same shape as `sentences`) in the
    /// fixed output layouts:
    ///
    /// - conll: every input line unchanged, plus the predicted tag as one more space-separated
    ///   column at the end of each token line (trailing whitespace of the line trimmed first).
    ///   Blank and `-DOCSTART-` lines are kept as they are. This is the `token … gold predicted`
    ///   layout that conlleval reads.
    /// - conllu: the input unchanged except the tag column (`tagColumn`) of each word line, which
    ///   holds the prediction. Comments, multiword ranges and empty nodes are copied as they are.
    ///
    /// Lines end with `\n` (also after the last line).
    /// - Throws: `LabeledDataError` when the shape differs from `sentences` or a tag is empty or
    ///   holds whitespace.
    public func rendered(predictions: [[String]]) throws -> String {
        guard predictions.count == sentences.count else {
            throw LabeledDataError.predictionCountMismatch(path: path, expected: sentences.count, found: predictions.count)
        }
        var predicted = [String?](repeating: nil, count: lines.count)
        for (index, (sentence, tags)) in zip(sentences, predictions).enumerated() {
            guard tags.count == sentence.tokens.count else {
                let location = SourceLocation(path: path, line: sentence.lines.first ?? 0)
                throw LabeledDataError.predictionLengthMismatch(location: location, sentence: index, expected: sentence.tokens.count, found: tags.count)
            }
            for (tag, line) in zip(tags, sentence.lines) {
                if tag.isEmpty || tag.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                    throw LabeledDataError.invalidPrediction(location: SourceLocation(path: path, line: line), tag: tag)
                }
                predicted[line - 1] = tag
            }
        }
        var output = ""
        output.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 } + sentences.reduce(0) { $0 + $1.tokens.count * 8 })
        for (line, tag) in zip(lines, predicted) {
            if let tag {
                switch format {
                case .conll:
                    output += LabeledDataLines.trimmingTrailingWhitespace(line)
                    output += " "
                    output += tag
                case .conllu:
                    var fields = LabeledDataLines.tabFields(line)
                    fields[tagColumn - 1] = tag
                    output += fields.joined(separator: "\t")
                }
            } else {
                output += line
            }
            output += "\n"
        }
        return output
    }
}

/// The ID column of a CoNLL-U line.
enum CoNLLUID: Equatable {
    /// A syntactic word, `1`.
    case word(Int)
    /// A multiword token, `1-2`.
    case range(Int, Int)
    /// An empty node of the enhanced graph, `1.1`.
    case emptyNode(Int, Int)

    /// Parses an ID, or nil when it is none of the three forms.
    init?(_ text: String) {
        func number(_ part: Substring) -> Int? {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(part)
        }
        if let dash = text.firstIndex(of: "-") {
            guard let a = number(text[..<dash]), let b = number(text[text.index(after: dash)...]) else { return nil }
            self = .range(a, b)
        } else if let dot = text.firstIndex(of: ".") {
            guard let a = number(text[..<dot]), let b = number(text[text.index(after: dot)...]) else { return nil }
            self = .emptyNode(a, b)
        } else {
            guard let a = number(text[...]), a >= 1 else { return nil }
            self = .word(a)
        }
    }
}
