import CBLAS
import Foundation
import TensorCore

/// Inference for a `GPT` one step at a time with a `KVCache`: feed n new tokens per batch
/// row, get their next-token logits, and the cache keeps their keys and values for the
/// steps after.
///
/// The decoder reads a snapshot of the model's weights taken at `init` (or `refresh()`),
/// each matrix stored transposed ([inputs, outputs]) so that every product is a plain
/// row-major GEMM; it records nothing for autodiff. Each step computes exactly what the
/// full forward pass computes at those positions — embeddings plus positions, then per
/// block LN → qkv → causal attention over the cache → projection → residual, LN → MLP
/// (GELU) → residual, then the final LN and the (tied) head — which the tests check
/// against `GPT.callAsFunction` to float tolerance.
public final class GPTDecoder {
    public let config: GPTConfig
    let model: GPT
    struct Block {
        var ln1Gamma: [Float], ln1Beta: [Float], ln1Eps: Float
        var qkv: [Float], qkvBias: [Float]          // [C, 3C], [3C]
        var proj: [Float], projBias: [Float]        // [C, C], [C]
        var ln2Gamma: [Float], ln2Beta: [Float], ln2Eps: Float
        var fc: [Float], fcBias: [Float]            // [C, 4C], [4C]
        var fcOut: [Float], fcOutBias: [Float]      // [4C, C], [C]
    }
    var blocks: [Block] = []
    var tokenEmbedding: [Float] = []                // [V, C]
    var positions: [Float] = []                     // [context, C]
    var lnFGamma: [Float] = [], lnFBeta: [Float] = [], lnFEps: Float = 1e-5
    var head: [Float] = []                          // [C, V]

    public init(_ model: GPT) {
        self.model = model
        self.config = model.config
        refresh()
    }

    /// Takes a new snapshot of the model's weights (after training steps).
    public func refresh() {
        func transposed(_ l: Linear) -> [Float] { transpose(l.weight.value.scalars, rows: l.outputs, columns: l.inputs) }
        func bias(_ l: Linear) -> [Float] { l.bias?.value.scalars ?? [Float](repeating: 0, count: l.outputs) }
        blocks = model.transformer.blocks.map { b in
            Block(ln1Gamma: b.ln1.gamma.value.scalars, ln1Beta: b.ln1.beta.value.scalars, ln1Eps: b.ln1.eps,
                  qkv: transposed(b.attention.qkv), qkvBias: bias(b.attention.qkv),
                  proj: transposed(b.attention.proj), projBias: bias(b.attention.proj),
                  ln2Gamma: b.ln2.gamma.value.scalars, ln2Beta: b.ln2.beta.value.scalars, ln2Eps: b.ln2.eps,
                  fc: transposed(b.fc), fcBias: bias(b.fc), fcOut: transposed(b.fcOut), fcOutBias: bias(b.fcOut))
        }
        tokenEmbedding = model.tokenEmbedding.weight.value.scalars
        positions = model.transformer.positionEmbedding.value.scalars
        lnFGamma = model.transformer.lnFinal.gamma.value.scalars
        lnFBeta = model.transformer.lnFinal.beta.value.scalars
        lnFEps = model.transformer.lnFinal.eps
        let c = config.dModel, v = config.vocabSize
        head = model.head.map { transposed($0) } ?? transpose(tokenEmbedding, rows: v, columns: c)
    }

    /// An empty cache for `batch` rows of up to `capacity` positions (the context length by default).
    public func makeCache(batch: Int, capacity: Int? = nil) throws -> KVCache {
        let cap = capacity ?? config.contextLength
        guard batch > 0, cap > 0, cap <= config.contextLength else {
            throw LayerError("GPTDecoder", "a cache needs batch > 0 and 0 < capacity <= the context length \(config.contextLength), got batch \(batch), capacity \(cap)")
        }
        return KVCache(batch: batch, capacity: cap, layers: config.layers, dModel: config.dModel)
    }

    /// Reads `count` new tokens per row (`tokens` holds batch × count ids, row by row) at
    /// positions `cache.length ..< cache.length + count`, appends their keys and values to
    /// the cache, and writes their next-token logits into `logits` (batch × count rows of
    /// `vocabSize`, in the same order).
    public func step(_ tokens: [Int], count n: Int, cache: KVCache, logits: inout [Float]) throws {
        let b = cache.batch, c = config.dModel, v = config.vocabSize
        guard cache.layers == config.layers, cache.dModel == c else {
            throw LayerError("GPTDecoder", "the cache was made for another model (\(cache.layers) layers, width \(cache.dModel))")
        }
        guard n > 0, tokens.count == b * n else {
            throw LayerError("GPTDecoder", "expected \(b) rows of \(n) tokens (\(b * n) ids), got \(tokens.count) ids")
        }
        guard cache.length + n <= cache.capacity else {
            throw LayerError("GPTDecoder", "\(cache.length) cached positions plus \(n) new tokens exceed the cache's \(cache.capacity) positions (the context length is \(config.contextLength))")
        }
        for (i, t) in tokens.enumerated() where t < 0 || t >= v {
            throw LayerError("GPTDecoder", "token id \(t) at index \(i) is outside the vocabulary 0..<\(v)")
        }
        let rows = b * n, start = cache.length
        if logits.count != rows * v { logits = [Float](repeating: 0, count: rows * v) }
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * c)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: rows * 4 * c)   // LN output, then the MLP's hidden layer
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * 3 * c)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * c)
        defer { h.deallocate(); a.deallocate(); qkv.deallocate(); y.deallocate() }

        // h = token embedding + position embedding   [B·n, C]
        tokenEmbedding.withUnsafeBufferPointer { te in
            positions.withUnsafeBufferPointer { pe in
                for r in 0..<rows {
                    let tok = te.baseAddress! + tokens[r] * c, pos = pe.baseAddress! + (start + r % n) * c
                    for j in 0..<c { h[r * c + j] = tok[j] + pos[j] }
                }
            }
        }
        let hs = c / config.heads, nh = config.heads
        let scale = 1 / Float(hs).squareRoot()
        for (l, w) in blocks.enumerated() {
            // qkv = LN1(h)·Wqkv + b   [B·n, 3C]; the new keys and values go into the cache
            layerNorm(h, a, rows: rows, width: c, w.ln1Gamma, w.ln1Beta, eps: w.ln1Eps)
            gemm(a, w.qkv, w.qkvBias, qkv, m: rows, k: c, n: 3 * c, accumulate: false)
            let keys = cache.keys[l], values = cache.values[l], cap = cache.capacity
            for r in 0..<rows {
                let (row, i) = (r / n, r % n)
                let dst = (row * cap + start + i) * c
                (keys + dst).update(from: qkv + r * 3 * c + c, count: c)
                (values + dst).update(from: qkv + r * 3 * c + 2 * c, count: c)
            }
            // y = softmax(q·Kᵀ·scale over positions ≤ own)·V, per (row, head)   [B·n, C]
            Parallel.forChunks(b * nh, grain: 16) { pairs in
                var scores = [Float](repeating: 0, count: start + n)
                for pair in pairs {
                    let (row, head) = (pair / nh, pair % nh)
                    for i in 0..<n {
                        let q = qkv + (row * n + i) * 3 * c + head * hs
                        let last = start + i
                        var m = -Float.infinity
                        for j in 0...last {
                            let k = keys + (row * cap + j) * c + head * hs
                            var s: Float = 0
                            for d in 0..<hs { s += q[d] * k[d] }
                            s *= scale
                            scores[j] = s
                            m = Swift.max(m, s)
                        }
                        var total: Float = 0
                        for j in 0...last {
                            let e = Foundation.exp(scores[j] - m)
                            scores[j] = e
                            total += e
                        }
                        let out = y + (row * n + i) * c + head * hs
                        for d in 0..<hs { out[d] = 0 }
                        let inv = 1 / total
                        for j in 0...last {
                            let p = scores[j] * inv
                            let vv = values + (row * cap + j) * c + head * hs
                            for d in 0..<hs { out[d] += p * vv[d] }
                        }
                    }
                }
            }
            // h += y·Wproj + b;  h += GELU(LN2(h)·Wfc + b)·Wfc_out + b
            gemm(y, w.proj, w.projBias, h, m: rows, k: c, n: c, accumulate: true)
            layerNorm(h, y, rows: rows, width: c, w.ln2Gamma, w.ln2Beta, eps: w.ln2Eps)
            gemm(y, w.fc, w.fcBias, a, m: rows, k: c, n: 4 * c, accumulate: false)
            memento_vgelu(a, a, rows * 4 * c)
            gemm(a, w.fcOut, w.fcOutBias, h, m: rows, k: 4 * c, n: c, accumulate: true)
        }
        // logits = LN_f(h)·head   [B·n, V]
        layerNorm(h, y, rows: rows, width: c, lnFGamma, lnFBeta, eps: lnFEps)
        logits.withUnsafeMutableBufferPointer { out in
            head.withUnsafeBufferPointer { w in
                BLAS.sgemm(transA: false, transB: false, m: rows, n: v, k: c, a: y, lda: c, b: w.baseAddress!, ldb: v,
                           c: out.baseAddress!, ldc: v)
            }
        }
        cache.length += n
    }

    /// out (+)= x·W + bias for x [m, k], W [k, n] row-major.
    func gemm(_ x: UnsafePointer<Float>, _ w: [Float], _ bias: [Float], _ out: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int, accumulate: Bool) {
        w.withUnsafeBufferPointer { pw in
            bias.withUnsafeBufferPointer { pb in
                BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: x, lda: k, b: pw.baseAddress!, ldb: n,
                           beta: accumulate ? 1 : 0, c: out, ldc: n, bias: pb.baseAddress!)
            }
        }
    }

    func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width d: Int, _ gamma: [Float], _ beta: [Float], eps: Float) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { bb in
                for r in 0..<rows {
                    let xr = x + r * d, yr = y + r * d
                    var mean: Float = 0
                    for j in 0..<d { mean += xr[j] }
                    mean /= Float(d)
                    var variance: Float = 0
                    for j in 0..<d { let t = xr[j] - mean; variance += t * t }
                    let rstd = 1 / (variance / Float(d) + eps).squareRoot()
                    for j in 0..<d { yr[j] = (xr[j] - mean) * rstd * g[j] + bb[j] }
                }
            }
        }
    }
}

/// The [columns, rows] transpose of a row-major [rows, columns] matrix.
func transpose(_ m: [Float], rows: Int, columns: Int) -> [Float] {
    var out = [Float](repeating: 0, count: m.count)
    for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = m[i * columns + j] } }
    return out
}
