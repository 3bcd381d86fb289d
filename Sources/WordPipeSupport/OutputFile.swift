import Foundation

/// Errors from writing outputs.
public enum OutputError: Error, Equatable, CustomStringConvertible {
    /// The file could not be created.
    case cannotCreate(path: String, reason: String)
    /// A write failed (disk full, closed pipe, ...).
    case writeFailed(path: String, reason: String)
    /// The finished temporary file could not be renamed into place.
    case cannotRename(from: String, to: String, reason: String)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason): return "\(path): cannot create: \(reason)"
        case .writeFailed(let path, let reason): return "\(path): write failed: \(reason)"
        case .cannotRename(let from, let to, let reason): return "cannot rename \(from) to \(to): \(reason)"
        }
    }
}

/// A buffered output that appears under its final name only when complete.
///
/// Bytes go to a temporary file beside the destination (`.NAME.partial-PID-START`, see
/// `TemporaryPath`); `commit()`
/// flushes, syncs and renames it over the destination, so an interrupted run never leaves a
/// torn file under the real name. A file that is never committed is removed when closed.
/// Writing to standard output (`path == nil`) streams directly.
public final class OutputFile {
    /// The final path, or nil for standard output.
    public let path: String?
    private let temporaryPath: String?
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var finished = false

    /// Opens `path` for writing through a temporary name; nil or `-` means standard output.
    public init(path: String?) throws {
        if let path, path != "-" {
            let temporary = TemporaryPath.beside(path)
            // Created under the registry's lock, so an interrupt either sees it or stops its creation.
            let fd = try TemporaryFiles.shared.creating(temporary) { () throws -> Int32 in
                let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if fd < 0 { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
                return fd
            }
            self.path = path
            self.temporaryPath = temporary
            self.descriptor = fd
        } else {
            self.path = nil
            self.temporaryPath = nil
            self.descriptor = 1
        }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if !finished, let temporaryPath {
            close(descriptor)
            unlink(temporaryPath)
            TemporaryFiles.shared.unregister(temporaryPath)
        }
    }

    /// Appends bytes.
    public func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        // Large contiguous blocks skip the buffer (no extra copy).
        if bytes.count >= bufferLimit / 2,
           let done = try bytes.withContiguousStorageIfAvailable({ block -> Bool in
               try flush()
               try writeAll(UnsafeRawBufferPointer(block))
               return true
           }), done {
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= bufferLimit { try flush() }
    }

    /// Appends a string's UTF-8.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write($0) }
    }

    /// Writes out the buffer.
    public func flush() throws {
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) throws {
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let written = Foundation.write(descriptor, base + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError.writeFailed(path: path ?? "<stdout>", reason: String(cString: strerror(errno)))
            }
            offset += written
            FaultInjection.reach("output-write", file: path)
        }
    }

    /// Replaces bytes already written at `offset` (a header whose fields are known only at
    /// the end). Only for files, not standard output.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        try flush()
        guard path != nil else { throw OutputError.writeFailed(path: "<stdout>", reason: "cannot seek in standard output") }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        if written != bytes.count {
            throw OutputError.writeFailed(path: path ?? "<stdout>", reason: String(cString: strerror(errno)))
        }
    }

    /// Flushes and moves the file into place under its final name.
    public func commit() throws {
        try flush()
        finished = true
        guard let path, let temporaryPath else { return }
        // A failed sync or close means the bytes may not be on disk (NFS, a full disk that
        // delayed allocation hid, an I/O error): the file must not move into place.
        let synced = fsync(descriptor) == 0 || errno == EINVAL
        let syncError = errno
        let closed = close(descriptor) == 0
        let closeError = errno
        if !synced || !closed {
            unlink(temporaryPath)
            TemporaryFiles.shared.unregister(temporaryPath)
            throw OutputError.writeFailed(path: path, reason: String(cString: strerror(synced ? closeError : syncError)))
        }
        // Unregistered only after the rename: an interrupt in between removes nothing it should keep.
        defer { TemporaryFiles.shared.unregister(temporaryPath) }
        FaultInjection.reach("output-rename", file: path)
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputError.cannotRename(from: temporaryPath, to: path, reason: reason)
        }
        Self.syncDirectory(of: path)
    }

    /// Syncs the directory holding `path`, so that a rename survives a power cut (as SQLite
    /// does after creating its journal). Best effort: some file systems refuse it.
    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Writes `data` to `path` atomically (temporary name, then rename).
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let file = try OutputFile(path: path)
        try file.write(data)
        try file.commit()
    }
}
