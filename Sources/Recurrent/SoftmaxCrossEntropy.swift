import RecurrentKernels

/// Softmax cross-entropy over rows of logits with integer targets; rows whose target is
/// negative (`TokenBatch.padding`) are padding and count for nothing. The loss is the mean over
/// the real rows, as PyTorch's `cross_entropy(ignore_index=-1)`.
public enum SoftmaxCrossEntropy {
    /// The loss of one batch and its gradient.
    public struct Result<Scalar: RecurrentScalar>: Sendable {
        /// The mean negative log-likelihood over the real rows (0 when there are none).
        public var loss: Double
        /// ∂loss/∂logits (zero rows at padding).
        public var gradient: Matrix<Scalar>
        /// Real rows whose arg-max is the target.
        public var correct: Int
        /// The number of real rows.
        public var count: Int
        /// `correct / count` (0 when there are no real rows).
        public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    }

    /// The loss and gradient of `logits` (`rows × classes`) against `targets` (one per row;
    /// negative = padding, otherwise in `0..<classes`).
    public static func evaluate<Scalar: RecurrentScalar>(logits: Matrix<Scalar>, targets: [Int32]) -> Result<Scalar> {
        precondition(targets.count == logits.rows, "\(targets.count) targets for logits of \(logits.shape)")
        precondition(logits.columns > 0, "logits need at least one class, got \(logits.shape)")
        var count = 0
        for target in targets where target >= 0 {
            precondition(Int(target) < logits.columns, "target \(target) is outside the \(logits.columns) classes")
            count += 1
        }
        var gradient = Matrix<Scalar>(rows: logits.rows, columns: logits.columns)
        guard count > 0 else { return Result(loss: 0, gradient: gradient, correct: 0, count: 0) }
        let (rows, classes) = (logits.rows, logits.columns)
        let (loss, correct) = logits.storage.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { t in
                gradient.storage.withUnsafeMutableBufferPointer { g in
                    Scalar.softmaxCrossEntropy(rows: rows, classes: classes, logits: x.baseAddress!, targets: t.baseAddress!,
                                               scale: 1 / Scalar(count), gradient: g.baseAddress!)
                }
            }
        }
        return Result(loss: loss / Double(count), gradient: gradient, correct: correct, count: count)
    }
}

extension SoftmaxCrossEntropy {
    /// The summed loss of Float `logits` (`rows × classes`) against `targets` (negative:
    /// padding), writing `scale · (softmax − onehot)` into `gradient` (same shape), with the
    /// vectorized kernel (`wpr_softmax_cross_entropy`): for wide outputs such as a language
    /// model's softmax over its vocabulary, where the exponentials dominate.
    ///
    /// With `smoothing` ε > 0 the target distribution is label-smoothed as OpenNMT does: 1 − ε on
    /// the target, ε / (classes − 2) on every other class but `ignore` (the padding class), and
    /// the loss is the cross-entropy against it (`wpr_softmax_cross_entropy_smoothed`).
    public static func summedLoss(logits: Matrix<Float>, targets: [Int32], scale: Float, gradient: inout Matrix<Float>,
                                  smoothing: Float = 0, ignore: Int = -1) -> Double {
        precondition(targets.count == logits.rows && gradient.rows == logits.rows && gradient.columns == logits.columns && logits.columns > 0,
                     "\(targets.count) targets, gradient \(gradient.shape) for logits of \(logits.shape)")
        let (rows, classes) = (logits.rows, logits.columns)
        checkTargets(targets, classes: classes)
        return logits.storage.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { t in
                gradient.storage.withUnsafeMutableBufferPointer { g in
                    smoothing > 0
                        ? wpr_softmax_cross_entropy_smoothed(rows, classes, x.baseAddress!, t.baseAddress!, scale, smoothing, ignore, g.baseAddress!)
                        : wpr_softmax_cross_entropy(rows, classes, x.baseAddress!, t.baseAddress!, scale, g.baseAddress!)
                }
            }
        }
    }

    /// `summedLoss` with the gradient written over `logits` itself: one buffer instead of two
    /// for a language model's `rows × vocabulary` scores.
    public static func summedLossInPlace(logits: inout Matrix<Float>, targets: [Int32], scale: Float) -> Double {
        precondition(targets.count == logits.rows && logits.columns > 0, "\(targets.count) targets for logits of \(logits.shape)")
        let (rows, classes) = (logits.rows, logits.columns)
        checkTargets(targets, classes: classes)
        return targets.withUnsafeBufferPointer { t in
            logits.storage.withUnsafeMutableBufferPointer { x in
                wpr_softmax_cross_entropy(rows, classes, x.baseAddress!, t.baseAddress!, scale, x.baseAddress!)
            }
        }
    }

    /// Every target is padding (negative) or a class.
    private static func checkTargets(_ targets: [Int32], classes: Int) {
        for target in targets where target >= 0 {
            precondition(Int(target) < classes, "target \(target) is outside the \(classes) classes")
        }
    }
}
