import Corpora
import Foundation
import TestSupport
import Testing
@testable import Vocabulary

/// Runs a shell command (compressing test inputs).
private func shell(_ command: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(command)")
}

/// Every (key, count) of a table, sorted, with its tallies.
private struct TableContents: Equatable, CustomStringConvertible {
    var entries: [String: Int64]
    var tokens: Int64
    var lines: Int64

    init(_ table: CountTable, tokens: Int64, lines: Int64) {
        entries = Dictionary(table.entries(minimum: 1).map { ($0.word, $0.count) }, uniquingKeysWith: +)
        self.tokens = tokens
        self.lines = lines
    }

    var description: String {
        let lengths = entries.sorted { $0.key < $1.key }.map { "\($0.key.utf8.count)B×\($0.value)" }
        return "\(tokens) tokens, \(lines) lines, keys \(lengths.prefix(12))"
    }
}

@Suite struct ChunkStreamTests {
    /// The reference: the whole text counted by one scan (tokens cut to the table's longest key).
    private static func countedAtOnce(_ text: [UInt8]) throws -> TableContents {
        let table = try CountTable()
        let (tokens, lines) = try text.withUnsafeBytes { try table.scan($0) }
        return TableContents(table, tokens: tokens, lines: lines)
    }

    /// `path` streamed through `ChunkStreamReader` in chunks of `chunkSize`, counted by a second thread.
    private static func countedStreamed(_ path: String, chunkSize: Int, buffers: Int = 3) throws -> TableContents {
        let pool = ChunkPool(count: buffers, byteCount: ChunkStreamReader.bufferSize(chunkSize: chunkSize))
        let queue = BoundedQueue<StreamChunk>(capacity: buffers)
        let counter = try Counter(bound: nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { done.signal() }
            do {
                while let chunk = queue.take() {
                    let bytes = pool.buffers[chunk.index][chunk.start..<chunk.end]
                    // A chunk ends at a separator, or at the end of the input or of an over-long token.
                    try counter.count(UnsafeRawBufferPointer(rebasing: bytes))
                    pool.give(chunk.index)
                }
            } catch {
                queue.fail(error)
                pool.close()
            }
        }
        let source = try ByteSource(path: path)
        defer { source.close() }
        let reader = ChunkStreamReader(pool: pool, queue: queue, chunkSize: chunkSize)
        let finished = try reader.stream(source) {}
        queue.close()
        done.wait()
        #expect(finished)
        if let failure = queue.failure { throw failure }
        return TableContents(counter.table, tokens: counter.tokens, lines: counter.lines)
    }

    /// Texts whose tokens straddle every kind of cut: short words, blank runs, line ends, and tokens
    /// longer than the table's longest key (65,535 bytes) and than a chunk.
    static let texts: [(name: String, text: [UInt8])] = {
        var words: [UInt8] = []
        for index in 0..<3_000 { words += Array("w\(index % 97) \(index % 7 == 0 ? "\n" : "")a\(index % 5)\t".utf8) }
        let long = [UInt8](repeating: 0x78, count: 65_535 + 12_345)      // x: longer than a key
        let exact = [UInt8](repeating: 0x79, count: 65_535)              // y: exactly a key
        let huge = [UInt8](repeating: 0x7A, count: 200_000)              // z: longer than several chunks
        let huge2 = [UInt8](repeating: 0x7A, count: 150_000) + [0x71]    // cut to the same key as z
        var mixed = words
        mixed += Array(" ".utf8) + long + Array(" after\n".utf8) + exact + Array("\n\n  ".utf8) + huge
        mixed += Array(" mid ".utf8) + huge2 + Array("\r\nend".utf8)
        return [
            ("words", words),
            ("mixed", mixed),
            ("one token", huge),
            ("blank", Array("  \n\n \t ".utf8)),
            ("tail without separator", words + Array("last".utf8)),
        ]
    }()

    @Test(arguments: [1, 7, 64, 1_000, 70_000, 4 << 20])
    func streamedCountsEqualOneScanWhereverTheCutsFall(chunkSize: Int) throws {
        for (name, text) in Self.texts {
            let path = try temporaryFile(String(decoding: text, as: UTF8.self), name: "stream-\(chunkSize).txt")
            #expect(FileManager.default.contents(atPath: path).map(Array.init) == text)
            try shell("gzip -c '\(path)' > '\(path).gz'")
            let expected = try Self.countedAtOnce(text)
            #expect(try Self.countedStreamed(path, chunkSize: chunkSize) == expected, "\(name), plain, chunk \(chunkSize)")
            #expect(try Self.countedStreamed(path + ".gz", chunkSize: chunkSize) == expected, "\(name), gzip, chunk \(chunkSize)")
        }
    }

    /// bzip2 reads stop at the end of each stream of a multistream file: a stream boundary inside a
    /// token (with no separator in the read) must not split it.
    @Test func multistreamBoundaryInsideATokenKeepsItWhole() throws {
        let directory = try SharedData.temporaryDirectory()
        let first = directory.appendingPathComponent("part1.txt").path
        let second = directory.appendingPathComponent("part2.txt").path
        try Data("abc".utf8).write(to: URL(fileURLWithPath: first))
        try Data("def ghi\njk".utf8).write(to: URL(fileURLWithPath: second))
        let joined = directory.appendingPathComponent("joined.txt.bz2").path
        try shell("bzip2 -c '\(first)' > '\(joined)' && bzip2 -c '\(second)' >> '\(joined)'")
        let expected = try Self.countedAtOnce(Array("abcdef ghi\njk".utf8))
        #expect(expected.entries == ["abcdef": 1, "ghi": 1, "jk": 1])
        for chunkSize in [1, 2, 5, 1 << 20] {
            #expect(try Self.countedStreamed(joined, chunkSize: chunkSize) == expected, "chunk \(chunkSize)")
        }
    }

    /// The builder's gzip path on real text gives the plain path's vocabulary, at 1 and 2 threads.
    @Test(.enabled(if: SharedData.exists(VocabularyBuilderTests.text8), SharedData.missing(VocabularyBuilderTests.text8)))
    func gzipAndPlainGiveTheSameVocabularyOnRealText() throws {
        let text = try text8Slice(bytes: 9 << 20)  // more than two 4 MiB chunks
        let path = try temporaryFile(text, name: "text8-slice.txt")
        try shell("gzip -1 -c '\(path)' > '\(path).gz'")
        let configuration = VocabularyConfiguration(minCount: 1)
        let (plain, plainSummary) = try VocabularyBuilder.build(inputs: [path], configuration: configuration, threads: 1)
        #expect(plainSummary.tokens == Int64(text.split(separator: " ").count))
        for threads in [1, 2] {
            let (compressed, summary) = try VocabularyBuilder.build(inputs: [path + ".gz"], configuration: configuration, threads: threads)
            #expect(compressed == plain, "\(threads) threads")
            #expect(summary.tokens == plainSummary.tokens)
            #expect(summary.typesSeen == plainSummary.typesSeen)
        }
    }
}
