import CBLAS
// Matrix products. The work goes to `BLAS.sgemm`; the gradient rules pass transposes to
// it as flags (BLAS.sgemm decides whether a transposed copy pays):
//   C = A·B   ⇒   dA = dC·Bᵀ,   dB = Aᵀ·dC.

extension Tensor {
    /// The matrix product, NumPy style: [M, K] × [K, N] → [M, N]; leading axes of the left
    /// operand are batch axes when the right one is a matrix ([B, T, K] × [K, N] →
    /// [B, T, N]); with both of rank ≥ 3 the batch axes broadcast; a vector operand is
    /// treated as a row (left) or column (right) and its axis dropped from the result.
    public func matmul(_ other: Tensor) throws -> Tensor {
        let a = self, b = other
        guard a.rank >= 1, b.rank >= 1 else {
            throw TensorError("matmul", "\(shapeString(a.shape)) × \(shapeString(b.shape)): both operands need rank >= 1")
        }
        if a.rank == 1 {
            let r = try a.reshape([1, a.count]).matmul(b)
            return try r.squeezed(axis: r.rank - 2)
        }
        if b.rank == 1 {
            let r = try a.matmul(b.reshape([b.count, 1]))
            return try r.squeezed(axis: -1)
        }
        let k = a.shape[a.rank - 1]
        guard b.shape[b.rank - 2] == k else {
            throw TensorError("matmul", "\(shapeString(a.shape)) × \(shapeString(b.shape)): inner dimensions \(k) and \(b.shape[b.rank - 2]) differ")
        }
        if b.rank == 2 { return Tensor.matmulFolded(a, b) }
        return try Tensor.matmulBatched(a, b)
    }

    /// [..., M, K] × [K, N]: all leading axes of A fold into M, one GEMM.
    static func matmulFolded(_ a: Tensor, _ b: Tensor) -> Tensor {
        let k = b.shape[0], n = b.shape[1]
        let m = a.count / Swift.max(k, 1)
        var outShape = a.shape
        outShape[outShape.count - 1] = n
        let out = TensorStorage.make(count: m * n)
        BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
        withExtendedLifetime((a, b)) {}
        return record(.matmul, out, outShape, a, b) { g in
            if let na = a.node {  // dA [M, K] = dC [M, N] · Bᵀ
                let da = TensorStorage.make(count: m * k)
                BLAS.sgemm(transA: false, transB: true, m: m, n: k, k: n, a: g.pointer, lda: n, b: b.pointer, ldb: n, c: da.pointer, ldc: k)
                na.accumulate(Tensor(storage: da, shape: a.shape))
            }
            if let nb = b.node {  // dB [K, N] = Aᵀ · dC
                let db = TensorStorage.make(count: k * n)
                BLAS.sgemm(transA: true, transB: false, m: k, n: n, k: m, a: a.pointer, lda: k, b: g.pointer, ldb: n, c: db.pointer, ldc: n)
                nb.accumulate(Tensor(storage: db, shape: b.shape))
            }
            withExtendedLifetime((g, a, b)) {}
        }
    }

    /// [..., M, K] × [..., K, N] with broadcast batch axes: one GEMM per batch entry.
    static func matmulBatched(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = try broadcastShape(batchA, batchB, op: "matmul")
        let count = batch.reduce(1, *)
        // Offsets (in matrices) of each batch entry's A and B.
        let sa = broadcastStrides(batchA, to: batch), sb = broadcastStrides(batchB, to: batch)
        var offA = [Int](repeating: 0, count: count), offB = [Int](repeating: 0, count: count)
        var e = 0
        if batch.isEmpty {
            offA = [0]; offB = [0]
        } else {
            forEachRun(shape: batch, strides: [sa, sb]) { off, len, inner in
                for i in 0..<len { offA[e] = off.0 + i * inner.0; offB[e] = off.1 + i * inner.1; e += 1 }
            }
        }
        let outShape = batch + [m, n]
        let out = TensorStorage.make(count: count * m * n)
        let pa = a.pointer, pb = b.pointer, po = out.pointer
        for i in 0..<count {
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: pa + offA[i] * m * k, lda: k,
                       b: pb + offB[i] * k * n, ldb: n, c: po + i * m * n, ldc: n)
        }
        withExtendedLifetime((a, b)) {}
        return record(.matmul, out, outShape, a, b) { g in
            let pg = g.pointer
            if let na = a.node {
                // Broadcast batch entries of A receive the sum of their gradients (beta = 1).
                let da = TensorStorage.zeros(count: a.count)
                for i in 0..<count {
                    BLAS.sgemm(transA: false, transB: true, m: m, n: k, k: n, a: pg + i * m * n, lda: n,
                               b: pb + offB[i] * k * n, ldb: n, beta: 1, c: da.pointer + offA[i] * m * k, ldc: k)
                }
                na.accumulate(Tensor(storage: da, shape: a.shape))
            }
            if let nb = b.node {
                let db = TensorStorage.zeros(count: b.count)
                for i in 0..<count {
                    BLAS.sgemm(transA: true, transB: false, m: k, n: n, k: m, a: pa + offA[i] * m * k, lda: k,
                               b: pg + i * m * n, ldb: n, beta: 1, c: db.pointer + offB[i] * k * n, ldc: n)
                }
                nb.accumulate(Tensor(storage: db, shape: b.shape))
            }
            withExtendedLifetime((g, a, b)) {}
        }
    }
}

extension Tensor {
    /// The affine map of a linear layer, y = x·Wᵀ + b, with W stored as [out, in] (PyTorch's
    /// layout, so checkpoints interoperate). x is [..., in]; y is [..., out]. One GEMM
    /// forward (the bias added by the product kernel), three backward (dx = dy·W,
    /// dW = dyᵀ·x, db = Σ dy).
    public static func linear(_ x: Tensor, weight w: Tensor, bias b: Tensor?) throws -> Tensor {
        guard w.rank == 2 else { throw TensorError("linear", "weight must be [out, in], got \(shapeString(w.shape))") }
        let (nOut, nIn) = (w.shape[0], w.shape[1])
        guard x.rank >= 1, x.shape[x.rank - 1] == nIn else {
            throw TensorError("linear", "input of shape \(shapeString(x.shape)) does not end in \(nIn), the weight's input size (weight \(shapeString(w.shape)))")
        }
        if let b, b.shape != [nOut] {
            throw TensorError("linear", "bias of shape \(shapeString(b.shape)) should be [\(nOut)]")
        }
        let m = x.count / Swift.max(nIn, 1)
        var outShape = x.shape
        outShape[outShape.count - 1] = nOut
        let out = TensorStorage.make(count: m * nOut)
        let po = out.pointer
        BLAS.sgemm(transA: false, transB: true, m: m, n: nOut, k: nIn, a: x.pointer, lda: nIn, b: w.pointer, ldb: nIn,
                   c: po, ldc: nOut, bias: b?.pointer)
        withExtendedLifetime((x, w, b)) {}
        let bias = b ?? Tensor(0)
        let inputs = b == nil ? [x, w] : [x, w, bias]
        var parents: [GradNode] = []
        for t in inputs { if let n = t.node { parents.append(n) } }
        guard !parents.isEmpty, GradMode.isEnabled else { return Tensor(storage: out, shape: outShape) }
        let node = GradNode(op: .linear, shape: outShape, parents: parents) { g in
            let pg = g.pointer
            if let nx = x.node {  // dx [m, in] = dy [m, out] · W [out, in]
                let dx = TensorStorage.make(count: m * nIn)
                BLAS.sgemm(transA: false, transB: false, m: m, n: nIn, k: nOut, a: pg, lda: nOut, b: w.pointer, ldb: nIn, c: dx.pointer, ldc: nIn)
                nx.accumulate(Tensor(storage: dx, shape: x.shape))
            }
            if let nw = w.node {  // dW [out, in] = dyᵀ · x
                let dw = TensorStorage.make(count: nOut * nIn)
                BLAS.sgemm(transA: true, transB: false, m: nOut, n: nIn, k: m, a: pg, lda: nOut, b: x.pointer, ldb: nIn, c: dw.pointer, ldc: nIn)
                nw.accumulate(Tensor(storage: dw, shape: w.shape))
            }
            if b != nil, let nb = bias.node {  // db = Σ over rows of dy
                let db = TensorStorage.make(count: nOut)
                let pd = db.pointer
                // Each thread sums its own columns over all rows, in row order (CBLAS/vmath.c,
                // shared with the recurrent kernels' bias gradients).
                Parallel.forChunks(nOut, grain: Swift.max(1, (1 << 15) / Swift.max(m, 1))) { cols in
                    memento_column_sums(pg + cols.lowerBound, m, cols.count, nOut, pd + cols.lowerBound)
                }
                nb.accumulate(Tensor(storage: db, shape: [nOut]))
            }
            withExtendedLifetime((g, x, w)) {}
        }
        return Tensor(storage: out, shape: outShape, node: node)
    }
}
