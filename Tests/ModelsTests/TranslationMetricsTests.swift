import Foundation
import Testing
@testable import Models

/// BLEU and chrF on cases worked out by hand (and the same as sacreBLEU 2.6 gives).
@Suite struct TranslationMetricsTests {
    @Test(arguments: [
        ("Hello, world.", "Hello , world ."),
        ("It costs 3.14 or 1,000 dollars.", "It costs 3.14 or 1,000 dollars ."),
        ("pages 5-6 and well-known", "pages 5 - 6 and well-known"),
        ("&quot;hi&quot; &amp; &lt;b&gt;", "\" hi \" & < b >"),
        ("don't (really) $5 a/b", "don't ( really ) $ 5 a / b"),
        ("end..", "end . ."),
        ("<skipped>x", "x"),
        ("   spaced\tout  ", "spaced out"),
    ])
    func thirteenA(input: String, expected: String) {
        #expect(TranslationMetrics.bleuWords(input, lowercase: false, tokenizer: .thirteenA).joined(separator: " ") == expected)
    }

    @Test func noneTokenizerOnlySplitsOnWhitespace() {
        #expect(TranslationMetrics.bleuWords("Hello, world.", lowercase: true, tokenizer: .none) == ["hello,", "world."])
    }

    @Test func identicalIsHundred() {
        let lines = ["the cat sat on the mat .", "a dog runs in the park"]
        let bleu = TranslationMetrics.bleu(hypotheses: lines, references: [lines])
        #expect(abs(bleu.score - 100) < 1e-9)
        #expect(abs(TranslationMetrics.chrf(hypotheses: lines, references: [lines]) - 100) < 1e-9)
    }

    /// "the cat the cat" against "the cat sat on the mat": unigrams 3/4 (clipped), bigrams 1/3,
    /// trigrams 0/2 and 4-grams 0/1 smoothed to 100/(2·2) and 100/(4·1); brevity penalty e^(1-6/4).
    @Test func clippingSmoothingAndBrevity() {
        let bleu = TranslationMetrics.bleu(hypotheses: ["the cat the cat"], references: [["the cat sat on the mat"]])
        #expect(bleu.counts == [3, 1, 0, 0])
        #expect(bleu.totals == [4, 3, 2, 1])
        #expect(bleu.hypothesisLength == 4 && bleu.referenceLength == 6)
        let expected = exp(-0.5) * pow(75 * (100.0 / 3) * 25 * 25, 0.25)
        #expect(abs(bleu.score - expected) < 1e-9)
        #expect(abs(bleu.score - 21.444) < 1e-3)
    }

    @Test func noMatchIsZeroAndLowercaseMatters() {
        #expect(TranslationMetrics.bleu(hypotheses: ["x y z"], references: [["a b c"]]).score == 0)
        let mixed = TranslationMetrics.bleu(hypotheses: ["The Cat sat on The Mat"], references: [["the cat sat on the mat"]])
        let lower = TranslationMetrics.bleu(hypotheses: ["The Cat sat on The Mat"], references: [["the cat sat on the mat"]], lowercase: true)
        #expect(mixed.counts == [2, 1, 0, 0])
        #expect(abs(lower.score - 100) < 1e-9)
        // A two-word segment has no 3-grams: without effective order its BLEU is 0 even when equal.
        #expect(TranslationMetrics.bleu(hypotheses: ["the cat"], references: [["the cat"]]).score < 1e-6)
    }

    /// Two references of 3 and 5 words for a 4-word hypothesis: the shorter one is the closest.
    @Test func closestReferenceLengthPrefersShorterOnTie() {
        let bleu = TranslationMetrics.bleu(hypotheses: ["a b c d"], references: [["a b c"], ["a b c d e"]])
        #expect(bleu.referenceLength == 3)
    }

    /// "ab" against "ac": 1-grams 1 of 2 both ways, 2-grams 0 of 1; orders 3 to 6 are absent.
    /// Precision = recall = (1/2 + 0) / 2 = 1/4, so chrF2 = 25.
    @Test func chrfByHand() {
        #expect(abs(TranslationMetrics.chrf(hypotheses: ["ab"], references: [["ac"]]) - 25) < 1e-9)
        // Whitespace is removed before counting.
        #expect(abs(TranslationMetrics.chrf(hypotheses: ["a b"], references: [["ab"]]) - 100) < 1e-9)
        // "a" against "ab": P = 1 and R = 1/2 at order 1 only, so F2 = 5·(1·½)/(4·1 + ½) = 5/9.
        #expect(abs(TranslationMetrics.chrf(hypotheses: ["a"], references: [["ab"]]) - 100 * 2.5 / 4.5) < 1e-9)
    }
}
