import Corpora
import Foundation
import TestSupport
import Tokenization
@testable import Vocabulary
import WordPipeSupport

@Suite struct PhrasesTests {
    static let lines = "corpora/enwiki-2015-text8style-100M.lines.txt.gz"

    /// Writes `text` to `name` in a fresh temporary directory and returns its path.
    static func write(_ text: String, name: String = "corpus.txt", in directory: URL? = nil) throws -> String {
        let url = try (directory ?? SharedData.temporaryDirectory()).appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Runs the phrases stage on `text` and returns the output text and the summary.
    static func run(_ text: String, _ configuration: PhrasesConfiguration, threads: Int = 1,
                    chunkSize: Int = LineChunker.defaultChunkSize) throws -> (String, PhrasesSummary) {
        let input = try write(text)
        let output = (input as NSString).deletingLastPathComponent + "/out.txt"
        let summary = try PhraseDetector.run(inputs: [input], output: output, configuration: configuration,
                                             options: RunOptions(threads: threads, progress: .never), chunkSize: chunkSize)
        return (try String(contentsOfFile: output, encoding: .utf8), summary)
    }

    /// Ill-formed UTF-8 and NUL bytes are found at their line whatever the chunk size (the
    /// lines before each chunk are counted as chunks are read).
    @Test(arguments: [7, 64, LineChunker.defaultChunkSize])
    func textIssuesAreFoundAtTheirLine(chunkSize: Int) throws {
        let lines = (1...40).map { "w\($0) x y" }
        var bytes = Array(lines[..<25].joined(separator: "\n").utf8) + Array("\nbad ".utf8) + [0xE2, 0x82] + Array(" z\n".utf8)
        bytes += Array(lines[25...].joined(separator: "\n").utf8) + [0x0A]
        let input = try Self.write("")
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let output = PathNames.parent(input) + "/issues.txt"
        let configuration = PhrasesConfiguration(minCount: 1, threshold: 1)
        let summary = try PhraseDetector.run(inputs: [input], output: output, configuration: configuration,
                                             options: RunOptions(threads: 2, progress: .never), chunkSize: chunkSize)
        #expect(summary.warnings.count == 1 && summary.warnings.first?.hasPrefix("\(input):26: 1 ill-formed UTF-8 sequences") == true,
                "\(summary.warnings)")
        var nul = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        nul.insert(0, at: Array(lines[..<33].joined(separator: "\n").utf8).count + 3)  // inside line 34
        try Data(nul).write(to: URL(fileURLWithPath: input))
        #expect {
            try PhraseDetector.run(inputs: [input], output: output, configuration: configuration,
                                   options: RunOptions(threads: 2, progress: .never), chunkSize: chunkSize)
        } throws: { error in
            "\(error)".contains("\(input):34") && "\(error)".contains("NUL")
        }
    }

    // MARK: Scores against hand arithmetic

    /// 17 tokens. Counts: new 5, york 5, times 2, is 1, big 1, in 1, the 1, says 1.
    /// Pairs: "new york" 5, "york times" 2, "york is" 1, "is big" 1, "in new" 1, "the new" 1,
    /// "times says" 1 (7 distinct; "big new", "times in" etc. span line ends and do not count).
    static let handCorpus = """
        new york is big
        new york times
        in new york
        the new york times says
        new york

        """

    struct ScoreCase: Sendable, CustomTestStringConvertible {
        var scoring: PhraseScoring
        var minCount: Int
        var first: String
        var second: String
        var expected: Double
        var testDescription: String { "\(scoring) min_count \(minCount): \(first) \(second)" }
    }

    static let scoreCases: [ScoreCase] = [
        // word2vec: (count(ab) - min_count) / (count(a) * count(b)) * total_words
        ScoreCase(scoring: .word2vec, minCount: 1, first: "new", second: "york", expected: (5.0 - 1) / (5 * 5) * 17),   // 2.72
        ScoreCase(scoring: .word2vec, minCount: 1, first: "york", second: "times", expected: (2.0 - 1) / (5 * 2) * 17), // 1.7
        ScoreCase(scoring: .word2vec, minCount: 1, first: "is", second: "big", expected: (1.0 - 1) / (1 * 1) * 17),     // 0
        ScoreCase(scoring: .word2vec, minCount: 2, first: "new", second: "york", expected: (5.0 - 2) / (5 * 5) * 17),   // 2.04
        ScoreCase(scoring: .word2vec, minCount: 2, first: "york", second: "times", expected: (2.0 - 2) / (5 * 2) * 17), // 0
        // 'times' occurs twice, rarer than min_count 3: word2phrase's oov rule gives 0.
        ScoreCase(scoring: .word2vec, minCount: 3, first: "york", second: "times", expected: 0),
        // 'says' occurs once, rarer than min_count 2: word2phrase's oov rule gives 0.
        ScoreCase(scoring: .word2vec, minCount: 2, first: "times", second: "says", expected: 0),
        // Never adjacent on one line (a line end separates them): 0.
        ScoreCase(scoring: .word2vec, minCount: 1, first: "big", second: "new", expected: 0),
        // npmi: ln(p(ab) / (p(a) p(b))) / -ln(p(ab)), p = count / 17
        // new york: ln((5/17) / ((5/17)(5/17))) / -ln(5/17) = ln(3.4) / ln(3.4) = 1
        ScoreCase(scoring: .npmi, minCount: 1, first: "new", second: "york",
                  expected: Foundation.log((5.0 / 17) / ((5.0 / 17) * (5.0 / 17))) / -Foundation.log(5.0 / 17)),
        // york times: ln((2/17) / ((5/17)(2/17))) / -ln(2/17) = ln(3.4) / ln(8.5) = 0.57183...
        ScoreCase(scoring: .npmi, minCount: 1, first: "york", second: "times",
                  expected: Foundation.log((2.0 / 17) / ((5.0 / 17) * (2.0 / 17))) / -Foundation.log(2.0 / 17)),
        // york is: ln((1/17) / ((5/17)(1/17))) / -ln(1/17) = ln(3.4) / ln(17) = 0.43194...
        ScoreCase(scoring: .npmi, minCount: 1, first: "york", second: "is",
                  expected: Foundation.log((1.0 / 17) / ((5.0 / 17) * (1.0 / 17))) / -Foundation.log(1.0 / 17)),
        // count(york times) = 2 < min_count 3: never joined (gensim returns -inf).
        ScoreCase(scoring: .npmi, minCount: 3, first: "york", second: "times", expected: -.infinity),
    ]

    @Test func handCorpusCounts() throws {
        let counts = try PhraseCounts.count(inputs: [Self.write(Self.handCorpus)])
        #expect(counts.tokens == 17)
        #expect(counts.lines == 5)
        #expect(counts.typesSeen == 8)
        #expect(counts.bigramsSeen == 7)
        let words: [(String, Int64)] = [("new", 5), ("york", 5), ("times", 2), ("is", 1), ("big", 1), ("says", 1)]
        for (word, count) in words { #expect(counts.count(of: word) == count, "\(word)") }
        let pairs: [(String, String, Int64)] = [("new", "york", 5), ("york", "times", 2), ("is", "big", 1), ("big", "new", 0),
                                                ("times", "in", 0), ("york", "new", 0)]
        for (a, b, count) in pairs { #expect(counts.count(of: a, b) == count, "\(a) \(b)") }
    }

    @Test(arguments: scoreCases)
    func scoreMatchesHandArithmetic(_ item: ScoreCase) throws {
        let counts = try PhraseCounts.count(inputs: [Self.write(Self.handCorpus)])
        let configuration = PhrasesConfiguration(minCount: item.minCount, threshold: 0, scoring: item.scoring)
        let score = counts.score(item.first, item.second, configuration: configuration)
        if item.expected.isInfinite {
            #expect(score == item.expected)
        } else {
            #expect(abs(score - item.expected) < 1e-12, "got \(score), expected \(item.expected)")
        }
    }

    @Test func handArithmeticLiterals() {
        // The same scores as literals, so a wrong formula in the table above cannot hide.
        let w2v = PhraseScoring.word2vec
        #expect(abs(w2v.score(countA: 5, countB: 5, countAB: 5, totalWords: 17, minCount: 1) - 2.72) < 1e-12)
        #expect(abs(w2v.score(countA: 5, countB: 2, countAB: 2, totalWords: 17, minCount: 1) - 1.7) < 1e-12)
        #expect(abs(w2v.score(countA: 5, countB: 5, countAB: 5, totalWords: 17, minCount: 2) - 2.04) < 1e-12)
        #expect(w2v.score(countA: 1, countB: 5, countAB: 1, totalWords: 17, minCount: 2) == 0)
        // A pair rarer than min_count between two common words scores below 0: (2 - 5) / (10 * 10) * 100 = -3.
        #expect(abs(w2v.score(countA: 10, countB: 10, countAB: 2, totalWords: 100, minCount: 5) - -3) < 1e-12)
        let npmi = PhraseScoring.npmi
        #expect(abs(npmi.score(countA: 5, countB: 5, countAB: 5, totalWords: 17, minCount: 1) - 1) < 1e-12)
        #expect(abs(npmi.score(countA: 5, countB: 2, countAB: 2, totalWords: 17, minCount: 1) - 0.571_840) < 1e-6)
        #expect(abs(npmi.score(countA: 5, countB: 1, countAB: 1, totalWords: 17, minCount: 1) - 0.431_940) < 1e-6)
        // Negative association: count(ab) * N < count(a) * count(b). a = b = 50, ab = 1, N = 1000:
        // ln((1/1000) / (0.05 * 0.05)) / ln(1000) = ln(0.4) / ln(1000) = -0.13265
        #expect(abs(npmi.score(countA: 50, countB: 50, countAB: 1, totalWords: 1000, minCount: 1) - -0.132_647) < 1e-6)
    }

    @Test func phraseListIsSortedAndThresholded() throws {
        let counts = try PhraseCounts.count(inputs: [Self.write(Self.handCorpus)])
        // min_count 1, threshold 1.5: new york (2.72) and york times (1.7); is big scores 0.
        let list = counts.phrases(configuration: PhrasesConfiguration(minCount: 1, threshold: 1.5))
        #expect(list.map { $0.joined() } == ["new_york", "york_times"])
        #expect(list.map(\.count) == [5, 2])
        #expect(abs(list[0].score - 2.72) < 1e-12)
        let npmi = counts.phrases(configuration: PhrasesConfiguration(minCount: 2, threshold: 0.5, scoring: .npmi))
        #expect(npmi.map { $0.joined(delimiter: "+") } == ["new+york", "york+times"])
    }

    // MARK: Joining

    struct JoinCase: Sendable, CustomTestStringConvertible {
        var name: String
        var input: String
        var configuration: PhrasesConfiguration
        var expected: String
        var joins: Int64
        var testDescription: String { name }
    }

    /// With word2vec, min_count 1 and threshold 0, a pair is joined exactly when it occurs at
    /// least twice (score = (count(ab) - 1) / (count(a) count(b)) * N > 0).
    static let twice = PhrasesConfiguration(minCount: 1, threshold: 0)

    static let joinCases: [JoinCase] = [
        JoinCase(name: "greedy left to right: a_b, then c alone although b c is a phrase",
                 input: "a b c\na b c\n", configuration: twice, expected: "a_b c\na_b c\n", joins: 2),
        JoinCase(name: "greedy: x_y z_w on one line",
                 input: "x y z w\nx y z w\n", configuration: twice, expected: "x_y z_w\nx_y z_w\n", joins: 4),
        JoinCase(name: "a pair seen once is kept apart",
                 input: "a b\na b\nb a\n", configuration: twice, expected: "a_b\na_b\nb a\n", joins: 2),
        JoinCase(name: "never across lines (p q follow each other only over line ends)",
                 input: "p\nq\np\nq\np\nq\n", configuration: twice, expected: "p\nq\np\nq\np\nq\n", joins: 0),
        JoinCase(name: "delimiter +",
                 input: "new york\nnew york\n", configuration: PhrasesConfiguration(minCount: 1, threshold: 0, delimiter: "+"),
                 expected: "new+york\nnew+york\n", joins: 2),
        JoinCase(name: "multi-byte delimiter",
                 input: "new york\nnew york\n", configuration: PhrasesConfiguration(minCount: 1, threshold: 0, delimiter: "·"),
                 expected: "new·york\nnew·york\n", joins: 2),
        JoinCase(name: "passes 1 forms new_york only",
                 input: "new york times\nnew york times\nnew york times\n", configuration: twice,
                 expected: "new_york times\nnew_york times\nnew_york times\n", joins: 3),
        JoinCase(name: "passes 2 forms the trigram new_york_times",
                 input: "new york times\nnew york times\nnew york times\n",
                 configuration: PhrasesConfiguration(minCount: 1, threshold: 0, passes: 2),
                 expected: "new_york_times\nnew_york_times\nnew_york_times\n", joins: 6),
        JoinCase(name: "white space normalized, empty lines kept, last line ended",
                 input: "  a   b\t\n\n a b \r\nc", configuration: twice, expected: "a_b\n\na_b\nc\n", joins: 2),
        JoinCase(name: "min_count: rare words never join",
                 input: "a b\na b\n", configuration: PhrasesConfiguration(minCount: 3, threshold: 0), expected: "a b\na b\n", joins: 0),
        JoinCase(name: "npmi: x y (0.63) joined, x z (count 1 < min_count 2) not",
                 input: "x y\nx y\nx z\n", configuration: PhrasesConfiguration(minCount: 2, threshold: 0.5, scoring: .npmi),
                 expected: "x_y\nx_y\nx z\n", joins: 2),
        JoinCase(name: "npmi threshold above the score keeps pairs apart",
                 input: "x y\nx y\nx z\n", configuration: PhrasesConfiguration(minCount: 2, threshold: 0.7, scoring: .npmi),
                 expected: "x y\nx y\nx z\n", joins: 0),
        // Pairs: a b 3, b c 2, c a 2, b x 1, x y 1, y z 1.
        JoinCase(name: "one long line: each join restarts the scan after it",
                 input: "a b c a b c a b x y z\n", configuration: twice, expected: "a_b c_a b_c a_b x y z\n", joins: 4),
    ]

    /// Every case gives the same output whatever the chunk size, so cuts inside lines and
    /// tokens (down to one byte per read) change nothing.
    @Test(arguments: joinCases, [LineChunker.defaultChunkSize, 1, 2, 5])
    func joining(_ item: JoinCase, chunkSize: Int) throws {
        let (output, summary) = try Self.run(item.input, item.configuration, chunkSize: chunkSize)
        #expect(output == item.expected)
        #expect(summary.joins == item.joins)
        #expect(summary.passes.count == item.configuration.passes)
    }

    @Test func multipleInputsDoNotMergeLines() throws {
        let directory = try SharedData.temporaryDirectory()
        // The first file does not end with a line end: its last line must not run into the next file.
        let first = try Self.write("a b\na b", name: "1.txt", in: directory)
        let second = try Self.write("c d\nc d\n", name: "2.txt", in: directory)
        let output = directory.appendingPathComponent("out.txt").path
        let summary = try PhraseDetector.run(inputs: [first, second], output: output, configuration: Self.twice)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "a_b\na_b\nc_d\nc_d\n")
        #expect(summary.passes[0].bigramsSeen == 2)  // "a b", "c d": not "b c"
        #expect(summary.phrasesFormed == 2)
    }

    @Test func passesLeaveNoTemporaryFilesAndCopyTheTokenizerSideFile() throws {
        let directory = try SharedData.temporaryDirectory()
        let input = try Self.write("new york times\nnew york times\n", name: "corpus.txt", in: directory)
        let infoData = Data(#"{"kind": "wordpipe.tokenized-corpus", "version": 1, "icuVersion": "test", "configuration": {"lowercase": true}}"#.utf8)
        try infoData.write(to: URL(fileURLWithPath: TokenizedCorpusInfo.path(for: input)))
        let info = try #require(try TokenizedCorpusInfo.load(for: input))
        #expect(info.configuration.tokenizer.lowercase)
        let output = directory.appendingPathComponent("out.txt").path
        let summary = try PhraseDetector.run(inputs: [input], output: output,
                                             configuration: PhrasesConfiguration(minCount: 1, threshold: 0, passes: 3))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "new_york_times\nnew_york_times\n")
        #expect(summary.passes.map(\.joins) == [2, 2, 0])
        #expect(summary.phrasesFormed == 2)
        #expect(try TokenizedCorpusInfo.load(for: output) == info)
        #expect(try Data(contentsOf: URL(fileURLWithPath: TokenizedCorpusInfo.path(for: output))) == infoData)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["corpus.txt", "corpus.txt.json", "out.txt", "out.txt.json"])
    }

    @Test func countsDoNotDependOnChunkCuts() throws {
        // One long line (as text8), cut everywhere: pairs spanning a cut are still counted.
        var text = ""
        for index in 0..<400 { text += "w\(index % 13) w\(index % 7) " }
        let path = try Self.write(text)
        let reference = try PhraseCounts.count(files: [path], threads: 1, progress: ProgressLine(stage: "t", mode: .never),
                                               chunkSize: LineChunker.defaultChunkSize)
        #expect(reference.tokens == 800)
        #expect(reference.lines == 0)
        let configuration = PhrasesConfiguration(minCount: 1, threshold: 0)
        let expected = reference.phrases(configuration: configuration)
        #expect(!expected.isEmpty)
        for chunkSize in [1, 3, 4, 17, 100] {
            for threads in [1, 2] {
                let counts = try PhraseCounts.count(files: [path], threads: threads,
                                                    progress: ProgressLine(stage: "t", mode: .never), chunkSize: chunkSize)
                #expect(counts.tokens == 800)
                #expect(counts.bigramsSeen == reference.bigramsSeen, "chunk \(chunkSize)")
                #expect(counts.phrases(configuration: configuration) == expected, "chunk \(chunkSize), threads \(threads)")
            }
        }
    }

    // MARK: Determinism

    @Test func outputIsTheSameWhateverTheThreadCount() throws {
        var generator = SplitMix64(seed: 42)
        var text = ""
        let phrases = ["new york", "united states", "world war", "of the"]
        for _ in 0..<3000 {
            let words = (0..<Int(generator.next() % 12 + 1)).map { _ -> String in
                generator.next() % 4 == 0 ? phrases[Int(generator.next() % 4)] : "w\(generator.next() % 300)"
            }
            text += words.joined(separator: " ") + "\n"
        }
        let configuration = PhrasesConfiguration(minCount: 3, threshold: 10, passes: 2)
        let (reference, referenceSummary) = try Self.run(text, configuration, threads: 1, chunkSize: 4096)
        #expect(referenceSummary.joins > 1000)
        #expect(reference.contains("new_york"))
        for threads in [2, 3] {
            let (output, summary) = try Self.run(text, configuration, threads: threads, chunkSize: 4096)
            #expect(output == reference)
            #expect(summary.passes == referenceSummary.passes)
        }
    }

    // MARK: Errors and configuration

    @Test func emptyCorpusIsAnError() throws {
        for text in ["", "\n\n", "   \n\t\n"] {
            #expect(throws: VocabularyError.self) { try Self.run(text, PhrasesConfiguration()) }
            do {
                _ = try Self.run(text, PhrasesConfiguration())
            } catch let error as VocabularyError {
                #expect("\(error)".contains("the corpus has no tokens"))
            }
        }
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        var configuration: PhrasesConfiguration
        var option: String
        var testDescription: String { option }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase(configuration: PhrasesConfiguration(minCount: 0), option: "min_count"),
        InvalidCase(configuration: PhrasesConfiguration(passes: 0), option: "passes"),
        InvalidCase(configuration: PhrasesConfiguration(threshold: 1.5, scoring: .npmi), option: "threshold"),
        InvalidCase(configuration: PhrasesConfiguration(threshold: -1.01, scoring: .npmi), option: "threshold"),
        InvalidCase(configuration: PhrasesConfiguration(threshold: -1, scoring: .word2vec), option: "threshold"),
        InvalidCase(configuration: PhrasesConfiguration(threshold: .nan), option: "threshold"),
        InvalidCase(configuration: PhrasesConfiguration(delimiter: ""), option: "delimiter"),
        InvalidCase(configuration: PhrasesConfiguration(delimiter: "a b"), option: "delimiter"),
    ]

    @Test(arguments: invalidCases)
    func invalidConfigurationNamesTheOption(_ item: InvalidCase) throws {
        do {
            try item.configuration.validate()
            Issue.record("\(item.configuration) was accepted")
        } catch VocabularyError.invalidOption(let name, _, _) {
            #expect(name == item.option)
        }
    }

    @Test func configurationDefaultsAndDecoding() throws {
        let defaults = PhrasesConfiguration()
        #expect(defaults.minCount == 5 && defaults.threshold == 100 && defaults.scoring == .word2vec)
        #expect(defaults.passes == 1 && defaults.delimiter == "_")
        #expect(PhrasesConfiguration(scoring: .npmi).threshold == 0.5)
        #expect(PhrasesConfiguration(threshold: -0.25, scoring: .npmi).threshold == -0.25)
        let decoder = JSONDecoder()
        #expect(try decoder.decode(PhrasesConfiguration.self, from: Data("{}".utf8)) == defaults)
        let npmi = try decoder.decode(PhrasesConfiguration.self, from: Data(#"{"scoring": "npmi", "passes": 2}"#.utf8))
        #expect(npmi == PhrasesConfiguration(threshold: 0.5, scoring: .npmi, passes: 2))
        let roundTrip = try decoder.decode(PhrasesConfiguration.self, from: JSONEncoder().encode(npmi))
        #expect(roundTrip == npmi)
        #expect(throws: DecodingError.self) { try decoder.decode(PhrasesConfiguration.self, from: Data(#"{"treshold": 5}"#.utf8)) }
        #expect(throws: VocabularyError.self) {
            try decoder.decode(PhrasesConfiguration.self, from: Data(#"{"scoring": "npmi", "threshold": 2}"#.utf8))
        }
    }

    // MARK: The real corpus

    /// About the first `bytes` of the shared one-sentence-per-line corpus, cut at a line end.
    static func realSlice(bytes: Int) throws -> String {
        try sharedSlice(lines, bytes: bytes, cutAfter: 0x0A)
    }

    /// The phrases stage by the simplest independent method: split strings, count in
    /// dictionaries, join greedily.
    static func referenceJoin(_ text: String, _ configuration: PhrasesConfiguration) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var unigrams: [Substring: Int64] = [:]
        var bigrams: [String: Int64] = [:]
        var total: Int64 = 0
        let tokenized = lines.map { $0.split(separator: " ") }
        for tokens in tokenized {
            total += Int64(tokens.count)
            for token in tokens { unigrams[token, default: 0] += 1 }
            for (a, b) in zip(tokens, tokens.dropFirst()) { bigrams["\(a) \(b)", default: 0] += 1 }
        }
        var output = ""
        for tokens in tokenized {
            var out: [String] = []
            var index = 0
            while index < tokens.count {
                if index + 1 < tokens.count {
                    let (a, b) = (tokens[index], tokens[index + 1])
                    let score = configuration.scoring.score(countA: unigrams[a] ?? 0, countB: unigrams[b] ?? 0,
                                                            countAB: bigrams["\(a) \(b)"] ?? 0, totalWords: total,
                                                            minCount: configuration.minCount)
                    if score > configuration.threshold {
                        out.append("\(a)\(configuration.delimiter)\(b)")
                        index += 2
                        continue
                    }
                }
                out.append(String(tokens[index]))
                index += 1
            }
            output += out.joined(separator: " ") + "\n"
        }
        return output
    }

    @Test(.enabled(if: SharedData.exists(lines), SharedData.missing(lines)))
    func realCorpusSliceFindsCollocations() throws {
        let text = try Self.realSlice(bytes: 2_000_000)
        #expect(text.utf8.count > 1_900_000)
        let (output, summary) = try Self.run(text, PhrasesConfiguration(), threads: 2)
        var joined: [Substring: Int] = [:]
        for token in output.split(whereSeparator: { $0 == " " || $0 == "\n" }) where token.contains("_") {
            joined[token, default: 0] += 1
        }
        // Counts measured on this slice: united_states 212, new_york 53, soviet_union 42,
        // los_angeles 30, supreme_court 43, north_america 31, atlantic_ocean 24.
        for phrase in ["new_york", "united_states", "soviet_union", "los_angeles", "supreme_court", "north_america",
                       "atlantic_ocean", "th_century", "civil_war", "prime_minister"] {
            #expect(joined[Substring(phrase), default: 0] >= 5, "\(phrase)")
        }
        // Frequent but free combinations are not phrases.
        for pair in ["of_the", "in_the", "the_first", "and_the"] { #expect(joined[Substring(pair)] == nil, "\(pair)") }
        #expect(summary.passes[0].lines == 333)
        #expect(summary.phrasesFormed > 300 && summary.phrasesFormed < 600)
        #expect(output.utf8.count == text.utf8.count)  // a join turns a space into the one-byte delimiter
        // The whole output equals the independent reference.
        #expect(output == Self.referenceJoin(text, PhrasesConfiguration()))
    }

    @Test(.enabled(if: SharedData.exists(lines), SharedData.missing(lines)))
    func realCorpusSecondPassFormsTrigrams() throws {
        let text = try Self.realSlice(bytes: 2_000_000)
        let (output, summary) = try Self.run(text, PhrasesConfiguration(passes: 2), threads: 2)
        #expect(output.contains(" world_war_ii "))
        #expect(output.contains(" new_york_city "))
        #expect(summary.passes.count == 2 && summary.passes[1].joins > 0)
        let npmi = PhrasesConfiguration(scoring: .npmi)
        let (npmiOutput, _) = try Self.run(text, npmi, threads: 2)
        #expect(npmiOutput.contains(" united_states "))
        #expect(npmiOutput == Self.referenceJoin(text, npmi))
    }
}
