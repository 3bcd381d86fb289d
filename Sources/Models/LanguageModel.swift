import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// A recurrent language model (the 1-N architecture): an input embedding, a stack of RNN, LSTM
/// or GRU layers and a softmax over the vocabulary, at word or character level.
///
/// As Zaremba et al. (2014) and PyTorch's `word_language_model`: dropout on the embedding,
/// between the layers and on the top layer's output; the output layer optionally tied to the
/// embedding (Press & Wolf 2017). The output layer over every step of a segment at once is one
/// GEMM (`steps·streams × hidden` by `hidden × words`) forward and two backward.
///
/// Training cuts the corpus into `batch` parallel streams and walks them in segments of `bptt`
/// steps, the state of each stream carried from one segment to the next (and not
/// back-propagated into; truncated BPTT). The loss of a segment is its summed NLL over time,
/// averaged over the streams, as Zaremba's, so his step size (1) carries over.
public final class LanguageModel {
    /// The settings it was built with.
    public let configuration: LanguageModelConfiguration
    /// The words (or characters) it knows: `<pad>`, `<unk>`, then the training tokens.
    public let words: WordTable

    /// The embedding table, `words × dim`. Its gradient is sparse (the rows of a segment's
    /// tokens), except with tied weights, where the output layer's dense gradient adds to it, and
    /// with Adam, whose moments move every row at each step as PyTorch's dense `nn.Embedding`.
    let embedding: Parameter<Float>
    let recurrent: RecurrentStack<RecurrentLayer<Float>>
    let output: Linear<Float>
    let inputDropout: Dropout<Float>
    let outputDropout: Dropout<Float>
    /// The scores of the last segment, `rows × words`, kept for the next one (see `ScoreBuffer`).
    private let scores = ScoreBuffer()

    /// The id of `<unk>`.
    static let unknownID: Int32 = 1
    /// The token that ends each line of a word model.
    public static let endOfSentence = "<eos>"

    init(configuration: LanguageModelConfiguration, words: WordTable, initial: Matrix<Float>) {
        self.configuration = configuration
        self.words = words
        let settings = configuration.encoder
        var generator = SeededGenerator(seed: settings.seed)
        embedding = configuration.tied || settings.optimizer == .adam
            ? Parameter(name: "embedding.weight", value: initial, isTrainable: !settings.freezeEmbeddings)
            : Parameter(sparseName: "embedding.weight", value: initial, isTrainable: !settings.freezeEmbeddings)
        // With --init-scale every recurrent weight is drawn again below: the layers' orthogonal
        // draws would be thrown away.
        let stackSeed = generator.next()
        let build = {
            RecurrentStack<RecurrentLayer<Float>>(settings.cell, inputSize: initial.columns, hiddenSize: settings.hidden,
                                                  count: settings.layers, dropout: settings.dropout, seed: stackSeed)
        }
        recurrent = configuration.initScale > 0 ? Initializer.withPlaceholderWeights(build) : build()
        let outputSeed = generator.next()
        if configuration.tied {
            output = Linear(weight: embedding, bias: Parameter(name: "output.bias", value: Matrix(rows: 1, columns: words.count)))
        } else {
            output = Linear(inputSize: settings.hidden, outputSize: words.count, seed: outputSeed, name: "output")
        }
        inputDropout = Dropout(rate: settings.dropout, seed: generator.next())
        outputDropout = Dropout(rate: settings.dropout, seed: generator.next())
        if configuration.initScale > 0 {
            var drawer = SeededGenerator(seed: generator.next())
            let limit = configuration.initScale
            // Every row but <pad> and those from vectors.
            let dim = initial.columns
            embedding.value.storage.withUnsafeMutableBufferPointer { table in
                for row in 1..<words.count where !(words.fromVectors?[row] ?? false) {
                    for j in 0..<dim { table[row * dim + j] = Float(drawer.nextUniform(in: -limit...limit)) }
                }
            }
            for parameter in recurrent.parameters + output.parameters where parameter !== embedding {
                for index in parameter.value.storage.indices {
                    parameter.value.storage[index] = Float(drawer.nextUniform(in: -limit...limit))
                }
            }
        }
    }

    /// The parameters the optimizer updates (a frozen embedding is left out; a tied one is in).
    var trainableParameters: [Parameter<Float>] {
        (embedding.isTrainable ? [embedding] : []) + recurrent.parameters + outputParameters
    }
    /// Every parameter, in model-file order: the embedding first; a tied output weight is the
    /// embedding and is not listed twice.
    var allParameters: [Parameter<Float>] { [embedding] + recurrent.parameters + outputParameters }
    private var outputParameters: [Parameter<Float>] { configuration.tied ? [output.bias] : output.parameters }

    /// The number of states (`h`, and `c` for LSTMs) per layer.
    var layerCount: Int { recurrent.layers.count }
    var hidden: Int { configuration.encoder.hidden }

    // MARK: Forward and backward

    /// The embedded rows of `ids` (time-major), `ids.count × dim`.
    func embed(_ ids: [Int32]) -> Matrix<Float> { embedding.gatherRows(ids) }

    /// Adds the rows of `gradient` to the embedding's gradient at `ids` (a frozen table gets nothing).
    func embedBackward(_ ids: [Int32], gradient: Matrix<Float>) { embedding.accumulateRowGradients(ids, gradient) }

    /// The loss of one segment of `inputs` (one id array per stream, all of the same length)
    /// predicting `targets`, from `initialState` (zeros when nil); with `backward`, accumulates
    /// the gradients of the summed NLL over time averaged over the streams (Zaremba's loss).
    /// Returns the mean NLL per token, the summed NLL, and the state after the segment.
    func segment(inputs: [[Int32]], targets: [[Int32]], initialState: RecurrentState<Float>?, training: Bool,
                 backward: Bool) -> (meanLoss: Double, sum: Double, count: Int, finalState: RecurrentState<Float>) {
        let streams = inputs.count
        let steps = inputs.first?.count ?? 0
        let tokens = TokenBatch(sequences: inputs, steps: steps)
        let targetBatch = TokenBatch(sequences: targets, steps: steps)
        let embedded = embed(tokens.ids)
        let (dropped, inputMask) = inputDropout.forward(embedded, training: training)
        let batch = SequenceBatch(values: dropped, lengths: tokens.lengths, steps: steps)
        let trace = recurrent.forward(batch, initialState: initialState, training: training)
        let (top, outputMask) = outputDropout.forward(trace.output.values, training: training)
        let count = targetBatch.ids.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        var gradient = scores.take()
        output.forward(top, into: &gradient)
        // d(Σ_t mean_b NLL)/dlogit = (softmax − onehot) / streams, written over the scores.
        let sum = SoftmaxCrossEntropy.summedLossInPlace(logits: &gradient, targets: targetBatch.ids, scale: 1 / Float(max(streams, 1)))
        defer { scores.give(back: gradient) }
        if backward {
            let dTop = output.backward(input: top, outputGradient: gradient)
            let dStates = Dropout<Float>.backward(dTop, mask: outputMask)
            let result = recurrent.backward(trace, outputGradient: dStates, finalStateGradient: nil)
            embedBackward(tokens.ids, gradient: Dropout<Float>.backward(result.input, mask: inputMask))
        }
        return (count == 0 ? 0 : sum / Double(count), sum, count, trace.finalState)
    }

    /// The output layer's scores (logits) after each id of a single stream, from `state`; returns
    /// them (`ids.count × words`) and the state after the last id.
    func logits(after ids: [Int32], state: RecurrentState<Float>?) -> (logits: Matrix<Float>, state: RecurrentState<Float>) {
        let batch = SequenceBatch(values: embed(ids), lengths: [ids.count], steps: ids.count)
        let trace = recurrent.forward(batch, initialState: state, training: false)
        return (output.forward(trace.output.values), trace.finalState)
    }

    // MARK: Text

    /// The id of each token; a token the model does not know is `<unk>` (1).
    public func ids(_ tokens: [String]) -> (ids: [Int32], unknown: Int) {
        var unknown = 0
        let ids = tokens.map { token -> Int32 in
            if let id = words.exactID(token), id != 0 { return id }
            unknown += 1
            return Self.unknownID
        }
        return (ids, unknown)
    }

    /// The NLL of a token stream, batch 1, the state carried through it all (Zaremba's
    /// evaluation): each token from the second on is predicted from those before it.
    /// Tokens the model does not know are read and predicted as `<unk>`, and counted.
    public func evaluate(tokens: [String]) -> LanguageModelMetrics {
        let (ids, unknown) = self.ids(tokens)
        var state: RecurrentState<Float>?
        var sum = 0.0, count = 0
        let chunk = 256
        var start = 0
        while start + 1 < ids.count {
            let end = min(start + chunk, ids.count - 1)
            let result = segment(inputs: [Array(ids[start..<end])], targets: [Array(ids[start + 1 ... end])],
                                 initialState: state, training: false, backward: false)
            sum += result.sum
            count += result.count
            state = result.finalState
            start = end
        }
        return LanguageModelMetrics(unit: configuration.unit, tokens: count, unknown: unknown, nll: count == 0 ? 0 : sum / Double(count))
    }

    /// Splits text into the model's tokens (see `LanguageModelText`), with the model's ICU
    /// tokenizer when it was trained with `tokenize`.
    public func tokens(of text: String, endOfLines: Bool = true) throws -> [String] {
        try LanguageModelText.tokens(of: text, unit: configuration.unit, tokenizer: makeTokenizer(), endOfLines: endOfLines)
    }

    /// The ICU tokenizer configuration that splits this model's texts, or nil when they are
    /// split at whitespace: the surface rules of the configuration stored with the words.
    public var textTokenizer: TokenizerConfiguration? {
        configuration.tokenize ? LanguageModelText.tokenizer(from: words.tokenizer) : nil
    }

    /// A tokenizer for this model's texts (nil: whitespace), one per thread.
    public func makeTokenizer() throws -> Tokenizer? { try textTokenizer.map { try Tokenizer(configuration: $0) } }
}

/// The figures of a language model on a text: perplexity (word models) or bits per character
/// (char models), and the NLL per token in nats.
public struct LanguageModelMetrics: Codable, Sendable, Equatable {
    /// Word or char.
    public var unit: LanguageModelUnit
    /// Tokens predicted.
    public var tokens: Int
    /// Tokens of the text the model does not know, read as `<unk>`.
    public var unknown: Int
    /// Mean negative log-likelihood per token, in nats.
    public var nll: Double

    public init(unit: LanguageModelUnit, tokens: Int, unknown: Int, nll: Double) {
        self.unit = unit
        self.tokens = tokens
        self.unknown = unknown
        self.nll = nll
    }

    /// exp(mean NLL).
    public var perplexity: Double { Foundation.exp(nll) }
    /// Mean NLL in bits.
    public var bitsPerToken: Double { nll / Foundation.log(2) }

    /// The figures as `perplexity` prints them: `perplexity` (word) or `bits_per_char` and
    /// `nats_per_char` (char), with the counts.
    public var figures: [String: Any] {
        var object: [String: Any] = ["tokens": tokens, "unknown": unknown, "nll": nll]
        switch unit {
        case .word: object["perplexity"] = perplexity
        case .char:
            object["bits_per_char"] = bitsPerToken
            object["nats_per_char"] = nll
            object["perplexity"] = perplexity
        }
        return object
    }
}

extension LanguageModelMetrics: SelectionMetrics {
    /// Perplexity for word models, bits per character for char models: lower is better.
    var main: Double { unit == .word ? perplexity : bitsPerToken }
    static var higherIsBetter: Bool { false }
}

/// The tokens of a language model's text.
public enum LanguageModelText {
    /// The ICU tokenizer configuration of a word model trained with `tokenize`: the segmentation
    /// rules of `configuration` (the vectors', or the defaults) with surface forms kept (case,
    /// punctuation, numbers, as `Tagger.surfaceTokenizer`) and one line per text.
    public static func tokenizer(from configuration: TokenizerConfiguration?) -> TokenizerConfiguration {
        var surface = Tagger.surfaceTokenizer(from: configuration)
        surface.sentences = false
        return surface
    }

    /// Word models: each line's tokens, then `<eos>` (blank lines give nothing); the tokens are
    /// `tokenizer`'s, or whitespace-separated without one. Char models: the Unicode scalars, each
    /// line followed by `\n`. With `endOfLines` false (a prompt), no `<eos>` or final `\n` is added.
    public static func tokens(of text: String, unit: LanguageModelUnit, tokenizer: Tokenizer? = nil, endOfLines: Bool = true) throws -> [String] {
        var result: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true && text.hasSuffix("\n") { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            let last = index == lines.count - 1
            switch unit {
            case .word:
                let words = try tokenizer.map { Array(try $0.tokenize(String(line)).joined()) }
                    ?? line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
                result += words
                if !words.isEmpty && (endOfLines || !last) { result.append(LanguageModel.endOfSentence) }
            case .char:
                var scalars = line.unicodeScalars[...]
                if scalars.last == "\r" { scalars = scalars.dropLast() }
                result += scalars.map { String($0) }
                if endOfLines || !last { result.append("\n") }
            }
        }
        return result
    }

    /// Reads a text file's tokens; refuses a file that is not UTF-8 (naming the line) or has no tokens.
    public static func read(path: String, unit: LanguageModelUnit, tokenizer: Tokenizer? = nil) throws -> [String] {
        try tokens(ofFile: path, text: readText(path: path), unit: unit, tokenizer: tokenizer)
    }

    /// The tokens of a file's text (`readText`); refuses a text without tokens, naming the file.
    public static func tokens(ofFile path: String, text: String, unit: LanguageModelUnit, tokenizer: Tokenizer?) throws -> [String] {
        let tokens = try Self.tokens(of: text, unit: unit, tokenizer: tokenizer)
        guard tokens.contains(where: { $0 != "\n" }) else {
            throw ModelError.badData(location: SourceLocation(path: path), message: "no tokens (the file is empty or blank); give text, one sentence per line")
        }
        return tokens
    }

    /// Reads a text file; refuses a file that is not UTF-8 (naming the line) or is binary.
    public static func readText(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.badData(location: SourceLocation(path: path), message: "no such file")
        }
        if isDirectory.boolValue {
            throw ModelError.badData(location: SourceLocation(path: path), message: "is a directory; give a text file, one sentence per line")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ModelError.badData(location: SourceLocation(path: path), message: "cannot read: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            var line = 1
            for piece in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if String(data: Data(piece), encoding: .utf8) == nil { break }
                line += 1
            }
            throw ModelError.badData(location: SourceLocation(path: path, line: line), message: "not valid UTF-8 text")
        }
        if text.hasPrefix("WPMODEL") || text.utf8.prefix(4096).contains(0) {
            throw ModelError.badData(location: SourceLocation(path: path), message: "binary data, not text; give a text file, one sentence per line")
        }
        return text
    }
}

/// One reusable `rows × words` matrix for a model's scores: a segment takes it and gives it
/// back, so training does not map and fault in a new buffer of megabytes per segment (a tenth of
/// a PTB epoch's time went to that). A second caller while it is out (a server answering two
/// requests with one model) gets an empty matrix, which the layer sizes itself.
final class ScoreBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var matrix = Matrix<Float>(rows: 0, columns: 0)

    /// The buffer, uniquely referenced; empty while another caller has it.
    func take() -> Matrix<Float> {
        lock.lock()
        defer { lock.unlock() }
        let taken = matrix
        matrix = Matrix(rows: 0, columns: 0)
        return taken
    }

    /// Keeps `returned` for the next `take()`.
    func give(back returned: Matrix<Float>) {
        lock.lock()
        defer { lock.unlock() }
        matrix = returned
    }
}
