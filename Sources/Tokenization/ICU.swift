import ICUShims
import WordPipeSupport

/// Errors from tokenization.
public enum TokenizationError: Error, Equatable, NamesSettings {
    /// An ICU call failed; `operation` names it, `code` is ICU's error name.
    case icu(operation: String, code: String)
    /// The tokenizer configuration cannot be used.
    case invalidConfiguration(String)
    /// A locale that is not a BCP 47 tag, or whose language ICU has no data for.
    case unknownLocale(tag: String, reason: String)

    public func message(naming: SettingNaming) -> String {
        switch self {
        case .icu(let operation, let code): return "ICU \(operation) failed: \(code)"
        case .invalidConfiguration(let message): return "invalid tokenizer configuration: \(message)"
        case .unknownLocale(let tag, let reason):
            return "unknown \(naming("locale")) '\(tag)': \(reason); give a BCP 47 tag such as en, en-GB, de, fr-CA, "
                + "zh-Hant or th (`wordpipe locales` lists the \(Locales.available.count) locales ICU has data for)"
        }
    }
}

extension TokenizationError: InvalidSettingError {
    /// The setting an `unknownLocale` is about (nil for the other errors).
    public var invalidSetting: (key: SettingKey, value: String, expected: String)? {
        if case .unknownLocale(let tag, let reason) = self {
            return ("locale", "'\(tag)'", "a BCP 47 tag whose language ICU knows (\(reason); `wordpipe locales` lists them)")
        }
        return nil
    }
}

/// The locales ICU has data for, and the check of a locale setting.
public enum Locales {
    /// ICU's locales with data, as BCP 47 tags (`en`, `en-GB`, `zh-Hant-TW`), in ICU's order.
    public static let available: [String] = (0..<wp_available_locale_count()).compactMap { index in
        var tag = [CChar](repeating: 0, count: 160)
        guard wp_available_locale_tag(index, &tag, Int32(tag.count)) > 0 else { return nil }
        return String(cString: tag)
    }

    /// ICU's identifier for a BCP 47 tag (`de-CH` -> `de_CH`; "" and `root` -> ""), and its
    /// language. Throws `TokenizationError.unknownLocale` for a tag that does not parse or whose
    /// language ICU has no data for (where ICU itself would fall back to the root locale silently).
    public static func check(_ tag: String) throws -> (identifier: String, language: String) {
        var identifier = [CChar](repeating: 0, count: 160)
        var language = [CChar](repeating: 0, count: 16)
        switch wp_locale_check(tag, &identifier, Int32(identifier.count), &language, Int32(language.count)) {
        case Int32(WP_LOCALE_OK):
            return (String(cString: identifier), String(cString: language))
        case Int32(WP_LOCALE_UNKNOWN_LANGUAGE):
            throw TokenizationError.unknownLocale(tag: tag, reason: "ICU has no data for the language '\(String(cString: language))'")
        default:
            throw TokenizationError.unknownLocale(tag: tag, reason: "not a well-formed BCP 47 tag")
        }
    }
}

/// Throws when an ICU status is a failure.
@inline(__always)
func checkICU(_ status: Int32, _ operation: String) throws {
    if status > 0 { throw TokenizationError.icu(operation: operation, code: String(cString: wp_icu_error_name(status))) }
}

/// The version of the ICU library in use, e.g. "72.1".
public var icuVersion: String {
    var buffer = [CChar](repeating: 0, count: 32)
    wp_icu_version(&buffer, 32)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// A growable UTF-16 buffer used by the tokenizer's stages.
struct UTF16Buffer {
    var storage: [UInt16] = []
    var count = 0

    /// Grows the storage to at least `capacity` units, keeping the first `count`.
    mutating func ensureCapacity(_ capacity: Int) {
        if storage.count < capacity {
            storage.append(contentsOf: repeatElement(0, count: max(capacity, storage.count * 3 / 2) - storage.count))
        }
    }

    mutating func set(_ text: String) throws {
        var text = text
        try text.withUTF8 { utf8 in try set(utf8: utf8) }
    }

    mutating func set(utf8: UnsafeBufferPointer<UInt8>) throws {
        ensureCapacity(utf8.count + 1)
        var substitutions: Int32 = 0
        var status: Int32 = 0
        let length = storage.withUnsafeMutableBufferPointer { destination in
            utf8.withMemoryRebound(to: CChar.self) { source in
                wp_utf8_to_utf16(source.baseAddress, Int32(source.count), destination.baseAddress,
                                 Int32(destination.count), &substitutions, &status)
            }
        }
        try checkICU(status, "UTF-8 conversion")
        count = Int(length)
    }

    var string: String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<count]), as: UTF16.self) }
    }

    /// Runs an ICU-style "write into destination, return needed length" call from `self`
    /// into `destination`, growing the destination once if needed.
    func transform(into destination: inout UTF16Buffer, estimate: Int, operation: String,
                   _ call: (UnsafePointer<UInt16>, Int32, UnsafeMutablePointer<UInt16>, Int32, inout Int32) -> Int32) throws {
        try storage.withUnsafeBufferPointer { buffer in
            try Self.transform(UnsafeBufferPointer(rebasing: buffer[0..<count]), into: &destination, estimate: estimate,
                               operation: operation, call)
        }
    }

    /// The same, from any UTF-16 buffer.
    static func transform(_ source: UnsafeBufferPointer<UInt16>, into destination: inout UTF16Buffer, estimate: Int, operation: String,
                          _ call: (UnsafePointer<UInt16>, Int32, UnsafeMutablePointer<UInt16>, Int32, inout Int32) -> Int32) throws {
        destination.ensureCapacity(max(estimate, 16))
        let empty: [UInt16] = [0]
        for _ in 0..<2 {
            var status: Int32 = 0
            let length = empty.withUnsafeBufferPointer { fallback in
                destination.storage.withUnsafeMutableBufferPointer { target in
                    call(source.baseAddress ?? fallback.baseAddress!, Int32(source.count), target.baseAddress!, Int32(target.count), &status)
                }
            }
            if status == WP_ICU_BUFFER_OVERFLOW {
                destination.ensureCapacity(Int(length) + 16)
                continue
            }
            try checkICU(status, operation)
            destination.count = Int(length)
            return
        }
        throw TokenizationError.icu(operation: operation, code: "U_BUFFER_OVERFLOW_ERROR")
    }
}

/// A UAX #29 break iterator (ICU `ubrk`). Not thread-safe: use one per thread.
///
/// Word breaking uses ICU's dictionaries for Chinese, Japanese, Thai, Lao, Khmer and Burmese.
public final class BreakIterator {
    /// What to break.
    public enum Kind: Sendable { case word, sentence }

    /// One segment between two boundaries.
    public struct Segment: Equatable, Sendable {
        /// UTF-16 offsets.
        public var range: Range<Int>
        /// ICU's rule status (word breaks: 0-99 none, 100-199 number, 200-299 letter,
        /// 300-399 kana, 400-499 ideographic).
        public var status: Int32
    }

    let kind: Kind
    private let handle: OpaquePointer
    var ends: [Int32] = []
    var statuses: [Int32] = []

    /// Opens a break iterator for `locale` (empty: root).
    public init(_ kind: Kind, locale: String = "") throws {
        var status: Int32 = 0
        let pointer = wp_breaker_open(kind == .word ? Int32(WP_BREAK_WORD) : Int32(WP_BREAK_SENTENCE), locale, &status)
        try checkICU(status, "break iterator open (locale '\(locale)')")
        guard let pointer else { throw TokenizationError.icu(operation: "break iterator open", code: "null") }
        self.kind = kind
        self.handle = pointer
    }

    /// Opens a sentence break iterator for the ICU locale `identifier` that, with `suppress`,
    /// ends no sentence after the locale's standard abbreviations (ICU's `ss=standard`) nor
    /// after `abbreviations` (each ending in `.`, without spaces).
    public init(sentencesFor identifier: String, suppress: Bool, abbreviations: [String] = []) throws {
        var status: Int32 = 0
        let list = Array(abbreviations.map { $0 + " " }.joined().utf16)
        let pointer = list.withUnsafeBufferPointer {
            wp_breaker_open_sentences(identifier, suppress ? 1 : 0, $0.baseAddress, Int32($0.count), &status)
        }
        try checkICU(status, "sentence break iterator open (locale '\(identifier)')")
        guard let pointer else { throw TokenizationError.icu(operation: "break iterator open", code: "null") }
        self.kind = .sentence
        self.handle = pointer
    }

    /// Where `writeTokens` lets C write before the bytes are appended to the output.
    private var scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private var scratchCapacity = 1

    deinit {
        wp_breaker_close(handle)
        scratch.deallocate()
    }

    /// Fills `ends` (and `statuses` when wanted) for UTF-16 `text`; returns the segment count.
    func run(_ text: UnsafeBufferPointer<UInt16>, withStatus: Bool) throws -> Int {
        let capacity = max(text.count, 1)
        if ends.count < capacity {
            ends = [Int32](repeating: 0, count: capacity)
            if withStatus || kind == .word { statuses = [Int32](repeating: 0, count: capacity) }
        }
        if withStatus && statuses.count < capacity { statuses = [Int32](repeating: 0, count: capacity) }
        var status: Int32 = 0
        let count = ends.withUnsafeMutableBufferPointer { endPointer in
            if withStatus {
                return statuses.withUnsafeMutableBufferPointer { statusPointer in
                    wp_breaker_segments(handle, text.baseAddress, Int32(text.count), endPointer.baseAddress,
                                        statusPointer.baseAddress, Int32(endPointer.count), &status)
                }
            }
            return wp_breaker_segments(handle, text.baseAddress, Int32(text.count), endPointer.baseAddress,
                                       nil, Int32(endPointer.count), &status)
        }
        try checkICU(status, "break iteration")
        return Int(count)
    }

    /// Word-breaks `text` and appends its tokens to `output` under `configuration`'s token
    /// rules (see `wp_breaker_write_tokens`); returns the number of tokens written.
    func writeTokens(_ text: UnsafeBufferPointer<UInt16>, spans: [TextSpan], configuration: TokenizerConfiguration,
                     terminate: Bool, into output: inout [UInt8]) throws -> Int {
        let bound = text.count * 11 + 10
        if scratchCapacity < bound {
            scratch.deallocate()
            scratchCapacity = max(bound, scratchCapacity * 2)
            scratch = .allocate(capacity: scratchCapacity)
        }
        var tokens: Int32 = 0
        var status: Int32 = 0
        let written: Int32
        if spans.isEmpty {
            written = wp_breaker_write_tokens(handle, text.baseAddress, Int32(text.count), nil, 0,
                                              configuration.punctuation == .keep ? 1 : 0, configuration.numbers.code,
                                              configuration.urls.code, terminate ? 1 : 0, scratch, &tokens, &status)
        } else {
            let cSpans = spans.map { wp_span(start: Int32($0.range.lowerBound), end: Int32($0.range.upperBound), kind: $0.kind == .email ? 1 : 0) }
            written = wp_breaker_write_tokens(handle, text.baseAddress, Int32(text.count), cSpans, Int32(cSpans.count),
                                              configuration.punctuation == .keep ? 1 : 0, configuration.numbers.code,
                                              configuration.urls.code, terminate ? 1 : 0, scratch, &tokens, &status)
        }
        try checkICU(status, "word breaking")
        output.append(contentsOf: UnsafeBufferPointer(start: scratch, count: Int(written)))
        return Int(tokens)
    }
    /// The boundaries of `text` as UTF-16 offsets, including 0 and the end.
    public func boundaries(utf16 text: [UInt16]) throws -> [Int] {
        let count = try text.withUnsafeBufferPointer { try run($0, withStatus: false) }
        return [0] + ends[0..<count].map(Int.init)
    }

    /// The segments of `text` with their rule status.
    public func segments(_ text: String) throws -> [Segment] {
        let units = Array(text.utf16)
        let count = try units.withUnsafeBufferPointer { try run($0, withStatus: true) }
        var start = 0
        return (0..<count).map { index in
            defer { start = Int(ends[index]) }
            return Segment(range: start..<Int(ends[index]), status: statuses[index])
        }
    }
}

extension TokenizerConfiguration.TokenPolicy {
    /// The shim's code for this policy.
    var code: Int32 {
        switch self {
        case .keep: return Int32(WP_POLICY_KEEP)
        case .token: return Int32(WP_POLICY_TOKEN)
        case .drop: return Int32(WP_POLICY_DROP)
        }
    }
}

/// Unicode normalization through ICU Normalizer2 (thread-safe: ICU's instances are shared).
public enum Normalizer {
    /// The forms ICU offers.
    public enum Form: Sendable, CaseIterable {
        case nfc, nfd, nfkc, nfkd, nfkcCasefold

        var code: Int32 {
            switch self {
            case .nfc: return Int32(WP_NORM_NFC)
            case .nfd: return Int32(WP_NORM_NFD)
            case .nfkc: return Int32(WP_NORM_NFKC)
            case .nfkd: return Int32(WP_NORM_NFKD)
            case .nfkcCasefold: return Int32(WP_NORM_NFKC_CASEFOLD)
            }
        }
    }

    /// Returns `text` in normalization form `form`.
    public static func normalize(_ text: String, form: Form) throws -> String {
        var source = UTF16Buffer()
        try source.set(text)
        var target = UTF16Buffer()
        try normalize(source, into: &target, form: form)
        return target.string
    }

    static func normalize(_ source: UTF16Buffer, into target: inout UTF16Buffer, form: Form) throws {
        try source.storage.withUnsafeBufferPointer { buffer in
            try normalize(UnsafeBufferPointer(rebasing: buffer[0..<source.count]), into: &target, form: form)
        }
    }

    static func normalize(_ source: UnsafeBufferPointer<UInt16>, into target: inout UTF16Buffer, form: Form) throws {
        let code = form.code
        try UTF16Buffer.transform(source, into: &target, estimate: source.count + source.count / 4 + 16, operation: "normalization") {
            wp_normalize(code, $0, $1, $2, $3, &$4)
        }
    }
}

/// Locale-aware full case mapping (ICU `u_strToLower`).
public enum CaseMapping {
    /// Lowercases `text` with the rules of `locale` (`tr`: İ → i, I → ı).
    public static func lowercase(_ text: String, locale: String = "") throws -> String {
        var source = UTF16Buffer()
        try source.set(text)
        var target = UTF16Buffer()
        try lowercase(source, into: &target, locale: locale)
        return target.string
    }

    static func lowercase(_ source: UTF16Buffer, into target: inout UTF16Buffer, locale: String) throws {
        try locale.withCString { localeName in
            try source.transform(into: &target, estimate: source.count + source.count / 8 + 16, operation: "lowercasing") {
                wp_to_lower(localeName, $0, $1, $2, $3, &$4)
            }
        }
    }
}

/// An ICU transliterator (not thread-safe: one per thread).
public final class Transliterator {
    private let handle: OpaquePointer

    /// The rule id that removes accents: decompose, drop non-spacing marks, recompose.
    public static let stripAccentsID = "NFD; [:Nonspacing Mark:] Remove; NFC"

    /// Opens the transliterator with ICU id `id`.
    public init(id: String) throws {
        let units = Array(id.utf16)
        var status: Int32 = 0
        let pointer = wp_transliterator_open(units, Int32(units.count), &status)
        try checkICU(status, "transliterator open ('\(id)')")
        guard let pointer else { throw TokenizationError.icu(operation: "transliterator open", code: "null") }
        handle = pointer
    }

    deinit { wp_transliterator_close(handle) }

    /// Transliterates `text`.
    public func apply(_ text: String) throws -> String {
        var buffer = UTF16Buffer()
        try buffer.set(text)
        try apply(&buffer)
        return buffer.string
    }

    func apply(_ buffer: inout UTF16Buffer) throws {
        for _ in 0..<2 {
            buffer.ensureCapacity(buffer.count * 3 + 16)
            var length = Int32(buffer.count)
            var status: Int32 = 0
            buffer.storage.withUnsafeMutableBufferPointer {
                wp_transliterate(handle, $0.baseAddress, &length, Int32($0.count), &status)
            }
            if status == WP_ICU_BUFFER_OVERFLOW {
                buffer.ensureCapacity(Int(length) * 2 + 16)
                continue
            }
            try checkICU(status, "transliteration")
            buffer.count = Int(length)
            return
        }
        throw TokenizationError.icu(operation: "transliteration", code: "U_BUFFER_OVERFLOW_ERROR")
    }
}
