import WordPipeSupport

/// One unit of raw text handed from a reader to the tokenizer.
///
/// What a document is depends on the format: a line of plain text, a WikiExtractor `<doc>`
/// block, a MediaWiki page, an XML element, an HTML page, a JSONL record. Sentence breaking
/// never crosses a document boundary.
public struct Document: Sendable, Equatable {
    /// The text (always valid UTF-8: readers replace ill-formed bytes with U+FFFD).
    public var text: String
    /// Where the document starts in its input file.
    public var location: SourceLocation
    /// True when a very long line was cut into pieces and this piece is continued by the next
    /// document (only the last piece of such a line has it false).
    public var continues: Bool

    /// Creates a document.
    public init(text: String, location: SourceLocation, continues: Bool = false) {
        self.text = text
        self.location = location
        self.continues = continues
    }
}

/// A source of documents read one at a time from a single input.
public protocol DocumentReader: AnyObject {
    /// Returns the next document, or nil at the end of the input.
    func next() throws -> Document?
}
