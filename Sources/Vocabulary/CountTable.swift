import CountingKernels

/// Token counts keyed by UTF-8 bytes: a safe wrapper over the C count table.
/// Not thread-safe: one per thread, merged at the end.
final class CountTable: @unchecked Sendable {
    /// The C table (internal so that other kernels of this module, such as phrase counting, can use it).
    let table: OpaquePointer

    init() throws {
        guard let table = wp_count_table_create() else { throw VocabularyError.outOfMemory }
        self.table = table
    }

    deinit { wp_count_table_destroy(table) }

    /// Distinct keys.
    var size: Int64 { wp_count_table_size(table) }

    /// Counts every whitespace-separated token of `buffer`; returns (tokens, lines).
    func scan(_ buffer: UnsafeRawBufferPointer) throws -> (tokens: Int64, lines: Int64) {
        let result = try scanReporting(buffer)
        return (result.tokens, result.lines)
    }

    /// Counts every whitespace-separated token of `buffer`; returns the tokens, the line ends,
    /// and the tokens that are not valid UTF-8 or hold a NUL byte (found at no cost per token:
    /// each key is checked once, when the table first stores it).
    func scanReporting(_ buffer: UnsafeRawBufferPointer) throws -> (tokens: Int64, lines: Int64, issues: wp_text_issues) {
        var tokens: Int64 = 0
        var lines: Int64 = 0
        var issues = wp_text_issues(invalid_tokens: 0, invalid_sequences: 0, first_invalid: -1, nul_tokens: 0, first_nul: -1)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return (0, 0, issues) }
        if wp_count_table_scan(table, base.assumingMemoryBound(to: UInt8.self), buffer.count, &tokens, &lines, &issues) != 0 {
            throw VocabularyError.outOfMemory
        }
        return (tokens, lines, issues)
    }

    /// The ill-formed UTF-8 sequences in `bytes` (each one U+FFFD when decoded), and whether
    /// a NUL byte occurs: the check the table makes once per key.
    static func textIssues(_ bytes: [UInt8]) -> (invalidSequences: Int64, nul: Bool) {
        var nul: Int32 = 0
        let invalid = bytes.withUnsafeBufferPointer { wp_utf8_invalid_sequences($0.baseAddress, $0.count, &nul) }
        return (invalid, nul != 0)
    }

    /// Adds `count` to `word`.
    func add(_ word: String, count: Int64) throws {
        var word = word
        let status = word.withUTF8 { wp_count_table_add(table, $0.baseAddress, Int32($0.count), count) }
        if status != 0 { throw VocabularyError.outOfMemory }
    }

    /// The count of `word`.
    func count(of word: String) -> Int64 {
        var word = word
        return word.withUTF8 { wp_count_table_get(table, $0.baseAddress, Int32($0.count)) }
    }

    /// The count stored for the bytes `pointer[0..<length]` (0 when absent).
    @inline(__always)
    func lookup(_ pointer: UnsafePointer<UInt8>, _ length: Int) -> Int64 {
        wp_count_table_get(table, pointer, Int32(truncatingIfNeeded: length))
    }

    /// Adds all of `other`'s counts.
    func merge(_ other: CountTable) throws {
        if wp_count_table_merge(table, other.table) != 0 { throw VocabularyError.outOfMemory }
    }

    /// Drops keys with count <= `floor`; returns how many.
    func prune(floor: Int64) throws -> Int64 {
        let removed = wp_count_table_prune(table, floor)
        if removed < 0 { throw VocabularyError.outOfMemory }
        return removed
    }

    /// Every (word, count) with count >= `minimum`.
    func entries(minimum: Int64) -> [(word: String, count: Int64)] {
        var result: [(word: String, count: Int64)] = []
        let capacity = wp_count_table_capacity(table)
        var bytes: UnsafePointer<UInt8>?
        var length: Int32 = 0
        var count: Int64 = 0
        for slot in 0..<capacity where wp_count_table_entry(table, slot, &bytes, &length, &count) != 0 && count >= minimum {
            result.append((String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self), count))
        }
        return result
    }

    /// Every (word, count) with count >= `minimum`, in `Vocabulary.precedes` order (count
    /// descending, then UTF-8 bytes ascending), sorted by the keys' bytes in C. Nil when one of
    /// those keys is not valid UTF-8: it decodes with U+FFFD, so two keys can give one word,
    /// and the caller must merge them (`entries(minimum:)`) before sorting.
    func sortedEntries(minimum: Int64) throws -> [(word: String, count: Int64)]? {
        var slots = [Int64](repeating: 0, count: Int(max(1, size)))
        let found = slots.withUnsafeMutableBufferPointer { wp_count_table_sorted_slots(table, minimum, $0.baseAddress) }
        if found < 0 { throw VocabularyError.outOfMemory }
        var result: [(word: String, count: Int64)] = []
        result.reserveCapacity(Int(found))
        var bytes: UnsafePointer<UInt8>?
        var length: Int32 = 0
        var count: Int64 = 0
        for slot in slots.prefix(Int(found)) {
            guard wp_count_table_entry(table, slot, &bytes, &length, &count) != 0 else { continue }
            let key = UnsafeBufferPointer(start: bytes, count: Int(length))
            let word = String(decoding: key, as: UTF8.self)
            guard word.utf8.elementsEqual(key) else { return nil }
            result.append((word, count))
        }
        return result
    }

    /// The most frequent entry, if any.
    func mostFrequent() -> (word: String, count: Int64)? {
        let capacity = wp_count_table_capacity(table)
        var best: (slot: Int64, count: Int64)?
        var bytes: UnsafePointer<UInt8>?
        var length: Int32 = 0
        var count: Int64 = 0
        for slot in 0..<capacity where wp_count_table_entry(table, slot, &bytes, &length, &count) != 0 {
            if count > (best?.count ?? -1) { best = (slot, count) }
        }
        guard let best, wp_count_table_entry(table, best.slot, &bytes, &length, &count) != 0 else { return nil }
        return (String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self), count)
    }
}
