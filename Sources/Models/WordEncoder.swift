import Foundation
import Recurrent

/// The part taggers and classifiers share: word embeddings (with optional character features
/// concatenated), dropout, a recurrent encoder (stacked, one or two directions) and dropout on
/// its output. Forward and backward passes are explicit; parameter gradients accumulate in the
/// `Parameter`s.
final class WordEncoder {
    let embedding: Embedding<Float>
    let characters: CharacterEncoder<Float>?
    let recurrent: any SequenceModule<Float>
    let inputDropout: Dropout<Float>
    let outputDropout: Dropout<Float>
    /// The dropout between the recurrent layers (`RecurrentStack.dropout`).
    let stackDropout: Dropout<Float>
    let bidirectional: Bool
    /// The probability that a training token reads as `<unk>` (`EncoderSettings.wordDropout`).
    let wordDropout: Double
    /// The generator of word dropout, drawn from only when `wordDropout` > 0.
    var wordDropoutGenerator: SeededGenerator

    /// The row of `<unk>` (`WordTable.unknown`).
    static let unknownID: Int32 = 1

    /// A seeded encoder over `table` rows of the `initial` embedding matrix.
    init(initial: Matrix<Float>, settings: EncoderSettings, characterKind: CharacterFeatureKind, alphabetSize: Int, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        // The embedding's seed is drawn (and not used: the table is `initial`), so the seeds after it stay as they were.
        _ = generator.next()
        embedding = Embedding<Float>(table: initial, paddingID: 0, unknownID: Self.unknownID, trainable: !settings.freezeEmbeddings)
        let characterSeed = generator.next()
        characters = characterKind == .none ? nil
            : CharacterEncoder<Float>(kind: characterKind, alphabetSize: alphabetSize, seed: characterSeed)
        let inputSize = initial.columns + (characters?.outputSize ?? 0)
        bidirectional = settings.bidirectional
        if settings.bidirectional {
            let stack = RecurrentStack<Bidirectional<Float>>(bidirectional: settings.cell, inputSize: inputSize, hiddenSize: settings.hidden,
                                                             count: settings.layers, dropout: settings.dropout, seed: generator.next())
            (recurrent, stackDropout) = (stack, stack.dropout)
        } else {
            let stack = RecurrentStack<RecurrentLayer<Float>>(settings.cell, inputSize: inputSize, hiddenSize: settings.hidden,
                                                              count: settings.layers, dropout: settings.dropout, seed: generator.next())
            (recurrent, stackDropout) = (stack, stack.dropout)
        }
        inputDropout = Dropout(rate: settings.dropout, seed: generator.next())
        outputDropout = Dropout(rate: settings.dropout, seed: generator.next())
        // Drawn last, so the seeds before it are those of before word dropout existed.
        wordDropout = settings.wordDropout
        wordDropoutGenerator = SeededGenerator(seed: generator.next())
    }

    /// The states of every generator training draws from (the dropout masks and word dropout),
    /// for checkpoints: setting them back replays the same masks from there on.
    var generatorStates: [UInt64] {
        get { [inputDropout.generator.state, outputDropout.generator.state, stackDropout.generator.state, wordDropoutGenerator.state] }
        set {
            guard newValue.count == 4 else { preconditionFailure("an encoder has 4 generators, not \(newValue.count)") }
            inputDropout.generator = SeededGenerator(seed: newValue[0])
            outputDropout.generator = SeededGenerator(seed: newValue[1])
            stackDropout.generator = SeededGenerator(seed: newValue[2])
            wordDropoutGenerator = SeededGenerator(seed: newValue[3])
        }
    }

    /// Features per output step.
    var outputSize: Int { recurrent.outputSize }

    /// The parameters the optimizer updates (a frozen embedding is left out).
    var trainableParameters: [Parameter<Float>] {
        embedding.parameters + (characters?.parameters ?? []) + recurrent.parameters
    }

    /// Every parameter, for model files (the embedding table always).
    var allParameters: [Parameter<Float>] {
        [embedding.weight] + (characters?.parameters ?? []) + recurrent.parameters
    }

    /// What `backward` needs from a forward pass.
    struct Trace {
        var tokens: TokenBatch
        var characterTrace: CharacterTrace<Float>?
        /// The time-major row of each word given to the character encoder.
        var characterRows: [Int]
        var inputMask: Matrix<Float>?
        var recurrentTrace: SequenceTrace<Float>
        var outputMask: Matrix<Float>?
        /// The encoder output (`steps · batch × outputSize`, zeros at padding).
        var output: SequenceBatch<Float>
    }

    /// Encodes a batch of sentences given as word ids (and, with character features, each word's
    /// character ids).
    func forward(ids: [[Int32]], characters characterIDs: [[[Int32]]]?, training: Bool) -> Trace {
        let tokens = TokenBatch(sequences: training ? droppingWords(ids) : ids)
        var input = embedding.forward(tokens)
        var characterTrace: CharacterTrace<Float>?
        var characterRows: [Int] = []
        if let characters, let characterIDs {
            var words: [[Int32]] = []
            let batch = ids.count
            for (b, sentence) in characterIDs.enumerated() {
                for (t, word) in sentence.enumerated() {
                    words.append(word)
                    characterRows.append(t * batch + b)
                }
            }
            let trace = characters.forward(words, training: training)
            var features = Matrix<Float>(rows: input.values.rows, columns: characters.outputSize)
            let width = characters.outputSize
            for (index, row) in characterRows.enumerated() {
                features.storage.replaceSubrange(row * width ..< (row + 1) * width, with: trace.output.row(index))
            }
            input = input.replacingValues(Matrix.concatenateColumns(input.values, features))
            characterTrace = trace
        }
        let (dropped, inputMask) = inputDropout.forward(input.values, training: training)
        let recurrentTrace = recurrent.forward(input.replacingValues(dropped), initialState: nil, training: training)
        let (outputValues, outputMask) = outputDropout.forward(recurrentTrace.output.values, training: training)
        return Trace(tokens: tokens, characterTrace: characterTrace, characterRows: characterRows, inputMask: inputMask,
                     recurrentTrace: recurrentTrace, outputMask: outputMask, output: recurrentTrace.output.replacingValues(outputValues))
    }

    /// `ids` with each word id replaced by `<unk>`'s (1) with probability `wordDropout`, one draw
    /// per token in order; `ids` itself when word dropout is off (no draw is made).
    func droppingWords(_ ids: [[Int32]]) -> [[Int32]] {
        guard wordDropout > 0 else { return ids }
        return ids.map { sentence in
            sentence.map { id in
                wordDropoutGenerator.nextUnit() < wordDropout ? Self.unknownID : id
            }
        }
    }

    /// Back-propagates `outputGradient` (∂L/∂output) to every parameter.
    func backward(_ trace: Trace, outputGradient: Matrix<Float>) {
        let dOutput = Dropout<Float>.backward(outputGradient, mask: trace.outputMask)
        let gradient = recurrent.backward(trace.recurrentTrace, outputGradient: dOutput, finalStateGradient: nil)
        let dInput = Dropout<Float>.backward(gradient.input, mask: trace.inputMask)
        let dim = embedding.dim
        if let characters, let characterTrace = trace.characterTrace {
            embedding.backward(ids: trace.tokens.ids, outputGradient: dInput.columns(0 ..< dim))
            let width = characters.outputSize
            let dFeatures = dInput.columns(dim ..< dim + width)
            var dWords = Matrix<Float>(rows: trace.characterRows.count, columns: width)
            for (index, row) in trace.characterRows.enumerated() {
                dWords.storage.replaceSubrange(index * width ..< (index + 1) * width, with: dFeatures.row(row))
            }
            characters.backward(characterTrace, outputGradient: dWords)
        } else {
            embedding.backward(ids: trace.tokens.ids, outputGradient: dInput)
        }
    }
}
