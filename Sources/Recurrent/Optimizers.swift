import Dispatch
import Foundation

/// An optimizer: updates parameters from their accumulated gradients.
///
/// Sparse parameters (embedding tables) are updated lazily, only at the rows the gradient has,
/// with their optimizer state kept per row (as PyTorch's `SparseAdam`). Frozen parameters are
/// skipped. `step` does not clear the gradients.
public protocol Optimizer<Scalar>: AnyObject {
    /// The element type.
    associatedtype Scalar: RecurrentScalar
    /// The step size (changed by a schedule between steps).
    var learningRate: Double { get set }
    /// Applies one update to every trainable parameter.
    func step(_ parameters: [Parameter<Scalar>])
    /// The same update on `workers` threads, bit-identical to `step(_:)`: the update is
    /// element-wise, so each element gets the same arithmetic whichever thread runs it. Below
    /// `minimumElements` elements to update in all, it runs on the calling thread alone.
    func step(_ parameters: [Parameter<Scalar>], workers: Int, minimumElements: Int)
    /// Everything the optimizer carries from one step to the next for `parameters` (the
    /// trainable ones among them, in order), for a checkpoint: its step count and its buffers
    /// (momentum, Adam's moments), each the shape of its parameter. A parameter not yet updated
    /// has zero buffers, as it would start with.
    func snapshot(of parameters: [Parameter<Scalar>]) -> OptimizerSnapshot<Scalar>
    /// Restores a `snapshot` taken of `parameters` (the same list); the next step continues
    /// as the optimizer it was taken from would have. Throws a description of the first buffer
    /// that does not fit.
    func restore(_ snapshot: OptimizerSnapshot<Scalar>, of parameters: [Parameter<Scalar>]) throws
}

/// An optimizer's state between steps (`Optimizer.snapshot(of:)`).
public struct OptimizerSnapshot<Scalar: RecurrentScalar> {
    /// Steps taken (Adam's bias correction); 0 for optimizers that do not count.
    public var steps: Int
    /// The buffers per step: for each trainable parameter in order, `buffersPerParameter`
    /// matrices of its shape.
    public var buffers: [Matrix<Scalar>]
    /// Buffers each trainable parameter has (0 for SGD without momentum, 1 SGD with momentum
    /// and AdaGrad, 2 Adam).
    public var buffersPerParameter: Int

    public init(steps: Int, buffers: [Matrix<Scalar>], buffersPerParameter: Int) {
        self.steps = steps
        self.buffers = buffers
        self.buffersPerParameter = buffersPerParameter
    }
}

/// The snapshot of `states` for the trainable ones of `parameters`, `count` buffers each.
func snapshotBuffers<Scalar: RecurrentScalar>(_ states: [ObjectIdentifier: OptimizerState<Scalar>], of parameters: [Parameter<Scalar>],
                                              count: Int) -> [Matrix<Scalar>] {
    var result: [Matrix<Scalar>] = []
    for parameter in parameters where parameter.isTrainable {
        let (rows, columns) = (parameter.value.rows, parameter.value.columns)
        for index in 0..<count {
            var matrix = Matrix<Scalar>(rows: rows, columns: columns)
            if let buffer = states[ObjectIdentifier(parameter)]?.buffers[index], matrix.count > 0 {
                matrix.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: buffer.pointer, count: $0.count) }
            }
            result.append(matrix)
        }
    }
    return result
}

/// Rebuilds `states` for the trainable ones of `parameters` from `buffers` (`snapshotBuffers`'s).
func restoreBuffers<Scalar: RecurrentScalar>(_ states: inout [ObjectIdentifier: OptimizerState<Scalar>], of parameters: [Parameter<Scalar>],
                                             count: Int, from snapshot: OptimizerSnapshot<Scalar>) throws {
    let trainable = parameters.filter(\.isTrainable)
    guard snapshot.buffersPerParameter == count, snapshot.buffers.count == trainable.count * count else {
        throw RecurrentError.mismatchedOptimizerState(
            "\(snapshot.buffers.count) buffers of \(snapshot.buffersPerParameter) per parameter, expected \(trainable.count * count) of \(count) for \(trainable.count) trainable parameters")
    }
    var restored: [ObjectIdentifier: OptimizerState<Scalar>] = [:]
    for (position, parameter) in trainable.enumerated() {
        let state = OptimizerState(parameter, count: count)
        for index in 0..<count {
            let matrix = snapshot.buffers[position * count + index]
            guard matrix.rows == parameter.value.rows, matrix.columns == parameter.value.columns else {
                throw RecurrentError.mismatchedOptimizerState(
                    "buffer \(index) of '\(parameter.name)' is \(matrix.shape), the parameter \(parameter.value.shape)")
            }
            state.buffers[index].copy(from: matrix)
        }
        restored[ObjectIdentifier(parameter)] = state
    }
    states = restored
}

extension Optimizer {
    /// `step(_:workers:minimumElements:)` with the default threshold (`parallelUpdateMinimum`).
    public func step(_ parameters: [Parameter<Scalar>], workers: Int) {
        step(parameters, workers: workers, minimumElements: parallelUpdateMinimum)
    }
}

/// Below this many elements in all, an update or a norm stays on the calling thread. A guess,
/// not yet measured: a `concurrentPerform` costs some microseconds, about what updating a few
/// thousand Adam elements takes.
public let parallelUpdateMinimum = 16_384

/// Scales all gradients together so that their global L2 norm is at most `maxNorm` (Pascanu et
/// al. 2013; PyTorch's `clip_grad_norm_`). Returns the norm before clipping.
///
/// With `workers` > 1 (and at least `minimumElements` gradient elements), the parameters are
/// dealt out whole to that many threads, each computing its parameters' squared norms and
/// scaling their gradients; the squared norms are then summed on the calling thread in the
/// parameters' order, so the norm, the factor and the gradients are bit-identical to one thread's.
@discardableResult
public func clipGradients<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>], maxNorm: Double, workers: Int = 1,
                                                   minimumElements: Int = parallelUpdateMinimum) -> Double {
    precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
    let sizes = parameters.map { $0.sparseGradient?.rows.count ?? $0.gradient.count }
    var squares = [Double](repeating: 0, count: parameters.count)
    // Why unchecked: each index is run by one thread only, and writes only slot `index` and
    // reads only parameter `index` (a distinct object).
    let shared = UncheckedSendable(parameters)
    squares.withUnsafeMutableBufferPointer { squares in
        let slots = UncheckedSendable(squares)
        forEachWhole(sizes, workers: workers, minimumElements: minimumElements) { index in
            slots.value[index] = Double(shared.value[index].gradientSquaredNorm)
        }
    }
    // In the parameters' order from 0, as a serial `reduce` sums them.
    let norm = squares.reduce(0.0, +).squareRoot()
    if norm > maxNorm {
        let factor = Scalar(maxNorm / (norm + 1e-6))
        // Each parameter is scaled by one thread only; parameters are distinct objects.
        forEachWhole(sizes, workers: workers, minimumElements: minimumElements) { index in
            shared.value[index].scaleGradient(by: factor)
        }
    }
    return norm
}

/// Sets every parameter's gradient to zero (`zeroGradient`), with `workers` > 1 (and at least
/// `minimumElements` elements) dealing the parameters out whole to that many threads.
public func zeroGradients<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>], workers: Int = 1,
                                                   minimumElements: Int = parallelUpdateMinimum) {
    // Why unchecked: each index is run by one thread only, which touches only that parameter.
    let shared = UncheckedSendable(parameters)
    forEachWhole(parameters.map { $0.gradient.count }, workers: workers, minimumElements: minimumElements) { index in
        shared.value[index].zeroGradient()
    }
}

/// Adds `alphas[s]` times the gradients of `sources[s]` (parameters matching `targets`, in the
/// same order) to the gradients of `targets`, for each parameter source after source, as a serial
/// loop does, so the sums are bit-identical; with `workers` > 1 (and at least `minimumElements`
/// elements) the parameters are dealt out whole to that many threads. Batch-parallel training
/// sums its workers' gradients so.
public func addGradients<Scalar: RecurrentScalar>(of sources: [[Parameter<Scalar>]], scaledBy alphas: [Scalar], into targets: [Parameter<Scalar>],
                                                  workers: Int = 1, minimumElements: Int = parallelUpdateMinimum) {
    precondition(sources.count == alphas.count && sources.allSatisfy { $0.count == targets.count },
                 "\(sources.count) gradient sources with \(alphas.count) factors for \(targets.count) parameters")
    let sizes = targets.indices.map { index in sources.reduce(0) { $0 + ($1[index].sparseGradient?.rows.count ?? $1[index].gradient.count) } }
    // Why unchecked: each index is run by one thread only, which writes only target `index` and
    // reads only the sources' parameter `index` (distinct objects).
    let shared = UncheckedSendable((sources, targets))
    forEachWhole(sizes, workers: workers, minimumElements: minimumElements) { index in
        for (source, alpha) in zip(shared.value.0, alphas) { shared.value.1[index].addGradient(of: source[index], scaledBy: alpha) }
    }
}

/// Runs `body(index)` for every index of `sizes`, on the calling thread when `workers` < 2 or the
/// sizes add up to less than `minimumElements`; otherwise on `workers` threads, each taking a
/// contiguous run of indices of about equal total size.
func forEachWhole(_ sizes: [Int], workers: Int, minimumElements: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let total = sizes.reduce(0, +)
    guard workers > 1, sizes.count > 1, total >= max(minimumElements, 1) else {
        for index in sizes.indices { body(index) }
        return
    }
    // Index i goes to the worker whose share of the total holds the middle of its elements.
    var owners: [Int] = []
    var start = 0
    for size in sizes {
        owners.append(min((2 * start + size) * workers / (2 * total), workers - 1))
        start += size
    }
    let shared = owners
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        for index in shared.indices where shared[index] == worker { body(index) }
    }
}

/// A value handed to worker threads that Swift cannot prove safe to share; each use says why it is.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}

/// Per-parameter optimizer state: zeroed buffers of the parameter's size, at stable addresses.
final class OptimizerState<Scalar: RecurrentScalar> {
    /// Kept so that the parameter's identity (the key of the state) cannot be reused.
    let parameter: Parameter<Scalar>
    let buffers: [Buffer<Scalar>]

    init(_ parameter: Parameter<Scalar>, count: Int) {
        self.parameter = parameter
        buffers = (0..<count).map { _ in Buffer(count: parameter.value.count) }
    }
}

/// An element-wise optimizer update over `count` elements: the weights, the gradient and the
/// state buffers at the same place.
typealias ElementUpdate<Scalar> = @Sendable (_ count: Int, _ weights: UnsafeMutablePointer<Scalar>, _ gradient: UnsafePointer<Scalar>,
                                   _ buffers: [UnsafeMutablePointer<Scalar>]) -> Void

/// Where one parameter's update reads and writes, valid while `withUpdateSites` runs its body.
/// A dense parameter's units are its elements; a sparse one's are the rows of its gradient.
struct UpdateSite<Scalar: RecurrentScalar> {
    let weights: UnsafeMutablePointer<Scalar>
    let gradient: UnsafePointer<Scalar>
    /// The row ids of a sparse gradient (nil: dense).
    let ids: UnsafePointer<Int32>?
    let columns: Int
    let units: Int
    let buffers: [UnsafeMutablePointer<Scalar>]

    var elements: Int { ids == nil ? units : units * columns }

    /// `update` over units `range`: a dense run in one call, sparse rows one call each.
    func run(_ range: Range<Int>, _ update: ElementUpdate<Scalar>) {
        guard let ids else {
            return update(range.count, weights + range.lowerBound, gradient + range.lowerBound, buffers.map { $0 + range.lowerBound })
        }
        for slot in range {
            let offset = Int(ids[slot]) * columns
            update(columns, weights + offset, gradient + slot * columns, buffers.map { $0 + offset })
        }
    }
}

/// Opens every parameter's weights (for writing) and gradient (for reading), one inside the
/// other, and runs `body` with all of them open; parameters with nothing to update are left out.
func withUpdateSites<Scalar: RecurrentScalar>(_ items: ArraySlice<(Parameter<Scalar>, OptimizerState<Scalar>)>,
                                              _ sites: [UpdateSite<Scalar>], _ body: ([UpdateSite<Scalar>]) -> Void) {
    guard let (parameter, state) = items.first else { return body(sites) }
    let rest = items.dropFirst()
    let sparse = parameter.sparseGradient
    guard parameter.value.count > 0, sparse.map({ !$0.ids.isEmpty }) ?? true else { return withUpdateSites(rest, sites, body) }
    let columns = parameter.value.columns, buffers = state.buffers.map(\.pointer)
    parameter.value.storage.withUnsafeMutableBufferPointer { weights in
        if let sparse {
            sparse.ids.withUnsafeBufferPointer { ids in
                sparse.rows.storage.withUnsafeBufferPointer { rows in
                    withUpdateSites(rest, sites + [UpdateSite(weights: weights.baseAddress!, gradient: rows.baseAddress!, ids: ids.baseAddress!,
                                                              columns: columns, units: ids.count, buffers: buffers)], body)
                }
            }
        } else {
            parameter.gradient.storage.withUnsafeBufferPointer { gradient in
                withUpdateSites(rest, sites + [UpdateSite(weights: weights.baseAddress!, gradient: gradient.baseAddress!, ids: nil,
                                                          columns: columns, units: weights.count, buffers: buffers)], body)
            }
        }
    }
}

/// The pieces of `sites` each of `workers` threads updates: the elements of all sites, end to
/// end, cut into `workers` runs of about equal length, each cut moved down to a row boundary in
/// a sparse site. Every unit of every site is in exactly one piece.
func updatePlan<Scalar>(_ sites: [UpdateSite<Scalar>], workers: Int) -> [[(site: Int, units: Range<Int>)]] {
    let total = sites.reduce(0) { $0 + $1.elements }
    var plan = [[(site: Int, units: Range<Int>)]](repeating: [], count: workers)
    var start = 0
    for (index, site) in sites.enumerated() {
        let unit = site.ids == nil ? 1 : site.columns
        // The first unit of worker w's run in this site: its cut, clamped to the site.
        let first = { (worker: Int) in min(max(0, (worker * total / workers - start) / unit), site.units) }
        for worker in 0..<workers {
            let units = first(worker) ..< (worker + 1 == workers ? site.units : first(worker + 1))
            if !units.isEmpty { plan[worker].append((index, units)) }
        }
        start += site.elements
    }
    return plan
}

/// Applies `update` to every trainable parameter (making each one's state of `buffers` buffers on
/// first use): on the calling thread, or with `workers` > 1 and at least `minimumElements`
/// elements to update, split over that many threads by `updatePlan`. Each element gets the same
/// call with the same values either way, so the result is bit-identical.
func applyUpdate<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>], states: inout [ObjectIdentifier: OptimizerState<Scalar>],
                                          buffers: Int, workers: Int, minimumElements: Int, _ update: @escaping ElementUpdate<Scalar>) {
    var items: [(Parameter<Scalar>, OptimizerState<Scalar>)] = []
    for parameter in parameters where parameter.isTrainable {
        let state = states[ObjectIdentifier(parameter)] ?? OptimizerState(parameter, count: buffers)
        states[ObjectIdentifier(parameter)] = state
        items.append((parameter, state))
    }
    withUpdateSites(items[...], []) { sites in
        guard workers > 1, sites.reduce(0, { $0 + $1.elements }) >= max(minimumElements, 1) else {
            for site in sites { site.run(0 ..< site.units, update) }
            return
        }
        let plan = updatePlan(sites, workers: workers)
        // Why unchecked: the pieces of the plan are disjoint (no element of weights or state is in
        // two), the gradients are only read, and every pointer stays valid until
        // `concurrentPerform` returns, inside `withUpdateSites`.
        let shared = UncheckedSendable(sites)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for piece in plan[worker] { shared.value[piece.site].run(piece.units, update) }
        }
    }
}

/// Stochastic gradient descent with optional momentum (PyTorch's form: `v = μ·v + g`, `w -= lr·v`).
public final class SGD<Scalar: RecurrentScalar>: Optimizer {
    /// The step size.
    public var learningRate: Double
    /// The momentum μ (0: plain SGD).
    public let momentum: Double
    private var states: [ObjectIdentifier: OptimizerState<Scalar>] = [:]

    /// SGD with `learningRate` and `momentum`.
    public init(learningRate: Double, momentum: Double = 0) {
        precondition(learningRate > 0 && momentum >= 0 && momentum < 1,
                     "SGD needs learningRate > 0 and momentum in 0..<1, got \(learningRate), \(momentum)")
        self.learningRate = learningRate
        self.momentum = momentum
    }

    /// One SGD step.
    public func step(_ parameters: [Parameter<Scalar>]) { step(parameters, workers: 1, minimumElements: 0) }

    /// One SGD step on `workers` threads (see the requirement).
    public func step(_ parameters: [Parameter<Scalar>], workers: Int, minimumElements: Int) {
        let (lr, mu) = (Scalar(learningRate), Scalar(momentum))
        applyUpdate(parameters, states: &states, buffers: momentum > 0 ? 1 : 0, workers: workers, minimumElements: minimumElements) {
            count, weights, gradient, buffers in
            Scalar.sgdUpdate(count: count, learningRate: lr, momentum: mu, weights: weights, gradient: gradient, velocity: buffers.first)
        }
    }

    public func snapshot(of parameters: [Parameter<Scalar>]) -> OptimizerSnapshot<Scalar> {
        let count = momentum > 0 ? 1 : 0
        return OptimizerSnapshot(steps: 0, buffers: snapshotBuffers(states, of: parameters, count: count), buffersPerParameter: count)
    }

    public func restore(_ snapshot: OptimizerSnapshot<Scalar>, of parameters: [Parameter<Scalar>]) throws {
        try restoreBuffers(&states, of: parameters, count: momentum > 0 ? 1 : 0, from: snapshot)
    }
}

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1).
public final class Adam<Scalar: RecurrentScalar>: Optimizer {
    /// The step size α.
    public var learningRate: Double
    /// β1, β2 and ε.
    public let beta1: Double, beta2: Double, epsilon: Double
    /// The number of steps taken.
    public private(set) var stepCount = 0
    private var states: [ObjectIdentifier: OptimizerState<Scalar>] = [:]

    /// Adam with the paper's defaults.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        precondition(learningRate > 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0,
                     "Adam needs lr > 0, β in 0..<1, ε > 0; got \(learningRate), \(beta1), \(beta2), \(epsilon)")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One Adam step.
    public func step(_ parameters: [Parameter<Scalar>]) { step(parameters, workers: 1, minimumElements: 0) }

    /// One Adam step on `workers` threads (see the requirement).
    public func step(_ parameters: [Parameter<Scalar>], workers: Int, minimumElements: Int) {
        stepCount += 1
        let c1 = Scalar(1 - Foundation.pow(beta1, Double(stepCount))), c2 = Scalar(1 - Foundation.pow(beta2, Double(stepCount)))
        let (lr, b1, b2, eps) = (Scalar(learningRate), Scalar(beta1), Scalar(beta2), Scalar(epsilon))
        applyUpdate(parameters, states: &states, buffers: 2, workers: workers, minimumElements: minimumElements) {
            count, weights, gradient, buffers in
            Scalar.adamUpdate(count: count, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps,
                              correction1: c1, correction2: c2, weights: weights, gradient: gradient,
                              m: buffers[0], v: buffers[1])
        }
    }

    public func snapshot(of parameters: [Parameter<Scalar>]) -> OptimizerSnapshot<Scalar> {
        OptimizerSnapshot(steps: stepCount, buffers: snapshotBuffers(states, of: parameters, count: 2), buffersPerParameter: 2)
    }

    public func restore(_ snapshot: OptimizerSnapshot<Scalar>, of parameters: [Parameter<Scalar>]) throws {
        guard snapshot.steps >= 0 else { throw RecurrentError.mismatchedOptimizerState("a step count of \(snapshot.steps)") }
        try restoreBuffers(&states, of: parameters, count: 2, from: snapshot)
        stepCount = snapshot.steps
    }
}

/// AdaGrad (Duchi, Hazan & Singer 2011): per-coordinate steps scaled by the root of the summed
/// squared gradients.
public final class AdaGrad<Scalar: RecurrentScalar>: Optimizer {
    /// The step size.
    public var learningRate: Double
    /// ε, added to the denominator.
    public let epsilon: Double
    private var states: [ObjectIdentifier: OptimizerState<Scalar>] = [:]

    /// AdaGrad with `learningRate`.
    public init(learningRate: Double = 1e-2, epsilon: Double = 1e-10) {
        precondition(learningRate > 0 && epsilon > 0, "AdaGrad needs lr > 0 and ε > 0, got \(learningRate), \(epsilon)")
        self.learningRate = learningRate
        self.epsilon = epsilon
    }

    /// One AdaGrad step.
    public func step(_ parameters: [Parameter<Scalar>]) { step(parameters, workers: 1, minimumElements: 0) }

    /// One AdaGrad step on `workers` threads (see the requirement).
    public func step(_ parameters: [Parameter<Scalar>], workers: Int, minimumElements: Int) {
        let (lr, eps) = (Scalar(learningRate), Scalar(epsilon))
        applyUpdate(parameters, states: &states, buffers: 1, workers: workers, minimumElements: minimumElements) {
            count, weights, gradient, buffers in
            Scalar.adagradUpdate(count: count, learningRate: lr, epsilon: eps, weights: weights, gradient: gradient, sum: buffers[0])
        }
    }

    public func snapshot(of parameters: [Parameter<Scalar>]) -> OptimizerSnapshot<Scalar> {
        OptimizerSnapshot(steps: 0, buffers: snapshotBuffers(states, of: parameters, count: 1), buffersPerParameter: 1)
    }

    public func restore(_ snapshot: OptimizerSnapshot<Scalar>, of parameters: [Parameter<Scalar>]) throws {
        try restoreBuffers(&states, of: parameters, count: 1, from: snapshot)
    }
}
