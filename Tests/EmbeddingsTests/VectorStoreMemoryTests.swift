import CBLAS
import Foundation
import QueryKernels
import Testing
import TestSupport
import Vocabulary
@testable import Embeddings

/// The store answers from the rows and a scale per row (1 / norm), with no full unit-normalized
/// copy: the unit rows it makes are the bits the normalized copy had, so answers and scores are
/// unchanged, and the copies it holds stay about a quarter of the rows' bytes.
@Suite struct VectorStoreMemoryTests {
    /// The unit-normalized matrix as the store made it before (a copy, `cblas_snrm2`, then
    /// `cblas_sscal` by 1 / norm; zero rows stay zero).
    static func oldNormalized(_ matrix: [Float], rows: Int, dim: Int) -> [Float] {
        var result = matrix
        result.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<rows {
                let base = buffer.baseAddress! + row * dim
                let norm = cblas_snrm2(Int32(dim), base, 1)
                if norm > 0 { cblas_sscal(Int32(dim), 1 / norm, base, 1) }
            }
        }
        return result
    }

    /// `rows × dim` seeded random rows (a zero row at 3, a duplicate of row 5 at 6: a tie), written
    /// as a native file and mapped.
    static func mappedStore(rows: Int, dim: Int, seed: UInt64) throws -> (VectorStore, [Float]) {
        var generator = SplitMix64(seed: seed)
        var matrix = (0 ..< rows * dim).map { _ in Float(Double(generator.next() % 20001) / 10000 - 1) }
        for index in 0..<dim { matrix[3 * dim + index] = 0; matrix[6 * dim + index] = matrix[5 * dim + index] }
        let vectors = WordVectors(vocabulary: Vocabulary(words: (0..<rows).map { "w\($0)" }, counts: (0..<rows).map { Int64(rows - $0) }),
                                  dim: dim, matrix: matrix)
        let path = try SharedData.temporaryDirectory().appendingPathComponent("memory.wpv").path
        try vectors.write(to: path, format: .native)
        let (store, _) = try VectorStore.load(from: path)
        #expect(store.isMapped)
        return (store, matrix)
    }

    @Test("unit rows are made from the mapped rows with the bits of the old normalized copy; nearest scores are unchanged")
    func unitRowsKeepTheirBits() throws {
        let rows = 3000, dim = 37
        let (store, matrix) = try Self.mappedStore(rows: rows, dim: dim, seed: 11)
        let old = Self.oldNormalized(matrix, rows: rows, dim: dim)
        #expect(store.unitMatrix().map(\.bitPattern) == old.map(\.bitPattern))
        for id in [0, 3, 5, 6, 1234, rows - 1] {
            #expect(store.unitVector(Int32(id)).map(\.bitPattern) == old[id * dim ..< (id + 1) * dim].map(\.bitPattern))
        }
        // Every scan answers with the old float32 scores, bit for bit, ties to the lower id.
        let query = Array(old[5 * dim ..< 6 * dim])
        var scores = [Float](repeating: 0, count: rows)
        wpq_scores_f32(old, Int64(rows), Int64(dim), query, &scores)
        let expected = (0..<rows).filter { $0 != 5 }.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(10)
        #expect(expected.first == 6)  // the duplicate of row 5
        for method in [ScanMethod.exact, .bytes, .halfPrecision, .automatic] {
            let answer = store.nearestSingle(query, k: 10, rows: rows, excluding: [5], method: method)
            #expect(answer.map(\.word) == expected.map { "w\($0)" }, "\(method)")
            #expect(answer.map { Float($0.score).bitPattern } == expected.map { scores[$0].bitPattern }, "\(method)")
        }
        // Several queries at once (one matrix product over blocks of unit rows) rank as the scan does.
        let batch = store.nearest(to: [query, Array(old[7 * dim ..< 8 * dim])], k: 10, restrict: nil, excluding: [[5], [7]])
        #expect(batch[0].map(\.word) == expected.map { "w\($0)" })
        for (neighbour, id) in zip(batch[0], expected) { #expect(abs(neighbour.score - Double(scores[id])) < 1e-6) }
    }

    @Test("a large mapped store holds no full float32 copy: its query copies stay under 40% of the rows' bytes")
    func noFullNormalizedCopy() throws {
        // 1.28M values: the int8 scan is used. Its codes are 32 bytes a row, its scale and error
        // and the row's scale 12 more: 34% of the 128 bytes of a row (a float32 copy: 100%).
        let rows = 40_000, dim = 32
        let (store, _) = try Self.mappedStore(rows: rows, dim: dim, seed: 12)
        _ = try store.nearest(positive: ["w10"], k: 10)
        _ = try store.analogy("w1", "w2", "w3", method: .add)
        _ = try store.analogy("w1", "w2", "w3", method: .mul)
        _ = try store.similarity("w1", "w2")
        let rowBytes = rows * dim * 4
        #expect(store.queryCopyBytes > 0)
        #expect(store.queryCopyBytes < rowBytes * 4 / 10, "query copies: \(store.queryCopyBytes) bytes for \(rowBytes) bytes of rows")
    }
}
