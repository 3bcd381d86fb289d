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

/// The network and training options `train-tagger` and `train-classifier` share.
struct EncoderOptions: ParsableArguments {
    @Option(help: "Word vectors to initialize the embedding from (any format wordpipe reads); random initialization without.")
    var vectors: String?

    @Option(help: "Recurrent cell.")
    var cell: CellKind = EncoderSettings().cell

    @Option(help: "Stacked recurrent layers (1-4).")
    var layers: Int = EncoderSettings().layers

    @Option(help: "Hidden units per direction.")
    var hidden: Int = EncoderSettings().hidden

    @Flag(inversion: .prefixedNo, help: "Read in both directions.")
    var bidirectional = EncoderSettings().bidirectional

    @Option(help: "Dropout on embeddings, between layers and on the encoder output.")
    var dropout: Double = EncoderSettings().dropout

    @Option(help: "Optimizer: adam, or sgd (momentum 0.9, lr / (1 + 0.05 epoch)).")
    var optimizer: OptimizerKind = EncoderSettings().optimizer

    @Option(help: "Learning rate (default \(number(OptimizerKind.adam.defaultLearningRate)) for adam, \(number(OptimizerKind.sgd.defaultLearningRate)) for sgd).")
    var lr: Double?

    @Option(help: "Maximum epochs.")
    var epochs: Int = EncoderSettings().epochs

    @Option(help: "Stop after this many epochs without a better dev score.")
    var patience: Int = EncoderSettings().patience

    @Option(help: "Sentences or texts per batch.")
    var batch: Int = EncoderSettings().batch

    @Option(help: "Clip the global gradient norm to this (0 = off).")
    var clip: Double = EncoderSettings().clip

    @Flag(help: "Keep the word vectors fixed.")
    var freezeEmbeddings = EncoderSettings().freezeEmbeddings

    @Option(help: "Embedding size without --vectors.")
    var dim: Int = EncoderSettings().dim

    @Option(help: "In training, the probability that a token reads as <unk>, so that the <unk> row learns (0 = off).")
    var wordDropout: Double = EncoderSettings().wordDropout

    @Option(help: "Write checkpoints into this directory (one at the end of every epoch).")
    var checkpoint: String?

    @Option(help: "Batches between checkpoints inside an epoch too (default: at epoch ends only).")
    var checkpointEvery: Int?

    @Option(help: "Continue from the checkpoint in this directory (same data and settings); the weights are those of an uninterrupted run.")
    var resume: String?

    @OptionGroup var runOptions: RunOptionGroup<ModelTrainingOffer>

    /// Threads, progress, the log (on stderr after `stage: `), checkpoints and resume.
    func trainingOptions(stage: String) -> ModelTrainingOptions {
        ModelTrainingOptions(run: runOptions.runOptions(stage: stage), checkpoint: checkpoint, resume: resume, checkpointEvery: checkpointEvery)
    }

    var settings: EncoderSettings {
        var settings = EncoderSettings()
        settings.cell = cell
        settings.layers = layers
        settings.hidden = hidden
        settings.bidirectional = bidirectional
        settings.dropout = dropout
        settings.optimizer = optimizer
        settings.lr = lr
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

    @Option(help: "Data format.")
    var format: TaggedDataFormat = TaggerConfiguration().format

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
        configuration.format = format
        configuration.column = column
        configuration.crf = crf
        configuration.charFeatures = charFeatures
        configuration.tagScheme = tagScheme
        configuration.encoder = encoder.settings
        return configuration
    }

    func validate() throws {
        if let column, column < 1 { throw ValidationError("--column is 1-based, not \(column)") }
        try checkOutputPath(output)
    }

    func run() throws {
        do {
            let result = try TaggerTraining.run(trainPath: train, devPath: dev, vectorsPath: encoder.vectors, configuration: stageConfiguration,
                                                options: encoder.trainingOptions(stage: "train-tagger"))
            try Interruption.check()
            try result.tagger.save(to: output, record: result.record)
            StandardError.write(String(format: "train-tagger: kept epoch %d of %d, dev %@ %.4f; wrote %@\n", result.record.bestEpoch,
                                       result.record.epochs, result.record.metric, result.record.devScore, output))
        } catch {
            throw StageFailure(stage: "train-tagger", underlying: error)
        }
    }
}

/// `wordpipe tag`.
struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tag tokens with a trained tagger.",
        discussion: """
            conll: every input line unchanged plus the predicted tag as a last column (conlleval's layout \
            when the input has gold tags). conllu: the tag column replaced by the prediction. text: raw text, \
            split into sentences and tokens with the model's tokenizer configuration, written as token/TAG.
            """)

    @Option(help: "Tagger model file.")
    var model: String

    @Argument(help: "Input file, or - for stdin.")
    var input: String = "-"

    @Option(help: "Input format (default: the model's training format).")
    var format: TagInputFormat?

    @Option(help: "1-based tag column of conllu output (default: the model's).")
    var column: Int?

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    enum TagInputFormat: String, ExpressibleByArgument, CaseIterable { case conll, conllu, text }

    @OptionGroup var runOptions: RunOptionGroup<ModelApplicationOffer>
    var threads: Int { runOptions.threadCount }

    func run() throws {
        do {
            if threads > 1 { BLAS.setThreads(1) }
            let tagger = try Tagger.load(from: model).tagger
            let format = self.format ?? TagInputFormat(rawValue: tagger.configuration.format.rawValue) ?? .conll
            switch format {
            case .text:
                let tokenizer = try Tokenizer(configuration: Tagger.surfaceTokenizer(from: tagger.tokenizer))
                var sentences: [[String]] = []
                for line in try readInput(input).split(separator: "\n", omittingEmptySubsequences: false) {
                    sentences += try tokenizer.tokenize(String(line)).filter { !$0.isEmpty }
                }
                let tags = tagger.tag(sentences, threads: threads)
                var text = ""
                for (tokens, labels) in zip(sentences, tags) {
                    text += zip(tokens, labels).map { "\($0)/\($1)" }.joined(separator: " ") + "\n"
                }
                try writeOutput(text, to: output)
            case .conll, .conllu:
                let dataFormat: TaggedDataFormat = format == .conll ? .conll : .conllu
                let column = self.column ?? (dataFormat == tagger.configuration.format ? tagger.configuration.column : nil)
                let file = try TaggedFile.parse(try readInput(input), name: input == "-" ? "<stdin>" : input, format: dataFormat,
                                                tagColumn: column, requireTags: false)
                let predictions = tagger.tag(file.sentences.map(\.tokens), threads: threads)
                try Interruption.check()
                try writeOutput(try file.rendered(predictions: predictions), to: output)
            }
        } catch {
            throw StageFailure(stage: "tag", underlying: error)
        }
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
        do {
            let result = try ClassifierTraining.run(trainPath: train, devPath: dev, vectorsPath: encoder.vectors, configuration: stageConfiguration,
                                                    options: encoder.trainingOptions(stage: "train-classifier"))
            try result.classifier.save(to: output, record: result.record)
            StandardError.write(String(format: "train-classifier: kept epoch %d of %d, dev accuracy %.4f, macro-F1 %.4f; wrote %@\n",
                                       result.record.bestEpoch, result.record.epochs, result.dev.accuracy, result.dev.macroF1, output))
        } catch {
            throw StageFailure(stage: "train-classifier", underlying: error)
        }
    }
}

/// `wordpipe classify`.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label texts with a trained classifier: one line per input row, predicted_label<TAB>text.")

    @Option(help: "Classifier model file.")
    var model: String

    @Argument(help: "Input file (rows as in training; labels optional), or - for stdin.")
    var input: String = "-"

    @Option(help: "Input format (default: the model's).")
    var format: ClassificationDataFormat?

    @Option(name: .shortAndLong, help: "Output file (default: stdout).")
    var output: String?

    @OptionGroup var runOptions: RunOptionGroup<ModelApplicationOffer>
    var threads: Int { runOptions.threadCount }

    func run() throws {
        do {
            if threads > 1 { BLAS.setThreads(1) }
            let classifier = try Classifier.load(from: model).classifier
            let file = try ClassificationFile.parse(try readInput(input), name: input == "-" ? "<stdin>" : input,
                                                    format: format ?? classifier.configuration.format, requireLabels: false)
            let tokenizer = try classifier.makeTokenizer()
            let texts = try file.examples.map { try tokenizer.tokenize($0.text).joined().map { $0 } }
            let labels = classifier.classify(texts, threads: threads)
            try Interruption.check()
            var text = ""
            for (label, example) in zip(labels, file.examples) { text += "\(label)\t\(example.text)\n" }
            try writeOutput(text, to: output)
        } catch {
            throw StageFailure(stage: "classify", underlying: error)
        }
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
