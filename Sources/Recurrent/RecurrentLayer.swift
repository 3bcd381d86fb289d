import Foundation

/// The recurrent cells, with PyTorch's equations, weight layout and gate order.
///
/// For input `x_t` and previous state `h_{t-1}` (`W_ih` is `gates·H × I`, `W_hh` is `gates·H × H`):
/// - `rnnTanh` / `rnnReLU` (`nn.RNN`): `h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
/// - `lstm` (`nn.LSTM`, Hochreiter & Schmidhuber 1997 with a forget gate, Gers et al. 2000), gates
///   in the order i, f, g, o: `i = σ(·)`, `f = σ(·)`, `g = tanh(·)`, `o = σ(·)`,
///   `c_t = f ⊙ c_{t-1} + i ⊙ g`, `h_t = o ⊙ tanh(c_t)`. The forget-gate bias starts at 1
///   (Jozefowicz et al. 2015).
/// - `gru` (`nn.GRU`, Cho et al. 2014), gates in the order r, z, n:
///   `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
///   `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}`.
///   This is the "reset after" formulation of PyTorch, cuDNN and Keras (`reset_after=True`),
///   not the paper's `tanh(W x + U (r ⊙ h))`. Chosen because the reset gate is applied after
///   the recurrent product, so one GEMM `W_hh h_{t-1}` per step serves all three gates (the
///   paper's form needs a second, dependent GEMM per step), and because weights then mean the
///   same as in PyTorch.
public enum CellKind: String, Codable, Sendable, CaseIterable {
    /// Elman RNN with tanh.
    case rnnTanh = "rnn-tanh"
    /// Elman RNN with ReLU.
    case rnnReLU = "rnn-relu"
    /// Long short-term memory.
    case lstm
    /// Gated recurrent unit (reset after the recurrent product).
    case gru

    /// The number of gate blocks in `W_ih` and `W_hh`.
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnReLU: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Whether the cell carries a cell state `c` besides `h`.
    public var hasCellState: Bool { self == .lstm }
}

/// One recurrent layer (one direction) over a padded batch, with back-propagation through time.
///
/// Time-major (see `SequenceBatch`). The input projection of all steps is one GEMM before the
/// recurrence (`X · W_ihᵀ`, `steps·batch × gates·H`); only the recurrent product
/// `h_{t-1} · W_hhᵀ` (`batch × gates·H`) stays inside the time loop. Padded steps carry the
/// state over unchanged, so each sequence's final state is the state after its own last step and
/// its output is zero past its end. Backward runs the loop in reverse, then forms the weight
/// gradients with three GEMMs over all steps at once.
///
/// Sorted batches skip their padding: when the lengths are non-increasing (longest first, as the
/// taggers and classifiers build their batches), the sequences still running at step t are the
/// first `k_t = #{b : lengths[b] > t}` rows of that step, so the recurrent product and the
/// element-wise step of t cover only those `k_t` rows (the `batch_sizes` of PyTorch's
/// `PackedSequence`). The same holds for the backward direction of `Bidirectional`, which reads
/// each sequence reversed within its own length, so its lengths (and `k_t`) are the same. Other
/// batches take the general path, which computes every row and masks the padded ones. Both paths
/// give the same outputs, final states and gradients up to float rounding
/// (`skipsPaddingOfSortedBatches` chooses).
///
/// Initialization: `W_ih` Xavier/Glorot uniform per gate block, `W_hh` orthogonal per gate
/// block, biases zero except the LSTM forget gate (`b_ih` of f = 1).
public final class RecurrentLayer<Scalar: RecurrentScalar>: SequenceModule {
    /// The cell.
    public let cellKind: CellKind
    /// Features per input step.
    public let inputSize: Int
    /// The size of `h` (and of the output).
    public let hiddenSize: Int
    /// `W_ih`, `gates·hiddenSize × inputSize`.
    public let inputWeight: Parameter<Scalar>
    /// `W_hh`, `gates·hiddenSize × hiddenSize`.
    public let recurrentWeight: Parameter<Scalar>
    /// `b_ih`, `1 × gates·hiddenSize`.
    public let inputBias: Parameter<Scalar>
    /// `b_hh`, `1 × gates·hiddenSize`.
    public let recurrentBias: Parameter<Scalar>
    /// Whether a batch with non-increasing lengths computes only the rows of the sequences still
    /// running at each step (default `true`); `false` forces the general, masked path (for tests
    /// and benchmarks: both give the same results up to float rounding).
    public var skipsPaddingOfSortedBatches = true

    /// A seeded layer.
    public init(_ cellKind: CellKind, inputSize: Int, hiddenSize: Int, seed: UInt64, name: String = "rnn") {
        precondition(inputSize > 0 && hiddenSize > 0, "sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        self.cellKind = cellKind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let gates = cellKind.gateCount
        var generator = SeededGenerator(seed: seed)
        var wih = Matrix<Scalar>(rows: gates * hiddenSize, columns: inputSize)
        var whh = Matrix<Scalar>(rows: gates * hiddenSize, columns: hiddenSize)
        for gate in 0..<gates {
            let a: Matrix<Scalar> = Initializer.glorotUniform(fanOut: hiddenSize, fanIn: inputSize, using: &generator)
            wih.storage.replaceSubrange(gate * hiddenSize * inputSize ..< (gate + 1) * hiddenSize * inputSize, with: a.storage)
            let q: Matrix<Scalar> = Initializer.orthogonal(size: hiddenSize, using: &generator)
            whh.storage.replaceSubrange(gate * hiddenSize * hiddenSize ..< (gate + 1) * hiddenSize * hiddenSize, with: q.storage)
        }
        var bih = Matrix<Scalar>(rows: 1, columns: gates * hiddenSize)
        if cellKind == .lstm {
            for j in hiddenSize ..< 2 * hiddenSize { bih.storage[j] = 1 }
        }
        inputWeight = Parameter(name: "\(name).weight_ih", value: wih)
        recurrentWeight = Parameter(name: "\(name).weight_hh", value: whh)
        inputBias = Parameter(name: "\(name).bias_ih", value: bih)
        recurrentBias = Parameter(name: "\(name).bias_hh", value: Matrix(rows: 1, columns: gates * hiddenSize))
    }

    /// The size of the output: `hiddenSize`.
    public var outputSize: Int { hiddenSize }
    /// One state.
    public var stateCount: Int { 1 }
    /// `W_ih`, `W_hh`, `b_ih`, `b_hh`.
    public var parameters: [Parameter<Scalar>] { [inputWeight, recurrentWeight, inputBias, recurrentBias] }

    /// Runs the layer over `input` (see `SequenceModule`); `training` changes nothing here.
    public func forward(_ input: SequenceBatch<Scalar>, initialState: RecurrentState<Scalar>?, training: Bool) -> SequenceTrace<Scalar> {
        precondition(input.features == inputSize, "input has \(input.features) features, the layer expects \(inputSize)")
        let steps = input.steps, batch = input.batchSize, hidden = hiddenSize
        let width = cellKind.gateCount * hidden
        let kind = cellKind
        // The rows computed at each step: k_t for a sorted batch (nil: all `batch` rows).
        let running = skipsPaddingOfSortedBatches ? runningCounts(lengths: input.lengths, steps: steps) : nil
        let cache = LayerCache<Scalar>(input: input, hidden: hidden, width: width, kind: kind, running: running)
        if let initialState { checkState(initialState, batch: batch, what: "initial state") }

        // h_0 (and c_0) into slot 0 of the state buffers.
        if let h0 = initialState?.h.first {
            cache.hs.copy(from: h0)
        }
        if kind == .lstm, let c0 = initialState?.c.first {
            cache.cs.copy(from: c0)
        }

        if steps > 0 {
        input.values.storage.withUnsafeBufferPointer { x in
        inputWeight.value.storage.withUnsafeBufferPointer { wih in
        recurrentWeight.value.storage.withUnsafeBufferPointer { whh in
        inputBias.value.storage.withUnsafeBufferPointer { bih in
        recurrentBias.value.storage.withUnsafeBufferPointer { bhh in
            input.lengths.withUnsafeBufferPointer { lengthBuffer in
                let lengths = lengthBuffer.baseAddress!
                let gates = cache.gates.pointer, hs = cache.hs.pointer
                // The input projection of every step at once: gates = X · W_ihᵀ + b_ih (+ b_hh).
                Scalar.gemm(transposeA: false, transposeB: true, m: steps * batch, n: width, k: inputSize, alpha: 1,
                            a: x.baseAddress!, lda: inputSize, b: wih.baseAddress!, ldb: inputSize,
                            beta: 0, c: gates, ldc: width)
                Scalar.addRowVector(rows: steps * batch, columns: width, vector: bih.baseAddress!, matrix: gates)
                if kind != .gru {
                    Scalar.addRowVector(rows: steps * batch, columns: width, vector: bhh.baseAddress!, matrix: gates)
                }
                for t in 0..<steps {
                    // Sorted: rows k_t… have ended and are never touched again (they stay zero).
                    let rows = running?[t] ?? batch
                    guard rows > 0 else { break }
                    let g = gates + t * batch * width
                    let hPrev = hs + t * batch * hidden, h = hPrev + batch * hidden
                    switch kind {
                    case .rnnTanh, .rnnReLU, .lstm:
                        // g += h_{t-1} · W_hhᵀ, the only sequential product.
                        Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: hidden, alpha: 1,
                                    a: hPrev, lda: hidden, b: whh.baseAddress!, ldb: hidden, beta: 1, c: g, ldc: width)
                        if kind == .lstm {
                            let cPrev = cache.cs.pointer + t * batch * hidden
                            Scalar.lstmForwardStep(batch: rows, hidden: hidden, step: t, lengths: lengths, gates: g,
                                                   cPrev: cPrev, hPrev: hPrev, c: cPrev + batch * hidden,
                                                   tanhC: cache.tanhC.pointer + t * batch * hidden, h: h)
                        } else {
                            Scalar.rnnForwardStep(relu: kind == .rnnReLU, batch: rows, hidden: hidden, step: t, lengths: lengths,
                                                  preactivations: g, hPrev: hPrev, h: h)
                        }
                    case .gru:
                        // gh = b_hh + h_{t-1} · W_hhᵀ, kept apart from the input part for the n gate.
                        let gh = cache.gatesH.pointer + t * batch * width
                        for b in 0..<rows { memcpy(gh + b * width, bhh.baseAddress!, width * MemoryLayout<Scalar>.stride) }
                        Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: hidden, alpha: 1,
                                    a: hPrev, lda: hidden, b: whh.baseAddress!, ldb: hidden, beta: 1, c: gh, ldc: width)
                        Scalar.gruForwardStep(batch: rows, hidden: hidden, step: t, lengths: lengths, gatesX: g, gatesH: gh,
                                              hPrev: hPrev, h: h)
                    }
                }
            }
        }}}}}
        }

        // The output: h_1 … h_T with zeros at padding.
        var output = cache.hs.matrix(rows: steps * batch, columns: hidden, offset: batch * hidden)
        let finalState: RecurrentState<Scalar>
        if running != nil {
            // Padded rows were never written (zeros); each final state sits at its own last step.
            let slots = input.lengths
            finalState = RecurrentState(h: [cache.hs.gatherRows(slots: slots, columns: hidden)],
                                        c: kind == .lstm ? [cache.cs.gatherRows(slots: slots, columns: hidden)] : [])
        } else {
            zeroPadding(&output, lengths: input.lengths, steps: steps)
            let last = steps * batch * hidden
            finalState = RecurrentState(h: [cache.hs.matrix(rows: batch, columns: hidden, offset: last)],
                                        c: kind == .lstm ? [cache.cs.matrix(rows: batch, columns: hidden, offset: last)] : [])
        }
        return SequenceTrace(output: input.replacingValues(output), finalState: finalState, detail: .layer(cache))
    }

    /// Back-propagation through time (see `SequenceModule`).
    public func backward(_ trace: SequenceTrace<Scalar>, outputGradient: Matrix<Scalar>?,
                         finalStateGradient: RecurrentState<Scalar>?) -> SequenceGradient<Scalar> {
        guard case .layer(let cache) = trace.detail else {
            preconditionFailure("RecurrentLayer.backward was given the trace of another kind of module")
        }
        let input = cache.input
        let steps = input.steps, batch = input.batchSize, hidden = hiddenSize
        let width = cellKind.gateCount * hidden, kind = cellKind
        if let outputGradient {
            precondition(outputGradient.rows == steps * batch && outputGradient.columns == hidden,
                         "output gradient is \(outputGradient.shape), the output is \(steps * batch) × \(hidden)")
        }
        if let finalStateGradient { checkState(finalStateGradient, batch: batch, what: "final state gradient") }

        let dh = Buffer<Scalar>(count: batch * hidden), dhPrev = Buffer<Scalar>(count: batch * hidden)
        let dc = Buffer<Scalar>(count: kind == .lstm ? batch * hidden : 0)
        // Sorted as in the forward pass: step t touches rows 0..<k_t only. A row enters at its own
        // last step, and until then neither dh buffer has been written there, so both start with
        // ∂L/∂h_final (dc is updated in place and starts with ∂L/∂c_final, as in the general path).
        let running = cache.running
        if let h = finalStateGradient?.h.first {
            dh.copy(from: h)
            if running != nil { dhPrev.copy(from: h) }
        }
        if kind == .lstm, let c = finalStateGradient?.c.first {
            dc.copy(from: c)
        }
        let dGates = Buffer<Scalar>(count: steps * batch * width)
        let dGatesH = kind == .gru ? Buffer<Scalar>(count: steps * batch * width) : dGates
        var inputGradient = Matrix<Scalar>(rows: steps * batch, columns: inputSize)
        var current = dh, previous = dhPrev

        let dYStorage = outputGradient?.storage ?? []
        dYStorage.withUnsafeBufferPointer { dYBuffer in
        inputWeight.value.storage.withUnsafeBufferPointer { wih in
        recurrentWeight.value.storage.withUnsafeBufferPointer { whh in
        input.values.storage.withUnsafeBufferPointer { x in
            input.lengths.withUnsafeBufferPointer { lengthBuffer in
                let lengths = lengthBuffer.baseAddress!
                let dY = outputGradient == nil ? nil : dYBuffer.baseAddress
                for t in (0..<steps).reversed() {
                    let rows = running?[t] ?? batch
                    guard rows > 0 else { continue }
                    let g = cache.gates.pointer + t * batch * width
                    let dg = dGates.pointer + t * batch * width, dgh = dGatesH.pointer + t * batch * width
                    let dYt = dY.map { $0 + t * batch * hidden }
                    let hPrev = cache.hs.pointer + t * batch * hidden
                    switch kind {
                    case .rnnTanh, .rnnReLU:
                        Scalar.rnnBackwardStep(relu: kind == .rnnReLU, batch: rows, hidden: hidden, step: t, lengths: lengths,
                                               h: hPrev + batch * hidden, dh: current.pointer, dY: dYt, dA: dg, dhPrev: previous.pointer)
                    case .lstm:
                        Scalar.lstmBackwardStep(batch: rows, hidden: hidden, step: t, lengths: lengths, gates: g,
                                                cPrev: cache.cs.pointer + t * batch * hidden,
                                                tanhC: cache.tanhC.pointer + t * batch * hidden,
                                                dh: current.pointer, dY: dYt, dc: dc.pointer, dGates: dg, dhPrev: previous.pointer)
                    case .gru:
                        Scalar.gruBackwardStep(batch: rows, hidden: hidden, step: t, lengths: lengths, gates: g,
                                               gatesH: cache.gatesH.pointer + t * batch * width, hPrev: hPrev,
                                               dh: current.pointer, dY: dYt, dGatesX: dg, dGatesH: dgh, dhPrev: previous.pointer)
                    }
                    // dh_{t-1} += dGates_h · W_hh
                    Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: hidden, k: width, alpha: 1,
                                a: dgh, lda: width, b: whh.baseAddress!, ldb: hidden, beta: 1, c: previous.pointer, ldc: hidden)
                    swap(&current, &previous)
                }
                guard steps > 0 else { return }
                // Weight gradients over all steps at once.
                recurrentWeight.gradient.storage.withUnsafeMutableBufferPointer { dwhh in
                    // dW_hh += dGates_hᵀ · [h_0 … h_{T-1}]
                    Scalar.gemm(transposeA: true, transposeB: false, m: width, n: hidden, k: steps * batch, alpha: 1,
                                a: dGatesH.pointer, lda: width, b: cache.hs.pointer, ldb: hidden, beta: 1,
                                c: dwhh.baseAddress!, ldc: hidden)
                }
                inputWeight.gradient.storage.withUnsafeMutableBufferPointer { dwih in
                    // dW_ih += dGatesᵀ · X
                    Scalar.gemm(transposeA: true, transposeB: false, m: width, n: inputSize, k: steps * batch, alpha: 1,
                                a: dGates.pointer, lda: width, b: x.baseAddress!, ldb: inputSize, beta: 1,
                                c: dwih.baseAddress!, ldc: inputSize)
                }
                let ones = [Scalar](repeating: 1, count: steps * batch)
                ones.withUnsafeBufferPointer { one in
                    inputBias.gradient.storage.withUnsafeMutableBufferPointer { db in
                        Scalar.gemv(transpose: true, m: steps * batch, n: width, alpha: 1, a: dGates.pointer, lda: width,
                                    x: one.baseAddress!, beta: 1, y: db.baseAddress!)
                    }
                    recurrentBias.gradient.storage.withUnsafeMutableBufferPointer { db in
                        Scalar.gemv(transpose: true, m: steps * batch, n: width, alpha: 1, a: dGatesH.pointer, lda: width,
                                    x: one.baseAddress!, beta: 1, y: db.baseAddress!)
                    }
                }
                // dX = dGates · W_ih
                inputGradient.storage.withUnsafeMutableBufferPointer { dx in
                    Scalar.gemm(transposeA: false, transposeB: false, m: steps * batch, n: inputSize, k: width, alpha: 1,
                                a: dGates.pointer, lda: width, b: wih.baseAddress!, ldb: inputSize, beta: 0,
                                c: dx.baseAddress!, ldc: inputSize)
                }
            }
        }}}}
        let initial = RecurrentState(h: [current.matrix(rows: batch, columns: hidden)],
                                     c: kind == .lstm ? [dc.matrix(rows: batch, columns: hidden)] : [])
        return SequenceGradient(input: inputGradient, initialState: initial)
    }

    /// Checks a state's shapes; an LSTM state may leave out `c` (zeros).
    private func checkState(_ state: RecurrentState<Scalar>, batch: Int, what: String) {
        precondition(state.h.count == 1 && state.h[0].rows == batch && state.h[0].columns == hiddenSize,
                     "\(what) has h \(state.h.map(\.shape)), the layer expects one \(batch) × \(hiddenSize)")
        precondition(state.c.isEmpty || (cellKind == .lstm && state.c.count == 1 && state.c[0].rows == batch && state.c[0].columns == hiddenSize),
                     "\(what) has c \(state.c.map(\.shape)), the \(cellKind) layer expects \(cellKind == .lstm ? "none or one \(batch) × \(hiddenSize)" : "none")")
    }
}

/// What a layer's backward pass needs from its forward pass.
final class LayerCache<Scalar: RecurrentScalar> {
    /// The input batch.
    let input: SequenceBatch<Scalar>
    /// `steps·batch × width`: the gate activations (for GRU: r, z, n).
    let gates: Buffer<Scalar>
    /// GRU only: `steps·batch × width`, `W_hh h_{t-1} + b_hh`.
    let gatesH: Buffer<Scalar>
    /// `(steps + 1)·batch × hidden`: h_0 … h_T (padded rows carry the state).
    let hs: Buffer<Scalar>
    /// LSTM only: c_0 … c_T.
    let cs: Buffer<Scalar>
    /// LSTM only: tanh(c_1) … tanh(c_T).
    let tanhC: Buffer<Scalar>
    /// For a sorted batch, the number of rows computed at each step (`runningCounts`); nil when
    /// every step computed all rows.
    let running: [Int]?

    init(input: SequenceBatch<Scalar>, hidden: Int, width: Int, kind: CellKind, running: [Int]?) {
        self.input = input
        self.running = running
        let rows = input.steps * input.batchSize
        gates = Buffer(count: rows * width)
        gatesH = Buffer(count: kind == .gru ? rows * width : 0)
        hs = Buffer(count: (rows + input.batchSize) * hidden)
        cs = Buffer(count: kind == .lstm ? (rows + input.batchSize) * hidden : 0)
        tanhC = Buffer(count: kind == .lstm ? rows * hidden : 0)
    }
}

/// For lengths sorted longest first, the number of sequences still running at each step,
/// `k_t = #{b : lengths[b] > t}` for `t` in `0..<steps` (rows `0..<k_t` of step t are the real
/// ones); nil when the lengths increase somewhere, or when no step has padding (nothing to skip).
func runningCounts(lengths: [Int], steps: Int) -> [Int]? {
    guard zip(lengths, lengths.dropFirst()).allSatisfy({ $0 >= $1 }), lengths.last.map({ $0 < steps }) == true else {
        return nil
    }
    var counts = [Int](repeating: 0, count: steps)
    var running = lengths.count
    for t in 0..<steps {
        while running > 0 && lengths[running - 1] <= t { running -= 1 }
        counts[t] = running
    }
    return counts
}

/// Sets the padded rows of a time-major matrix to zero.
func zeroPadding<Scalar: RecurrentScalar>(_ matrix: inout Matrix<Scalar>, lengths: [Int], steps: Int) {
    let batch = lengths.count, columns = matrix.columns
    guard columns > 0, lengths.contains(where: { $0 < steps }) else { return }
    matrix.storage.withUnsafeMutableBufferPointer { buffer in
        for (b, length) in lengths.enumerated() {
            for t in length ..< steps {
                memset(buffer.baseAddress! + (t * batch + b) * columns, 0, columns * MemoryLayout<Scalar>.stride)
            }
        }
    }
}
