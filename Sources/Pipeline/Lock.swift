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
    /// The stage's typed result as JSON (its `StageType`'s `Result`), for the report of a run
    /// where the stage is up to date. Absent in locks written before issue 14, and ignored when
    /// deciding whether a stage is up to date.
    public var result: String? = nil
}

/// One pipeline's record for one work directory in `wordpipe.lock`: how every artifact was made.
public struct LockFile: Codable, Sendable, Equatable {
    public var stages: [String: StageRecord] = [:]

    /// The whole file (version 2): per pipeline file of the directory, one section per work
    /// directory (relative to the pipeline file's directory when inside it).
    ///
    ///     { "version": 2, "pipelines": { "pipe.yaml": { "workdirs": { "build": { "stages": { … } } } } } }
    struct Contents: Codable {
        var version = 2
        var pipelines: [String: Pipeline] = [:]

        struct Pipeline: Codable {
            var workdirs: [String: LockFile] = [:]
        }
    }

    /// Version 1 (until issue 13): one section per pipeline file, whatever the work directory.
    struct VersionOne: Codable {
        var version: Int
        var pipelines: [String: LockFile] = [:]
    }

    struct Header: Codable {
        var version: Int
    }

    /// The whole lock file at `path` (missing is empty). A version-1 file is migrated: each stage
    /// record goes to the work directory that holds its recorded outputs (`WORKDIR/STAGE/FILE`);
    /// a record without outputs is dropped (the stage shows as never run).
    static func contents(_ path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else { return Contents() }
        do {
            let header = try JSONDecoder().decode(Header.self, from: data)
            switch header.version {
            case 2:
                return try JSONDecoder().decode(Contents.self, from: data)
            case 1:
                var contents = Contents()
                for (name, section) in try JSONDecoder().decode(VersionOne.self, from: data).pipelines {
                    var pipeline = Contents.Pipeline()
                    for (stage, record) in section.stages {
                        guard let output = record.outputs.first?.path else { continue }
                        let workdir = PathNames.parent(output)
                        let key = PathNames.parent(workdir)
                        pipeline.workdirs[key.isEmpty ? "." : key, default: LockFile()].stages[stage] = record
                    }
                    contents.pipelines[name] = pipeline
                }
                return contents
            default:
                throw PipelineError(.init(path: path), "lock file version \(header.version) was written by a newer wordpipe; this one reads versions 1 and 2")
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(.init(path: path), "unreadable lock file (delete it to rebuild everything): \(error)")
        }
    }

    /// The key of `workdir` in the lock: relative to `base` (the pipeline file's directory) when
    /// inside it, `.` when it is `base`, else absolute.
    static func key(workdir: String, base: String) -> String {
        if workdir == base { return "." }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return workdir.hasPrefix(prefix) ? String(workdir.dropFirst(prefix.count)) : workdir
    }

    /// Reads the section of `pipeline` (a file name) and `workdir` from the lock file at `path`;
    /// missing is empty.
    static func read(_ path: String, pipeline: String, workdir: String, base: String) throws -> LockFile {
        try contents(path).pipelines[pipeline]?.workdirs[key(workdir: workdir, base: base)] ?? LockFile()
    }

    /// Writes this section, keeping every other section: read, change and write back (by an
    /// atomic rename) while holding an exclusive `flock` on the lock file's directory, so that
    /// pipelines run at once in one folder never lose each other's entries.
    func write(to path: String, pipeline: String, workdir: String, base: String) throws {
        let directory = PathNames.parent(path)
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw PipelineError(.init(path: path), "cannot open its folder to lock it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw PipelineError(.init(path: path), "cannot lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        var all = try Self.contents(path)
        all.pipelines[pipeline, default: Contents.Pipeline()].workdirs[Self.key(workdir: workdir, base: base)] = self
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
