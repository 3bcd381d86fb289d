import ArgumentParser
import Corpora
import Foundation
import Models
import WordPipeSupport

extension TranslationMetrics.BLEUTokenizer: ExpressibleByArgument {}

/// `wordpipe evaluate-seq2seq`: corpus BLEU and chrF of translations against references, as
/// sacreBLEU computes them by default.
struct EvaluateSeq2Seq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-seq2seq",
        abstract: "Score translations: corpus BLEU and chrF2, equal to sacreBLEU's defaults.",
        discussion: """
            Both files hold one segment per line (plain, .gz or .bz2), the hypotheses line by line \
            against the references. BLEU is sacreBLEU's default (13a tokenization, exp smoothing, \
            4-grams, closest reference length); chrF is chrF2 (character 6-grams, no word n-grams). \
            Several --references files give several references per segment.
            """)

    @Option(help: "The system's translations, one segment per line.")
    var hypotheses: String

    @Option(parsing: .upToNextOption, help: "Reference translations, one segment per line (one or more files).")
    var references: [String]

    @Flag(help: "Lower-case hypotheses and references first (sacreBLEU's -lc).")
    var lowercase = false

    @Option(help: "BLEU's tokenization: 13a (sacreBLEU's default) or none (already tokenized).")
    var tokenize: TranslationMetrics.BLEUTokenizer = .thirteenA

    @Flag(help: "One JSON object (sorted keys) with bleu, chrf and BLEU's statistics.")
    var json = false

    func validate() throws {
        if references.isEmpty { throw ValidationError("--references needs at least one file") }
    }

    func run() throws {
        do {
            let hypothesisLines = try TextLines.read(path: hypotheses)
            var referenceLines: [[String]] = []
            for path in references {
                let lines = try TextLines.read(path: path)
                if lines.count != hypothesisLines.count {
                    throw ValidationError("\(hypotheses) has \(hypothesisLines.count) lines but \(path) has \(lines.count); the hypotheses and each reference file must be line-aligned")
                }
                referenceLines.append(lines)
            }
            let bleu = TranslationMetrics.bleu(hypotheses: hypothesisLines, references: referenceLines,
                                               lowercase: lowercase, tokenizer: tokenize)
            let chrf = TranslationMetrics.chrf(hypotheses: hypothesisLines, references: referenceLines, lowercase: lowercase)
            if json {
                printJSON(["bleu": bleu.score, "chrf": chrf, "bleu_counts": bleu.counts, "bleu_totals": bleu.totals,
                           "bleu_precisions": bleu.precisions, "brevity_penalty": bleu.brevityPenalty,
                           "hypothesis_length": bleu.hypothesisLength, "reference_length": bleu.referenceLength,
                           "segments": hypothesisLines.count, "lowercase": lowercase, "tokenize": tokenize.rawValue])
            } else {
                let ratio = bleu.referenceLength == 0 ? 0 : Double(bleu.hypothesisLength) / Double(bleu.referenceLength)
                let precisions = bleu.precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
                emit(String(format: "BLEU = %.2f ", bleu.score) + precisions
                     + String(format: " (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
                              bleu.brevityPenalty, ratio, bleu.hypothesisLength, bleu.referenceLength))
                emit(String(format: "chrF2 = %.2f", chrf))
            }
        } catch {
            throw StageFailure(stage: "evaluate-seq2seq", underlying: error)
        }
    }
}
