/// The 2-D map of a neighbourhood: the rows projected on their first two principal components
/// (PCA of the centred unit vectors). PCA rather than t-SNE or UMAP: it is deterministic, exact
/// for a few hundred points, keeps distances along the two main directions comparable (a
/// neighbour far on the map is far in the space along those directions), and needs no tuning.
enum Projection {
    static let description = "PCA: the query and its neighbours (unit vectors, centred) on their first two principal components"

    /// The coordinates of each row (rows of equal length; an empty row maps to the origin),
    /// from the two leading eigenvectors of the Gram matrix of the centred rows, found by power
    /// iteration with deflation from a fixed start (the same rows give the same map).
    static func principalPlane(_ rows: [[Float]]) -> [(x: Double, y: Double)] {
        let n = rows.count
        let dim = rows.first(where: { !$0.isEmpty })?.count ?? 0
        guard n > 0, dim > 0 else { return Array(repeating: (0, 0), count: n) }
        let present = rows.map { $0.count == dim }
        var mean = [Double](repeating: 0, count: dim)
        let count = Double(present.filter { $0 }.count)
        for (row, ok) in zip(rows, present) where ok { for j in 0..<dim { mean[j] += Double(row[j]) / count } }
        let centred: [[Double]] = zip(rows, present).map { row, ok in ok ? (0..<dim).map { Double(row[$0]) - mean[$0] } : [Double](repeating: 0, count: dim) }
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var dot = 0.0
                for d in 0..<dim { dot += centred[i][d] * centred[j][d] }
                gram[i * n + j] = dot
                gram[j * n + i] = dot
            }
        }
        var axes: [[Double]] = []
        for component in 0..<2 {
            // A fixed start that is not orthogonal to a typical leading eigenvector.
            var v = (0..<n).map { 1 + Double(($0 * 7 + component * 3) % 11) / 11 }
            var value = 0.0
            for _ in 0..<300 {
                var w = [Double](repeating: 0, count: n)
                for i in 0..<n { for j in 0..<n { w[i] += gram[i * n + j] * v[j] } }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12 else { value = 0; break }
                value = norm
                v = w.map { $0 / norm }
            }
            // Coordinates: the eigenvector scaled by the singular value, so both axes keep the
            // data's spread. Then deflate, so the next iteration finds the second component.
            axes.append(v.map { $0 * value.squareRoot() })
            gram = deflate(gram, n: n, unit: v, value: value)
        }
        return (0..<n).map { (axes[0][$0], axes[1][$0]) }
    }

    private static func deflate(_ gram: [Double], n: Int, unit: [Double], value: Double) -> [Double] {
        var result = gram
        for i in 0..<n { for j in 0..<n { result[i * n + j] -= value * unit[i] * unit[j] } }
        return result
    }
}
