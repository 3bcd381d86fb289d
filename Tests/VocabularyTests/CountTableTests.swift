import Foundation
import Testing
@testable import Vocabulary

@Suite struct CountTableTests {
    /// Keys that differ only past their first 8 bytes, or only in length, or only in their last
    /// byte: the table compares an inline 8-byte prefix first and the rest from its arena.
    static let keys: [String] = {
        var keys: [String] = []
        for length in 1...40 {
            let base = String(repeating: "abcdefgh", count: 6).prefix(length)
            keys.append(String(base))
            keys.append(String(base.dropLast()) + "Z")
            keys.append("é" + String(base))
        }
        return keys
    }()

    @Test func scanAddGetMergeAndPruneAgreeWithADictionary() throws {
        var expected: [String: Int64] = [:]
        var text = ""
        for (index, key) in Self.keys.enumerated() {
            let repeats = 1 + index % 4
            for _ in 0..<repeats { text += key + (index % 3 == 0 ? "\n" : " ") }
            expected[key, default: 0] += Int64(repeats)
        }
        let long = String(repeating: "q", count: 70_000)
        text += long + " " + long.prefix(65_535) + "\t" + long.prefix(65_534)
        expected[String(long.prefix(65_535)), default: 0] += 2  // both cut to the longest key
        expected[String(long.prefix(65_534)), default: 0] += 1

        let table = try CountTable()
        let (tokens, _) = try Array(text.utf8).withUnsafeBytes { try table.scan($0) }
        #expect(tokens == expected.values.reduce(0, +))
        #expect(table.size == Int64(expected.count))
        for (key, count) in expected { #expect(table.count(of: key) == count, "\(key.utf8.count) bytes") }
        #expect(table.count(of: "abcdefgh" + "x") == 0)
        #expect(Dictionary(uniqueKeysWithValues: table.entries(minimum: 1).map { ($0.word, $0.count) }) == expected)

        // Merge into a table built by `add`, then prune the keys seen once.
        let other = try CountTable()
        for key in Self.keys { try other.add(key, count: 10) }
        try other.merge(table)
        for key in Self.keys { #expect(other.count(of: key) == 10 + expected[key]!) }
        let removed = try table.prune(floor: 1)
        #expect(removed == Int64(expected.values.filter { $0 <= 1 }.count))
        #expect(Dictionary(uniqueKeysWithValues: table.entries(minimum: 1).map { ($0.word, $0.count) }) == expected.filter { $0.value > 1 })
    }

    @Test func sortedEntriesFollowVocabularyOrder() throws {
        // Equal counts everywhere, keys that extend one another, and bytes above 0x7F.
        let words = ["b", "a", "ab", "abc", "é", "e", "z", "ß", "日本", "日", "aa", "a\u{301}", "zz", "Z"]
        let table = try CountTable()
        for (index, word) in words.enumerated() { try table.add(word, count: Int64(1 + index % 3)) }
        let expected = table.entries(minimum: 2).sorted(by: Vocabulary.precedes)
        let sorted = try #require(try table.sortedEntries(minimum: 2))
        #expect(sorted.map(\.word) == expected.map(\.word))
        #expect(sorted.map(\.count) == expected.map(\.count))
        #expect(try table.sortedEntries(minimum: 100)?.isEmpty == true)
    }

    @Test func keysThatAreNotUTF8AreMergedByTheWordTheyDecodeTo() throws {
        // 0xFF and 0xFE both decode to U+FFFD.
        var bytes: [UInt8] = []
        for _ in 0..<3 { bytes += [0xFF, 0x20, 0xFE, 0x20, 0x61, 0x20] }
        let table = try CountTable()
        _ = try bytes.withUnsafeBytes { try table.scan($0) }
        #expect(try table.sortedEntries(minimum: 1) == nil)
        let path = try temporaryFile("", name: "invalid.txt")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (vocabulary, _) = try VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: 1))
        #expect(vocabulary.words == ["\u{FFFD}", "a"])
        #expect(vocabulary.counts == [6, 3])
    }
}
