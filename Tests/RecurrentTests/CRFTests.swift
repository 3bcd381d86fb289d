import Foundation
import Recurrent
import Testing

/// The linear-chain CRF: finite-difference gradients (Float64, see `GradientCheck`), brute force
/// over every path of a tiny case, constraints, and batches of mixed lengths.
@Suite("CRF")
struct CRFTests {
    static let iob2Labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

    // MARK: Helpers

    /// A CRF with random scores (N(0, 0.5)) instead of the small initial ones, so every term matters.
    static func randomCRF(labels: Int, constraints: CRFConstraints? = nil, seed: UInt64) -> CRF<Double> {
        let crf = CRF<Double>(labelCount: labels, constraints: constraints, seed: seed)
        var generator = SeededGenerator(seed: seed &+ 100)
        for parameter in crf.parameters {
            parameter.value = .normal(rows: parameter.value.rows, columns: parameter.value.columns, standardDeviation: 0.5,
                                      using: &generator)
        }
        return crf
    }

    /// A random path that obeys `constraints`.
    static func randomPath(_ constraints: CRFConstraints, length: Int, using generator: inout SeededGenerator) -> [Int32] {
        guard length > 0 else { return [] }
        while true {
            var path: [Int] = []
            var candidates = (0..<constraints.labelCount).filter { constraints.allowedStart[$0] }
            for _ in 0..<length {
                guard !candidates.isEmpty else { break }
                let label = candidates[generator.nextIndex(below: candidates.count)]
                path.append(label)
                candidates = (0..<constraints.labelCount).filter { constraints.allowed[label][$0] }
            }
            if path.count == length, let last = path.last, constraints.allowedEnd[last] { return path.map(Int32.init) }
        }
    }

    /// Time-major targets for `paths` (padding −1) over `steps`.
    static func targets(_ paths: [[Int32]], steps: Int) -> [Int32] {
        TokenBatch(sequences: paths, steps: steps).ids
    }

    /// The score of `path` for sequence `b` of a time-major batch, straight from the definition.
    static func score(_ crf: CRF<Double>, emissions: Matrix<Double>, batch: Int, sequence b: Int, path: [Int32]) -> Double {
        let labels = path.map(Int.init)
        var total = crf.startTransitions.value[0, labels[0]] + crf.endTransitions.value[0, labels[labels.count - 1]]
        for (t, label) in labels.enumerated() {
            total += emissions[t * batch + b, label]
            if t > 0 { total += crf.transitions.value[labels[t - 1], label] }
        }
        return total
    }

    /// Whether `path` obeys `constraints`.
    static func obeys(_ path: [Int32], _ constraints: CRFConstraints) -> Bool {
        guard let first = path.first, let last = path.last else { return true }
        return constraints.allowedStart[Int(first)] && constraints.allowedEnd[Int(last)]
            && zip(path, path.dropFirst()).allSatisfy { constraints.allowed[Int($0)][Int($1)] }
    }

    /// Every label sequence of `length` over `labels` labels.
    static func allPaths(labels: Int, length: Int) -> [[Int32]] {
        (0..<length).reduce([[Int32]()]) { paths, _ in paths.flatMap { path in (0..<labels).map { path + [Int32($0)] } } }
    }

    // MARK: Gradients

    @Test("finite differences: emissions, transitions, start and end scores", arguments: [false, true])
    func gradients(constrained: Bool) {
        let labels = Self.iob2Labels.count
        let constraints = constrained ? CRFConstraints.iob2(labels: Self.iob2Labels) : nil
        let crf = Self.randomCRF(labels: labels, constraints: constraints, seed: 3)
        let lengths = [4, 1, 3, 0], steps = 4, batch = lengths.count
        var generator = SeededGenerator(seed: 4)
        var emissions = Matrix<Double>.normal(rows: steps * batch, columns: labels, standardDeviation: 2, using: &generator)
        let paths = lengths.map { Self.randomPath(crf.constraints, length: $0, using: &generator) }
        let targets = Self.targets(paths, steps: steps)

        crf.parameters.forEach { $0.zeroGradient() }
        let result = crf.loss(emissions: emissions, lengths: lengths, steps: steps, targets: targets)
        #expect(result.loss.isFinite && result.loss > 0)
        // (Every evaluation adds to the parameter gradients: take the analytic ones first.)
        let analytic = crf.parameters.map(\.gradient.storage)
        let loss = { crf.loss(emissions: emissions, lengths: lengths, steps: steps, targets: targets).loss }
        var entries = zip(crf.parameters, analytic).map { parameter, analytic in
            GradientCheck.Entry(name: parameter.name, analytic: analytic, numeric: GradientCheck.numeric(parameter, loss: loss))
        }
        entries.append(GradientCheck.Entry(
            name: "emissions", analytic: result.emissionGradient.storage,
            numeric: GradientCheck.numeric(count: emissions.count, get: { emissions.storage[$0] },
                                           set: { emissions.storage[$0] = $1 }, loss: loss)))
        #expect(entries.map(\.name) == ["crf.transitions", "crf.start_transitions", "crf.end_transitions", "emissions"])
        for entry in entries {
            #expect(entry.passes, "\(entry)")
            #expect(entry.nonTrivial, "\(entry)")
        }
        // Padding rows get exactly zero; so do disallowed transitions.
        for t in 0..<steps {
            for (b, length) in lengths.enumerated() where t >= length {
                #expect(result.emissionGradient.row(t * batch + b).allSatisfy { $0 == 0 })
            }
        }
        if let constraints {
            for i in 0..<labels {
                for j in 0..<labels where !constraints.allowed[i][j] { #expect(analytic[0][i * labels + j] == 0) }
                if !constraints.allowedStart[i] { #expect(analytic[1][i] == 0) }
            }
        }

        // The check must be able to fail: a 1% error in one entry, and transposed transition counts.
        var wrong = entries[0]
        let index = wrong.analytic.indices.max { abs(wrong.analytic[$0]) < abs(wrong.analytic[$1]) } ?? 0
        wrong.analytic[index] *= 1.01
        #expect(!wrong.passes)
        var transposed = entries[0]
        transposed.analytic = Matrix(rows: labels, columns: labels, storage: analytic[0]).transposed().storage
        #expect(!transposed.passes)
    }

    @Test("a Float CRF agrees with the Double one")
    func floatPrecision() {
        let crf = Self.randomCRF(labels: 4, seed: 8)
        let single = CRF<Float>(labelCount: 4, seed: 8)
        for (a, b) in zip(single.parameters, crf.parameters) { a.value = Matrix(b.value) }
        var generator = SeededGenerator(seed: 9)
        let emissions = Matrix<Double>.normal(rows: 10, columns: 4, using: &generator)
        let paths = [[0, 1, 2, 3, 0], [3, 3, 2, 1, 0]].map { $0.map(Int32.init) }
        let targets = Self.targets(paths, steps: 5)
        let exact = crf.loss(emissions: emissions, lengths: [5, 5], steps: 5, targets: targets)
        let approximate = single.loss(emissions: Matrix(emissions), lengths: [5, 5], steps: 5, targets: targets)
        #expect(abs(exact.loss - approximate.loss) < 1e-5)
        #expect(zip(exact.emissionGradient.storage, approximate.emissionGradient.storage).allSatisfy { abs($0 - Double($1)) < 1e-6 })
        #expect(crf.decode(emissions: emissions, lengths: [5, 2], steps: 5)
                == single.decode(emissions: Matrix(emissions), lengths: [5, 2], steps: 5))
    }

    // MARK: Brute force

    @Test("brute force over all 3⁴ paths: log Z, every path's loss, and Viterbi", arguments: [false, true])
    func bruteForce(constrained: Bool) {
        // Constrained: 0 → 2 and 2 → 2 disallowed, label 1 cannot start, label 0 cannot end.
        let constraints = constrained
            ? CRFConstraints(allowed: [[true, true, false], [true, true, true], [true, true, false]],
                             allowedStart: [true, false, true], allowedEnd: [false, true, true])
            : CRFConstraints.unconstrained(labelCount: 3)
        let crf = Self.randomCRF(labels: 3, constraints: constraints, seed: 11)
        for trial in 0..<5 {
            var generator = SeededGenerator(seed: 20 + UInt64(trial))
            let emissions = Matrix<Double>.normal(rows: 4, columns: 3, standardDeviation: 1.5, using: &generator)
            let paths = Self.allPaths(labels: 3, length: 4)
            #expect(paths.count == 81)
            let allowed = paths.filter { Self.obeys($0, constraints) }
            #expect(allowed.count == (constrained ? 14 : 81))
            let scores = allowed.map { Self.score(crf, emissions: emissions, batch: 1, sequence: 0, path: $0) }
            let top = scores.max() ?? 0
            let logZ = top + log(scores.reduce(0) { $0 + exp($1 - top) })

            var probability = 0.0
            for (path, score) in zip(allowed, scores) {
                let loss = crf.loss(emissions: emissions, lengths: [4], steps: 4, targets: path).loss
                #expect(abs(loss - (logZ - score)) < 1e-10, "path \(path)")
                probability += exp(-loss)
            }
            #expect(abs(probability - 1) < 1e-10)

            let best = allowed[scores.indices.max { scores[$0] < scores[$1] } ?? 0]
            #expect(crf.decode(emissions: emissions, lengths: [4], steps: 4) == [best])
        }
        // A gold path that breaks the constraints: large but finite.
        if constrained {
            crf.parameters.forEach { $0.zeroGradient() }
            let emissions = Matrix<Double>(rows: 4, columns: 3)
            let result = crf.loss(emissions: emissions, lengths: [4], steps: 4, targets: [1, 0, 2, 2])
            #expect(result.loss.isFinite && result.loss > 3 * 9_000)
            #expect(result.emissionGradient.storage.allSatisfy { $0.isFinite && abs($0) <= 1 })
            #expect(crf.transitions.gradient[0, 2] == 0 && crf.transitions.gradient[2, 2] == 0)
            #expect(crf.startTransitions.gradient[0, 1] == 0 && crf.endTransitions.gradient[0, 0] == 0)
        }
    }

    // MARK: Constraints

    @Test("IOB2 and BIOES constraint tables")
    func constraintTables() {
        let iob2 = CRFConstraints.iob2(labels: Self.iob2Labels)
        // O, B-PER, I-PER, B-LOC, I-LOC
        #expect(iob2.allowed[0] == [true, true, false, true, false])
        #expect(iob2.allowed[1] == [true, true, true, true, false])
        #expect(iob2.allowed[2] == [true, true, true, true, false])
        #expect(iob2.allowed[3] == [true, true, false, true, true])
        #expect(iob2.allowedStart == [true, true, false, true, false])
        #expect(iob2.allowedEnd == [true, true, true, true, true])

        let bioes = CRFConstraints.bioes(labels: ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC"])
        #expect(bioes.allowed[0] == [true, true, false, false, true, true, false])     // O → O/B/S
        #expect(bioes.allowed[1] == [false, false, true, true, false, false, false])   // B-PER → I-PER/E-PER
        #expect(bioes.allowed[2] == [false, false, true, true, false, false, false])   // I-PER → I-PER/E-PER
        #expect(bioes.allowed[3] == bioes.allowed[0] && bioes.allowed[4] == bioes.allowed[0])
        #expect(bioes.allowed[5] == [false, false, false, false, false, false, true])  // B-LOC → E-LOC
        #expect(bioes.allowedStart == [true, true, false, false, true, true, false])
        #expect(bioes.allowedEnd == [true, false, false, true, true, false, true])

        #expect(CRFConstraints.unconstrained(labelCount: 2).allowed == [[true, true], [true, true]])
        #expect(iob2.admitsPath(length: 1) && iob2.admitsPath(length: 7))
        let noO = CRFConstraints.bioes(labels: ["B-X", "E-X"])
        #expect(!noO.admitsPath(length: 1) && noO.admitsPath(length: 2) && !noO.admitsPath(length: 3))
    }

    @Test("Viterbi never leaves the IOB2 constraints, even when the emissions pull hard")
    func viterbiObeysConstraints() {
        let labels = Self.iob2Labels.count
        let constraints = CRFConstraints.iob2(labels: Self.iob2Labels)
        let crf = Self.randomCRF(labels: labels, constraints: constraints, seed: 5)
        let free = Self.randomCRF(labels: labels, seed: 5)
        // O then I-PER, and I-LOC at the start, each favored by 100.
        var emissions = Matrix<Double>(rows: 3 * 2, columns: labels)
        emissions[0 * 2 + 0, 0] = 100
        emissions[1 * 2 + 0, 2] = 100
        emissions[2 * 2 + 0, 2] = 100
        emissions[0 * 2 + 1, 4] = 100
        emissions[1 * 2 + 1, 4] = 100
        #expect(free.decode(emissions: emissions, lengths: [3, 2], steps: 3) == [[0, 2, 2], [4, 4]])
        let paths = crf.decode(emissions: emissions, lengths: [3, 2], steps: 3)
        #expect(paths.allSatisfy { Self.obeys($0, constraints) }, "\(paths)")

        var generator = SeededGenerator(seed: 6)
        let lengths = (0..<40).map { _ in 1 + generator.nextIndex(below: 8) }
        let noisy = Matrix<Double>.normal(rows: 8 * 40, columns: labels, standardDeviation: 30, using: &generator)
        let decoded = crf.decode(emissions: noisy, lengths: lengths, steps: 8)
        #expect(decoded.map(\.count) == lengths)
        #expect(decoded.allSatisfy { Self.obeys($0, constraints) })
        #expect(!free.decode(emissions: noisy, lengths: lengths, steps: 8).allSatisfy { Self.obeys($0, constraints) })
    }

    @Test("a length no allowed path has: the loss skips the sequence, Viterbi breaks the fewest constraints")
    func noAllowedPath() {
        let crf = Self.randomCRF(labels: 2, constraints: .bioes(labels: ["B-X", "E-X"]), seed: 2)
        var generator = SeededGenerator(seed: 3)
        let emissions = Matrix<Double>.normal(rows: 2 * 2, columns: 2, using: &generator)
        // Sequence 0 has length 2 (B-X E-X), sequence 1 length 1 (impossible).
        let both = crf.loss(emissions: emissions, lengths: [2, 1], steps: 2, targets: [0, 0, 1, -1])
        let alone = crf.loss(emissions: emissions.rows(0..<4), lengths: [2, 0], steps: 2, targets: [0, -1, 1, -1])
        #expect(both.loss.isFinite && abs(both.loss - alone.loss) < 1e-12)
        #expect(both.emissionGradient == alone.emissionGradient)
        let paths = crf.decode(emissions: emissions, lengths: [2, 1], steps: 2)
        #expect(paths[0] == [0, 1] && paths[1].count == 1)
    }

    // MARK: Batches

    @Test("mixed lengths with padding: the same as each sequence alone, padding never read")
    func mixedLengths() {
        let labels = 4
        let crf = Self.randomCRF(labels: labels, seed: 13)
        let lengths = [5, 2, 0, 3], steps = 6, batch = lengths.count
        var generator = SeededGenerator(seed: 14)
        var emissions = Matrix<Double>.normal(rows: steps * batch, columns: labels, using: &generator)
        let paths = lengths.map { Self.randomPath(crf.constraints, length: $0, using: &generator) }
        for t in 0..<steps {
            for (b, length) in lengths.enumerated() where t >= length {
                for j in 0..<labels { emissions[t * batch + b, j] = 1e6 }  // garbage that must not matter
            }
        }
        crf.parameters.forEach { $0.zeroGradient() }
        let result = crf.loss(emissions: emissions, lengths: lengths, steps: steps, targets: Self.targets(paths, steps: steps))
        let batchGradients = crf.parameters.map(\.gradient)
        let decoded = crf.decode(emissions: emissions, lengths: lengths, steps: steps)
        #expect(decoded[2].isEmpty)

        var losses: [Double] = []
        var summed = crf.parameters.map { Matrix<Double>(rows: $0.value.rows, columns: $0.value.columns) }
        for (b, length) in lengths.enumerated() where length > 0 {
            let alone = Matrix<Double>(rows: length, columns: labels, storage: (0..<length).flatMap { emissions.row($0 * batch + b) })
            crf.parameters.forEach { $0.zeroGradient() }
            let single = crf.loss(emissions: alone, lengths: [length], steps: length, targets: paths[b])
            losses.append(single.loss)
            for (k, parameter) in crf.parameters.enumerated() { summed[k].add(parameter.gradient) }
            for t in 0..<length {
                for j in 0..<labels {
                    #expect(abs(result.emissionGradient[t * batch + b, j] * 3 - single.emissionGradient[t, j]) < 1e-12)
                }
            }
            #expect(crf.decode(emissions: alone, lengths: [length], steps: length) == [decoded[b]])
        }
        #expect(abs(result.loss - losses.reduce(0, +) / 3) < 1e-12)
        for (batchGradient, total) in zip(batchGradients, summed) {
            #expect(zip(batchGradient.storage, total.storage).allSatisfy { abs($0 * 3 - $1) < 1e-12 })
        }
        for t in 0..<steps {
            for (b, length) in lengths.enumerated() where t >= length {
                #expect(result.emissionGradient.row(t * batch + b).allSatisfy { $0 == 0 })
            }
        }
        // All sequences empty: no loss, no gradient.
        let empty = crf.loss(emissions: Matrix(rows: 0, columns: labels), lengths: [0, 0], steps: 0, targets: [])
        #expect(empty.loss == 0 && empty.emissionGradient.rows == 0)
    }

    // MARK: Speed

    @Test("timing: one batch of 32 × 40 steps × 9 labels (printed)")
    func timing() {
        let labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
        let crf = CRF<Float>(labelCount: labels.count, constraints: .iob2(labels: labels), seed: 1)
        var generator = SeededGenerator(seed: 2)
        let batch = 32, steps = 40
        let lengths = (0..<batch).map { $0 == 0 ? steps : 10 + generator.nextIndex(below: steps - 10) }
        let emissions = Matrix<Float>.normal(rows: steps * batch, columns: labels.count, standardDeviation: 3, using: &generator)
        let paths = lengths.map { Self.randomPath(crf.constraints, length: $0, using: &generator) }
        let targets = Self.targets(paths, steps: steps)
        var lossTimes: [Double] = [], decodeTimes: [Double] = []
        for _ in 0..<7 {
            var start = ContinuousClock.now
            let result = crf.loss(emissions: emissions, lengths: lengths, steps: steps, targets: targets)
            lossTimes.append(Self.milliseconds(ContinuousClock.now - start))
            #expect(result.loss.isFinite)
            start = ContinuousClock.now
            let decoded = crf.decode(emissions: emissions, lengths: lengths, steps: steps)
            decodeTimes.append(Self.milliseconds(ContinuousClock.now - start))
            #expect(decoded.count == batch)
        }
        // For scale: the BiLSTM below it in an NCRF++-sized tagger (input 100 + 50, hidden 2 × 100).
        let lstm = Bidirectional<Float>(.lstm, inputSize: 150, hiddenSize: 100, seed: 3)
        let input = SequenceBatch(values: Matrix<Float>.normal(rows: steps * batch, columns: 150, using: &generator),
                                  lengths: lengths, steps: steps)
        let r = Matrix<Float>.normal(rows: steps * batch, columns: 200, using: &generator)
        var lstmTimes: [Double] = []
        for _ in 0..<7 {
            let start = ContinuousClock.now
            _ = lstm.backward(lstm.forward(input, initialState: nil, training: true), outputGradient: r, finalStateGradient: nil)
            lstmTimes.append(Self.milliseconds(ContinuousClock.now - start))
        }
        let median = { (times: [Double]) in times.sorted()[times.count / 2] }
        print("CRF timing, batch 32 × \(steps) steps (\(lengths.reduce(0, +)) tokens) × 9 labels, Float: loss + gradients \(median(lossTimes)) ms, Viterbi \(median(decodeTimes)) ms; BiLSTM 150 → 2 × 100 forward + backward \(median(lstmTimes)) ms (medians of 7)")
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) * 1e-15
    }
}
