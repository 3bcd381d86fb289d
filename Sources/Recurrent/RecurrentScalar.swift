import CBLAS
import Foundation
import RecurrentKernels

/// The element type of the recurrent layers: `Float` for training and inference, `Double` for
/// the finite-difference gradient checks.
///
/// The layers are written once, generic over this protocol. Matrix products go through CBLAS
/// (`cblas_sgemm`/`cblas_dgemm` and friends); the element-wise work of a time step goes
/// through the pointwise kernels of `RecurrentScalar+Kernels.swift`, which are requirements
/// with default implementations, so that each conformance gets a specialized copy and the
/// generic layer code never loops over elements itself. Only `Float` and `Double` conform.
public protocol RecurrentScalar: BinaryFloatingPoint, Sendable {
    /// `C ← alpha · op(A) · op(B) + beta · C`, row-major (`cblas_?gemm`): `op(A)` is m × k,
    /// `op(B)` is k × n, `C` is m × n.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y ← alpha · op(A) · x + beta · y`, row-major (`cblas_?gemv`); `A` is m × n as stored.
    static func gemv(transpose: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    /// `y ← alpha · x + y` over `count` elements (`cblas_?axpy`).
    static func axpy(count: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// `x · y` over `count` elements (`cblas_?dot`).
    static func dot(count: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
    /// `x ← alpha · x` over `count` elements (`cblas_?scal`).
    static func scale(count: Int, alpha: Self, x: UnsafeMutablePointer<Self>)

    /// e^x.
    static func exp(_ x: Self) -> Self
    /// The natural logarithm.
    static func log(_ x: Self) -> Self
    /// The hyperbolic tangent.
    static func tanh(_ x: Self) -> Self

    // Pointwise kernels: default implementations in RecurrentScalar+Kernels.swift. Each time-step
    // kernel covers the `batch` rows of one step; row `b` is a real step when `step < lengths[b]`
    // and a padded one otherwise (its state is carried over unchanged).

    /// Adds `vector` (`columns` values) to each of the `rows` rows of `matrix`.
    static func addRowVector(rows: Int, columns: Int, vector: UnsafePointer<Self>, matrix: UnsafeMutablePointer<Self>)
    /// `out[i] = x[i] * y[i]` over `count` elements (`out` may alias `x`).
    static func multiply(count: Int, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>)
    /// Fills `mask` with inverted-dropout factors: `1 / keepProbability` with probability
    /// `keepProbability`, else 0, drawing from `generator`.
    static func fillDropoutMask(count: Int, keepProbability: Double, generator: inout SeededGenerator, mask: UnsafeMutablePointer<Self>)
    /// Simple RNN step: `h = act(a)` from the pre-activations `a` (batch × hidden) for real rows,
    /// `h = hPrev` for padded rows.
    static func rnnForwardStep(relu: Bool, batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                               preactivations: UnsafePointer<Self>, hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>)
    /// Simple RNN step backward: `dA = (dh + dY) · act'(h)` for real rows (0 for padded ones), and
    /// `dhPrev` = 0 for real rows (the recurrent product is added by the caller), `dh` for padded rows.
    static func rnnBackwardStep(relu: Bool, batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                h: UnsafePointer<Self>, dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?,
                                dA: UnsafeMutablePointer<Self>, dhPrev: UnsafeMutablePointer<Self>)
    /// LSTM step: turns the pre-activations `gates` (batch × 4·hidden, order i, f, g, o) into
    /// activations in place and computes `c`, `tanh(c)` and `h` (padded rows carry `cPrev`, `hPrev`).
    static func lstmForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                gates: UnsafeMutablePointer<Self>, cPrev: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                c: UnsafeMutablePointer<Self>, tanhC: UnsafeMutablePointer<Self>, h: UnsafeMutablePointer<Self>)
    /// LSTM step backward from the activated `gates`: writes the pre-activation gradients `dGates`,
    /// replaces `dc` (in: ∂L/∂c_t) by ∂L/∂c_{t-1}, and sets `dhPrev` as `rnnBackwardStep` does.
    static func lstmBackwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                 gates: UnsafePointer<Self>, cPrev: UnsafePointer<Self>, tanhC: UnsafePointer<Self>,
                                 dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?, dc: UnsafeMutablePointer<Self>,
                                 dGates: UnsafeMutablePointer<Self>, dhPrev: UnsafeMutablePointer<Self>)
    /// GRU step (reset gate applied after the recurrent product, as PyTorch and cuDNN): `gatesX`
    /// (in: W_ih·x + b_ih, order r, z, n) becomes the activations r, z, n; `gatesH` holds
    /// W_hh·h_{t-1} + b_hh and is read only. Padded rows carry `hPrev`.
    static func gruForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                               gatesX: UnsafeMutablePointer<Self>, gatesH: UnsafePointer<Self>,
                               hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>)
    /// GRU step backward: the pre-activation gradients of the input part (`dGatesX`) and of the
    /// recurrent part (`dGatesH`, which differ in the n block), and `dhPrev = z · dh` for real rows
    /// (the recurrent product is added by the caller), `dh` for padded rows.
    static func gruBackwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                gates: UnsafePointer<Self>, gatesH: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?,
                                dGatesX: UnsafeMutablePointer<Self>, dGatesH: UnsafeMutablePointer<Self>,
                                dhPrev: UnsafeMutablePointer<Self>)
    /// Softmax cross-entropy over `rows` rows of `classes` logits: for each row whose target is
    /// in `0..<classes`, adds `-log softmax(logits)[target]` to the returned sum and writes
    /// `scale · (softmax − onehot)` to `gradient`; other rows (padding) get a zero gradient.
    /// Returns the summed loss and the number of correct arg-max predictions.
    static func softmaxCrossEntropy(rows: Int, classes: Int, logits: UnsafePointer<Self>, targets: UnsafePointer<Int32>,
                                    scale: Self, gradient: UnsafeMutablePointer<Self>) -> (loss: Double, correct: Int)
    /// SGD with momentum (PyTorch's form): `v = μ·v + g`, `w -= lr·v` (no velocity when μ = 0).
    static func sgdUpdate(count: Int, learningRate: Self, momentum: Self, weights: UnsafeMutablePointer<Self>,
                          gradient: UnsafePointer<Self>, velocity: UnsafeMutablePointer<Self>?)
    /// Adam (Kingma & Ba 2015): `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`,
    /// `w -= lr · (m / c1) / (sqrt(v / c2) + ε)` with the bias corrections `c1`, `c2`.
    static func adamUpdate(count: Int, learningRate: Self, beta1: Self, beta2: Self, epsilon: Self,
                           correction1: Self, correction2: Self, weights: UnsafeMutablePointer<Self>,
                           gradient: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>)
    /// AdaGrad (Duchi et al. 2011): `s += g²`, `w -= lr · g / (sqrt(s) + ε)`.
    static func adagradUpdate(count: Int, learningRate: Self, epsilon: Self, weights: UnsafeMutablePointer<Self>,
                              gradient: UnsafePointer<Self>, sum: UnsafeMutablePointer<Self>)

    /// Adds `alpha` times each of the `count` rows of `rows` (`columns` values each) to the row of
    /// `gradient` for `ids[r]`, in order, skipping negative ids and `padding`: the embeddings'
    /// backward pass, and the sum of batch-parallel workers' gradients (Parameter.swift).
    static func accumulateRows(count: Int, columns: Int, ids: UnsafePointer<Int32>, skipping padding: Int32?,
                               rows: UnsafePointer<Self>, scaledBy alpha: Self, into gradient: inout SparseRowGradient<Self>)

    // Kernels of the CRF (CRF+Kernels.swift) and the character encoder (CharacterEncoder+Kernels.swift).

    /// `out[i] = Double(x[i])` over `count` elements (the CRF computes in `Double`).
    static func widen(count: Int, _ x: UnsafePointer<Self>, into out: UnsafeMutablePointer<Double>)
    /// `out[i] = Self(scale · x[i])` over `count` elements.
    static func narrow(count: Int, _ x: UnsafePointer<Double>, scale: Double, into out: UnsafeMutablePointer<Self>)
    /// Max pooling over segments of rows: segment `s` is rows `offsets[s] ..< offsets[s + 1]` (non-empty) of
    /// `x` (`columns` wide); `out[s · columns + c]` is the column's maximum there and `argmax` its row (the first).
    static func maxPoolSegments(segments: Int, columns: Int, offsets: UnsafePointer<Int>, x: UnsafePointer<Self>,
                                out: UnsafeMutablePointer<Self>, argmax: UnsafeMutablePointer<Int>)
    /// The backward pass of `maxPoolSegments`: `dx[argmax[k] · columns + k % columns] += dOut[k]` for each of the
    /// `count` pooled values.
    static func maxUnpool(count: Int, columns: Int, argmax: UnsafePointer<Int>, dOut: UnsafePointer<Self>,
                          dx: UnsafeMutablePointer<Self>)
}

// Which BLAS, and why: OpenBLAS (Debian's libopenblas, through the CBLAS module).
//
// Measured with Benchmarks/recurrent/run.sh (sgemm_bench.c: one thread, row-major sgemm at the
// shapes of one LSTM forward + backward, batch 32, 50 steps, input 100; median GFLOP/s,
// OpenBLAS 0.3.21 / BLIS 0.9.0, two runs on a shared 2-core AMD EPYC (Zen 4), where OpenBLAS
// picks its Cooperlake (AVX-512) kernels and BLIS its zen3 kernels):
//
//   shape (m × n × k)                        hidden 128                 hidden 256
//   X · W_ihᵀ        (T·B × 4H × I)          92 / 46, 94 / 57           81 / 46,  80 / 53
//   h_{t-1} · W_hhᵀ  (B × 4H × H), per step   73 / 60, 73 / 77           74 / 68,  77 / 87
//   dG_t · W_hh      (B × H × 4H), per step   83 / 64, 81 / 64           80 / 61,  83 / 76
//   dGᵀ · H          (4H × H × T·B)          81 / 71, 79 / 86           88 / 81,  86 / 87
//   dGᵀ · X          (4H × I × T·B)          80 / 69, 80 / 90           73 / 62,  74 / 55
//   dG · W_ih        (T·B × I × 4H)          84 / 70, 86 / 72           78 / 63,  76 / 61
//   all sgemm of one step, milliseconds      13.8 / 18.0, 13.8 / 15.4   44.2 / 54.0, 43.6 / 47.9
//
// OpenBLAS wins the input projection clearly (1.5–2x) and the whole step by 10–30%; the per-step
// and weight-gradient shapes are within about 15% and trade places from run to run. OpenBLAS is
// also what the rest of the package links, and both libraries export the same cblas_* symbols,
// so one process cannot use both safely. The caveat is PLATFORM.md's: on the "Intel Xeon
// Processor" virtual CPUs that OpenBLAS 0.3.21 does not recognise, it falls back to its SSE3
// kernels (about 5x slower) while BLIS keeps its AVX2 kernels. There an OPENBLAS_CORETYPE set in
// the environment fixes it; this module never sets or overrides it. Re-run the benchmark on a new
// kind of machine before changing this choice.

@inline(__always) private func transpose(_ flag: Bool) -> CBLAS_TRANSPOSE { flag ? CblasTrans : CblasNoTrans }

extension Float: RecurrentScalar {
    /// `cblas_sgemm`, row-major; an accumulating product of a few rows (`C += A · op(B)`, as a
    /// recurrent step's) goes to `wpr_sgemm_few_rows` when its shape is one where that kernel,
    /// which does not pack B, is faster.
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // `m <= 16` only saves the call for the many large products; the kernel's own limits
        // (few_rows.c) decide the rest, and it declines what they exclude.
        if !transposeA, alpha == 1, beta == 1, m <= 16,
           wpr_sgemm_few_rows(transposeB ? 1 : 0, m, n, k, a, lda, b, ldb, c, ldc) != 0 {
            return
        }
        cblas_sgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `cblas_sgemv`, row-major.
    @inline(__always)
    public static func gemv(transpose flag: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transpose(flag), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `cblas_saxpy`.
    @inline(__always)
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// `cblas_sdot`.
    @inline(__always)
    public static func dot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }

    /// `cblas_sscal`.
    @inline(__always)
    public static func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        cblas_sscal(Int32(count), alpha, x, 1)
    }

    /// `expf`.
    @inline(__always) public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    /// `logf`.
    @inline(__always) public static func log(_ x: Float) -> Float { Foundation.log(x) }
    /// `tanhf`.
    @inline(__always) public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }

    /// The LSTM step in C (`wpr_lstm_forward_step`, vectorized exp).
    public static func lstmForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                       gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                       c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        wpr_lstm_forward_step(batch, hidden, step, lengths, gates, cPrev, hPrev, c, tanhC, h)
    }

    /// The GRU step in C (`wpr_gru_forward_step`, vectorized exp).
    public static func gruForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                      gatesX: UnsafeMutablePointer<Float>, gatesH: UnsafePointer<Float>,
                                      hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>) {
        wpr_gru_forward_step(batch, hidden, step, lengths, gatesX, gatesH, hPrev, h)
    }

    /// The simple RNN step; tanh in C (`wpr_rnn_tanh_forward_step`), ReLU in Swift.
    public static func rnnForwardStep(relu: Bool, batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                      preactivations: UnsafePointer<Float>, hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>) {
        guard relu else { return wpr_rnn_tanh_forward_step(batch, hidden, step, lengths, preactivations, hPrev, h) }
        for b in 0..<batch {
            let a = preactivations + b * hidden, out = h + b * hidden
            guard step < lengths[b] else {
                out.update(from: hPrev + b * hidden, count: hidden)
                continue
            }
            for j in 0..<hidden { out[j] = a[j] > 0 ? a[j] : 0 }
        }
    }
}

extension Double: RecurrentScalar {
    /// `cblas_dgemm`, row-major.
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB), Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `cblas_dgemv`, row-major.
    @inline(__always)
    public static func gemv(transpose flag: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, transpose(flag), Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// `cblas_daxpy`.
    @inline(__always)
    public static func axpy(count: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
        cblas_daxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// `cblas_ddot`.
    @inline(__always)
    public static func dot(count: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
        cblas_ddot(Int32(count), x, 1, y, 1)
    }

    /// `cblas_dscal`.
    @inline(__always)
    public static func scale(count: Int, alpha: Double, x: UnsafeMutablePointer<Double>) {
        cblas_dscal(Int32(count), alpha, x, 1)
    }

    /// `exp`.
    @inline(__always) public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    /// `log`.
    @inline(__always) public static func log(_ x: Double) -> Double { Foundation.log(x) }
    /// `tanh`.
    @inline(__always) public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
}

// Threads: OpenBLAS's own threads, or workers over the batch — never both at once.
//
// Measured with Benchmarks/recurrent/run.sh (parts 3 and 4) on 2026-12-02, the shape
// (1-layer BiLSTM, hidden 128, input 100, batch 32, lengths 20..40 seeded), forward + backward,
// median of 60 timings, three runs of the script on a quiet shared 2-core AMD EPYC (Cooperlake kernels):
//
//   (a) whole batch, 1 OpenBLAS thread                          1.00x   (22,300–25,100 tokens/s)
//   (b) whole batch, 2 OpenBLAS threads                         0.94x, 1.24x, 1.03x
//   (c) 2 workers, each with its own copy of the layer and half
//       of the batch, 1 OpenBLAS thread, gradients summed        1.83x, 1.78x, 1.83x
//
// (lengths as drawn; sorted longest first, with padded steps skipped: (b) 0.97–1.20x, (c) 1.67–1.73x.)
//
// OpenBLAS threads only the products (and only those with m·n·k above 65536 × 4, interface/gemm.c):
// the element-wise half of every step and everything between the calls stay on one core, and a
// per-step product of 32 × 512 × 128 is too small for two threads to gain much on it. Workers over
// the batch run all of it in parallel. So (c) is the faster design on 2 cores, by about 1.8x,
// while (b) ranged from 6% slower to 24% faster.
//
// What the library does today: (c). The layers never start threads of their own. The trainers in
// Models (`train-tagger`, `train-classifier`) set OpenBLAS to one thread (`BLAS.setThreads(1)`,
// process-wide: nesting OpenBLAS threads inside the workers oversubscribes the cores) and, with
// `--threads N` > 1, run each batch on N workers (Models' `BatchParallel`): N copies of the model
// sharing the weights copy-on-write, each with its own gradients and dropout generators, each
// over a part of the batch balanced by tokens, their gradients summed in a fixed order, weighted
// by each part's share of the loss's mean, before one optimizer step on the main model. With
// `--threads 1` a batch runs serially, as before. End to end on CoNLL-2003 (BENCHMARKS.md,
// "Batch-parallel training", recurrent section) that gave 1.40x on two quiet cores: less than
// (c) above, mostly because the optimizer step stays serial.
//
// Concurrent calls are safe with Debian's build (libopenblas0-pthread 0.3.21, a USE_THREAD=1
// build: `openblas_get_parallel()` is 1). Builds with threads lock OpenBLAS's shared buffer pool
// (memory.c, `alloc_lock`; 0.3.7 added USE_LOCKING so that builds without threads do too, see
// OpenMathLib/OpenBLAS#2126 and #2136), and since 0.3.4 the threaded level-3 driver is serialized
// between callers (`level3_lock`, changelog); with one OpenBLAS thread `gemm` runs in the caller's
// thread (`args.nthreads == 1` in interface/gemm.c) and never takes that lock.
// Benchmarks/recurrent/blas_concurrency.c checks it: two threads × 1000 iterations of the six
// sgemm shapes of an LSTM step gave results bit-identical to the serial ones; the test
// "two halves on two threads" checks summed gradients against the whole batch's.

/// The BLAS library behind the matrix products, and its threads.
///
/// The layers start no threads; the trainers keep OpenBLAS at one thread and run workers over
/// the batch instead. On 2 cores, two workers over the batch at one OpenBLAS thread each were
/// measured 1.8x faster than one thread, and 1.4–1.9x faster than two OpenBLAS threads (see the
/// comment above and BENCHMARKS.md). Never use both: set 1 thread before running workers.
public enum BLAS {
    /// The OpenBLAS kernel family in use (e.g. `Haswell`, `SkylakeX`, `Prescott`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call (process-wide).
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLAS threads must be at least 1, got \(count)")
        openblas_set_num_threads(Int32(count))
    }
}
