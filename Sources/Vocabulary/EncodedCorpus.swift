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
///          8     4  format version (2; version 1 is read too)
///         12     4  flags (bit 0: unknown words mapped to `unknownID`)
///         16     8  vocabulary fingerprint (`Vocabulary.fingerprint`)
///         24     8  vocabulary size
///         32     8  token count (ids, sentence ends excluded)
///         40     8  sentence count
///         48     4  checksum of the id section: CRC-32C (version 1: zlib's CRC-32)
///         52     4  unknown-word id (or 0xFFFFFFFF)
///         56     4  reserved (0)
///         60     4  CRC-32C of bytes 0 ..< 60 (version 2; 0 in version 1)
///         64     …  UInt32 ids; 0xFFFFFFFF ends each sentence
///
/// A reader rejects a wrong magic, a newer version, a header whose checksum does not match, a
/// header that disagrees with the payload (sizes, counts, flags, an unknown-word id outside the
/// vocabulary), an id-section checksum mismatch (corruption), an id outside the vocabulary, an
/// empty or unterminated sentence, and a vocabulary fingerprint other than the one it is given.
public final class EncodedCorpus {
    /// The marker written after each sentence.
    public static let sentenceEnd: UInt32 = 0xFFFF_FFFF
    /// The format version this code writes (it reads versions 1 and 2).
    public static let version: UInt32 = 2
    /// The first 8 bytes of every encoded corpus.
    public static let magic = Array("WPCORPUS".utf8)
    static let headerSize = 64

    /// The fields of an encoded corpus's header, checked against each other and the file size.
    public struct Header: Sendable, Equatable {
        /// The format version.
        public var version: UInt32
        /// The fingerprint and size of the vocabulary the ids refer to.
        public var vocabularyFingerprint: UInt64
        public var vocabularySize: Int
        /// Ids (sentence ends excluded) and sentences.
        public var tokenCount: Int
        public var sentenceCount: Int
        /// The id unknown words were mapped to, or nil when they were dropped.
        public var unknownID: UInt32?
        /// The stored checksum of the ids (CRC-32C; version 1: CRC-32).
        public var idsChecksum: UInt32
        /// The stored CRC-32C of the header (nil in version 1).
        public var headerChecksum: UInt32?

        /// Checks the 64 header bytes of a file of `fileLength` bytes; the errors name `location`.
        public init(_ bytes: UnsafeRawBufferPointer, fileLength: Int, location: SourceLocation) throws {
            func damaged(_ message: String) -> VocabularyError { .malformed(location: location, message: message) }
            guard bytes.count >= headerSize, fileLength >= headerSize else {
                throw damaged("not an encoded corpus: \(fileLength) bytes is shorter than the 64-byte header")
            }
            func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            guard bytes.prefix(8).elementsEqual(magic) else { throw damaged("not an encoded corpus (wrong magic number)") }
            version = field(8, UInt32.self)
            guard version <= EncodedCorpus.version else {
                throw damaged("encoded corpus format version \(version) is newer than this wordpipe reads (\(EncodedCorpus.version))")
            }
            guard version >= 1 else { throw damaged("damaged header: format version 0 does not exist") }
            if version >= 2 {
                let stored = field(60, UInt32.self)
                let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0 ..< 60]))
                guard computed == stored else {
                    throw damaged("damaged header: its CRC-32C is \(CRC32C.hex(computed)), the file records \(CRC32C.hex(stored)) (the file changed after it was written; encode the corpus again)")
                }
                headerChecksum = stored
            } else {
                headerChecksum = nil
            }
            let flags = field(12, UInt32.self)
            guard flags & ~1 == 0 else { throw damaged("damaged header: unknown flags \(String(flags, radix: 16))") }
            let reserved = version >= 2 ? bytes[56 ..< 60] : bytes[56 ..< 64]
            guard reserved.allSatisfy({ $0 == 0 }) else { throw damaged("damaged header: the reserved bytes 56 ..< \(56 + reserved.count) are not zero") }
            vocabularyFingerprint = field(16, UInt64.self)
            let size = field(24, UInt64.self)
            // Ids are UInt32 below the vocabulary size, and 0xFFFFFFFF marks sentence ends.
            guard size <= UInt64(sentenceEnd) else { throw damaged("damaged header: a vocabulary of \(size) entries cannot be encoded in 32-bit ids") }
            vocabularySize = Int(size)
            let tokens = field(32, UInt64.self), sentences = field(40, UInt64.self)
            let payload = fileLength - headerSize
            let ids = UInt64(payload / 4)
            guard payload % 4 == 0, tokens <= ids, sentences == ids - tokens else {
                throw damaged("truncated or damaged: \(fileLength) bytes hold \(payload / 4) ids\(payload % 4 == 0 ? "" : " and \(payload % 4) more bytes"), but the header promises \(tokens) ids and \(sentences) sentence ends")
            }
            tokenCount = Int(tokens)
            sentenceCount = Int(sentences)
            let unknown = field(52, UInt32.self)
            if flags & 1 != 0 {
                guard Int(unknown) < vocabularySize else {
                    throw damaged("damaged header: the unknown-word id \(unknown) is outside the vocabulary (\(vocabularySize) entries)")
                }
                unknownID = unknown
            } else {
                guard unknown == sentenceEnd else { throw damaged("damaged header: an unknown-word id \(unknown) without the flag that says unknown words are mapped") }
                unknownID = nil
            }
            idsChecksum = field(48, UInt32.self)
        }
    }

    /// The path read.
    public let path: String
    /// The header's fields.
    public let header: Header
    /// The fingerprint of the vocabulary the ids refer to.
    public var vocabularyFingerprint: UInt64 { header.vocabularyFingerprint }
    /// Its size.
    public var vocabularySize: Int { header.vocabularySize }
    /// Ids in the file (sentence ends excluded).
    public var tokenCount: Int { header.tokenCount }
    /// Sentences in the file.
    public var sentenceCount: Int { header.sentenceCount }
    /// The id unknown words were mapped to, or nil when they were dropped.
    public var unknownID: UInt32? { header.unknownID }
    private let mapping: UnsafeMutableRawPointer
    private let mappedLength: Int

    /// Opens and validates an encoded corpus: the header and its checksum, the header against
    /// the payload, the ids' checksum, and every id. With `vocabulary`, also checks that the
    /// file was made with it.
    ///
    /// - Complexity: O(n) in the file size (two passes over the ids, about 0.1 s per GB).
    public init(path: String, vocabulary: Vocabulary? = nil) throws {
        self.path = path
        let location = SourceLocation(path: path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let length = Int(info.st_size)
        guard length >= Self.headerSize else {
            throw VocabularyError.malformed(location: location, message: "not an encoded corpus: \(length) bytes is shorter than the 64-byte header")
        }
        guard let pointer = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
            throw CorpusError.readFailed(location: location, reason: "mmap: \(String(cString: strerror(errno)))")
        }
        do {
            header = try Header(UnsafeRawBufferPointer(start: pointer, count: Self.headerSize), fileLength: length, location: location)
            let body = UnsafeRawBufferPointer(start: pointer + Self.headerSize, count: length - Self.headerSize)
            try Self.verifyPayload(body, header: header, vocabulary: vocabulary, location: location)
        } catch {
            munmap(pointer, length)
            throw error
        }
        mapping = pointer
        mappedLength = length
    }

    /// Checks the ids against the header: their checksum, the vocabulary, every id in range,
    /// the sentence ends counted, no empty sentence, the last sentence ended.
    static func verifyPayload(_ body: UnsafeRawBufferPointer, header: Header, vocabulary: Vocabulary?, location: SourceLocation) throws {
        func damaged(_ message: String) -> VocabularyError { .malformed(location: location, message: message) }
        let computed: UInt32
        if header.version >= 2 {
            computed = CRC32C.checksum(body)
        } else {
            computed = legacyChecksum(body)
        }
        if computed != header.idsChecksum {
            throw damaged("corrupted: checksum \(CRC32C.hex(computed)) of the ids does not match the header's \(CRC32C.hex(header.idsChecksum)) (the file changed after it was written; encode the corpus again)")
        }
        if let vocabulary, vocabulary.fingerprint != header.vocabularyFingerprint || vocabulary.count != header.vocabularySize {
            throw damaged("made for another vocabulary (\(header.vocabularySize) entries, fingerprint \(String(header.vocabularyFingerprint, radix: 16))) than the one given (\(vocabulary.count) entries, fingerprint \(String(vocabulary.fingerprint, radix: 16)))")
        }
        // The mapping is page-aligned and the ids start at byte 64: aligned UInt32 values.
        let ids = UnsafeBufferPointer(start: body.baseAddress?.assumingMemoryBound(to: UInt32.self), count: body.count / 4)
        let limit = UInt32(truncatingIfNeeded: header.vocabularySize)
        var ends = 0
        var previousWasEnd = true
        for position in 0 ..< ids.count {
            let id = UInt32(littleEndian: ids[position])
            if id == sentenceEnd {
                if previousWasEnd { throw damaged("an empty sentence ends at id position \(position); the encoder writes none") }
                ends += 1
                previousWasEnd = true
            } else {
                if id >= limit { throw damaged("id \(id) at position \(position) is outside the vocabulary (\(header.vocabularySize) entries)") }
                previousWasEnd = false
            }
        }
        if ends != header.sentenceCount { throw damaged("\(ends) sentence ends, but the header says \(header.sentenceCount)") }
        if !previousWasEnd { throw damaged("the last sentence has no end marker") }
    }

    /// The checksum of version 1 files: zlib's CRC-32 (which takes 32-bit lengths, so a file
    /// over 4 GB is checked in pieces).
    static func legacyChecksum(_ body: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc32(0, nil, 0)
        var offset = 0
        while offset < body.count {
            let piece = min(body.count - offset, 1 << 30)
            crc = crc32(crc, body.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset }, UInt32(piece))
            offset += piece
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Describes an encoded corpus for `wordpipe inspect`: the header is always checked; with
    /// `verify`, the payload too (as `init(path:)` does).
    public static func describe(path: String, verify: Bool) throws -> ArtifactDescription {
        let header: Header
        if verify {
            header = try EncodedCorpus(path: path).header
        } else {
            let location = SourceLocation(path: path)
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CorpusError.cannotOpen(path: path, reason: "cannot open the file") }
            defer { try? handle.close() }
            let bytes = (try? handle.read(upToCount: headerSize)) ?? Data()
            let length = Int((try? handle.seekToEnd()) ?? 0)
            header = try bytes.withUnsafeBytes { try Header($0, fileLength: length, location: location) }
        }
        var checksums: [ArtifactDescription.Checksum] = []
        if let stored = header.headerChecksum { checksums.append(.init(part: "header", stored: stored, verified: true)) }
        checksums.append(.init(part: "ids", algorithm: header.version >= 2 ? "CRC-32C" : "CRC-32", stored: header.idsChecksum, verified: verify))
        let fields: [ArtifactDescription.Field] = [
            .init("tokens", .integer(header.tokenCount)), .init("sentences", .integer(header.sentenceCount)),
            .init("vocabulary size", .integer(header.vocabularySize)),
            .init("vocabulary fingerprint", .text(String(header.vocabularyFingerprint, radix: 16))),
            .init("unknown words", .text(header.unknownID.map { "mapped to id \($0)" } ?? "dropped")),
        ]
        return ArtifactDescription(path: path, kind: "encoded corpus", magic: "WPCORPUS", version: Int(header.version),
                                   currentVersion: Int(version), fields: fields, checksums: checksums, verified: verify)
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
        var crc: UInt32 = 0
        var ids: [UInt32] = []
        ids.reserveCapacity(1 << 20)
        var sentenceOpen = false
        func flush() throws {
            try Interruption.check()
            crc = ids.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
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
        put(crc, at: 48)
        put(unknownID ?? sentenceEnd, at: 52)
        put(CRC32C.checksum(of: header[0 ..< 60]), at: 60)
        try file.overwrite(header, at: 0)
        try file.commit()
        return summary
    }
}
