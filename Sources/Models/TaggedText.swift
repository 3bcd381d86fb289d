import Tokenization

/// One line of raw text, tagged: its tokens (every sentence of the line, in order), their tags
/// and where each lies in the line.
public struct TaggedLine: Sendable, Equatable {
    /// The tokens of the line's sentences, in order.
    public var tokens: [String]
    /// One tag per token (IOB2 for chunk tags).
    public var tags: [String]
    /// Each token's `[start, end)` in the line in Unicode scalars (`TokenAlignment`); nil for a
    /// token not found in the line. Empty unless asked for (`tag(lines:tokenizer:offsets:)`).
    public var offsets: [Range<Int>?]
    /// The chunks of the tags (none unless the tagger's labels are chunk tags), as token ranges
    /// of `tokens`; a chunk never crosses a sentence end.
    public var entities: [Entity]

    /// Creates a tagged line.
    public init(tokens: [String] = [], tags: [String] = [], offsets: [Range<Int>?] = [], entities: [Entity] = []) {
        self.tokens = tokens
        self.tags = tags
        self.offsets = offsets
        self.entities = entities
    }

    /// The `[start, end)` of an entity in the line in Unicode scalars, or nil when one of its
    /// tokens was not found.
    public func span(of entity: Entity) -> Range<Int>? {
        guard entity.start < entity.end, entity.end <= offsets.count,
              let first = offsets[entity.start], let last = offsets[entity.end - 1] else { return nil }
        return first.lowerBound..<last.upperBound
    }
}

extension Tagger {
    /// Tags lines of raw text: each line is split into sentences and tokens by `tokenizer`
    /// (`surfaceTokenizer`), the sentences of all lines are tagged together (`tag`, batched,
    /// `threads` replicas), and each line gets its tokens, tags, entities and, with `offsets`,
    /// where each token lies in the line (`TokenAlignment`). A line
    /// without tokens gets an empty result. After an interrupt the result is incomplete: the
    /// caller checks `Interruption`.
    public func tag(lines: [String], tokenizer: Tokenizer, offsets: Bool = true, threads: Int = 1) throws -> [TaggedLine] {
        var sentences: [[String]] = []
        var owners: [Int] = []
        for (index, line) in lines.enumerated() {
            for sentence in try tokenizer.tokenize(line) where !sentence.isEmpty {
                sentences.append(sentence)
                owners.append(index)
            }
        }
        let predicted = tag(sentences, threads: threads)
        var result = [TaggedLine](repeating: TaggedLine(), count: lines.count)
        for (owner, (sentence, tags)) in zip(owners, zip(sentences, predicted)) {
            let base = result[owner].tokens.count
            if isChunking {
                result[owner].entities += Chunks.entities(tags).map { Entity(type: $0.type, start: $0.start + base, end: $0.end + base) }
            }
            result[owner].tokens += sentence
            result[owner].tags += tags
        }
        for index in result.indices where offsets && !result[index].tokens.isEmpty {
            result[index].offsets = TokenAlignment.scalarOffsets(of: result[index].tokens, in: lines[index])
        }
        return result
    }
}
