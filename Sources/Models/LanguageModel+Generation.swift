import Foundation
import Recurrent
import WordPipeSupport

/// How `LanguageModel.generate` picks each token.
public struct SamplingOptions: Sendable, Equatable {
    /// Softmax temperature; 0 picks the most probable token every time (greedy). Default: 1.
    public var temperature: Double = 1
    /// Sample among the `topK` most probable tokens only (nil: all).
    public var topK: Int?
    /// Sample among the smallest set of most probable tokens whose probabilities add up to at
    /// least `topP` (nucleus sampling, Holtzman et al. 2020; nil: all).
    public var topP: Double?
    /// Tokens to generate at most per sample. Default: 100.
    public var maxTokens: Int = 100
    /// Stop a sample once its text contains this (nil: only `<eos>` for word models, or `maxTokens`).
    public var stop: String?

    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil, maxTokens: Int = 100, stop: String? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
    }

    /// Throws `ModelError.invalidOption` naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ key: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ModelError.invalidOption(name: SettingKey(stringValue: key), value: "\(value)", expected: expected) }
        }
        try check(temperature >= 0 && temperature.isFinite && temperature <= 1000, "temperature", temperature,
                  "a number in [0, 1000] (0 = greedy: always the most probable token)")
        if let topK { try check(topK >= 1, "top_k", topK, "an integer >= 1") }
        if let topP { try check(topP > 0 && topP <= 1, "top_p", topP, "a number in (0, 1]") }
        try check(maxTokens >= 1 && maxTokens <= 1_000_000, "max_tokens", maxTokens, "an integer in 1...1000000")
        if let stop { try check(!stop.isEmpty, "stop", "''", "a non-empty string") }
    }
}

/// One generated sample: its tokens, each with its log-probability under the model (natural
/// log, temperature 1, before top-k/top-p), and its text.
public struct GeneratedSample: Sendable, Equatable {
    public var tokens: [String]
    public var logProbabilities: [Double]
    public var text: String
    /// Why it ended: `eos`, `stop` or `max_tokens`.
    public var end: String
}

extension LanguageModel {
    /// The distribution a token is drawn from, given the output layer's scores: softmax of
    /// `logits / temperature`, restricted to the `topK` most probable, then to the smallest
    /// most-probable set reaching `topP`, renormalized. Temperature 0 puts all the mass on the
    /// arg-max (the first on ties). `excluded` ids (`<pad>`) get nothing.
    public static func samplingDistribution(logits: [Float], options: SamplingOptions, excluded: Set<Int> = []) -> [Double] {
        let n = logits.count
        var allowed = (0..<n).filter { !excluded.contains($0) }
        guard !allowed.isEmpty else { return [Double](repeating: 0, count: n) }
        var result = [Double](repeating: 0, count: n)
        if options.temperature == 0 {
            var best = allowed[0]
            for i in allowed where logits[i] > logits[best] { best = i }
            result[best] = 1
            return result
        }
        let largest = allowed.map { Double(logits[$0]) }.max() ?? 0
        for i in allowed { result[i] = Foundation.exp((Double(logits[i]) - largest) / options.temperature) }
        // Most probable first (ties: lower id first), for top-k and top-p.
        allowed.sort { result[$0] != result[$1] ? result[$0] > result[$1] : $0 < $1 }
        var keep = allowed.count
        if let k = options.topK { keep = min(keep, k) }
        if let p = options.topP {
            let total = allowed.prefix(keep).reduce(0) { $0 + result[$1] }
            var running = 0.0, count = 0
            for i in allowed.prefix(keep) {
                running += result[i]
                count += 1
                if running >= p * total * (1 - 1e-12) { break }
            }
            keep = count
        }
        for i in allowed.dropFirst(keep) { result[i] = 0 }
        let sum = result.reduce(0, +)
        return result.map { $0 / sum }
    }

    /// Draws an index from `distribution` (which sums to 1) with `generator`.
    public static func draw(from distribution: [Double], generator: inout SeededGenerator) -> Int {
        let u = generator.nextUnit()
        var running = 0.0
        var last = 0
        for (index, p) in distribution.enumerated() where p > 0 {
            running += p
            last = index
            if u < running { return index }
        }
        return last
    }

    /// How a token is written in generated text: words joined by spaces, characters as they are.
    func join(_ tokens: [String]) -> String {
        configuration.unit == .word ? tokens.joined(separator: " ") : tokens.joined()
    }

    /// Generates a sample after `prompt` (its tokens; none: from the start state, after an
    /// end of line). Each token is handed to `emit` as it is drawn (with the text to print, a
    /// space before words after the first). Word models stop at `<eos>` (not emitted); any
    /// model at `options.stop` or after `options.maxTokens` tokens.
    public func generate(prompt: [String], options: SamplingOptions, generator: inout SeededGenerator,
                         emit: (String) -> Void = { _ in }) -> GeneratedSample {
        let start = configuration.unit == .word ? Self.endOfSentence : "\n"
        var context = ids(prompt).ids
        if context.isEmpty { context = [words.exactID(start) ?? Self.unknownID] }
        var (scores, state) = logits(after: context, state: nil)
        var row = Array(scores.row(scores.rows - 1))
        var tokens: [String] = [], logProbabilities: [Double] = []
        var text = ""
        var end = "max_tokens"
        let excluded: Set<Int> = [0]
        let needsSpace = configuration.unit == .word && !prompt.isEmpty
        while tokens.count < options.maxTokens {
            let distribution = Self.samplingDistribution(logits: row, options: options, excluded: excluded)
            let id = Self.draw(from: distribution, generator: &generator)
            let token = words.words[id]
            let natural = Self.samplingDistribution(logits: row, options: SamplingOptions(), excluded: excluded)
            if configuration.unit == .word && token == Self.endOfSentence {
                tokens.append(token)
                logProbabilities.append(Foundation.log(natural[id]))
                end = "eos"
                break
            }
            let piece = configuration.unit == .word ? ((tokens.isEmpty && !needsSpace) ? token : " " + token) : token
            tokens.append(token)
            logProbabilities.append(Foundation.log(natural[id]))
            text += piece
            emit(piece)
            if let stop = options.stop, text.contains(stop) {
                end = "stop"
                break
            }
            (scores, state) = logits(after: [Int32(id)], state: state)
            row = Array(scores.row(0))
        }
        return GeneratedSample(tokens: tokens, logProbabilities: logProbabilities, text: text, end: end)
    }
}
