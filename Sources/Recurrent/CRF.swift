/// Which label may follow which in a linear-chain CRF, and which may start or end a sequence.
///
/// A disallowed transition is impossible: it is left out of the partition function and of Viterbi
/// (a mask, not a learned score), and its entry of `CRF.transitions` gets no gradient.
///
/// ```swift
/// let constraints = CRFConstraints.iob2(labels: ["O", "B-PER", "I-PER"])
/// constraints.allowed[0][2]   // false: O → I-PER
/// constraints.allowedStart[2] // false: a sequence cannot start inside an entity
/// ```
public struct CRFConstraints: Sendable, Equatable {
    /// `allowed[i][j]`: label `i` may be followed by label `j`.
    public var allowed: [[Bool]]
    /// `allowedStart[j]`: a sequence may start with label `j`.
    public var allowedStart: [Bool]
    /// `allowedEnd[i]`: a sequence may end with label `i`.
    public var allowedEnd: [Bool]

    /// The score each disallowed step of a gold path gets in `CRF.loss` (so the loss stays finite,
    /// about 10⁴ per violation, should training data break the constraints).
    public static let violationScore = -10_000.0

    /// Constraints from their tables (`allowed` is `count × count` for `count` labels).
    public init(allowed: [[Bool]], allowedStart: [Bool], allowedEnd: [Bool]) {
        precondition(allowedEnd.count == allowedStart.count && allowed.count == allowedStart.count
                     && allowed.allSatisfy { $0.count == allowedStart.count },
                     "constraint tables differ in size: \(allowed.count) × \(allowed.map(\.count)), start \(allowedStart.count), end \(allowedEnd.count)")
        self.allowed = allowed
        self.allowedStart = allowedStart
        self.allowedEnd = allowedEnd
    }

    /// The number of labels.
    public var labelCount: Int { allowedStart.count }

    /// Everything allowed.
    public static func unconstrained(labelCount: Int) -> CRFConstraints {
        CRFConstraints(allowed: Array(repeating: Array(repeating: true, count: labelCount), count: labelCount),
                       allowedStart: Array(repeating: true, count: labelCount),
                       allowedEnd: Array(repeating: true, count: labelCount))
    }

    /// For IOB2 labels (`O`, `B-PER`, `I-PER`, …): `I-X` only after `B-X` or `I-X`, never at the
    /// start. Other labels are unconstrained. A tag is a prefix letter, `-` or `_`, and a type.
    public static func iob2(labels: [String]) -> CRFConstraints {
        let tags = labels.map(Tag.init)
        var result = unconstrained(labelCount: labels.count)
        for (j, tag) in tags.enumerated() where tag.prefix == "I" {
            result.allowedStart[j] = false
            for (i, previous) in tags.enumerated() {
                result.allowed[i][j] = (previous.prefix == "B" || previous.prefix == "I") && previous.type == tag.type
            }
        }
        return result
    }

    /// For BIOES labels: `B-X` → `I-X`/`E-X`; `I-X` → `I-X`/`E-X`; `E-X`, `S-X` and `O` →
    /// `O`/`B-*`/`S-*`; a sequence starts with `O`, `B-*` or `S-*` and ends with `O`, `E-*` or `S-*`.
    /// Labels that are not `B`/`I`/`E`/`S` tags are treated as `O`.
    public static func bioes(labels: [String]) -> CRFConstraints {
        let tags = labels.map(Tag.init)
        let count = labels.count
        var result = unconstrained(labelCount: count)
        for (i, previous) in tags.enumerated() {
            for (j, tag) in tags.enumerated() {
                switch previous.prefix {
                case "B", "I": result.allowed[i][j] = (tag.prefix == "I" || tag.prefix == "E") && tag.type == previous.type
                default: result.allowed[i][j] = tag.prefix != "I" && tag.prefix != "E"
                }
            }
            result.allowedStart[i] = previous.prefix != "I" && previous.prefix != "E"
            result.allowedEnd[i] = previous.prefix != "B" && previous.prefix != "I"
        }
        return result
    }

    /// Whether some label sequence of `length` (≥ 1) obeys the constraints. With `iob2` or `bioes`
    /// constraints over a label set that has `O`, every length does.
    /// - Complexity: O(length · labels²).
    public func admitsPath(length: Int) -> Bool {
        precondition(length >= 1, "a path has at least one label, got length \(length)")
        var reachable = allowedStart
        for _ in 1..<length {
            var next = Array(repeating: false, count: labelCount)
            for i in 0..<labelCount where reachable[i] {
                for j in 0..<labelCount where allowed[i][j] { next[j] = true }
            }
            reachable = next
        }
        return zip(reachable, allowedEnd).contains { $0 && $1 }
    }

    /// A label split into its prefix letter (uppercased; nil for `O` and other untagged labels) and type.
    private struct Tag {
        var prefix: Character?
        var type: Substring

        init(_ label: String) {
            let characters = Array(label)
            if characters.count >= 3, characters[1] == "-" || characters[1] == "_",
               let letter = characters[0].uppercased().first, "BIES".contains(letter) {
                prefix = letter
                type = label.dropFirst(2)
            } else {
                prefix = nil
                type = Substring(label)
            }
        }
    }
}

/// A linear-chain conditional random field over per-token label scores (Lafferty, McCallum &
/// Pereira 2001), the output layer of BiLSTM-CRF taggers (Huang, Xu & Yu 2015; Lample et al. 2016).
///
/// The score of labels `y_0 … y_{n−1}` for emissions `e` is
/// `start[y_0] + Σ_t e_t[y_t] + Σ_{t≥1} A[y_{t−1}, y_t] + end[y_{n−1}]`; the probability of a path
/// is its exponentiated score over the partition function `Z`, a sum over all allowed paths.
/// `loss` is the negative log-likelihood of the gold paths (the forward algorithm for `log Z`, and
/// forward–backward marginals for the gradients); `decode` is Viterbi. Both work on a padded
/// time-major batch (`SequenceBatch`'s layout) and compute in `Double` whatever `Scalar` is.
///
/// Initialization: transition, start and end scores uniform in ±0.1, seeded (as pytorch-crf).
///
/// - Complexity: O(tokens · labels²) for `loss` and for `decode`.
public final class CRF<Scalar: RecurrentScalar> {
    /// The number of labels.
    public let labelCount: Int
    /// The allowed transitions.
    public let constraints: CRFConstraints
    /// `labelCount × labelCount`: `[i, j]` is the score of label `i` followed by label `j`.
    public let transitions: Parameter<Scalar>
    /// `1 × labelCount`: the score of starting with each label.
    public let startTransitions: Parameter<Scalar>
    /// `1 × labelCount`: the score of ending with each label.
    public let endTransitions: Parameter<Scalar>

    /// A seeded CRF over `labelCount` labels, unconstrained unless `constraints` are given.
    public init(labelCount: Int, constraints: CRFConstraints? = nil, seed: UInt64, name: String = "crf") {
        precondition(labelCount >= 1, "a CRF needs at least one label, got \(labelCount)")
        let constraints = constraints ?? .unconstrained(labelCount: labelCount)
        precondition(constraints.labelCount == labelCount,
                     "constraints are for \(constraints.labelCount) labels, the CRF has \(labelCount)")
        self.labelCount = labelCount
        self.constraints = constraints
        var generator = SeededGenerator(seed: seed)
        transitions = Parameter(name: "\(name).transitions",
                                value: .uniform(rows: labelCount, columns: labelCount, limit: 0.1, using: &generator))
        startTransitions = Parameter(name: "\(name).start_transitions",
                                     value: .uniform(rows: 1, columns: labelCount, limit: 0.1, using: &generator))
        endTransitions = Parameter(name: "\(name).end_transitions",
                                   value: .uniform(rows: 1, columns: labelCount, limit: 0.1, using: &generator))
    }

    /// `transitions`, `startTransitions`, `endTransitions`.
    public var parameters: [Parameter<Scalar>] { [transitions, startTransitions, endTransitions] }

    /// The scores in `Double` with the constraints applied (disallowed: `penalty`).
    private func lattice(penalty: Double = -.infinity) -> CRFLattice {
        CRFLattice(transitions: transitions.value.doubleStorage, start: startTransitions.value.doubleStorage,
                   end: endTransitions.value.doubleStorage, constraints: constraints, penalty: penalty)
    }

    private func checkShapes(_ emissions: Matrix<Scalar>, lengths: [Int], steps: Int) {
        precondition(emissions.columns == labelCount, "emissions are \(emissions.shape), the CRF has \(labelCount) labels")
        precondition(emissions.rows == steps * lengths.count,
                     "emissions have \(emissions.rows) rows, expected steps \(steps) × batch \(lengths.count)")
        for length in lengths {
            precondition(length >= 0 && length <= steps, "sequence length \(length) is outside 0...\(steps)")
        }
    }

    /// The negative log-likelihood of the gold paths, `log Z − score(gold)`, averaged over the
    /// sequences of the batch that have at least one token (0 when none has).
    ///
    /// `emissions` is time-major (`steps · batch × labelCount`, see `SequenceBatch`); `targets` is in
    /// `TokenBatch` layout, a label in `0..<labelCount` at every real position (padding positions are
    /// not read). Returns the loss and ∂loss/∂emissions (zero rows at padding), and adds to the
    /// parameters' gradients the expected minus the gold transition counts (divided like the loss);
    /// disallowed transitions get none.
    ///
    /// A gold path that breaks the constraints scores `CRFConstraints.violationScore` for each
    /// disallowed step, so its loss is large (about 10⁴) but finite. A sequence whose length no
    /// allowed path has (`CRFConstraints.admitsPath(length:)` is false) contributes nothing and is
    /// not counted.
    public func loss(emissions: Matrix<Scalar>, lengths: [Int], steps: Int, targets: [Int32]) -> (loss: Double, emissionGradient: Matrix<Scalar>) {
        checkShapes(emissions, lengths: lengths, steps: steps)
        precondition(targets.count == emissions.rows, "\(targets.count) targets for \(emissions.rows) emission rows")
        let batch = lengths.count, L = labelCount
        for (b, length) in lengths.enumerated() {
            for t in 0..<length {
                let target = targets[t * batch + b]
                precondition(target >= 0 && Int(target) < L, "target \(target) at step \(t) of sequence \(b) is outside 0..<\(L)")
            }
        }
        let lattice = lattice()
        let scores = emissions.doubleStorage
        var emissionGradient = [Double](repeating: 0, count: scores.count)
        var transitionGradient = [Double](repeating: 0, count: L * L)
        var startGradient = [Double](repeating: 0, count: L), endGradient = [Double](repeating: 0, count: L)
        let longest = lengths.max() ?? 0
        var alpha = [Double](repeating: 0, count: longest * L), beta = alpha
        var scratch = [Double](repeating: 0, count: 2 * L)
        var total = 0.0, counted = 0
        var admitted: [Int: Bool] = [:]  // by length: whether an allowed path exists

        scores.withUnsafeBufferPointer { e in
        targets.withUnsafeBufferPointer { y in
        emissionGradient.withUnsafeMutableBufferPointer { dE in
        transitionGradient.withUnsafeMutableBufferPointer { dA in
        startGradient.withUnsafeMutableBufferPointer { dStart in
        endGradient.withUnsafeMutableBufferPointer { dEnd in
        alpha.withUnsafeMutableBufferPointer { alpha in
        beta.withUnsafeMutableBufferPointer { beta in
        scratch.withUnsafeMutableBufferPointer { scratch in
            for (b, n) in lengths.enumerated() where n > 0 {
                guard let logZ = lattice.marginals(emissions: e.baseAddress!, batch: batch, sequence: b, length: n,
                                                   alpha: alpha.baseAddress!, beta: beta.baseAddress!, scratch: scratch.baseAddress!,
                                                   emissionGradient: dE.baseAddress!, transitionGradient: dA.baseAddress!,
                                                   startGradient: dStart.baseAddress!, endGradient: dEnd.baseAddress!) else {
                    // No allowed path, or emissions that are all NaN or −∞: the latter must show in the loss.
                    let admits = admitted[n] ?? constraints.admitsPath(length: n)
                    admitted[n] = admits
                    if admits {
                        total = .nan
                        counted += 1
                    }
                    continue
                }
                total += logZ - lattice.goldScore(emissions: e.baseAddress!, batch: batch, sequence: b, length: n, targets: y.baseAddress!)
                counted += 1
                // Minus the gold counts (disallowed transitions get no gradient).
                var previous = Int(y[b])
                dE[b * L + previous] -= 1
                if constraints.allowedStart[previous] { dStart[previous] -= 1 }
                for t in 1..<n {
                    let current = Int(y[t * batch + b])
                    dE[(t * batch + b) * L + current] -= 1
                    if constraints.allowed[previous][current] { dA[previous * L + current] -= 1 }
                    previous = current
                }
                if constraints.allowedEnd[previous] { dEnd[previous] -= 1 }
            }
        }}}}}}}}}

        guard counted > 0 else { return (0, Matrix(rows: emissions.rows, columns: L)) }
        let scale = 1 / Double(counted)
        transitions.gradient.add(Matrix(rows: L, columns: L, doubles: transitionGradient, scale: scale))
        startTransitions.gradient.add(Matrix(rows: 1, columns: L, doubles: startGradient, scale: scale))
        endTransitions.gradient.add(Matrix(rows: 1, columns: L, doubles: endGradient, scale: scale))
        return (total * scale, Matrix(rows: emissions.rows, columns: L, doubles: emissionGradient, scale: scale))
    }

    /// The best allowed label path of each sequence (Viterbi; `lengths[b]` labels each, ties to the
    /// lower label), for time-major emissions as in `loss`. For a sequence whose length no allowed
    /// path has, the path with the fewest disallowed steps (each scored
    /// `CRFConstraints.violationScore`).
    public func decode(emissions: Matrix<Scalar>, lengths: [Int], steps: Int) -> [[Int32]] {
        checkShapes(emissions, lengths: lengths, steps: steps)
        let lattice = lattice()
        let scores = emissions.doubleStorage
        let batch = lengths.count, L = labelCount
        var scratch = [Double](repeating: 0, count: 2 * L)
        var backpointers = [Int32](repeating: 0, count: max(lengths.max() ?? 0, 1) * L)
        return scores.withUnsafeBufferPointer { e in
            scratch.withUnsafeMutableBufferPointer { scratch in
                backpointers.withUnsafeMutableBufferPointer { pointers in
                    lengths.enumerated().map { b, n in
                        guard n > 0 else { return [] }
                        let best = lattice.viterbi(emissions: e.baseAddress!, batch: batch, sequence: b, length: n,
                                                   scratch: scratch.baseAddress!, backpointers: pointers.baseAddress!)
                        guard best.score == -.infinity else { return best.path }
                        return self.lattice(penalty: CRFConstraints.violationScore)
                            .viterbi(emissions: e.baseAddress!, batch: batch, sequence: b, length: n,
                                     scratch: scratch.baseAddress!, backpointers: pointers.baseAddress!).path
                    }
                }
            }
        }
    }
}
