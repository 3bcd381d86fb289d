import ICUShims

/// A URL or e-mail address found in text before word breaking, since UAX #29 splits URLs
/// (`http`, `example.com`, `path`) into several words.
struct TextSpan: Equatable {
    /// What the span is (the C token writer turns it into `<url>` or `<email>`).
    enum Kind: Equatable {
        case url, email
    }

    var range: Range<Int>
    var kind: Kind

    /// Finds URLs (`scheme://…` for http, https, ftp, file; or `www.…`) and e-mail addresses
    /// (`local@domain.tld`) in UTF-16 `text`, in order and without overlaps.
    ///
    /// A URL runs to the next white space, quote or angle bracket; trailing sentence
    /// punctuation (`.,;:!?`) and an unbalanced closing bracket are left out, as in
    /// "see https://example.com/a_(b)." → `https://example.com/a_(b)`.
    static func find(in text: UnsafeBufferPointer<UInt16>, into spans: inout [TextSpan]) {
        spans.removeAll(keepingCapacity: true)
        let count = text.count
        guard let base = text.baseAddress, count > 0 else { return }
        var index = 0
        while index < count {
            // Jump to the next ':', '@' or 'w'/'W' (vectorized in the C shim).
            index = Int(wp_find_link_anchor(base, Int32(index), Int32(count)))
            if index >= count { break }
            let unit = text[index]
            if unit == 0x3A, let span = url(endingSchemeAt: index, in: text) {
                append(span, to: &spans)
                index = span.range.upperBound
                continue
            }
            if (unit == 0x77 || unit == 0x57), let span = wwwURL(at: index, in: text) {
                append(span, to: &spans)
                index = span.range.upperBound
                continue
            }
            if unit == 0x40, let span = email(at: index, in: text) {
                append(span, to: &spans)
                index = span.range.upperBound
                continue
            }
            index += 1
        }
    }

    private static func append(_ span: TextSpan, to spans: inout [TextSpan]) {
        // A span that starts inside the previous one (rare) is dropped.
        if let last = spans.last, span.range.lowerBound < last.range.upperBound { return }
        spans.append(span)
    }

    @inline(__always) static func isASCIILetter(_ unit: UInt16) -> Bool {
        (unit | 0x20) >= 0x61 && (unit | 0x20) <= 0x7A
    }

    @inline(__always) static func isASCIIAlphanumeric(_ unit: UInt16) -> Bool {
        isASCIILetter(unit) || (unit >= 0x30 && unit <= 0x39)
    }

    /// Characters that end a URL.
    @inline(__always) static func endsURL(_ unit: UInt16) -> Bool {
        switch unit {
        case 0x00...0x20, 0x22, 0x3C, 0x3E, 0x5C, 0x5E, 0x60, 0x7B, 0x7C, 0x7D, 0x7F, 0x85, 0xA0,
             0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF, 0x201C, 0x201D, 0x2018, 0x2019, 0xAB, 0xBB:
            return true
        default:
            return false
        }
    }

    private static let schemes: [[UInt16]] = ["https", "http", "ftp", "file"].map { Array($0.utf16) }

    /// `scheme://rest`, where `colon` is the index of the ':'.
    static func url(endingSchemeAt colon: Int, in text: UnsafeBufferPointer<UInt16>) -> TextSpan? {
        guard colon + 3 < text.count, text[colon + 1] == 0x2F, text[colon + 2] == 0x2F else { return nil }
        for scheme in schemes {
            let start = colon - scheme.count
            guard start >= 0 else { continue }
            var matches = true
            for offset in 0..<scheme.count where (text[start + offset] | 0x20) != scheme[offset] {
                matches = false
                break
            }
            guard matches else { continue }
            if start > 0 && isASCIIAlphanumeric(text[start - 1]) { continue }
            let end = urlEnd(from: colon + 3, in: text)
            guard end > colon + 3 else { return nil }
            return TextSpan(range: start..<end, kind: .url)
        }
        return nil
    }

    /// `www.host...`, starting at `index`.
    static func wwwURL(at index: Int, in text: UnsafeBufferPointer<UInt16>) -> TextSpan? {
        guard index + 5 < text.count,
              (text[index] | 0x20) == 0x77, (text[index + 1] | 0x20) == 0x77, (text[index + 2] | 0x20) == 0x77,
              text[index + 3] == 0x2E, isASCIIAlphanumeric(text[index + 4]) else { return nil }
        if index > 0 && (isASCIIAlphanumeric(text[index - 1]) || text[index - 1] == 0x2E || text[index - 1] == 0x2F) { return nil }
        let end = urlEnd(from: index + 4, in: text)
        // Require a dot after "www." so that "www.x" alone is not a URL.
        var hasDot = false
        for position in (index + 4)..<end where text[position] == 0x2E {
            hasDot = true
            break
        }
        guard hasDot else { return nil }
        return TextSpan(range: index..<end, kind: .url)
    }

    /// The end of a URL body starting at `start`, with trailing punctuation left out.
    static func urlEnd(from start: Int, in text: UnsafeBufferPointer<UInt16>) -> Int {
        var end = start
        var parentheses = 0
        var brackets = 0
        while end < text.count && !endsURL(text[end]) {
            switch text[end] {
            case 0x28: parentheses += 1
            case 0x29: parentheses -= 1
            case 0x5B: brackets += 1
            case 0x5D: brackets -= 1
            default: break
            }
            end += 1
        }
        while end > start {
            let last = text[end - 1]
            if last == 0x2E || last == 0x2C || last == 0x3B || last == 0x3A || last == 0x21 || last == 0x3F || last == 0x27 {
                end -= 1
            } else if last == 0x29 && parentheses < 0 {
                parentheses += 1
                end -= 1
            } else if last == 0x5D && brackets < 0 {
                brackets += 1
                end -= 1
            } else {
                break
            }
        }
        return end
    }

    /// `local@domain.tld` around the '@' at `at`.
    static func email(at: Int, in text: UnsafeBufferPointer<UInt16>) -> TextSpan? {
        func isLocal(_ unit: UInt16) -> Bool {
            isASCIIAlphanumeric(unit) || unit == 0x2E || unit == 0x5F || unit == 0x25 || unit == 0x2B || unit == 0x2D
        }
        var start = at
        while start > 0 && isLocal(text[start - 1]) { start -= 1 }
        while start < at && text[start] == 0x2E { start += 1 }
        guard start < at else { return nil }
        var end = at + 1
        var lastDot = -1
        while end < text.count && (isASCIIAlphanumeric(text[end]) || text[end] == 0x2D || text[end] == 0x2E) {
            if text[end] == 0x2E { lastDot = end }
            end += 1
        }
        while end > at + 1 && (text[end - 1] == 0x2E || text[end - 1] == 0x2D) {
            end -= 1
            if lastDot == end { lastDot = -1
                for position in stride(from: end - 1, to: at, by: -1) where text[position] == 0x2E {
                    lastDot = position
                    break
                }
            }
        }
        // A domain needs a dot followed by a top-level label of two or more letters.
        guard lastDot > at + 1, end - lastDot - 1 >= 2 else { return nil }
        for position in (lastDot + 1)..<end where !isASCIILetter(text[position]) { return nil }
        return TextSpan(range: start..<end, kind: .email)
    }
}
