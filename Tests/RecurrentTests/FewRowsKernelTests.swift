import Recurrent
import RecurrentKernels
import Testing

/// `wpr_sgemm_few_rows` (the recurrent step's unpacked product, few_rows.c) and `Float.gemm`,
/// which hands it the shapes it covers, against the product in Double: every block size of its
/// loops and their leftovers, strided operands, and the accumulation into C.
@Suite("Few-row sgemm kernel")
struct FewRowsKernelTests {
    /// Rows around the register blocks (2 for Bᵀ, 6 for B) and the two limits (12, 16); sides
    /// around the column blocks (4 rows of Bᵀ, 16 and 8 columns of B), the panels of k (128) and 8.
    @Test("C += A · op(B) matches the Double product", arguments: [false, true])
    func matches(_ transposeB: Bool) {
        var generator = SeededGenerator(seed: transposeB ? 7 : 8)
        let limit = transposeB ? 16 : 12
        for m in [1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17] {
            for (n, k) in [(64, 64), (67, 129), (650, 300), (75, 257), (1024, 65)] {
                let (lda, ldb, ldc) = (k + 3, (transposeB ? k : n) + 5, n + 2)
                let a = Matrix<Float>.normal(rows: m, columns: lda, using: &generator)
                let b = Matrix<Float>.normal(rows: transposeB ? n : k, columns: ldb, using: &generator)
                let c = Matrix<Float>.normal(rows: m, columns: ldc, using: &generator)
                var expected = c.storage.map(Double.init)
                for r in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k {
                            let bv = transposeB ? b.storage[j * ldb + p] : b.storage[p * ldb + j]
                            sum += Double(a.storage[r * lda + p]) * Double(bv)
                        }
                        expected[r * ldc + j] += sum
                    }
                }
                var direct = c.storage
                let used = direct.withUnsafeMutableBufferPointer { out in
                    wpr_sgemm_few_rows(transposeB ? 1 : 0, m, n, k, a.storage, lda, b.storage, ldb, out.baseAddress!, ldc)
                }
                #expect(used == (m <= limit && wpr_kernels_vectorized() == 1 ? 1 : 0), "m \(m), n \(n), k \(k)")
                var viaGemm = c.storage
                viaGemm.withUnsafeMutableBufferPointer { out in
                    Float.gemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a.storage, lda: lda,
                               b: b.storage, ldb: ldb, beta: 1, c: out.baseAddress!, ldc: ldc)
                }
                let tolerance = 1e-5 * Double(k).squareRoot() * 4
                for index in expected.indices {
                    let column = index % ldc
                    let exact = expected[index]
                    if column >= n {
                        // Past n: C's padding is never touched.
                        #expect(direct[index] == c.storage[index] && viaGemm[index] == c.storage[index])
                        continue
                    }
                    if used == 1 { #expect(abs(Double(direct[index]) - exact) <= tolerance, "m \(m) n \(n) k \(k) at \(index)") }
                    #expect(abs(Double(viaGemm[index]) - exact) <= tolerance, "m \(m) n \(n) k \(k) at \(index)")
                }
            }
        }
    }

    @Test("shapes outside its range are left to sgemm and C is untouched")
    func declines() {
        let a = [Float](repeating: 1, count: 64 * 64), b = [Float](repeating: 1, count: 64 * 64)
        var c = [Float](repeating: 5, count: 64 * 64)
        let (m17, narrow) = c.withUnsafeMutableBufferPointer { out in
            (wpr_sgemm_few_rows(1, 17, 64, 64, a, 64, b, 64, out.baseAddress!, 64),
             wpr_sgemm_few_rows(0, 4, 63, 64, a, 64, b, 64, out.baseAddress!, 64))
        }
        #expect(m17 == 0 && narrow == 0)
        #expect(c.allSatisfy { $0 == 5 })
    }
}
