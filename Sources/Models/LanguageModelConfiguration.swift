import Foundation
import Recurrent
import WordPipeSupport

/// What a language model predicts: the next word or the next character.
public enum LanguageModelUnit: String, Codable, Sendable, CaseIterable {
    /// Whitespace-separated tokens, one sentence per line, `<eos>` appended per line (the PTB
    /// convention of Zaremba et al. and PyTorch's `word_language_model`).
    case word
    /// Unicode scalars, the line break included (char-rnn's convention).
    case char
}

/// Everything that decides a trained language model: unit, network and training. Shared by
/// `wordpipe train-lm` and the pipeline's `train-lm` stage (flat snake_case keys). The network
/// and training keys are those of taggers (`EncoderSettings`), with the defaults of Zaremba et
/// al.'s (2014) small configuration; `bidirectional` must be false (a language model reads left
/// to right) and `batch` is the number of parallel streams the corpus is cut into.
public struct LanguageModelConfiguration: Codable, Sendable, Equatable, Hashable {
    /// Words or characters. Default: word.
    public var unit: LanguageModelUnit = .word
    /// Steps of truncated back-propagation through time. Default: 20.
    public var bptt: Int = 20
    /// Tie the output layer's weights to the input embedding (Press & Wolf 2017; needs
    /// `dim == hidden`). Default: false.
    public var tied: Bool = false
    /// Every weight and bias starts uniform in ±this (Zaremba et al.); 0 keeps the layers' own
    /// initialization (Glorot, orthogonal). Rows from `--vectors` are kept. Default: 0.1.
    public var initScale: Double = 0.1
    /// After `decayAfter` epochs, the step size is divided by this each epoch (Zaremba's
    /// schedule; 1 = constant). Default: 2.
    public var lrDecay: Double = 2
    /// Epochs at the base step size before the decay starts. Default: 4.
    public var decayAfter: Int = 4
    /// Word models: split each line with the ICU tokenizer (the vectors' segmentation rules with
    /// surface forms kept, as the classifier does; the defaults without vectors) instead of at
    /// whitespace. The configuration used is stored in the model and applied to every text it
    /// reads later (perplexity files, prompts). Default: false (text already tokenized, as PTB).
    public var tokenize: Bool = false
    /// The network and training settings.
    public var encoder = LanguageModelConfiguration.defaultSettings

    /// Zaremba et al.'s small configuration: 2 × 200 LSTM, dim 200, no dropout, SGD at 1,
    /// 13 epochs, 20 streams, clip 5.
    public static var defaultSettings: EncoderSettings {
        var settings = EncoderSettings()
        settings.cell = .lstm
        settings.layers = 2
        settings.hidden = 200
        settings.dim = 200
        settings.bidirectional = false
        settings.dropout = 0
        settings.optimizer = .sgd
        settings.lr = 1
        settings.epochs = 13
        settings.patience = 13
        settings.batch = 20
        settings.clip = 5
        return settings
    }

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case unit, bptt, tied
        case initScale = "init_scale"
        case lrDecay = "lr_decay"
        case decayAfter = "decay_after"
        case tokenize
    }

    /// The keys of pipeline files (without the tagger-only `word_dropout`).
    public static let keys = ["unit", "bptt", "tied", "init_scale", "lr_decay", "decay_after", "tokenize"]
        + EncoderSettings.keys.filter { $0 != "word_dropout" }

    /// Decodes flat settings: the encoder keys a file leaves out take this type's defaults.
    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: EncoderSettings.dataKeys + Self.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LanguageModelConfiguration()
        unit = try c.decodeIfPresent(LanguageModelUnit.self, forKey: .unit) ?? d.unit
        bptt = try c.decodeIfPresent(Int.self, forKey: .bptt) ?? d.bptt
        tied = try c.decodeIfPresent(Bool.self, forKey: .tied) ?? d.tied
        initScale = try c.decodeIfPresent(Double.self, forKey: .initScale) ?? d.initScale
        lrDecay = try c.decodeIfPresent(Double.self, forKey: .lrDecay) ?? d.lrDecay
        decayAfter = try c.decodeIfPresent(Int.self, forKey: .decayAfter) ?? d.decayAfter
        tokenize = try c.decodeIfPresent(Bool.self, forKey: .tokenize) ?? d.tokenize
        // The shared keys, each absent one from this type's defaults (not the tagger's); sgd
        // without `lr` keeps Zaremba's 1.
        encoder = try EncoderSettings(from: decoder, defaults: Self.defaultSettings, rateForOptimizer: { $0 == .sgd ? 1 : nil })
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit, forKey: .unit)
        try c.encode(bptt, forKey: .bptt)
        try c.encode(tied, forKey: .tied)
        try c.encode(initScale, forKey: .initScale)
        try c.encode(lrDecay, forKey: .lrDecay)
        try c.encode(decayAfter, forKey: .decayAfter)
        // Only when set, so that the files and pipeline fingerprints of earlier models stay as they were.
        if tokenize { try c.encode(tokenize, forKey: .tokenize) }
        try self.encoder.encode(to: encoder)
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ModelError.invalidOption(name: SettingKey(stringValue: key), value: "\(value)", expected: expected) }
        }
        try check((1...10_000).contains(bptt), "bptt", bptt, "an integer in 1...10000 (steps of truncated back-propagation)")
        try check(initScale >= 0 && initScale <= 10, "init_scale", initScale, "a number in [0, 10] (0 = the layers' own initialization)")
        try check(lrDecay >= 1 && lrDecay <= 1000, "lr_decay", lrDecay, "a number in [1, 1000] (the divisor per epoch; 1 = no decay)")
        try check(decayAfter >= 0, "decay_after", decayAfter, "an integer >= 0")
        try check(!encoder.bidirectional, "bidirectional", encoder.bidirectional, "false: a language model reads left to right (--no-bidirectional)")
        try check(!tokenize || unit == .word, "tokenize", tokenize, "false for char models (they read every character as it is)")
        try check(encoder.wordDropout == 0, "word_dropout", encoder.wordDropout, "0: language models have no word dropout")
        try encoder.validate()
        if tied && encoder.dim != encoder.hidden {
            throw ModelError.invalidOption(name: SettingKey(stringValue: "dim"), value: "\(encoder.dim)",
                                           expected: "the hidden size \(encoder.hidden) with tied embeddings (the output layer is the embedding)")
        }
    }

    /// The step size of an epoch (1-based): the base for `decayAfter` epochs, then divided by
    /// `lrDecay` each epoch.
    public func learningRate(epoch: Int) -> Double {
        TrainingPlan.stepDecay(base: encoder.learningRate, divisor: lrDecay, after: decayAfter, epoch: epoch)
    }
}
