import Foundation
import TestSupport
import Tokenization
import Vocabulary
@testable import Embeddings

// MARK: - Fixtures

/// A unit vector at `degrees` in the plane.
private func direction(_ degrees: Double) -> [Float] {
    [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180))]
}

/// The cosine of the angle between directions at `x` and `y` degrees.
private func cosine(_ x: Double, _ y: Double) -> Double { cos((x - y) * .pi / 180) }

/// Seven 2-D vectors at known angles, so every cosine is cos(Δangle). Ids in this order (the
/// order is the frequency order `restrict` uses). east and south are not unit length: queries
/// normalize.
///
///     east 0° (length 2), north 90°, w10 10°, w50 50°, west 180°, south 270° (length 3), w135 135°
private let compassAngles: [(String, Double)] = [("east", 0), ("north", 90), ("w10", 10), ("w50", 50), ("west", 180),
                                                 ("south", 270), ("w135", 135)]

private func compassVectors(tokenizer: TokenizerConfiguration? = nil) -> WordVectors {
    let rows: [[Float]] = [[2, 0], [0, 1], direction(10), direction(50), [-1, 0], [0, -3], direction(135)]
    let words = compassAngles.map(\.0)
    let vocabulary = Vocabulary(words: words, counts: (0..<words.count).map { Int64(100 - $0) }, tokenizer: tokenizer)
    return WordVectors(vocabulary: vocabulary, dim: 2, matrix: rows.flatMap { $0 })
}

private let compass = VectorStore(compassVectors())

private func angle(_ word: String) -> Double { compassAngles.first { $0.0 == word }!.1 }

/// Compares answers with expected (word, score) pairs, scores within `tolerance` (relative for
/// magnitudes above 1).
private func expectAnswers(_ answers: [Neighbour], _ expected: [(String, Double)], tolerance: Double = 1e-5,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answers.map(\.word) == expected.map(\.0), sourceLocation: sourceLocation)
    for (answer, (word, score)) in zip(answers, expected) {
        #expect(abs(answer.score - score) <= tolerance * max(1, abs(score)), "\(word): \(answer.score) vs \(score)",
                sourceLocation: sourceLocation)
    }
}

private func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = try SharedData.temporaryDirectory().appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func temporaryFile(_ name: String, _ text: String) throws -> String { try temporaryFile(name, Array(text.utf8)) }

/// The error a throwing call raised, as text ("" when it did not throw).
private func errorText(_ body: () throws -> Any) -> String {
    do {
        _ = try body()
        return ""
    } catch {
        return "\(error)"
    }
}

// MARK: - Queries

@Suite struct QueryTests {
    struct NearestCase: CustomTestStringConvertible, Sendable {
        var positive: [String]
        var negative: [String] = []
        var k = 10
        var restrict: Int?
        /// Expected answers, best first, with the angle of the query direction they are scored against.
        var queryAngle: Double
        var expected: [String]
        var testDescription: String { "+\(positive) -\(negative) k=\(k) restrict=\(restrict.map(String.init) ?? "all")" }
    }

    /// Every score is cos(angle of the query − angle of the word); the query words never answer.
    @Test(arguments: [
        // cos 10° .985, cos 50° .643, north and south both 0 (a tie: the lower id first), cos 135° −.707, west −1.
        NearestCase(positive: ["east"], queryAngle: 0, expected: ["w10", "w50", "north", "south", "w135", "west"]),
        NearestCase(positive: ["east"], k: 2, queryAngle: 0, expected: ["w10", "w50"]),
        // Only ids 0..<4 (east, north, w10, w50) are searched.
        NearestCase(positive: ["east"], restrict: 4, queryAngle: 0, expected: ["w10", "w50", "north"]),
        // A query word outside the restricted rows still works: west against east, north, w10.
        NearestCase(positive: ["west"], restrict: 3, queryAngle: 180, expected: ["north", "w10", "east"]),
        // north − west = (1, 1): 45°. w50 cos 5°, w10 cos 35°, east cos 45°, w135 cos 90°, south cos 225°.
        NearestCase(positive: ["north"], negative: ["west"], queryAngle: 45, expected: ["w50", "w10", "east", "w135", "south"]),
        // east + north: 45° too, with west and south tied at −.707 (the lower id, west, first).
        NearestCase(positive: ["east", "north"], queryAngle: 45, expected: ["w50", "w10", "w135", "west", "south"]),
        // −east: 180°.
        NearestCase(positive: [], negative: ["east"], queryAngle: 180, expected: ["west", "w135", "north", "south", "w50", "w10"]),
    ])
    func nearest(_ query: NearestCase) throws {
        let answers = try compass.nearest(positive: query.positive, negative: query.negative, k: query.k, restrict: query.restrict)
        expectAnswers(answers, query.expected.map { ($0, cosine(query.queryAngle, angle($0))) })
    }

    /// 3CosAdd and 3CosMul for w10 : w50 :: north : ?, scores worked out from the angles (gensim's
    /// most_similar and most_similar_cosmul give the same lists: w135 .8398, west .2100, …;
    /// west 11.755, w135 2.176, east .4138, south 0).
    @Test(arguments: AnalogyMethod.allCases)
    func analogy(method: AnalogyMethod) throws {
        let (a, b, c) = (10.0, 50.0, 90.0)
        let answers = try compass.analogy("w10", "w50", "north", k: 10, method: method)
        switch method {
        case .add:
            // b − a + c = (cos 50 − cos 10, sin 50 − sin 10 + 1) = (−0.34202, 1.59240): 102.12°.
            let query = atan2(sin(b * .pi / 180) - sin(a * .pi / 180) + 1, cos(b * .pi / 180) - cos(a * .pi / 180)) * 180 / .pi
            #expect(abs(query - 102.122) < 0.001)
            expectAnswers(answers, ["w135", "west", "east", "south"].map { ($0, cosine(query, angle($0))) })
        case .mul:
            // cos' = (1 + cos) / 2; score = cos'(d, b) · cos'(d, c) / (cos'(d, a) + 1e-6).
            //   west: .17861 · .5 / (.0075961 + 1e-6) = 11.755 (nearly opposite a, so a tiny denominator)
            //   w135: .54358 · .85355 / .21321 = 2.1762;  east: .82139 · .5 / .99240 = .41384;  south: .11698 · 0 / … = 0
            func prime(_ x: Double, _ y: Double) -> Double { (1 + cosine(x, y)) / 2 }
            let expected = ["west", "w135", "east", "south"].map { word -> (String, Double) in
                let d = angle(word)
                return (word, prime(d, b) * prime(d, c) / (prime(d, a) + 1e-6))
            }
            #expect(abs(expected[0].1 - 11.755) < 0.001 && abs(expected[1].1 - 2.1762) < 0.0001)
            // The float32 cosine of west and w10 is 1 − 0.98481 in float: allow 1e-4 relative.
            expectAnswers(answers, expected, tolerance: 1e-4)
        }
        // k and restrict: only east, north, w10, w50 searched, so east is the one candidate.
        #expect(try compass.analogy("w10", "w50", "north", k: 1, method: method, restrict: 4).map(\.word) == ["east"])
        #expect(try compass.analogy("w10", "w50", "north", k: 2, method: method).count == 2)
    }

    @Test func similarityAndDoesntMatch() throws {
        #expect(abs(try compass.similarity("east", "w50") - cosine(0, 50)) < 1e-6)
        #expect(abs(try compass.similarity("w50", "east") - cosine(0, 50)) < 1e-6)
        // Lengths do not matter: east (length 2) and south (length 3) are orthogonal.
        #expect(abs(try compass.similarity("east", "south")) < 1e-6)
        #expect(abs(try compass.similarity("west", "east") + 1) < 1e-6)
        // The mean of east, w10, w50, west points at 30°: west (150° away) fits least.
        #expect(try compass.doesntMatch(["east", "w10", "w50", "west"]) == "west")
        // north, w50, w135 and south: the mean (of unit vectors) points near 90°, south is 180° from it.
        #expect(try compass.doesntMatch(["north", "w50", "w135", "south"]) == "south")
        #expect(throws: QueryError.invalid("doesnt_match needs at least two words")) { try compass.doesntMatch(["east"]) }
        #expect(throws: QueryError.invalid("no query words")) { try compass.nearest(positive: []) }
    }

    /// An error for unknown words names every one of them, whichever list they are in.
    @Test func unknownWordsAreAllListed() throws {
        #expect(throws: QueryError.unknownWords(["nowhere", "elsewhere", "gone"])) {
            try compass.nearest(positive: ["east", "nowhere", "elsewhere"], negative: ["gone", "west"])
        }
        #expect(throws: QueryError.unknownWords(["gone"])) { try compass.nearest(positive: ["east"], negative: ["gone"]) }
        for method in AnalogyMethod.allCases {
            // 3CosAdd asks for b, c then a (nearest to b + c − a): the same words, in that order.
            func unknown(_ body: () throws -> Any) -> Set<String> {
                do { _ = try body() } catch let QueryError.unknownWords(words) { return Set(words) } catch {}
                return []
            }
            #expect(unknown { try compass.analogy("x", "north", "z", method: method) } == ["x", "z"])
            #expect(unknown { try compass.analogy("x", "y", "z", method: method) } == ["x", "y", "z"])
        }
        #expect(throws: QueryError.unknownWords(["a", "b"])) { try compass.similarity("a", "b") }
        #expect(throws: QueryError.unknownWords(["b"])) { try compass.doesntMatch(["east", "b", "west"]) }
        #expect(QueryError.unknownWords(["a", "b"]).description == "not in the vocabulary: a, b")
    }

    /// A vocabulary made with case folding finds `King` as `king`; one without it does not.
    @Test func lookupThroughTheStoredTokenizerConfiguration() throws {
        let words = ["king", "queen", "straße"]
        let matrix: [Float] = [1, 0, 0.8, 0.6, 0, 1]
        let folded = VectorStore(WordVectors(vocabulary: Vocabulary(words: words, counts: [3, 2, 1],
                                                                    tokenizer: TokenizerConfiguration(normalize: .nfkcCasefold)),
                                             dim: 2, matrix: matrix))
        #expect(folded.id(of: "king") == 0)
        #expect(folded.id(of: "King") == 0)
        #expect(folded.id(of: "KING") == 0)
        #expect(folded.id(of: "Ｋｉｎｇ") == 0)  // fullwidth: NFKC
        #expect(folded.id(of: "QUEEN") == 1)
        #expect(folded.id(of: "king queen") == nil)  // two tokens
        #expect(folded.id(of: "prince") == nil)
        expectAnswers(try folded.nearest(positive: ["King"], k: 1), [("queen", 0.8)])
        #expect(abs(try folded.similarity("King", "Queen") - 0.8) < 1e-6)

        let plain = VectorStore(WordVectors(vocabulary: Vocabulary(words: words, counts: [3, 2, 1]), dim: 2, matrix: matrix))
        #expect(plain.id(of: "king") == 0)
        #expect(plain.id(of: "King") == nil)
        #expect(throws: QueryError.unknownWords(["King"])) { try plain.nearest(positive: ["King"]) }
    }

    /// Many queries at once (one matrix product per 64) answer as one at a time.
    @Test func batchedQueriesMatchSingleOnes() throws {
        let queries = (0..<150).map { direction(Double($0) * 2.4) }
        let batched = compass.nearest(to: queries, k: 3)
        #expect(batched.count == 150)
        for (query, answer) in zip(queries, batched) {
            // sgemm and sgemv may round the last bit differently.
            let single = compass.nearest(to: [query], k: 3)[0]
            #expect(answer.map(\.word) == single.map(\.word))
            #expect(zip(answer, single).allSatisfy { abs($0.score - $1.score) < 1e-6 })
        }
    }
}

// MARK: - Evaluation

@Suite struct EvaluationTests {
    /// Answers worked out from the angles (and checked with gensim's evaluate_word_analogies,
    /// which gives compass 2/3 and gram1-directions 2/3 correct):
    ///
    ///     w10 w50 north → w135 (102.1°: w135 .840)       correct / w135 ≠ west: incorrect
    ///     north east south → w10 (296.6°: w10 .285)      correct (matched case-insensitively)
    ///     east north west → w135 (153.4°: w135 .949)     incorrect (expected south)
    ///     east w10 w50 → north (56.3°: north .832)       correct
    ///     questions with nowhere, ZZZ, YYY               skipped
    static let questions = """
        : compass
        w10 w50 north w135
        w10 w50 north west
        North East South W10
        east north nowhere south
        : gram1-directions
        east north west south
        north east south w10

        EAST NORTH ZZZ YYY
        east w10 w50 north

        """

    @Test func analogyCountsBySection() throws {
        let path = try temporaryFile("questions.txt", Self.questions)
        let evaluation = try compass.evaluateAnalogies(path: path, restrict: nil)
        typealias Section = AnalogyEvaluation.Section
        #expect(evaluation.sections == [Section(name: "compass", correct: 2, incorrect: 1, skipped: 1),
                                        Section(name: "gram1-directions", correct: 2, incorrect: 1, skipped: 1)])
        #expect(evaluation.semantic == Section(name: "semantic", correct: 2, incorrect: 1, skipped: 1))
        #expect(evaluation.syntactic == Section(name: "syntactic", correct: 2, incorrect: 1, skipped: 1))
        #expect(evaluation.total == Section(name: "total", correct: 4, incorrect: 2, skipped: 2))
        #expect(abs(evaluation.total.accuracy - 4.0 / 6) < 1e-12)

        // Only east, north, w10, w50: every question but `east w10 w50 north` has a word outside.
        let restricted = try compass.evaluateAnalogies(path: path, restrict: 4)
        #expect(restricted.sections == [Section(name: "compass", correct: 0, incorrect: 0, skipped: 4),
                                        Section(name: "gram1-directions", correct: 1, incorrect: 0, skipped: 3)])
        #expect(restricted.sections[0].accuracy == 0)

        // Case-sensitive: `North East South W10` has no such words.
        let sensitive = try compass.evaluateAnalogies(path: path, restrict: nil, caseInsensitive: false)
        #expect(sensitive.sections[0] == Section(name: "compass", correct: 1, incorrect: 1, skipped: 2))

        let bad = try temporaryFile("bad.txt", ": s\nw10 w50 north\n")
        #expect(errorText { try compass.evaluateAnalogies(path: bad) } == "\(bad):2: expected 4 words, got 3")
    }

    /// Model cosines (cos 10°, cos 50°, 0, −1, cos 45°) against human scores (9, 6, 3, 1, 5):
    /// ranks 5 4 2 1 3 vs 5 3 2 1 4, Σd² = 2, ρ = 1 − 6·2 / (5·24) = 0.9; Pearson 0.917674
    /// (scipy.stats.pearsonr; gensim's evaluate_word_pairs gives the same, with 16.7% OOV).
    @Test func wordPairs() throws {
        let text = "# a comment\nWord 1\tWord 2\tHuman (mean)\neast\tw10\t9.0\nEAST\tw50\t6\neast\tnorth\t3.0\n"
            + "east\twest\t1.0\nnorth\tw135\t5.0\neast\tnowhere\t2.0\n"
        let path = try temporaryFile("pairs.tsv", text)
        let evaluation = try compass.evaluatePairs(path: path, restrict: nil)
        #expect(evaluation.pairs == 5)
        #expect(evaluation.skipped == 1)
        #expect(abs(evaluation.oovRatio - 1.0 / 6) < 1e-12)
        #expect(abs(evaluation.spearman - 0.9) < 1e-9)
        #expect(abs(evaluation.pearson - 0.917674) < 1e-5)
        // Space-separated (SimLex-style extra columns), restricted to 4 words: only east–w10, east–w50, east–north.
        let spaced = try temporaryFile("pairs.txt", "east w10 9.0 x\neast w50 6.0 y\neast north 3.0 z\neast west 1.0 w\n")
        let restricted = try compass.evaluatePairs(path: spaced, restrict: 4)
        #expect(restricted.pairs == 3 && restricted.skipped == 1)
        #expect(abs(restricted.spearman - 1) < 1e-12)
    }

    /// Public similarity sets ship with CRLF line endings (issue 13): a Swift `String` keeps
    /// "\r\n" as one `Character`, so the whole file was read as one pair, `Spearman nan`, exit 0.
    /// Read as gensim (universal newlines) does, CRLF and CR files give the LF file's answer.
    @Test(arguments: ["\r\n", "\r"])
    func wordPairsWithCRLFReadAsWithLF(ending: String) throws {
        let lines = ["# a comment", "Word 1\tWord 2\tHuman (mean)", "east\tw10\t9.0", "EAST\tw50\t6", "east\tnorth\t3.0",
                     "east\twest\t1.0", "north\tw135\t5.0", "east\tnowhere\t2.0"]
        let unix = try compass.evaluatePairs(path: try temporaryFile("pairs-lf.tsv", lines.joined(separator: "\n") + "\n"), restrict: nil)
        let path = try temporaryFile("pairs-crlf.tsv", lines.joined(separator: ending) + ending)
        let evaluation = try compass.evaluatePairs(path: path, restrict: nil)
        #expect(evaluation == unix)
        #expect(evaluation.pairs == 5 && evaluation.skipped == 1)
        #expect(abs(evaluation.spearman - 0.9) < 1e-9)
    }

    /// A pair file read as fewer than 2 pairs is an error that names the file (not `nan`).
    @Test func fewerThanTwoPairsIsAnError() throws {
        let one = try temporaryFile("one-pair.tsv", "east\tw10\t9.0\n")
        #expect(errorText { try compass.evaluatePairs(path: one, restrict: nil) }.hasPrefix("\(one): read as 1 word pair;"))
        let empty = try temporaryFile("no-pairs.tsv", "# nothing here\n")
        #expect(errorText { try compass.evaluatePairs(path: empty, restrict: nil) }.hasPrefix("\(empty): read as 0 word pairs;"))
        // Two pairs read, one with both words known: nan, as gensim, with the counts that tell why.
        let unknown = try temporaryFile("unknown-pairs.tsv", "east\tw10\t9.0\neast\tnowhere\t2.0\n")
        let evaluation = try compass.evaluatePairs(path: unknown, restrict: nil)
        #expect(evaluation.pairs == 1 && evaluation.skipped == 1 && evaluation.spearman.isNaN)
    }

    /// The analogy reader splits lines the same way: a CRLF questions file gives the LF answers.
    @Test func analogiesWithCRLFReadAsWithLF() throws {
        let unix = try compass.evaluateAnalogies(path: try temporaryFile("questions-lf.txt", Self.questions), restrict: nil)
        let crlf = Self.questions.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        let evaluation = try compass.evaluateAnalogies(path: try temporaryFile("questions-crlf.txt", crlf), restrict: nil)
        #expect(evaluation == unix)
        #expect(evaluation.total.correct == 4)
    }

    struct CorrelationCase: Sendable, CustomTestStringConvertible {
        var x: [Double]
        var y: [Double]
        var spearman: Double
        var pearson: Double
        var testDescription: String { "\(x) vs \(y)" }
    }

    /// Values from scipy.stats (spearmanr averages tied ranks); the first is scipy's documented example.
    @Test(arguments: [
        // y ranks 1 2 3.5 5 3.5: Σ dx·dy = 8, Σ dy² = 9.5, ρ = 8 / √95.
        CorrelationCase(x: [1, 2, 3, 4, 5], y: [5, 6, 7, 8, 7], spearman: 8 / 95.0.squareRoot(), pearson: 0.8320502943378436),
        CorrelationCase(x: [1, 2, 3], y: [2, 4, 7], spearman: 1, pearson: 0.9933992677987828),
        CorrelationCase(x: [3, 1, 4, 1, 5, 9, 2, 6], y: [2, 7, 1, 8, 2, 8, 1, 8], spearman: 0.19885368120992467,
                        pearson: 0.2096553190730121),
        CorrelationCase(x: [1, 2, 3, 4], y: [4, 3, 2, 1], spearman: -1, pearson: -1),
    ])
    func correlations(_ c: CorrelationCase) {
        #expect(abs(Statistics.spearman(c.x, c.y) - c.spearman) < 1e-12)
        #expect(abs(Statistics.pearson(c.x, c.y) - c.pearson) < 1e-12)
    }

    @Test func ranksAverageTiesAndDegenerateInputsAreNaN() {
        #expect(Statistics.ranks([10, 20, 20, 30, 20]) == [1, 3, 3, 5, 3])
        #expect(Statistics.ranks([5, 5, 5]) == [2, 2, 2])
        #expect(Statistics.ranks([]) == [])
        #expect(Statistics.spearman([1, 2, 3], [7, 7, 7]).isNaN)
        #expect(Statistics.pearson([1], [2]).isNaN)
        #expect(Statistics.pearson([1, 2], [1, 2, 3]).isNaN)
    }
}

// MARK: - Vector files

@Suite struct VectorFileTests {
    /// Words that every format holds (binary words end at a space, so none here has one), and
    /// values whose float32 bits must survive: tiny, negative, large, zero, negative zero.
    static let words = ["the", "König", "東京", "a-b", "x"]
    static let matrix: [Float] = [1e-7, -3.25, 123_456.79, 0, -0.0, 0.1, 1 / 3, -2e-38, 7, .greatestFiniteMagnitude,
                                  Float.leastNonzeroMagnitude, 2, 3.5, 4, 5]
    static let vectors = WordVectors(
        vocabulary: Vocabulary(words: words, counts: [50, 40, 30, 20, 10], tokenizer: TokenizerConfiguration(normalize: .nfkcCasefold)),
        dim: 3, matrix: matrix)

    @Test(arguments: VectorFileFormat.allCases)
    func roundTrip(format: VectorFileFormat) throws {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("v.\(format.rawValue)").path
        try Self.vectors.save(to: path, format: format)
        if format == .projector {
            // A directory for TensorBoard, not read back: vectors.tsv and metadata.tsv, one row per word.
            let rows = try String(contentsOfFile: path + "/vectors.tsv", encoding: .utf8).split(separator: "\n")
            let labels = try String(contentsOfFile: path + "/metadata.tsv", encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(labels == Self.words)
            #expect(rows.flatMap { $0.split(separator: "\t").map { Float(String($0))! } }.map(\.bitPattern) == Self.matrix.map(\.bitPattern))
            return
        }
        let (loaded, report) = try WordVectors.load(from: path)
        let expectedFormat: VectorFileFormat = switch format {
        case .fasttext: .word2vecText
        default: format
        }
        #expect(report == VectorLoadReport(format: expectedFormat, invalidWords: 0))
        #expect(loaded.vocabulary.words == Self.words)
        #expect(loaded.dim == 3)
        // Exact for every format: the text formats write the shortest decimal that reads back as the same float.
        #expect(loaded.matrix.map(\.bitPattern) == Self.matrix.map(\.bitPattern))
        if format == .native {
            #expect(loaded.vocabulary == Self.vectors.vocabulary)  // counts and tokenizer configuration too
        } else if format == .fasttextBin {
            #expect(loaded.vocabulary.counts == [50, 40, 30, 20, 10])  // fastText's dictionary keeps the counts
        } else {
            #expect(loaded.vocabulary.counts == [5, 4, 3, 2, 1])  // file order kept as pseudo-counts
        }
    }

    @Test func limitKeepsTheMostFrequent() throws {
        let limited = Self.vectors.limited(to: 2)
        #expect(limited.vocabulary.words == ["the", "König"])
        #expect(limited.vocabulary.counts == [50, 40])
        #expect(limited.vocabulary.tokenizer == Self.vectors.vocabulary.tokenizer)
        #expect(limited.matrix == Array(Self.matrix.prefix(6)))
        #expect(Self.vectors.limited(to: nil).matrix.count == 15)
        #expect(Self.vectors.limited(to: 99).vocabulary.count == 5)
    }

    struct TextCase: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var format: VectorFileFormat
        var words: [String]
        var matrix: [Float]
        var invalidWords = 0
        /// Where the report places the first invalid word, after the path.
        var firstInvalid: String?
        var testDescription: String { name }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [
        TextCase(name: "GloVe: no header", bytes: bytes("the 0.5 -1\nof 2 3e-2\n"), format: .glove, words: ["the", "of"],
                 matrix: [0.5, -1, 2, 0.03]),
        TextCase(name: "words with spaces", bytes: bytes("3 2\nnew york 1 2\nthe 3 4\n. . . 5 6\n"), format: .word2vecText,
                 words: ["new york", "the", ". . ."], matrix: [1, 2, 3, 4, 5, 6]),
        TextCase(name: "GloVe, words with spaces after the first line", bytes: bytes("the 1 2\nnew york 3 4\n"), format: .glove,
                 words: ["the", "new york"], matrix: [1, 2, 3, 4]),
        // word2vec.c ends every text line with a space.
        TextCase(name: "trailing spaces", bytes: bytes("2 2 \nthe 1 2 \nof 3 4  \n"), format: .word2vecText, words: ["the", "of"],
                 matrix: [1, 2, 3, 4]),
        TextCase(name: "CRLF", bytes: bytes("2 2\r\nthe 1 2\r\nof 3 4\r\n"), format: .word2vecText, words: ["the", "of"],
                 matrix: [1, 2, 3, 4]),
        TextCase(name: "no final newline, blank lines", bytes: bytes("2 2\nthe 1 2\n\nof 3 4"), format: .word2vecText,
                 words: ["the", "of"], matrix: [1, 2, 3, 4]),
        TextCase(name: "invalid UTF-8 in a word (text)", bytes: bytes("2 2\nthe 1 2\n") + [0x63, 0x61, 0xFF, 0x66, 0xE9] + bytes(" 3 4\n"),
                 format: .word2vecText, words: ["the", "ca\u{FFFD}f\u{FFFD}"], matrix: [1, 2, 3, 4], invalidWords: 1, firstInvalid: ":3"),
        TextCase(name: "invalid UTF-8 in a word (binary)",
                 bytes: bytes("2 1\nthe ") + floatBytes([1]) + [0x0A, 0x63, 0x61, 0xFF, 0x20] + floatBytes([2]) + [0x0A],
                 format: .word2vecBin, words: ["the", "ca\u{FFFD}"], matrix: [1, 2], invalidWords: 1, firstInvalid: ": byte 13"),
        // word2vec.c writes no newline after the last vector (and some writers none at all).
        TextCase(name: "binary without newlines", bytes: bytes("2 2\nthe ") + floatBytes([1, 2]) + bytes("of ") + floatBytes([3, 4]),
                 format: .word2vecBin, words: ["the", "of"], matrix: [1, 2, 3, 4]),
    ])
    func quirksOfRealFiles(_ c: TextCase) throws {
        let path = try temporaryFile("v.txt", c.bytes)
        let (vectors, report) = try WordVectors.load(from: path)
        #expect(report.format == c.format)
        #expect(report.invalidWords == c.invalidWords)
        #expect(report.firstInvalidWord == c.firstInvalid.map { path + $0 })
        #expect(vectors.vocabulary.words == c.words)
        #expect(vectors.matrix == c.matrix)
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    struct BrokenCase: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        /// The error's text after the path: `:LINE: message`, or `: message` when no line applies.
        var message: String
        var testDescription: String { name }
    }

    /// Every reader's errors, each a bad file that crashed or misled a reader once (issue 13):
    /// text errors name `file:line`, binary ones `file: byte N` (the offset in the file).
    @Test(arguments: [
        BrokenCase(name: "header promises more rows", bytes: bytes("3 2\nthe 1 2\nof 3 4\n"), message: ":1: the header says 3 vectors, the file has 2"),
        BrokenCase(name: "header promises fewer rows", bytes: bytes("1 2\nthe 1 2\nof 3 4\n"), message: ":1: the header says 1 vectors, the file has 2"),
        BrokenCase(name: "not a number", bytes: bytes("2 2\nthe 1 2\nof 3 x\n"), message: ":3: 'x' is not a number"),
        BrokenCase(name: "too few values", bytes: bytes("2 2\nthe 1 2\nof 3\n"), message: ":3: expected a word and 2 values, got 2 fields"),
        BrokenCase(name: "GloVe: a short line", bytes: bytes("the 1 2\nof 3 4\nand 5\n"), message: ":3: expected a word and 2 values, got 2 fields"),
        BrokenCase(name: "GloVe: a word without values", bytes: bytes("the\nof 3 4\n"), message: ":1: expected a word and at least one value, got 1 field"),
        BrokenCase(name: "duplicate word", bytes: bytes("2 1\nthe 1\nthe 2\n"), message: ":3: 'the' appears twice (first on line 2)"),
        BrokenCase(name: "duplicate word (binary)", bytes: bytes("2 1\nthe ") + floatBytes([1]) + [0x0A] + bytes("the ") + floatBytes([2]),
                   message: ": byte 13: 'the' appears twice (first at byte 4)"),
        BrokenCase(name: "empty", bytes: [], message: ": empty file"),
        BrokenCase(name: "truncated binary", bytes: bytes("2 2\nthe ") + floatBytes([1, 2]) + [0x0A] + bytes("of ") + floatBytes([3]),
                   message: ": byte 20: truncated: the header promises 2 vectors, the file ends in vector 2 ('of')"),
        BrokenCase(name: "truncated binary in a word", bytes: bytes("3 1\nthe ") + floatBytes([1]) + bytes("\nof ") + floatBytes([2]) + bytes("\nx"),
                   message: ": byte 21: truncated: the header promises 3 vectors, the file ends in vector 3"),
        BrokenCase(name: "truncated binary: fewer bytes than the rows need", bytes: bytes("3 2\nthe ") + floatBytes([1, 2]) + bytes("\no"),
                   message: ": byte 4: truncated: the header promises 3 vectors of 2 values (at least 10 bytes each), but only 14 bytes follow it"),
        BrokenCase(name: "binary with extra rows", bytes: bytes("1 1\nthe ") + floatBytes([1]) + [0x0A] + bytes("of ") + floatBytes([2]),
                   message: ": byte 13: the header says 1 vectors, but more data follows them"),
        BrokenCase(name: "binary: an empty word", bytes: bytes("2 1\nthe ") + floatBytes([1]) + bytes("\n ") + floatBytes([2]),
                   message: ": byte 13: vector 2 has an empty word"),
        // Only the header, without a newline: the reader sliced past the end of the file and crashed.
        BrokenCase(name: "only the header, no newline", bytes: bytes("2000 50"), message: ":1: the header says 2000 vectors, the file has 0"),
        BrokenCase(name: "only the header", bytes: bytes("2000 50\n"), message: ":1: the header says 2000 vectors, the file has 0"),
        BrokenCase(name: "header of zero vectors", bytes: bytes("0 50\n"), message: ": no vectors"),
        // Counts that exceed the payload: refused before anything is allocated.
        BrokenCase(name: "binary: more rows than bytes", bytes: bytes("2000000000000 50\nthe ") + floatBytes(Array(repeating: 1, count: 50)),
                   message: ": byte 17: truncated: the header promises 2000000000000 vectors of 50 values (at least 202 bytes each), but only 204 bytes follow it"),
        BrokenCase(name: "binary: a dimension larger than the file", bytes: bytes("1 1000000\nthe ") + floatBytes([1, 2]),
                   message: ": byte 10: truncated: the header promises vectors of 1000000 values (4 bytes each), but only 12 bytes follow it"),
        // 4 × dim and rows × dim overflowed.
        BrokenCase(name: "binary: a dimension whose byte size overflows", bytes: bytes("1 4611686018427387904\nthe ") + floatBytes([1, 2]),
                   message: ": byte 22: truncated: the header promises vectors of 4611686018427387904 values (4 bytes each), but only 12 bytes follow it"),
        BrokenCase(name: "binary: rows × dim overflows", bytes: bytes("4611686018427387904 4\nthe ") + floatBytes([1, 2, 3, 4]),
                   message: ": byte 22: truncated: the header promises 4611686018427387904 vectors of 4 values (at least 18 bytes each), but only 20 bytes follow it"),
        BrokenCase(name: "text: a huge dimension", bytes: bytes("1 9223372036854775807\nthe 1 2\n"),
                   message: ":2: expected a word and 9223372036854775807 values, got 3 fields"),
        BrokenCase(name: "header: a count too large", bytes: bytes("99999999999999999999 2\nthe 1 2\n"),
                   message: ":1: the header '99999999999999999999 2' holds a number too large to be a vector count or dimension"),
        BrokenCase(name: "header: negative count", bytes: bytes("-5 2\nthe 1 2\n"), message: ":1: the header gives -5 vectors; expected a count of at least 0"),
        BrokenCase(name: "header: negative dimension", bytes: bytes("1 -2\nthe 1 2\n"), message: ":1: the header gives dimension -2; expected at least 1"),
        BrokenCase(name: "header: zero dimension", bytes: bytes("1 0\nthe\n"), message: ":1: the header gives dimension 0; expected at least 1"),
        // A row of another dimension than the header's, and than the first row's (GloVe).
        BrokenCase(name: "text: a row with fewer values", bytes: bytes("2 3\nthe 1 2 3\nof 1 2\n"), message: ":3: expected a word and 3 values, got 3 fields"),
        BrokenCase(name: "GloVe: a row with fewer values", bytes: bytes("the 1 2 3\nof 1 2\n"), message: ":2: expected a word and 3 values, got 3 fields"),
        BrokenCase(name: "text: a truncated last row", bytes: bytes("2 3\nthe 1 2 3\nof 1 2."), message: ":3: expected a word and 3 values, got 3 fields"),
    ])
    func brokenFilesAreErrorsNamingFileAndLine(_ c: BrokenCase) throws {
        let path = try temporaryFile("broken.vec", c.bytes)
        #expect(errorText { try WordVectors.load(from: path) } == path + c.message)
    }

    @Test func nativeFileDamageIsAnError() throws {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("v.wpv").path
        try Self.vectors.write(to: path, format: .native)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(4)
        try data.write(to: URL(fileURLWithPath: path))
        #expect(errorText { try WordVectors.load(from: path) }.contains("truncated or damaged"))
        #expect(errorText { try WordVectors.load(from: "/nonexistent/v.bin") } == "/nonexistent/v.bin: cannot open the file")
        // A device would never end the read, a FIFO would block it.
        let fifo = try SharedData.temporaryDirectory().appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for (special, what) in [("/dev/zero", "not a regular file (a device, pipe or socket)"), (NSTemporaryDirectory(), "a directory"),
                                (fifo, "not a regular file (a device, pipe or socket)")] {
            let expected = special + ": this is \(what), not a vector file; give vectors written by wordpipe train (.wpv) or by word2vec, fastText or GloVe"
            #expect(errorText { try WordVectors.load(from: special) } == expected)
            #expect(errorText { try VectorStore.load(from: special) } == expected)
        }
    }
}

// MARK: - gensim's own test files

/// Vector files from gensim's test data, in the benchmark venv when it is installed. The sizes
/// and neighbours below were read with gensim 4.4.0 (`KeyedVectors.load_word2vec_format`, and
/// `most_similar(word, topn=3)`).
@Suite struct GensimFileTests {
    static let directory = SharedData.repositoryRoot.appendingPathComponent(
        "Benchmarks/.venv/lib/python3.11/site-packages/gensim/test/test_data").path
    static let available = FileManager.default.fileExists(atPath: directory + "/lee_fasttext.vec")
    static let absent = Comment(rawValue: "needs gensim's test data in Benchmarks/.venv (pip install gensim==4.4.0 there), which is absent")

    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var format: VectorFileFormat
        var count: Int
        var dim: Int
        var first: String
        var last: String
        /// gensim's `most_similar(first, topn=3)`.
        var neighbours: [(String, Double)] = []
        var invalidWords = 0
        var testDescription: String { file }
    }

    @Test(.enabled(if: available, absent), arguments: [
        // A text file with a header despite its name (gensim reads it with binary=False): 1750 × 10.
        Case(file: "word2vec_pre_kv_c", format: .word2vecText, count: 1750, dim: 10, first: "the", last: "indonesian",
             neighbours: [("which", 0.9997303485870361), ("up", 0.9997097253799438), ("state", 0.999625027179718)]),
        Case(file: "lee_fasttext.vec", format: .word2vecText, count: 1762, dim: 10, first: "the", last: "hundred",
             neighbours: [("data", 0.951461672782898), ("B-52", 0.9467236995697021), ("seen", 0.9390129446983337)]),
        // GloVe (no_header=True): 76 × 50, with Devanagari words.
        Case(file: "test_glove.txt", format: .glove, count: 76, dim: 50, first: "the", last: "into",
             neighbours: [("which", 0.9221876263618469), ("हि", 0.9029428362846375), ("हु", 0.9026352763175964)]),
        Case(file: "euclidean_vectors.bin", format: .word2vecBin, count: 2747, dim: 10, first: "the", last: "fly",
             neighbours: [("card", 0.9319058656692505), ("militias", 0.9280534386634827), ("independence", 0.9239677786827087)]),
        Case(file: "toy-model.vec", format: .word2vecText, count: 22, dim: 5, first: "the", last: "by"),
        Case(file: "crime-and-punishment.vec", format: .word2vecText, count: 291, dim: 5, first: "и", last: "напротив;"),
        Case(file: "high_precision.kv.bin", format: .word2vecBin, count: 2, dim: 2, first: "kangaroo.n.01", last: "horse.n.01"),
        // 5 words are Latin-1, not UTF-8 (gensim needs unicode_errors='replace'): 1694 × 100.
        Case(file: "pang_lee_polarity_fasttext.vec", format: .word2vecText, count: 1694, dim: 100, first: ".", last: "worse",
             invalidWords: 5),
    ])
    func loadsAsGensimDoes(_ c: Case) throws {
        let (vectors, report) = try WordVectors.load(from: Self.directory + "/" + c.file)
        #expect(report.format == c.format)
        #expect(report.invalidWords == c.invalidWords)
        #expect(vectors.vocabulary.count == c.count)
        #expect(vectors.dim == c.dim)
        #expect(vectors.vocabulary.words.first == c.first)
        #expect(vectors.vocabulary.words.last == c.last)
        if !c.neighbours.isEmpty {
            expectAnswers(try VectorStore(vectors).nearest(positive: [c.first], k: 3), c.neighbours, tolerance: 1e-5)
        }
    }

    @Test(.enabled(if: available, absent))
    func valuesAndErrorsMatchGensim() throws {
        // high_precision.kv.txt keeps more digits than float32: gensim reads -0.0007369244121946394.
        let (text, _) = try WordVectors.load(from: Self.directory + "/high_precision.kv.txt")
        #expect(text.matrix[0] == Float(-0.0007369244245224787))
        // test_glove.txt: gensim's similarity('the', 'of') is 0.82541704.
        let (glove, _) = try WordVectors.load(from: Self.directory + "/test_glove.txt")
        #expect(abs(try VectorStore(glove).similarity("the", "of") - 0.82541704) < 1e-6)
        // pretrained.vec promises 3 vectors and has 1 (gensim: "unexpected end of input; is count incorrect").
        let path = Self.directory + "/pretrained.vec"
        #expect(errorText { try WordVectors.load(from: path) } == "\(path):1: the header says 3 vectors, the file has 1")
    }
}
