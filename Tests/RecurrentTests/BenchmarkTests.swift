import Foundation
import Recurrent
import Testing

/// The Swift side of `Benchmarks/recurrent/run.sh`: times forward + backward of one LSTM batch.
/// Enabled only when `WORDPIPE_RECURRENT_BENCH` names an output file (the script builds the
/// tests in release mode and sets it); it then appends one JSON line per configuration.
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
        let path = try #require(Self.output)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        } else {
            try Data(line.utf8).write(to: URL(fileURLWithPath: path))
        }
    }
}
