import Corpora
import Foundation
import WordPipeSupport

/// What a tokenize run did.
public struct TokenizeSummary: Sendable, Equatable {
    /// Documents, sentences (output lines) and tokens.
    public var counts = TokenCounts()
    /// Input bytes read (compressed size for compressed inputs).
    public var inputBytes: Int64 = 0
    /// Ill-formed UTF-8 sequences replaced by U+FFFD.
    public var invalidSequences = 0
    /// Warnings reported (recovered parse errors, skipped records).
    public var warnings = 0
    /// Wall-clock seconds.
    public var seconds = 0.0

    /// The one-line summary printed at the end of a run.
    public var line: String {
        var text = "\(counts.documents) documents, \(counts.sentences) sentences, \(counts.tokens) tokens"
        text += ", \(invalidSequences) invalid UTF-8 sequences"
        if warnings > 0 { text += ", \(warnings) warnings" }
        text += String(format: ", %.2f s (%@/s, %@ tokens/s)", seconds,
                       Format.bytes(Double(inputBytes) / max(seconds, 1e-9)),
                       Format.count(Double(counts.tokens) / max(seconds, 1e-9)))
        return text
    }
}

/// The file written beside a tokenized corpus: the configuration it was made with.
public struct TokenizedCorpusInfo: Codable, Sendable, Equatable {
    /// Identifies the file kind.
    public var kind = "wordpipe.tokenized-corpus"
    /// The format version of this file.
    public var version = 1
    /// The stage configuration (reader and tokenizer).
    public var configuration: TokenizeConfiguration
    /// The ICU version that segmented the text.
    public var icuVersion: String

    /// The side-file path for a corpus at `path`: `FILE.json`, the one rule for every side
    /// file (a vocabulary's is `vocab.tsv.json` too); each names its kind inside.
    public static func path(for corpus: String) -> String { corpus + ".json" }

    /// The name side files of tokenized corpora had before (`FILE.tokenizer.json`), still read.
    public static func legacyPath(for corpus: String) -> String { corpus + ".tokenizer.json" }

    /// The side file of the corpus at `corpus` that exists: `FILE.json`, else the older
    /// `FILE.tokenizer.json`; nil when there is none.
    public static func existingPath(for corpus: String) -> String? {
        [path(for: corpus), legacyPath(for: corpus)].first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Reads the side file of the corpus at `corpus`, or nil when there is none.
    public static func load(for corpus: String) throws -> TokenizedCorpusInfo? {
        guard let path = existingPath(for: corpus) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(TokenizedCorpusInfo.self, from: data)
    }
}

/// Tokenizes a whole corpus: reads every input, fans documents out to worker threads, and
/// writes the tokens in input order, whatever the thread count.
///
/// Output is one sentence (or document) per line, tokens separated by one space: the input
/// format of word2vec, fastText and gensim. Memory stays bounded: documents travel in batches
/// of about 1 MB, and at most `2 × threads + 2` batches are in flight.
public enum CorpusTokenizer {
    /// Tokenizes `inputs` into `output` (a path, or nil for standard output). When writing a
    /// file, the configuration is saved beside it (`OUTPUT.json`); both files appear
    /// only when complete.
    public static func run(inputs: [String], output: String?, configuration: TokenizeConfiguration,
                           options: RunOptions = RunOptions(), diagnostics: Diagnostics) throws -> TokenizeSummary {
        let clock = MonotonicClock.now()
        // Fail on a bad configuration before touching any output.
        _ = try Tokenizer(configuration: configuration.tokenizer)
        let reader = try CorpusReader(inputs: inputs, configuration: configuration.reader, diagnostics: diagnostics)
        var lastFormat: InputFormat?
        let announceAll = reader.files.count <= 20
        reader.onFormatDetected = { path, format in
            if announceAll || format != lastFormat {
                options.log(.line("\(path): reading as \(format.rawValue) (auto-detected)"))
            }
            lastFormat = format
        }
        let file = try OutputFile(path: output)
        let progress = ProgressLine(options: options)
        let joinPieces = !configuration.tokenizer.sentences
        var writer = OrderedWriter(file: file, joinPieces: joinPieces)
        var counts = TokenCounts()
        let report: (Int64) -> Void = { tokens in
            progress.update(bytes: reader.consumedBytes, totalBytes: reader.totalBytes, items: tokens, itemName: "tokens")
        }
        if options.threads == 1 {
            let tokenizer = try Tokenizer(configuration: configuration.tokenizer)
            while let batch = try Batch.read(from: reader) {
                try Interruption.check()
                let result = try batch.tokenize(with: tokenizer, joinPieces: joinPieces)
                try writer.write(result)
                counts += result.counts
                report(Int64(counts.tokens))
            }
        } else {
            counts = try runParallel(reader: reader, configuration: configuration.tokenizer, threads: options.threads,
                                     joinPieces: joinPieces, writer: &writer, report: report)
        }
        try writer.finish()
        try file.commit()
        if let output, output != "-" {
            let info = TokenizedCorpusInfo(configuration: configuration, icuVersion: icuVersion)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.writeAtomically(try encoder.encode(info), to: TokenizedCorpusInfo.path(for: output))
        }
        progress.finish()
        for (path, invalid) in reader.report.invalidText {
            options.log(.line("\(path):\(invalid.firstLine): \(invalid.count) invalid UTF-8 sequences replaced by U+FFFD (first on this line)"))
        }
        var summary = TokenizeSummary()
        summary.counts = counts
        summary.inputBytes = reader.consumedBytes
        summary.invalidSequences = reader.report.invalidSequences
        summary.warnings = diagnostics.count
        summary.seconds = MonotonicClock.now() - clock
        return summary
    }

    /// Reader on the calling thread, `threads` tokenizer workers, writer on the calling thread.
    private static func runParallel(reader: CorpusReader, configuration: TokenizerConfiguration, threads: Int,
                                    joinPieces: Bool, writer: inout OrderedWriter,
                                    report: (Int64) -> Void) throws -> TokenCounts {
        let queue = WorkQueue(capacity: 2 * threads + 2)
        for _ in 0..<threads {
            let thread = Thread {
                do {
                    let tokenizer = try Tokenizer(configuration: configuration)
                    while let (sequence, batch) = queue.take() {
                        if Interruption.requested { break }
                        queue.deliver(sequence, Result { try batch.tokenize(with: tokenizer, joinPieces: joinPieces) })
                    }
                } catch {
                    queue.fail(error)
                }
                queue.workerExited()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        var counts = TokenCounts()
        var submitted = 0
        var written = 0
        var readError: Error?
        // No worker outlives the run (an interrupt ends the process once this returns).
        defer {
            queue.close()
            queue.waitForExits(threads)
        }
        do {
            while let batch = try Batch.read(from: reader) {
                // A batch (about 1 MB) is the boundary where an interrupt stops the run; the
                // workers finish the batch in hand and exit when the queue closes.
                try Interruption.check()
                // Write whatever is ready while the queue is full, so memory stays bounded.
                while !queue.offer(submitted, batch) {
                    let result = try queue.result(for: written).get()
                    try writer.write(result)
                    counts += result.counts
                    written += 1
                    report(Int64(counts.tokens))
                }
                submitted += 1
            }
        } catch {
            readError = error
        }
        queue.close()
        if let readError { throw readError }
        while written < submitted {
            try Interruption.check()
            let result = try queue.result(for: written).get()
            try writer.write(result)
            counts += result.counts
            written += 1
            report(Int64(counts.tokens))
        }
        return counts
    }
}

/// Documents handed to one worker at a time.
struct Batch: Sendable {
    var documents: [Document] = []

    static let targetBytes = 1 << 20
    static let maximumDocuments = 4096

    /// Reads up to about 1 MB of documents; nil at the end of the corpus.
    static func read(from reader: CorpusReader) throws -> Batch? {
        var batch = Batch()
        var bytes = 0
        while bytes < targetBytes && batch.documents.count < maximumDocuments, let document = try reader.next() {
            bytes += document.text.utf8.count
            batch.documents.append(document)
        }
        return batch.documents.isEmpty ? nil : batch
    }

    /// Tokenizes every document.
    func tokenize(with tokenizer: Tokenizer, joinPieces: Bool) throws -> TokenizedBatch {
        var result = TokenizedBatch()
        result.bytes.reserveCapacity(Batch.targetBytes + Batch.targetBytes / 4)
        let before = tokenizer.counts
        for document in documents {
            try tokenizer.tokenize(document.text, into: &result.bytes, terminate: !joinPieces)
            if joinPieces { result.pieces.append(.init(end: result.bytes.count, continues: document.continues)) }
        }
        let after = tokenizer.counts
        result.counts = TokenCounts()
        result.counts.documents = after.documents - before.documents
        result.counts.sentences = after.sentences - before.sentences
        result.counts.tokens = after.tokens - before.tokens
        return result
    }
}

/// The tokens of one batch as UTF-8 bytes.
struct TokenizedBatch: Sendable {
    /// Where one document's tokens end, when documents are lines (no sentence breaking).
    struct Piece: Sendable {
        var end: Int
        var continues: Bool
    }

    var bytes: [UInt8] = []
    var pieces: [Piece] = []
    var counts = TokenCounts()
}

/// Writes batches in order. Without sentence breaking, each document is one line, and the
/// pieces of a cut long line are joined back into one line with a space.
struct OrderedWriter {
    let file: OutputFile
    let joinPieces: Bool
    private var lineOpen = false

    init(file: OutputFile, joinPieces: Bool) {
        self.file = file
        self.joinPieces = joinPieces
    }

    mutating func write(_ batch: TokenizedBatch) throws {
        guard joinPieces else {
            try file.write(batch.bytes)
            return
        }
        var start = 0
        for piece in batch.pieces {
            if piece.end > start {
                if lineOpen { try file.write(CollectionOfOne(0x20)) }
                try file.write(batch.bytes[start..<piece.end])
                lineOpen = true
            }
            if !piece.continues && lineOpen {
                try file.write(CollectionOfOne(0x0A))
                lineOpen = false
            }
            start = piece.end
        }
    }

    mutating func finish() throws {
        if lineOpen { try file.write(CollectionOfOne(0x0A)) }
        lineOpen = false
    }
}

/// A bounded queue of numbered batches and the map of their results.
final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var pending: [(Int, Batch)] = []
    private var results: [Int: Result<TokenizedBatch, Error>] = [:]
    private var inFlight = 0
    private var closed = false
    private var failure: Error?
    private var workers = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a batch unless `capacity` batches are queued or unwritten; returns false if full.
    func offer(_ sequence: Int, _ batch: Batch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if inFlight >= capacity { return false }
        pending.append((sequence, batch))
        inFlight += 1
        condition.broadcast()
        return true
    }

    /// The next batch for a worker; nil once closed and drained.
    func take() -> (Int, Batch)? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !closed { condition.wait() }
        if pending.isEmpty { return nil }
        return pending.removeFirst()
    }

    func deliver(_ sequence: Int, _ result: Result<TokenizedBatch, Error>) {
        condition.lock()
        results[sequence] = result
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    func workerExited() {
        condition.lock()
        workers += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the result of batch `sequence` and removes it.
    func result(for sequence: Int) -> Result<TokenizedBatch, Error> {
        condition.lock()
        defer { condition.unlock() }
        while results[sequence] == nil {
            if let failure { return .failure(failure) }
            condition.wait()
        }
        inFlight -= 1
        condition.broadcast()
        return results.removeValue(forKey: sequence)!
    }

    /// Waits until `count` workers have called `workerExited`.
    func waitForExits(_ count: Int) {
        condition.lock()
        while workers < count { condition.wait() }
        condition.unlock()
    }

    /// No more batches will be offered; workers drain the queue and exit.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
