import ArgumentParser
import Embeddings
import Vocabulary
import WordPipeSupport

extension TrainingConfiguration.Model: ExpressibleByArgument {}
extension TrainingConfiguration.Loss: ExpressibleByArgument {}
extension VectorFormat: ExpressibleByArgument {}

/// `wordpipe train`: word vectors from a tokenized corpus.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train word vectors (skip-gram or CBOW; negative sampling or hierarchical softmax).",
        discussion: """
        Defaults are word2vec.c's for skip-gram: --dim 100 --window 5 --negative 5 --sample 1e-3 \
        --alpha 0.025 (0.05 for CBOW) --epochs 5 --min-count 5. CORPUS is tokenized text (as \
        wordpipe tokenize writes it) or an encoded corpus (wordpipe encode, with its --vocab). \
        Without --vocab, the vocabulary is built first with wordpipe vocab's rules. \
        With --init VECTORS (any vector format), training continues from those vectors: their \
        words are kept, the corpus's counts are added to theirs and its new words (with \
        --min-count) get word2vec's random rows; the dimension and n-grams are the file's.
        """
    )

    @Argument(help: "Tokenized corpus files or directories, or one encoded corpus.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output vectors.")
    var output: String

    @Option(help: "A vocabulary file (wordpipe vocab); built from the corpus when absent.")
    var vocab: String?

    @Option(help: "Minimum count, when the vocabulary is built here.")
    var minCount: Int = TrainingConfiguration().vocabulary.minCount

    @Option(help: "Maximum vocabulary size, when the vocabulary is built here.")
    var maxSize: Int?

    @Option(help: "Architecture.")
    var model: TrainingConfiguration.Model = TrainingConfiguration().model

    @Option(help: "Output layer: ns (negative sampling) or hs (hierarchical softmax).")
    var loss: TrainingConfiguration.Loss = TrainingConfiguration().loss

    @Option(help: "Vector dimension (default \(TrainingConfiguration().dim); with --init, the file's).")
    var dim: Int?

    @Option(help: "Maximum window radius.")
    var window: Int = TrainingConfiguration().window

    @Option(help: "Negative samples.")
    var negative: Int = TrainingConfiguration().negative

    @Option(help: "Subsampling threshold (0 = off).")
    var sample: Double = TrainingConfiguration().sample

    @Option(help: "Exponent of the noise distribution (0.75 word2vec, 0.5 fastText).")
    var noiseExponent: Double = TrainingConfiguration().noiseExponent

    @Option(help: "Starting learning rate (default \(number(TrainingConfiguration(model: .skipgram).alpha)), \(number(TrainingConfiguration(model: .cbow).alpha)) for CBOW).")
    var alpha: Double?

    @Option(help: "Final learning rate.")
    var minAlpha: Double = TrainingConfiguration().minAlpha

    @Option(help: "Passes over the corpus.")
    var epochs: Int = TrainingConfiguration().epochs

    @Flag(inversion: .prefixedNo, help: "Skip-gram with NS: share negatives across the window and apply its updates together (pWord2Vec batching); --no-batched is word2vec.c's per-pair loop.")
    var batched = TrainingConfiguration().batched

    @Option(help: "Character n-grams of <word> with MIN to MAX characters (fastText's -minn/-maxn, e.g. 3-6): a word's vector is the mean of its own row and its n-grams' rows, and words never seen get vectors from their n-grams. Default: off.")
    var subwords: String?

    @Option(help: "Hash buckets (rows) of the character n-grams, with --subwords (fastText's -bucket; default \(TrainingConfiguration.defaultBuckets); with --init, the file's).")
    var buckets: Int?

    @Option(name: .customLong("init"), help: "Continue training from these vectors (native, word2vec, GloVe or fastText .bin): their words are kept, the corpus's new words added; --dim, --subwords and --buckets must agree with the file or are taken from it. The learning rate starts at --alpha again.")
    var initPath: String?

    @Option(help: "Output format (default: from -o's extension: .wpv native, .bin word2vec-bin, .txt or .vec word2vec-text; other names native).")
    var format: VectorFormat?

    @Option(help: "Write checkpoints into this directory.")
    var checkpoint: String?

    @Option(help: "Words between checkpoints (epochs end with one too).")
    var checkpointEvery: Int64 = TrainingOptions().checkpointEvery

    @Option(help: "Continue from the checkpoint in this directory.")
    var resume: String?

    @OptionGroup var runOptions: RunOptionGroup<VectorTrainingOffer>

    var stageConfiguration: TrainingConfiguration {
        TrainingConfiguration(model: model, loss: loss, dim: dim ?? TrainingConfiguration().dim, window: window, negative: negative, sample: sample,
                              noiseExponent: noiseExponent, alpha: alpha, minAlpha: minAlpha, epochs: epochs, seed: runOptions.seedValue,
                              batched: batched, vocabulary: VocabularyConfiguration(minCount: minCount, maxSize: maxSize),
                              subwords: subwords.flatMap(SubwordRange.init(parsing:)), buckets: buckets ?? TrainingConfiguration.defaultBuckets)
    }

    func validate() throws {
        if let subwords, SubwordRange(parsing: subwords) == nil {
            throw ValidationError("invalid value \(subwords) for --subwords: expected MIN-MAX character n-gram lengths, for example 3-6")
        }
        try validateConfiguration(stageConfiguration.validate)
        try validateConfiguration { _ = try VectorFormat.choose(given: format, path: output) }
        if checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1, not \(checkpointEvery)") }
    }

    func run() throws {
        var configuration = stageConfiguration
        var initial: InitialVectors?
        if let initPath {
            // Read (and checked) before any corpus is read: a wrong file fails at once.
            let loaded: InitialVectors
            do {
                loaded = try InitialVectors.load(path: initPath)
            } catch {
                throw StageFailure(stage: "train", underlying: error)
            }
            try validateConfiguration { configuration = try loaded.resolve(configuration, dimGiven: dim != nil, bucketsGiven: buckets != nil) }
            initial = loaded
        }
        do {
            var options = TrainingOptions(threads: runOptions.threads, progress: runOptions.progressMode,
                                          checkpoint: checkpoint ?? resume, resume: resume, checkpointEvery: checkpointEvery,
                                          terminal: StandardError.isTerminal, log: StandardError.log(stage: "train"))
            options.logEvery = runOptions.logInterval
            let (_, summary) = try TrainingJob.run(inputs: inputs, vocabularyPath: vocab, output: output,
                                                   format: try VectorFormat.choose(given: format, path: output),
                                                   configuration: configuration, options: options, initial: initial)
            StandardError.write("train: \(summary.line)\n")
        } catch {
            throw StageFailure(stage: "train", underlying: error)
        }
    }
}
