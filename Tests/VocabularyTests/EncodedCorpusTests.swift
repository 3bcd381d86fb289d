import Foundation
import TestSupport
@testable import Vocabulary

@Suite struct EncodedCorpusTests {
    static let text = "the cat sat on the mat\nthe dog\n\nzebra the cat\n"

    static func setUp(unknown: UnknownWordPolicy = .drop, specials: [String] = []) throws -> (Vocabulary, String) {
        let corpus = try temporaryFile(Self.text)
        let (vocabulary, _) = try VocabularyBuilder.build(
            inputs: [corpus], configuration: VocabularyConfiguration(minCount: 2, specials: specials))
        let output = corpus + ".wpc"
        _ = try EncodedCorpus.encode(inputs: [corpus], vocabulary: vocabulary, unknown: unknown, to: output)
        return (vocabulary, output)
    }

    @Test func roundTripGivesTheInVocabularyTokens() throws {
        let (vocabulary, path) = try Self.setUp()
        #expect(vocabulary.words == ["the", "cat"])
        let corpus = try EncodedCorpus(path: path, vocabulary: vocabulary)
        let decoded = corpus.sentences().map { $0.map { vocabulary.words[Int($0)] } }
        #expect(decoded == [["the", "cat", "the"], ["the"], ["the", "cat"]])
        #expect(corpus.tokenCount == 6)
        #expect(corpus.sentenceCount == 3)
        #expect(corpus.unknownID == nil)
    }

    @Test func unknownWordsMapToUnk() throws {
        let (vocabulary, path) = try Self.setUp(unknown: .map("<unk>"), specials: ["<unk>"])
        let corpus = try EncodedCorpus(path: path, vocabulary: vocabulary)
        let decoded = corpus.sentences().map { $0.map { vocabulary.words[Int($0)] } }
        #expect(decoded == [["the", "cat", "<unk>", "<unk>", "the", "<unk>"], ["the", "<unk>"], ["<unk>", "the", "cat"]])
        #expect(corpus.unknownID == 0)
    }

    @Test func unknownTokenMustBeInTheVocabulary() throws {
        #expect(throws: VocabularyError.self) { try Self.setUp(unknown: .map("<unk>")) }
    }

    /// Damaged files, each with the message it must give.
    @Test(arguments: [
        ("truncated", "truncated"),
        ("corrupted", "corrupted: checksum"),
        ("magic", "wrong magic number"),
        ("version", "newer than this wordpipe reads"),
        ("tiny", "shorter than the 64-byte header"),
        ("other vocabulary", "made for another vocabulary"),
    ])
    func damagedFilesGiveClearErrors(damage: String, message: String) throws {
        let (vocabulary, path) = try Self.setUp()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var check = vocabulary
        switch damage {
        case "truncated": bytes.removeLast(4)
        case "corrupted": bytes[bytes.count - 8] ^= 0x01
        case "magic": bytes[0] = 0x58
        case "version": bytes[8] = 9
        case "tiny": bytes = bytes.prefix(10)
        default: check = Vocabulary(words: ["the", "dog"], counts: [4, 2])
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try EncodedCorpus(path: path, vocabulary: check)
            Issue.record("no error for a \(damage) file")
        } catch let VocabularyError.malformed(location, got) {
            #expect(location.path == path)
            #expect(got.contains(message), "\(got)")
        }
    }
}
