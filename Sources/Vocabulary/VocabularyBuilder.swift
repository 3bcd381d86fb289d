import Corpora
import Foundation
import Tokenization
import WordPipeSupport

/// What a vocabulary build found.
public struct VocabularySummary: Sendable, Equatable {
    /// Corpus tokens counted.
    public var tokens: Int64 = 0
    /// Corpus lines (sentences).
    public var lines: Int64 = 0
    /// Distinct types seen (those held at the end when pruning was needed).
    public var typesSeen: Int64 = 0
    /// Types kept in the vocabulary (specials excluded).
    public var typesKept: Int = 0
    /// Types dropped by the in-memory bound.
    public var typesPruned: Int64 = 0
    /// The share of corpus tokens that are kept types.
    public var coverage: Double = 0
    /// Ill-formed UTF-8 per file, in input order (each sequence replaced by U+FFFD in its word).
    public var invalidText: [InvalidUTF8] = []
    /// Wall-clock seconds.
    public var seconds: Double = 0

    /// The one-line summary printed at the end of a run.
    public var line: String {
        var text = "\(typesSeen) types seen, \(typesKept) kept, \(tokens) tokens"
        text += String(format: ", %.2f%% of tokens covered", coverage * 100)
        if typesPruned > 0 { text += ", \(typesPruned) types pruned by the memory bound (counts may be lower than exact)" }
        if let first = invalidText.first {
            text += ", \(invalidText.reduce(Int64(0)) { $0 + $1.sequences }) invalid UTF-8 sequences replaced by U+FFFD (first at \(first.path):\(first.firstLine))"
        }
        text += String(format: ", %.2f s (%@ tokens/s)", seconds, Format.count(Double(tokens) / max(seconds, 1e-9)))
        return text
    }
}

/// Counts the tokens of a tokenized corpus (one sentence per line, tokens separated by spaces)
/// and builds a vocabulary, as word2vec's `LearnVocabFromTrainFile` and gensim's
/// `build_vocab` do.
///
/// The corpus is read in chunks of about 4 MB cut after a space or line end (so a 100 MB
/// one-line corpus is no problem), counted by `threads` workers into their own tables, and the
/// tables are merged. Plain files are cut into byte ranges that the workers read themselves;
/// compressed files and standard input are decompressed by the calling thread into a few
/// reused buffers (`ChunkStreamReader`) while the workers count. Without a memory bound,
/// counts are exact and the result does not depend on the thread count.
///
/// Text that is not clean UTF-8 is handled as `tokenize` handles it: each ill-formed sequence
/// becomes U+FFFD in its word, and the summary counts them per file with the first line where
/// one occurred (`VocabularySummary.invalidText`). A NUL byte is an error naming its line: a
/// tokenized corpus never holds one (`tokenize` refuses binary input), so the file is binary
/// data or UTF-16 text. The check costs nothing per token: the count table checks each key once.
public enum VocabularyBuilder {
    static let chunkSize = 4 << 20

    /// Counts `inputs` (plain, `.gz` or `.bz2`; `-` for stdin) and builds the vocabulary.
    public static func build(inputs: [String], configuration: VocabularyConfiguration, threads: Int = 1) throws -> (Vocabulary, VocabularySummary) {
        try build(inputs: inputs, configuration: configuration, options: RunOptions(threads: threads, progress: .never))
    }

    /// `build` with `options`' threads; its progress goes to its log.
    public static func build(inputs: [String], configuration: VocabularyConfiguration, options: RunOptions) throws -> (Vocabulary, VocabularySummary) {
        let threads = options.threads
        try configuration.validate()
        let clock = MonotonicClock.now()
        let files = try CorpusReader.expand(inputs)
        let totalBytes = files.reduce(Int64(0)) { total, path in
            guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return total }
            return total + ((attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
        let progress = ProgressLine(options: options)
        var summary = VocabularySummary()
        let workers = max(1, threads)
        // Per-thread bound: the tables are merged later, and the merge is bounded again.
        let bound = configuration.maxTypesInMemory.map { Int64(max(1000, $0 / workers)) }
        let log = TextIssueLog()
        let counters = try (0..<workers).map { _ in try Counter(bound: bound, log: log) }
        // Plain files are cut into byte ranges at separators and read by the workers
        // themselves; compressed files and stdin are streamed by this thread to the workers.
        var pieces: [FilePiece] = []
        var streamed: [(path: String, file: Int)] = []
        for (file, path) in files.enumerated() {
            if let filePieces = try FilePiece.split(path, file: file, into: workers * 4) { pieces += filePieces } else { streamed.append((path, file)) }
        }
        let pieceQueue = PieceQueue(pieces)
        // Streamed input goes through a few reused buffers: one per counter, one being filled,
        // one spare to copy the unfinished token into, and one queued.
        let pool = ChunkPool(count: streamed.isEmpty ? 0 : workers + 3,
                             byteCount: ChunkStreamReader.bufferSize(chunkSize: chunkSize))
        let queue = BoundedQueue<StreamChunk>(capacity: workers + 3)
        let group = DispatchGroup()
        for counter in counters {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    // Each chunk (4 MB at most) is a boundary where an interrupt stops the worker.
                    while let piece = pieceQueue.next() {
                        try piece.read { chunk, offset in
                            try Interruption.check()
                            try counter.count(chunk, place: ChunkPlace(file: piece.file, order: offset))
                        }
                    }
                    while let chunk = queue.take() {
                        try Interruption.check()
                        try counter.count(UnsafeRawBufferPointer(rebasing: pool.buffers[chunk.index][chunk.start..<chunk.end]),
                                          place: ChunkPlace(file: chunk.file, order: chunk.sequence))
                        pool.give(chunk.index)
                    }
                } catch {
                    queue.fail(error)
                    pool.close()
                }
            }
        }
        var consumed: Int64 = 0
        var readError: Error?
        do {
            let reader = ChunkStreamReader(pool: pool, queue: queue, chunkSize: chunkSize)
            for (path, file) in streamed {
                let source = try ByteSource(path: path)
                defer { source.close() }
                let going = try reader.stream(source, file: file) {
                    progress.update(bytes: consumed + source.consumedBytes + pieceQueue.bytesDone, totalBytes: totalBytes,
                                    items: counters.reduce(0) { $0 + $1.tokensSoFar }, itemName: "tokens")
                }
                guard going else { break }
                consumed += source.size
            }
        } catch {
            readError = error
        }
        queue.close()
        while group.wait(timeout: .now() + 0.5) == .timedOut {
            progress.update(bytes: consumed + pieceQueue.bytesDone, totalBytes: totalBytes,
                            items: counters.reduce(0) { $0 + $1.tokensSoFar }, itemName: "tokens")
        }
        progress.finish()
        try Interruption.check()
        if let readError { throw readError }
        if let failure = queue.failure { throw failure }
        let findings = log.findings(paths: files)
        if let location = findings.firstNUL {
            throw VocabularyError.malformed(
                location: location,
                message: "a NUL byte in a token: this is binary data or UTF-16 text, not a tokenized corpus (tokenize it first)")
        }
        summary.invalidText = findings.invalid

        // Merge into the first table.
        let merged = counters[0]
        for counter in counters.dropFirst() { try merged.absorb(counter, bound: configuration.maxTypesInMemory.map(Int64.init)) }
        summary.tokens = merged.tokens
        summary.lines = merged.lines
        summary.typesSeen = merged.table.size
        summary.typesPruned = merged.pruned
        guard summary.tokens > 0 else { throw VocabularyError.emptyCorpus(inputs: inputs) }

        let minimum = Int64(configuration.minCount)
        var entries: [(word: String, count: Int64)]
        if let sorted = try merged.table.sortedEntries(minimum: minimum) {
            entries = sorted
        } else {
            // Some key is not valid UTF-8: merge the keys that decode to the same word, then sort.
            entries = deduplicated(merged.table.entries(minimum: minimum))
            entries.sort(by: Vocabulary.precedes)
        }
        if entries.isEmpty {
            let top = merged.table.mostFrequent()
            throw VocabularyError.nothingKept(minCount: configuration.minCount, mostFrequent: top?.word, count: top?.count ?? 0)
        }
        if let maxSize = configuration.maxSize, entries.count > maxSize { entries.removeLast(entries.count - maxSize) }
        let specials = configuration.specials
        entries.removeAll { specials.contains($0.word) }
        let kept = entries.reduce(Int64(0)) { $0 + $1.count }
        summary.typesKept = entries.count
        summary.coverage = Double(kept) / Double(summary.tokens)
        let tokenizer = try corpusTokenizer(files)
        let vocabulary = Vocabulary(words: specials + entries.map(\.word), counts: specials.map { _ in 0 } + entries.map(\.count),
                                    specialCount: specials.count, tokenizer: tokenizer)
        summary.seconds = MonotonicClock.now() - clock
        return (vocabulary, summary)
    }

    /// The tokenizer configuration recorded beside the corpus files (`FILE.json`, or the older `FILE.tokenizer.json`),
    /// when every file has one and they agree.
    static func corpusTokenizer(_ files: [String]) throws -> TokenizerConfiguration? {
        var found: TokenizerConfiguration?
        for file in files {
            guard file != "-", let info = try TokenizedCorpusInfo.load(for: file) else { return nil }
            if let found, found != info.configuration.tokenizer { return nil }
            found = info.configuration.tokenizer
        }
        return found
    }

    /// Tokens that were not valid UTF-8 can decode to the same string: add their counts.
    static func deduplicated(_ entries: [(word: String, count: Int64)]) -> [(word: String, count: Int64)] {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(entries.count)
        var result: [(word: String, count: Int64)] = []
        result.reserveCapacity(entries.count)
        for entry in entries {
            if let position = positions[entry.word] {
                result[position].count += entry.count
            } else {
                positions[entry.word] = result.count
                result.append(entry)
            }
        }
        return result
    }
}

@inline(__always)
func isSeparator(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D }

/// A byte range of a plain file that starts and ends at token separators.
struct FilePiece: Sendable {
    var path: String
    /// The file's index among the inputs.
    var file = 0
    var start: Int64
    var end: Int64

    /// Cuts an uncompressed regular file into about `count` pieces at separators; nil for
    /// compressed files and standard input, which must be streamed.
    static func split(_ path: String, file: Int = 0, into count: Int) throws -> [FilePiece]? {
        guard path != "-" else { return nil }
        let source = try ByteSource(path: path)
        defer { source.close() }
        guard source.compression == .none else { return nil }
        let size = source.size
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let pieces = Int64(max(1, min(count, Int(size / (8 << 20)) + 1)))
        var cuts: [Int64] = [0]
        var window = [UInt8](repeating: 0, count: 1 << 16)
        for index in 1..<pieces {
            var position = max(size * index / pieces, cuts.last ?? 0)
            // Move the cut to just after the next separator.
            search: while position < size {
                let got = window.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(position)) }
                if got <= 0 { position = size; break }
                for offset in 0..<got where isSeparator(window[offset]) {
                    position += Int64(offset + 1)
                    break search
                }
                position += Int64(got)
            }
            if position > cuts.last ?? 0 && position < size { cuts.append(position) }
        }
        cuts.append(size)
        return zip(cuts, cuts.dropFirst()).map { FilePiece(path: path, file: file, start: $0, end: $1) }
    }

    /// Reads the piece in chunks cut at separators and hands each to `body`, with the chunk's
    /// offset in the file.
    func read(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let chunkSize = VocabularyBuilder.chunkSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize + (1 << 16), alignment: 16)
        defer { buffer.deallocate() }
        var position = start
        var carried = 0
        while position < end || carried > 0 {
            let chunkStart = position - Int64(carried)
            let want = Int(min(Int64(chunkSize), end - position))
            var got = 0
            while got < want {
                let n = pread(descriptor, buffer.baseAddress! + carried + got, want - got, off_t(position) + off_t(got))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CorpusError.readFailed(location: SourceLocation(path: path), reason: String(cString: strerror(errno)))
                }
                if n == 0 { break }
                got += n
            }
            position += Int64(got)
            var length = carried + got
            carried = 0
            if position < end && got > 0 {
                // Keep an unfinished token for the next round (if the chunk holds a separator).
                var cut = length
                while cut > 0 && !isSeparator(buffer[cut - 1]) { cut -= 1 }
                if cut > 0 && length - cut <= 1 << 16 {
                    carried = length - cut
                    length = cut
                }
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), chunkStart)
            if carried > 0 {
                (buffer.baseAddress! + 0).copyMemory(from: buffer.baseAddress! + length, byteCount: carried)
            }
            if got == 0 && carried == 0 { break }
        }
        _ = end
    }
}

/// Hands out file pieces to the workers.
final class PieceQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var pieces: [FilePiece]
    private var index = 0
    private var done: Int64 = 0

    init(_ pieces: [FilePiece]) { self.pieces = pieces }

    func next() -> FilePiece? {
        lock.lock()
        defer { lock.unlock() }
        if index > 0 { done += pieces[index - 1].end - pieces[index - 1].start }
        guard index < pieces.count else { return nil }
        index += 1
        return pieces[index - 1]
    }

    /// Bytes of the pieces handed out before the current ones (a progress estimate).
    var bytesDone: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return done
    }
}

/// One worker's table and tallies, with word2vec's ReduceVocab when bounded.
final class Counter: @unchecked Sendable {
    let table: CountTable
    let bound: Int64?
    private(set) var tokens: Int64 = 0
    private(set) var lines: Int64 = 0
    private(set) var pruned: Int64 = 0
    private var floor: Int64 = 1
    private let lock = NSLock()
    /// Where each chunk's line ends and unclean tokens are recorded (when given).
    let log: TextIssueLog?

    init(bound: Int64?, log: TextIssueLog? = nil) throws {
        table = try CountTable()
        self.bound = bound
        self.log = log
    }

    var tokensSoFar: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return tokens
    }

    /// Counts a chunk; `place` says where it lies, for the log.
    func count(_ chunk: UnsafeRawBufferPointer, place: ChunkPlace = ChunkPlace(file: 0, order: 0)) throws {
        let (chunkTokens, chunkLines, issues) = try table.scanReporting(chunk)
        log?.record(place, chunk: chunk, lines: chunkLines, issues: issues)
        lock.lock()
        tokens += chunkTokens
        lines += chunkLines
        lock.unlock()
        if let bound { try reduce(to: bound) }
    }

    /// word2vec's ReduceVocab: while over the bound, drop types with count <= floor and raise it.
    func reduce(to bound: Int64) throws {
        while table.size > bound {
            pruned += try table.prune(floor: floor)
            floor += 1
        }
    }

    func absorb(_ other: Counter, bound: Int64?) throws {
        try table.merge(other.table)
        tokens += other.tokens
        lines += other.lines
        pruned += other.pruned
        floor = max(floor, other.floor)
        if let bound { try reduce(to: bound) }
    }
}
