/// Inverted dropout (Srivastava et al. 2014): in training, each value is kept with probability
/// `1 − rate` and scaled by `1 / (1 − rate)`, so inference needs no rescaling. Masks come from a
/// seeded generator, so a run is reproducible.
public final class Dropout<Scalar: RecurrentScalar> {
    /// The probability of zeroing a value, in `0..<1`.
    public let rate: Double
    /// The generator the masks are drawn from (set it to replay the same masks).
    public var generator: SeededGenerator

    /// Dropout with `rate`, seeded.
    public init(rate: Double, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in 0..<1, got \(rate)")
        self.rate = rate
        generator = SeededGenerator(seed: seed)
    }

    /// A fresh mask for a `rows × columns` input: `0` or `1 / (1 − rate)` per element.
    public func mask(rows: Int, columns: Int) -> Matrix<Scalar> {
        var mask = Matrix<Scalar>(rows: rows, columns: columns)
        guard mask.count > 0 else { return mask }
        let keep = 1 - rate
        mask.storage.withUnsafeMutableBufferPointer { buffer in
            Scalar.fillDropoutMask(count: buffer.count, keepProbability: keep, generator: &generator, mask: buffer.baseAddress!)
        }
        return mask
    }

    /// In training (and with `rate > 0`), `x` times a fresh mask, and the mask; otherwise `x`
    /// unchanged and no mask.
    public func forward(_ x: Matrix<Scalar>, training: Bool) -> (output: Matrix<Scalar>, mask: Matrix<Scalar>?) {
        guard training, rate > 0 else { return (x, nil) }
        let mask = mask(rows: x.rows, columns: x.columns)
        return (x.multiplied(by: mask), mask)
    }

    /// The input gradient: `outputGradient` times the mask of the forward pass (unchanged without one).
    public static func backward(_ outputGradient: Matrix<Scalar>, mask: Matrix<Scalar>?) -> Matrix<Scalar> {
        guard let mask else { return outputGradient }
        precondition(mask.rows == outputGradient.rows && mask.columns == outputGradient.columns,
                     "output gradient is \(outputGradient.shape), the dropout mask is \(mask.shape)")
        return outputGradient.multiplied(by: mask)
    }
}
