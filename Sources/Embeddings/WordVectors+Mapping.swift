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
    /// The `count × dim` rows in the mapping, or nil when they cannot be used in place.
    let rows: UnsafeBufferPointer<Float>?
    /// The mapped bytes of the rows.
    let rowBytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int

    /// Maps and checks a native vector file (magic, version, sizes, header), with the errors
    /// `WordVectors.readNative(from:)` reports.
    init(path: String) throws {
        let location = SourceLocation(path: path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw EmbeddingError.malformed(location: location, message: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
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
        do {
            let bytes = UnsafeRawBufferPointer(start: base, count: length)
            let (header, dim, matrixOffset) = try WordVectors.parseNativeHeader(bytes, location: location)
            vocabulary = Vocabulary(words: header.words, counts: header.counts, specialCount: header.specialCount, tokenizer: header.tokenizer)
            self.dim = dim
            training = header.training
            rowBytes = UnsafeRawBufferPointer(rebasing: bytes[matrixOffset...])
            #if _endian(little)
            let aligned = matrixOffset % MemoryLayout<Float>.alignment == 0
            #else
            let aligned = false
            #endif
            rows = aligned ? rowBytes.bindMemory(to: Float.self) : nil
        } catch {
            if let base { munmap(base, length) }
            throw error
        }
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }

    /// A copy of the rows as an array (little-endian values decoded).
    func matrix() -> [Float] {
        if let rows { return Array(rows) }
        return (0 ..< rowBytes.count / 4).map {
            Float(bitPattern: UInt32(littleEndian: rowBytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
    }
}

extension WordVectors {
    /// Checks the fixed fields and the JSON header of a native file's bytes; returns the header,
    /// the dimension and the offset of the rows.
    static func parseNativeHeader(_ data: UnsafeRawBufferPointer, location: SourceLocation) throws
        -> (header: NativeVectorHeader, dim: Int, matrixOffset: Int) {
        guard data.count >= 40 else { throw EmbeddingError.malformed(location: location, message: "truncated: \(data.count) bytes, shorter than the header") }
        guard data.prefix(8).elementsEqual(nativeMagic) else {
            throw EmbeddingError.malformed(location: location, message: "not a WordPipe vector file (wrong magic number)")
        }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let version = field(8, UInt32.self)
        guard version <= nativeVersion else {
            throw EmbeddingError.malformed(location: location, message: "vector format version \(version) is newer than this wordpipe reads (\(nativeVersion))")
        }
        let dim = Int(field(12, UInt32.self))
        let rows = Int(clamping: field(16, UInt64.self))
        let jsonLength = Int(clamping: field(24, UInt64.self))
        let matrixOffset = Int(clamping: field(32, UInt64.self))
        let (size, sizeOverflow) = rows.multipliedReportingOverflow(by: dim * 4)
        let (expected, expectedOverflow) = matrixOffset.addingReportingOverflow(size)
        guard dim > 0, jsonLength <= matrixOffset - 40, !sizeOverflow, !expectedOverflow, data.count == expected else {
            throw EmbeddingError.malformed(location: location, message: "truncated or damaged: \(data.count) bytes, the header promises \(expected) (\(rows) × \(dim) floats)")
        }
        let header: NativeVectorHeader
        do {
            header = try JSONDecoder().decode(NativeVectorHeader.self, from: Data(data[40 ..< 40 + jsonLength]))
        } catch {
            throw EmbeddingError.malformed(location: location, message: "damaged header: \(error)")
        }
        guard header.words.count == rows, header.counts.count == rows else {
            throw EmbeddingError.malformed(location: location, message: "header lists \(header.words.count) words for \(rows) rows")
        }
        return (header, dim, matrixOffset)
    }
}
