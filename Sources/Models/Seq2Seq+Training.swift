import Corpora
import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// Where a parallel training or dev set is: two line-aligned files, the source and the target
/// side (plain, .gz or .bz2), one segment per line, tokens separated by spaces; or one file of
/// pairs, the source and the target on one line separated by a tab.
public struct ParallelFiles: Sendable, Equatable, TrainingDataLocation {
    /// The source side (the file of pairs when `tabSeparated`).
    public var source: String
    /// The target side (the file of pairs when `tabSeparated`).
    public var target: String
    /// One file of tab-separated pairs.
    public var tabSeparated: Bool

    /// The pair of files.
    public init(source: String, target: String) {
        self.source = source
        self.target = target
        tabSeparated = false
    }

    /// One file of pairs, `source<TAB>target` per line.
    public init(pairs path: String) {
        source = path
        target = path
        tabSeparated = true
    }

    var files: [String] { tabSeparated ? [source] : [source, target] }
}

/// Sentence pairs as read from parallel files.
public struct ParallelText: Sendable {
    /// Source tokens per pair.
    public var sources: [[String]]
    /// Target tokens per pair.
    public var targets: [[String]]
    /// Pairs dropped for a side longer than the maximum length.
    public var dropped: Int = 0

    /// Reads two line-aligned files. A line-count mismatch names both files and both counts; a
    /// pair with one empty side names its line; with `maxLength`, pairs with a longer side are
    /// dropped and counted; pairs empty on both sides are skipped.
    /// With `tokenizers` (a model trained with `tokenize`), each side's lines are split by its
    /// ICU tokenizer instead of on spaces.
    public static func read(_ files: ParallelFiles, maxLength: Int? = nil, tokenizers: SideTokenizers? = nil) throws -> ParallelText {
        let (sourceLines, targetLines) = files.tabSeparated ? try pairLines(files.source) : try sideLines(files)
        var text = ParallelText(sources: [], targets: [])
        for (index, (source, target)) in zip(sourceLines, targetLines).enumerated() {
            let sourceTokens = try tokenizers?.source(source) ?? tokens(source)
            let targetTokens = try tokenizers?.target(target) ?? tokens(target)
            if sourceTokens.isEmpty && targetTokens.isEmpty { continue }
            if sourceTokens.isEmpty || targetTokens.isEmpty {
                guard !files.tabSeparated else {
                    throw ModelError.badData(location: SourceLocation(path: files.source, line: index + 1),
                                             message: "the \(sourceTokens.isEmpty ? "source" : "target") side is empty; a pair needs both sides (remove the line or fill in its translation)")
                }
                let (empty, other) = sourceTokens.isEmpty ? (files.source, files.target) : (files.target, files.source)
                throw ModelError.badData(location: SourceLocation(path: empty, line: index + 1),
                                         message: "empty line where \(other) line \(index + 1) has text; a pair needs both sides (remove the pair or fill in its translation)")
            }
            if let maxLength, sourceTokens.count > maxLength || targetTokens.count > maxLength {
                text.dropped += 1
                continue
            }
            text.sources.append(sourceTokens)
            text.targets.append(targetTokens)
        }
        return text
    }

    /// The lines of two line-aligned files; a count mismatch names both files and counts.
    static func sideLines(_ files: ParallelFiles) throws -> ([String], [String]) {
        let sourceLines = try TextLines.read(path: files.source)
        let targetLines = try TextLines.read(path: files.target)
        guard sourceLines.count == targetLines.count else {
            throw ModelError.badData(location: nil, message: "the parallel files are not line-aligned: \(files.source) has \(sourceLines.count) lines, \(files.target) has \(targetLines.count); give one target line per source line")
        }
        return (sourceLines, targetLines)
    }

    /// The two sides of a file of `source<TAB>target` lines; a blank line is an empty pair, and
    /// a line with another number of tabs names its line.
    static func pairLines(_ path: String) throws -> ([String], [String]) {
        var sources: [String] = [], targets: [String] = []
        for (index, line) in try TextLines.read(path: path).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if fields.count == 1 && fields[0].allSatisfy({ $0 == " " || $0 == "\r" }) {
                sources.append(""); targets.append("")
                continue
            }
            guard fields.count == 2 else {
                throw ModelError.badData(location: SourceLocation(path: path, line: index + 1),
                                         message: "expected a source and a target separated by one tab, found \(fields.count) field\(fields.count == 1 ? "" : "s"); tokens within a side are separated by spaces")
            }
            sources.append(String(fields[0]))
            targets.append(String(fields[1]))
        }
        return (sources, targets)
    }

    /// A line's tokens: split on spaces and tabs.
    public static func tokens(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
    }
}

/// The ICU tokenizers of a model trained with `tokenize`, one per side.
public final class SideTokenizers {
    let sourceTokenizer: Tokenizer
    let targetTokenizer: Tokenizer

    public init(source: TokenizerConfiguration, target: TokenizerConfiguration) throws {
        sourceTokenizer = try Tokenizer(configuration: source)
        targetTokenizer = try Tokenizer(configuration: target)
    }

    /// A source line's tokens.
    public func source(_ line: String) throws -> [String] { Array(try sourceTokenizer.tokenize(line).joined()) }
    /// A target line's tokens.
    public func target(_ line: String) throws -> [String] { Array(try targetTokenizer.tokenize(line).joined()) }
}

/// The training pairs encoded for the network.
struct Seq2SeqExamples {
    var sources: [[Int32]]
    var targets: [[Int32]]
}

/// The dev score of a translation model: corpus BLEU (sacreBLEU's default, on the tokens joined
/// by spaces) and chrF2.
public struct Seq2SeqMetrics: Codable, Sendable, Equatable, SelectionMetrics {
    /// Corpus BLEU, 0...100.
    public var bleu: Double
    /// Corpus chrF2, 0...100.
    public var chrf: Double
    /// Segments scored.
    public var sentences: Int
    /// The selection metric: BLEU.
    var main: Double { bleu }
}

/// Builds a side's vocabulary: words with at least `minCount` occurrences, the `maxSize` most
/// frequent (0: all), most frequent first, ties in order of first occurrence.
func sideVocabulary(_ sentences: [[String]], minCount: Int, maxSize: Int) -> [String] {
    var counts: [String: Int] = [:]
    var order: [String] = []
    for sentence in sentences {
        for token in sentence {
            if counts[token] == nil { order.append(token) }
            counts[token, default: 0] += 1
        }
    }
    var kept = order.enumerated().filter { counts[$0.element]! >= minCount }
    kept.sort { (counts[$0.element]!, -$0.offset) > (counts[$1.element]!, -$1.offset) }
    let words = kept.map(\.element)
    return maxSize > 0 ? Array(words.prefix(maxSize)) : words
}

extension Seq2Seq: Replicable {
    var generatorStates: [UInt64] {
        get { [sourceDropout.generator.state, targetDropout.generator.state, outputDropout.generator.state,
               encoder.dropout.generator.state, decoder.dropout.generator.state] }
        set {
            guard newValue.count == 5 else { preconditionFailure("an encoder-decoder has 5 generators, not \(newValue.count)") }
            sourceDropout.generator = SeededGenerator(seed: newValue[0])
            targetDropout.generator = SeededGenerator(seed: newValue[1])
            outputDropout.generator = SeededGenerator(seed: newValue[2])
            encoder.dropout.generator = SeededGenerator(seed: newValue[3])
            decoder.dropout.generator = SeededGenerator(seed: newValue[4])
        }
    }

    func replica(seed: UInt64) -> Seq2Seq {
        var configuration = self.configuration
        configuration.encoder.seed = seed
        return Seq2Seq(configuration: configuration, words: words, initial: sourceEmbedding.value, labels: labels, sideTokenizers: sideTokenizers)
    }
}

extension Seq2Seq: TrainableModel {
    typealias Encoded = Seq2SeqExamples
    typealias DataLocation = ParallelFiles

    /// Random rows of unit variance, uniform(±√3) (the scale of PyTorch's N(0, 1) embeddings):
    /// on Multi30k the taggers' variance 1/dim trailed PyTorch's default initialization by up
    /// to 6 BLEU in the first epochs, this scale by at most 1 (BENCHMARKS.md). Random rows beside
    /// skip-gram vectors keep the taggers' √(3/dim), nearer the vectors' own scale.
    static func randomEmbeddingLimit(dim: Int, withVectors: Bool) -> Double {
        withVectors ? (3.0 / Double(dim)).squareRoot() : 3.0.squareRoot()
    }

    public static var typeName: String { "seq2seq" }

    static func settings(of configuration: Seq2SeqConfiguration) -> EncoderSettings { configuration.encoder }

    /// The encoder-decoder's header section: its configuration (the target words are the labels).
    struct Section: Codable, Sendable {
        var configuration: Seq2SeqConfiguration
        /// With `tokenize`: the source and target sides' tokenizer configurations.
        var sourceTokenizer: TokenizerConfiguration?
        var targetTokenizer: TokenizerConfiguration?
    }

    static func configuration(of section: Section) -> Seq2SeqConfiguration { section.configuration }

    /// With `lr_decay`, Zaremba's step decay for either optimizer; else the shared default.
    static func plan(of configuration: Seq2SeqConfiguration) -> TrainingPlan {
        var plan = TrainingPlan()
        if configuration.lrDecay != 1 {
            let (divisor, after) = (configuration.lrDecay, configuration.decayAfter)
            plan.rate = { _, base, epoch in TrainingPlan.stepDecay(base: base, divisor: divisor, after: after, epoch: epoch) }
        }
        return plan
    }

    var section: Section {
        Section(configuration: configuration, sourceTokenizer: sideTokenizers?.source, targetTokenizer: sideTokenizers?.target)
    }

    static var applyCommand: String { "wordpipe translate" }

    static func describe(section: Section) -> [ArtifactDescription.Field] {
        let configuration = section.configuration
        return [.init("attention", .text(configuration.attention.rawValue + (configuration.inputFeeding ? ", input feeding" : ""))),
                .init("tied", .flag(configuration.tied))]
    }

    static func build(header: ModelFile.Header<Section>, initial: Matrix<Float>) -> Seq2Seq {
        let fields = header.task.fields
        let sides = fields.sourceTokenizer.flatMap { source in fields.targetTokenizer.map { (source: source, target: $0) } }
        return Seq2Seq(configuration: fields.configuration, words: header.wordTable(), initial: initial, labels: header.labels,
                       sideTokenizers: sides)
    }

    static func readTraining(trainPath: ParallelFiles, devPath: ParallelFiles, configuration: Seq2SeqConfiguration) throws
        -> (train: ParallelText, dev: ParallelText) {
        let tokenizers = try configuration.sideTokenizers.map { try SideTokenizers(source: $0.source, target: $0.target) }
        let train = try ParallelText.read(trainPath, maxLength: configuration.maxLength, tokenizers: tokenizers)
        guard !train.sources.isEmpty else {
            throw ModelError.badData(location: SourceLocation(path: trainPath.source),
                                     message: train.dropped > 0 ? "every pair is longer than --max-length \(configuration.maxLength)" : "no sentence pairs")
        }
        let dev = try ParallelText.read(devPath, tokenizers: tokenizers)
        guard !dev.sources.isEmpty else { throw ModelError.badData(location: SourceLocation(path: devPath.source), message: "no sentence pairs") }
        return (train, dev)
    }

    /// The pairs; source words below `min_count` (or past `max_size`) become `<unk>` so that the
    /// word table leaves them out; the target vocabulary is the labels.
    static func taskData(train: ParallelText, dev: ParallelText, vectors: WordVectors?, configuration: Seq2SeqConfiguration) throws -> TaskData<[String]> {
        let sourceWords = Set(sideVocabulary(train.sources, minCount: configuration.minCount, maxSize: configuration.maxSize))
        let sources = train.sources.map { $0.map { sourceWords.contains($0) ? $0 : WordTable.unknown } }
        let targetWords = sideVocabulary(train.targets, minCount: configuration.minCount, maxSize: configuration.maxSize)
            .filter { !Seq2Seq.targetSpecials.contains($0) }
        var data = TaskData(tokens: sources, gold: train.targets, labels: Seq2Seq.targetSpecials + targetWords,
                            devTokens: dev.sources, devGold: dev.targets)
        data.dropped = train.dropped
        return data
    }

    static func make(configuration: Seq2SeqConfiguration, words: WordTable, initial: Matrix<Float>, data: TaskData<[String]>,
                     vectors: WordVectors?) -> Seq2Seq {
        Seq2Seq(configuration: configuration, words: words, initial: initial, labels: data.labels, sideTokenizers: configuration.sideTokenizers)
    }

    func dataLine(_ data: TaskData<[String]>) -> String {
        let sourceTokens = data.tokens.reduce(0) { $0 + $1.count }, targetTokens = data.gold.reduce(0) { $0 + $1.count }
        return "data: \(data.tokens.count) training pairs (\(sourceTokens) source, \(targetTokens) target tokens), \(data.dropped) dropped as longer than \(configuration.maxLength) tokens, \(data.devTokens.count) dev pairs; vocabulary: \(words.count) source, \(labels.count) target words"
    }

    /// A tab-separated file of pairs (source, then target) to score the model on.
    func readLabeled(_ path: String) throws -> (tokens: [[String]], gold: [[String]]) {
        let text = try ParallelText.read(ParallelFiles(pairs: path))
        return (text.sources, text.targets)
    }

    func encode(_ data: TaskData<[String]>, ids: [[Int32]]) -> Seq2SeqExamples {
        Seq2SeqExamples(sources: ids, targets: data.gold.map(targetIDs))
    }

    /// Teacher-forced loss of the pairs at `batch`: the summed target NLL over the sentences.
    func lossAndGradients(_ batch: [Int], of encoded: Seq2SeqExamples) -> Double {
        guard !batch.isEmpty else { return 0 }
        let (sum, _, trace) = forward(sources: batch.map { encoded.sources[$0] }, targets: batch.map { encoded.targets[$0] }, training: true)
        backward(trace, scale: 1 / Float(batch.count))
        return sum / Double(batch.count)
    }

    /// The loss is a mean over sentences.
    func lossUnits(lengths: [Int]) -> Int { lengths.count }

    /// Greedy translations, over `threads` replicas.
    func predict(_ inputs: [[String]], threads: Int) -> [[String]] {
        mapBatches(inputs, tokens: inputs.map(\.count), threads: threads) { model, tokens in
            model.translate(tokens, beam: 1).best.tokens
        }
    }

    func score(gold: [[String]], predicted: [[String]]) -> Seq2SeqMetrics {
        let hypotheses = predicted.map { $0.joined(separator: " ") }, references = gold.map { $0.joined(separator: " ") }
        return Seq2SeqMetrics(bleu: TranslationMetrics.bleu(hypotheses: hypotheses, references: [references]).score,
                              chrf: TranslationMetrics.chrf(hypotheses: hypotheses, references: [references]), sentences: gold.count)
    }

    var metricName: String { "bleu" }

    /// Training perplexity per target token is not known from the per-sentence loss; none.
    func epochFigures(meanLoss: Double) -> String { "" }
}

extension Seq2Seq: SavableModel {
    /// Saves the model (with `record`) to `path`, atomically.
    public func save(to path: String, record: TrainingRecord?) throws { try saveModel(to: path, record: record) }

    /// Loads an encoder-decoder; refuses other files with the reason (a tagger's says so).
    public static func load(from path: String) throws -> (model: Seq2Seq, record: TrainingRecord?) { try loadModel(from: path) }
}

/// Trains encoder-decoders (`wordpipe train-seq2seq`).
public enum Seq2SeqTraining {
    /// Trains on `train`, keeping the epoch with the best greedy dev BLEU on `dev`, with
    /// `options`' threads, progress, checkpoints and resume; `vectorsPath` starts the source
    /// embedding from word vectors.
    public static func run(train: ParallelFiles, dev: ParallelFiles, vectorsPath: String?, configuration: Seq2SeqConfiguration,
                           options: ModelTrainingOptions) throws -> TrainingResult<Seq2Seq, Seq2SeqMetrics> {
        try TrainingLoop.train(Seq2Seq.self, trainPath: train, devPath: dev, vectorsPath: vectorsPath,
                               configuration: configuration, options: options)
    }

    /// The perplexity of a parallel set's target side given its source side (teacher forced, as
    /// OpenNMT's "GOLD PPL"): e to the summed NLL over the target tokens, `</s>` counted, with
    /// the number of target tokens. Target words outside the vocabulary count as `<unk>`.
    public static func perplexity(_ model: Seq2Seq, on files: ParallelFiles) throws -> (perplexity: Double, tokens: Int) {
        let text = try ParallelText.read(files, tokenizers: try model.makeSideTokenizers())
        let sources = text.sources.map { model.sourceIDs(Array($0.prefix(Seq2Seq.maxSourceTokens))) }
        let targets = text.targets.map(model.targetIDs)
        var sum = 0.0, tokens = 0
        for start in stride(from: 0, to: sources.count, by: 32) {
            try Interruption.check()
            let end = min(start + 32, sources.count)
            let batch = model.forward(sources: Array(sources[start..<end]), targets: Array(targets[start..<end]), training: false)
            sum += batch.sum
            tokens += batch.tokens
        }
        guard tokens > 0 else {
            throw ModelError.badData(location: nil, message: "\(files.target) has no target tokens to score; give a reference set with text")
        }
        return (Foundation.exp(sum / Double(tokens)), tokens)
    }

    /// Greedy translations of a parallel set's source side, scored against its target side.
    public static func evaluate(_ model: Seq2Seq, on files: ParallelFiles, threads: Int = 1) throws -> Seq2SeqMetrics {
        let text = try ParallelText.read(files, tokenizers: try model.makeSideTokenizers())
        let predicted = model.predict(text.sources, threads: threads)
        try Interruption.check()
        return model.score(gold: text.targets, predicted: predicted)
    }
}
