import Embeddings
import Foundation
import Recurrent
import Tokenization

/// Maps a token to the key the word vectors were trained on, through the vectors' tokenizer
/// configuration (so a case-folded model finds `EU` as `eu`). Not thread-safe; results are cached.
final class TokenKeyer {
    private let tokenizer: Tokenizer?
    private var cache: [String: String] = [:]

    /// A keyer for `configuration` (nil: the key is the lower-cased token, NCRF++'s fallback,
    /// for vectors that carry no configuration, such as GloVe or word2vec files).
    init(configuration: TokenizerConfiguration?) {
        tokenizer = configuration.flatMap { configuration in
            var single = configuration
            single.sentences = false
            return try? Tokenizer(configuration: single)
        }
    }

    /// The key of `token`: the one token the configuration makes of it, or the token itself when
    /// it makes none or several (a number dropped, a word split).
    func key(_ token: String) -> String {
        guard let tokenizer else { return token.lowercased() }
        if let known = cache[token] { return known }
        var result = token
        if let lines = try? tokenizer.tokenize(token), lines.count == 1, lines[0].count == 1 { result = lines[0][0] }
        cache[token] = result
        return result
    }
}

/// The word vocabulary of a model: `<pad>` (0), `<unk>` (1), the training tokens as written, then
/// the words of the word vectors not already present.
///
/// A token is looked up as written, then under its key in the vectors' tokenizer configuration,
/// else it is `<unk>`: NCRF++'s "word, then lower-cased word", with the vectors' own
/// normalization instead of a fixed lower-casing. Training tokens keep their case, and start from
/// the vector of their key, so `Paris` and `paris` are two rows that start alike.
public struct WordTable: Sendable {
    /// The padding token (row 0, always zero).
    public static let padding = "<pad>"
    /// The unknown token (row 1).
    public static let unknown = "<unk>"

    /// The words, by row.
    public let words: [String]
    /// The tokenizer configuration of the vectors (nil: no vectors, or vectors without one).
    public let tokenizer: TokenizerConfiguration?
    /// Per row, whether it started from a word vector (nil: no vectors were used).
    public let fromVectors: [Bool]?
    private let index: [String: Int32]

    /// A table over `words` (which must start with `<pad>`, `<unk>`).
    public init(words: [String], tokenizer: TokenizerConfiguration?, fromVectors: [Bool]? = nil) {
        precondition(words.count >= 2 && words[0] == Self.padding && words[1] == Self.unknown, "a word table starts with <pad>, <unk>")
        precondition(fromVectors == nil || fromVectors?.count == words.count, "one vector flag per word")
        self.words = words
        self.tokenizer = tokenizer
        self.fromVectors = fromVectors
        index = Dictionary(words.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The share of `tokens` that are not vector words as written or under their key (the OOV
    /// rate against the vectors the model started from), or nil without vectors.
    public func vectorOOVRate(_ tokens: [[String]]) -> Double? {
        guard let fromVectors else { return nil }
        let keyer = TokenKeyer(configuration: tokenizer)
        func known(_ word: String) -> Bool { index[word].map { fromVectors[Int($0)] } ?? false }
        var total = 0, missing = 0
        for sentence in tokens {
            for token in sentence {
                total += 1
                if !known(token) && !known(keyer.key(token)) { missing += 1 }
            }
        }
        return total == 0 ? 0 : Double(missing) / Double(total)
    }

    /// The number of rows.
    public var count: Int { words.count }

    /// The row of `token` as written, if any.
    public func exactID(_ token: String) -> Int32? { index[token] }

    /// A lookup function with its own key cache (one per thread).
    func lookup() -> (String) -> Int32 {
        let keyer = TokenKeyer(configuration: tokenizer)
        return { token in
            if let id = index[token] { return id }
            return index[keyer.key(token)] ?? 1
        }
    }

    /// Builds the table from training tokens and optional vectors, and its initial embedding.
    ///
    /// Rows of vector words are their vectors; a training token starts from the vector of its key
    /// when there is one, else, when the vectors have subwords, from the mean of its key's n-gram
    /// rows (fastText's vector for an unseen word), else from uniform(±`randomLimit`) (default
    /// √(3/dim), NCRF++'s random initialization); `<unk>` is the mean vector, `<pad>` zero.
    /// Without vectors every row is random.
    /// - Returns: the table, the initial `rows × dim` matrix, how many training types found a
    ///   vector, and how many of those found it through their n-grams.
    static func build(trainingTokens: [[String]], vectors: WordVectors?, dim: Int, seed: UInt64, randomLimit: Double? = nil)
        -> (table: WordTable, matrix: Matrix<Float>, typesWithVectors: Int, trainingTypes: Int, typesWithNgrams: Int)
    {
        var words = [padding, unknown]
        var seen: Set<String> = [padding, unknown]
        for sentence in trainingTokens {
            for token in sentence where seen.insert(token).inserted { words.append(token) }
        }
        let trainingTypes = words.count - 2
        let dim = vectors?.dim ?? dim
        if let vectors {
            for word in vectors.vocabulary.words where seen.insert(word).inserted { words.append(word) }
        }
        let keyer = TokenKeyer(configuration: vectors?.vocabulary.tokenizer)
        func vectorID(_ word: String) -> Int32? {
            vectors.flatMap { $0.vocabulary.id(of: word) ?? $0.vocabulary.id(of: keyer.key(word)) }
        }
        var generator = SeededGenerator(seed: seed)
        let limit = randomLimit ?? (3.0 / Double(dim)).squareRoot()
        var matrix = Matrix<Float>(rows: words.count, columns: dim)
        var typesWithVectors = 0, typesWithNgrams = 0
        var fromVectors = [Bool](repeating: false, count: words.count)
        matrix.storage.withUnsafeMutableBufferPointer { out in
            for row in 2..<words.count {
                let base = out.baseAddress! + row * dim
                if let vectors, let id = vectorID(words[row]) {
                    fromVectors[row] = true
                    let start = Int(id) * dim
                    for j in 0..<dim { base[j] = vectors.matrix[start + j] }
                    if row < trainingTypes + 2 { typesWithVectors += 1 }
                } else if let subwords = vectors?.subwords, let ngrams = subwords.vector(for: keyer.key(words[row]), dim: dim) {
                    // Only training types get here: every other row is a vector word.
                    fromVectors[row] = true
                    for j in 0..<dim { base[j] = ngrams[j] }
                    typesWithVectors += 1
                    typesWithNgrams += 1
                } else {
                    for j in 0..<dim { base[j] = Float(generator.nextUniform(in: -limit...limit)) }
                }
            }
            let unk = out.baseAddress! + dim
            if let vectors, vectors.vocabulary.count > 0 {
                var mean = [Double](repeating: 0, count: dim)
                for r in 0..<vectors.vocabulary.count { for j in 0..<dim { mean[j] += Double(vectors.matrix[r * dim + j]) } }
                for j in 0..<dim { unk[j] = Float(mean[j] / Double(vectors.vocabulary.count)) }
            } else {
                for j in 0..<dim { unk[j] = Float(generator.nextUniform(in: -limit...limit)) }
            }
        }
        let table = WordTable(words: words, tokenizer: vectors?.vocabulary.tokenizer, fromVectors: vectors == nil ? nil : fromVectors)
        return (table, matrix, typesWithVectors, trainingTypes, typesWithNgrams)
    }
}
