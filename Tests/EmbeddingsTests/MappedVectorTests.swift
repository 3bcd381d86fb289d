import Foundation
import TestSupport
import Tokenization
import Vocabulary
import WordPipeSupport
@testable import Embeddings

/// Native vector files are memory-mapped by `VectorStore.load(from:)`.
@Suite struct MappedVectorTests {
    static let vectors: WordVectors = {
        let words = (0..<40).map { "w\($0)" }
        let matrix = (0..<(40 * 7)).map { Float(sin(Double($0) * 0.37)) }
        return WordVectors(vocabulary: Vocabulary(words: words, counts: (0..<40).map { Int64(100 - $0) },
                                                  tokenizer: TokenizerConfiguration(normalize: .nfkcCasefold)),
                           dim: 7, matrix: matrix, training: TrainingConfiguration(dim: 7))
    }()

    private func nativeFile(_ name: String) throws -> String {
        let path = try SharedData.temporaryDirectory().appendingPathComponent(name).path
        try Self.vectors.write(to: path, format: .native)
        return path
    }

    @Test func nativeFilesAreMappedAndAnswerAsInMemory() throws {
        let path = try nativeFile("v.wpv")
        let (mapped, report) = try VectorStore.load(from: path)
        #expect(report.format == .native)
        #expect(mapped.isMapped)
        #expect(mapped.vectors == Self.vectors.matrix)
        #expect(mapped.vocabulary == Self.vectors.vocabulary)
        #expect(mapped.training == Self.vectors.training)
        let memory = VectorStore(Self.vectors)
        #expect(mapped.unitMatrix() == memory.unitMatrix())
        for word in ["w0", "w7", "W13"] {
            #expect(try mapped.nearest(positive: [word], negative: ["w2"], k: 5) == memory.nearest(positive: [word], negative: ["w2"], k: 5))
        }
        // Other formats are read as before.
        let text = path + ".txt"
        try Self.vectors.save(to: text, format: .word2vecText)
        let (read, textReport) = try VectorStore.load(from: text)
        #expect(textReport.format == .word2vecText)
        #expect(!read.isMapped)
    }

    /// Rows at an offset that is not a multiple of 4 (another writer's file) are copied, not used in place.
    @Test func unalignedRowsAreCopied() throws {
        let path = try nativeFile("odd.wpv")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let offset = Int(UInt64(littleEndian: bytes[32..<40].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        bytes.insert(0, at: offset)
        withUnsafeBytes(of: UInt64(offset + 1).littleEndian) { bytes.replaceSubrange(32..<40, with: $0) }
        // The header changed: its checksum (bytes 44 ..< 48, over 0 ..< 44 and 48 ..< the rows) is written again.
        let headerChecksum = CRC32C.checksum(of: bytes[48 ..< offset + 1], continuing: CRC32C.checksum(of: bytes[0 ..< 44]))
        withUnsafeBytes(of: headerChecksum.littleEndian) { bytes.replaceSubrange(44..<48, with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (store, _) = try VectorStore.load(from: path)
        #expect(!store.isMapped)
        #expect(store.vectors == Self.vectors.matrix)
        #expect(try WordVectors.readNative(from: path).matrix == Self.vectors.matrix)
    }

    @Test func damagedFilesAreErrorsAsBefore() throws {
        let path = try nativeFile("damaged.wpv")
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(4)
        try data.write(to: URL(fileURLWithPath: path))
        func errorText(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        #expect(errorText { try VectorStore.load(from: path) } == errorText { try WordVectors.load(from: path) })
        #expect(errorText { try VectorStore.load(from: path) }.contains("truncated or damaged"))
        try Data("WPVECTRS".utf8).write(to: URL(fileURLWithPath: path))
        #expect(errorText { try VectorStore.load(from: path) }.contains("truncated: 8 bytes, shorter than the header"))
        #expect(errorText { try VectorStore.load(from: "/nonexistent/v.wpv") } == "/nonexistent/v.wpv: cannot open the file")
    }
}
