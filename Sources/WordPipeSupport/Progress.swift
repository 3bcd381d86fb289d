import Foundation

/// When to draw a progress line on standard error.
public enum ProgressMode: String, Codable, Sendable, CaseIterable {
    /// A line redrawn in place on a terminal; elsewhere (a log file, a pipe) a plain line every
    /// `RunOptions.logEvery` seconds (10 by default), gensim-style.
    case auto
    /// Always, even into a file or pipe.
    case always
    /// Never.
    case never

    /// Whether this mode draws a progress line in the current process.
    public var isEnabled: Bool {
        switch self {
        case .auto: return StandardError.isTerminal
        case .always: return true
        case .never: return false
        }
    }
}

/// A one-line progress display: bytes/s, items/s, percentage of the input and ETA.
///
/// Redraws at most every `interval` seconds, as `LogEvent.progress` events into a log sink
/// (`RunOptions.log`): the sink redraws them in place on a terminal, or writes each on a line
/// of its own. Call from one thread.
public final class ProgressLine {
    private let label: String?
    private let enabled: Bool
    private let terminal: Bool
    private let interval: Double
    private let log: LogSink
    private let start = MonotonicClock.now()
    private var lastDraw = 0.0
    private var drewSomething = false

    /// A progress line drawn when `options.progress` allows into `options.log`, each report
    /// after `label: ` when a label is given: every `interval` seconds on a terminal (or with
    /// `always`), every `options.logEvery` seconds elsewhere with `auto`.
    public init(options: RunOptions, label: String? = nil, interval: Double = 0.5) {
        self.label = label
        enabled = options.progress != .never
        terminal = options.terminal
        log = options.log
        self.interval = options.progress == .auto && !options.terminal ? options.logEvery : interval
    }

    /// A progress line for `stage`, drawn on stderr when `mode` allows (for callers outside
    /// the library modules).
    public convenience init(stage: String, mode: ProgressMode, interval: Double = 0.5) {
        self.init(options: RunOptions(threads: 1, progress: mode, terminal: StandardError.isTerminal, log: StandardError.log(stage: stage)),
                  interval: interval)
    }

    /// Seconds since the line was created.
    public var elapsed: Double { MonotonicClock.now() - start }

    /// Redraws if due. `totalBytes` of 0 means unknown (no percentage or ETA).
    public func update(bytes: Int64, totalBytes: Int64, items: Int64, itemName: String) {
        guard enabled else { return }
        let now = MonotonicClock.now() - start
        guard now - lastDraw >= interval else { return }
        lastDraw = now
        let seconds = max(now, 1e-9)
        var line = "\(Format.bytes(Double(bytes) / seconds))/s, \(Format.count(Double(items) / seconds)) \(itemName)/s"
        if totalBytes > 0 {
            let fraction = min(1, Double(bytes) / Double(totalBytes))
            line += String(format: ", %.1f%%", fraction * 100)
            if fraction > 0.001 {
                line += ", ETA \(Format.duration(seconds * (1 - fraction) / fraction))"
            }
        }
        emit(line)
    }

    /// Draws `text()` if due (the closure is only evaluated when a line is drawn).
    public func draw(_ text: () -> String) {
        guard enabled else { return }
        let now = MonotonicClock.now() - start
        guard now - lastDraw >= interval else { return }
        lastDraw = now
        emit(text())
    }

    private func emit(_ line: String) {
        log(.progress(label.map { "\($0): " + line } ?? line))
        drewSomething = true
    }

    /// Clears the line (on a terminal) before the final summary is printed.
    public func finish() {
        if enabled && terminal && drewSomething { log(.progressDone) }
    }
}

/// A monotonic clock in seconds.
public enum MonotonicClock {
    /// Seconds since an arbitrary fixed point.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Human-readable numbers for progress lines and summaries.
public enum Format {
    /// `12.3 MB`, `456 kB`, `789 B` (decimal units).
    public static func bytes(_ value: Double) -> String {
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.0f kB", value / 1e3) }
        return String(format: "%.0f B", value)
    }

    /// `3.45M`, `12.3k`, `999`.
    public static func count(_ value: Double) -> String {
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1fk", value / 1e3) }
        return String(format: "%.0f", value)
    }

    /// `1h02m`, `3m05s`, `4.2s`.
    public static func duration(_ seconds: Double) -> String {
        if seconds >= 3600 { return String(format: "%dh%02dm", Int(seconds) / 3600, (Int(seconds) % 3600) / 60) }
        if seconds >= 60 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%.1fs", seconds)
    }
}
