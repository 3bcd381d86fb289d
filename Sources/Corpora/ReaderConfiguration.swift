import WordPipeSupport

/// The input formats WordPipe reads.
public enum InputFormat: String, Codable, Sendable, CaseIterable {
    /// Guess from the file name and the first bytes.
    case auto
    /// Plain text: each line is a document.
    case text
    /// WikiExtractor output: `<doc id url title>` … `</doc>` blocks.
    case wikiextractor
    /// A MediaWiki XML export dump (namespace-0 pages, wiki markup reduced to text).
    case mediawiki
    /// Any XML, TEI included: the text of chosen elements.
    case xml
    /// HTML pages: the text of the body.
    case html
    /// JSON Lines: one object per line, text taken from a field.
    case jsonl
}

/// How to read raw corpora: the reader half of the tokenize stage's configuration.
///
/// Decoding fills in the documented defaults for missing keys and rejects unknown ones.
public struct ReaderConfiguration: Codable, Sendable, Equatable {
    /// The input format. Default: `auto`.
    public var format: InputFormat
    /// For `xml`: local names of the elements whose text is taken (each occurrence is one
    /// document). Empty (the default) means all text.
    public var xmlElements: [String]
    /// For `jsonl`: the field holding the text; dots descend into nested objects. Default: `text`.
    public var jsonField: String

    /// Creates a configuration; every argument has the documented default.
    public init(format: InputFormat = .auto, xmlElements: [String] = [], jsonField: String = "text") {
        self.format = format
        self.xmlElements = xmlElements
        self.jsonField = jsonField
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format
        case xmlElements = "xml_elements"
        case jsonField = "json_field"
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
        let defaults = ReaderConfiguration()
        format = try container.decodeIfPresent(InputFormat.self, forKey: .format) ?? defaults.format
        xmlElements = try container.decodeIfPresent([String].self, forKey: .xmlElements) ?? defaults.xmlElements
        jsonField = try container.decodeIfPresent(String.self, forKey: .jsonField) ?? defaults.jsonField
    }
}
