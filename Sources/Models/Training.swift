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
        /// Each epoch's mean training loss and dev score (also those before a resume).
        var history: [EpochFigures]
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
    /// Also returns the replicas (none with one worker), whose dropout generators a checkpoint keeps.
    static func step<Model: Replicable>(model: Model, threads: Int, settings: EncoderSettings, lengths: [Int],
                                        units: @escaping ([Int]) -> Int,
                                        work: @escaping (Model, [Int]) -> Double) -> (step: ([Int]) -> Double, replicas: [Model]) {
        let workers = min(threads, settings.batch)
        guard workers > 1 else { return ({ work(model, $0) }, []) }
        let parallel = BatchParallel(main: model, workers: workers, seed: settings.seed &+ 0x5851_F42D_4C95_7F2D)
        return ({ parallel.step($0, lengths: lengths, units: units, work: work) }, parallel.replicas)
    }

    /// OpenBLAS at one thread, whatever `--threads` is: more threads go to workers over the batch,
    /// never into BLAS as well (nested threads oversubscribe the cores; see `BLAS`).
    static func prepareThreads() { BLAS.setThreads(1) }

    /// What `run` needs to write checkpoints and to resume from one.
    struct Checkpointing {
        /// The run's identity (settings, data, threads), recorded and checked on resume.
        var identity: TrainingIdentity
        /// Where to write checkpoints (nil: none).
        var directory: String?
        /// The checkpoint directory to continue from (nil: a fresh start).
        var resume: String?
        /// Batches between checkpoints inside an epoch (nil: at epoch ends only).
        var everyBatches: Int?
        /// The dropout generators' states (the model's, then each replica's), and setting them.
        var generators: () -> [[UInt64]]
        var restoreGenerators: ([[UInt64]]) -> Void
        /// State the run carries from batch to batch outside the weights (a language model's
        /// streams), as named matrices, and setting it back; none for most models.
        var carriedState: () -> [Parameter<Float>] = { [] }
        var restoreCarriedState: ([Matrix<Float>]) -> Void = { _ in }
    }

    /// Trains until `settings.epochs` or until `settings.patience` epochs pass without a better
    /// dev score; leaves the best epoch's weights in `all`.
    /// - Parameters:
    ///   - lengths: tokens per training example (for batching and tokens/s).
    ///   - step: forward and backward over the examples at these indices; returns the mean loss.
    ///   - evaluate: the dev score (higher is better).
    ///   - threads: the threads that clipping and the optimizer step split their work over (both
    ///     bit-identical to one thread's; see `clipGradients` and `Optimizer`).
    ///   - checkpointing: where checkpoints go and where the run resumes from; a resumed run
    ///     ends with the same weights as one that was never stopped.
    ///   - progress: shows the batches of each epoch go by (`BatchProgress`).
    ///   - log: receives one line per epoch.
    ///   - plan: batch order and step-size schedule (`TrainingPlan`).
    ///   - higherIsBetter: whether the dev score selects its highest epoch (else its lowest).
    ///   - figures: extra figures for the per-epoch line, from the epoch's mean loss.
    static func run(settings: EncoderSettings, lengths: [Int], trainable: [Parameter<Float>], all: [Parameter<Float>],
                    metric: String, step: ([Int]) -> Double, evaluate: () -> Double, threads: Int = 1,
                    plan: TrainingPlan = TrainingPlan(), higherIsBetter: Bool = true, figures: (Double) -> String = { _ in "" },
                    checkpointing: Checkpointing? = nil, progress: BatchProgress? = nil, timeBudget: Double? = nil,
                    log: (String) -> Void) throws -> Outcome {
        var generator = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9)
        let base = settings.learningRate
        let optimizer: any Optimizer<Float> = settings.optimizer == .adam
            ? Adam<Float>(learningRate: base) : SGD<Float>(learningRate: base, momentum: plan.momentum)
        let optimizerBuffers = settings.optimizer == .adam ? 2 : (plan.momentum > 0 ? 1 : 0)
        // Scores are compared as `sign · score`, so that higher is always better inside the loop.
        let sign = higherIsBetter ? 1.0 : -1.0
        let clock = ContinuousClock()
        let started = clock.now
        var best = -Double.infinity, bestEpoch = 0, bestValues: [Matrix<Float>] = [], stale = 0
        var trainSeconds = 0.0, epochsRun = 0
        var history: [EpochFigures] = []
        // Where the first epoch run here starts: a resumed run skips the batches done and carries
        // the epoch's sums so far.
        var firstEpoch = 1, skip = 0, carried = (loss: 0.0, tokens: 0, seconds: 0.0)
        let batchesPerEpoch = (lengths.count + settings.batch - 1) / max(settings.batch, 1)
        if let checkpointing, let resume = checkpointing.resume {
            let loaded = try TrainingCheckpoint.read(
                from: resume, identity: checkpointing.identity, all: all, trainable: trainable, optimizerBuffers: optimizerBuffers,
                generators: checkpointing.generators(), carried: checkpointing.carriedState(), batchesPerEpoch: batchesPerEpoch,
                epochs: settings.epochs)
            let state = loaded.state
            for (parameter, value) in zip(all, loaded.weights) { parameter.value = value }
            try optimizer.restore(loaded.optimizer, of: trainable)
            checkpointing.restoreGenerators(state.generators)
            if let carried = loaded.carried { checkpointing.restoreCarriedState(carried) }
            generator = SeededGenerator(seed: state.generator)
            (best, bestEpoch, bestValues, stale) = (state.best.map { sign * $0 } ?? -.infinity, state.bestEpoch, loaded.best ?? [], state.stale)
            (firstEpoch, skip, epochsRun, trainSeconds) = (state.epoch + 1, state.batch, state.epoch, state.trainSeconds)
            carried = (state.lossSum, state.tokens, state.epochSeconds)
            history = state.history ?? []
            log("resumed from \(resume): \(state.epoch) epochs done" + (state.batch > 0 ? ", \(state.batch) of \(batchesPerEpoch) batches of epoch \(state.epoch + 1)" : ""))
            if state.batch > 0 && loaded.carried == nil && !checkpointing.carriedState().isEmpty {
                log("the checkpoint (of an earlier wordpipe) holds no carried state: the epoch's streams continue from zero states")
            }
            // The run had already stopped early.
            if state.epoch > 0 && state.stale >= settings.patience { firstEpoch = settings.epochs + 1 }
        }
        /// Writes a checkpoint when the run has a directory for them.
        func saveCheckpoint(epoch: Int, batch: Int, generator: UInt64, loss: Double, tokens: Int, epochSeconds: Double) throws {
            guard let checkpointing, let directory = checkpointing.directory else { return }
            let snapshot = optimizer.snapshot(of: trainable)
            let state = TrainingProgressState(
                identity: checkpointing.identity, epoch: epoch, batch: batch, generator: generator, lossSum: loss, tokens: tokens,
                epochSeconds: epochSeconds, trainSeconds: trainSeconds, best: bestValues.isEmpty ? nil : sign * best, bestEpoch: bestEpoch,
                stale: stale, optimizerSteps: snapshot.steps, optimizerBuffers: optimizerBuffers, generators: checkpointing.generators(),
                history: history)
            try TrainingCheckpoint.write(state, weights: all, best: bestValues.isEmpty ? nil : bestValues, optimizer: snapshot,
                                         trainable: trainable, carried: checkpointing.carriedState(), to: directory)
        }
        var epoch = firstEpoch
        while epoch <= settings.epochs {
            epochsRun = epoch
            optimizer.learningRate = plan.rate(settings.optimizer, base, epoch)
            let epochStart = clock.now
            let epochGenerator = generator.state
            var (lossSum, tokens, before) = carried
            carried = (0, 0, 0)
            let batches = plan.inOrder ? stride(from: 0, to: lengths.count, by: max(settings.batch, 1)).map { Array($0 ..< min($0 + settings.batch, lengths.count)) }
                : self.batches(lengths: lengths, size: settings.batch, generator: &generator)
            var examples = batches[..<skip].reduce(0) { $0 + $1.count }
            progress?.startEpoch(batch: skip, tokens: tokens)
            // The batches done when the time budget ran out (nil: the epoch ran whole).
            var budgetStop: Int?
            for number in skip..<batches.count {
                let batch = batches[number]
                // A batch boundary: every worker of the last step has returned (see `Interruption`).
                try Interruption.check()
                zeroGradients(trainable, workers: threads)
                let loss = step(batch)
                guard loss.isFinite else { throw ModelError.diverged(epoch: epoch, batch: number + 1) }
                if settings.clip > 0 { clipGradients(trainable, maxNorm: settings.clip, workers: threads) }
                optimizer.step(trainable, workers: threads)
                lossSum += loss * Double(batch.count)
                tokens += batch.reduce(0) { $0 + lengths[$1] }
                examples += batch.count
                progress?.update(epoch: epoch, epochs: settings.epochs, batch: number + 1, batches: batches.count, tokens: tokens,
                                 loss: lossSum / Double(max(examples, 1)))
                FaultInjection.reach("train-batch")
                if let every = checkpointing?.everyBatches, (number + 1) % every == 0, number + 1 < batches.count {
                    try saveCheckpoint(epoch: epoch - 1, batch: number + 1, generator: epochGenerator, loss: lossSum, tokens: tokens,
                                       epochSeconds: before + (clock.now - epochStart).seconds)
                }
                if let timeBudget, trainSeconds + before + (clock.now - epochStart).seconds >= timeBudget, number + 1 < batches.count {
                    budgetStop = number + 1
                    break
                }
            }
            skip = 0
            progress?.endEpoch()
            let seconds = before + (clock.now - epochStart).seconds
            if let budgetStop {
                // A checkpoint inside the epoch, as --checkpoint-every writes, so that --resume
                // trains on from this batch.
                try saveCheckpoint(epoch: epoch - 1, batch: budgetStop, generator: epochGenerator, loss: lossSum, tokens: tokens, epochSeconds: seconds)
            }
            trainSeconds += seconds
            try Interruption.check()
            let score = evaluate()
            // The evaluation stops early on an interrupt, so its score means nothing then.
            try Interruption.check()
            let improved = sign * score > best
            if improved {
                best = sign * score
                bestEpoch = epoch
                bestValues = all.map(\.value)
                stale = 0
            } else {
                stale += 1
            }
            // The mean over the examples trained on: the whole epoch's, unless the budget cut it.
            let meanLoss = lossSum / Double(max(examples, 1))
            history.append(EpochFigures(epoch: epoch, loss: meanLoss, dev: score))
            log(String(format: "epoch %d/%d loss %.6f%@ dev_%@ %.6f train_s %.2f tokens/s %.0f elapsed_s %.2f%@%@",
                       epoch, settings.epochs, meanLoss, figures(meanLoss), metric, score, seconds,
                       Double(tokens) / max(seconds, 1e-9), (clock.now - started).seconds, improved ? " best" : "",
                       budgetStop.map { " (time budget of \(Self.formatSeconds(timeBudget ?? 0)) s reached after \($0) of \(batches.count) batches)" } ?? ""))
            if budgetStop != nil { break }
            try saveCheckpoint(epoch: epoch, batch: 0, generator: generator.state, loss: 0, tokens: 0, epochSeconds: 0)
            if stale >= settings.patience { break }
            if let timeBudget, trainSeconds >= timeBudget, epoch < settings.epochs {
                log("time budget of \(Self.formatSeconds(timeBudget)) s reached at the end of epoch \(epoch)")
                break
            }
            epoch += 1
        }
        for (parameter, value) in zip(all, bestValues) { parameter.value = value }
        return Outcome(epochs: epochsRun, bestEpoch: bestEpoch, best: sign * best, trainSeconds: trainSeconds,
                       totalSeconds: (clock.now - started).seconds, history: history)
    }
}

extension TrainingLoop {
    /// Seconds as the log shows a time budget: whole numbers without a fraction.
    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The training log's line on the vectors: their size, how many training types start from one,
/// and the OOV rates of train and dev.
func vectorsLine(_ vectors: WordVectors, typesWithVectors: Int, typesWithNgrams: Int = 0, trainingTypes: Int, oovTrain: Double?,
                 oovDev: Double?) -> String {
    let ngrams = vectors.subwords == nil ? "" : " (\(typesWithNgrams) from their character n-grams)"
    return String(format: "vectors: %d words of dim %d; %d of %d training types start from a vector%@; OOV tokens: train %.2f%%, dev %.2f%%",
                  vectors.vocabulary.count, vectors.dim, typesWithVectors, trainingTypes, ngrams, 100 * (oovTrain ?? 0), 100 * (oovDev ?? 0))
}

/// Loads word vectors for a model, or nil for random initialization.
func loadVectors(_ path: String?) throws -> WordVectors? {
    guard let path else { return nil }
    return try WordVectors.load(from: path).0
}

/// Settings of a model training run that do not change its result (for a given thread count).
public struct ModelTrainingOptions: Sendable {
    /// Workers over each batch (each with a replica of the model; runs are reproducible for a
    /// given count), when to show progress inside an epoch (`BatchProgress`: a live bar when
    /// `run.terminal`, else a plain line at each tenth of the epoch's batches), and the log that
    /// receives the per-epoch lines and the progress.
    public var run: RunOptions
    /// Where to write checkpoints (a directory), if anywhere: one at the end of every epoch.
    public var checkpoint: String?
    /// A checkpoint directory to continue from: the run ends with the weights an uninterrupted
    /// run gives.
    public var resume: String?
    /// Batches between checkpoints inside an epoch (nil: at epoch ends only).
    public var checkpointEvery: Int?
    /// Seconds of training (dev evaluations not counted) after which the run stops at the next
    /// batch boundary; the cut epoch is evaluated like a whole one (nil: no limit).
    public var timeBudget: Double?

    /// Creates options; a run resumed from `resume` writes its checkpoints there too unless
    /// `checkpoint` says otherwise.
    public init(run: RunOptions = RunOptions(threads: 1, progress: .never), checkpoint: String? = nil, resume: String? = nil,
                checkpointEvery: Int? = nil, timeBudget: Double? = nil) {
        self.run = run
        self.timeBudget = timeBudget
        self.checkpoint = checkpoint ?? resume
        self.resume = resume
        self.checkpointEvery = checkpointEvery.map { max(1, $0) }
    }

    /// Worker threads.
    public var threads: Int { run.threads }
}

extension TrainingLoop {
    /// Trains a model of any task on `trainPath`, selecting the epoch by its dev score on
    /// `devPath`: reads the data, builds the word table (from `vectorsPath`'s vectors or random)
    /// and the model, and runs the epochs (`run`). With `threads` > 1, each batch runs on that
    /// many workers (`BatchParallel`) and dev prediction on as many replicas; with 1, serially.
    static func train<Model: TrainableModel>(_ type: Model.Type, trainPath: Model.DataLocation, devPath: Model.DataLocation, vectorsPath: String?,
                                             configuration: Model.Configuration, threads: Int,
                                             log: (String) -> Void) throws -> TrainingResult<Model, Model.Metrics> {
        // The lines are collected here and handed to `log` as they come, on this thread.
        let lines = LogRecorder()
        let options = ModelTrainingOptions(run: RunOptions(threads: threads, progress: .never, log: lines.sink()))
        return try train(type, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath, configuration: configuration,
                         options: options, lineHandler: { lines.take().forEach(log) })
    }

    /// `train` with progress, checkpoints and resume (`options`); the log lines and the progress
    /// reports go to `options.run.log`.
    static func train<Model: TrainableModel>(_: Model.Type, trainPath: Model.DataLocation, devPath: Model.DataLocation, vectorsPath: String?,
                                             configuration: Model.Configuration, options: ModelTrainingOptions,
                                             lineHandler: () -> Void = {}) throws -> TrainingResult<Model, Model.Metrics> {
        let events = options.run.log
        func log(_ text: String) {
            events(.line(text))
            lineHandler()
        }
        prepareThreads()
        let threads = options.threads
        if let resume = options.resume, !FileManager.default.fileExists(atPath: resume + "/latest") {
            throw ModelError.badData(location: SourceLocation(path: resume), message: "no checkpoint here (no 'latest' file)")
        }
        let (train, dev) = try Model.readTraining(trainPath: trainPath, devPath: devPath, configuration: configuration)
        let vectors = try loadVectors(vectorsPath)
        let data = try Model.taskData(train: train, dev: dev, vectors: vectors, configuration: configuration)
        let settings = Model.settings(of: configuration)
        let built = WordTable.build(trainingTokens: data.tokens, vectors: vectors, dim: settings.dim, seed: settings.seed,
                                    randomLimit: Model.randomEmbeddingLimit(dim: vectors?.dim ?? settings.dim, withVectors: vectors != nil))
        let model = Model.make(configuration: configuration, words: built.table, initial: built.matrix, data: data, vectors: vectors)
        let oovTrain = built.table.vectorOOVRate(data.tokens), oovDev = built.table.vectorOOVRate(data.devTokens)
        if let vectors { log(vectorsLine(vectors, typesWithVectors: built.typesWithVectors, typesWithNgrams: built.typesWithNgrams, trainingTypes: built.trainingTypes, oovTrain: oovTrain, oovDev: oovDev)) }
        log(model.dataLine(data))
        let lookup = built.table.lookup()
        let encoded = model.encode(data, ids: data.tokens.map { $0.map(lookup) })
        var lastScore: Model.Metrics?
        let lengths = data.tokens.map(\.count)
        let (step, replicas) = self.step(
            model: model, threads: threads, settings: settings, lengths: lengths,
            units: { batch in model.lossUnits(lengths: batch.map { lengths[$0] }) },
            work: { model, batch in model.lossAndGradients(batch, of: encoded) })
        var checkpointing: Checkpointing?
        if options.checkpoint != nil || options.resume != nil {
            let identity = try TrainingIdentity.of(task: Model.typeName, configuration: configuration, trainPaths: trainPath.files,
                                                   devPaths: devPath.files, vectorsPath: vectorsPath, threads: threads)
            checkpointing = Checkpointing(
                identity: identity, directory: options.checkpoint, resume: options.resume, everyBatches: options.checkpointEvery,
                generators: { [model.generatorStates] + replicas.map(\.generatorStates) },
                restoreGenerators: { states in
                    model.generatorStates = states[0]
                    for (replica, state) in zip(replicas, states.dropFirst()) { replica.generatorStates = state }
                },
                carriedState: { model.carriedState(of: encoded) },
                restoreCarriedState: { model.restoreCarriedState($0, of: encoded) })
        }
        let outcome = try run(
            settings: settings, lengths: lengths, trainable: model.trainableParameters,
            all: model.allParameters, metric: model.metricName, step: step,
            evaluate: {
                let score = model.devScore(data, threads: threads)
                lastScore = score
                return score.main
            },
            threads: threads, plan: Model.plan(of: configuration), higherIsBetter: Model.Metrics.higherIsBetter,
            figures: { model.epochFigures(meanLoss: $0) }, checkpointing: checkpointing,
            progress: BatchProgress(mode: options.run.progress, terminal: options.run.terminal, logDelay: options.run.logEvery, emit: events),
            timeBudget: options.timeBudget, log: log)
        // The last evaluation is the kept weights' when the last epoch was the best.
        let devScore = (outcome.bestEpoch == outcome.epochs ? lastScore : nil)
            ?? model.devScore(data, threads: threads)
        try Interruption.check()
        let record = TrainingRecord(vectors: vectorsPath, epochs: outcome.epochs, bestEpoch: outcome.bestEpoch, devScore: devScore.main,
                                    metric: model.metricName, oovTrain: oovTrain, oovDev: oovDev,
                                    trainSeconds: outcome.trainSeconds, totalSeconds: outcome.totalSeconds)
        return TrainingResult(model: model, record: record, dev: devScore, history: outcome.history)
    }
}

/// One epoch of a model's training: its mean training loss and its dev score (the main metric).
public struct EpochFigures: Codable, Sendable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var dev: Double
}

/// What training a model gives.
/// A model file's writer, for callers outside the library (the CLI's train-MODEL commands).
public protocol SavableModel {
    /// Saves the model with its training record to `path`, atomically.
    func save(to path: String, record: TrainingRecord?) throws
}

extension Tagger: SavableModel {}
extension Classifier: SavableModel {}
extension LanguageModel: SavableModel {}

public struct TrainingResult<Model, Metrics> {
    /// The model with the best dev epoch's weights.
    public var model: Model
    /// How it was trained.
    public var record: TrainingRecord
    /// Its dev score.
    public var dev: Metrics
    /// Each epoch's mean training loss and dev score, in order.
    public var history: [EpochFigures] = []
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

    /// Trains a tagger on `trainPath`, selecting the epoch by its score on `devPath`, with
    /// `options`' threads, progress, checkpoints and resume; log lines and progress reports go
    /// to `options.run.log`.
    public static func run(trainPath: String, devPath: String, vectorsPath: String?, configuration: TaggerConfiguration,
                           options: ModelTrainingOptions) throws -> TaggerTrainingResult {
        try TrainingLoop.train(Tagger.self, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath,
                               configuration: configuration, options: options)
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

    /// Trains a classifier on `trainPath`, selecting the epoch by its accuracy on `devPath`, with
    /// `options` as for taggers.
    public static func run(trainPath: String, devPath: String, vectorsPath: String?, configuration: ClassifierConfiguration,
                           options: ModelTrainingOptions) throws -> ClassifierTrainingResult {
        try TrainingLoop.train(Classifier.self, trainPath: trainPath, devPath: devPath, vectorsPath: vectorsPath,
                               configuration: configuration, options: options)
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
