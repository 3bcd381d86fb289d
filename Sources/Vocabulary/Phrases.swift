import Corpora
import CountingKernels
import Foundation
import Tokenization
import WordPipeSupport

/// A pair of adjacent tokens that scores above the threshold.
public struct Phrase: Sendable, Equatable {
    /// The first token.
    public var first: String
    /// The second token.
    public var second: String
    /// How often the pair occurs (on one line, in this order).
    public var count: Int64
    /// Its score under the configuration's scoring.
    public var score: Double

    /// The joined token, e.g. `new_york`.
    public func joined(delimiter: String = "_") -> String { first + delimiter + second }
}

/// What one counting-and-joining pass did.
public struct PhrasesPassSummary: Sendable, Equatable {
    /// Tokens read.
    public var tokens: Int64 = 0
    /// Lines read.
    public var lines: Int64 = 0
    /// Distinct pairs of adjacent tokens seen.
    public var bigramsSeen: Int64 = 0
    /// Distinct pairs scoring above the threshold.
    public var candidates: Int64 = 0
    /// Distinct pairs joined at least once.
    public var phrasesFormed: Int64 = 0
    /// Pairs joined (each join makes one token out of two).
    public var joins: Int64 = 0
    /// One warning per input file holding ill-formed UTF-8 (`FILE:LINE: …`).
    public var warnings: [String] = []
}

/// What a `phrases` run did.
public struct PhrasesSummary: Sendable, Equatable {
    /// One entry per pass.
    public var passes: [PhrasesPassSummary] = []
    /// Wall-clock seconds.
    public var seconds: Double = 0

    /// Tokens of the input.
    public var tokens: Int64 { passes.first?.tokens ?? 0 }
    /// Distinct pairs joined, over all passes.
    public var phrasesFormed: Int64 { passes.reduce(0) { $0 + $1.phrasesFormed } }
    /// Joins made, over all passes.
    public var joins: Int64 { passes.reduce(0) { $0 + $1.joins } }
    /// The input's warnings (found by the first pass: later passes read its output).
    public var warnings: [String] { passes.first?.warnings ?? [] }

    /// The one-line summary printed at the end of a run.
    public var line: String {
        var text = "\(tokens) tokens, \(passes.first?.bigramsSeen ?? 0) bigrams seen, \(phrasesFormed) phrases formed"
        text += ", \(joins) joins made (\(tokens - joins) tokens out)"
        if passes.count > 1 {
            let details = passes.enumerated().map { index, pass in
                "pass \(index + 1): \(pass.bigramsSeen) bigrams, \(pass.phrasesFormed) phrases, \(pass.joins) joins"
            }
            text += " [" + details.joined(separator: "; ") + "]"
        }
        text += String(format: ", %.2f s (%@ tokens/s per pass)", seconds,
                       Format.count(Double(tokens) * Double(max(1, passes.count)) / max(seconds, 1e-9)))
        return text
    }
}

/// Unigram and bigram counts of a tokenized corpus: what phrase scores are made of.
///
/// A bigram is a pair of tokens next to each other on one line; pairs never span a line end.
/// Counts are exact whatever the thread count and wherever the input is cut into chunks (a
/// chunk that cuts a long line carries the token before the cut, see `LineChunker`). There is
/// no memory bound: the bigram table of a 100 MB corpus takes about 1 GB.
public final class PhraseCounts: @unchecked Sendable {
    let unigrams: CountTable
    let bigrams: CountTable
    /// Tokens counted (word2phrase's `train_words`).
    public let tokens: Int64
    /// Lines counted.
    public let lines: Int64

    init(unigrams: CountTable, bigrams: CountTable, tokens: Int64, lines: Int64) {
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.tokens = tokens
        self.lines = lines
    }

    /// One warning per input file holding ill-formed UTF-8 (`FILE:LINE: …`).
    public internal(set) var warnings: [String] = []

    /// Distinct tokens seen.
    public var typesSeen: Int64 { unigrams.size }
    /// Distinct pairs seen.
    public var bigramsSeen: Int64 { bigrams.size }

    /// How often `word` occurs.
    public func count(of word: String) -> Int64 { unigrams.count(of: word) }

    /// How often `first` is directly followed by `second` on one line.
    public func count(of first: String, _ second: String) -> Int64 {
        var first = first, second = second
        return first.withUTF8 { a in
            second.withUTF8 { b in
                wp_count_table_get_pair(bigrams.table, a.baseAddress, Int32(clamping: a.count), b.baseAddress, Int32(clamping: b.count))
            }
        }
    }

    /// The score of the pair `first second` under `configuration`'s scoring and min-count.
    public func score(_ first: String, _ second: String, configuration: PhrasesConfiguration) -> Double {
        configuration.scoring.score(countA: count(of: first), countB: count(of: second), countAB: count(of: first, second),
                                    totalWords: tokens, minCount: configuration.minCount)
    }

    /// Every pair scoring above `configuration.threshold`, by score descending (ties by count
    /// descending, then by the bytes of the pair).
    public func phrases(configuration: PhrasesConfiguration) -> [Phrase] {
        var result: [Phrase] = []
        forEachPhrase(configuration: configuration) { key, split, count, score in
            let first = String(decoding: UnsafeBufferPointer(rebasing: key[..<split]), as: UTF8.self)
            let second = String(decoding: UnsafeBufferPointer(rebasing: key[(split + 1)...]), as: UTF8.self)
            result.append(Phrase(first: first, second: second, count: count, score: score))
            return true
        }
        result.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.count != b.count { return a.count > b.count }
            return (a.first + " " + a.second).utf8.lexicographicallyPrecedes((b.first + " " + b.second).utf8)
        }
        return result
    }

    /// The set of pairs to join: a table keyed `a b` with count 1 for each pair scoring above
    /// the threshold (the joiner adds one per join).
    func phraseTable(configuration: PhrasesConfiguration) throws -> CountTable {
        let table = try CountTable()
        var failed = false
        forEachPhrase(configuration: configuration) { key, _, _, _ in
            if wp_count_table_add(table.table, key.baseAddress, Int32(key.count), 1) != 0 {
                failed = true
                return false
            }
            return true
        }
        if failed { throw VocabularyError.outOfMemory }
        return table
    }

    /// Calls `body(key, split, count, score)` for every pair above the threshold, where `key`
    /// is `a b` and `split` the index of the space; `body` returns false to stop.
    private func forEachPhrase(configuration: PhrasesConfiguration,
                               _ body: (UnsafeBufferPointer<UInt8>, Int, Int64, Double) -> Bool) {
        let scoring = configuration.scoring
        let minCount = Int64(configuration.minCount)
        let threshold = configuration.threshold
        let capacity = wp_count_table_capacity(bigrams.table)
        var bytes: UnsafePointer<UInt8>?
        var length: Int32 = 0
        var countAB: Int64 = 0
        for slot in 0..<capacity where wp_count_table_entry(bigrams.table, slot, &bytes, &length, &countAB) != 0 {
            // Pairs that cannot pass: word2vec scores count(ab) <= min_count at most 0, and the
            // threshold is >= 0; npmi gives pairs rarer than min_count −∞.
            if scoring == .word2vec && countAB <= minCount && threshold >= 0 { continue }
            if scoring == .npmi && countAB < minCount { continue }
            guard let bytes else { continue }
            let key = UnsafeBufferPointer(start: bytes, count: Int(length))
            guard let split = key.firstIndex(of: 0x20) else { continue }
            let countA = wp_count_table_get(unigrams.table, bytes, Int32(split))
            let countB = wp_count_table_get(unigrams.table, bytes + split + 1, length - Int32(split) - 1)
            let score = scoring.score(countA: countA, countB: countB, countAB: countAB, totalWords: tokens,
                                      minCount: configuration.minCount)
            if score > threshold && !body(key, split, countAB, score) { return }
        }
    }

    /// Counts the tokens and pairs of `inputs` (files or directories; plain, `.gz` or `.bz2`;
    /// `-` for stdin) with `threads` counting workers.
    public static func count(inputs: [String], threads: Int = 1) throws -> PhraseCounts {
        try count(files: CorpusReader.expand(inputs), threads: threads, progress: ProgressLine(options: RunOptions(threads: threads, progress: .never)),
                  chunkSize: LineChunker.defaultChunkSize)
    }

    /// Counts `files` in chunks cut by `LineChunker`, in parallel.
    static func count(files: [String], threads: Int, progress: ProgressLine, chunkSize: Int) throws -> PhraseCounts {
        let workers = try (0..<max(1, threads)).map { _ in try PairCounter() }
        let totalBytes = files.reduce(Int64(0)) { total, path in
            guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return total }
            return total + ((attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
        let queue = BoundedQueue<LineChunk>(capacity: 2 * workers.count)
        let group = DispatchGroup()
        for worker in workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    while let chunk = queue.take() { try worker.count(chunk) }
                } catch {
                    queue.fail(error)
                }
            }
        }
        var consumed: Int64 = 0
        var readError: Error?
        var warnings: [String] = []
        do {
            reading: for path in files {
                let chunker = try LineChunker(path: path, chunkSize: chunkSize)
                var check = ChunkTextCheck(path: path)
                defer { if let warning = check.warning { warnings.append(warning) } }
                while let chunk = try chunker.next() {
                    try Interruption.check()
                    try check.check(chunk.bytes)
                    guard queue.put(chunk) else { break reading }
                    progress.update(bytes: consumed + chunker.consumedBytes, totalBytes: totalBytes,
                                    items: workers.reduce(0) { $0 + $1.tokensSoFar }, itemName: "tokens")
                }
                consumed += chunker.size
            }
        } catch {
            readError = error
        }
        queue.close()
        group.wait()
        progress.finish()
        try Interruption.check()
        if let readError { throw readError }
        if let failure = queue.failure { throw failure }
        let merged = workers[0]
        for worker in workers.dropFirst() { try merged.absorb(worker) }
        let counts = PhraseCounts(unigrams: merged.unigrams, bigrams: merged.bigrams, tokens: merged.tokens, lines: merged.lines)
        counts.warnings = warnings
        return counts
    }
}

/// Checks one input's chunks, read in order, for ill-formed UTF-8 and NUL bytes: a NUL is an
/// error at its line (binary data or UTF-16, as `vocab` says); ill-formed UTF-8 is counted and
/// its first line named in a warning. Phrases copies such bytes through unchanged.
struct ChunkTextCheck {
    let path: String
    /// Lines before the next chunk.
    private var lines: Int64 = 0
    private var invalidSequences: Int64 = 0
    private var firstInvalidLine: Int64?

    init(path: String) { self.path = path }

    mutating func check(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            var hasNUL: Int32 = 0
            let invalid = wp_utf8_invalid_sequences(base, buffer.count, &hasNUL)
            if invalid > 0 || hasNUL != 0 {
                invalidSequences += invalid
                // The first line of this chunk with each issue.
                var line = lines + 1, start = 0
                while start < buffer.count {
                    var end = start
                    while end < buffer.count && buffer[end] != 0x0A { end += 1 }
                    var lineNUL: Int32 = 0
                    let lineInvalid = wp_utf8_invalid_sequences(base + start, end - start, &lineNUL)
                    if lineNUL != 0 {
                        throw VocabularyError.malformed(
                            location: SourceLocation(path: path, line: Int(line)),
                            message: "a NUL byte in a token: this is binary data or UTF-16 text, not a tokenized corpus (tokenize it first)")
                    }
                    if lineInvalid > 0 && firstInvalidLine == nil { firstInvalidLine = line }
                    if firstInvalidLine != nil && hasNUL == 0 { break }
                    start = end + 1
                    line += 1
                }
            }
            var newlines: Int64 = 0
            var cursor = UnsafeRawPointer(base)
            var left = buffer.count
            while left > 0, let found = memchr(cursor, 0x0A, left) {
                newlines += 1
                let next = UnsafeRawPointer(found) + 1
                left -= next - cursor
                cursor = next
            }
            lines += newlines
        }
    }

    /// The warning for this input, or nil when its text is well-formed.
    var warning: String? {
        guard let firstInvalidLine else { return nil }
        return "\(path):\(firstInvalidLine): \(invalidSequences) ill-formed UTF-8 sequences (first on this line), copied through "
            + "unchanged; run the text through `wordpipe tokenize` first to have them replaced by U+FFFD"
    }
}

/// Finds and joins phrases in a tokenized corpus (one sentence per line, tokens separated by
/// spaces), as word2vec's `word2phrase` and gensim's `Phrases` do.
///
/// Each pass counts tokens and adjacent pairs (in parallel, see `PhraseCounts`), scores every
/// pair (see `PhraseScoring`), then rewrites the corpus left to right, one line at a time, as
/// word2phrase does: when the current token and the next one form a pair scoring above the
/// threshold, both are written as one token joined by the delimiter and the scan continues
/// after the second; otherwise the current token is written alone and the scan moves one
/// token on. A joined token is never joined again in the same pass; pass 2 runs on pass 1's
/// output (a temporary file beside the output, deleted at the end), so it can join
/// `new_york` and `times`. Joining streams (bounded memory) and runs on one thread; its output
/// does not depend on the thread count. Lines keep their order and number (a line of only
/// spaces comes out empty); tokens come out separated by one space.
public enum PhraseDetector {
    /// Finds and joins phrases in `inputs` (files or directories; plain, `.gz` or `.bz2`; `-`
    /// for stdin) and writes the result to `output` (`-` for stdout) atomically. When every
    /// input has a side file (`FILE.json`) and they agree, it is copied beside the output as
    /// `OUT.json` (and an older one is removed otherwise).
    /// With `options`' threads; its progress goes to its log (`counting: …`, `joining: …`, after
    /// `pass N/M ` when there are several passes).
    public static func run(inputs: [String], output: String, configuration: PhrasesConfiguration,
                           options: RunOptions) throws -> PhrasesSummary {
        try run(inputs: inputs, output: output, configuration: configuration, options: options, chunkSize: LineChunker.defaultChunkSize)
    }

    /// `run` on `threads`, with no progress.
    public static func run(inputs: [String], output: String, configuration: PhrasesConfiguration, threads: Int = 1) throws -> PhrasesSummary {
        try run(inputs: inputs, output: output, configuration: configuration, options: RunOptions(threads: threads, progress: .never))
    }

    /// `run` with the chunk size exposed, so tests can cut lines anywhere.
    static func run(inputs: [String], output: String, configuration: PhrasesConfiguration, options: RunOptions,
                    chunkSize: Int) throws -> PhrasesSummary {
        let threads = options.threads
        try configuration.validate()
        let clock = MonotonicClock.now()
        let originals = try CorpusReader.expand(inputs)
        guard !originals.isEmpty else { throw VocabularyError.emptyCorpus(inputs: inputs) }
        if output != "-" {
            // Fail before the counting pass, not after it.
            let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
            if access(directory, W_OK) != 0 {
                throw PhrasesError.cannotWrite(path: output, reason: String(cString: strerror(errno)))
            }
        }
        let scratch = ScratchFiles(besides: output, tag: "phrases")
        defer { scratch.removeAll() }
        var files = originals
        if files.contains("-") {
            // Counting and joining both read the input: keep standard input in a file.
            let copy = try scratch.make("stdin")
            try copyStandardInput(to: copy)
            files = files.map { $0 == "-" ? copy : $0 }
        }
        var summary = PhrasesSummary()
        for pass in 1...configuration.passes {
            let label = configuration.passes > 1 ? "pass \(pass)/\(configuration.passes) " : ""
            let destination = pass == configuration.passes ? output : try scratch.make("pass\(pass)")
            do {
                summary.passes.append(try runPass(files: files, destination: destination, configuration: configuration,
                                                  options: options, label: label, chunkSize: chunkSize))
            } catch VocabularyError.outOfMemory {
                throw PhrasesError.outOfMemory
            }
            if summary.passes[0].tokens == 0 { throw VocabularyError.emptyCorpus(inputs: inputs) }
            // The previous pass's output is no longer needed.
            for file in files where scratch.owns(file) { scratch.remove(file) }
            files = [destination]
        }
        if output != "-" {
            let sidePath = TokenizedCorpusInfo.path(for: output)
            // A side file left from an earlier output under this name (under either name) would
            // describe the wrong corpus.
            try? FileManager.default.removeItem(atPath: TokenizedCorpusInfo.legacyPath(for: output))
            if let info = try sharedTokenizerInfo(originals) {
                try OutputFile.writeAtomically(info, to: sidePath)
            } else if FileManager.default.fileExists(atPath: sidePath) {
                try? FileManager.default.removeItem(atPath: sidePath)
            }
        }
        summary.seconds = MonotonicClock.now() - clock
        return summary
    }

    /// One pass: counts `files`, scores the pairs and joins `files` into `destination`.
    static func runPass(files: [String], destination: String, configuration: PhrasesConfiguration, options: RunOptions,
                        label: String, chunkSize: Int) throws -> PhrasesPassSummary {
        let threads = options.threads
        var summary = PhrasesPassSummary()
        let phrases: CountTable
        do {
            // The counts (the large tables) are released before joining.
            let counts = try PhraseCounts.count(files: files, threads: threads,
                                                progress: ProgressLine(options: options, label: label + "counting"), chunkSize: chunkSize)
            summary.tokens = counts.tokens
            summary.lines = counts.lines
            summary.bigramsSeen = counts.bigramsSeen
            summary.warnings = counts.warnings
            if counts.tokens == 0 { return summary }
            phrases = try counts.phraseTable(configuration: configuration)
        }
        summary.candidates = phrases.size
        let joiner = PhraseJoiner(phrases: phrases, delimiter: Array(configuration.delimiter.utf8))
        try joiner.join(files: files, into: destination, progress: ProgressLine(options: options, label: label + "joining"),
                        chunkSize: chunkSize)
        summary.joins = joiner.joins
        summary.phrasesFormed = Int64(phrases.entries(minimum: 2).count)
        return summary
    }

    /// The bytes of the side files (`FILE.json`, or the older `FILE.tokenizer.json`) of `files` when every file has one and
    /// all describe the same tokenization; nil otherwise.
    static func sharedTokenizerInfo(_ files: [String]) throws -> Data? {
        var found: (info: TokenizedCorpusInfo, data: Data)?
        for file in files {
            guard file != "-" else { return nil }
            guard let path = TokenizedCorpusInfo.existingPath(for: file) else { return nil }
            let info: TokenizedCorpusInfo
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
                info = try JSONDecoder().decode(TokenizedCorpusInfo.self, from: data)
            } catch {
                throw VocabularyError.malformed(location: SourceLocation(path: path), message: "unreadable tokenizer side file: \(error)")
            }
            if let found, found.info != info { return nil }
            if found == nil { found = (info, data) }
        }
        return found?.data
    }

    /// Copies standard input to `path`.
    static func copyStandardInput(to path: String) throws {
        let source = try ByteSource(path: "-")
        defer { source.close() }
        let file = try OutputFile(path: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { break }
            try file.write(buffer[0..<got])
        }
        try file.commit()
    }
}

/// Errors of the phrases stage that the vocabulary's errors do not cover.
public enum PhrasesError: Error, Equatable, CustomStringConvertible {
    /// Counting or joining pairs ran out of memory.
    case outOfMemory
    /// The output cannot be written where asked.
    case cannotWrite(path: String, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case .outOfMemory:
            return "out of memory while counting word pairs (pair counts are exact, with no memory bound): split the corpus"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write the output: \(reason)"
        }
    }
}

/// Temporary files beside the output (`.OUT.TAG-NAME.partial-PID-START`, `TemporaryPath`'s
/// scheme), removed at the end or on interrupt, and by a later run if this one is killed.
final class ScratchFiles {
    private let output: String
    private let tag: String
    private var paths: [String] = []

    /// Files go beside `output`, or into the temporary directory when `output` is `-` (standard
    /// output), as `.wordpipe-stdout.TAG-NAME.partial-…`; `tag` names the job (`phrases`).
    init(besides output: String, tag: String) {
        self.output = output == "-" ? PathNames.appending(NSTemporaryDirectory(), "wordpipe-stdout") : output
        self.tag = tag
    }

    /// A new path (the file is not created) registered for removal.
    func make(_ name: String) throws -> String {
        let path = TemporaryPath.beside(output, suffix: ".\(tag)-\(name)")
        paths.append(path)
        TemporaryFiles.shared.register(path)
        return path
    }

    /// Whether `path` is one of these files.
    func owns(_ path: String) -> Bool { paths.contains(path) }

    /// Deletes `path` now.
    func remove(_ path: String) {
        unlink(path)
        TemporaryFiles.shared.unregister(path)
        paths.removeAll { $0 == path }
    }

    /// Deletes every file made.
    func removeAll() {
        for path in paths {
            unlink(path)
            TemporaryFiles.shared.unregister(path)
        }
        paths = []
    }
}

/// A piece of a tokenized input that ends at a line end, or, when a line is longer than a
/// chunk, after a separator inside it.
struct LineChunk: Sendable {
    /// The bytes.
    var bytes: [UInt8]
    /// When the chunk continues a line cut by the previous chunk: that chunk's last token, to
    /// pair with this chunk's first token (it was counted with the previous chunk).
    var context: [UInt8]?
}

/// Cuts one input into `LineChunk`s of about `chunkSize` bytes.
///
/// A chunk ends after the last line end it holds. A line longer than a chunk (text8 is one
/// 100 MB line) is cut after the last separator, and the next chunk carries the token before
/// the cut as its `context`, so no pair is lost: counts do not depend on where the cuts fall.
/// Only a single token longer than the chunk plus 1 MB is cut in two.
final class LineChunker {
    /// About 4 MB, as the vocabulary builder's chunks.
    static let defaultChunkSize = 4 << 20
    private let source: ByteSource
    private let chunkSize: Int
    private let readBuffer: UnsafeMutableBufferPointer<UInt8>
    private var carry: [UInt8] = []
    private var context: [UInt8]?
    private var ended = false

    /// Opens `path` (`-` for stdin).
    init(path: String, chunkSize: Int = LineChunker.defaultChunkSize) throws {
        source = try ByteSource(path: path)
        self.chunkSize = max(1, chunkSize)
        readBuffer = .allocate(capacity: self.chunkSize)
    }

    deinit { readBuffer.deallocate() }

    /// Bytes of the file consumed so far (compressed bytes for a compressed file).
    var consumedBytes: Int64 { source.consumedBytes }
    /// The file's size on disk (0 for stdin).
    var size: Int64 { source.size }

    /// The next chunk, or nil at the end of the input.
    func next() throws -> LineChunk? {
        guard !ended else { return nil }
        var chunk = carry
        carry = []
        chunk.reserveCapacity(chunk.count + chunkSize)
        let chunkContext = context
        let limit = chunkSize + (1 << 20)
        while true {
            let want = max(1, min(chunkSize, limit - chunk.count))
            let got = try source.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: readBuffer[0..<want])))
            chunk.append(contentsOf: UnsafeBufferPointer(rebasing: readBuffer[0..<got]))
            if got == 0 {
                ended = true
                source.close()
                return chunk.isEmpty ? nil : LineChunk(bytes: chunk, context: chunkContext)
            }
            if chunk.count < chunkSize { continue }
            if let newline = chunk.lastIndex(of: 0x0A) {
                carry = Array(chunk[(newline + 1)...])
                chunk.removeSubrange((newline + 1)...)
                context = nil
                return LineChunk(bytes: chunk, context: chunkContext)
            }
            if let cut = chunk.lastIndex(where: isSeparator) {
                carry = Array(chunk[(cut + 1)...])
                chunk.removeSubrange((cut + 1)...)
                context = Self.lastToken(chunk) ?? chunkContext
                return LineChunk(bytes: chunk, context: chunkContext)
            }
            if chunk.count >= limit {
                // One token longer than the limit: cut it.
                context = nil
                return LineChunk(bytes: chunk, context: chunkContext)
            }
        }
    }

    /// The last token of `bytes` (which ends at a separator), if it holds one.
    static func lastToken(_ bytes: [UInt8]) -> [UInt8]? {
        var end = bytes.count
        while end > 0 && isSeparator(bytes[end - 1]) { end -= 1 }
        guard end > 0 else { return nil }
        var start = end
        while start > 0 && !isSeparator(bytes[start - 1]) { start -= 1 }
        return Array(bytes[start..<end])
    }
}

/// One counting worker's tables and tallies.
final class PairCounter: @unchecked Sendable {
    let unigrams: CountTable
    let bigrams: CountTable
    private(set) var tokens: Int64 = 0
    private(set) var lines: Int64 = 0
    private let lock = NSLock()

    init() throws {
        unigrams = try CountTable()
        bigrams = try CountTable()
    }

    var tokensSoFar: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return tokens
    }

    func count(_ chunk: LineChunk) throws {
        var chunkTokens: Int64 = 0
        var chunkLines: Int64 = 0
        let status = chunk.bytes.withUnsafeBufferPointer { buffer in
            if let context = chunk.context {
                return context.withUnsafeBufferPointer { contextBuffer in
                    wp_count_table_scan_pairs(unigrams.table, bigrams.table, contextBuffer.baseAddress,
                                              Int32(clamping: contextBuffer.count), buffer.baseAddress, buffer.count,
                                              &chunkTokens, &chunkLines)
                }
            }
            return wp_count_table_scan_pairs(unigrams.table, bigrams.table, nil, 0, buffer.baseAddress, buffer.count,
                                             &chunkTokens, &chunkLines)
        }
        if status != 0 { throw VocabularyError.outOfMemory }
        lock.lock()
        tokens += chunkTokens
        lines += chunkLines
        lock.unlock()
    }

    func absorb(_ other: PairCounter) throws {
        try unigrams.merge(other.unigrams)
        try bigrams.merge(other.bigrams)
        tokens += other.tokens
        lines += other.lines
    }
}

/// Rewrites a corpus with phrases joined: word2phrase's output loop, streaming.
final class PhraseJoiner {
    /// Pairs to join (key `a b`); each join adds one to the pair's count.
    let phrases: CountTable
    let delimiter: [UInt8]
    /// Pairs joined so far.
    private(set) var joins: Int64 = 0
    private var output: [UInt8] = []
    /// The previous token when a chunk ended inside a line and it was not yet written.
    private var pending: [UInt8] = []
    private var hasPending = false
    /// Whether something was written on the current output line.
    private var lineOpen = false

    init(phrases: CountTable, delimiter: [UInt8]) {
        self.phrases = phrases
        self.delimiter = delimiter
    }

    /// Joins `files` (one corpus, in order) into `destination`.
    func join(files: [String], into destination: String, progress: ProgressLine, chunkSize: Int) throws {
        let file = try OutputFile(path: destination)
        let totalBytes = files.reduce(Int64(0)) { total, path in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return total }
            return total + ((attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
        var consumed: Int64 = 0
        var tokens: Int64 = 0
        output.reserveCapacity(chunkSize + chunkSize / 4)
        for path in files {
            let chunker = try LineChunker(path: path, chunkSize: chunkSize)
            while let chunk = try chunker.next() {
                try Interruption.check()
                tokens += try feed(chunk.bytes)
                try file.write(output)
                output.removeAll(keepingCapacity: true)
                progress.update(bytes: consumed + chunker.consumedBytes, totalBytes: totalBytes, items: tokens, itemName: "tokens")
            }
            consumed += chunker.size
            // A file's end ends its last line.
            endLine()
            try file.write(output)
            output.removeAll(keepingCapacity: true)
        }
        try file.commit()
        progress.finish()
    }

    /// Joins the tokens of `bytes` into `output`; returns how many tokens it read.
    func feed(_ bytes: [UInt8]) throws -> Int64 {
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            let count = buffer.count
            var tokens: Int64 = 0
            // The previous token, not yet written: in `buffer` (start, length), or `pending`.
            var previousStart = -1
            var previousLength = 0
            var previousIsPending = hasPending
            hasPending = false
            var index = 0
            while index < count {
                let byte = base[index]
                if byte == 0x0A {
                    if previousIsPending { writeToken(pendingBytes: true, base: base, start: 0, length: 0) }
                    if previousStart >= 0 { writeToken(pendingBytes: false, base: base, start: previousStart, length: previousLength) }
                    previousIsPending = false
                    previousStart = -1
                    output.append(0x0A)
                    lineOpen = false
                    index += 1
                    continue
                }
                if isSeparator(byte) {
                    index += 1
                    continue
                }
                let start = index
                while index < count && !isSeparator(base[index]) { index += 1 }
                let length = index - start
                tokens += 1
                var joined = false
                if previousIsPending {
                    joined = try pending.withUnsafeBufferPointer { previous in
                        try joinIfPhrase(previous.baseAddress, previous.count, base + start, length)
                    }
                    if !joined { writeToken(pendingBytes: true, base: base, start: 0, length: 0) }
                    previousIsPending = false
                } else if previousStart >= 0 {
                    joined = try joinIfPhrase(base + previousStart, previousLength, base + start, length)
                    if !joined { writeToken(pendingBytes: false, base: base, start: previousStart, length: previousLength) }
                }
                if joined {
                    previousStart = -1
                } else {
                    previousStart = start
                    previousLength = length
                }
            }
            if previousStart >= 0 {
                pending = Array(buffer[previousStart..<(previousStart + previousLength)])
                hasPending = true
            } else if previousIsPending {
                hasPending = true
            }
            return tokens
        }
    }

    /// Ends the current line (at the end of a file): writes the pending token and a line end.
    func endLine() {
        if hasPending {
            writeToken(pendingBytes: true, base: nil, start: 0, length: 0)
            hasPending = false
        }
        if lineOpen {
            output.append(0x0A)
            lineOpen = false
        }
    }

    /// When `a b` is a phrase, writes `a` + delimiter + `b`, counts the join and returns true.
    private func joinIfPhrase(_ a: UnsafePointer<UInt8>?, _ aLength: Int, _ b: UnsafePointer<UInt8>, _ bLength: Int) throws -> Bool {
        guard let a else { return false }
        let aCount = Int32(clamping: aLength), bCount = Int32(clamping: bLength)
        guard wp_count_table_get_pair(phrases.table, a, aCount, b, bCount) > 0 else { return false }
        if wp_count_table_add_pair(phrases.table, a, aCount, b, bCount, 1) != 0 { throw VocabularyError.outOfMemory }
        joins += 1
        if lineOpen { output.append(0x20) }
        output.append(contentsOf: UnsafeBufferPointer(start: a, count: aLength))
        output.append(contentsOf: delimiter)
        output.append(contentsOf: UnsafeBufferPointer(start: b, count: bLength))
        lineOpen = true
        return true
    }

    /// Writes one token (from `pending`, or `base[start..<start+length]`) after a space when
    /// the line already holds one.
    private func writeToken(pendingBytes: Bool, base: UnsafePointer<UInt8>?, start: Int, length: Int) {
        if lineOpen { output.append(0x20) }
        if pendingBytes {
            output.append(contentsOf: pending)
        } else if let base {
            output.append(contentsOf: UnsafeBufferPointer(start: base + start, count: length))
        }
        lineOpen = true
    }
}
