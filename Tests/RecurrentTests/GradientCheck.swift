import Recurrent

/// Finite-difference gradient checking in Float64.
///
/// The numeric gradient is the central difference `(L(θ + ε) − L(θ − ε)) / 2ε` with `ε = 1e-5`,
/// for every entry of every checked tensor (the shapes are tiny). An entry passes when
/// `|analytic − numeric| / max(|analytic|, |numeric|, floor) < tolerance` with `tolerance = 1e-6`
/// and `floor = 1e-2` (so gradients below 1e-2 are held to an absolute 1e-8). In Float64 the
/// central difference is good to about 1e-9 here, while a wrong backward pass is off by the size
/// of the gradient itself; `GradientCheckTests` shows the check failing on such errors.
enum GradientCheck {
    static let epsilon = 1e-5
    static let tolerance = 1e-6
    static let floor = 1e-2

    /// One compared tensor.
    struct Entry: CustomStringConvertible {
        var name: String
        var analytic: [Double]
        var numeric: [Double]

        /// The worst relative error and where.
        var worst: (error: Double, index: Int) {
            var result = (error: 0.0, index: -1)
            for i in analytic.indices {
                let error = GradientCheck.relativeError(analytic[i], numeric[i])
                if error > result.error || result.index < 0 { result = (error, i) }
            }
            return result
        }

        var passes: Bool { worst.error < GradientCheck.tolerance }

        /// Whether the tensor had any gradient at all (a check of all zeros proves little).
        var nonTrivial: Bool { numeric.contains { abs($0) > 1e-6 } }

        var description: String {
            let (error, index) = worst
            guard index >= 0 else { return "\(name): empty" }
            return "\(name): worst relative error \(error) at \(index) (analytic \(analytic[index]), numeric \(numeric[index]))"
        }
    }

    static func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a), abs(b), floor)
    }

    /// Central differences of `loss` with respect to `count` values read and written through
    /// `get`/`set`.
    static func numeric(count: Int, get: (Int) -> Double, set: (Int, Double) -> Void, loss: () -> Double) -> [Double] {
        (0..<count).map { i in
            let original = get(i)
            set(i, original + epsilon)
            let plus = loss()
            set(i, original - epsilon)
            let minus = loss()
            set(i, original)
            return (plus - minus) / (2 * epsilon)
        }
    }

    /// Numeric gradient of a parameter's value.
    static func numeric(_ parameter: Parameter<Double>, loss: () -> Double) -> [Double] {
        numeric(count: parameter.value.count, get: { parameter.value.storage[$0] },
                set: { parameter.value.storage[$0] = $1 }, loss: loss)
    }

    /// Σ a ⊙ b.
    static func dot(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        precondition(a.count == b.count, "\(a.shape) vs \(b.shape)")
        return zip(a.storage, b.storage).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Checks every parameter, the input and the initial state of a sequence module against the
    /// loss `L = Σ Y ⊙ R + Σ_k h_k ⊙ Rh_k + Σ_k c_k ⊙ Rc_k` over the output `Y` and the final state,
    /// with random `R`s (nonzero at padding too, where `Y` must stay zero and get no gradient).
    /// `prepare` runs before every forward pass (to replay dropout masks).
    static func check<M: SequenceModule>(_ module: M, input: SequenceBatch<Double>, initialState: RecurrentState<Double>?,
                                         training: Bool = false, seed: UInt64 = 7,
                                         prepare: () -> Void = {}) -> [Entry] where M.Scalar == Double {
        var generator = SeededGenerator(seed: seed)
        module.zeroGradients()
        prepare()
        let trace = module.forward(input, initialState: initialState, training: training)
        let r = Matrix<Double>.normal(rows: input.values.rows, columns: module.outputSize, using: &generator)
        let rh = trace.finalState.h.map { Matrix<Double>.normal(rows: $0.rows, columns: $0.columns, using: &generator) }
        let rc = trace.finalState.c.map { Matrix<Double>.normal(rows: $0.rows, columns: $0.columns, using: &generator) }
        var x = input
        var state = initialState

        func loss() -> Double {
            prepare()
            let trace = module.forward(x, initialState: state, training: training)
            var total = dot(trace.output.values, r)
            for (h, weight) in zip(trace.finalState.h, rh) { total += dot(h, weight) }
            for (c, weight) in zip(trace.finalState.c, rc) { total += dot(c, weight) }
            return total
        }

        let gradient = module.backward(trace, outputGradient: r, finalStateGradient: RecurrentState(h: rh, c: rc))
        var entries = module.parameters.map { parameter in
            Entry(name: parameter.name, analytic: parameter.denseGradient.storage, numeric: numeric(parameter, loss: loss))
        }
        entries.append(Entry(name: "input", analytic: gradient.input.storage,
                             numeric: numeric(count: x.values.count, get: { x.values.storage[$0] },
                                              set: { x.values.storage[$0] = $1 }, loss: loss)))
        if var initial = state {
            for k in initial.h.indices {
                let numericH = numeric(count: initial.h[k].count, get: { initial.h[k].storage[$0] },
                                       set: { initial.h[k].storage[$0] = $1; state = initial }, loss: loss)
                entries.append(Entry(name: "h0[\(k)]", analytic: gradient.initialState.h[k].storage, numeric: numericH))
            }
            for k in initial.c.indices {
                let numericC = numeric(count: initial.c[k].count, get: { initial.c[k].storage[$0] },
                                       set: { initial.c[k].storage[$0] = $1; state = initial }, loss: loss)
                entries.append(Entry(name: "c0[\(k)]", analytic: gradient.initialState.c[k].storage, numeric: numericC))
            }
        }
        return entries
    }

    /// A random time-major input batch.
    static func randomInput(steps: Int, lengths: [Int], features: Int, seed: UInt64) -> SequenceBatch<Double> {
        var generator = SeededGenerator(seed: seed)
        let values = Matrix<Double>.normal(rows: steps * lengths.count, columns: features, using: &generator)
        return SequenceBatch(values: values, lengths: lengths, steps: steps)
    }

    /// A random initial state of `count` states.
    static func randomState(count: Int, batch: Int, hidden: Int, cell: Bool, seed: UInt64) -> RecurrentState<Double> {
        var generator = SeededGenerator(seed: seed)
        let h = (0..<count).map { _ in Matrix<Double>.normal(rows: batch, columns: hidden, standardDeviation: 0.5, using: &generator) }
        let c = cell ? (0..<count).map { _ in Matrix<Double>.normal(rows: batch, columns: hidden, standardDeviation: 0.5, using: &generator) } : []
        return RecurrentState(h: h, c: c)
    }
}
