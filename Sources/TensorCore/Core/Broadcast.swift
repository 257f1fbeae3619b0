// NumPy broadcasting: shapes are aligned at their last axis; an axis of size 1 (or a missing
// leading axis) stretches to the other's size.

extension Tensor {
    /// The broadcast shape of `a` and `b`, or an error naming `op` and both shapes.
    @usableFromInline
    static func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw TensorError(op, "shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast: axis \(i - n) has sizes \(da) and \(db)")
            }
        }
        return out
    }

    /// Strides (in elements) for reading a contiguous tensor of `shape` as if it had shape
    /// `out`: 0 on stretched and missing axes. `out` must be a broadcast of `shape`.
    @usableFromInline
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int] {
        let own = strides(of: shape)
        let lead = out.count - shape.count
        var s = [Int](repeating: 0, count: out.count)
        for i in 0..<shape.count where shape[i] != 1 || out[lead + i] == 1 {
            s[lead + i] = shape[i] == 1 ? 0 : own[i]
        }
        return s
    }

    /// Visits every element of `shape` in row-major order, giving for each run of the last
    /// axis the starting offsets of up to three operands (read through `strides`) and the
    /// length of the run. The inner loop is left to `body` so it can be vectorised.
    @inlinable
    static func forEachRun(
        shape: [Int], strides s: [[Int]],
        _ body: (_ offsets: (Int, Int, Int), _ runLength: Int, _ innerStrides: (Int, Int, Int)) -> Void
    ) {
        let rank = shape.count
        if rank == 0 {
            body((0, 0, 0), 1, (0, 0, 0))
            return
        }
        for d in shape where d == 0 { _ = d; return }
        let s0 = s.count > 0 ? s[0] : [Int](repeating: 0, count: rank)
        let s1 = s.count > 1 ? s[1] : [Int](repeating: 0, count: rank)
        let s2 = s.count > 2 ? s[2] : [Int](repeating: 0, count: rank)
        let inner = shape[rank - 1]
        let innerStrides = (s0[rank - 1], s1[rank - 1], s2[rank - 1])
        var index = [Int](repeating: 0, count: rank)
        var o0 = 0, o1 = 0, o2 = 0
        while true {
            body((o0, o1, o2), inner, innerStrides)
            // Advance the multi-index over axes 0..<rank-1.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                o0 += s0[axis]; o1 += s1[axis]; o2 += s2[axis]
                if index[axis] < shape[axis] { break }
                o0 -= s0[axis] * shape[axis]; o1 -= s1[axis] * shape[axis]; o2 -= s2[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// `f` applied element-wise to `a` and `b` broadcast to `outShape` (already checked).
    @inlinable
    static func zipBroadcast(_ a: Tensor, _ b: Tensor, outShape: [Int], _ f: (Float, Float) -> Float) -> TensorStorage {
        let n = outShape.reduce(1, *)
        let out = TensorStorage.make(count: n)
        let po = out.pointer, pa = a.pointer, pb = b.pointer
        if a.shape == outShape && b.shape == outShape {
            Parallel.forChunks(n) { r in for i in r { po[i] = f(pa[i], pb[i]) } }
        } else if b.count == 1 && a.shape == outShape {
            let v = pb[0]
            Parallel.forChunks(n) { r in for i in r { po[i] = f(pa[i], v) } }
        } else if a.count == 1 && b.shape == outShape {
            let v = pa[0]
            Parallel.forChunks(n) { r in for i in r { po[i] = f(v, pb[i]) } }
        } else if a.shape == outShape, let w = outShape.last, w > 1, b.shape == Array(outShape.dropLast()) + [1] {
            // One value of b per row of a (x − max(x) along the last axis, as in logsumexp).
            Parallel.forChunks(n / w, grain: Swift.max(1, (1 << 15) / w)) { rows in
                for row in rows {
                    let v = pb[row], base = row * w
                    for k in 0..<w { po[base + k] = f(pa[base + k], v) }
                }
            }
        } else {
            let sa = broadcastStrides(a.shape, to: outShape)
            let sb = broadcastStrides(b.shape, to: outShape)
            var o = 0
            forEachRun(shape: outShape, strides: [sa, sb]) { off, len, inner in
                let (ia, ib, _) = inner
                var ja = off.0, jb = off.1
                if ia == 1 && ib == 1 {
                    for i in 0..<len { po[o + i] = f(pa[ja + i], pb[jb + i]) }
                } else {
                    for i in 0..<len {
                        po[o + i] = f(pa[ja], pb[jb])
                        ja += ia; jb += ib
                    }
                }
                o += len
            }
        }
        withExtendedLifetime(a) {}
        withExtendedLifetime(b) {}
        return out
    }

    /// `f` applied element-wise to three tensors broadcast to `outShape` (already checked).
    @inlinable
    static func zip3Broadcast(
        _ a: Tensor, _ b: Tensor, _ c: Tensor, outShape: [Int], _ f: (Float, Float, Float) -> Float
    ) -> TensorStorage {
        let n = outShape.reduce(1, *)
        let out = TensorStorage.make(count: n)
        let po = out.pointer, pa = a.pointer, pb = b.pointer, pc = c.pointer
        if a.shape == outShape && b.shape == outShape && c.shape == outShape {
            Parallel.forChunks(n) { r in for i in r { po[i] = f(pa[i], pb[i], pc[i]) } }
        } else {
            let sa = broadcastStrides(a.shape, to: outShape)
            let sb = broadcastStrides(b.shape, to: outShape)
            let sc = broadcastStrides(c.shape, to: outShape)
            var o = 0
            forEachRun(shape: outShape, strides: [sa, sb, sc]) { off, len, inner in
                var ja = off.0, jb = off.1, jc = off.2
                for i in 0..<len {
                    po[o + i] = f(pa[ja], pb[jb], pc[jc])
                    ja += inner.0; jb += inner.1; jc += inner.2
                }
                o += len
            }
        }
        withExtendedLifetime((a, b, c)) {}
        return out
    }

    /// `f` applied to each element.
    @inlinable
    static func mapStorage(_ x: Tensor, _ f: (Float) -> Float) -> TensorStorage {
        let n = x.count
        let out = TensorStorage.make(count: n)
        let po = out.pointer, px = x.pointer
        Parallel.forChunks(n) { r in for i in r { po[i] = f(px[i]) } }
        withExtendedLifetime(x) {}
        return out
    }

    /// A vectorised kernel `kernel(x, y, n)` (from CBLAS) applied to each element.
    @inlinable
    static func kernelStorage(_ x: Tensor, _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> TensorStorage {
        let out = TensorStorage.make(count: x.count)
        let po = out.pointer, px = x.pointer
        Parallel.forChunks(x.count) { r in kernel(px + r.lowerBound, po + r.lowerBound, r.count) }
        withExtendedLifetime(x) {}
        return out
    }

    /// The gradient `self` (of a broadcast result's shape) summed back to `target`, the shape
    /// of an input that was broadcast: over leading axes it lacked and axes where it had 1.
    @usableFromInline
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        var axes: [Int] = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        let reduced = Tensor.reduceSum(self, axes: axes)
        return Tensor(storage: reduced.storage, shape: target)
    }

    /// Adds `other` (same count) into this tensor's storage, in place, outside the tape.
    @usableFromInline
    mutating func addInPlaceUnchecked(_ other: Tensor) {
        let p = mutablePointer()
        let q = other.pointer
        if other.count == count {
            for i in 0..<count { p[i] += q[i] }
        } else {
            // Broadcast add (used for accumulating into broadcast batch slots).
            let sb = Tensor.broadcastStrides(other.shape, to: shape)
            var o = 0
            Tensor.forEachRun(shape: shape, strides: [sb]) { off, len, inner in
                var j = off.0
                for i in 0..<len { p[o + i] += q[j]; j += inner.0 }
                o += len
            }
        }
        withExtendedLifetime(other) {}
    }
}
