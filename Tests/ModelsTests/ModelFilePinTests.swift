import Corpora
import Foundation
import Testing
import TestSupport
@testable import Models
@testable import Recurrent

/// The model files and predictions of small trainings, pinned before the task protocol and the
/// generic training loop replaced the two trainers (issue 14): a refactoring of the trainers
/// must leave every byte of a model file's parameter section (its weights) and every prediction
/// as it was, at 1 and at 2 threads. The header is not pinned: format version 3 changed its
/// layout (the tagged task section), not what it holds: the same model written in the
/// version-2 layout (`ModelFileVersionTests.legacyBytes`) is byte for byte the file recorded
/// before the change. The weights depend on OpenBLAS's kernels, so the figures are
/// pinned only on the kernels they were recorded on.
@Suite struct ModelFilePinTests {
    /// FNV-1a over bytes.
    static func fingerprint<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The record saved with the pinned files: the run's own with its timings zeroed (they
    /// differ from run to run).
    static func timeless(_ record: TrainingRecord) -> TrainingRecord {
        var record = record
        record.trainSeconds = 0
        record.totalSeconds = 0
        return record
    }

    /// Trains a CRF tagger with character features and a classifier at `threads`; returns, for
    /// each, its log (timings removed), the fingerprint of its model file and of its predictions on the
    /// dev data, and its dev and evaluation scores.
    static func pins(threads: Int) throws -> [String] {
        let directory = try SharedData.temporaryDirectory().path
        let train = try Synthetic.file(Synthetic.conll(count: 40, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 12, seed: 2), name: "dev.txt")
        var lines: [String] = []
        var configuration = TaggerConfiguration()
        configuration.crf = true
        configuration.charFeatures = .cnn
        configuration.encoder = Synthetic.settings(epochs: 2)
        let tagged = try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration,
                                            threads: threads, log: { lines.append(BatchParallelTrainingTests.withoutTimes($0)) })
        let taggerPath = directory + "/tagger-\(threads).model"
        try tagged.tagger.save(to: taggerPath, record: timeless(tagged.record))
        let sentences = try TaggerTraining.read(dev, configuration: configuration).sentences.map(\.tokens)
        let tags = tagged.tagger.tag(sentences, threads: threads).map { $0.joined(separator: " ") }.joined(separator: "\n")
        let taggerScore = try TaggerTraining.evaluate(tagged.tagger, path: dev)

        let classifierTrain = try Synthetic.file(ClassifierLearningTests.tsv(count: 60, seed: 1), name: "train.tsv")
        let classifierDev = try Synthetic.file(ClassifierLearningTests.tsv(count: 20, seed: 2), name: "dev.tsv")
        var classifierConfiguration = ClassifierConfiguration()
        classifierConfiguration.encoder = Synthetic.settings(epochs: 2)
        let classified = try TrainingLoop.train(Classifier.self, trainPath: classifierTrain, devPath: classifierDev, vectorsPath: nil,
                                                    configuration: classifierConfiguration, threads: threads,
                                                    log: { lines.append(BatchParallelTrainingTests.withoutTimes($0)) })
        let classifierPath = directory + "/classifier-\(threads).model"
        try classified.classifier.save(to: classifierPath, record: timeless(classified.record))
        let file = try ClassificationFile.read(path: classifierDev, format: classifierConfiguration.format)
        let texts = try ClassifierTraining.tokenize(file.examples.map(\.text), with: try classified.classifier.makeTokenizer())
        let labels = classified.classifier.classify(texts, threads: threads).joined(separator: "\n")
        let classifierScore = try ClassifierTraining.evaluate(classified.classifier, path: classifierDev)

        func hex(_ value: UInt64) -> String { String(value, radix: 16) }
        return lines + [
            "tagger parameters " + hex(fingerprint(try ModelFile.read(taggerPath).weights)),
            "tagger version-2 file " + hex(fingerprint(try ModelFileVersionTests.legacyBytes(of: taggerPath, version: 2))),
            "tagger tags " + hex(fingerprint(Array(tags.utf8))),
            String(format: "tagger dev %.6f test %.6f", tagged.dev.main, taggerScore.main),
            "classifier parameters " + hex(fingerprint(try ModelFile.read(classifierPath).weights)),
            "classifier version-2 file " + hex(fingerprint(try ModelFileVersionTests.legacyBytes(of: classifierPath, version: 2))),
            "classifier labels " + hex(fingerprint(Array(labels.utf8))),
            String(format: "classifier dev %.6f test %.6f", classified.dev.accuracy, classifierScore.accuracy),
        ]
    }

    /// Recorded at commit dbfcc51, before the change, on OpenBLAS's Cooperlake kernels; the
    /// parameter sections' fingerprints at e57a653 (model format version 2), whose whole files
    /// had the fingerprints recorded at dbfcc51 (1 thread: tagger 7b3b1d46454674a9, classifier
    /// 8a4ecb5f104a5d22; 2 threads: 9bc61934d602fae3, e96c05dbb9309137).
    static let recorded: [Int: [String]] = [
        1: ["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
            "epoch 1/2 loss 6.979787 dev_f1 0.344828", "epoch 2/2 loss 3.336514 dev_f1 0.750000",
            "data: 60 training texts, 20 dev texts, 2 labels; 18 words",
            "epoch 1/2 loss 0.640691 dev_accuracy 0.500000", "epoch 2/2 loss 0.453150 dev_accuracy 0.950000",
            "tagger parameters 35d57622f401f637", "tagger version-2 file 7b3b1d46454674a9", "tagger tags 430902267af14790", "tagger dev 0.750000 test 0.750000",
            "classifier parameters 28f75056a4a3a8a0", "classifier version-2 file 8a4ecb5f104a5d22", "classifier labels 36416ded3498aad", "classifier dev 0.950000 test 0.950000"],
        2: ["data: 40 training sentences, 12 dev sentences, 5 labels (IOB2 chunks, scored by entity F1); 25 words",
            "epoch 1/2 loss 7.047896 dev_f1 0.375000", "epoch 2/2 loss 3.509493 dev_f1 0.750000",
            "data: 60 training texts, 20 dev texts, 2 labels; 18 words",
            "epoch 1/2 loss 0.639665 dev_accuracy 0.500000", "epoch 2/2 loss 0.426411 dev_accuracy 0.900000",
            "tagger parameters 9fba3e47c2e20105", "tagger version-2 file 9bc61934d602fae3", "tagger tags 430902267af14790", "tagger dev 0.750000 test 0.750000",
            "classifier parameters 95a64fdaa1ece37b", "classifier version-2 file e96c05dbb9309137", "classifier labels 99af41cbc3610365", "classifier dev 0.900000 test 0.900000"],
    ]

    @Test("model files and predictions are what they were before the task protocol",
          .enabled(if: BLAS.coreName == BatchParallelTrainingTests.recordedCore, "the recorded figures come from OpenBLAS's Cooperlake kernels"),
          arguments: [1, 2])
    func pinned(threads: Int) throws {
        let actual = try Self.pins(threads: threads)
        #expect(actual == Self.recorded[threads], "\(actual)")
    }
}
