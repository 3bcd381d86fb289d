import Foundation
import Testing
import WordPipeSupport

/// Progress inside an epoch (issue 14): plain lines at each tenth of the epoch without a
/// terminal, a redrawn bar on one, nothing with `never`.
@Suite struct BatchProgressTests {
    /// Runs `batches` batches of 100 tokens each, one second apart on a fake clock.
    static func events(mode: ProgressMode, terminal: Bool, batches: Int, secondsPerBatch: Double = 1) -> [LogEvent] {
        var now = 0.0
        var events: [LogEvent] = []
        let progress = BatchProgress(mode: mode, terminal: terminal, clock: { now }, emit: { events.append($0) })
        progress.startEpoch()
        for batch in 1...batches {
            now += secondsPerBatch
            progress.update(epoch: 2, epochs: 10, batch: batch, batches: batches, tokens: 100 * batch, loss: 0.5 / Double(batch))
        }
        progress.endEpoch()
        return events
    }

    @Test func withoutATerminalALineAtEachTenthOfTheEpoch() {
        let events = Self.events(mode: .always, terminal: false, batches: 1250)
        let lines = events.compactMap { event -> String? in if case .progress(let text) = event { return text } else { return nil } }
        // Batches 125, 250, ..., 1125: nine lines, none at the end (the epoch line follows).
        #expect(lines.count == 9, "\(lines)")
        #expect(lines.first == "epoch 2/10 batch 125/1250 (10%) loss 0.0040 tokens/s 100 eta 1125s")
        #expect(lines.last == "epoch 2/10 batch 1125/1250 (90%) loss 0.0004 tokens/s 100 eta 125s")
        for line in lines {
            #expect(line.wholeMatch(of: /epoch \d+\/\d+ batch \d+\/\d+ \(\d+%\) loss \d+\.\d{4} tokens\/s \d+ eta \d+s/) != nil, "\(line)")
        }
        #expect(!events.contains(.progressDone))
    }

    /// `auto` without a terminal leaves out lines less than 5 s after the last: a short epoch
    /// prints none, a long one its tenths.
    @Test func autoSkipsLinesOfAShortEpoch() {
        #expect(Self.events(mode: .auto, terminal: false, batches: 50, secondsPerBatch: 0.01).isEmpty)
        #expect(Self.events(mode: .auto, terminal: false, batches: 50, secondsPerBatch: 1).count == 9)
        // A tiny epoch (fewer than 10 batches) reports every batch but the last, when slow.
        #expect(Self.events(mode: .always, terminal: false, batches: 3).count == 2)
    }

    @Test func onATerminalABarRedrawnAndCleared() {
        let events = Self.events(mode: .auto, terminal: true, batches: 20, secondsPerBatch: 0.2)
        let bars = events.compactMap { event -> String? in if case .progress(let text) = event { return text } else { return nil } }
        // At most every half second, and the last batch.
        #expect(bars.count == 7, "\(bars)")
        #expect(bars.last?.hasPrefix("epoch 2/10 [####################] 20/20 100% loss ") == true, "\(bars)")
        #expect(events.last == .progressDone)
    }

    @Test func neverShowsNothing() {
        #expect(Self.events(mode: .never, terminal: true, batches: 100).isEmpty)
        #expect(Self.events(mode: .never, terminal: false, batches: 100).isEmpty)
    }
}
