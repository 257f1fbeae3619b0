import CBLAS
import TensorCore

/// Multi-head scaled dot-product self-attention (Vaswani et al., 2017) with causal and
/// padding masks. Returns the attention weights too, for plotting.
///
/// B batch, T time, C model width (`dModel`), nh heads, hs = C / nh head size.
/// Parameters: `qkv` (Linear C → 3C: queries, keys, values side by side) and `proj`
/// (Linear C → C). The core — softmax(Q·Kᵀ/√hs + mask)·V for every (batch, head) — is one
/// fused kernel that reads Q, K, V straight out of the [B, T, 3C] projection and writes the
/// heads straight into the merged [B, T, C] layout (GEMMs with leading dimensions, no
/// permuted copies). `reference` computes the same with primitive ops.
public final class MultiHeadAttention: Module {
    public let dModel: Int
    public let heads: Int
    public let qkv: Linear
    public let proj: Linear

    public init(dModel: Int, heads: Int, bias: Bool = true, rng: inout RNG) throws {
        guard dModel > 0, heads > 0 else {
            throw LayerError("MultiHeadAttention", "dModel and heads must be positive, got dModel \(dModel), heads \(heads)")
        }
        guard dModel % heads == 0 else {
            throw LayerError("MultiHeadAttention", "heads (\(heads)) must divide dModel (\(dModel))")
        }
        self.dModel = dModel
        self.heads = heads
        qkv = try Linear(dModel, 3 * dModel, bias: bias, rng: &rng)
        proj = try Linear(dModel, dModel, bias: bias, rng: &rng)
        super.init()
        addChild("qkv", qkv)
        addChild("proj", proj)
    }

    var name: String { "MultiHeadAttention(dModel: \(dModel), heads: \(heads))" }

    /// Self-attention over x [B, T, C]. `causal`: position t attends to positions ≤ t.
    /// `padding` [B, T]: 1 for real positions, 0 for padding (never attended to).
    /// Returns y [B, T, C] and the weights [B, nh, T, T].
    public func callAsFunction(_ x: Tensor, causal: Bool = true, padding: Tensor? = nil) throws -> (output: Tensor, weights: Tensor) {
        try check(x, padding: padding)
        let projected = try qkv(x)
        let (y, weights) = attentionCore(projected, heads: heads, causal: causal, padding: padding)
        return (try proj(y), weights)
    }

    func check(_ x: Tensor, padding: Tensor?) throws {
        guard x.rank == 3, x.shape[2] == dModel else {
            throw LayerError(name, "expected input of shape [batch, time, \(dModel)], got \(shapeString(x.shape))")
        }
        if let padding, padding.shape != [x.shape[0], x.shape[1]] {
            throw LayerError(name, "padding mask has shape \(shapeString(padding.shape)), expected [batch, time] = [\(x.shape[0]), \(x.shape[1])]")
        }
    }

    /// The same attention written with primitive ops (for tests).
    public func reference(_ x: Tensor, causal: Bool = true, padding: Tensor? = nil) throws -> (output: Tensor, weights: Tensor) {
        try check(x, padding: padding)
        let (b, t, c) = (x.shape[0], x.shape[1], dModel)
        let hs = c / heads
        let parts = try qkv(x).split(parts: 3, axis: 2)                         // 3 × [B, T, C]
        func splitHeads(_ m: Tensor) throws -> Tensor {                              // [B, T, C] -> [B, nh, T, hs]
            try m.reshape([b, t, self.heads, hs]).permute([0, 2, 1, 3])
        }
        let (q, k, v) = (try splitHeads(parts[0]), try splitHeads(parts[1]), try splitHeads(parts[2]))
        var scores = try q.matmul(k.transposed()).scaled(by: 1 / Float(hs).squareRoot())  // [B, nh, T, T]
        if causal {
            let future = try Tensor.gt(Tensor.arange(0, Float(t)).reshape([1, t]), Tensor.arange(0, Float(t)).reshape([t, 1]))
            scores = try scores.maskedFill(future, -1e9)
        }
        if let padding {
            scores = try scores.maskedFill(padding.logicalNot().reshape([b, 1, 1, t]), -1e9)
        }
        let weights = try scores.softmax(axis: -1)
        let y = try weights.matmul(v).permute([0, 2, 1, 3]).reshape([b, t, c])  // [B, nh, T, hs] -> [B, T, C]
        return (try proj(y), weights)
    }
}

/// Single-head scaled dot-product attention softmax(Q·Kᵀ/√d + mask)·V of q, k, v
/// [B, T, d], by the fused core the layers use: (output [B, T, d], weights [B, T, T]).
/// For checking an attention written by hand against the engine's.
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, causal: Bool = true) throws -> (output: Tensor, weights: Tensor) {
    guard q.rank == 3, q.shape == k.shape, q.shape == v.shape else {
        throw LayerError("scaledDotProductAttention", "q, k and v must have one shape [batch, time, d], got \(shapeString(q.shape)), \(shapeString(k.shape)), \(shapeString(v.shape))")
    }
    let (y, w) = attentionCore(try Tensor.concat([q, k, v], axis: 2), heads: 1, causal: causal, padding: nil)
    return (y, try w.reshape([q.shape[0], q.shape[1], q.shape[1]]))
}

/// The fused attention core: qkv [B, T, 3C] → (y [B, T, C], weights [B, nh, T, T]).
func attentionCore(_ qkv: Tensor, heads nh: Int, causal: Bool, padding: Tensor?) -> (Tensor, Tensor) {
    let (B, T, C3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let C = C3 / 3, hs = C / nh
    let scale = 1 / Float(hs).squareRoot()
    let pq = qkv.unsafePointer
    let pad = padding?.unsafePointer
    let out = Tensor.makeStorage(count: B * T * C)
    let weights = Tensor.makeStorage(count: B * nh * T * T)
    let py = out.elements, pw = weights.elements
    // One (batch, head) pair per iteration, spread over the cores.
    Parallel.forChunks(B * nh, grain: 4) { pairs in
        let work = UnsafeMutablePointer<Float>.allocate(capacity: hs * T)
        defer { work.deallocate() }
        for pair in pairs {
            let (b, h) = (pair / nh, pair % nh)
            let q = pq + b * T * C3 + h * hs, k = q + C, v = q + 2 * C
            let p = pw + (b * nh + h) * T * T
            // The AVX-512 kernel (CBLAS/vmath.c: skips the products above the causal diagonal);
            // the loops below where it does not run.
            if memento_attention_forward(q, k, v, C3, T, hs, scale, causal ? 1 : 0, pad.map { $0 + b * T }, p,
                                         py + b * T * C + h * hs, C, work) != 0 { continue }
            // S = Q·Kᵀ · scale   [T, T]
            BLAS.sgemm(transA: false, transB: true, m: T, n: T, k: hs, alpha: scale, a: q, lda: C3, b: k, ldb: C3, c: p, ldc: T,
                       singleThreaded: true)
            for i in 0..<T {
                let row = p + i * T
                var m = -Float.infinity
                for j in 0..<T {
                    let masked = (causal && j > i) || (pad.map { $0[b * T + j] == 0 } ?? false)
                    if masked { row[j] = -.infinity } else { m = Swift.max(m, row[j]) }
                }
                if m == -.infinity {  // nothing to attend to: a zero row, not NaN
                    for j in 0..<T { row[j] = 0 }
                    continue
                }
                for j in 0..<T { row[j] -= m }
                memento_vexp(row, row, T)  // e^−∞ is exactly 0: masked weights stay 0
                var s: Float = 0
                for j in 0..<T { s += row[j] }
                let inv = 1 / s
                for j in 0..<T { row[j] *= inv }
            }
            // Y_h = P·V   [T, hs], written into the merged layout
            BLAS.sgemm(transA: false, transB: false, m: T, n: hs, k: T, a: p, lda: T, b: v, ldb: C3, c: py + b * T * C + h * hs, ldc: C,
                       singleThreaded: true)
        }
    }
    withExtendedLifetime((qkv, padding)) {}
    let r = Tensor.recordMulti("attention", outputs: [(out, [B, T, C]), (weights, [B, nh, T, T])], inputs: [qkv]) { grads in
        guard let g = grads[0] else { return }  // the weights are for inspection only
        let pg = g.unsafePointer
        let d = Tensor.makeStorage(count: B * T * C3)
        let pd = d.elements
        Parallel.forChunks(B * nh, grain: 4) { pairs in
            let dp = Tensor.makeStorage(count: T * T)  // this thread's dP / dS
            let pdp = dp.elements
            let work = UnsafeMutablePointer<Float>.allocate(capacity: hs * T + 2 * T * T)
            defer { work.deallocate() }
            for pair in pairs {
                let (b, h) = (pair / nh, pair % nh)
                let q = pq + b * T * C3 + h * hs, k = q + C, v = q + 2 * C
                let dq = pd + b * T * C3 + h * hs, dk = dq + C, dv = dq + 2 * C
                let p = pw + (b * nh + h) * T * T
                let dy = pg + b * T * C + h * hs
                if memento_attention_backward(q, k, v, C3, p, dy, C, T, hs, scale, causal ? 1 : 0, dq, dk, dv, work) != 0 { continue }
                // dV = Pᵀ·dY;  dP = dY·Vᵀ
                BLAS.sgemm(transA: true, transB: false, m: T, n: hs, k: T, a: p, lda: T, b: dy, ldb: C, c: dv, ldc: C3, singleThreaded: true)
                BLAS.sgemm(transA: false, transB: true, m: T, n: T, k: hs, a: dy, lda: C, b: v, ldb: C3, c: pdp, ldc: T, singleThreaded: true)
                // dS = P ⊙ (dP − Σ_j dP⊙P) · scale
                for i in 0..<T {
                    var dot: Float = 0
                    for j in 0..<T { dot += pdp[i * T + j] * p[i * T + j] }
                    for j in 0..<T { pdp[i * T + j] = p[i * T + j] * (pdp[i * T + j] - dot) * scale }
                }
                // dQ = dS·K;  dK = dSᵀ·Q
                BLAS.sgemm(transA: false, transB: false, m: T, n: hs, k: T, a: pdp, lda: T, b: k, ldb: C3, c: dq, ldc: C3, singleThreaded: true)
                BLAS.sgemm(transA: true, transB: false, m: T, n: hs, k: T, a: pdp, lda: T, b: q, ldb: C3, c: dk, ldc: C3, singleThreaded: true)
            }
            withExtendedLifetime(dp) {}
        }
        withExtendedLifetime((g, weights, qkv)) {}
        qkv.accumulateGradient(Tensor(filledStorage: d, shape: qkv.shape))
    }
    return (r[0], r[1])
}

import Foundation
