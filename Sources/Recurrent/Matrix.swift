import Foundation

/// A dense row-major matrix of `Float` or `Double`, with the operations the recurrent layers need.
///
/// Element `(r, c)` is `storage[r * columns + c]`. Products go through CBLAS (`?gemm`, `?gemv`);
/// nothing that BLAS has is hand-rolled. A sequence batch is stored time-major in one matrix: the
/// row of step `t`, sequence `b` is `t * batch + b` (see `SequenceBatch`).
///
/// ```swift
/// let a = Matrix<Float>(rows: 2, columns: 3, storage: [1, 2, 3, 4, 5, 6])
/// let b = a.matmul(a, transposeB: true)   // 2 × 2, a · aᵀ
/// ```
public struct Matrix<Scalar: RecurrentScalar>: Equatable, Sendable {
    /// The number of rows.
    public private(set) var rows: Int
    /// The number of columns.
    public private(set) var columns: Int
    /// The elements, row by row (`rows × columns` values).
    public var storage: [Scalar]

    /// A zero matrix.
    public init(rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "matrix shape must be non-negative, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        // memset rather than `Array(repeating:count:)`, which runs element by element when this
        // generic code is not specialized (a call from another module). Zero is all-zero bits.
        storage = [Scalar](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            if let base = buffer.baseAddress { memset(base, 0, buffer.count * MemoryLayout<Scalar>.stride) }
            count = buffer.count
        }
    }

    /// A matrix whose elements are not set: for results that a BLAS call with `beta = 0`
    /// overwrites whole (`matmul`), so that a large output is not first filled with zeros.
    init(uninitializedRows rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "matrix shape must be non-negative, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        storage = [Scalar](unsafeUninitializedCapacity: rows * columns) { buffer, count in count = buffer.count }
    }

    /// A matrix with every element `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar) {
        precondition(rows >= 0 && columns >= 0, "matrix shape must be non-negative, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        storage = [Scalar](repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major values; `storage` must hold `rows × columns` of them.
    public init(rows: Int, columns: Int, storage: [Scalar]) {
        precondition(rows >= 0 && columns >= 0 && storage.count == rows * columns,
                     "storage holds \(storage.count) values, shape is \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// The same values in another precision (the gradient checks run in `Double`).
    public init<Other: RecurrentScalar>(_ other: Matrix<Other>) {
        self.init(rows: other.rows, columns: other.columns, storage: other.storage.map { Scalar($0) })
    }

    /// A matrix of values drawn uniformly from `-limit ... limit` with `generator`.
    public static func uniform(rows: Int, columns: Int, limit: Double, using generator: inout SeededGenerator) -> Matrix {
        let values = (0..<(rows * columns)).map { _ in Scalar(generator.nextUniform(in: -limit...limit)) }
        return Matrix(rows: rows, columns: columns, storage: values)
    }

    /// A matrix of values drawn from a normal distribution with `generator`.
    public static func normal(rows: Int, columns: Int, standardDeviation: Double = 1,
                              using generator: inout SeededGenerator) -> Matrix {
        let values = (0..<(rows * columns)).map { _ in Scalar(generator.nextNormal() * standardDeviation) }
        return Matrix(rows: rows, columns: columns, storage: values)
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The shape as text, `rows × columns`, for messages.
    public var shape: String { "\(rows) × \(columns)" }

    /// Element `(row, column)`.
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) is outside \(shape)")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "(\(row), \(column)) is outside \(shape)")
            storage[row * columns + column] = newValue
        }
    }

    /// The values of one row.
    public func row(_ index: Int) -> ArraySlice<Scalar> {
        precondition(index >= 0 && index < rows, "row \(index) is outside \(shape)")
        return storage[index * columns ..< (index + 1) * columns]
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) are outside \(shape)")
        return Matrix(rows: range.count, columns: columns, storage: Array(storage[range.lowerBound * columns ..< range.upperBound * columns]))
    }

    /// The transpose.
    public func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for r in 0..<rows {
            for c in 0..<columns { result.storage[c * rows + r] = storage[r * columns + c] }
        }
        return result
    }

    /// `op(self) · op(other)` (`?gemm`), where `op` transposes when asked.
    /// - Complexity: O(m·n·k).
    public func matmul(_ other: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? columns : rows, k = transposeA ? rows : columns
        let k2 = transposeB ? other.columns : other.rows, n = transposeB ? other.rows : other.columns
        precondition(k == k2, "cannot multiply \(transposeA ? "(\(shape))ᵀ" : shape) by \(transposeB ? "(\(other.shape))ᵀ" : other.shape)")
        // With k = 0 the product is zero, and `addProduct` would scale unset values by 0.
        guard k > 0 else { return Matrix(rows: m, columns: n) }
        var result = Matrix(uninitializedRows: m, columns: n)
        result.addProduct(self, other, transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0)
        return result
    }

    /// `self ← alpha · op(a) · op(b) + beta · self` (`?gemm`).
    /// - Complexity: O(m·n·k).
    public mutating func addProduct(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                                    alpha: Scalar = 1, beta: Scalar = 1) {
        let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
        let k2 = transposeB ? b.columns : b.rows, n = transposeB ? b.rows : b.columns
        precondition(k == k2 && m == rows && n == columns,
                     "cannot add \(transposeA ? "(\(a.shape))ᵀ" : a.shape) · \(transposeB ? "(\(b.shape))ᵀ" : b.shape) to \(shape)")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { self = Matrix(rows: rows, columns: columns) } else if beta != 1 { self = self.scaled(by: beta) }
            return
        }
        let (lda, ldb, ldc) = (a.columns, b.columns, columns)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                storage.withUnsafeMutableBufferPointer { pc in
                    Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                a: pa.baseAddress!, lda: max(lda, 1), b: pb.baseAddress!, ldb: max(ldb, 1),
                                beta: beta, c: pc.baseAddress!, ldc: max(ldc, 1))
                }
            }
        }
    }

    /// `op(self) · vector` (`?gemv`).
    public func matvec(_ vector: [Scalar], transpose: Bool = false) -> [Scalar] {
        let inner = transpose ? rows : columns, outer = transpose ? columns : rows
        precondition(vector.count == inner, "cannot multiply \(transpose ? "(\(shape))ᵀ" : shape) by a vector of \(vector.count)")
        var result = [Scalar](repeating: 0, count: outer)
        guard outer > 0, inner > 0 else { return result }
        storage.withUnsafeBufferPointer { pa in
            vector.withUnsafeBufferPointer { px in
                result.withUnsafeMutableBufferPointer { py in
                    Scalar.gemv(transpose: transpose, m: rows, n: columns, alpha: 1, a: pa.baseAddress!, lda: columns,
                                x: px.baseAddress!, beta: 0, y: py.baseAddress!)
                }
            }
        }
        return result
    }

    /// The sum of each column (`?gemv` against a vector of ones): a bias gradient.
    public func columnSums() -> [Scalar] {
        matvec([Scalar](repeating: 1, count: rows), transpose: true)
    }

    /// `self ← self + alpha · other` (`?axpy`).
    public mutating func add(_ other: Matrix, scaledBy alpha: Scalar = 1) {
        precondition(rows == other.rows && columns == other.columns, "cannot add \(other.shape) to \(shape)")
        guard count > 0 else { return }
        other.storage.withUnsafeBufferPointer { x in
            storage.withUnsafeMutableBufferPointer { y in
                Scalar.axpy(count: x.count, alpha: alpha, x: x.baseAddress!, y: y.baseAddress!)
            }
        }
    }

    /// `vector` added to every row.
    public mutating func addToRows(_ vector: [Scalar]) {
        precondition(vector.count == columns, "cannot add a vector of \(vector.count) to the rows of \(shape)")
        guard count > 0 else { return }
        let (r, c) = (rows, columns)
        vector.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { m in
                Scalar.addRowVector(rows: r, columns: c, vector: v.baseAddress!, matrix: m.baseAddress!)
            }
        }
    }

    /// The element-wise (Hadamard) product.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(rows == other.rows && columns == other.columns, "cannot multiply \(shape) by \(other.shape) element-wise")
        var result = self
        guard count > 0 else { return result }
        other.storage.withUnsafeBufferPointer { y in
            result.storage.withUnsafeMutableBufferPointer { x in
                Scalar.multiply(count: x.count, x.baseAddress!, y.baseAddress!, into: x.baseAddress!)
            }
        }
        return result
    }

    /// Every element times `alpha` (`?scal`).
    public func scaled(by alpha: Scalar) -> Matrix {
        var result = self
        result.scale(by: alpha)
        return result
    }

    /// Multiplies every element by `alpha` in place: no copy when the storage has one owner.
    public mutating func scale(by alpha: Scalar) {
        guard count > 0 else { return }
        storage.withUnsafeMutableBufferPointer { x in Scalar.scale(count: x.count, alpha: alpha, x: x.baseAddress!) }
    }

    /// The sum of squares of the elements (`?dot` with itself).
    public var squaredNorm: Scalar {
        guard count > 0 else { return 0 }
        return storage.withUnsafeBufferPointer { x in Scalar.dot(count: x.count, x: x.baseAddress!, y: x.baseAddress!) }
    }

    /// Columns side by side: `[a, b]`, with `a.rows == b.rows`.
    public static func concatenateColumns(_ a: Matrix, _ b: Matrix) -> Matrix {
        precondition(a.rows == b.rows, "cannot place \(a.shape) and \(b.shape) side by side")
        var result = Matrix(rows: a.rows, columns: a.columns + b.columns)
        result.copyColumns(from: a, sourceColumn: 0, toColumn: 0, count: a.columns)
        result.copyColumns(from: b, sourceColumn: 0, toColumn: a.columns, count: b.columns)
        return result
    }

    /// Columns `range` as a new matrix.
    public func columns(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "columns \(range) are outside \(shape)")
        var result = Matrix(rows: rows, columns: range.count)
        result.copyColumns(from: self, sourceColumn: range.lowerBound, toColumn: 0, count: range.count)
        return result
    }

    /// Copies `count` columns of every row of `source` (same row count) into this matrix.
    mutating func copyColumns(from source: Matrix, sourceColumn: Int, toColumn: Int, count: Int) {
        precondition(source.rows == rows && sourceColumn + count <= source.columns && toColumn + count <= columns,
                     "cannot copy \(count) columns of \(source.shape) into \(shape)")
        guard count > 0, rows > 0 else { return }
        let (n, from, to, stride) = (rows, source.columns, columns, MemoryLayout<Scalar>.stride)
        source.storage.withUnsafeBufferPointer { src in
            storage.withUnsafeMutableBufferPointer { dst in
                let s = UnsafeRawPointer(src.baseAddress!), d = UnsafeMutableRawPointer(dst.baseAddress!)
                for r in 0..<n {
                    (d + (r * to + toColumn) * stride).copyMemory(from: s + (r * from + sourceColumn) * stride, byteCount: count * stride)
                }
            }
        }
    }
}
