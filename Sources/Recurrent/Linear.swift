/// A fully connected layer, `y = x · Wᵀ + b` (PyTorch's `nn.Linear` layout: `W` is
/// `outputSize × inputSize`). Xavier/Glorot uniform weights, zero bias.
public final class Linear<Scalar: RecurrentScalar> {
    /// `W`, `outputSize × inputSize`.
    public let weight: Parameter<Scalar>
    /// `b`, `1 × outputSize`.
    public let bias: Parameter<Scalar>

    /// A seeded layer.
    public init(inputSize: Int, outputSize: Int, seed: UInt64, name: String = "linear") {
        var generator = SeededGenerator(seed: seed)
        weight = Parameter(name: "\(name).weight",
                           value: Initializer.glorotUniform(fanOut: outputSize, fanIn: inputSize, using: &generator))
        bias = Parameter(name: "\(name).bias", value: Matrix(rows: 1, columns: outputSize))
    }

    /// A layer over given parameters: `weight` (`outputSize × inputSize`) may be shared with
    /// another module (an output layer tied to an embedding table, Press & Wolf 2017), whose
    /// gradient then receives this layer's too. `bias` is `1 × outputSize`.
    public init(weight: Parameter<Scalar>, bias: Parameter<Scalar>) {
        precondition(bias.value.rows == 1 && bias.value.columns == weight.value.rows,
                     "bias is \(bias.value.shape) for a weight of \(weight.value.shape)")
        self.weight = weight
        self.bias = bias
    }

    /// Features in.
    public var inputSize: Int { weight.value.columns }
    /// Features out.
    public var outputSize: Int { weight.value.rows }
    /// `W`, `b`.
    public var parameters: [Parameter<Scalar>] { [weight, bias] }

    /// `x · Wᵀ + b` for `x` of `n × inputSize`.
    public func forward(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(x.columns == inputSize, "input is \(x.shape), the layer expects \(inputSize) columns")
        var y = x.matmul(weight.value, transposeB: true)
        y.addToRows(bias.value.storage)
        return y
    }

    /// `x · Wᵀ + b` into `y`, reusing its storage when it already holds `n × outputSize` values
    /// (a language model's scores over its vocabulary, batch after batch).
    public func forward(_ x: Matrix<Scalar>, into y: inout Matrix<Scalar>) {
        precondition(x.columns == inputSize, "input is \(x.shape), the layer expects \(inputSize) columns")
        if y.rows != x.rows || y.columns != outputSize { y = Matrix(uninitializedRows: x.rows, columns: outputSize) }
        y.addProduct(x, weight.value, transposeB: true, alpha: 1, beta: 0)
        y.addToRows(bias.value.storage)
    }

    /// Accumulates `∂L/∂W += dyᵀ · x` and `∂L/∂b += Σ dy`, and returns `∂L/∂x = dy · W`.
    public func backward(input x: Matrix<Scalar>, outputGradient dy: Matrix<Scalar>) -> Matrix<Scalar> {
        precondition(dy.rows == x.rows && dy.columns == outputSize && x.columns == inputSize,
                     "output gradient is \(dy.shape) for input \(x.shape), the layer maps \(inputSize) → \(outputSize)")
        weight.gradient.addProduct(dy, x, transposeA: true)
        bias.gradient.add(Matrix(rows: 1, columns: outputSize, storage: dy.columnSums()))
        return dy.matmul(weight.value)
    }
}
