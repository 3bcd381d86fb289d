import Corpora
import WordPipeSupport

/// How raw text becomes tokens. Saved beside every tokenized corpus and inside every later
/// artifact, so that new text is tokenized exactly as the training text was.
///
/// The steps, in order: Unicode normalization (`normalize`), locale lowercasing (`lowercase`),
/// accent stripping (`stripAccents`), URL and e-mail detection (`urls`), sentence breaking
/// (`sentences`), word breaking (UAX #29 with ICU's dictionaries), then the token rules
/// (`punctuation`, `numbers`). Decoding fills in the defaults below for missing keys and
/// rejects unknown keys.
public struct TokenizerConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Unicode normalization forms (ICU Normalizer2).
    public enum Normalization: String, Codable, Sendable, CaseIterable {
        /// Leave the text as it is.
        case none
        /// Canonical composition.
        case nfc
        /// Compatibility composition (`ﬁ` → `fi`, full-width → ASCII).
        case nfkc
        /// NFKC plus case folding and removal of default-ignorables (Lucene's `nfkc_cf`).
        case nfkcCasefold = "nfkc-casefold"
    }

    /// What to do with segments ICU gives no word status (punctuation, symbols).
    public enum PunctuationPolicy: String, Codable, Sendable, CaseIterable {
        case drop, keep
    }

    /// What to do with a token kind (numbers, URLs, e-mail addresses).
    public enum TokenPolicy: String, Codable, Sendable, CaseIterable {
        /// Keep the token as written.
        case keep
        /// Replace it with a placeholder (`<num>`, `<url>`, `<email>`).
        case token
        /// Leave it out.
        case drop
    }

    /// The version of the tokenization rules. Bumped when the same settings would tokenize
    /// differently, so artifacts from older rules are recognised.
    public var version: Int
    /// Unicode normalization. Default: `nfc`.
    public var normalize: Normalization
    /// Lowercase with ICU full case mapping for `locale`. Default: false.
    public var lowercase: Bool
    /// Remove combining marks after NFD (`é` → `e`). Default: false.
    public var stripAccents: Bool
    /// Punctuation and symbols. Default: `drop`.
    public var punctuation: PunctuationPolicy
    /// Numbers (ICU's number status). Default: `keep`.
    public var numbers: TokenPolicy
    /// URLs and e-mail addresses, found before word breaking. Default: `keep` (whole).
    public var urls: TokenPolicy
    /// One sentence per output line (true) or one document per line. Default: true.
    public var sentences: Bool
    /// The BCP 47 locale for break rules and lowercasing; empty is ICU's root. Default: "".
    /// A tag whose language ICU has no data for is an error (`Locales.check`).
    public var locale: String
    /// No sentence ends after the locale's known abbreviations (`Dr. Smith met Mr. Jones` stays
    /// one sentence for `en`): ICU's standard break suppressions for the locale (`ss=standard`),
    /// plus `Abbreviations.more`. Locales without either (the root locale) are unaffected.
    /// Default: true; false in rules version 1, which had no suppressions.
    public var abbreviations: Bool

    /// The current rules version: 2 adds `abbreviations`.
    public static let currentVersion = 2

    /// Creates a configuration; every argument has the documented default.
    public init(normalize: Normalization = .nfc, lowercase: Bool = false, stripAccents: Bool = false,
                punctuation: PunctuationPolicy = .drop, numbers: TokenPolicy = .keep, urls: TokenPolicy = .keep,
                sentences: Bool = true, locale: String = "", abbreviations: Bool = true) {
        self.version = Self.currentVersion
        self.normalize = normalize
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.punctuation = punctuation
        self.numbers = numbers
        self.urls = urls
        self.sentences = sentences
        self.locale = locale
        self.abbreviations = abbreviations
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, normalize, lowercase, punctuation, numbers, urls, sentences, locale, abbreviations
        case stripAccents = "strip_accents"
    }

    /// The keys this configuration reads.
    public static var keys: [String] { CodingKeys.allCases.map(\.stringValue) }

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: Self.keys)
        try self.init(fieldsFrom: decoder)
    }

    /// Decodes the fields without rejecting other keys (for configurations that hold this one
    /// flat among their own keys).
    public init(fieldsFrom decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TokenizerConfiguration()
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? Self.currentVersion
        if version > Self.currentVersion {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "tokenizer rules version \(version) is newer than this wordpipe's (\(Self.currentVersion))")
        }
        normalize = try container.decodeIfPresent(Normalization.self, forKey: .normalize) ?? defaults.normalize
        lowercase = try container.decodeIfPresent(Bool.self, forKey: .lowercase) ?? defaults.lowercase
        stripAccents = try container.decodeIfPresent(Bool.self, forKey: .stripAccents) ?? defaults.stripAccents
        punctuation = try container.decodeIfPresent(PunctuationPolicy.self, forKey: .punctuation) ?? defaults.punctuation
        numbers = try container.decodeIfPresent(TokenPolicy.self, forKey: .numbers) ?? defaults.numbers
        urls = try container.decodeIfPresent(TokenPolicy.self, forKey: .urls) ?? defaults.urls
        sentences = try container.decodeIfPresent(Bool.self, forKey: .sentences) ?? defaults.sentences
        locale = try container.decodeIfPresent(String.self, forKey: .locale) ?? defaults.locale
        // Artifacts of rules version 1 were made without suppressions: they tokenize new text
        // as they did.
        abbreviations = try container.decodeIfPresent(Bool.self, forKey: .abbreviations) ?? (version >= 2)
    }

    /// Throws `TokenizationError.unknownLocale` for a locale ICU has no data for.
    public func validate() throws { _ = try Locales.check(locale) }
}

/// The configuration of the tokenize stage: how to read the inputs and how to tokenize them.
/// The `wordpipe tokenize` command and the pipeline's `tokenize` stage share this value.
///
/// It is written flat, the reader's keys beside the tokenizer's
/// (`{format: wikiextractor, normalize: nfkc-casefold, numbers: token}`), as a pipeline file
/// spells it.
public struct TokenizeConfiguration: Codable, Sendable, Equatable {
    /// How raw inputs are read.
    public var reader: ReaderConfiguration
    /// How text becomes tokens.
    public var tokenizer: TokenizerConfiguration

    /// Creates a stage configuration.
    public init(reader: ReaderConfiguration = ReaderConfiguration(), tokenizer: TokenizerConfiguration = TokenizerConfiguration()) {
        self.reader = reader
        self.tokenizer = tokenizer
    }

    /// Every key of the flat form.
    public static var keys: [String] { ReaderConfiguration.keys + TokenizerConfiguration.keys }

    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: Self.keys)
        reader = try ReaderConfiguration(fieldsFrom: decoder)
        tokenizer = try TokenizerConfiguration(fieldsFrom: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try reader.encode(to: encoder)
        try tokenizer.encode(to: encoder)
    }
}
