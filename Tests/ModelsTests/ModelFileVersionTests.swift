import Foundation
import Recurrent
import Testing
import TestSupport
import WordPipeSupport
@testable import Models

/// Model format version 3: the header's task section is tagged with the model type's name
/// (`"task": {"type": "tagger", "configuration": {…}, …}`); files of versions 1 and 2 (the task's
/// configuration under a key of its name) still load and predict as before.
@Suite struct ModelFileVersionTests {
    /// The bytes of the model file at `path` (version 3) in the layout of `version` 1 or 2, as
    /// the wordpipe of that version wrote it: the legacy header (keys sorted), for version 2 the
    /// checksums, for version 1 none and version-1 parameters.
    static func legacyBytes(of path: String, version: UInt32) throws -> [UInt8] {
        let (common, json, weights, _) = try ModelFile.read(path)
        let legacy: ModelFile.LegacyHeader
        switch common.task.type {
        case "tagger": legacy = ModelFile.LegacyHeader(try ModelFile.header(of: Tagger.self, json: json, path: path))
        default: legacy = ModelFile.LegacyHeader(try ModelFile.header(of: Classifier.self, json: json, path: path))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = [UInt8](try encoder.encode(legacy))
        var bytes = ModelFile.magic
        withUnsafeBytes(of: version.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        if version == 1 {
            var parameters = Array(weights.dropLast(4))
            parameters[8] = 1
            return bytes + header + parameters
        }
        withUnsafeBytes(of: CRC32C.checksum(of: weights).littleEndian) { bytes.append(contentsOf: $0) }
        let headerChecksum = CRC32C.checksum(of: header, continuing: CRC32C.checksum(of: bytes))
        withUnsafeBytes(of: headerChecksum.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + header + weights
    }

    /// A version-3 file with its header JSON replaced by `edit(json)` (checksum recomputed).
    static func rewritingHeader(of path: String, _ edit: (String) -> String) throws -> [UInt8] {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = Int(UInt64(littleEndian: original[12 ..< 20].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        let header = [UInt8](edit(String(decoding: original[28 ..< 28 + length], as: UTF8.self)).utf8)
        var bytes = Array(original[0 ..< 12])
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += original[20 ..< 24]
        let headerChecksum = CRC32C.checksum(of: header, continuing: CRC32C.checksum(of: bytes))
        withUnsafeBytes(of: headerChecksum.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + header + original[(28 + length)...]
    }

    static func trainedTagger() throws -> (tagger: Tagger, record: TrainingRecord, path: String) {
        let train = try Synthetic.file(Synthetic.conll(count: 30, seed: 1), name: "train.txt")
        let dev = try Synthetic.file(Synthetic.conll(count: 10, seed: 2), name: "dev.txt")
        var configuration = TaggerConfiguration()
        configuration.crf = true
        configuration.charFeatures = .cnn
        configuration.encoder = Synthetic.settings(epochs: 1)
        let result = try TrainingLoop.train(Tagger.self, trainPath: train, devPath: dev, vectorsPath: nil, configuration: configuration,
                                            threads: 1, log: { _ in })
        let path = try SharedData.temporaryDirectory().appendingPathComponent("tagger.wpm").path
        try result.tagger.save(to: path, record: result.record)
        return (result.tagger, result.record, path)
    }

    static let sentences = [["John", "Smith", "went", "to", "Rome"], ["Mary", "saw", "New", "York", "today"], ["Paris"]]

    @Test("a version-3 file tags its task section and round-trips")
    func versionThreeRoundTrips() throws {
        let (tagger, record, path) = try Self.trainedTagger()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[8] == 3)
        let (common, json, _, layout) = try ModelFile.read(path)
        #expect(layout.version == 3 && common.task.type == "tagger")
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["tagger"] == nil && object["alphabet"] == nil, "the section's fields are inside it")
        let task = try #require(object["task"] as? [String: Any])
        #expect(Set(task.keys) == ["type", "configuration", "alphabet"])
        #expect((task["configuration"] as? [String: Any])?["crf"] as? Bool == true)
        let (loaded, loadedRecord) = try Tagger.load(from: path)
        #expect(loaded.configuration == tagger.configuration && loaded.labels == tagger.labels && loadedRecord == record)
        #expect(loaded.tag(Self.sentences) == tagger.tag(Self.sentences))
        #expect(zip(loaded.allParameters, tagger.allParameters).allSatisfy { $0.value.storage == $1.value.storage })
    }

    @Test("files of versions 1 and 2 (the configuration under the task's name) load and predict identically", arguments: [UInt32(1), 2])
    func legacyFilesLoad(version: UInt32) throws {
        let (tagger, record, path) = try Self.trainedTagger()
        let legacyPath = path + ".v\(version)"
        try Data(try Self.legacyBytes(of: path, version: version)).write(to: URL(fileURLWithPath: legacyPath))
        let header = try #require(try JSONSerialization.jsonObject(with: ModelFile.read(legacyPath).json) as? [String: Any])
        #expect((header["task"] as? [String: Any])?["type"] as? String == "tagger", "read in the version-3 layout")
        let (loaded, loadedRecord) = try Tagger.load(from: legacyPath)
        #expect(loaded.configuration == tagger.configuration && loadedRecord == record)
        #expect(loaded.alphabet == tagger.alphabet && loaded.alphabet != nil)
        #expect(loaded.tag(Self.sentences) == tagger.tag(Self.sentences))
        #expect(zip(loaded.allParameters, tagger.allParameters).allSatisfy { $0.value.storage == $1.value.storage })
        let description = try ModelFile.describe(path: legacyPath, verify: true)
        #expect(description.version == Int(version) && description.currentVersion == 3)
        #expect(description.fields.contains(.init("task", .text("tagger"))))
        do {
            _ = try Classifier.load(from: legacyPath)
            Issue.record("a version-\(version) tagger loaded as a classifier")
        } catch {
            #expect("\(error)".contains("this is a tagger model, not a classifier (use wordpipe tag)"), "\(error)")
        }
    }

    @Test("a task type this wordpipe does not know is refused, naming the type and a newer wordpipe")
    func unknownTaskType() throws {
        let (_, _, path) = try Self.trainedTagger()
        let translator = path + ".translator"
        let bytes = try Self.rewritingHeader(of: path) { $0.replacingOccurrences(of: "\"type\":\"tagger\"", with: "\"type\":\"translator\"") }
        try Data(bytes).write(to: URL(fileURLWithPath: translator))
        #expect(try ModelFile.task(of: translator) == "translator")
        for attempt in [{ _ = try Tagger.load(from: translator) }, { _ = try Classifier.load(from: translator) },
                        { _ = try Artifact.describe(path: translator, verify: false) }] {
            do {
                try attempt()
                Issue.record("a translator model was read")
            } catch {
                #expect("\(error)" == "\(translator): a model of task type 'translator', which this wordpipe does not know (it reads tagger, classifier, language-model, seq2seq); a newer wordpipe may read it", "\(error)")
            }
        }
        // A known type whose section lacks its configuration names the section.
        let empty = path + ".empty"
        try Data(try Self.rewritingHeader(of: path) { $0.replacingOccurrences(of: "\"configuration\":", with: "\"settings\":") })
            .write(to: URL(fileURLWithPath: empty))
        do {
            _ = try Tagger.load(from: empty)
            Issue.record("a tagger without its configuration loaded")
        } catch {
            #expect("\(error)".hasPrefix("\(empty): unreadable tagger section of the header: "), "\(error)")
        }
    }
}
