/// How chunk tags (named entities, phrases) spell the position of a token in its chunk.
///
/// - `iob2`: `B-X` begins a chunk of type X, `I-X` continues it, `O` is outside (Tjong Kim Sang
///   and Veenstra 1999, "Representing Text Chunks").
/// - `bioes`: as `iob2`, plus `E-X` for the last token of a chunk and `S-X` for a one-token
///   chunk (also spelled BILOU, with `L-` and `U-`; Ratinov and Roth 2009).
/// - `none`: plain tags with no chunk structure (part-of-speech tags).
public enum TagScheme: String, Codable, Sendable { case iob2, bioes, none }

/// Recognising and converting chunk tag schemes.
public enum TagSchemes {
    /// Whether tags look like chunk tags: every tag is `O` or has a `B-`, `I-`, `E-` or `S-`
    /// prefix (or the BILOU `L-` and `U-`) followed by a type, as in `B-PER`, and at least one
    /// tag is not `O`.
    public static func isChunkTagSet(_ tags: some Sequence<String>) -> Bool {
        var sawChunk = false
        for tag in tags {
            if tag == "O" { continue }
            guard ChunkTag(tag) != nil else { return false }
            sawChunk = true
        }
        return sawChunk
    }

    /// IOB1 (or IOB2 with broken starts) to IOB2: an `I-X` that does not continue a `B-X` or
    /// `I-X` of the same type becomes `B-X`. Idempotent on valid IOB2. BIOES and BILOU input is
    /// mapped to IOB2 as well (`S-X`/`U-X` → `B-X`, `E-X`/`L-X` → `I-X`). Tags that are not
    /// chunk tags are kept and end any chunk.
    ///
    /// - Complexity: O(*n*).
    public static func toIOB2(_ tags: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(tags.count)
        var previousType: Substring? = nil
        for tag in tags {
            guard let chunk = ChunkTag(tag) else {
                result.append(tag)
                previousType = nil
                continue
            }
            switch chunk.position {
            case .begin, .single:
                result.append("B-" + chunk.type)
            case .inside, .end:
                result.append((previousType == chunk.type ? "I-" : "B-") + chunk.type)
            }
            previousType = chunk.type
        }
        return result
    }

    /// IOB2 to BIOES: a one-token chunk becomes `S-X`, the last token of a longer chunk `E-X`.
    /// The input is first made valid IOB2 with `toIOB2`, so IOB1 input works too.
    ///
    /// - Complexity: O(*n*).
    public static func toBIOES(_ tags: [String]) -> [String] {
        let iob2 = toIOB2(tags)
        var result: [String] = []
        result.reserveCapacity(iob2.count)
        for (index, tag) in iob2.enumerated() {
            guard let chunk = ChunkTag(tag) else {
                result.append(tag)
                continue
            }
            var continues = false
            if index + 1 < iob2.count, let next = ChunkTag(iob2[index + 1]) {
                continues = next.position == .inside && next.type == chunk.type
            }
            switch chunk.position {
            case .begin: result.append((continues ? "B-" : "S-") + chunk.type)
            default: result.append((continues ? "I-" : "E-") + chunk.type)
            }
        }
        return result
    }

    /// BIOES (or BILOU) back to IOB2: `S-X` → `B-X`, `E-X` → `I-X`, with broken starts
    /// repaired as in `toIOB2`.
    public static func fromBIOES(_ tags: [String]) -> [String] {
        toIOB2(tags)
    }
}

/// A tag split into its chunk position and type (`B-PER` → begin, `PER`).
struct ChunkTag {
    /// Where the token sits in its chunk.
    enum Position { case begin, inside, end, single }
    var position: Position
    var type: Substring

    /// Splits a tag, or nil when it is not `P-TYPE` with a known prefix and a non-empty type.
    init?(_ tag: String) {
        let utf8 = tag.utf8
        guard utf8.count >= 3, utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "-") else { return nil }
        switch utf8[utf8.startIndex] {
        case UInt8(ascii: "B"): position = .begin
        case UInt8(ascii: "I"): position = .inside
        case UInt8(ascii: "E"), UInt8(ascii: "L"): position = .end
        case UInt8(ascii: "S"), UInt8(ascii: "U"): position = .single
        default: return nil
        }
        type = Substring(utf8.dropFirst(2))
    }
}
