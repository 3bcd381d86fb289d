import Foundation
import Recurrent
import Tokenization
import WordPipeSupport

/// How a model was trained, kept in its file for reports and for `wordpipe` to show.
public struct TrainingRecord: Codable, Sendable, Equatable {
    /// The vectors it started from (path as given), or nil for random initialization.
    public var vectors: String?
    /// Epochs run (early stopping may end before the maximum).
    public var epochs: Int
    /// The epoch whose weights were kept.
    public var bestEpoch: Int
    /// The main dev metric of the kept weights (entity F1 or accuracy).
    public var devScore: Double
    /// Its name: `f1` or `accuracy`.
    public var metric: String
    /// Share of train / dev tokens whose key is not among the vector words.
    public var oovTrain: Double?
    public var oovDev: Double?
    /// Wall-clock seconds of training (without dev evaluation) and in all.
    public var trainSeconds: Double
    public var totalSeconds: Double
}

/// The model file: a magic number, a format version, a JSON header (the task section, tokenizer
/// configuration, words, labels, training record) and the weights in `ParameterFile`'s layout.
///
/// Layout (little-endian): `WPMODEL\0`, UInt32 version, UInt64 header length; version 2 adds the
/// CRC-32C of the weights (UInt32) and the CRC-32C of the 24 bytes before it and the header
/// (UInt32); then the header (UTF-8 JSON), then the parameter bytes. A reader checks the magic,
/// the version, the header's checksum and the task before anything else, so a vector file, a
/// model of a newer version, a damaged file or a classifier given to `tag` is refused with the
/// reason.
///
/// Version 3 tags the header's task section with the model type's name, the type's own fields
/// beside it: `"task": {"type": "tagger", "configuration": {…}, "alphabet": {…}}`. The section
/// is decoded by the model type registered under that name (`ModelTypes`), so a new model type
/// changes nothing here. Versions 1 and 2 (`"task": "tagger", "tagger": {…}`, the alphabet at the
/// top; version 1 without checksums) are still read: their header is rewritten in the version-3
/// layout on reading (`LegacyHeader`).
public enum ModelFile {
    /// The magic number.
    public static let magic: [UInt8] = Array("WPMODEL".utf8) + [0]
    /// The format version written; versions 1 to 3 are read.
    public static let version: UInt32 = 3

    /// The header's task section: the model type's name beside the type's own fields (its
    /// configuration and whatever else rebuilds the model), in one JSON object.
    struct TaskSection<Fields: Codable>: Codable {
        /// The model type's name (`tagger`, `classifier`): the key its type is found by.
        var type: String
        /// The model type's own fields (`TrainableModel.Section`).
        var fields: Fields

        enum CodingKeys: String, CodingKey { case type }

        init(type: String, fields: Fields) {
            self.type = type
            self.fields = fields
        }

        init(from decoder: any Decoder) throws {
            type = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .type)
            fields = try Fields(from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try fields.encode(to: encoder)
        }
    }

    /// A task section's own fields left unread: the header as every model type has it, read
    /// before the type is known.
    struct Unread: Codable {
        init() {}
        init(from decoder: any Decoder) throws {}
        func encode(to encoder: any Encoder) throws {}
    }

    /// The header, with the task section's fields of type `Section`.
    struct Header<Section: Codable>: Codable {
        var task: TaskSection<Section>
        var tokenizer: TokenizerConfiguration?
        var words: [String]
        var labels: [String]
        var training: TrainingRecord?
        /// Which rows started from a word vector: a bit per word, base64 (absent without vectors).
        var fromVectors: String?

        static func packBits(_ flags: [Bool]?) -> String? {
            guard let flags else { return nil }
            var bytes = [UInt8](repeating: 0, count: (flags.count + 7) / 8)
            for (index, flag) in flags.enumerated() where flag { bytes[index / 8] |= 1 << UInt8(index % 8) }
            return Data(bytes).base64EncodedString()
        }

        func unpackedBits() -> [Bool]? {
            guard let fromVectors, let data = Data(base64Encoded: fromVectors), data.count == (words.count + 7) / 8 else { return nil }
            let bytes = [UInt8](data)
            return (0..<words.count).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
        }

        /// The word table the header describes.
        func wordTable() -> WordTable { WordTable(words: words, tokenizer: tokenizer, fromVectors: unpackedBits()) }

        /// The JSON of the header, as written (keys sorted).
        func json() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(self)
        }
    }

    /// The header as every model has it: the task section's type, not its fields.
    typealias CommonHeader = Header<Unread>

    static func write<Section>(header: Header<Section>, parameters: [Parameter<Float>], to path: String) throws {
        let json = try header.json()
        let weights = ParameterFile.encode(parameters)
        var bytes = magic
        withUnsafeBytes(of: version.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32C.checksum(of: weights).littleEndian) { bytes.append(contentsOf: $0) }
        let headerChecksum = CRC32C.checksum(of: json, continuing: CRC32C.checksum(of: bytes))
        withUnsafeBytes(of: headerChecksum.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: weights)
        try OutputFile.writeAtomically(Data(bytes), to: path)
    }

    /// What `read` found besides the header and the weights.
    struct Layout {
        var version: UInt32
        var headerChecksum: UInt32?
        var weightsChecksum: UInt32?
    }

    /// Reads and checks a model file: magic, version, the header's checksum and JSON, and (with
    /// `verify`, the default) the weights' checksum. Returns the header's common part, its JSON
    /// in the version-3 layout (for the model type to read its section from) and the weights.
    static func read(_ path: String, verify: Bool = true) throws -> (header: CommonHeader, json: Data, weights: [UInt8], layout: Layout) {
        let hint = "give the model file that train-tagger, train-classifier, train-lm or train-seq2seq wrote"
        var status = stat()
        if stat(path, &status) == 0 && status.st_mode & S_IFMT != S_IFREG {
            throw ModelError.badModel(path: path, reason: FileKinds.notExpected(path: path, expected: "a WordPipe model file", hint: hint))
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ModelError.badModel(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 12, Array(bytes[0..<magic.count]) == magic else {
            let head = Array(bytes.prefix(4096))
            throw ModelError.badModel(path: path, reason: FileKinds.kind(ofHead: head) != nil ? FileKinds.misplaced(head, expected: "a WordPipe model file")
                : "this is \(FileKinds.identify(head: head)), not a WordPipe model file; \(hint)")
        }
        func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let fileVersion = integer(UInt32.self, at: magic.count)
        guard (1 ... version).contains(fileVersion) else {
            throw ModelError.badModel(path: path, reason: "model format version \(fileVersion); this wordpipe reads versions 1 to \(version)")
        }
        let length = integer(UInt64.self, at: magic.count + 4)
        let start = fileVersion >= 2 ? magic.count + 20 : magic.count + 12
        guard bytes.count >= start, length <= UInt64(bytes.count - start) else {
            throw ModelError.badModel(path: path, reason: "truncated or damaged: a header of \(length) bytes does not fit the \(bytes.count) bytes of the file")
        }
        let jsonEnd = start + Int(length)
        var layout = Layout(version: fileVersion)
        if fileVersion >= 2 {
            let stored = integer(UInt32.self, at: magic.count + 16)
            let computed = bytes.withUnsafeBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start ..< jsonEnd]),
                                continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0 ..< magic.count + 16])))
            }
            guard computed == stored else {
                throw ModelError.badModel(path: path, reason: "damaged header: its CRC-32C is \(CRC32C.hex(computed)), the file records \(CRC32C.hex(stored)) (the file changed after it was written; restore it or train again)")
            }
            layout.headerChecksum = stored
            let weightsStored = integer(UInt32.self, at: magic.count + 12)
            layout.weightsChecksum = weightsStored
            if verify {
                let weightsComputed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[jsonEnd...])) }
                guard weightsComputed == weightsStored else {
                    throw ModelError.badModel(path: path, reason: "damaged weights: their CRC-32C is \(CRC32C.hex(weightsComputed)), the header records \(CRC32C.hex(weightsStored)) (the file changed after it was written; restore it or train again)")
                }
            }
        }
        var json = Data(bytes[start ..< jsonEnd])
        let header: CommonHeader
        do {
            if fileVersion <= 2 { json = try LegacyHeader.upgrade(json) }
            header = try JSONDecoder().decode(CommonHeader.self, from: json)
        } catch {
            throw ModelError.badModel(path: path, reason: "unreadable header: \(error)")
        }
        return (header, json, Array(bytes[jsonEnd...]), layout)
    }

    /// The header with the task section's fields of `Model`'s type, from the JSON `read` returned.
    static func header<Model: TrainableModel>(of _: Model.Type, json: Data, path: String) throws -> Header<Model.Section> {
        do {
            return try JSONDecoder().decode(Header<Model.Section>.self, from: json)
        } catch {
            throw ModelError.badModel(path: path, reason: "unreadable \(Model.typeName) section of the header: \(error)")
        }
    }

    /// The task (model type name) of the model in `path`.
    public static func task(of path: String) throws -> String { try read(path, verify: false).header.task.type }
}

extension ModelFile {
    /// Loads a model of type `Model`: the header is checked first (a model of another task is
    /// refused with the command to use), then the weights are read into the model the header
    /// describes.
    static func load<Model: TrainableModel>(_ path: String, as _: Model.Type) throws -> (Model, TrainingRecord?) {
        let (common, json, weights, _) = try read(path)
        guard common.task.type == Model.typeName else {
            let other = try ModelTypes.named(common.task.type, path: path)
            throw ModelError.badModel(path: path, reason: "this is a \(common.task.type) model, not a \(Model.typeName) (use \(other.applyCommand))")
        }
        let header = try ModelFile.header(of: Model.self, json: json, path: path)
        guard header.words.count >= 2, header.words[0] == WordTable.padding, header.words[1] == WordTable.unknown, !header.labels.isEmpty else {
            throw ModelError.badModel(path: path, reason: "the header has no labels, or its words do not start with <pad>, <unk>")
        }
        let dim = try embeddingDim(weights, path: path)
        guard header.words.count.multipliedReportingOverflow(by: dim * 4).partialValue <= weights.count else {
            throw ModelError.badModel(path: path, reason: "truncated: \(header.words.count) words of dim \(dim) need more than the \(weights.count) bytes of weights")
        }
        let model = Model.build(header: header, initial: Matrix<Float>(rows: header.words.count, columns: dim))
        do {
            try ParameterFile.decode(weights, path: path, into: model.allParameters)
        } catch {
            throw ModelError.badModel(path: path, reason: "weights do not fit the header: \(error)")
        }
        return (model, header.training)
    }
}

/// The embedding width, read from the first parameter's shape in parameter-file bytes (magic,
/// version, value size, count, then name length, name, rows, columns).
private func embeddingDim(_ weights: [UInt8], path: String) throws -> Int {
    let fixed = ParameterFile.magic.count + 12
    guard weights.count >= fixed + 4 else { throw ModelError.badModel(path: path, reason: "truncated weights") }
    let nameLength = Int(weights.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: fixed, as: UInt32.self)) })
    let columnsAt = fixed + 4 + nameLength + 8
    guard weights.count >= columnsAt + 8 else { throw ModelError.badModel(path: path, reason: "truncated weights") }
    let columns = weights.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: columnsAt, as: UInt64.self)) }
    guard columns >= 1 && columns <= 100_000 else { throw ModelError.badModel(path: path, reason: "embedding width \(columns) is not plausible") }
    return Int(columns)
}
