import Corpora
import Foundation
import Recurrent
import WordPipeSupport

/// The optimizer of a tagger or classifier.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// Plain SGD with momentum 0.9 and NCRF++'s step decay `lr / (1 + 0.05 · epoch)`.
    case sgd
    /// Adam (Kingma & Ba 2015); embedding rows are updated lazily, as PyTorch's `SparseAdam`.
    case adam

    /// The default step size: 0.015 for SGD (NCRF++), 0.001 for Adam.
    public var defaultLearningRate: Double { self == .sgd ? 0.015 : 0.001 }
}

/// How a classifier turns the encoder's states into one vector per text.
public enum Pooling: String, Codable, Sendable, CaseIterable {
    /// The last state of each direction: the forward direction's state at the last token and the
    /// backward direction's state at the first.
    case last
    /// The maximum of each feature over the text's tokens.
    case max
    /// The mean over the text's tokens.
    case mean
}

/// The chunk-tag scheme a tagger trains on. Data in any chunk scheme is read as IOB2 and scored
/// in IOB2 whichever it is; with `bioes` the training labels are BIOES (`S-X` for one-token
/// chunks, `E-X` for the last token of longer ones), the CRF's constraints BIOES's, and the
/// predictions converted back to IOB2. Tags that are not chunk tags (part of speech) are kept as
/// they are either way.
public enum TrainingTagScheme: String, Codable, Sendable, CaseIterable {
    /// Train on IOB2 labels (`B-X`, `I-X`, `O`).
    case iob2
    /// Train on BIOES labels (NCRF++'s and Flair's default).
    case bioes
}

/// The network and training settings shared by taggers and classifiers: embedding, recurrent
/// encoder, optimizer and early stopping. Keys in pipeline files are the snake_case names.
public struct EncoderSettings: Codable, Sendable, Equatable, Hashable {
    /// The recurrent cell. Default: lstm.
    public var cell: CellKind = .lstm
    /// Stacked layers (1–4). Default: 1.
    public var layers: Int = 1
    /// Hidden units per direction (PyTorch's `hidden_size`). Default: 256.
    public var hidden: Int = 256
    /// Read in both directions. Default: true.
    public var bidirectional: Bool = true
    /// Dropout on the embeddings, between layers and on the encoder output. Default: 0.5.
    public var dropout: Double = 0.5
    /// Optimizer. Default: adam.
    public var optimizer: OptimizerKind = .adam
    /// Step size; default by optimizer (0.001 Adam, 0.015 SGD).
    public var lr: Double?
    /// Maximum passes over the training data. Default: 50.
    public var epochs: Int = 50
    /// Stop after this many epochs without a better dev score. Default: 5.
    public var patience: Int = 5
    /// Sentences (or texts) per batch. Default: 32.
    public var batch: Int = 32
    /// Global gradient-norm clipping (0 = off). Default: 5.
    public var clip: Double = 5
    /// Keep the word vectors fixed. Default: false (fine-tuned).
    public var freezeEmbeddings: Bool = false
    /// Embedding size when there are no vectors to initialize from. Default: 100.
    public var dim: Int = 100
    /// Seed of the initialization, dropout and batch order. Default: 1.
    public var seed: UInt64 = 1
    /// In training, the probability that a token's word id is replaced by `<unk>`'s, so that the
    /// `<unk>` row learns what unknown words look like (Flair's `word_dropout`). Default: 0 (off).
    public var wordDropout: Double = 0

    /// The defaults.
    public init() {}

    /// The step size in use.
    public var learningRate: Double { lr ?? optimizer.defaultLearningRate }

    /// The data-file keys of the pipeline stages (`train`, `dev`, `test`), read by the stage.
    public static let dataKeys = ["train", "dev", "test"]
    /// The keys of pipeline files.
    public static let keys = ["cell", "layers", "hidden", "bidirectional", "dropout", "optimizer", "lr", "epochs", "patience",
                       "batch", "clip", "freeze_embeddings", "dim", "seed", "word_dropout"]

    enum CodingKeys: String, CodingKey {
        case cell, layers, hidden, bidirectional, dropout, optimizer, lr, epochs, patience, batch, clip, dim, seed
        case freezeEmbeddings = "freeze_embeddings"
        case wordDropout = "word_dropout"
    }

    /// Decodes from the same container as the task's own keys (settings are flat in pipeline files).
    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, defaults: EncoderSettings())
    }

    /// Decodes flat settings whose absent keys take `defaults` (a model type's own: a language
    /// model's or a translator's, not the tagger's). An `optimizer` given without `lr` gets
    /// `rateForOptimizer(optimizer)` (nil: that optimizer's default rate).
    public init(from decoder: Decoder, defaults d: EncoderSettings, rateForOptimizer: (OptimizerKind) -> Double? = { _ in nil }) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decodeIfPresent(CellKind.self, forKey: .cell) ?? d.cell
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? d.layers
        hidden = try c.decodeIfPresent(Int.self, forKey: .hidden) ?? d.hidden
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? d.bidirectional
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        optimizer = try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? d.optimizer
        lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? (c.contains(.optimizer) ? rateForOptimizer(optimizer) : d.lr)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        patience = try c.decodeIfPresent(Int.self, forKey: .patience) ?? d.patience
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch
        clip = try c.decodeIfPresent(Double.self, forKey: .clip) ?? d.clip
        freezeEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .freezeEmbeddings) ?? d.freezeEmbeddings
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? d.dim
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        wordDropout = try c.decodeIfPresent(Double.self, forKey: .wordDropout) ?? d.wordDropout
    }

    /// Encodes every key; `word_dropout` only when on, so that the canonical settings of pipeline
    /// locks and the headers of model files trained without it stay as they were.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(layers, forKey: .layers)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(bidirectional, forKey: .bidirectional)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(optimizer, forKey: .optimizer)
        try c.encodeIfPresent(lr, forKey: .lr)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(patience, forKey: .patience)
        try c.encode(batch, forKey: .batch)
        try c.encode(clip, forKey: .clip)
        try c.encode(freezeEmbeddings, forKey: .freezeEmbeddings)
        try c.encode(dim, forKey: .dim)
        try c.encode(seed, forKey: .seed)
        if wordDropout != 0 { try c.encode(wordDropout, forKey: .wordDropout) }
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ key: CodingKeys, _ value: Any, _ expected: String) throws {
            if !ok { throw ModelError.invalidOption(name: SettingKey(key), value: "\(value)", expected: expected) }
        }
        try check((1...4).contains(layers), .layers, layers, "an integer in 1...4")
        try check((1...4096).contains(hidden), .hidden, hidden, "an integer in 1...4096")
        try check(dropout >= 0 && dropout < 1, .dropout, dropout, "a number in [0, 1)")
        if let lr { try check(lr > 0 && lr < 10, .lr, lr, "a number in (0, 10)") }
        try check((1...10_000).contains(epochs), .epochs, epochs, "an integer in 1...10000")
        try check(patience >= 1, .patience, patience, "an integer of at least 1")
        try check((1...4096).contains(batch), .batch, batch, "an integer in 1...4096")
        try check(clip >= 0, .clip, clip, "a number >= 0 (0 = no clipping)")
        try check((1...4096).contains(dim), .dim, dim, "an integer in 1...4096")
        try check(wordDropout >= 0 && wordDropout < 1, .wordDropout, wordDropout, "a number in [0, 1)")
    }
}

/// Everything that decides a trained tagger: data format, network and training. Shared by
/// `wordpipe train-tagger` and the pipeline's `train-tagger` stage (flat snake_case keys).
public struct TaggerConfiguration: Codable, Sendable, Equatable, Hashable {
    /// The data format. Default: conll.
    public var format: TaggedDataFormat = .conll
    /// The 1-based tag column; default: the last (conll) or 4, UPOS (conllu).
    public var column: Int?
    /// A linear-chain CRF output layer (else a per-token softmax). Default: true.
    public var crf: Bool = true
    /// Character features per word. Default: none.
    public var charFeatures: CharacterFeatureKind = .none
    /// The labels chunk tags are trained on. Default: iob2.
    public var tagScheme: TrainingTagScheme = .iob2
    /// The network and training settings.
    public var encoder = EncoderSettings()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case format, column, crf
        case charFeatures = "char_features"
        case tagScheme = "tag_scheme"
    }

    /// The keys of pipeline files.
    public static let keys = ["format", "column", "crf", "char_features", "tag_scheme"] + EncoderSettings.keys

    /// Decodes flat settings; besides its own keys it accepts `dataKeys`, the data files a
    /// pipeline stage names beside them, and rejects any other key with the closest valid one.
    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: EncoderSettings.dataKeys + Self.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(TaggedDataFormat.self, forKey: .format) ?? .conll
        column = try c.decodeIfPresent(Int.self, forKey: .column)
        crf = try c.decodeIfPresent(Bool.self, forKey: .crf) ?? true
        charFeatures = try c.decodeIfPresent(CharacterFeatureKind.self, forKey: .charFeatures) ?? .none
        tagScheme = try c.decodeIfPresent(TrainingTagScheme.self, forKey: .tagScheme) ?? .iob2
        encoder = try EncoderSettings(from: decoder)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encodeIfPresent(column, forKey: .column)
        try c.encode(crf, forKey: .crf)
        try c.encode(charFeatures, forKey: .charFeatures)
        // Only when not the default, as `word_dropout`: model files without the key (all before
        // it existed) are iob2 models, and pipeline locks of iob2 stages stay valid.
        if tagScheme != .iob2 { try c.encode(tagScheme, forKey: .tagScheme) }
        try self.encoder.encode(to: encoder)
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws {
        if let column, column < 1 {
            throw ModelError.invalidOption(name: SettingKey(CodingKeys.column), value: "\(column)", expected: "a 1-based column number")
        }
        try encoder.validate()
    }
}

/// Everything that decides a trained classifier. Shared by `wordpipe train-classifier` and the
/// pipeline's `train-classifier` stage.
public struct ClassifierConfiguration: Codable, Sendable, Equatable, Hashable {
    /// The data format. Default: tsv.
    public var format: ClassificationDataFormat = .tsv
    /// How the encoder's states become one vector. Default: max.
    public var pooling: Pooling = .max
    /// The network and training settings.
    public var encoder = EncoderSettings()

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey { case format, pooling }

    /// The keys of pipeline files.
    public static let keys = ["format", "pooling"] + EncoderSettings.keys

    /// Decodes flat settings (see `TaggerConfiguration.init(from:)`).
    public init(from decoder: Decoder) throws {
        try StrictKeys.check(decoder, allowed: EncoderSettings.dataKeys + Self.keys)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(ClassificationDataFormat.self, forKey: .format) ?? .tsv
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? .max
        encoder = try EncoderSettings(from: decoder)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(pooling, forKey: .pooling)
        try self.encoder.encode(to: encoder)
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws { try encoder.validate() }
}

/// Errors from training, loading and applying taggers and classifiers.
public enum ModelError: Error, Equatable, NamesSettings {
    /// An option is out of range.
    case invalidOption(name: SettingKey, value: String, expected: String)
    /// A model file that cannot be used (foreign, truncated, another version or task).
    case badModel(path: String, reason: String)
    /// Data that cannot be used with this model (a label it does not know, no examples).
    case badData(location: SourceLocation?, message: String)
    /// Training produced NaN or infinity.
    case diverged(epoch: Int, batch: Int)
    /// A training checkpoint that cannot be resumed from (`message` says why).
    case badCheckpoint(location: SourceLocation, message: String)
    /// A checkpoint was made by another run: each difference, `setting: then → now`.
    case checkpointMismatch(path: String, differences: [String])

    public func message(naming: SettingNaming) -> String {
        switch self {
        case .invalidOption(let name, let value, let expected):
            return "invalid value \(value) for \(naming(name)): expected \(expected)"
        case .badModel(let path, let reason):
            return "\(path): \(reason)"
        case .badData(let location, let message):
            return location.map { "\($0): \(message)" } ?? message
        case .diverged(let epoch, let batch):
            return "training diverged (loss is not finite) in epoch \(epoch), batch \(batch); try a smaller \(naming("lr")) or \(naming("clip"))"
        case .badCheckpoint(let location, let message):
            return "\(location): \(message); resume with the data and settings it was made with, or train without \(naming("resume")) (or with another \(naming("checkpoint")) directory)"
        case .checkpointMismatch(let path, let differences):
            return "\(path): the checkpoint was made with other settings or data (\(differences.joined(separator: "; "))); use the same settings and data or another \(naming("checkpoint")) directory"
        }
    }
}

extension ModelError: InvalidSettingError {
    /// The setting an `invalidOption` is about (nil for the other errors).
    public var invalidSetting: (key: SettingKey, value: String, expected: String)? {
        if case .invalidOption(let key, let value, let expected) = self { return (key, value, expected) }
        return nil
    }
}
