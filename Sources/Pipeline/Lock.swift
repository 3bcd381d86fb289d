import Crypto
import Foundation
import WordPipeSupport

/// A file's identity in the lock: size, modification time and content hash.
public struct FileRecord: Codable, Sendable, Equatable {
    /// The path (relative to the pipeline file's directory when inside it).
    public var path: String
    public var size: Int64
    /// Modification time, seconds since 1970 (nanosecond precision).
    public var modified: Double
    /// SHA-256 of the content, hex.
    public var sha256: String
}

/// What the lock remembers of one stage's last successful run.
public struct StageRecord: Codable, Sendable, Equatable {
    /// The versioned stage type (`train@1`).
    public var type: String
    /// The resolved configuration, as canonical JSON.
    public var configuration: String
    public var inputs: [FileRecord]
    public var outputs: [FileRecord]
    /// Seconds the stage took.
    public var seconds: Double
    /// The stage's key figures.
    public var metrics: [String: Double]
}

/// One pipeline's part of `wordpipe.lock`: the record of how every artifact was made.
public struct LockFile: Codable, Sendable, Equatable {
    public var stages: [String: StageRecord] = [:]

    /// The whole file: one section per pipeline file of the directory.
    struct Contents: Codable {
        var version = 1
        var pipelines: [String: LockFile] = [:]
    }

    static func contents(_ path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else { return Contents() }
        do {
            return try JSONDecoder().decode(Contents.self, from: data)
        } catch {
            throw PipelineError(.init(path: path), "unreadable lock file (delete it to rebuild everything): \(error)")
        }
    }

    /// Reads the section of `pipeline` (a file name) from the lock file at `path`; missing is empty.
    static func read(_ path: String, pipeline: String) throws -> LockFile {
        try contents(path).pipelines[pipeline] ?? LockFile()
    }

    /// Writes this section, keeping the other pipelines' sections, atomically.
    func write(to path: String, pipeline: String) throws {
        var all = try Self.contents(path)
        all.pipelines[pipeline] = self
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try OutputFile.writeAtomically(try encoder.encode(all), to: path)
    }
}

/// Hashes files, reusing a lock's hash when size and modification time are unchanged (so big
/// inputs are not re-read on every run, as DVC users ask).
final class FileHasher {
    private var known: [String: FileRecord] = [:]
    let base: String

    init(lock: LockFile, base: String) {
        self.base = base
        for record in lock.stages.values.flatMap({ $0.inputs + $0.outputs }) { known[record.path] = record }
    }

    /// The path as recorded: relative to the pipeline directory when inside it.
    func relative(_ path: String) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// The record of a file, or nil when it does not exist.
    func record(_ path: String) throws -> FileRecord? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let name = relative(path)
        if let previous = known[name], previous.size == size, previous.modified == modified { return previous }
        let record = FileRecord(path: name, size: size, modified: modified, sha256: try Self.sha256(path))
        known[name] = record
        return record
    }

    /// SHA-256 of a file, read in 1 MiB blocks.
    static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PipelineError(.init(path: path), "cannot read to hash it") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
