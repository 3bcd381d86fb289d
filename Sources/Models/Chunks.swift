/// One labeled span (a chunk): type and token range [start, end) within a sentence.
public struct Entity: Hashable, Sendable, CustomStringConvertible {
    /// The chunk type (`PER`, `LOC`; `_` for a bare `B`/`I`/`E`/`S` tag, as seqeval names it).
    public var type: String
    /// The first token.
    public var start: Int
    /// One past the last token.
    public var end: Int

    /// Creates an entity over tokens `start..<end`.
    public init(type: String, start: Int, end: Int) {
        self.type = type
        self.start = start
        self.end = end
    }

    /// `TYPE[start,end)`.
    public var description: String { "\(type)[\(start),\(end))" }
}

/// Finding chunks (entities) in a sequence of tags.
///
/// ```swift
/// Chunks.entities(["B-PER", "I-PER", "O", "I-LOC"])
/// // [PER[0,2), LOC[3,4)]
/// ```
public enum Chunks {
    /// The chunks of a tag sequence exactly as conlleval and seqeval's default (non-strict) mode find them.
    ///
    /// A tag is a chunk tag when it is one of the letters `B I E S L U` followed by `-TYPE`
    /// (or the letter alone, whose type is `_` as in seqeval); `L-` is read as `E-` and `U-` as `S-`
    /// (BILOU). Everything else (`O`, part-of-speech tags, malformed tags) ends a chunk and starts none.
    /// So IOB1, IOB2, IOE1/2 and BIOES all work:
    /// - `B-` and `S-` start a chunk; `S-` and `E-` end one after that token;
    /// - an `I-` or `E-` without a `B-` before it (after `O`, `E-`, `S-` or at the sentence start) starts one;
    /// - a change of type starts a new chunk (`B-PER I-LOC` is two chunks);
    /// - `B-` after `B-`/`I-` ends the chunk before it (`B-PER B-PER` is two chunks).
    ///
    /// This is seqeval's `get_entities` (seqeval/metrics/sequence_labeling.py, `end_of_chunk` and
    /// `start_of_chunk`), which follows conlleval.pl's `endOfChunk`/`startOfChunk` and agrees with it
    /// on IOB1, IOB2 and IOE; for BIOES, which conlleval.pl never handled, seqeval's rules are the ones used.
    /// Unlike seqeval, a tag that is not a chunk tag (`NN`) is read as `O` instead of as a chunk
    /// of type `N`: conlleval.pl finds no chunks in part-of-speech tags either.
    ///
    /// - Complexity: O(n) in the number of tags.
    public static func entities(_ tags: [String]) -> [Entity] {
        var entities: [Entity] = []
        var previous = Tag.outside
        var begin = 0
        for index in 0...tags.count {
            // A final `O` closes the last chunk, as seqeval's sentinel does.
            let current = index < tags.count ? Tag(tags[index]) : .outside
            if endsChunk(previous: previous, current: current) {
                entities.append(Entity(type: previous.type, start: begin, end: index))
            }
            if startsChunk(previous: previous, current: current) { begin = index }
            previous = current
        }
        return entities
    }

    /// A tag split into its prefix letter and type.
    struct Tag: Equatable {
        /// `B`, `I`, `E`, `S`, or `O` for everything that is not a chunk tag.
        var prefix: Character
        /// The type; `_` for `O` (seqeval's choice, so that `O` never equals a real type).
        var type: String

        static let outside = Tag(prefix: "O", type: "_")

        init(prefix: Character, type: String) {
            self.prefix = prefix
            self.type = type
        }

        /// Reads `B-PER`, `I-PER`, `E-PER`, `S-PER`, `L-PER` (as `E-`), `U-PER` (as `S-`), a bare letter, or anything else as `O`.
        init(_ text: String) {
            var utf8 = Substring(text).utf8
            guard let first = utf8.first else { self = .outside; return }
            let prefix: Character
            switch first {
            case UInt8(ascii: "B"): prefix = "B"
            case UInt8(ascii: "I"): prefix = "I"
            case UInt8(ascii: "E"), UInt8(ascii: "L"): prefix = "E"
            case UInt8(ascii: "S"), UInt8(ascii: "U"): prefix = "S"
            default: self = .outside; return
            }
            utf8.removeFirst()
            if utf8.isEmpty { self.init(prefix: prefix, type: "_"); return }
            guard utf8.first == UInt8(ascii: "-") else { self = .outside; return }
            utf8.removeFirst()
            self.init(prefix: prefix, type: utf8.isEmpty ? "_" : String(Substring(utf8)))
        }
    }

    /// seqeval's `end_of_chunk`: whether a chunk ended at `previous`.
    static func endsChunk(previous: Tag, current: Tag) -> Bool {
        switch (previous.prefix, current.prefix) {
        case ("E", _), ("S", _): return true
        case ("B", "B"), ("B", "S"), ("B", "O"), ("I", "B"), ("I", "S"), ("I", "O"): return true
        default: return previous.prefix != "O" && previous.type != current.type
        }
    }

    /// seqeval's `start_of_chunk`: whether a chunk starts at `current`.
    static func startsChunk(previous: Tag, current: Tag) -> Bool {
        switch (previous.prefix, current.prefix) {
        case (_, "B"), (_, "S"): return true
        case ("E", "E"), ("E", "I"), ("S", "E"), ("S", "I"), ("O", "E"), ("O", "I"): return true
        default: return current.prefix != "O" && previous.type != current.type
        }
    }
}
