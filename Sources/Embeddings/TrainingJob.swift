import Foundation
import Vocabulary
import WordPipeSupport

/// The whole of training word vectors: vocabulary (given or built), encoding (unless the input is already
/// an encoded corpus), training, and writing the vectors.
public enum TrainingJob {
    /// Trains on tokenized `inputs` (or one encoded corpus) and writes `output` in `format`.
    /// Returns the vectors and the summary. Every option is checked before any work starts.
    ///
    /// With `initial` (continued training, `--init`), `configuration` must already be
    /// `initial.resolve(…)`'s; the vocabulary is the file's merged with the corpus's
    /// (`InitialVectors.merged`), and `vocabularyPath` and encoded corpora are refused.
    public static func run(inputs: [String], vocabularyPath: String?, output: String, format: VectorFormat,
                           configuration: TrainingConfiguration, options: TrainingOptions,
                           initial: InitialVectors? = nil) throws -> (WordVectors, TrainingSummary) {
        try configuration.validate()
        if let resume = options.resume, !FileManager.default.fileExists(atPath: resume + "/latest") {
            throw EmbeddingError.malformed(location: SourceLocation(path: resume), message: "no checkpoint here (no 'latest' file)")
        }
        if let initial {
            if vocabularyPath != nil {
                throw EmbeddingError.invalidOption(name: "vocab", value: vocabularyPath ?? "", expected: "no vocabulary with --init: the vocabulary is \(initial.path)'s words with the corpus's new words")
            }
            if inputs.count == 1, isEncodedCorpus(inputs[0]) {
                throw EmbeddingError.invalidOption(name: "init", value: initial.path, expected: "a tokenized corpus to continue on, not an encoded one (\(inputs[0]) was encoded with another vocabulary)")
            }
        }
        var vocabulary: Vocabulary
        if let initial {
            var counting = configuration.vocabulary
            counting.minCount = 1
            counting.maxSize = nil
            let (counted, summary) = try VocabularyBuilder.build(inputs: inputs, configuration: counting, options: options.runOptions)
            for invalid in summary.invalidText { options.log(.line("vocabulary: \(invalid.warning)")) }
            vocabulary = try initial.merged(with: counted, configuration: configuration.vocabulary)
            let old = initial.vocabulary.count
            options.log(.line("init: \(initial.path): \(Format.count(Double(old))) words\(initial.subwords.map { ", n-grams \($0.range) in \($0.buckets) buckets" } ?? ""), output weights \(initial.hasOutputWeights ? "from the file" : "from zero"); the corpus adds \(Format.count(Double(max(0, vocabulary.count - old)))) words (min count \(configuration.vocabulary.minCount)): \(Format.count(Double(vocabulary.count))) in all"))
        } else if let vocabularyPath {
            vocabulary = try Vocabulary.read(from: vocabularyPath)
        } else if inputs.count == 1, isEncodedCorpus(inputs[0]) {
            throw EmbeddingError.invalidOption(name: "vocab", value: "(none)", expected: "the vocabulary the encoded corpus \(inputs[0]) was made with")
        } else {
            let (built, summary) = try VocabularyBuilder.build(inputs: inputs, configuration: configuration.vocabulary,
                                                               options: options.runOptions)
            for invalid in summary.invalidText { options.log(.line("vocabulary: \(invalid.warning)")) }
            options.log(.line("vocabulary: \(summary.line)"))
            vocabulary = built
        }
        if vocabulary.count < 2 {
            throw EmbeddingError.vocabularyMismatch("the vocabulary has \(vocabulary.count) word; training needs at least 2")
        }
        let corpus: EncodedCorpus
        var temporary: String?
        defer {
            if let temporary {
                try? FileManager.default.removeItem(atPath: temporary)
                TemporaryFiles.shared.unregister(temporary)
            }
        }
        if inputs.count == 1, isEncodedCorpus(inputs[0]) {
            corpus = try EncodedCorpus(path: inputs[0], vocabulary: vocabulary)
        } else {
            // Beside the output (`.OUT.corpus.wpc.partial-PID-START`), so a killed run's copy is
            // found and removed by the next run there (`TemporaryPath`).
            let path = TemporaryPath.beside(output, suffix: ".corpus.wpc")
            TemporaryFiles.shared.register(path)
            temporary = path
            let encoded = try EncodedCorpus.encode(inputs: inputs, vocabulary: vocabulary, to: path)
            let covered = Double(encoded.tokens) / Double(max(1, encoded.tokens + encoded.unknown))
            if vocabularyPath != nil && covered < 0.5 {
                throw EmbeddingError.vocabularyMismatch(
                    String(format: "the vocabulary %@ covers only %.1f%% of the corpus tokens: it was not made from this corpus",
                           vocabularyPath ?? "", covered * 100))
            }
            corpus = try EncodedCorpus(path: path, vocabulary: vocabulary)
        }
        let (vectors, summary) = try Trainer.train(corpus: corpus, vocabulary: vocabulary, configuration: configuration,
                                                   options: options, initial: initial)
        try Interruption.check()
        try vectors.write(to: output, format: format)
        return (vectors, summary)
    }

    /// Whether `path` starts with the encoded-corpus magic number.
    static func isEncodedCorpus(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8)) ?? Data()
        return head.elementsEqual(EncodedCorpus.magic)
    }
}
