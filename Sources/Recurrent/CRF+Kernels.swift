import Foundation

// The CRF's algorithms, on concrete `Double` arrays: forward–backward in log space and Viterbi, one
// sequence at a time over a time-major batch. `CRF` converts its `Float` or `Double` inputs once
// (`RecurrentScalar.widen`), so these loops never run as unspecialized generic code.

extension RecurrentScalar {
    /// `out[i] = Double(x[i])` (see the requirement).
    public static func widen(count: Int, _ x: UnsafePointer<Self>, into out: UnsafeMutablePointer<Double>) {
        for i in 0..<count { out[i] = Double(x[i]) }
    }

    /// `out[i] = Self(scale · x[i])` (see the requirement).
    public static func narrow(count: Int, _ x: UnsafePointer<Double>, scale: Double, into out: UnsafeMutablePointer<Self>) {
        for i in 0..<count { out[i] = Self(scale * x[i]) }
    }
}

extension Matrix {
    /// The elements as `Double`, row-major.
    var doubleStorage: [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            storage.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = buffer.baseAddress {
                    Scalar.widen(count: source.count, from, into: to)
                }
            }
            initialized = count
        }
    }

    /// A matrix of `scale · values` (`rows × columns` doubles) in this precision.
    init(rows: Int, columns: Int, doubles values: [Double], scale: Double = 1) {
        precondition(values.count == rows * columns, "\(values.count) values for a \(rows) × \(columns) matrix")
        self.init(rows: rows, columns: columns)
        values.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                if let from = source.baseAddress, let to = target.baseAddress {
                    Scalar.narrow(count: source.count, from, scale: scale, into: to)
                }
            }
        }
    }
}

/// A CRF's scores in `Double` with its constraints applied, and the per-sequence algorithms.
///
/// Emissions are time-major (`steps · batch × labels`, the row of step `t` of sequence `b` is
/// `t · batch + b`). Disallowed transitions are `penalty`: `−∞` (impossible) normally, or the finite
/// `CRFConstraints.violationScore` for Viterbi's fallback when no allowed path exists.
struct CRFLattice {
    let labels: Int
    /// `labels × labels`: the transition score `i → j`, or `penalty` where disallowed.
    let transitions: [Double]
    /// The start and end scores, or `penalty` where disallowed.
    let start: [Double], end: [Double]
    /// The largest allowed transition score (0 if none), and `exp(transition − shift)` (0 where disallowed).
    let shift: Double
    let expTransitions: [Double]

    init(transitions raw: [Double], start rawStart: [Double], end rawEnd: [Double], constraints: CRFConstraints,
         penalty: Double = -.infinity) {
        let labels = rawStart.count
        self.labels = labels
        var transitions = raw
        for i in 0..<labels {
            for j in 0..<labels where !constraints.allowed[i][j] { transitions[i * labels + j] = penalty }
        }
        self.transitions = transitions
        start = (0..<labels).map { constraints.allowedStart[$0] ? rawStart[$0] : penalty }
        end = (0..<labels).map { constraints.allowedEnd[$0] ? rawEnd[$0] : penalty }
        let finite = transitions.filter { $0.isFinite }
        let shift = finite.max() ?? 0
        self.shift = shift
        expTransitions = transitions.map { $0.isFinite ? Foundation.exp($0 - shift) : 0 }
    }

    /// The gold path's score, each disallowed step scored `CRFConstraints.violationScore` (so the
    /// loss of a gold path that breaks the constraints is large but finite).
    func goldScore(emissions e: UnsafePointer<Double>, batch: Int, sequence b: Int, length n: Int,
                   targets y: UnsafePointer<Int32>) -> Double {
        let L = labels
        func clamp(_ score: Double) -> Double { score.isFinite ? score : CRFConstraints.violationScore }
        var previous = Int(y[b])
        var score = clamp(start[previous]) + e[b * L + previous]
        for t in 1..<n {
            let current = Int(y[t * batch + b])
            score += clamp(transitions[previous * L + current]) + e[(t * batch + b) * L + current]
            previous = current
        }
        return score + clamp(end[previous])
    }

    /// Forward–backward for sequence `b` of length `n ≥ 1`: returns `log Z` (nil when no allowed path
    /// exists, with nothing written to the gradients), and adds the marginals to the gradients:
    /// `γ_t(j)` to `emissionGradient` (at the batch rows), `ξ_t(i, j)` to `transitionGradient`, `γ_0` to
    /// `startGradient` and `γ_{n−1}` to `endGradient`.
    ///
    /// Each step of the recursions is scaled: `α_t(j) = m + shift + log Σ_i exp(α_{t−1}(i) − m) ·
    /// exp(A_ij − shift) + e_t(j)` with `m = max_i α_{t−1}(i)`, which costs `labels` exponentials
    /// and `labels²` multiply-adds per step instead of `labels²` exponentials. An allowed transition
    /// more than about 700 below the largest one counts as impossible.
    /// `alpha` and `beta` are scratch of `n · labels` each.
    func marginals(emissions e: UnsafePointer<Double>, batch: Int, sequence b: Int, length n: Int,
                   alpha: UnsafeMutablePointer<Double>, beta: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>,
                   emissionGradient: UnsafeMutablePointer<Double>, transitionGradient: UnsafeMutablePointer<Double>,
                   startGradient: UnsafeMutablePointer<Double>, endGradient: UnsafeMutablePointer<Double>) -> Double? {
        let L = labels
        // Forward: α_0(j) = start_j + e_0(j).
        for j in 0..<L { alpha[j] = start[j] + e[b * L + j] }
        let u = scratch, w = scratch + L
        for t in 1..<n {
            let previous = alpha + (t - 1) * L, current = alpha + t * L, row = e + (t * batch + b) * L
            guard let m = Self.exponentiate(previous, count: L, into: u) else { return nil }
            expTransitions.withUnsafeBufferPointer { a in
                for j in 0..<L { current[j] = 0 }
                for i in 0..<L where u[i] != 0 {
                    let ui = u[i], ai = a.baseAddress! + i * L
                    for j in 0..<L { current[j] += ui * ai[j] }
                }
            }
            for j in 0..<L { current[j] = m + shift + Foundation.log(current[j]) + row[j] }
        }
        // log Z = log Σ_j exp(α_{n−1}(j) + end_j).
        let last = alpha + (n - 1) * L
        for j in 0..<L { w[j] = last[j] + end[j] }
        guard let mz = Self.exponentiate(w, count: L, into: u) else { return nil }
        var sum = 0.0
        for j in 0..<L { sum += u[j] }
        let logZ = mz + Foundation.log(sum)

        // Backward: β_{n−1}(i) = end_i; β_{t−1}(i) = log Σ_j exp(A_ij + e_t(j) + β_t(j)).
        for i in 0..<L { beta[(n - 1) * L + i] = end[i] }
        expTransitions.withUnsafeBufferPointer { a in
            for t in stride(from: n - 1, to: 0, by: -1) {
                let next = beta + t * L, current = beta + (t - 1) * L, row = e + (t * batch + b) * L
                for j in 0..<L { u[j] = row[j] + next[j] }
                // Finite: some label on an allowed path is reachable here.
                let mb = Self.exponentiate(u, count: L, into: w) ?? 0
                for i in 0..<L {
                    let ai = a.baseAddress! + i * L
                    var s = 0.0
                    for j in 0..<L { s += ai[j] * w[j] }
                    current[i] = mb + shift + Foundation.log(s)
                }
                // ξ_t(i, j) = exp(α_{t−1}(i) + A_ij + e_t(j) + β_t(j) − log Z)
                //           = exp(α_{t−1}(i) − ma) · exp(A_ij − shift) · exp(e_t(j) + β_t(j) − mb) · exp(ma + shift + mb − log Z).
                let previous = alpha + (t - 1) * L
                let ma = Self.exponentiate(previous, count: L, into: u) ?? 0
                let factor = Foundation.exp(ma + shift + mb - logZ)
                for j in 0..<L { w[j] *= factor }
                for i in 0..<L where u[i] != 0 {
                    let ui = u[i], ai = a.baseAddress! + i * L, gi = transitionGradient + i * L
                    for j in 0..<L { gi[j] += ui * ai[j] * w[j] }
                }
            }
        }
        // γ_t(j) = exp(α_t(j) + β_t(j) − log Z).
        for t in 0..<n {
            let g = emissionGradient + (t * batch + b) * L
            for j in 0..<L { g[j] += Foundation.exp(alpha[t * L + j] + beta[t * L + j] - logZ) }
        }
        for j in 0..<L {
            startGradient[j] += Foundation.exp(alpha[j] + beta[j] - logZ)
            endGradient[j] += Foundation.exp(last[j] + end[j] - logZ)
        }
        return logZ
    }

    /// `out[i] = exp(x[i] − m)` with `m = max x`; nil (and zeros) when every `x[i]` is −∞ (or NaN).
    @inline(__always)
    private static func exponentiate(_ x: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Double>) -> Double? {
        var m = -Double.infinity
        for i in 0..<count where x[i] > m { m = x[i] }
        guard m > -.infinity else {
            out.update(repeating: 0, count: count)
            return nil
        }
        for i in 0..<count { out[i] = Foundation.exp(x[i] - m) }
        return m
    }

    /// The best path of sequence `b` (length `n ≥ 1`, Viterbi), and its score (−∞ when no allowed
    /// path exists). Ties go to the lowest label. `scratch` holds `2 · labels` values, `backpointers`
    /// `n · labels`.
    func viterbi(emissions e: UnsafePointer<Double>, batch: Int, sequence b: Int, length n: Int,
                 scratch: UnsafeMutablePointer<Double>, backpointers: UnsafeMutablePointer<Int32>) -> (path: [Int32], score: Double) {
        let L = labels
        var delta = scratch, next = scratch + L
        for j in 0..<L { delta[j] = start[j] + e[b * L + j] }
        transitions.withUnsafeBufferPointer { a in
            for t in 1..<n {
                let row = e + (t * batch + b) * L, pointers = backpointers + t * L
                for j in 0..<L {
                    var best = -Double.infinity, argument = 0
                    for i in 0..<L {
                        let value = delta[i] + a[i * L + j]
                        if value > best { best = value; argument = i }
                    }
                    next[j] = best + row[j]
                    pointers[j] = Int32(argument)
                }
                swap(&delta, &next)
            }
        }
        var best = -Double.infinity, label = 0
        for j in 0..<L where delta[j] + end[j] > best {
            best = delta[j] + end[j]
            label = j
        }
        var path = [Int32](repeating: 0, count: n)
        path[n - 1] = Int32(label)
        for t in stride(from: n - 1, to: 0, by: -1) {
            label = Int(backpointers[t * L + label])
            path[t - 1] = Int32(label)
        }
        return (path, best)
    }
}
