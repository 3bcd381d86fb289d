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
        subcommands: [Tokenize.self, Vocab.self, Phrases.self, Encode.self, Train.self, Nearest.self, Analogy.self, Similarity.self, Evaluate.self, Convert.self, TrainTagger.self, Tag.self, EvaluateTagger.self, TrainClassifier.self, Classify.self, EvaluateClassifier.self, Run.self, Status.self, Inspect.self]
    )

    /// Runs the command and maps every error to a message naming the stage and a non-zero exit.
    static func main() {
        TemporaryFiles.shared.removeOnInterrupt()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as StageFailure {
            StandardError.write("wordpipe \(error.stage): error: \(error.underlying)\n")
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

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
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    var runOptions: RunOptions { RunOptions(threads: threads, progress: progress) }
}
