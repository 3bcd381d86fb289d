import Embeddings
import Foundation
import Vocabulary

/// A table of word vectors looked up by vocabulary id, with a sparse row gradient.
///
/// Initialized from trained vectors (`WordVectors`, `VectorStore`) or randomly (`N(0, 1)`, as
/// PyTorch's `nn.Embedding`); trainable or frozen. Two ids are special:
/// - padding (`TokenBatch.padding`, and the `<pad>` row when there is one) looks up a zero vector
///   and receives no gradient, as `nn.Embedding(padding_idx:)`;
/// - unknown words map to the `<unk>` row in `ids(for:)`.
/// When the vectors have no `<unk>` or `<pad>` row, one is appended: `<unk>` is the mean of all
/// vectors (a neutral guess for a word never seen), `<pad>` is zero.
///
/// The backward pass gives one summed gradient row per distinct id (`SparseRowGradient`), so a
/// batch costs what it touches, not the vocabulary size.
public final class Embedding<Scalar: RecurrentScalar> {
    /// The table, `rows × dim`; its gradient is sparse.
    public let weight: Parameter<Scalar>
    /// The row that reads as zeros and learns nothing, if any.
    public let paddingID: Int32?
    /// The row unknown words map to, if any.
    public let unknownID: Int32?
    /// The token name `ids(for:)` reports when there is no unknown row.
    public let unknownToken: String
    private let lookup: @Sendable (String) -> Int32?

    /// A random `N(0, 1)` table of `rows × dim`, seeded; `paddingID`'s row starts at zero. The
    /// parameter is named `<name>.weight`.
    public init(rows: Int, dim: Int, paddingID: Int32? = nil, unknownID: Int32? = nil, trainable: Bool = true,
                seed: UInt64, words: [String]? = nil, name: String = "embedding") {
        precondition(rows > 0 && dim > 0, "an embedding needs positive sizes, got \(rows) × \(dim)")
        if let words { precondition(words.count == rows, "\(words.count) words for \(rows) rows") }
        for id in [paddingID, unknownID].compactMap({ $0 }) {
            precondition(id >= 0 && Int(id) < rows, "special id \(id) is outside the \(rows) rows")
        }
        var generator = SeededGenerator(seed: seed)
        var table = Matrix<Scalar>.normal(rows: rows, columns: dim, using: &generator)
        if let paddingID { for j in 0..<dim { table[Int(paddingID), j] = 0 } }
        weight = Parameter(sparseName: "\(name).weight", value: table, isTrainable: trainable)
        self.paddingID = paddingID
        self.unknownID = unknownID
        unknownToken = "<unk>"
        let index = Dictionary((words ?? []).enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        lookup = { index[$0] }
    }

    /// A table over `table` as it is (no row is changed; the padding row should be zero). The
    /// parameter is named `<name>.weight`.
    public init(table: Matrix<Scalar>, paddingID: Int32? = nil, unknownID: Int32? = nil, trainable: Bool = true,
                name: String = "embedding") {
        precondition(table.rows > 0 && table.columns > 0, "an embedding needs positive sizes, got \(table.shape)")
        for id in [paddingID, unknownID].compactMap({ $0 }) {
            precondition(id >= 0 && Int(id) < table.rows, "special id \(id) is outside the \(table.rows) rows")
        }
        weight = Parameter(sparseName: "\(name).weight", value: table, isTrainable: trainable)
        self.paddingID = paddingID
        self.unknownID = unknownID
        unknownToken = "<unk>"
        lookup = { _ in nil }
    }

    /// A table from trained vectors: rows in vocabulary order, then `<unk>` and `<pad>` rows
    /// appended when the vocabulary lacks them.
    public convenience init(vectors: WordVectors, trainable: Bool, unknownToken: String = "<unk>", paddingToken: String = "<pad>") {
        let vocabulary = vectors.vocabulary
        self.init(matrix: vectors.matrix, dim: vectors.dim, count: vocabulary.count, trainable: trainable,
                  unknownToken: unknownToken, paddingToken: paddingToken, lookup: { vocabulary.id(of: $0) })
    }

    /// A table from a vector store; word lookup uses the store's, which applies the tokenizer
    /// configuration the vectors were trained with (so `King` finds `king` in a case-folded model).
    public convenience init(store: VectorStore, trainable: Bool, unknownToken: String = "<unk>", paddingToken: String = "<pad>") {
        self.init(matrix: store.vectors, dim: store.dim, count: store.count, trainable: trainable,
                  unknownToken: unknownToken, paddingToken: paddingToken, lookup: { store.id(of: $0) })
    }

    private init(matrix: [Float], dim: Int, count: Int, trainable: Bool, unknownToken: String, paddingToken: String,
                 lookup base: @escaping @Sendable (String) -> Int32?) {
        precondition(dim > 0 && matrix.count == count * dim, "vectors hold \(matrix.count) values, expected \(count) × \(dim)")
        var table = matrix.map { Scalar($0) }
        var rows = count
        var unknown = base(unknownToken)
        if unknown == nil {
            var mean = [Double](repeating: 0, count: dim)
            for r in 0..<count { for j in 0..<dim { mean[j] += Double(matrix[r * dim + j]) } }
            table.append(contentsOf: mean.map { Scalar($0 / Double(max(count, 1))) })
            unknown = Int32(rows)
            rows += 1
        }
        var padding = base(paddingToken)
        if let existing = padding {
            for j in 0..<dim { table[Int(existing) * dim + j] = 0 }
        } else {
            table.append(contentsOf: repeatElement(0, count: dim))
            padding = Int32(rows)
            rows += 1
        }
        weight = Parameter(sparseName: "embedding.weight", value: Matrix(rows: rows, columns: dim, storage: table), isTrainable: trainable)
        paddingID = padding
        unknownID = unknown
        self.unknownToken = unknownToken
        let (unknownName, paddingName, unknownRow, paddingRow) = (unknownToken, paddingToken, unknown, padding)
        lookup = { word in
            if let id = base(word) { return id }
            if word == unknownName { return unknownRow }
            if word == paddingName { return paddingRow }
            return nil
        }
    }

    /// The vector size.
    public var dim: Int { weight.value.columns }
    /// The number of rows (vocabulary plus appended specials).
    public var rows: Int { weight.value.rows }
    /// Whether the optimizers update the table.
    public var isTrainable: Bool {
        get { weight.isTrainable }
        set { weight.isTrainable = newValue }
    }
    /// The table (empty when frozen).
    public var parameters: [Parameter<Scalar>] { isTrainable ? [weight] : [] }

    /// The id of each word; words not in the vocabulary get the unknown id.
    /// - Throws: `RecurrentError.unknownWord` for a word not found when there is no unknown row.
    public func ids(for words: [String]) throws -> [Int32] {
        try words.map { word in
            if let id = lookup(word) { return id }
            guard let unknownID else { throw RecurrentError.unknownWord(word, unknownToken: unknownToken) }
            return unknownID
        }
    }

    /// Whether `id` reads as a zero vector (padding).
    @inline(__always) private func isPadding(_ id: Int32) -> Bool { id < 0 || id == paddingID }

    /// The rows of `ids` (`ids.count × dim`); padding ids give zero rows.
    public func forward(_ ids: [Int32]) -> Matrix<Scalar> {
        let dim = self.dim, rows = self.rows
        var output = Matrix<Scalar>(rows: ids.count, columns: dim)
        guard !ids.isEmpty else { return output }
        weight.value.storage.withUnsafeBufferPointer { table in
            output.storage.withUnsafeMutableBufferPointer { out in
                for (position, id) in ids.enumerated() where !isPadding(id) {
                    precondition(Int(id) < rows, "id \(id) is outside the embedding's \(rows) rows")
                    memcpy(out.baseAddress! + position * dim, table.baseAddress! + Int(id) * dim, dim * MemoryLayout<Scalar>.stride)
                }
            }
        }
        return output
    }

    /// The embedded batch (time-major, zeros at padding).
    public func forward(_ batch: TokenBatch) -> SequenceBatch<Scalar> {
        SequenceBatch(values: forward(batch.ids), lengths: batch.lengths, steps: batch.steps)
    }

    /// Adds the rows of `outputGradient` to the sparse gradient of their ids (padding ids and a
    /// frozen table get nothing).
    public func backward(ids: [Int32], outputGradient: Matrix<Scalar>) {
        precondition(outputGradient.rows == ids.count && outputGradient.columns == dim,
                     "output gradient is \(outputGradient.shape) for \(ids.count) ids of dim \(dim)")
        weight.accumulateRowGradients(ids, outputGradient, skipping: paddingID)
    }
}
