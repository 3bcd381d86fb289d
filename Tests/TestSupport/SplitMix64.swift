/// A small seeded generator for tests (SplitMix64: Steele, Lea and Flood 2014), the one the
/// test suites share for reproducible random data; the same sequence as Recurrent's
/// `SeededGenerator`, without depending on that module.
public struct SplitMix64: RandomNumberGenerator {
    /// The generator state.
    public var state: UInt64

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

    /// A uniform value in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
