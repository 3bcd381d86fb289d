import Recurrent
import Testing

/// Small seeded training runs (Float32, Adam, clipping at norm 5) with accuracy asserted on
/// fresh data after a fixed number of steps.
@Suite("Learning")
struct LearningTests {
    /// A sequence classifier: embedding → recurrent module → linear on the final state.
    private final class Classifier<Module: SequenceModule> where Module.Scalar == Float {
        let embedding: Embedding<Float>
        let module: Module
        let output: Linear<Float>
        let readsFinalState: Bool

        init(tokens: Int, dim: Int, module: Module, classes: Int, readsFinalState: Bool) {
            embedding = Embedding(rows: tokens + 1, dim: dim, paddingID: 0, seed: 1)
            self.module = module
            output = Linear(inputSize: module.outputSize, outputSize: classes, seed: 2)
            self.readsFinalState = readsFinalState
        }

        var parameters: [Parameter<Float>] { embedding.parameters + module.parameters + output.parameters }

        /// One pass; trains when an optimizer is given. Returns the accuracy.
        @discardableResult
        func run(_ tokens: TokenBatch, targets: [Int32], optimizer: (any Optimizer<Float>)?) -> Double {
            let trace = module.forward(embedding.forward(tokens))
            let features = readsFinalState ? trace.finalState.h[trace.finalState.h.count - 1] : trace.output.values
            let logits = output.forward(features)
            let result = SoftmaxCrossEntropy.evaluate(logits: logits, targets: targets)
            guard let optimizer else { return result.accuracy }
            for parameter in parameters { parameter.zeroGradient() }
            let dFeatures = output.backward(input: features, outputGradient: result.gradient)
            let gradient = readsFinalState
                ? module.backward(trace, outputGradient: nil, finalStateGradient: RecurrentState(h: [dFeatures]))
                : module.backward(trace, outputGradient: dFeatures, finalStateGradient: nil)
            embedding.backward(ids: tokens.ids, outputGradient: gradient.input)
            clipGradients(parameters, maxNorm: 5)
            optimizer.step(parameters)
            return result.accuracy
        }
    }

    /// The class of a sequence is its first token (1…4); 15 distracting tokens (5…8) follow, so
    /// the label depends on a token 15 steps before the last one, which no feed-forward view of
    /// the last tokens can see.
    private static func firstTokenTask(_ generator: inout SeededGenerator, batch: Int) -> (TokenBatch, [Int32]) {
        let sequences = (0..<batch).map { _ in
            (0..<16).map { t in Int32(t == 0 ? 1 + generator.nextIndex(below: 4) : 5 + generator.nextIndex(below: 4)) }
        }
        return (TokenBatch(sequences: sequences), sequences.map { $0[0] - 1 })
    }

    private func trainFirstToken(_ kind: CellKind, steps: Int) -> Double {
        let model = Classifier(tokens: 8, dim: 8, module: RecurrentLayer<Float>(kind, inputSize: 8, hiddenSize: 16, seed: 3),
                               classes: 4, readsFinalState: true)
        let adam = Adam<Float>(learningRate: 0.1)
        var generator = SeededGenerator(seed: 4)
        for _ in 0..<steps {
            let (tokens, labels) = Self.firstTokenTask(&generator, batch: 32)
            model.run(tokens, targets: labels, optimizer: adam)
        }
        var test = SeededGenerator(seed: 5)
        let (tokens, labels) = Self.firstTokenTask(&test, batch: 512)
        return model.run(tokens, targets: labels, optimizer: nil)
    }

    /// With this seed the LSTM reaches 100% after about 250 steps and the GRU after 50, while
    /// the plain RNN stays at chance (25%) for the whole run; other seeds behave alike.
    @Test("LSTM and GRU remember a token 15 steps back; the plain RNN does not, in the same budget")
    func longMemory() {
        let lstm = trainFirstToken(.lstm, steps: 500)
        let gru = trainFirstToken(.gru, steps: 500)
        let rnn = trainFirstToken(.rnnTanh, steps: 500)
        #expect(lstm >= 0.9, "LSTM accuracy \(lstm)")
        #expect(gru >= 0.9, "GRU accuracy \(gru)")
        #expect(rnn < 0.5, "RNN accuracy \(rnn)")
    }

    /// Tagging: a token's label is whether the *next* token is even (the last token's is
    /// padding), like "Paul est né…" vs "Paul est une boulangerie…": only the future decides.
    private static func nextTokenTask(_ generator: inout SeededGenerator, batch: Int) -> (TokenBatch, [Int32]) {
        let sequences = (0..<batch).map { _ in (0..<(5 + generator.nextIndex(below: 5))).map { _ in Int32(1 + generator.nextIndex(below: 6)) } }
        let labels = sequences.map { sequence in
            sequence.indices.map { t in t + 1 < sequence.count ? Int32(sequence[t + 1] % 2) : TokenBatch.padding }
        }
        return (TokenBatch(sequences: sequences), TokenBatch(sequences: labels, steps: sequences.map(\.count).max()).ids)
    }

    private func trainNextToken<M: SequenceModule>(_ module: M, steps: Int) -> Double where M.Scalar == Float {
        let model = Classifier(tokens: 6, dim: 8, module: module, classes: 2, readsFinalState: false)
        let adam = Adam<Float>(learningRate: 0.02)
        var generator = SeededGenerator(seed: 6)
        for _ in 0..<steps {
            let (tokens, labels) = Self.nextTokenTask(&generator, batch: 32)
            model.run(tokens, targets: labels, optimizer: adam)
        }
        var test = SeededGenerator(seed: 7)
        let (tokens, labels) = Self.nextTokenTask(&test, batch: 512)
        return model.run(tokens, targets: labels, optimizer: nil)
    }

    @Test("a bidirectional LSTM learns labels that depend on the next word; one direction cannot")
    func needsTheFuture() {
        let bidirectional = trainNextToken(Bidirectional<Float>(.lstm, inputSize: 8, hiddenSize: 8, seed: 8), steps: 120)
        let unidirectional = trainNextToken(RecurrentLayer<Float>(.lstm, inputSize: 8, hiddenSize: 16, seed: 9), steps: 120)
        #expect(bidirectional >= 0.95, "bidirectional accuracy \(bidirectional)")
        #expect(unidirectional < 0.7, "unidirectional accuracy \(unidirectional)")
    }
}
