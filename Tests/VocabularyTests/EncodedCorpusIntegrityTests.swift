import Foundation
import TestSupport
import WordPipeSupport
@testable import Vocabulary

/// Every header field of an encoded corpus is checked against the payload, and version 2 files
/// carry a CRC-32C of the header and of the ids (issue 13: a flipped `tokenCount` was accepted,
/// and one flipped bit in the sentence count was an arithmetic overflow).
@Suite struct EncodedCorpusIntegrityTests {
    private func encoded(unknown: UnknownWordPolicy = .drop) throws -> (Vocabulary, String, [UInt8]) {
        let specials = unknown == .drop ? [] : ["<unk>"]
        let (vocabulary, path) = try EncodedCorpusTests.setUp(unknown: unknown, specials: specials)
        return (vocabulary, path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The error opening `bytes` gives, as text ("" when it opens).
    private func openError(_ bytes: [UInt8], at path: String, vocabulary: Vocabulary?) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try EncodedCorpus(path: path, vocabulary: vocabulary)
            return ""
        } catch let VocabularyError.malformed(location, message) {
            return "\(location.path): \(message)"
        }
    }

    /// Each of the 64 bits of the token count and of the sentence count, flipped: an error, not
    /// an overflow trap, a read past the mapping, or a corpus of another length.
    @Test(arguments: [32, 40])
    func flippedCountsAreRefused(offset: Int) throws {
        let (vocabulary, path, original) = try encoded()
        for bit in 0 ..< 64 {
            var bytes = original
            bytes[offset + bit / 8] ^= 1 << UInt8(bit % 8)
            for given in [vocabulary, nil] {
                let error = try openError(bytes, at: path, vocabulary: given)
                #expect(error.hasPrefix("\(path): damaged header"), "field at \(offset), bit \(bit): \(error)")
            }
        }
    }

    /// Every bit of the 64-byte header, with unknown words dropped and mapped: refused even
    /// without a vocabulary to compare the fingerprint with.
    @Test func everyHeaderBitFlipIsRefused() throws {
        for policy in [UnknownWordPolicy.drop, .map("<unk>")] {
            let (_, path, original) = try encoded(unknown: policy)
            for bit in 0 ..< 64 * 8 {
                var bytes = original
                bytes[bit / 8] ^= 1 << UInt8(bit % 8)
                let error = try openError(bytes, at: path, vocabulary: nil)
                #expect(!error.isEmpty, "\(policy): header bit \(bit) was accepted")
            }
        }
    }

    /// Every bit of the ids.
    @Test func everyPayloadBitFlipIsRefused() throws {
        let (vocabulary, path, original) = try encoded()
        for bit in 64 * 8 ..< original.count * 8 {
            var bytes = original
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            let error = try openError(bytes, at: path, vocabulary: vocabulary)
            #expect(error.hasPrefix("\(path): corrupted: checksum"), "bit \(bit): \(error)")
        }
    }

    /// A header whose fields were changed together with a recomputed checksum (a writer bug, or
    /// a deliberate edit) is still compared with the payload.
    @Test(arguments: [
        ("tokens + 1, sentences - 1", "3 sentence ends, but the header says 2"),
        ("unknown id outside", "the unknown-word id 99 is outside the vocabulary"),
        ("empty sentence", "an empty sentence ends at id position 0"),
        ("id outside", "id 7 at position 1 is outside the vocabulary"),
    ])
    func headerIsCheckedAgainstThePayload(change: String, message: String) throws {
        let (vocabulary, path, original) = try encoded(unknown: .map("<unk>"))
        var bytes = original
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset ..< offset + MemoryLayout<T>.size, with: $0) }
        }
        func get<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            T(littleEndian: bytes[offset ..< offset + MemoryLayout<T>.size].withUnsafeBytes { $0.loadUnaligned(as: T.self) })
        }
        switch change {
        case "tokens + 1, sentences - 1":
            put(get(UInt64.self, at: 32) + 1, at: 32)
            put(get(UInt64.self, at: 40) - 1, at: 40)
        case "unknown id outside": put(UInt32(99), at: 52)
        case "empty sentence": put(EncodedCorpus.sentenceEnd, at: 64)
        default: put(UInt32(7), at: 68)
        }
        // Seal the ids and the header again, as a writer would.
        put(CRC32C.checksum(of: bytes[64...]), at: 48)
        put(CRC32C.checksum(of: bytes[0 ..< 60]), at: 60)
        let error = try openError(bytes, at: path, vocabulary: vocabulary)
        #expect(error.contains(message), "\(error)")
    }

    /// Version 1 files (zlib's CRC-32 over the ids, no header checksum) are still read.
    @Test func versionOneFilesStillOpen() throws {
        let (vocabulary, path, v2) = try encoded()
        var v1 = v2
        v1[8] = 1
        v1.replaceSubrange(60 ..< 64, with: [0, 0, 0, 0])
        let legacy = v1[64...].withUnsafeBytes { EncodedCorpus.legacyChecksum($0) }
        withUnsafeBytes(of: legacy.littleEndian) { v1.replaceSubrange(48 ..< 52, with: $0) }
        #expect(try openError(v1, at: path, vocabulary: vocabulary) == "")
        let corpus = try EncodedCorpus(path: path, vocabulary: vocabulary)
        #expect(corpus.header.version == 1 && corpus.header.headerChecksum == nil)
        #expect(corpus.tokenCount == 6 && corpus.sentenceCount == 3)
        let description = try EncodedCorpus.describe(path: path, verify: true)
        #expect(description.version == 1)
        #expect(description.checksums == [.init(part: "ids", algorithm: "CRC-32", stored: legacy, verified: true)])
    }

    @Test func describeTellsCounts() throws {
        let (_, path, _) = try encoded()
        for verify in [false, true] {
            let description = try EncodedCorpus.describe(path: path, verify: verify)
            #expect(description.kind == "encoded corpus" && description.version == 2 && description.verified == verify)
            #expect(description.fields.prefix(3) == [.init("tokens", .integer(6)), .init("sentences", .integer(3)),
                                                     .init("vocabulary size", .integer(2))])
            #expect(description.checksums.map(\.part) == ["header", "ids"])
            #expect(description.checksums.map(\.verified) == [true, verify])
        }
    }
}
