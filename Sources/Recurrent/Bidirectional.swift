/// A bidirectional recurrent layer: one layer reads each sequence forwards, another reads it
/// backwards from its own true end, and the output at step t is `[a_t, a'_t]` (forward features
/// first, as PyTorch's `bidirectional=True`).
///
/// The backward direction runs the same code on the batch with each sequence reversed within
/// its length (`SequenceBatch.reversedSequences`), and its output is reversed back, so padding
/// never reaches either direction. States are `[forward, backward]`.
public final class Bidirectional<Scalar: RecurrentScalar>: SequenceModule {
    /// The left-to-right layer.
    public let forwardLayer: RecurrentLayer<Scalar>
    /// The right-to-left layer.
    public let backwardLayer: RecurrentLayer<Scalar>

    /// Pairs two layers of the same cell and sizes.
    public init(forward: RecurrentLayer<Scalar>, backward: RecurrentLayer<Scalar>) {
        precondition(forward.cellKind == backward.cellKind && forward.inputSize == backward.inputSize
                     && forward.hiddenSize == backward.hiddenSize,
                     "directions differ: \(forward.cellKind) \(forward.inputSize)→\(forward.hiddenSize) vs \(backward.cellKind) \(backward.inputSize)→\(backward.hiddenSize)")
        forwardLayer = forward
        backwardLayer = backward
    }

    /// `layer` for the forward direction and a fresh layer of the same configuration, seeded with
    /// `seed`, for the backward direction.
    public convenience init(_ layer: RecurrentLayer<Scalar>, backwardSeed seed: UInt64, name: String = "rnn") {
        self.init(forward: layer, backward: RecurrentLayer(layer.cellKind, inputSize: layer.inputSize,
                                                           hiddenSize: layer.hiddenSize, seed: seed, name: name + "_reverse"))
    }

    /// A seeded bidirectional layer.
    public convenience init(_ cellKind: CellKind, inputSize: Int, hiddenSize: Int, seed: UInt64, name: String = "rnn") {
        var generator = SeededGenerator(seed: seed)
        self.init(forward: RecurrentLayer(cellKind, inputSize: inputSize, hiddenSize: hiddenSize, seed: generator.next(), name: name),
                  backward: RecurrentLayer(cellKind, inputSize: inputSize, hiddenSize: hiddenSize, seed: generator.next(),
                                           name: name + "_reverse"))
    }

    /// The cell of both directions.
    public var cellKind: CellKind { forwardLayer.cellKind }
    /// Features per input step.
    public var inputSize: Int { forwardLayer.inputSize }
    /// `2 · hiddenSize`.
    public var outputSize: Int { 2 * forwardLayer.hiddenSize }
    /// Two states: forward, backward.
    public var stateCount: Int { 2 }
    /// The forward direction's parameters, then the backward direction's.
    public var parameters: [Parameter<Scalar>] { forwardLayer.parameters + backwardLayer.parameters }

    /// Runs both directions (see `SequenceModule`).
    public func forward(_ input: SequenceBatch<Scalar>, initialState: RecurrentState<Scalar>?, training: Bool) -> SequenceTrace<Scalar> {
        if let initialState {
            precondition(initialState.h.count == 2, "a bidirectional layer takes 2 states, got \(initialState.h.count)")
        }
        let forwardTrace = forwardLayer.forward(input, initialState: initialState?.slice(0..<1), training: training)
        let backwardTrace = backwardLayer.forward(input.reversedSequences(), initialState: initialState?.slice(1..<2), training: training)
        let backwardOutput = SequenceBatch.reverse(backwardTrace.output.values, lengths: input.lengths, steps: input.steps)
        let output = Matrix.concatenateColumns(forwardTrace.output.values, backwardOutput)
        return SequenceTrace(output: input.replacingValues(output),
                             finalState: forwardTrace.finalState + backwardTrace.finalState,
                             detail: .bidirectional(forward: forwardTrace, backward: backwardTrace))
    }

    /// Back-propagates through both directions (see `SequenceModule`).
    public func backward(_ trace: SequenceTrace<Scalar>, outputGradient: Matrix<Scalar>?,
                         finalStateGradient: RecurrentState<Scalar>?) -> SequenceGradient<Scalar> {
        guard case .bidirectional(let forwardTrace, let backwardTrace) = trace.detail else {
            preconditionFailure("Bidirectional.backward was given the trace of another kind of module")
        }
        let lengths = trace.output.lengths, steps = trace.output.steps, hidden = forwardLayer.hiddenSize
        if let outputGradient {
            precondition(outputGradient.rows == trace.output.values.rows && outputGradient.columns == 2 * hidden,
                         "output gradient is \(outputGradient.shape), the output is \(trace.output.values.shape)")
        }
        if let finalStateGradient {
            precondition(finalStateGradient.h.count == 2, "a bidirectional layer has 2 states, the gradient has \(finalStateGradient.h.count)")
        }
        let forwardGradient = forwardLayer.backward(forwardTrace, outputGradient: outputGradient?.columns(0..<hidden),
                                                    finalStateGradient: finalStateGradient?.slice(0..<1))
        let reversedGradient = outputGradient.map { SequenceBatch.reverse($0.columns(hidden..<2 * hidden), lengths: lengths, steps: steps) }
        let backwardGradient = backwardLayer.backward(backwardTrace, outputGradient: reversedGradient,
                                                      finalStateGradient: finalStateGradient?.slice(1..<2))
        var input = forwardGradient.input
        input.add(SequenceBatch.reverse(backwardGradient.input, lengths: lengths, steps: steps))
        return SequenceGradient(input: input, initialState: forwardGradient.initialState + backwardGradient.initialState)
    }
}
