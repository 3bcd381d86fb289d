import Recurrent
import Testing

/// Finite-difference checks (Float64, see `GradientCheck`) of every layer's parameters and
/// inputs, on batches whose sequences have different lengths.
@Suite("Gradient checks")
struct GradientCheckTests {
    /// Steps 4; lengths 4, 1, 3 and 0: a full sequence, a short one, one in between, and an empty one
    /// (whose final state is its initial state).
    static let lengths = [4, 1, 3, 0]
    static let steps = 4

    private func expectPasses(_ entries: [GradientCheck.Entry], sourceLocation: SourceLocation = #_sourceLocation) {
        for entry in entries {
            #expect(entry.passes, "\(entry)", sourceLocation: sourceLocation)
        }
        #expect(entries.filter(\.nonTrivial).count >= entries.count - 1, "too many all-zero gradients: \(entries)",
                sourceLocation: sourceLocation)
    }

    @Test("recurrent layer: every parameter, the input and the initial state", arguments: CellKind.allCases)
    func layer(kind: CellKind) {
        let layer = RecurrentLayer<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 11)
        randomizeBiases(layer.parameters, seed: 5)
        let input = GradientCheck.randomInput(steps: Self.steps, lengths: Self.lengths, features: 3, seed: 1)
        let state = GradientCheck.randomState(count: 1, batch: 4, hidden: 4, cell: kind == .lstm, seed: 2)
        let entries = GradientCheck.check(layer, input: input, initialState: state)
        #expect(entries.map(\.name) == ["rnn.weight_ih", "rnn.weight_hh", "rnn.bias_ih", "rnn.bias_hh", "input", "h0[0]"]
                + (kind == .lstm ? ["c0[0]"] : []))
        expectPasses(entries)
        // Padding steps of the input get exactly zero gradient.
        let gradient = entries[4].analytic
        for t in 0..<Self.steps {
            for (b, length) in Self.lengths.enumerated() where t >= length {
                for j in 0..<3 { #expect(gradient[(t * 4 + b) * 3 + j] == 0) }
            }
        }
    }

    @Test("recurrent layer from a zero state, output gradient only")
    func layerZeroState() {
        for kind in CellKind.allCases {
            let layer = RecurrentLayer<Double>(kind, inputSize: 2, hiddenSize: 3, seed: 3)
            let input = GradientCheck.randomInput(steps: 5, lengths: [5, 2, 4], features: 2, seed: 4)
            expectPasses(GradientCheck.check(layer, input: input, initialState: nil))
        }
    }

    @Test("bidirectional layer", arguments: [CellKind.lstm, .gru, .rnnTanh])
    func bidirectional(kind: CellKind) {
        let layer = Bidirectional<Double>(kind, inputSize: 3, hiddenSize: 3, seed: 21)
        randomizeBiases(layer.parameters, seed: 6)
        let input = GradientCheck.randomInput(steps: Self.steps, lengths: Self.lengths, features: 3, seed: 8)
        let state = GradientCheck.randomState(count: 2, batch: 4, hidden: 3, cell: kind == .lstm, seed: 9)
        let entries = GradientCheck.check(layer, input: input, initialState: state)
        #expect(entries.count == 8 + 1 + 2 + (kind == .lstm ? 2 : 0))
        expectPasses(entries)
    }

    @Test("a batch sorted longest first (the path that skips padded rows): layer and bidirectional layer",
          arguments: CellKind.allCases)
    func sortedBatch(kind: CellKind) {
        let lengths = [4, 3, 1, 0]
        let layer = RecurrentLayer<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 12)
        randomizeBiases(layer.parameters, seed: 7)
        let input = GradientCheck.randomInput(steps: Self.steps, lengths: lengths, features: 3, seed: 3)
        let state = GradientCheck.randomState(count: 1, batch: 4, hidden: 4, cell: kind == .lstm, seed: 4)
        expectPasses(GradientCheck.check(layer, input: input, initialState: state))
        let pair = Bidirectional<Double>(kind, inputSize: 3, hiddenSize: 3, seed: 22)
        randomizeBiases(pair.parameters, seed: 8)
        let pairState = GradientCheck.randomState(count: 2, batch: 4, hidden: 3, cell: kind == .lstm, seed: 5)
        expectPasses(GradientCheck.check(pair, input: input, initialState: pairState))
    }

    @Test("3-layer stack: unidirectional LSTM, and bidirectional GRU with dropout between layers")
    func stacks() {
        let lstm = RecurrentStack<RecurrentLayer<Double>>(.lstm, inputSize: 2, hiddenSize: 3, count: 3, seed: 31)
        let input = GradientCheck.randomInput(steps: Self.steps, lengths: Self.lengths, features: 2, seed: 10)
        let state = GradientCheck.randomState(count: 3, batch: 4, hidden: 3, cell: true, seed: 11)
        let entries = GradientCheck.check(lstm, input: input, initialState: state)
        #expect(entries.count == 12 + 1 + 6)
        expectPasses(entries)

        // Dropout 0.3 between layers, in training mode; the masks are replayed for every evaluation.
        let gru = RecurrentStack<Bidirectional<Double>>(bidirectional: .gru, inputSize: 2, hiddenSize: 2, count: 3,
                                                        dropout: 0.3, seed: 41)
        let replay = gru.dropout.generator
        let gruEntries = GradientCheck.check(gru, input: input, initialState: nil, training: true) {
            gru.dropout.generator = replay
        }
        #expect(gruEntries.count == 24 + 1)
        expectPasses(gruEntries)
    }

    @Test("linear layer: weight, bias and input")
    func linear() {
        let layer = Linear<Double>(inputSize: 4, outputSize: 3, seed: 1)
        var generator = SeededGenerator(seed: 2)
        randomizeBiases(layer.parameters, seed: 3)
        var x = Matrix<Double>.normal(rows: 5, columns: 4, using: &generator)
        let r = Matrix<Double>.normal(rows: 5, columns: 3, using: &generator)
        let loss = { GradientCheck.dot(layer.forward(x), r) }
        let dx = layer.backward(input: x, outputGradient: r)
        var entries = layer.parameters.map { GradientCheck.Entry(name: $0.name, analytic: $0.gradient.storage,
                                                                 numeric: GradientCheck.numeric($0, loss: loss)) }
        entries.append(GradientCheck.Entry(name: "input", analytic: dx.storage,
                                           numeric: GradientCheck.numeric(count: x.count, get: { x.storage[$0] },
                                                                          set: { x.storage[$0] = $1 }, loss: loss)))
        expectPasses(entries)
    }

    @Test("embedding: sparse row gradients, padding rows learn nothing")
    func embedding() {
        let embedding = Embedding<Double>(rows: 6, dim: 3, paddingID: 0, unknownID: 1, seed: 4)
        let ids: [Int32] = [2, 3, 2, 0, TokenBatch.padding, 5, 1]
        var generator = SeededGenerator(seed: 5)
        let r = Matrix<Double>.normal(rows: ids.count, columns: 3, using: &generator)
        embedding.backward(ids: ids, outputGradient: r)
        let sparse = embedding.weight.sparseGradient
        #expect(sparse?.ids == [2, 3, 5, 1])  // one row per distinct id; padding ids absent
        let entry = GradientCheck.Entry(name: "embedding", analytic: embedding.weight.denseGradient.storage,
                                        numeric: GradientCheck.numeric(embedding.weight) { GradientCheck.dot(embedding.forward(ids), r) })
        expectPasses([entry])
        #expect(embedding.forward(ids).row(3).allSatisfy { $0 == 0 })
        #expect(embedding.forward(ids).row(4).allSatisfy { $0 == 0 })

        embedding.weight.zeroGradient()
        embedding.isTrainable = false
        embedding.backward(ids: ids, outputGradient: r)
        #expect(embedding.weight.sparseGradient?.ids.isEmpty == true)
        #expect(embedding.parameters.isEmpty)
    }

    @Test("dropout: the input gradient with the forward pass's mask")
    func dropout() {
        let dropout = Dropout<Double>(rate: 0.4, seed: 9)
        var generator = SeededGenerator(seed: 10)
        var x = Matrix<Double>.normal(rows: 6, columns: 5, using: &generator)
        let r = Matrix<Double>.normal(rows: 6, columns: 5, using: &generator)
        let replay = dropout.generator
        let (_, mask) = dropout.forward(x, training: true)
        let analytic = Dropout<Double>.backward(r, mask: mask)
        let numeric = GradientCheck.numeric(count: x.count, get: { x.storage[$0] }, set: { x.storage[$0] = $1 }) {
            dropout.generator = replay
            return GradientCheck.dot(dropout.forward(x, training: true).output, r)
        }
        expectPasses([GradientCheck.Entry(name: "dropout input", analytic: analytic.storage, numeric: numeric)])
        let zeros = mask?.storage.filter { $0 == 0 }.count ?? 0
        #expect(zeros > 0 && zeros < 30)
        #expect(mask?.storage.allSatisfy { $0 == 0 || abs($0 - 1 / 0.6) < 1e-12 } == true)
        #expect(dropout.forward(x, training: false).output == x)
    }

    @Test("masked softmax cross-entropy: the logits gradient, padding rows excluded")
    func softmaxCrossEntropy() {
        var generator = SeededGenerator(seed: 12)
        var logits = Matrix<Double>.normal(rows: 6, columns: 4, standardDeviation: 2, using: &generator)
        let targets: [Int32] = [0, 3, -1, 2, -1, 1]
        let result = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
        #expect(result.count == 4)
        let numeric = GradientCheck.numeric(count: logits.count, get: { logits.storage[$0] }, set: { logits.storage[$0] = $1 }) {
            SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets).loss
        }
        expectPasses([GradientCheck.Entry(name: "logits", analytic: result.gradient.storage, numeric: numeric)])
        #expect(result.gradient.row(2).allSatisfy { $0 == 0 } && result.gradient.row(4).allSatisfy { $0 == 0 })
        // The loss is the mean over real rows: padding rows' logits do not change it.
        var changed = logits
        changed[2, 1] += 100
        #expect(abs(SoftmaxCrossEntropy.evaluate(logits: changed, targets: targets).loss - result.loss) < 1e-12)
    }

    @Test("a whole tagger: embedding → bidirectional LSTM → linear → masked loss")
    func endToEnd() {
        let embedding = Embedding<Double>(rows: 7, dim: 3, paddingID: 0, seed: 1)
        let encoder = Bidirectional<Double>(.lstm, inputSize: 3, hiddenSize: 2, seed: 2)
        let classifier = Linear<Double>(inputSize: 4, outputSize: 3, seed: 3)
        let tokens = TokenBatch(sequences: [[1, 2, 3], [4], [5, 6, 2, 1]])
        let targets = TokenBatch(sequences: [[0, 1, 2], [1], [2, 2, 0, 1]])
        func loss() -> Double {
            let trace = encoder.forward(embedding.forward(tokens))
            return SoftmaxCrossEntropy.evaluate(logits: classifier.forward(trace.output.values), targets: targets.ids).loss
        }
        let embedded = embedding.forward(tokens)
        let trace = encoder.forward(embedded)
        let result = SoftmaxCrossEntropy.evaluate(logits: classifier.forward(trace.output.values), targets: targets.ids)
        let dHidden = classifier.backward(input: trace.output.values, outputGradient: result.gradient)
        let dEmbedded = encoder.backward(trace, outputGradient: dHidden, finalStateGradient: nil).input
        embedding.backward(ids: tokens.ids, outputGradient: dEmbedded)
        let parameters = embedding.parameters + encoder.parameters + classifier.parameters
        expectPasses(parameters.map { GradientCheck.Entry(name: $0.name, analytic: $0.denseGradient.storage,
                                                          numeric: GradientCheck.numeric($0, loss: loss)) })
    }

    // The check must be able to fail: the errors a wrong backward pass makes are caught.

    @Test("the check catches a 1% error in one gradient entry")
    func catchesSmallError() {
        let layer = RecurrentLayer<Double>(.gru, inputSize: 2, hiddenSize: 3, seed: 1)
        let input = GradientCheck.randomInput(steps: 3, lengths: [3, 2], features: 2, seed: 2)
        var entries = GradientCheck.check(layer, input: input, initialState: nil)
        #expect(entries.allSatisfy { $0.passes })
        let index = entries[1].analytic.indices.max { abs(entries[1].analytic[$0]) < abs(entries[1].analytic[$1]) } ?? 0
        entries[1].analytic[index] *= 1.01
        #expect(!entries[1].passes)
    }

    @Test("the check catches a backward pass that ignores the sequence lengths")
    func catchesMaskingBug() {
        let layer = RecurrentLayer<Double>(.lstm, inputSize: 2, hiddenSize: 3, seed: 1)
        let input = GradientCheck.randomInput(steps: 3, lengths: [3, 1], features: 2, seed: 2)
        var generator = SeededGenerator(seed: 3)
        let r = Matrix<Double>.normal(rows: 6, columns: 3, using: &generator)
        // Analytic gradients from a pass that treats both sequences as full length ...
        let unmasked = SequenceBatch(values: input.values, lengths: [3, 3], steps: 3)
        layer.zeroGradients()
        _ = layer.backward(layer.forward(unmasked), outputGradient: r, finalStateGradient: nil)
        let wrong = layer.recurrentWeight.gradient.storage
        // ... against the numeric gradient of the real, masked loss.
        let numeric = GradientCheck.numeric(layer.recurrentWeight) { GradientCheck.dot(layer.forward(input).output.values, r) }
        #expect(!GradientCheck.Entry(name: "W_hh", analytic: wrong, numeric: numeric).passes)
    }

    @Test("the check catches gate blocks in the wrong order")
    func catchesWrongGateOrder() {
        // A backward pass that writes the GRU's gate gradients to the wrong blocks (r, z, n rotated).
        let gru = RecurrentLayer<Double>(.gru, inputSize: 2, hiddenSize: 2, seed: 1)
        let input = GradientCheck.randomInput(steps: 3, lengths: [3], features: 2, seed: 2)
        let entries = GradientCheck.check(gru, input: input, initialState: nil)
        var swapped = entries[1]
        swapped.analytic = Array(swapped.analytic[4...] + swapped.analytic[..<4])  // gate blocks rotated
        #expect(entries[1].passes)
        #expect(!swapped.passes)
    }

    /// Biases start at zero (or one); random ones make the check cover their effect on the gates.
    private func randomizeBiases(_ parameters: [Parameter<Double>], seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for parameter in parameters where parameter.value.rows == 1 {
            parameter.value = Matrix.normal(rows: 1, columns: parameter.value.columns, standardDeviation: 0.5, using: &generator)
        }
    }
}
