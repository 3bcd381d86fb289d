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
        let stride = (dim + 7) / 8 * 8
        var largest = 0.0
        let halves = [UInt16](unsafeUninitializedCapacity: rows * stride) { buffer, initialized in
            matrix.withUnsafeBufferPointer { m in
                largest = wpq_convert_f16(m.baseAddress, Int64(rows), Int64(dim), buffer.baseAddress, Int64(stride))
            }
            initialized = rows * stride
        }
        // NaN rows stay NaN in both precisions, and their scores are never answers; only finite
        // rows need the bound. A row norm above the largest half cannot come from unit rows.
        guard largest.isFinite, largest <= 65504 * 65504 else { return nil }
        self.halves = halves
        self.stride = stride
        maxNorm = largest.squareRoot() * (1 + 1e-9)
    }
}

/// How a single query scans the matrix.
enum ScanMethod: Sendable {
    /// The float16 scan with float32 rescoring when the matrix is large, else the float32 scan.
    case automatic
    /// Every row scored in float32.
    case exact
    /// The float16 scan, then the float32 rescoring of the rows that could be in the top k.
    case halfPrecision
}

extension VectorStore {
    /// Matrices with fewer values (rows searched × dim) are scanned in float32 only. Measured
    /// with `wordpipe nearest` (p50 of one query, 2 busy cores): 100,000 × 300, float16 5 to 7 ms
    /// against float32 10 to 14 ms; the 29,090 × 100 trained vectors, 0.33 to 0.39 ms against
    /// 0.39 to 0.84 ms; their 10,000 most frequent (1M values, 4 MB, within the caches), 0.10 to
    /// 0.19 ms against 0.12 ms; below that the two are alike and the float16 copy is not worth
    /// its memory.
    static let halfScanMinimumValues = 1_000_000

    /// The `k` best rows among the first `rows` for one unit `query`, excluding `excluded`,
    /// best first; ties go to the lower id. The answer is always the float32 one (each score
    /// the fixed-order float32 dot product of `wpq_scores_f32`): the float16 scan only narrows
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
    func nearestSingle(_ query: [Float], k: Int, rows: Int, excluding excluded: Set<Int32>, method: ScanMethod) -> [Neighbour] {
        guard k > 0, rows > 0 else { return [] }
        let useHalves: Bool
        switch method {
        case .exact: useHalves = false
        case .halfPrecision: useHalves = true
        case .automatic: useHalves = rows * dim >= Self.halfScanMinimumValues && k * 16 <= rows
        }
        if useHalves, query.allSatisfy(\.isFinite), let half = halfMatrix {
            return halfPrecisionNearest(query, half: half, k: k, rows: rows, excluding: excluded).neighbours
        }
        let matrix = normalized
        var scores = [Float](repeating: 0, count: rows)
        matrix.withUnsafeBufferPointer { m in
            wpq_scores_f32(m.baseAddress, Int64(rows), Int64(dim), query, &scores)
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
        // Excluded rows take no place in the k best.
        for id in excluded where id >= 0 && Int(id) < rows { scores[Int(id)] = -.infinity }
        let kth = scores.withUnsafeBufferPointer { wpq_kth_largest($0.baseAddress, Int64(rows), Int64(k)) }
        let norm = query.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norm1 = query.reduce(0.0) { $0 + Double(abs($1)) }
        let n = Double(dim)
        let bound = 1.01 * ((0x1p-11 + 3 * n * 0x1p-24) * norm * half.maxNorm + 0x1p-24 * norm1)
        // Rounded down, so that the float threshold is never above T − 4B.
        let threshold = kth == -.infinity ? -Float.infinity : Float(Double(kth) - 4 * bound).nextDown
        var candidates = [Int32](repeating: 0, count: 4 * k + 64)
        var found = 0
        while true {
            found = Int(scores.withUnsafeBufferPointer { s in
                wpq_collect_at_least(s.baseAddress, Int64(rows), threshold, &candidates, Int64(candidates.count))
            })
            if found <= candidates.count { break }
            candidates = [Int32](repeating: 0, count: found)
        }
        var exact = [Float](repeating: 0, count: found)
        normalized.withUnsafeBufferPointer { m in
            wpq_scores_f32_rows(m.baseAddress, Int64(dim), query, candidates, Int64(found), &exact)
        }
        return (topK(ids: candidates.prefix(found), scores: exact, k: k, excluding: excluded), found)
    }
}
