import ArgumentParser
import Corpora
import Foundation
import Models
import Tokenization
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
            Several --references files give several references per segment. With --model and --source, \
            it also gives the model's perplexity of the (first) references given the source, teacher \
            forced, per target token with </s> counted (OpenNMT's GOLD PPL); --hypotheses may then be left out.
            """)

    @Option(help: "The system's translations, one segment per line.")
    var hypotheses: String?

    @Option(help: "With --source: an encoder-decoder whose perplexity of the references is reported.")
    var model: String?

    @Option(help: "With --model: the source side of the references, line-aligned with them.")
    var source: String?

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
        if (model == nil) != (source == nil) { throw ValidationError("--model and --source go together (the perplexity of the references given the source)") }
        if hypotheses == nil && model == nil { throw ValidationError("give --hypotheses to score translations, or --model and --source for the perplexity of the references") }
    }

    func run() throws {
        do {
            var fields: [String: Any] = [:]
            if let model, let source {
                let loaded = try Seq2Seq.load(from: model).model
                let (perplexity, tokens) = try Seq2SeqTraining.perplexity(loaded, on: ParallelFiles(source: source, target: references[0]))
                fields["perplexity"] = perplexity
                fields["target_tokens"] = tokens
                if !json { emit(String(format: "perplexity = %.2f (%d target tokens with </s>)", perplexity, tokens)) }
            }
            guard let hypotheses else {
                if json { printJSON(fields) }
                return
            }
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
                printJSON(fields.merging(["bleu": bleu.score, "chrf": chrf, "bleu_counts": bleu.counts, "bleu_totals": bleu.totals,
                                          "bleu_precisions": bleu.precisions, "brevity_penalty": bleu.brevityPenalty,
                                          "hypothesis_length": bleu.hypothesisLength, "reference_length": bleu.referenceLength,
                                          "segments": hypothesisLines.count, "lowercase": lowercase,
                                          "tokenize": tokenize.rawValue]) { first, _ in first })
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

extension AttentionKind: ExpressibleByArgument {}

/// train-seq2seq: a 1-layer bidirectional GRU encoder of 2 x 128, Adam at 0.001.
enum Seq2SeqEncoderDefaults: EncoderDefaults {
    static var settings: EncoderSettings { Seq2SeqConfiguration.defaultSettings }
    static var optimizerHelp: String { "Optimizer: adam, or sgd (momentum 0.9, lr / (1 + 0.05 epoch))." }
    static var learningRateHelp: String {
        "Learning rate (default 0.001 for adam, \(number(OptimizerKind.sgd.defaultLearningRate)) for sgd)."
    }
    static var batchHelp: String { "Sentence pairs per batch (bucketed by source length)." }
    static var offersBidirectional: Bool { true }
}

/// `wordpipe train-seq2seq`.
struct TrainSeq2Seq: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-seq2seq",
        abstract: "Train an encoder-decoder with attention on parallel text (translation: the N-M architecture).",
        discussion: """
            --source and --target are line-aligned files (plain, .gz or .bz2) of tokenized text, one segment \
            per line, tokens separated by spaces. The encoder is a bidirectional GRU or LSTM (--hidden units per \
            direction), a learned bridge maps its final states to the decoder's initial states, and the decoder \
            (2 x --hidden units) writes the target with global attention (--attention) over the encoder's \
            outputs. Training uses teacher forcing on batches bucketed by source length; pairs with a side longer \
            than --max-length tokens are dropped and counted. Each epoch prints the dev BLEU of greedy \
            translations (sacreBLEU's default on the tokens joined by spaces); the best epoch is kept. \
            Instead of two files a side, --pairs and --dev-pairs take one file of pairs, source TAB target \
            per line.
            """)

    @Option(help: "Training source side.")
    var source: String?

    @Option(help: "Training target side, line-aligned with --source.")
    var target: String?

    @Option(help: "Development source side (greedy BLEU each epoch; the best epoch is kept).")
    var devSource: String?

    @Option(help: "Development target side.")
    var devTarget: String?

    @Option(help: "Training pairs in one file, source TAB target per line (instead of --source and --target).")
    var pairs: String?

    @Option(help: "Development pairs in one file, source TAB target per line (instead of --dev-source and --dev-target).")
    var devPairs: String?

    @Option(help: "Attention: bahdanau (additive), luong-general, luong-dot or none.")
    var attention: AttentionKind = Seq2SeqConfiguration().attention

    @Option(help: "Words occurring fewer times than this in training read as <unk> (each side).")
    var minCount: Int = Seq2SeqConfiguration().minCount

    @Option(help: "At most this many words per side, most frequent first (0: no limit).")
    var maxSize: Int = Seq2SeqConfiguration().maxSize

    @Option(help: "Drop training pairs with a side longer than this many tokens (they are counted).")
    var maxLength: Int = Seq2SeqConfiguration().maxLength

    @Flag(help: "Tie the decoder's output layer to its input embedding (needs --dim equal to 2 x --hidden).")
    var tied = false

    @Flag(help: "Luong's input feeding: the decoder also reads the previous step's attentional vector (OpenNMT's input_feed; needs attention; decodes one step at a time, so trains slower).")
    var inputFeeding = false

    @Flag(help: "Split raw text with the ICU tokenizer, each side with its locale's rules (surface forms kept); stored in the model, which then tokenizes translate's input and detokenizes its output.")
    var tokenize = false

    @Option(help: "With --tokenize: the source side's locale (en, de, fr, ...; default: the root rules).")
    var sourceLocale: String = ""

    @Option(help: "With --tokenize: the target side's locale, also the language of the output's spacing.")
    var targetLocale: String = ""

    @Option(help: "Divide the step size by this each epoch after --decay-after epochs, with adam or sgd (1: the optimizer's default schedule).")
    var lrDecay: Double = Seq2SeqConfiguration().lrDecay

    @Option(help: "Epochs at the full step size before --lr-decay applies.")
    var decayAfter: Int = Seq2SeqConfiguration().decayAfter

    @Option(help: "Label smoothing of the training loss: 1 - e on the gold word, e spread over the others (OpenNMT's; 0: off).")
    var labelSmoothing: Double = Seq2SeqConfiguration().labelSmoothing

    @Option(help: "Word vectors (wordpipe train's output) to start the source embedding from; random without.")
    var sourceVectors: String?

    @OptionGroup var encoder: EncoderOptionGroup<Seq2SeqEncoderDefaults>

    @Option(name: .shortAndLong, help: "Output model file.")
    var output: String

    var stageConfiguration: Seq2SeqConfiguration {
        var configuration = Seq2SeqConfiguration()
        configuration.attention = attention
        configuration.minCount = minCount
        configuration.maxSize = maxSize
        configuration.maxLength = maxLength
        configuration.tied = tied
        configuration.labelSmoothing = labelSmoothing
        configuration.lrDecay = lrDecay
        configuration.tokenize = tokenize
        configuration.sourceLocale = sourceLocale
        configuration.targetLocale = targetLocale
        configuration.decayAfter = decayAfter
        configuration.inputFeeding = inputFeeding
        configuration.encoder = encoder.settings
        return configuration
    }

    /// The parallel files of one set: two files a side, or one of pairs.
    static func files(source: String?, target: String?, pairs: String?, set: String) throws -> ParallelFiles {
        let prefix = set == "training" ? "--" : "--dev-"
        switch (source, target, pairs) {
        case let (source?, target?, nil): return ParallelFiles(source: source, target: target)
        case let (nil, nil, pairs?): return ParallelFiles(pairs: pairs)
        case (_, _, _?): throw ValidationError("give the \(set) data as \(prefix)pairs or as \(prefix)source and \(prefix)target, not both")
        default: throw ValidationError("give the \(set) data as \(prefix)source and \(prefix)target (two line-aligned files) or \(prefix)pairs (source TAB target per line)")
        }
    }

    var trainFiles: ParallelFiles { get throws { try Self.files(source: source, target: target, pairs: pairs, set: "training") } }
    var devFiles: ParallelFiles { get throws { try Self.files(source: devSource, target: devTarget, pairs: devPairs, set: "dev") } }

    func validate() throws {
        _ = try trainFiles
        _ = try devFiles
        if encoder.vectors != nil { throw ValidationError("train-seq2seq takes --source-vectors (the source side's word vectors), not --vectors") }
        try validateConfiguration(stageConfiguration.validate)
        try checkOutputPath(output)
    }

    func run() throws {
        try trainAndSave(stage: "train-seq2seq", to: output, dev: { (metrics: Seq2SeqMetrics) in
            String(format: "dev BLEU %.2f chrF2 %.2f (greedy)", metrics.bleu, metrics.chrf)
        }) {
            try Seq2SeqTraining.run(train: try trainFiles, dev: try devFiles,
                                    vectorsPath: sourceVectors, configuration: stageConfiguration,
                                    options: encoder.trainingOptions(stage: "train-seq2seq"))
        }
    }
}

/// `wordpipe translate`.
struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate tokenized text with an encoder-decoder, one output line per input line.",
        discussion: """
            Reads FILE, or standard input line by line when no file is given (each line is answered as soon as \
            it is read). Each line is tokenized text (tokens separated by spaces); the output is the target \
            tokens joined by spaces (--detokenize: as a reader sees them). A model trained with --tokenize \
            reads raw text with its source tokenizer and writes its target language's spacing. --beam 1 is greedy decoding; a larger beam keeps that many hypotheses and \
            ranks the finished ones by log-probability over GNMT's length penalty ((5 + length) / 6)^alpha. \
            A source longer than \(Seq2Seq.maxSourceTokens) tokens is cut to its first \(Seq2Seq.maxSourceTokens) \
            (with a warning naming the line). --json prints one object per line: translation, tokens, score, \
            log_probability, and with --n-best the other hypotheses, with --attention the attention matrix.
            """)

    @Option(help: "Encoder-decoder model file (train-seq2seq's output).")
    var model: String

    @Argument(help: "Input file (default: standard input).")
    var input: String?

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output: String?

    @Option(help: "Beam size (1: greedy).")
    var beam: Int = 1

    @Option(help: "Length normalization alpha of beam search (GNMT; 0: raw log-probability).")
    var alpha: Double = DecodingOptions().alpha

    @Option(help: "At most this many output tokens per source token (plus 5).")
    var maxRatio: Double = DecodingOptions().maxRatio

    @Option(help: "With --json, the N best hypotheses (N <= --beam).")
    var nBest: Int = 1

    @Flag(help: "One JSON object per line (translation, tokens, score, log_probability).")
    var json = false

    @Flag(help: "With --json, add the attention matrix (one row per output token and </s>, one column per source token).")
    var attention = false

    @Option(help: "Write text as a reader sees it: the target tokens joined with Moses' detokenizer rules for this language (en, fr, de, ...), its escapes such as &apos; undone.")
    var detokenize: String?

    @Flag(help: "Replace each <unk> in the output by the source token with the highest attention weight at that step (OpenNMT's -replace_unk).")
    var replaceUnk = false

    @Option(help: "Write the attention of the first input line's translation as an SVG heatmap to this file.")
    var attentionSvg: String?

    func validate() throws {
        if !(1...100).contains(beam) { throw ValidationError("invalid value \(beam) for --beam: expected an integer in 1...100") }
        if !(1...beam).contains(nBest) { throw ValidationError("invalid value \(nBest) for --n-best: expected an integer in 1...\(beam) (the beam)") }
        if !(alpha >= 0 && alpha <= 10) { throw ValidationError("invalid value \(alpha) for --alpha: expected a number in [0, 10]") }
        if !(maxRatio > 0 && maxRatio <= 100) { throw ValidationError("invalid value \(maxRatio) for --max-ratio: expected a number in (0, 100]") }
        if attention && !json { throw ValidationError("--attention adds the attention matrix to --json output; give --json too") }
        if let output { try checkOutputPath(output) }
        if let attentionSvg { try checkOutputPath(attentionSvg) }
        if let detokenize, detokenize.isEmpty || !detokenize.allSatisfy({ $0.isASCII && $0.isLetter }) || detokenize.count > 3 {
            throw ValidationError("invalid value '\(detokenize)' for --detokenize: expected a language code such as en, fr or de")
        }
    }

    func run() throws {
        do {
            let model = try Seq2Seq.load(from: model).model
            if (replaceUnk || attentionSvg != nil) && !model.hasAttention {
                throw ValidationError("\(replaceUnk ? "--replace-unk" : "--attention-svg") needs attention, and \(self.model) was trained with --attention none")
            }
            let options = DecodingOptions(beam: beam, alpha: alpha, maxRatio: maxRatio, nBest: nBest, replaceUnknown: replaceUnk)
            var heatmapWritten = false
            // A model trained with --tokenize splits raw input and writes text with its target language's spacing.
            let tokenizers = try model.makeSideTokenizers()
            let detokenizer = (detokenize ?? model.outputLanguage).map(Detokenizer.init(language:))
            func text(_ tokens: [String]) -> String { detokenizer?.detokenize(tokens) ?? tokens.joined(separator: " ") }
            let name = input ?? "<stdin>"
            var lines: [String] = []
            func answer(_ line: String, number: Int) throws -> String {
                let tokens = try tokenizers?.source(line) ?? ParallelText.tokens(line)
                if tokens.count > Seq2Seq.maxSourceTokens {
                    StandardError.write("wordpipe translate: warning: \(name):\(number): \(tokens.count) tokens; translating the first \(Seq2Seq.maxSourceTokens)\n")
                }
                let translation = model.translate(tokens, options: options)
                if let attentionSvg, !heatmapWritten {
                    heatmapWritten = true
                    try writeOutput(AttentionHeatmap.svg(source: translation.sourceTokens, target: translation.best.tokens + ["</s>"],
                                                         weights: translation.best.attention), to: attentionSvg)
                }
                guard json else { return text(translation.best.tokens) }
                func object(_ hypothesis: TranslationHypothesis) -> [String: Any] {
                    var object: [String: Any] = ["translation": text(hypothesis.tokens), "tokens": hypothesis.tokens,
                                                 "score": hypothesis.score, "log_probability": hypothesis.logProbability]
                    if attention { object["attention"] = hypothesis.attention.map { $0.map(Double.init) } }
                    return object
                }
                var top = object(translation.best)
                top["source_tokens"] = translation.sourceTokens
                if nBest > 1 { top["n_best"] = translation.hypotheses.map(object) }
                return jsonLine(top) ?? "{}"
            }
            if let output {
                for (index, line) in try TextLines.read(path: input ?? "-").enumerated() {
                    try Interruption.check()
                    lines.append(try answer(line, number: index + 1))
                }
                try writeOutput(lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"), to: output)
            } else if let input {
                for (index, line) in try TextLines.read(path: input).enumerated() {
                    try Interruption.check()
                    emit(try answer(line, number: index + 1))
                }
            } else {
                var number = 0
                while let line = Swift.readLine(strippingNewline: true) {
                    number += 1
                    emit(try answer(line, number: number))
                }
            }
            if let attentionSvg, !heatmapWritten {
                throw ValidationError("--attention-svg \(attentionSvg): no input line to translate, so no heatmap was written")
            }
        } catch {
            throw StageFailure(stage: "translate", underlying: error)
        }
    }
}
