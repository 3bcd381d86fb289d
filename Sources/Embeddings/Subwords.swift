import Foundation
import Vocabulary
import WordPipeSupport

/// The character n-gram lengths of subword vectors (fastText's `-minn` and `-maxn`), written
/// `MIN-MAX` on the command line and in pipeline files (`3-6`).
public struct SubwordRange: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The shortest n-gram, in characters (fastText's `minn`).
    public var minn: Int
    /// The longest n-gram, in characters (fastText's `maxn`).
    public var maxn: Int

    /// The longest `maxn` accepted: longer n-grams hardly ever repeat.
    public static let longest = 64

    public init(minn: Int, maxn: Int) {
        self.minn = minn
        self.maxn = maxn
    }

    /// Parses `MIN-MAX` (`3-6`); nil when the text is not two integers joined by `-` (the
    /// range itself is checked by `validate`).
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let minn = Int(parts[0]), let maxn = Int(parts[1]) else { return nil }
        self.init(minn: minn, maxn: maxn)
    }

    public var description: String { "\(minn)-\(maxn)" }

    /// Whether `1 <= minn <= maxn <= longest`.
    public var isValid: Bool { minn >= 1 && maxn >= minn && maxn <= Self.longest }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let range = SubwordRange(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected MIN-MAX (for example 3-6), not \(text)")
        }
        self = range
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// fastText's character n-grams and their hashing (Bojanowski et al. 2017), as its
/// `Dictionary::hash` and `Dictionary::computeSubwords` compute them, so that a bucket here is
/// the bucket fastText uses for the same n-gram.
public enum Subwords {
    /// fastText's 32-bit FNV-1a variant: each byte is sign-extended (`uint32_t(int8_t(c))`)
    /// before the xor, so bytes from 0x80 differ from plain FNV-1a.
    @inline(__always)
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var h: UInt32 = 2_166_136_261
        for byte in bytes {
            h ^= UInt32(bitPattern: Int32(Int8(bitPattern: byte)))
            h = h &* 16_777_619
        }
        return h
    }

    /// The hash of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> UInt32 { hash(Array(text.utf8)) }

    /// The n-grams of `<word>` with `range.minn...range.maxn` characters (UTF-8 sequences),
    /// in fastText's order: by start position, then by length. Single-character n-grams that
    /// are the `<` or the `>` alone are left out, as fastText leaves them out.
    public static func ngrams(of word: String, range: SubwordRange) -> [String] {
        var result: [String] = []
        forEachNgram(of: word, range: range) { result.append(String(decoding: $0, as: UTF8.self)) }
        return result
    }

    /// The bucket of every n-gram of `word` (see `ngrams(of:range:)`), each in `0..<buckets`.
    public static func buckets(of word: String, range: SubwordRange, buckets: Int) -> [Int] {
        var result: [Int] = []
        let count = UInt32(clamping: max(1, buckets))
        forEachNgram(of: word, range: range) { result.append(Int(hash($0) % count)) }
        return result
    }

    /// Calls `body` with the UTF-8 bytes of each n-gram of `<word>`, fastText's
    /// `computeSubwords` step for step (over bytes; continuation bytes extend a character).
    static func forEachNgram(of word: String, range: SubwordRange, _ body: (ArraySlice<UInt8>) -> Void) {
        var bytes: [UInt8] = [0x3C]
        bytes.append(contentsOf: word.utf8)
        bytes.append(0x3E)
        let size = bytes.count
        for i in 0..<size {
            if bytes[i] & 0xC0 == 0x80 { continue }
            var j = i
            var n = 1
            while j < size && n <= range.maxn {
                j += 1
                while j < size && bytes[j] & 0xC0 == 0x80 { j += 1 }
                if n >= range.minn && !(n == 1 && (i == 0 || j == size)) { body(bytes[i..<j]) }
                n += 1
            }
        }
    }
}

/// Float32 values in memory that one owner frees: a copy of an array, or part of a block
/// handed over by the trainer (so that 2,000,000 n-gram rows are not copied at the end of
/// training, which would double the peak memory).
public final class FloatStorage: @unchecked Sendable {
    /// The values (read-only once shared).
    public let buffer: UnsafeMutableBufferPointer<Float>
    private let block: UnsafeMutableRawPointer?

    /// A copy of `values`.
    public init(_ values: [Float]) {
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
        _ = UnsafeMutableBufferPointer(start: pointer, count: values.count).initialize(from: values)
        buffer = UnsafeMutableBufferPointer(start: pointer, count: values.count)
        block = UnsafeMutableRawPointer(pointer)
    }

    /// `count` values from `start`, inside `block`, a `malloc`ed block that this storage frees.
    init(adopting block: UnsafeMutableRawPointer, start: UnsafeMutablePointer<Float>, count: Int) {
        self.block = block
        buffer = UnsafeMutableBufferPointer(start: start, count: count)
    }

    deinit {
        if let block { free(block) }
    }
}

/// The n-gram matrix of subword vectors: `buckets × dim` float32 rows, and the n-gram lengths.
public struct SubwordVectors: Sendable {
    /// The n-gram lengths.
    public var range: SubwordRange
    /// The number of hash buckets (rows).
    public var buckets: Int
    /// Row-major `buckets × dim`.
    public var storage: FloatStorage

    /// A copy of the rows, row-major `buckets × dim`.
    public var matrix: [Float] { Array(storage.buffer) }

    public init(range: SubwordRange, buckets: Int, matrix: [Float]) {
        self.init(range: range, buckets: buckets, storage: FloatStorage(matrix))
    }

    public init(range: SubwordRange, buckets: Int, storage: FloatStorage) {
        self.range = range
        self.buckets = buckets
        self.storage = storage
    }
}

/// Every vocabulary word's input rows for training with subwords: its own row, then
/// `vocabulary.count + bucket` for each n-gram (fastText's `words_[i].subwords`), as offsets
/// into one array of ids (CSR).
struct SubwordTable {
    var offsets: [Int64]
    var ids: [Int32]

    init(vocabulary: Vocabulary, range: SubwordRange, buckets: Int) {
        let words = vocabulary.words
        offsets = [0]
        offsets.reserveCapacity(words.count + 1)
        ids = []
        ids.reserveCapacity(words.count * 12)
        let base = Int32(words.count)
        for (index, word) in words.enumerated() {
            ids.append(Int32(index))
            // Special tokens (`<unk>`, `</s>`) are markers, not words: they get no n-grams,
            // as fastText gives none to its `</s>`.
            if index >= vocabulary.specialCount {
                for bucket in Subwords.buckets(of: word, range: range, buckets: buckets) { ids.append(base + Int32(bucket)) }
            }
            offsets.append(Int64(ids.count))
        }
    }
}

extension SubwordVectors {
    /// The vector fastText gives a word that has no row: the mean of its n-gram rows (`dim`
    /// values), or nil when it has no n-gram.
    public func vector(for word: String, dim: Int) -> [Float]? {
        let rows = Subwords.buckets(of: word, range: range, buckets: buckets)
        guard !rows.isEmpty else { return nil }
        var result = [Float](repeating: 0, count: dim)
        let m = storage.buffer
        for row in rows {
            let base = row * dim
            for index in 0..<dim { result[index] += m[base + index] }
        }
        let scale = 1 / Float(rows.count)
        for index in 0..<dim { result[index] *= scale }
        return result
    }
}
