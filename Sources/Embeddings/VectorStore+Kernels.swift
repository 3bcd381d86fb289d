import Dispatch
import QueryKernels

/// A float16 (IEEE half) copy of the unit-normalized matrix, for the first pass of a nearest
/// search: half the bytes of the float32 matrix to read per query.
struct HalfMatrix: @unchecked Sendable {
    /// Row-major `rows × stride` halves; each row's `stride − dim` padding values are zero.
    let halves: [UInt16]
    /// Halves per row: `dim` rounded up to a multiple of 8 (16-byte rows).
    let stride: Int
    /// An upper bound on the Euclidean norm of the float32 rows (1 for unit rows, up to rounding).
    let maxNorm: Double

    /// Converts `matrix` (`rows × dim`, rounded to nearest even); nil when a value is not finite
    /// or too large for a half, which unit rows never are.
    init?(_ matrix: [Float], rows: Int, dim: Int) {
        self.init(rows: rows, dim: dim, blocks: wholeMatrix(matrix, rows: rows))
    }

    /// The copy of `store`'s unit rows, converted block by block as they are made (no full
    /// float32 copy); the same values as `init(unitMatrix, rows:dim:)`.
    init?(store: VectorStore) {
        self.init(rows: store.count, dim: store.dim, blocks: { body in store.withUnitRows(0 ..< store.count, body) })
    }

    private init?(rows: Int, dim: Int, blocks: RowBlocks) {
        let stride = (dim + 7) / 8 * 8
        var largest = 0.0
        let halves = [UInt16](unsafeUninitializedCapacity: rows * stride) { buffer, initialized in
            initialized = rows * stride
            guard let target = buffer.baseAddress else { return }  // no rows
            blocks { first, n, rows in
                largest = max(largest, wpq_convert_f16(rows, Int64(n), Int64(dim), target + first * stride, Int64(stride)))
            }
        }
        // NaN rows stay NaN in both precisions, and their scores are never answers; only finite
        // rows need the bound. A row norm above the largest half cannot come from unit rows.
        guard largest.isFinite, largest <= 65504 * 65504 else { return nil }
        self.halves = halves
        self.stride = stride
        maxNorm = largest.squareRoot() * (1 + 1e-9)
    }
}

/// Float32 rows handed over block by block: the producer calls its argument with the first
/// row's index, the block's row count and its rows.
typealias RowBlocks = ((Int, Int, UnsafePointer<Float>) -> Void) -> Void

/// `matrix` (`rows` rows) as one block.
private func wholeMatrix(_ matrix: [Float], rows: Int) -> RowBlocks {
    { body in matrix.withUnsafeBufferPointer { if let base = $0.baseAddress, rows > 0 { body(0, rows, base) } } }
}

/// An int8 copy of the unit-normalized matrix with one float32 scale per row, for the first
/// pass of a nearest search: a quarter of the bytes of the float32 matrix (30 MB + 0.4 MB of
/// scales for 100,000 × 300).
struct ByteMatrix: @unchecked Sendable {
    /// Row-major `rows × stride` codes: row r ≈ scales[r] · codes[r], the padding zero.
    let codes: [Int8]
    /// One scale per row (NaN for a row holding NaN or an infinity).
    let scales: [Float]
    /// Each row's own ‖row − scale · codes‖, rounded up (0 for a row with NaN).
    let errors: [Float]
    /// Codes per row: `dim` rounded up to a multiple of 16.
    let stride: Int
    /// An upper bound on the Euclidean norm of the finite float32 rows (1 for unit rows, up to rounding).
    let maxNorm: Double
    /// An upper bound on ‖row − scale · codes‖ over the finite rows.
    let maxError: Double

    /// Converts `matrix` (`rows × dim`); nil when the bounds are not finite (rows near
    /// Float.greatestFiniteMagnitude, which unit rows never are).
    init?(_ matrix: [Float], rows: Int, dim: Int) {
        self.init(rows: rows, dim: dim, blocks: wholeMatrix(matrix, rows: rows))
    }

    /// The copy of `store`'s unit rows, converted block by block as they are made (no full
    /// float32 copy); the same codes, scales, errors and bounds as `init(unitMatrix, rows:dim:)`
    /// (the bounds are maxima over rows, so the blocks' maxima combine).
    init?(store: VectorStore) {
        self.init(rows: store.count, dim: store.dim, blocks: { body in store.withUnitRows(0 ..< store.count, body) })
    }

    private init?(rows: Int, dim: Int, blocks: RowBlocks) {
        let stride = (dim + 15) / 16 * 16
        var bounds = [0.0, 0.0]
        var scales = [Float](repeating: 0, count: rows), errors = [Float](repeating: 0, count: rows)
        let codes = [Int8](unsafeUninitializedCapacity: rows * stride) { buffer, initialized in
            initialized = rows * stride
            guard let target = buffer.baseAddress else { return }  // no rows
            scales.withUnsafeMutableBufferPointer { s in
                errors.withUnsafeMutableBufferPointer { e in
                    blocks { first, n, unit in
                        var part = [0.0, 0.0]
                        wpq_convert_i8(unit, Int64(n), Int64(dim), target + first * stride, Int64(stride),
                                       s.baseAddress! + first, e.baseAddress! + first, &part)
                        // NaN never wins `max`, as a row with NaN never counts in the C bounds.
                        bounds[0] = max(bounds[0], part[0])
                        bounds[1] = max(bounds[1], part[1])
                    }
                }
            }
        }
        guard bounds[0].isFinite, bounds[1].isFinite else { return nil }
        self.codes = codes
        self.scales = scales
        self.errors = errors
        self.stride = stride
        maxNorm = bounds[0] * (1 + 1e-9)
        maxError = bounds[1] * (1 + 1e-9)
    }
}

/// How a single query scans the matrix.
enum ScanMethod: Sendable {
    /// The int8 scan with float32 rescoring when the matrix is large, else the float32 scan.
    case automatic
    /// Every row scored in float32.
    case exact
    /// The float16 scan, then the float32 rescoring of the rows that could be in the top k.
    case halfPrecision
    /// The int8 scan, then the float32 rescoring of the rows that could be in the top k.
    case bytes
}

extension VectorStore {
    /// Matrices with fewer values (rows searched × dim) are scanned in float32 only. Measured
    /// with `wordpipe nearest` (p50 of one query, 2 busy cores): 100,000 × 300, float16 5 to 7 ms
    /// against float32 10 to 14 ms; the 29,090 × 100 trained vectors, 0.33 to 0.39 ms against
    /// 0.39 to 0.84 ms; their 10,000 most frequent (1M values, 4 MB, within the caches), 0.10 to
    /// 0.19 ms against 0.12 ms; below that the two are alike and the float16 copy is not worth
    /// its memory.
    /// The int8 scan (issue 17) uses the same threshold: on 100,000 × 300 it reads 30 MB instead
    /// of 61 MB (C harness, Benchmarks/vectors/scanbench.c: about 1.1 ms against 2.3 ms per query).
    static let halfScanMinimumValues = 1_000_000

    /// The `k` best rows among the first `rows` for one unit `query`, excluding `excluded`,
    /// best first; ties go to the lower id. The answer is always the float32 one (each score
    /// the fixed-order float32 dot product of `wpq_scores_f32`): the int8 scan (the default on
    /// a large matrix, see `byteNearest`, split over `threads`) or the float16 scan only narrows
    /// down which rows get a float32 score.
    ///
    /// The float16 scan is exact for the following reason. Let q be the float32 query, v a
    /// float32 row and h = fp16(v) its half copy, n = dim. Rounding to half precision (unit
    /// roundoff 2^-11) moves a component by at most 2^-11·|v_i| when |v_i| >= 2^-14 (normal
    /// halves) and by at most 2^-25 below (subnormal halves, spacing 2^-24), so
    ///
    ///     |q·v − q·h| <= Σ |q_i| |v_i − h_i| <= 2^-11 Σ |q_i||v_i| + 2^-25 Σ |q_i|
    ///                <= 2^-11 ‖q‖‖v‖ + 2^-25 ‖q‖₁.
    ///
    /// Both computed scores add float32 rounding: a dot product of n terms summed in any order
    /// is within γ_n Σ |q_i||x_i| of its exact value, γ_n = n·2^-24 / (1 − n·2^-24) (Higham,
    /// Accuracy and Stability of Numerical Algorithms, §3.1), and Σ |q_i||h_i| <= (1 + 2^-11)
    /// ‖q‖‖v‖ + 2^-25 ‖q‖₁. So the float32 score s and the float16 score t of a row differ by at
    /// most
    ///
    ///     B = 1.01 · ((2^-11 + 3n·2^-24) ‖q‖ V + 2^-24 ‖q‖₁),   V >= every ‖v‖,
    ///
    /// (generous: 3n·2^-24 covers both γ_n terms, 2^-24 both 2^-25 terms). If T is the k-th
    /// best float16 score, the k rows scoring at least T in float16 score at least T − B in
    /// float32, so the k-th best float32 score is at least T − B, and a row in the float32
    /// top k has t >= s − B >= T − 2B. Rescoring every row with t >= T − 2B therefore finds
    /// the float32 top k; we rescore those with t >= T − 4B, twice what the proof needs.
    /// Rows with NaN values score NaN in both and are never answers.
    ///
    /// - Complexity: O(rows × dim) with the float16 pass reading 2 bytes per value instead
    ///   of 4, plus O(c × dim) for the c rows rescored (about k on real and random vectors).
    func nearestSingle(_ query: [Float], k: Int, rows: Int, excluding excluded: Set<Int32>, method: ScanMethod,
                       threads: Int = 1) -> [Neighbour] {
        guard k > 0, rows > 0 else { return [] }
        let large = rows * dim >= Self.halfScanMinimumValues && k * 16 <= rows
        switch method {
        case .exact: break
        case .halfPrecision:
            if query.allSatisfy(\.isFinite), let half = halfMatrix {
                return halfPrecisionNearest(query, half: half, k: k, rows: rows, excluding: excluded).neighbours
            }
        case .bytes, .automatic:
            if method == .bytes || large, query.allSatisfy(\.isFinite), let bytes = byteMatrix,
               let answer = byteNearest(query, bytes: bytes, k: k, rows: rows, excluding: excluded, threads: threads) {
                return answer.neighbours
            }
        }
        var scores = [Float](repeating: 0, count: rows)
        scores.withUnsafeMutableBufferPointer { out in
            withUnitRows(0 ..< rows) { first, n, unit in
                wpq_scores_f32(unit, Int64(n), Int64(dim), query, out.baseAddress! + first)
            }
        }
        return scores.withUnsafeBufferPointer { topK($0, k: k, excluding: excluded) }
    }

    /// The float16 scan and float32 rescoring of `nearestSingle`, with the number of rows rescored.
    func halfPrecisionNearest(_ query: [Float], half: HalfMatrix, k: Int, rows: Int,
                              excluding excluded: Set<Int32>) -> (neighbours: [Neighbour], rescored: Int) {
        var padded = [Float](repeating: 0, count: half.stride)
        padded.replaceSubrange(0 ..< dim, with: query)
        var scores = [Float](repeating: 0, count: rows)
        half.halves.withUnsafeBufferPointer { h in
            wpq_scores_f16(h.baseAddress, Int64(half.stride), 0, Int64(rows), padded, &scores)
        }
        let norm = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norm1 = query.reduce(0.0) { $0 + Double(abs($1)) }
        let n = Double(dim)
        let bound = 1.01 * ((0x1p-11 + 3 * n * 0x1p-24) * norm * half.maxNorm + 0x1p-24 * norm1)
        // T − 4B: twice what the proof needs.
        return rescore(query, scores: &scores, bound: 2 * bound, k: k, rows: rows, excluding: excluded)
    }

    /// The int8 scan of `nearestSingle` (rows split between `threads` threads), then the float32
    /// rescoring, with the number of rows rescored; nil for a zero query (no int8 copy of it).
    ///
    /// Why it is exact. Let x be the float32 query, v a finite float32 row, c its codes and s its
    /// scale, so v = s·c + e with ‖e‖ <= E (ByteMatrix.maxError, measured when the copy is made);
    /// x = σ·p + f with p the int16 codes of the query, σ their scale and ‖f‖ measured. The int8
    /// pass computes D = c·p exactly in int32, then t = fl(fl(D) · fl(s·σ)). Now
    ///
    ///     x·v = s (x·c) + x·e = sσ D + s (c·f) + x·e,
    ///
    /// so |x·v − sσD| <= ‖x‖ E + ‖s c‖ ‖f‖ <= ‖x‖ E + (V + E) ‖f‖, V >= every ‖v‖. The three float32
    /// roundings of t add at most 3·2^-24 |sσD| <= 2^-22 (V + E)(‖x‖ + ‖f‖) (and 2^-100 covers an
    /// underflow of s·σ), and the float32 score s32 of the row is within γ_n ‖x‖ V <= 3n·2^-24 ‖x‖ V
    /// of x·v (see the float16 proof above). So |t − s32| <= B with
    ///
    ///     B = 1.01 · (‖x‖ E + (V + E) ‖f‖ + 2^-22 (V + E)(‖x‖ + ‖f‖) + 3n·2^-24 ‖x‖ V + 2^-100),
    ///
    /// and the same holds row by row with the row's own error e_r in place of E (and E, V, bounds
    /// on every row, in the other terms): |t_r − s32_r| <= B_r = a·e_r + b, with
    ///
    ///     a = 1.01 (‖x‖ + ‖f‖)(1 + 2^-22),
    ///     b = 1.01 (V ‖f‖ + 2^-22 V (‖x‖ + ‖f‖) + 3n·2^-24 ‖x‖ V + 2^-100).
    ///
    /// Let L be the k-th largest lower bound t_r − B_r. Those k rows score at least L in float32,
    /// so the k-th best float32 score is at least L, and a row whose upper bound t_r + B_r is
    /// below L scores strictly less than it: only rows with t_r + B_r >= L are rescored (in
    /// double, whose rounding the factor 1.01 covers many times over). A per-row bound matters on
    /// trained vectors, whose top scores sit in a crowd (with the largest E for every row, 14,000
    /// of 124,000 rows were rescored per query, 6 ms). Rows with NaN have scale NaN, score NaN in
    /// both and are never answers.
    func byteNearest(_ query: [Float], bytes: ByteMatrix, k: Int, rows: Int, excluding excluded: Set<Int32>,
                     threads: Int = 1) -> (neighbours: [Neighbour], rescored: Int)? {
        var codes = [Int16](repeating: 0, count: bytes.stride)
        var queryError = 0.0
        let queryScale = wpq_quantize_query_i16(query, Int64(dim), &codes, Int64(bytes.stride), &queryError)
        guard queryScale > 0 else { return nil }
        var scores = [Float](repeating: 0, count: rows)
        let parts = max(1, min(threads, rows / 4096))
        bytes.codes.withUnsafeBufferPointer { c in
            bytes.scales.withUnsafeBufferPointer { s in
                codes.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { out in
                        // Addresses, so that the threads' closure is Sendable; every buffer outlives the call.
                        let addresses = (UInt(bitPattern: c.baseAddress), UInt(bitPattern: s.baseAddress),
                                         UInt(bitPattern: q.baseAddress), UInt(bitPattern: out.baseAddress))
                        let stride = Int64(bytes.stride)
                        let scan = { @Sendable (part: Int) in
                            let begin = rows * part / parts, end = rows * (part + 1) / parts
                            wpq_scores_i8(UnsafePointer(bitPattern: addresses.0), stride, UnsafePointer(bitPattern: addresses.1),
                                          Int64(begin), Int64(end), UnsafePointer(bitPattern: addresses.2), queryScale,
                                          UnsafeMutablePointer(bitPattern: addresses.3))
                        }
                        if parts == 1 { scan(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: scan) }
                    }
                }
            }
        }
        return rescoreBytes(query, scores: &scores, bytes: bytes, queryError: queryError, k: k, rows: rows, excluding: excluded)
    }

    /// The float32 rescoring after the int8 scan, with the per-row bound of `byteNearest`'s proof.
    func rescoreBytes(_ query: [Float], scores: inout [Float], bytes: ByteMatrix, queryError: Double, k: Int, rows: Int,
                      excluding excluded: Set<Int32>) -> (neighbours: [Neighbour], rescored: Int) {
        let norm = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let n = Double(dim), v = bytes.maxNorm
        let a = 1.01 * (norm + queryError) * (1 + 0x1p-22)
        let b = 1.01 * (v * queryError + 0x1p-22 * v * (norm + queryError) + 3 * n * 0x1p-24 * norm * v + 0x1p-100)
        for id in excluded where id >= 0 && Int(id) < rows { scores[Int(id)] = -.infinity }
        let lower = scores.withUnsafeBufferPointer { s in
            bytes.errors.withUnsafeBufferPointer { e in wpq_kth_lower(s.baseAddress, e.baseAddress, a, b, Int64(rows), Int64(k)) }
        }
        var candidates = [Int32](repeating: 0, count: 4 * k + 64)
        var found = 0
        while true {
            found = Int(scores.withUnsafeBufferPointer { s in
                bytes.errors.withUnsafeBufferPointer { e in
                    wpq_collect_upper(s.baseAddress, e.baseAddress, a, b, Int64(rows), lower, &candidates, Int64(candidates.count))
                }
            })
            if found <= candidates.count { break }
            candidates = [Int32](repeating: 0, count: found)
        }
        let exact = unitScores(query, ids: candidates.prefix(found))
        return (topK(ids: candidates.prefix(found), scores: exact, k: k, excluding: excluded), found)
    }

    /// Several unit queries at once: on a large matrix, blocks of up to 8 share one pass of the
    /// int8 scan (`wpq_scores_i8_block`, the same scores as one query at a time), then each is
    /// rescored as `byteNearest` rescores it; otherwise one `nearestSingle` each. The answers are
    /// those of `nearestSingle`.
    func nearestBlock(_ queries: [[Float]], k: Int, rows: Int, excluding: [Set<Int32>], threads: Int = 1) -> [[Neighbour]] {
        let large = rows * dim >= Self.halfScanMinimumValues && k * 16 <= rows
        guard queries.count > 1, k > 0, rows > 0, large, let bytes = byteMatrix else {
            return queries.indices.map { nearestSingle(queries[$0], k: k, rows: rows, excluding: excluding[$0], method: .automatic, threads: threads) }
        }
        var answers: [[Neighbour]] = []
        var start = 0
        while start < queries.count {
            let block = Array(queries[start ..< min(queries.count, start + 8)])
            var codes = [Int16](repeating: 0, count: block.count * bytes.stride)
            var scales = [Float](repeating: 0, count: block.count), errors = [Double](repeating: 0, count: block.count)
            for (q, query) in block.enumerated() where query.allSatisfy(\.isFinite) {
                var one = [Int16](repeating: 0, count: bytes.stride)
                scales[q] = wpq_quantize_query_i16(query, Int64(dim), &one, Int64(bytes.stride), &errors[q])
                codes.replaceSubrange(q * bytes.stride ..< (q + 1) * bytes.stride, with: one)
            }
            guard scales.allSatisfy({ $0 > 0 }) else {
                // A zero or non-finite query: each of this block alone.
                for (q, query) in block.enumerated() {
                    answers.append(nearestSingle(query, k: k, rows: rows, excluding: excluding[start + q], method: .automatic, threads: threads))
                }
                start += block.count
                continue
            }
            var scores = [Float](repeating: 0, count: block.count * rows)
            let parts = max(1, min(threads, rows / 4096)), count = Int32(block.count)
            bytes.codes.withUnsafeBufferPointer { c in
                bytes.scales.withUnsafeBufferPointer { s in
                    codes.withUnsafeBufferPointer { q in
                        scales.withUnsafeBufferPointer { qs in
                            scores.withUnsafeMutableBufferPointer { out in
                                let addresses = (UInt(bitPattern: c.baseAddress), UInt(bitPattern: s.baseAddress), UInt(bitPattern: q.baseAddress),
                                                 UInt(bitPattern: qs.baseAddress), UInt(bitPattern: out.baseAddress))
                                let stride = Int64(bytes.stride)
                                let scan = { @Sendable (part: Int) in
                                    let begin = rows * part / parts, end = rows * (part + 1) / parts
                                    wpq_scores_i8_block(UnsafePointer(bitPattern: addresses.0), stride, UnsafePointer(bitPattern: addresses.1),
                                                        Int64(begin), Int64(end), UnsafePointer(bitPattern: addresses.2),
                                                        UnsafePointer(bitPattern: addresses.3), count,
                                                        UnsafeMutablePointer(bitPattern: addresses.4), Int64(rows))
                                }
                                if parts == 1 { scan(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: scan) }
                            }
                        }
                    }
                }
            }
            for (q, query) in block.enumerated() {
                var own = Array(scores[q * rows ..< (q + 1) * rows])
                answers.append(rescoreBytes(query, scores: &own, bytes: bytes, queryError: errors[q], k: k, rows: rows,
                                            excluding: excluding[start + q]).neighbours)
            }
            start += block.count
        }
        return answers
    }

    /// The float32 rescoring shared by the float16 and int8 scans: given first-pass `scores` each
    /// within `bound` of the row's float32 score, rescores every row within 2·bound of the k-th
    /// best first-pass score and returns the float32 top k (and how many rows were rescored).
    func rescore(_ query: [Float], scores: inout [Float], bound: Double, k: Int, rows: Int,
                 excluding excluded: Set<Int32>) -> (neighbours: [Neighbour], rescored: Int) {
        // Excluded rows take no place in the k best.
        for id in excluded where id >= 0 && Int(id) < rows { scores[Int(id)] = -.infinity }
        let kth = scores.withUnsafeBufferPointer { wpq_kth_largest($0.baseAddress, Int64(rows), Int64(k)) }
        // Rounded down, so that the float threshold is never above T − 2·bound.
        let threshold = kth == -.infinity ? -Float.infinity : Float(Double(kth) - 2 * bound).nextDown
        var candidates = [Int32](repeating: 0, count: 4 * k + 64)
        var found = 0
        while true {
            found = Int(scores.withUnsafeBufferPointer { s in
                wpq_collect_at_least(s.baseAddress, Int64(rows), threshold, &candidates, Int64(candidates.count))
            })
            if found <= candidates.count { break }
            candidates = [Int32](repeating: 0, count: found)
        }
        let exact = unitScores(query, ids: candidates.prefix(found))
        return (topK(ids: candidates.prefix(found), scores: exact, k: k, excluding: excluded), found)
    }

    /// The float32 scores of the unit rows `ids` for `query`, bit-identical to `wpq_scores_f32`'s
    /// over a unit-normalized matrix: the rows are made unit (row · (1 / norm)) in a small buffer
    /// and scored by `wpq_scores_f32_rows` in their order.
    func unitScores(_ query: [Float], ids: ArraySlice<Int32>) -> [Float] {
        guard !ids.isEmpty, dim > 0 else { return [Float](repeating: 0, count: ids.count) }
        var rows = [Float](repeating: 0, count: ids.count * dim)
        rows.withUnsafeMutableBufferPointer { gatherUnitRows(ids, into: $0.baseAddress!) }
        let order = (0 ..< Int32(ids.count)).map { $0 }
        var exact = [Float](repeating: 0, count: ids.count)
        rows.withUnsafeBufferPointer { m in
            wpq_scores_f32_rows(m.baseAddress, Int64(dim), query, order, Int64(ids.count), &exact)
        }
        return exact
    }
}
