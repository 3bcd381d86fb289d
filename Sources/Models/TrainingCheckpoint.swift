import Foundation
import Recurrent
import WordPipeSupport

/// A data file a run read, by content: a checkpoint records the files it was made from, and a
/// resume with other data is refused.
struct FileIdentity: Codable, Equatable {
    /// The path as given.
    var path: String
    /// Its size in bytes.
    var bytes: Int64
    /// The CRC-32C of its bytes.
    var crc32c: UInt32

    /// The identity of the file at `path` (read whole, memory-mapped where possible).
    static func of(_ path: String) throws -> FileIdentity {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ModelError.badData(location: SourceLocation(path: path), message: "cannot read: \(error.localizedDescription)")
        }
        return FileIdentity(path: path, bytes: Int64(data.count), crc32c: CRC32C.checksum(of: data))
    }

    /// The identity of one file, or of several read as one (paths joined with ` + `, their bytes
    /// concatenated in order).
    static func of(paths: [String]) throws -> FileIdentity {
        if paths.count == 1 { return try of(paths[0]) }
        var data = Data()
        for path in paths {
            do {
                data.append(try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
            } catch {
                throw ModelError.badData(location: SourceLocation(path: path), message: "cannot read: \(error.localizedDescription)")
            }
        }
        return FileIdentity(path: paths.joined(separator: " + "), bytes: Int64(data.count), crc32c: CRC32C.checksum(of: data))
    }

    /// The same bytes (the path may differ: a moved file is the same data).
    func sameContent(as other: FileIdentity) -> Bool { bytes == other.bytes && crc32c == other.crc32c }

    var summary: String { "\(path), \(bytes) bytes, CRC-32C \(CRC32C.hex(crc32c))" }
}

/// What a model training run is, beyond the state it reaches: the task, every setting, the data
/// and the thread count (which decides the replicas and so the dropout masks). A checkpoint is
/// resumed only by a run whose identity is the same.
struct TrainingIdentity: Codable, Equatable {
    /// The task (`tagger`, `classifier`).
    var task: String
    /// The configuration, flattened to `key` (or `key.subkey`) → its JSON value.
    var configuration: [String: String]
    var train: FileIdentity
    var dev: FileIdentity
    var vectors: FileIdentity?
    var threads: Int

    /// The identity of a run of `task` with `configuration` on these files.
    /// A set read from several files (a source and a target side) is identified by its files'
    /// bytes in order.
    static func of<Configuration: Encodable>(task: String, configuration: Configuration, trainPaths: [String], devPaths: [String],
                                             vectorsPath: String?, threads: Int) throws -> TrainingIdentity {
        TrainingIdentity(task: task, configuration: try flatten(configuration), train: try .of(paths: trainPaths),
                         dev: try .of(paths: devPaths), vectors: try vectorsPath.map { try .of($0) }, threads: threads)
    }

    /// `value`'s JSON, one entry per leaf, nested keys joined with dots.
    static func flatten<Value: Encodable>(_ value: Value) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(value), options: [.fragmentsAllowed])
        var result: [String: String] = [:]
        func walk(_ node: Any, _ prefix: String) {
            if let dictionary = node as? [String: Any] {
                for (key, child) in dictionary { walk(child, prefix.isEmpty ? key : prefix + "." + key) }
            } else {
                let data = try? JSONSerialization.data(withJSONObject: node, options: [.fragmentsAllowed, .sortedKeys])
                result[prefix] = data.map { String(decoding: $0, as: UTF8.self) } ?? "\(node)"
            }
        }
        walk(object, "")
        return result
    }

    /// What differs from `checkpoint` (the identity a checkpoint recorded), one phrase each:
    /// `hidden: 8 → 16`, `train data: ... → ...`.
    func differences(from checkpoint: TrainingIdentity) -> [String] {
        var result: [String] = []
        if task != checkpoint.task { result.append("task: \(checkpoint.task) → \(task)") }
        for key in Set(configuration.keys).union(checkpoint.configuration.keys).sorted()
        where configuration[key] != checkpoint.configuration[key] {
            result.append("\(key): \(checkpoint.configuration[key] ?? "(none)") → \(configuration[key] ?? "(none)")")
        }
        for (name, old, new) in [("train data", checkpoint.train, train), ("dev data", checkpoint.dev, dev)] where !new.sameContent(as: old) {
            result.append("\(name): \(old.summary) → \(new.summary)")
        }
        switch (checkpoint.vectors, vectors) {
        case (nil, nil): break
        case (let old?, let new?) where old.sameContent(as: new): break
        case (let old, let new):
            result.append("vectors: \(old?.summary ?? "none") → \(new?.summary ?? "none")")
        }
        if threads != checkpoint.threads { result.append("threads: \(checkpoint.threads) → \(threads)") }
        return result
    }
}

/// Where a training run stands between two batches: everything besides the weights that it
/// needs to continue as if it had not stopped (`state.json` of a checkpoint).
struct TrainingProgressState: Codable {
    var kind = "wordpipe.model-checkpoint"
    var version = 1
    var identity: TrainingIdentity
    /// Epochs finished.
    var epoch: Int
    /// Batches done of epoch `epoch + 1` (0 at an epoch's end).
    var batch: Int
    /// The batch-order generator's state at the start of epoch `epoch + 1`, before its batches
    /// were drawn (they are drawn again on resume, and the first `batch` skipped).
    var generator: UInt64
    /// The epoch's loss sum (loss × examples) and tokens so far, and its training seconds.
    var lossSum: Double
    var tokens: Int
    var epochSeconds: Double
    /// Training seconds of the finished epochs.
    var trainSeconds: Double
    /// The best dev score so far (nil before the first evaluation), its epoch, and the epochs since.
    var best: Double?
    var bestEpoch: Int
    var stale: Int
    /// The optimizer's step count and buffers per trainable parameter.
    var optimizerSteps: Int
    var optimizerBuffers: Int
    /// The dropout generators' states: the model's, then each replica's.
    var generators: [[UInt64]]
    /// The finished epochs' loss and dev score (absent in checkpoints of an earlier wordpipe).
    var history: [EpochFigures]? = nil
}

/// Writes and reads the checkpoints of a model training run: `DIR/step-EPOCH-BATCH/` holds
/// `state.json` (`TrainingProgressState`), `weights.wprnn` (every parameter), `best.wprnn` (the
/// best epoch's weights, once there is one) and `optimizer.wprnn` (its buffers), each a
/// parameter file with its CRC-32C; `DIR/latest` names the step. Both the step directory and
/// `latest` are written under a temporary name and renamed, so a kill at any moment leaves the
/// previous checkpoint usable.
enum TrainingCheckpoint {
    /// Writes a checkpoint of `state` into `directory`.
    static func write(_ state: TrainingProgressState, weights: [Parameter<Float>], best: [Matrix<Float>]?,
                      optimizer: OptimizerSnapshot<Float>, trainable: [Parameter<Float>], carried: [Parameter<Float>] = [],
                      to directory: String) throws {
        try CheckpointSteps.write(name: "step-\(state.epoch)-\(state.batch)", into: directory) { temporary in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.writeAtomically(try encoder.encode(state), to: temporary + "/state.json")
            try OutputFile.writeAtomically(Data(ParameterFile.encode(weights)), to: temporary + "/weights.wprnn")
            if let best {
                let parameters = zip(weights, best).map { Parameter(name: $0.name, value: $1) }
                try OutputFile.writeAtomically(Data(ParameterFile.encode(parameters)), to: temporary + "/best.wprnn")
            }
            try OutputFile.writeAtomically(Data(ParameterFile.encode(optimizerParameters(optimizer, trainable: trainable))),
                                           to: temporary + "/optimizer.wprnn")
            if !carried.isEmpty { try OutputFile.writeAtomically(Data(ParameterFile.encode(carried)), to: temporary + "/carried.wprnn") }
        }
    }

    /// The optimizer's buffers as parameters named after theirs (`NAME#0`, `NAME#1`).
    static func optimizerParameters(_ snapshot: OptimizerSnapshot<Float>, trainable: [Parameter<Float>]) -> [Parameter<Float>] {
        let count = snapshot.buffersPerParameter
        return snapshot.buffers.enumerated().map { index, matrix in
            Parameter(name: "\(trainable.filter(\.isTrainable)[index / max(count, 1)].name)#\(index % max(count, 1))", value: matrix)
        }
    }

    /// What a checkpoint holds, read and checked.
    struct Loaded {
        var state: TrainingProgressState
        var weights: [Matrix<Float>]
        var best: [Matrix<Float>]?
        var optimizer: OptimizerSnapshot<Float>
        /// The carried state (nil: the run has none, the checkpoint is at an epoch's end, or it
        /// was written by a wordpipe that did not keep it).
        var carried: [Matrix<Float>]? = nil
    }

    /// Reads the latest checkpoint of `directory` for a run of `identity` over `all` (its
    /// parameters), `trainable` of them updated by an optimizer with `optimizerBuffers` buffers
    /// each, `generators` the current generator states (their shape), `batchesPerEpoch` batches
    /// an epoch and `epochs` at most. Refuses a checkpoint of another run, naming each
    /// difference, and a damaged one, naming the file and the field.
    static func read(from directory: String, identity: TrainingIdentity, all: [Parameter<Float>], trainable: [Parameter<Float>],
                     optimizerBuffers: Int, generators: [[UInt64]], carried: [Parameter<Float>] = [], batchesPerEpoch: Int,
                     epochs: Int) throws -> Loaded {
        let (step, stateFile, state): (String, String, TrainingProgressState)
        do {
            (step, stateFile, state) = try CheckpointSteps.latest(TrainingProgressState.self, in: directory, pattern: "step-EPOCH-BATCH")
        } catch let failure as CheckpointSteps.ReadFailure {
            throw failure.damaged ? ModelError.badCheckpoint(location: failure.location, message: failure.message)
                : ModelError.badData(location: failure.location, message: failure.message)
        }
        func fail(_ field: String, _ message: String) -> ModelError {
            .badCheckpoint(location: SourceLocation(path: stateFile), message: "field '\(field)' \(message)")
        }
        guard state.kind == "wordpipe.model-checkpoint" else { throw fail("kind", "is '\(state.kind)', not 'wordpipe.model-checkpoint'") }
        guard state.version == 1 else { throw fail("version", "is \(state.version); this wordpipe reads version 1") }
        let differences = identity.differences(from: state.identity)
        if !differences.isEmpty { throw ModelError.checkpointMismatch(path: directory, differences: differences) }
        guard (0...epochs).contains(state.epoch) else { throw fail("epoch", "is \(state.epoch), outside 0...\(epochs) (the epochs of the run)") }
        guard (0..<max(batchesPerEpoch, 1)).contains(state.batch) else {
            throw fail("batch", "is \(state.batch), outside 0..<\(batchesPerEpoch) (the batches of an epoch)")
        }
        guard state.bestEpoch >= 0 && state.bestEpoch <= state.epoch else { throw fail("bestEpoch", "is \(state.bestEpoch), outside 0...\(state.epoch)") }
        guard state.stale >= 0 && state.stale <= state.epoch else { throw fail("stale", "is \(state.stale), outside 0...\(state.epoch)") }
        guard state.best == nil || state.epoch > 0 else { throw fail("best", "is set before any epoch ended") }
        if let best = state.best, !best.isFinite { throw fail("best", "is \(best), not a score") }
        guard state.lossSum.isFinite && state.lossSum >= 0 else { throw fail("lossSum", "is \(state.lossSum), not a loss sum (a finite number >= 0)") }
        guard state.tokens >= 0 else { throw fail("tokens", "is \(state.tokens), below 0") }
        guard state.epochSeconds >= 0 && state.trainSeconds >= 0 else { throw fail("trainSeconds", "is below 0") }
        guard state.optimizerSteps >= 0 else { throw fail("optimizerSteps", "is \(state.optimizerSteps), below 0") }
        guard state.optimizerBuffers == optimizerBuffers else {
            throw fail("optimizerBuffers", "is \(state.optimizerBuffers); this optimizer keeps \(optimizerBuffers) per parameter")
        }
        guard state.generators.map(\.count) == generators.map(\.count) else {
            throw fail("generators", "holds \(state.generators.map(\.count)) generator states; this model and its replicas have \(generators.map(\.count))")
        }
        func load(_ file: String, shapes parameters: [Parameter<Float>]) throws -> [Matrix<Float>] {
            let path = step + "/" + file
            let copies = parameters.map { Parameter(name: $0.name, value: Matrix<Float>(rows: $0.value.rows, columns: $0.value.columns)) }
            do {
                try ParameterFile.read(into: copies, from: path)
            } catch {
                throw ModelError.badCheckpoint(location: SourceLocation(path: path), message: "damaged checkpoint: \(error)")
            }
            return copies.map(\.value)
        }
        let weights = try load("weights.wprnn", shapes: all)
        let best = state.best == nil ? nil : try load("best.wprnn", shapes: all)
        let empty = OptimizerSnapshot<Float>(
            steps: 0,
            buffers: trainable.filter(\.isTrainable).flatMap { parameter in
                (0..<optimizerBuffers).map { _ in Matrix<Float>(rows: parameter.value.rows, columns: parameter.value.columns) }
            },
            buffersPerParameter: optimizerBuffers)
        let buffers = try load("optimizer.wprnn", shapes: optimizerParameters(empty, trainable: trainable))
        // Inside an epoch only: at an epoch's end the streams start again from zero states.
        let carriedValues = carried.isEmpty || state.batch == 0 || !FileManager.default.fileExists(atPath: step + "/carried.wprnn")
            ? nil : try load("carried.wprnn", shapes: carried)
        return Loaded(state: state, weights: weights, best: best,
                      optimizer: OptimizerSnapshot(steps: state.optimizerSteps, buffers: buffers, buffersPerParameter: optimizerBuffers),
                      carried: carriedValues)
    }
}
