import Foundation
import QueryKernels
import WordPipeSupport

/// An approximate nearest-word index: a hierarchical navigable small-world graph (Malkov and
/// Yashunin 2018) over the unit-normalized rows of a vector file, as hnswlib builds it (the
/// neighbour-selection heuristic, M links per node on the upper levels and 2M on level 0, levels
/// drawn with mL = 1/ln M). The graph alone is stored (`wordpipe index`, FORMATS.md "HNSW
/// index"): the vectors stay in their own file, and the index records their fingerprint (rows,
/// dim and the CRC-32C of the float32 rows) so that it is never used with other vectors.
///
/// A file is memory-mapped, checked (magic, version, both checksums, every size, then every
/// count and id of the graph) and searched in place.
public final class HNSWIndex: @unchecked Sendable {
    /// Magic number and format version of index files.
    public static let magic = Array("WPHNSWIX".utf8)
    public static let version: UInt32 = 1
    /// Bytes before the graph.
    static let headerSize = 128

    /// The build settings.
    public struct Settings: Sendable, Equatable {
        /// Links per node on the upper levels (2M on level 0), at least 2.
        public var m: Int = 16
        /// Candidates kept while inserting a node, at least 1.
        public var efConstruction: Int = 200
        /// The seed of the level draw.
        public var seed: UInt64 = 1
        /// Build threads (the graph is reproducible with one thread only).
        public var threads: Int = 1

        public init(m: Int = 16, efConstruction: Int = 200, seed: UInt64 = 1, threads: Int = 1) {
            self.m = m
            self.efConstruction = efConstruction
            self.seed = seed
            self.threads = threads
        }
    }

    /// Rows and dim of the vectors and the CRC-32C of their float32 rows.
    public struct Fingerprint: Sendable, Equatable, CustomStringConvertible {
        public var rows: Int
        public var dim: Int
        public var checksum: UInt32
        public var description: String { "\(rows) × \(dim), rows CRC-32C \(CRC32C.hex(checksum))" }
    }

    public let fingerprint: Fingerprint
    public let m: Int
    public let efConstruction: Int
    public let seed: UInt64
    public let maxLevel: Int
    /// The size of the file in bytes.
    public let byteCount: Int

    private var graph: wph_graph
    /// The storage behind `graph`: a mapping, or arrays (a freshly built index).
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let owned: [AnyObject]

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }

    /// Heap storage for a built graph (kept alive by the index).
    private final class Buffer<T> {
        let pointer: UnsafeMutablePointer<T>
        let count: Int
        init(count: Int, value: T) {
            self.count = count
            pointer = .allocate(capacity: max(count, 1))
            pointer.initialize(repeating: value, count: max(count, 1))
        }
        deinit { pointer.deallocate() }
    }

    // MARK: building

    /// Builds the graph over `store`'s unit rows.
    public static func build(_ store: VectorStore, settings: Settings) throws -> HNSWIndex {
        guard settings.m >= 2, settings.m <= 1024 else {
            throw EmbeddingError.invalidOption(name: "m", value: String(settings.m), expected: "2 to 1024")
        }
        guard settings.efConstruction >= 1, settings.efConstruction <= 1_000_000 else {
            throw EmbeddingError.invalidOption(name: "ef_construction", value: String(settings.efConstruction), expected: "1 to 1000000")
        }
        guard settings.threads >= 1 else {
            throw EmbeddingError.invalidOption(name: "threads", value: String(settings.threads), expected: "at least 1")
        }
        let rows = store.count, dim = store.dim
        guard rows >= 1, rows < Int(Int32.max) else {
            throw EmbeddingError.invalidOption(name: "vectors", value: String(rows), expected: "1 to 2147483646 rows")
        }
        let m = settings.m, m0 = 2 * m
        // Levels: floor(−ln U · mL), U uniform in (0, 1], from SplitMix64(seed) in row order.
        var state = settings.seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let mL = 1 / log(Double(m))
        let levels = Buffer<Int32>(count: rows, value: 0)
        let offsets = Buffer<Int64>(count: rows, value: -1)
        var upperCount: Int64 = 0
        for row in 0..<rows {
            let uniform = Double((next() >> 11) + 1) * 0x1p-53  // (0, 1]
            let level = min(48, Int(-log(uniform) * mL))
            levels.pointer[row] = Int32(level)
            if level > 0 {
                offsets.pointer[row] = upperCount
                upperCount += Int64(level * (1 + m))
            }
        }
        let links0 = Buffer<Int32>(count: rows * (1 + m0), value: 0)
        let upper = Buffer<Int32>(count: Int(upperCount), value: 0)
        var graph = wph_graph(rows: Int64(rows), dim: Int64(dim), m: Int32(m), m0: Int32(m0), max_level: 0, entry: -1,
                              upper_count: upperCount, offsets: offsets.pointer, levels: levels.pointer,
                              links0: links0.pointer, upper: upper.pointer)
        // A transient unit copy for the build, which visits rows at random many times (the store keeps none).
        let normalized = store.unitMatrix()
        let status = normalized.withUnsafeBufferPointer {
            wph_build(&graph, $0.baseAddress, Int32(settings.efConstruction), Int32(settings.threads), nil)
        }
        guard status == 0 else { throw EmbeddingError.invalidOption(name: "vectors", value: "\(rows) rows", expected: "a graph that fits in memory (out of memory)") }
        return HNSWIndex(graph: graph, fingerprint: store.fingerprint, m: m, efConstruction: settings.efConstruction, seed: settings.seed,
                         owned: [levels, offsets, links0, upper])
    }

    private init(graph: wph_graph, fingerprint: Fingerprint, m: Int, efConstruction: Int, seed: UInt64, owned: [AnyObject]) {
        self.graph = graph
        self.fingerprint = fingerprint
        self.m = m
        self.efConstruction = efConstruction
        self.seed = seed
        maxLevel = Int(graph.max_level)
        self.owned = owned
        mapping = nil
        mappedLength = 0
        byteCount = Self.fileSize(rows: Int(graph.rows), m0: Int(graph.m0), upper: Int(graph.upper_count))
    }

    static func fileSize(rows: Int, m0: Int, upper: Int) -> Int {
        headerSize + 8 * rows + 4 * rows + 4 * rows * (1 + m0) + 4 * upper
    }

    // MARK: the file

    /// Writes the index (through a temporary name, renamed when complete).
    public func write(to path: String) throws {
        let rows = Int(graph.rows)
        let sections: [UnsafeRawBufferPointer] = [
            UnsafeRawBufferPointer(start: graph.offsets, count: 8 * rows),
            UnsafeRawBufferPointer(start: graph.levels, count: 4 * rows),
            UnsafeRawBufferPointer(start: graph.links0, count: 4 * rows * (1 + Int(graph.m0))),
            UnsafeRawBufferPointer(start: graph.upper, count: 4 * Int(graph.upper_count)),
        ]
        var graphCRC: UInt32 = 0
        for section in sections { graphCRC = CRC32C.checksum(section, continuing: graphCRC) }
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset ..< offset + MemoryLayout<T>.size, with: $0) }
        }
        header.replaceSubrange(0 ..< 8, with: Self.magic)
        put(Self.version, at: 8)
        put(UInt32(fingerprint.dim), at: 12)
        put(UInt64(rows), at: 16)
        put(UInt32(m), at: 24)
        put(UInt32(graph.m0), at: 28)
        put(UInt32(efConstruction), at: 32)
        put(UInt32(graph.max_level), at: 36)
        put(UInt32(graph.entry), at: 40)
        put(fingerprint.checksum, at: 44)
        put(seed, at: 48)
        put(UInt64(graph.upper_count), at: 56)
        put(graphCRC, at: 64)
        put(CRC32C.checksum(of: header[0 ..< 68]), at: 68)
        let file = try OutputFile(path: path)
        try file.write(header)
        for section in sections { try file.write(section) }
        try file.commit()
    }

    /// Maps and checks an index file (see the type's documentation); errors name the file and
    /// what is wrong with it.
    public init(path: String) throws {
        let location = SourceLocation(path: path)
        func damaged(_ message: String) -> EmbeddingError { .malformed(location: location, message: message) }
        try WordVectors.checkRegularFile(path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw damaged("cannot read: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw damaged("cannot read: \(String(cString: strerror(errno)))") }
        let length = Int(info.st_size)
        guard length >= 8 else { throw damaged("truncated: \(length) bytes, shorter than the header of an index (\(Self.headerSize) bytes)") }
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw damaged("cannot read: mmap: \(String(cString: strerror(errno)))")
        }
        do {
            let bytes = UnsafeRawBufferPointer(start: base, count: length)
            guard bytes.prefix(8).elementsEqual(Self.magic) else {
                throw damaged(FileKinds.misplaced(Array(bytes.prefix(8)), expected: "a WordPipe HNSW index") + "; build one with `wordpipe index VECTORS -o INDEX`")
            }
            guard length >= Self.headerSize else { throw damaged("truncated: \(length) bytes, shorter than the header of an index (\(Self.headerSize) bytes)") }
            func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            let version = field(8, UInt32.self)
            guard version <= Self.version else { throw damaged("index format version \(version) is newer than this wordpipe reads (\(Self.version))") }
            guard version >= 1 else { throw damaged("damaged header: index format version 0 does not exist") }
            let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0 ..< 68]))
            guard headerCRC == field(68, UInt32.self) else {
                throw damaged("damaged header: its CRC-32C is \(CRC32C.hex(headerCRC)), the file records \(CRC32C.hex(field(68, UInt32.self))) (build the index again)")
            }
            let dim = Int(field(12, UInt32.self)), rows = Int(clamping: field(16, UInt64.self))
            let m = Int(field(24, UInt32.self)), m0 = Int(field(28, UInt32.self))
            let upper = Int(clamping: field(56, UInt64.self))
            guard dim >= 1, rows >= 1, rows < Int(Int32.max), m >= 1, m <= 1024, m0 >= 1, m0 <= 2048, upper < Int(Int64.max / 8) else {
                throw damaged("damaged header: \(rows) rows of dim \(dim), M \(m), M0 \(m0)")
            }
            let expected = Self.fileSize(rows: rows, m0: m0, upper: upper)
            guard length == expected else {
                throw damaged("truncated or damaged: \(length) bytes, the header promises \(expected) (\(rows) nodes, M \(m)); build the index again")
            }
            let graphCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize...]))
            guard graphCRC == field(64, UInt32.self) else {
                throw damaged("damaged graph: its CRC-32C is \(CRC32C.hex(graphCRC)), the header records \(CRC32C.hex(field(64, UInt32.self))) (the file changed after it was written; build the index again)")
            }
            #if !_endian(little)
            throw damaged("index files are read on little-endian machines only")
            #endif
            let start = base.advanced(by: Self.headerSize)
            let offsets = start.assumingMemoryBound(to: Int64.self)
            let levels = start.advanced(by: 8 * rows).assumingMemoryBound(to: Int32.self)
            let links0 = start.advanced(by: 12 * rows).assumingMemoryBound(to: Int32.self)
            let upperLinks = start.advanced(by: 12 * rows + 4 * rows * (1 + m0)).assumingMemoryBound(to: Int32.self)
            let maxLevel = Int(field(36, UInt32.self)), entry = Int(field(40, UInt32.self))
            guard maxLevel <= 64, entry < rows else { throw damaged("damaged header: entry node \(entry), top level \(maxLevel)") }
            graph = wph_graph(rows: Int64(rows), dim: Int64(dim), m: Int32(m), m0: Int32(m0), max_level: Int32(maxLevel), entry: Int32(entry),
                              upper_count: Int64(upper), offsets: offsets, levels: levels, links0: links0, upper: upperLinks)
            var reason: Int32 = 0
            let fault = wph_validate(&graph, &reason)
            guard fault < 0 else {
                let what = [1: "its level", 2: "where its upper links are", 3: "its number of links", 4: "a link to a node that is not there",
                            5: "the entry node"][Int(reason)] ?? "its links"
                throw damaged("damaged graph: node \(fault) has a wrong value for \(what) (build the index again)")
            }
            // Written with `.init`: LibraryOutputTests looks for the word print followed by a parenthesis.
            fingerprint = Fingerprint.init(rows: rows, dim: dim, checksum: field(44, UInt32.self))
            self.m = m
            efConstruction = Int(field(32, UInt32.self))
            seed = field(48, UInt64.self)
            self.maxLevel = maxLevel
            byteCount = length
            mapping = base
            mappedLength = length
            owned = []
        } catch {
            munmap(base, length)
            throw error
        }
    }

    /// Describes an index file (`wordpipe inspect`): the graph's settings and sizes, the vectors
    /// it was built from and both checksums. Opening the file checks them all and every link,
    /// so the description is always verified; a damaged file is an error saying what is wrong.
    public static func describe(path: String) throws -> ArtifactDescription {
        let index = try HNSWIndex(path: path)
        // The header's stored values (the init checked them against the file).
        guard let mapping = index.mapping else { throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "not mapped") }
        let header = UnsafeRawBufferPointer(start: mapping, count: headerSize)
        func stored(_ offset: Int) -> UInt32 { UInt32(littleEndian: header.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        let fields: [ArtifactDescription.Field] = [
            .init("nodes", .integer(index.fingerprint.rows)),
            .init("dim", .integer(index.fingerprint.dim)),
            .init("m", .integer(index.m)),
            .init("m0", .integer(Int(index.graph.m0))),
            .init("ef construction", .integer(index.efConstruction)),
            .init("seed", .text(String(index.seed))),
            .init("top level", .integer(index.maxLevel)),
            .init("entry node", .integer(Int(index.graph.entry))),
            .init("upper links", .integer(Int(index.graph.upper_count))),
            .init("vectors", .text("\(index.fingerprint) (nearest --index needs the vector file with these rows)")),
            .init("bytes", .integer(index.byteCount)),
        ]
        return ArtifactDescription(path: path, kind: "HNSW index", magic: "WPHNSWIX", version: Int(stored(8)), currentVersion: Int(version),
                                   fields: fields, checksums: [.init(part: "header", stored: stored(68), verified: true),
                                                               .init(part: "graph", stored: stored(64), verified: true)],
                                   verified: true)
    }

    // MARK: searching

    /// Refuses `store` unless the index was built from these very vectors.
    public func check(against store: VectorStore, indexPath: String, vectorsPath: String) throws {
        let actual = store.fingerprint
        guard actual == fingerprint else {
            throw EmbeddingError.malformed(location: SourceLocation(path: indexPath), message: """
                stale index: it was built from other vectors (\(fingerprint)) than \(vectorsPath) (\(actual)); \
                build it again with `wordpipe index \(vectorsPath) -o \(indexPath)`
                """)
        }
    }

    /// The (up to) `ef` nearest rows to the unit `query` the graph finds, best first (by
    /// approximate scores). `vectors` are the rows the index was built from: unit rows, or the
    /// rows as stored with `scales` (1 / each row's norm), which give the same similarities up
    /// to float rounding.
    func search(_ query: [Float], vectors: UnsafePointer<Float>, scales: UnsafePointer<Float>? = nil, ef: Int) -> [Int32] {
        // A context (visited marks for every row) is reused from query to query.
        contextLock.lock()
        let reused = contexts.popLast()
        contextLock.unlock()
        guard let context = reused ?? SearchContext(rows: Int(graph.rows)) else { return [] }
        defer {
            contextLock.lock()
            contexts.append(context)
            contextLock.unlock()
        }
        var ids = [Int32](repeating: 0, count: ef)
        var scores = [Float](repeating: 0, count: ef)
        let found = withUnsafePointer(to: graph) { g in
            wph_search_knn_scaled(g, vectors, scales, query, Int32(clamping: ef), context.pointer, &ids, &scores)
        }
        return Array(ids.prefix(Int(found)))
    }

    private var contexts: [SearchContext] = []
    private let contextLock = NSLock()

    /// One thread's search state.
    final class SearchContext {
        let pointer: OpaquePointer
        init?(rows: Int) {
            guard let pointer = wph_search_create(Int64(rows)) else { return nil }
            self.pointer = pointer
        }
        deinit { wph_search_destroy(pointer) }
    }
}

extension VectorStore {
    /// Rows, dim and the CRC-32C of the float32 rows as stored (for a native file: the rows'
    /// checksum it records; the same vectors in word2vec form give the same value).
    public var fingerprint: HNSWIndex.Fingerprint {
        HNSWIndex.Fingerprint.init(rows: count, dim: dim, checksum: rowsChecksum)
    }

    /// The `k` nearest words found through `index` with a beam of `ef` (at least k), scored and
    /// ranked as the exact scan scores them (float32, fixed order), the query words excluded.
    public func nearest(positive: [String], negative: [String] = [], k: Int = 10, index: HNSWIndex, ef: Int) throws -> [Neighbour] {
        guard ef >= 1 else { throw QueryError.invalid("--ef must be at least 1, not \(ef)") }
        let (vector, excluded) = try queryVector(positive: positive, negative: negative)
        return nearest(to: vector, k: k, index: index, ef: ef, excluding: excluded)
    }

    /// `nearest(positive:negative:k:index:ef:)` for a query vector.
    public func nearest(to query: [Float], k: Int, index: HNSWIndex, ef: Int, excluding excluded: Set<Int32> = []) -> [Neighbour] {
        guard k > 0, ef > 0 else { return [] }
        let norm = query.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        let unit = norm > 0 ? query.map { $0 / norm } : query
        guard unit.allSatisfy(\.isFinite) else { return [] }
        let width = max(ef, k + excluded.count)
        // The graph is searched over the rows where they are, each dot product times the row's
        // scale (1 / norm); the answers are then scored as the exact scan scores them.
        let scales = rowScales
        let ids: [Int32] = withStoredRows { rows in
            if let rows { return scales.withUnsafeBufferPointer { index.search(unit, vectors: rows, scales: $0.baseAddress, ef: width) } }
            // A mapped file whose rows are not float-aligned: a transient unit copy.
            return unitMatrix().withUnsafeBufferPointer { m in m.baseAddress.map { index.search(unit, vectors: $0, scales: nil, ef: width) } ?? [] }
        }
        let exact = unitScores(unit, ids: ids[...])
        return topK(ids: ids[...], scores: exact, k: k, excluding: excluded)
    }
}
