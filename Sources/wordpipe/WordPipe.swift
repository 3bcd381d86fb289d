import ArgumentParser
import Corpora
import Embeddings
import Models
import Foundation
import Tokenization
import WordPipeSupport

/// The `wordpipe` command: raw text corpora to tokens (and, in later stages, vectors and models).
@main
struct WordPipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wordpipe",
        abstract: "Raw text corpora to tokens, vocabularies, word vectors and recurrent models.",
        version: "0.1.0",
        subcommands: [Tokenize.self, Vocab.self, Phrases.self, Encode.self, Train.self, Nearest.self, IndexCommand.self, Analogy.self, Similarity.self, Evaluate.self, Convert.self, TrainTagger.self, Tag.self, EvaluateTagger.self, TrainClassifier.self, Classify.self, EvaluateClassifier.self, TrainLM.self, Perplexity.self, Generate.self, TrainSeq2Seq.self, Translate.self, EvaluateSeq2Seq.self, Run.self, Status.self, Inspect.self, Config.self, LocalesCommand.self, Serve.self]
    )

    /// Runs the command and maps every error to a message naming the stage and a non-zero exit.
    ///
    /// SIGINT, SIGTERM and SIGHUP (see `Interruption`): a command that `StopsOnInterrupt`
    /// stops its workers at the next batch, removes its partial outputs and exits with
    /// 128 + the signal; the others end at once the same way.
    static func main() {
        Interruption.install()
        do {
            var command = try parseAsRoot()
            if command is StopsOnInterrupt {
                try Interruption.cooperating { try command.run() }
            } else {
                try command.run()
            }
            // A signal that came after the last check: the outputs are complete, the exit says so.
            if let signal = Interruption.signal { Interruption.finish(signal: signal, message: "interrupted after the outputs were written") }
        } catch {
            if let signal = Interruption.signal { Interruption.finish(signal: signal) }
            report(error)
        }
    }

    private static func report(_ error: Error) -> Never {
        switch error {
        case let error as StageFailure:
            StandardError.write("wordpipe \(error.stage): error: \(errorMessage(error.underlying, naming: .option))\n")
            Foundation.exit(1)
        default:
            exit(withError: error)
        }
    }
}

/// A command whose long-running work checks `Interruption` at batch or chunk boundaries, so
/// that a signal waits for its workers to stop (see `Interruption.cooperating`).
protocol StopsOnInterrupt {}

extension Tokenize: StopsOnInterrupt {}
extension Vocab: StopsOnInterrupt {}
extension Phrases: StopsOnInterrupt {}
extension Encode: StopsOnInterrupt {}
extension Train: StopsOnInterrupt {}
extension TrainTagger: StopsOnInterrupt {}
extension Tag: StopsOnInterrupt {}
extension EvaluateTagger: StopsOnInterrupt {}
extension TrainClassifier: StopsOnInterrupt {}
extension Classify: StopsOnInterrupt {}
extension EvaluateClassifier: StopsOnInterrupt {}
extension TrainLM: StopsOnInterrupt {}
extension Perplexity: StopsOnInterrupt {}
extension Generate: StopsOnInterrupt {}
extension TrainSeq2Seq: StopsOnInterrupt {}
extension Translate: StopsOnInterrupt {}
extension Run: StopsOnInterrupt {}

/// An error raised while a stage ran, with the stage's name for the message.
struct StageFailure: Error {
    var stage: String
    var underlying: Error
}

extension InputFormat: ExpressibleByArgument {}
extension ProgressMode: ExpressibleByArgument {}
extension TokenizerConfiguration.Normalization: ExpressibleByArgument {}
extension TokenizerConfiguration.PunctuationPolicy: ExpressibleByArgument {}
extension TokenizerConfiguration.TokenPolicy: ExpressibleByArgument {}

/// Which of the shared run options (`--threads`, `--progress`, `--seed`) a command offers, with
/// its help and defaults.
protocol RunOptionOffer {
    /// The help of --threads.
    static var threadsHelp: String { get }
    /// The thread count without --threads (nil: all cores).
    static var defaultThreads: Int? { get }
    /// Whether the command draws a progress line.
    static var offersProgress: Bool { get }
    /// The help of --seed; nil when the command has none.
    static var seedHelp: String? { get }
    /// The seed without --seed.
    static var defaultSeed: UInt64 { get }
}

extension RunOptionOffer {
    static var defaultThreads: Int? { nil }
    static var offersProgress: Bool { true }
    static var seedHelp: String? { nil }
    static var defaultSeed: UInt64 { 1 }
}

/// tokenize, vocab, phrases, run: workers and a progress line.
enum CorpusRunOffer: RunOptionOffer {
    static var threadsHelp: String { "Worker threads (default: all cores)." }
}

/// train: workers, a progress line and the seed of the vector training.
enum VectorTrainingOffer: RunOptionOffer {
    static var threadsHelp: String { CorpusRunOffer.threadsHelp }
    static var seedHelp: String? { "Seed of the weights and of each worker's generator." }
    static var defaultSeed: UInt64 { TrainingConfiguration().seed }
}

/// train-tagger, train-classifier: batch-parallel workers and the seed of the model training.
enum ModelTrainingOffer: RunOptionOffer {
    static var threadsHelp: String {
        "Workers over each batch, each with its own copy of the model, OpenBLAS at 1 thread; runs are reproducible for a given count (default: all cores)."
    }
    static var seedHelp: String? { "Seed of initialization, dropout and batch order." }
    static var defaultSeed: UInt64 { EncoderSettings().seed }
}

/// tag, classify: replicas of the model over the batches, one by default.
enum ModelApplicationOffer: RunOptionOffer {
    static var threadsHelp: String {
        "Threads, each running a replica of the model over a share of the batches (default 1). The output is the same at any count."
    }
    static var defaultThreads: Int? { 1 }
    static var offersProgress: Bool { false }
}

/// `--threads`, `--progress` and `--seed`: one option group for every command, checked here.
/// A command offers those its `Offer` names; the others are not shown and are refused.
struct RunOptionGroup<Offer: RunOptionOffer>: ParsableArguments {
    @Option(help: ArgumentHelp(Offer.threadsHelp + (Offer.defaultThreads.map { " (default: \($0))" } ?? "")))
    var threads: Int?

    @Option(help: ArgumentHelp("Progress line on stderr: auto (when a terminal), always, never (default: auto).",
                               visibility: Offer.offersProgress ? .default : .private))
    var progress: ProgressMode?

    @Option(help: ArgumentHelp("Without a terminal, a plain progress line every this many seconds (default: 10).",
                               visibility: Offer.offersProgress ? .default : .private))
    var logEvery: Double?

    @Option(help: ArgumentHelp((Offer.seedHelp ?? "") + " (default: \(Offer.defaultSeed))",
                               visibility: Offer.seedHelp == nil ? .private : .default))
    var seed: UInt64?

    func validate() throws {
        try validateThreads(threads)
        if !Offer.offersProgress, progress != nil { throw ValidationError("this command has no --progress option") }
        if !Offer.offersProgress, logEvery != nil { throw ValidationError("this command has no --log-every option") }
        if let logEvery, !(logEvery > 0 && logEvery.isFinite) { throw ValidationError("--log-every must be a number of seconds above 0, not \(logEvery)") }
        if Offer.seedHelp == nil, seed != nil { throw ValidationError("this command has no --seed option") }
    }

    /// The thread count: --threads, else the command's default, else all cores.
    var threadCount: Int { threads ?? Offer.defaultThreads ?? ProcessInfo.processInfo.activeProcessorCount }
    /// The progress mode (auto without --progress).
    var progressMode: ProgressMode { progress ?? .auto }
    /// Seconds between plain progress lines (10 without --log-every).
    var logInterval: Double { logEvery ?? 10 }
    /// The seed: --seed, else the configuration's.
    var seedValue: UInt64 { seed ?? Offer.defaultSeed }

    /// The options a library call gets: these threads and progress, its log on stderr after `stage: `.
    func runOptions(stage: String) -> RunOptions {
        RunOptions(threads: threadCount, progress: progressMode, terminal: StandardError.isTerminal, logEvery: logInterval,
                   log: StandardError.log(stage: stage))
    }
}
