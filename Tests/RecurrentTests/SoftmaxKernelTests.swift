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
}
