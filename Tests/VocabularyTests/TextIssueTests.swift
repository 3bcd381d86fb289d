import Foundation
import TestSupport
import WordPipeSupport
@testable import Vocabulary

/// Counting text that is not clean UTF-8 (issue 13, defect 7): `vocab` accepted NUL bytes and
/// invalid UTF-8 silently, where `tokenize` refuses binary input and reports invalid UTF-8 with
/// the file and the first line. Now each ill-formed sequence is counted and reported the same
/// way, and a NUL byte is an error naming its line.
@Suite struct TextIssueTests {
    /// The number of U+FFFD Swift's decoder (and so `tokenize`) puts in place of `bytes`.
    static func replacements(_ bytes: [UInt8]) -> Int64 {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var count: Int64 = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .error: count += 1
            case .emptyInput: return count
            }
        }
    }

    @Test(arguments: [
        ([UInt8](), Int64(0)), (Array("plain ascii".utf8), Int64(0)), (Array("naïve 東京 😀".utf8), Int64(0)),
        ([0xFF], Int64(1)), ([0xC3], Int64(1)), ([0xE6, 0x9D], Int64(1)), ([0xE6, 0x9D, 0x41], Int64(1)), ([0xC0, 0x80], Int64(2)),
        ([0xED, 0xA0, 0x80], Int64(3)), ([0xF4, 0x90, 0x80, 0x80], Int64(4)), ([0xF0, 0x9F, 0x98], Int64(1)),
        ([0xF0, 0x9F, 0x98, 0x41, 0x80], Int64(2)), ([0xE0, 0x9F, 0x80], Int64(3)),
    ] as [([UInt8], Int64)])
    func invalidSequencesAreCountedAsSwiftDecodes(bytes: [UInt8], expected: Int64) {
        #expect(CountTable.textIssues(bytes).invalidSequences == expected)
        #expect(Self.replacements(bytes) == expected)
    }

    /// Random byte strings, biased to the bytes of multi-byte sequences: the C count equals
    /// Swift's replacement count every time.
    @Test func invalidSequencesAgreeWithSwiftOnRandomBytes() {
        var generator = SplitMix64(seed: 13)
        let alphabet: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF,
                                 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 9)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            #expect(CountTable.textIssues(bytes).invalidSequences == Self.replacements(bytes), "\(bytes)")
            #expect(CountTable.textIssues(bytes).nul == bytes.contains(0))
        }
    }

    /// The scan reports unclean tokens with the offset of the first, whether the key is new to
    /// the table or already in it (the check is made once per key and kept in its slot).
    @Test func scanReportsUncleanTokensAtTheirOffsets() throws {
        let table = try CountTable()
        let text: [UInt8] = Array("ok caf".utf8) + [0xE9] + Array(" ok\nx".utf8) + [0] + Array("y caf".utf8) + [0xE9, 0x0A]
        for _ in 0..<2 {
            let (tokens, lines, issues) = try text.withUnsafeBytes { try table.scanReporting($0) }
            #expect(tokens == 5)
            #expect(lines == 2)
            #expect(issues.invalid_tokens == 2)
            #expect(issues.invalid_sequences == 2)
            #expect(issues.first_invalid == 3)
            #expect(issues.nul_tokens == 1)
            #expect(issues.first_nul == 11)
        }
        let clean = try Array("naïve 東京 ok\n".utf8).withUnsafeBytes { try table.scanReporting($0) }
        #expect(clean.issues.invalid_tokens == 0 && clean.issues.first_invalid == -1 && clean.issues.first_nul == -1)
        // Pruning and merging keep the keys' findings.
        _ = try table.prune(floor: 0)
        let again = try text.withUnsafeBytes { try table.scanReporting($0) }
        #expect(again.issues.invalid_tokens == 2 && again.issues.first_nul == 11)
    }

    @Test(arguments: [1, 2])
    func invalidUTF8IsCountedAndReportedWithTheFirstLine(threads: Int) throws {
        let bytes: [UInt8] = Array("the cat\nthe dog\nthe ".utf8) + [0x63, 0x61, 0xFF, 0xFE] + Array(" sat\non a ".utf8) + [0xC3]
            + Array(" mat\n".utf8)
        for compressed in [false, true] {
            let directory = try SharedData.temporaryDirectory()
            let path = directory.appendingPathComponent("unclean.txt").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            var input = path
            if compressed {
                let gzip = Process()
                gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
                gzip.arguments = ["-f", path]
                try gzip.run()
                gzip.waitUntilExit()
                input = path + ".gz"
            }
            let (vocabulary, summary) = try VocabularyBuilder.build(inputs: [input], configuration: VocabularyConfiguration(minCount: 1),
                                                                    threads: threads)
            #expect(summary.invalidText == [InvalidUTF8(path: input, sequences: 3, tokens: 2, firstLine: 3)])
            #expect(summary.invalidText.first?.warning == "\(input):3: 3 invalid UTF-8 sequences replaced by U+FFFD (first on this line)")
            #expect(summary.line.contains("3 invalid UTF-8 sequences replaced by U+FFFD (first at \(input):3)"))
            #expect(vocabulary.words.contains("ca\u{FFFD}\u{FFFD}") && vocabulary.words.contains("\u{FFFD}"))
        }
        let clean = try temporaryFile("the cat\n")
        #expect(try VocabularyBuilder.build(inputs: [clean], configuration: VocabularyConfiguration(minCount: 1)).1.invalidText.isEmpty)
    }

    @Test(arguments: [1, 2])
    func nulByteIsAnErrorNamingItsLine(threads: Int) throws {
        let clean = try temporaryFile("a b\n", name: "first.txt")
        let path = try temporaryFile("a b\nc d\ne f\0g\nh \0\n", name: "nul.txt")
        #expect(throws: VocabularyError.malformed(
            location: WordPipeSupport.SourceLocation(path: path, line: 3),
            message: "a NUL byte in a token: this is binary data or UTF-16 text, not a tokenized corpus (tokenize it first)")) {
            try VocabularyBuilder.build(inputs: [clean, path], configuration: VocabularyConfiguration(minCount: 1), threads: threads)
        }
    }

    /// A plain file is cut into pieces that workers count in any order: the first line is still
    /// exact, from the line ends of the chunks before it in the file.
    @Test func firstLineIsExactWhateverOrderThePiecesAreCountedIn() throws {
        var text = ""
        for line in 1...300 { text += line == 211 || line == 250 ? "w\(line) bad\u{1} x\n" : "w\(line) a b\n" }
        var bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x01 { bytes[index] = 0xFF }
        let path = try temporaryFile("", name: "pieces.txt")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // Pieces cut after every 7th newline, counted last to first by two counters.
        var cuts: [Int64] = [0]
        var lines = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            lines += 1
            if lines % 7 == 0 { cuts.append(Int64(index + 1)) }
        }
        if cuts.last != Int64(bytes.count) { cuts.append(Int64(bytes.count)) }
        let pieces = zip(cuts, cuts.dropFirst()).map { FilePiece(path: path, file: 1, start: $0, end: $1) }
        let log = TextIssueLog()
        let counters = try [Counter(bound: nil, log: log), Counter(bound: nil, log: log)]
        for (index, piece) in pieces.reversed().enumerated() {
            try piece.read { chunk, offset in try counters[index % 2].count(chunk, place: ChunkPlace(file: piece.file, order: offset)) }
        }
        let findings = log.findings(paths: ["other", path])
        #expect(findings.invalid == [InvalidUTF8(path: path, sequences: 2, tokens: 2, firstLine: 211)])
        #expect(findings.firstNUL == nil)
    }

    /// Random corpora of clean and unclean tokens: the summary's count and first line equal
    /// those of an independent count (split at separators, Swift's decoder), at 1 and 2 threads.
    @Test func findingsAgreeWithAnIndependentCountOnRandomCorpora() throws {
        var generator = SplitMix64(seed: 29)
        let pool: [[UInt8]] = [Array("the".utf8), Array("naïve".utf8), Array("東京".utf8), [0x63, 0xFF], [0xE6, 0x9D], [0xC3],
                               [0xF0, 0x9F, 0x98, 0x41], Array("cat".utf8), Array("a".utf8), Array("😀".utf8)]
        for round in 0..<20 {
            var bytes: [UInt8] = []
            var expectedSequences: Int64 = 0
            var expectedTokens: Int64 = 0
            var firstLine: Int64?
            let lines = 1 + Int(generator.next() % 60)
            for line in 1...lines {
                for _ in 0..<Int(generator.next() % 8) {
                    // Unclean tokens are rare: one draw in six from the whole pool.
                    let token = generator.next() % 6 == 0 ? pool[Int(generator.next() % UInt64(pool.count))]
                        : [pool[0], pool[1], pool[2], pool[7]][Int(generator.next() % 4)]
                    let sequences = Self.replacements(token)
                    if sequences > 0 {
                        expectedSequences += sequences
                        expectedTokens += 1
                        if firstLine == nil { firstLine = Int64(line) }
                    }
                    bytes += token + [generator.next() % 3 == 0 ? 0x09 : 0x20]
                }
                bytes.append(0x0A)
            }
            let path = try temporaryFile("", name: "random\(round).txt")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for threads in [1, 2] {
                guard let summary = try? VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: 1),
                                                                 threads: threads).1 else {
                    #expect(expectedTokens == 0 && !bytes.contains { $0 > 0x20 }, "round \(round): the build failed")
                    continue
                }
                let expected = firstLine.map { [InvalidUTF8(path: path, sequences: expectedSequences, tokens: expectedTokens, firstLine: $0)] } ?? []
                #expect(summary.invalidText == expected, "round \(round), \(threads) threads")
            }
        }
    }
}
