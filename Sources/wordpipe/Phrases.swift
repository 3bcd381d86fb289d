import ArgumentParser
import Vocabulary
import WordPipeSupport

extension PhraseScoring: ExpressibleByArgument {}

/// `wordpipe phrases`: find collocations and join them into single tokens (word2phrase).
struct Phrases: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join collocations into single tokens (new york -> new_york), as word2vec's word2phrase.",
        discussion: """
        CORPUS is tokenized text (one sentence per line, tokens separated by spaces), as \
        `wordpipe tokenize` writes it; .gz and .bz2 are read too. Each pass counts tokens and \
        adjacent pairs on a line, scores every pair, then rewrites each line left to right: a pair \
        scoring above --threshold is written as one token joined by --delimiter and the scan goes \
        on after it. Scoring word2vec is word2phrase's (count(ab) - min_count) / (count(a) count(b)) \
        x total_words (default threshold 100); npmi is gensim's normalized PMI in [-1, 1] (default \
        threshold 0.5). --passes 2 runs again on the first pass's output and so forms trigrams \
        such as new_york_times. Counting runs on --threads workers and joining on one thread; the \
        output is the same whatever --threads is. A tokenizer side file (CORPUS.json) is \
        copied beside OUT.
        """
    )

    @Argument(help: "Tokenized corpus files or directories, or - for stdin.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output corpus file (- for stdout).")
    var output: String

    @Option(help: "Tokens and pairs seen fewer times are never joined.")
    var minCount: Int = PhrasesConfiguration().minCount

    @Option(parsing: .unconditional, help: "Join pairs scoring above this (default: \(number(PhraseScoring.word2vec.defaultThreshold)) for word2vec, \(number(PhraseScoring.npmi.defaultThreshold)) for npmi).")
    var threshold: Double?

    @Option(help: "Pair score: word2vec (word2phrase) or npmi (normalized PMI).")
    var scoring: PhraseScoring = PhrasesConfiguration().scoring

    @Option(help: "Passes, each on the previous pass's output (2 forms trigrams).")
    var passes: Int = PhrasesConfiguration().passes

    @Option(help: "Written between the tokens of a joined pair.")
    var delimiter: String = PhrasesConfiguration().delimiter

    @OptionGroup var runOptions: RunOptionGroup<CorpusRunOffer>

    /// The stage configuration these options describe.
    var stageConfiguration: PhrasesConfiguration {
        PhrasesConfiguration(minCount: minCount, threshold: threshold, scoring: scoring, passes: passes, delimiter: delimiter)
    }

    func validate() throws {
        try validateConfiguration(stageConfiguration.validate)
        if output != "-", inputs.contains(output) { throw ValidationError("the output \(output) is also an input") }
    }

    func run() throws {
        do {
            let summary = try PhraseDetector.run(inputs: inputs, output: output, configuration: stageConfiguration,
                                                 options: runOptions.runOptions(stage: "phrases"))
            for warning in summary.warnings { StandardError.write("phrases: \(warning)\n") }
            StandardError.write("phrases: \(summary.line)\n")
        } catch {
            throw StageFailure(stage: "phrases", underlying: error)
        }
    }
}
