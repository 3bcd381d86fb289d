import Foundation

/// A small, fast, seeded random number generator (SplitMix64, Steele, Lea & Flood 2014), so that
/// initialization, dropout masks and tests are reproducible from one seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The generator state.
    public private(set) var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `[0, 1)` (53 random bits).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in `range`.
    public mutating func nextUniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnit()
    }

    /// A standard normal double (Box–Muller).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1], so the log is finite
        let u2 = nextUnit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound`.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive, got \(bound)")
        return Int(next() % UInt64(bound))
    }

    /// A new generator whose stream is independent of this one's (for a sub-component).
    public mutating func split() -> SeededGenerator { SeededGenerator(seed: next()) }
}
