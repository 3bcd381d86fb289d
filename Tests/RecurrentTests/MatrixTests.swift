import Recurrent
import Testing

@Suite("Matrix")
struct MatrixTests {
    @Test("gemm with every transpose combination matches the definition")
    func products() {
        var generator = SeededGenerator(seed: 1)
        let a = Matrix<Double>.normal(rows: 3, columns: 4, using: &generator)
        let b = Matrix<Double>.normal(rows: 4, columns: 2, using: &generator)
        let expected = naive(a, b)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let x = ta ? a.transposed() : a, y = tb ? b.transposed() : b
            let product = x.matmul(y, transposeA: ta, transposeB: tb)
            #expect(product.rows == 3 && product.columns == 2)
            for i in 0..<product.count { #expect(abs(product.storage[i] - expected.storage[i]) < 1e-12) }
        }
        let floatProduct = Matrix<Float>(a).matmul(Matrix<Float>(b.transposed()), transposeB: true)
        for i in 0..<floatProduct.count { #expect(abs(Double(floatProduct.storage[i]) - expected.storage[i]) < 1e-5) }
    }

    @Test("gemv, column sums, axpy, row vectors, Hadamard, column slices")
    func elementwise() {
        let m = Matrix<Float>(rows: 2, columns: 3, storage: [1, 2, 3, 4, 5, 6])
        #expect(m.matvec([1, 0, -1]) == [-2, -2])
        #expect(m.matvec([1, 1], transpose: true) == [5, 7, 9])
        #expect(m.columnSums() == [5, 7, 9])
        var n = m
        n.add(m, scaledBy: 2)
        #expect(n.storage == [3, 6, 9, 12, 15, 18])
        n.addToRows([1, 1, 1])
        #expect(n.storage == [4, 7, 10, 13, 16, 19])
        #expect(m.multiplied(by: m).storage == [1, 4, 9, 16, 25, 36])
        #expect(m.squaredNorm == 91)
        #expect(m.columns(1..<3).storage == [2, 3, 5, 6])
        #expect(Matrix.concatenateColumns(m.columns(0..<1), m.columns(1..<3)) == m)
        #expect(m.transposed().storage == [1, 4, 2, 5, 3, 6])
    }

    private func naive(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Matrix<Double> {
        var c = Matrix<Double>(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var sum = 0.0
                for k in 0..<a.columns { sum += a[i, k] * b[k, j] }
                c[i, j] = sum
            }
        }
        return c
    }
}
