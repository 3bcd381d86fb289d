import Foundation

// The character encoder's loops over elements: max pooling over each word's positions (a
// `RecurrentScalar` requirement, so it runs specialized for `Float` and `Double`), and row gathers
// and scatters that copy with `memcpy` and add with `?axpy`.

extension RecurrentScalar {
    /// Max pooling over row segments (see the requirement).
    public static func maxPoolSegments(segments: Int, columns: Int, offsets: UnsafePointer<Int>, x: UnsafePointer<Self>,
                                       out: UnsafeMutablePointer<Self>, argmax: UnsafeMutablePointer<Int>) {
        for s in 0..<segments {
            let first = offsets[s], end = offsets[s + 1]
            let best = out + s * columns, rows = argmax + s * columns
            let row = x + first * columns
            for c in 0..<columns {
                best[c] = row[c]
                rows[c] = first
            }
            for r in (first + 1)..<max(end, first + 1) {
                let row = x + r * columns
                for c in 0..<columns where row[c] > best[c] {
                    best[c] = row[c]
                    rows[c] = r
                }
            }
        }
    }

    /// The backward pass of max pooling (see the requirement).
    public static func maxUnpool(count: Int, columns: Int, argmax: UnsafePointer<Int>, dOut: UnsafePointer<Self>,
                                 dx: UnsafeMutablePointer<Self>) {
        for k in 0..<count { dx[argmax[k] * columns + k % columns] += dOut[k] }
    }
}

extension Matrix {
    /// Rows `indices` of this matrix, in that order (`indices.count × columns`); a negative index
    /// gives a zero row.
    func gatheringRows(_ indices: [Int]) -> Matrix {
        var result = Matrix(rows: indices.count, columns: columns)
        guard columns > 0, !indices.isEmpty else { return result }
        let bytes = columns * MemoryLayout<Scalar>.stride, rowCount = rows, width = columns
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                for (position, index) in indices.enumerated() where index >= 0 {
                    precondition(index < rowCount, "row \(index) is outside \(rowCount) rows")
                    memcpy(target.baseAddress! + position * width, source.baseAddress! + index * width, bytes)
                }
            }
        }
        return result
    }

    /// Adds row `k` of `source` to row `indices[k]` of this matrix, for every `k` with a
    /// non-negative index (the backward pass of `gatheringRows`).
    mutating func addRows(of source: Matrix, to indices: [Int]) {
        precondition(source.rows == indices.count && source.columns == columns,
                     "cannot add \(source.shape) to \(indices.count) rows of \(shape)")
        guard columns > 0, !indices.isEmpty else { return }
        let rowCount = rows, width = columns
        source.storage.withUnsafeBufferPointer { x in
            storage.withUnsafeMutableBufferPointer { y in
                for (position, index) in indices.enumerated() where index >= 0 {
                    precondition(index < rowCount, "row \(index) is outside \(rowCount) rows")
                    Scalar.axpy(count: width, alpha: 1, x: x.baseAddress! + position * width, y: y.baseAddress! + index * width)
                }
            }
        }
    }
}
