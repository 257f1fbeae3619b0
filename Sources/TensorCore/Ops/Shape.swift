// Operations that move elements without changing them: reshape, permute, broadcast, slicing,
// indexing, gathering, scattering, joining, splitting and padding.

extension Tensor {
    // MARK: - Reshape

    /// The same elements with a new shape (one size may be -1: inferred). Shares storage.
    public func reshape(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        guard unknown.count <= 1 else {
            throw TensorError("reshape", "only one size can be -1, got \(shapeString(newShape))")
        }
        if let u = unknown.first {
            var known = 1
            for (i, d) in newShape.enumerated() where i != u {
                guard d >= 0 else { throw TensorError("reshape", "invalid size \(d) in \(shapeString(newShape))") }
                known *= d
            }
            guard known > 0, count % known == 0 else {
                throw TensorError("reshape", "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape))")
            }
            target[u] = count / known
        }
        let n = try Tensor.checkedCount(target, op: "reshape")
        guard n == count else {
            throw TensorError("reshape", "cannot reshape \(shapeString(shape)) (\(count) elements) to \(shapeString(newShape)) (\(n) elements)")
        }
        if target == shape { return self }
        let inShape = shape
        return Tensor.record(.reshape, storage, target, self) { g in
            self.node?.accumulate(Tensor(storage: g.storage, shape: inShape))
        }
    }

    /// All elements in one axis.
    public func flattened() -> Tensor { try! reshape([count]) }

    /// A size-1 axis inserted at `axis` (negative counts from the end of the result).
    public func unsqueezed(axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        guard a >= 0 && a <= rank else {
            throw TensorError("unsqueeze", "axis \(axis) is out of range for a result of rank \(rank + 1)")
        }
        var s = shape
        s.insert(1, at: a)
        return try reshape(s)
    }

    /// Size-1 axes removed: `axis` only, or all of them when nil.
    public func squeezed(axis: Int? = nil) throws -> Tensor {
        guard let axis else { return try reshape(shape.filter { $0 != 1 }) }
        let a = try normalizedAxis(axis, op: "squeeze")
        guard shape[a] == 1 else {
            throw TensorError("squeeze", "axis \(axis) has size \(shape[a]), not 1, in \(shapeString(shape))")
        }
        var s = shape
        s.remove(at: a)
        return try reshape(s)
    }

    // MARK: - Permute

    /// The axes reordered: axis i of the result is axis `dims[i]` of self.
    public func permute(_ dims: [Int]) throws -> Tensor {
        guard dims.count == rank else {
            throw TensorError("permute", "needs \(rank) axes for shape \(shapeString(shape)), got \(dims)")
        }
        let axes = try dims.map { try normalizedAxis($0, op: "permute") }
        guard Set(axes).count == rank else { throw TensorError("permute", "\(dims) is not a permutation of the \(rank) axes") }
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        let readStrides = axes.map { inStrides[$0] }
        let out = TensorStorage.make(count: count)
        let po = out.pointer, px = pointer
        var o = 0
        Tensor.forEachRun(shape: outShape, strides: [readStrides]) { off, len, inner in
            var j = off.0
            for i in 0..<len { po[o + i] = px[j]; j += inner.0 }
            o += len
        }
        withExtendedLifetime(self) {}
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record(.permute, out, outShape, self) { g in
            self.node?.accumulate(try! g.permute(inverse))
        }
    }

    /// Axes `a` and `b` swapped (by default the last two: the matrix transpose).
    public func transposed(_ a: Int = -2, _ b: Int = -1) throws -> Tensor {
        guard rank >= 2 else { throw TensorError("transpose", "needs rank >= 2, got shape \(shapeString(shape))") }
        let x = try normalizedAxis(a, op: "transpose"), y = try normalizedAxis(b, op: "transpose")
        var dims = Array(0..<rank)
        dims.swapAt(x, y)
        return try permute(dims)
    }

    // MARK: - Broadcast

    /// The tensor stretched to `newShape` by broadcasting (a copy).
    public func broadcast(to newShape: [Int]) throws -> Tensor {
        let s = try Tensor.broadcastShape(shape, newShape, op: "broadcast")
        guard s == newShape else {
            throw TensorError("broadcast", "shape \(shapeString(shape)) cannot be broadcast to \(shapeString(newShape))")
        }
        if newShape == shape { return self }
        let inShape = shape
        return Tensor.record(.broadcastTo, Tensor.expandStorage(self, to: newShape), newShape, self) { g in
            self.node?.accumulate(g.sumToShape(inShape))
        }
    }
}

// MARK: - Slicing

/// One entry of a subscript: which positions to take along one axis.
public enum TensorIndex: Sendable, Equatable {
    /// One position (negative counts from the end); the axis is removed.
    case at(Int)
    /// Positions start, start + step, … before end (Python slice semantics; nil = the end).
    case range(start: Int?, end: Int?, step: Int)
    /// Every position of the axis.
    case all
    /// A new axis of size 1.
    case newAxis
    /// As many `.all` as needed to cover the remaining axes.
    case ellipsis

    /// `start..<end`.
    public static func slice(_ start: Int?, _ end: Int?, step: Int = 1) -> TensorIndex { .range(start: start, end: end, step: step) }
}

extension Tensor {
    /// The elements selected by `indices`, one entry per axis (missing trailing axes are
    /// taken whole). A copy; the gradient flows back to the selected positions.
    public func slice(_ indices: [TensorIndex]) throws -> Tensor {
        // Expand the ellipsis and count how many input axes the entries consume.
        let consuming = indices.filter { if case .newAxis = $0 { return false }; if case .ellipsis = $0 { return false }; return true }.count
        let ellipses = indices.filter { $0 == .ellipsis }.count
        guard ellipses <= 1 else { throw TensorError("slice", "at most one ellipsis (...) per subscript") }
        guard consuming <= rank else {
            throw TensorError("slice", "\(consuming) indices for a tensor of rank \(rank) \(shapeString(shape))")
        }
        var entries: [TensorIndex] = []
        for e in indices {
            if e == .ellipsis { entries += [TensorIndex](repeating: .all, count: rank - consuming) } else { entries.append(e) }
        }
        while entries.filter({ $0 != .newAxis }).count < rank { entries.append(.all) }

        // Per input axis: start, step, count (count nil = axis removed).
        let inStrides = Tensor.strides(of: shape)
        var base = 0
        var outShape: [Int] = [], readStrides: [Int] = []
        var axis = 0
        for e in entries {
            switch e {
            case .newAxis:
                outShape.append(1); readStrides.append(0)
            case .at(let i):
                let n = shape[axis]
                let j = i < 0 ? i + n : i
                guard j >= 0 && j < n else {
                    throw TensorError("slice", "index \(i) is out of range for axis \(axis) of size \(n) in \(shapeString(shape))")
                }
                base += j * inStrides[axis]
                axis += 1
            case .all:
                outShape.append(shape[axis]); readStrides.append(inStrides[axis])
                axis += 1
            case .range(let s, let e, let step):
                guard step != 0 else { throw TensorError("slice", "slice step cannot be zero (axis \(axis))") }
                let n = shape[axis]
                func clampIndex(_ v: Int?, _ dflt: Int) -> Int {
                    guard var v else { return dflt }
                    if v < 0 { v += n }
                    return step > 0 ? Swift.min(Swift.max(v, 0), n) : Swift.min(Swift.max(v, -1), n - 1)
                }
                let start = clampIndex(s, step > 0 ? 0 : n - 1)
                let end = clampIndex(e, step > 0 ? n : -1)
                let len = step > 0 ? Swift.max(0, (end - start + step - 1) / step) : Swift.max(0, (start - end - step - 1) / -step)
                base += len > 0 ? start * inStrides[axis] : 0
                outShape.append(len); readStrides.append(step * inStrides[axis])
                axis += 1
            case .ellipsis:
                break
            }
        }
        let n = outShape.reduce(1, *)
        // Fast path: a contiguous run of the storage (e.g. rows of a matrix) is copied whole.
        let out = TensorStorage.make(count: n)
        let po = out.pointer, px = pointer
        if n > 0 {
            var o = 0
            Tensor.forEachRun(shape: outShape, strides: [readStrides]) { off, len, inner in
                var j = base + off.0
                if inner.0 == 1 {
                    (po + o).update(from: px + j, count: len)
                } else {
                    for i in 0..<len { po[o + i] = px[j]; j += inner.0 }
                }
                o += len
            }
        }
        withExtendedLifetime(self) {}
        let inShape = shape, inCount = count
        return Tensor.record(.slice, out, outShape, self) { g in
            let grad = TensorStorage.zeros(count: inCount)
            let pd = grad.pointer, pg = g.pointer
            if n > 0 {
                var o = 0
                Tensor.forEachRun(shape: outShape, strides: [readStrides]) { off, len, inner in
                    var j = base + off.0
                    for i in 0..<len { pd[j] += pg[o + i]; j += inner.0 }
                    o += len
                }
            }
            withExtendedLifetime(g) {}
            self.node?.accumulate(Tensor(storage: grad, shape: inShape))
        }
    }

    /// Subscript with one entry per axis: `x[.at(0)]`, `x[.all, .slice(1, 3)]`.
    public subscript(_ indices: TensorIndex...) -> Tensor {
        get throws { try slice(indices) }
    }

    /// Row `i` (the first axis indexed).
    public subscript(_ i: Int) -> Tensor {
        get throws { try slice([.at(i)]) }
    }

    /// Positions `start..<end` along `axis`.
    public func narrow(axis: Int, start: Int, length: Int) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "narrow")
        guard start >= 0, length >= 0, start + length <= shape[a] else {
            throw TensorError("narrow", "positions \(start)..<\(start + length) do not fit axis \(axis) of size \(shape[a])")
        }
        var idx = [TensorIndex](repeating: .all, count: rank)
        idx[a] = .range(start: start, end: start + length, step: 1)
        return try slice(idx)
    }

    // MARK: - Indexing

    /// The slices at `indices` along `axis`, in that order (repeats allowed): an embedding
    /// lookup is `table.indexSelect(axis: 0, tokens)`. Gradients add up over repeats.
    public func indexSelect(axis: Int, _ indices: [Int]) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "indexSelect")
        let (outer, n, inner) = blockLayout(a, a)
        for i in indices where i < 0 || i >= n {
            throw TensorError("indexSelect", "index \(i) is out of range for axis \(axis) of size \(n) in \(shapeString(shape))")
        }
        var outShape = shape
        outShape[a] = indices.count
        let m = indices.count
        let out = TensorStorage.make(count: outer * m * inner)
        let po = out.pointer, px = pointer
        for o in 0..<outer {
            for (k, i) in indices.enumerated() {
                (po + (o * m + k) * inner).initialize(from: px + (o * n + i) * inner, count: inner)
            }
        }
        withExtendedLifetime(self) {}
        let inShape = shape, inCount = count
        return Tensor.record(.indexSelect, out, outShape, self) { g in
            let grad = TensorStorage.zeros(count: inCount)
            let pd = grad.pointer, pg = g.pointer
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    let src = pg + (o * m + k) * inner, dst = pd + (o * n + i) * inner
                    for j in 0..<inner { dst[j] += src[j] }
                }
            }
            withExtendedLifetime(g) {}
            self.node?.accumulate(Tensor(storage: grad, shape: inShape))
        }
    }

    /// The elements where `mask` is non-zero, in row-major order (NumPy's and PyTorch's
    /// `x[mask]`). The mask has the shape of self's leading axes; each selected position
    /// brings the sub-tensor of the remaining axes, so the result has shape
    /// [selected, remaining axes…]. The gradient goes back to the selected positions.
    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        guard mask.rank >= 1, mask.rank <= rank, Array(shape.prefix(mask.rank)) == mask.shape else {
            throw TensorError("maskedSelect", "mask of shape \(shapeString(mask.shape)) does not match the leading axes of \(shapeString(shape))")
        }
        let inner = shape[mask.rank...].reduce(1, *)
        var rows: [Int] = []
        mask.withUnsafeBufferPointer { p in for i in p.indices where p[i] != 0 { rows.append(i) } }
        let outShape = [rows.count] + shape[mask.rank...]
        let out = TensorStorage.make(count: rows.count * inner)
        let po = out.pointer, px = pointer
        for (k, r) in rows.enumerated() { (po + k * inner).initialize(from: px + r * inner, count: inner) }
        withExtendedLifetime(self) {}
        let inShape = shape, inCount = count
        return Tensor.record(.maskedSelect, out, outShape, self) { g in
            let grad = TensorStorage.zeros(count: inCount)
            let pd = grad.pointer, pg = g.pointer
            // The selected positions are distinct, so each receives exactly one slice of g.
            for (k, r) in rows.enumerated() { (pd + r * inner).update(from: pg + k * inner, count: inner) }
            withExtendedLifetime(g) {}
            self.node?.accumulate(Tensor(storage: grad, shape: inShape))
        }
    }

    /// Reads integral index values from a tensor, checking each against `bound`.
    @usableFromInline
    static func integerIndices(_ t: Tensor, bound: Int, op: String) throws -> [Int] {
        var out = [Int](repeating: 0, count: t.count)
        let p = t.pointer
        for i in 0..<t.count {
            let v = p[i]
            guard v == v.rounded(), v >= 0, v < Float(bound) else {
                throw TensorError(op, "index \(v) is not an integer in 0..<\(bound)")
            }
            out[i] = Int(v)
        }
        withExtendedLifetime(t) {}
        return out
    }

    /// For each position of `index` (same rank as self, same sizes except along `axis`),
    /// the element of self at that position with its `axis` coordinate replaced by the
    /// index value (PyTorch's `gather`): Q(s, a) is `q.gather(axis: 1, actions)` with
    /// actions of shape [B, 1].
    public func gather(axis: Int, _ index: Tensor) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "gather")
        guard index.rank == rank else {
            throw TensorError("gather", "index of shape \(shapeString(index.shape)) must have the rank of \(shapeString(shape))")
        }
        for d in 0..<rank where d != a && index.shape[d] != shape[d] {
            throw TensorError("gather", "index of shape \(shapeString(index.shape)) and input \(shapeString(shape)) differ on axis \(d)")
        }
        let idx = try Tensor.integerIndices(index, bound: shape[a], op: "gather")
        let (outer, m, inner) = index.blockLayout(a, a)
        let n = shape[a]
        let out = TensorStorage.make(count: index.count)
        let po = out.pointer, px = pointer
        for o in 0..<outer {
            for k in 0..<m {
                for i in 0..<inner {
                    let p = (o * m + k) * inner + i
                    po[p] = px[(o * n + idx[p]) * inner + i]
                }
            }
        }
        withExtendedLifetime(self) {}
        let inShape = shape, inCount = count
        return Tensor.record(.gather, out, index.shape, self) { g in
            let grad = TensorStorage.zeros(count: inCount)
            let pd = grad.pointer, pg = g.pointer
            for o in 0..<outer {
                for k in 0..<m {
                    for i in 0..<inner {
                        let p = (o * m + k) * inner + i
                        pd[(o * n + idx[p]) * inner + i] += pg[p]
                    }
                }
            }
            withExtendedLifetime(g) {}
            self.node?.accumulate(Tensor(storage: grad, shape: inShape))
        }
    }

    /// Self with each element of `source` added at the position `index` names along `axis`
    /// (the adjoint of `gather`; PyTorch's `scatter_add`). `index` and `source` have the
    /// same shape.
    public func scatterAdd(axis: Int, _ index: Tensor, _ source: Tensor) throws -> Tensor {
        let a = try normalizedAxis(axis, op: "scatterAdd")
        guard index.shape == source.shape, index.rank == rank else {
            throw TensorError("scatterAdd", "index \(shapeString(index.shape)) and source \(shapeString(source.shape)) must have one shape, of the rank of \(shapeString(shape))")
        }
        for d in 0..<rank where d != a && index.shape[d] != shape[d] {
            throw TensorError("scatterAdd", "index of shape \(shapeString(index.shape)) and input \(shapeString(shape)) differ on axis \(d)")
        }
        let idx = try Tensor.integerIndices(index, bound: shape[a], op: "scatterAdd")
        let (outer, m, inner) = index.blockLayout(a, a)
        let n = shape[a]
        let out = storage.clone()
        let po = out.pointer, ps = source.pointer
        for o in 0..<outer {
            for k in 0..<m {
                for i in 0..<inner {
                    let p = (o * m + k) * inner + i
                    po[(o * n + idx[p]) * inner + i] += ps[p]
                }
            }
        }
        withExtendedLifetime(source) {}
        let indexCopy = index.detached()
        return Tensor.record(.scatterAdd, out, shape, self, source) { g in
            self.node?.accumulate(g)
            if let ns = source.node { ns.accumulate(try! g.gather(axis: a, indexCopy)) }
        }
    }

    /// One-hot rows: shape [..., classes] with a 1 at each index. Not differentiable.
    public static func oneHot(_ indices: [Int], classes: Int) throws -> Tensor {
        guard classes > 0 else { throw TensorError("oneHot", "classes must be positive, got \(classes)") }
        var t = try zeros([indices.count, classes])
        let p = t.mutablePointer()
        for (row, i) in indices.enumerated() {
            guard i >= 0 && i < classes else { throw TensorError("oneHot", "index \(i) is out of range for \(classes) classes") }
            p[row * classes + i] = 1
        }
        return t
    }

    /// One-hot encoding of a tensor of integral values: shape `self.shape + [classes]`.
    public func oneHot(classes: Int) throws -> Tensor {
        let idx = try Tensor.integerIndices(self, bound: classes, op: "oneHot")
        return try Tensor.oneHot(idx, classes: classes).reshape(shape + [classes])
    }

    // MARK: - Joining and splitting

    /// The tensors joined along `axis`; all other sizes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("concat", "needs at least one tensor") }
        let a = try first.normalizedAxis(axis, op: "concat")
        for (k, t) in tensors.enumerated() {
            guard t.rank == first.rank else {
                throw TensorError("concat", "tensor \(k) has shape \(shapeString(t.shape)), rank \(t.rank), but tensor 0 has \(shapeString(first.shape))")
            }
            for d in 0..<t.rank where d != a && t.shape[d] != first.shape[d] {
                throw TensorError("concat", "tensor \(k) has shape \(shapeString(t.shape)) but tensor 0 has \(shapeString(first.shape)): axis \(d) differs")
            }
        }
        let sizes = tensors.map { $0.shape[a] }
        var outShape = first.shape
        outShape[a] = sizes.reduce(0, +)
        let (outer, _, inner) = first.blockLayout(a, a)
        let total = outShape[a]
        let out = TensorStorage.make(count: outer * total * inner)
        let po = out.pointer
        var offset = 0
        for t in tensors {
            let n = t.shape[a], px = t.pointer
            for o in 0..<outer {
                (po + (o * total + offset) * inner).initialize(from: px + o * n * inner, count: n * inner)
            }
            offset += n
            withExtendedLifetime(t) {}
        }
        return record(.concat, out, outShape, inputList: tensors) { g in
            var start = 0
            for (t, n) in zip(tensors, sizes) {
                if let node = t.node { node.accumulate(try! g.narrow(axis: a, start: start, length: n)) }
                start += n
            }
        }
    }

    /// The tensors (all of one shape) stacked along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError("stack", "needs at least one tensor") }
        for (k, t) in tensors.enumerated() where t.shape != first.shape {
            throw TensorError("stack", "tensor \(k) has shape \(shapeString(t.shape)) but tensor 0 has \(shapeString(first.shape))")
        }
        let a = axis < 0 ? axis + first.rank + 1 : axis
        guard a >= 0 && a <= first.rank else {
            throw TensorError("stack", "axis \(axis) is out of range for a result of rank \(first.rank + 1)")
        }
        return try concat(tensors.map { try $0.unsqueezed(axis: a) }, axis: a)
    }

    /// Pieces of the given sizes along `axis` (they must add up to its size).
    public func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
        let a = try normalizedAxis(axis, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError("split", "sizes \(sizes) do not add up to \(shape[a]), the size of axis \(axis) of \(shapeString(shape))")
        }
        var start = 0
        return try sizes.map { n in
            defer { start += n }
            return try narrow(axis: a, start: start, length: n)
        }
    }

    /// `parts` equal pieces along `axis`.
    public func split(parts: Int, axis: Int = 0) throws -> [Tensor] {
        let a = try normalizedAxis(axis, op: "split")
        guard parts > 0, shape[a] % parts == 0 else {
            throw TensorError("split", "axis \(axis) of size \(shape[a]) cannot be split into \(parts) equal parts")
        }
        return try split(sizes: [Int](repeating: shape[a] / parts, count: parts), axis: a)
    }

    /// Padded with `value`: `widths[i]` = (before, after) for axis i (missing axes unpadded).
    public func pad(_ widths: [(Int, Int)], value: Float = 0) throws -> Tensor {
        guard widths.count <= rank else {
            throw TensorError("pad", "\(widths.count) pad widths for a tensor of rank \(rank)")
        }
        var w = widths
        while w.count < rank { w.append((0, 0)) }
        for (i, p) in w.enumerated() where p.0 < 0 || p.1 < 0 {
            throw TensorError("pad", "negative pad width (\(p.0), \(p.1)) on axis \(i)")
        }
        let outShape = zip(shape, w).map { $0 + $1.0 + $1.1 }
        var out = try Tensor.full(outShape, value)
        let outStrides = Tensor.strides(of: outShape)
        let base = zip(w, outStrides).reduce(0) { $0 + $1.0.0 * $1.1 }
        let po = out.mutablePointer(), px = pointer
        var o = 0
        Tensor.forEachRun(shape: shape, strides: [outStrides]) { off, len, _ in
            (po + base + off.0).update(from: px + o, count: len)
            o += len
        }
        withExtendedLifetime(self) {}
        let idx = zip(shape, w).map { TensorIndex.range(start: $1.0, end: $1.0 + $0, step: 1) }
        return Tensor.record(.pad, out.storage, outShape, self) { g in
            self.node?.accumulate(try! g.detached().slice(idx))
        }
    }
}
