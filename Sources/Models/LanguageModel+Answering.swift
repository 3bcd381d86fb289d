import Recurrent

/// One generated sample as `generate --json` prints it and `POST /v1/generate` answers it: the
/// prompt, the text after it, its tokens and each token's log-probability under the model
/// (natural log, before temperature, top-k and top-p), and why it ended (`eos`, `stop`,
/// `max_tokens`).
public struct GenerateAnswer: Codable, Sendable, Equatable {
    public var prompt: String
    public var text: String
    public var tokens: [String]
    public var logprobs: [Double]
    public var end: String

    public init(prompt: String, _ sample: GeneratedSample) {
        self.prompt = prompt
        text = sample.text
        tokens = sample.tokens
        logprobs = sample.logProbabilities
        end = sample.end
    }

    /// One line of JSON (sorted keys), as the CLI prints an answer.
    public var jsonLine: String { TextAnswerJSON.line(self) }
}

/// A request's sampling settings (`SamplingOptions`) and seed, snake_case as in a pipeline's
/// `generate` stage.
public struct GenerateOptions: Codable, Sendable {
    public var maxTokens: Int?
    public var temperature: Double?
    public var topK: Int?
    public var topP: Double?
    public var stop: String?
    public var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case maxTokens = "max_tokens", temperature, topK = "top_k", topP = "top_p", stop, seed
    }

    /// The sampling settings, defaults filled in.
    var sampling: SamplingOptions {
        let defaults = SamplingOptions()
        return SamplingOptions(temperature: temperature ?? defaults.temperature, topK: topK, topP: topP,
                               maxTokens: maxTokens ?? defaults.maxTokens, stop: stop)
    }
}

extension LanguageModel: TextAnswering {
    public static var verb: String { "generate" }
    public static var optionFields: [OptionField] {
        [OptionField("max_tokens", "integer", "Tokens to generate at most per sample (default 100)"),
         OptionField("temperature", "number", "Softmax temperature; 0 is greedy (default 1)"),
         OptionField("top_k", "integer", "Sample among the K most probable tokens only"),
         OptionField("top_p", "number", "Nucleus sampling: the most probable tokens making up this much probability, in (0, 1]"),
         OptionField("stop", "string", "Stop a sample once its text contains this"),
         OptionField("seed", "integer", "Seed of the sampling (default 1): the same seed gives the same samples")]
    }
    public static var answerSchema: [String: Any] {
        AnswerSchema.object(["prompt": AnswerSchema.string, "text": AnswerSchema.string, "tokens": AnswerSchema.strings,
                             "logprobs": ["type": "array", "items": AnswerSchema.number], "end": AnswerSchema.string],
                            required: ["prompt", "text", "tokens", "logprobs", "end"])
    }

    public func check(_ options: GenerateOptions) throws {
        do {
            try options.sampling.validate()
        } catch let ModelError.invalidOption(name, value, expected) {
            throw InvalidOption(field: name.stringValue, message: "expected \(expected), not \(value)")
        }
    }

    /// One sample per text, the text its prompt (empty: from the start state); the samples
    /// of a request draw from one generator seeded with `seed`.
    /// Its labels are its vocabulary.
    public static var predictsWords: Bool { true }

    public func answer(_ texts: [String], options: GenerateOptions, threads _: Int) throws -> [GenerateAnswer] {
        var generator = SeededGenerator(seed: options.seed ?? 1)
        let sampling = options.sampling
        let tokenizer = try makeTokenizer()
        return try texts.map { prompt in
            let promptTokens = try LanguageModelText.tokens(of: prompt, unit: configuration.unit, tokenizer: tokenizer, endOfLines: false)
            let sample = generate(prompt: promptTokens, options: sampling, generator: &generator)
            return GenerateAnswer(prompt: prompt, sample)
        }
    }
}
