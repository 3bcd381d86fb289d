import Corpora
import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// A text classifier: one label per text (sentiment, question type).
///
/// Embedding (from word vectors or random), a recurrent encoder, pooling over time (last state,
/// max or mean), then a linear layer and softmax. Texts are tokenized with the ICU tokenizer
/// (the vectors' segmentation rules, surface forms kept) before lookup.
public final class Classifier {
    /// The settings it was built with.
    public let configuration: ClassifierConfiguration
    /// The words it knows.
    public let words: WordTable
    /// The labels, by id.
    public let labels: [String]
    /// The tokenizer configuration that splits texts into tokens: the vectors' segmentation
    /// rules with surface forms kept (`Tagger.surfaceTokenizer`), one line per text.
    public let tokenizer: TokenizerConfiguration

    let encoder: WordEncoder
    let output: Linear<Float>

    init(configuration: ClassifierConfiguration, words: WordTable, initial: Matrix<Float>, labels: [String]) {
        self.configuration = configuration
        self.words = words
        self.labels = labels
        var tokenizer = Tagger.surfaceTokenizer(from: words.tokenizer)
        tokenizer.sentences = false
        self.tokenizer = tokenizer
        var generator = SeededGenerator(seed: configuration.encoder.seed)
        encoder = WordEncoder(initial: initial, settings: configuration.encoder, characterKind: .none, alphabetSize: 2, seed: generator.next())
        output = Linear(inputSize: encoder.outputSize, outputSize: labels.count, seed: generator.next(), name: "output")
    }

    /// The parameters the optimizer updates.
    var trainableParameters: [Parameter<Float>] { encoder.trainableParameters + output.parameters }
    /// Every parameter, in model-file order.
    var allParameters: [Parameter<Float>] { encoder.allParameters + output.parameters }

    /// Pools the encoder output to one row per text; returns the rows and, for max pooling, the
    /// time-major row each feature came from.
    func pool(_ states: SequenceBatch<Float>) -> (pooled: Matrix<Float>, sources: [Int32]) {
        let batch = states.batchSize, width = states.features
        var pooled = Matrix<Float>(rows: batch, columns: width)
        var sources = [Int32](repeating: -1, count: configuration.pooling == .max ? batch * width : 0)
        let half = encoder.bidirectional ? width / 2 : width
        for (b, length) in states.lengths.enumerated() where length > 0 {
            switch configuration.pooling {
            case .last:
                for j in 0..<width {
                    let t = j < half ? length - 1 : 0
                    pooled[b, j] = states.values[t * batch + b, j]
                }
            case .max:
                for j in 0..<width {
                    var best = states.values[b, j], source = b
                    for t in 1..<length where states.values[t * batch + b, j] > best {
                        best = states.values[t * batch + b, j]
                        source = t * batch + b
                    }
                    pooled[b, j] = best
                    sources[b * width + j] = Int32(source)
                }
            case .mean:
                for t in 0..<length { for j in 0..<width { pooled[b, j] += states.values[t * batch + b, j] } }
                for j in 0..<width { pooled[b, j] /= Float(length) }
            }
        }
        return (pooled, sources)
    }

    /// The gradient of the encoder output from that of the pooled rows.
    func unpool(_ dPooled: Matrix<Float>, states: SequenceBatch<Float>, sources: [Int32]) -> Matrix<Float> {
        let batch = states.batchSize, width = states.features
        var dStates = Matrix<Float>(rows: states.values.rows, columns: width)
        let half = encoder.bidirectional ? width / 2 : width
        for (b, length) in states.lengths.enumerated() where length > 0 {
            switch configuration.pooling {
            case .last:
                for j in 0..<width { dStates[(j < half ? length - 1 : 0) * batch + b, j] += dPooled[b, j] }
            case .max:
                for j in 0..<width { dStates[Int(sources[b * width + j]), j] += dPooled[b, j] }
            case .mean:
                let scale = 1 / Float(length)
                for t in 0..<length { for j in 0..<width { dStates[t * batch + b, j] += dPooled[b, j] * scale } }
            }
        }
        return dStates
    }

    /// Forward and backward over one labeled batch; returns the mean loss per text.
    func trainStep(ids: [[Int32]], targets: [Int32]) -> Double {
        let trace = encoder.forward(ids: ids, characters: nil, training: true)
        let (pooled, sources) = pool(trace.output)
        let logits = output.forward(pooled)
        let result = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
        let dPooled = output.backward(input: pooled, outputGradient: result.gradient)
        encoder.backward(trace, outputGradient: unpool(dPooled, states: trace.output, sources: sources))
        return result.loss
    }

    /// The predicted label id of each text of a batch.
    func predict(ids: [[Int32]]) -> [Int32] {
        let trace = encoder.forward(ids: ids, characters: nil, training: false)
        let logits = output.forward(pool(trace.output).pooled)
        return (0..<ids.count).map { argmax(logits.row($0)) }
    }

    /// Labels tokenized texts, in batches sorted by length. An empty text gets the label the
    /// model gives an empty encoding. With `threads` > 1, the batches are spread over that many
    /// replicas (`mapBatches`), with the same labels.
    public func classify(_ texts: [[String]], batchSize: Int = 64, threads: Int = 1) -> [String] {
        let lookup = words.lookup()
        var result = [String](repeating: "", count: texts.count)
        let order = texts.indices.sorted { texts[$0].count > texts[$1].count }
        let batches = inferenceBatches(of: order, size: batchSize)
        let inputs = batches.map { indices in indices.map { texts[$0].map(lookup) } }
        let predicted = mapBatches(inputs, tokens: inputs.map { $0.reduce(0) { $0 + $1.count } }, threads: threads) { $0.predict(ids: $1) }
        for (indices, batch) in zip(batches, predicted) {
            for (index, id) in zip(indices, batch) { result[index] = labels[Int(id)] }
        }
        return result
    }

    /// The output layer's scores (logits) for each text of a batch, one row per text.
    func logits(ids: [[Int32]]) -> [[Float]] {
        let trace = encoder.forward(ids: ids, characters: nil, training: false)
        let logits = output.forward(pool(trace.output).pooled)
        return (0..<ids.count).map { Array(logits.row($0)) }
    }

    /// The `k` most probable labels of each tokenized text (at most all labels), most probable
    /// first, with their probabilities: the softmax of the output layer's scores, as the network
    /// is trained (fastText's `predict-prob`). Labels with equal scores keep the model's label
    /// order, so the first is `classify`'s label. Batched and threaded as `classify`.
    public func topLabels(_ texts: [[String]], k: Int, batchSize: Int = 64, threads: Int = 1) -> [[LabelProbability]] {
        let lookup = words.lookup()
        let count = min(max(k, 1), labels.count)
        var result = [[LabelProbability]](repeating: [], count: texts.count)
        let order = texts.indices.sorted { texts[$0].count > texts[$1].count }
        let batches = inferenceBatches(of: order, size: batchSize)
        let inputs = batches.map { indices in indices.map { texts[$0].map(lookup) } }
        let scored = mapBatches(inputs, tokens: inputs.map { $0.reduce(0) { $0 + $1.count } }, threads: threads) { $0.logits(ids: $1) }
        for (indices, batch) in zip(batches, scored) {
            for (index, row) in zip(indices, batch) {
                let probabilities = Self.softmax(row)
                let ranked = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
                result[index] = ranked.prefix(count).map { LabelProbability(label: labels[$0], probability: probabilities[$0]) }
            }
        }
        return result
    }

    /// exp(x − max) / Σ exp(x − max), in Double.
    static func softmax(_ row: [Float]) -> [Double] {
        let largest = Double(row.max() ?? 0)
        let exps = row.map { Foundation.exp(Double($0) - largest) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// A tokenizer for texts given to this classifier (one per thread).
    public func makeTokenizer() throws -> Tokenizer { try Tokenizer(configuration: tokenizer) }
}

/// A label and the probability a classifier gives it.
public struct LabelProbability: Sendable, Equatable {
    /// The label.
    public var label: String
    /// Its probability (softmax of the output layer).
    public var probability: Double

    /// Creates a pair.
    public init(label: String, probability: Double) {
        self.label = label
        self.probability = probability
    }
}

extension Classifier: TrainableModel {
    /// The training examples encoded: word ids and label ids, one each per text.
    struct Encoded {
        var ids: [[Int32]]
        var targets: [Int32]
    }

    public static var typeName: String { "classifier" }

    static func settings(of configuration: ClassifierConfiguration) -> EncoderSettings { configuration.encoder }

    /// The classifier's header section: its configuration.
    struct Section: Codable, Sendable {
        var configuration: ClassifierConfiguration
    }

    static func configuration(of section: Section) -> Configuration { section.configuration }

    var section: Section { Section(configuration: configuration) }

    static var applyCommand: String { "wordpipe classify" }

    static func describe(section: Section) -> [ArtifactDescription.Field] {
        [.init("pooling", .text(section.configuration.pooling.rawValue))]
    }

    static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> Classifier {
        Classifier(configuration: header.task.fields.configuration, words: header.wordTable(), initial: initial, labels: header.labels)
    }

    static func readTraining(trainPath: String, devPath: String, configuration: ClassifierConfiguration) throws -> (train: ClassificationFile, dev: ClassificationFile) {
        let train = try ClassificationFile.read(path: trainPath, format: configuration.format)
        let dev = try ClassificationFile.read(path: devPath, format: configuration.format)
        guard !train.examples.isEmpty else { throw ModelError.badData(location: nil, message: "\(trainPath): no examples") }
        guard !dev.examples.isEmpty else { throw ModelError.badData(location: nil, message: "\(devPath): no examples") }
        return (train, dev)
    }

    /// The texts tokenized as the model will tokenize them: the vectors' segmentation rules,
    /// surface forms kept, one line per text.
    static func taskData(train: ClassificationFile, dev: ClassificationFile, vectors: WordVectors?,
                         configuration: ClassifierConfiguration) throws -> TaskData<String> {
        var surface = Tagger.surfaceTokenizer(from: vectors?.vocabulary.tokenizer)
        surface.sentences = false
        let tokenizer = try Tokenizer(configuration: surface)
        let gold = train.examples.map(\.label)
        return TaskData(tokens: try ClassifierTraining.tokenize(train.examples.map(\.text), with: tokenizer), gold: gold,
                        labels: Set(gold).sorted(),
                        devTokens: try ClassifierTraining.tokenize(dev.examples.map(\.text), with: tokenizer),
                        devGold: dev.examples.map(\.label))
    }

    static func make(configuration: ClassifierConfiguration, words: WordTable, initial: Matrix<Float>, data: TaskData<String>,
                     vectors: WordVectors?) -> Classifier {
        Classifier(configuration: configuration, words: words, initial: initial, labels: data.labels)
    }

    /// Tokenizes the texts with the model's tokenizer.
    func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [String]) {
        let file = try ClassificationFile.read(path: path, format: configuration.format)
        let known = Set(labels)
        for example in file.examples where !known.contains(example.label) {
            throw ModelError.badData(location: SourceLocation(path: path, line: example.line),
                                     message: "label '\(example.label)' is not one of the model's \(labels.count) labels")
        }
        return (try ClassifierTraining.tokenize(file.examples.map(\.text), with: try makeTokenizer()), file.examples.map(\.label))
    }

    func dataLine(_ data: TaskData<String>) -> String {
        "data: \(data.tokens.count) training texts, \(data.devTokens.count) dev texts, \(labels.count) labels; \(words.count) words"
    }

    func encode(_ data: TaskData<String>, ids: [[Int32]]) -> Encoded {
        let labelIDs = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return Encoded(ids: ids, targets: data.gold.map { labelIDs[$0] ?? 0 })
    }

    func lossAndGradients(_ batch: [Int], of encoded: Encoded) -> Double {
        trainStep(ids: batch.map { encoded.ids[$0] }, targets: batch.map { encoded.targets[$0] })
    }

    /// The loss is a mean over texts.
    func lossUnits(lengths: [Int]) -> Int { lengths.count }

    func predict(_ inputs: [[String]], threads: Int) -> [String] { classify(inputs, threads: threads) }

    func score(gold: [String], predicted: [String]) -> ClassificationMetrics { ClassificationMetrics(gold: gold, predicted: predicted) }

    var metricName: String { "accuracy" }
}

extension ClassificationMetrics {
    /// A plain-text report: accuracy, macro-F1, per-class precision/recall/F1 and the confusion
    /// matrix (rows gold, columns predicted).
    public func report() -> String {
        var text = String(format: "accuracy %.4f  macro-F1 %.4f  (%d texts)\n", accuracy, macroF1, confusion.joined().reduce(0, +))
        let width = max(8, (labels.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
        text += pad("label") + "precision  recall     f1         support\n"
        for label in labels {
            let score = perClass[label] ?? PRF(precision: 0, recall: 0, f1: 0, support: 0, predicted: 0, correct: 0)
            text += pad(label) + String(format: "%-10.4f %-10.4f %-10.4f %d\n", score.precision, score.recall, score.f1, score.support)
        }
        text += "confusion (rows: gold, columns: predicted)\n" + pad("") + labels.map(pad).joined() + "\n"
        for (label, row) in zip(labels, confusion) { text += pad(label) + row.map { pad(String($0)) }.joined() + "\n" }
        return text
    }
}

extension Classifier {
    /// Saves the classifier (with `record`) to `path`, atomically; the header keeps the vectors'
    /// tokenizer configuration (lookup keys), from which the text tokenizer is derived.
    public func save(to path: String, record: TrainingRecord?) throws { try saveModel(to: path, record: record) }

    /// Loads a classifier; refuses other files with the reason.
    public static func load(from path: String) throws -> (classifier: Classifier, record: TrainingRecord?) { try loadModel(from: path) }
}
