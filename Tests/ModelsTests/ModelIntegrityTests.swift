import Foundation
import Recurrent
import TestSupport
import WordPipeSupport
@testable import Models

/// Model files carry CRC-32C checksums of the header and the weights (issue 13: bit flips in
/// model weights loaded without complaint in 40 of 40 trials).
@Suite struct ModelIntegrityTests {
    static func tagger() -> Tagger {
        var configuration = TaggerConfiguration()
        configuration.encoder = Synthetic.settings(epochs: 1)
        let words = [WordTable.padding, WordTable.unknown, "the", "cat", "Paris", "Rome"]
        var initial = Matrix<Float>(rows: words.count, columns: configuration.encoder.dim)
        for index in initial.storage.indices { initial.storage[index] = Float(index % 13) / 13 - 0.5 }
        return Tagger(configuration: configuration, words: WordTable(words: words, tokenizer: nil), initial: initial,
                      labels: ["O", "B-LOC", "I-LOC"], alphabet: nil, tokenizer: nil)
    }

    private func saved() throws -> (path: String, bytes: [UInt8]) {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("integrity-\(UUID().uuidString).wpm").path
        try Self.tagger().save(to: path, record: nil)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func loadError(_ bytes: [UInt8], at path: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Tagger.load(from: path)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// 40 flips across the weights: every one refused, naming the file and the weights.
    @Test func weightBitFlipsAreRefused() throws {
        let (path, original) = try saved()
        let jsonLength = Int(UInt64(littleEndian: original[12 ..< 20].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        let weightsStart = 28 + jsonLength
        var random = SplitMix64(seed: 40)
        for trial in 0 ..< 40 {
            var bytes = original
            let position = weightsStart + Int(random.next() % UInt64(original.count - weightsStart))
            bytes[position] ^= 1 << UInt8(random.next() % 8)
            let error = try loadError(bytes, at: path)
            #expect(error.hasPrefix("\(path): "), "trial \(trial), byte \(position)")
            #expect(error.contains("damaged weights: their CRC-32C is"), "trial \(trial), byte \(position): \(error)")
        }
    }

    /// Every bit of the fixed fields and bits across the JSON header.
    @Test func headerBitFlipsAreRefused() throws {
        let (path, original) = try saved()
        let jsonLength = Int(UInt64(littleEndian: original[12 ..< 20].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        for bit in Array(0 ..< 28 * 8) + Array(stride(from: 28 * 8, to: (28 + jsonLength) * 8, by: 53)) {
            var bytes = original
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            let error = try loadError(bytes, at: path)
            #expect(error.hasPrefix("\(path): "), "bit \(bit) loaded")
        }
    }

    /// Version 1 model files (no checksums; version 1 parameters inside) still load.
    @Test func versionOneFilesStillLoad() throws {
        let (path, _) = try saved()
        let v1 = try ModelFileVersionTests.legacyBytes(of: path, version: 1)
        #expect(try loadError(v1, at: path) == "")
        let description = try ModelFile.describe(path: path, verify: true)
        #expect(description.version == 1 && description.checksums.isEmpty && description.verified)
    }

    @Test func describeTellsTaskAndLabels() throws {
        let (path, _) = try saved()
        let description = try Artifact.describe(path: path, verify: true)
        #expect(description.kind == "model" && description.version == 3)
        #expect(description.fields.prefix(4) == [.init("task", .text("tagger")), .init("words", .integer(6)),
                                                 .init("labels", .integer(3)), .init("label names", .list(["O", "B-LOC", "I-LOC"]))])
        #expect(description.fields.contains(.init("dim", .integer(16))))
        #expect(description.fields.contains(.init("tokenizer configuration", .flag(false))))
        #expect(description.checksums.map(\.part) == ["header", "weights", "parameters"])
        #expect(description.checksums.allSatisfy { $0.verified })
    }
}
