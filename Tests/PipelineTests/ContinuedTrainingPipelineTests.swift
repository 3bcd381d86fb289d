import Foundation
import Embeddings
import TestSupport
@testable import Pipeline

/// A `train` stage with a `vectors` input continues from them, and reruns when they change.
@Suite(.serialized) struct ContinuedTrainingPipelineTests {
    static let yaml = """
    version: 1
    stages:
      tokens:
        type: tokenize
        inputs: [data/corpus.txt]
        with: { normalize: nfkc-casefold }
      base:
        type: train
        inputs: [tokens]
        with: { dim: 8, epochs: 1, seed: 1, window: 2, min_count: 1 }
      more:
        type: train
        inputs: [tokens, base]
        with: { dim: 8, epochs: 1, seed: 1, window: 2 }

    """

    @Test func continuedStageRebuildsWhenItsInitVectorsChange() throws {
        let workspace = try Workspace(yaml: Self.yaml.replacingOccurrences(of: ", min_count: 1", with: ", vocabulary: { min_count: 1 }"))
        #expect(try workspace.run() == ["tokens", "base", "more"])
        #expect(try workspace.run() == [])
        // Other init vectors (another seed): the continued stage reruns.
        try workspace.edit { $0.replacingOccurrences(of: "epochs: 1, seed: 1, window: 2, vocabulary", with: "epochs: 1, seed: 2, window: 2, vocabulary") }
        #expect(try workspace.run() == ["base", "more"])
        #expect(try workspace.run() == [])
        // The continued vectors keep every word of the init vectors (min count 1 there, 5 here).
        let base = try WordVectors.readNative(from: workspace.directory.appendingPathComponent("build/base/vectors.wpv").path).vocabulary.words
        let more = try WordVectors.readNative(from: workspace.directory.appendingPathComponent("build/more/vectors.wpv").path).vocabulary.words
        #expect(Set(base).isSubset(of: Set(more)) && base.count == more.count)
        // Another dimension than the init vectors' is an error naming the stage's setting.
        try workspace.edit { $0.replacingOccurrences(of: "dim: 8, epochs: 1, seed: 1, window: 2 }", with: "dim: 6, epochs: 1, seed: 1, window: 2 }") }
        #expect(throws: (any Error).self) { try workspace.run() }
    }
}
