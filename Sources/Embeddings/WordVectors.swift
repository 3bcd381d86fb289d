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
    /// The n-gram rows of subword vectors (fastText), when the vectors have them; the rows of
    /// `matrix` are then each word's mean of its own row and its n-gram rows.
    public var subwords: SubwordVectors?
    /// The output rows of negative sampling (`vocabulary.count × dim`), kept by training for
    /// `--format fasttext-bin` (whose model holds them, and which `train --init` continues
    /// from); nil for vectors read from a file (except a fastText `.bin` given as `--init`).
    public var outputWeights: [Float]?

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

    /// The vector of `word`: its row, else (with subwords) the mean of its n-gram rows, else nil.
    public func vectorOrNgrams(_ word: String) -> [Float]? {
        if let row = vector(word) { return Array(row) }
        return subwords?.vector(for: word, dim: dim)
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
    /// fastText's binary model (`save_model`, format version 12): words, n-gram rows when the
    /// vectors have subwords, and a zero output matrix.
    case fasttextBin = "fasttext-bin"

    /// The same format among those vectors are read from.
    public var fileFormat: VectorFileFormat {
        switch self {
        case .native: .native
        case .word2vecBin: .word2vecBin
        case .word2vecText: .word2vecText
        case .fasttextBin: .fasttextBin
        }
    }

    /// The format to write trained vectors to `path` in: `given`, else the one the file's name
    /// asks for (`VectorFileFormat.named(by:)`), else native; a contradiction is an error.
    public static func choose(given: VectorFormat?, path: String) throws -> VectorFormat {
        switch try VectorFileFormat.choose(given: given?.fileFormat, path: path, fallback: .native) {
        case .native: .native
        case .word2vecBin: .word2vecBin
        case .fasttextBin: .fasttextBin
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
    /// Version 3: the n-gram rows after the word rows (absent without subwords).
    var subwords: NativeSubwordHeader?
}

/// Where a native file's n-gram rows are and what they are: `buckets × dim` float32 rows from
/// byte `offset` (the end of the word rows rounded up to a multiple of 64) to the end of the file.
struct NativeSubwordHeader: Codable {
    /// The n-gram lengths, `MIN-MAX`.
    var ngrams: SubwordRange
    var buckets: Int
    var offset: Int
    /// The CRC-32C of the n-gram rows.
    var checksum: UInt32
}

extension WordVectors {
    /// The magic number of native vector files.
    static let nativeMagic = Array("WPVECTRS".utf8)
    /// The newest native format version: 2 is written for vectors without subwords (as before
    /// they existed), 3 for vectors with them; versions 1 (without checksums) to 3 are read.
    public static let nativeVersion: UInt32 = 3
    /// The version written for vectors without subwords.
    public static let nativeVersionWithoutSubwords: UInt32 = 2
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
        case .fasttextBin:
            try FastTextBin.write(self, to: file)
        case .native:
            var header = NativeVectorHeader(words: vocabulary.words, counts: vocabulary.counts, specialCount: vocabulary.specialCount,
                                            tokenizer: vocabulary.tokenizer, training: training)
            if let subwords {
                precondition(subwords.storage.buffer.count == subwords.buckets * dim, "subword matrix of \(subwords.storage.buffer.count) values, expected \(subwords.buckets) × \(dim)")
                header.subwords = NativeSubwordHeader(ngrams: subwords.range, buckets: subwords.buckets, offset: 0,
                                                      checksum: CRC32C.checksum(UnsafeRawBufferPointer(subwords.storage.buffer)))
            }
            // Sorted keys: the same vectors always give the same bytes.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var json = try encoder.encode(header)
            var matrixOffset = (Self.nativeFixedSize + json.count + 63) / 64 * 64
            // The n-gram rows' offset is in the JSON, whose length moves the word rows: grow the
            // offset until it stays put.
            while header.subwords != nil {
                let offset = (matrixOffset + matrix.count * 4 + 63) / 64 * 64
                if header.subwords?.offset == offset { break }
                header.subwords?.offset = offset
                json = try encoder.encode(header)
                matrixOffset = (Self.nativeFixedSize + json.count + 63) / 64 * 64
            }
            let padding = [UInt8](repeating: 0, count: matrixOffset - Self.nativeFixedSize - json.count)
            let rowsChecksum = matrix.withUnsafeBytes { CRC32C.checksum($0) }
            var fixed: [UInt8] = Self.nativeMagic
            func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { fixed.append(contentsOf: $0) } }
            put(subwords == nil ? Self.nativeVersionWithoutSubwords : Self.nativeVersion)
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
            if let subwords, let offset = header.subwords?.offset {
                try file.write([UInt8](repeating: 0, count: offset - matrixOffset - matrix.count * 4))
                try file.write(UnsafeRawBufferPointer(subwords.storage.buffer))
            }
        }
        try file.commit()
    }

    /// Reads a native vector file, checking magic, version and size (a copy of its rows; see
    /// `VectorStore.load(from:)` for queries on the file in place).
    public static func readNative(from path: String) throws -> WordVectors {
        let file = try MappedVectorFile(path: path)
        var vectors = WordVectors(vocabulary: file.vocabulary, dim: file.dim, matrix: file.matrix(), training: file.training)
        vectors.subwords = file.subwordVectors()
        return vectors
    }
}
