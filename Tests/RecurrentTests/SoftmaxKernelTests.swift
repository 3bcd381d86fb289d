import Foundation
import Testing
@testable import Recurrent

/// The vectorized softmax cross-entropy (`SoftmaxCrossEntropy.summedLoss`, the language model's)
/// against the generic one, on wide rows with padding.
@Suite("Vectorized softmax cross-entropy")
struct SoftmaxKernelTests {
    @Test("summedLoss gives the generic kernel's loss and gradient", arguments: [1, 7, 8, 9, 10_000])
    func agrees(_ classes: Int) {
        var generator = SeededGenerator(seed: UInt64(classes))
        let rows = 6
        let logits = Matrix<Float>.normal(rows: rows, columns: classes, standardDeviation: 3, using: &generator)
        let targets: [Int32] = (0..<rows).map { $0 == 2 ? -1 : Int32(generator.nextIndex(below: classes)) }
        let reference = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
        var gradient = Matrix<Float>(rows: rows, columns: classes, repeating: 7)
        let sum = SoftmaxCrossEntropy.summedLoss(logits: logits, targets: targets, scale: 1 / Float(reference.count), gradient: &gradient)
        #expect(abs(sum / Double(reference.count) - reference.loss) < 1e-5 * max(1, reference.loss))
        for (a, b) in zip(gradient.storage, reference.gradient.storage) { #expect(abs(a - b) < 1e-6, "\(a) vs \(b)") }
        // The padding row is zeroed, whatever the buffer held.
        #expect(gradient.row(2).allSatisfy { $0 == 0 })
    }

    /// Label smoothing against its definition in Double: q = 1 − ε on the target, ε / (C − 2) on
    /// the others but padding (class 0), loss Σ q·(−log p), gradient scale·(p − q).
    @Test("label-smoothed loss and gradient follow the definition", arguments: [3, 9, 1_000])
    func smoothed(_ classes: Int) {
        var generator = SeededGenerator(seed: UInt64(classes) + 100)
        let rows = 5, epsilon: Float = 0.1, scale: Float = 0.5
        let logits = Matrix<Float>.normal(rows: rows, columns: classes, standardDeviation: 2, using: &generator)
        let targets: [Int32] = (0..<rows).map { $0 == 3 ? -1 : ($0 == 1 ? 0 : Int32(1 + generator.nextIndex(below: classes - 1))) }
        var gradient = Matrix<Float>(rows: rows, columns: classes, repeating: 7)
        let sum = SoftmaxCrossEntropy.summedLoss(logits: logits, targets: targets, scale: scale, gradient: &gradient,
                                                 smoothing: epsilon, ignore: 0)
        var expected = 0.0
        for r in 0..<rows {
            guard targets[r] >= 0 else {
                #expect(gradient.row(r).allSatisfy { $0 == 0 })
                continue
            }
            let x = (0..<classes).map { Double(logits[r, $0]) }
            let top = x.max()!
            let z = x.map { Foundation.exp($0 - top) }.reduce(0, +)
            for k in 0..<classes {
                let logP = x[k] - top - Foundation.log(z)
                let q = k == Int(targets[r]) ? 1 - Double(epsilon) : (k == 0 ? 0 : Double(epsilon) / Double(classes - 2))
                expected -= q * logP
                let g = Double(scale) * (Foundation.exp(logP) - q)
                #expect(abs(Double(gradient[r, k]) - g) < 1e-6, "row \(r) class \(k): \(gradient[r, k]) vs \(g)")
            }
        }
        #expect(abs(sum - expected) < 1e-4 * max(1, expected), "\(sum) vs \(expected)")
    }
}
