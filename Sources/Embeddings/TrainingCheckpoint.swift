import EmbeddingKernels
import Foundation
import WordPipeSupport

/// The checks a checkpoint's `state.json` passes before training resumes from it: every field
/// against the corpus, the vocabulary and the settings of the run, so that a damaged or
/// foreign checkpoint is an error naming the file and the field, never an out-of-range index
/// or a division by zero in the workers.
extension CheckpointState {
    /// Throws `EmbeddingError.badCheckpoint` at `file` naming the first field that is out of range.
    /// `expected` are the worker ranges this corpus and thread count give; `totalWords` the
    /// corpus words per epoch.
    func check(file: String, expected: [WorkerState], totalWords: Int64, configuration: TrainingConfiguration) throws {
        func fail(_ field: String, _ message: String) -> EmbeddingError {
            .badCheckpoint(location: SourceLocation(path: file), message: "field '\(field)' \(message)")
        }
        guard kind == "wordpipe.training-checkpoint" else { throw fail("kind", "is '\(kind)', not 'wordpipe.training-checkpoint'") }
        guard version == 1 else { throw fail("version", "is \(version); this wordpipe reads version 1") }
        guard workers.count == threads else {
            throw fail("workers", "lists \(workers.count) workers, but 'threads' is \(threads)")
        }
        guard workers.count == expected.count else {
            throw fail("workers", "lists \(workers.count) workers; this run has \(expected.count) threads")
        }
        guard (0...configuration.epochs).contains(epoch) else {
            throw fail("epoch", "is \(epoch), outside 0...\(configuration.epochs) (the epochs of the run)")
        }
        guard epochLosses.count == epoch else {
            throw fail("epochLosses", "holds \(epochLosses.count) losses for \(epoch) finished epochs")
        }
        if let index = epochLosses.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw fail("epochLosses[\(index)]", "is \(epochLosses[index]), not a loss (a finite number >= 0)")
        }
        let (allWords, overflow) = totalWords.multipliedReportingOverflow(by: Int64(configuration.epochs))
        let total = overflow ? Int64.max : allWords
        guard wordsDone >= 0 && wordsDone <= total else {
            throw fail("wordsDone", "is \(wordsDone), outside 0...\(total) (the corpus's \(totalWords) words × \(configuration.epochs) epochs)")
        }
        // A word makes at most 2 × window contexts (skip-gram), each at most max(negative + 1,
        // the longest Huffman code) predictions: a bound on a worker's predictions in an epoch,
        // which keeps their sums far from overflowing.
        let perWord = Int64(2 * configuration.window * max(configuration.negative + 1, Int(WP_MAX_CODE_LENGTH)))
        let (predictionBound, predictionOverflow) = totalWords.multipliedReportingOverflow(by: perWord)
        let maximumPredictions = predictionOverflow ? Int64.max / Int64(max(1, expected.count)) : predictionBound
        let low = Float(min(configuration.minAlpha, configuration.alpha))
        let high = Float(max(configuration.minAlpha, configuration.alpha))
        var pending: Int64 = 0
        for (index, (worker, fresh)) in zip(workers, expected).enumerated() {
            let name = "workers[\(index)]"
            guard worker.first == fresh.first && worker.end == fresh.end else {
                throw fail("\(name).first/end", "is \(worker.first)..<\(worker.end), but this corpus and \(expected.count) threads give worker \(index) the pieces \(fresh.first)..<\(fresh.end) (a worker out of place, repeated or from another corpus)")
            }
            guard worker.next >= worker.first && worker.next <= worker.end else {
                throw fail("\(name).next", "is \(worker.next), outside the worker's pieces \(worker.first)...\(worker.end) (a position past the corpus end)")
            }
            // Words read but not yet added to wordsDone carry over epoch ends (the trainer adds
            // them every 10,000 words), so a worker may hold up to the whole run's words.
            guard worker.pending >= 0 && worker.pending <= total else {
                throw fail("\(name).pending", "is \(worker.pending), outside 0...\(total) (the run's words)")
            }
            guard worker.predictions >= 0 && worker.predictions <= maximumPredictions else {
                throw fail("\(name).predictions", "is \(worker.predictions), outside 0...\(maximumPredictions) (the most an epoch of this corpus makes)")
            }
            guard worker.loss.isFinite && worker.loss >= 0 else {
                throw fail("\(name).loss", "is \(worker.loss), not a loss sum (a finite number >= 0)")
            }
            guard worker.alpha.isFinite && worker.alpha >= low && worker.alpha <= high else {
                throw fail("\(name).alpha", "is \(worker.alpha), outside the learning rates of the run, \(low)...\(high)")
            }
            pending += worker.pending
        }
        guard pending <= total - wordsDone else {
            throw fail("workers[].pending", "adds \(pending) words to 'wordsDone' \(wordsDone), more than the \(total) of the run")
        }
    }
}
