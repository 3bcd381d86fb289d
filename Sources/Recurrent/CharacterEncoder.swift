import Foundation

/// Maps characters (Unicode scalars) to ids for `CharacterEncoder`: id 0 is padding, 1 unknown,
/// and the characters seen at least `minCount` times get 2, 3, … by descending frequency (ties by
/// scalar value), so the same words always give the same vocabulary.
///
/// ```swift
/// let characters = CharacterVocabulary(words: ["Paris", "is", "big"])
/// characters.ids(for: "six")   // [id of s, id of i, 1 (x is unknown)]
/// ```
public struct CharacterVocabulary: Codable, Sendable, Equatable {
    /// The padding id (a zero vector in the encoder).
    public static let padding: Int32 = 0
    /// The id of characters not in the vocabulary.
    public static let unknown: Int32 = 1
    /// The default number of characters kept per word (as NCRF++'s character sequences).
    public static let defaultMaxLength = 30

    /// The characters with ids 2, 3, …, in id order, as scalar values.
    public let scalars: [UInt32]
    private let index: [UInt32: Int32]

    /// The vocabulary of the characters of `words` seen at least `minCount` times.
    public init(words: some Sequence<String>, minCount: Int = 1) {
        precondition(minCount >= 1, "minCount must be at least 1, got \(minCount)")
        var counts: [UInt32: Int] = [:]
        for word in words {
            for scalar in word.unicodeScalars { counts[scalar.value, default: 0] += 1 }
        }
        let kept = counts.filter { $0.value >= minCount }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        self.init(validScalars: kept.map(\.key))
    }

    private init(validScalars scalars: [UInt32]) {
        self.scalars = scalars
        index = Dictionary(uniqueKeysWithValues: scalars.enumerated().map { ($1, Int32($0) + 2) })
    }

    /// The number of ids, padding and unknown included (the encoder's `alphabetSize`).
    public var count: Int { scalars.count + 2 }

    /// The ids of the first `maxLength` Unicode scalars of `word`; an empty word gives `[unknown]`,
    /// so the result is never empty.
    public func ids(for word: String, maxLength: Int = CharacterVocabulary.defaultMaxLength) -> [Int32] {
        precondition(maxLength >= 1, "maxLength must be at least 1, got \(maxLength)")
        let ids = word.unicodeScalars.prefix(maxLength).map { index[$0.value] ?? Self.unknown }
        return ids.isEmpty ? [Self.unknown] : ids
    }

    /// The ids of each word (see `ids(for:maxLength:)`).
    public func ids(for words: [String], maxLength: Int = CharacterVocabulary.defaultMaxLength) -> [[Int32]] {
        words.map { ids(for: $0, maxLength: maxLength) }
    }

    private enum CodingKeys: String, CodingKey { case scalars }

    /// Decodes and checks the scalar list (valid Unicode scalars, each once).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let scalars = try container.decode([UInt32].self, forKey: .scalars)
        var seen = Set<UInt32>()
        for value in scalars {
            guard Unicode.Scalar(value) != nil, seen.insert(value).inserted else {
                throw DecodingError.dataCorruptedError(forKey: .scalars, in: container,
                                                       debugDescription: "\(value) is not a Unicode scalar or appears twice")
            }
        }
        self.init(validScalars: scalars)
    }

    /// Encodes the scalar list.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(scalars, forKey: .scalars)
    }

    public static func == (a: CharacterVocabulary, b: CharacterVocabulary) -> Bool { a.scalars == b.scalars }
}

/// How a tagger turns a word's characters into features.
public enum CharacterFeatureKind: String, Codable, Sendable, CaseIterable {
    /// No character features.
    case none
    /// A bidirectional LSTM over the characters; its final states.
    case lstm
    /// A width-3 convolution over the characters, max-pooled.
    case cnn
}

/// A per-word character encoder, as NCRF++'s `CharBiLSTM` and `CharCNN` (Yang & Zhang 2018; after
/// Lample et al. 2016 and Ma & Hovy 2016): character embeddings (`charDim`, uniform in
/// ±sqrt(3 / charDim), the padding row zero), then either
/// - `.lstm`: a bidirectional LSTM (`outputSize / 2` per direction) over each word; the features
///   are its final forward and backward hidden states side by side, or
/// - `.cnn`: one 1-D convolution of width 3 with zero padding 1 (`outputSize` filters) followed by
///   max pooling over the word's characters (only the real ones: unlike NCRF++, positions past the
///   word's end never win the max).
///
/// All the words of a batch go through one batched pass, each distinct word once: for `.lstm`, one
/// time-major `SequenceBatch` with the words as sequences, longest first (so the LSTM skips the
/// steps past each word's end); for `.cnn`, im2col (three embedding
/// lookups side by side), one GEMM and the max over each word's rows, with the arg-max kept for
/// the backward pass.
///
/// The convolution's weight is `outputSize × 3·charDim`: column `k · charDim + c` is channel `c` at
/// offset `k − 1` (PyTorch's `Conv1d` weight `[f, c, k]`, permuted). It and the bias start uniform
/// in ±1/sqrt(3·charDim), as PyTorch's default; the LSTM starts as `RecurrentLayer` does.
public final class CharacterEncoder<Scalar: RecurrentScalar> {
    /// `.lstm` or `.cnn`.
    public let kind: CharacterFeatureKind
    /// The character table (padding id 0; sparse gradient).
    public let embedding: Embedding<Scalar>
    /// The bidirectional LSTM (`.lstm` only).
    public let lstm: Bidirectional<Scalar>?
    /// The convolution's weight, `outputSize × 3·charDim` (`.cnn` only).
    public let convolutionWeight: Parameter<Scalar>?
    /// The convolution's bias, `1 × outputSize` (`.cnn` only).
    public let convolutionBias: Parameter<Scalar>?
    private let features: Int

    /// The convolution's width.
    public static var windowWidth: Int { 3 }

    /// A seeded encoder; `kind` is `.lstm` (then `outputSize` must be even) or `.cnn`.
    public init(kind: CharacterFeatureKind, alphabetSize: Int, charDim: Int = 30, outputSize: Int = 50, seed: UInt64,
                name: String = "char") {
        precondition(kind != .none, "a character encoder is .lstm or .cnn, not .none")
        precondition(alphabetSize >= 2 && charDim >= 1 && outputSize >= 1,
                     "sizes must be positive (alphabet ≥ 2), got alphabet \(alphabetSize), charDim \(charDim), output \(outputSize)")
        precondition(kind != .lstm || outputSize % 2 == 0, "a bidirectional LSTM needs an even outputSize, got \(outputSize)")
        self.kind = kind
        features = outputSize
        var generator = SeededGenerator(seed: seed)
        embedding = Embedding(rows: alphabetSize, dim: charDim, paddingID: CharacterVocabulary.padding,
                              unknownID: CharacterVocabulary.unknown, seed: generator.next(), name: "\(name).embedding")
        var table = Matrix<Scalar>.uniform(rows: alphabetSize, columns: charDim, limit: (3 / Double(charDim)).squareRoot(),
                                           using: &generator)
        for j in 0..<charDim { table[Int(CharacterVocabulary.padding), j] = 0 }
        embedding.weight.value = table
        switch kind {
        case .lstm:
            lstm = Bidirectional(.lstm, inputSize: charDim, hiddenSize: outputSize / 2, seed: generator.next(), name: "\(name).lstm")
            convolutionWeight = nil
            convolutionBias = nil
        default:
            let limit = 1 / Double(Self.windowWidth * charDim).squareRoot()
            lstm = nil
            convolutionWeight = Parameter(name: "\(name).cnn.weight",
                                          value: .uniform(rows: outputSize, columns: Self.windowWidth * charDim, limit: limit,
                                                          using: &generator))
            convolutionBias = Parameter(name: "\(name).cnn.bias", value: .uniform(rows: 1, columns: outputSize, limit: limit,
                                                                                 using: &generator))
        }
    }

    /// Features per word.
    public var outputSize: Int { features }
    /// The size of a character embedding.
    public var charDim: Int { embedding.dim }
    /// The number of character ids.
    public var alphabetSize: Int { embedding.rows }

    /// The embedding, then the LSTM's or the convolution's parameters.
    public var parameters: [Parameter<Scalar>] {
        [embedding.weight] + (lstm?.parameters ?? []) + [convolutionWeight, convolutionBias].compactMap { $0 }
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Encodes `words` (each a list of ids in `0..<alphabetSize`, as `CharacterVocabulary.ids(for:)`
    /// gives) to `words.count × outputSize`. An empty list stands for padding: its row is zero and
    /// learns nothing (so the words of a time-major `TokenBatch`, padding included, give rows that
    /// line up with the batch's). `training` changes nothing yet (reserved for dropout).
    /// - Complexity: one batched pass over the distinct words.
    public func forward(_ words: [[Int32]], training: Bool) -> CharacterTrace<Scalar> {
        // Each distinct word once.
        var uniqueIndex: [[Int32]: Int] = [:]
        var unique: [[Int32]] = []
        var rows = words.map { word in
            guard !word.isEmpty else { return -1 }
            if let row = uniqueIndex[word] { return row }
            uniqueIndex[word] = unique.count
            unique.append(word)
            return unique.count - 1
        }
        if lstm != nil && unique.count > 1 {
            // Longest word first, so that the LSTM computes only the words still running at each
            // step (see RecurrentLayer); `rows` points each word at its place in that order.
            let order = unique.indices.sorted { unique[$0].count != unique[$1].count ? unique[$0].count > unique[$1].count : $0 < $1 }
            var place = [Int](repeating: 0, count: unique.count)
            for (position, index) in order.enumerated() { place[index] = position }
            unique = order.map { unique[$0] }
            rows = rows.map { $0 < 0 ? -1 : place[$0] }
        }
        guard !unique.isEmpty else {
            return CharacterTrace(output: Matrix(rows: words.count, columns: outputSize), rows: rows, uniqueCount: 0, detail: .empty)
        }
        let encoded: Matrix<Scalar>, detail: CharacterTrace<Scalar>.Detail
        if let lstm {
            let ids = TokenBatch(sequences: unique)
            let trace = lstm.forward(embedding.forward(ids), initialState: nil, training: training)
            encoded = Matrix.concatenateColumns(trace.finalState.h[0], trace.finalState.h[1])
            detail = .lstm(ids: ids.ids, trace: trace)
        } else if let convolutionWeight, let convolutionBias {
            // im2col: the row of position p of a word is [e(c_{p−1}), e(c_p), e(c_{p+1})], zeros off the word.
            var left: [Int32] = [], center: [Int32] = [], right: [Int32] = []
            var offsets = [0]
            for word in unique {
                for p in word.indices {
                    left.append(p > 0 ? word[p - 1] : TokenBatch.padding)
                    center.append(word[p])
                    right.append(p + 1 < word.count ? word[p + 1] : TokenBatch.padding)
                }
                offsets.append(center.count)
            }
            let d = charDim
            var columns = Matrix<Scalar>(rows: center.count, columns: Self.windowWidth * d)
            for (k, ids) in [left, center, right].enumerated() {
                columns.copyColumns(from: embedding.forward(ids), sourceColumn: 0, toColumn: k * d, count: d)
            }
            var convolved = columns.matmul(convolutionWeight.value, transposeB: true)
            convolved.addToRows(convolutionBias.value.storage)
            var pooled = Matrix<Scalar>(rows: unique.count, columns: outputSize)
            var argmax = [Int](repeating: 0, count: pooled.count)
            let (segments, width) = (unique.count, outputSize)
            offsets.withUnsafeBufferPointer { o in
                convolved.storage.withUnsafeBufferPointer { x in
                    pooled.storage.withUnsafeMutableBufferPointer { out in
                        argmax.withUnsafeMutableBufferPointer { a in
                            Scalar.maxPoolSegments(segments: segments, columns: width, offsets: o.baseAddress!, x: x.baseAddress!,
                                                   out: out.baseAddress!, argmax: a.baseAddress!)
                        }
                    }
                }
            }
            encoded = pooled
            detail = .cnn(windows: [left, center, right], columns: columns, argmax: argmax)
        } else {
            preconditionFailure("a character encoder has either an LSTM or a convolution")
        }
        return CharacterTrace(output: encoded.gatheringRows(rows), rows: rows, uniqueCount: unique.count, detail: detail)
    }

    /// Accumulates the parameter gradients (the embedding's sparsely) from ∂L/∂output
    /// (`words.count × outputSize`).
    public func backward(_ trace: CharacterTrace<Scalar>, outputGradient: Matrix<Scalar>) {
        precondition(outputGradient.rows == trace.output.rows && outputGradient.columns == outputSize,
                     "output gradient is \(outputGradient.shape), the output is \(trace.output.shape)")
        var gradient = Matrix<Scalar>(rows: trace.uniqueCount, columns: outputSize)
        gradient.addRows(of: outputGradient, to: trace.rows)
        switch trace.detail {
        case .empty:
            return
        case .lstm(let ids, let sequenceTrace):
            guard let lstm else { preconditionFailure("CharacterEncoder.backward was given the trace of another encoder") }
            let hidden = outputSize / 2
            let state = RecurrentState(h: [gradient.columns(0..<hidden), gradient.columns(hidden..<2 * hidden)])
            let inputGradient = lstm.backward(sequenceTrace, outputGradient: nil, finalStateGradient: state).input
            embedding.backward(ids: ids, outputGradient: inputGradient)
        case .cnn(let windows, let columns, let argmax):
            guard let convolutionWeight, let convolutionBias else {
                preconditionFailure("CharacterEncoder.backward was given the trace of another encoder")
            }
            var convolved = Matrix<Scalar>(rows: columns.rows, columns: outputSize)
            let width = outputSize
            argmax.withUnsafeBufferPointer { a in
                gradient.storage.withUnsafeBufferPointer { dOut in
                    convolved.storage.withUnsafeMutableBufferPointer { dx in
                        Scalar.maxUnpool(count: a.count, columns: width, argmax: a.baseAddress!, dOut: dOut.baseAddress!,
                                         dx: dx.baseAddress!)
                    }
                }
            }
            convolutionWeight.gradient.addProduct(convolved, columns, transposeA: true)
            convolutionBias.gradient.add(Matrix(rows: 1, columns: outputSize, storage: convolved.columnSums()))
            let columnGradient = convolved.matmul(convolutionWeight.value)
            let d = charDim
            for (k, ids) in windows.enumerated() {
                embedding.backward(ids: ids, outputGradient: columnGradient.columns(k * d ..< (k + 1) * d))
            }
        }
    }
}

/// What `CharacterEncoder.forward` returns: the features, and what the backward pass needs.
public struct CharacterTrace<Scalar: RecurrentScalar> {
    /// `words.count × outputSize`.
    public let output: Matrix<Scalar>
    /// For each word, its row among the distinct words (−1 for padding).
    let rows: [Int]
    /// The number of distinct words.
    let uniqueCount: Int
    let detail: Detail

    enum Detail {
        case empty
        /// The time-major ids of the distinct words and the LSTM's trace.
        case lstm(ids: [Int32], trace: SequenceTrace<Scalar>)
        /// The ids of the three window positions per character row, the im2col matrix, and the
        /// arg-max row of each pooled value.
        case cnn(windows: [[Int32]], columns: Matrix<Scalar>, argmax: [Int])
    }
}
