import Foundation
import Recurrent
import Testing

/// The Swift side of `Benchmarks/recurrent/run.sh`: times forward + backward of one LSTM batch.
/// Enabled only when `WORDPIPE_RECURRENT_BENCH` names an output file (the script builds the
/// tests in release mode and sets it); it then appends one JSON line per configuration
/// (`lstmStep`), or per variant of threads and padding (`threadsAndPadding`, run by its own filter).
@Suite("Recurrent benchmark")
struct RecurrentBenchmark {
    static let output = ProcessInfo.processInfo.environment["WORDPIPE_RECURRENT_BENCH"]

    private static func setting(_ name: String, _ fallback: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
    }

    @Test("LSTM forward + backward throughput", .enabled(if: output != nil))
    func lstmStep() throws {
        let environment = ProcessInfo.processInfo.environment
        let batch = Self.setting("BATCH", 32), input = Self.setting("INPUT", 100), hidden = Self.setting("HIDDEN", 128)
        let bidirectional = Self.setting("BIDIRECTIONAL", 1) == 1
        let repetitions = Self.setting("REPS", 20), warmup = Self.setting("WARMUP", 3)
        // The same lengths as the PyTorch side: given by the script, comma-separated.
        let lengths = (environment["LENGTHS"] ?? "").split(separator: ",").compactMap { Int($0) }
        #expect(lengths.count == batch, "LENGTHS must list \(batch) lengths")
        guard lengths.count == batch, let steps = lengths.max() else { return }

        var generator = SeededGenerator(seed: 1)
        let x = SequenceBatch(values: Matrix<Float>.normal(rows: steps * batch, columns: input, using: &generator),
                              lengths: lengths, steps: steps)
        let module: any SequenceModule<Float> = bidirectional
            ? Bidirectional<Float>(.lstm, inputSize: input, hiddenSize: hidden, seed: 2)
            : RecurrentLayer<Float>(.lstm, inputSize: input, hiddenSize: hidden, seed: 2)
        let r = Matrix<Float>.normal(rows: steps * batch, columns: module.outputSize, using: &generator)

        var times: [Double] = []
        for repetition in 0..<(warmup + repetitions) {
            let start = ContinuousClock.now
            module.zeroGradients()
            let trace = module.forward(x, initialState: nil, training: true)
            _ = module.backward(trace, outputGradient: r, finalStateGradient: nil)
            let elapsed = ContinuousClock.now - start
            if repetition >= warmup {
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
        }
        times.sort()
        let median = times[times.count / 2]
        let tokens = lengths.reduce(0, +)
        let line = """
        {"system": "wordpipe", "threads": \(BLAS.threads), "blas": "OpenBLAS \(BLAS.coreName)", "batch": \(batch), \
        "input": \(input), "hidden": \(hidden), "bidirectional": \(bidirectional), "steps": \(steps), "tokens": \(tokens), \
        "median_s": \(median), "min_s": \(times[0]), "tokens_per_s": \(Double(tokens) / median)}

        """
        try Self.append(line)
    }

    /// Appends `line` to the output file.
    private static func append(_ line: String) throws {
        let path = try #require(Self.output)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        } else {
            try Data(line.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    /// How one variant of `threadsAndPadding` runs a batch.
    enum ThreadMode: String {
        /// The whole batch, OpenBLAS with 1 thread.
        case blas1
        /// The whole batch, OpenBLAS with 2 threads.
        case blas2
        /// Two workers, each with its own copy of the module and half of the batch, on their own
        /// threads, OpenBLAS with 1 thread; the two gradient sets are summed at the end.
        case split2
    }

    /// Sets whether the layers of `module` (a layer or a bidirectional pair) skip the padding of sorted batches.
    private static func setSkipsPadding(_ module: any SequenceModule<Float>, _ skips: Bool) {
        if let layer = module as? RecurrentLayer<Float> {
            layer.skipsPaddingOfSortedBatches = skips
        } else if let pair = module as? Bidirectional<Float> {
            pair.forwardLayer.skipsPaddingOfSortedBatches = skips
            pair.backwardLayer.skipsPaddingOfSortedBatches = skips
        }
    }

    /// Sequences `indices` of a time-major batch, as a batch of their own (steps: their longest).
    private static func subBatch(_ x: SequenceBatch<Float>, _ indices: [Int]) -> SequenceBatch<Float> {
        let lengths = indices.map { x.lengths[$0] }
        let steps = lengths.max() ?? 0, batch = x.batchSize, half = indices.count, features = x.features
        var values = Matrix<Float>(rows: steps * half, columns: features)
        x.values.storage.withUnsafeBufferPointer { source in
            values.storage.withUnsafeMutableBufferPointer { target in
                for t in 0..<steps {
                    for (b, index) in indices.enumerated() where t < lengths[b] {
                        (target.baseAddress! + (t * half + b) * features)
                            .update(from: source.baseAddress! + (t * batch + index) * features, count: features)
                    }
                }
            }
        }
        return SequenceBatch(values: values, lengths: lengths, steps: steps)
    }

    /// The issue's threads question and the padded-steps gain, side by side in one process: forward +
    /// backward of one batch under each variant `mode:path` of `VARIANTS` (mode: `ThreadMode`; path:
    /// `skip`, the sorted-batch path, or `general`, forced masking), each timed `REPS` times after
    /// `WARMUP` untimed runs, in `ROUNDS` rounds over the variants (a pause between variants lets
    /// OpenBLAS's idle threads stop spinning). `SORT=1` sorts the lengths longest first.
    @Test("threads (BLAS threads vs batch-parallel workers) and padded steps", .enabled(if: output != nil))
    func threadsAndPadding() throws {
        let environment = ProcessInfo.processInfo.environment
        let input = Self.setting("INPUT", 100), hidden = Self.setting("HIDDEN", 128)
        let bidirectional = Self.setting("BIDIRECTIONAL", 1) == 1
        let repetitions = Self.setting("REPS", 20), warmup = Self.setting("WARMUP", 3), rounds = Self.setting("ROUNDS", 2)
        let sorted = Self.setting("SORT", 0) == 1
        var lengths = (environment["LENGTHS"] ?? "").split(separator: ",").compactMap { Int($0) }
        if sorted { lengths.sort(by: >) }
        let variants = (environment["VARIANTS"] ?? "blas1:skip,blas2:skip,split2:skip").split(separator: ",").map { token in
            let parts = token.split(separator: ":")
            return (mode: ThreadMode(rawValue: String(parts[0])), skips: parts.count < 2 || parts[1] == "skip", name: String(token))
        }
        #expect(!lengths.isEmpty && variants.allSatisfy { $0.mode != nil }, "LENGTHS and VARIANTS (blas1|blas2|split2[:skip|general])")
        guard let steps = lengths.max(), lengths.count >= 2 else { return }
        let batch = lengths.count

        var generator = SeededGenerator(seed: 1)
        let x = SequenceBatch(values: Matrix<Float>.normal(rows: steps * batch, columns: input, using: &generator),
                              lengths: lengths, steps: steps)
        func makeModule() -> any SequenceModule<Float> {
            bidirectional ? Bidirectional<Float>(.lstm, inputSize: input, hiddenSize: hidden, seed: 2)
                          : RecurrentLayer<Float>(.lstm, inputSize: input, hiddenSize: hidden, seed: 2)
        }
        let module = makeModule()
        let workers = [makeModule(), makeModule()]
        let r = Matrix<Float>.normal(rows: steps * batch, columns: module.outputSize, using: &generator)
        // The halves: alternate sequences, so each half of a sorted batch is sorted and both carry
        // about the same number of tokens.
        let halves = [Array(stride(from: 0, to: batch, by: 2)), Array(stride(from: 1, to: batch, by: 2))]
        let halfGradients = halves.map { Self.subBatch(SequenceBatch(values: r, lengths: lengths, steps: steps), $0).values }

        var samples = [String: [Double]]()
        for _ in 0..<rounds {
            for variant in variants {
                guard let mode = variant.mode else { continue }
                Self.setSkipsPadding(module, variant.skips)
                for worker in workers { Self.setSkipsPadding(worker, variant.skips) }
                BLAS.setThreads(mode == .blas2 ? 2 : 1)
                for repetition in 0..<(warmup + repetitions) {
                    let start = ContinuousClock.now
                    module.zeroGradients()
                    switch mode {
                    case .blas1, .blas2:
                        let trace = module.forward(x, initialState: nil, training: true)
                        _ = module.backward(trace, outputGradient: r, finalStateGradient: nil)
                    case .split2:
                        // The workers get the module's weights (copy-on-write: no copy is made, as in a
                        // trainer that hands the weights over after each optimizer step).
                        for worker in workers {
                            for (copy, original) in zip(worker.parameters, module.parameters) { copy.value = original.value }
                        }
                        // Each worker's module, gradients and trace are its own; OpenBLAS (pthreads build,
                        // one thread) may be called from both at once (see BLAS in RecurrentScalar.swift).
                        nonisolated(unsafe) let own = workers
                        DispatchQueue.concurrentPerform(iterations: 2) { w in
                            let worker = own[w]
                            worker.zeroGradients()
                            let part = Self.subBatch(x, halves[w])
                            let trace = worker.forward(part, initialState: nil, training: true)
                            _ = worker.backward(trace, outputGradient: halfGradients[w], finalStateGradient: nil)
                        }
                        // The two gradient sets, summed into the module's.
                        for (index, parameter) in module.parameters.enumerated() {
                            parameter.gradient.add(workers[0].parameters[index].gradient)
                            parameter.gradient.add(workers[1].parameters[index].gradient)
                        }
                    }
                    let elapsed = ContinuousClock.now - start
                    if repetition >= warmup {
                        samples[variant.name, default: []].append(Double(elapsed.components.seconds)
                                                                  + Double(elapsed.components.attoseconds) * 1e-18)
                    }
                }
                Thread.sleep(forTimeInterval: 0.3)
            }
        }
        BLAS.setThreads(1)

        let tokens = lengths.reduce(0, +)
        let halfTokens = halves.map { $0.reduce(0) { $0 + lengths[$1] } }
        for variant in variants {
            guard let mode = variant.mode, var times = samples[variant.name], !times.isEmpty else { continue }
            times.sort()
            let median = times[times.count / 2]
            let line = """
            {"system": "wordpipe", "variant": "\(variant.name)", "mode": "\(mode.rawValue)", \
            "blas_threads": \(mode == .blas2 ? 2 : 1), "workers": \(mode == .split2 ? 2 : 1), \
            "path": "\(variant.skips ? "skip" : "general")", "sorted": \(sorted), "blas": "OpenBLAS \(BLAS.coreName)", \
            "batch": \(batch), "input": \(input), "hidden": \(hidden), "bidirectional": \(bidirectional), "steps": \(steps), \
            "tokens": \(tokens), "half_tokens": \(halfTokens), "samples": \(times.count), \
            "median_s": \(median), "min_s": \(times[0]), "tokens_per_s": \(Double(tokens) / median)}

            """
            try Self.append(line)
        }
    }
}
