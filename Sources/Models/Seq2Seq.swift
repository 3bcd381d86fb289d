import Embeddings
import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// An encoder-decoder with attention (the N-M architecture): a bidirectional GRU or LSTM reads
/// the source, a learned bridge maps its final states to the decoder's initial states, and a
/// GRU or LSTM decoder writes the target one word at a time, looking at every source position
/// through global attention (Luong et al. 2015: the attention runs after the decoder step, and
/// the attentional state `tanh(W_c [c_t; s_t])` feeds the softmax; `bahdanau` uses the
/// additive score of Bahdanau et al. 2015 in that place). With `input_feeding` (Luong et al.
/// 2015, §3.3) the decoder also reads the previous step's attentional state beside the previous
/// word, so it runs one step at a time; otherwise all steps run in one pass and the attention
/// follows for all of them at once.
///
/// Training uses teacher forcing: the decoder reads `<s> y₁ … y_m` and predicts `y₁ … y_m </s>`.
/// The loss of a batch is the summed NLL of its target tokens divided by its sentences (with
/// `label_smoothing`, the cross-entropy against the smoothed targets while training).
///
/// The source side is the model family's `words` (its embedding is the first parameter); the
/// target side is its `labels`: `<pad>`, `<unk>`, `<s>`, `</s>`, then the target words.
public final class Seq2Seq {
    /// The settings it was built with.
    public let configuration: Seq2SeqConfiguration
    /// The source words: `<pad>`, `<unk>`, then the training tokens.
    public let words: WordTable
    /// The target words, by id.
    public let labels: [String]
    let targetIndex: [String: Int32]

    let sourceEmbedding: Parameter<Float>
    let targetEmbedding: Parameter<Float>
    let encoder: RecurrentStack<Bidirectional<Float>>
    /// Per decoder layer: the `h` bridge, then (LSTM) the `c` bridge.
    let bridges: [Linear<Float>]
    let decoder: RecurrentStack<RecurrentLayer<Float>>
    /// bahdanau: W₁ (decoder side, with b); luong-general: W.
    let attentionQuery: Linear<Float>?
    /// bahdanau: W₂ (encoder side).
    let attentionKey: Linear<Float>?
    /// bahdanau: v, `1 × hidden`.
    let attentionVector: Parameter<Float>?
    /// `W_c` over `[c_t; s_t]` (none without attention).
    let combine: Linear<Float>?
    let output: Linear<Float>
    let sourceDropout: Dropout<Float>
    let targetDropout: Dropout<Float>
    let outputDropout: Dropout<Float>

    /// Target ids of the special tokens.
    static let padID: Int32 = 0, unknownID: Int32 = 1, startID: Int32 = 2, endID: Int32 = 3
    /// The special target tokens, in id order.
    public static let targetSpecials = ["<pad>", "<unk>", "<s>", "</s>"]

    /// With `tokenize`: the sides' ICU tokenizer configurations, as stored in the model file.
    public let sideTokenizers: (source: TokenizerConfiguration, target: TokenizerConfiguration)?

    init(configuration: Seq2SeqConfiguration, words: WordTable, initial: Matrix<Float>, labels: [String],
         sideTokenizers: (source: TokenizerConfiguration, target: TokenizerConfiguration)? = nil) {
        self.configuration = configuration
        self.sideTokenizers = sideTokenizers
        self.words = words
        self.labels = labels
        targetIndex = Dictionary(labels.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        let settings = configuration.encoder
        let hidden = 2 * settings.hidden, dim = initial.columns
        var generator = SeededGenerator(seed: settings.seed)
        sourceEmbedding = Parameter(name: "source_embedding.weight", value: initial, isTrainable: !settings.freezeEmbeddings)
        // Unit variance, as PyTorch's nn.Embedding (measured in BENCHMARKS.md: the 1/dim variance
        // of the taggers' rows learned more slowly), except when the table is also the output
        // layer, whose logits it would make peaked from the start.
        let targetLimit = configuration.tied ? (3.0 / Double(settings.dim)).squareRoot() : Self.randomEmbeddingLimit(dim: settings.dim, withVectors: false)
        var targetTable = Matrix<Float>.uniform(rows: labels.count, columns: settings.dim, limit: targetLimit, using: &generator)
        for j in 0..<settings.dim { targetTable[0, j] = 0 }
        targetEmbedding = Parameter(name: "target_embedding.weight", value: targetTable)
        encoder = RecurrentStack<Bidirectional<Float>>(bidirectional: settings.cell, inputSize: dim, hiddenSize: settings.hidden,
                                                        count: settings.layers, dropout: settings.dropout, seed: generator.next())
        var bridges: [Linear<Float>] = []
        for layer in 0..<settings.layers {
            bridges.append(Linear(inputSize: hidden, outputSize: hidden, seed: generator.next(), name: "bridge\(layer).h"))
            if settings.cell.hasCellState {
                bridges.append(Linear(inputSize: hidden, outputSize: hidden, seed: generator.next(), name: "bridge\(layer).c"))
            }
        }
        self.bridges = bridges
        decoder = RecurrentStack<RecurrentLayer<Float>>(settings.cell, inputSize: settings.dim + (configuration.inputFeeding ? hidden : 0),
                                                        hiddenSize: hidden,
                                                        count: settings.layers, dropout: settings.dropout, seed: generator.next())
        switch configuration.attention {
        case .bahdanau:
            attentionQuery = Linear(inputSize: hidden, outputSize: hidden, seed: generator.next(), name: "attention.query")
            attentionKey = Linear(inputSize: hidden, outputSize: hidden, seed: generator.next(), name: "attention.key")
            attentionVector = Parameter(name: "attention.v",
                                        value: Matrix.uniform(rows: 1, columns: hidden, limit: (3.0 / Double(hidden)).squareRoot(), using: &generator))
        case .luongGeneral:
            attentionQuery = Linear(inputSize: hidden, outputSize: hidden, seed: generator.next(), name: "attention.general")
            attentionKey = nil
            attentionVector = nil
        case .luongDot, .none:
            attentionQuery = nil
            attentionKey = nil
            attentionVector = nil
        }
        combine = configuration.attention == .none ? nil
            : Linear(inputSize: 2 * hidden, outputSize: hidden, seed: generator.next(), name: "attention.combine")
        let outputSeed = generator.next()
        if configuration.tied {
            output = Linear(weight: targetEmbedding, bias: Parameter(name: "output.bias", value: Matrix(rows: 1, columns: labels.count)))
        } else {
            output = Linear(inputSize: hidden, outputSize: labels.count, seed: outputSeed, name: "output")
        }
        sourceDropout = Dropout(rate: settings.dropout, seed: generator.next())
        targetDropout = Dropout(rate: settings.dropout, seed: generator.next())
        outputDropout = Dropout(rate: settings.dropout, seed: generator.next())
    }

    /// The training loss's label smoothing ε (0: plain NLL).
    var smoothing: Float { Float(configuration.labelSmoothing) }

    /// The tokenizers of a model trained with `tokenize` (nil: text is split on spaces).
    public func makeSideTokenizers() throws -> SideTokenizers? {
        try sideTokenizers.map { try SideTokenizers(source: $0.source, target: $0.target) }
    }

    /// The language whose spacing a `tokenize` model's output is detokenized with: its target
    /// locale's language (nil without `tokenize`; "" for the root locale).
    public var outputLanguage: String? {
        sideTokenizers.map { String($0.target.locale.prefix { $0.isLetter }).lowercased() }
    }

    /// Whether the decoder attends to the source (`--attention` other than `none`).
    public var hasAttention: Bool { configuration.attention != .none }

    /// Whether the decoder reads the previous step's attentional state (`input_feeding`, with attention).
    var feedsInput: Bool { configuration.inputFeeding && combine != nil }

    /// The size of the encoder's outputs (both directions) and of the decoder's states.
    var hidden: Int { 2 * configuration.encoder.hidden }
    var layerCount: Int { configuration.encoder.layers }
    var hasCellState: Bool { configuration.encoder.cell.hasCellState }

    private var attentionParameters: [Parameter<Float>] {
        (attentionQuery?.parameters ?? []) + (attentionKey?.parameters ?? []) + (attentionVector.map { [$0] } ?? [])
            + (combine?.parameters ?? [])
    }
    private var outputParameters: [Parameter<Float>] { configuration.tied ? [output.bias] : output.parameters }

    /// Every parameter, in model-file order: the source embedding first.
    var allParameters: [Parameter<Float>] {
        [sourceEmbedding, targetEmbedding] + encoder.parameters + bridges.flatMap(\.parameters) + decoder.parameters
            + attentionParameters + outputParameters
    }

    /// The parameters the optimizer updates (a frozen source embedding is left out).
    var trainableParameters: [Parameter<Float>] { allParameters.filter(\.isTrainable) }

    // MARK: Ids

    /// The source ids of tokens (unknown: `<unk>`, also under the tokenizer's key).
    func sourceIDs(_ tokens: [String]) -> [Int32] {
        let lookup = words.lookup()
        return tokens.map(lookup)
    }

    /// The target ids of tokens (unknown: `<unk>`).
    func targetIDs(_ tokens: [String]) -> [Int32] { tokens.map { targetIndex[$0] ?? Self.unknownID } }

    // MARK: Forward and backward

    /// What the backward pass needs from the forward pass of one batch.
    struct Trace {
        var batch: Int
        var sourceIDs: TokenBatch
        var decoderIDs: TokenBatch
        var targets: [Int32]
        var sourceMask: Matrix<Float>?
        var targetMask: Matrix<Float>?
        var encoderTrace: SequenceTrace<Float>
        var bridgeInputs: [Matrix<Float>]
        var bridgeOutputs: [Matrix<Float>]
        var decoding: DecoderTrace
        var outputInput: Matrix<Float>
        var logits: Matrix<Float>
    }

    /// The decoder's part of a trace.
    enum DecoderTrace {
        /// All steps in one pass, then the attention over all of them (`attention` and the
        /// combine layer's input `combined` nil without attention); `attentional` is what
        /// feeds the output layer, before `outputMask`'s dropout.
        case allSteps(decoder: SequenceTrace<Float>, attention: AttentionTrace?, combined: Matrix<Float>?,
                      attentional: Matrix<Float>, outputMask: Matrix<Float>?)
        /// Input feeding: one entry per target step.
        case fed([FedStep])
    }

    /// One step of a decoder with input feeding.
    struct FedStep {
        /// The decoder over this step (`batch` one-step sequences, length 0 past a target's end).
        var decoder: SequenceTrace<Float>
        /// 1 for the examples whose target reaches this step, else 0.
        var lengths: [Int]
        var attention: AttentionTrace
        /// `[c_t; s_t]`.
        var combined: Matrix<Float>
        /// `h̃_t = tanh(W_c [c_t; s_t])`.
        var attentional: Matrix<Float>
        /// The dropout mask of `h̃_t`, which both the output layer and the next step read.
        var mask: Matrix<Float>?
    }

    /// The attention's values of a batch (time-major rows as the sequence batches).
    struct AttentionTrace {
        /// Per example, its `T × S` weights.
        var weights: [[Float]]
        /// bahdanau: per example, `tanh(W₁s_t + W₂h_i + b)` for every (t, i), `T·S × hidden`.
        var additive: [[Float]]
        /// bahdanau: W₁ s (decoder rows).
        var queries: Matrix<Float>?
        /// `attentionKeys(memory)`: bahdanau W₂ h, general W h (encoder rows); nil for dot.
        var keys: Matrix<Float>?
        /// The context vectors, decoder rows × hidden.
        var context: Matrix<Float>
    }

    /// The initial decoder state from the encoder's final states through the bridges.
    private func bridge(_ final: RecurrentState<Float>) -> (state: RecurrentState<Float>, inputs: [Matrix<Float>], outputs: [Matrix<Float>]) {
        var h: [Matrix<Float>] = [], c: [Matrix<Float>] = []
        var inputs: [Matrix<Float>] = [], outputs: [Matrix<Float>] = []
        var index = 0
        for layer in 0..<layerCount {
            let inputH = Matrix.concatenateColumns(final.h[2 * layer], final.h[2 * layer + 1])
            let outH = tanh(bridges[index].forward(inputH))
            inputs.append(inputH); outputs.append(outH); h.append(outH)
            index += 1
            if hasCellState {
                let inputC = Matrix.concatenateColumns(final.c[2 * layer], final.c[2 * layer + 1])
                let outC = tanh(bridges[index].forward(inputC))
                inputs.append(inputC); outputs.append(outC); c.append(outC)
                index += 1
            }
        }
        return (RecurrentState(h: h, c: c), inputs, outputs)
    }

    /// Encodes a batch of sources: the encoder's trace (outputs, final states) and the decoder's initial state.
    func encode(_ sources: [[Int32]], training: Bool) -> (ids: TokenBatch, mask: Matrix<Float>?, trace: SequenceTrace<Float>,
                                                           bridged: (state: RecurrentState<Float>, inputs: [Matrix<Float>], outputs: [Matrix<Float>])) {
        let ids = TokenBatch(sequences: sources)
        let (embedded, mask) = sourceDropout.forward(Self.embed(sourceEmbedding, ids.ids), training: training)
        let trace = encoder.forward(SequenceBatch(values: embedded, lengths: ids.lengths, steps: ids.steps), initialState: nil, training: training)
        return (ids, mask, trace, bridge(trace.finalState))
    }

    /// Forward over a batch with teacher forcing; `targets` are the target ids without `<s>` and `</s>`.
    /// Returns the summed NLL, the number of target tokens, and the trace.
    func forward(sources: [[Int32]], targets: [[Int32]], training: Bool) -> (sum: Double, tokens: Int, trace: Trace) {
        let batch = sources.count
        let encoded = encode(sources, training: training)
        let decoderIDs = TokenBatch(sequences: targets.map { [Self.startID] + $0 })
        let gold = TokenBatch(sequences: targets.map { $0 + [Self.endID] })
        let (embedded, targetMask) = targetDropout.forward(Self.embed(targetEmbedding, decoderIDs.ids), training: training)
        let memory = encoded.trace.output.values
        let decoding: DecoderTrace
        let outputInput: Matrix<Float>
        if feedsInput {
            (decoding, outputInput) = decodeFeedingInput(embedded: embedded, lengths: decoderIDs.lengths, steps: decoderIDs.steps,
                                                         initialState: encoded.bridged.state, memory: memory,
                                                         sourceLengths: encoded.ids.lengths, training: training)
        } else {
            let decoderTrace = decoder.forward(SequenceBatch(values: embedded, lengths: decoderIDs.lengths, steps: decoderIDs.steps),
                                               initialState: encoded.bridged.state, training: training)
            let states = decoderTrace.output.values
            var attention: AttentionTrace?
            var combined: Matrix<Float>?
            let attentional: Matrix<Float>
            if let combine {
                let trace = attend(states: states, decoderLengths: decoderIDs.lengths, memory: memory, keys: attentionKeys(memory),
                                   sourceLengths: encoded.ids.lengths, batch: batch)
                let input = Matrix.concatenateColumns(trace.context, states)
                attentional = tanh(combine.forward(input))
                attention = trace
                combined = input
            } else {
                attentional = states
            }
            let outputMask: Matrix<Float>?
            (outputInput, outputMask) = outputDropout.forward(attentional, training: training)
            decoding = .allSteps(decoder: decoderTrace, attention: attention, combined: combined, attentional: attentional, outputMask: outputMask)
        }
        let logits = output.forward(outputInput)
        var scratch = Matrix<Float>(rows: logits.rows, columns: logits.columns)
        let sum = SoftmaxCrossEntropy.summedLoss(logits: logits, targets: gold.ids, scale: 1, gradient: &scratch,
                                                 smoothing: training ? smoothing : 0, ignore: Int(Self.padID))
        let tokens = gold.ids.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let trace = Trace(batch: batch, sourceIDs: encoded.ids, decoderIDs: decoderIDs, targets: gold.ids, sourceMask: encoded.mask,
                          targetMask: targetMask, encoderTrace: encoded.trace, bridgeInputs: encoded.bridged.inputs,
                          bridgeOutputs: encoded.bridged.outputs, decoding: decoding, outputInput: outputInput, logits: logits)
        return (sum, tokens, trace)
    }

    /// The decoder with input feeding, one step at a time: step t reads `[embedded_t; h̃_{t-1}]`
    /// (`h̃_0 = 0`) from the state step t − 1 left, attends, and forms `h̃_t`. The dropped-out
    /// `h̃_t` feeds both the output layer (returned for all steps, time-major) and step t + 1, as
    /// OpenNMT's `input_feed` does.
    private func decodeFeedingInput(embedded: Matrix<Float>, lengths: [Int], steps: Int, initialState: RecurrentState<Float>,
                                    memory: Matrix<Float>, sourceLengths: [Int], training: Bool) -> (DecoderTrace, Matrix<Float>) {
        guard let combine else { preconditionFailure("input feeding needs attention") }
        let batch = lengths.count, hidden = self.hidden
        let keys = attentionKeys(memory)
        var state = initialState
        var fed = Matrix<Float>(rows: batch, columns: hidden)
        var outputStorage: [Float] = []
        outputStorage.reserveCapacity(steps * batch * hidden)
        var trace: [FedStep] = []
        trace.reserveCapacity(steps)
        for t in 0..<steps {
            let stepLengths = lengths.map { $0 > t ? 1 : 0 }
            let input = Matrix.concatenateColumns(embedded.rows(t * batch ..< (t + 1) * batch), fed)
            let decoded = decoder.forward(SequenceBatch(values: input, lengths: stepLengths, steps: 1), initialState: state, training: training)
            let states = decoded.output.values
            let attention = attend(states: states, decoderLengths: stepLengths, memory: memory, keys: keys,
                                   sourceLengths: sourceLengths, batch: batch)
            let combined = Matrix.concatenateColumns(attention.context, states)
            let attentional = tanh(combine.forward(combined))
            let (dropped, mask) = outputDropout.forward(attentional, training: training)
            outputStorage += dropped.storage
            trace.append(FedStep(decoder: decoded, lengths: stepLengths, attention: attention, combined: combined,
                                 attentional: attentional, mask: mask))
            fed = dropped
            state = decoded.finalState
        }
        return (.fed(trace), Matrix(rows: steps * batch, columns: hidden, storage: outputStorage))
    }

    /// Accumulates the gradients of `scale ·` (the summed NLL of `trace`'s batch).
    func backward(_ trace: Trace, scale: Float) {
        var dLogits = Matrix<Float>(rows: trace.logits.rows, columns: trace.logits.columns)
        _ = SoftmaxCrossEntropy.summedLoss(logits: trace.logits, targets: trace.targets, scale: scale, gradient: &dLogits,
                                           smoothing: smoothing, ignore: Int(Self.padID))
        let dOutputInput = output.backward(input: trace.outputInput, outputGradient: dLogits)
        let memory = trace.encoderTrace.output.values
        var dMemory = Matrix<Float>(rows: memory.rows, columns: hidden)
        let dEmbedded: Matrix<Float>
        let dInitialState: RecurrentState<Float>
        switch trace.decoding {
        case let .allSteps(decoderTrace, attention, combined, attentional, outputMask):
            let dAttentional = Dropout<Float>.backward(dOutputInput, mask: outputMask)
            var dStates: Matrix<Float>
            if let combine, let combined, let attention {
                let dCombined = combine.backward(input: combined, outputGradient: Self.tanhBackward(dAttentional, output: attentional))
                let dContext = dCombined.columns(0..<hidden)
                dStates = dCombined.columns(hidden..<2 * hidden)
                var dKeys = Matrix<Float>(rows: memory.rows, columns: hidden)
                attendBackward(attention, dContext: dContext, states: decoderTrace.output.values, decoderLengths: trace.decoderIDs.lengths,
                               memory: memory, sourceLengths: trace.sourceIDs.lengths, batch: trace.batch,
                               dStates: &dStates, dMemory: &dMemory, dKeys: &dKeys)
                attentionKeysBackward(memory: memory, dKeys: dKeys, dMemory: &dMemory)
            } else {
                dStates = dAttentional
            }
            let decoderGradient = decoder.backward(decoderTrace, outputGradient: dStates, finalStateGradient: nil)
            dEmbedded = decoderGradient.input
            dInitialState = decoderGradient.initialState
        case .fed(let steps):
            (dEmbedded, dInitialState) = backwardFeedingInput(steps, dOutputInput: dOutputInput, memory: memory,
                                                              sourceLengths: trace.sourceIDs.lengths, dMemory: &dMemory)
        }
        Self.embedBackward(targetEmbedding, trace.decoderIDs.ids, gradient: Dropout<Float>.backward(dEmbedded, mask: trace.targetMask))
        // The bridges, back to the encoder's final states.
        var finalH: [Matrix<Float>] = [], finalC: [Matrix<Float>] = []
        var index = 0
        let half = hidden / 2
        for layer in 0..<layerCount {
            for kind in 0..<(hasCellState ? 2 : 1) {
                let start = kind == 0 ? dInitialState.h[layer] : dInitialState.c[layer]
                let dPre = Self.tanhBackward(start, output: trace.bridgeOutputs[index])
                let dInput = bridges[index].backward(input: trace.bridgeInputs[index], outputGradient: dPre)
                let parts = [dInput.columns(0..<half), dInput.columns(half..<hidden)]
                if kind == 0 { finalH += parts } else { finalC += parts }
                index += 1
            }
        }
        let encoderGradient = encoder.backward(trace.encoderTrace, outputGradient: dMemory,
                                               finalStateGradient: RecurrentState(h: finalH, c: finalC))
        Self.embedBackward(sourceEmbedding, trace.sourceIDs.ids, gradient: Dropout<Float>.backward(encoderGradient.input, mask: trace.sourceMask))
    }

    /// Back through the steps of `decodeFeedingInput`, last first: the gradient of the dropped
    /// `h̃_t` is the output layer's plus what step t + 1's input sends back, and each step's
    /// initial-state gradient is the final-state gradient of the step before. Returns the
    /// gradients of the embedded decoder inputs (all steps, time-major) and of the initial state.
    private func backwardFeedingInput(_ steps: [FedStep], dOutputInput: Matrix<Float>, memory: Matrix<Float>, sourceLengths: [Int],
                                      dMemory: inout Matrix<Float>) -> (embedded: Matrix<Float>, initialState: RecurrentState<Float>) {
        guard let combine, let last = steps.last else { preconditionFailure("input feeding needs attention and a step") }
        let batch = last.lengths.count, hidden = self.hidden, dim = decoder.inputSize - hidden
        var dEmbedded = Matrix<Float>(rows: steps.count * batch, columns: dim)
        var dKeys = Matrix<Float>(rows: memory.rows, columns: hidden)
        var dFed: Matrix<Float>?
        var dState: RecurrentState<Float>?
        for t in steps.indices.reversed() {
            let step = steps[t]
            var dDropped = dOutputInput.rows(t * batch ..< (t + 1) * batch)
            if let dFed { dDropped.add(dFed) }
            let dAttentional = Dropout<Float>.backward(dDropped, mask: step.mask)
            let dCombined = combine.backward(input: step.combined, outputGradient: Self.tanhBackward(dAttentional, output: step.attentional))
            var dStates = dCombined.columns(hidden..<2 * hidden)
            attendBackward(step.attention, dContext: dCombined.columns(0..<hidden), states: step.decoder.output.values,
                           decoderLengths: step.lengths, memory: memory, sourceLengths: sourceLengths, batch: batch,
                           dStates: &dStates, dMemory: &dMemory, dKeys: &dKeys)
            let gradient = decoder.backward(step.decoder, outputGradient: dStates, finalStateGradient: dState)
            dState = gradient.initialState
            dEmbedded.storage.replaceSubrange(t * batch * dim ..< (t + 1) * batch * dim, with: gradient.input.columns(0..<dim).storage)
            dFed = gradient.input.columns(dim..<dim + hidden)
        }
        attentionKeysBackward(memory: memory, dKeys: dKeys, dMemory: &dMemory)
        return (dEmbedded, dState ?? RecurrentState(h: []))
    }

    /// The gradient before `tanh` from the gradient after it and its output.
    static func tanhBackward(_ gradient: Matrix<Float>, output: Matrix<Float>) -> Matrix<Float> {
        var result = gradient
        output.storage.withUnsafeBufferPointer { o in
            result.storage.withUnsafeMutableBufferPointer { d in
                for k in 0..<d.count { d[k] *= 1 - o[k] * o[k] }
            }
        }
        return result
    }

    // MARK: Attention

    /// The key side of the scores for encoder rows: bahdanau W₂ h, luong-general W h; nil for
    /// luong-dot and none (the keys are the rows themselves). Computed once per batch or source.
    func attentionKeys(_ memory: Matrix<Float>) -> Matrix<Float>? {
        switch configuration.attention {
        case .bahdanau: return attentionKey?.forward(memory)
        case .luongGeneral: return attentionQuery?.forward(memory)
        case .luongDot, .none: return nil
        }
    }

    /// Back through `attentionKeys`: adds the gradient of the encoder rows for the keys'
    /// gradient `dKeys` to `dMemory` (and accumulates the key projection's gradients).
    func attentionKeysBackward(memory: Matrix<Float>, dKeys: Matrix<Float>, dMemory: inout Matrix<Float>) {
        switch configuration.attention {
        case .bahdanau:
            if let attentionKey { dMemory.add(attentionKey.backward(input: memory, outputGradient: dKeys)) }
        case .luongGeneral:
            if let attentionQuery { dMemory.add(attentionQuery.backward(input: memory, outputGradient: dKeys)) }
        case .luongDot, .none:
            dMemory.add(dKeys)
        }
    }

    /// Global attention of each decoder row over its example's encoder rows (both time-major,
    /// `batch` sequences each; a decoder batch of one step is one row per example), with the
    /// encoder side's `attentionKeys(memory)`.
    func attend(states: Matrix<Float>, decoderLengths: [Int], memory: Matrix<Float>, keys: Matrix<Float>?, sourceLengths: [Int],
                batch: Int) -> AttentionTrace {
        let hidden = self.hidden, kind = configuration.attention
        var context = Matrix<Float>(rows: states.rows, columns: hidden)
        let queries = kind == .bahdanau ? attentionQuery?.forward(states) : nil
        // The query side of a score (decoder rows) and its key side (encoder rows).
        let queryRows = queries ?? states
        let keyRows = keys ?? memory
        let v = attentionVector?.value.storage ?? []
        let stride = batch * hidden
        var allWeights: [[Float]] = [], allAdditive: [[Float]] = []
        for b in 0..<batch {
            let steps = decoderLengths[b], sources = sourceLengths[b]
            guard steps > 0, sources > 0 else {  // no source word: a zero context
                allWeights.append([]); allAdditive.append([])
                continue
            }
            var weights = [Float](repeating: 0, count: steps * sources)
            var additive = [Float](repeating: 0, count: kind == .bahdanau ? steps * sources * hidden : 0)
            queryRows.storage.withUnsafeBufferPointer { q in
                keyRows.storage.withUnsafeBufferPointer { k in
                    memory.storage.withUnsafeBufferPointer { m in
                        context.storage.withUnsafeMutableBufferPointer { c in
                            weights.withUnsafeMutableBufferPointer { w in
                                additive.withUnsafeMutableBufferPointer { u in
                                    v.withUnsafeBufferPointer { v in
                                        let offset = b * hidden
                                        Attention.forward(kind == .bahdanau ? .additive(v: v.baseAddress!) : .multiplicative,
                                                          steps: steps, sources: sources, hidden: hidden,
                                                          queries: .init(q.baseAddress! + offset, stride: stride),
                                                          keys: .init(k.baseAddress! + offset, stride: stride),
                                                          memory: .init(m.baseAddress! + offset, stride: stride),
                                                          weights: w.baseAddress!, additive: u.baseAddress,
                                                          context: .init(c.baseAddress! + offset, stride: stride))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            allWeights.append(weights)
            allAdditive.append(additive)
        }
        return AttentionTrace(weights: allWeights, additive: allAdditive, queries: queries, keys: keys, context: context)
    }

    /// Back-propagates the context's gradient through the attention into the decoder states, the
    /// encoder outputs as values (`dMemory`) and as keys (`dKeys`, for `attentionKeysBackward`),
    /// and the query side's parameters.
    func attendBackward(_ trace: AttentionTrace, dContext: Matrix<Float>, states: Matrix<Float>, decoderLengths: [Int],
                        memory: Matrix<Float>, sourceLengths: [Int], batch: Int, dStates: inout Matrix<Float>, dMemory: inout Matrix<Float>,
                        dKeys dKey: inout Matrix<Float>) {
        let hidden = self.hidden, kind = configuration.attention
        // The gradient of the score's query side (decoder rows).
        var dQuery = Matrix<Float>(rows: states.rows, columns: hidden)
        let queryRows = trace.queries ?? states
        let keyRows = trace.keys ?? memory
        var dV = [Float](repeating: 0, count: hidden)
        let v = attentionVector?.value.storage ?? [Float](repeating: 0, count: hidden)
        var scratch = [Float](repeating: 0, count: (decoderLengths.max() ?? 0) * (sourceLengths.max() ?? 0))
        let stride = batch * hidden
        for b in 0..<batch {
            let steps = decoderLengths[b], sources = sourceLengths[b]
            guard steps > 0, sources > 0 else { continue }
            let offset = b * hidden
            trace.weights[b].withUnsafeBufferPointer { w in
                trace.additive[b].withUnsafeBufferPointer { u in
                    dContext.storage.withUnsafeBufferPointer { dc in
                        memory.storage.withUnsafeBufferPointer { m in
                            queryRows.storage.withUnsafeBufferPointer { q in
                                keyRows.storage.withUnsafeBufferPointer { k in
                                    dMemory.storage.withUnsafeMutableBufferPointer { dm in
                                        dQuery.storage.withUnsafeMutableBufferPointer { dq in
                                            dKey.storage.withUnsafeMutableBufferPointer { dk in
                                                scratch.withUnsafeMutableBufferPointer { scratch in
                                                    v.withUnsafeBufferPointer { v in
                                                        dV.withUnsafeMutableBufferPointer { dv in
                                                            Attention.backward(kind == .bahdanau ? .additive(v: v.baseAddress!) : .multiplicative,
                                                                               steps: steps, sources: sources, hidden: hidden,
                                                                               queries: .init(q.baseAddress! + offset, stride: stride),
                                                                               keys: .init(k.baseAddress! + offset, stride: stride),
                                                                               memory: .init(m.baseAddress! + offset, stride: stride),
                                                                               weights: w.baseAddress!, additive: u.baseAddress,
                                                                               dContext: .init(dc.baseAddress! + offset, stride: stride),
                                                                               dMemory: .init(dm.baseAddress! + offset, stride: stride),
                                                                               dQueries: .init(dq.baseAddress! + offset, stride: stride),
                                                                               dKeys: .init(dk.baseAddress! + offset, stride: stride),
                                                                               dV: dv.baseAddress, scratch: scratch.baseAddress!)
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if kind == .bahdanau {
            if let attentionQuery { dStates.add(attentionQuery.backward(input: states, outputGradient: dQuery)) }
            attentionVector?.gradient.add(Matrix(rows: 1, columns: hidden, storage: dV))
        } else {
            dStates.add(dQuery)
        }
    }

    // MARK: Helpers

    /// The rows of `ids` in `table` (zeros at padding).
    static func embed(_ table: Parameter<Float>, _ ids: [Int32]) -> Matrix<Float> { table.gatherRows(ids) }

    /// Adds the rows of `gradient` to `table`'s gradient at `ids` (a frozen table gets nothing).
    static func embedBackward(_ table: Parameter<Float>, _ ids: [Int32], gradient: Matrix<Float>) {
        table.accumulateRowGradients(ids, gradient)
    }
}

/// Element-wise tanh.
func tanh(_ matrix: Matrix<Float>) -> Matrix<Float> {
    var result = matrix
    result.storage.withUnsafeMutableBufferPointer { values in
        for k in 0..<values.count { values[k] = Foundation.tanh(values[k]) }
    }
    return result
}
