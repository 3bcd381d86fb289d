import ICUShims

/// Counts kept by a tokenizer as it works.
public struct TokenCounts: Sendable, Equatable {
    /// Documents tokenized.
    public var documents = 0
    /// Output lines (sentences, or documents without sentence breaking).
    public var sentences = 0
    /// Tokens written.
    public var tokens = 0

    /// Creates zero counts.
    public init() {}

    /// Adds another tally.
    public static func += (lhs: inout TokenCounts, rhs: TokenCounts) {
        lhs.documents += rhs.documents
        lhs.sentences += rhs.sentences
        lhs.tokens += rhs.tokens
    }
}

/// Turns text into tokens with ICU, as a `TokenizerConfiguration` says.
///
/// Per document: UTF-8 to UTF-16; sentence breaking (UAX #29) on the text as written, since
/// case folding would hide sentence starts; then per sentence: normalization, lowercasing,
/// accent stripping, URL and e-mail detection, word breaking (UAX #29 with ICU's dictionaries
/// for CJK and South-East Asian scripts), and the token rules. ICU's rule status decides what a
/// token is: letters, numbers, kana and ideographs are tokens; segments with no status are
/// punctuation or space (kept with `punctuation: keep`, except white space, which never is).
///
/// A tokenizer owns ICU break iterators and reusable buffers, so it is not thread-safe: use
/// one per thread. Output goes straight to UTF-8 bytes, one line per sentence, tokens separated
/// by one space, with no per-token allocation.
public final class Tokenizer {
    /// The rules in use.
    public let configuration: TokenizerConfiguration
    private let words: BreakIterator
    private let sentenceBreaker: BreakIterator?
    private let accents: Transliterator?
    private let normalization: Normalizer.Form?
    private var raw = UTF16Buffer()
    private var work = UTF16Buffer()
    private var spare = UTF16Buffer()
    private var spans: [TextSpan] = []
    private var rawSpans: [TextSpan] = []
    /// The tally since creation.
    public private(set) var counts = TokenCounts()

    /// Creates a tokenizer; throws if ICU cannot provide the locale's rules or the transliterator.
    public init(configuration: TokenizerConfiguration) throws {
        if configuration.version > TokenizerConfiguration.currentVersion {
            throw TokenizationError.invalidConfiguration("rules version \(configuration.version) is newer than this wordpipe's")
        }
        self.configuration = configuration
        let locale = try Locales.check(configuration.locale)
        words = try BreakIterator(.word, locale: configuration.locale)
        sentenceBreaker = !configuration.sentences ? nil
            : try BreakIterator(sentencesFor: locale.identifier, suppress: configuration.abbreviations,
                                abbreviations: configuration.abbreviations ? Abbreviations.more[locale.language] ?? [] : [])
        accents = configuration.stripAccents ? try Transliterator(id: Transliterator.stripAccentsID) : nil
        switch configuration.normalize {
        case .none: normalization = nil
        case .nfc: normalization = .nfc
        case .nfkc: normalization = .nfkc
        case .nfkcCasefold: normalization = .nfkcCasefold
        }
    }

    /// Tokenizes `text` and returns its sentences (or one line per document) as token arrays.
    public func tokenize(_ text: String) throws -> [[String]] {
        var output: [UInt8] = []
        try tokenize(text, into: &output)
        return output.split(separator: 0x0A).map { line in
            line.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Appends the tokenized form of one document to `output`: one line per sentence, each
    /// ending with a newline. With `sentences: false` the document is one line, and with
    /// `terminate: false` that line gets no newline (for joining the pieces of a long line).
    public func tokenize(_ text: String, into output: inout [UInt8], terminate: Bool = true) throws {
        var text = text
        try text.withUTF8 { try raw.set(utf8: $0) }
        counts.documents += 1
        guard raw.count > 0 else { return }
        // URLs and e-mail addresses in the text as written: sentence breaking must not cut
        // them ('?' and '.' inside a URL look like sentence ends).
        raw.storage.withUnsafeBufferPointer { buffer in
            TextSpan.find(in: UnsafeBufferPointer(rebasing: buffer[0..<raw.count]), into: &rawSpans)
        }
        if let sentenceBreaker {
            let count = try raw.storage.withUnsafeBufferPointer { buffer in
                try sentenceBreaker.run(UnsafeBufferPointer(rebasing: buffer[0..<raw.count]), withStatus: false)
            }
            var spanIndex = 0
            var start = 0
            for index in 0..<count {
                let end = Int(sentenceBreaker.ends[index])
                while spanIndex < rawSpans.count && rawSpans[spanIndex].range.upperBound <= end { spanIndex += 1 }
                if spanIndex < rawSpans.count && rawSpans[spanIndex].range.lowerBound < end && index + 1 < count { continue }
                try tokenizeSpan(start..<end, into: &output, terminate: true)
                start = end
            }
        } else {
            try tokenizeSpan(0..<raw.count, into: &output, terminate: terminate)
        }
    }

    /// The spans of `raw[range]`, shifted to start at 0.
    private func rawSpans(in range: Range<Int>) -> [TextSpan] {
        rawSpans.compactMap { span in
            guard span.range.lowerBound >= range.lowerBound, span.range.upperBound <= range.upperBound else { return nil }
            var shifted = span
            shifted.range = (span.range.lowerBound - range.lowerBound)..<(span.range.upperBound - range.lowerBound)
            return shifted
        }
    }

    /// Whether a span of the raw text overlaps `range`.
    private func rawSpansOverlap(_ range: Range<Int>) -> Bool {
        rawSpans.contains { $0.range.overlaps(range) }
    }

    /// Normalizes and word-breaks `raw[range]`, writing one line (if it has tokens).
    private func tokenizeSpan(_ range: Range<Int>, into output: inout [UInt8], terminate: Bool) throws {
        // Each text transformation reads one buffer and writes the other; with none, the span
        // is word-broken where it lies.
        var transformed = false
        if let normalization {
            try raw.storage.withUnsafeBufferPointer { buffer in
                try Normalizer.normalize(UnsafeBufferPointer(rebasing: buffer[range]), into: &work, form: normalization)
            }
            transformed = true
        }
        if configuration.lowercase {
            if !transformed { copySpan(range) }
            try CaseMapping.lowercase(work, into: &spare, locale: configuration.locale)
            swap(&work, &spare)
            transformed = true
        }
        if let accents {
            if !transformed { copySpan(range) }
            try accents.apply(&work)
            transformed = true
        }
        if transformed {
            // The transformed text has other offsets: look again, unless the raw span held
            // no link and only ASCII (which no transformation turns into a link).
            let rescan = rawSpansOverlap(range) || raw.storage.withUnsafeBufferPointer { buffer in
                wp_is_ascii(buffer.baseAddress! + range.lowerBound, Int32(range.count)) == 0
            }
            let length = work.count
            try work.storage.withUnsafeBufferPointer { buffer in
                let text = UnsafeBufferPointer(rebasing: buffer[0..<length])
                if rescan { TextSpan.find(in: text, into: &spans) } else { spans.removeAll(keepingCapacity: true) }
                try breakWords(text, into: &output, terminate: terminate)
            }
        } else {
            spans = rawSpans.isEmpty ? [] : rawSpans(in: range)
            try raw.storage.withUnsafeBufferPointer { buffer in
                try breakWords(UnsafeBufferPointer(rebasing: buffer[range]), into: &output, terminate: terminate)
            }
        }
    }

    private func copySpan(_ range: Range<Int>) {
        work.ensureCapacity(range.count + 1)
        raw.storage.withUnsafeBufferPointer { source in
            work.storage.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + range.lowerBound, count: range.count)
            }
        }
        work.count = range.count
    }

    private func breakWords(_ text: UnsafeBufferPointer<UInt16>, into output: inout [UInt8], terminate: Bool) throws {
        guard text.count > 0 else { return }
        let tokens = try words.writeTokens(text, spans: spans, configuration: configuration, terminate: terminate, into: &output)
        if tokens > 0 {
            counts.sentences += 1
            counts.tokens += tokens
        }
    }
}
