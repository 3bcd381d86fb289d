// The pointwise kernels of the recurrent layers, written once as default implementations of
// `RecurrentScalar` requirements. Each conformance (Float, Double) gets its own specialized
// copy in its witness table, so these loops run on concrete types even when a generic layer is
// called from another module.

@inline(__always) private func sigmoid<S: RecurrentScalar>(_ x: S) -> S { 1 / (1 + S.exp(-x)) }

extension RecurrentScalar {
    /// Adds `vector` to each row of `matrix`.
    public static func addRowVector(rows: Int, columns: Int, vector: UnsafePointer<Self>, matrix: UnsafeMutablePointer<Self>) {
        for r in 0..<rows {
            let row = matrix + r * columns
            for j in 0..<columns { row[j] += vector[j] }
        }
    }

    /// `out[i] = x[i] * y[i]`.
    public static func multiply(count: Int, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>) {
        for i in 0..<count { out[i] = x[i] * y[i] }
    }

    /// Rows added to a sparse gradient (see the requirement).
    public static func accumulateRows(count: Int, columns: Int, ids: UnsafePointer<Int32>, skipping padding: Int32?,
                                      rows: UnsafePointer<Self>, scaledBy alpha: Self, into gradient: inout SparseRowGradient<Self>) {
        for r in 0..<count where ids[r] >= 0 && ids[r] != padding {
            gradient.add(rows + r * columns, to: ids[r], scaledBy: alpha)
        }
    }

    /// Inverted-dropout mask (see the requirement).
    public static func fillDropoutMask(count: Int, keepProbability: Double, generator: inout SeededGenerator,
                                       mask: UnsafeMutablePointer<Self>) {
        let scale = Self(1 / keepProbability)
        for i in 0..<count { mask[i] = generator.nextUnit() < keepProbability ? scale : 0 }
    }

    /// Simple RNN step (see the requirement).
    public static func rnnForwardStep(relu: Bool, batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                      preactivations: UnsafePointer<Self>, hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let a = preactivations + b * hidden, out = h + b * hidden
            guard step < lengths[b] else {
                out.update(from: hPrev + b * hidden, count: hidden)
                continue
            }
            if relu {
                for j in 0..<hidden { out[j] = a[j] > 0 ? a[j] : 0 }
            } else {
                for j in 0..<hidden { out[j] = Self.tanh(a[j]) }
            }
        }
    }

    /// Simple RNN step backward (see the requirement).
    public static func rnnBackwardStep(relu: Bool, batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                       h: UnsafePointer<Self>, dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?,
                                       dA: UnsafeMutablePointer<Self>, dhPrev: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let o = b * hidden
            guard step < lengths[b] else {
                (dA + o).update(repeating: 0, count: hidden)
                (dhPrev + o).update(from: dh + o, count: hidden)
                continue
            }
            for j in 0..<hidden {
                let g = dh[o + j] + (dY?[o + j] ?? 0)
                let y = h[o + j]
                dA[o + j] = relu ? (y > 0 ? g : 0) : g * (1 - y * y)
                dhPrev[o + j] = 0
            }
        }
    }

    /// LSTM step (see the requirement).
    public static func lstmForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                       gates: UnsafeMutablePointer<Self>, cPrev: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                       c: UnsafeMutablePointer<Self>, tanhC: UnsafeMutablePointer<Self>, h: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let o = b * hidden
            guard step < lengths[b] else {
                (c + o).update(from: cPrev + o, count: hidden)
                (h + o).update(from: hPrev + o, count: hidden)
                (tanhC + o).update(repeating: 0, count: hidden)
                continue
            }
            let i = gates + 4 * o, f = i + hidden, g = f + hidden, og = g + hidden
            for j in 0..<hidden {
                let iv = sigmoid(i[j]), fv = sigmoid(f[j]), gv = Self.tanh(g[j]), ov = sigmoid(og[j])
                i[j] = iv; f[j] = fv; g[j] = gv; og[j] = ov
                let cv = fv * cPrev[o + j] + iv * gv
                let tc = Self.tanh(cv)
                c[o + j] = cv
                tanhC[o + j] = tc
                h[o + j] = ov * tc
            }
        }
    }

    /// LSTM step backward (see the requirement).
    public static func lstmBackwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                        gates: UnsafePointer<Self>, cPrev: UnsafePointer<Self>, tanhC: UnsafePointer<Self>,
                                        dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?, dc: UnsafeMutablePointer<Self>,
                                        dGates: UnsafeMutablePointer<Self>, dhPrev: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let o = b * hidden
            guard step < lengths[b] else {
                (dGates + 4 * o).update(repeating: 0, count: 4 * hidden)
                (dhPrev + o).update(from: dh + o, count: hidden)
                continue  // dc carries over unchanged
            }
            let i = gates + 4 * o, f = i + hidden, g = f + hidden, og = g + hidden
            let di = dGates + 4 * o, df = di + hidden, dg = df + hidden, dog = dg + hidden
            for j in 0..<hidden {
                let gh = dh[o + j] + (dY?[o + j] ?? 0)
                let tc = tanhC[o + j]
                let iv = i[j], fv = f[j], gv = g[j], ov = og[j]
                let dct = dc[o + j] + gh * ov * (1 - tc * tc)
                dog[j] = gh * tc * ov * (1 - ov)
                di[j] = dct * gv * iv * (1 - iv)
                df[j] = dct * cPrev[o + j] * fv * (1 - fv)
                dg[j] = dct * iv * (1 - gv * gv)
                dc[o + j] = dct * fv
                dhPrev[o + j] = 0
            }
        }
    }

    /// GRU step (see the requirement).
    public static func gruForwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                      gatesX: UnsafeMutablePointer<Self>, gatesH: UnsafePointer<Self>,
                                      hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let o = b * hidden
            guard step < lengths[b] else {
                (h + o).update(from: hPrev + o, count: hidden)
                continue
            }
            let r = gatesX + 3 * o, z = r + hidden, n = z + hidden
            let hr = gatesH + 3 * o, hz = hr + hidden, hn = hz + hidden
            for j in 0..<hidden {
                let rv = sigmoid(r[j] + hr[j])
                let zv = sigmoid(z[j] + hz[j])
                let nv = Self.tanh(n[j] + rv * hn[j])
                r[j] = rv; z[j] = zv; n[j] = nv
                h[o + j] = (1 - zv) * nv + zv * hPrev[o + j]
            }
        }
    }

    /// GRU step backward (see the requirement).
    public static func gruBackwardStep(batch: Int, hidden: Int, step: Int, lengths: UnsafePointer<Int>,
                                       gates: UnsafePointer<Self>, gatesH: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                       dh: UnsafePointer<Self>, dY: UnsafePointer<Self>?,
                                       dGatesX: UnsafeMutablePointer<Self>, dGatesH: UnsafeMutablePointer<Self>,
                                       dhPrev: UnsafeMutablePointer<Self>) {
        for b in 0..<batch {
            let o = b * hidden
            guard step < lengths[b] else {
                (dGatesX + 3 * o).update(repeating: 0, count: 3 * hidden)
                (dGatesH + 3 * o).update(repeating: 0, count: 3 * hidden)
                (dhPrev + o).update(from: dh + o, count: hidden)
                continue
            }
            let r = gates + 3 * o, z = r + hidden, n = z + hidden
            let hn = gatesH + 3 * o + 2 * hidden
            let dxr = dGatesX + 3 * o, dxz = dxr + hidden, dxn = dxz + hidden
            let dhr = dGatesH + 3 * o, dhz = dhr + hidden, dhn = dhz + hidden
            for j in 0..<hidden {
                let g = dh[o + j] + (dY?[o + j] ?? 0)
                let rv = r[j], zv = z[j], nv = n[j]
                let an = g * (1 - zv) * (1 - nv * nv)
                let az = g * (hPrev[o + j] - nv) * zv * (1 - zv)
                let ar = an * hn[j] * rv * (1 - rv)
                dxr[j] = ar; dhr[j] = ar
                dxz[j] = az; dhz[j] = az
                dxn[j] = an; dhn[j] = an * rv
                dhPrev[o + j] = g * zv
            }
        }
    }

    /// Softmax cross-entropy (see the requirement).
    public static func softmaxCrossEntropy(rows: Int, classes: Int, logits: UnsafePointer<Self>, targets: UnsafePointer<Int32>,
                                           scale: Self, gradient: UnsafeMutablePointer<Self>) -> (loss: Double, correct: Int) {
        var loss = 0.0
        var correct = 0
        for r in 0..<rows {
            let x = logits + r * classes, d = gradient + r * classes
            let target = Int(targets[r])
            guard target >= 0, target < classes else {
                d.update(repeating: 0, count: classes)
                continue
            }
            var best = 0
            var maximum = x[0]
            for j in 1..<classes where x[j] > maximum {
                maximum = x[j]
                best = j
            }
            if best == target { correct += 1 }
            var sum: Self = 0
            for j in 0..<classes {
                let e = Self.exp(x[j] - maximum)
                d[j] = e
                sum += e
            }
            // -log softmax[target] = log Σ e^(x - max) - (x_target - max)
            loss += Double(Self.log(sum) - (x[target] - maximum))
            let factor = scale / sum
            for j in 0..<classes { d[j] *= factor }
            d[target] -= scale
        }
        return (loss, correct)
    }

    /// SGD with momentum (see the requirement).
    public static func sgdUpdate(count: Int, learningRate: Self, momentum: Self, weights: UnsafeMutablePointer<Self>,
                                 gradient: UnsafePointer<Self>, velocity: UnsafeMutablePointer<Self>?) {
        guard let velocity else {
            for i in 0..<count { weights[i] -= learningRate * gradient[i] }
            return
        }
        for i in 0..<count {
            let v = momentum * velocity[i] + gradient[i]
            velocity[i] = v
            weights[i] -= learningRate * v
        }
    }

    /// Adam (see the requirement).
    public static func adamUpdate(count: Int, learningRate: Self, beta1: Self, beta2: Self, epsilon: Self,
                                  correction1: Self, correction2: Self, weights: UnsafeMutablePointer<Self>,
                                  gradient: UnsafePointer<Self>, m: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>) {
        for i in 0..<count {
            let g = gradient[i]
            let mi = beta1 * m[i] + (1 - beta1) * g
            let vi = beta2 * v[i] + (1 - beta2) * g * g
            m[i] = mi
            v[i] = vi
            weights[i] -= learningRate * (mi / correction1) / ((vi / correction2).squareRoot() + epsilon)
        }
    }

    /// AdaGrad (see the requirement).
    public static func adagradUpdate(count: Int, learningRate: Self, epsilon: Self, weights: UnsafeMutablePointer<Self>,
                                     gradient: UnsafePointer<Self>, sum: UnsafeMutablePointer<Self>) {
        for i in 0..<count {
            let g = gradient[i]
            let s = sum[i] + g * g
            sum[i] = s
            weights[i] -= learningRate * g / (s.squareRoot() + epsilon)
        }
    }
}
