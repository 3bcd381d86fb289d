import ArgumentParser
import Corpora
import Foundation
import Models
import Recurrent
import Tokenization
import WordPipeSupport

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
extension CharacterFeatureKind: ExpressibleByArgument {}
extension TrainingTagScheme: ExpressibleByArgument {}
extension TaggedDataFormat: ExpressibleByArgument {}
extension ClassificationDataFormat: ExpressibleByArgument {}

/// The defaults and help of the shared network and training options, per kind of model.
protocol EncoderDefaults {
    /// The settings without options.
    static var settings: EncoderSettings { get }
    /// The help of --optimizer, --lr and --batch.
    static var optimizerHelp: String { get }
    static var learningRateHelp: String { get }
    static var batchHelp: String { get }
    /// Whether --bidirectional and --word-dropout are shown (language models have neither).
    static var offersBidirectional: Bool { get }
}

/// train-tagger, train-classifier.
enum TaggerEncoderDefaults: EncoderDefaults {
    static var settings: EncoderSettings { EncoderSettings() }
    static var optimizerHelp: String { "Optimizer: adam, or sgd (momentum 0.9, lr / (1 + 0.05 epoch))." }
    static var learningRateHelp: String {
        "Learning rate (default \(number(OptimizerKind.adam.defaultLearningRate)) for adam, \(number(OptimizerKind.sgd.defaultLearningRate)) for sgd)."
    }
    static var batchHelp: String { "Sentences or texts per batch." }
    static var offersBidirectional: Bool { true }
}

/// The network and training options `train-tagger` and `train-classifier` share.
typealias EncoderOptions = EncoderOptionGroup<TaggerEncoderDefaults>

/// The network and training options of the model trainers (`train-tagger`, `train-classifier`,
/// `train-lm`), with each one's defaults.
struct EncoderOptionGroup<Defaults: EncoderDefaults>: ParsableArguments {
    @Option(help: "Word vectors to initialize the embedding from (any format wordpipe reads); random initialization without.")
    var vectors: String?

    @Option(help: "Recurrent cell.")
    var cell: CellKind = Defaults.settings.cell

    @Option(help: "Stacked recurrent layers (1-4).")
    var layers: Int = Defaults.settings.layers

    @Option(help: "Hidden units per direction.")
    var hidden: Int = Defaults.settings.hidden

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Read in both directions.", visibility: Defaults.offersBidirectional ? .default : .private))
    var bidirectional = Defaults.settings.bidirectional

    @Option(help: "Dropout on embeddings, between layers and on the encoder output.")
    var dropout: Double = Defaults.settings.dropout

    @Option(help: ArgumentHelp(Defaults.optimizerHelp))
    var optimizer: OptimizerKind = Defaults.settings.optimizer

    @Option(help: ArgumentHelp(Defaults.learningRateHelp))
    var lr: Double?

    @Option(help: "Maximum epochs.")
    var epochs: Int = Defaults.settings.epochs

    @Option(help: "Stop after this many epochs without a better dev score.")
    var patience: Int = Defaults.settings.patience

    @Option(help: ArgumentHelp(Defaults.batchHelp))
    var batch: Int = Defaults.settings.batch

    @Option(help: "Clip the global gradient norm to this (0 = off).")
    var clip: Double = Defaults.settings.clip

    @Flag(help: "Keep the word vectors fixed.")
    var freezeEmbeddings = Defaults.settings.freezeEmbeddings

    @Option(help: "Embedding size without --vectors.")
    var dim: Int = Defaults.settings.dim

    @Option(help: ArgumentHelp("In training, the probability that a token reads as <unk>, so that the <unk> row learns (0 = off).",
                               visibility: Defaults.offersBidirectional ? .default : .private))
    var wordDropout: Double = Defaults.settings.wordDropout

    @Option(help: "Write checkpoints into this directory (one at the end of every epoch).")
    var checkpoint: String?

    @Option(help: "Batches between checkpoints inside an epoch too (default: at epoch ends only).")
    var checkpointEvery: Int?

    @Option(help: "Continue from the checkpoint in this directory (same data and settings); the weights are those of an uninterrupted run.")
    var resume: String?

    @Option(help: "Stop after this many seconds of training (dev evaluations not counted), at the next batch; the cut epoch is evaluated and may be kept, and with --checkpoint, --resume trains on from there.")
    var timeBudget: Double?

    @OptionGroup var runOptions: RunOptionGroup<ModelTrainingOffer>

    /// Threads, progress, the log (on stderr after `stage: `), checkpoints and resume.
    func trainingOptions(stage: String) -> ModelTrainingOptions {
        ModelTrainingOptions(run: runOptions.runOptions(stage: stage), checkpoint: checkpoint, resume: resume, checkpointEvery: checkpointEvery,
                             timeBudget: timeBudget)
    }

    var settings: EncoderSettings {
        var settings = Defaults.settings
        settings.cell = cell
        settings.layers = layers
        settings.hidden = hidden
        settings.bidirectional = bidirectional
        settings.dropout = dropout
        settings.optimizer = optimizer
        settings.lr = lr ?? (optimizer == Defaults.settings.optimizer ? Defaults.settings.lr : nil)
        settings.epochs = epochs
        settings.patience = patience
        settings.batch = batch
        settings.clip = clip
        settings.freezeEmbeddings = freezeEmbeddings
        settings.dim = dim
        settings.seed = runOptions.seedValue
        settings.wordDropout = wordDropout
        return settings
    }

    func validate() throws {
        try validateConfiguration(settings.validate)
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1, not \(checkpointEvery)") }
        if checkpointEvery != nil && checkpoint == nil && resume == nil {
            throw ValidationError("--checkpoint-every needs --checkpoint DIR (or --resume DIR)")
        }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) {
            throw ValidationError("--time-budget must be a positive number of seconds, not \(timeBudget)")
        }
    }

    var threadCount: Int { runOptions.threadCount }
}

/// Writes `text` to `path` atomically, or to stdout when `path` is nil or "-".
func writeOutput(_ text: String, to path: String?) throws {
    // Predictions made while an interrupt stopped the workers are incomplete.
    try Interruption.check()
    if let path, path != "-" {
        try OutputFile.writeAtomically(Data(text.utf8), to: path)
    } else {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// The whole of `path`, or of stdin for "-", which must be UTF-8 (else the first bad line is named).
func readInput(_ path: String) throws -> String {
    let name = path == "-" ? "<stdin>" : path
    let data: Data
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CorpusError.cannotOpen(path: path, reason: error.localizedDescription)
        }
    }
    if let text = String(data: data, encoding: .utf8) { return text }
    var line = 1
    for piece in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
        if String(data: Data(piece), encoding: .utf8) == nil { break }
        line += 1
    }
    throw ModelError.badData(location: SourceLocation(path: name, line: line), message: "not valid UTF-8")
}

/// Refuses an output path whose directory does not exist, before hours of training.
func checkOutputPath(_ path: String) throws {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("-o \(path): the directory \(directory) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw ValidationError("-o \(path): the directory \(directory) is not writable")
    }
}

/// `wordpipe train-tagger`.
struct TrainTagger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-tagger",
        abstract: "Train a sequence tagger (NER, POS): embedding, recurrent encoder, softmax or CRF.",
        discussion: """
            Chunk tags (IOB1, IOB2, BIOES) are converted to IOB2 and scored by entity micro-F1 on --dev each \
            epoch; other tags by token accuracy. With --tag-scheme bioes the network trains on BIOES labels and \
            its predictions are converted back to IOB2. The best epoch's weights are kept. Training tokens missing \
            from --vectors get random rows; tokens are looked up as written, then as the vectors' tokenizer \
            configuration writes them (so a case-folded model finds EU as eu).
            """)

    @Option(help: "Training data.")
    var train: String

    @Option(help: "Development data (model selection, early stopping).")
    var dev: String

    @Option(help: "Data format (default: from --train's name, .conllu or .conll; else conll).")
    var format: TaggedDataFormat?

    @Option(help: "1-based tag column (default: last for conll, 4 = UPOS for conllu).")
    var column: Int?

    @Flag(inversion: .prefixedNo, help: "CRF output layer (else softmax per token).")
    var crf = TaggerConfiguration().crf

    @Option(help: "Character features per word: none, lstm (BiLSTM) or cnn.")
    var charFeatures: CharacterFeatureKind = TaggerConfiguration().charFeatures

    @Option(help: "Labels chunk tags are trained on: iob2, or bioes (with BIOES CRF constraints); predictions and scores are IOB2 either way.")
    var tagScheme: TrainingTagScheme = TaggerConfiguration().tagScheme

    @OptionGroup var encoder: EncoderOptions

    @Option(name: .shortAndLong, help: "Output model file.")
    var output: String

    var stageConfiguration: TaggerConfiguration {
        var configuration = TaggerConfiguration()
        configuration.format = format ?? TaggedDataFormat.named(by: train) ?? TaggerConfiguration().format
        configuration.column = column
        configuration.crf = crf
        configuration.charFeatures = charFeatures
        configuration.tagScheme = tagScheme
        configuration.encoder = encoder.settings
        return configuration
    }

    func validate() throws {
        if let column, column < 1 { throw ValidationError("--column is 1-based, not \(column)") }
        if let format, let named = TaggedDataFormat.named(by: train), named != format {
            throw ValidationError("--format \(format.rawValue) contradicts the name of \(train), which says \(named.rawValue); rename the file or drop --format")
        }
        try checkOutputPath(output)
    }

    func run() throws {
        try trainAndSave(stage: "train-tagger", to: output) {
            try TaggerTraining.run(trainPath: train, devPath: dev, vectorsPath: encoder.vectors, configuration: stageConfiguration,
                                   options: encoder.trainingOptions(stage: "train-tagger"))
        }
    }
}

/// The end of every train-MODEL command: trains with `train`, saves the kept model to `output`
/// and reports the epoch kept with its dev score (`dev` words it; default: the selection
/// metric); errors are named for `stage`.
func trainAndSave<Model: SavableModel, Metrics>(stage: String, to output: String, dev: ((Metrics) -> String)? = nil,
                                                _ train: () throws -> TrainingResult<Model, Metrics>) throws {
    do {
        let result = try train()
        try Interruption.check()
        try result.model.save(to: output, record: result.record)
        let score = dev?(result.dev) ?? String(format: "dev %@ %.4f", result.record.metric, result.record.devScore)
        StandardError.write(String(format: "%@: kept epoch %d of %d, %@; wrote %@\n", stage, result.record.bestEpoch,
                                   result.record.epochs, score, output))
    } catch {
        throw StageFailure(stage: stage, underlying: error)
    }
}

/// `wordpipe tag`.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tag tokens with a trained tagger.",
        discussion: """
            conll: every input line unchanged plus the predicted tag as a last column (conlleval's layout \
            when the input has gold tags). conllu: the tag column replaced by the prediction. text: raw text, \
            each line split into sentences and tokens with the model's tokenizer configuration and answered \
            at once by one output line, token/TAG (a blank line gets an empty line); with --json, one object \
            per line: tokens, tags, offsets and entities (type, start, end, text), offsets in Unicode scalars \
            of the line (Python's str indexes).
            """)

    @Option(help: "Tagger model file.")
    var model: String

    @Argument(help: "Input file, or - for stdin.")
    var input: String = "-"

    @Option(help: "Input format (default: the model's training format).")
    var format: TagInputFormat?

    @Option(help: "1-based tag column of conllu output (default: the model's).")
    var column: Int?

    @Flag(help: "With --format text: one JSON object per input line (tokens, tags, offsets, entities).")
    var json = false

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    enum TagInputFormat: String, ExpressibleByArgument, CaseIterable { case conll, conllu, text }

    @OptionGroup var runOptions: RunOptionGroup<ModelApplicationOffer>
    var threads: Int { runOptions.threadCount }

    func validate() throws {
        if json && format != .text { throw ValidationError("--json needs --format text (CoNLL output keeps the input's layout)") }
        if let format, format != .text, let named = TaggedDataFormat.named(by: input), named.rawValue != format.rawValue {
            throw ValidationError("--format \(format.rawValue) contradicts the name of \(input), which says \(named.rawValue); rename the file or drop --format")
        }
    }

    func run() throws {
        do {
            if threads > 1 { BLAS.setThreads(1) }
            let tagger = try Tagger.load(from: model).tagger
            // The format given, else the one the input's name asks for, else the model's.
            let named = TaggedDataFormat.named(by: input).flatMap { TagInputFormat(rawValue: $0.rawValue) }
            let format = self.format ?? named ?? TagInputFormat(rawValue: tagger.configuration.format.rawValue) ?? .conll
            switch format {
            case .text:
                try tagText(tagger)
            case .conll, .conllu:
                let dataFormat: TaggedDataFormat = format == .conll ? .conll : .conllu
                let column = self.column ?? (dataFormat == tagger.configuration.format ? tagger.configuration.column : nil)
                let name = input == "-" ? "<stdin>" : input
                let file: TaggedFile
                do {
                    file = try TaggedFile.parse(try readInput(input), name: name, format: dataFormat, tagColumn: column, requireTags: false)
                } catch let error as LabeledDataError {
                    if case .columnCountMismatch = error, dataFormat == .conll {
                        StandardError.write("tag: hint: lines of one sentence with different numbers of words are what raw text looks like; for raw text, one text per line, use --format text\n")
                    }
                    throw error
                }
                if let line = FormatHints.coNLLLooksLikeRawText(file) {
                    StandardError.write("tag: warning: \(name):\(line) looks like a raw sentence, not CoNLL (one `token … TAG` per line): it is read as one token, its first word, with the last word as a gold tag; for raw text use --format text\n")
                }
                let predictions = tagger.tag(file.sentences.map(\.tokens), threads: threads)
                try Interruption.check()
                try writeOutput(try file.rendered(predictions: predictions), to: output)
            }
        } catch {
            throw StageFailure(stage: "tag", underlying: error)
        }
    }

    /// Raw text: each batch of lines that has arrived is tagged and written at once, one output
    /// line per input line.
    func tagText(_ tagger: Tagger) throws {
        let tokenizer = try Tokenizer(configuration: Tagger.surfaceTokenizer(from: tagger.tokenizer))
        let lines = try RawTextLines(path: input)
        let out = try OutputFile(path: output)
        var watch = CoNLLShapeWatch(stage: "tag", name: lines.name)
        while let batch = try lines.next() {
            watch.add(batch)
            let tagged = try tagger.tag(lines: batch, tokenizer: tokenizer, offsets: json, threads: threads)
            try Interruption.check()
            var text = ""
            for (line, result) in zip(batch, tagged) {
                text += (json ? (isBlankLine(line) ? "" : TagAnswer(line: line, result).jsonLine) : Self.plain(result)) + "\n"
            }
            try out.write(text)
            try out.flush()
        }
        watch.finish()
        try out.commit()
    }

    /// `token/TAG token/TAG …`.
    static func plain(_ result: TaggedLine) -> String {
        zip(result.tokens, result.tags).map { "\($0)/\($1)" }.joined(separator: " ")
    }
}

/// `wordpipe train-classifier`.
struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train a text classifier: embedding, recurrent encoder, pooling, softmax.",
        discussion: """
            Texts are tokenized with the ICU tokenizer (the vectors' rules, surface forms kept). Accuracy on \
            --dev selects the epoch.
            """)

    @Option(help: "Training data.")
    var train: String

    @Option(help: "Development data.")
    var dev: String

    @Option(help: "Data format: tsv (label<TAB>text, optional header) or fasttext (__label__X text).")
    var format: ClassificationDataFormat = ClassifierConfiguration().format

    @Option(help: "Pooling over time.")
    var pooling: Pooling = ClassifierConfiguration().pooling

    @OptionGroup var encoder: EncoderOptions

    @Option(name: .shortAndLong, help: "Output model file.")
    var output: String

    func validate() throws { try checkOutputPath(output) }

    var stageConfiguration: ClassifierConfiguration {
        var configuration = ClassifierConfiguration()
        configuration.format = format
        configuration.pooling = pooling
        configuration.encoder = encoder.settings
        return configuration
    }

    func run() throws {
        try trainAndSave(stage: "train-classifier", to: output, dev: { String(format: "dev accuracy %.4f, macro-F1 %.4f", $0.accuracy, $0.macroF1) }) {
            try ClassifierTraining.run(trainPath: train, devPath: dev, vectorsPath: encoder.vectors, configuration: stageConfiguration,
                                       options: encoder.trainingOptions(stage: "train-classifier"))
        }
    }
}

/// `wordpipe classify`.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label texts with a trained classifier: one line per input row, predicted_label<TAB>text.",
        discussion: """
            --format text reads raw text, the whole of each line one text (tabs included), and answers \
            each line at once (a blank line gets an empty line). tsv and fasttext read rows as in training \
            (a leading label is optional and ignored; blank lines are skipped). --top K gives the K most \
            probable labels with their probabilities (softmax), `label prob label prob<TAB>text`; --json \
            gives one object per text: {"text", "labels": [{"label", "probability"}]}.
            """)

    @Option(help: "Classifier model file.")
    var model: String

    @Argument(help: "Input file (rows as in training; labels optional), or - for stdin.")
    var input: String = "-"

    @Option(help: "Input format: tsv, fasttext, or text (raw text, one text per line) (default: the model's).")
    var format: ClassifyInputFormat?

    @Option(help: "The K most probable labels with their probabilities (default 1, without probabilities in plain output).")
    var top: Int?

    @Flag(help: "One JSON object per text: text and labels with probabilities.")
    var json = false

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    enum ClassifyInputFormat: String, ExpressibleByArgument, CaseIterable { case tsv, fasttext, text }

    @OptionGroup var runOptions: RunOptionGroup<ModelApplicationOffer>
    var threads: Int { runOptions.threadCount }

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1, not \(top)") }
    }

    func run() throws {
        do {
            if threads > 1 { BLAS.setThreads(1) }
            let classifier = try Classifier.load(from: model).classifier
            let format = self.format ?? ClassifyInputFormat(rawValue: classifier.configuration.format.rawValue) ?? .tsv
            let tokenizer = try classifier.makeTokenizer()
            if format == .text {
                try classifyText(classifier, tokenizer: tokenizer)
                return
            }
            let name = input == "-" ? "<stdin>" : input
            let file = try ClassificationFile.parse(try readInput(input), name: name,
                                                    format: format == .fasttext ? .fasttext : .tsv, requireLabels: false)
            if format == .tsv { warnAboutLabelColumn(file, classifier: classifier, name: name) }
            let texts = try file.examples.map { try tokenizer.tokenize($0.text).joined().map { $0 } }
            let ranked = classifier.topLabels(texts, k: top ?? 1, threads: threads)
            try Interruption.check()
            var text = ""
            for (labels, example) in zip(ranked, file.examples) { text += answer(example.text, labels) + "\n" }
            try writeOutput(text, to: output)
        } catch {
            throw StageFailure(stage: "classify", underlying: error)
        }
    }

    /// Raw text: each batch of lines that has arrived is classified and written at once, one
    /// output line per input line.
    func classifyText(_ classifier: Classifier, tokenizer: Tokenizer) throws {
        let lines = try RawTextLines(path: input)
        let out = try OutputFile(path: output)
        while let batch = try lines.next() {
            let texts = try batch.map { try tokenizer.tokenize($0).joined().map { $0 } }
            let ranked = classifier.topLabels(texts, k: top ?? 1, threads: threads)
            try Interruption.check()
            var text = ""
            for (line, labels) in zip(batch, ranked) { text += (isBlankLine(line) ? "" : answer(line, labels)) + "\n" }
            try out.write(text)
            try out.flush()
        }
        try out.commit()
    }

    /// One text's answer: `label<TAB>text`, with --top `label prob …<TAB>text`, or a JSON object.
    func answer(_ text: String, _ labels: [LabelProbability]) -> String {
        if json {
            return ClassifyAnswer(text: text, labels: labels).jsonLine
        }
        if top == nil { return (labels.first?.label ?? "") + "\t" + text }
        return labels.map { "\($0.label) " + String(format: "%.4f", $0.probability) }.joined(separator: " ") + "\t" + text
    }

    /// tsv reads what comes before a line's first tab as its (gold) label. When that is not one
    /// of the model's labels, the input is most likely raw text with a tab in it: say so, with
    /// the flag that reads whole lines.
    func warnAboutLabelColumn(_ file: ClassificationFile, classifier: Classifier, name: String) {
        let known = Set(classifier.labels)
        let foreign = file.examples.filter { !$0.label.isEmpty && !known.contains($0.label) }
        guard let first = foreign.first else { return }
        StandardError.write("classify: warning: \(name):\(first.line): '\(first.label)' before the tab is read as a label column (tsv: label<TAB>text), but it is not one of the model's \(known.count) labels (\(foreign.count) line\(foreign.count == 1 ? "" : "s") like it), and only the text after the tab is classified; for raw text, whole lines, use --format text\n")
    }
}

/// `wordpipe evaluate-classifier`.
struct EvaluateClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-classifier",
        abstract: "Score a classifier on labeled data: accuracy, macro-F1, per-class scores and the confusion matrix.")

    @Option(help: "Classifier model file.")
    var model: String

    @Option(help: "Labeled data in the model's format.")
    var test: String

    @Flag(help: "One JSON object (sorted keys).")
    var json = false

    func run() throws {
        do {
            let classifier = try Classifier.load(from: model).classifier
            let metrics = try ClassifierTraining.evaluate(classifier, path: test)
            let oov = try ClassifierTraining.vectorOOVRate(classifier, path: test)
            if json {
                emit(try mergedJSON(try metrics.jsonString(), oov.map { ["oov_vectors": $0] } ?? [:]))
            } else {
                FileHandle.standardOutput.write(Data(metrics.report().utf8))
                if let oov { emit(String(format: "OOV against the vectors the model started from: %.2f%% of tokens", 100 * oov)) }
            }
        } catch {
            throw StageFailure(stage: "evaluate-classifier", underlying: error)
        }
    }
}
