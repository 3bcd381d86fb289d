import EmbeddingKernels
import Foundation
import TestSupport
@testable import Embeddings
@testable import Vocabulary

/// σ(x) = e^x / (e^x + 1).
func sigmoid(_ x: Double) -> Double { exp(x) / (exp(x) + 1) }

/// word2vec.c's table lookup: index = (int)((f + 6) × (1000 / 6 / 2)), with the integer
/// division 1000 / 6 / 2 = 83 of its #defines, and entry i = σ((i / 1000 × 2 − 1) × 6).
func tableSigmoid(_ f: Double) -> Double {
    let index = Int((f + 6) * Double(1000 / 6 / 2))
    return sigmoid((Double(index) / 1000 * 2 - 1) * 6)
}

@Suite struct KernelTests {
    init() { wp_init_tables() }

    @Test(arguments: [-5.9, -1.0, -0.024, 0.0, 0.01, 0.5, 3.3, 5.99])
    func sigmoidTableMatchesWord2vec(x: Double) {
        #expect(abs(Double(wp_sigmoid_table(Float(x))) - tableSigmoid(x)) < 1e-6)
        // And the table is close to the true sigmoid (its step is 12 / 1000).
        #expect(abs(Double(wp_sigmoid_table(Float(x))) - sigmoid(x)) < 0.02)
    }

    @Test func learningRateFallsLinearlyToMinAlpha() throws {
        let (vocabulary, corpus) = try toyCorpus(text: String(repeating: "a b c d\n", count: 50))
        let configuration = TrainingConfiguration(dim: 4, epochs: 2, vocabulary: VocabularyConfiguration(minCount: 1))
        let session = try Session(corpus: corpus, vocabulary: vocabulary, configuration: configuration, options: TrainingOptions(threads: 1))
        let total = Int64(corpus.tokenCount * 2)  // 400 words over 2 epochs
        #expect(abs(Double(session.alpha(after: 0)) - 0.025) < 1e-9)
        #expect(abs(Double(session.alpha(after: total / 2)) - (0.025 - (0.025 - 0.0001) / 2)) < 1e-7)
        #expect(abs(Double(session.alpha(after: total)) - 0.0001) < 1e-9)
        #expect(abs(Double(session.alpha(after: total * 3)) - 0.0001) < 1e-9)
    }

    /// One skip-gram negative-sampling step on a 3-word model, against a hand computation.
    ///
    /// Vocabulary a, b, c; sentence [a, b]; window 1 (so the drawn radius is always 1); the
    /// noise table always yields c. Position 0 (word a) learns from context b; position 1
    /// (word b) from context a, whose input vector starts at zero.
    @Test func oneStepMatchesHandComputation() {
        let dim = 2
        var input: [Float] = [0, 0, 0.1, 0.2, 0.5, 0.5]      // rows a, b, c
        var output: [Float] = [0.3, -0.1, 0.7, 0.1, -0.2, 0.4]  // rows a, b, c
        let acceptance: [Float] = [0, 0, 0]   // never accept the column ...
        let aliases: [Int32] = [2, 2, 2]      // ... so the alias, c, is always drawn
        let alpha = 0.1
        // Hand computation, position 0: input x = b's vector; targets a (label 1) then c (label 0).
        var x = [0.1, 0.2], ya = [0.3, -0.1], yb = [0.7, 0.1], yc = [-0.2, 0.4], xa = [0.0, 0.0]
        func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).map(*).reduce(0, +) }
        var neu1e = [0.0, 0.0]
        var g = (1 - tableSigmoid(dot(x, ya))) * alpha
        neu1e = zip(neu1e, ya).map { $0 + g * $1 }
        ya = zip(ya, x).map { $0 + g * $1 }
        g = (0 - tableSigmoid(dot(x, yc))) * alpha
        neu1e = zip(neu1e, yc).map { $0 + g * $1 }
        yc = zip(yc, x).map { $0 + g * $1 }
        x = zip(x, neu1e).map(+)
        // Position 1: input a's vector (zero); targets b (label 1) then c (label 0).
        neu1e = [0, 0]
        g = (1 - tableSigmoid(dot(xa, yb))) * alpha
        neu1e = zip(neu1e, yb).map { $0 + g * $1 }
        yb = zip(yb, xa).map { $0 + g * $1 }
        g = (0 - tableSigmoid(dot(xa, yc))) * alpha
        neu1e = zip(neu1e, yc).map { $0 + g * $1 }
        yc = zip(yc, xa).map { $0 + g * $1 }
        xa = zip(xa, neu1e).map(+)

        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Int(wp_scratch_floats(2, 1, 1)))
        defer { scratch.deallocate() }
        var state = wp_train_state(random: 1, loss: 0, predictions: 0, scratch: scratch)
        let sentence: [UInt32] = [0, 1]
        let kept = input.withUnsafeMutableBufferPointer { inputPointer in
            output.withUnsafeMutableBufferPointer { outputPointer in
                acceptance.withUnsafeBufferPointer { acceptancePointer in
                    aliases.withUnsafeBufferPointer { aliasPointer in
                        var model = wp_train_model(
                            input: inputPointer.baseAddress, output: outputPointer.baseAddress, dim: Int32(dim), vocabularySize: 3,
                            model: Int32(WP_MODEL_SKIPGRAM), loss: Int32(WP_LOSS_NS), window: 1, negative: 1, batched: 0, cbowMean: 1,
                            keep: nil, acceptance: acceptancePointer.baseAddress, alias: aliasPointer.baseAddress,
                            codes: nil, points: nil, codeLengths: nil, subwordOffsets: nil, subwordIDs: nil)
                        return wp_train_sentence(&model, &state, sentence, 2, Float(alpha))
                    }
                }
            }
        }
        #expect(kept == 2)
        #expect(state.predictions == 4)
        let expectedInput = xa + x + [0.5, 0.5]
        let expectedOutput = ya + yb + yc
        for (got, want) in zip(input, expectedInput) { #expect(abs(Double(got) - want) < 1e-6, "input \(input) vs \(expectedInput)") }
        for (got, want) in zip(output, expectedOutput) { #expect(abs(Double(got) - want) < 1e-6, "output \(output) vs \(expectedOutput)") }
    }

    @Test func huffmanCodesFollowTheCounts() throws {
        // Counts 5, 3, 1, 1: merges (1,1)→2, (2,3)→5, (5,5)→10. Frequent words get short codes.
        let tree = try HuffmanTree(counts: [5, 3, 1, 1])
        #expect(Array(tree.lengths) == [1, 2, 3, 3])
        let maxLength = Int(WP_MAX_CODE_LENGTH)
        // Every word's path starts at the root, inner node 2 (= vocabulary − 2).
        for word in 0..<4 { #expect(tree.points[word * maxLength] == 2) }
        // Codes are distinct prefix-free paths.
        let paths = (0..<4).map { word in (0..<Int(tree.lengths[word])).map { tree.codes[word * maxLength + $0] } }
        #expect(Set(paths.map { $0.map(String.init).joined() }).count == 4)
    }
}

/// A vocabulary and encoded corpus made from `text`.
func toyCorpus(text: String, minCount: Int = 1) throws -> (Vocabulary, EncodedCorpus) {
    let directory = try SharedData.temporaryDirectory()
    let path = directory.appendingPathComponent("corpus.txt").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    let (vocabulary, _) = try VocabularyBuilder.build(inputs: [path], configuration: VocabularyConfiguration(minCount: minCount))
    let encoded = path + ".wpc"
    _ = try EncodedCorpus.encode(inputs: [path], vocabulary: vocabulary, to: encoded)
    return (vocabulary, try EncodedCorpus(path: encoded, vocabulary: vocabulary))
}
