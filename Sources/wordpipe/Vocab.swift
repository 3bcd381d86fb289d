import ArgumentParser
import Vocabulary
import WordPipeSupport

extension VocabularyFormat: ExpressibleByArgument {}

/// `wordpipe vocab`: count a tokenized corpus and write its vocabulary.
struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a vocabulary (word and count, most frequent first) from a tokenized corpus.",
        discussion: """
        CORPUS is tokenized text (one sentence per line, tokens separated by spaces), as \
        `wordpipe tokenize` writes it; .gz and .bz2 are read too. The output is sorted by count, \
        descending, ties by the word's UTF-8 bytes: the same corpus gives the same file whatever \
        --threads is. OUT.json beside a tsv output records the configuration and the corpus's \
        tokenizer configuration.
        """
    )

    @Argument(help: "Tokenized corpus files or directories, or - for stdin.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output vocabulary file (default: standard output, as tokenize; no side file then).")
    var output: String = "-"

    @Option(help: "Drop types seen fewer times.")
    var minCount: Int = VocabularyConfiguration().minCount

    @Option(help: "Keep at most this many types (the most frequent).")
    var maxSize: Int?

    @Option(help: "Bound the types held while counting (word2vec's ReduceVocab); counts may then be lower than exact.")
    var maxTypesInMemory: Int?

    @Option(help: "Comma-separated special tokens listed first with count 0, e.g. <unk>,<pad>,<s>,</s>.")
    var special: String?

    @Option(help: "Output format: tsv (word<TAB>count) or word2vec (word count, as -save-vocab).")
    var format: VocabularyFormat = .tsv

    @OptionGroup var runOptions: RunOptionGroup<CorpusRunOffer>

    var stageConfiguration: VocabularyConfiguration {
        VocabularyConfiguration(minCount: minCount, maxSize: maxSize, maxTypesInMemory: maxTypesInMemory,
                                specials: special.map { $0.split(separator: ",").map(String.init) } ?? [])
    }

    func validate() throws {
        // The option for `specials` is --special (one comma-separated value).
        try validateConfiguration(stageConfiguration.validate, flags: ["specials": "--special"])
    }

    func run() throws {
        do {
            let (vocabulary, summary) = try VocabularyBuilder.build(
                inputs: inputs, configuration: stageConfiguration, options: runOptions.runOptions(stage: "vocab"))
            let info = VocabularyInfo(configuration: stageConfiguration, tokenizer: vocabulary.tokenizer,
                                      specialCount: vocabulary.specialCount, corpusTokens: summary.tokens,
                                      typesSeen: summary.typesSeen, typesPruned: summary.typesPruned)
            try vocabulary.write(to: output, format: format, info: format == .tsv ? info : nil)
            for invalid in summary.invalidText { StandardError.write("vocab: \(invalid.warning)\n") }
            StandardError.write("vocab: \(summary.line)\n")
        } catch {
            throw StageFailure(stage: "vocab", underlying: error)
        }
    }
}
