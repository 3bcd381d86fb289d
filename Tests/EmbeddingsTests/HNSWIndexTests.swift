import Foundation
import QueryKernels
import Testing
import TestSupport
import Vocabulary
import WordPipeSupport
@testable import Embeddings

// The HNSW index (wordpipe index, nearest --index): recall against the exact scan, scores as the
// exact scan gives them, a reproducible file, and every kind of bad file refused with a message.

private func gaussian(_ generator: inout SplitMix64) -> Float {
    let u = Double.random(in: Double.ulpOfOne ..< 1, using: &generator), v = Double.random(in: 0 ..< 1, using: &generator)
    return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
}

/// Rows around `clusters` centres (as trained vectors are: neighbourhoods, not noise), or plain
/// Gaussian rows when `clusters` is 0.
private func rows(_ count: Int, dim: Int, clusters: Int, seed: UInt64) -> [[Float]] {
    var generator = SplitMix64(seed: seed)
    let centres = (0..<max(clusters, 1)).map { _ in (0..<dim).map { _ in gaussian(&generator) } }
    return (0..<count).map { _ in
        let centre = centres[Int.random(in: 0 ..< centres.count, using: &generator)]
        return (0..<dim).map { i in clusters == 0 ? gaussian(&generator) : centre[i] + 0.6 * gaussian(&generator) }
    }
}

private func store(_ rows: [[Float]]) -> VectorStore {
    let words = rows.indices.map { "w\($0)" }
    let vocabulary = Vocabulary(words: words, counts: words.indices.map { Int64(rows.count - $0) })
    return VectorStore(WordVectors(vocabulary: vocabulary, dim: rows[0].count, matrix: rows.flatMap { $0 }))
}

@Suite(.serialized) struct HNSWIndexTests {
    static let clustered = rows(4000, dim: 32, clusters: 60, seed: 3)

    /// recall@10 against the exact answers, and the scores of what is found are the exact scan's.
    @Test(arguments: [1, 2])
    func findsWhatTheExactScanFinds(threads: Int) throws {
        let vectors = store(Self.clustered)
        let index = try HNSWIndex.build(vectors, settings: .init(m: 8, efConstruction: 100, seed: 5, threads: threads))
        var hits = 0, asked = 0
        for query in Swift.stride(from: 0, to: 4000, by: 40) {
            let exact = try vectors.nearest(positive: ["w\(query)"], k: 10)
            let approximate = try vectors.nearest(positive: ["w\(query)"], k: 10, index: index, ef: 64)
            #expect(approximate.count == 10)
            #expect(!approximate.contains { $0.word == "w\(query)" }, "the query word is never an answer")
            let scores = Dictionary(uniqueKeysWithValues: exact.map { ($0.word, $0.score) })
            for answer in approximate where scores[answer.word] != nil {
                #expect(answer.score == scores[answer.word], "the exact scan's score, bit for bit")
            }
            #expect(approximate.map(\.score) == approximate.map(\.score).sorted(by: >))
            hits += Set(exact.map(\.word)).intersection(approximate.map(\.word)).count
            asked += 10
        }
        let recall = Double(hits) / Double(asked)
        #expect(recall >= 0.95, "recall@10 \(recall)")
    }

    /// One thread: the same vectors and seed give the same file; written and read back, the
    /// index answers as the built one does.
    @Test func fileIsReproducibleAndAnswersTheSame() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = store(Array(Self.clustered.prefix(1500)))
        let settings = HNSWIndex.Settings(m: 6, efConstruction: 40, seed: 9, threads: 1)
        let built = try HNSWIndex.build(vectors, settings: settings)
        let first = directory.appendingPathComponent("a.wph").path, second = directory.appendingPathComponent("b.wph").path
        try built.write(to: first)
        try HNSWIndex.build(vectors, settings: settings).write(to: second)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: second))))
        #expect(bytes.count == built.byteCount)
        let read = try HNSWIndex(path: first)
        try read.check(against: vectors, indexPath: first, vectorsPath: "v.wpv")
        #expect(read.fingerprint == vectors.fingerprint && read.m == 6 && read.efConstruction == 40 && read.seed == 9)
        for query in [0, 17, 400, 1499] {
            #expect(try vectors.nearest(positive: ["w\(query)"], k: 5, index: read, ef: 20)
                    == vectors.nearest(positive: ["w\(query)"], k: 5, index: built, ef: 20))
        }
        // Another seed draws other levels: another file.
        try HNSWIndex.build(vectors, settings: .init(m: 6, efConstruction: 40, seed: 10, threads: 1)).write(to: second)
        #expect(bytes != (try Data(contentsOf: URL(fileURLWithPath: second))))
    }

    /// Graph indexes do poorly on unstructured (random) vectors; the search still answers k words,
    /// and a wide beam recovers the exact answers. Neighbour pruning can leave a node with no
    /// link in (hnswlib's heuristic does the same), so only the one-thread graph, which is
    /// reproducible, is held to all ten; a two-thread graph differs run to run and is held to nine.
    @Test func randomVectorsNeedAWideBeam() throws {
        let vectors = store(rows(2000, dim: 48, clusters: 0, seed: 8))
        for threads in [1, 2] {
            let index = try HNSWIndex.build(vectors, settings: .init(m: 8, efConstruction: 80, seed: 1, threads: threads))
            for query in [3, 999] {
                let exact = try vectors.nearest(positive: ["w\(query)"], k: 10)
                #expect(try vectors.nearest(positive: ["w\(query)"], k: 10, index: index, ef: 10).count == 10)
                let wide = try vectors.nearest(positive: ["w\(query)"], k: 10, index: index, ef: 2000)
                if threads == 1 {
                    #expect(wide == exact)
                } else {
                    #expect(Set(wide.map(\.word)).intersection(exact.map(\.word)).count >= 9)
                }
            }
        }
    }

    /// A stale index, a truncated one, a damaged one, another kind of file: each refused, naming the file.
    @Test func badIndexFilesAreRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = store(Array(Self.clustered.prefix(800)))
        let path = directory.appendingPathComponent("i.wph").path
        try HNSWIndex.build(vectors, settings: .init(m: 4, efConstruction: 20, seed: 1, threads: 1)).write(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        // Stale: other vectors (one value changed), and vectors of another size.
        var changed = Array(Self.clustered.prefix(800))
        changed[5][3] += 0.25
        let stale = message { try HNSWIndex(path: path).check(against: store(changed), indexPath: path, vectorsPath: "v.wpv") }
        #expect(stale.contains(path) && stale.contains("stale index") && stale.contains("wordpipe index v.wpv -o \(path)"), "\(stale)")
        let smaller = message { try HNSWIndex(path: path).check(against: store(Array(changed.prefix(700))), indexPath: path, vectorsPath: "v.wpv") }
        #expect(smaller.contains("stale index") && smaller.contains("700"), "\(smaller)")
        // Truncated anywhere: refused with "truncated".
        for length in [0, 7, 100, 128, good.count / 2, good.count - 1] {
            try good.prefix(length).write(to: URL(fileURLWithPath: path))
            let text = message { _ = try HNSWIndex(path: path) }
            #expect(text.contains(path) && text.contains("truncated"), "\(length) bytes: \(text)")
        }
        // A flipped byte in the graph or the header: the checksums.
        for offset in [20, 200, good.count - 3] {
            var damaged = good
            damaged[offset] ^= 0x10
            try damaged.write(to: URL(fileURLWithPath: path))
            let text = message { _ = try HNSWIndex(path: path) }
            #expect(text.contains("damaged") && text.contains("CRC-32C"), "byte \(offset): \(text)")
        }
        // A newer version.
        var newer = good
        newer[8] = 9
        try newer.write(to: URL(fileURLWithPath: path))
        #expect(message { _ = try HNSWIndex(path: path) }.contains("version 9 is newer"))
        // A vector file given as the index.
        let vectorPath = directory.appendingPathComponent("v.wpv").path
        try WordVectors(vocabulary: vectors.vocabulary, dim: vectors.dim, matrix: vectors.vectors).save(to: vectorPath, format: .native)
        let misplaced = message { _ = try HNSWIndex(path: vectorPath) }
        #expect(misplaced.contains("vector file") && misplaced.contains("wordpipe index"), "\(misplaced)")
    }

    /// A graph whose checksums are right but whose links point outside it (a crafted file) is
    /// refused before any search reads it.
    @Test func linksOutsideTheGraphAreRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        let vectors = store(Array(Self.clustered.prefix(300)))
        let path = directory.appendingPathComponent("i.wph").path
        try HNSWIndex.build(vectors, settings: .init(m: 4, efConstruction: 20, seed: 1, threads: 1)).write(to: path)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Node 0's first level-0 link (after the offsets and levels) set to row 300.
        let links0 = 128 + 12 * 300
        data.replaceSubrange(links0 + 4 ..< links0 + 8, with: withUnsafeBytes(of: Int32(300).littleEndian) { Data($0) })
        var crc = CRC32C.checksum(of: data[128...])
        data.replaceSubrange(64 ..< 68, with: withUnsafeBytes(of: crc.littleEndian) { Data($0) })
        crc = CRC32C.checksum(of: data[0 ..< 68])
        data.replaceSubrange(68 ..< 72, with: withUnsafeBytes(of: crc.littleEndian) { Data($0) })
        try data.write(to: URL(fileURLWithPath: path))
        do {
            _ = try HNSWIndex(path: path)
            Issue.record("a link to row 300 of 300 was accepted")
        } catch {
            #expect("\(error)".contains("damaged graph: node 0"), "\(error)")
        }
    }
}
