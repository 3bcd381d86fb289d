import Dispatch
import Embeddings
import Foundation
@testable import Serving
import Testing
import TestSupport
import Vocabulary

@Suite struct NearestBatcherTests {
    /// 20,000 × 64 seeded Gaussian rows: large enough for the int8 block scan (rows × dim ≥ 1M).
    static let store: VectorStore = {
        var generator = SplitMix64(seed: 41)
        let rows = 20_000, dim = 64
        let matrix = (0 ..< rows * dim).map { _ in Float.random(in: -1 ... 1, using: &generator) }
        let words = (0 ..< rows).map { "w\($0)" }
        let vocabulary = Vocabulary(words: words, counts: words.indices.map { Int64(rows - $0) })
        return VectorStore(WordVectors(vocabulary: vocabulary, dim: dim, matrix: matrix))
    }()

    /// Queries queued together are answered in batches (up to 8 sharing `k` and `restrict`),
    /// and every answer is the one the query gets alone: the same words and scores in the same
    /// order, and an unknown word fails its own query only.
    @Test func batchedAnswersAreTheAnswersOfOneQueryAtATime() throws {
        let store = Self.store
        let batcher = NearestBatcher(store: store, workers: 1)
        struct Case { let positive: [String]; let negative: [String]; let k: Int; let restrict: Int? }
        var cases: [Case] = []
        for index in 0 ..< 30 {
            let k = index % 3 == 0 ? 5 : 10
            let restrict: Int? = index % 5 == 0 ? 3_000 : nil
            let negative = index % 7 == 0 ? ["w\(index + 100)"] : []
            cases.append(Case(positive: ["w\(index * 37)"], negative: negative, k: k, restrict: restrict))
        }
        cases.insert(Case(positive: ["w3", "nosuchword"], negative: [], k: 10, restrict: nil), at: 4)
        final class Answers: @unchecked Sendable {
            let lock = NSLock()
            var results: [Result<[Neighbour], Error>?]
            init(_ count: Int) { results = Array(repeating: nil, count: count) }
        }
        let answers = Answers(cases.count)
        let done = DispatchGroup()
        let queries = cases.enumerated().map { position, query in
            done.enter()
            return NearestBatcher.Query(positive: query.positive, negative: query.negative, k: query.k, restrict: query.restrict) { result in
                answers.lock.lock()
                answers.results[position] = result
                answers.lock.unlock()
                done.leave()
            }
        }
        batcher.submit(queries)
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(batcher.largestBatch == NearestBatcher.batchLimit)
        for (position, query) in cases.enumerated() {
            let got = try #require(answers.results[position])
            if query.positive.contains("nosuchword") {
                #expect(throws: QueryError.self) { try got.get() }
                continue
            }
            let want = try store.nearest(positive: query.positive, negative: query.negative, k: query.k, restrict: query.restrict)
            let answer = try got.get()
            #expect(answer.map(\.word) == want.map(\.word), "query \(position)")
            #expect(answer == want, "query \(position)")
        }
    }
}

extension NearestBatcherTests {
    /// A lone query on an idle batcher with two workers splits its scan in two: same answer.
    @Test func aLoneQuerySplitsItsScanWithTheSameAnswer() throws {
        let store = Self.store
        let batcher = NearestBatcher(store: store, workers: 2)
        final class Box: @unchecked Sendable { var result: Result<[Neighbour], Error>? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        batcher.submit(NearestBatcher.Query(positive: ["w17"], negative: [], k: 10, restrict: nil) { result in
            box.result = result
            done.signal()
        })
        #expect(done.wait(timeout: .now() + 60) == .success)
        let answer = try #require(box.result).get()
        #expect(answer == (try store.nearest(positive: ["w17"], k: 10)))
        #expect(answer.count == 10)
    }
}

@Suite struct TimeLimitTests {
    /// A server over three 2-D vectors, with a time limit of `seconds`.
    func server(timeLimit seconds: Double) throws -> Server {
        let directory = try SharedData.temporaryDirectory()
        let path = directory.appendingPathComponent("tiny.wpv").path
        let vocabulary = Vocabulary(words: ["a", "b", "c"], counts: [3, 2, 1])
        try WordVectors(vocabulary: vocabulary, dim: 2, matrix: [1, 0, 0, 1, 1, 1]).save(to: path, format: .native)
        return try Server(configuration: ServeConfiguration(vectors: path, timeLimit: seconds), log: { _ in })
    }

    /// Work that never answers gets the 503 of the time limit; work that answers in time gets
    /// its value (and its timer no longer waits for the limit).
    /// (No bound on the wall time: in the full suite the test's own task waits for a thread;
    /// the trait's limit catches a timer that never fires.)
    @Test(.timeLimit(.minutes(5))) func slowWorkIsAnswered503AndQuickWorkItsValue() async throws {
        let server = try server(timeLimit: 0.2)
        do {
            let _: Int = try await server.limited { _ in }  // never calls its completion
            Issue.record("work that never answered was not refused")
        } catch let error as APIError {
            #expect(error.status == 503)
        }
        let value: Int = try await server.limited { finish in finish(.success(42)) }
        #expect(value == 42)
    }

    /// A result that arrives first cancels the timer.
    @Test func theTimerIsCancelledWhenTheResultArrives() {
        let race = Race<Int>()
        let timer = DispatchWorkItem {}
        race.timer = timer
        race.finish(.success(1))
        #expect(timer.isCancelled)
        // A timer set after the result is cancelled at once.
        let late = DispatchWorkItem {}
        race.timer = late
        #expect(late.isCancelled)
    }
}
