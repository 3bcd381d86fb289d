import Corpora
import Foundation
import Testing
import TestSupport
@testable import Models
@testable import Recurrent

/// The optimizer step, clipping and inference split over threads: each must give what one thread
/// gives, bit for bit.
@Suite struct ParallelStepTests {
    /// Parameters of mixed shapes (a sparse embedding table, dense matrices large and tiny, a
    /// frozen one), the same values each time.
    static func parameters() -> [Parameter<Float>] {
        var generator = SeededGenerator(seed: 3)
        let shapes = [(37, 19), (1, 1), (5, 3), (64, 40), (1, 7)]
        var result = [Parameter(sparseName: "embedding", value: Matrix<Float>.normal(rows: 50, columns: 6, using: &generator))]
        result += shapes.enumerated().map { index, shape in
            Parameter(name: "dense\(index)", value: Matrix<Float>.normal(rows: shape.0, columns: shape.1, using: &generator))
        }
        result.append(Parameter(name: "frozen", value: Matrix<Float>.normal(rows: 4, columns: 4, using: &generator), isTrainable: false))
        return result
    }

    /// Gradients for `step`, the same for every copy: dense ones everywhere, sparse rows for a
    /// changing set of ids (repeated ids summed), scaled so that clipping at 1 is active.
    static func setGradients(_ parameters: [Parameter<Float>], step: Int) {
        var generator = SeededGenerator(seed: UInt64(100 + step))
        for parameter in parameters {
            if parameter.isSparse {
                var sparse = SparseRowGradient<Float>(columns: parameter.value.columns)
                for _ in 0..<(8 + step) {
                    let row = Matrix<Float>.normal(rows: 1, columns: parameter.value.columns, standardDeviation: 3, using: &generator)
                    row.storage.withUnsafeBufferPointer { sparse.add($0.baseAddress!, to: Int32(generator.nextIndex(below: 50))) }
                }
                parameter.sparseGradient = sparse
            } else {
                parameter.gradient = Matrix<Float>.normal(rows: parameter.value.rows, columns: parameter.value.columns,
                                                          standardDeviation: 3, using: &generator)
            }
        }
    }

    /// Three clipped steps of `optimizer` on `workers` threads (every size split: no threshold);
    /// the weights and the norms before clipping.
    static func train(_ optimizer: any Optimizer<Float>, workers: Int) -> (weights: [[UInt32]], norms: [UInt64]) {
        let parameters = Self.parameters()
        var norms: [UInt64] = []
        for step in 0..<3 {
            setGradients(parameters, step: step)
            norms.append(clipGradients(parameters, maxNorm: 1, workers: workers, minimumElements: 0).bitPattern)
            optimizer.step(parameters, workers: workers, minimumElements: 0)
        }
        return (parameters.map { $0.value.storage.map(\.bitPattern) }, norms)
    }

    @Test("Adam, SGD with momentum and AdaGrad on 2 and 3 threads: bit-identical weights and clipping norms to 1 thread",
          arguments: ["adam", "sgd", "adagrad"])
    func optimizerStep(kind: String) {
        let make: () -> any Optimizer<Float> = {
            switch kind {
            case "adam": Adam<Float>(learningRate: 0.01)
            case "sgd": SGD<Float>(learningRate: 0.05, momentum: 0.9)
            default: AdaGrad<Float>(learningRate: 0.05)
            }
        }
        let serial = Self.train(make(), workers: 1)
        // The steps changed the weights, and clipping was active (norms above 1).
        #expect(serial.weights != Self.parameters().map { $0.value.storage.map(\.bitPattern) })
        #expect(serial.norms.allSatisfy { Double(bitPattern: $0) > 1 })
        for workers in [2, 3] {
            let parallel = Self.train(make(), workers: workers)
            #expect(parallel.weights == serial.weights, "\(kind), \(workers) workers")
            #expect(parallel.norms == serial.norms, "\(kind), \(workers) workers")
        }
    }

    @Test("the plan covers every element once, cutting sparse gradients only between rows", arguments: [1, 2, 3, 5])
    func plan(workers: Int) {
        let parameters = Self.parameters().filter(\.isTrainable)
        Self.setGradients(parameters, step: 0)
        let states = parameters.map { OptimizerState($0, count: 0) }
        withUpdateSites(Array(zip(parameters, states))[...], []) { sites in
            let plan = updatePlan(sites, workers: workers)
            #expect(plan.count == workers)
            for (index, site) in sites.enumerated() {
                let pieces = plan.flatMap { $0.filter { $0.site == index }.map(\.units) }.sorted { $0.lowerBound < $1.lowerBound }
                #expect(pieces.first?.lowerBound == 0 && pieces.last?.upperBound == site.units, "site \(index)")
                for (a, b) in zip(pieces, pieces.dropFirst()) { #expect(a.upperBound == b.lowerBound, "site \(index)") }
            }
            let sizes = plan.map { $0.reduce(0) { $0 + ($1.units.count * (sites[$1.site].ids == nil ? 1 : sites[$1.site].columns)) } }
            // About equal shares: within one sparse row of the even split.
            let total = sites.reduce(0) { $0 + $1.elements }
            for size in sizes { #expect(abs(size - total / workers) <= 6 + workers, "\(sizes)") }
        }
    }

    @Test("tagging and classifying on 2 and 3 threads give the predictions of 1 thread")
    func parallelInference() throws {
        let train = try Synthetic.file(Synthetic.conll(count: 40, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 30, seed: 2), name: "dev.txt")
        var configuration = TaggerConfiguration()
        configuration.crf = true
        configuration.charFeatures = .lstm
        configuration.encoder = Synthetic.settings(epochs: 2)
        let tagger = try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration,
                                            threads: 1, log: { _ in }).tagger
        let sentences = try TaggerTraining.read(dev, configuration: configuration).sentences.map(\.tokens) + [[]]
        let serial = tagger.tag(sentences, batchSize: 4)
        #expect(Set(serial.joined()).count > 1, "the tagger predicts more than one tag")
        for threads in [2, 3] { #expect(tagger.tag(sentences, batchSize: 4, threads: threads) == serial, "\(threads) threads") }
        // The replicas are gone: the tagger's weights have one owner again.
        #expect(tagger.allParameters.allSatisfy { Self.ownsWeights($0) })

        let classifierTrain = try Synthetic.file(ClassifierLearningTests.tsv(count: 60, seed: 1), name: "train.tsv")
        let classifierDev = try Synthetic.file(ClassifierLearningTests.tsv(count: 40, seed: 2), name: "dev.tsv")
        var classifierConfiguration = ClassifierConfiguration()
        classifierConfiguration.encoder = Synthetic.settings(epochs: 2)
        let classifier = try TrainingLoop.train(Classifier.self, trainPath: classifierTrain, devPath: classifierDev, vectorsPath: nil,
                                                    configuration: classifierConfiguration, threads: 1, log: { _ in }).classifier
        let file = try ClassificationFile.read(path: classifierDev, format: classifierConfiguration.format)
        let texts = try ClassifierTraining.tokenize(file.examples.map(\.text), with: try classifier.makeTokenizer()) + [[]]
        let labels = classifier.classify(texts, batchSize: 4)
        for threads in [2, 3] { #expect(classifier.classify(texts, batchSize: 4, threads: threads) == labels, "\(threads) threads") }
    }

    /// Whether a parameter's weights have no other owner (a replica's leftover reference would
    /// make the next optimizer step copy them).
    static func ownsWeights(_ parameter: Parameter<Float>) -> Bool {
        let before = parameter.value.storage.withUnsafeBufferPointer { $0.baseAddress }
        return parameter.value.storage.withUnsafeMutableBufferPointer { UnsafePointer($0.baseAddress) } == before
    }

    /// What the trainers gave at `threads: 2` before the optimizer step, clipping and dev
    /// evaluation were split over the threads (commit 8c889c1), on OpenBLAS's Cooperlake kernels.
    static let recordedTwoThreads: [(log: [String], weights: UInt64)] = [
        (["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
          "epoch 1/2 loss 1.296262 dev_f1 0.000000", "epoch 2/2 loss 0.937964 dev_f1 0.378378"], 0x1ca0_ccec_ae8a_a38c),
        (["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
          "epoch 1/2 loss 7.531285 dev_f1 0.080000", "epoch 2/2 loss 4.475351 dev_f1 0.523810"], 0xbaea_bf42_62c1_fec8),
        (["data: 60 training texts, 20 dev texts, 2 labels; 18 words",
          "epoch 1/2 loss 0.639665 dev_accuracy 0.500000", "epoch 2/2 loss 0.426411 dev_accuracy 0.900000"], 0xcd7b_8e59_0bde_37d6),
    ]

    @Test("training at 2 threads is what it was before the step and dev evaluation were split",
          .enabled(if: BLAS.coreName == BatchParallelTrainingTests.recordedCore, "the recorded weights come from OpenBLAS's Cooperlake kernels"))
    func twoThreadsUnchanged() throws {
        BatchParallelTrainingTests.expectRecorded(try BatchParallelTrainingTests.trainBoth(threads: 2, characters: .lstm), Self.recordedTwoThreads)
    }
}
