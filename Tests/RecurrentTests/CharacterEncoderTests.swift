import Foundation
import Recurrent
import Testing

/// Character features per word: the vocabulary, and both encoders' gradients (Float64 finite
/// differences, see `GradientCheck`) over words of different lengths.
@Suite("Character encoder")
struct CharacterEncoderTests {
    // MARK: Vocabulary

    @Test("vocabulary: ids by frequency, unknown characters, truncation, empty words")
    func vocabulary() {
        let vocabulary = CharacterVocabulary(words: ["abba", "cab", "é"])
        // a ×3, b ×3, c ×1, é ×1: ties by scalar value.
        #expect(vocabulary.scalars == [97, 98, 99, 233])
        #expect(vocabulary.count == 6)
        #expect(vocabulary.ids(for: "cab") == [4, 2, 3])
        #expect(vocabulary.ids(for: "Cz") == [CharacterVocabulary.unknown, CharacterVocabulary.unknown])
        #expect(vocabulary.ids(for: "") == [CharacterVocabulary.unknown])
        #expect(vocabulary.ids(for: "abcabc", maxLength: 4) == [2, 3, 4, 2])
        #expect(vocabulary.ids(for: String(repeating: "a", count: 50)).count == CharacterVocabulary.defaultMaxLength)
        // Unicode scalars, not grapheme clusters: e + combining acute is two ids.
        #expect(vocabulary.ids(for: "e\u{301}").count == 2)
        #expect(vocabulary.ids(for: ["ab", ""]) == [[2, 3], [1]])

        let frequent = CharacterVocabulary(words: ["abba", "cab", "é"], minCount: 2)
        #expect(frequent.scalars == [97, 98])
        #expect(frequent.ids(for: "cab") == [1, 2, 3])
    }

    @Test("vocabulary: Codable round trip; a corrupt list is rejected")
    func vocabularyCoding() throws {
        let vocabulary = CharacterVocabulary(words: ["Zürich", "naïve", "日本", "🙂"])
        let data = try JSONEncoder().encode(vocabulary)
        let decoded = try JSONDecoder().decode(CharacterVocabulary.self, from: data)
        #expect(decoded == vocabulary)
        #expect(decoded.ids(for: "日本🙂ü") == vocabulary.ids(for: "日本🙂ü"))
        #expect(!decoded.ids(for: "日本🙂ü").contains(CharacterVocabulary.unknown))
        for corrupt in [#"{"scalars": [97, 97]}"#, #"{"scalars": [55296]}"#, #"{"characters": []}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(CharacterVocabulary.self, from: Data(corrupt.utf8)) }
        }
    }

    // MARK: Gradients

    /// Words of 1, 3, 6 and 6 characters (one repeated, one with the unknown id).
    static let words: [[Int32]] = [[2, 3, 4], [5], [6, 2, 3, 4, 5, 6], [2, 3, 4], [1, 6, 5, 4, 3, 2]]

    @Test("finite differences: every parameter, the embedding rows used", arguments: [CharacterFeatureKind.lstm, .cnn])
    func gradients(kind: CharacterFeatureKind) {
        let encoder = CharacterEncoder<Double>(kind: kind, alphabetSize: 8, charDim: 3, outputSize: 4, seed: 7)
        var generator = SeededGenerator(seed: 8)
        for parameter in encoder.parameters where parameter.value.rows == 1 {  // biases
            parameter.value = .normal(rows: 1, columns: parameter.value.columns, standardDeviation: 0.5, using: &generator)
        }
        let r = Matrix<Double>.normal(rows: Self.words.count, columns: 4, using: &generator)
        encoder.zeroGradients()
        let trace = encoder.forward(Self.words, training: true)
        #expect(trace.output.rows == Self.words.count && trace.output.columns == 4)
        #expect(trace.output.row(0) == trace.output.row(3))  // the same word, the same features
        encoder.backward(trace, outputGradient: r)
        let loss = { GradientCheck.dot(encoder.forward(Self.words, training: true).output, r) }
        let entries = encoder.parameters.map { parameter in
            GradientCheck.Entry(name: parameter.name, analytic: parameter.denseGradient.storage,
                                numeric: GradientCheck.numeric(parameter, loss: loss))
        }
        let expected = kind == .lstm
            ? ["char.embedding.weight"] + ["char.lstm", "char.lstm_reverse"].flatMap { direction in
                ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "\(direction).\($0)" } }
            : ["char.embedding.weight", "char.cnn.weight", "char.cnn.bias"]
        #expect(entries.map(\.name) == expected)
        for entry in entries {
            #expect(entry.passes, "\(entry)")
            #expect(entry.nonTrivial, "\(entry)")
        }
        // Sparse rows for the ids used (1 ... 6), none for padding (0) or the unused id 7.
        let used = Set(encoder.embedding.weight.sparseGradient?.ids ?? [])
        #expect(used == Set([1, 2, 3, 4, 5, 6]))
        #expect(encoder.embedding.weight.denseGradient.row(0).allSatisfy { $0 == 0 })

        // The check fails on a wrong gradient.
        var wrong = entries[0]
        let index = wrong.analytic.indices.max { abs(wrong.analytic[$0]) < abs(wrong.analytic[$1]) } ?? 0
        wrong.analytic[index] *= 1.01
        #expect(!wrong.passes)
    }

    @Test("a batch encodes each word as it would alone; a maximum-length word", arguments: [CharacterFeatureKind.lstm, .cnn])
    func batchEqualsAlone(kind: CharacterFeatureKind) {
        let vocabulary = CharacterVocabulary(words: ["internationalization", "a", "tagger", "I"])
        let encoder = CharacterEncoder<Double>(kind: kind, alphabetSize: vocabulary.count, seed: 3)
        let words = ["a", "tagger", String(repeating: "internationalization", count: 3), "I", "x"].map { vocabulary.ids(for: $0) }
        #expect(words[2].count == 30)
        let batch = encoder.forward(words, training: false).output
        #expect(batch.rows == 5 && batch.columns == 50)
        for (index, word) in words.enumerated() {
            let alone = encoder.forward([word], training: false).output
            #expect(zip(alone.storage, batch.row(index)).allSatisfy { abs($0 - $1) < 1e-12 })
        }
        #expect(encoder.forward([], training: false).output.shape == "0 × 50")

        // Empty words are padding: zero rows, no gradient.
        let padded = encoder.forward([[], words[1], []], training: true)
        #expect(padded.output.row(0).allSatisfy { $0 == 0 } && padded.output.row(2).allSatisfy { $0 == 0 })
        #expect(zip(padded.output.row(1), batch.row(1)).allSatisfy { abs($0 - $1) < 1e-12 })
        let onlyPadding = encoder.forward([[], []], training: true)
        #expect(onlyPadding.output.rows == 2 && onlyPadding.output.storage.allSatisfy { $0 == 0 })
        encoder.zeroGradients()
        var generator = SeededGenerator(seed: 1)
        let r = Matrix<Double>.normal(rows: 3, columns: 50, using: &generator)
        encoder.backward(padded, outputGradient: r)
        let withPadding = encoder.parameters.map(\.denseGradient)
        encoder.zeroGradients()
        var realOnly = Matrix<Double>(rows: 3, columns: 50)
        for j in 0..<50 { realOnly[1, j] = r[1, j] }
        encoder.backward(padded, outputGradient: realOnly)
        #expect(encoder.parameters.map(\.denseGradient) == withPadding)
        encoder.backward(onlyPadding, outputGradient: Matrix(rows: 2, columns: 50, repeating: 1))
        #expect(encoder.parameters.map(\.denseGradient) == withPadding)
    }

    @Test("CNN: a one-character word is the convolution of [0, e(c), 0] plus the bias")
    func cnnSingleCharacter() {
        let encoder = CharacterEncoder<Double>(kind: .cnn, alphabetSize: 5, charDim: 4, outputSize: 6, seed: 1)
        let output = encoder.forward([[3]], training: false).output
        guard let weight = encoder.convolutionWeight?.value, let bias = encoder.convolutionBias?.value else {
            Issue.record("a CNN encoder has a convolution")
            return
        }
        let e = encoder.embedding.weight.value.row(3)
        for f in 0..<6 {
            let expected = bias[0, f] + (0..<4).reduce(0.0) { $0 + weight[f, 4 + $1] * e[e.startIndex + $1] }
            #expect(abs(output[0, f] - expected) < 1e-12)
        }
        // The embedding: uniform in ±sqrt(3 / dim), padding row zero.
        let table = encoder.embedding.weight.value
        #expect(table.row(0).allSatisfy { $0 == 0 })
        #expect(table.storage.allSatisfy { abs($0) <= (3.0 / 4).squareRoot() })
    }

    @Test("timing: 800 words, Float (printed)", arguments: [CharacterFeatureKind.lstm, .cnn])
    func timing(kind: CharacterFeatureKind) {
        var generator = SeededGenerator(seed: 4)
        // 800 words of 1 ... 12 characters, about half of them distinct.
        let words: [[Int32]] = (0..<800).map { index in
            var word = SeededGenerator(seed: UInt64(index % 400))
            return (0..<(1 + word.nextIndex(below: 12))).map { _ in Int32(2 + word.nextIndex(below: 60)) }
        }
        let encoder = CharacterEncoder<Float>(kind: kind, alphabetSize: 62, seed: 5)
        let r = Matrix<Float>.normal(rows: words.count, columns: 50, using: &generator)
        var times: [Double] = []
        for _ in 0..<5 {
            let start = ContinuousClock.now
            encoder.zeroGradients()
            encoder.backward(encoder.forward(words, training: true), outputGradient: r)
            times.append(CRFTests.milliseconds(ContinuousClock.now - start))
        }
        print("character encoder timing, \(kind), 800 words (\(Set(words).count) distinct, up to 12 characters), Float: forward + backward \(times.sorted()[2]) ms (median of 5)")
    }
}
