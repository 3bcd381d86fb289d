import EmbeddingKernels
import Foundation
import Synchronization
import Vocabulary
import WordPipeSupport

/// Settings of a training run that do not change its result (for a given thread count).
public struct TrainingOptions: Sendable {
    /// Worker threads.
    public var threads: Int
    /// Progress line mode.
    public var progress: ProgressMode
    /// Where to write checkpoints, if anywhere.
    public var checkpoint: String?
    /// A checkpoint directory to continue from.
    public var resume: String?
    /// Words (summed over threads) between checkpoints; epochs end with one too.
    public var checkpointEvery: Int64
    /// Receives the log's lines (the vocabulary's summary and warnings, when it is built) and the
    /// progress reports.
    public var log: LogSink
    /// Whether the log ends up on a terminal (progress redrawn in place; elsewhere `auto` writes a
    /// line every `logEvery` seconds).
    public var terminal: Bool
    /// Seconds between progress lines when the log is not a terminal.
    public var logEvery: Double = 10

    /// Creates options; `threads` defaults to the number of cores.
    public init(threads: Int? = nil, progress: ProgressMode = .never, checkpoint: String? = nil, resume: String? = nil,
                checkpointEvery: Int64 = 10_000_000, terminal: Bool = false, log: @escaping LogSink = { _ in }) {
        self.log = log
        self.terminal = terminal
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.progress = progress
        self.checkpoint = checkpoint
        self.resume = resume
        self.checkpointEvery = max(1, checkpointEvery)
    }
}

extension TrainingOptions {
    /// The threads, progress and log as the options value other library calls take.
    public var runOptions: RunOptions { RunOptions(threads: threads, progress: progress, terminal: terminal, logEvery: logEvery, log: log) }
}

/// What a training run did.
public struct TrainingSummary: Sendable {
    /// Corpus words read (before subsampling), over all epochs.
    public var words: Int64 = 0
    /// Seconds spent training (vocabulary and encoding excluded).
    public var seconds: Double = 0
    /// Worker threads.
    public var threads = 1
    /// Mean loss (−log σ per prediction) of each epoch.
    public var epochLosses: [Double] = []
    /// (fraction of training done, mean loss over the interval), about every half second.
    public var lossCurve: [(progress: Double, loss: Double)] = []
    /// Whether the AVX2 + FMA kernels ran.
    public var vectorized = false

    /// Words per second, all threads together.
    public var wordsPerSecond: Double { Double(words) / max(seconds, 1e-9) }

    /// The one-line summary printed at the end.
    public var line: String {
        var text = String(format: "%lld words in %.1f s: %@ words/s (%@ per thread)", words, seconds,
                          Format.count(wordsPerSecond), Format.count(wordsPerSecond / Double(threads)))
        if let last = epochLosses.last { text += String(format: ", final epoch loss %.4f", last) }
        return text
    }
}

/// Trains word vectors with skip-gram or CBOW, negative sampling or hierarchical softmax,
/// lock-free across threads (Hogwild), as word2vec.c does; the inner loop is in
/// `EmbeddingKernels` (C).
///
/// The learning rate falls linearly from `alpha` to `minAlpha` over all epochs, measured in
/// corpus words read by all threads. Each worker owns its generator (seeded with
/// `seed + worker`), scratch buffers and loss; with one thread, two runs with the same seed
/// give bit-identical vectors, and a run resumed from a checkpoint equals an uninterrupted one.
public enum Trainer {
    /// Trains on `corpus` (an encoded corpus; see `EncodedCorpus`) with `vocabulary`; with
    /// `initial`, its words' rows (and n-gram and output rows) start from the file's instead of
    /// random (continued training; `vocabulary` is then `initial.merged(with:configuration:)`).
    public static func train(corpus: EncodedCorpus, vocabulary: Vocabulary, configuration: TrainingConfiguration,
                             options: TrainingOptions = TrainingOptions(), initial: InitialVectors? = nil) throws -> (WordVectors, TrainingSummary) {
        try configuration.validate()
        guard corpus.vocabularyFingerprint == vocabulary.fingerprint, corpus.vocabularySize == vocabulary.count else {
            throw EmbeddingError.vocabularyMismatch("\(corpus.path) was encoded with another vocabulary than the one given")
        }
        guard corpus.tokenCount > 0 else { throw EmbeddingError.vocabularyMismatch("\(corpus.path) holds no words") }
        wp_init_tables()
        if let initial, initial.dim != configuration.dim {
            throw EmbeddingError.invalidOption(name: "dim", value: "\(configuration.dim)", expected: "the dimension of the --init file \(initial.path), \(initial.dim)")
        }
        if let initial, let subwords = initial.subwords, configuration.subwords != subwords.range || configuration.buckets != subwords.buckets {
            throw EmbeddingError.invalidOption(name: "subwords", value: configuration.subwords?.description ?? "off",
                                               expected: "the n-grams of the --init file \(initial.path): \(subwords.range) with \(subwords.buckets) buckets")
        }
        let session = try Session(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: options)
        if let initial {
            session.start(from: initial)
        }
        if let resume = options.resume { try session.restore(from: resume) }
        let progress = ProgressLine(options: options.runOptions)
        try session.run(progress: progress)
        progress.finish()
        var summary = session.summary
        summary.vectorized = wp_kernels_vectorized() != 0
        let (matrix, subwords) = session.trainedVectors()
        var vectors = WordVectors(vocabulary: vocabulary, dim: configuration.dim, matrix: matrix, training: configuration)
        vectors.subwords = subwords
        if configuration.loss == .ns { vectors.outputWeights = session.outputRows() }
        return (vectors, summary)
    }
}

/// One worker's position and state, saved in checkpoints.
struct WorkerState: Codable, Equatable {
    /// Piece range of this worker (indices into the piece list).
    var first: Int
    var end: Int
    /// The next piece to train on in the current epoch.
    var next: Int
    /// The LCG state.
    var random: UInt64
    /// Loss sum and prediction count in the current epoch.
    var loss: Double
    var predictions: Int64
    /// Words read but not yet added to the shared count (word2vec.c adds them every 10,000).
    var pending: Int64 = 0
    /// The learning rate in use (refreshed with the shared count).
    var alpha: Float
}

/// The checkpoint's record of where training stands.
struct CheckpointState: Codable {
    var kind = "wordpipe.training-checkpoint"
    var version = 1
    var configuration: TrainingConfiguration
    var vocabularyFingerprint: UInt64
    var threads: Int
    var epoch: Int
    var wordsDone: Int64
    var workers: [WorkerState]
    var epochLosses: [Double]
    /// CRC-32C of `input.f32` and `output.f32`, by file name (absent in older checkpoints).
    var checksums: [String: UInt32]?
}

/// Shared weights and the bookkeeping of one training run.
final class Session: @unchecked Sendable {
    let corpus: EncodedCorpus
    let vocabulary: Vocabulary
    let configuration: TrainingConfiguration
    let options: TrainingOptions
    let dim: Int
    let totalWords: Int64
    /// Training units: sentences cut into pieces of at most WP_MAX_SENTENCE_LENGTH words (as
    /// word2vec.c cuts them), as offsets into the id array.
    let pieceStarts: [Int]
    let pieceLengths: [Int32]
    var input: UnsafeMutablePointer<Float>
    var output: UnsafeMutablePointer<Float>
    /// Vocabulary words (rows of `output`).
    let rows: Int
    /// Rows of `input`: the words', then the n-gram buckets' with subwords.
    let inputRows: Int
    /// With subwords: every word's input rows (its own and its n-grams').
    let subwordTable: SubwordTable?
    // Read-only tables handed to C.
    let keep: [UInt32]
    let acceptance: [Float]
    let aliases: [Int32]
    let tree: HuffmanTree?
    var workers: [WorkerState]
    var epoch = 0
    let wordsDone = Atomic<Int64>(0)
    let stopRequested = Atomic<Bool>(false)
    private let failureLock = NSLock()
    private var failure: EmbeddingError?
    var summary = TrainingSummary()
    private var liveLoss: [(Double, Int64)]
    private let liveLock = NSLock()

    init(corpus: EncodedCorpus, vocabulary: Vocabulary, configuration: TrainingConfiguration, options: TrainingOptions) throws {
        self.corpus = corpus
        self.vocabulary = vocabulary
        self.configuration = configuration
        self.options = options
        dim = configuration.dim
        totalWords = Int64(corpus.tokenCount)
        var pieceStarts: [Int] = []
        var pieceLengths: [Int32] = []
        corpus.withIDs { ids in
            var start = 0
            for (index, id) in ids.enumerated() where id == EncodedCorpus.sentenceEnd {
                var from = start
                while from < index {
                    let length = min(Int(WP_MAX_SENTENCE_LENGTH), index - from)
                    pieceStarts.append(from)
                    pieceLengths.append(Int32(length))
                    from += length
                }
                start = index + 1
            }
        }
        self.pieceStarts = pieceStarts
        self.pieceLengths = pieceLengths
        rows = vocabulary.count
        if let range = configuration.subwords {
            inputRows = rows + configuration.buckets
            subwordTable = SubwordTable(vocabulary: vocabulary, range: range, buckets: configuration.buckets)
        } else {
            inputRows = rows
            subwordTable = nil
        }
        let count = rows * dim
        let (inputCount, overflow) = inputRows.multipliedReportingOverflow(by: dim)
        let inputBytes = inputCount.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        var block: UnsafeMutableRawPointer?
        // 2 MB alignment: with n-gram rows (800 MB for 2M buckets of 100 floats, read and written
        // at random) the kernel asks for transparent huge pages, which spare most TLB misses.
        guard !overflow, !inputBytes.overflow, posix_memalign(&block, 1 << 21, max(1, inputBytes.partialValue)) == 0, let memory = block else {
            throw EmbeddingError.invalidOption(name: "buckets", value: "\(configuration.buckets)",
                                               expected: "fewer buckets: \(inputRows) rows of \(dim) floats do not fit in memory")
        }
        #if os(Linux)
        if inputBytes.partialValue >= 1 << 22 { _ = madvise(memory, inputBytes.partialValue, 14) }  // MADV_HUGEPAGE
        #endif
        input = memory.bindMemory(to: Float.self, capacity: inputCount)
        output = .allocate(capacity: count)
        output.initialize(repeating: 0, count: count)
        // word2vec.c's initialisation: uniform in [-0.5/dim, 0.5/dim) from its LCG (for the
        // n-gram rows too, which fastText draws from [-1/dim, 1/dim]).
        var random = configuration.seed
        for index in 0..<inputCount {
            random = random &* 25_214_903_917 &+ 11
            input[index] = (Float(random & 0xFFFF) / 65536 - 0.5) / Float(dim)
        }
        keep = SubsamplingTable(vocabulary: vocabulary, sample: configuration.sample).keepProbabilities.map { probability in
            probability >= 1 ? UInt32.max : UInt32(probability * 4_294_967_296)
        }
        let noise = NoiseDistribution(vocabulary: vocabulary, exponent: configuration.noiseExponent)
        acceptance = noise.acceptance.map(Float.init)
        aliases = noise.aliases
        tree = configuration.loss == .hs ? try HuffmanTree(counts: vocabulary.counts) : nil
        // Contiguous piece ranges of about equal word counts, one per worker.
        let threads = options.threads
        let pieceCount = pieceStarts.count
        var workers: [WorkerState] = []
        var first = 0
        var wordsBefore: Int64 = 0
        for worker in 0..<threads {
            let target = Int64(corpus.tokenCount) * Int64(worker + 1) / Int64(threads)
            var end = first
            while end < pieceCount && wordsBefore + Int64(pieceLengths[end]) <= target {
                wordsBefore += Int64(pieceLengths[end])
                end += 1
            }
            if worker == threads - 1 { end = pieceCount }
            workers.append(WorkerState(first: first, end: end, next: first, random: configuration.seed &+ UInt64(worker),
                                       loss: 0, predictions: 0, alpha: Float(configuration.alpha)))
            first = end
        }
        self.workers = workers
        liveLoss = Array(repeating: (0, 0), count: threads)
        summary.threads = threads
    }

    /// Starts from `initial`'s rows (continued training): every word of the file gets its rows.
    func start(from initial: InitialVectors) {
        initial.fill(input: input, output: output, vocabulary: vocabulary, dim: dim,
                     buckets: configuration.subwords == nil ? nil : configuration.buckets)
    }

    /// Whether `input` is still this session's to free (`trainedVectors` hands it over).
    private var ownsInput = true

    deinit {
        if ownsInput { free(input) }
        output.deallocate()
    }

    /// The words' vectors and, with subwords, the n-gram rows. With subwords a word's vector
    /// is the mean of its own row and its n-gram rows (what fastText's `.vec` holds).
    /// With subwords, the n-gram rows are handed over without a copy: call this once, last.
    func trainedVectors() -> ([Float], SubwordVectors?) {
        guard let table = subwordTable, let range = configuration.subwords else {
            return (Array(UnsafeBufferPointer(start: input, count: rows * dim)), nil)
        }
        var words = [Float](repeating: 0, count: rows * dim)
        words.withUnsafeMutableBufferPointer { out in
            for word in 0..<rows {
                let from = Int(table.offsets[word]), to = Int(table.offsets[word + 1])
                let target = out.baseAddress! + word * dim
                for k in from..<to {
                    let row = input + Int(table.ids[k]) * dim
                    for index in 0..<dim { target[index] += row[index] }
                }
                let scale = 1 / Float(max(1, to - from))
                for index in 0..<dim { target[index] *= scale }
            }
        }
        ownsInput = false
        let ngrams = FloatStorage(adopting: UnsafeMutableRawPointer(input), start: input + rows * dim, count: configuration.buckets * dim)
        return (words, SubwordVectors(range: range, buckets: configuration.buckets, storage: ngrams))
    }

    /// A copy of the output rows.
    func outputRows() -> [Float] { Array(UnsafeBufferPointer(start: output, count: rows * dim)) }

    /// The learning rate after `done` words: linear from alpha to minAlpha over all epochs.
    func alpha(after done: Int64) -> Float {
        let fraction = min(1, Double(done) / Double(max(1, totalWords * Int64(configuration.epochs))))
        return Float(configuration.alpha - (configuration.alpha - configuration.minAlpha) * fraction)
    }

    /// Runs the remaining epochs, in segments separated by checkpoints.
    func run(progress: ProgressLine) throws {
        let start = MonotonicClock.now()
        let startWords = wordsDone.load(ordering: .relaxed)
        var lastWords = startWords
        var lastTime = start
        var lastLoss = (0.0, Int64(0))
        while epoch < configuration.epochs {
            let quota = options.checkpoint == nil ? Int64.max : max(1, options.checkpointEvery / Int64(workers.count))
            let group = DispatchGroup()
            for index in workers.indices {
                group.enter()
                Thread.detachNewThread { [self] in
                    defer { group.leave() }
                    self.trainSegment(worker: index, quota: quota)
                }
            }
            while group.wait(timeout: .now() + 0.5) == .timedOut {
                let now = MonotonicClock.now()
                let done = wordsDone.load(ordering: .relaxed)
                let (loss, predictions) = currentLoss()
                let intervalLoss = predictions > lastLoss.1 ? (loss - lastLoss.0) / Double(predictions - lastLoss.1) : .nan
                let total = Double(totalWords * Int64(configuration.epochs))
                if intervalLoss.isFinite { summary.lossCurve.append((Double(done) / total, intervalLoss)) }
                let rate = Double(done - lastWords) / max(now - lastTime, 1e-9)
                let overall = Double(done - startWords) / max(now - start, 1e-9)
                progress.draw {
                    let fraction = Double(done) / total
                    let eta = overall > 0 ? (total - Double(done)) / overall : 0
                    return String(format: "epoch %d/%d, %.1f%%, %@ words/s (%@/thread), alpha %.5f, loss %.4f, ETA %@",
                                  epoch + 1, configuration.epochs, fraction * 100, Format.count(rate),
                                  Format.count(rate / Double(workers.count)), alpha(after: done), intervalLoss,
                                  Format.duration(eta))
                }
                lastWords = done
                lastTime = now
                lastLoss = (loss, predictions)
            }
            // Every worker has returned: stopping here leaves no thread inside the kernels.
            try Interruption.check()
            if let failure = takeFailure() { throw failure }
            if workers.allSatisfy({ $0.next >= $0.end }) {
                let loss = workers.reduce(0.0) { $0 + $1.loss }
                let predictions = workers.reduce(Int64(0)) { $0 + $1.predictions }
                summary.epochLosses.append(predictions > 0 ? loss / Double(predictions) : 0)
                epoch += 1
                for index in workers.indices {
                    workers[index].next = workers[index].first
                    workers[index].loss = 0
                    workers[index].predictions = 0
                }
                liveLock.lock()
                liveLoss = Array(repeating: (0, 0), count: workers.count)
                liveLock.unlock()
                lastLoss = (0, 0)
            }
            if let directory = options.checkpoint { try writeCheckpoint(to: directory) }
        }
        let pending = workers.reduce(Int64(0)) { $0 + $1.pending }
        wordsDone.add(pending, ordering: .relaxed)
        for index in workers.indices { workers[index].pending = 0 }
        summary.words = wordsDone.load(ordering: .relaxed) - startWords
        summary.seconds = MonotonicClock.now() - start
    }

    private func currentLoss() -> (Double, Int64) {
        liveLock.lock()
        defer { liveLock.unlock() }
        return liveLoss.reduce((0.0, Int64(0))) { ($0.0 + $1.0, $0.1 + $1.1) }
    }

    private func takeFailure() -> EmbeddingError? {
        failureLock.lock()
        defer { failureLock.unlock() }
        return failure
    }

    /// Trains worker `index` on its pieces until it has read `quota` words or its range ends.
    func trainSegment(worker index: Int, quota: Int64) {
        liveLock.lock()
        var state = workers[index]
        liveLock.unlock()
        let scratchCount = Int(wp_scratch_floats(Int32(dim), Int32(configuration.window), Int32(configuration.negative)))
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
        defer { scratch.deallocate() }
        var c = wp_train_state(random: state.random, loss: state.loss, predictions: state.predictions, scratch: scratch)
        var readSinceUpdate = state.pending
        var readInSegment: Int64 = 0
        var alpha = state.alpha
        keep.withUnsafeBufferPointer { keep in
        acceptance.withUnsafeBufferPointer { acceptance in
        aliases.withUnsafeBufferPointer { aliases in
        (tree?.codes ?? []).withUnsafeBufferPointer { codes in
        (tree?.points ?? []).withUnsafeBufferPointer { points in
        (tree?.lengths ?? []).withUnsafeBufferPointer { lengths in
        (subwordTable?.offsets ?? []).withUnsafeBufferPointer { subwordOffsets in
        (subwordTable?.ids ?? []).withUnsafeBufferPointer { subwordIDs in
            var model = wp_train_model(
                input: input, output: output, dim: Int32(dim), vocabularySize: Int64(rows),
                model: configuration.model == .skipgram ? Int32(WP_MODEL_SKIPGRAM) : Int32(WP_MODEL_CBOW),
                loss: configuration.loss == .ns ? Int32(WP_LOSS_NS) : Int32(WP_LOSS_HS),
                window: Int32(configuration.window), negative: Int32(configuration.negative),
                batched: configuration.batched ? 1 : 0, cbowMean: 1,
                keep: configuration.sample > 0 ? keep.baseAddress : nil,
                acceptance: acceptance.baseAddress, alias: aliases.baseAddress,
                codes: codes.baseAddress, points: points.baseAddress, codeLengths: lengths.baseAddress,
                subwordOffsets: subwordTable == nil ? nil : subwordOffsets.baseAddress,
                subwordIDs: subwordTable == nil ? nil : subwordIDs.baseAddress)
            if configuration.loss == .hs { model.negative = 0 }
            corpus.withIDs { ids in
                while state.next < state.end && readInSegment < quota {
                    // A sentence (at most 1,000 words) is the boundary where an interrupt stops a worker.
                    if stopRequested.load(ordering: .relaxed) || Interruption.requested { return }
                    let length = pieceLengths[state.next]
                    let result = wp_train_sentence(&model, &c, ids.baseAddress! + pieceStarts[state.next], length, alpha)
                    if result < 0 {
                        let position = wordsDone.load(ordering: .relaxed) + readSinceUpdate
                        fail(.diverged(epoch: epoch + 1, position: position, alpha: Double(alpha)))
                        return
                    }
                    let read = Int64(length)
                    readSinceUpdate += read
                    readInSegment += read
                    state.next += 1
                    // word2vec.c refreshes the shared count and the learning rate every 10,000 words.
                    if readSinceUpdate >= 10_000 {
                        let done = wordsDone.add(readSinceUpdate, ordering: .relaxed).newValue
                        readSinceUpdate = 0
                        alpha = self.alpha(after: done)
                        liveLock.lock()
                        liveLoss[index] = (c.loss, c.predictions)
                        liveLock.unlock()
                    }
                }
            }
        }}}}}}}}
        state.pending = readSinceUpdate
        state.alpha = alpha
        state.random = c.random
        state.loss = c.loss
        state.predictions = c.predictions
        liveLock.lock()
        liveLoss[index] = (c.loss, c.predictions)
        workers[index] = state
        liveLock.unlock()
    }

    // MARK: Checkpoints

    /// Writes the weights and the state into `directory/step-N` and points `directory/latest`
    /// at it; both steps are atomic, so a kill leaves the previous checkpoint usable.
    func writeCheckpoint(to directory: String) throws {
        let done = wordsDone.load(ordering: .relaxed) + workers.reduce(0) { $0 + $1.pending }
        try CheckpointSteps.write(name: "step-\(epoch)-\(done)", into: directory) { temporary in
            let weights = [("input.f32", Data(bytes: input, count: inputRows * dim * 4)), ("output.f32", Data(bytes: output, count: rows * dim * 4))]
            let state = CheckpointState(configuration: configuration, vocabularyFingerprint: vocabulary.fingerprint,
                                        threads: workers.count, epoch: epoch, wordsDone: wordsDone.load(ordering: .relaxed),
                                        workers: workers, epochLosses: summary.epochLosses,
                                        checksums: Dictionary(uniqueKeysWithValues: weights.map { ($0.0, CRC32C.checksum(of: $0.1)) }))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.writeAtomically(try encoder.encode(state), to: temporary + "/state.json")
            for (name, data) in weights { try OutputFile.writeAtomically(data, to: temporary + "/" + name) }
        }
    }

    /// Loads the latest checkpoint of `directory`; refuses one made with other settings.
    func restore(from directory: String) throws {
        let (step, stateFile, state): (String, String, CheckpointState)
        do {
            (step, stateFile, state) = try CheckpointSteps.latest(CheckpointState.self, in: directory, pattern: "step-EPOCH-WORDS")
        } catch let failure as CheckpointSteps.ReadFailure {
            throw failure.damaged ? EmbeddingError.badCheckpoint(location: failure.location, message: failure.message)
                : EmbeddingError.malformed(location: failure.location, message: failure.message)
        }
        var differences = configuration.differences(from: state.configuration)
        if state.vocabularyFingerprint != vocabulary.fingerprint { differences.append("vocabulary: another vocabulary") }
        if state.threads != workers.count { differences.append("threads: \(state.threads) → \(workers.count)") }
        if !differences.isEmpty { throw EmbeddingError.checkpointMismatch(path: directory, differences: differences) }
        try state.check(file: stateFile, expected: workers, totalWords: totalWords, configuration: configuration)
        for (name, pointer, count) in [("input.f32", input, inputRows), ("output.f32", output, rows)] {
            let path = step + "/" + name
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "cannot read: \(error.localizedDescription)")
            }
            guard data.count == count * dim * 4 else {
                throw EmbeddingError.badCheckpoint(location: SourceLocation(path: path),
                                                   message: "\(data.count) bytes, expected \(count * dim * 4) (\(count) × \(dim) floats)")
            }
            if let stored = state.checksums?[name] {
                let computed = CRC32C.checksum(of: data)
                guard computed == stored else {
                    throw EmbeddingError.badCheckpoint(location: SourceLocation(path: step + "/" + name), message: "damaged checkpoint weights: their CRC-32C is \(CRC32C.hex(computed)), state.json records \(CRC32C.hex(stored))")
                }
            }
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: raw.count)
            }
        }
        epoch = state.epoch
        wordsDone.store(state.wordsDone, ordering: .relaxed)
        workers = state.workers
        summary.epochLosses = state.epochLosses
    }

    private func fail(_ error: EmbeddingError) {
        failureLock.lock()
        if failure == nil { failure = error }
        failureLock.unlock()
        stopRequested.store(true, ordering: .relaxed)
    }
}
