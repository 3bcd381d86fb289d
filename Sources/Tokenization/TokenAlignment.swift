/// Where tokens lie in the text they came from.
public enum TokenAlignment {
    /// The `[start, end)` of each token in `text`, counted in Unicode scalars (the code points
    /// Python's `str` indexes), found left to right: each token is looked for from the end of
    /// the one before, character by character under canonical equivalence, so a token the
    /// tokenizer normalized to NFC still finds its decomposed spelling in the text. A token not
    /// found (none from a surface-form tokenizer) gets nil and does not move the search.
    public static func scalarOffsets(of tokens: [String], in text: String) -> [Range<Int>?] {
        // Text below U+0300 has no combining marks and nothing NFC changes, so tokens are its
        // bytes as they are: compare bytes, without grapheme breaking.
        if text.unicodeScalars.allSatisfy({ $0.value < 0x300 }) { return byteOffsets(of: tokens, in: text) }
        var result: [Range<Int>?] = []
        result.reserveCapacity(tokens.count)
        var cursor = text.startIndex
        var cursorScalars = 0
        for token in tokens {
            var probe = cursor
            var probeScalars = cursorScalars
            var found: Range<Int>? = nil
            while probe < text.endIndex {
                if let end = end(of: token, in: text, at: probe) {
                    let length = text.unicodeScalars[probe..<end].count
                    found = probeScalars..<(probeScalars + length)
                    cursor = end
                    cursorScalars = probeScalars + length
                    break
                }
                let next = text.index(after: probe)
                probeScalars += text.unicodeScalars[probe..<next].count
                probe = next
            }
            result.append(found)
        }
        return result
    }

    /// `scalarOffsets` for text whose tokens are byte-for-byte substrings of it.
    static func byteOffsets(of tokens: [String], in text: String) -> [Range<Int>?] {
        let bytes = Array(text.utf8)
        var result: [Range<Int>?] = []
        result.reserveCapacity(tokens.count)
        var cursor = 0, cursorScalars = 0
        for token in tokens {
            let pattern = Array(token.utf8)
            var probe = cursor, probeScalars = cursorScalars
            var found: Range<Int>? = nil
            while !pattern.isEmpty && probe + pattern.count <= bytes.count {
                if bytes[probe] == pattern[0] && bytes[probe..<(probe + pattern.count)].elementsEqual(pattern) {
                    let length = pattern.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
                    found = probeScalars..<(probeScalars + length)
                    cursor = probe + pattern.count
                    cursorScalars = probeScalars + length
                    break
                }
                if bytes[probe] & 0xC0 != 0x80 { probeScalars += 1 }
                probe += 1
            }
            result.append(found)
        }
        return result
    }

    /// The end of `token` when `text` holds it at `start`, else nil.
    static func end(of token: String, in text: String, at start: String.Index) -> String.Index? {
        guard !token.isEmpty else { return nil }
        var index = start
        for character in token {
            guard index < text.endIndex, text[index] == character else { return nil }
            index = text.index(after: index)
        }
        return index
    }
}
