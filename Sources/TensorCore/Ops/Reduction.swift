import CBLAS
import Foundation

// Reductions, normalisations along an axis, and cumulative sums.
//
// The primitive reductions work on one block of adjacent axes, seen as the layout
// [outer, r, inner] (r elements reduced for each of outer × inner outputs). A reduction over
// axes that are not adjacent first permutes them to the end (a recorded op), so every
// gradient rule below only deals with the block layout.

extension Tensor {
    /// `axis` counted from the end when negative, checked against the rank.
    @usableFromInline
    func normalizedAxis(_ axis: Int, op: String, rank r: Int? = nil) throws -> Int {
        let r = r ?? rank
        let a = axis < 0 ? axis + r : axis
        guard a >= 0 && a < Swift.max(r, 1) && (r > 0 || a == 0) else {
            throw TensorError(op, "axis \(axis) is out of range for a tensor of rank \(rank) \(shapeString(shape))")
        }
        return a
    }

    /// Sorted, unique, non-negative axes; all axes for nil.
    @usableFromInline
    func normalizedAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        var out: [Int] = []
        for a in axes {
            let n = try normalizedAxis(a, op: op)
            if out.contains(n) { throw TensorError(op, "axis \(a) is given twice in \(axes)") }
            out.append(n)
        }
        if rank == 0 { return [] }
        return out.sorted()
    }

    @usableFromInline
    func blockLayout(_ lo: Int, _ hi: Int) -> (outer: Int, r: Int, inner: Int) {
        var outer = 1, r = 1, inner = 1
        for (i, d) in shape.enumerated() {
            if i < lo { outer *= d } else if i <= hi { r *= d } else { inner *= d }
        }
        return (outer, r, inner)
    }

    /// Applies a block reduction over `axes`, permuting them together first if needed, and
    /// shapes the result for `keepdims`.
    @usableFromInline
    func reduce(_ axes: [Int], keepdims: Bool, _ block: (Tensor, Int, Int) -> Tensor) throws -> Tensor {
        var keptShape: [Int] = [], keepShape = shape
        for (i, d) in shape.enumerated() {
            if axes.contains(i) { keepShape[i] = 1 } else { keptShape.append(d) }
        }
        if axes.isEmpty { return self }
        let contiguous = axes.last! - axes.first! + 1 == axes.count
        let result: Tensor
        if contiguous {
            result = block(self, axes.first!, axes.last!)
        } else {
            let kept = (0..<rank).filter { !axes.contains($0) }
            let permuted = try permute(kept + axes)
            result = block(permuted, kept.count, rank - 1)
        }
        return try result.reshape(keepdims ? keepShape : keptShape)
    }

    // MARK: - Sum

    /// The plain sum over `axes` with keepdims, recording nothing (used by gradient rules).
    @usableFromInline
    static func reduceSum(_ x: Tensor, axes: [Int]) -> Tensor {
        noGrad { try! x.reduce(axes, keepdims: true) { t, lo, hi in t.sumBlock(lo, hi) } }
    }

    @usableFromInline
    func sumBlock(_ lo: Int, _ hi: Int) -> Tensor {
        let (outer, r, inner) = blockLayout(lo, hi)
        var outShape = shape
        for i in lo...hi { outShape[i] = 1 }
        let out = TensorStorage.zeros(count: outer * inner)
        let po = out.pointer, px = pointer
        if inner == 1 {
            // Rows in parallel; each row is summed in order, as on one thread.
            Parallel.forChunks(outer, grain: Swift.max(1, (1 << 15) / Swift.max(r, 1))) { rows in
                for o in rows {
                    var acc: Float = 0
                    let row = px + o * r
                    for k in 0..<r { acc += row[k] }
                    po[o] = acc
                }
            }
        } else {
            for o in 0..<outer {
                let dst = po + o * inner
                for k in 0..<r {
                    let src = px + (o * r + k) * inner
                    for i in 0..<inner { dst[i] += src[i] }
                }
            }
        }
        withExtendedLifetime(self) {}
        let inShape = shape
        return Tensor.record(.sum, out, outShape, self) { g in
            self.node?.accumulate(Tensor(storage: Tensor.expandStorage(g, to: inShape), shape: inShape))
        }
    }

    /// `g` broadcast to `shape` as a new contiguous storage.
    @usableFromInline
    static func expandStorage(_ g: Tensor, to shape: [Int]) -> TensorStorage {
        let n = shape.reduce(1, *)
        let out = TensorStorage.make(count: n)
        let po = out.pointer, pg = g.pointer
        if g.count == 1 {
            po.initialize(repeating: pg[0], count: n)
        } else if g.count == n {
            po.initialize(from: pg, count: n)
        } else if let w = shape.last, w > 1, g.shape == Array(shape.dropLast()) + [1] {
            // One value per row (the gradient of a sum over the last axis).
            for row in 0..<(n / w) { (po + row * w).initialize(repeating: pg[row], count: w) }
        } else {
            let sg = broadcastStrides(g.shape, to: shape)
            var o = 0
            forEachRun(shape: shape, strides: [sg]) { off, len, inner in
                var j = off.0
                for i in 0..<len { po[o + i] = pg[j]; j += inner.0 }
                o += len
            }
        }
        withExtendedLifetime(g) {}
        return out
    }

    /// The sum over `axes` (all axes when nil), keeping them as size 1 with `keepdims`.
    public func sum(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        try reduce(normalizedAxes(axes, op: "sum"), keepdims: keepdims) { t, lo, hi in t.sumBlock(lo, hi) }
    }
    /// The sum over one axis.
    public func sum(axis: Int, keepdims: Bool = false) throws -> Tensor { try sum(axes: [axis], keepdims: keepdims) }
    /// The sum of all elements, as a scalar.
    public func sum() -> Tensor { try! sum(axes: nil) }

    /// The mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        guard n > 0 else { throw TensorError("mean", "mean over an empty axis of shape \(shapeString(shape))") }
        return try sum(axes: ax, keepdims: keepdims).scaled(by: 1 / Float(n))
    }
    public func mean(axis: Int, keepdims: Bool = false) throws -> Tensor { try mean(axes: [axis], keepdims: keepdims) }
    /// The mean of all elements, as a scalar.
    public func mean() throws -> Tensor { try mean(axes: nil) }

    /// The variance over `axes`, dividing by n − `correction` (PyTorch's default correction
    /// is 1, the unbiased estimate; LayerNorm uses 0).
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepdims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "variance")
        let n = ax.reduce(1) { $0 * shape[$1] }
        guard n - correction > 0 else {
            throw TensorError("variance", "needs more than \(correction) element(s) per group, got \(n) for shape \(shapeString(shape))")
        }
        let centered = try self - mean(axes: ax, keepdims: true)
        return try centered.square().sum(axes: ax, keepdims: keepdims).scaled(by: 1 / Float(n - correction))
    }
    public func variance(axis: Int, correction: Int = 1, keepdims: Bool = false) throws -> Tensor {
        try variance(axes: [axis], correction: correction, keepdims: keepdims)
    }
    /// The standard deviation (square root of `variance`).
    public func std(axes: [Int]? = nil, correction: Int = 1, keepdims: Bool = false) throws -> Tensor {
        try variance(axes: axes, correction: correction, keepdims: keepdims).sqrt()
    }

    public func std(axis: Int, correction: Int = 1, keepdims: Bool = false) throws -> Tensor {
        try std(axes: [axis], correction: correction, keepdims: keepdims)
    }

    // MARK: - Max and min

    /// Max (or min) over a block, with the position k of the winner in each [o, ·, i] run.
    @usableFromInline
    func extremeBlock(_ lo: Int, _ hi: Int, isMax: Bool) -> (Tensor, [Int]) {
        let (outer, r, inner) = blockLayout(lo, hi)
        var outShape = shape
        for i in lo...hi { outShape[i] = 1 }
        let out = TensorStorage.make(count: outer * inner)
        var arg = [Int](repeating: 0, count: outer * inner)
        let po = out.pointer, px = pointer
        arg.withUnsafeMutableBufferPointer { pa in
            let pa = pa.baseAddress!
            Parallel.forChunks(outer, grain: Swift.max(1, (1 << 15) / Swift.max(r * inner, 1))) { rows in
                for o in rows {
                    for i in 0..<inner {
                        var best = px[o * r * inner + i], bestK = 0
                        for k in 1..<Swift.max(r, 1) {
                            let v = px[(o * r + k) * inner + i]
                            if isMax ? (v > best || (v.isNaN && !best.isNaN)) : (v < best || (v.isNaN && !best.isNaN)) {
                                best = v; bestK = k
                            }
                        }
                        po[o * inner + i] = best
                        pa[o * inner + i] = bestK
                    }
                }
            }
        }
        withExtendedLifetime(self) {}
        let inShape = shape
        let result = Tensor.record(isMax ? .max : .min, out, outShape, self) { g in
            let grad = TensorStorage.zeros(count: outer * r * inner)
            let pg = g.pointer, pd = grad.pointer
            for o in 0..<outer {
                for i in 0..<inner { pd[(o * r + arg[o * inner + i]) * inner + i] = pg[o * inner + i] }
            }
            withExtendedLifetime(g) {}
            self.node?.accumulate(Tensor(storage: grad, shape: inShape))
        }
        return (result, arg)
    }

    /// The maximum over `axes` (all when nil). The gradient goes to the first maximal element.
    public func max(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "max")
        guard count > 0 else { throw TensorError("max", "max of an empty tensor of shape \(shapeString(shape))") }
        return try reduce(ax, keepdims: keepdims) { t, lo, hi in t.extremeBlock(lo, hi, isMax: true).0 }
    }
    public func max(axis: Int, keepdims: Bool = false) throws -> Tensor { try max(axes: [axis], keepdims: keepdims) }

    /// The minimum over `axes` (all when nil).
    public func min(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "min")
        guard count > 0 else { throw TensorError("min", "min of an empty tensor of shape \(shapeString(shape))") }
        return try reduce(ax, keepdims: keepdims) { t, lo, hi in t.extremeBlock(lo, hi, isMax: false).0 }
    }
    public func min(axis: Int, keepdims: Bool = false) throws -> Tensor { try min(axes: [axis], keepdims: keepdims) }

    /// The index of the maximum along `axis` (as Float values), or of the flattened tensor
    /// when `axis` is nil. Ties go to the first index. Not differentiable.
    public func argmax(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        guard count > 0 else { throw TensorError("argmax", "argmax of an empty tensor of shape \(shapeString(shape))") }
        let flat = axis == nil ? try detached().reshape([count]) : detached()
        let a = try flat.normalizedAxis(axis ?? 0, op: "argmax")
        let (_, arg) = noGrad { flat.extremeBlock(a, a, isMax: true) }
        var outShape = flat.shape
        if keepdims { outShape[a] = 1 } else { outShape.remove(at: a) }
        if axis == nil && keepdims { outShape = [Int](repeating: 1, count: rank) }
        return try Tensor(arg.map(Float.init), shape: outShape)
    }

    /// The index of the minimum along `axis` (or of the flattened tensor).
    public func argmin(axis: Int? = nil, keepdims: Bool = false) throws -> Tensor {
        try neg().argmax(axis: axis, keepdims: keepdims)
    }

    /// log Σ exp(x) over `axes`, computed stably (the maximum is subtracted first).
    public func logsumexp(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "logsumexp")
        // The shift m is a constant for the gradient: d/dm of the expression is zero.
        var m = try detached().max(axes: ax, keepdims: true)
        try m.apply { $0.isFinite ? $0 : 0 }
        let s = try (self - m).exp().sum(axes: ax, keepdims: true).log() + m
        return keepdims ? s : try s.reshape(shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
    }

    // MARK: - Along one axis

    /// y = exp(x − m) for a contiguous row, m its maximum (0 if not finite); returns m and
    /// Σ y. The stable core of softmax and log-softmax.
    @usableFromInline
    static func exponentiateShifted(_ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) -> (Float, Float) {
        var m = -Float.infinity
        for k in 0..<n { m = Swift.max(m, x[k]) }
        if !m.isFinite { m = 0 }
        for k in 0..<n { y[k] = x[k] - m }
        memento_vexp(y, y, n)
        var s: Float = 0
        for k in 0..<n { s += y[k] }
        return (m, s)
    }

    /// exp(x) / Σ exp(x) along `axis` (default: the last).
    public func softmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "softmax")
        let (outer, n, inner) = rank == 0 ? (1, 1, 1) : blockLayout(a, a)
        let out = TensorStorage.make(count: count)
        let px = pointer, py = out.pointer
        if inner == 1 {
            // Rows are contiguous: shift by the maximum, exponentiate with the vector kernel.
            Parallel.forChunks(outer, grain: Swift.max(1, (1 << 15) / Swift.max(n, 1))) { rows in
                for o in rows {
                    let y = py + o * n
                    let (_, s) = Tensor.exponentiateShifted(px + o * n, into: y, count: n)
                    let inv = 1 / s
                    for k in 0..<n { y[k] *= inv }
                }
            }
        } else {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var m = -Float.infinity
                for k in 0..<n { m = Swift.max(m, px[base + k * inner]) }
                if !m.isFinite { m = 0 }
                var s: Float = 0
                for k in 0..<n {
                    let e = Foundation.exp(px[base + k * inner] - m)
                    py[base + k * inner] = e
                    s += e
                }
                let inv = 1 / s
                for k in 0..<n { py[base + k * inner] *= inv }
            }
        }
        }
        withExtendedLifetime(self) {}
        let y = Tensor(storage: out, shape: shape)
        return Tensor.record(.softmax, out, shape, self) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let dx = TensorStorage.make(count: y.count)
            let pg = g.pointer, pd = dx.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    var dot: Float = 0
                    for k in 0..<n { dot += pg[base + k * inner] * py[base + k * inner] }
                    for k in 0..<n { pd[base + k * inner] = py[base + k * inner] * (pg[base + k * inner] - dot) }
                }
            }
            withExtendedLifetime((g, y)) {}
            self.node?.accumulate(Tensor(storage: dx, shape: y.shape))
        }
    }

    /// x − log Σ exp(x) along `axis` (default: the last), computed stably.
    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "logSoftmax")
        let (outer, n, inner) = rank == 0 ? (1, 1, 1) : blockLayout(a, a)
        let out = TensorStorage.make(count: count)
        let px = pointer, py = out.pointer
        if inner == 1 {
            // Contiguous rows: exponentiate the shifted row with the vector kernel (into the
            // output, as scratch), then write x − log Σ exp(x).
            Parallel.forChunks(outer, grain: Swift.max(1, (1 << 15) / Swift.max(n, 1))) { rows in
                for o in rows {
                    let x = px + o * n, y = py + o * n
                    let (m, s) = Tensor.exponentiateShifted(x, into: y, count: n)
                    let lse = m + Foundation.log(s)
                    for k in 0..<n { y[k] = x[k] - lse }
                }
            }
        } else {
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * n * inner + i
                    var m = -Float.infinity
                    for k in 0..<n { m = Swift.max(m, px[base + k * inner]) }
                    if !m.isFinite { m = 0 }
                    var s: Float = 0
                    for k in 0..<n { s += Foundation.exp(px[base + k * inner] - m) }
                    let lse = m + Foundation.log(s)
                    for k in 0..<n { py[base + k * inner] = px[base + k * inner] - lse }
                }
            }
        }
        withExtendedLifetime(self) {}
        let y = Tensor(storage: out, shape: shape)
        return Tensor.record(.logSoftmax, out, shape, self) { g in
            // dx = g − softmax ⊙ Σ g, with softmax = exp(y)
            let dx = TensorStorage.make(count: y.count)
            let pg = g.pointer, pd = dx.pointer
            if inner == 1 {
                for o in 0..<outer {
                    let gr = pg + o * n, d = pd + o * n
                    var s: Float = 0
                    for k in 0..<n { s += gr[k] }
                    memento_vexp(py + o * n, d, n)
                    for k in 0..<n { d[k] = gr[k] - d[k] * s }
                }
            } else {
                for o in 0..<outer {
                    for i in 0..<inner {
                        let base = o * n * inner + i
                        var s: Float = 0
                        for k in 0..<n { s += pg[base + k * inner] }
                        for k in 0..<n { pd[base + k * inner] = pg[base + k * inner] - Foundation.exp(py[base + k * inner]) * s }
                    }
                }
            }
            withExtendedLifetime((g, y)) {}
            self.node?.accumulate(Tensor(storage: dx, shape: y.shape))
        }
    }

    /// Running sums along `axis`: out[k] = x[0] + … + x[k]; with `reverse`,
    /// out[k] = x[k] + … + x[n−1] (returns-to-go).
    public func cumsum(axis: Int, reverse: Bool = false) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "cumsum")
        let layout = rank == 0 ? (1, 1, 1) : blockLayout(a, a)
        let out = Tensor.cumsumStorage(self, layout, reverse: reverse)
        return Tensor.record(.cumsum, out, shape, self) { g in
            // The adjoint of a running sum is the running sum in the other direction.
            self.node?.accumulate(Tensor(storage: Tensor.cumsumStorage(g, layout, reverse: !reverse), shape: g.shape))
        }
    }

    @usableFromInline
    static func cumsumStorage(_ x: Tensor, _ layout: (Int, Int, Int), reverse: Bool) -> TensorStorage {
        let (outer, n, inner) = layout
        let out = TensorStorage.make(count: x.count)
        let px = x.pointer, py = out.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var acc: Float = 0
                if reverse {
                    for k in stride(from: n - 1, through: 0, by: -1) { acc += px[base + k * inner]; py[base + k * inner] = acc }
                } else {
                    for k in 0..<n { acc += px[base + k * inner]; py[base + k * inner] = acc }
                }
            }
        }
        withExtendedLifetime(x) {}
        return out
    }
}
