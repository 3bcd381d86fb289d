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
}

/// Scales all gradients together so that their global L2 norm is at most `maxNorm` (Pascanu et
/// al. 2013; PyTorch's `clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradients<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>], maxNorm: Double) -> Double {
    precondition(maxNorm > 0, "maxNorm must be positive, got \(maxNorm)")
    let norm = parameters.reduce(0.0) { $0 + Double($1.gradientSquaredNorm) }.squareRoot()
    if norm > maxNorm {
        let factor = Scalar(maxNorm / (norm + 1e-6))
        for parameter in parameters { parameter.scaleGradient(by: factor) }
    }
    return norm
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

/// Runs `update` over the dense gradient, or once per row of a sparse one, with pointers to the
/// weights, the gradient and the state buffers at the same place.
func forEachUpdate<Scalar: RecurrentScalar>(
    _ parameter: Parameter<Scalar>, state: OptimizerState<Scalar>,
    _ update: (_ count: Int, _ weights: UnsafeMutablePointer<Scalar>, _ gradient: UnsafePointer<Scalar>,
               _ buffers: [UnsafeMutablePointer<Scalar>]) -> Void
) {
    let columns = parameter.value.columns
    guard parameter.value.count > 0 else { return }
    let buffers = state.buffers.map(\.pointer)
    parameter.value.storage.withUnsafeMutableBufferPointer { weights in
        if let sparse = parameter.sparseGradient {
            guard !sparse.ids.isEmpty else { return }
            sparse.rows.storage.withUnsafeBufferPointer { rows in
                for (slot, id) in sparse.ids.enumerated() {
                    let offset = Int(id) * columns
                    update(columns, weights.baseAddress! + offset, rows.baseAddress! + slot * columns, buffers.map { $0 + offset })
                }
            }
        } else {
            parameter.gradient.storage.withUnsafeBufferPointer { gradient in
                update(weights.count, weights.baseAddress!, gradient.baseAddress!, buffers)
            }
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
    public func step(_ parameters: [Parameter<Scalar>]) {
        let (lr, mu) = (Scalar(learningRate), Scalar(momentum))
        for parameter in parameters where parameter.isTrainable {
            let state = states[ObjectIdentifier(parameter)] ?? OptimizerState(parameter, count: momentum > 0 ? 1 : 0)
            states[ObjectIdentifier(parameter)] = state
            forEachUpdate(parameter, state: state) { count, weights, gradient, buffers in
                Scalar.sgdUpdate(count: count, learningRate: lr, momentum: mu, weights: weights, gradient: gradient,
                                 velocity: buffers.first)
            }
        }
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
    public func step(_ parameters: [Parameter<Scalar>]) {
        stepCount += 1
        let c1 = Scalar(1 - Foundation.pow(beta1, Double(stepCount))), c2 = Scalar(1 - Foundation.pow(beta2, Double(stepCount)))
        let (lr, b1, b2, eps) = (Scalar(learningRate), Scalar(beta1), Scalar(beta2), Scalar(epsilon))
        for parameter in parameters where parameter.isTrainable {
            let state = states[ObjectIdentifier(parameter)] ?? OptimizerState(parameter, count: 2)
            states[ObjectIdentifier(parameter)] = state
            forEachUpdate(parameter, state: state) { count, weights, gradient, buffers in
                Scalar.adamUpdate(count: count, learningRate: lr, beta1: b1, beta2: b2, epsilon: eps,
                                  correction1: c1, correction2: c2, weights: weights, gradient: gradient,
                                  m: buffers[0], v: buffers[1])
            }
        }
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
    public func step(_ parameters: [Parameter<Scalar>]) {
        let (lr, eps) = (Scalar(learningRate), Scalar(epsilon))
        for parameter in parameters where parameter.isTrainable {
            let state = states[ObjectIdentifier(parameter)] ?? OptimizerState(parameter, count: 1)
            states[ObjectIdentifier(parameter)] = state
            forEachUpdate(parameter, state: state) { count, weights, gradient, buffers in
                Scalar.adagradUpdate(count: count, learningRate: lr, epsilon: eps, weights: weights, gradient: gradient, sum: buffers[0])
            }
        }
    }
}
