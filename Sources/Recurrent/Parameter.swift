import Foundation

/// A trainable tensor: its value and the gradient that backward passes accumulate into.
///
/// Backward passes add to `gradient` (or to `sparseGradient`), as PyTorch's `.grad` does: call
/// `zeroGradient()` (or an optimizer's step, which does not clear them) between batches.
public final class Parameter<Scalar: RecurrentScalar> {
    /// A name for messages and files, e.g. `layer0.weight_ih`.
    public let name: String
    /// The current value.
    public var value: Matrix<Scalar>
    /// The accumulated dense gradient (same shape as `value`; empty for sparse parameters).
    public var gradient: Matrix<Scalar>
    /// The accumulated row gradient of a sparse parameter (an embedding table).
    public var sparseGradient: SparseRowGradient<Scalar>?
    /// Whether optimizers update this parameter (a frozen embedding is not).
    public var isTrainable: Bool

    /// A dense parameter with a zero gradient.
    public init(name: String, value: Matrix<Scalar>, isTrainable: Bool = true) {
        self.name = name
        self.value = value
        gradient = Matrix(rows: value.rows, columns: value.columns)
        self.isTrainable = isTrainable
    }

    /// A sparse parameter: whole-row gradients kept by row id, no dense gradient.
    public init(sparseName name: String, value: Matrix<Scalar>, isTrainable: Bool = true) {
        self.name = name
        self.value = value
        gradient = Matrix(rows: 0, columns: value.columns)
        sparseGradient = SparseRowGradient(columns: value.columns)
        self.isTrainable = isTrainable
    }

    /// Whether the gradient is kept as rows (`sparseGradient`) rather than dense.
    public var isSparse: Bool { sparseGradient != nil }

    /// Sets the gradient to zero.
    public func zeroGradient() {
        if isSparse {
            sparseGradient = SparseRowGradient(columns: value.columns)
        } else if gradient.rows == value.rows && gradient.columns == value.columns {
            // In place: a new matrix each batch would map and fault in fresh pages (the output
            // layer of a language model is megabytes).
            gradient.storage.withUnsafeMutableBytes { bytes in
                if let base = bytes.baseAddress { memset(base, 0, bytes.count) }
            }
        } else {
            gradient = Matrix(rows: value.rows, columns: value.columns)
        }
    }

    /// The gradient as a dense matrix (sparse rows scattered into zeros).
    public var denseGradient: Matrix<Scalar> {
        guard let sparseGradient else { return gradient }
        var result = Matrix<Scalar>(rows: value.rows, columns: value.columns)
        for (slot, id) in sparseGradient.ids.enumerated() {
            for j in 0..<value.columns { result[Int(id), j] = sparseGradient.rows[slot, j] }
        }
        return result
    }

    /// The sum of squares of the gradient.
    public var gradientSquaredNorm: Scalar {
        sparseGradient?.rows.squaredNorm ?? gradient.squaredNorm
    }

    /// Adds `alpha` times `other`'s gradient to this one's: dense gradients with `axpy`, sparse
    /// ones row by row in `other`'s row order (rows new here are appended in that order). The
    /// batch-parallel trainer sums its workers' gradients into the main model's with this.
    public func addGradient(of other: Parameter<Scalar>, scaledBy alpha: Scalar = 1) {
        precondition(isSparse == other.isSparse && value.columns == other.value.columns,
                     "cannot add the gradient of \(other.name) (\(other.value.shape)) to \(name) (\(value.shape))")
        guard let source = other.sparseGradient else { return gradient.add(other.gradient, scaledBy: alpha) }
        guard !source.ids.isEmpty else { return }
        guard let existing = sparseGradient, !existing.ids.isEmpty else {
            // Nothing here yet: `alpha` times the other's rows, as adding them to zero rows gives.
            sparseGradient = SparseRowGradient(ids: source.ids, rows: source.rows.scaled(by: alpha), slots: source.slots)
            return
        }
        // Taken out of the property while it grows, so that its storage is not shared (and copied).
        var target = existing
        sparseGradient = nil
        source.ids.withUnsafeBufferPointer { ids in
            source.rows.storage.withUnsafeBufferPointer { rows in
                Scalar.accumulateRows(count: ids.count, columns: source.rows.columns, ids: ids.baseAddress!, skipping: nil,
                                      rows: rows.baseAddress!, scaledBy: alpha, into: &target)
            }
        }
        sparseGradient = target
    }

    /// Multiplies the gradient by `factor`, in place (`gradient.scaled(by:)` would copy a
    /// storage that the property still holds: a 26 MB output layer's, every clipped batch).
    public func scaleGradient(by factor: Scalar) {
        if var sparse = sparseGradient {
            sparseGradient = nil
            sparse.scaleRows(by: factor)
            sparseGradient = sparse
        } else {
            gradient.scale(by: factor)
        }
    }
}

/// The gradient of a table parameter for the rows a batch used: one summed row per distinct id.
public struct SparseRowGradient<Scalar: RecurrentScalar>: Sendable {
    /// The row ids, in first-use order, each once.
    public private(set) var ids: [Int32]
    /// `ids.count × columns` gradient rows, in the order of `ids`.
    public private(set) var rows: Matrix<Scalar>
    /// Where each id's row is in `rows`.
    private(set) var slots: [Int32: Int]

    /// An empty gradient for rows of `columns` values.
    public init(columns: Int) {
        ids = []
        rows = Matrix(rows: 0, columns: columns)
        slots = [:]
    }

    init(ids: [Int32], rows: Matrix<Scalar>, slots: [Int32: Int]) {
        self.ids = ids
        self.rows = rows
        self.slots = slots
    }

    /// Multiplies every row by `factor`, in place.
    mutating func scaleRows(by factor: Scalar) {
        rows.scale(by: factor)
    }

    /// Adds `alpha` times `values` (`columns` of them) to the row of `id`.
    ///
    /// Called from generic code in another module this runs unspecialized, with a runtime type
    /// lookup per call; for many rows, `Scalar.accumulateRows` runs specialized.
    public mutating func add(_ values: UnsafePointer<Scalar>, to id: Int32, scaledBy alpha: Scalar = 1) {
        let columns = rows.columns
        let slot: Int
        if let existing = slots[id] {
            slot = existing
        } else {
            slot = ids.count
            slots[id] = slot
            ids.append(id)
            rows.storage.append(contentsOf: repeatElement(0, count: columns))
            rows = Matrix(rows: ids.count, columns: columns, storage: rows.storage)
        }
        rows.storage.withUnsafeMutableBufferPointer { buffer in
            Scalar.axpy(count: columns, alpha: alpha, x: values, y: buffer.baseAddress! + slot * columns)
        }
    }
}

extension Parameter {
    /// The rows `ids` of this table, `ids.count × columns` (a negative id gives a zero row): the
    /// forward pass of an embedding with a dense gradient (one that may be tied to an output layer).
    public func gatherRows(_ ids: [Int32]) -> Matrix<Scalar> {
        let dim = value.columns
        var result = Matrix<Scalar>(rows: ids.count, columns: dim)
        value.storage.withUnsafeBufferPointer { table in
            result.storage.withUnsafeMutableBufferPointer { out in
                for (row, id) in ids.enumerated() where id >= 0 {
                    (out.baseAddress! + row * dim).update(from: table.baseAddress! + Int(id) * dim, count: dim)
                }
            }
        }
        return result
    }

    /// Adds the rows of `rowGradients` to the gradient (sparse or dense) at `ids` (negative ids
    /// and `padding` are skipped; a frozen table gets nothing): `gatherRows`' backward pass.
    public func accumulateRowGradients(_ ids: [Int32], _ rowGradients: Matrix<Scalar>, skipping padding: Int32? = nil) {
        guard isTrainable, !ids.isEmpty else { return }
        let dim = value.columns
        if isSparse {
            // Taken out of the parameter while it grows, so that its storage is not shared (and copied).
            var sparse = sparseGradient ?? SparseRowGradient(columns: dim)
            sparseGradient = nil
            ids.withUnsafeBufferPointer { ids in
                rowGradients.storage.withUnsafeBufferPointer { rows in
                    Scalar.accumulateRows(count: ids.count, columns: dim, ids: ids.baseAddress!, skipping: padding,
                                          rows: rows.baseAddress!, scaledBy: 1, into: &sparse)
                }
            }
            sparseGradient = sparse
            return
        }
        rowGradients.storage.withUnsafeBufferPointer { g in
            gradient.storage.withUnsafeMutableBufferPointer { out in
                for (row, id) in ids.enumerated() where id >= 0 && id != padding {
                    let target = out.baseAddress! + Int(id) * dim, source = g.baseAddress! + row * dim
                    for j in 0..<dim { target[j] += source[j] }
                }
            }
        }
    }
}
