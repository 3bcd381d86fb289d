/// Seeded weight initializers.
public enum Initializer {
    /// True inside `withPlaceholderWeights`.
    @TaskLocal static var placeholders = false

    /// Runs `body` with `orthogonal` returning zeros without drawing: for models whose weights are
    /// all assigned right after they are built (batch-parallel replicas, a model re-initialized
    /// uniformly by `--init-scale`), where its O(size³) draws were thrown away (seconds for a
    /// 650-wide LSTM, per replica). The other initializers still draw, so that a model's other
    /// draws are the same as outside.
    public static func withPlaceholderWeights<T>(_ body: () throws -> T) rethrows -> T {
        try $placeholders.withValue(true, operation: body)
    }

    /// Xavier/Glorot uniform (Glorot & Bengio 2010): `U(−a, a)` with `a = sqrt(6 / (fanIn + fanOut))`,
    /// for a `fanOut × fanIn` weight.
    public static func glorotUniform<S: RecurrentScalar>(fanOut: Int, fanIn: Int, using generator: inout SeededGenerator) -> Matrix<S> {
        precondition(fanIn > 0 && fanOut > 0, "Glorot needs positive fans, got \(fanOut) × \(fanIn)")
        let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
        return .uniform(rows: fanOut, columns: fanIn, limit: limit, using: &generator)
    }

    /// A random `size × size` orthogonal matrix (Saxe et al. 2014): a Gaussian matrix whose rows
    /// are orthonormalized by modified Gram–Schmidt, in double precision.
    /// - Complexity: O(size³).
    public static func orthogonal<S: RecurrentScalar>(size: Int, using generator: inout SeededGenerator) -> Matrix<S> {
        precondition(size > 0, "an orthogonal matrix needs a positive size, got \(size)")
        if placeholders { return Matrix(rows: size, columns: size) }
        var q = (0..<(size * size)).map { _ in generator.nextNormal() }
        var r = 0
        while r < size {
            for p in 0..<r {
                var dot = 0.0
                for j in 0..<size { dot += q[r * size + j] * q[p * size + j] }
                for j in 0..<size { q[r * size + j] -= dot * q[p * size + j] }
            }
            var norm = 0.0
            for j in 0..<size { norm += q[r * size + j] * q[r * size + j] }
            norm = norm.squareRoot()
            if norm < 1e-6 {  // degenerate draw (practically never): draw this row again
                for j in 0..<size { q[r * size + j] = generator.nextNormal() }
                continue
            }
            for j in 0..<size { q[r * size + j] /= norm }
            r += 1
        }
        return Matrix(rows: size, columns: size, storage: q.map { S($0) })
    }
}
