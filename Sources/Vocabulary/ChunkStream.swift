import Corpora
import Foundation

/// A fixed set of chunk buffers, allocated once: the reader fills one, hands it to a counter,
/// and the counter gives it back. Streaming a compressed corpus then allocates, zero-fills and
/// copies nothing per chunk (only the unfinished token at a cut is copied), and the buffers stay
/// mapped and warm.
final class ChunkPool: @unchecked Sendable {
    /// The buffers, each `byteCount` bytes.
    let buffers: [UnsafeMutableRawBufferPointer]
    private let condition = NSCondition()
    private var free: [Int]
    private var closed = false

    init(count: Int, byteCount: Int) {
        buffers = (0..<max(0, count)).map { _ in .allocate(byteCount: byteCount, alignment: 64) }
        free = Array(buffers.indices.reversed())
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// A free buffer's index, waiting for one; nil once closed. The most recently returned
    /// buffer comes first (its pages are the likeliest to be in cache).
    func take() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty && !closed { condition.wait() }
        if closed { return nil }
        return free.removeLast()
    }

    /// Returns a buffer taken with `take`.
    func give(_ index: Int) {
        condition.lock()
        free.append(index)
        condition.signal()
        condition.unlock()
    }

    /// Wakes a waiting `take` with nil (a counter failed; nothing more will be read).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A filled part of one of a `ChunkPool`'s buffers, cut at token separators.
struct StreamChunk: Sendable {
    /// The buffer's index in the pool.
    var index: Int
    /// The bytes to count: `buffer[start..<end]`.
    var start: Int
    var end: Int
    /// The input's index (as given to `ChunkStreamReader.stream`) and the chunk's number in it.
    var file = 0
    var sequence: Int64 = 0
}

/// Reads one streamed input (compressed, or standard input) into a pool's buffers and queues
/// them for the counters. This thread only decompresses and cuts; counting happens elsewhere.
///
/// Each chunk is the token left unfinished by the previous chunk (copied to the front of the
/// buffer) followed by one read of up to `chunkSize` bytes, and ends after its last separator.
/// A token longer than `maxToken` bytes (the longest key the count table keeps) is not carried:
/// the chunk that holds its start counts it, cut, and its remaining bytes are skipped. So every
/// token is counted once, whole or cut as the count table cuts it, wherever the reads end.
struct ChunkStreamReader {
    /// The count table's longest key (longer tokens are cut to it).
    static let maxToken = 65_535
    let pool: ChunkPool
    let queue: BoundedQueue<StreamChunk>
    let chunkSize: Int

    /// The buffer size a pool needs for chunks of `chunkSize` bytes (a carried token plus a read).
    static func bufferSize(chunkSize: Int) -> Int { chunkSize + maxToken + 1 }

    /// Streams `source` to the counters; calls `progress` after each chunk. Returns false when
    /// the counters stopped (the queue or the pool was closed).
    func stream(_ source: ByteSource, file: Int = 0, progress: () -> Void) throws -> Bool {
        guard var current = pool.take() else { return false }
        var sequence: Int64 = 0
        func chunk(_ index: Int, _ start: Int, _ end: Int) -> StreamChunk {
            defer { sequence += 1 }
            return StreamChunk(index: index, start: start, end: end, file: file, sequence: sequence)
        }
        var filled = 0          // bytes of `current` already holding the carried token
        var skipping = false    // inside a token longer than maxToken, already counted
        while true {
            let buffer = pool.buffers[current]
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + chunkSize)]))
            if got == 0 {
                // The end of the input ends the last token.
                if filled > 0 { return queue.put(chunk(current, 0, filled)) }
                pool.give(current)
                return true
            }
            var start = 0
            let end = filled + got
            if skipping {
                // The rest of an over-long token: drop it up to the next separator.
                guard let separator = buffer[0..<end].firstIndex(where: isSeparator) else { continue }
                start = separator
                skipping = false
            }
            // Cut after the last separator, looking back at most maxToken + 1 bytes, and not into
            // the carried bytes (they hold no separator).
            var cut = end
            let floor = max(start, filled, end - Self.maxToken - 1)
            while cut > floor && !isSeparator(buffer[cut - 1]) { cut -= 1 }
            if cut > floor {
                // `cut` follows a separator: carry the unfinished token (at most maxToken bytes).
                let tail = end - cut
                guard let next = pool.take() else { return false }
                if tail > 0 {
                    pool.buffers[next].baseAddress!.copyMemory(from: buffer.baseAddress! + cut, byteCount: tail)
                }
                guard queue.put(chunk(current, start, cut)) else { return false }
                current = next
                filled = tail
            } else if end - start > Self.maxToken {
                // No separator in the last maxToken + 1 bytes: a token longer than the count table
                // keeps ends this chunk. Count it here, cut, and skip the rest of it.
                guard let next = pool.take() else { return false }
                guard queue.put(chunk(current, start, end)) else { return false }
                current = next
                filled = 0
                skipping = true
            } else {
                // A short read inside one token: keep reading into this buffer.
                filled = end
                continue
            }
            progress()
        }
    }
}
