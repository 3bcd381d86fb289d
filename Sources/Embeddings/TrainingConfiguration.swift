import Vocabulary
import WordPipeSupport

/// How word vectors are trained: the configuration of the `train` stage, shared by
/// `wordpipe train` and the pipeline. Defaults are word2vec.c's for skip-gram.
///
/// Decoding fills in the defaults for missing keys and rejects unknown keys.
public struct TrainingConfiguration: Codable, Sendable, Equatable, Hashable {
    /// The architecture.
    public enum Model: String, Codable, Sendable, CaseIterable { case skipgram, cbow }
    /// The output layer.
    public enum Loss: String, Codable, Sendable, CaseIterable {
        /// Negative sampling.
        case ns
        /// Hierarchical softmax over a Huffman tree of the counts.
        case hs
    }

    /// Skip-gram (default) or CBOW.
    public var model: Model
    /// Negative sampling (default) or hierarchical softmax.
    public var loss: Loss
    /// Vector dimension. Default: 100.
    public var dim: Int
    /// Maximum window radius; each position draws its own radius in 1...window. Default: 5.
    public var window: Int
    /// Negative samples per prediction (NS). Default: 5.
    public var negative: Int
    /// Subsampling threshold (word2vec's `-sample`); 0 disables. Default: 1e-3.
    public var sample: Double
    /// Exponent of the noise distribution: 0.75 (word2vec, gensim) or 0.5 (fastText). Default: 0.75.
    public var noiseExponent: Double
    /// Starting learning rate. Default: 0.025 for skip-gram, 0.05 for CBOW (word2vec's).
    public var alpha: Double
    /// Final learning rate, reached linearly over all epochs. Default: 0.0001.
    public var minAlpha: Double
    /// Passes over the corpus. Default: 5.
    public var epochs: Int
    /// Seed of the weights and of each worker's generator (worker i uses seed + i). Default: 1.
    public var seed: UInt64
    /// Skip-gram with NS: share the negatives across a window and apply its updates together
    /// (pWord2Vec's batching); false is word2vec.c's per-pair loop. Default: true.
    public var batched: Bool
    /// The vocabulary built when none is given.
    public var vocabulary: VocabularyConfiguration
    /// Character n-grams of `<word>` with these lengths (fastText's `-minn`/`-maxn`, `3-6`):
    /// a word's input vector is the mean of its own row and its n-gram rows, and a word never
    /// seen gets the mean of its n-gram rows. Default: nil (off).
    public var subwords: SubwordRange?
    /// Hash buckets of the n-grams (fastText's `-bucket`), used with `subwords`. Default: 2,000,000.
    public var buckets: Int

    /// fastText's default bucket count.
    public static let defaultBuckets = 2_000_000
    /// The most buckets accepted (ids of words and buckets are 32-bit).
    public static let mostBuckets = 2_000_000_000

    /// Creates a configuration; every argument has the documented default.
    public init(model: Model = .skipgram, loss: Loss = .ns, dim: Int = 100, window: Int = 5, negative: Int = 5,
                sample: Double = 1e-3, noiseExponent: Double = 0.75, alpha: Double? = nil, minAlpha: Double = 0.0001,
                epochs: Int = 5, seed: UInt64 = 1, batched: Bool = true, vocabulary: VocabularyConfiguration = VocabularyConfiguration(),
                subwords: SubwordRange? = nil, buckets: Int = TrainingConfiguration.defaultBuckets) {
        self.model = model
        self.loss = loss
        self.dim = dim
        self.window = window
        self.negative = negative
        self.sample = sample
        self.noiseExponent = noiseExponent
        self.alpha = alpha ?? (model == .cbow ? 0.05 : 0.025)
        self.minAlpha = minAlpha
        self.epochs = epochs
        self.seed = seed
        self.batched = batched
        self.vocabulary = vocabulary
        self.subwords = subwords
        self.buckets = buckets
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, loss, dim, window, negative, sample, alpha, epochs, seed, batched, vocabulary, subwords, buckets
        case noiseExponent = "noise_exponent"
        case minAlpha = "min_alpha"
    }

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let model = try container.decodeIfPresent(Model.self, forKey: .model) ?? .skipgram
        let defaults = TrainingConfiguration(model: model)
        self.model = model
        loss = try container.decodeIfPresent(Loss.self, forKey: .loss) ?? defaults.loss
        dim = try container.decodeIfPresent(Int.self, forKey: .dim) ?? defaults.dim
        window = try container.decodeIfPresent(Int.self, forKey: .window) ?? defaults.window
        negative = try container.decodeIfPresent(Int.self, forKey: .negative) ?? defaults.negative
        sample = try container.decodeIfPresent(Double.self, forKey: .sample) ?? defaults.sample
        noiseExponent = try container.decodeIfPresent(Double.self, forKey: .noiseExponent) ?? defaults.noiseExponent
        alpha = try container.decodeIfPresent(Double.self, forKey: .alpha) ?? defaults.alpha
        minAlpha = try container.decodeIfPresent(Double.self, forKey: .minAlpha) ?? defaults.minAlpha
        epochs = try container.decodeIfPresent(Int.self, forKey: .epochs) ?? defaults.epochs
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        batched = try container.decodeIfPresent(Bool.self, forKey: .batched) ?? defaults.batched
        vocabulary = try container.decodeIfPresent(VocabularyConfiguration.self, forKey: .vocabulary) ?? defaults.vocabulary
        if let text = try container.decodeIfPresent(String.self, forKey: .subwords) {
            guard let range = SubwordRange(parsing: text) else {
                throw EmbeddingError.invalidOption(name: SettingKey(CodingKeys.subwords), value: text,
                                                   expected: "MIN-MAX character n-gram lengths, for example 3-6")
            }
            subwords = range
        } else {
            subwords = nil
        }
        buckets = try container.decodeIfPresent(Int.self, forKey: .buckets) ?? defaults.buckets
        try validate()
    }

    /// Writes every setting; `subwords` and `buckets` only when subwords are on, so that the
    /// configurations written before they existed keep their bytes (and lock-file hashes).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(loss, forKey: .loss)
        try container.encode(dim, forKey: .dim)
        try container.encode(window, forKey: .window)
        try container.encode(negative, forKey: .negative)
        try container.encode(sample, forKey: .sample)
        try container.encode(noiseExponent, forKey: .noiseExponent)
        try container.encode(alpha, forKey: .alpha)
        try container.encode(minAlpha, forKey: .minAlpha)
        try container.encode(epochs, forKey: .epochs)
        try container.encode(seed, forKey: .seed)
        try container.encode(batched, forKey: .batched)
        try container.encode(vocabulary, forKey: .vocabulary)
        if let subwords {
            try container.encode(subwords, forKey: .subwords)
            try container.encode(buckets, forKey: .buckets)
        } else if buckets != Self.defaultBuckets {
            try container.encode(buckets, forKey: .buckets)
        }
    }

    /// Throws `EmbeddingError.invalidOption` naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ key: CodingKeys, _ value: Any, _ expected: String) throws {
            if !ok { throw EmbeddingError.invalidOption(name: SettingKey(key), value: "\(value)", expected: expected) }
        }
        try check(dim >= 1 && dim <= 10_000, .dim, dim, "an integer in 1...10000")
        try check(window >= 1 && window <= 64, .window, window, "an integer in 1...64")
        try check(negative >= (loss == .ns ? 1 : 0) && negative <= 64, .negative, negative, loss == .ns ? "an integer in 1...64 with ns" : "an integer in 0...64")
        try check(sample >= 0 && sample < 1, .sample, sample, "a number in [0, 1)")
        try check(noiseExponent >= 0 && noiseExponent <= 2, .noiseExponent, noiseExponent, "a number in [0, 2]")
        try check(alpha > 0 && alpha < 10, .alpha, alpha, "a number in (0, 10)")
        try check(minAlpha >= 0 && minAlpha <= alpha, .minAlpha, minAlpha, "a number in [0, alpha]")
        try check(epochs >= 1 && epochs <= 10_000, .epochs, epochs, "an integer in 1...10000")
        if let subwords {
            try check(subwords.isValid, .subwords, subwords,
                      "MIN-MAX character n-gram lengths with 1 <= MIN <= MAX <= \(SubwordRange.longest), for example 3-6")
        }
        // fastText stores the bucket count as a 32-bit integer, and rows are 32-bit ids after the words'.
        try check(buckets >= 1 && buckets <= Self.mostBuckets, .buckets, buckets,
                  "an integer in 1...\(Self.mostBuckets) (hash buckets of the character n-grams)")
        try vocabulary.validate()
    }

    /// The names and values of the settings that differ from `other` (for refusing a resume).
    public func differences(from other: TrainingConfiguration) -> [String] {
        var result: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { result.append("\(name): \(b) → \(a)") } }
        compare("model", model, other.model)
        compare("loss", loss, other.loss)
        compare("dim", dim, other.dim)
        compare("window", window, other.window)
        compare("negative", negative, other.negative)
        compare("sample", sample, other.sample)
        compare("noise_exponent", noiseExponent, other.noiseExponent)
        compare("alpha", alpha, other.alpha)
        compare("min_alpha", minAlpha, other.minAlpha)
        compare("epochs", epochs, other.epochs)
        compare("seed", seed, other.seed)
        compare("batched", batched, other.batched)
        compare("vocabulary", vocabulary, other.vocabulary)
        compare("subwords", subwords?.description ?? "off", other.subwords?.description ?? "off")
        compare("buckets", buckets, other.buckets)
        return result
    }
}

/// Errors from training and from vector files.
public enum EmbeddingError: Error, Equatable, NamesSettings {
    /// An option is out of range.
    case invalidOption(name: SettingKey, value: String, expected: String)
    /// Training produced NaN or infinity.
    case diverged(epoch: Int, position: Int64, alpha: Double)
    /// A checkpoint was made with other settings.
    case checkpointMismatch(path: String, differences: [String])
    /// A file cannot be read.
    case malformed(location: SourceLocation, message: String)
    /// A checkpoint file cannot be resumed from (`message` says why).
    case badCheckpoint(location: SourceLocation, message: String)
    /// The corpus and the vocabulary do not fit together.
    case vocabularyMismatch(String)

    public func message(naming: SettingNaming) -> String {
        switch self {
        case .invalidOption(let name, let value, let expected):
            return "invalid value \(value) for \(naming(name)): expected \(expected)"
        case .diverged(let epoch, let position, let alpha):
            return "training diverged (NaN or infinity) in epoch \(epoch) at word \(position) with learning rate \(alpha): lower \(naming("alpha"))"
        case .checkpointMismatch(let path, let differences):
            return "\(path): the checkpoint was made with other settings (\(differences.joined(separator: "; "))); use the same settings or another \(naming("checkpoint")) directory"
        case .malformed(let location, let message):
            return "\(location): \(message)"
        case .badCheckpoint(let location, let message):
            return "\(location): \(message); resume with the corpus and settings it was made with, or train without \(naming("resume")) (or with another \(naming("checkpoint")) directory)"
        case .vocabularyMismatch(let message):
            return message
        }
    }
}

extension EmbeddingError: InvalidSettingError {
    /// The setting an `invalidOption` is about (nil for the other errors).
    public var invalidSetting: (key: SettingKey, value: String, expected: String)? {
        if case .invalidOption(let key, let value, let expected) = self { return (key, value, expected) }
        return nil
    }
}
