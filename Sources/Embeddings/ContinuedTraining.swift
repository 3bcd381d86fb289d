import Foundation
import Tokenization
import Vocabulary
import WordPipeSupport

/// Vectors to continue training from (`wordpipe train --init FILE`, gensim's
/// `build_vocab(update=True)` then `train`, fastText's `-pretrainedVectors`): their words and
/// counts, the rows training starts from, and the settings they fix (dimension, n-grams).
///
/// Every vector format is accepted. A native file with subwords holds each word's mean of its
/// own row and its n-gram rows: the own row is recovered from it (k times the mean minus the
/// n-gram rows). A fastText `.bin` holds the own rows and, with negative sampling, the output
/// matrix, which training continues from; the other formats have no output weights, whose rows
/// then start at zero as word2vec starts them.
public struct InitialVectors: Sendable {
    /// The file, for messages.
    public var path: String
    /// Its format.
    public var format: VectorFileFormat
    /// Its words, counts and tokenizer configuration.
    public var vocabulary: Vocabulary
    /// Whether the counts are the file's (native, fastText); the text and word2vec formats
    /// have none, and their words count 0 before the new corpus's counts are added.
    public var hasCounts: Bool
    /// The vector dimension.
    public var dim: Int
    /// How the file's vectors were trained, when it says.
    public var training: TrainingConfiguration?
    /// The n-gram rows, when the file has them.
    public var subwords: SubwordVectors?
    /// The words' own input rows (`vocabulary.count × dim`).
    var ownRows: [Float]
    /// The output rows of negative sampling, one per word, when the file keeps them.
    var output: [Float]?

    /// Whether training continues the file's output weights (else they start at zero).
    public var hasOutputWeights: Bool { output != nil }

    /// Reads `path` in any vector format; errors name the file and say what to do.
    public static func load(path: String) throws -> InitialVectors {
        do {
            try WordVectors.checkRegularFile(path)
            let head: Data
            if let handle = FileHandle(forReadingAtPath: path) {
                head = (try? handle.read(upToCount: 8)) ?? Data()
                try? handle.close()
            } else {
                throw EmbeddingError.malformed(location: SourceLocation(path: path), message: "cannot open the file")
            }
            if FastTextBin.isFastText(head: head) {
                let (vectors, rows) = try FastTextBin.read(path: path, keepTrainingRows: true)
                return InitialVectors(path: path, format: .fasttextBin, vocabulary: vectors.vocabulary, hasCounts: true, dim: vectors.dim,
                                      training: vectors.training, subwords: vectors.subwords,
                                      ownRows: rows?.ownRows ?? vectors.matrix, output: rows?.output)
            }
            let (vectors, report) = try WordVectors.load(from: path)
            var vocabulary = vectors.vocabulary
            let hasCounts = report.format == .native
            if !hasCounts {
                vocabulary = Vocabulary(words: vocabulary.words, counts: vocabulary.words.map { _ in 0 },
                                        specialCount: vocabulary.specialCount, tokenizer: vocabulary.tokenizer)
            }
            var own = vectors.matrix
            if let subwords = vectors.subwords {
                // The file holds each word's mean of k rows (its own and its n-grams'): own = k·mean − Σ n-gram rows.
                let table = SubwordTable(vocabulary: vocabulary, range: subwords.range, buckets: subwords.buckets)
                let dim = vectors.dim
                let ngrams = subwords.storage.buffer
                own.withUnsafeMutableBufferPointer { rows in
                    for word in 0..<vocabulary.count {
                        let from = Int(table.offsets[word]), to = Int(table.offsets[word + 1])
                        guard to - from > 1 else { continue }
                        let base = word * dim
                        let k = Float(to - from)
                        for index in 0..<dim { rows[base + index] *= k }
                        for position in (from + 1)..<to {
                            let row = (Int(table.ids[position]) - vocabulary.count) * dim
                            for index in 0..<dim { rows[base + index] -= ngrams[row + index] }
                        }
                    }
                }
            }
            return InitialVectors(path: path, format: report.format, vocabulary: vocabulary, hasCounts: hasCounts, dim: vectors.dim,
                                  training: vectors.training, subwords: vectors.subwords, ownRows: own, output: nil)
        } catch let error as EmbeddingError {
            if case .malformed(let location, let message) = error {
                throw EmbeddingError.malformed(location: location, message: message + "; --init needs intact vectors to continue training from (give another file, or train without --init)")
            }
            throw error
        }
    }

    /// `configuration` with the settings the file fixes: its dimension when `dimGiven` is
    /// false (else they must agree), and its n-gram lengths and buckets (which `--subwords` and
    /// `--buckets` must match when given). A file without n-gram rows can be continued with
    /// `--subwords`: its vectors become the words' own rows and the n-gram rows start random,
    /// as fastText's `-pretrainedVectors` does.
    public func resolve(_ configuration: TrainingConfiguration, dimGiven: Bool, bucketsGiven: Bool) throws -> TrainingConfiguration {
        var result = configuration
        if dimGiven && configuration.dim != dim {
            throw EmbeddingError.invalidOption(name: "dim", value: "\(configuration.dim)",
                                               expected: "the dimension of the --init file \(path), \(dim): give \(dim) or leave the dimension out (it is taken from the file), or train from scratch without --init")
        }
        result.dim = dim
        if let subwords {
            if let range = configuration.subwords, range != subwords.range {
                throw EmbeddingError.invalidOption(name: "subwords", value: range.description,
                                                   expected: "the n-gram lengths of the --init file \(path), \(subwords.range): give \(subwords.range) or leave them out (they are taken from the file)")
            }
            if bucketsGiven && configuration.buckets != subwords.buckets {
                throw EmbeddingError.invalidOption(name: "buckets", value: "\(configuration.buckets)",
                                                   expected: "the bucket count of the --init file \(path), \(subwords.buckets): give \(subwords.buckets) or leave it out (it is taken from the file)")
            }
            result.subwords = subwords.range
            result.buckets = subwords.buckets
        }
        try result.validate()
        return result
    }

    /// The vocabulary to continue with: the file's words, all kept, with the new corpus's
    /// counts added (`corpus` counted with min-count 1), and the corpus's new words whose count
    /// reaches `configuration.minCount` (at most `maxSize` words in all, the file's words
    /// always kept), ordered as a vocabulary is (specials, then by count). It carries the
    /// file's tokenizer configuration; a corpus tokenized another way is refused.
    public func merged(with corpus: Vocabulary, configuration: VocabularyConfiguration) throws -> Vocabulary {
        if let ours = vocabulary.tokenizer, let theirs = corpus.tokenizer, ours != theirs {
            throw EmbeddingError.vocabularyMismatch(
                "the corpus was tokenized with another configuration than the --init vectors \(path) were: tokenize it with the vectors' configuration (wordpipe inspect \(path) shows it), or train from scratch without --init")
        }
        var specials = Array(vocabulary.words.prefix(vocabulary.specialCount))
        for special in configuration.specials where !specials.contains(special) { specials.append(special) }
        let specialSet = Set(specials)
        var counts: [String: Int64] = [:]
        counts.reserveCapacity(vocabulary.count)
        for (word, count) in zip(vocabulary.words, vocabulary.counts) where !specialSet.contains(word) { counts[word] = count }
        var added: [(word: String, count: Int64)] = []
        for (word, count) in zip(corpus.words, corpus.counts) where !specialSet.contains(word) {
            if let old = counts[word] {
                let (sum, overflow) = old.addingReportingOverflow(count)
                counts[word] = overflow ? .max : sum
            } else if count >= Int64(configuration.minCount) {
                added.append((word, count))
            }
        }
        added.sort(by: Vocabulary.precedes)
        if let maxSize = configuration.maxSize {
            let room = max(0, maxSize - counts.count)
            if added.count > room { added.removeLast(added.count - room) }
        }
        for entry in added { counts[entry.word] = entry.count }
        let entries = counts.map { (word: $0.key, count: $0.value) }.sorted(by: Vocabulary.precedes)
        return Vocabulary(words: specials + entries.map(\.word), counts: specials.map { _ in 0 } + entries.map(\.count),
                          specialCount: specials.count, tokenizer: vocabulary.tokenizer ?? corpus.tokenizer)
    }

    /// Writes the file's rows into training's weights for `vocabulary` (the merged one): each
    /// of its words' own input row and output row (when kept), and the n-gram rows. The other
    /// rows keep their initialisation.
    func fill(input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, vocabulary target: Vocabulary,
              dim: Int, buckets: Int?) {
        guard dim == self.dim else { return }
        ownRows.withUnsafeBufferPointer { own in
            for (newID, word) in target.words.enumerated() {
                guard let oldID = vocabulary.id(of: word) else { continue }
                (input + newID * dim).update(from: own.baseAddress! + Int(oldID) * dim, count: dim)
                if let outputRows = self.output {
                    outputRows.withUnsafeBufferPointer { rows in
                        (output + newID * dim).update(from: rows.baseAddress! + Int(oldID) * dim, count: dim)
                    }
                }
            }
        }
        if let subwords, let buckets, buckets == subwords.buckets, let base = subwords.storage.buffer.baseAddress {
            (input + target.count * dim).update(from: base, count: buckets * dim)
        }
    }
}
