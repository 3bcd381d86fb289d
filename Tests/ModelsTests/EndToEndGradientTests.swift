import Foundation
import Recurrent
import Testing
@testable import Models

/// End-to-end finite-difference checks of whole models: the gradients a tagger's or classifier's
/// training step leaves in its parameters must equal the change of its training loss when one
/// weight is moved a little, through every layer at once (embedding rows, character encoder,
/// stacked recurrent layers, pooling, output layer, softmax or CRF). Each layer has its own
/// Float64 check in RecurrentTests; this one catches wiring between them (a gradient routed to
/// the wrong step or row, a missing term, a wrong scale: scaling one layer's gradient by 1.1
/// fails it). The models are Float32, so the differences are central with a step of 1e-2
/// (1e-3 for max pooling, whose kinks a larger step crosses) and the tolerance is 1e-3 plus 1%.
@Suite("End-to-end gradients")
struct EndToEndGradientTests {
    static let words = ["<pad>", "<unk>", "the", "cat", "sat", "on", "mat", "Paris", "is", "big"]
    static let sentences: [[String]] = [["the", "cat", "sat", "on", "the", "mat"], ["Paris", "is", "big"], ["cat", "zzz"]]

    static func settings(cell: CellKind, bidirectional: Bool = true, layers: Int = 1) -> EncoderSettings {
        var settings = EncoderSettings()
        settings.cell = cell
        settings.bidirectional = bidirectional
        settings.layers = layers
        settings.hidden = 5
        settings.dim = 4
        settings.dropout = 0
        settings.seed = 7
        return settings
    }

    static func initial() -> Matrix<Float> {
        var generator = SeededGenerator(seed: 11)
        var matrix = Matrix<Float>.normal(rows: words.count, columns: 4, standardDeviation: 0.5, using: &generator)
        for j in 0..<4 { matrix[0, j] = 0 }
        return matrix
    }

    /// Compares every parameter's gradient after one `step` with central differences of `step`'s
    /// loss, at up to `perParameter` entries each (for an embedding table: entries of the rows the
    /// batch used, and one row it did not use, whose gradient must be zero).
    static func check(_ parameters: [Parameter<Float>], perParameter: Int = 6, epsilon: Float = 1e-2, step: () -> Double) {
        for parameter in parameters { parameter.zeroGradient() }
        _ = step()
        let gradients = parameters.map(\.denseGradient)
        var generator = SeededGenerator(seed: 3)
        var checked = 0
        for (parameter, gradient) in zip(parameters, gradients) {
            let count = parameter.value.storage.count
            var entries: [Int]
            if let sparse = parameter.sparseGradient {
                let columns = parameter.value.columns
                entries = sparse.ids.prefix(perParameter).map { Int($0) * columns + generator.nextIndex(below: columns) }
                let unused = (0..<parameter.value.rows).first { row in !sparse.ids.contains(Int32(row)) }
                if let unused { entries.append(unused * columns) }
            } else {
                entries = (0..<min(perParameter, count)).map { _ in generator.nextIndex(below: count) }
            }
            for index in entries {
                let original = parameter.value.storage[index]
                parameter.value.storage[index] = original + epsilon
                let plus = step()
                parameter.value.storage[index] = original - epsilon
                let minus = step()
                parameter.value.storage[index] = original
                let numeric = (plus - minus) / Double(2 * epsilon)
                let analytic = Double(gradient.storage[index])
                let tolerance = 1e-3 + 1e-2 * max(abs(numeric), abs(analytic))
                #expect(abs(numeric - analytic) <= tolerance,
                        "\(parameter.name)[\(index)]: backward \(analytic), finite difference \(numeric)")
                checked += 1
            }
        }
        for parameter in parameters { parameter.zeroGradient() }
        #expect(checked >= 2 * parameters.count - 1, "only \(checked) entries checked")
    }

    struct TaggerCase: CustomTestStringConvertible, Sendable {
        var crf: Bool
        var cell: CellKind
        var bidirectional: Bool
        var layers: Int
        var characters: CharacterFeatureKind
        var testDescription: String {
            "\(crf ? "CRF" : "softmax"), \(bidirectional ? "bi" : "uni")\(cell.rawValue) × \(layers), characters \(characters.rawValue)"
        }
    }

    @Test("a tagger's backward pass matches finite differences of its loss", arguments: [
        TaggerCase(crf: false, cell: .lstm, bidirectional: true, layers: 1, characters: .none),
        TaggerCase(crf: true, cell: .lstm, bidirectional: true, layers: 1, characters: .none),
        TaggerCase(crf: true, cell: .gru, bidirectional: true, layers: 2, characters: .lstm),
        TaggerCase(crf: true, cell: .rnnTanh, bidirectional: false, layers: 1, characters: .cnn),
    ])
    func tagger(_ setup: TaggerCase) {
        var configuration = TaggerConfiguration()
        configuration.crf = setup.crf
        configuration.charFeatures = setup.characters
        configuration.encoder = Self.settings(cell: setup.cell, bidirectional: setup.bidirectional, layers: setup.layers)
        let labels = ["B-LOC", "I-LOC", "O"]
        let alphabet = setup.characters == .none ? nil : CharacterVocabulary(words: Self.sentences.joined())
        let table = WordTable(words: Self.words, tokenizer: nil)
        let tagger = Tagger(configuration: configuration, words: table, initial: Self.initial(), labels: labels,
                            alphabet: alphabet, tokenizer: nil)
        let targets: [[Int32]] = [[2, 2, 2, 2, 2, 2], [0, 2, 2], [2, 0]]
        let batch = tagger.batch(Self.sentences, targets: targets, lookup: table.lookup())
        Self.check(tagger.trainableParameters) { tagger.trainStep(batch) }
    }

    @Test("a classifier's backward pass matches finite differences of its loss", arguments: Pooling.allCases)
    func classifier(_ pooling: Pooling) {
        var configuration = ClassifierConfiguration()
        configuration.pooling = pooling
        configuration.encoder = Self.settings(cell: .lstm)
        let table = WordTable(words: Self.words, tokenizer: nil)
        let classifier = Classifier(configuration: configuration, words: table, initial: Self.initial(), labels: ["neg", "pos"])
        let lookup = table.lookup()
        let ids = Self.sentences.map { $0.map(lookup) }
        Self.check(classifier.trainableParameters, epsilon: pooling == .max ? 1e-3 : 1e-2) { classifier.trainStep(ids: ids, targets: [1, 0, 1]) }
    }
}
