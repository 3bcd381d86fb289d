import Dispatch
import Embeddings
import Foundation

/// Concurrent `/v1/nearest` queries answered together. Requests queue here; up to `workers`
/// threads (one per core) each take the oldest query and the next ones asking for the same `k`
/// and `restrict`, up to 8, and answer them with one pass over the vectors
/// (`VectorStore.nearest(queries:)`: the int8 scan of a large matrix reads each row once for the
/// whole batch, and the answers are those of one query at a time). A lone query is a batch of
/// one, so nothing waits for company: batches form only from what queued while the workers were
/// busy. A lone query that finds the other workers idle splits its scan over all the cores (the
/// answer does not depend on it).
final class NearestBatcher: @unchecked Sendable {
    struct Query: Sendable {
        let positive: [String]
        let negative: [String]
        let k: Int
        let restrict: Int?
        let answer: @Sendable (Result<[Neighbour], Error>) -> Void
    }

    /// The most queries one pass answers (the block kernels' limit).
    static let batchLimit = 8

    private let store: VectorStore
    private let workers: Int
    private let lock = NSLock()
    private var pending: [Query] = []
    private var running = 0
    private let queue = DispatchQueue(label: "wordpipe.serve.nearest", attributes: .concurrent)

    init(store: VectorStore, workers: Int) {
        self.store = store
        self.workers = max(1, workers)
    }

    /// The most queries answered by one pass so far (for tests and the log).
    var largestBatch: Int { lock.lock(); defer { lock.unlock() }; return largest }
    private var largest = 0

    /// Queues `query`; its `answer` is called once, on a worker thread.
    func submit(_ query: Query) { submit([query]) }

    /// Queues `queries` together (in order); each `answer` is called once, on a worker thread.
    func submit(_ queries: [Query]) {
        lock.lock()
        pending.append(contentsOf: queries)
        let start = min(workers - running, pending.count)
        running += start
        lock.unlock()
        for _ in 0 ..< start { queue.async { self.work() } }
    }

    /// The oldest query and the queued ones with its `k` and `restrict` (at most `batchLimit`,
    /// in arrival order); the others stay queued in their order. Called with the lock held.
    private func takeBatch() -> [Query] {
        guard let first = pending.first else { return [] }
        var batch = [first], kept: [Query] = []
        for query in pending.dropFirst() {
            if batch.count < Self.batchLimit, query.k == first.k, query.restrict == first.restrict {
                batch.append(query)
            } else {
                kept.append(query)
            }
        }
        pending = kept
        return batch
    }

    private func work() {
        while true {
            lock.lock()
            let batch = takeBatch()
            if batch.isEmpty {
                running -= 1
                lock.unlock()
                return
            }
            largest = max(largest, batch.count)
            // A lone query while the other workers are idle splits its scan over every core.
            let threads = batch.count == 1 && running == 1 && pending.isEmpty ? workers : 1
            lock.unlock()
            let results = store.nearest(queries: batch.map { ($0.positive, $0.negative) }, k: batch[0].k,
                                        restrict: batch[0].restrict, threads: threads)
            for (query, result) in zip(batch, results) { query.answer(result) }
        }
    }
}
