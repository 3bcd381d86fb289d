import WordPipeSupport

/// How a vocabulary is built from a tokenized corpus: the configuration of the `vocab` stage,
/// shared by `wordpipe vocab` and the pipeline. Decoding fills in the defaults below for
/// missing keys and rejects unknown keys.
public struct VocabularyConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Types seen fewer times are left out. Default: 5 (word2vec's and gensim's).
    public var minCount: Int
    /// Keep at most this many types, the most frequent (after `minCount`). Default: no limit.
    public var maxSize: Int?
    /// Bound on the types held while counting, as word2vec's `ReduceVocab` and gensim's
    /// `max_vocab_size`: past it, the rarest types (count <= a rising floor) are dropped, so
    /// counts can then be lower than exact. Default: no bound (exact counts).
    public var maxTypesInMemory: Int?
    /// Special tokens listed first with count 0 (e.g. `<unk>`, `<pad>`). Default: none.
    public var specials: [String]

    /// Creates a configuration; every argument has the documented default.
    public init(minCount: Int = 5, maxSize: Int? = nil, maxTypesInMemory: Int? = nil, specials: [String] = []) {
        self.minCount = minCount
        self.maxSize = maxSize
        self.maxTypesInMemory = maxTypesInMemory
        self.specials = specials
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minCount = "min_count"
        case maxSize = "max_size"
        case maxTypesInMemory = "max_types_in_memory"
        case specials
    }

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: CodingKeys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = VocabularyConfiguration()
        minCount = try container.decodeIfPresent(Int.self, forKey: .minCount) ?? defaults.minCount
        maxSize = try container.decodeIfPresent(Int.self, forKey: .maxSize)
        maxTypesInMemory = try container.decodeIfPresent(Int.self, forKey: .maxTypesInMemory)
        specials = try container.decodeIfPresent([String].self, forKey: .specials) ?? defaults.specials
        try validate()
    }

    /// Throws `VocabularyError.invalidOption` naming the first bad value.
    public func validate() throws {
        if minCount < 1 { throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.minCount), value: "\(minCount)", expected: "an integer >= 1") }
        if let maxSize, maxSize < 1 { throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.maxSize), value: "\(maxSize)", expected: "an integer >= 1") }
        if let maxTypesInMemory, maxTypesInMemory < 1000 {
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.maxTypesInMemory), value: "\(maxTypesInMemory)", expected: "an integer >= 1000")
        }
        for special in specials where special.isEmpty || special.contains(where: { $0.isWhitespace }) {
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.specials), value: "'\(special)'", expected: "non-empty tokens without white space")
        }
        if Set(specials).count != specials.count {
            throw VocabularyError.invalidOption(name: SettingKey(CodingKeys.specials), value: specials.joined(separator: ","), expected: "distinct tokens")
        }
    }
}

/// Errors from building, reading and using vocabularies.
public enum VocabularyError: Error, Equatable, NamesSettings {
    /// An option value is out of range.
    case invalidOption(name: SettingKey, value: String, expected: String)
    /// The corpus holds no token at all.
    case emptyCorpus(inputs: [String])
    /// No type reaches `minCount`.
    case nothingKept(minCount: Int, mostFrequent: String?, count: Int64)
    /// A vocabulary file line cannot be read.
    case malformed(location: SourceLocation, message: String)
    /// Counting ran out of memory.
    case outOfMemory

    public func message(naming: SettingNaming) -> String {
        switch self {
        case .invalidOption(let name, let value, let expected):
            return "invalid value \(value) for \(naming(name)): expected \(expected)"
        case .emptyCorpus(let inputs):
            let list = inputs.count <= 3 ? inputs.joined(separator: ", ") : "\(inputs.count) inputs"
            return "the corpus has no tokens: \(list)"
        case .nothingKept(let minCount, let word, let count):
            let most = word.map { "; the most frequent type, '\($0)', occurs \(count) times" } ?? ""
            return "no type occurs at least \(minCount) times\(most): lower \(naming("min_count"))"
        case .malformed(let location, let message):
            return "\(location): \(message)"
        case .outOfMemory:
            return "out of memory while counting (use \(naming("max_types_in_memory")) to bound it)"
        }
    }
}

extension VocabularyError: InvalidSettingError {
    /// The setting an `invalidOption` is about (nil for the other errors).
    public var invalidSetting: (key: SettingKey, value: String, expected: String)? {
        if case .invalidOption(let key, let value, let expected) = self { return (key, value, expected) }
        return nil
    }
}
