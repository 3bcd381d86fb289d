import Foundation

/// What library code reports while it works, for its caller to show: library modules never
/// write to standard error themselves (see `RunOptions`).
public enum LogEvent: Sendable, Equatable {
    /// A line of the log (an epoch's summary, a note on the data).
    case line(String)
    /// A progress report: redrawn in place on a terminal, a line of its own elsewhere.
    case progress(String)
    /// The progress display of a phase is over (a live line is cleared).
    case progressDone
}

/// Progress through the batches of an epoch (model training).
///
/// - On a terminal (`live`), a bar redrawn in place at most every half second: batches done of
///   the epoch, mean loss so far, tokens/s and the ETA of the epoch.
/// - Elsewhere (a log file, a pipe), a plain line at each tenth of the epoch's batches, gensim
///   style: `epoch 2/10 batch 400/1250 (32%) loss 0.4123 tokens/s 15234 eta 12s`. With
///   `ProgressMode.auto` a line is skipped when less than `logDelay` seconds (5) passed since the
///   last one (or the epoch's start), so a short epoch prints none and a long one about ten;
///   with `.always` every tenth is printed.
/// - With `.never`, nothing.
///
/// Call from one thread.
public final class BatchProgress {
    private let live: Bool
    private let enabled: Bool
    private let everyTenth: Bool
    private let logDelay: Double
    private let liveInterval: Double
    private let emit: (LogEvent) -> Void
    private let clock: () -> Double
    private var epochStart = 0.0
    private var lastReport = 0.0
    private var drewLive = false
    private var startBatch = 0, startTokens = 0

    /// Progress in `mode`, written as events to `emit`; `terminal` says whether they end up on a
    /// terminal (a live bar) or not (plain lines). `clock` gives seconds (tests replace it).
    public init(mode: ProgressMode, terminal: Bool, logDelay: Double = 5, liveInterval: Double = 0.5,
                clock: @escaping () -> Double = MonotonicClock.now, emit: @escaping (LogEvent) -> Void) {
        enabled = mode != .never
        live = terminal
        everyTenth = mode == .always
        self.logDelay = logDelay
        self.liveInterval = liveInterval
        self.clock = clock
        self.emit = emit
    }

    /// An epoch starts (or resumes) at batch `batch` with `tokens` tokens already done.
    public func startEpoch(batch: Int = 0, tokens: Int = 0) {
        epochStart = clock()
        lastReport = epochStart
        (startBatch, startTokens) = (batch, tokens)
    }

    /// `batch` of `batches` batches of epoch `epoch` of `epochs` are done, `tokens` tokens in
    /// them, with mean loss `loss` so far.
    public func update(epoch: Int, epochs: Int, batch: Int, batches: Int, tokens: Int, loss: Double) {
        guard enabled, batches > 0 else { return }
        let now = clock()
        if live {
            guard now - lastReport >= liveInterval || batch == batches else { return }
        } else {
            // Each tenth of the epoch, not its end (the epoch's own line follows).
            let step = max(1, batches / 10)
            guard batch % step == 0, batch < batches else { return }
            if !everyTenth && now - lastReport < logDelay { return }
        }
        lastReport = now
        let elapsed = max(now - epochStart, 1e-9)
        let rate = Double(tokens - startTokens) / elapsed
        let doneHere = batch - startBatch
        let eta = doneHere > 0 ? elapsed / Double(doneHere) * Double(batches - batch) : 0
        if live {
            emit(.progress(Self.bar(epoch: epoch, epochs: epochs, batch: batch, batches: batches, loss: loss,
                                    tokensPerSecond: rate, eta: eta)))
            drewLive = true
        } else {
            emit(.progress(Self.line(epoch: epoch, epochs: epochs, batch: batch, batches: batches, loss: loss,
                                     tokensPerSecond: rate, eta: eta)))
        }
    }

    /// The epoch's batches are done: a live bar is cleared (before the epoch's line).
    public func endEpoch() {
        if drewLive { emit(.progressDone) }
        drewLive = false
    }

    /// The plain line: `epoch 2/10 batch 400/1250 (32%) loss 0.4123 tokens/s 15234 eta 12s`.
    public static func line(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, eta: Double) -> String {
        String(format: "epoch %d/%d batch %d/%d (%d%%) loss %.4f tokens/s %.0f eta %.0fs", epoch, epochs, batch, batches,
               100 * batch / max(batches, 1), loss, tokensPerSecond, eta)
    }

    /// The live bar: `epoch 2/10 [######..............] 400/1250 32% loss 0.4123 15.2k tokens/s ETA 12.0s`.
    public static func bar(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, eta: Double) -> String {
        let width = 20
        let filled = min(width, width * batch / max(batches, 1))
        return String(format: "epoch %d/%d [%@%@] %d/%d %d%% loss %.4f %@ tokens/s ETA %@", epoch, epochs,
                      String(repeating: "#", count: filled), String(repeating: ".", count: width - filled), batch, batches,
                      100 * batch / max(batches, 1), loss, Format.count(tokensPerSecond), Format.duration(eta))
    }
}
