import Foundation
import Recurrent
import Testing

@Suite("Recurrent layers")
struct LayerTests {
    /// Runs `module` on each sequence alone (batch of one, no padding) and on all of them padded
    /// into one batch: outputs and final states must agree, which is what the masking promises.
    private func expectBatchInvariance<M: SequenceModule>(_ module: M, features: Int, lengths: [Int],
                                                          sourceLocation: SourceLocation = #_sourceLocation) where M.Scalar == Double {
        var generator = SeededGenerator(seed: 99)
        let sequences = lengths.map { Matrix<Double>.normal(rows: $0, columns: features, using: &generator) }
        let batch = SequenceBatch(sequences: sequences)
        let together = module.forward(batch)
        for (b, sequence) in sequences.enumerated() {
            let alone = module.forward(SequenceBatch(sequences: [sequence]))
            let output = together.output.sequence(b)
            #expect(output.rows == sequence.rows, sourceLocation: sourceLocation)
            for i in 0..<output.count {
                #expect(abs(output.storage[i] - alone.output.values.storage[i]) < 1e-12, sourceLocation: sourceLocation)
            }
            for (k, h) in together.finalState.h.enumerated() {
                for j in 0..<h.columns {
                    #expect(abs(h[b, j] - alone.finalState.h[k][0, j]) < 1e-12, sourceLocation: sourceLocation)
                }
            }
            for (k, c) in together.finalState.c.enumerated() {
                for j in 0..<c.columns {
                    #expect(abs(c[b, j] - alone.finalState.c[k][0, j]) < 1e-12, sourceLocation: sourceLocation)
                }
            }
        }
        // Padding rows of the output are zero.
        for (b, length) in lengths.enumerated() {
            for t in length..<batch.steps {
                #expect(together.output.values.row(t * lengths.count + b).allSatisfy { $0 == 0 }, sourceLocation: sourceLocation)
            }
        }
    }

    @Test("padding changes nothing: a padded batch gives each sequence's own output and final state",
          arguments: CellKind.allCases)
    func batchInvariance(kind: CellKind) {
        let lengths = [5, 2, 4, 1]
        expectBatchInvariance(RecurrentLayer<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 1), features: 3, lengths: lengths)
        expectBatchInvariance(Bidirectional<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 2), features: 3, lengths: lengths)
        expectBatchInvariance(RecurrentStack<Bidirectional<Double>>(bidirectional: kind, inputSize: 3, hiddenSize: 2, count: 2, seed: 3),
                              features: 3, lengths: lengths)
    }

    /// PyTorch's documented equations, transcribed element by element for one sequence.
    private func reference(_ layer: RecurrentLayer<Double>, _ x: Matrix<Double>) -> (h: [[Double]], c: [Double]) {
        let hidden = layer.hiddenSize, gates = layer.cellKind.gateCount
        let wih = layer.inputWeight.value, whh = layer.recurrentWeight.value
        let bih = layer.inputBias.value.storage, bhh = layer.recurrentBias.value.storage
        func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        var h = [Double](repeating: 0, count: hidden), c = h
        var outputs: [[Double]] = []
        for t in 0..<x.rows {
            // ix[k] = W_ih[k] · x_t + b_ih[k], hh[k] = W_hh[k] · h + b_hh[k] for gate row k.
            var ix = [Double](repeating: 0, count: gates * hidden), hh = ix
            for k in 0..<(gates * hidden) {
                ix[k] = bih[k]
                for j in 0..<x.columns { ix[k] += wih[k, j] * x[t, j] }
                hh[k] = bhh[k]
                for j in 0..<hidden { hh[k] += whh[k, j] * h[j] }
            }
            var next = h
            for j in 0..<hidden {
                switch layer.cellKind {
                case .rnnTanh: next[j] = Foundation.tanh(ix[j] + hh[j])
                case .rnnReLU: next[j] = max(0, ix[j] + hh[j])
                case .lstm:
                    let i = sigmoid(ix[j] + hh[j]), f = sigmoid(ix[hidden + j] + hh[hidden + j])
                    let g = Foundation.tanh(ix[2 * hidden + j] + hh[2 * hidden + j]), o = sigmoid(ix[3 * hidden + j] + hh[3 * hidden + j])
                    c[j] = f * c[j] + i * g
                    next[j] = o * Foundation.tanh(c[j])
                case .gru:
                    let r = sigmoid(ix[j] + hh[j]), z = sigmoid(ix[hidden + j] + hh[hidden + j])
                    let n = Foundation.tanh(ix[2 * hidden + j] + r * hh[2 * hidden + j])
                    next[j] = (1 - z) * n + z * h[j]
                }
            }
            h = next
            outputs.append(h)
        }
        return (outputs, c)
    }

    @Test("the forward pass is PyTorch's equations, gate order and bias layout", arguments: CellKind.allCases)
    func matchesReferenceEquations(kind: CellKind) {
        let layer = RecurrentLayer<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 12)
        var generator = SeededGenerator(seed: 13)
        for parameter in layer.parameters where parameter.value.rows == 1 {  // distinct biases per gate
            parameter.value = Matrix.normal(rows: 1, columns: parameter.value.columns, using: &generator)
        }
        let x = Matrix<Double>.normal(rows: 5, columns: 3, using: &generator)
        let trace = layer.forward(SequenceBatch(sequences: [x]))
        let expected = reference(layer, x)
        for t in 0..<5 {
            for j in 0..<4 { #expect(abs(trace.output.values[t, j] - expected.h[t][j]) < 1e-12) }
        }
        if kind == .lstm {
            for j in 0..<4 { #expect(abs(trace.finalState.c[0][0, j] - expected.c[j]) < 1e-12) }
        }
    }

    @Test("bidirectional: the backward direction reads each sequence from its own end")
    func bidirectionalReadsFromTheEnd() {
        let forward = RecurrentLayer<Double>(.gru, inputSize: 2, hiddenSize: 3, seed: 5)
        let backward = RecurrentLayer<Double>(.gru, inputSize: 2, hiddenSize: 3, seed: 6)
        let layer = Bidirectional(forward: forward, backward: backward)
        var generator = SeededGenerator(seed: 7)
        let sequence = Matrix<Double>.normal(rows: 3, columns: 2, using: &generator)
        let reversed = Matrix(rows: 3, columns: 2, storage: Array(sequence.row(2) + sequence.row(1) + sequence.row(0)))
        let batch = SequenceBatch(sequences: [sequence, Matrix(rows: 1, columns: 2)], steps: 5)
        let output = layer.forward(batch).output.sequence(0)
        let left = forward.forward(SequenceBatch(sequences: [sequence])).output.values
        let right = backward.forward(SequenceBatch(sequences: [reversed])).output.values
        for t in 0..<3 {
            for j in 0..<3 {
                #expect(abs(output[t, j] - left[t, j]) < 1e-12)
                #expect(abs(output[t, 3 + j] - right[2 - t, j]) < 1e-12)  // a'_t read sequence[2...t]
            }
        }
    }

    @Test("Float and Double run the same computation", arguments: [CellKind.lstm, .gru, .rnnTanh])
    func precisionParity(kind: CellKind) {
        let double = Bidirectional<Double>(kind, inputSize: 3, hiddenSize: 4, seed: 8)
        let float = Bidirectional<Float>(kind, inputSize: 3, hiddenSize: 4, seed: 8)
        for (d, f) in zip(double.parameters, float.parameters) {
            #expect(d.name == f.name)
            for i in 0..<d.value.count { #expect(abs(d.value.storage[i] - Double(f.value.storage[i])) < 1e-6) }
        }
        let input = GradientCheck.randomInput(steps: 4, lengths: [4, 2, 3], features: 3, seed: 9)
        var generator = SeededGenerator(seed: 10)
        let r = Matrix<Double>.normal(rows: 12, columns: 8, using: &generator)
        let traceD = double.forward(input), traceF = float.forward(SequenceBatch(values: Matrix(input.values), lengths: input.lengths, steps: 4))
        let gradD = double.backward(traceD, outputGradient: r, finalStateGradient: nil)
        let gradF = float.backward(traceF, outputGradient: Matrix(r), finalStateGradient: nil)
        func close(_ a: [Double], _ b: [Float]) -> Bool {
            zip(a, b).allSatisfy { abs($0 - Double($1)) <= 1e-4 * max(1, abs($0)) }
        }
        #expect(close(traceD.output.values.storage, traceF.output.values.storage))
        #expect(close(gradD.input.storage, gradF.input.storage))
        for (d, f) in zip(double.parameters, float.parameters) { #expect(close(d.gradient.storage, f.gradient.storage), "\(d.name)") }
    }

    @Test("initialization: seeded, orthogonal recurrent blocks, Glorot input blocks, LSTM forget bias 1")
    func initialization() {
        let a = RecurrentLayer<Double>(.lstm, inputSize: 5, hiddenSize: 6, seed: 42)
        let b = RecurrentLayer<Double>(.lstm, inputSize: 5, hiddenSize: 6, seed: 42)
        let c = RecurrentLayer<Double>(.lstm, inputSize: 5, hiddenSize: 6, seed: 43)
        #expect(a.recurrentWeight.value == b.recurrentWeight.value && a.inputWeight.value == b.inputWeight.value)
        #expect(a.recurrentWeight.value != c.recurrentWeight.value)
        for gate in 0..<4 {
            let block = a.recurrentWeight.value.rows(gate * 6 ..< (gate + 1) * 6)
            let gram = block.matmul(block, transposeB: true)
            for i in 0..<6 { for j in 0..<6 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-10) } }
        }
        let limit = (6.0 / 11).squareRoot()
        #expect(a.inputWeight.value.storage.allSatisfy { abs($0) <= limit })
        #expect(a.inputBias.value.storage == Array(repeating: 0, count: 6) + Array(repeating: 1, count: 6) + Array(repeating: 0, count: 12))
        #expect(a.recurrentBias.value.storage.allSatisfy { $0 == 0 })
        #expect(RecurrentLayer<Double>(.gru, inputSize: 5, hiddenSize: 6, seed: 1).inputBias.value.storage.allSatisfy { $0 == 0 })
    }

    @Test("shapes: gate counts, output and state sizes of layers, pairs and stacks")
    func shapes() {
        for kind in CellKind.allCases {
            let layer = RecurrentLayer<Float>(kind, inputSize: 7, hiddenSize: 5, seed: 1)
            #expect(layer.inputWeight.value.rows == kind.gateCount * 5 && layer.inputWeight.value.columns == 7)
            #expect(layer.recurrentWeight.value.rows == kind.gateCount * 5 && layer.recurrentWeight.value.columns == 5)
        }
        let stack = RecurrentStack<Bidirectional<Float>>(bidirectional: .lstm, inputSize: 7, hiddenSize: 5, count: 4, seed: 1)
        #expect(stack.outputSize == 10 && stack.stateCount == 8 && stack.parameters.count == 32)
        #expect(stack.layers[1].inputSize == 10)
        let trace = stack.forward(SequenceBatch(values: Matrix(rows: 6, columns: 7), lengths: [3, 1], steps: 3))
        #expect(trace.output.values.rows == 6 && trace.output.values.columns == 10)
        #expect(trace.finalState.h.count == 8 && trace.finalState.c.count == 8)
        #expect(trace.finalState.h.allSatisfy { $0.rows == 2 && $0.columns == 5 })
    }

    @Test("a final state gradient alone flows back to the input of the last real step")
    func finalStateGradientOnly() {
        let layer = RecurrentLayer<Double>(.lstm, inputSize: 2, hiddenSize: 3, seed: 4)
        let input = GradientCheck.randomInput(steps: 4, lengths: [4, 2], features: 2, seed: 5)
        let trace = layer.forward(input)
        let dh = Matrix<Double>(rows: 2, columns: 3, repeating: 1)
        let gradient = layer.backward(trace, outputGradient: nil, finalStateGradient: RecurrentState(h: [dh]))
        // Sequence 1 ends at step 1: its steps 2 and 3 are padding and get nothing; step 1 gets something.
        #expect(gradient.input.row(2 * 2 + 1).allSatisfy { $0 == 0 } && gradient.input.row(3 * 2 + 1).allSatisfy { $0 == 0 })
        #expect(gradient.input.row(1 * 2 + 1).contains { $0 != 0 })
    }

    @Test("dropout between stacked layers only in training, reproducible from the seed")
    func stackDropout() {
        let stack = RecurrentStack<RecurrentLayer<Float>>(.gru, inputSize: 3, hiddenSize: 4, count: 2, dropout: 0.5, seed: 3)
        let input = SequenceBatch(values: Matrix<Float>(rows: 6, columns: 3, repeating: 0.5), lengths: [3, 3], steps: 3)
        let inference1 = stack.forward(input, initialState: nil, training: false).output
        let inference2 = stack.forward(input, initialState: nil, training: false).output
        #expect(inference1 == inference2)
        let start = stack.dropout.generator
        let training1 = stack.forward(input, initialState: nil, training: true).output
        let training2 = stack.forward(input, initialState: nil, training: true).output
        #expect(training1 != inference1 && training1 != training2)
        stack.dropout.generator = start
        #expect(stack.forward(input, initialState: nil, training: true).output == training1)
    }
}

@Suite("Float32 kernels")
struct KernelTests {
    /// Random pre-activations over ±20 (deep into saturation), one padded row.
    private static func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(generator.nextUniform(in: -20...20)) }
    }

    private func expectClose(_ a: [Float], _ b: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        let worst = zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(worst < 2e-6, "worst difference \(worst)", sourceLocation: sourceLocation)
    }

    @Test("the C steps (vectorized exp, sigmoid, tanh) agree with the Swift steps in Double")
    func cKernelsMatchSwift() {
        let batch = 3, hidden = 37  // not a multiple of the vector width
        let lengths = [2, 1, 2]  // at step 1, row 1 is padding
        let hPrev = Self.inputs(batch * hidden, seed: 1).map { $0 / 20 }, cPrev = Self.inputs(batch * hidden, seed: 2)
        // LSTM
        var gates = Self.inputs(batch * 4 * hidden, seed: 3)
        var gatesD = gates.map(Double.init)
        var c = [Float](repeating: 0, count: batch * hidden), tanhC = c, h = c
        var cD = [Double](repeating: 0, count: batch * hidden), tanhCD = cD, hD = cD
        let hPrevD = hPrev.map(Double.init), cPrevD = cPrev.map(Double.init)
        Float.lstmForwardStep(batch: batch, hidden: hidden, step: 1, lengths: lengths, gates: &gates, cPrev: cPrev, hPrev: hPrev,
                              c: &c, tanhC: &tanhC, h: &h)
        Double.lstmForwardStep(batch: batch, hidden: hidden, step: 1, lengths: lengths, gates: &gatesD, cPrev: cPrevD, hPrev: hPrevD,
                               c: &cD, tanhC: &tanhCD, h: &hD)
        expectClose(gates, gatesD)
        expectClose(tanhC, tanhCD)
        expectClose(h, hD)
        #expect(zip(c, cD).allSatisfy { abs(Double($0) - $1) <= 2e-6 * max(1, abs($1)) })
        // GRU
        var gatesX = Self.inputs(batch * 3 * hidden, seed: 4)
        var gatesXD = gatesX.map(Double.init)
        let gatesH = Self.inputs(batch * 3 * hidden, seed: 5)
        Float.gruForwardStep(batch: batch, hidden: hidden, step: 1, lengths: lengths, gatesX: &gatesX, gatesH: gatesH, hPrev: hPrev, h: &h)
        Double.gruForwardStep(batch: batch, hidden: hidden, step: 1, lengths: lengths, gatesX: &gatesXD, gatesH: gatesH.map(Double.init),
                              hPrev: hPrevD, h: &hD)
        expectClose(gatesX, gatesXD)
        expectClose(h, hD)
        // RNN (tanh)
        let a = Self.inputs(batch * hidden, seed: 6)
        Float.rnnForwardStep(relu: false, batch: batch, hidden: hidden, step: 1, lengths: lengths, preactivations: a, hPrev: hPrev, h: &h)
        Double.rnnForwardStep(relu: false, batch: batch, hidden: hidden, step: 1, lengths: lengths, preactivations: a.map(Double.init),
                              hPrev: hPrevD, h: &hD)
        expectClose(h, hD)
        // The padded row carried its state.
        #expect(Array(h[hidden ..< 2 * hidden]) == Array(hPrev[hidden ..< 2 * hidden]))
    }
}
