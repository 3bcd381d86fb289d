import Embeddings
import Foundation
import Recurrent
import Vocabulary
import WordPipeSupport

extension ModelFile {
    /// Describes a model file for `wordpipe inspect`. The header and its checksum are always
    /// checked; with `verify`, the weights' checksum too, and the weights are loaded into the
    /// model the header describes (every name and shape compared).
    public static func describe(path: String, verify: Bool) throws -> ArtifactDescription {
        let (common, json, weights, layout) = try read(path, verify: verify)
        let type = try ModelTypes.named(common.task.type, path: path)
        let structure = try ParameterFile.structure(weights, path: path, verify: verify)
        var fields: [ArtifactDescription.Field] = [
            .init("task", .text(common.task.type)),
            .init("words", .integer(common.words.count)),
            .init("labels", .integer(common.labels.count)),
            .init("label names", .list(common.labels)),
        ]
        if let first = structure.entries.first { fields.append(.init("dim", .integer(first.columns))) }
        fields += try describeSection(type, json: json, path: path, verify: verify)
        fields.append(.init("tokenizer configuration", .flag(common.tokenizer != nil)))
        fields.append(.init("parameters", .integer(structure.entries.count)))
        fields.append(.init("values", .integer(structure.entries.reduce(0) { $0 + $1.rows * $1.columns })))
        fields.append(.init("value size", .integer(structure.valueSize)))
        if let training = common.training {
            fields.append(.init("trained", .text("\(training.epochs) epochs, best \(training.bestEpoch), dev \(training.metric) \(String(format: "%.4f", training.devScore))")))
            fields.append(.init("training", training.described))
        }
        if let tokenizer = common.tokenizer { fields.append(.init("tokenizer", .encoding(tokenizer))) }
        var checksums: [ArtifactDescription.Checksum] = []
        if let stored = layout.headerChecksum { checksums.append(.init(part: "header", stored: stored, verified: true)) }
        if let stored = layout.weightsChecksum { checksums.append(.init(part: "weights", stored: stored, verified: verify)) }
        if let stored = structure.checksum { checksums.append(.init(part: "parameters", stored: stored, verified: verify)) }
        return ArtifactDescription(path: path, kind: "model", magic: "WPMODEL", version: Int(layout.version),
                                   currentVersion: Int(version), fields: fields, checksums: checksums, verified: verify)
    }

    /// The fields of the task section of a `Model`: its encoder, its own fields and its whole
    /// configuration; with `verify`, the weights are loaded into the model it describes.
    private static func describeSection<Model: TrainableModel>(_: Model.Type, json: Data, path: String,
                                                               verify: Bool) throws -> [ArtifactDescription.Field] {
        if verify { _ = try Model.loadModel(from: path) }
        let section = try header(of: Model.self, json: json, path: path).task.fields
        let configuration = Model.configuration(of: section)
        let encoder = Model.settings(of: configuration)
        return [.init("encoder", .text("\(encoder.bidirectional ? "bidirectional " : "")\(encoder.cell.rawValue), \(encoder.layers) layer\(encoder.layers == 1 ? "" : "s") of \(encoder.hidden)"))]
            + Model.describe(section: section)
            + [.init("configuration", .encoding(configuration))]
    }
}

extension TrainingRecord {
    /// The record as `inspect` shows it (snake_case names in JSON).
    var described: ArtifactDescription.Field.Value {
        var fields: [ArtifactDescription.Field] = [.init("vectors", .text(vectors ?? "none (random initialization)")),
                                                   .init("epochs", .integer(epochs)), .init("best epoch", .integer(bestEpoch)),
                                                   .init("metric", .text(metric)), .init("dev score", .number(devScore))]
        if let oovTrain { fields.append(.init("oov train", .number(oovTrain))) }
        if let oovDev { fields.append(.init("oov dev", .number(oovDev))) }
        fields += [.init("train seconds", .number(trainSeconds)), .init("total seconds", .number(totalSeconds))]
        return .object(fields)
    }
}

/// The binary files WordPipe writes, told apart by their magic numbers.
public enum Artifact {
    /// The kinds, by magic number.
    public enum Kind: String, Sendable, CaseIterable {
        case vectors, encodedCorpus = "encoded corpus", model, parameters, index = "HNSW index"
    }

    /// The kind of the file at `path` from its first 8 bytes, or nil for any other file.
    public static func kind(of path: String) throws -> Kind? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelError.badModel(path: path, reason: "cannot open the file")
        }
        defer { try? handle.close() }
        let head = Array((try? handle.read(upToCount: 8)) ?? Data())
        switch head {
        case Array("WPVECTRS".utf8): return .vectors
        case EncodedCorpus.magic: return .encodedCorpus
        case ModelFile.magic: return .model
        case ParameterFile.magic: return .parameters
        case HNSWIndex.magic: return .index
        default: return nil
        }
    }

    /// Describes a WordPipe binary file (`wordpipe inspect`): what it is, its format version,
    /// its sizes and checksums. With `verify`, every checksum is computed and the header is
    /// compared with the payload; any mismatch is an error that says what is wrong.
    public static func describe(path: String, verify: Bool) throws -> ArtifactDescription {
        switch try kind(of: path) {
        case .vectors: return try WordVectors.describeNative(path: path, verify: verify)
        case .encodedCorpus: return try EncodedCorpus.describe(path: path, verify: verify)
        case .model: return try ModelFile.describe(path: path, verify: verify)
        case .parameters: return try describeParameters(path: path, verify: verify)
        case .index: return try HNSWIndex.describe(path: path)
        case nil:
            if let format = Vocabulary.format(of: path) { return try Vocabulary.describe(path: path, format: format, verify: verify) }
            throw ModelError.badModel(path: path, reason: "not a WordPipe binary file (no known magic number) nor a vocabulary: inspect reads vector files (.wpv), encoded corpora (.wpc), model files, parameter files, HNSW indexes (.wph) and vocabularies (word<TAB>count or word count lines); text vector formats (word2vec, GloVe) carry no header or checksum")
        }
    }

    static func describeParameters(path: String, verify: Bool) throws -> ArtifactDescription {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)) } catch {
            throw RecurrentError.malformedFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        let structure = try ParameterFile.structure(bytes, path: path, verify: verify)
        let fields: [ArtifactDescription.Field] = [
            .init("parameters", .integer(structure.entries.count)),
            .init("shapes", .list(structure.entries.map { "\($0.name) \($0.rows)×\($0.columns)" })),
            .init("values", .integer(structure.entries.reduce(0) { $0 + $1.rows * $1.columns })),
            .init("value size", .integer(structure.valueSize)),
        ]
        let checksums = structure.checksum.map { [ArtifactDescription.Checksum(part: "parameters", stored: $0, verified: verify)] } ?? []
        return ArtifactDescription(path: path, kind: "parameters", magic: "WPRNNPAR", version: Int(structure.version),
                                   currentVersion: Int(ParameterFile.version), fields: fields, checksums: checksums, verified: verify)
    }
}
