import Foundation
import Recurrent

/// One translation: the target tokens and how the model scores them.
public struct TranslationHypothesis: Sendable, Equatable {
    /// The target tokens (without `<s>` and `</s>`).
    public var tokens: [String]
    /// Their ids.
    public var ids: [Int32]
    /// log P(tokens, `</s>` | source), in nats.
    public var logProbability: Double
    /// The beam's score: the log-probability over GNMT's length penalty `((5 + |Y|) / 6)^α`
    /// (`|Y|` counts `</s>`).
    public var score: Double
    /// Per output token (and `</s>`), the attention over the source tokens (empty without attention).
    public var attention: [[Float]]
}

/// What `translate` gives: the best hypothesis first, then the others of the n-best list.
public struct Translation: Sendable {
    /// The hypotheses, best first.
    public var hypotheses: [TranslationHypothesis]
    /// Source tokens read (after truncation).
    public var sourceTokens: [String]
    /// The best hypothesis.
    public var best: TranslationHypothesis { hypotheses[0] }
}

/// How `translate` searches.
public struct DecodingOptions: Sendable {
    /// Beam size (1: greedy).
    public var beam = 1
    /// GNMT's length-normalization α (0: raw log-probability).
    public var alpha = 0.6
    /// At most `maxRatio · source tokens + 5` output tokens (and never more than `maxOutput`).
    public var maxRatio = 2.0
    /// The absolute limit on output tokens.
    public var maxOutput = 250
    /// How many hypotheses to return (≤ beam).
    public var nBest = 1
    /// Replace each `<unk>` output token by the source token it attended to most (OpenNMT's
    /// `-replace_unk`; needs attention).
    public var replaceUnknown = false

    public init(beam: Int = 1, alpha: Double = 0.6, maxRatio: Double = 2.0, maxOutput: Int = 250, nBest: Int = 1,
                replaceUnknown: Bool = false) {
        self.beam = beam
        self.alpha = alpha
        self.maxRatio = maxRatio
        self.maxOutput = maxOutput
        self.nBest = nBest
        self.replaceUnknown = replaceUnknown
    }
}

extension Seq2Seq {
    /// The longest source a translation reads; longer inputs are cut to this many tokens.
    public static let maxSourceTokens = 400

    /// The encoder's view of one source: its outputs (`S × hidden`), the projected keys the
    /// attention needs, and the decoder's initial state.
    struct EncodedSource {
        var memory: Matrix<Float>
        var keys: Matrix<Float>?
        var state: RecurrentState<Float>
        var length: Int
    }

    func encodeSource(_ ids: [Int32]) -> EncodedSource {
        let encoded = encode([ids], training: false)
        let memory = encoded.trace.output.values
        return EncodedSource(memory: memory, keys: attentionKeys(memory), state: encoded.bridged.state, length: ids.count)
    }

    /// What a hypothesis carries from one decoder step to the next: the recurrent state and,
    /// with input feeding, the attentional vector `h̃` (one row per hypothesis).
    struct DecoderState {
        var recurrent: RecurrentState<Float>
        var feed: Matrix<Float>?

        /// The state of the hypotheses at `rows` (a beam's survivors, in their new order).
        func gathering(_ rows: [Int]) -> DecoderState {
            DecoderState(recurrent: RecurrentState(h: recurrent.h.map { $0.gatherRows(rows) }, c: recurrent.c.map { $0.gatherRows(rows) }),
                         feed: feed?.gatherRows(rows))
        }
    }

    /// The state before the first step: the bridged encoder state and, with input feeding, `h̃_0 = 0`.
    func initialDecoderState(_ source: EncodedSource) -> DecoderState {
        DecoderState(recurrent: source.state, feed: feedsInput ? Matrix(rows: 1, columns: hidden) : nil)
    }

    /// One decoder step for `previous.count` hypotheses of one source from `state`: the
    /// log-probabilities of the next token (`rows × targets`), the attention weights per row and
    /// the state after the step.
    func step(_ previous: [Int32], state: DecoderState, source: EncodedSource)
        -> (logProbabilities: Matrix<Float>, attention: [[Float]], state: DecoderState) {
        let rows = previous.count, hidden = self.hidden
        var embedded = Self.embed(targetEmbedding, previous)
        if let feed = state.feed { embedded = Matrix.concatenateColumns(embedded, feed) }
        let trace = decoder.forward(SequenceBatch(values: embedded, lengths: [Int](repeating: 1, count: rows), steps: 1),
                                    initialState: state.recurrent, training: false)
        let states = trace.output.values
        var weights: [[Float]] = []
        var attentional = states
        if let combine {
            var context = Matrix<Float>(rows: rows, columns: hidden)
            let sources = source.length
            if sources > 0 {
                let kind = configuration.attention
                // The query side: W₁ s (bahdanau) or s; the key side: the source's keys, or its memory (dot).
                let queries = kind == .bahdanau ? (attentionQuery?.forward(states) ?? states) : states
                let keys = source.keys ?? source.memory
                let v = attentionVector?.value.storage ?? []
                var flat = [Float](repeating: 0, count: rows * sources)
                var additive = [Float](repeating: 0, count: kind == .bahdanau ? rows * sources * hidden : 0)
                queries.storage.withUnsafeBufferPointer { q in
                    keys.storage.withUnsafeBufferPointer { k in
                        source.memory.storage.withUnsafeBufferPointer { m in
                            context.storage.withUnsafeMutableBufferPointer { c in
                                flat.withUnsafeMutableBufferPointer { w in
                                    additive.withUnsafeMutableBufferPointer { u in
                                        v.withUnsafeBufferPointer { v in
                                            Attention.forward(kind == .bahdanau ? .additive(v: v.baseAddress!) : .multiplicative,
                                                              steps: rows, sources: sources, hidden: hidden,
                                                              queries: .init(q.baseAddress!, stride: hidden), keys: .init(k.baseAddress!, stride: hidden),
                                                              memory: .init(m.baseAddress!, stride: hidden), weights: w.baseAddress!,
                                                              additive: u.baseAddress, context: .init(c.baseAddress!, stride: hidden))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                weights = (0..<rows).map { Array(flat[($0 * sources)..<(($0 + 1) * sources)]) }
            } else {
                weights = [[Float]](repeating: [], count: rows)
            }
            attentional = tanh(combine.forward(Matrix.concatenateColumns(context, states)))
        }
        var logits = output.forward(attentional)
        let classes = logits.columns
        logits.storage.withUnsafeMutableBufferPointer { values in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: values[(r * classes)..<((r + 1) * classes)])
                let top = row.max() ?? 0
                var total: Double = 0
                for k in 0..<classes { total += Double(Foundation.exp(row[k] - top)) }
                let shift = top + Float(Foundation.log(total))
                for k in 0..<classes { row[k] -= shift }
                // <pad>, <s> are never produced.
                row[Int(Self.padID)] = -.infinity
                row[Int(Self.startID)] = -.infinity
            }
        }
        return (logits, weights, DecoderState(recurrent: trace.finalState, feed: feedsInput ? attentional : nil))
    }

    /// GNMT's length penalty for `length` output tokens.
    static func lengthPenalty(_ length: Int, alpha: Double) -> Double {
        Foundation.pow((5 + Double(length)) / 6, alpha)
    }

    /// The output-length limit for a source of `length` tokens.
    static func outputLimit(sourceLength: Int, options: DecodingOptions) -> Int {
        max(1, min(options.maxOutput, Int(options.maxRatio * Double(sourceLength)) + 5))
    }

    /// Translates tokens: greedy decoding with `beam` 1, else beam search (`DecodingOptions`).
    public func translate(_ tokens: [String], beam: Int) -> Translation {
        translate(tokens, options: DecodingOptions(beam: beam))
    }

    /// Translates tokens (cut to `maxSourceTokens`); an empty source gives an empty translation.
    public func translate(_ tokens: [String], options: DecodingOptions) -> Translation {
        let sourceTokens = Array(tokens.prefix(Self.maxSourceTokens))
        guard !sourceTokens.isEmpty else {
            return Translation(hypotheses: [TranslationHypothesis(tokens: [], ids: [], logProbability: 0, score: 0, attention: [])],
                               sourceTokens: [])
        }
        let source = encodeSource(sourceIDs(sourceTokens))
        let limit = Self.outputLimit(sourceLength: sourceTokens.count, options: options)
        var hypotheses = options.beam <= 1 ? [greedy(source, limit: limit, alpha: options.alpha)]
            : beamSearch(source, limit: limit, options: options)
        if options.replaceUnknown {
            hypotheses = hypotheses.map { Self.replacingUnknowns($0, source: sourceTokens) }
        }
        return Translation(hypotheses: hypotheses, sourceTokens: sourceTokens)
    }

    /// `hypothesis` with each `<unk>` token replaced by the source token of the highest attention
    /// weight at its step (the first on a tie); its ids and scores are unchanged. Without
    /// attention it is returned as is.
    static func replacingUnknowns(_ hypothesis: TranslationHypothesis, source: [String]) -> TranslationHypothesis {
        var result = hypothesis
        for (position, id) in hypothesis.ids.enumerated() where id == unknownID && position < hypothesis.attention.count {
            let weights = hypothesis.attention[position]
            guard let best = weights.indices.max(by: { weights[$0] < weights[$1] || (weights[$0] == weights[$1] && $0 > $1) }),
                  best < source.count else { continue }
            result.tokens[position] = source[best]
        }
        return result
    }

    /// The most probable token at each step until `</s>` or `limit` tokens (then `</s>` is forced).
    func greedy(_ source: EncodedSource, limit: Int, alpha: Double) -> TranslationHypothesis {
        var state = initialDecoderState(source)
        var previous = Self.startID
        var ids: [Int32] = [], attention: [[Float]] = []
        var logProbability = 0.0
        while true {
            let (logProbabilities, weights, next) = step([previous], state: state, source: source)
            var best = Int(Self.endID)
            if ids.count < limit {
                for k in 0..<logProbabilities.columns where logProbabilities.storage[k] > logProbabilities.storage[best] { best = k }
            }
            logProbability += Double(logProbabilities.storage[best])
            attention += weights
            if best == Int(Self.endID) { break }
            ids.append(Int32(best))
            previous = Int32(best)
            state = next
        }
        return TranslationHypothesis(tokens: ids.map { labels[Int($0)] }, ids: ids, logProbability: logProbability,
                                     score: logProbability / Self.lengthPenalty(ids.count + 1, alpha: alpha), attention: attention)
    }

    /// Beam search: each step extends every live hypothesis by every token and keeps the
    /// `beam` best by log-probability; one that ends in `</s>` is finished and scored with the
    /// length penalty. The search stops when `beam` hypotheses have finished or at `limit`
    /// tokens, where `</s>` is forced. Ties go to the lower token id and the earlier hypothesis.
    func beamSearch(_ source: EncodedSource, limit: Int, options: DecodingOptions) -> [TranslationHypothesis] {
        struct Live {
            var ids: [Int32]
            var logProbability: Double
            var attention: [[Float]]
        }
        let beam = options.beam
        var live = [Live(ids: [], logProbability: 0, attention: [])]
        var state = initialDecoderState(source)
        var finished: [TranslationHypothesis] = []
        while !live.isEmpty && finished.count < beam {
            let (logProbabilities, weights, next) = step(live.map { $0.ids.last ?? Self.startID }, state: state, source: source)
            let classes = logProbabilities.columns
            let atLimit = live[0].ids.count >= limit
            var candidates: [(row: Int, token: Int, logProbability: Double)] = []
            candidates.reserveCapacity(live.count * (atLimit ? 1 : classes))
            for (row, hypothesis) in live.enumerated() {
                let tokens = atLimit ? Int(Self.endID)..<Int(Self.endID) + 1 : 0..<classes
                for token in tokens {
                    let value = logProbabilities.storage[row * classes + token]
                    if value == -.infinity { continue }
                    candidates.append((row, token, hypothesis.logProbability + Double(value)))
                }
            }
            candidates.sort { a, b in
                a.logProbability != b.logProbability ? a.logProbability > b.logProbability
                    : (a.row != b.row ? a.row < b.row : a.token < b.token)
            }
            var kept: [Live] = [], rows: [Int] = []
            for candidate in candidates.prefix(beam) {
                let parent = live[candidate.row]
                let attention = parent.attention + (weights.isEmpty ? [] : [weights[candidate.row]])
                if candidate.token == Int(Self.endID) {
                    finished.append(TranslationHypothesis(
                        tokens: parent.ids.map { labels[Int($0)] }, ids: parent.ids, logProbability: candidate.logProbability,
                        score: candidate.logProbability / Self.lengthPenalty(parent.ids.count + 1, alpha: options.alpha),
                        attention: attention))
                } else {
                    kept.append(Live(ids: parent.ids + [Int32(candidate.token)], logProbability: candidate.logProbability, attention: attention))
                    rows.append(candidate.row)
                }
            }
            live = kept
            state = next.gathering(rows)
        }
        finished.sort { $0.score > $1.score }
        return Array(finished.prefix(max(1, options.nBest)))
    }
}

extension Matrix where Scalar == Float {
    /// The rows at `indices`, in that order.
    func gatherRows(_ indices: [Int]) -> Matrix<Float> {
        var result = Matrix<Float>(rows: indices.count, columns: columns)
        for (row, index) in indices.enumerated() {
            for j in 0..<columns { result.storage[row * columns + j] = storage[index * columns + j] }
        }
        return result
    }
}
