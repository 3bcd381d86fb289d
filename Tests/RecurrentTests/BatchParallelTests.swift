import Foundation
import Recurrent
import Testing

/// What the benchmark's batch-parallel mode relies on: two copies of a module, each running half of
/// a batch on its own thread with OpenBLAS at one thread, give the whole batch's gradients once
/// their gradients are summed, and concurrent BLAS calls do not disturb each other.
@Suite("Batch-parallel workers")
struct BatchParallelTests {
    /// Sequences `indices` of `batch`'s time-major `matrix`, as a time-major matrix of their own.
    private static func rows(of matrix: Matrix<Float>, batch: Int, steps: Int, _ indices: [Int]) -> Matrix<Float> {
        var result = Matrix<Float>(rows: steps * indices.count, columns: matrix.columns)
        for t in 0..<steps {
            for (b, index) in indices.enumerated() {
                for j in 0..<matrix.columns { result[t * indices.count + b, j] = matrix[t * batch + index, j] }
            }
        }
        return result
    }

    @Test("two halves on two threads, gradients summed: the whole batch's gradients")
    func halvesOnTwoThreads() {
        let lengths = [12, 11, 9, 9, 7, 4, 3, 1], steps = 12, batch = lengths.count
        var generator = SeededGenerator(seed: 3)
        let x = Matrix<Float>.normal(rows: steps * batch, columns: 6, using: &generator)
        let r = Matrix<Float>.normal(rows: steps * batch, columns: 16, using: &generator)
        let whole = Bidirectional<Float>(.lstm, inputSize: 6, hiddenSize: 8, seed: 4)
        let trace = whole.forward(SequenceBatch(values: x, lengths: lengths, steps: steps), initialState: nil, training: true)
        _ = whole.backward(trace, outputGradient: r, finalStateGradient: nil)

        let halves = [[0, 2, 4, 6], [1, 3, 5, 7]]
        let previousThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previousThreads) }
        for _ in 0..<20 {
            nonisolated(unsafe) let workers = [Bidirectional<Float>(.lstm, inputSize: 6, hiddenSize: 8, seed: 4),
                                               Bidirectional<Float>(.lstm, inputSize: 6, hiddenSize: 8, seed: 4)]
            DispatchQueue.concurrentPerform(iterations: 2) { w in
                let part = halves[w], partLengths = part.map { lengths[$0] }
                let input = SequenceBatch(values: Self.rows(of: x, batch: batch, steps: steps, part), lengths: partLengths, steps: steps)
                let trace = workers[w].forward(input, initialState: nil, training: true)
                _ = workers[w].backward(trace, outputGradient: Self.rows(of: r, batch: batch, steps: steps, part), finalStateGradient: nil)
            }
            for (index, parameter) in whole.parameters.enumerated() {
                var sum = workers[0].parameters[index].gradient
                sum.add(workers[1].parameters[index].gradient)
                let scale = max(parameter.gradient.storage.map { abs($0) }.max() ?? 0, 1)
                let worst = zip(sum.storage, parameter.gradient.storage).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * scale, "\(parameter.name): differs by \(worst)")
            }
        }
    }
}
