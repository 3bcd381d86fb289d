import Embeddings
import Recurrent
import Testing
import Vocabulary

@Suite("Optimizers and embeddings")
struct TrainingUtilityTests {
    private func parameter(_ values: [Double], gradient: [Double]) -> Parameter<Double> {
        let p = Parameter(name: "p", value: Matrix(rows: 1, columns: values.count, storage: values))
        p.gradient = Matrix(rows: 1, columns: gradient.count, storage: gradient)
        return p
    }

    @Test("clipping by global norm scales every gradient by the same factor")
    func clipping() {
        let a = parameter([0, 0], gradient: [3, 0]), b = parameter([0], gradient: [4])
        let norm = clipGradients([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-12)
        #expect(abs(a.gradient.storage[0] - 0.6) < 1e-6 && abs(b.gradient.storage[0] - 0.8) < 1e-6)
        let small = parameter([0], gradient: [0.5])
        clipGradients([small], maxNorm: 1)
        #expect(small.gradient.storage == [0.5])  // under the limit: untouched
    }

    @Test("SGD, SGD with momentum, Adam and AdaGrad steps follow their formulas")
    func optimizerSteps() {
        let p = parameter([1, -1], gradient: [0.5, -2])
        SGD<Double>(learningRate: 0.1).step([p])
        #expect(p.value.storage == [0.95, -0.8])

        let m = parameter([0], gradient: [1])
        let momentum = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        momentum.step([m])
        momentum.step([m])  // v = 1, then 1.9
        #expect(abs(m.value.storage[0] + 0.29) < 1e-12)

        let q = parameter([1, 1], gradient: [0.001, -1000])
        Adam<Double>(learningRate: 0.01).step([q])  // the first Adam step is lr · sign(g)
        #expect(abs(q.value.storage[0] - 0.99) < 1e-6 && abs(q.value.storage[1] - 1.01) < 1e-6)

        let r = parameter([0], gradient: [2])
        let adagrad = AdaGrad<Double>(learningRate: 0.5)
        adagrad.step([r])  // s = 4: w -= 0.5 · 2 / 2
        adagrad.step([r])  // s = 8: w -= 0.5 · 2 / sqrt(8)
        #expect(abs(r.value.storage[0] - (-0.5 - 1 / 8.0.squareRoot())) < 1e-9)

        let frozen = parameter([1], gradient: [1])
        frozen.isTrainable = false
        Adam<Double>().step([frozen])
        #expect(frozen.value.storage == [1])
    }

    @Test("sparse embedding updates touch only the rows the batch used")
    func sparseUpdates() {
        for optimizer in [SGD<Float>(learningRate: 0.1, momentum: 0.5) as any Optimizer<Float>, Adam<Float>(learningRate: 0.1),
                          AdaGrad<Float>(learningRate: 0.1)] {
            let embedding = Embedding<Float>(rows: 5, dim: 2, paddingID: 0, seed: 1)
            let before = embedding.weight.value
            embedding.backward(ids: [3, 1, 3, 0], outputGradient: Matrix(rows: 4, columns: 2, repeating: 1))
            #expect(embedding.weight.sparseGradient?.rows.storage == [2, 2, 1, 1])
            optimizer.step(embedding.parameters)
            for row in 0..<5 {
                #expect((embedding.weight.value.row(row) != before.row(row)) == (row == 1 || row == 3), "row \(row)")
            }
        }
    }

    @Test("an embedding from word vectors: rows kept, <unk> is the mean, <pad> is zero")
    func fromWordVectors() throws {
        let vocabulary = Vocabulary(words: ["the", "cat", "sat"], counts: [5, 3, 2])
        let vectors = WordVectors(vocabulary: vocabulary, dim: 2, matrix: [1, 2, 3, 4, 5, 6])
        let embedding = Embedding<Float>(vectors: vectors, trainable: false)
        #expect(embedding.rows == 5 && embedding.dim == 2)
        #expect(embedding.unknownID == 3 && embedding.paddingID == 4)
        let ids = try embedding.ids(for: ["cat", "dog", "<unk>", "<pad>"])
        #expect(ids == [1, 3, 3, 4])
        let rows = embedding.forward([0, 3, 4, 2])
        #expect(rows.storage == [1, 2, 3, 4, 0, 0, 5, 6])
        #expect(embedding.parameters.isEmpty)

        // Specials already in the vocabulary are used in place.
        let withSpecials = Vocabulary(words: ["<pad>", "<unk>", "a"], counts: [0, 0, 4], specialCount: 2)
        let table = Embedding<Double>(vectors: WordVectors(vocabulary: withSpecials, dim: 1, matrix: [9, 8, 7]), trainable: true)
        #expect(table.rows == 3 && table.paddingID == 0 && table.unknownID == 1)
        #expect(table.forward([0, 1, 2]).storage == [0, 8, 7])

        let store = VectorStore(vectors)
        let fromStore = Embedding<Float>(store: store, trainable: true)
        let storeIDs = try fromStore.ids(for: ["sat", "zebra"])
        #expect(storeIDs == [2, 3])
    }

    @Test("without an <unk> row, an unknown word is an error that names it")
    func unknownWordError() {
        let embedding = Embedding<Float>(rows: 2, dim: 2, seed: 1, words: ["a", "b"])
        #expect(throws: RecurrentError.unknownWord("zebra", unknownToken: "<unk>")) { try embedding.ids(for: ["a", "zebra"]) }
        #expect((try? embedding.ids(for: ["b", "a"])) == [1, 0])
    }

    @Test("token batches are padded time-major")
    func tokenBatch() {
        let batch = TokenBatch(sequences: [[1, 2, 3], [4]])
        #expect(batch.ids == [1, 4, 2, -1, 3, -1] && batch.lengths == [3, 1] && batch.steps == 3)
    }
}
