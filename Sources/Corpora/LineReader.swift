/// Splits a byte stream into lines, without ever holding more than one line (or one piece of
/// an overlong line) in memory.
///
/// `\n` and `\r\n` end lines. A line longer than `maximumLength` bytes is cut into pieces,
/// each cut at the last ASCII space or tab before the limit (else at a UTF-8 character
/// boundary), so a 100 MB one-line corpus streams in bounded memory; every piece but the last
/// is marked `continues`.
public final class LineReader {
    /// One line, or one piece of an overlong line.
    public struct Line {
        /// The bytes, without the line terminator.
        public var bytes: ArraySlice<UInt8>
        /// The 1-based number of the physical line this piece belongs to.
        public var number: Int
        /// True when the line goes on in the next piece.
        public var continues: Bool
    }

    /// The stream being read.
    public let source: ByteStream
    /// The largest piece handed out.
    public let maximumLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var atEnd = false
    private var lineNumber = 1
    /// The largest read.
    private static let largestChunk = 1 << 20
    /// Room for one read, appended to `buffer` afterwards. (Growing `buffer` by
    /// `repeatElement(0, count:)` to read into it directly cost about 0.2 s per MiB in debug
    /// builds, where that generic append runs unspecialized: 10 s for a 50 MB test file.)
    /// It starts at 16 KiB and doubles after each read that fills it, up to 1 MiB, so a small
    /// file (a label file, a fuzzer's input) does not pay for zeroing a megabyte.
    private var chunk = [UInt8](repeating: 0, count: 1 << 14)

    /// Reads lines from `source`, cutting lines longer than `maximumLength` bytes.
    public init(source: ByteStream, maximumLength: Int = 1 << 20) {
        self.source = source
        self.maximumLength = max(16, maximumLength)
    }

    /// Returns the next line, or nil at the end of the input.
    public func next() throws -> Line? {
        while true {
            // Look for a newline in what is buffered.
            let end = buffer.count
            var index = scanned
            let found: Int? = buffer.withUnsafeBufferPointer { pointer in
                while index < end {
                    if pointer[index] == 0x0A { return index }
                    index += 1
                }
                return nil
            }
            if let newline = found {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                if newline - start > maximumLength { return cutPiece() }
                let line = Line(bytes: buffer[start..<lineEnd], number: lineNumber, continues: false)
                start = newline + 1
                scanned = start
                lineNumber += 1
                return line
            }
            scanned = end
            if end - start > maximumLength { return cutPiece() }
            if atEnd {
                if start < end {
                    var lineEnd = end
                    if buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    let line = Line(bytes: buffer[start..<lineEnd], number: lineNumber, continues: false)
                    start = end
                    return line
                }
                return nil
            }
            try fill()
        }
    }

    /// Hands out the first piece of an overlong line.
    private func cutPiece() -> Line {
        let limit = start + maximumLength
        var cut = limit
        // Prefer a space or tab in the last quarter of the piece.
        var probe = limit - 1
        let floor = start + maximumLength * 3 / 4
        while probe > floor {
            let byte = buffer[probe]
            if byte == 0x20 || byte == 0x09 { cut = probe + 1; break }
            probe -= 1
        }
        if cut == limit {
            // No space: back up to a UTF-8 lead byte so no character is split.
            while cut > start + 1 && (buffer[cut] & 0xC0) == 0x80 { cut -= 1 }
        }
        let line = Line(bytes: buffer[start..<cut], number: lineNumber, continues: true)
        start = cut
        if scanned < start { scanned = start }
        return line
    }

    private func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        buffer.append(contentsOf: chunk[0..<got])
        if got == 0 { atEnd = true }
        if got == chunk.count && chunk.count < Self.largestChunk {
            chunk = [UInt8](repeating: 0, count: chunk.count * 2)
        }
    }
}
