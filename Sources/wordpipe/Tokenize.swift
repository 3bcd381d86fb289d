import ArgumentParser
import Corpora
import Tokenization
import WordPipeSupport

/// `wordpipe tokenize`: raw corpora to one sentence per line, tokens separated by spaces.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize raw corpora with ICU (UAX #29 words and sentences, Normalizer2).",
        discussion: """
        Reads plain text, WikiExtractor output, MediaWiki XML dumps, XML (TEI), HTML and JSONL, \
        compressed with gzip or bzip2 or not. Writes UTF-8, one sentence per line (one document per \
        line with --no-sentences), tokens separated by one space, in input order. With -o, the \
        configuration is saved beside the output as OUT.json.
        """
    )

    @Argument(help: "Files, directories (walked recursively in sorted order) or - for stdin.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    @Option(help: "Input format.")
    var format: InputFormat = ReaderConfiguration().format

    @Option(name: .customLong("xml-element"), help: "For xml: take the text of this element (repeatable; default: all text).")
    var xmlElements: [String] = []

    @Option(help: "For jsonl: the field holding the text (dots for nested fields).")
    var jsonField: String = ReaderConfiguration().jsonField

    @Option(help: "Unicode normalization.")
    var normalize: TokenizerConfiguration.Normalization = TokenizerConfiguration().normalize

    @Flag(help: "Lowercase with ICU full case mapping for --locale.")
    var lowercase = TokenizerConfiguration().lowercase

    @Flag(help: "Remove accents (combining marks after NFD).")
    var stripAccents = TokenizerConfiguration().stripAccents

    @Option(help: "Punctuation and symbols.")
    var punctuation: TokenizerConfiguration.PunctuationPolicy = TokenizerConfiguration().punctuation

    @Option(help: "Numbers: keep, replace with <num>, or drop.")
    var numbers: TokenizerConfiguration.TokenPolicy = TokenizerConfiguration().numbers

    @Option(help: "URLs and e-mail addresses: keep whole, replace with <url>/<email>, or drop.")
    var urls: TokenizerConfiguration.TokenPolicy = TokenizerConfiguration().urls

    @Flag(inversion: .prefixedNo, help: "One sentence per line (else one document per line).")
    var sentences = TokenizerConfiguration().sentences

    @Option(help: "BCP 47 locale for break rules and lowercasing (default: root; `wordpipe locales` lists them).")
    var locale: String = TokenizerConfiguration().locale

    @Flag(inversion: .prefixedNo, help: "End no sentence after the locale's known abbreviations (Dr., Mr., U.S. for en).")
    var abbreviations = TokenizerConfiguration().abbreviations

    @OptionGroup var runOptions: RunOptionGroup<CorpusRunOffer>

    /// The stage configuration these options describe.
    var stageConfiguration: TokenizeConfiguration {
        TokenizeConfiguration(
            reader: ReaderConfiguration(format: format, xmlElements: xmlElements, jsonField: jsonField),
            tokenizer: TokenizerConfiguration(
                normalize: normalize, lowercase: lowercase, stripAccents: stripAccents, punctuation: punctuation,
                numbers: numbers, urls: urls, sentences: sentences, locale: locale,
                abbreviations: abbreviations))
    }

    func validate() throws {
        if jsonField.isEmpty { throw ValidationError("--json-field must not be empty") }
        if let output, inputs.contains(output) { throw ValidationError("the output \(output) is also an input") }
        try validateConfiguration { try stageConfiguration.tokenizer.validate() }
    }

    func run() throws {
        let diagnostics = Diagnostics(stage: "tokenize")
        do {
            let summary = try CorpusTokenizer.run(inputs: inputs, output: output, configuration: stageConfiguration,
                                                  options: runOptions.runOptions(stage: "tokenize"), diagnostics: diagnostics)
            StandardError.write("tokenize: \(summary.line)\n")
        } catch {
            throw StageFailure(stage: "tokenize", underlying: error)
        }
    }
}
