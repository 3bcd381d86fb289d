import CountingKernels
import Foundation
import WordPipeSupport

/// Ill-formed UTF-8 found in one input file while counting.
public struct InvalidUTF8: Sendable, Equatable {
    /// The file (`-` for standard input).
    public var path: String
    /// Ill-formed sequences, each replaced by U+FFFD in the word it was in.
    public var sequences: Int64
    /// Token occurrences holding them.
    public var tokens: Int64
    /// The first line where one occurred (1-based).
    public var firstLine: Int64

    /// Creates a record.
    public init(path: String, sequences: Int64, tokens: Int64, firstLine: Int64) {
        self.path = path
        self.sequences = sequences
        self.tokens = tokens
        self.firstLine = firstLine
    }

    /// The warning `tokenize` prints for the same finding, without the stage name.
    public var warning: String {
        "\(path):\(firstLine): \(sequences) invalid UTF-8 sequences replaced by U+FFFD (first on this line)"
    }
}

/// Where a counted chunk lies in the input: its file, and its place among that file's chunks
/// (a byte offset for plain files, cut into pieces that any worker may count; a sequence
/// number for streamed ones).
struct ChunkPlace: Sendable {
    var file: Int
    var order: Int64
}

/// Gathers, from chunks counted in any order by any worker, the line ends of every chunk and
/// the first token of each that is not valid UTF-8 or holds a NUL byte; then puts them in file
/// order to name the first line of each finding. One entry per chunk of about 4 MB: the log
/// stays small and its lock is taken once per chunk.
final class TextIssueLog: @unchecked Sendable {
    private struct Entry {
        var order: Int64
        var lines: Int64
        var invalidTokens: Int64
        var invalidSequences: Int64
        /// Line ends before the first invalid token / the first NUL, within the chunk.
        var invalidLine: Int64?
        var nulLine: Int64?
    }

    private let lock = NSLock()
    private var entries: [Int: [Entry]] = [:]

    /// Records one counted chunk: its bytes, its line ends and what the scan found in it.
    func record(_ place: ChunkPlace, chunk: UnsafeRawBufferPointer, lines: Int64, issues: wp_text_issues) {
        func linesBefore(_ offset: Int64) -> Int64? {
            guard offset >= 0 else { return nil }
            return Int64(chunk.prefix(Int(offset)).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        }
        let entry = Entry(order: place.order, lines: lines, invalidTokens: issues.invalid_tokens,
                          invalidSequences: issues.invalid_sequences, invalidLine: linesBefore(issues.first_invalid),
                          nulLine: linesBefore(issues.first_nul))
        lock.lock()
        entries[place.file, default: []].append(entry)
        lock.unlock()
    }

    /// The findings per file of `paths` (indexed as the places were): ill-formed UTF-8 per
    /// file, and the first NUL byte, if any.
    func findings(paths: [String]) -> (invalid: [InvalidUTF8], firstNUL: SourceLocation?) {
        lock.lock()
        defer { lock.unlock() }
        var invalid: [InvalidUTF8] = []
        var firstNUL: SourceLocation?
        for (file, path) in paths.enumerated() {
            guard let chunks = entries[file]?.sorted(by: { $0.order < $1.order }) else { continue }
            var linesBefore: Int64 = 0
            var record: InvalidUTF8?
            for chunk in chunks {
                if let line = chunk.invalidLine {
                    if record == nil { record = InvalidUTF8(path: path, sequences: 0, tokens: 0, firstLine: linesBefore + line + 1) }
                    record?.sequences += chunk.invalidSequences
                    record?.tokens += chunk.invalidTokens
                }
                if firstNUL == nil, let line = chunk.nulLine {
                    firstNUL = SourceLocation(path: path, line: Int(clamping: linesBefore + line + 1))
                }
                linesBefore += chunk.lines
            }
            if let record { invalid.append(record) }
        }
        return (invalid, firstNUL)
    }
}
