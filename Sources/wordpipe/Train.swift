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
        Without --vocab, the vocabulary is built first with wordpipe vocab's rules.
        """
    )

    @Argument(help: "Tokenized corpus files or directories, or one encoded corpus.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output vectors.")
    var output: String

    @Option(help: "A vocabulary file (wordpipe vocab); built from the corpus when absent.")
    var vocab: String?

    @Option(help: "Minimum count, when the vocabulary is built here.")
    var minCount: Int = 5

    @Option(help: "Maximum vocabulary size, when the vocabulary is built here.")
    var maxSize: Int?

    @Option(help: "Architecture.")
    var model: TrainingConfiguration.Model = .skipgram

    @Option(help: "Output layer: ns (negative sampling) or hs (hierarchical softmax).")
    var loss: TrainingConfiguration.Loss = .ns

    @Option(help: "Vector dimension.")
    var dim: Int = 100

    @Option(help: "Maximum window radius.")
    var window: Int = 5

    @Option(help: "Negative samples.")
    var negative: Int = 5

    @Option(help: "Subsampling threshold (0 = off).")
    var sample: Double = 1e-3

    @Option(help: "Exponent of the noise distribution (0.75 word2vec, 0.5 fastText).")
    var noiseExponent: Double = 0.75

    @Option(help: "Starting learning rate (default 0.025, 0.05 for CBOW).")
    var alpha: Double?

    @Option(help: "Final learning rate.")
    var minAlpha: Double = 0.0001

    @Option(help: "Passes over the corpus.")
    var epochs: Int = 5

    @Option(help: "Seed of the weights and of each worker's generator.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Skip-gram with NS: share negatives across the window and apply its updates together (pWord2Vec batching); --no-batched is word2vec.c's per-pair loop.")
    var batched = true

    @Option(help: "Output format.")
    var format: VectorFormat = .native

    @Option(help: "Write checkpoints into this directory.")
    var checkpoint: String?

    @Option(help: "Words between checkpoints (epochs end with one too).")
    var checkpointEvery: Int64 = 10_000_000

    @Option(help: "Continue from the checkpoint in this directory.")
    var resume: String?

    @OptionGroup var runOptions: RunOptionGroup

    var stageConfiguration: TrainingConfiguration {
        TrainingConfiguration(model: model, loss: loss, dim: dim, window: window, negative: negative, sample: sample,
                              noiseExponent: noiseExponent, alpha: alpha, minAlpha: minAlpha, epochs: epochs, seed: seed,
                              batched: batched, vocabulary: VocabularyConfiguration(minCount: minCount, maxSize: maxSize))
    }

    func validate() throws {
        do {
            try stageConfiguration.validate()
        } catch {
            throw ValidationError("\(error)".replacingOccurrences(of: "noise_exponent", with: "--noise-exponent")
                .replacingOccurrences(of: "min_alpha", with: "--min-alpha").replacingOccurrences(of: "min_count", with: "--min-count")
                .replacingOccurrences(of: "for dim", with: "for --dim").replacingOccurrences(of: "for window", with: "for --window")
                .replacingOccurrences(of: "for negative", with: "for --negative").replacingOccurrences(of: "for epochs", with: "for --epochs")
                .replacingOccurrences(of: "for alpha", with: "for --alpha").replacingOccurrences(of: "for sample", with: "for --sample"))
        }
        if checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1, not \(checkpointEvery)") }
    }

    func run() throws {
        do {
            let options = TrainingOptions(threads: runOptions.threads, progress: runOptions.progress,
                                          checkpoint: checkpoint ?? resume, resume: resume, checkpointEvery: checkpointEvery)
            let (_, summary) = try TrainingJob.run(inputs: inputs, vocabularyPath: vocab, output: output, format: format,
                                                   configuration: stageConfiguration, options: options)
            StandardError.write("train: \(summary.line)\n")
        } catch {
            throw StageFailure(stage: "train", underlying: error)
        }
    }
}
