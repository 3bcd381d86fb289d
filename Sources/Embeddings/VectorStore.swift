import CBLAS
import Foundation
import Tokenization
import Vocabulary
import WordPipeSupport

/// A read-only store of word vectors for queries: the vocabulary with counts, the float32
/// matrix, the norm of each row (computed on first use), and the tokenizer configuration
/// the vectors were trained with, so that `King` finds `king` in a case-folded model.
///
/// Like gensim's KeyedVectors: `nearest` is cosine similarity with the unit rows, with top-k
/// kept by partial selection rather than a full sort. No full unit-normalized copy is kept: a
/// unit row is made when it is needed from the row and its norm (`withUnitRows`,
/// `gatherUnitRows`), with the same bits a normalized copy had, so a mapped file's rows stay
/// in the page cache and the only full copy in the process is the int8 scan copy (a quarter
/// of the rows' bytes; see `queryCopyBytes`). Many queries are a matrix product
/// (`cblas_sgemm`); one query is a scan of float32 dot products in a fixed order, and on a large
/// matrix a scan of an int8 copy with a scale per row (a quarter of the bytes; the float16 copy,
/// half the bytes, is kept for comparison) followed by the float32 scores of the few rows that
/// can still be in the top k, which gives the same answer (see `nearestSingle`).
public final class VectorStore: @unchecked Sendable {
    /// The words, counts and tokenizer configuration.
    public let vocabulary: Vocabulary
    /// The vector dimension.
    public let dim: Int
    /// How the vectors were trained, when known.
    public let training: TrainingConfiguration?
    /// Row-major `count × dim` vectors (a copy when the store reads a mapped file).
    public var vectors: [Float] {
        switch raw {
        case .array(let matrix): return matrix
        case .mapped(let file): return file.matrix()
        }
    }
    /// Where the raw rows are: in memory, or in a memory-mapped native file.
    private enum RawMatrix {
        case array([Float])
        case mapped(MappedVectorFile)
    }
    private let raw: RawMatrix
    /// 1 / the Euclidean norm of each row (1 for a zero row), once computed.
    private var scalesStorage: [Float]?
    private let lock = NSLock()
    /// The float16 copy: nil until built, then the copy or nil when the matrix has no half copy.
    private var halfStorage: HalfMatrix??
    private let halfLock = NSLock()
    /// The int8 copy: nil until built, then the copy or nil when the matrix has no int8 copy.
    private var byteStorage: ByteMatrix??
    private let lookupTokenizer: Tokenizer?
    private let tokenizerLock = NSLock()
    /// The n-gram rows of subword vectors: in memory, or in the mapped native file.
    private enum SubwordRows {
        case array(SubwordVectors)
        case mapped(MappedVectorFile, range: SubwordRange, buckets: Int)
    }
    private let subwordRows: SubwordRows?
    /// Whether queries give a word without a row the mean of its n-gram rows (fastText's
    /// out-of-vocabulary vectors), when the vectors have them. Default: true. Set it before
    /// sharing the store between threads.
    public var ngramsForUnknownWords = true

    /// Wraps vectors already in memory.
    public convenience init(_ vectors: WordVectors) {
        self.init(vocabulary: vectors.vocabulary, dim: vectors.dim, training: vectors.training, raw: .array(vectors.matrix),
                  subwords: vectors.subwords.map { .array($0) })
    }

    private init(vocabulary: Vocabulary, dim: Int, training: TrainingConfiguration?, raw: RawMatrix, subwords: SubwordRows? = nil) {
        self.vocabulary = vocabulary
        self.dim = dim
        self.training = training
        self.raw = raw
        subwordRows = subwords
        lookupTokenizer = vocabulary.tokenizer.flatMap { configuration in
            var single = configuration
            single.sentences = false
            return try? Tokenizer(configuration: single)
        }
    }

    /// Loads a vector file in any format `WordVectors.load(from:)` reads. A native file is
    /// memory-mapped rather than read: its rows stay in the page cache, shared by every process
    /// that maps the file, and only the int8 scan copy and the row norms are made (on the first
    /// query), after which the mapped pages are released from the process (they stay cached).
    public static func load(from path: String) throws -> (VectorStore, VectorLoadReport) {
        try WordVectors.checkRegularFile(path)
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = (try? handle.read(upToCount: 8)) ?? Data()
            try? handle.close()
            if head.elementsEqual(WordVectors.nativeMagic) {
                let file = try MappedVectorFile(path: path)
                let store = VectorStore(vocabulary: file.vocabulary, dim: file.dim, training: file.training, raw: .mapped(file),
                                        subwords: file.subwordShape.map { .mapped(file, range: $0.range, buckets: $0.buckets) })
                store.releaseMappedPages()  // the checksum read every page
                return (store, VectorLoadReport(format: .native))
            }
        }
        let (vectors, report) = try WordVectors.load(from: path)
        return (VectorStore(vectors), report)
    }

    /// Whether the rows are read from a memory-mapped file in place.
    public var isMapped: Bool {
        if case .mapped(let file) = raw { return file.rows != nil }
        return false
    }

    /// Number of words.
    public var count: Int { vocabulary.count }

    /// The CRC-32C of the float32 rows as stored (little-endian): the checksum a native file
    /// records, else computed (about 6 ms per 100 MB).
    public var rowsChecksum: UInt32 {
        switch raw {
        case .array(let matrix): return matrix.withUnsafeBytes { CRC32C.checksum($0) }
        case .mapped(let file): return file.layout.rowsChecksum ?? CRC32C.checksum(file.rowBytes)
        }
    }

    /// For each row, `1 / norm` with norm its Euclidean norm by `cblas_snrm2` (as the rows were
    /// normalized before), or 1 when the norm is not positive (a zero row, which stays zero),
    /// computed once in one pass over the rows. A row's unit vector is the row times its scale.
    var rowScales: [Float] {
        lock.lock()
        defer { lock.unlock() }
        if let scalesStorage { return scalesStorage }
        var scales = [Float](repeating: 1, count: count)
        let block = 4096
        var scratch = [Float](repeating: 0, count: block * dim)
        scratch.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }  // dim 0
            var first = 0
            while first < count {
                let n = min(block, count - first)
                copyRows(first ..< first + n, into: base)
                for offset in 0..<n {
                    let norm = cblas_snrm2(Int32(dim), base + offset * dim, 1)
                    if norm > 0 { scales[first + offset] = 1 / norm }
                }
                first += n
            }
        }
        scalesStorage = scales
        return scales
    }

    /// Copies rows `rows` as stored (float32, `rows.count × dim`) to `target`. A mapped file's rows
    /// are read with `pread` (page cache to buffer) rather than through the mapping, so reading
    /// them does not make the file's pages resident in the process.
    private func copyRows(_ rows: Range<Int>, into target: UnsafeMutablePointer<Float>) {
        switch raw {
        case .array(let matrix):
            matrix.withUnsafeBufferPointer { m in target.update(from: m.baseAddress! + rows.lowerBound * dim, count: rows.count * dim) }
        case .mapped(let file):
            if file.readRows(rows.lowerBound, count: rows.count, into: target) { return }
            if let mapped = file.rows {
                target.update(from: mapped.baseAddress! + rows.lowerBound * dim, count: rows.count * dim)
            } else {
                let bytes = file.rowBytes
                for index in 0 ..< rows.count * dim {
                    target[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: (rows.lowerBound * dim + index) * 4, as: UInt32.self)))
                }
            }
        }
    }

    /// Scales a copied row by its scale as the normalized copy was made (`cblas_sscal` by
    /// `1 / norm`, one rounding per value, so the same bits; a scale of 1 changes nothing).
    @inline(__always)
    private func normalize(_ base: UnsafeMutablePointer<Float>, scale: Float) {
        if scale != 1 { cblas_sscal(Int32(dim), scale, base, 1) }
    }

    /// Calls `body` with the float32 rows as stored (`count × dim`, in place for a mapped file),
    /// or with nil when a mapped file's rows are not aligned for float32.
    func withStoredRows<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch raw {
        case .array(let matrix): return matrix.withUnsafeBufferPointer { body($0.baseAddress) }
        case .mapped(let file): return body(file.rows?.baseAddress)
        }
    }

    /// The unit rows `ids` (each the row times 1 / its norm, zero rows zero) written one after
    /// the other to `target` (`ids.count × dim` floats).
    func gatherUnitRows<C: Collection>(_ ids: C, into target: UnsafeMutablePointer<Float>) where C.Element == Int32 {
        let scales = rowScales
        for (position, id) in ids.enumerated() {
            let base = target + position * dim
            copyRows(Int(id) ..< Int(id) + 1, into: base)
            normalize(base, scale: scales[Int(id)])
        }
    }

    /// Calls `body(first, count, unitRows)` for consecutive blocks of the unit rows of `range`
    /// (`count × dim` floats, valid during the call), so that a pass over every row needs no
    /// full copy (and, for a mapped file, reads its rows without making them resident).
    func withUnitRows(_ range: Range<Int>, block: Int = 4096, _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let scales = rowScales
        let block = max(1, min(block, range.count))
        var buffer = [Float](repeating: 0, count: block * dim)
        buffer.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }  // dim 0
            var first = range.lowerBound
            while first < range.upperBound {
                let n = min(block, range.upperBound - first)
                copyRows(first ..< first + n, into: base)
                for offset in 0..<n { normalize(base + offset * dim, scale: scales[first + offset]) }
                body(first, n, UnsafePointer(base))
                first += n
            }
        }
    }

    /// A full copy of the unit rows (`count × dim`): for tests, and for building an HNSW index,
    /// which visits rows at random many times. The store keeps no such copy.
    func unitMatrix() -> [Float] {
        var result = [Float](repeating: 0, count: count * dim)
        result.withUnsafeMutableBufferPointer { r in
            guard let target = r.baseAddress else { return }  // no rows
            withUnitRows(0 ..< count) { first, n, rows in (target + first * dim).update(from: rows, count: n * dim) }
        }
        return result
    }

    /// Drops the mapped file's pages from this process's resident memory (`madvise(MADV_DONTNEED)`;
    /// the kernel keeps them in the page cache and a later read maps them again), for a large
    /// matrix (at least `halfScanMinimumValues` values). Nothing for vectors held in memory.
    func releaseMappedPages() {
        guard count * dim >= Self.halfScanMinimumValues, case .mapped(let file) = raw else { return }
        file.releasePages()
    }

    /// The bytes of the copies the store has made for queries (row norms, the int8 and float16
    /// scan copies), which live in anonymous memory; the rows themselves are not counted (mapped
    /// from the file, or the vectors as read). About 26% of the rows' bytes after a query on a
    /// large matrix (the int8 copy and its scales, errors and norms).
    public var queryCopyBytes: Int {
        lock.lock()
        var total = (scalesStorage?.count ?? 0) * 4
        lock.unlock()
        halfLock.lock()
        defer { halfLock.unlock() }
        if case .some(.some(let half)) = halfStorage { total += half.halves.count * 2 }
        if case .some(.some(let bytes)) = byteStorage { total += bytes.codes.count + bytes.scales.count * 4 + bytes.errors.count * 4 }
        return total
    }

    /// The float16 copy of the unit rows for large-matrix queries, built once (nil when the
    /// rows do not fit half precision, which unit rows always do).
    var halfMatrix: HalfMatrix? {
        halfLock.lock()
        defer { halfLock.unlock() }
        if let halfStorage { return halfStorage }
        let half = HalfMatrix(store: self)
        halfStorage = .some(half)
        return half
    }

    /// The int8 copy of the unit rows for large-matrix queries, built once in one pass over the
    /// rows (nil when its error bounds are not finite, which for unit rows they always are).
    var byteMatrix: ByteMatrix? {
        halfLock.lock()
        defer { halfLock.unlock() }
        if let byteStorage { return byteStorage }
        let bytes = ByteMatrix(store: self)
        byteStorage = .some(bytes)
        return bytes
    }

    /// The id of `word`: as given, else as the stored tokenizer configuration would write it
    /// (case folding, normalization), else nil.
    public func id(of word: String) -> Int32? {
        if let id = vocabulary.id(of: word) { return id }
        guard let lookupTokenizer else { return nil }
        tokenizerLock.lock()
        defer { tokenizerLock.unlock() }
        guard let tokens = try? lookupTokenizer.tokenize(word), tokens.count == 1, tokens[0].count == 1 else { return nil }
        return vocabulary.id(of: tokens[0][0])
    }

    /// The n-gram lengths and bucket count of the subword vectors, when the vectors have them.
    public var subwordShape: (range: SubwordRange, buckets: Int)? {
        switch subwordRows {
        case .array(let vectors): return (vectors.range, vectors.buckets)
        case .mapped(_, let range, let buckets): return (range, buckets)
        case nil: return nil
        }
    }

    /// The mean of the n-gram rows of `word` as the stored tokenizer configuration writes it
    /// (fastText's vector for a word without a row), or nil without subwords or n-grams.
    public func ngramVector(_ word: String) -> [Float]? {
        guard let (range, buckets) = subwordShape else { return nil }
        let form = lookupForm(word)
        let rows = Subwords.buckets(of: form, range: range, buckets: buckets)
        guard !rows.isEmpty else { return nil }
        var result = [Float](repeating: 0, count: dim)
        switch subwordRows {
        case .array(let vectors):
            let m = vectors.storage.buffer
            for row in rows { for index in 0..<dim { result[index] += m[row * dim + index] } }
        case .mapped(let file, _, _):
            if let m = file.subwordRows {
                for row in rows { for index in 0..<dim { result[index] += m[row * dim + index] } }
            } else {
                let bytes = file.subwordRowBytes
                for row in rows {
                    for index in 0..<dim {
                        result[index] += Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: (row * dim + index) * 4, as: UInt32.self)))
                    }
                }
            }
        case nil: return nil
        }
        let scale = 1 / Float(rows.count)
        for index in 0..<dim { result[index] *= scale }
        return result
    }

    /// `word` as the stored tokenizer configuration would write it (one token), else as given.
    func lookupForm(_ word: String) -> String {
        guard let lookupTokenizer else { return word }
        tokenizerLock.lock()
        defer { tokenizerLock.unlock() }
        guard let tokens = try? lookupTokenizer.tokenize(word), tokens.count == 1, tokens[0].count == 1 else { return word }
        return tokens[0][0]
    }

    /// The unit vector of each word: its row's, else (when `ngramsForUnknownWords` and the
    /// vectors have subwords) its n-gram vector's; throws `QueryError.unknownWords` naming every
    /// word that has neither. Also returns the ids of the words that have rows.
    public func unitVectors(_ words: [String]) throws -> (vectors: [[Float]], ids: Set<Int32>) {
        var vectors: [[Float]] = []
        var ids = Set<Int32>()
        var missing: [String] = []
        for word in words {
            if let id = id(of: word) {
                vectors.append(Array(unitVector(id)))
                ids.insert(id)
            } else if ngramsForUnknownWords, let vector = ngramVector(word) {
                let norm = (vector.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                vectors.append(norm > 0 ? vector.map { $0 / norm } : vector)
            } else {
                missing.append(word)
            }
        }
        if !missing.isEmpty { throw QueryError.unknownWords(missing) }
        return (vectors, ids)
    }

    /// The unit vector of a known word id (the row times 1 / its norm; a zero row stays zero).
    public func unitVector(_ id: Int32) -> ArraySlice<Float> {
        var row = [Float](repeating: 0, count: dim)
        row.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { gatherUnitRows(CollectionOfOne(id), into: base) } }
        return row[...]
    }
}

/// Errors from queries.
public enum QueryError: Error, Equatable, CustomStringConvertible {
    /// Words not in the vocabulary.
    case unknownWords([String])
    /// A query that cannot be answered as asked.
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownWords(let words): return "not in the vocabulary: \(words.joined(separator: ", "))"
        case .invalid(let message): return message
        }
    }
}
