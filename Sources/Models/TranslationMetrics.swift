import Foundation

/// Corpus BLEU and chrF as sacreBLEU 2.x computes them by default, so that a score printed by
/// `wordpipe evaluate-seq2seq` can be put beside a published sacreBLEU score.
///
/// BLEU (Papineni et al. 2002): clipped n-gram matches for n = 1...4 summed over the corpus,
/// the geometric mean of the four precisions, a brevity penalty from the summed closest
/// reference lengths, and the "exp" smoothing of mteval-v13a (an order with no match counts
/// 1 / (2^k · total), k = how many such orders so far). Segments are tokenized as sacreBLEU's
/// `13a` tokenizer does (or split on whitespace with `none`), optionally after lower-casing.
///
/// chrF (Popović 2015) as sacreBLEU's `chrF2`: character n-grams of orders 1...6 with the
/// whitespace removed, statistics summed over the corpus, precision and recall averaged over the
/// orders both sides have, and F-beta with beta = 2.
///
/// Strings are handled as sequences of Unicode scalars, as Python's `str` is.
public enum TranslationMetrics {
    /// How segments are split into words before BLEU counts n-grams.
    public enum BLEUTokenizer: String, Codable, Sendable, CaseIterable {
        /// mteval-v13a's tokenization (sacreBLEU's default).
        case thirteenA = "13a"
        /// Whitespace only: the text is already tokenized.
        case none
    }

    /// The BLEU score with the statistics it comes from (as sacreBLEU's `BLEUScore`).
    public struct BLEU: Codable, Sendable, Equatable {
        /// The score, 0...100.
        public var score: Double
        /// Matched n-grams of orders 1...4.
        public var counts: [Int]
        /// Hypothesis n-grams of orders 1...4.
        public var totals: [Int]
        /// The four (smoothed) precisions, in percent.
        public var precisions: [Double]
        /// The brevity penalty.
        public var brevityPenalty: Double
        /// Hypothesis words.
        public var hypothesisLength: Int
        /// Reference words (the closest reference per segment).
        public var referenceLength: Int
    }

    /// The largest n-gram order of BLEU.
    public static let bleuOrder = 4
    /// The character n-gram order of chrF.
    public static let chrfOrder = 6
    /// The beta of chrF (recall weighs beta times as much as precision).
    public static let chrfBeta = 2.0

    /// Corpus BLEU of `hypotheses` against one or more reference streams (each as long as
    /// `hypotheses`; the caller checks the counts).
    public static func bleu(hypotheses: [String], references: [[String]], lowercase: Bool = false,
                            tokenizer: BLEUTokenizer = .thirteenA) -> BLEU {
        var correct = [Int](repeating: 0, count: bleuOrder)
        var total = [Int](repeating: 0, count: bleuOrder)
        var hypothesisLength = 0
        var referenceLength = 0
        for (index, hypothesis) in hypotheses.enumerated() {
            let words = bleuWords(hypothesis, lowercase: lowercase, tokenizer: tokenizer)
            var referenceCounts: [[String]: Int] = [:]
            var lengths: [Int] = []
            for stream in references where index < stream.count {
                let referenceWords = bleuWords(stream[index], lowercase: lowercase, tokenizer: tokenizer)
                lengths.append(referenceWords.count)
                for (gram, count) in ngrams(referenceWords) {
                    referenceCounts[gram] = max(referenceCounts[gram] ?? 0, count)
                }
            }
            hypothesisLength += words.count
            referenceLength += closestLength(words.count, lengths)
            for (gram, count) in ngrams(words) {
                total[gram.count - 1] += count
                if let inReference = referenceCounts[gram] { correct[gram.count - 1] += min(count, inReference) }
            }
        }
        return bleu(correct: correct, total: total, hypothesisLength: hypothesisLength, referenceLength: referenceLength)
    }

    /// BLEU from its summed statistics, as sacreBLEU's `compute_bleu` with "exp" smoothing.
    public static func bleu(correct: [Int], total: [Int], hypothesisLength: Int, referenceLength: Int) -> BLEU {
        let brevityPenalty: Double
        if hypothesisLength < referenceLength {
            brevityPenalty = hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        } else {
            brevityPenalty = 1
        }
        var precisions = [Double](repeating: 0, count: bleuOrder)
        var result = BLEU(score: 0, counts: correct, totals: total, precisions: precisions, brevityPenalty: brevityPenalty,
                          hypothesisLength: hypothesisLength, referenceLength: referenceLength)
        guard correct.contains(where: { $0 > 0 }) else { return result }
        var smoothing = 1.0
        for n in 0..<bleuOrder {
            if total[n] == 0 { break }
            if correct[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(total[n]))
            } else {
                precisions[n] = 100 * Double(correct[n]) / Double(total[n])
            }
        }
        // sacreBLEU's my_log: log(0) is floored at -9999999999.
        let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        result.precisions = precisions
        result.score = brevityPenalty * exp(logSum / Double(bleuOrder))
        return result
    }

    /// Corpus chrF (chrF2, character order 6, no word n-grams) of `hypotheses` against one or
    /// more reference streams; per segment the reference with the best chrF counts.
    public static func chrf(hypotheses: [String], references: [[String]], lowercase: Bool = false) -> Double {
        var statistics = [Int](repeating: 0, count: 3 * chrfOrder)
        for (index, hypothesis) in hypotheses.enumerated() {
            let hypothesisGrams = characterNgrams(lowercase ? hypothesis.lowercased() : hypothesis)
            var best: [Int] = []
            var bestScore = -1.0
            for stream in references where index < stream.count {
                let referenceGrams = characterNgrams(lowercase ? stream[index].lowercased() : stream[index])
                var segment: [Int] = []
                for order in 0..<chrfOrder {
                    var matched = 0
                    var hypothesisCount = 0
                    for (gram, count) in hypothesisGrams[order] {
                        hypothesisCount += count
                        if let inReference = referenceGrams[order][gram] { matched += min(count, inReference) }
                    }
                    segment += [hypothesisCount, referenceGrams[order].values.reduce(0, +), matched]
                }
                let score = chrfScore(segment)
                if score > bestScore {
                    bestScore = score
                    best = segment
                }
            }
            for (slot, value) in best.enumerated() { statistics[slot] += value }
        }
        return chrfScore(statistics)
    }

    /// chrF from `[hypothesis, reference, matched]` counts per order (sacreBLEU's `_compute_f_score`
    /// without eps smoothing), 0...100.
    public static func chrfScore(_ statistics: [Int]) -> Double {
        let factor = chrfBeta * chrfBeta
        var precision = 0.0
        var recall = 0.0
        var orders = 0
        for order in 0..<(statistics.count / 3) {
            let hypothesis = statistics[3 * order], reference = statistics[3 * order + 1], matched = statistics[3 * order + 2]
            if hypothesis > 0 && reference > 0 {
                precision += Double(matched) / Double(hypothesis)
                recall += Double(matched) / Double(reference)
                orders += 1
            }
        }
        guard orders > 0 else { return 0 }
        precision /= Double(orders)
        recall /= Double(orders)
        guard precision + recall > 0 else { return 0 }
        return 100 * (1 + factor) * precision * recall / (factor * precision + recall)
    }

    // MARK: - Tokenization

    /// The words BLEU counts in one segment: lower-cased if asked, trailing whitespace removed,
    /// then tokenized.
    public static func bleuWords(_ segment: String, lowercase: Bool, tokenizer: BLEUTokenizer) -> [String] {
        let text = lowercase ? segment.lowercased() : segment
        var scalars = Array(text.unicodeScalars)
        while let last = scalars.last, isPythonSpace(last) { scalars.removeLast() }
        switch tokenizer {
        case .none: return split(scalars)
        case .thirteenA: return split(tokenize13a(scalars))
        }
    }

    /// sacreBLEU's `Tokenizer13a` up to the final whitespace split: the mteval-v13a entity and
    /// hyphenation replacements, then its four regular expressions applied left to right with
    /// non-overlapping matches as Python's `re.sub` does.
    static func tokenize13a(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var line = replace(input, "<skipped>", "")
        line = replace(line, "-\n", "")
        line = replace(line, "\n", " ")
        if line.contains("&") {
            line = replace(line, "&quot;", "\"")
            line = replace(line, "&amp;", "&")
            line = replace(line, "&lt;", "<")
            line = replace(line, "&gt;", ">")
        }
        line = [" "] + line + [" "]
        // 1. ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(line.count * 2)
        for scalar in line {
            if isSeparatedSymbol(scalar) { out += [" ", scalar, " "] } else { out.append(scalar) }
        }
        // 2. ([^0-9])([\.,]) -> "\1 \2 "
        out = substitutePairs(out, first: { !isDigit($0) }, second: isPeriodOrComma) { [$0, " ", $1, " "] }
        // 3. ([\.,])([^0-9]) -> " \1 \2"
        out = substitutePairs(out, first: isPeriodOrComma, second: { !isDigit($0) }) { [" ", $0, " ", $1] }
        // 4. ([0-9])(-) -> "\1 \2 "
        out = substitutePairs(out, first: isDigit, second: { $0 == "-" }) { [$0, " ", $1, " "] }
        return out
    }

    /// Replaces every match of a two-scalar pattern, scanning left to right without overlap.
    private static func substitutePairs(_ input: [Unicode.Scalar], first: (Unicode.Scalar) -> Bool,
                                        second: (Unicode.Scalar) -> Bool,
                                        with replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count + input.count / 2)
        var index = 0
        while index < input.count {
            if index + 1 < input.count, first(input[index]), second(input[index + 1]) {
                out += replacement(input[index], input[index + 1])
                index += 2
            } else {
                out.append(input[index])
                index += 1
            }
        }
        return out
    }

    /// Python's `str.replace` on scalars.
    private static func replace(_ input: [Unicode.Scalar], _ pattern: String, _ replacement: String) -> [Unicode.Scalar] {
        let target = Array(pattern.unicodeScalars)
        let with = Array(replacement.unicodeScalars)
        guard let head = target.first, input.count >= target.count else { return input }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == head, index + target.count <= input.count, Array(input[index..<(index + target.count)]) == target {
                out += with
                index += target.count
            } else {
                out.append(input[index])
                index += 1
            }
        }
        return out
    }

    /// The characters 13a puts spaces around: `{|}~ [\]^_` space-& (-+ :-@ /`.
    private static func isSeparatedSymbol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 0x30 && scalar.value <= 0x39 }
    private static func isPeriodOrComma(_ scalar: Unicode.Scalar) -> Bool { scalar == "." || scalar == "," }

    /// Python's `str.isspace` for one code point (what `str.split()` splits on).
    static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Python's `str.split()`: runs of whitespace separate, none at the ends.
    static func split(_ scalars: [Unicode.Scalar]) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in scalars {
            if isPythonSpace(scalar) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Counts of the word n-grams of orders 1...4.
    private static func ngrams(_ words: [String]) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        for n in 1...bleuOrder where words.count >= n {
            for start in 0...(words.count - n) { counts[Array(words[start..<(start + n)]), default: 0] += 1 }
        }
        return counts
    }

    /// The reference length closest to `length`, the shorter on a tie (sacreBLEU's `_get_closest_ref_len`).
    private static func closestLength(_ length: Int, _ lengths: [Int]) -> Int {
        var bestDifference = -1
        var best = 0
        for candidate in lengths {
            let difference = abs(length - candidate)
            if bestDifference == -1 || difference < bestDifference || (difference == bestDifference && candidate < best) {
                bestDifference = difference
                best = candidate
            }
        }
        return best
    }

    /// Counts of character n-grams of orders 1...6 of `text` with its whitespace removed.
    private static func characterNgrams(_ text: String) -> [[[UInt32]: Int]] {
        let scalars = text.unicodeScalars.filter { !isPythonSpace($0) }.map(\.value)
        var result: [[[UInt32]: Int]] = []
        for n in 1...chrfOrder {
            var counts: [[UInt32]: Int] = [:]
            if scalars.count >= n {
                for start in 0...(scalars.count - n) { counts[Array(scalars[start..<(start + n)]), default: 0] += 1 }
            }
            result.append(counts)
        }
        return result
    }
}
