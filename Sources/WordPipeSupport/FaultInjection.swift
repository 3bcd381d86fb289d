import Foundation

/// A test hook that kills the process at a named point, so that tests can check what an
/// interruption at that exact moment leaves behind (as SQLite's test hooks and DVC's tests do).
///
/// `WORDPIPE_FAULT=NAME` sends SIGKILL to the process the first time `reach("NAME")` runs;
/// `WORDPIPE_FAULT=NAME:N` on the N-th time; `WORDPIPE_FAULT=NAME@FILE[:N]` counts only the
/// times the point concerns a file named FILE (`output-rename@wordpipe.lock`). The variable is
/// read once; when it is unset, `reach` returns after one load of a cached value. Points in use:
/// - `stage-start`: a pipeline stage made its temporary directory and has written nothing;
/// - `output-write`: an `OutputFile` wrote a block to its temporary file;
/// - `output-rename`: an `OutputFile` is complete and synced, not yet renamed into place;
/// - `stage-rename`: a stage finished, its lock entry is removed, its old directory is
///   removed and the new one is not yet renamed into place.
public enum FaultInjection {
    /// The armed point, or nil (the usual case).
    private static let armed: Point? = Point(ProcessInfo.processInfo.environment["WORDPIPE_FAULT"])

    /// Kills the process with SIGKILL when `name` is the armed point (and `file`, a path, has
    /// the armed file name, if one is armed) and its count is reached.
    @inline(__always)
    public static func reach(_ name: StaticString, file: String? = nil) {
        guard let armed else { return }
        armed.reach(name, file: file)
    }

    private final class Point: @unchecked Sendable {
        let name: String
        let file: String?
        let count: Int
        private var seen = 0
        private let lock = NSLock()

        /// `NAME[@FILE][:COUNT]` (COUNT ≥ 1); anything else arms nothing.
        init?(_ value: String?) {
            guard let value, !value.isEmpty else { return nil }
            let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let target = parts[0].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            name = String(target[0])
            file = target.count == 2 ? String(target[1]) : nil
            if parts.count == 2 {
                guard let count = Int(parts[1]), count >= 1 else { return nil }
                self.count = count
            } else {
                count = 1
            }
        }

        func reach(_ point: StaticString, file path: String?) {
            guard point.description == name else { return }
            if let file {
                guard let path, path.split(separator: "/").last.map(String.init) == file else { return }
            }
            lock.lock()
            seen += 1
            let fire = seen == count
            lock.unlock()
            guard fire else { return }
            let message = "wordpipe: fault injection: SIGKILL at \(name)\(file.map { "@" + $0 } ?? ""):\(count)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            kill(getpid(), SIGKILL)
            while true { pause() }
        }
    }
}
