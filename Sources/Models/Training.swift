import Corpora
import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// The epoch loop shared by taggers and classifiers: bucketed batches, clipping, the optimizer,
/// dev evaluation each epoch, the best weights kept, early stopping.
enum TrainingLoop {
    struct Outcome {
        var epochs: Int
        var bestEpoch: Int
        var best: Double
        var trainSeconds: Double
        var totalSeconds: Double
    }

    /// Batches of example indices for one epoch: the examples are shuffled, cut into pools of
    /// 50 batches, each pool sorted by length and cut into batches, and the batches shuffled
    /// (AllenNLP's bucket iterator), so that a batch pads little.
    static func batches(lengths: [Int], size: Int, generator: inout SeededGenerator) -> [[Int]] {
        var order = Array(lengths.indices)
        order.shuffle(using: &generator)
        var result: [[Int]] = []
        let pool = size * 50
        var start = 0
        while start < order.count {
            let slice = order[start ..< min(start + pool, order.count)].sorted { lengths[$0] > lengths[$1] }
            var index = slice.startIndex
            while index < slice.endIndex {
                result.append(Array(slice[index ..< min(index + size, slice.endIndex)]))
                index += size
            }
            start += pool
        }
        result.shuffle(using: &generator)
        return result
    }

    /// The step `run` calls per batch: with one thread, `work` on `model` itself; with more,
    /// `work` on `threads` replicas of it at once, each over a part of the batch, their gradients
    /// summed into `model`'s (`BatchParallel`). `units` counts what the loss is a mean over.
    /// More threads than `settings.batch` would only leave workers idle: there are at most that many.
    static func step<Model: Replicable>(model: Model, threads: Int, settings: EncoderSettings, lengths: [Int],
                                        units: @escaping ([Int]) -> Int, work: @escaping (Model, [Int]) -> Double) -> ([Int]) -> Double {
        let workers = min(threads, settings.batch)
        guard workers > 1 else { return { work(model, $0) } }
        let parallel = BatchParallel(main: model, workers: workers, seed: settings.seed &+ 0x5851_F42D_4C95_7F2D)
        return { parallel.step($0, lengths: lengths, units: units, work: work) }
    }

    /// OpenBLAS at one thread, whatever `--threads` is: more threads go to workers over the batch,
    /// never into BLAS as well (nested threads oversubscribe the cores; see `BLAS`).
    static func prepareThreads() { BLAS.setThreads(1) }

    /// Trains until `settings.epochs` or until `settings.patience` epochs pass without a better
    /// dev score; leaves the best epoch's weights in `all`.
    /// - Parameters:
    ///   - lengths: tokens per training example (for batching and tokens/s).
    ///   - step: forward and backward over the examples at these indices; returns the mean loss.
    ///   - evaluate: the dev score (higher is better).
    ///   - threads: the threads that clipping and the optimizer step split their work over (both
    ///     bit-identical to one thread's; see `clipGradients` and `Optimizer`).
    ///   - log: receives one line per epoch.
    static func run(settings: EncoderSettings, lengths: [Int], trainable: [Parameter<Float>], all: [Parameter<Float>],
                    metric: String, step: ([Int]) -> Double, evaluate: () -> Double, threads: Int = 1,
                    log: (String) -> Void) throws -> Outcome {
        var generator = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9)
        let base = settings.learningRate
        let optimizer: any Optimizer<Float> = settings.optimizer == .adam
            ? Adam<Float>(learningRate: base) : SGD<Float>(learningRate: base, momentum: 0.9)
        let clock = ContinuousClock()
        let started = clock.now
        var best = -Double.infinity, bestEpoch = 0, bestValues: [Matrix<Float>] = [], stale = 0
        var trainSeconds = 0.0, epochsRun = 0
        for epoch in 1...settings.epochs {
            epochsRun = epoch
            if settings.optimizer == .sgd { optimizer.learningRate = base / (1 + 0.05 * Double(epoch - 1)) }
            let epochStart = clock.now
            var lossSum = 0.0, tokens = 0
            for (number, batch) in batches(lengths: lengths, size: settings.batch, generator: &generator).enumerated() {
                // A batch boundary: every worker of the last step has returned (see `Interruption`).
                try Interruption.check()
                for parameter in trainable { parameter.zeroGradient() }
                let loss = step(batch)
                guard loss.isFinite else { throw ModelError.diverged(epoch: epoch, batch: number + 1) }
                if settings.clip > 0 { clipGradients(trainable, maxNorm: settings.clip, workers: threads) }
                optimizer.step(trainable, workers: threads)
                lossSum += loss * Double(batch.count)
                tokens += batch.reduce(0) { $0 + lengths[$1] }
            }
            let seconds = (clock.now - epochStart).seconds
            trainSeconds += seconds
            try Interruption.check()
            let score = evaluate()
            // The evaluation stops early on an interrupt, so its score means nothing then.
            try Interruption.check()
            let improved = score > best
            if improved {
                best = score
                bestEpoch = epoch
                bestValues = all.map(\.value)
                stale = 0
            } else {
                stale += 1
            }
            log(String(format: "epoch %d/%d loss %.6f dev_%@ %.6f train_s %.2f tokens/s %.0f elapsed_s %.2f%@",
                       epoch, settings.epochs, lossSum / Double(max(lengths.count, 1)), metric, score, seconds,
                       Double(tokens) / max(seconds, 1e-9), (clock.now - started).seconds, improved ? " best" : ""))
            if stale >= settings.patience { break }
        }
        for (parameter, value) in zip(all, bestValues) { parameter.value = value }
        return Outcome(epochs: epochsRun, bestEpoch: bestEpoch, best: best, trainSeconds: trainSeconds,
                       totalSeconds: (clock.now - started).seconds)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The training log's line on the vectors: their size, how many training types start from one,
/// and the OOV rates of train and dev.
func vectorsLine(_ vectors: WordVectors, typesWithVectors: Int, trainingTypes: Int, oovTrain: Double?, oovDev: Double?) -> String {
    String(format: "vectors: %d words of dim %d; %d of %d training types start from a vector; OOV tokens: train %.2f%%, dev %.2f%%",
           vectors.vocabulary.count, vectors.dim, typesWithVectors, trainingTypes, 100 * (oovTrain ?? 0), 100 * (oovDev ?? 0))
}

/// Loads word vectors for a model, or nil for random initialization.
func loadVectors(_ path: String?) throws -> WordVectors? {
    guard let path else { return nil }
    return try WordVectors.load(from: path).0
}

extension TrainingLoop {
    /// Trains a model of any task on `trainPath`, selecting the epoch by its dev score on
    /// `devPath`: reads the data, builds the word table (from `vectorsPath`'s vectors or random)
    /// and the model, and runs the epochs (`run`). With `threads` > 1, each batch runs on that
    /// many workers (`BatchParallel`) and dev prediction on as many replicas; with 1, serially.
    static func train<Model: TrainableModel>(_: Model.Type, trainPath: String, devPath: String, vectorsPath: String?,
                                             configuration: Model.Configuration, threads: Int,
                                             log: (String) -> Void) throws -> TrainingResult<Model, Model.Metrics> {
        prepareThreads()
        let (train, dev) = try Model.readTraining(trainPath: trainPath, devPath: devPath, configuration: configuration)
        let vectors = try loadVectors(vectorsPath)
        let data = try Model.taskData(train: train, dev: dev, vectors: vectors, configuration: configuration)
        let settings = Model.settings(of: configuration)
        let built = WordTable.build(trainingTokens: data.tokens, vectors: vectors, dim: settings.dim, seed: settings.seed)
        let model = Model.make(configuration: configuration, words: built.table, initial: built.matrix, data: data, vectors: vectors)
        let oovTrain = built.table.vectorOOVRate(data.tokens), oovDev = built.table.vectorOOVRate(data.devTokens)
        if let vectors { log(vectorsLine(vectors, typesWithVectors: built.typesWithVectors, trainingTypes: built.trainingTypes, oovTrain: oovTrain, oovDev: oovDev)) }
        log(model.dataLine(data))
        let lookup = built.table.lookup()
        let encoded = model.encode(data, ids: data.tokens.map { $0.map(lookup) })
        var lastScore: Model.Metrics?
        let lengths = data.tokens.map(\.count)
        let step = self.step(
            model: model, threads: threads, settings: settings, lengths: lengths,
            units: { batch in model.lossUnits(lengths: batch.map { lengths[$0] }) },
            work: { model, batch in model.lossAndGradients(batch, of: encoded) })
        let outcome = try run(
            settings: settings, lengths: lengths, trainable: model.trainableParameters,
            all: model.allParameters, metric: model.metricName, step: step,
            evaluate: {
                let score = model.score(gold: data.devGold, predicted: model.predict(data.devTokens, threads: threads))
                lastScore = score
                return score.main
            },
            threads: threads, log: log)
        // The last evaluation is the kept weights' when the last epoch was the best.
        let devScore = (outcome.bestEpoch == outcome.epochs ? lastScore : nil)
            ?? model.score(gold: data.devGold, predicted: model.predict(data.devTokens, threads: threads))
        try Interruption.check()
        let record = TrainingRecord(vectors: vectorsPath, epochs: outcome.epochs, bestEpoch: outcome.bestEpoch, devScore: devScore.main,
                                    metric: model.metricName, oovTrain: oovTrain, oovDev: oovDev,
                                    trainSeconds: outcome.trainSeconds, totalSeconds: outcome.totalSeconds)
        return TrainingResult(model: model, record: record, dev: devScore)
    }
}

/// What training a model gives.
public struct TrainingResult<Model, Metrics> {
    /// The model with the best dev epoch's weights.
    public var model: Model
    /// How it was trained.
    public var record: TrainingRecord
    /// Its dev score.
    public var dev: Metrics
}

/// What training a tagger gives.
public typealias TaggerTrainingResult = TrainingResult<Tagger, TaggerScore>

extension TrainingResult where Model == Tagger {
    /// The tagger with the best dev epoch's weights.
    public var tagger: Tagger { model }
}

/// What training a classifier gives.
public typealias ClassifierTrainingResult = TrainingResult<Classifier, ClassificationMetrics>

extension TrainingResult where Model == Classifier {
    /// The classifier with the best dev epoch's weights.
    public var classifier: Classifier { model }
}

/// Trains sequence taggers (`wordpipe train-tagger`).
public enum TaggerTraining {
    /// Reads labeled data for a tagger with `configuration`'s format and column, converting chunk
    /// tags to IOB2 when `chunking`.
    /// `chunking` nil: decided by the file's own tags (training data); otherwise as given (dev and
    /// test follow the training data, so one stray tag cannot leave them in another scheme).
    static func read(_ path: String, configuration: TaggerConfiguration, chunking: Bool? = nil) throws -> TaggedFile {
        var file = try TaggedFile.read(path: path, format: configuration.format, tagColumn: configuration.column)
        let tags = file.sentences.lazy.flatMap(\.tags)
        if chunking ?? (!tags.isEmpty && TagSchemes.isChunkTagSet(tags)) {
            for index in file.sentences.indices { file.sentences[index].tags = TagSchemes.toIOB2(file.sentences[index].tags) }
        }
        return file
    }

    /// Trains a tagger on `trainPath`, selecting the epoch by its score on `devPath`. With
    /// `threads` > 1, each batch runs on that many workers (`BatchParallel`); with 1, serially.
    public static func run(trainPath: String, devPath: String, vectorsPath: String?, configuration: TaggerConfiguration,
                           threads: Int, log: (String) -> Void) throws -> TaggerTrainingResult {
        try TrainingLoop.train(Tagger.self, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath,
                               configuration: configuration, threads: threads, log: log)
    }

    /// Tags a labeled file and scores it; a gold label the model does not know is an error
    /// naming its line.
    public static func evaluate(_ tagger: Tagger, path: String) throws -> TaggerScore {
        var (score, sentences) = try tagger.evaluate(path: path)
        let lookup = tagger.words.lookup()
        let tokens = Array(sentences.joined())
        score.unknownRate = tokens.isEmpty ? 0 : Double(tokens.filter { lookup($0) == 1 }.count) / Double(tokens.count)
        score.vectorOOVRate = tagger.words.vectorOOVRate(sentences)
        return score
    }
}

/// Trains text classifiers (`wordpipe train-classifier`).
public enum ClassifierTraining {
    /// Tokenizes texts with `tokenizer` (one line per text).
    static func tokenize(_ texts: [String], with tokenizer: Tokenizer) throws -> [[String]] {
        try texts.map { try tokenizer.tokenize($0).joined().map { $0 } }
    }

    /// Trains a classifier on `trainPath`, selecting the epoch by its accuracy on `devPath`. With
    /// `threads` > 1, each batch runs on that many workers (`BatchParallel`); with 1, serially.
    public static func run(trainPath: String, devPath: String, vectorsPath: String?, configuration: ClassifierConfiguration,
                           threads: Int, log: (String) -> Void) throws -> ClassifierTrainingResult {
        try TrainingLoop.train(Classifier.self, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath,
                               configuration: configuration, threads: threads, log: log)
    }

    /// Classifies a labeled file and scores it; a label the model does not know is an error
    /// naming its line.
    public static func evaluate(_ classifier: Classifier, path: String) throws -> ClassificationMetrics {
        try classifier.evaluate(path: path).metrics
    }

    /// The OOV rate of a labeled file's tokens against the vectors the classifier started from.
    public static func vectorOOVRate(_ classifier: Classifier, path: String) throws -> Double? {
        let file = try ClassificationFile.read(path: path, format: classifier.configuration.format)
        return classifier.words.vectorOOVRate(try tokenize(file.examples.map(\.text), with: try classifier.makeTokenizer()))
    }
}
