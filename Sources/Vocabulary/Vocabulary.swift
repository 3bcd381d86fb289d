import Foundation
import Tokenization
import WordPipeSupport

/// A vocabulary: the types of a corpus with their counts, most frequent first.
///
/// Ids are positions: special tokens (count 0) come first, then the types by count, descending,
/// ties broken by the UTF-8 bytes of the word, ascending, so the same corpus always gives the
/// same ids. The vocabulary remembers the tokenizer configuration of the corpus it came from,
/// so later stages tokenize new text the same way.
public struct Vocabulary: Sendable, Equatable {
    /// The words, by id.
    public private(set) var words: [String]
    /// Their counts, by id (0 for special tokens).
    public private(set) var counts: [Int64]
    /// How many leading entries are special tokens.
    public private(set) var specialCount: Int
    /// The tokenizer configuration of the counted corpus, when known.
    public var tokenizer: TokenizerConfiguration?
    private var ids: [String: Int32]

    /// Creates a vocabulary from entries already in id order (specials first).
    public init(words: [String], counts: [Int64], specialCount: Int = 0, tokenizer: TokenizerConfiguration? = nil) {
        precondition(words.count == counts.count, "words (\(words.count)) and counts (\(counts.count)) differ in length")
        self.words = words
        self.counts = counts
        self.specialCount = specialCount
        self.tokenizer = tokenizer
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(words.count)
        for (index, word) in words.enumerated() where ids[word] == nil { ids[word] = Int32(index) }
        self.ids = ids
    }

    /// The first word stored twice, with both of its positions (nil when every word is unique;
    /// lookups find the first).
    public var firstRepeat: (word: String, first: Int, second: Int)? {
        guard ids.count != words.count else { return nil }
        for (index, word) in words.enumerated() where Int(ids[word] ?? Int32(index)) != index {
            return (word, Int(ids[word] ?? 0), index)
        }
        return nil
    }

    /// Number of entries, specials included.
    public var count: Int { words.count }

    /// The id of `word`, or nil when it is not in the vocabulary.
    public func id(of word: String) -> Int32? { ids[word] }

    /// The sum of all counts: the corpus tokens the vocabulary covers (saturating at
    /// `Int64.max`; `Vocabulary.read` refuses files whose counts add up to more).
    public var totalCount: Int64 {
        counts.reduce(Int64(0)) { total, count in
            let (sum, overflow) = total.addingReportingOverflow(count)
            return overflow ? (count > 0 ? .max : .min) : sum
        }
    }

    /// A 64-bit FNV-1a hash of the words in id order: identifies the vocabulary an encoded
    /// corpus was made with.
    public var fingerprint: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for word in words {
            for byte in word.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01B3
            }
            hash ^= 0x0A
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }

    /// Orders (word, count) pairs: count descending, then UTF-8 bytes ascending.
    public static func precedes(_ a: (word: String, count: Int64), _ b: (word: String, count: Int64)) -> Bool {
        if a.count != b.count { return a.count > b.count }
        return a.word.utf8.lexicographicallyPrecedes(b.word.utf8)
    }
}
