import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// How the decoder looks at the source (Luong et al. 2015's global attention; `bahdanau` is the
/// additive score of Bahdanau et al. 2015 used in the same place).
public enum AttentionKind: String, Codable, Sendable, CaseIterable {
    /// score(s, h) = vᵀ tanh(W₁s + W₂h + b).
    case bahdanau
    /// score(s, h) = sᵀ W h.
    case luongGeneral = "luong-general"
    /// score(s, h) = sᵀ h.
    case luongDot = "luong-dot"
    /// No attention: the decoder reads only its initial state from the encoder.
    case none
}

/// Everything that decides a trained encoder-decoder: vocabularies, attention, network and
/// training. The network and training keys are those of taggers (`EncoderSettings`): `hidden`
/// is the size of each encoder direction, as for taggers, and the decoder has `2 · hidden`
/// units (the size of the encoder's output, which its attention reads).
public struct Seq2SeqConfiguration: Codable, Sendable, Equatable, Hashable {
    /// The attention. Default: bahdanau.
    public var attention: AttentionKind = .bahdanau
    /// A word is in a side's vocabulary when it occurs at least this often in training. Default: 1.
    public var minCount: Int = 1
    /// At most this many words per side (most frequent first; 0: no limit). Default: 0.
    public var maxSize: Int = 0
    /// Training pairs with a side longer than this many tokens are dropped (and counted). Default: 50.
    public var maxLength: Int = 50
    /// Tie the decoder's output layer to its input embedding (needs `dim == 2 · hidden`). Default: false.
    public var tied: Bool = false
    /// Label smoothing ε of the training loss (OpenNMT's: 1 − ε on the gold token, ε spread
    /// evenly over the other target words but `<pad>`); 0 turns it off. Default: 0.
    public var labelSmoothing: Double = 0
    /// After `decayAfter` epochs the step size is divided by this each epoch, with Adam or SGD
    /// (as `train-lm`'s; 1: the optimizer's default schedule). Default: 1.
    public var lrDecay: Double = 1
    /// Split raw text with the ICU tokenizer, each side with its own configuration (surface forms
    /// kept: case, punctuation, numbers), both stored in the model; `translate` splits its input
    /// and joins its output with them. Without it, text is tokenized already (split on spaces).
    /// Default: false.
    public var tokenize: Bool = false
    /// With `tokenize`: the source side's locale (its segmentation rules; "" the root rules). Default: "".
    public var sourceLocale: String = ""
    /// With `tokenize`: the target side's locale, also the language whose spacing the output is
    /// detokenized with. Default: "".
    public var targetLocale: String = ""
    /// Epochs at the base step size before `lrDecay` applies. Default: 0.
    public var decayAfter: Int = 0
    /// Luong et al.'s input feeding (2015, §3.3; OpenNMT's `input_feed`): the decoder reads
    /// `[embedding(y_{t-1}); h̃_{t-1}]`, the previous step's attentional vector beside the
    /// previous word (zeros at the first step), so it runs one step at a time. Needs attention.
    /// Default: false.
    public var inputFeeding: Bool = false
    /// The network and training settings.
    public var encoder = Seq2SeqConfiguration.defaultSettings

    /// A 1-layer bidirectional GRU of 2 × 128 (decoder 256), dim 256, dropout 0.2, Adam at 0.001, 10 epochs,
    /// batches of 64, clip 1.
    public static var defaultSettings: EncoderSettings {
        var settings = EncoderSettings()
        settings.cell = .gru
        settings.layers = 1
        settings.hidden = 128
        settings.dim = 256
        settings.bidirectional = true
        settings.dropout = 0.2
        settings.optimizer = .adam
        settings.lr = 0.001
        settings.epochs = 10
        settings.patience = 10
        settings.batch = 64
        settings.clip = 1
        return settings
    }

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case attention, tied
        case minCount = "min_count"
        case maxSize = "max_size"
        case maxLength = "max_length"
        case labelSmoothing = "label_smoothing"
        case lrDecay = "lr_decay"
        case tokenize
        case sourceLocale = "source_locale"
        case targetLocale = "target_locale"
        case decayAfter = "decay_after"
        case inputFeeding = "input_feeding"
    }

    /// The data keys of the pipeline stage, beside the settings.
    public static let dataKeys = ["source", "target", "pairs", "dev_source", "dev_target", "dev_pairs", "test_source", "test_target", "test_pairs"]

    /// The keys of pipeline files (without the tagger-only `word_dropout`).
    public static let keys = ["attention", "tied", "min_count", "max_size", "max_length", "label_smoothing", "lr_decay", "decay_after", "tokenize", "source_locale", "target_locale", "input_feeding"]
        + EncoderSettings.keys.filter { $0 != "word_dropout" }

    /// Decodes flat settings: the encoder keys a file leaves out take this type's defaults.
    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: Self.dataKeys + Self.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Seq2SeqConfiguration()
        attention = try c.decodeIfPresent(AttentionKind.self, forKey: .attention) ?? d.attention
        tied = try c.decodeIfPresent(Bool.self, forKey: .tied) ?? d.tied
        minCount = try c.decodeIfPresent(Int.self, forKey: .minCount) ?? d.minCount
        maxSize = try c.decodeIfPresent(Int.self, forKey: .maxSize) ?? d.maxSize
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength) ?? d.maxLength
        labelSmoothing = try c.decodeIfPresent(Double.self, forKey: .labelSmoothing) ?? d.labelSmoothing
        lrDecay = try c.decodeIfPresent(Double.self, forKey: .lrDecay) ?? d.lrDecay
        tokenize = try c.decodeIfPresent(Bool.self, forKey: .tokenize) ?? d.tokenize
        sourceLocale = try c.decodeIfPresent(String.self, forKey: .sourceLocale) ?? d.sourceLocale
        targetLocale = try c.decodeIfPresent(String.self, forKey: .targetLocale) ?? d.targetLocale
        decayAfter = try c.decodeIfPresent(Int.self, forKey: .decayAfter) ?? d.decayAfter
        inputFeeding = try c.decodeIfPresent(Bool.self, forKey: .inputFeeding) ?? d.inputFeeding
        // The shared keys, each absent one from this type's defaults (not the tagger's).
        encoder = try EncoderSettings(from: decoder, defaults: Self.defaultSettings)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attention, forKey: .attention)
        try c.encode(tied, forKey: .tied)
        try c.encode(minCount, forKey: .minCount)
        try c.encode(maxSize, forKey: .maxSize)
        try c.encode(maxLength, forKey: .maxLength)
        // Written only when on, so that models and pipeline locks from before it read and hash as they did.
        if labelSmoothing != 0 { try c.encode(labelSmoothing, forKey: .labelSmoothing) }
        if tokenize {
            try c.encode(tokenize, forKey: .tokenize)
            try c.encode(sourceLocale, forKey: .sourceLocale)
            try c.encode(targetLocale, forKey: .targetLocale)
        }
        if inputFeeding { try c.encode(inputFeeding, forKey: .inputFeeding) }
        if lrDecay != 1 || decayAfter != 0 {
            try c.encode(lrDecay, forKey: .lrDecay)
            try c.encode(decayAfter, forKey: .decayAfter)
        }
        try self.encoder.encode(to: encoder)
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ModelError.invalidOption(name: SettingKey(stringValue: key), value: "\(value)", expected: expected) }
        }
        try check(minCount >= 1, "min_count", minCount, "an integer >= 1")
        try check(maxSize >= 0, "max_size", maxSize, "an integer >= 0 (0 = no limit)")
        try check((1...10_000).contains(maxLength), "max_length", maxLength, "an integer in 1...10000 (tokens per side)")
        try check(lrDecay >= 1 && lrDecay <= 1000, "lr_decay", lrDecay, "a number in [1, 1000] (the divisor per epoch; 1 = no decay)")
        try check(decayAfter >= 0, "decay_after", decayAfter, "an integer >= 0")
        for (key, locale) in [("source_locale", sourceLocale), ("target_locale", targetLocale)] {
            try check(locale.isEmpty || tokenize, key, locale, "no locale without tokenize (the text is split on spaces)")
            try check(locale.count <= 40 && locale.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") },
                      key, locale, "a locale identifier such as en, de or fr_FR")
        }
        try check(labelSmoothing >= 0 && labelSmoothing < 1, "label_smoothing", labelSmoothing, "a number in [0, 1) (0.1 is usual; 0: off)")
        try check(!inputFeeding || attention != .none, "input_feeding", inputFeeding,
                  "false when attention is none (input feeding passes the previous step's attentional vector to the decoder, and there is none without attention; choose an attention or leave input feeding off)")
        try check(encoder.bidirectional, "bidirectional", encoder.bidirectional, "true: the encoder is bidirectional")
        try check((1...4).contains(encoder.layers), "layers", encoder.layers, "an integer in 1...4")
        try check(encoder.cell == .gru || encoder.cell == .lstm, "cell", encoder.cell.rawValue, "gru or lstm")
        try check(encoder.wordDropout == 0, "word_dropout", encoder.wordDropout, "0: encoder-decoders have no word dropout")
        try encoder.validate()
        if tied && encoder.dim != 2 * encoder.hidden {
            throw ModelError.invalidOption(name: SettingKey(stringValue: "dim"), value: "\(encoder.dim)",
                                           expected: "the decoder size \(2 * encoder.hidden) (2 x hidden) with tied embeddings (the output layer is the target embedding)")
        }
    }

    /// With `tokenize`, the ICU tokenizer configurations of the source and target sides: surface
    /// forms kept, one line per segment, each side's locale.
    public var sideTokenizers: (source: TokenizerConfiguration, target: TokenizerConfiguration)? {
        guard tokenize else { return nil }
        func side(_ locale: String) -> TokenizerConfiguration {
            var configuration = Tagger.surfaceTokenizer(from: nil)
            configuration.sentences = false
            if !locale.isEmpty { configuration.locale = locale }
            return configuration
        }
        return (side(sourceLocale), side(targetLocale))
    }
}
