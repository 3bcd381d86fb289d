import Foundation
import Tokenization
import Vocabulary
import WordPipeSupport

/// Trained word vectors: a vocabulary and a float32 matrix, one row per word.
public struct WordVectors: Sendable {
    /// The words, their counts, and the tokenizer configuration they came with.
    public var vocabulary: Vocabulary
    /// The vector dimension.
    public var dim: Int
    /// Row-major, `vocabulary.count × dim`.
    public var matrix: [Float]
    /// How the vectors were trained, when known.
    public var training: TrainingConfiguration?

    /// Creates vectors; `matrix` must hold `vocabulary.count × dim` values.
    public init(vocabulary: Vocabulary, dim: Int, matrix: [Float], training: TrainingConfiguration? = nil) {
        precondition(matrix.count == vocabulary.count * dim, "matrix has \(matrix.count) values, expected \(vocabulary.count) × \(dim)")
        self.vocabulary = vocabulary
        self.dim = dim
        self.matrix = matrix
        self.training = training
    }

    /// The vector of `word`, or nil when it is not in the vocabulary.
    public func vector(_ word: String) -> ArraySlice<Float>? {
        guard let id = vocabulary.id(of: word) else { return nil }
        return matrix[Int(id) * dim ..< (Int(id) + 1) * dim]
    }
}

/// The file formats vectors are written in.
public enum VectorFormat: String, Codable, Sendable, CaseIterable {
    /// WordPipe's own: magic, version, checksums, vocabulary with counts, configurations, aligned float32 rows.
    case native
    /// word2vec's binary format (`-binary 1`), as gensim's `load_word2vec_format(binary=True)` reads.
    case word2vecBin = "word2vec-bin"
    /// word2vec's text format: a `V D` header, then `word v1 … vD` per line.
    case word2vecText = "word2vec-text"

    /// The same format among those vectors are read from.
    public var fileFormat: VectorFileFormat {
        switch self {
        case .native: .native
        case .word2vecBin: .word2vecBin
        case .word2vecText: .word2vecText
        }
    }

    /// The format to write trained vectors to `path` in: `given`, else the one the file's name
    /// asks for (`VectorFileFormat.named(by:)`), else native; a contradiction is an error.
    public static func choose(given: VectorFormat?, path: String) throws -> VectorFormat {
        switch try VectorFileFormat.choose(given: given?.fileFormat, path: path, fallback: .native) {
        case .native: .native
        case .word2vecBin: .word2vecBin
        default: .word2vecText
        }
    }
}

/// The header of a native vector file, stored as JSON after the fixed fields.
struct NativeVectorHeader: Codable {
    var words: [String]
    var counts: [Int64]
    var specialCount: Int
    var tokenizer: TokenizerConfiguration?
    var training: TrainingConfiguration?
}

extension WordVectors {
    /// The magic number of native vector files.
    static let nativeMagic = Array("WPVECTRS".utf8)
    /// The native format version written; versions 1 (without checksums) and 2 are read.
    public static let nativeVersion: UInt32 = 2
    /// The fixed fields before the JSON header in version 2: magic, version, dim, rows, JSON
    /// length, matrix offset, then the CRC-32C of the rows and the CRC-32C of the header (the
    /// 44 bytes before it, the JSON and the padding).
    static let nativeFixedSize = 48

    /// Writes the vectors atomically in `format`.
    public func write(to path: String, format: VectorFormat) throws {
        let file = try OutputFile(path: path)
        switch format {
        case .word2vecText:
            try file.write("\(vocabulary.count) \(dim)\n")
            for (index, word) in vocabulary.words.enumerated() {
                var line = word
                for value in matrix[index * dim ..< (index + 1) * dim] {
                    line += " "
                    line += value.description
                }
                line += "\n"
                try file.write(line)
            }
        case .word2vecBin:
            try file.write("\(vocabulary.count) \(dim)\n")
            try matrix.withUnsafeBytes { raw in
                for (index, word) in vocabulary.words.enumerated() {
                    try file.write(word + " ")
                    // Little-endian float32, as on every platform word2vec.c and gensim run on.
                    try file.write(UnsafeRawBufferPointer(rebasing: raw[(index * dim * 4)..<((index + 1) * dim * 4)]))
                    try file.write(CollectionOfOne(0x0A))
                }
            }
        case .native:
            let header = NativeVectorHeader(words: vocabulary.words, counts: vocabulary.counts, specialCount: vocabulary.specialCount,
                                            tokenizer: vocabulary.tokenizer, training: training)
            // Sorted keys: the same vectors always give the same bytes.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try encoder.encode(header)
            let matrixOffset = (Self.nativeFixedSize + json.count + 63) / 64 * 64
            let padding = [UInt8](repeating: 0, count: matrixOffset - Self.nativeFixedSize - json.count)
            let rowsChecksum = matrix.withUnsafeBytes { CRC32C.checksum($0) }
            var fixed: [UInt8] = Self.nativeMagic
            func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { fixed.append(contentsOf: $0) } }
            put(Self.nativeVersion)
            put(UInt32(dim))
            put(UInt64(vocabulary.count))
            put(UInt64(json.count))
            put(UInt64(matrixOffset))
            put(rowsChecksum)
            var headerChecksum = CRC32C.checksum(of: fixed)
            headerChecksum = CRC32C.checksum(of: json, continuing: headerChecksum)
            headerChecksum = CRC32C.checksum(of: padding, continuing: headerChecksum)
            put(headerChecksum)
            try file.write(fixed)
            try file.write(json)
            try file.write(padding)
            try matrix.withUnsafeBytes { try file.write($0) }
        }
        try file.commit()
    }

    /// Reads a native vector file, checking magic, version and size (a copy of its rows; see
    /// `VectorStore.load(from:)` for queries on the file in place).
    public static func readNative(from path: String) throws -> WordVectors {
        let file = try MappedVectorFile(path: path)
        return WordVectors(vocabulary: file.vocabulary, dim: file.dim, matrix: file.matrix(), training: file.training)
    }
}
