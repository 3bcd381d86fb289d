import Foundation

/// Collects warnings about the input (recovered parse errors, invalid UTF-8, skipped records)
/// so that a run can go on and still tell the user exactly where each problem was.
///
/// The first `printLimit` warnings go to the log sink as they arrive, each as
/// `warning: file:line:column: message` (on stderr after `stage: ` for a collector made with a
/// stage name); the rest are counted and summarised at the end. Thread-safe.
public final class Diagnostics: @unchecked Sendable {
    /// One recorded warning.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        /// Where the problem is.
        public var location: SourceLocation
        /// What is wrong.
        public var message: String
        /// `file:line:column: message`.
        public var description: String { "\(location): \(message)" }
    }

    /// How many warnings are printed before the rest are only counted.
    public let printLimit: Int
    private let log: LogSink?
    private let lock = NSLock()
    private var stored: [Warning] = []
    private var total = 0

    /// Creates a collector. With `echo` false nothing is printed (tests read `warnings`).
    public convenience init(stage: String, printLimit: Int = 20, echo: Bool = true) {
        self.init(log: echo ? StandardError.log(stage: stage) : nil, printLimit: printLimit)
    }

    /// A collector whose first `printLimit` warnings go to `log` (nil: none; tests read `warnings`).
    public init(log: LogSink?, printLimit: Int = 20) {
        self.log = log
        self.printLimit = printLimit
    }

    /// Records a warning at `location`.
    public func warn(_ message: String, at location: SourceLocation) {
        let warning = Warning(location: location, message: message)
        lock.lock()
        total += 1
        let shouldPrint = total <= printLimit, lastPrinted = total == printLimit
        if stored.count < 10_000 { stored.append(warning) }
        lock.unlock()
        if let log, shouldPrint {
            log(.line("warning: \(warning)"))
            if lastPrinted { log(.line("further warnings are counted but not printed")) }
        }
    }

    /// The warnings recorded so far (at most 10,000 are kept).
    public var warnings: [Warning] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// How many warnings were recorded, including those not kept.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}

/// Unbuffered writes to standard error.
public enum StandardError {
    /// Writes `text` to standard error at once.
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Whether standard error is a terminal.
    public static var isTerminal: Bool { isatty(2) != 0 }
}
