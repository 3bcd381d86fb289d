import Foundation
import Recurrent
import Testing
@testable import Models

/// The language model: gradients of its whole loss against finite differences (tied and untied,
/// state carried across segments), perplexity on a model whose probabilities are known by hand,
/// and the sampling distributions (temperature, top-k, top-p) against draws.
@Suite("Language model")
struct LanguageModelTests {
    static let words = ["<pad>", "<unk>", "a", "b", "c", "d", "<eos>"]

    static func model(tied: Bool, cell: CellKind = .lstm, layers: Int = 2, seed: UInt64 = 5) -> LanguageModel {
        var configuration = LanguageModelConfiguration()
        configuration.tied = tied
        configuration.initScale = 0.4
        configuration.encoder.cell = cell
        configuration.encoder.layers = layers
        configuration.encoder.hidden = 5
        configuration.encoder.dim = 5
        configuration.encoder.dropout = 0
        configuration.encoder.seed = seed
        return LanguageModel(configuration: configuration, words: WordTable(words: words, tokenizer: nil),
                             initial: Matrix<Float>(rows: words.count, columns: 5))
    }

    // Two streams, two segments of 3 steps: inputs and their next tokens.
    static let first: (inputs: [[Int32]], targets: [[Int32]]) = ([[2, 3, 4], [5, 6, 2]], [[3, 4, 5], [6, 2, 3]])
    static let second: (inputs: [[Int32]], targets: [[Int32]]) = ([[5, 6, 2], [3, 4, 4]], [[6, 2, 3], [4, 4, 6]])

    struct Case: CustomTestStringConvertible, Sendable {
        var tied: Bool
        var cell: CellKind
        var testDescription: String { "\(tied ? "tied" : "untied") \(cell.rawValue)" }
    }

    @Test("the whole loss's gradient matches finite differences, from a state carried across a segment", arguments: [
        Case(tied: false, cell: .lstm), Case(tied: true, cell: .lstm), Case(tied: true, cell: .gru), Case(tied: false, cell: .rnnTanh),
    ])
    func gradients(_ setup: Case) {
        let model = Self.model(tied: setup.tied, cell: setup.cell)
        // Segment 1 from zeros, then segment 2 from segment 1's final state (held fixed: truncated BPTT).
        let carried = model.segment(inputs: Self.first.inputs, targets: Self.first.targets, initialState: nil,
                                    training: false, backward: false).finalState
        let fromZero = model.segment(inputs: Self.second.inputs, targets: Self.second.targets, initialState: nil,
                                     training: false, backward: false).sum
        let fromCarried = model.segment(inputs: Self.second.inputs, targets: Self.second.targets, initialState: carried,
                                        training: false, backward: false).sum
        #expect(abs(fromZero - fromCarried) > 1e-4, "the carried state changes nothing")
        // The loss: NLL summed over time, averaged over the 2 streams.
        EndToEndGradientTests.check(model.trainableParameters, perParameter: 8) {
            model.segment(inputs: Self.second.inputs, targets: Self.second.targets, initialState: carried,
                          training: false, backward: true).sum / 2
        }
        if setup.tied {
            #expect(model.trainableParameters.filter { $0 === model.embedding }.count == 1)
            #expect(model.output.weight === model.embedding)
        }
    }

    @Test("the training step carries each stream's state from one segment to the next")
    func carriedThroughTheLoop() {
        let model = Self.model(tied: false)
        let streams = LanguageModelStreams(inputs: Self.first.inputs + Self.second.inputs, targets: Self.first.targets + Self.second.targets,
                                           streams: 2, hidden: 5, layers: 2, hasCellState: true)
        _ = model.lossAndGradients([0, 1], of: streams)
        // The second batch in two parts, as two workers would run it (stream 1, then stream 0).
        let second1 = model.lossAndGradients([3], of: streams)
        let second0 = model.lossAndGradients([2], of: streams)
        let carried = model.segment(inputs: Self.first.inputs, targets: Self.first.targets, initialState: nil, training: false, backward: false)
        func single(_ s: Int) -> Double {
            let state = RecurrentState<Float>(h: carried.finalState.h.map { $0.rows(s ..< s + 1) }, c: carried.finalState.c.map { $0.rows(s ..< s + 1) })
            return model.segment(inputs: [Self.second.inputs[s]], targets: [Self.second.targets[s]], initialState: state,
                                 training: false, backward: false).meanLoss
        }
        #expect(abs(second0 - single(0)) < 1e-5)
        #expect(abs(second1 - single(1)) < 1e-5)
        // A new epoch (segment 0) starts from zeros again.
        let again = model.lossAndGradients([0, 1], of: streams)
        let fresh = model.segment(inputs: Self.first.inputs, targets: Self.first.targets, initialState: nil, training: false, backward: false)
        #expect(abs(again - fresh.meanLoss) < 1e-5)
    }

    /// A model whose every prediction is softmax(bias): no weights, so p is known by hand.
    static func constantModel(bias: [Float]) -> LanguageModel {
        let model = Self.model(tied: false, layers: 1)
        for parameter in model.allParameters { parameter.value = Matrix(rows: parameter.value.rows, columns: parameter.value.columns) }
        model.output.bias.value = Matrix(rows: 1, columns: bias.count, storage: bias)
        return model
    }

    @Test("perplexity is exp(mean NLL) on a hand-computed model, unknown tokens read as <unk> and counted")
    func perplexity() throws {
        // p ∝ exp(bias): <pad> .1, <unk> .1, a .2, b .4, c .0…, d .0…, <eos> .2 (c, d: 0 by a huge negative bias).
        let bias: [Float] = [log(1), log(1), log(2), log(4), -200, -200, log(2)]
        let model = Self.constantModel(bias: bias)
        // "a b" <eos>: b is predicted with .4, <eos> with .2: perplexity 1/√(.08).
        let plain = model.evaluate(tokens: try LanguageModelText.tokens(of: "a b\n", unit: .word))
        #expect(plain.tokens == 2 && plain.unknown == 0)
        #expect(abs(plain.perplexity - 1 / 0.08.squareRoot()) < 1e-4, "\(plain.perplexity)")
        #expect(abs(plain.nll - -(log(0.4) + log(0.2)) / 2) < 1e-5)
        // "a zz" <eos>: zz is <unk> (.1), then <eos> (.2): 1/√(.02); one unknown token.
        let unknown = model.evaluate(tokens: try LanguageModelText.tokens(of: "a zz\n", unit: .word))
        #expect(unknown.unknown == 1 && unknown.tokens == 2)
        #expect(abs(unknown.perplexity - 1 / 0.02.squareRoot()) < 1e-4, "\(unknown.perplexity)")
        // Long texts go through several chunks with the state carried; the figure is the same mean.
        let long = Array(repeating: ["a", "b", "<eos>"], count: 300).joined()
        let figures = model.evaluate(tokens: Array(long))
        // Targets: 300 b's (.4), 300 <eos> (.2), 299 a's (.2), in 899 predictions.
        let expected = -(300 * log(0.4) + 300 * log(0.2) + 299 * log(0.2)) / 899
        #expect(figures.tokens == 899)
        #expect(abs(figures.nll - expected) < 1e-5)
        #expect(abs(LanguageModelMetrics(unit: .char, tokens: 1, unknown: 0, nll: log(2)).bitsPerToken - 1) < 1e-12)
    }

    /// Chi-square statistic of `counts` against `expected` probabilities over the categories
    /// whose probability is positive; every draw outside them fails the test.
    static func chiSquare(_ counts: [Int], _ expected: [Double], draws: Int) -> (statistic: Double, categories: Int) {
        var statistic = 0.0, categories = 0
        for (count, p) in zip(counts, expected) {
            if p == 0 {
                #expect(count == 0, "a token of probability 0 was drawn \(count) times")
                continue
            }
            let e = p * Double(draws)
            statistic += (Double(count) - e) * (Double(count) - e) / e
            categories += 1
        }
        return (statistic, categories)
    }

    /// The 99.9% quantiles of chi-square with 1…6 degrees of freedom.
    static let critical: [Int: Double] = [1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46]

    struct SamplingCase: CustomTestStringConvertible, Sendable {
        var options: SamplingOptions
        /// The distribution computed by hand from `logits` (see the test).
        var expected: [Double]
        var testDescription: String { "T \(options.temperature) top-k \(options.topK.map(String.init) ?? "-") top-p \(options.topP.map { "\($0)" } ?? "-")" }
    }

    static let logits: [Float] = [3, 1, 2, 0.5, 1.5, 0.2, log(3)]

    /// softmax(logits / T) over ids 1… (<pad> excluded).
    static func softmax(_ temperature: Double) -> [Double] {
        var exps = logits.map { exp(Double($0) / temperature) }
        exps[0] = 0
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    static func keeping(_ distribution: [Double], _ ids: [Int]) -> [Double] {
        var kept = [Double](repeating: 0, count: distribution.count)
        for id in ids { kept[id] = distribution[id] }
        let sum = kept.reduce(0, +)
        return kept.map { $0 / sum }
    }

    static var samplingCases: [SamplingCase] {
        let t1 = softmax(1)
        // Order by probability: id 6 (log 3 ≈ 1.10)? no: 2 (2), 4 (1.5), 6 (1.10), 1 (1), 3 (.5), 5 (.2).
        return [
            SamplingCase(options: SamplingOptions(), expected: t1),
            SamplingCase(options: SamplingOptions(temperature: 0.5), expected: softmax(0.5)),
            SamplingCase(options: SamplingOptions(temperature: 2), expected: softmax(2)),
            SamplingCase(options: SamplingOptions(topK: 3), expected: keeping(t1, [2, 4, 6])),
            // Cumulative at T 1: id 2 ≈ .35, +4 ≈ .56, +6 ≈ .71, +1 ≈ .84: p .8 keeps four.
            SamplingCase(options: SamplingOptions(topP: 0.8), expected: keeping(t1, [2, 4, 6, 1])),
            SamplingCase(options: SamplingOptions(temperature: 0.7, topK: 4, topP: 0.9), expected: {
                let t = softmax(0.7)
                // Within the top 4 (2, 4, 6, 1) renormalized, the cumulative share reaches .9 at the fourth.
                let top4 = keeping(t, [2, 4, 6, 1])
                var running = 0.0, kept: [Int] = []
                for id in [2, 4, 6, 1] { running += top4[id]; kept.append(id); if running >= 0.9 { break } }
                return keeping(t, kept)
            }()),
        ]
    }

    @Test("sampled frequencies match the temperature, top-k and top-p distributions (chi-square, fixed seed)", arguments: samplingCases)
    func sampling(_ setup: SamplingCase) {
        let distribution = LanguageModel.samplingDistribution(logits: Self.logits, options: setup.options, excluded: [0])
        for (p, q) in zip(distribution, setup.expected) { #expect(abs(p - q) < 1e-9, "\(distribution) vs \(setup.expected)") }
        var generator = SeededGenerator(seed: 42)
        let draws = 20_000
        var counts = [Int](repeating: 0, count: Self.logits.count)
        for _ in 0..<draws { counts[LanguageModel.draw(from: distribution, generator: &generator)] += 1 }
        let (statistic, categories) = Self.chiSquare(counts, setup.expected, draws: draws)
        let limit = Self.critical[categories - 1] ?? 0
        #expect(categories >= 2 && statistic < limit, "chi-square \(statistic) with \(categories - 1) degrees of freedom, limit \(limit): \(counts)")
    }

    @Test("temperature 0 is greedy; a seeded generation is reproducible; word models stop at <eos>")
    func generation() {
        let greedy = LanguageModel.samplingDistribution(logits: Self.logits, options: SamplingOptions(temperature: 0), excluded: [0])
        #expect(greedy == [0, 0, 1, 0, 0, 0, 0])
        let model = Self.model(tied: true)
        var first = SeededGenerator(seed: 9), second = SeededGenerator(seed: 9)
        var streamed = ""
        let a = model.generate(prompt: ["a"], options: SamplingOptions(maxTokens: 30), generator: &first) { streamed += $0 }
        let b = model.generate(prompt: ["a"], options: SamplingOptions(maxTokens: 30), generator: &second)
        #expect(a == b)
        #expect(streamed == a.text)
        #expect(a.tokens.count <= 30 && a.logProbabilities.count == a.tokens.count && a.logProbabilities.allSatisfy { $0 <= 0 })
        if a.end == "eos" { #expect(a.tokens.last == "<eos>" && !a.text.contains("<eos>")) }
        #expect(!a.tokens.contains("<pad>"))
    }

    @Test("flat settings leave out keys that take the language model's defaults, not the tagger's; sgd without lr keeps 1")
    func settingsDefaults() throws {
        func decode(_ json: String) throws -> LanguageModelConfiguration {
            try JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(json.utf8))
        }
        #expect(try decode("{}") == LanguageModelConfiguration())
        let sized = try decode(#"{"hidden": 650, "dropout": 0.5, "tokenize": true}"#)
        #expect(sized.encoder.hidden == 650 && sized.encoder.layers == 2 && sized.encoder.batch == 20 && sized.encoder.dropout == 0.5)
        #expect(sized.encoder.cell == .lstm && !sized.encoder.bidirectional && sized.tokenize)
        #expect(try decode(#"{"optimizer": "sgd"}"#).encoder.learningRate == 1)
        #expect(try decode(#"{"optimizer": "adam"}"#).encoder.lr == nil)
        #expect(try decode(#"{"optimizer": "adam", "lr": 0.003}"#).encoder.lr == 0.003)
        #expect(throws: (any Error).self) { try decode(#"{"word_dropout": 0.1}"#) }
    }

    @Test("bad settings are refused with the setting named")
    func badSettings() {
        var configuration = LanguageModelConfiguration()
        configuration.bptt = 0
        #expect(throws: ModelError.self) { try configuration.validate() }
        configuration = LanguageModelConfiguration()
        configuration.tied = true
        configuration.encoder.dim = 100
        #expect(throws: ModelError.self) { try configuration.validate() }
        #expect(throws: ModelError.self) { try SamplingOptions(topP: -0.5).validate() }
        #expect(throws: ModelError.self) { try SamplingOptions(temperature: -1).validate() }
    }
}
