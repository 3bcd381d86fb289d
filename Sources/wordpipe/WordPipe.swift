import ArgumentParser
import Corpora
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
        subcommands: [Tokenize.self, Vocab.self, Phrases.self, Encode.self, Train.self, Nearest.self, Analogy.self, Similarity.self, Evaluate.self, Convert.self, TrainTagger.self, Tag.self, EvaluateTagger.self, TrainClassifier.self, Classify.self, EvaluateClassifier.self, Run.self, Status.self, Inspect.self, Config.self]
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
            StandardError.write("wordpipe \(error.stage): error: \(error.underlying)\n")
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

/// Options every corpus-processing command shares.
struct RunOptionGroup: ParsableArguments {
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Progress line on stderr: auto (when a terminal), always, never.")
    var progress: ProgressMode = .auto

    func validate() throws {
        try validateThreads(threads)
    }

    var runOptions: RunOptions { RunOptions(threads: threads, progress: progress) }
}
