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
    /// The tally since creation.
    public private(set) var counts = TokenCounts()

    /// Creates a tokenizer; throws if ICU cannot provide the locale's rules or the transliterator.
    public init(configuration: TokenizerConfiguration) throws {
        if configuration.version > TokenizerConfiguration.currentVersion {
            throw TokenizationError.invalidConfiguration("rules version \(configuration.version) is newer than this wordpipe's")
        }
        self.configuration = configuration
        words = try BreakIterator(.word, locale: configuration.locale)
        sentenceBreaker = configuration.sentences ? try BreakIterator(.sentence, locale: configuration.locale) : nil
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
        if let sentenceBreaker {
            let count = try raw.storage.withUnsafeBufferPointer {
                try sentenceBreaker.run(UnsafeBufferPointer(rebasing: $0[0..<raw.count]), withStatus: false)
            }
            var start = 0
            for index in 0..<count {
                let end = Int(sentenceBreaker.ends[index])
                try tokenizeSpan(start..<end, into: &output, terminate: true)
                start = end
            }
        } else {
            try tokenizeSpan(0..<raw.count, into: &output, terminate: terminate)
        }
    }

    /// Normalizes and word-breaks `raw[range]`, writing one line (if it has tokens).
    private func tokenizeSpan(_ range: Range<Int>, into output: inout [UInt8], terminate: Bool) throws {
        // Copy the span into `work`, then run the text transformations, swapping buffers.
        work.ensureCapacity(range.count + 1)
        raw.storage.withUnsafeBufferPointer { source in
            work.storage.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + range.lowerBound, count: range.count)
            }
        }
        work.count = range.count
        if let normalization {
            try Normalizer.normalize(work, into: &spare, form: normalization)
            swap(&work, &spare)
        }
        if configuration.lowercase {
            try CaseMapping.lowercase(work, into: &spare, locale: configuration.locale)
            swap(&work, &spare)
        }
        if let accents { try accents.apply(&work) }
        let length = work.count
        guard length > 0 else { return }
        try work.storage.withUnsafeBufferPointer { buffer in
            let text = UnsafeBufferPointer(rebasing: buffer[0..<length])
            TextSpan.find(in: text, into: &spans)
            let segmentCount = try words.run(text, withStatus: true)
            emit(text, segmentCount: segmentCount, into: &output, terminate: terminate)
        }
    }

    private func emit(_ text: UnsafeBufferPointer<UInt16>, segmentCount: Int, into output: inout [UInt8], terminate: Bool) {
        let configuration = self.configuration
        var tokensOnLine = 0
        var spanIndex = 0
        var start = 0
        words.ends.withUnsafeBufferPointer { ends in
            words.statuses.withUnsafeBufferPointer { statuses in
                for index in 0..<segmentCount {
                    let end = Int(ends[index])
                    defer { start = end }
                    // URLs and e-mail addresses found before word breaking win over ICU's split.
                    while spanIndex < spans.count && spans[spanIndex].range.upperBound <= start { spanIndex += 1 }
                    if spanIndex < spans.count && spans[spanIndex].range.lowerBound < end {
                        let span = spans[spanIndex]
                        if !span.emitted {
                            spans[spanIndex].emitted = true
                            switch configuration.urls {
                            case .keep: Self.append(text, span.range, to: &output, tokensOnLine: &tokensOnLine)
                            case .token: Self.append(span.kind.placeholder, to: &output, tokensOnLine: &tokensOnLine)
                            case .drop: break
                            }
                        }
                        continue
                    }
                    let status = statuses[index]
                    if status < 100 {
                        guard configuration.punctuation == .keep, !Self.isWhitespace(text, start..<end) else { continue }
                    } else if status < 200 {
                        switch configuration.numbers {
                        case .keep: break
                        case .token:
                            Self.append(Self.numberPlaceholder, to: &output, tokensOnLine: &tokensOnLine)
                            continue
                        case .drop: continue
                        }
                    }
                    Self.append(text, start..<end, to: &output, tokensOnLine: &tokensOnLine)
                }
            }
        }
        if tokensOnLine > 0 {
            if terminate { output.append(0x0A) }
            counts.sentences += 1
            counts.tokens += tokensOnLine
        }
    }

    static let numberPlaceholder = Array("<num>".utf8)

    @inline(__always)
    private static func append(_ bytes: [UInt8], to output: inout [UInt8], tokensOnLine: inout Int) {
        if tokensOnLine > 0 { output.append(0x20) }
        output.append(contentsOf: bytes)
        tokensOnLine += 1
    }

    /// Appends `text[range]` as UTF-8 (unpaired surrogates become U+FFFD; spaces inside a token,
    /// which only URL spans could hold, are never written).
    @inline(__always)
    private static func append(_ text: UnsafeBufferPointer<UInt16>, _ range: Range<Int>, to output: inout [UInt8], tokensOnLine: inout Int) {
        if tokensOnLine > 0 { output.append(0x20) }
        tokensOnLine += 1
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let unit = text[index]
            index += 1
            if unit < 0x80 {
                output.append(UInt8(truncatingIfNeeded: unit))
            } else if unit < 0x800 {
                output.append(UInt8(truncatingIfNeeded: 0xC0 | (unit >> 6)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | (unit & 0x3F)))
            } else if unit & 0xFC00 == 0xD800, index < end, text[index] & 0xFC00 == 0xDC00 {
                let scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(text[index]) - 0xDC00)
                index += 1
                output.append(UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F)))
            } else if unit & 0xF800 == 0xD800 {
                output.append(contentsOf: [0xEF, 0xBF, 0xBD])
            } else {
                output.append(UInt8(truncatingIfNeeded: 0xE0 | (unit >> 12)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | ((unit >> 6) & 0x3F)))
                output.append(UInt8(truncatingIfNeeded: 0x80 | (unit & 0x3F)))
            }
        }
    }

    /// True when every code unit of `text[range]` is white space (White_Space property,
    /// plus U+FEFF and the default-ignorable format controls ICU reports as no-status segments).
    static func isWhitespace(_ text: UnsafeBufferPointer<UInt16>, _ range: Range<Int>) -> Bool {
        for index in range {
            switch text[index] {
            case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200D, 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF:
                continue
            default:
                return false
            }
        }
        return true
    }
}
