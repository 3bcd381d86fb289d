/// A learning-rate schedule over training steps.
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// From the base rate down to `finalFraction × base` at `totalSteps`, linearly, then flat
    /// (word2vec's decay, which floors at 1e-4 × alpha).
    case linearDecay(totalSteps: Int, finalFraction: Double)

    /// The rate at `step` (0-based) for a base rate `base`.
    public func rate(base: Double, step: Int) -> Double {
        switch self {
        case .constant:
            return base
        case .linearDecay(let totalSteps, let finalFraction):
            precondition(totalSteps > 0, "linear decay needs a positive step count, got \(totalSteps)")
            let progress = Double(min(max(step, 0), totalSteps)) / Double(totalSteps)
            return base * (1 - (1 - finalFraction) * progress)
        }
    }
}

/// Reduce-on-plateau (PyTorch's `ReduceLROnPlateau`, mode "min", relative threshold): when a
/// watched loss has not improved on its best by more than `threshold` (relatively) for more than
/// `patience` observations, the rate is multiplied by `factor`, not below `minimum`.
public struct ReduceOnPlateau: Sendable, Equatable {
    /// The multiplier applied on a plateau, in `0..<1`.
    public let factor: Double
    /// How many observations without improvement are tolerated.
    public let patience: Int
    /// The relative improvement that counts.
    public let threshold: Double
    /// The lowest rate.
    public let minimum: Double
    /// The best loss so far.
    public private(set) var best = Double.infinity
    /// Observations since the last improvement.
    public private(set) var badObservations = 0

    /// A plateau detector with PyTorch's defaults.
    public init(factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, minimum: Double = 0) {
        precondition(factor > 0 && factor < 1 && patience >= 0 && threshold >= 0 && minimum >= 0,
                     "need factor in (0, 1), patience ≥ 0, threshold ≥ 0, minimum ≥ 0; got \(factor), \(patience), \(threshold), \(minimum)")
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.minimum = minimum
    }

    /// Records `loss` and returns the rate to use from now on, given the current one.
    public mutating func observe(_ loss: Double, learningRate: Double) -> Double {
        if loss < best * (1 - threshold) {
            best = loss
            badObservations = 0
            return learningRate
        }
        badObservations += 1
        guard badObservations > patience else { return learningRate }
        badObservations = 0
        return max(learningRate * factor, minimum)
    }
}
