import CCompression
import CountingKernels
import Corpora
import Foundation
import WordPipeSupport

/// A tokenized corpus encoded as vocabulary ids, so that multi-epoch training reads integers
/// instead of re-parsing text.
///
/// File layout (all little-endian), memory-mappable:
///
///     offset  size  field
///          0     8  magic "WPCORPUS"
///          8     4  format version (1)
///         12     4  flags (bit 0: unknown words mapped to `unknownID`)
///         16     8  vocabulary fingerprint (`Vocabulary.fingerprint`)
///         24     8  vocabulary size
///         32     8  token count (ids, sentence ends excluded)
///         40     8  sentence count
///         48     4  CRC-32 of the id section
///         52     4  unknown-word id (or 0xFFFFFFFF)
///         56     8  reserved (0)
///         64     …  UInt32 ids; 0xFFFFFFFF ends each sentence
///
/// A reader rejects a wrong magic, a newer version, a size that does not match the counts
/// (truncation), a checksum mismatch (corruption), an id outside the vocabulary, and a
/// vocabulary fingerprint other than the one it is given.
public final class EncodedCorpus {
    /// The marker written after each sentence.
    public static let sentenceEnd: UInt32 = 0xFFFF_FFFF
    /// The format version this code writes and reads.
    public static let version: UInt32 = 1
    /// The first 8 bytes of every encoded corpus.
    public static let magic = Array("WPCORPUS".utf8)
    static let headerSize = 64

    /// The path read.
    public let path: String
    /// The fingerprint of the vocabulary the ids refer to.
    public let vocabularyFingerprint: UInt64
    /// Its size.
    public let vocabularySize: Int
    /// Ids in the file (sentence ends excluded).
    public let tokenCount: Int
    /// Sentences in the file.
    public let sentenceCount: Int
    /// The id unknown words were mapped to, or nil when they were dropped.
    public let unknownID: UInt32?
    private let mapping: UnsafeMutableRawPointer
    private let mappedLength: Int

    /// Opens and validates an encoded corpus; with `vocabulary`, also checks that the file was
    /// made with it.
    public init(path: String, vocabulary: Vocabulary? = nil) throws {
        self.path = path
        let location = SourceLocation(path: path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        fstat(descriptor, &info)
        let length = Int(info.st_size)
        guard length >= Self.headerSize else {
            throw VocabularyError.malformed(location: location, message: "not an encoded corpus: \(length) bytes is shorter than the 64-byte header")
        }
        guard let pointer = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
            throw CorpusError.readFailed(location: location, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        mapping = pointer
        mappedLength = length
        let header = UnsafeRawBufferPointer(start: pointer, count: Self.headerSize)
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: header.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        var failure: String?
        if !header.prefix(8).elementsEqual(Self.magic) {
            failure = "not an encoded corpus (wrong magic number)"
        }
        let version = field(8, UInt32.self)
        if failure == nil && version > Self.version {
            failure = "encoded corpus format version \(version) is newer than this wordpipe reads (\(Self.version))"
        }
        let flags = field(12, UInt32.self)
        vocabularyFingerprint = field(16, UInt64.self)
        vocabularySize = Int(clamping: field(24, UInt64.self))
        tokenCount = Int(clamping: field(32, UInt64.self))
        sentenceCount = Int(clamping: field(40, UInt64.self))
        let checksum = field(48, UInt32.self)
        unknownID = flags & 1 != 0 ? field(52, UInt32.self) : nil
        let expected = tokenCount.multipliedReportingOverflow(by: 4).partialValue + sentenceCount * 4 + Self.headerSize
        if failure == nil && length != expected {
            failure = length < expected
                ? "truncated: \(length) bytes, but the header promises \(tokenCount) ids and \(sentenceCount) sentences (\(expected) bytes)"
                : "\(length - expected) bytes beyond the \(expected) the header promises"
        }
        if failure == nil {
            let body = UnsafeRawBufferPointer(start: pointer + Self.headerSize, count: length - Self.headerSize)
            let crc = UInt32(truncatingIfNeeded: crc32(0, body.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(body.count)))
            if crc != checksum { failure = "corrupted: checksum \(String(crc, radix: 16)) does not match the header's \(String(checksum, radix: 16))" }
        }
        if failure == nil, let vocabulary {
            if vocabulary.fingerprint != vocabularyFingerprint || vocabulary.count != vocabularySize {
                failure = "made for another vocabulary (\(vocabularySize) entries, fingerprint \(String(vocabularyFingerprint, radix: 16))) than the one given (\(vocabulary.count) entries, fingerprint \(String(vocabulary.fingerprint, radix: 16)))"
            }
        }
        if failure == nil {
            // Every id must be in the vocabulary.
            let ids = UnsafeBufferPointer(start: (pointer + Self.headerSize).assumingMemoryBound(to: UInt32.self), count: tokenCount + sentenceCount)
            var ends = 0
            for (position, raw) in ids.enumerated() {
                let id = UInt32(littleEndian: raw)
                if id == Self.sentenceEnd { ends += 1; continue }
                if Int(id) >= vocabularySize {
                    failure = "id \(id) at position \(position) is outside the vocabulary (\(vocabularySize) entries)"
                    break
                }
            }
            if failure == nil && ends != sentenceCount { failure = "\(ends) sentence ends, but the header says \(sentenceCount)" }
        }
        if let failure {
            munmap(pointer, length)
            throw VocabularyError.malformed(location: location, message: failure)
        }
    }

    deinit { munmap(mapping, mappedLength) }

    /// Calls `body` with the ids (sentence ends included as `sentenceEnd`), in place.
    public func withIDs<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: (mapping + Self.headerSize).assumingMemoryBound(to: UInt32.self),
                                     count: tokenCount + sentenceCount))
    }

    /// The sentences as id arrays (for tests and small corpora).
    public func sentences() -> [[UInt32]] {
        withIDs { ids in
            var result: [[UInt32]] = []
            var current: [UInt32] = []
            for id in ids {
                if id == Self.sentenceEnd {
                    result.append(current)
                    current = []
                } else {
                    current.append(id)
                }
            }
            return result
        }
    }
}

/// What unknown (out-of-vocabulary) words become when encoding.
public enum UnknownWordPolicy: Sendable, Equatable {
    /// Left out (embedding training).
    case drop
    /// Replaced by this token, which must be in the vocabulary (e.g. `<unk>`).
    case map(String)
}

/// What an encoding run did.
public struct EncodeSummary: Sendable, Equatable {
    /// Ids written.
    public var tokens: Int64 = 0
    /// Sentences written (empty ones are skipped).
    public var sentences: Int64 = 0
    /// Corpus tokens not in the vocabulary.
    public var unknown: Int64 = 0
}

extension EncodedCorpus {
    /// Encodes tokenized corpus files against `vocabulary` into `output` (atomically).
    public static func encode(inputs: [String], vocabulary: Vocabulary, unknown: UnknownWordPolicy = .drop,
                              to output: String) throws -> EncodeSummary {
        var unknownID: UInt32?
        if case .map(let token) = unknown {
            guard let id = vocabulary.id(of: token) else {
                throw VocabularyError.invalidOption(name: "unknown token", value: "'\(token)'", expected: "a token of the vocabulary")
            }
            unknownID = UInt32(id)
        }
        // A byte-keyed table maps words to id + 1 without building a String per token.
        let table = try CountTable()
        for (index, word) in vocabulary.words.enumerated() { try table.add(word, count: Int64(index) + 1) }

        let file = try OutputFile(path: output)
        try file.write([UInt8](repeating: 0, count: headerSize))
        var summary = EncodeSummary()
        var crc = crc32(0, nil, 0)
        var ids: [UInt32] = []
        ids.reserveCapacity(1 << 20)
        var sentenceOpen = false
        func flush() throws {
            try Interruption.check()
            ids.withUnsafeBytes { raw in
                crc = crc32(crc, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(raw.count))
            }
            try ids.withUnsafeBytes { try file.write($0) }
            ids.removeAll(keepingCapacity: true)
        }
        for path in try CorpusReader.expand(inputs) {
            let source = try ByteSource(path: path)
            defer { source.close() }
            let lines = LineReader(source: source, maximumLength: 1 << 22)
            while let line = try lines.next() {
                line.bytes.withUnsafeBufferPointer { bytes in
                    var index = 0
                    let count = bytes.count
                    while index < count {
                        while index < count && isSeparator(bytes[index]) { index += 1 }
                        let start = index
                        while index < count && !isSeparator(bytes[index]) { index += 1 }
                        guard index > start else { continue }
                        let found = table.lookup(bytes.baseAddress! + start, index - start)
                        if found > 0 {
                            ids.append(UInt32(found - 1))
                        } else {
                            summary.unknown += 1
                            guard let unknownID else { continue }
                            ids.append(unknownID)
                        }
                        summary.tokens += 1
                        sentenceOpen = true
                    }
                }
                if !line.continues && sentenceOpen {
                    ids.append(sentenceEnd)
                    summary.sentences += 1
                    sentenceOpen = false
                }
                if ids.count >= 1 << 20 { try flush() }
            }
            if sentenceOpen {
                ids.append(sentenceEnd)
                summary.sentences += 1
                sentenceOpen = false
            }
        }
        try flush()
        if summary.tokens == 0 { throw VocabularyError.emptyCorpus(inputs: inputs) }
        // Write the header now that the counts and checksum are known.
        var header = [UInt8](repeating: 0, count: headerSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes in
                for (index, byte) in bytes.enumerated() { header[offset + index] = byte }
            }
        }
        header.replaceSubrange(0..<8, with: magic)
        put(version, at: 8)
        put(UInt32(unknownID == nil ? 0 : 1), at: 12)
        put(vocabulary.fingerprint, at: 16)
        put(UInt64(vocabulary.count), at: 24)
        put(UInt64(summary.tokens), at: 32)
        put(UInt64(summary.sentences), at: 40)
        put(UInt32(truncatingIfNeeded: crc), at: 48)
        put(unknownID ?? sentenceEnd, at: 52)
        try file.overwrite(header, at: 0)
        try file.commit()
        return summary
    }
}
