import Corpora
import Foundation
import TestSupport
@testable import Vocabulary

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "corpus.txt") throws -> String {
    let url = try SharedData.temporaryDirectory().appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// About the first `bytes` of a shared (possibly compressed) corpus, decompressed and cut
/// after the last `separator` byte.
func sharedSlice(_ relative: String, bytes: Int, cutAfter separator: UInt8) throws -> String {
    let source = try ByteSource(path: SharedData.path(relative))
    defer { source.close() }
    var buffer = [UInt8](repeating: 0, count: bytes)
    var filled = 0
    while filled < bytes {
        let got = try buffer.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
        if got == 0 { break }
        filled += got
    }
    var end = filled
    while end > 0 && buffer[end - 1] != separator { end -= 1 }
    return String(decoding: buffer[0..<end], as: UTF8.self)
}

/// The first `bytes` of the shared text8-style corpus, decompressed, cut at a space.
func text8Slice(bytes: Int) throws -> String {
    try sharedSlice("corpora/enwiki-2015-text8style-100M.txt.gz", bytes: bytes, cutAfter: 0x20)
}

@Suite struct VocabularyBuilderTests {
    static let text8 = "corpora/enwiki-2015-text8style-100M.txt.gz"

    /// Counts by the simplest possible independent method: split on spaces, count in a dictionary.
    static func independentCounts(_ text: String) -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) { counts[String(word), default: 0] += 1 }
        return counts
    }

    @Test(.enabled(if: SharedData.exists(text8), SharedData.missing(text8)))
    func countsEqualAnIndependentCount() throws {
        // 6 MB of the one-line corpus: one line of about a million words.
        let text = try text8Slice(bytes: 6 << 20)
        let path = try temporaryFile(text)
        let expected = Self.independentCounts(text)
        let kept = expected.filter { $0.value >= 5 }
        for threads in [1, 2] {
            let (vocabulary, summary) = try VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: 5), threads: threads)
            #expect(summary.tokens == expected.values.reduce(0, +))
            #expect(summary.typesSeen == Int64(expected.count))
            #expect(vocabulary.count == kept.count)
            var mismatches = 0
            for (word, count) in zip(vocabulary.words, vocabulary.counts) where kept[word] != count { mismatches += 1 }
            #expect(mismatches == 0, "\(mismatches) counts differ at \(threads) threads")
            // Order: count descending, ties by UTF-8 bytes.
            let order = zip(vocabulary.words, vocabulary.counts).map { (word: $0, count: $1) }
            #expect(zip(order, order.dropFirst()).allSatisfy { Vocabulary.precedes($0, $1) })
        }
    }

    @Test func sameVocabularyWhateverTheThreadsAndTheCompression() throws {
        var text = ""
        for index in 0..<60_000 { text += "w\(index % 977) w\(index % 13) the a \(index % 2 == 0 ? "x" : "y")\n" }
        let path = try temporaryFile(text)
        let gzip = path + ".gz"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(path)' > '\(gzip)'"]
        try process.run()
        process.waitUntilExit()
        let configuration = VocabularyConfiguration(minCount: 2)
        let (one, _) = try VocabularyBuilder.build(inputs: [path], configuration: configuration, threads: 1)
        let (two, _) = try VocabularyBuilder.build(inputs: [path], configuration: configuration, threads: 2)
        let (compressed, _) = try VocabularyBuilder.build(inputs: [gzip], configuration: configuration, threads: 2)
        #expect(one == two)
        #expect(one == compressed)
        #expect(one.words.prefix(3) == ["a", "the", "x"])
        #expect(one.counts.prefix(3) == [60_000, 60_000, 30_000])
    }

    @Test func memoryBoundPrunesRareTypesAndKeepsFrequentOnes() throws {
        // 2,000 frequent words and 100,000 singletons, interleaved.
        var text = ""
        for index in 0..<100_000 { text += "f\(index % 2000) rare\(index) f\(index % 50)\n" }
        let path = try temporaryFile(text)
        let exact = try VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: 1), threads: 1)
        let bounded = try VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: 1, maxTypesInMemory: 10_000), threads: 1)
        #expect(exact.1.typesPruned == 0)
        #expect(bounded.1.typesPruned > 0)
        #expect(bounded.1.typesSeen <= 10_000)
        // The 50 most frequent words keep their exact counts.
        #expect(Array(bounded.0.words.prefix(50)) == Array(exact.0.words.prefix(50)))
        #expect(Array(bounded.0.counts.prefix(50)) == Array(exact.0.counts.prefix(50)))
    }

    @Test func specialsMaxSizeAndTies() throws {
        let path = try temporaryFile("b a c b a c d\nd e\n")
        let configuration = VocabularyConfiguration(minCount: 1, maxSize: 3, specials: ["<unk>", "<pad>"])
        let (vocabulary, summary) = try VocabularyBuilder.build(inputs: [path], configuration: configuration)
        #expect(vocabulary.words == ["<unk>", "<pad>", "a", "b", "c"])
        #expect(vocabulary.counts == [0, 0, 2, 2, 2])
        #expect(vocabulary.specialCount == 2)
        #expect(summary.lines == 2)
        #expect(summary.tokens == 9)
        #expect(abs(summary.coverage - 6.0 / 9.0) < 1e-12)
    }

    @Test func emptyCorpusAndNothingKeptAreErrorsNamingTheCause() throws {
        let empty = try temporaryFile("\n  \n")
        #expect(throws: VocabularyError.emptyCorpus(inputs: [empty])) {
            try VocabularyBuilder.build(inputs: [empty], configuration: VocabularyConfiguration())
        }
        let small = try temporaryFile("a a b\n")
        #expect(throws: VocabularyError.nothingKept(minCount: 5, mostFrequent: "a", count: 2)) {
            try VocabularyBuilder.build(inputs: [small], configuration: VocabularyConfiguration(minCount: 5))
        }
        // A command line names the option, a pipeline file (the plain description) the key.
        let nothingKept = VocabularyError.nothingKept(minCount: 5, mostFrequent: "a", count: 2)
        #expect(nothingKept.message(naming: .option).hasSuffix("lower --min-count"))
        #expect("\(nothingKept)".hasSuffix("lower min_count"))
        #expect(throws: VocabularyError.self) {
            try VocabularyBuilder.build(inputs: [small], configuration: VocabularyConfiguration(minCount: 0))
        }
    }

    @Test func configurationDecodingRejectsUnknownKeys() throws {
        let decoded = try JSONDecoder().decode(VocabularyConfiguration.self, from: Data(#"{"min_count": 3}"#.utf8))
        #expect(decoded == VocabularyConfiguration(minCount: 3))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(VocabularyConfiguration.self, from: Data(#"{"min_cout": 3}"#.utf8))
        }
    }
}

@Suite struct VocabularyFileTests {
    static let vocabulary = Vocabulary(words: ["<unk>", "the", "naïve", "東京"], counts: [0, 10, 3, 3], specialCount: 1)

    @Test(arguments: VocabularyFormat.allCases)
    func roundTrip(format: VocabularyFormat) throws {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("vocab.\(format.rawValue)").path
        let info = VocabularyInfo(configuration: VocabularyConfiguration(), tokenizer: nil, specialCount: 1,
                                  corpusTokens: 16, typesSeen: 3, typesPruned: 0)
        try Self.vocabulary.write(to: path, format: format, info: format == .tsv ? info : nil)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == (format == .tsv ? "<unk>\t0\nthe\t10\nnaïve\t3\n東京\t3\n" : "<unk> 0\nthe 10\nnaïve 3\n東京 3\n"))
        let read = try Vocabulary.read(from: path, format: format)
        #expect(read.words == Self.vocabulary.words)
        #expect(read.counts == Self.vocabulary.counts)
        #expect(read.specialCount == (format == .tsv ? 1 : 0))
    }

    @Test(arguments: [
        ("the\t10\nbroken line\n", 2, "expected 'word<TAB>count'"),
        ("the\t10\na\t-3\n", 2, "non-negative count"),
        ("the\t10\nthe\t3\n", 2, "appears twice"),
        ("\n\n", 0, "empty vocabulary"),
        // Counts whose sum overflows an Int64 crashed `train --vocab` (issue 13).
        ("the\t9223372036854775807\nsat\t2\n", 2,
         "the counts up to this line add up to more than 9223372036854775807, more tokens than any corpus holds: a count is damaged (the largest, 9223372036854775807, is on line 1)"),
        ("a\t4611686018427387904\nb\t4611686018427387903\nc\t1\n", 3, "(the largest, 4611686018427387904, is on line 1)"),
        ("the\t92233720368547758070\n", 1, "non-negative count"),
    ])
    func malformedFilesNameTheLine(text: String, line: Int, message: String) throws {
        let path = try temporaryFile(text, name: "vocab.tsv")
        do {
            _ = try Vocabulary.read(from: path)
            Issue.record("no error for \(text.debugDescription)")
        } catch let VocabularyError.malformed(location, got) {
            #expect(location.line == line)
            #expect(got.contains(message))
        }
    }
}

extension VocabularyFileTests {
    /// A device would never end the read, a FIFO would block it.
    @Test func specialFilesAreRefused() {
        #expect(throws: VocabularyError.malformed(location: .init(path: "/dev/zero"),
                                                  message: "this is not a regular file (a device, pipe or socket), not a vocabulary; give a vocabulary written by wordpipe vocab (word<TAB>count per line)")) {
            try Vocabulary.read(from: "/dev/zero")
        }
    }
}

@Suite struct VocabularyInfoTests {
    /// The side file's special-token count must fit the vocabulary, and its kind be ours.
    @Test(arguments: [
        (#"{"kind":"wordpipe.vocabulary","version":1,"specialCount":5,"corpusTokens":3,"typesSeen":2,"typesPruned":0,"configuration":{}}"#,
         "specialCount is 5, but"),
        (#"{"kind":"wordpipe.vocabulary","version":1,"specialCount":-1,"corpusTokens":3,"typesSeen":2,"typesPruned":0,"configuration":{}}"#,
         "specialCount is -1, but"),
        (#"{"kind":"wordpipe.model","version":1,"specialCount":0,"corpusTokens":3,"typesSeen":2,"typesPruned":0,"configuration":{}}"#,
         "not a vocabulary info file this wordpipe reads (kind 'wordpipe.model', version 1)"),
    ])
    func infoFileIsChecked(json: String, message: String) throws {
        let path = try temporaryFile("the\t2\ncat\t1\n", name: "vocab.tsv")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path + ".json"))
        do {
            _ = try Vocabulary.read(from: path)
            Issue.record("no error for \(json)")
        } catch let VocabularyError.malformed(location, got) {
            #expect(location.path == path + ".json")
            #expect(got.contains(message), "\(got)")
        }
    }
}

@Suite struct SamplingTableTests {
    /// Counts that add up to more than an Int64 holds (a vocabulary made in memory, not read)
    /// give tables, not an overflow trap.
    @Test func hugeCountsDoNotOverflow() {
        let vocabulary = Vocabulary(words: ["a", "b", "c"], counts: [.max, .max, 1])
        #expect(vocabulary.totalCount == .max)
        let keep = SubsamplingTable(vocabulary: vocabulary, sample: 1e-3).keepProbabilities
        #expect(keep.allSatisfy { $0 > 0 && $0 <= 1 })
        let noise = NoiseDistribution(vocabulary: vocabulary, exponent: 0.75)
        #expect(abs(noise.probabilities.reduce(0, +) - 1) < 1e-12)
    }

    @Test func keepProbabilitiesFromWord2vecFormula() {
        // t = sample × total = 1e-3 × 1000 = 1. keep(c) = (sqrt(c / t) + 1) × t / c, capped at 1.
        #expect(SubsamplingTable.keepProbability(count: 100, total: 1000, sample: 1e-3).isApproximatelyEqual(to: 0.11))  // (10 + 1) / 100
        #expect(SubsamplingTable.keepProbability(count: 4, total: 1000, sample: 1e-3).isApproximatelyEqual(to: 0.75))    // (2 + 1) / 4
        #expect(SubsamplingTable.keepProbability(count: 1, total: 1000, sample: 1e-3) == 1)                                // (1 + 1) / 1 = 2 → 1
        #expect(SubsamplingTable.keepProbability(count: 100, total: 1000, sample: 0) == 1)
        // text8-like: 'the' 1,061,396 of 17,005,207 with 1e-3: t = 17005.207, keep = (sqrt(1061396/17005.207) + 1) × 17005.207 / 1061396.
        let t = 17_005.207
        let expected = ((1_061_396 / t).squareRoot() + 1) * t / 1_061_396
        #expect(SubsamplingTable.keepProbability(count: 1_061_396, total: 17_005_207, sample: 1e-3).isApproximatelyEqual(to: expected))
        #expect(expected > 0.14 && expected < 0.15)
    }

    @Test func noiseDistributionIsUnigramToTheAlpha() {
        // 16^0.75 = 8, 1^0.75 = 1, 81^0.75 = 27, sum 36; the special (count 0) gets nothing.
        let noise = NoiseDistribution(counts: [0, 16, 1, 81], exponent: 0.75)
        let expected = [0, 8.0 / 36, 1.0 / 36, 27.0 / 36]
        for (got, want) in zip(noise.probabilities, expected) { #expect(abs(got - want) < 1e-12) }
        for (got, want) in zip(noise.impliedProbabilities, expected) { #expect(abs(got - want) < 1e-12) }
        // fastText's 0.5: sqrt: 4, 1, 9 over 14.
        let fastText = NoiseDistribution(counts: [16, 1, 81], exponent: 0.5)
        for (got, want) in zip(fastText.impliedProbabilities, [4.0 / 14, 1.0 / 14, 9.0 / 14]) { #expect(abs(got - want) < 1e-12) }
        // Draws follow the distribution (seeded, 200,000 draws, within 1%).
        var generator = SplitMix64(seed: 7)
        var tally = [Int](repeating: 0, count: 4)
        for _ in 0..<200_000 { tally[Int(noise.sample(generator.nextUnit(), generator.nextUnit()))] += 1 }
        #expect(tally[0] == 0)
        for index in 1..<4 { #expect(abs(Double(tally[index]) / 200_000 - expected[index]) < 0.01) }
    }
}


extension Double {
    func isApproximatelyEqual(to other: Double, tolerance: Double = 1e-12) -> Bool {
        abs(self - other) <= tolerance * max(1, abs(other))
    }
}
