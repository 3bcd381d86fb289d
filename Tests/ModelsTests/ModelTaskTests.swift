import Corpora
import Embeddings
import Foundation
import Testing
import TestSupport
import WordPipeSupport
@testable import Models
@testable import Recurrent

/// A model type that is neither a tagger nor a classifier of the library, written only against
/// `TrainableModel`: the generic trainer trains it, at one thread and over batch-parallel
/// replicas, with nothing of the loop copied (issue 14: a new model type is its own file).
@Suite struct ModelTaskTests {
    /// A toy classifier that sees only a text's length: one linear layer over the feature
    /// `tokens / 5`, softmax over the labels. Its first parameter is a frozen embedding table,
    /// as the family's model files expect.
    final class LengthModel: TrainableModel {
        struct Configuration: Codable, Sendable, Equatable {
            var encoder = EncoderSettings()
        }

        struct Encoded {
            var lengths: [Int]
            var targets: [Int32]
        }

        let configuration: Configuration
        let words: WordTable
        let labels: [String]
        let embedding: Parameter<Float>
        let output: Linear<Float>

        init(configuration: Configuration, words: WordTable, initial: Matrix<Float>, labels: [String]) {
            self.configuration = configuration
            self.words = words
            self.labels = labels
            embedding = Parameter(name: "embedding", value: initial, isTrainable: false)
            output = Linear(inputSize: 1, outputSize: labels.count, seed: configuration.encoder.seed, name: "output")
        }

        var trainableParameters: [Parameter<Float>] { output.parameters }
        var allParameters: [Parameter<Float>] { [embedding] + output.parameters }

        func replica(seed: UInt64) -> LengthModel {
            LengthModel(configuration: configuration, words: words, initial: embedding.value, labels: labels)
        }
        /// It draws nothing at random in training.
        var generatorStates: [UInt64] {
            get { [] }
            set {}
        }

        static var typeName: String { "length" }
        static var applyCommand: String { "none" }
        static func settings(of configuration: Configuration) -> EncoderSettings { configuration.encoder }
        struct Section: Codable, Sendable { var configuration: Configuration }
        static func configuration(of section: Section) -> Configuration { section.configuration }

    var section: Section { Section(configuration: configuration) }
        static func describe(section: Section) -> [ArtifactDescription.Field] { [] }
        static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> LengthModel {
            LengthModel(configuration: header.task.fields.configuration, words: header.wordTable(), initial: initial, labels: header.labels)
        }

        static func readTraining(trainPath: String, devPath: String, configuration: Configuration) throws -> (train: ClassificationFile, dev: ClassificationFile) {
            (try ClassificationFile.read(path: trainPath, format: .tsv), try ClassificationFile.read(path: devPath, format: .tsv))
        }

        static func taskData(train: ClassificationFile, dev: ClassificationFile, vectors: WordVectors?,
                             configuration: Configuration) throws -> TaskData<String> {
            func split(_ file: ClassificationFile) -> [[String]] { file.examples.map { $0.text.split(separator: " ").map(String.init) } }
            return TaskData(tokens: split(train), gold: train.examples.map(\.label), labels: Set(train.examples.map(\.label)).sorted(),
                            devTokens: split(dev), devGold: dev.examples.map(\.label))
        }

        static func make(configuration: Configuration, words: WordTable, initial: Matrix<Float>, data: TaskData<String>,
                         vectors: WordVectors?) -> LengthModel {
            LengthModel(configuration: configuration, words: words, initial: initial, labels: data.labels)
        }

        func dataLine(_ data: TaskData<String>) -> String { "data: \(data.tokens.count) lengths" }

        func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [String]) {
            let file = try ClassificationFile.read(path: path, format: .tsv)
            return (file.examples.map { $0.text.split(separator: " ").map(String.init) }, file.examples.map(\.label))
        }

        func encode(_ data: TaskData<String>, ids: [[Int32]]) -> Encoded {
            Encoded(lengths: ids.map(\.count), targets: data.gold.map { Int32(labels.firstIndex(of: $0) ?? 0) })
        }

        static func features(_ lengths: [Int]) -> Matrix<Float> {
            var x = Matrix<Float>(rows: lengths.count, columns: 1)
            for (row, length) in lengths.enumerated() { x[row, 0] = Float(length) / 5 }
            return x
        }

        func lossAndGradients(_ batch: [Int], of encoded: Encoded) -> Double {
            let x = Self.features(batch.map { encoded.lengths[$0] })
            let result = SoftmaxCrossEntropy.evaluate(logits: output.forward(x), targets: batch.map { encoded.targets[$0] })
            _ = output.backward(input: x, outputGradient: result.gradient)
            return result.loss
        }

        func lossUnits(lengths: [Int]) -> Int { lengths.count }

        func predict(_ inputs: [[String]], threads: Int) -> [String] {
            let logits = output.forward(Self.features(inputs.map(\.count)))
            return inputs.indices.map { labels[Int(argmax(logits.row($0)))] }
        }

        func score(gold: [String], predicted: [String]) -> ClassificationMetrics { ClassificationMetrics(gold: gold, predicted: predicted) }

        var metricName: String { "accuracy" }
    }

    /// Texts of 1 to 8 words, labeled `short` (up to 4) or `long`.
    static func lengths(count: Int, offset: Int) -> String {
        (0..<count).map { index in
            let length = (index * 5 + offset) % 8 + 1
            return "\(length <= 4 ? "short" : "long")\t" + (0..<length).map { "w\(($0 + index) % 6)" }.joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }

    @Test("the generic trainer trains a model type of its own, at 1 and 2 threads", arguments: [1, 2])
    func newModelType(threads: Int) throws {
        let train = try Synthetic.file(Self.lengths(count: 80, offset: 0), name: "lengths-train.tsv")
        let dev = try Synthetic.file(Self.lengths(count: 24, offset: 3), name: "lengths-dev.tsv")
        var configuration = LengthModel.Configuration()
        configuration.encoder = Synthetic.settings(epochs: 60)
        configuration.encoder.lr = 0.1
        configuration.encoder.batch = 8
        var lines: [String] = []
        let result = try TrainingLoop.train(LengthModel.self, trainPath: train, devPath: dev, vectorsPath: nil,
                                            configuration: configuration, threads: threads, log: { lines.append($0) })
        #expect(lines.first == "data: 80 lengths")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("epoch ") && $0.contains(" dev_accuracy ") }, "\(lines)")
        #expect(result.dev.accuracy >= 0.9, "\(lines.suffix(3))")
        #expect(result.record.metric == "accuracy" && result.record.devScore == result.dev.accuracy)
        #expect(try result.model.evaluate(path: dev).metrics == result.dev)

        // Its model file: saved and loaded through its own section, with no change to ModelFile;
        // a build that does not list the type (here: every command) names it and a newer wordpipe.
        let path = try SharedData.temporaryDirectory().appendingPathComponent("length.wpm").path
        try result.model.saveModel(to: path, record: result.record)
        #expect(try ModelFile.task(of: path) == "length")
        let (loaded, record) = try LengthModel.loadModel(from: path)
        #expect(record == result.record && loaded.labels == result.model.labels)
        #expect(try loaded.evaluate(path: dev).metrics == result.dev)
        #expect(throws: ModelError.badModel(path: path, reason: "a model of task type 'length', which this wordpipe does not know (it reads tagger, classifier, language-model, seq2seq); a newer wordpipe may read it")) {
            try Tagger.load(from: path)
        }
    }
}
