import Foundation
import Tokenization
import Vocabulary
import WordPipeSupport

/// A native vector file mapped read-only into memory: the header parsed and checked, the
/// float32 rows left in place.
///
/// The native layout allows it: the rows start at `matrixOffset`, a multiple of 64 in every
/// file `WordVectors.write(to:format: .native)` writes, and `mmap` returns a page-aligned base,
/// so the rows are aligned float32 values, little-endian as the file stores them. When a file
/// (from another writer) puts them at an offset that is not a multiple of 4, or the machine is
/// big-endian, `rows` is nil and readers copy the values instead.
///
/// Files are replaced by renaming (see `OutputFile`), which leaves a mapped file's bytes in
/// place; truncating a mapped file in place from another process would fault the reader.
final class MappedVectorFile: @unchecked Sendable {
    /// The words, counts and tokenizer configuration.
    let vocabulary: Vocabulary
    /// The vector dimension.
    let dim: Int
    /// How the vectors were trained, when known.
    let training: TrainingConfiguration?
    /// The fixed fields and checksums.
    let layout: NativeVectorLayout
    /// The `count × dim` rows in the mapping, or nil when they cannot be used in place.
    let rows: UnsafeBufferPointer<Float>?
    /// The mapped bytes of the rows.
    let rowBytes: UnsafeRawBufferPointer
    /// The n-gram lengths and bucket count, when the file has n-gram rows.
    let subwordShape: (range: SubwordRange, buckets: Int)?
    /// The `buckets × dim` n-gram rows in the mapping, when the file has them and they can be used in place.
    let subwordRows: UnsafeBufferPointer<Float>?
    /// The mapped bytes of the n-gram rows (empty without them).
    let subwordRowBytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int
    /// The file, kept open for `readRows` (the same file as the mapping, even if its path is
    /// replaced later).
    private let descriptor: Int32

    /// Maps and checks a native vector file (magic, version, sizes, header and its checksum),
    /// with the errors `WordVectors.readNative(from:)` reports. With `verify` (the default), the
    /// rows' checksum is computed too (about 0.1 s per GB with the SSE4.2 instruction, on
    /// another thread while the header is decoded); it brings the rows into the page cache,
    /// which the first query does anyway.
    init(path: String, verify: Bool = true) throws {
        let location = SourceLocation(path: path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw EmbeddingError.malformed(location: location, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        var keepOpen = false
        defer { if !keepOpen { close(descriptor) } }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw EmbeddingError.malformed(location: location, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        let length = Int(info.st_size)
        var base: UnsafeMutableRawPointer?
        if length > 0 {
            guard let pointer = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
                throw EmbeddingError.malformed(location: location, message: "cannot read: mmap: \(String(cString: strerror(errno)))")
            }
            base = pointer
        }
        mapping = base
        mappedLength = length
        self.descriptor = descriptor
        do {
            let bytes = UnsafeRawBufferPointer(start: base, count: length)
            var layout = try WordVectors.parseNativeFixedFields(bytes, location: location)
            let wordsEnd = layout.matrixOffset + layout.rows * layout.dim * 4
            let rowBytes = UnsafeRawBufferPointer(rebasing: bytes[layout.matrixOffset ..< wordsEnd])
            self.rowBytes = rowBytes
            // The rows' checksum is computed on another thread while the JSON header is decoded,
            // which takes longer (100,000 words: about 150 ms against 12 ms for 120 MB of rows).
            let pending = verify && layout.rowsChecksum != nil ? PendingChecksum(rowBytes) : nil
            do {
                defer { _ = pending?.wait() }  // the mapping must outlive the other thread
                layout.header = try WordVectors.decodeNativeHeader(bytes, layout: layout, location: location)
            }
            if let pending, let stored = layout.rowsChecksum {
                let computed = pending.wait()
                guard computed == stored else {
                    throw EmbeddingError.malformed(location: location, message: """
                        damaged rows: their CRC-32C is \(CRC32C.hex(computed)), the header records \(CRC32C.hex(stored)) \
                        (the file changed after it was written; restore it or train the vectors again)
                        """)
                }
            }
            let header = layout.header
            if let subwords = header.subwords {
                let ngramBytes = UnsafeRawBufferPointer(rebasing: bytes[subwords.offset...])
                if verify {
                    let computed = CRC32C.checksum(ngramBytes)
                    guard computed == subwords.checksum else {
                        throw EmbeddingError.malformed(location: location, message: "damaged n-gram rows: their CRC-32C is \(CRC32C.hex(computed)), the header records \(CRC32C.hex(subwords.checksum)) (the file changed after it was written; restore it or train the vectors again)")
                    }
                }
                subwordRowBytes = ngramBytes
                subwordShape = (subwords.ngrams, subwords.buckets)
            } else {
                subwordRowBytes = UnsafeRawBufferPointer(start: nil, count: 0)
                subwordShape = nil
            }
            self.layout = layout
            vocabulary = Vocabulary(words: header.words, counts: header.counts, specialCount: header.specialCount, tokenizer: header.tokenizer)
            if let repeated = vocabulary.firstRepeat {
                throw EmbeddingError.malformed(location: location, message: "the word '\(repeated.word)' is stored twice, as words \(repeated.first + 1) and \(repeated.second + 1); a vector file holds each word once (write it again with wordpipe train or convert)")
            }
            self.dim = layout.dim
            training = header.training
            let matrixOffset = layout.matrixOffset
            #if _endian(little)
            let aligned = matrixOffset % MemoryLayout<Float>.alignment == 0
            #else
            let aligned = false
            #endif
            rows = aligned ? rowBytes.bindMemory(to: Float.self) : nil
            subwordRows = aligned && subwordShape != nil ? subwordRowBytes.bindMemory(to: Float.self) : nil
        } catch {
            if let base { munmap(base, length) }
            throw error
        }
        keepOpen = true  // closed by deinit
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
        close(descriptor)
    }

    /// Drops the mapping's pages from the process's resident memory: `madvise(MADV_DONTNEED)` on
    /// a read-only private file mapping unmaps them, the page cache keeps them, and a later read
    /// maps them again (the same bytes). Safe while other threads read the mapping.
    func releasePages() {
        guard let mapping, mappedLength > 0 else { return }
        #if canImport(Glibc)
        _ = madvise(mapping, mappedLength, MADV_DONTNEED)
        #else
        _ = posix_madvise(mapping, mappedLength, POSIX_MADV_DONTNEED)
        #endif
    }

    /// Reads rows `first ..< first + count` (float32, `dim` each) into `target` with `pread`, from
    /// the page cache without mapping its pages into the process (so they do not count in its
    /// resident memory, as reading them through the mapping would: the kernel maps 64 KB to 2 MB
    /// around each faulting address). False when the read fails (then read the mapping).
    func readRows(_ first: Int, count: Int, into target: UnsafeMutablePointer<Float>) -> Bool {
        let total = count * dim * 4
        var done = 0
        let start = layout.matrixOffset + first * dim * 4
        while done < total {
            let read = pread(descriptor, UnsafeMutableRawPointer(target) + done, total - done, off_t(start + done))
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { return false }
            done += read
        }
        #if _endian(big)
        for index in 0 ..< count * dim { target[index] = Float(bitPattern: UInt32(littleEndian: target[index].bitPattern)) }
        #endif
        return true
    }

    /// Drops the whole pages inside `bytes` (part of a mapping) from the process's resident
    /// memory, as `releasePages()` does for the whole mapping; the partial pages at either end stay.
    static func releaseWholePages(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let page = UInt(max(1, getpagesize()))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        #if canImport(Glibc)
        _ = madvise(pointer, Int(end - start), MADV_DONTNEED)
        #else
        _ = posix_madvise(pointer, Int(end - start), POSIX_MADV_DONTNEED)
        #endif
    }

    /// A copy of the rows as an array (little-endian values decoded).
    func matrix() -> [Float] {
        if let rows { return Array(rows) }
        return Self.decode(rowBytes)
    }

    /// A copy of the n-gram rows, when the file has them.
    func subwordVectors() -> SubwordVectors? {
        guard let (range, buckets) = subwordShape else { return nil }
        return SubwordVectors(range: range, buckets: buckets, matrix: subwordRows.map { Array($0) } ?? Self.decode(subwordRowBytes))
    }

    /// Little-endian float32 values from bytes at any alignment.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        (0 ..< bytes.count / 4).map {
            Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
    }
}

/// A CRC-32C computed on another thread; `wait()` returns it (and may be called again).
private final class PendingChecksum: @unchecked Sendable {
    private let group = DispatchGroup()
    private var value: UInt32 = 0

    /// Starts computing the checksum of `bytes`, which must stay valid until `wait()` returns.
    init(_ bytes: UnsafeRawBufferPointer) {
        let address = UInt(bitPattern: bytes.baseAddress), count = bytes.count
        group.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            // 8 MB at a time, each part's pages released once read, so that verifying a large file
            // does not make all of it resident at once (the page cache keeps it).
            let all = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count)
            var crc: UInt32 = 0
            var offset = 0
            while offset < count {
                let part = UnsafeRawBufferPointer(rebasing: all[offset ..< min(count, offset + 8 << 20)])
                crc = CRC32C.checksum(part, continuing: crc)
                MappedVectorFile.releaseWholePages(part)
                offset += part.count
            }
            value = crc
            group.leave()
        }
    }

    func wait() -> UInt32 {
        group.wait()
        return value
    }
}

/// The fixed fields of a native vector file and its parsed JSON header.
struct NativeVectorLayout {
    var version: UInt32
    var dim: Int
    var rows: Int
    var matrixOffset: Int
    /// The CRC-32C of the rows and of the header (version 2 on; nil in version 1).
    var rowsChecksum: UInt32?
    var headerChecksum: UInt32?
    var jsonLength: Int
    /// Empty until `decodeNativeHeader` has run.
    var header = NativeVectorHeader(words: [], counts: [], specialCount: 0)
}

extension WordVectors {
    /// Checks the fixed fields of a native file's bytes and the header checksum (version 2)
    /// against each other and against the file size, without decoding the JSON header
    /// (`decodeNativeHeader`) or the rows' checksum (left to the caller).
    ///
    /// Layout, little-endian: magic `WPVECTRS` (8), version (4), dim (4), rows (8), JSON length
    /// (8), rows offset (8); version 2 adds the rows' CRC-32C (4) and the header's CRC-32C (4,
    /// over the 44 bytes before it, the JSON and the zero padding up to the rows). Then the
    /// JSON header, zero padding to a multiple of 64, and the float32 rows.
    static func parseNativeFixedFields(_ data: UnsafeRawBufferPointer, location: SourceLocation) throws -> NativeVectorLayout {
        func damaged(_ message: String) -> EmbeddingError { .malformed(location: location, message: message) }
        guard data.count >= 40 else { throw damaged("truncated: \(data.count) bytes, shorter than the header") }
        guard data.prefix(8).elementsEqual(nativeMagic) else {
            throw damaged("not a WordPipe vector file (wrong magic number)")
        }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let version = field(8, UInt32.self)
        guard version <= nativeVersion else {
            throw damaged("vector format version \(version) is newer than this wordpipe reads (\(nativeVersion))")
        }
        guard version >= 1 else { throw damaged("damaged header: format version 0 does not exist") }
        let fixedSize = version >= 2 ? nativeFixedSize : 40
        guard data.count >= fixedSize else { throw damaged("truncated: \(data.count) bytes, shorter than the header") }
        let dim = Int(field(12, UInt32.self))
        let rows = Int(clamping: field(16, UInt64.self))
        let jsonLength = Int(clamping: field(24, UInt64.self))
        let matrixOffset = Int(clamping: field(32, UInt64.self))
        // The JSON and the padding must lie between the fixed fields and the rows, inside the file.
        guard jsonLength <= matrixOffset - fixedSize, matrixOffset <= data.count else {
            throw damaged("damaged header: \(jsonLength) bytes of JSON and rows at byte \(matrixOffset) do not fit a file of \(data.count) bytes")
        }
        var rowsChecksum: UInt32?
        var headerChecksum: UInt32?
        if version >= 2 {
            let stored = field(44, UInt32.self)
            var computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: data[0 ..< 44]))
            computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: data[fixedSize ..< matrixOffset]), continuing: computed)
            guard computed == stored else {
                throw damaged("damaged header: its CRC-32C is \(CRC32C.hex(computed)), the file records \(CRC32C.hex(stored)) (the file changed after it was written; restore it or train the vectors again)")
            }
            rowsChecksum = field(40, UInt32.self)
            headerChecksum = stored
        }
        let (rowSize, rowOverflow) = dim.multipliedReportingOverflow(by: 4)
        let (size, sizeOverflow) = rows.multipliedReportingOverflow(by: rowSize)
        let (expected, expectedOverflow) = matrixOffset.addingReportingOverflow(size)
        // Version 3 has the n-gram rows after the word rows (checked with the JSON header).
        guard dim > 0, !rowOverflow, !sizeOverflow, !expectedOverflow, version >= 3 ? data.count >= expected : data.count == expected else {
            throw damaged("truncated or damaged: \(data.count) bytes, the header promises \(expectedOverflow || sizeOverflow ? "more" : String(expected)) (\(rows) × \(dim) floats from byte \(matrixOffset))")
        }
        return NativeVectorLayout(version: version, dim: dim, rows: rows, matrixOffset: matrixOffset,
                                  rowsChecksum: rowsChecksum, headerChecksum: headerChecksum, jsonLength: jsonLength)
    }

    /// The JSON header after `parseNativeFixedFields`, checked against the fixed fields.
    static func decodeNativeHeader(_ data: UnsafeRawBufferPointer, layout: NativeVectorLayout, location: SourceLocation) throws
        -> NativeVectorHeader {
        func damaged(_ message: String) -> EmbeddingError { .malformed(location: location, message: message) }
        let fixedSize = layout.version >= 2 ? nativeFixedSize : 40
        let rows = layout.rows
        let header: NativeVectorHeader
        do {
            header = try JSONDecoder().decode(NativeVectorHeader.self, from: Data(data[fixedSize ..< fixedSize + layout.jsonLength]))
        } catch {
            throw damaged("damaged header: \(error)")
        }
        guard header.words.count == rows, header.counts.count == rows else {
            throw damaged("header lists \(header.words.count) words and \(header.counts.count) counts for \(rows) rows")
        }
        guard (0 ... rows).contains(header.specialCount) else {
            throw damaged("damaged header: \(header.specialCount) special tokens among \(rows) words")
        }
        if let subwords = header.subwords {
            guard layout.version >= 3 else { throw damaged("damaged header: n-gram rows in a version \(layout.version) file") }
            guard subwords.ngrams.isValid, (1 ... TrainingConfiguration.mostBuckets).contains(subwords.buckets) else {
                throw damaged("damaged header: n-gram lengths \(subwords.ngrams) and \(subwords.buckets) buckets")
            }
            let wordsEnd = layout.matrixOffset + rows * layout.dim * 4
            let (size, overflow) = subwords.buckets.multipliedReportingOverflow(by: layout.dim * 4)
            guard subwords.offset == (wordsEnd + 63) / 64 * 64, !overflow, data.count - subwords.offset == size else {
                throw damaged("truncated or damaged: \(data.count) bytes, the header promises \(overflow ? "more" : String(subwords.offset + size)) (\(rows) × \(layout.dim) word floats from byte \(layout.matrixOffset), then \(subwords.buckets) × \(layout.dim) n-gram floats from byte \(subwords.offset))")
            }
        } else if layout.version >= 3 {
            let expected = layout.matrixOffset + rows * layout.dim * 4
            guard data.count == expected else {
                throw damaged("truncated or damaged: \(data.count) bytes, the header promises \(expected) (\(rows) × \(layout.dim) floats from byte \(layout.matrixOffset))")
            }
        }
        var total: Int64 = 0
        for count in header.counts {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard count >= 0, !overflow else { throw damaged("damaged header: word count \(count) is negative or the counts overflow") }
            total = sum
        }
        return header
    }

    /// Describes a native vector file for `wordpipe inspect`: with `verify`, the rows' checksum
    /// is computed too (a mismatch is an error).
    public static func describeNative(path: String, verify: Bool) throws -> ArtifactDescription {
        let file = try MappedVectorFile(path: path, verify: verify)
        let layout = file.layout
        var fields: [ArtifactDescription.Field] = [
            .init("words", .integer(layout.rows)), .init("dim", .integer(layout.dim)),
            .init("special tokens", .integer(layout.header.specialCount)),
            .init("corpus tokens", .integer(Int(file.vocabulary.totalCount))),
            .init("tokenizer configuration", .flag(layout.header.tokenizer != nil)),
            .init("training configuration", .flag(layout.header.training != nil)),
        ]
        if let training = layout.header.training {
            fields.append(.init("model", .text("\(training.model.rawValue), \(training.loss.rawValue), window \(training.window), \(training.epochs) epochs")))
            fields.append(.init("training", .encoding(training)))
        }
        if let subwords = layout.header.subwords {
            fields.append(.init("subwords", .text("character n-grams \(subwords.ngrams), \(subwords.buckets) buckets")))
        }
        if let tokenizer = layout.header.tokenizer { fields.append(.init("tokenizer", .encoding(tokenizer))) }
        var checksums: [ArtifactDescription.Checksum] = []
        if let header = layout.headerChecksum { checksums.append(.init(part: "header", stored: header, verified: true)) }
        if let rows = layout.rowsChecksum { checksums.append(.init(part: "rows", stored: rows, verified: verify)) }
        if let subwords = layout.header.subwords { checksums.append(.init(part: "n-gram rows", stored: subwords.checksum, verified: verify)) }
        return ArtifactDescription(path: path, kind: "vectors", magic: "WPVECTRS", version: Int(layout.version),
                                   currentVersion: Int(layout.header.subwords == nil ? nativeVersionWithoutSubwords : nativeVersion), fields: fields, checksums: checksums, verified: verify)
    }
}
