import Foundation

/// A padded batch of sequences of feature vectors, time-major, with each sequence's true length.
///
/// The row of step `t` of sequence `b` is `t * batchSize + b` in `values`, so the rows of one time
/// step are contiguous and one step of a recurrent layer is one matrix product. Rows past a
/// sequence's length are padding: layers ignore them on input and write zeros there on output
/// (as PyTorch's `pad_packed_sequence` does).
public struct SequenceBatch<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// `steps · batchSize` rows of `features` values, time-major.
    public var values: Matrix<Scalar>
    /// The true length of each sequence (`0...steps`).
    public let lengths: [Int]
    /// The padded length: the number of time steps.
    public let steps: Int

    /// A batch over time-major `values`; `values.rows` must be `steps × lengths.count`.
    public init(values: Matrix<Scalar>, lengths: [Int], steps: Int) {
        precondition(!lengths.isEmpty, "a batch needs at least one sequence")
        precondition(values.rows == steps * lengths.count,
                     "values have \(values.rows) rows, expected steps \(steps) × batch \(lengths.count)")
        for length in lengths {
            precondition(length >= 0 && length <= steps, "sequence length \(length) is outside 0...\(steps)")
        }
        self.values = values
        self.lengths = lengths
        self.steps = steps
    }

    /// Pads `sequences` (each `length × features`) into one time-major batch; `steps` defaults to
    /// the longest length.
    public init(sequences: [Matrix<Scalar>], steps: Int? = nil) {
        precondition(!sequences.isEmpty, "a batch needs at least one sequence")
        let features = sequences[0].columns
        let steps = steps ?? sequences.map(\.rows).max() ?? 0
        let batch = sequences.count
        var values = Matrix<Scalar>(rows: steps * batch, columns: features)
        for (b, sequence) in sequences.enumerated() {
            precondition(sequence.columns == features, "sequence \(b) has \(sequence.columns) features, sequence 0 has \(features)")
            precondition(sequence.rows <= steps, "sequence \(b) has \(sequence.rows) steps, more than \(steps)")
            for t in 0..<sequence.rows {
                values.storage.replaceSubrange((t * batch + b) * features ..< (t * batch + b + 1) * features, with: sequence.row(t))
            }
        }
        self.init(values: values, lengths: sequences.map(\.rows), steps: steps)
    }

    /// The number of sequences.
    public var batchSize: Int { lengths.count }

    /// The number of features per step.
    public var features: Int { values.columns }

    /// The number of real (unpadded) steps in the batch.
    public var tokenCount: Int { lengths.reduce(0, +) }

    /// Sequence `index` without padding, `length × features`.
    public func sequence(_ index: Int) -> Matrix<Scalar> {
        precondition(index >= 0 && index < batchSize, "sequence \(index) is outside the batch of \(batchSize)")
        var result = Matrix<Scalar>(rows: lengths[index], columns: features)
        for t in 0..<lengths[index] {
            result.storage.replaceSubrange(t * features ..< (t + 1) * features, with: values.row(t * batchSize + index))
        }
        return result
    }

    /// The same batch with other values of the same row count (e.g. a layer's output).
    public func replacingValues(_ newValues: Matrix<Scalar>) -> SequenceBatch {
        SequenceBatch(values: newValues, lengths: lengths, steps: steps)
    }

    /// Each sequence read backwards from its own true end: step `t` of the result is step
    /// `length − 1 − t` of the input; padding stays padding (zeros).
    public func reversedSequences() -> SequenceBatch {
        SequenceBatch(values: Self.reverse(values, lengths: lengths, steps: steps), lengths: lengths, steps: steps)
    }

    /// `reversedSequences` on any time-major matrix with these lengths (its own inverse).
    static func reverse(_ matrix: Matrix<Scalar>, lengths: [Int], steps: Int) -> Matrix<Scalar> {
        let batch = lengths.count, columns = matrix.columns
        var result = Matrix<Scalar>(rows: matrix.rows, columns: columns)
        guard columns > 0 else { return result }
        let bytes = columns * MemoryLayout<Scalar>.stride
        matrix.storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                for (b, length) in lengths.enumerated() {
                    for t in 0..<length {
                        memcpy(target.baseAddress! + ((length - 1 - t) * batch + b) * columns,
                               source.baseAddress! + (t * batch + b) * columns, bytes)
                    }
                }
            }
        }
        return result
    }
}

/// A padded batch of token-id sequences, time-major like `SequenceBatch`; padding positions hold
/// `TokenBatch.padding` (-1). Used for embedding inputs and for loss targets.
public struct TokenBatch: Sendable, Equatable {
    /// The id written at padded positions; embeddings map it to a zero row, losses ignore it.
    public static let padding: Int32 = -1
    /// `steps · batchSize` ids, time-major.
    public let ids: [Int32]
    /// The true length of each sequence.
    public let lengths: [Int]
    /// The padded length.
    public let steps: Int

    /// Pads `sequences` into one time-major batch; `steps` defaults to the longest length.
    public init(sequences: [[Int32]], steps: Int? = nil) {
        precondition(!sequences.isEmpty, "a batch needs at least one sequence")
        let steps = steps ?? sequences.map(\.count).max() ?? 0
        let batch = sequences.count
        var ids = [Int32](repeating: Self.padding, count: steps * batch)
        for (b, sequence) in sequences.enumerated() {
            precondition(sequence.count <= steps, "sequence \(b) has \(sequence.count) tokens, more than \(steps)")
            for (t, id) in sequence.enumerated() { ids[t * batch + b] = id }
        }
        self.ids = ids
        lengths = sequences.map(\.count)
        self.steps = steps
    }

    /// The number of sequences.
    public var batchSize: Int { lengths.count }
}

/// The recurrent state of a module: one `batch × hidden` matrix per layer and direction (in
/// PyTorch's `h_n` order: layer by layer, forward direction before backward), and the LSTM's
/// cell states in the same order (empty for RNN and GRU).
public struct RecurrentState<Scalar: RecurrentScalar>: Sendable, Equatable {
    /// Hidden states `h`.
    public var h: [Matrix<Scalar>]
    /// LSTM cell states `c` (empty for other cells).
    public var c: [Matrix<Scalar>]

    /// A state from its parts.
    public init(h: [Matrix<Scalar>], c: [Matrix<Scalar>] = []) {
        self.h = h
        self.c = c
    }

    /// States `range` (a layer's or a direction's share).
    func slice(_ range: Range<Int>) -> RecurrentState {
        RecurrentState(h: Array(h[range]), c: c.isEmpty ? [] : Array(c[range]))
    }

    /// The concatenation of two states.
    static func + (a: RecurrentState, b: RecurrentState) -> RecurrentState {
        RecurrentState(h: a.h + b.h, c: a.c + b.c)
    }
}

/// What a forward pass returns: the output, the final state, and what the backward pass needs.
public struct SequenceTrace<Scalar: RecurrentScalar> {
    /// The output at every step (`steps · batch × outputSize`, zeros at padding).
    public let output: SequenceBatch<Scalar>
    /// The state after each sequence's last real step.
    public let finalState: RecurrentState<Scalar>
    let detail: TraceDetail<Scalar>
}

/// The saved activations of each kind of module.
indirect enum TraceDetail<Scalar: RecurrentScalar> {
    case layer(LayerCache<Scalar>)
    case bidirectional(forward: SequenceTrace<Scalar>, backward: SequenceTrace<Scalar>)
    case stack(layers: [SequenceTrace<Scalar>], dropoutMasks: [Matrix<Scalar>?])
}

/// What a backward pass returns: the gradients of the input and of the initial state. Parameter
/// gradients are accumulated into the module's `Parameter`s.
public struct SequenceGradient<Scalar: RecurrentScalar>: Sendable {
    /// ∂L/∂input, `steps · batch × inputSize` (zeros at padding).
    public var input: Matrix<Scalar>
    /// ∂L/∂(initial state), in `RecurrentState` order.
    public var initialState: RecurrentState<Scalar>
}

/// A module over padded sequence batches with an explicit backward pass: a recurrent layer, a
/// bidirectional pair, or a stack of either.
public protocol SequenceModule<Scalar>: AnyObject {
    /// The element type.
    associatedtype Scalar: RecurrentScalar
    /// Features per input step.
    var inputSize: Int { get }
    /// Features per output step.
    var outputSize: Int { get }
    /// The number of `batch × hidden` states (layers × directions).
    var stateCount: Int { get }
    /// The cell of the layers (LSTMs carry a cell state besides `h`).
    var cellKind: CellKind { get }
    /// The trainable parameters, in a fixed order.
    var parameters: [Parameter<Scalar>] { get }
    /// Runs the module over a batch from `initialState` (zeros when nil). `training` turns on
    /// dropout between stacked layers.
    func forward(_ input: SequenceBatch<Scalar>, initialState: RecurrentState<Scalar>?, training: Bool) -> SequenceTrace<Scalar>
    /// Back-propagates through time from the gradients of the output (nil: zero) and of the final
    /// state (nil: zero), accumulating parameter gradients; returns the input and initial-state
    /// gradients.
    func backward(_ trace: SequenceTrace<Scalar>, outputGradient: Matrix<Scalar>?,
                  finalStateGradient: RecurrentState<Scalar>?) -> SequenceGradient<Scalar>
}

extension SequenceModule {
    /// Runs the module from a zero state, without dropout.
    public func forward(_ input: SequenceBatch<Scalar>) -> SequenceTrace<Scalar> {
        forward(input, initialState: nil, training: false)
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// The number of trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// A fixed-size buffer of scalars with a stable address, for the activations a forward pass
/// saves (freed with the trace).
final class Buffer<Scalar: RecurrentScalar> {
    let pointer: UnsafeMutablePointer<Scalar>
    let count: Int

    /// A zero-filled buffer.
    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        memset(pointer, 0, max(count, 1) * MemoryLayout<Scalar>.stride)
    }

    deinit { pointer.deallocate() }

    /// Sets every element to zero.
    func zero() { memset(pointer, 0, count * MemoryLayout<Scalar>.stride) }

    /// Copies the values of `matrix` to the start of the buffer.
    func copy(from matrix: Matrix<Scalar>) {
        precondition(matrix.count <= count, "a \(matrix.shape) matrix does not fit a buffer of \(count)")
        guard matrix.count > 0 else { return }
        matrix.storage.withUnsafeBufferPointer { source in
            pointer.update(from: source.baseAddress!, count: source.count)
        }
    }

    /// Row `b` of time slot `slots[b]` for each `b`, from a time-major buffer of `slots.count`
    /// rows per slot (`slots.count × columns`): e.g. each sequence's state after its own last step.
    func gatherRows(slots: [Int], columns: Int) -> Matrix<Scalar> {
        let batch = slots.count
        var result = Matrix<Scalar>(rows: batch, columns: columns)
        guard columns > 0 else { return result }
        result.storage.withUnsafeMutableBufferPointer { target in
            for (b, slot) in slots.enumerated() {
                let offset = (slot * batch + b) * columns
                precondition(slot >= 0 && offset + columns <= count, "buffer of \(count) has no row \(b) at slot \(slot)")
                (target.baseAddress! + b * columns).update(from: pointer + offset, count: columns)
            }
        }
        return result
    }

    /// Copies `count` elements from `offset` into a matrix.
    func matrix(rows: Int, columns: Int, offset: Int = 0) -> Matrix<Scalar> {
        precondition(offset + rows * columns <= count, "buffer of \(count) has no \(rows) × \(columns) at \(offset)")
        return Matrix(rows: rows, columns: columns, storage: Array(UnsafeBufferPointer(start: pointer + offset, count: rows * columns)))
    }
}
