import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// The training corpus cut into parallel streams, as the shared loop sees it: example
/// `k · streams + s` is segment k (`bptt` steps) of stream s, and the loop takes the examples in
/// order, `streams` at a time (`TrainingPlan.inOrder`), so batch k is segment k of every stream.
/// Each stream's recurrent state is kept here between segments; a worker of batch-parallel
/// training reads and writes only the rows of its own streams.
final class LanguageModelStreams: @unchecked Sendable {
    /// Input ids of each example.
    let inputs: [[Int32]]
    /// Target ids of each example (the next token of each input).
    let targets: [[Int32]]
    /// Parallel streams.
    let streams: Int
    let hidden: Int
    let layers: Int
    let hasCellState: Bool
    /// Per layer, `streams × hidden`: `h`, then (LSTM) `c`.
    private let states: [UnsafeMutablePointer<Float>]

    init(inputs: [[Int32]], targets: [[Int32]], streams: Int, hidden: Int, layers: Int, hasCellState: Bool) {
        self.inputs = inputs
        self.targets = targets
        self.streams = streams
        self.hidden = hidden
        self.layers = layers
        self.hasCellState = hasCellState
        states = (0 ..< layers * (hasCellState ? 2 : 1)).map { _ in
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: streams * hidden)
            pointer.initialize(repeating: 0, count: streams * hidden)
            return pointer
        }
    }

    deinit { for pointer in states { pointer.deallocate() } }

    /// The state of `streams` (rows in that order); zeros at the first segment of an epoch.
    func state(of streamList: [Int], segment: Int) -> RecurrentState<Float> {
        func gather(_ pointer: UnsafeMutablePointer<Float>) -> Matrix<Float> {
            var matrix = Matrix<Float>(rows: streamList.count, columns: hidden)
            if segment > 0 {
                matrix.storage.withUnsafeMutableBufferPointer { out in
                    for (row, stream) in streamList.enumerated() {
                        (out.baseAddress! + row * hidden).update(from: pointer + stream * hidden, count: hidden)
                    }
                }
            }
            return matrix
        }
        let h = (0..<layers).map { gather(states[$0]) }
        let c = hasCellState ? (0..<layers).map { gather(states[layers + $0]) } : []
        return RecurrentState(h: h, c: c)
    }

    /// Every stream's state, as matrices `streams × hidden` named `streams.h.LAYER` (then
    /// `streams.c.LAYER` for LSTMs), for checkpoints.
    func snapshot() -> [Parameter<Float>] {
        states.enumerated().map { index, pointer in
            var matrix = Matrix<Float>(rows: streams, columns: hidden)
            matrix.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: pointer, count: streams * hidden) }
            let name = index < layers ? "streams.h.\(index)" : "streams.c.\(index - layers)"
            return Parameter(name: name, value: matrix)
        }
    }

    /// Sets every stream's state from `snapshot()`'s matrices (same order and shapes).
    func restore(_ values: [Matrix<Float>]) {
        for (pointer, matrix) in zip(states, values) where matrix.storage.count == streams * hidden {
            matrix.storage.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: streams * hidden) }
        }
    }

    /// Keeps the state after a segment for the next one.
    func store(_ state: RecurrentState<Float>, of streamList: [Int]) {
        func scatter(_ matrix: Matrix<Float>, _ pointer: UnsafeMutablePointer<Float>) {
            matrix.storage.withUnsafeBufferPointer { source in
                for (row, stream) in streamList.enumerated() {
                    (pointer + stream * hidden).update(from: source.baseAddress! + row * hidden, count: hidden)
                }
            }
        }
        for layer in 0..<layers {
            scatter(state.h[layer], states[layer])
            if hasCellState { scatter(state.c[layer], states[layers + layer]) }
        }
    }
}

extension LanguageModel: Replicable {
    var generatorStates: [UInt64] {
        get { [inputDropout.generator.state, recurrent.dropout.generator.state, outputDropout.generator.state] }
        set {
            guard newValue.count == 3 else { preconditionFailure("a language model has 3 generators, not \(newValue.count)") }
            inputDropout.generator = SeededGenerator(seed: newValue[0])
            recurrent.dropout.generator = SeededGenerator(seed: newValue[1])
            outputDropout.generator = SeededGenerator(seed: newValue[2])
        }
    }

    func replica(seed: UInt64) -> LanguageModel {
        var configuration = self.configuration
        configuration.encoder.seed = seed
        configuration.initScale = 0
        return LanguageModel(configuration: configuration, words: words, initial: embedding.value)
    }
}

/// A training or dev text of a language model, read but not yet split into tokens.
struct LanguageModelSource {
    var path: String
    var text: String
}

extension LanguageModel: TrainableModel {
    typealias Encoded = LanguageModelStreams

    public static var typeName: String { "language-model" }

    static func settings(of configuration: LanguageModelConfiguration) -> EncoderSettings { configuration.encoder }

    /// The language model's header section: its configuration.
    struct Section: Codable, Sendable {
        var configuration: LanguageModelConfiguration
    }

    static func configuration(of section: Section) -> LanguageModelConfiguration { section.configuration }

    var section: Section { Section(configuration: configuration) }

    static var applyCommand: String { "wordpipe generate or wordpipe perplexity" }

    static func describe(section: Section) -> [ArtifactDescription.Field] {
        [.init("unit", .text(section.configuration.unit.rawValue)), .init("bptt", .integer(section.configuration.bptt)),
         .init("tied", .flag(section.configuration.tied))]
    }

    static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> LanguageModel {
        var configuration = header.task.fields.configuration
        configuration.initScale = 0
        let model = LanguageModel(configuration: configuration, words: header.wordTable(), initial: initial)
        return model
    }

    /// The labels the output layer predicts: the words.
    public var labels: [String] { words.words }

    /// The training and dev texts; they are split into tokens by `taskData`, once the vectors
    /// (whose tokenizer configuration a `tokenize` model uses) are known.
    static func readTraining(trainPath: String, devPath: String, configuration: LanguageModelConfiguration) throws -> (train: LanguageModelSource, dev: LanguageModelSource) {
        (LanguageModelSource(path: trainPath, text: try LanguageModelText.readText(path: trainPath)),
         LanguageModelSource(path: devPath, text: try LanguageModelText.readText(path: devPath)))
    }

    /// The tokens of the training and dev texts, with the tokenizer a `tokenize` model gets
    /// from `vectors` (or the defaults); refuses texts too short for the streams.
    static func tokens(train trainSource: LanguageModelSource, dev devSource: LanguageModelSource, vectors: WordVectors?,
                       configuration: LanguageModelConfiguration) throws -> (train: [String], dev: [String]) {
        let tokenizer = configuration.tokenize
            ? try Tokenizer(configuration: LanguageModelText.tokenizer(from: vectors?.vocabulary.tokenizer)) : nil
        let train = try LanguageModelText.tokens(ofFile: trainSource.path, text: trainSource.text, unit: configuration.unit, tokenizer: tokenizer)
        let dev = try LanguageModelText.tokens(ofFile: devSource.path, text: devSource.text, unit: configuration.unit, tokenizer: tokenizer)
        let trainPath = trainSource.path, devPath = devSource.path
        let streams = configuration.encoder.batch
        guard train.count > streams else {
            throw ModelError.badData(location: SourceLocation(path: trainPath),
                                     message: "\(train.count) tokens are too few for \(streams) streams (batch); give more text or a smaller batch")
        }
        guard dev.count >= 2 else {
            throw ModelError.badData(location: SourceLocation(path: devPath), message: "\(dev.count) token: a dev text needs at least 2")
        }
        return (train, dev)
    }

    /// The streams cut into segments (example `k · streams + s`), each with its next tokens as
    /// gold; dev is one example, its whole text.
    static func taskData(train trainSource: LanguageModelSource, dev devSource: LanguageModelSource, vectors: WordVectors?,
                         configuration: LanguageModelConfiguration) throws -> TaskData<[String]> {
        if let vectors, configuration.tied, vectors.dim != configuration.encoder.hidden {
            throw ModelError.invalidOption(name: SettingKey(stringValue: "vectors"), value: "of dim \(vectors.dim)",
                                           expected: "vectors of the hidden size \(configuration.encoder.hidden) with tied embeddings")
        }
        let (train, dev) = try tokens(train: trainSource, dev: devSource, vectors: vectors, configuration: configuration)
        let streams = configuration.encoder.batch, bptt = configuration.bptt
        let length = (train.count - 1) / streams
        var tokens: [[String]] = [], gold: [[String]] = []
        var start = 0
        while start < length {
            let end = min(start + bptt, length)
            for s in 0..<streams {
                let base = s * length
                tokens.append(Array(train[base + start ..< base + end]))
                gold.append(Array(train[base + start + 1 ..< base + end + 1]))
            }
            start = end
        }
        return TaskData(tokens: tokens, gold: gold, labels: [], devTokens: [Array(dev.dropLast())], devGold: [Array(dev.dropFirst())])
    }

    static func make(configuration: LanguageModelConfiguration, words: WordTable, initial: Matrix<Float>, data: TaskData<[String]>,
                     vectors: WordVectors?) -> LanguageModel {
        // A `tokenize` model keeps the configuration its texts were split with, defaults included
        // (with vectors, theirs: the text rules derive from it as the classifier's do).
        let table = configuration.tokenize && words.tokenizer == nil
            ? WordTable(words: words.words, tokenizer: LanguageModelText.tokenizer(from: nil), fromVectors: words.fromVectors) : words
        return LanguageModel(configuration: configuration, words: table, initial: initial)
    }

    static func plan(of configuration: LanguageModelConfiguration) -> TrainingPlan {
        var plan = TrainingPlan()
        plan.inOrder = true
        plan.momentum = 0
        plan.rate = { _, _, epoch in configuration.learningRate(epoch: epoch) }
        return plan
    }

    func dataLine(_ data: TaskData<[String]>) -> String {
        let streams = configuration.encoder.batch
        let segments = data.tokens.count / max(streams, 1)
        let length = data.tokens.prefix(streams).isEmpty ? 0 : stride(from: 0, to: data.tokens.count, by: streams).reduce(0) { $0 + data.tokens[$1].count }
        return "data: \(length * streams) training \(configuration.unit == .word ? "words" : "characters") in \(streams) streams of \(length) (\(segments) segments of up to \(configuration.bptt) steps), \(data.devTokens.first?.count ?? 0) dev; \(words.count) \(configuration.unit == .word ? "words" : "characters") in the vocabulary"
    }

    /// A text file as one example: its tokens and, as gold, the token after each.
    func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [[String]]) {
        let tokens = try LanguageModelText.read(path: path, unit: configuration.unit, tokenizer: makeTokenizer())
        return ([Array(tokens.dropLast())], [Array(tokens.dropFirst())])
    }

    func encode(_ data: TaskData<[String]>, ids: [[Int32]]) -> LanguageModelStreams {
        LanguageModelStreams(inputs: ids, targets: data.gold.map { self.ids($0).ids }, streams: configuration.encoder.batch,
                             hidden: hidden, layers: layerCount, hasCellState: configuration.encoder.cell.hasCellState)
    }

    /// One segment of some streams (the examples of `batch`, all of one segment), from and to
    /// their carried states.
    func lossAndGradients(_ batch: [Int], of encoded: LanguageModelStreams) -> Double {
        guard let first = batch.first else { return 0 }
        let segmentIndex = first / encoded.streams
        let streamList = batch.map { $0 % encoded.streams }
        let state = encoded.state(of: streamList, segment: segmentIndex)
        let result = segment(inputs: batch.map { encoded.inputs[$0] }, targets: batch.map { encoded.targets[$0] },
                             initialState: state, training: true, backward: true)
        encoded.store(result.finalState, of: streamList)
        return result.meanLoss
    }

    /// The loss is a mean over streams (summed over time).
    func lossUnits(lengths: [Int]) -> Int { lengths.count }

    /// The streams' states: a resume inside an epoch continues them as they were.
    func carriedState(of encoded: LanguageModelStreams) -> [Parameter<Float>] { encoded.snapshot() }
    func restoreCarriedState(_ values: [Matrix<Float>], of encoded: LanguageModelStreams) { encoded.restore(values) }

    /// The most probable next token after each prefix of each input (the state carried).
    func predict(_ inputs: [[String]], threads: Int) -> [[String]] {
        inputs.map { tokens in
            let ids = self.ids(tokens).ids
            guard !ids.isEmpty else { return [] }
            return Array(logits(after: ids, state: nil).logits.storage.chunked(words.count).map { words.words[Int(argmax($0))] })
        }
    }

    /// Next-token accuracy only; perplexity needs the probabilities (`devScore`, `evaluate(tokens:)`).
    func score(gold: [[String]], predicted: [[String]]) -> LanguageModelMetrics {
        var total = 0
        for (g, p) in zip(gold, predicted) { total += Swift.min(g.count, p.count) }
        return LanguageModelMetrics(unit: configuration.unit, tokens: total, unknown: 0, nll: .nan)
    }

    /// Perplexity (or bits per char) on the dev text, batch 1, the state carried through it.
    func devScore(_ data: TaskData<[String]>, threads: Int) -> LanguageModelMetrics {
        let tokens = (data.devTokens.first ?? []) + (data.devGold.first?.suffix(1) ?? [])
        return evaluate(tokens: tokens)
    }

    var metricName: String { configuration.unit == .word ? "perplexity" : "bits_per_char" }

    /// Training perplexity (or bits per char) of the epoch.
    func epochFigures(meanLoss: Double) -> String {
        configuration.unit == .word ? String(format: " train_perplexity %.2f", Foundation.exp(meanLoss))
            : String(format: " train_bits_per_char %.4f", meanLoss / Foundation.log(2))
    }
}

extension Array {
    /// Consecutive slices of `size` elements (the last may be shorter).
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: Swift.max(size, 1)).map { self[$0 ..< Swift.min($0 + size, self.count)] }
    }
}

extension LanguageModel {
    /// Saves the model (with `record`) to `path`, atomically.
    public func save(to path: String, record: TrainingRecord?) throws { try saveModel(to: path, record: record) }

    /// Loads a language model; refuses other files with the reason (a tagger's says so).
    public static func load(from path: String) throws -> (model: LanguageModel, record: TrainingRecord?) { try loadModel(from: path) }
}

/// Trains language models (`wordpipe train-lm`).
public enum LanguageModelTraining {
    /// Trains a language model on `trainPath`, keeping the epoch with the lowest dev perplexity
    /// (bits per char) on `devPath`, with `options`' threads, progress, checkpoints and resume.
    public static func run(trainPath: String, devPath: String, vectorsPath: String?, configuration: LanguageModelConfiguration,
                           options: ModelTrainingOptions) throws -> TrainingResult<LanguageModel, LanguageModelMetrics> {
        try TrainingLoop.train(LanguageModel.self, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath,
                               configuration: configuration, options: options)
    }

    /// The figures of `model` on a text file (batch 1, state carried through the file).
    public static func evaluate(_ model: LanguageModel, path: String) throws -> LanguageModelMetrics {
        model.evaluate(tokens: try LanguageModelText.read(path: path, unit: model.configuration.unit, tokenizer: model.makeTokenizer()))
    }
}
