import Foundation
import Recurrent
import Testing
import TestSupport
import WordPipeSupport

@Suite("Schedules and parameter files")
struct PersistenceTests {
    @Test("constant and linear-decay schedules")
    func schedules() {
        #expect(LearningRateSchedule.constant.rate(base: 0.1, step: 500) == 0.1)
        let decay = LearningRateSchedule.linearDecay(totalSteps: 100, finalFraction: 1e-4)
        #expect(decay.rate(base: 0.025, step: 0) == 0.025)
        #expect(abs(decay.rate(base: 0.025, step: 50) - 0.025 * (1 - 0.9999 / 2)) < 1e-15)
        #expect(abs(decay.rate(base: 0.025, step: 100) - 0.025e-4) < 1e-15)
        #expect(decay.rate(base: 0.025, step: 1000) == decay.rate(base: 0.025, step: 100))
    }

    @Test("reduce-on-plateau lowers the rate after `patience` observations without improvement")
    func plateau() {
        var plateau = ReduceOnPlateau(factor: 0.5, patience: 2, minimum: 0.3)
        var rate = 1.0
        for loss in [5.0, 4.0, 4.0, 4.0] { rate = plateau.observe(loss, learningRate: rate) }
        #expect(rate == 1.0)  // two bad observations are tolerated
        rate = plateau.observe(4.0, learningRate: rate)
        #expect(rate == 0.5)
        rate = plateau.observe(3.0, learningRate: rate)  // an improvement resets the count
        for _ in 0..<6 { rate = plateau.observe(3.0, learningRate: rate) }
        #expect(rate == 0.3)  // 0.25 is below the minimum
    }

    @Test("parameters round-trip through a file, also across precisions")
    func roundTrip() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.wprnn").path
        let model = RecurrentStack<Bidirectional<Float>>(bidirectional: .gru, inputSize: 3, hiddenSize: 4, count: 2, seed: 1)
        try ParameterFile.write(model.parameters, to: path)
        let copy = RecurrentStack<Bidirectional<Float>>(bidirectional: .gru, inputSize: 3, hiddenSize: 4, count: 2, seed: 2)
        #expect(copy.parameters[0].value != model.parameters[0].value)
        try ParameterFile.read(into: copy.parameters, from: path)
        for (a, b) in zip(model.parameters, copy.parameters) { #expect(a.value == b.value) }
        let double = RecurrentStack<Bidirectional<Double>>(bidirectional: .gru, inputSize: 3, hiddenSize: 4, count: 2, seed: 3)
        try ParameterFile.read(into: double.parameters, from: path)
        for (a, b) in zip(model.parameters, double.parameters) { #expect(Matrix<Float>(b.value) == a.value) }
    }

    @Test("a truncated, foreign or mismatched file is rejected with its reason, and nothing is loaded")
    func rejects() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.wprnn").path
        let layer = RecurrentLayer<Float>(.lstm, inputSize: 2, hiddenSize: 3, seed: 1)
        try ParameterFile.write(layer.parameters, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

        func reason(_ data: Data, into parameters: [Parameter<Float>]) -> String {
            let damaged = directory.appendingPathComponent("damaged.wprnn").path
            do {
                try data.write(to: URL(fileURLWithPath: damaged))
                try ParameterFile.read(into: parameters, from: damaged)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let target = RecurrentLayer<Float>(.lstm, inputSize: 2, hiddenSize: 3, seed: 9)
        let before = target.parameters.map(\.value)
        #expect(reason(bytes.dropLast(5), into: target.parameters).contains("truncated"))
        #expect(reason(Data("not a model at all".utf8), into: target.parameters).contains("wrong magic number"))
        var future = bytes
        future[8] = 3
        #expect(reason(future, into: target.parameters).contains("format version 3"))
        // A byte after the last parameter, sealed with a matching checksum (a writer bug, not damage).
        var longer = bytes.dropLast(4) + Data([0])
        withUnsafeBytes(of: CRC32C.checksum(of: longer).littleEndian) { longer.append(contentsOf: $0) }
        #expect(reason(longer, into: target.parameters).contains("unexpected bytes"))
        #expect(reason(bytes + Data([0]), into: target.parameters).contains("damaged: the weights' CRC-32C"))
        let other = RecurrentLayer<Float>(.gru, inputSize: 2, hiddenSize: 3, seed: 1)
        #expect(reason(bytes, into: other.parameters).contains("where the model has 'rnn.weight_ih' of 9 × 2"))
        #expect(reason(bytes, into: Array(target.parameters.prefix(2))).contains("the file has 4 parameters, the model 2"))
        #expect(target.parameters.map(\.value) == before)
        #expect(reason(bytes, into: target.parameters) == "accepted")
    }
}
