/// A deep RNN: layers applied one after another, each reading the previous one's output, with
/// dropout between them in training (not after the last), as PyTorch's `num_layers` and
/// `dropout`. There are no links between the layers other than that output. States are the
/// layers' states in order (for bidirectional layers: layer 0 forward, layer 0 backward, …).
public final class RecurrentStack<Layer: SequenceModule>: SequenceModule {
    /// The element type.
    public typealias Scalar = Layer.Scalar
    /// The layers, bottom first.
    public let layers: [Layer]
    /// The dropout between layers.
    public let dropout: Dropout<Scalar>

    /// Stacks `layers` (each layer's input size must be the previous one's output size).
    public init(layers: [Layer], dropout rate: Double = 0, seed: UInt64 = 0) {
        precondition(!layers.isEmpty, "a stack needs at least one layer")
        for (index, pair) in zip(layers, layers.dropFirst()).enumerated() {
            precondition(pair.0.outputSize == pair.1.inputSize,
                         "layer \(index) outputs \(pair.0.outputSize) features, layer \(index + 1) expects \(pair.1.inputSize)")
        }
        self.layers = layers
        dropout = Dropout(rate: rate, seed: seed)
    }

    /// A seeded stack of `count` unidirectional layers (PyTorch's `nn.LSTM(num_layers:)`).
    public convenience init<S>(_ cellKind: CellKind, inputSize: Int, hiddenSize: Int, count: Int, dropout rate: Double = 0,
                               seed: UInt64) where Layer == RecurrentLayer<S> {
        precondition(count >= 1, "a stack needs at least one layer, got \(count)")
        var generator = SeededGenerator(seed: seed)
        let layers = (0..<count).map { index in
            RecurrentLayer<S>(cellKind, inputSize: index == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize,
                              seed: generator.next(), name: "layer\(index)")
        }
        self.init(layers: layers, dropout: rate, seed: generator.next())
    }

    /// A seeded stack of `count` bidirectional layers (`bidirectional=True, num_layers=count`).
    public convenience init<S>(bidirectional cellKind: CellKind, inputSize: Int, hiddenSize: Int, count: Int,
                               dropout rate: Double = 0, seed: UInt64) where Layer == Bidirectional<S> {
        precondition(count >= 1, "a stack needs at least one layer, got \(count)")
        var generator = SeededGenerator(seed: seed)
        let layers = (0..<count).map { index in
            Bidirectional<S>(cellKind, inputSize: index == 0 ? inputSize : 2 * hiddenSize, hiddenSize: hiddenSize,
                             seed: generator.next(), name: "layer\(index)")
        }
        self.init(layers: layers, dropout: rate, seed: generator.next())
    }

    /// The cell of the bottom layer.
    public var cellKind: CellKind { layers[0].cellKind }
    /// The bottom layer's input size.
    public var inputSize: Int { layers[0].inputSize }
    /// The top layer's output size.
    public var outputSize: Int { layers[layers.count - 1].outputSize }
    /// The sum of the layers' states.
    public var stateCount: Int { layers.reduce(0) { $0 + $1.stateCount } }
    /// The layers' parameters, bottom first.
    public var parameters: [Parameter<Scalar>] { layers.flatMap(\.parameters) }

    /// Runs the layers in turn, with dropout between them when `training` (see `SequenceModule`).
    public func forward(_ input: SequenceBatch<Scalar>, initialState: RecurrentState<Scalar>?, training: Bool) -> SequenceTrace<Scalar> {
        if let initialState {
            precondition(initialState.h.count == stateCount, "the stack takes \(stateCount) states, got \(initialState.h.count)")
        }
        var traces: [SequenceTrace<Scalar>] = []
        var masks: [Matrix<Scalar>?] = []
        var current = input
        var finalState = RecurrentState<Scalar>(h: [])
        var offset = 0
        for (index, layer) in layers.enumerated() {
            if index > 0 {
                let (dropped, mask) = dropout.forward(current.values, training: training)
                current = current.replacingValues(dropped)
                masks.append(mask)
            }
            let trace = layer.forward(current, initialState: initialState?.slice(offset ..< offset + layer.stateCount), training: training)
            offset += layer.stateCount
            traces.append(trace)
            finalState = finalState + trace.finalState
            current = trace.output
        }
        return SequenceTrace(output: current, finalState: finalState, detail: .stack(layers: traces, dropoutMasks: masks))
    }

    /// Back-propagates through the layers, top first (see `SequenceModule`).
    public func backward(_ trace: SequenceTrace<Scalar>, outputGradient: Matrix<Scalar>?,
                         finalStateGradient: RecurrentState<Scalar>?) -> SequenceGradient<Scalar> {
        guard case .stack(let traces, let masks) = trace.detail, traces.count == layers.count else {
            preconditionFailure("RecurrentStack.backward was given the trace of another module")
        }
        if let finalStateGradient {
            precondition(finalStateGradient.h.count == stateCount, "the stack has \(stateCount) states, the gradient has \(finalStateGradient.h.count)")
        }
        var gradient = outputGradient
        var initialState = RecurrentState<Scalar>(h: [])
        var offset = stateCount
        for index in (0..<layers.count).reversed() {
            let layer = layers[index]
            offset -= layer.stateCount
            let result = layer.backward(traces[index], outputGradient: gradient,
                                        finalStateGradient: finalStateGradient?.slice(offset ..< offset + layer.stateCount))
            initialState = result.initialState + initialState
            gradient = index > 0 ? Dropout<Scalar>.backward(result.input, mask: masks[index - 1]) : result.input
        }
        // The gradient is never nil here: the bottom layer always returns its input gradient.
        return SequenceGradient(input: gradient ?? Matrix(rows: 0, columns: inputSize), initialState: initialState)
    }
}
