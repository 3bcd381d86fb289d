import Foundation

/// The one naming scheme for temporaries: beside their final path, hidden, and named with the
/// owning process, so that a later run can tell a dead process's leftovers from a live one's.
///
/// A temporary for `DIR/NAME` is `DIR/.NAME[SUFFIX].partial-PID-START`: PID is the owner's
/// process id and START its start time (clock ticks after boot, field 22 of `/proc/PID/stat`).
/// The start time guards against PID reuse: a live process that got the dead owner's PID has
/// another start time, so its presence does not keep the leftover alive. Where `/proc` cannot be
/// read, START is 0 and liveness falls back to `kill(PID, 0)`. Names of earlier versions
/// (`.NAME.partial-PID`) are recognised the same way, by PID alone.
///
/// Before the first temporary in a directory, a process removes that directory's stale
/// temporaries (`removeStale(in:)`): only hidden names that match the scheme, whose owner is
/// not running. That is the lock-file convention of git (`gc.pid`) and SQLite (a hot journal
/// is one whose writer holds no lock): leftovers are recognised by their owner's absence,
/// never by age.
public enum TemporaryPath {
    /// This process's id.
    public static let processID: Int32 = getpid()
    /// This process's start time (0 when unknown).
    public static let processStart: UInt64 = startTime(of: getpid()) ?? 0
    /// `PID-START` of this process, the end of its temporaries' names.
    public static var owner: String { "\(processID)-\(processStart)" }

    private static let sweptLock = NSLock()
    nonisolated(unsafe) private static var swept: Set<String> = []

    /// The temporary name for `path` (`DIR/.NAME[suffix].partial-PID-START`), after removing
    /// `DIR`'s stale temporaries once per process. The file is not created.
    public static func beside(_ path: String, suffix: String = "") -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        sweepOnce(directory)
        return (directory == "/" ? "" : directory) + "/." + url.lastPathComponent + suffix + ".partial-" + owner
    }

    /// The owner of a temporary named `name` (a directory entry, not a path), or nil when the
    /// name does not follow the scheme. `start` is nil for the older `.NAME.partial-PID`.
    public static func owner(ofEntry name: String) -> (pid: Int32, start: UInt64?)? {
        guard name.hasPrefix("."), let marker = name.range(of: ".partial-", options: .backwards),
              marker.lowerBound > name.index(after: name.startIndex) else { return nil }
        let fields = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 1 || fields.count == 2,
              fields.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= "0" && $0 <= "9" } }),
              let pid = Int32(fields[0]), pid > 0 else { return nil }
        if fields.count == 1 { return (pid, nil) }
        guard let start = UInt64(fields[1]) else { return nil }
        return (pid, start)
    }

    /// Whether the process that made a temporary named `name` is still running: same PID and,
    /// when known, same start time. False for names outside the scheme.
    public static func ownerIsAlive(entry name: String) -> Bool {
        guard let (pid, start) = owner(ofEntry: name) else { return false }
        if let start, start != 0, let actual = startTime(of: pid) { return actual == start }
        if let start, start != 0, processStart != 0 {
            // /proc works here, and this PID has no entry: the process is gone.
            return false
        }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Removes the temporaries in `directory` whose owner is not running (files and folders,
    /// only names that match the scheme). Returns the names removed.
    @discardableResult
    public static func removeStale(in directory: String) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for entry in entries where owner(ofEntry: entry) != nil && !ownerIsAlive(entry: entry) {
            let path = (directory == "/" ? "" : directory) + "/" + entry
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(entry) }
        }
        return removed
    }

    private static func sweepOnce(_ directory: String) {
        sweptLock.lock()
        let first = swept.insert(directory).inserted
        sweptLock.unlock()
        if first { removeStale(in: directory) }
    }

    /// The start time of process `pid` in clock ticks after boot (field 22 of
    /// `/proc/PID/stat`), or nil when there is no such process or no `/proc`.
    public static func startTime(of pid: Int32) -> UInt64? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 16 { break }
        }
        // The command name (field 2) is in parentheses and may hold spaces or parentheses:
        // the fields that follow start after the last ')'.
        guard let paren = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(paren + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }
}

/// The temporaries in progress (files and folders), removed when the process is interrupted
/// (see `Interruption`).
public final class TemporaryFiles: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFiles()
    private let lock = NSLock()
    private var files: Set<String> = []
    private var directories: Set<String> = []

    /// Adds `path` to the files removed on interrupt (a temporary file made by other means).
    public func register(_ path: String) {
        lock.lock()
        files.insert(path)
        lock.unlock()
    }

    /// Adds the folder `path` to those removed, with their contents, on interrupt.
    public func register(directory path: String) {
        lock.lock()
        directories.insert(path)
        lock.unlock()
    }

    /// Registers `path` and runs `create` (which makes it) under the registry's lock, so that an
    /// interrupt either removes it or stops its creation; if `create` throws, `path` is
    /// unregistered.
    public func creating<T>(_ path: String, isDirectory: Bool = false, _ create: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        if isDirectory { directories.insert(path) } else { files.insert(path) }
        do {
            return try create()
        } catch {
            if isDirectory { directories.remove(path) } else { files.remove(path) }
            throw error
        }
    }

    /// Removes `path` from those removed on interrupt (it was deleted, renamed or kept on purpose).
    public func unregister(_ path: String) {
        lock.lock()
        files.remove(path)
        directories.remove(path)
        lock.unlock()
    }

    /// The registered paths (for tests).
    public var registered: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return files.union(directories)
    }

    /// Installs the interrupt handling (`Interruption.install()`); kept for older callers.
    public func removeOnInterrupt() {
        Interruption.install()
    }

    /// Removes every registered path and keeps the lock, so no new temporary can be made: for
    /// `Interruption.finish`, just before the process ends.
    func removeAllAndSeal() {
        lock.lock()
        for path in files { unlink(path) }
        for path in directories { try? FileManager.default.removeItem(atPath: path) }
        files.removeAll()
        directories.removeAll()
    }
}
