/// Anything that hands out bytes in order.
public protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource: ByteStream {}

/// A stream whose first bytes can be looked at before reading (format and BOM sniffing).
public final class PeekableStream: ByteStream {
    /// The underlying input.
    public let source: ByteSource
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    /// Wraps `source`.
    public init(source: ByteSource) {
        self.source = source
    }

    /// Returns up to `count` bytes from the start without consuming them.
    public func peek(_ count: Int) throws -> [UInt8] {
        while pending.count - pendingOffset < count {
            var chunk = [UInt8](repeating: 0, count: count - (pending.count - pendingOffset))
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { break }
            pending.append(contentsOf: chunk[0..<got])
        }
        return Array(pending[pendingOffset..<min(pending.count, pendingOffset + count)])
    }

    /// Drops `count` peeked bytes (a byte order mark, say).
    public func skip(_ count: Int) {
        pendingOffset = min(pending.count, pendingOffset + count)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pendingOffset < pending.count {
            let count = min(buffer.count, pending.count - pendingOffset)
            pending.withUnsafeBytes { raw in
                buffer.baseAddress!.copyMemory(from: raw.baseAddress! + pendingOffset, byteCount: count)
            }
            pendingOffset += count
            if pendingOffset == pending.count {
                pending = []
                pendingOffset = 0
            }
            return count
        }
        return try source.read(into: buffer)
    }
}

/// The text encodings readers accept.
public enum TextEncoding: String, Sendable {
    case utf8, utf16LittleEndian, utf16BigEndian

    /// Detects a byte order mark at the start of `bytes`; returns the encoding and the BOM size.
    public static func detect(_ bytes: [UInt8]) -> (TextEncoding, bomLength: Int) {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { return (.utf8, 3) }
        if bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE { return (.utf16LittleEndian, 2) }
        if bytes.count >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF { return (.utf16BigEndian, 2) }
        return (.utf8, 0)
    }
}

/// Turns a UTF-16 byte stream into UTF-8 bytes, chunk by chunk. Unpaired surrogates become
/// U+FFFD and are counted.
public final class UTF16ToUTF8Stream: ByteStream {
    private let input: ByteStream
    private let bigEndian: Bool
    private var carry: [UInt8] = []
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var ended = false
    /// How many unpaired surrogates or odd trailing bytes were replaced.
    public private(set) var replacements = 0

    /// Decodes `input` as UTF-16 of the given byte order.
    public init(input: ByteStream, bigEndian: Bool) {
        self.input = input
        self.bigEndian = bigEndian
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputOffset >= output.count {
            if ended { return 0 }
            try refill()
        }
        let count = min(buffer.count, output.count - outputOffset)
        output.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + outputOffset, byteCount: count)
        }
        outputOffset += count
        return count
    }

    private func refill() throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        let got = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
        var bytes = carry + chunk[0..<got]
        carry = []
        if got == 0 {
            ended = true
            if bytes.count % 2 == 1 { bytes.removeLast(); replacements += 1 }
        }
        // Keep an odd byte, or a trailing high surrogate, for the next chunk.
        var usable = bytes.count & ~1
        if usable < bytes.count { carry = [bytes[usable]] }
        if !ended && usable >= 2 {
            let last = unit(bytes, usable - 2)
            if (0xD800...0xDBFF).contains(last) {
                carry = Array(bytes[(usable - 2)...])
                usable -= 2
            }
        }
        output.removeAll(keepingCapacity: true)
        outputOffset = 0
        var units: [UInt16] = []
        units.reserveCapacity(usable / 2)
        var index = 0
        while index < usable {
            units.append(unit(bytes, index))
            index += 2
        }
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): output.append(contentsOf: UTF8.encode(scalar)!)
            case .emptyInput: break loop
            case .error:
                replacements += 1
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
            }
        }
    }

    private func unit(_ bytes: [UInt8], _ index: Int) -> UInt16 {
        bigEndian ? UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
                  : UInt16(bytes[index + 1]) << 8 | UInt16(bytes[index])
    }
}
