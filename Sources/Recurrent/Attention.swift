import CBLAS
import Foundation
import RecurrentKernels

/// Global attention of one example's query rows over its memory rows (Bahdanau et al. 2015,
/// Luong et al. 2015), on raw float32 rows so that a time-major batch (row `t·batch + b`) and a
/// beam's rows over one source use the same code: each side is given by its first row and the
/// distance between rows.
///
/// The score of query row t and memory row i is `v · tanh(q_t + k_i)` (additive: the caller has
/// projected both sides) or `q_t · k_i` (multiplicative: Luong's dot, or general with `k = W h`).
/// The weights are the softmax of a query row's scores, and the context the weighted sum of the
/// memory rows. Score matrices go through `sgemm`; the additive terms through the vectorized C
/// kernels of `RecurrentKernels`.
public enum Attention {
    /// How a query row and a key row give a score.
    public enum Score {
        /// `v · tanh(q + k)`, with `v` of `hidden` floats.
        case additive(v: UnsafePointer<Float>)
        /// `q · k`.
        case multiplicative
    }

    /// Rows of `hidden` floats, `stride` floats apart, from `base`.
    public struct Rows {
        public var base: UnsafePointer<Float>
        public var stride: Int
        public init(_ base: UnsafePointer<Float>, stride: Int) {
            self.base = base
            self.stride = stride
        }
    }

    /// Writable rows of `hidden` floats, `stride` floats apart, from `base`.
    public struct MutableRows {
        public var base: UnsafeMutablePointer<Float>
        public var stride: Int
        public init(_ base: UnsafeMutablePointer<Float>, stride: Int) {
            self.base = base
            self.stride = stride
        }
        var rows: Rows { Rows(base, stride: stride) }
    }

    /// One example forward: `weights` (`steps × sources`, contiguous) become the attention
    /// weights and the `steps` rows of `context` are set to the contexts. For `.additive`,
    /// `additive` (`steps · sources · hidden` floats) keeps the tanh terms for `backward`.
    public static func forward(_ score: Score, steps: Int, sources: Int, hidden: Int, queries: Rows, keys: Rows, memory: Rows,
                               weights: UnsafeMutablePointer<Float>, additive: UnsafeMutablePointer<Float>?, context: MutableRows) {
        guard steps > 0 else { return }
        guard sources > 0 else {
            for t in 0..<steps { (context.base + t * context.stride).update(repeating: 0, count: hidden) }
            return
        }
        switch score {
        case .additive(let v):
            guard let additive else { preconditionFailure("additive attention needs its buffer") }
            wpr_additive_attention_scores(steps, sources, hidden, queries.base, queries.stride, keys.base, keys.stride, v,
                                          weights, additive)
        case .multiplicative:
            Float.gemm(transposeA: false, transposeB: true, m: steps, n: sources, k: hidden, alpha: 1,
                       a: queries.base, lda: queries.stride, b: keys.base, ldb: keys.stride, beta: 0, c: weights, ldc: sources)
        }
        for t in 0..<steps {
            let row = weights + t * sources
            var top = -Float.infinity
            for i in 0..<sources { top = Swift.max(top, row[i]) }
            var total: Float = 0
            for i in 0..<sources {
                row[i] = Foundation.exp(row[i] - top)
                total += row[i]
            }
            for i in 0..<sources { row[i] /= total }
        }
        Float.gemm(transposeA: false, transposeB: false, m: steps, n: hidden, k: sources, alpha: 1,
                   a: weights, lda: sources, b: memory.base, ldb: memory.stride, beta: 0, c: context.base, ldc: context.stride)
    }

    /// One example backward, from the contexts' gradient `dContext`: adds to the gradients of the
    /// memory rows (`dMemory`), the query rows (`dQueries`), the key rows (`dKeys`) and, for
    /// `.additive`, `v` (`dV`). `weights` and `additive` are what `forward` wrote; `scratch`
    /// holds `steps × sources` floats.
    public static func backward(_ score: Score, steps: Int, sources: Int, hidden: Int, queries: Rows, keys: Rows, memory: Rows,
                                weights: UnsafePointer<Float>, additive: UnsafePointer<Float>?, dContext: Rows,
                                dMemory: MutableRows, dQueries: MutableRows, dKeys: MutableRows, dV: UnsafeMutablePointer<Float>?,
                                scratch: UnsafeMutablePointer<Float>) {
        guard steps > 0, sources > 0 else { return }
        // dA = dC · Mᵀ; the context also sends Aᵀ · dC to the memory.
        Float.gemm(transposeA: false, transposeB: true, m: steps, n: sources, k: hidden, alpha: 1,
                   a: dContext.base, lda: dContext.stride, b: memory.base, ldb: memory.stride, beta: 0, c: scratch, ldc: sources)
        Float.gemm(transposeA: true, transposeB: false, m: sources, n: hidden, k: steps, alpha: 1,
                   a: weights, lda: sources, b: dContext.base, ldb: dContext.stride, beta: 1, c: dMemory.base, ldc: dMemory.stride)
        // Through the softmax: dS_i = A_i (dA_i − Σ_k A_k dA_k).
        for t in 0..<steps {
            let a = weights + t * sources, d = scratch + t * sources
            var dot: Float = 0
            for i in 0..<sources { dot += a[i] * d[i] }
            for i in 0..<sources { d[i] = a[i] * (d[i] - dot) }
        }
        switch score {
        case .additive(let v):
            guard let additive, let dV else { preconditionFailure("additive attention needs its buffer and dV") }
            wpr_additive_attention_backward(steps, sources, hidden, scratch, additive, v, dQueries.base, dQueries.stride,
                                            dKeys.base, dKeys.stride, dV)
        case .multiplicative:
            Float.gemm(transposeA: false, transposeB: false, m: steps, n: hidden, k: sources, alpha: 1,
                       a: scratch, lda: sources, b: keys.base, ldb: keys.stride, beta: 1, c: dQueries.base, ldc: dQueries.stride)
            Float.gemm(transposeA: true, transposeB: false, m: sources, n: hidden, k: steps, alpha: 1,
                       a: scratch, lda: sources, b: queries.base, ldb: queries.stride, beta: 1, c: dKeys.base, ldc: dKeys.stride)
        }
    }
}
