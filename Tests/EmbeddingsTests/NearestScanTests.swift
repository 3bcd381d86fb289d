import CBLAS
import Foundation
import QueryKernels
import Testing
import TestSupport
import Vocabulary
@testable import Embeddings

// The float16 scan with float32 rescoring must answer exactly as the float32 scan does: same
// words, same scores, same order, for every k, restriction and negative word.

/// A standard normal value (Box–Muller).
private func gaussian(_ generator: inout SplitMix64) -> Float {
    let u = Double.random(in: Double.ulpOfOne ..< 1, using: &generator), v = Double.random(in: 0 ..< 1, using: &generator)
    return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
}

/// A store over `rows` (words w0, w1, … in frequency order).
private func store(_ rows: [[Float]]) -> VectorStore {
    let words = rows.indices.map { "w\($0)" }
    let vocabulary = Vocabulary(words: words, counts: words.indices.map { Int64(rows.count - $0) })
    return VectorStore(WordVectors(vocabulary: vocabulary, dim: rows[0].count, matrix: rows.flatMap { $0 }))
}

/// Gaussian rows: cosines spread as in the benchmark's random matrix.
private func randomRows(_ count: Int, dim: Int, seed: UInt64) -> [[Float]] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in (0..<dim).map { _ in gaussian(&generator) } }
}

/// Near-ties everywhere: a few base directions, each repeated with perturbations far below
/// half precision (most rows share their float16 copy with others), some exact duplicates
/// (ties broken by id), components in the subnormal half range, zero rows and a NaN row.
private func adversarialRows(_ count: Int, dim: Int, seed: UInt64) -> [[Float]] {
    var generator = SplitMix64(seed: seed)
    let bases = randomRows(6, dim: dim, seed: seed &+ 1)
    var rows: [[Float]] = []
    for index in 0..<count {
        let base = bases[index % bases.count]
        switch index % 11 {
        case 0: rows.append(base)  // exact duplicates of the base
        case 1: rows.append(base.map { $0 * 3 })  // the same direction, another length: the same unit row up to rounding
        case 2 where index == 2: rows.append([Float](repeating: 0, count: dim))
        case 3 where index == 3: rows.append([Float](repeating: .nan, count: dim))
        case 4:
            // Tiny components: subnormal halves once normalized.
            var row = base
            for i in Swift.stride(from: 0, to: dim, by: 3) { row[i] = Float.random(in: -1e-6 ... 1e-6, using: &generator) }
            rows.append(row)
        default:
            // Relative perturbations of 1e-6 to 1e-5: below the float16 spacing (2^-11 relative).
            let scale = Float.random(in: 1e-6 ... 1e-5, using: &generator)
            rows.append(base.map { $0 * (1 + scale * gaussian(&generator)) })
        }
    }
    return rows
}

@Suite(.serialized) struct NearestScanTests {
    // MARK: kernels

    @Test func halfConversionRoundsToNearestEven() {
        var generator = SplitMix64(seed: 7)
        var values: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 70000, .infinity, -.infinity, 0x1p-14, 0x1p-24, 0x1p-25,
                               0x1.8p-25, 0x1p-26, 0x1.ffcp-15, 0x1.002p0, 0x1.006p0, 0x1.001p0, 0x1.003p0, .leastNonzeroMagnitude]
        values += (0..<20_000).map { _ in Float(bitPattern: UInt32.random(in: 0x3000_0000 ... 0x4800_0000, using: &generator)) }
        values += (0..<5_000).map { _ in -Float(bitPattern: UInt32.random(in: 0 ... 0x3880_0000, using: &generator)) }
        for value in values {
            // Swift's Float16 rounds to nearest even.
            #expect(wpq_float_to_half(value) == Float16(value).bitPattern, "\(value)")
        }
        // Every half converts back exactly (NaNs stay NaN).
        for bits in 0 ... UInt16.max {
            let back = wpq_half_to_float(bits), expected = Float(Float16(bitPattern: bits))
            #expect(back.bitPattern == expected.bitPattern || back.isNaN && expected.isNaN, "\(bits)")
        }
        // The vectorized copy (F16C when available) is the same as the portable one.
        let dim = 21
        let matrix = values.prefix(dim * 1000).map { $0 }
        let rows = matrix.count / dim
        var vectorized = [UInt16](repeating: 1, count: rows * 24), portable = [UInt16](repeating: 1, count: rows * 24)
        let largest = wpq_convert_f16(matrix, Int64(rows), Int64(dim), &vectorized, 24)
        wpq_set_portable(1)
        #expect(wpq_convert_f16(matrix, Int64(rows), Int64(dim), &portable, 24) == largest)
        wpq_set_portable(0)
        #expect(vectorized == portable)
        #expect((0..<rows).allSatisfy { row in vectorized[(row * 24 + dim) ..< (row * 24 + 24)].allSatisfy { $0 == 0 } })
    }

    /// Float32 scores are bit-identical between the builds and between a full scan and a rescan of some rows.
    @Test(arguments: [1, 2, 7, 8, 9, 31, 32, 33, 64, 100, 300])
    func float32ScoresHaveOneOrder(dim: Int) {
        let rows = 37
        let matrix = randomRows(rows, dim: dim, seed: UInt64(dim)).flatMap { $0 }
        let query = randomRows(1, dim: dim, seed: 99)[0]
        var vectorized = [Float](repeating: 0, count: rows), portable = vectorized, some = vectorized
        wpq_scores_f32(matrix, Int64(rows), Int64(dim), query, &vectorized)
        wpq_set_portable(1)
        wpq_scores_f32(matrix, Int64(rows), Int64(dim), query, &portable)
        wpq_set_portable(0)
        let ids: [Int32] = [36, 0, 5, 5, 17, 3, 9, 30, 31, 2, 1, 0, 36]  // groups of four, with prefetches, and a rest
        wpq_scores_f32_rows(matrix, Int64(dim), query, ids, Int64(ids.count), &some)
        #expect(vectorized.map(\.bitPattern) == portable.map(\.bitPattern))
        #expect(ids.indices.allSatisfy { some[$0].bitPattern == vectorized[Int(ids[$0])].bitPattern })
        for row in 0..<rows {
            let exact = (0..<dim).reduce(0.0) { $0 + Double(matrix[row * dim + $1]) * Double(query[$1]) }
            let magnitude = (0..<dim).reduce(0.0) { $0 + abs(Double(matrix[row * dim + $1]) * Double(query[$1])) }
            #expect(abs(Double(vectorized[row]) - exact) <= 1.01 * Double(dim) * 0x1p-24 * magnitude)
        }
    }

    /// The float32 scores keep the bits `cblas_sgemv` gave single queries before, where OpenBLAS
    /// 0.3.21 runs its AVX2 kernels (rows in its groups of 4; small matrices, so that it stays on
    /// one thread).
    @Test(.enabled(if: wpq_kernels_vectorized() == 1 && String(cString: openblas_get_config()).contains("OpenBLAS 0.3.21")
                   && ["Haswell", "Zen", "SkylakeX", "Cooperlake"].contains(String(cString: openblas_get_corename()))),
          arguments: [12, 64, 100, 300, 50, 25])
    func float32ScoresAreOpenBLASs(dim: Int) {
        let rows = 400
        let matrix = randomRows(rows, dim: dim, seed: UInt64(dim) + 40).flatMap { $0 }
        let query = randomRows(1, dim: dim, seed: 41)[0]
        var ours = [Float](repeating: 0, count: rows), blas = ours
        wpq_scores_f32(matrix, Int64(rows), Int64(dim), query, &ours)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(dim), 1, matrix, Int32(dim), query, 1, 0, &blas, 1)
        let differing = (0..<rows).filter { ours[$0].bitPattern != blas[$0].bitPattern }
        // Haswell's and Zen's builds add the dim mod 4 last values in another order than SkylakeX's.
        if dim % 4 == 0 || ["SkylakeX", "Cooperlake"].contains(String(cString: openblas_get_corename())) {
            #expect(differing.isEmpty, "rows \(differing.prefix(5))")
        }
    }

    /// The float16 scan is within the documented bound of the float32 score, in both builds.
    @Test(arguments: [3, 8, 100, 300])
    func float16ScoresAreWithinTheBound(dim: Int) throws {
        let rows = 501
        let normalized = store(randomRows(rows, dim: dim, seed: 5)).unitMatrix()
        let half = try #require(HalfMatrix(normalized, rows: rows, dim: dim))
        var query = [Float](repeating: 0, count: half.stride)
        let direction = randomRows(1, dim: dim, seed: 6)[0]
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in 0..<dim { query[i] = direction[i] / norm }
        var exact = [Float](repeating: 0, count: rows), halves = exact, portable = exact
        wpq_scores_f32(normalized, Int64(rows), Int64(dim), query, &exact)
        wpq_scores_f16(half.halves, Int64(half.stride), 0, Int64(rows), query, &halves)
        wpq_set_portable(1)
        wpq_scores_f16(half.halves, Int64(half.stride), 0, Int64(rows), query, &portable)
        wpq_set_portable(0)
        let bound = 1.01 * ((0x1p-11 + 3 * Double(dim) * 0x1p-24) * half.maxNorm + 0x1p-24 * Double(dim).squareRoot())
        for row in 0..<rows {
            #expect(abs(Double(halves[row]) - Double(exact[row])) <= bound)
            #expect(abs(Double(portable[row]) - Double(exact[row])) <= bound)
        }
    }

    /// The int8 scan is within the documented bound of the float32 score, in every build
    /// (AVX-512, AVX2, portable), and the builds give the same bits.
    @Test(arguments: [3, 8, 16, 17, 100, 300, 1000])
    func int8ScoresAreWithinTheBound(dim: Int) throws {
        let rows = 501
        var raw = randomRows(rows, dim: dim, seed: 15)
        raw[7] = raw[7].map { $0 * 1e-30 }  // tiny values: subnormal codes
        raw[9][0] = 1e4  // one large component: a coarse scale for the rest of the row
        let normalized = store(raw).unitMatrix()
        let bytes = try #require(ByteMatrix(normalized, rows: rows, dim: dim))
        let direction = randomRows(1, dim: dim, seed: 16)[0]
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let query = direction.map { $0 / norm }
        var codes = [Int16](repeating: 0, count: bytes.stride)
        var queryError = 0.0
        let queryScale = wpq_quantize_query_i16(query, Int64(dim), &codes, Int64(bytes.stride), &queryError)
        #expect(queryScale > 0)
        var exact = [Float](repeating: 0, count: rows), fast = exact, portable = exact
        wpq_scores_f32(normalized, Int64(rows), Int64(dim), query, &exact)
        wpq_scores_i8(bytes.codes, Int64(bytes.stride), bytes.scales, 0, Int64(rows), codes, queryScale, &fast)
        wpq_set_portable(1)
        wpq_scores_i8(bytes.codes, Int64(bytes.stride), bytes.scales, 0, Int64(rows), codes, queryScale, &portable)
        wpq_set_portable(0)
        #expect(fast.map(\.bitPattern) == portable.map(\.bitPattern))
        let v = bytes.maxNorm, e = bytes.maxError, n = Double(dim)
        let bound = 1.01 * (e + (v + e) * queryError + 0x1p-22 * (v + e) * (1 + queryError) + 3 * n * 0x1p-24 * v + 0x1p-100)
        let a = 1.01 * (1 + queryError) * (1 + 0x1p-22)
        let b = 1.01 * (v * queryError + 0x1p-22 * v * (1 + queryError) + 3 * n * 0x1p-24 * v + 0x1p-100)
        for row in 0..<rows {
            #expect(abs(Double(fast[row]) - Double(exact[row])) <= bound, "row \(row)")
            // The row's own bound, which the rescoring uses.
            #expect(abs(Double(fast[row]) - Double(exact[row])) <= a * Double(bytes.errors[row]) + b, "row \(row), own bound")
            #expect(Double(bytes.errors[row]) <= e * (1 + 0x1p-22))  // e up to the rounding of a float
        }
        // Several queries in one pass give the same bits as one at a time.
        let others = (0..<5).map { randomRows(1, dim: dim, seed: UInt64(40 + $0))[0] }
        var block = [Int16](repeating: 0, count: 5 * bytes.stride), blockScales = [Float](repeating: 0, count: 5)
        for (q, other) in others.enumerated() {
            var one = [Int16](repeating: 0, count: bytes.stride)
            blockScales[q] = wpq_quantize_query_i16(other, Int64(dim), &one, Int64(bytes.stride), &queryError)
            block.replaceSubrange(q * bytes.stride ..< (q + 1) * bytes.stride, with: one)
        }
        var blockScores = [Float](repeating: 0, count: 5 * rows)
        wpq_scores_i8_block(bytes.codes, Int64(bytes.stride), bytes.scales, 0, Int64(rows), block, blockScales, 5, &blockScores, Int64(rows))
        for q in 0..<5 {
            var one = [Float](repeating: 0, count: rows)
            Array(block[q * bytes.stride ..< (q + 1) * bytes.stride]).withUnsafeBufferPointer { codesOfQuery in
                wpq_scores_i8(bytes.codes, Int64(bytes.stride), bytes.scales, 0, Int64(rows), codesOfQuery.baseAddress, blockScales[q], &one)
            }
            #expect(one.map(\.bitPattern) == blockScores[q * rows ..< (q + 1) * rows].map(\.bitPattern), "query \(q) of a block")
        }
        // A range that starts and ends inside a group of eight rows.
        var inner = [Float](repeating: 0, count: rows), innerPortable = inner
        wpq_scores_i8(bytes.codes, Int64(bytes.stride), bytes.scales, 3, Int64(rows - 5), codes, queryScale, &inner)
        wpq_set_portable(1)
        wpq_scores_i8(bytes.codes, Int64(bytes.stride), bytes.scales, 3, Int64(rows - 5), codes, queryScale, &innerPortable)
        wpq_set_portable(0)
        #expect(inner.map(\.bitPattern) == innerPortable.map(\.bitPattern))
        #expect(inner[0 ..< 3].allSatisfy { $0 == 0 } && inner[(rows - 5)...].allSatisfy { $0 == 0 })
        // The partial sums cannot overflow int32 even at the largest codes.
        let ones = [Float](repeating: 1, count: dim)
        let big = try #require(ByteMatrix(ones + ones.map { -$0 }, rows: 2, dim: dim))
        let qScale = wpq_quantize_query_i16(ones, Int64(dim), &codes, Int64(big.stride), &queryError)
        var two = [Float](repeating: 0, count: 2)
        wpq_scores_i8(big.codes, Int64(big.stride), big.scales, 0, 2, codes, qScale, &two)
        #expect(abs(Double(two[0]) - n) <= 1e-4 * n && abs(Double(two[1]) + n) <= 1e-4 * n, "\(two)")
    }

    /// The rescoring's selection (the k-th largest lower bound, then the rows whose upper bound
    /// reaches it) gives the same answers in the AVX-512 and the portable build, with NaN
    /// scores, ties, and counts that are not multiples of eight.
    @Test(arguments: [1, 7, 10, 64])
    func selectionIsTheSameInEveryBuild(k: Int) {
        var generator = SplitMix64(seed: UInt64(90 + k))
        let count = 1_003
        var scores = (0 ..< count).map { _ in Float.random(in: -1 ... 1, using: &generator) }
        let errors = (0 ..< count).map { _ in Float.random(in: 0 ... 0.01, using: &generator) }
        for row in stride(from: 5, to: count, by: 97) { scores[row] = .nan }
        for row in stride(from: 11, to: count, by: 50) { scores[row] = 0.75 }  // ties
        let a = 1.01, b = 1e-4
        func select() -> (Double, [Int32]) {
            let lower = wpq_kth_lower(scores, errors, a, b, Int64(count), Int64(k))
            var ids = [Int32](repeating: -1, count: count)
            let found = wpq_collect_upper(scores, errors, a, b, Int64(count), lower, &ids, Int64(count))
            return (lower, Array(ids.prefix(Int(found))))
        }
        let fast = select()
        wpq_set_portable(1)
        let portable = select()
        wpq_set_portable(0)
        #expect(fast.0 == portable.0)
        #expect(fast.1 == portable.1)
        // The k-th largest lower bound, from a sort.
        var bounds: [Double] = []
        for (score, error) in zip(scores, errors) where !score.isNaN {
            bounds.append(Double(score) - (a * Double(error) + b))
        }
        bounds.sort(by: >)
        #expect(fast.0 == bounds[k - 1])
        #expect(fast.1.count >= k)
        // The k-th largest score (the float16 rescoring's threshold) skips NaN too.
        let sortedScores = scores.filter { !$0.isNaN }.sorted(by: >)
        #expect(wpq_kth_largest(scores, Int64(count), Int64(k)) == sortedScores[k - 1])
        #expect(wpq_kth_largest(scores, Int64(count), Int64(count)) == -.infinity)  // fewer than k are numbers
    }

    // MARK: queries

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rows: Int
        var dim: Int
        var adversarial: Bool
        var testDescription: String { "\(name) \(rows)×\(dim)" }
    }

    static let cases = [
        Case(name: "random", rows: 3000, dim: 50, adversarial: false),
        Case(name: "random", rows: 1200, dim: 300, adversarial: false),
        Case(name: "random", rows: 2000, dim: 13, adversarial: false),
        Case(name: "near-ties", rows: 2500, dim: 40, adversarial: true),
        Case(name: "near-ties", rows: 900, dim: 300, adversarial: true),
    ]

    /// The same answers from both scans, for k = 1, 10, 100, with restrict and negative words.
    @Test(arguments: cases)
    func halfPrecisionScanAnswersAsTheExactOne(_ c: Case) throws {
        let rows = c.adversarial ? adversarialRows(c.rows, dim: c.dim, seed: UInt64(c.rows)) : randomRows(c.rows, dim: c.dim, seed: UInt64(c.rows))
        let vectors = store(rows)
        var generator = SplitMix64(seed: UInt64(c.dim))
        var rescored = 0, asked = 0, byteRescored = 0
        for k in [1, 10, 100] {
            for restrict in [nil, c.rows / 3] {
                for query in 0..<12 {
                    let words = (0..<(1 + query % 3)).map { _ in "w\(Int.random(in: 0 ..< c.rows / 3, using: &generator))" }
                    let positive = Array(words.prefix(query % 2 == 0 ? words.count : 1))
                    let negative = query % 2 == 0 ? [] : Array(words.dropFirst())
                    let exact = try vectors.nearest(positive: positive, negative: negative, k: k, restrict: restrict, scan: .exact)
                    let halves = try vectors.nearest(positive: positive, negative: negative, k: k, restrict: restrict, scan: .halfPrecision)
                    #expect(halves == exact, "k=\(k) restrict=\(restrict.map(String.init) ?? "all") +\(positive) -\(negative)")
                    let bytes = try vectors.nearest(positive: positive, negative: negative, k: k, restrict: restrict, scan: .bytes,
                                                    threads: 1 + query % 3)
                    #expect(bytes == exact, "int8, k=\(k) restrict=\(restrict.map(String.init) ?? "all") +\(positive) -\(negative)")
                    if !words.contains("w3") {  // w3 is the NaN row of the near-ties matrix: no answers at all
                        #expect(exact.count == min(k, (restrict ?? c.rows) - Set(words).count - (c.adversarial ? 1 : 0)))
                    }
                }
                // Raw query vectors too, some of them rows of the matrix (a score of 1 with itself).
                for query in 0..<6 {
                    let vector = query % 2 == 0 ? rows[query * 7] : randomRows(1, dim: c.dim, seed: UInt64(query + 1000))[0]
                    let exact = vectors.nearest(to: [vector], k: k, restrict: restrict, excluding: [], scan: .exact)[0]
                    let halves = vectors.nearest(to: [vector], k: k, restrict: restrict, excluding: [], scan: .halfPrecision)[0]
                    #expect(halves == exact, "k=\(k) restrict=\(restrict.map(String.init) ?? "all") vector \(query)")
                    let bytes = vectors.nearest(to: [vector], k: k, restrict: restrict, excluding: [], scan: .bytes, threads: 2)[0]
                    #expect(bytes == exact, "int8, k=\(k) restrict=\(restrict.map(String.init) ?? "all") vector \(query)")
                    if !c.adversarial, let byteCopy = vectors.byteMatrix {
                        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        let answer = try #require(vectors.byteNearest(vector.map { $0 / norm }, bytes: byteCopy, k: k,
                                                                      rows: restrict ?? c.rows, excluding: []))
                        #expect(answer.neighbours == exact)
                        byteRescored += answer.rescored
                    }
                    if !c.adversarial, let half = vectors.halfMatrix {
                        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                        let (answer, count) = vectors.halfPrecisionNearest(vector.map { $0 / norm }, half: half, k: k,
                                                                             rows: restrict ?? c.rows, excluding: [])
                        #expect(answer == exact)
                        rescored += count
                        asked += k
                    }
                }
            }
        }
        // On random vectors the float16 pass leaves few rows to rescore beyond the k answers.
        if !c.adversarial { #expect(Double(rescored) <= Double(asked) * 2 + 50, "\(rescored) rows rescored for \(asked) answers") }
        // The int8 pass leaves more (its bound uses the largest rounding error of any row), still
        // a small part of the rows.
        if !c.adversarial {
            #expect(Double(byteRescored) <= Double(asked) * 6 + 0.02 * Double(c.rows * 36), "\(byteRescored) rows rescored for \(asked) answers")
        }
    }

    /// The int8 scan split over threads (parts of at least 4,096 rows) answers as one thread does.
    @Test func int8ScanOverThreadsAnswersTheSame() throws {
        let rows = randomRows(12_500, dim: 20, seed: 21)
        let vectors = store(rows)
        for query in 0..<20 {
            let vector = randomRows(1, dim: 20, seed: UInt64(300 + query))[0]
            let exact = vectors.nearest(to: [vector], k: 10, restrict: nil, excluding: [], scan: .exact)[0]
            for threads in [2, 3, 8] {
                #expect(vectors.nearest(to: [vector], k: 10, restrict: nil, excluding: [], scan: .bytes, threads: threads)[0] == exact)
            }
        }
    }

    /// Queries answered together (blocks of up to 8 sharing a pass over the int8 rows) get the
    /// answers of one query at a time: unknown words, negatives, restrict and threads included.
    @Test func blocksOfQueriesAnswerAsSingleQueries() throws {
        let vectors = store(randomRows(10_000, dim: 100, seed: 31))  // 1M values: the int8 path
        var generator = SplitMix64(seed: 32)
        var queries: [(positive: [String], negative: [String])] = (0..<21).map { index in
            let words = (0..<(1 + index % 3)).map { _ in "w\(Int.random(in: 0 ..< 10_000, using: &generator))" }
            return index % 2 == 0 ? (words, []) : ([words[0]], Array(words.dropFirst()))
        }
        queries.insert((["w1", "nowhere"], []), at: 5)
        for (restrict, threads) in [(nil, 1), (6000, 2)] as [(Int?, Int)] {
            let together = vectors.nearest(queries: queries, k: 10, restrict: restrict, threads: threads)
            #expect(together.count == queries.count)
            for (query, answer) in zip(queries, together) {
                switch answer {
                case .success(let neighbours):
                    let alone = try vectors.nearest(positive: query.positive, negative: query.negative, k: 10, restrict: restrict, scan: .exact)
                    #expect(neighbours == alone, "+\(query.positive) -\(query.negative)")
                case .failure(let error):
                    #expect(query.positive.contains("nowhere") && "\(error)".contains("nowhere"))
                }
            }
        }
    }

    /// Exact ties (duplicate rows) go to the lower id in both scans.
    @Test func tiesGoToTheLowerID() throws {
        let base = randomRows(1, dim: 24, seed: 3)[0]
        let other = randomRows(30, dim: 24, seed: 4)
        let vectors = store([base] + other + [base, base] + other + [base])
        for scan in [ScanMethod.exact, .halfPrecision, .bytes] {
            let answers = vectors.nearest(to: [base], k: 4, restrict: nil, excluding: [], scan: scan)[0]
            #expect(answers.map(\.word) == ["w0", "w31", "w32", "w63"])
            #expect(Set(answers.map(\.score)).count == 1)
        }
    }

    /// The portable build (no AVX2) answers the same.
    @Test func portableBuildAnswersTheSame() throws {
        let rows = adversarialRows(700, dim: 36, seed: 12)
        let vectors = store(rows)
        let fast = try vectors.nearest(positive: ["w5", "w9"], negative: ["w40"], k: 25, restrict: nil, scan: .halfPrecision)
        let fastBytes = try vectors.nearest(positive: ["w5", "w9"], negative: ["w40"], k: 25, restrict: nil, scan: .bytes)
        wpq_set_portable(1)
        let portable = try vectors.nearest(positive: ["w5", "w9"], negative: ["w40"], k: 25, restrict: nil, scan: .halfPrecision)
        let portableBytes = try vectors.nearest(positive: ["w5", "w9"], negative: ["w40"], k: 25, restrict: nil, scan: .bytes)
        let exact = try vectors.nearest(positive: ["w5", "w9"], negative: ["w40"], k: 25, restrict: nil, scan: .exact)
        wpq_set_portable(0)
        #expect(fast == exact)
        #expect(portable == exact)
        #expect(fastBytes == exact)
        #expect(portableBytes == exact)
    }
}
