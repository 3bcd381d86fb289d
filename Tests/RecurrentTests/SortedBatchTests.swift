import Recurrent
import Testing

/// A batch sorted longest first computes only the rows of the sequences still running at each step
/// (`RecurrentLayer.skipsPaddingOfSortedBatches`); it must give what the general, masked path gives.
@Suite("Sorted batches skip their padding")
struct SortedBatchTests {
    /// Non-increasing lengths with zeros, ties, a batch of one and a batch that ends before its steps.
    static let shapes: [(lengths: [Int], steps: Int)] = [
        ([6, 6, 4, 2, 1, 0, 0], 6),
        ([5, 3, 3, 0], 5),
        ([4, 2, 1], 6),
        ([3], 3),
        ([0, 0], 2),
    ]

    /// What one forward + backward pass gives, flattened for comparison.
    struct Run<Scalar: RecurrentScalar> {
        var named: [(String, [Scalar])] = []
    }

    /// Runs `module` forward and backward with a random initial state, output gradient and final
    /// state gradient (seeded), and returns everything it computes.
    static func run<M: SequenceModule>(_ module: M, hidden: Int, lengths: [Int], steps: Int, seed: UInt64) -> Run<M.Scalar> {
        typealias S = M.Scalar
        var generator = SeededGenerator(seed: seed)
        let batch = lengths.count, states = module.stateCount
        let input = SequenceBatch(values: Matrix<S>.normal(rows: steps * batch, columns: module.inputSize, using: &generator),
                                  lengths: lengths, steps: steps)
        func randomState() -> RecurrentState<S> {
            RecurrentState(h: (0..<states).map { _ in Matrix<S>.normal(rows: batch, columns: hidden, standardDeviation: 0.5, using: &generator) },
                           c: module.cellKind == .lstm
                               ? (0..<states).map { _ in Matrix<S>.normal(rows: batch, columns: hidden, standardDeviation: 0.5, using: &generator) }
                               : [])
        }
        let initial = randomState(), finalGradient = randomState()
        let outputGradient = Matrix<S>.normal(rows: steps * batch, columns: module.outputSize, using: &generator)
        module.zeroGradients()
        let trace = module.forward(input, initialState: initial, training: false)
        let gradient = module.backward(trace, outputGradient: outputGradient, finalStateGradient: finalGradient)
        var result = Run<S>()
        result.named.append(("output", trace.output.values.storage))
        for (k, h) in trace.finalState.h.enumerated() { result.named.append(("h_n[\(k)]", h.storage)) }
        for (k, c) in trace.finalState.c.enumerated() { result.named.append(("c_n[\(k)]", c.storage)) }
        result.named.append(("∂input", gradient.input.storage))
        for (k, h) in gradient.initialState.h.enumerated() { result.named.append(("∂h_0[\(k)]", h.storage)) }
        for (k, c) in gradient.initialState.c.enumerated() { result.named.append(("∂c_0[\(k)]", c.storage)) }
        for parameter in module.parameters { result.named.append(("∂" + parameter.name, parameter.gradient.storage)) }
        return result
    }

    /// Expects two runs to agree to `tolerance`, relative to each tensor's largest magnitude.
    static func expectClose<S: RecurrentScalar>(_ fast: Run<S>, _ general: Run<S>, tolerance: Double, _ what: String,
                                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fast.named.map(\.0) == general.named.map(\.0), sourceLocation: sourceLocation)
        for ((name, a), (_, b)) in zip(fast.named, general.named) {
            #expect(a.count == b.count, "\(what) \(name): sizes \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
            let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1)
            let worst = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
            #expect(worst <= tolerance * scale, "\(what) \(name): differs by \(worst) (scale \(scale))",
                    sourceLocation: sourceLocation)
        }
    }

    /// A layer or bidirectional pair of `kind`, twice with the same weights: the second forced onto
    /// the general path.
    static func pair<S: RecurrentScalar>(_ kind: CellKind, bidirectional: Bool, as _: S.Type)
        -> (fast: any SequenceModule<S>, general: any SequenceModule<S>) {
        if bidirectional {
            let fast = Bidirectional<S>(kind, inputSize: 3, hiddenSize: 5, seed: 17)
            let general = Bidirectional<S>(kind, inputSize: 3, hiddenSize: 5, seed: 17)
            general.forwardLayer.skipsPaddingOfSortedBatches = false
            general.backwardLayer.skipsPaddingOfSortedBatches = false
            return (fast, general)
        }
        let fast = RecurrentLayer<S>(kind, inputSize: 3, hiddenSize: 5, seed: 17)
        let general = RecurrentLayer<S>(kind, inputSize: 3, hiddenSize: 5, seed: 17)
        general.skipsPaddingOfSortedBatches = false
        return (fast, general)
    }

    @Test("Double: the same outputs, final states and gradients as the general path",
          arguments: CellKind.allCases, [false, true])
    func double(kind: CellKind, bidirectional: Bool) {
        for (index, shape) in Self.shapes.enumerated() {
            let (fast, general) = Self.pair(kind, bidirectional: bidirectional, as: Double.self)
            #expect(fast.parameters.map(\.value) == general.parameters.map(\.value))
            let seed = UInt64(index + 1)
            Self.expectClose(Self.run(fast, hidden: 5, lengths: shape.lengths, steps: shape.steps, seed: seed),
                             Self.run(general, hidden: 5, lengths: shape.lengths, steps: shape.steps, seed: seed),
                             tolerance: 1e-12, "\(kind) \(bidirectional ? "bidirectional " : "")\(shape.lengths)")
        }
    }

    @Test("Float: the same results as the general path up to float rounding", arguments: CellKind.allCases, [false, true])
    func float(kind: CellKind, bidirectional: Bool) {
        for (index, shape) in Self.shapes.enumerated() {
            let (fast, general) = Self.pair(kind, bidirectional: bidirectional, as: Float.self)
            let seed = UInt64(index + 1)
            Self.expectClose(Self.run(fast, hidden: 5, lengths: shape.lengths, steps: shape.steps, seed: seed),
                             Self.run(general, hidden: 5, lengths: shape.lengths, steps: shape.steps, seed: seed),
                             tolerance: 1e-5, "\(kind) \(bidirectional ? "bidirectional " : "")\(shape.lengths)")
        }
    }

    @Test("Float at the benchmark's width: 32 sorted sequences of 20 to 40 steps, hidden 128")
    func benchmarkShape() {
        var generator = SeededGenerator(seed: 5)
        let lengths = (0..<32).map { _ in 20 + Int(generator.nextUnit() * 21) }.sorted(by: >)
        let fast = Bidirectional<Float>(.lstm, inputSize: 10, hiddenSize: 128, seed: 3)
        let general = Bidirectional<Float>(.lstm, inputSize: 10, hiddenSize: 128, seed: 3)
        general.forwardLayer.skipsPaddingOfSortedBatches = false
        general.backwardLayer.skipsPaddingOfSortedBatches = false
        Self.expectClose(Self.run(fast, hidden: 128, lengths: lengths, steps: lengths[0], seed: 9),
                         Self.run(general, hidden: 128, lengths: lengths, steps: lengths[0], seed: 9), tolerance: 1e-5, "BiLSTM \(lengths)")
    }

    @Test("a stack of bidirectional layers on a sorted batch")
    func stack() {
        let fast = RecurrentStack<Bidirectional<Double>>(bidirectional: .lstm, inputSize: 3, hiddenSize: 4, count: 2, seed: 8)
        let general = RecurrentStack<Bidirectional<Double>>(bidirectional: .lstm, inputSize: 3, hiddenSize: 4, count: 2, seed: 8)
        for layer in general.layers {
            layer.forwardLayer.skipsPaddingOfSortedBatches = false
            layer.backwardLayer.skipsPaddingOfSortedBatches = false
        }
        Self.expectClose(Self.run(fast, hidden: 4, lengths: [5, 4, 4, 1, 0], steps: 5, seed: 4),
                         Self.run(general, hidden: 4, lengths: [5, 4, 4, 1, 0], steps: 5, seed: 4), tolerance: 1e-12, "stack")
    }
}
