import Foundation
import TestSupport
import Tokenization
import Vocabulary
import WordPipeSupport
@testable import Embeddings

/// Native vector files carry CRC-32C checksums of their header and rows (issue 13: bit flips in
/// `.wpv` rows loaded without complaint in 42 of 45 trials).
@Suite struct VectorIntegrityTests {
    /// The small matrix of the memory-mapping tests.
    static var vectors: WordVectors { MappedVectorTests.vectors }

    private func nativeBytes() throws -> (path: String, bytes: [UInt8]) {
        let path = try SharedData.temporaryDirectory().appendingPathComponent("integrity-\(UUID().uuidString).wpv").path
        try Self.vectors.write(to: path, format: .native)
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    private func field(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(UInt64(littleEndian: bytes[offset ..< offset + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
    }

    /// Both ways of loading a native file, as error text ("" when it loads).
    private func loadErrors(_ path: String) -> [String] {
        [{ _ = try VectorStore.load(from: path) }, { _ = try WordVectors.readNative(from: path) }, { _ = try WordVectors.load(from: path) }]
            .map { (body: () throws -> Void) in
                do { try body(); return "" } catch { return "\(error)" }
            }
    }

    /// A native or fastText file that stores a word twice is refused by every loader, naming the
    /// word and both positions (before, the second row was silently unreachable).
    @Test func repeatedWordsAreRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        let words = ["king", "queen", "king", "man"]
        let vectors = WordVectors(vocabulary: Vocabulary(words: words, counts: [9, 8, 7, 6]), dim: 2,
                                  matrix: [1, 0, 0, 1, 1, 1, 0.5, 0.5])
        let native = directory.appendingPathComponent("twice.wpv").path
        try vectors.write(to: native, format: .native)
        for message in loadErrors(native) {
            #expect(message.contains(native) && message.contains("the word 'king' is stored twice, as words 1 and 3"), "\(message)")
        }
        let bin = directory.appendingPathComponent("twice.bin").path
        try vectors.write(to: bin, format: .fasttextBin)
        let message = { () -> String in do { _ = try WordVectors.load(from: bin); return "" } catch { return "\(error)" } }()
        #expect(message.contains("the word 'king' is stored twice, as words 1 and 3"), "\(message)")
    }

    /// A flipped bit anywhere in the rows is refused by every loader, naming the file and the rows.
    @Test func rowBitFlipsAreRefused() throws {
        let (path, original) = try nativeBytes()
        let matrixOffset = field(original, 32)
        var random = SplitMix64(seed: 45)
        for trial in 0 ..< 45 {
            var bytes = original
            let position = matrixOffset + Int(random.next() % UInt64(original.count - matrixOffset))
            bytes[position] ^= 1 << UInt8(random.next() % 8)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for error in loadErrors(path) {
                #expect(error.hasPrefix("\(path): damaged rows: their CRC-32C is"), "trial \(trial), byte \(position): \(error)")
            }
        }
    }

    /// Every bit of the fixed fields, and bits across the JSON header and its padding: each
    /// flip is an error naming the file, never a crash or a silently different vocabulary.
    @Test func headerBitFlipsAreRefused() throws {
        let (path, original) = try nativeBytes()
        let matrixOffset = field(original, 32)
        var positions = Array(0 ..< 48)
        positions += stride(from: 48, to: matrixOffset, by: 7)
        for position in positions {
            for bit in position < 48 ? Array(0 ..< 8) : [position % 8] {
                var bytes = original
                bytes[position] ^= 1 << UInt8(bit)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                for error in loadErrors(path) {
                    #expect(error.hasPrefix("\(path):"), "byte \(position) bit \(bit) loaded: \(error)")
                    #expect(!error.dropFirst(path.count).isEmpty)
                }
            }
        }
    }

    /// Version 1 files (no checksums) still load, and `describeNative` says they have none.
    @Test func versionOneFilesStillLoad() throws {
        let (path, v2) = try nativeBytes()
        let jsonLength = field(v2, 24), matrixOffset = field(v2, 32)
        let json = v2[48 ..< 48 + jsonLength]
        let v1Offset = (40 + jsonLength + 63) / 64 * 64
        var v1 = Array(v2[0 ..< 40])
        v1.replaceSubrange(8 ..< 12, with: [1, 0, 0, 0])
        withUnsafeBytes(of: UInt64(v1Offset).littleEndian) { v1.replaceSubrange(32 ..< 40, with: $0) }
        v1 += json
        v1 += [UInt8](repeating: 0, count: v1Offset - 40 - jsonLength)
        v1 += v2[matrixOffset...]
        try Data(v1).write(to: URL(fileURLWithPath: path))
        #expect(loadErrors(path) == ["", "", ""])
        #expect(try WordVectors.readNative(from: path).matrix == Self.vectors.matrix)
        let description = try WordVectors.describeNative(path: path, verify: true)
        #expect(description.version == 1 && description.currentVersion == 2)
        #expect(description.checksums.isEmpty)
    }

    /// The description names the kind, the sizes and both checksums.
    @Test func describeTellsSizesAndChecksums() throws {
        let (path, bytes) = try nativeBytes()
        let quick = try WordVectors.describeNative(path: path, verify: false)
        #expect(quick.kind == "vectors" && quick.version == 2 && !quick.verified)
        #expect(quick.fields.contains(.init("words", .integer(40))))
        #expect(quick.fields.contains(.init("dim", .integer(7))))
        #expect(quick.fields.contains(.init("tokenizer configuration", .flag(true))))
        let rowsChecksum = UInt32(littleEndian: bytes[40 ..< 44].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        #expect(quick.checksums.map(\.part) == ["header", "rows"])
        #expect(quick.checksums[1] == .init(part: "rows", stored: rowsChecksum, verified: false))
        #expect(rowsChecksum == Self.vectors.matrix.withUnsafeBytes { CRC32C.checksum($0) })
        let full = try WordVectors.describeNative(path: path, verify: true)
        #expect(full.verified && full.checksums.allSatisfy { $0.verified })
        // A damaged row: the quick look still describes the file; --verify refuses it.
        var damaged = bytes
        damaged[damaged.count - 3] ^= 0x10
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        #expect(try WordVectors.describeNative(path: path, verify: false).fields == quick.fields)
        #expect(throws: EmbeddingError.self) { try WordVectors.describeNative(path: path, verify: true) }
    }
}
