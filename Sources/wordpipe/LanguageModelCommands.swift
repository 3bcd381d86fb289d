import ArgumentParser
import Foundation
import Models
import Recurrent
import WordPipeSupport

extension LanguageModelUnit: ExpressibleByArgument {}

/// train-lm: Zaremba et al.'s small configuration by default.
enum LanguageModelEncoderDefaults: EncoderDefaults {
    static var settings: EncoderSettings { LanguageModelConfiguration.defaultSettings }
    static var optimizerHelp: String {
        "Optimizer: sgd (no momentum; --lr-decay after --decay-after epochs) or adam."
    }
    static var learningRateHelp: String { "Learning rate (default 1 for sgd, \(number(OptimizerKind.adam.defaultLearningRate)) for adam)." }
    static var batchHelp: String { "Parallel streams the training text is cut into (each carries its state from segment to segment)." }
    static var offersBidirectional: Bool { false }
}

/// `wordpipe train-lm`.
struct TrainLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lm",
        abstract: "Train a recurrent language model (words or characters): embedding, RNN/LSTM/GRU stack, softmax.",
        discussion: """
            Word models read tokenized text, one sentence per line, and append <eos> to each line (the PTB \
            convention); with --tokenize, raw text is split by the ICU tokenizer first. Char models read Unicode scalars, line breaks included. The training text is cut into \
            --batch parallel streams and walked in segments of --bptt steps, each stream's state carried from \
            one segment to the next (truncated BPTT, as Zaremba et al. 2014). The step size stays at --lr for \
            --decay-after epochs, then is divided by --lr-decay each epoch (sgd has no momentum). Each epoch prints the \
            training and dev perplexity (bits per char for char models), tokens/s and the elapsed time; the \
            epoch with the lowest dev perplexity is kept. The defaults are Zaremba's small configuration \
            (2 x 200 LSTM, bptt 20, batch 20, lr 1, halving after epoch 4, clip 5, init +-0.1, 13 epochs).
            """)

    @Option(help: "Training text.")
    var train: String

    @Option(help: "Development text (perplexity each epoch; the best epoch is kept).")
    var dev: String

    @Option(help: "word or char.")
    var unit: LanguageModelUnit = LanguageModelConfiguration().unit

    @Flag(help: "Word models: split each line with the ICU tokenizer (the --vectors' rules, surface forms kept) instead of at spaces; the model keeps the configuration and splits perplexity files and prompts the same way.")
    var tokenize = false

    @Option(help: "Steps of truncated back-propagation through time.")
    var bptt: Int = LanguageModelConfiguration().bptt

    @Flag(help: "Tie the output layer to the input embedding (needs --dim equal to --hidden).")
    var tied = false

    @Option(help: "Initialize every weight uniform in +-this (0: the layers' own initialization).")
    var initScale: Double = LanguageModelConfiguration().initScale

    @Option(help: "With sgd or adam, divide the step size by this each epoch after --decay-after epochs (1 = constant).")
    var lrDecay: Double = LanguageModelConfiguration().lrDecay

    @Option(help: "Epochs at the full step size before --lr-decay applies.")
    var decayAfter: Int = LanguageModelConfiguration().decayAfter

    @OptionGroup var encoder: EncoderOptionGroup<LanguageModelEncoderDefaults>

    @Option(name: .shortAndLong, help: "Output model file.")
    var output: String

    var stageConfiguration: LanguageModelConfiguration {
        var configuration = LanguageModelConfiguration()
        configuration.unit = unit
        configuration.bptt = bptt
        configuration.tokenize = tokenize
        configuration.tied = tied
        configuration.initScale = initScale
        configuration.lrDecay = lrDecay
        configuration.decayAfter = decayAfter
        configuration.encoder = encoder.settings
        return configuration
    }

    func validate() throws {
        try validateConfiguration(stageConfiguration.validate)
        try checkOutputPath(output)
    }

    func run() throws {
        try trainAndSave(stage: "train-lm", to: output) {
            try LanguageModelTraining.run(trainPath: train, devPath: dev, vectorsPath: encoder.vectors,
                                          configuration: stageConfiguration, options: encoder.trainingOptions(stage: "train-lm"))
        }
    }
}

/// `wordpipe perplexity`.
struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score text with a language model: perplexity (word models), bits and nats per character (char models).",
        discussion: """
            Each file is read as in training (word models: <eos> after each line) and scored with batch 1, the \
            state carried through the whole file (Zaremba's evaluation): every token after the first is \
            predicted from those before it. Tokens the model does not know are read and predicted as <unk>, \
            and counted (unknown). --json prints one object per file.
            """)

    @Option(help: "Language model file.")
    var model: String

    @Argument(help: "Text files.")
    var files: [String]

    @Flag(help: "One JSON object per file (sorted keys): perplexity, or bits_per_char and nats_per_char; tokens, unknown, nll.")
    var json = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one text file") }
    }

    func run() throws {
        do {
            let model = try LanguageModel.load(from: model).model
            for file in files {
                let metrics = try LanguageModelTraining.evaluate(model, path: file)
                try Interruption.check()
                if json {
                    var object = metrics.figures
                    object["file"] = file
                    emit(jsonLine(object) ?? "{}")
                } else if metrics.unit == .word {
                    emit(String(format: "%@: perplexity %.2f (%d words, %d unknown read as <unk>)", file, metrics.perplexity,
                                metrics.tokens, metrics.unknown))
                } else {
                    emit(String(format: "%@: %.4f bits per char, %.4f nats per char (%d characters, %d unknown read as <unk>)", file,
                                metrics.bitsPerToken, metrics.nll, metrics.tokens, metrics.unknown))
                }
            }
        } catch {
            throw StageFailure(stage: "perplexity", underlying: error)
        }
    }
}

/// `wordpipe generate`.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a language model, streaming tokens as they are sampled.",
        discussion: """
            Without --prompt, each sample starts from the start state (the model reads an end of line first: \
            the 1-N case). Word models stop at <eos>; every model stops at --stop or after --max-tokens. \
            --temperature 0 is greedy decoding: the most probable token every time (the same text for every \
            sample). --top-k and --top-p (nucleus) restrict sampling to the most probable tokens. The same \
            --seed gives the same samples. With --json, one object per sample: text, tokens and each token's \
            log-probability under the model (natural log, before temperature, top-k and top-p).
            """)

    @Option(help: "Language model file.")
    var model: String

    @Option(help: "Text the samples continue (word models: split on spaces).")
    var prompt: String?

    @Option(help: "Tokens to generate at most per sample.")
    var maxTokens: Int = SamplingOptions().maxTokens

    @Option(help: "Softmax temperature; 0 = greedy (always the most probable token).")
    var temperature: Double = SamplingOptions().temperature

    @Option(help: "Sample among the K most probable tokens only.")
    var topK: Int?

    @Option(help: "Sample among the most probable tokens that make up this much probability (nucleus sampling), in (0, 1].")
    var topP: Double?

    @Option(help: "Seed of the sampling (default 1).")
    var seed: UInt64 = 1

    @Option(help: "Samples to generate.")
    var count: Int = 1

    @Option(help: "Stop a sample once its text contains this string.")
    var stop: String?

    @Flag(help: "One JSON object per sample: prompt, text, tokens, logprobs, end.")
    var json = false

    var options: SamplingOptions {
        SamplingOptions(temperature: temperature, topK: topK, topP: topP, maxTokens: maxTokens, stop: stop)
    }

    func validate() throws {
        try validateConfiguration(options.validate)
        if count < 1 || count > 100_000 { throw ValidationError("invalid value \(count) for --count: expected an integer in 1...100000") }
    }

    func run() throws {
        do {
            let model = try LanguageModel.load(from: model).model
            let promptTokens = try prompt.map { try model.tokens(of: $0, endOfLines: false) } ?? []
            var generator = SeededGenerator(seed: seed)
            let out = FileHandle.standardOutput
            for _ in 0..<count {
                try Interruption.check()
                if json {
                    let sample = model.generate(prompt: promptTokens, options: options, generator: &generator)
                    emit(GenerateAnswer(prompt: prompt ?? "", sample).jsonLine)
                } else {
                    if let prompt { out.write(Data(prompt.utf8)) }
                    _ = model.generate(prompt: promptTokens, options: options, generator: &generator) { piece in
                        out.write(Data(piece.utf8))
                    }
                    out.write(Data("\n".utf8))
                }
            }
        } catch {
            throw StageFailure(stage: "generate", underlying: error)
        }
    }
}
