import CBLAS
import Foundation
import HeapModule

/// One answer to a query.
public struct Neighbour: Sendable, Equatable, Codable {
    /// The word.
    public var word: String
    /// Its score (cosine similarity, or the 3CosMul score).
    public var score: Double
}

/// The `k` best (score, id) pairs offered: higher scores first, the lower id first on equal
/// scores; NaN scores and excluded ids are never kept. A size-k min-heap.
struct TopK {
    struct Entry: Comparable {
        var score: Float
        var id: Int32
        // Lower score first; on ties the higher id is "smaller", so lower ids win.
        static func < (a: Entry, b: Entry) -> Bool { a.score != b.score ? a.score < b.score : a.id > b.id }
    }

    let k: Int
    var heap = Heap<Entry>()

    init(k: Int) { self.k = k }

    /// Keeps `id` if it is among the k best so far.
    @inline(__always)
    mutating func offer(_ id: Int32, _ score: Float, excluding: Set<Int32>) {
        guard k > 0 else { return }
        if heap.count == k, let minimum = heap.min, !(Entry(score: score, id: id) > minimum) { return }
        if excluding.contains(id) || score.isNaN { return }
        heap.insert(Entry(score: score, id: id))
        if heap.count > k { _ = heap.popMin() }
    }

    /// The kept entries as neighbours, best first.
    mutating func neighbours(_ words: [String]) -> [Neighbour] {
        var result: [Neighbour] = []
        result.reserveCapacity(heap.count)
        while let entry = heap.popMax() { result.append(Neighbour(word: words[Int(entry.id)], score: Double(entry.score))) }
        return result
    }
}

/// How an analogy is answered (Levy and Goldberg 2014).
public enum AnalogyMethod: String, Sendable, CaseIterable, Codable {
    /// 3CosAdd: nearest to b − a + c (gensim's `most_similar`).
    case add
    /// 3CosMul: cos'(d, b) · cos'(d, c) / (cos'(d, a) + 1e-6), cos' = (1 + cos) / 2 (gensim's `most_similar_cosmul`).
    case mul
}

extension VectorStore {
    /// Resolves words to ids, throwing `QueryError.unknownWords` with every missing one.
    public func ids(_ words: [String]) throws -> [Int32] {
        var ids: [Int32] = []
        var missing: [String] = []
        for word in words {
            if let id = id(of: word) { ids.append(id) } else { missing.append(word) }
        }
        if !missing.isEmpty { throw QueryError.unknownWords(missing) }
        return ids
    }

    /// The `k` words nearest to the mean of the unit vectors of `positive` minus those of
    /// `negative` (gensim's `most_similar`), searched among the `restrict` most frequent words
    /// (all when nil); the query words are never answers.
    /// `threads` threads share the scan of a large matrix (the answer does not depend on it).
    public func nearest(positive: [String], negative: [String] = [], k: Int = 10, restrict: Int? = nil,
                        threads: Int = 1) throws -> [Neighbour] {
        try nearest(positive: positive, negative: negative, k: k, restrict: restrict, scan: .automatic, threads: threads)
    }

    /// `nearest(positive:negative:k:restrict:threads:)` for several queries at once (each answer,
    /// or why it has none): on a large matrix up to 8 queries share one pass over the rows, with
    /// the same answers as one query at a time.
    public func nearest(queries: [(positive: [String], negative: [String])], k: Int = 10, restrict: Int? = nil,
                        threads: Int = 1) -> [Result<[Neighbour], Error>] {
        var results = [Result<[Neighbour], Error>](repeating: .success([]), count: queries.count)
        var vectors: [[Float]] = [], excluded: [Set<Int32>] = [], positions: [Int] = []
        for (position, query) in queries.enumerated() {
            do {
                let (vector, exclude) = try queryVector(positive: query.positive, negative: query.negative)
                let norm = (vector.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                vectors.append(norm > 0 ? vector.map { $0 / norm } : vector)
                excluded.append(exclude)
                positions.append(position)
            } catch {
                results[position] = .failure(error)
            }
        }
        let rows = min(count, max(1, restrict ?? count))
        for (answer, position) in zip(nearestBlock(vectors, k: k, rows: rows, excluding: excluded, threads: threads), positions) {
            results[position] = .success(answer)
        }
        return results
    }

    /// The unit query vector of `nearest(positive:negative:)` and the ids it excludes.
    public func queryVector(positive: [String], negative: [String]) throws -> (vector: [Float], excluded: Set<Int32>) {
        guard !positive.isEmpty || !negative.isEmpty else { throw QueryError.invalid("no query words") }
        // Resolved together, so that an error names every unknown word, negative ones too.
        let (vectors, ids) = try unitVectors(positive + negative)
        var query = [Float](repeating: 0, count: dim)
        for vector in vectors.prefix(positive.count) { for (index, value) in vector.enumerated() { query[index] += value } }
        for vector in vectors.dropFirst(positive.count) { for (index, value) in vector.enumerated() { query[index] -= value } }
        return (query, ids)
    }

    /// `nearest(positive:negative:k:restrict:)` with the scan chosen (for tests).
    func nearest(positive: [String], negative: [String], k: Int, restrict: Int?, scan: ScanMethod,
                 threads: Int = 1) throws -> [Neighbour] {
        // Resolved together, so that an error names every unknown word, negative ones too
        // (resolving the lists one after the other left out the negatives when a positive was unknown).
        let (query, excluded) = try queryVector(positive: positive, negative: negative)
        return nearest(to: [query], k: k, restrict: restrict, excluding: [excluded], scan: scan, threads: threads)[0]
    }

    /// The nearest words to each query vector (not necessarily unit length: the ranking is
    /// the same), excluding the given ids. Queries are answered 64 at a time with one matrix
    /// product each; a single query is one scan of the matrix (see `nearestSingle`).
    public func nearest(to queries: [[Float]], k: Int, restrict: Int? = nil, excluding: [Set<Int32>] = []) -> [[Neighbour]] {
        nearest(to: queries, k: k, restrict: restrict, excluding: excluding, scan: .automatic)
    }

    /// `nearest(to:k:restrict:excluding:)` with the scan of single queries chosen (for tests).
    func nearest(to queries: [[Float]], k: Int, restrict: Int?, excluding: [Set<Int32>], scan: ScanMethod,
                 threads: Int = 1) -> [[Neighbour]] {
        let rows = min(count, max(1, restrict ?? count))
        var answers: [[Neighbour]] = []
        answers.reserveCapacity(queries.count)
        var scores: [Float] = []
        var start = 0
        while start < queries.count {
            let batch = Array(queries[start ..< min(queries.count, start + 64)])
            let flat = batch.flatMap { query -> [Float] in
                // Normalize the query so scores are cosines.
                let norm = (query.reduce(Float(0)) { $0 + $1 * $1 }).squareRoot()
                return norm > 0 ? query.map { $0 / norm } : query
            }
            if batch.count == 1 {
                answers.append(nearestSingle(flat, k: k, rows: rows, excluding: start < excluding.count ? excluding[start] : [], method: scan,
                                             threads: threads))
                start += 1
                continue
            }
            if scores.isEmpty { scores = [Float](repeating: 0, count: rows * 64) }
            flat.withUnsafeBufferPointer { q in
                scores.withUnsafeMutableBufferPointer { s in
                    // scores (batch × rows) = queries (batch × dim) · unit rowsᵀ (dim × rows), a block of rows at a time
                    withUnitRows(0 ..< rows) { first, n, unit in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch.count), Int32(n), Int32(dim), 1,
                                    q.baseAddress, Int32(dim), unit, Int32(dim), 0, s.baseAddress! + first, Int32(rows))
                    }
                }
            }
            for (offset, _) in batch.enumerated() {
                let excluded = start + offset < excluding.count ? excluding[start + offset] : []
                answers.append(scores.withUnsafeBufferPointer { s in
                    topK(UnsafeBufferPointer(rebasing: s[(offset * rows) ..< ((offset + 1) * rows)]), k: k, excluding: excluded)
                })
            }
            start += batch.count
        }
        return answers
    }

    /// The `k` best entries of `scores` (ids excluded), best first: a size-k min-heap, so
    /// O(n log k) instead of a full sort.
    func topK(_ scores: UnsafeBufferPointer<Float>, k: Int, excluding: Set<Int32>) -> [Neighbour] {
        var selection = TopK(k: k)
        for index in 0..<scores.count { selection.offer(Int32(index), scores[index], excluding: excluding) }
        return selection.neighbours(vocabulary.words)
    }

    /// The `k` best of the rows `ids` with their `scores` (ids excluded), best first, chosen
    /// exactly as `topK(_:k:excluding:)` chooses among all rows.
    func topK(ids: ArraySlice<Int32>, scores: [Float], k: Int, excluding: Set<Int32>) -> [Neighbour] {
        var selection = TopK(k: k)
        for (id, score) in zip(ids, scores) { selection.offer(id, score, excluding: excluding) }
        return selection.neighbours(vocabulary.words)
    }

    /// a is to b as c is to ?: the `k` best answers by `method`.
    public func analogy(_ a: String, _ b: String, _ c: String, k: Int = 5, method: AnalogyMethod = .add,
                        restrict: Int? = nil) throws -> [Neighbour] {
        switch method {
        case .add:
            return try nearest(positive: [b, c], negative: [a], k: k, restrict: restrict)
        case .mul:
            let (vectors, excluded) = try unitVectors([a, b, c])
            let rows = min(count, max(1, restrict ?? count))
            // The three cosines of every row in one pass over the unit rows, a block at a time.
            var raw = [[Float]](repeating: [Float](repeating: 0, count: rows), count: vectors.count)
            withUnitRows(0 ..< rows) { first, n, unit in
                for (position, query) in vectors.enumerated() {
                    raw[position].withUnsafeMutableBufferPointer { result in
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(dim), 1, unit, Int32(dim), query, 1, 0,
                                    result.baseAddress! + first, 1)
                    }
                }
            }
            let cosines = raw.map { $0.map { (1 + $0) / 2 } }
            var scores = [Float](repeating: 0, count: rows)
            for index in 0..<rows { scores[index] = cosines[1][index] * cosines[2][index] / (cosines[0][index] + 0.000001) }
            return scores.withUnsafeBufferPointer { topK($0, k: k, excluding: excluded) }
        }
    }

    /// The cosine similarity of two words.
    public func similarity(_ first: String, _ second: String) throws -> Double {
        let (vectors, _) = try unitVectors([first, second])
        return Double(zip(vectors[0], vectors[1]).reduce(Float(0)) { $0 + $1.0 * $1.1 })
    }

    /// The word that fits least with the others (gensim's `doesnt_match`): the one farthest
    /// from the mean of their unit vectors.
    public func doesntMatch(_ words: [String]) throws -> String {
        guard words.count >= 2 else { throw QueryError.invalid("doesnt_match needs at least two words") }
        let ids = try self.ids(words)
        var mean = [Float](repeating: 0, count: dim)
        for id in ids { for (index, value) in unitVector(id).enumerated() { mean[index] += value / Float(ids.count) } }
        let scores = ids.map { id in zip(unitVector(id), mean).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let worst = scores.indices.min { scores[$0] < scores[$1] } ?? 0
        return words[worst]
    }
}
