import Foundation
import Recurrent
import Testing

/// `Attention` (sgemm and the C additive kernels) against the definitions written out in Double,
/// on rows interleaved as in a time-major batch (stride larger than the row).
@Suite("Attention kernels")
struct AttentionTests {
    static let steps = 5, sources = 7, hidden = 19, stride = 3 * 19, offset = 19

    /// Random rows, `stride` apart, the example's rows starting at `offset`.
    static func rows(_ count: Int, _ generator: inout SeededGenerator) -> [Float] {
        Matrix<Float>.normal(rows: 1, columns: count * stride, standardDeviation: 0.5, using: &generator).storage
    }

    static func row(_ storage: [Float], _ index: Int) -> [Double] {
        (0..<hidden).map { Double(storage[offset + index * stride + $0]) }
    }

    @Test(arguments: [true, false])
    func matchesTheDefinition(additive: Bool) {
        let (steps, sources, hidden, stride, offset) = (Self.steps, Self.sources, Self.hidden, Self.stride, Self.offset)
        var generator = SeededGenerator(seed: additive ? 5 : 6)
        let q = Self.rows(steps, &generator), k = Self.rows(sources, &generator), m = Self.rows(sources, &generator)
        let dc = Self.rows(steps, &generator)
        let v = Matrix<Float>.normal(rows: 1, columns: hidden, using: &generator).storage
        var weights = [Float](repeating: 0, count: steps * sources)
        var terms = [Float](repeating: 0, count: steps * sources * hidden)
        var context = [Float](repeating: 7, count: steps * stride)  // other examples' rows must stay 7
        var dm = [Float](repeating: 0, count: sources * stride), dq = [Float](repeating: 0, count: steps * stride)
        var dk = [Float](repeating: 0, count: sources * stride), dv = [Float](repeating: 0, count: hidden)
        var scratch = [Float](repeating: 0, count: steps * sources)
        q.withUnsafeBufferPointer { q in k.withUnsafeBufferPointer { k in m.withUnsafeBufferPointer { m in
            v.withUnsafeBufferPointer { v in dc.withUnsafeBufferPointer { dc in
                weights.withUnsafeMutableBufferPointer { w in terms.withUnsafeMutableBufferPointer { u in
                    context.withUnsafeMutableBufferPointer { c in dm.withUnsafeMutableBufferPointer { dm in
                        dq.withUnsafeMutableBufferPointer { dq in dk.withUnsafeMutableBufferPointer { dk in
                            dv.withUnsafeMutableBufferPointer { dv in scratch.withUnsafeMutableBufferPointer { s in
                                let score: Attention.Score = additive ? .additive(v: v.baseAddress!) : .multiplicative
                                let rows = { (p: UnsafeBufferPointer<Float>) in Attention.Rows(p.baseAddress! + offset, stride: stride) }
                                let out = { (p: UnsafeMutableBufferPointer<Float>) in Attention.MutableRows(p.baseAddress! + offset, stride: stride) }
                                Attention.forward(score, steps: steps, sources: sources, hidden: hidden, queries: rows(q), keys: rows(k),
                                                  memory: rows(m), weights: w.baseAddress!, additive: u.baseAddress, context: out(c))
                                Attention.backward(score, steps: steps, sources: sources, hidden: hidden, queries: rows(q), keys: rows(k),
                                                   memory: rows(m), weights: UnsafePointer(w.baseAddress!), additive: UnsafePointer(u.baseAddress!),
                                                   dContext: rows(dc), dMemory: out(dm), dQueries: out(dq), dKeys: out(dk),
                                                   dV: dv.baseAddress, scratch: s.baseAddress!)
                            } }
                        } }
                    } }
                } }
            } }
        } } }
        // The definitions, in Double.
        let vd = v.map(Double.init)
        var expectedDM = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: sources)
        var expectedDQ = [[Double]](repeating: [Double](repeating: 0, count: hidden), count: steps)
        var expectedDK = expectedDM, expectedDV = [Double](repeating: 0, count: hidden)
        for t in 0..<steps {
            let qt = Self.row(q, t), dct = Self.row(dc, t)
            var scores = [Double](repeating: 0, count: sources)
            for i in 0..<sources {
                let ki = Self.row(k, i)
                for j in 0..<hidden { scores[i] += additive ? vd[j] * Foundation.tanh(qt[j] + ki[j]) : qt[j] * ki[j] }
            }
            let top = scores.max()!
            let e = scores.map { Foundation.exp($0 - top) }
            let a = e.map { $0 / e.reduce(0, +) }
            for i in 0..<sources { #expect(abs(Double(weights[t * sources + i]) - a[i]) < 1e-5) }
            for j in 0..<hidden {
                var expected = 0.0
                for i in 0..<sources { expected += a[i] * Self.row(m, i)[j] }
                #expect(abs(Double(context[offset + t * stride + j]) - expected) < 1e-5)
            }
            var dA = [Double](repeating: 0, count: sources), dot = 0.0
            for i in 0..<sources {
                let mi = Self.row(m, i)
                for j in 0..<hidden { dA[i] += dct[j] * mi[j] }
                dot += a[i] * dA[i]
            }
            for i in 0..<sources {
                let dS = a[i] * (dA[i] - dot), ki = Self.row(k, i)
                for j in 0..<hidden {
                    expectedDM[i][j] += a[i] * dct[j]
                    if additive {
                        let u = Foundation.tanh(qt[j] + ki[j])
                        let pre = dS * vd[j] * (1 - u * u)
                        expectedDQ[t][j] += pre; expectedDK[i][j] += pre; expectedDV[j] += dS * u
                    } else {
                        expectedDQ[t][j] += dS * ki[j]; expectedDK[i][j] += dS * qt[j]
                    }
                }
            }
        }
        func close(_ got: [Float], _ expected: [[Double]]) -> Bool {
            expected.indices.allSatisfy { r in (0..<hidden).allSatisfy { abs(Double(got[offset + r * stride + $0]) - expected[r][$0]) < 1e-4 } }
        }
        #expect(close(dm, expectedDM) && close(dq, expectedDQ) && close(dk, expectedDK))
        #expect(zip(dv, expectedDV).allSatisfy { abs(Double($0) - $1) < 1e-4 })
        // Rows of other examples are untouched.
        #expect((0..<steps).allSatisfy { t in context[(t * stride)..<(t * stride + offset)].allSatisfy { $0 == 7 } })
        #expect((0..<sources).allSatisfy { i in dm[(i * stride)..<(i * stride + offset)].allSatisfy { $0 == 0 } })
    }
}
