import Corpora
import Foundation
import Models
import WordPipeSupport

/// Standard input read with plain `read(2)`, which returns what has arrived instead of waiting
/// for a full buffer (zlib's reader, which `ByteSource` uses for `-`, waits).
final class DescriptorStream: ByteStream {
    let descriptor: Int32
    init(descriptor: Int32) { self.descriptor = descriptor }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let got = Foundation.read(descriptor, base, buffer.count)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            throw CorpusError.readFailed(location: SourceLocation(path: "<stdin>"), reason: String(cString: strerror(errno)))
        }
    }
}

/// The lines of raw-text input (`tag --format text`, `classify --format text`), handed out in
/// batches of the complete lines that have arrived: from a pipe, each line as soon as it is
/// written; from a file, a block's worth at a time. Lines end with `\n` or `\r\n`, a final line
/// needs none, a leading UTF-8 BOM is dropped, and a line that is not UTF-8 is an error naming
/// it. Files may be gzip or bzip2.
final class RawTextLines {
    /// The input's name for messages (`<stdin>` for `-`).
    let name: String
    private let stream: ByteStream
    private let source: ByteSource?
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    private var number = 1
    private var atEnd = false
    /// How many bytes at the start of `pending` hold no newline.
    private var searched = 0

    init(path: String) throws {
        name = path == "-" ? "<stdin>" : path
        if path == "-" {
            source = nil
            stream = DescriptorStream(descriptor: 0)
        } else {
            let source = try ByteSource(path: path)
            self.source = source
            stream = source
        }
    }

    deinit { source?.close() }

    /// The next complete lines (at least one), or nil at the end of the input.
    func next() throws -> [String]? {
        while true {
            // Only the bytes read since the last look can hold a newline (a long line is not
            // scanned again at every read).
            if let newline = pending[searched...].lastIndex(of: 0x0A) {
                let lines = try split(pending[..<newline])
                pending.removeSubrange(...newline)
                searched = 0
                return lines
            }
            searched = pending.count
            if atEnd {
                guard !pending.isEmpty else { return nil }
                let lines = try split(pending[...])
                pending = []
                searched = 0
                return lines
            }
            let got = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            if got == 0 { atEnd = true } else { pending.append(contentsOf: chunk[0..<got]) }
        }
    }

    private func split(_ bytes: ArraySlice<UInt8>) throws -> [String] {
        var lines: [String] = []
        for piece in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            var piece = piece
            if number == 1 && piece.starts(with: [0xEF, 0xBB, 0xBF]) { piece = piece.dropFirst(3) }
            if piece.last == 0x0D { piece = piece.dropLast() }
            guard let line = String(validating: piece, as: UTF8.self) else {
                throw ModelError.badData(location: SourceLocation(path: name, line: number), message: "not valid UTF-8")
            }
            lines.append(line)
            number += 1
        }
        return lines
    }
}

/// One JSON object as a line of text (sorted keys), or nil when it cannot be written (NaN).
func jsonLine(_ object: [String: Any]) -> String? {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
    return String(decoding: data, as: UTF8.self)
}

/// Whether a line holds only white space.
func isBlankLine(_ line: String) -> Bool {
    line.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
}

/// Watches the first lines of raw text for the shape of CoNLL (`FormatHints`), and warns once,
/// after 20 non-blank lines or at the end of the input, naming `--format conll`.
struct CoNLLShapeWatch {
    let stage: String
    let name: String
    private var sample: [String] = []
    private var decided = false

    init(stage: String, name: String) {
        self.stage = stage
        self.name = name
    }

    mutating func add(_ lines: [String]) {
        guard !decided else { return }
        for line in lines where !isBlankLine(line) {
            sample.append(line)
            if sample.count >= 20 { finish(); return }
        }
    }

    mutating func finish() {
        guard !decided else { return }
        decided = true
        if FormatHints.rawTextLooksLikeCoNLL(sample), let example = sample.first {
            StandardError.write("\(stage): warning: \(name) looks like CoNLL (`token TAG` lines such as '\(example)') but is read as raw text, each line one text; for CoNLL input use --format conll\n")
        }
    }
}
