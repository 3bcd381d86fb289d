import ArgumentParser
import Vocabulary
import WordPipeSupport

/// `wordpipe encode`: a tokenized corpus to vocabulary ids, for fast multi-epoch training.
struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode a tokenized corpus as vocabulary ids (a memory-mappable binary file).",
        discussion: """
        Out-of-vocabulary tokens are dropped (as embedding training wants), or mapped to --unk, \
        which must be in the vocabulary. The file records the vocabulary's fingerprint; readers \
        refuse it with another vocabulary.
        """
    )

    @Argument(help: "Tokenized corpus files or directories, or - for stdin.")
    var inputs: [String]

    @Option(help: "The vocabulary (as written by wordpipe vocab).")
    var vocab: String

    @Option(help: "Vocabulary file format: tsv or word2vec.")
    var vocabFormat: VocabularyFormat = .tsv

    @Option(help: "Map unknown tokens to this token instead of dropping them.")
    var unk: String?

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    func run() throws {
        do {
            let clock = MonotonicClock.now()
            let vocabulary = try Vocabulary.read(from: vocab, format: vocabFormat)
            let summary = try EncodedCorpus.encode(inputs: inputs, vocabulary: vocabulary,
                                                   unknown: unk.map { .map($0) } ?? .drop, to: output)
            let seconds = MonotonicClock.now() - clock
            StandardError.write("encode: \(summary.tokens) ids in \(summary.sentences) sentences, \(summary.unknown) unknown tokens \(unk == nil ? "dropped" : "mapped to \(unk ?? "")"), \(String(format: "%.2f", seconds)) s\n")
        } catch {
            throw StageFailure(stage: "encode", underlying: error)
        }
    }
}
