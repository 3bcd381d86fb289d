import Foundation
import WordPipeSupport

/// Decodes UTF-8, replacing each ill-formed sequence with U+FFFD.
enum UTF8Repair {
    /// Returns the string and how many ill-formed sequences were replaced.
    static func decode(_ bytes: ArraySlice<UInt8>) -> (String, invalid: Int) {
        if let valid = String(validating: bytes, as: UTF8.self) { return (valid, 0) }
        var invalid = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: invalid += 1
            }
        }
        return (String(decoding: bytes, as: UTF8.self), invalid)
    }
}

/// Opens the text layer of an input: strips a UTF-8 BOM, or transcodes UTF-16 (with a BOM).
func textStream(_ input: PeekableStream) throws -> ByteStream {
    let (encoding, bom) = TextEncoding.detect(try input.peek(4))
    input.skip(bom)
    switch encoding {
    case .utf8: return input
    case .utf16LittleEndian: return UTF16ToUTF8Stream(input: input, bigEndian: false)
    case .utf16BigEndian: return UTF16ToUTF8Stream(input: input, bigEndian: true)
    }
}

/// Counts ill-formed UTF-8 per file and remembers the first line where it occurred.
final class InvalidTextCounter {
    let report: ReadReport
    let path: String
    init(report: ReadReport, path: String) {
        self.report = report
        self.path = path
    }

    /// Decodes one line's bytes.
    func decode(_ bytes: ArraySlice<UInt8>, line: Int) -> String {
        decode(bytes, lineNumbers: [line])
    }

    /// Decodes newline-joined lines whose input line numbers are `lineNumbers`, reporting the
    /// line of the first ill-formed sequence.
    func decode(_ bytes: ArraySlice<UInt8>, lineNumbers: [Int]) -> String {
        let (text, invalid) = UTF8Repair.decode(bytes)
        if invalid > 0 {
            var firstLine = lineNumbers.first ?? 0
            if lineNumbers.count > 1 {
                for (offset, piece) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
                where String(validating: piece, as: UTF8.self) == nil {
                    firstLine = offset < lineNumbers.count ? lineNumbers[offset] : firstLine
                    break
                }
            }
            report.recordInvalidUTF8(path: path, line: firstLine, count: invalid)
        }
        return text
    }
}

/// Plain UTF-8 (or BOM-marked UTF-16) text: each non-blank line is one document.
public final class PlainTextReader: DocumentReader {
    private let lines: LineReader
    private let path: String
    private let counter: InvalidTextCounter

    init(input: PeekableStream, path: String, report: ReadReport) throws {
        self.lines = LineReader(source: try textStream(input))
        self.path = path
        self.counter = InvalidTextCounter(report: report, path: path)
    }

    public func next() throws -> Document? {
        while let line = try lines.next() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) && !line.continues { continue }
            let text = counter.decode(line.bytes, line: line.number)
            return Document(text: text, location: SourceLocation(path: path, line: line.number), continues: line.continues)
        }
        return nil
    }
}

/// WikiExtractor output: `<doc id=".." url=".." title="..">`, the title line (dropped), the
/// text lines, `</doc>`. Each block is one document; its lines are joined with newlines.
public final class WikiExtractorReader: DocumentReader {
    private let lines: LineReader
    private let path: String
    private let counter: InvalidTextCounter
    private let diagnostics: Diagnostics

    init(input: PeekableStream, path: String, report: ReadReport, diagnostics: Diagnostics) throws {
        self.lines = LineReader(source: try textStream(input))
        self.path = path
        self.counter = InvalidTextCounter(report: report, path: path)
        self.diagnostics = diagnostics
    }

    private static let open = Array("<doc".utf8)
    private static let close = Array("</doc>".utf8)
    /// The line of a `<doc>` tag met inside the previous block: it starts the next document.
    private var pendingStart = 0

    public func next() throws -> Document? {
        // Find the next <doc ...> line.
        var startLine = pendingStart
        pendingStart = 0
        while startLine == 0, let line = try lines.next() {
            if line.bytes.starts(with: Self.open) { startLine = line.number; break }
            if !line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                diagnostics.warn("text outside <doc> ... </doc> skipped", at: SourceLocation(path: path, line: line.number))
            }
        }
        if startLine == 0 { return nil }
        // Gather the block's bytes and decode them once.
        var bytes: [UInt8] = []
        var lineNumbers: [Int] = []
        var sawTitle = false
        var closed = false
        var previousContinues = false  // the last piece taken goes on in this one (an overlong line)
        while let line = try lines.next() {
            if line.bytes.starts(with: Self.close) {
                closed = true
                break
            }
            if line.bytes.starts(with: Self.open) && !line.continues {
                diagnostics.warn("<doc> opened before the previous one closed", at: SourceLocation(path: path, line: line.number))
                // The tag ends this block and opens the next one; it used to be kept as text
                // (and the next title line with it).
                pendingStart = line.number
                break
            }
            if line.bytes.isEmpty { continue }
            if !sawTitle {
                sawTitle = true
                continue
            }
            // A new line starts after a piece that does not continue. (Testing this piece's own
            // `continues` glued the first piece of a long line to the line before and broke the
            // line before its last piece.)
            if !previousContinues {
                if !bytes.isEmpty { bytes.append(0x0A) }
                lineNumbers.append(line.number)
            }
            previousContinues = line.continues
            bytes.append(contentsOf: line.bytes)
        }
        if !closed && pendingStart == 0 {
            diagnostics.warn("<doc> not closed before the end of the file", at: SourceLocation(path: path, line: startLine))
        }
        return Document(text: counter.decode(bytes[...], lineNumbers: lineNumbers), location: SourceLocation(path: path, line: startLine))
    }
}

/// JSON Lines: each line is a JSON object; the text comes from a (dotted) field. A string
/// value is one document; an array of strings is joined with newlines.
public final class JSONLinesReader: DocumentReader {
    private let lines: LineReader
    private let path: String
    private let field: [String]
    private let diagnostics: Diagnostics

    init(input: PeekableStream, path: String, field: String, diagnostics: Diagnostics) throws {
        // A JSON record is never cut: allow long lines (up to 256 MiB) for this format.
        self.lines = LineReader(source: try textStream(input), maximumLength: 1 << 28)
        self.path = path
        self.field = field.split(separator: ".").map(String.init)
        self.diagnostics = diagnostics
    }

    public func next() throws -> Document? {
        while let line = try lines.next() {
            let location = SourceLocation(path: path, line: line.number)
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(line.bytes), options: [])
            } catch {
                diagnostics.warn("invalid JSON, line skipped", at: location)
                continue
            }
            var value: Any? = object
            for key in field { value = (value as? [String: Any])?[key] }
            if let text = value as? String { return Document(text: text, location: location) }
            if let parts = value as? [Any], parts.allSatisfy({ $0 is String }) {
                return Document(text: parts.compactMap { $0 as? String }.joined(separator: "\n"), location: location)
            }
            let name = field.joined(separator: ".")
            diagnostics.warn(value == nil ? "no field '\(name)', line skipped" : "field '\(name)' is not a string, line skipped", at: location)
        }
        return nil
    }
}
