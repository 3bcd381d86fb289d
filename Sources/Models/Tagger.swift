import Corpora
import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// A sequence tagger: one label per token (named entities, parts of speech).
///
/// Embedding (from word vectors or random; optional character features per word), a recurrent
/// encoder, dropout, a linear layer to label scores, and either a per-token softmax or a
/// linear-chain CRF (forward algorithm for the loss, Viterbi for decoding) whose transitions
/// forbid invalid IOB2 sequences (`O` followed by `I-PER` cannot be predicted). Chunk tags are
/// converted to IOB2 on reading; with `tag_scheme: bioes` the network's labels are BIOES (and
/// the CRF's constraints BIOES's), and `tag` converts its predictions back to IOB2.
public final class Tagger {
    /// The settings it was built with.
    public let configuration: TaggerConfiguration
    /// The words it knows.
    public let words: WordTable
    /// The labels, by id.
    public let labels: [String]
    /// The character alphabet (with character features).
    public let alphabet: CharacterVocabulary?
    /// The tokenizer configuration of raw text (`tag --format text`): the vectors' segmentation
    /// rules, keeping each token's surface form.
    public let tokenizer: TokenizerConfiguration?
    /// Whether the labels are chunk tags (IOB2), scored by entity F1; else by token accuracy.
    public let isChunking: Bool
    /// Whether the network's labels are BIOES chunk tags (`tag_scheme: bioes` on chunk data),
    /// which `tag` converts to IOB2.
    public let isBIOES: Bool
    /// The labels `tag` can output: `labels`, in IOB2 when they are BIOES (`S-X` → `B-X`,
    /// `E-X` → `I-X`).
    public let outputLabels: [String]

    let encoder: WordEncoder
    let output: Linear<Float>
    let crf: CRF<Float>?

    init(configuration: TaggerConfiguration, words: WordTable, initial: Matrix<Float>, labels: [String],
         alphabet: CharacterVocabulary?, tokenizer: TokenizerConfiguration?) {
        self.configuration = configuration
        self.words = words
        self.labels = labels
        self.alphabet = alphabet
        self.tokenizer = tokenizer
        isChunking = TagSchemes.isChunkTagSet(labels)
        isBIOES = isChunking && configuration.tagScheme == .bioes
        outputLabels = isBIOES ? Set(labels.map(Self.iob2Label)).sorted() : labels
        var generator = SeededGenerator(seed: configuration.encoder.seed)
        encoder = WordEncoder(initial: initial, settings: configuration.encoder, characterKind: configuration.charFeatures,
                              alphabetSize: alphabet?.count ?? 2, seed: generator.next())
        output = Linear(inputSize: encoder.outputSize, outputSize: labels.count, seed: generator.next(), name: "output")
        if configuration.crf {
            let constraints = isBIOES ? CRFConstraints.bioes(labels: labels)
                : isChunking ? CRFConstraints.iob2(labels: labels) : CRFConstraints.unconstrained(labelCount: labels.count)
            crf = CRF(labelCount: labels.count, constraints: constraints, seed: generator.next())
        } else {
            crf = nil
        }
    }

    /// The parameters the optimizer updates.
    var trainableParameters: [Parameter<Float>] { encoder.trainableParameters + output.parameters + (crf?.parameters ?? []) }
    /// Every parameter, in model-file order.
    var allParameters: [Parameter<Float>] { encoder.allParameters + output.parameters + (crf?.parameters ?? []) }

    /// The name of the dev metric: entity F1 for chunk tags, else token accuracy.
    public var metricName: String { isChunking ? "f1" : "accuracy" }

    /// A batch ready for the network.
    struct Batch {
        var ids: [[Int32]]
        var characters: [[[Int32]]]?
        /// Label ids, one array per sentence (empty when unlabeled).
        var targets: [[Int32]]
    }

    /// Encodes sentences for the network; `lookup` maps a token to its row.
    func batch(_ sentences: [[String]], targets: [[Int32]] = [], lookup: (String) -> Int32) -> Batch {
        Batch(ids: sentences.map { $0.map(lookup) },
              characters: alphabet.map { alphabet in sentences.map { $0.map { alphabet.ids(for: $0) } } },
              targets: targets)
    }

    /// Forward and backward over one labeled batch; returns the loss (mean per token for softmax,
    /// per sentence for the CRF). Gradients accumulate.
    func trainStep(_ batch: Batch) -> Double {
        let trace = encoder.forward(ids: batch.ids, characters: batch.characters, training: true)
        let features = trace.output.values
        let logits = output.forward(features)
        let targets = TokenBatch(sequences: batch.targets).ids
        let loss: Double
        let dLogits: Matrix<Float>
        if let crf {
            (loss, dLogits) = crf.loss(emissions: logits, lengths: trace.output.lengths, steps: trace.output.steps, targets: targets)
        } else {
            let result = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
            (loss, dLogits) = (result.loss, result.gradient)
        }
        let dFeatures = output.backward(input: features, outputGradient: dLogits)
        encoder.backward(trace, outputGradient: dFeatures)
        return loss
    }

    /// What the loss of `trainStep` is a mean over, for sentences of these lengths: their tokens
    /// (softmax) or the non-empty sentences (CRF).
    func lossCount(lengths: [Int]) -> Int {
        crf == nil ? lengths.reduce(0, +) : lengths.filter { $0 > 0 }.count
    }

    /// The predicted label ids of a batch.
    func predict(_ batch: Batch) -> [[Int32]] {
        let trace = encoder.forward(ids: batch.ids, characters: batch.characters, training: false)
        let logits = output.forward(trace.output.values)
        let (lengths, steps) = (trace.output.lengths, trace.output.steps)
        if let crf { return crf.decode(emissions: logits, lengths: lengths, steps: steps) }
        return lengths.enumerated().map { b, length in
            (0..<length).map { t in argmax(logits.row(t * lengths.count + b)) }
        }
    }

    /// The IOB2 label of one BIOES label: `S-X` → `B-X`, `E-X` → `I-X`, others unchanged.
    static func iob2Label(_ label: String) -> String {
        if label.hasPrefix("S-") { return "B-" + label.dropFirst(2) }
        if label.hasPrefix("E-") { return "I-" + label.dropFirst(2) }
        return label
    }

    /// Tags sentences (tokens as written), in batches of `batchSize` sorted by length; with
    /// `threads` > 1, the batches are spread over that many replicas (`mapBatches`), with the
    /// same predictions. Chunk tags come out in IOB2 whatever the training scheme.
    public func tag(_ sentences: [[String]], batchSize: Int = 64, threads: Int = 1) -> [[String]] {
        let lookup = words.lookup()
        var result = [[String]](repeating: [], count: sentences.count)
        let order = sentences.indices.filter { !sentences[$0].isEmpty }.sorted { sentences[$0].count > sentences[$1].count }
        let batches = inferenceBatches(of: order, size: batchSize)
        let inputs = batches.map { indices in batch(indices.map { sentences[$0] }, lookup: lookup) }
        let predicted = mapBatches(inputs, tokens: inputs.map { $0.ids.reduce(0) { $0 + $1.count } }, threads: threads) { $0.predict($1) }
        for (indices, batch) in zip(batches, predicted) {
            for (index, ids) in zip(indices, batch) {
                let tags = ids.map { labels[Int($0)] }
                result[index] = isBIOES ? TagSchemes.fromBIOES(tags) : tags
            }
        }
        return result
    }

    /// Scores predictions against gold tags.
    public func score(gold: [[String]], predicted: [[String]]) -> TaggerScore {
        TaggerScore(chunking: isChunking, metrics: ChunkMetrics(gold: gold, predicted: predicted))
    }

    /// The tokenizer configuration for raw text: the vectors' segmentation (locale, sentence
    /// splitting) with the surface form of each token kept (no normalization or case mapping,
    /// punctuation and numbers kept), since tokens are looked up as written first.
    public static func surfaceTokenizer(from configuration: TokenizerConfiguration?) -> TokenizerConfiguration {
        var surface = configuration ?? TokenizerConfiguration()
        surface.normalize = .nfc
        surface.lowercase = false
        surface.stripAccents = false
        surface.punctuation = .keep
        surface.numbers = .keep
        surface.urls = .keep
        surface.sentences = true
        return surface
    }
}

/// A tagger's score on labeled data: entity F1 for chunk tags, token accuracy otherwise.
public struct TaggerScore: Codable, Sendable {
    /// Whether the labels are chunk tags.
    public var chunking: Bool
    /// All the numbers.
    public var metrics: ChunkMetrics
    /// The share of tokens the model knows neither as written nor normalized (they read as
    /// `<unk>`), when computed.
    public var unknownRate: Double?
    /// The share of tokens that are not words of the vectors the model started from, as written
    /// or under their key (nil without vectors).
    public var vectorOOVRate: Double?
    /// The main metric: entity micro-F1 (chunk tags) or token accuracy.
    public var main: Double { chunking ? metrics.micro.f1 : metrics.tokenAccuracy }
}

extension Tagger: TrainableModel {
    /// The training examples encoded, as one batch of them all.
    typealias Encoded = Batch

    public static var typeName: String { "tagger" }

    static func settings(of configuration: TaggerConfiguration) -> EncoderSettings { configuration.encoder }

    /// The tagger's header section: its configuration and, with character features, the alphabet.
    struct Section: Codable, Sendable {
        var configuration: TaggerConfiguration
        var alphabet: CharacterVocabulary?
    }

    static func configuration(of section: Section) -> Configuration { section.configuration }

    var section: Section { Section(configuration: configuration, alphabet: alphabet) }

    static var applyCommand: String { "wordpipe tag" }

    static func describe(section: Section) -> [ArtifactDescription.Field] {
        var fields: [ArtifactDescription.Field] = [.init("crf", .flag(section.configuration.crf)),
                                                   .init("character features", .text(section.configuration.charFeatures.rawValue))]
        if let alphabet = section.alphabet { fields.append(.init("alphabet", .integer(alphabet.count))) }
        return fields
    }

    static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> Tagger {
        Tagger(configuration: header.task.fields.configuration, words: header.wordTable(), initial: initial,
               labels: header.labels, alphabet: header.task.fields.alphabet, tokenizer: header.tokenizer)
    }

    /// Reads the training file (its tags decide whether they are chunk tags) and the dev file
    /// (read as the training file's tags are).
    static func readTraining(trainPath: String, devPath: String, configuration: TaggerConfiguration) throws -> (train: TaggedFile, dev: TaggedFile) {
        var train = try TaggerTraining.read(trainPath, configuration: configuration)
        let trainTags = train.sentences.lazy.flatMap(\.tags)
        let dev = try TaggerTraining.read(devPath, configuration: configuration, chunking: !trainTags.isEmpty && TagSchemes.isChunkTagSet(trainTags))
        train.sentences = train.sentences.filter { !$0.tokens.isEmpty }
        guard !train.sentences.isEmpty else { throw ModelError.badData(location: nil, message: "\(trainPath): no sentences") }
        guard !dev.sentences.isEmpty else { throw ModelError.badData(location: nil, message: "\(devPath): no sentences") }
        return (train, dev)
    }

    /// The training labels: the tags as read (IOB2 chunks or plain), or BIOES chunks
    /// (`tag_scheme: bioes`); dev keeps IOB2, which `tag` outputs either way.
    static func taskData(train: TaggedFile, dev: TaggedFile, vectors: WordVectors?, configuration: TaggerConfiguration) throws -> TaskData<[String]> {
        let trainTags = train.sentences.lazy.flatMap(\.tags)
        let bioes = configuration.tagScheme == .bioes && !trainTags.isEmpty && TagSchemes.isChunkTagSet(trainTags)
        let trainingTags = train.sentences.map { bioes ? TagSchemes.toBIOES($0.tags) : $0.tags }
        return TaskData(tokens: train.sentences.map(\.tokens), gold: trainingTags, labels: Set(trainingTags.joined()).sorted(),
                        devTokens: dev.sentences.map(\.tokens), devGold: dev.sentences.map(\.tags))
    }

    static func make(configuration: TaggerConfiguration, words: WordTable, initial: Matrix<Float>, data: TaskData<[String]>,
                     vectors: WordVectors?) -> Tagger {
        let alphabet = configuration.charFeatures == .none ? nil : CharacterVocabulary(words: data.tokens.joined())
        return Tagger(configuration: configuration, words: words, initial: initial, labels: data.labels,
                      alphabet: alphabet, tokenizer: vectors?.vocabulary.tokenizer)
    }

    /// Reads chunk tags as IOB2 when the model's labels are chunk tags.
    func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [[String]]) {
        let file = try TaggerTraining.read(path, configuration: configuration, chunking: isChunking)
        let known = Set(outputLabels)
        for sentence in file.sentences {
            for (tag, line) in zip(sentence.tags, sentence.lines) where !known.contains(tag) {
                throw ModelError.badData(location: SourceLocation(path: path, line: line),
                                         message: "label '\(tag)' is not one of the model's \(outputLabels.count) labels")
            }
        }
        return (file.sentences.map(\.tokens), file.sentences.map(\.tags))
    }

    func dataLine(_ data: TaskData<[String]>) -> String {
        "data: \(data.tokens.count) training sentences, \(data.devTokens.count) dev sentences, \(labels.count) labels (\(isChunking ? "\(isBIOES ? "BIOES" : "IOB2") chunks, scored by entity F1" : "scored by accuracy")); \(words.count) words"
    }

    func encode(_ data: TaskData<[String]>, ids: [[Int32]]) -> Encoded {
        let labelIDs = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return Encoded(ids: ids, characters: alphabet.map { alphabet in data.tokens.map { $0.map { alphabet.ids(for: $0) } } },
                       targets: data.gold.map { $0.map { labelIDs[$0] ?? 0 } })
    }

    func lossAndGradients(_ batch: [Int], of encoded: Encoded) -> Double {
        trainStep(Batch(ids: batch.map { encoded.ids[$0] }, characters: encoded.characters.map { c in batch.map { c[$0] } },
                        targets: batch.map { encoded.targets[$0] }))
    }

    func lossUnits(lengths: [Int]) -> Int { lossCount(lengths: lengths) }

    func predict(_ inputs: [[String]], threads: Int) -> [[String]] { tag(inputs, threads: threads) }
}

/// The index of the largest value of a row (the first on ties).
func argmax(_ row: ArraySlice<Float>) -> Int32 {
    var best = row.startIndex
    for index in row.indices where row[index] > row[best] { best = index }
    return Int32(best - row.startIndex)
}

extension Tagger {
    /// Saves the tagger (with `record`) to `path`, atomically.
    public func save(to path: String, record: TrainingRecord?) throws { try saveModel(to: path, record: record) }

    /// Loads a tagger; refuses other files with the reason.
    public static func load(from path: String) throws -> (tagger: Tagger, record: TrainingRecord?) { try loadModel(from: path) }
}
