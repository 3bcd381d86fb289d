import Foundation

/// Where library code sends what it reports (`LogEvent`s): the caller decides how to show them
/// (the CLI writes them to stderr after the stage's name, see `StandardError.log(stage:)`).
public typealias LogSink = @Sendable (LogEvent) -> Void

/// Settings of one run that do not change its output, passed from the caller into library code:
/// worker threads, when to show progress, and where the log goes. Library modules write nothing
/// to stderr themselves and do not know the command or stage they run under.
public struct RunOptions: Sendable {
    /// Worker threads (at least 1).
    public var threads: Int
    /// When to show progress.
    public var progress: ProgressMode
    /// Whether the log ends up on a terminal (progress is then redrawn in place).
    public var terminal: Bool
    /// Receives log lines and progress reports.
    public var log: LogSink
    /// Seconds between progress lines when the log is not a terminal (`auto`), as gensim's
    /// `report_delay` (a terminal gets a line redrawn in place instead).
    public var logEvery: Double

    /// Creates options; `threads` defaults to the number of cores; without `log`, nothing is shown.
    public init(threads: Int? = nil, progress: ProgressMode = .auto, terminal: Bool = false, logEvery: Double = 10,
                log: @escaping LogSink = { _ in }) {
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.progress = progress
        self.terminal = terminal
        self.logEvery = logEvery > 0 ? logEvery : 10
        self.log = log
    }
}

extension StandardError {
    /// A sink that writes each event to stderr after `stage: `: lines as they are, progress
    /// reports redrawn in place on a terminal (and cleared when done), on lines of their own
    /// elsewhere. For the CLI and the pipeline runner, not for library code.
    public static func log(stage: String) -> LogSink {
        let terminal = isTerminal
        return { event in
            switch event {
            case .line(let text): write("\(stage): \(text)\n")
            case .progress(let text): write(terminal ? "\r\u{1B}[K\(stage): \(text)" : "\(stage): \(text)\n")
            case .progressDone: if terminal { write("\r\u{1B}[K") }
            }
        }
    }
}

/// Keeps the lines of a log (for a report's notes, or to hand them on later), thread-safely.
public final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    public init() {}

    /// A sink that keeps each `.line` and passes every event on to `next`, if given.
    public func sink(forwardingTo next: LogSink? = nil) -> LogSink {
        { [self] event in
            if case .line(let text) = event {
                lock.lock()
                stored.append(text)
                lock.unlock()
            }
            next?(event)
        }
    }

    /// The lines kept so far.
    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// Removes and returns the lines kept so far.
    public func take() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        let taken = stored
        stored.removeAll()
        return taken
    }
}
