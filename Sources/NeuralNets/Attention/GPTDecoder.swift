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
        try step(tokens, count: n, cache: cache, logits: &logits, then: nil)
    }

    /// `step`, calling `then(rows, logits)` for each group of batch rows as soon as their
    /// logits are written, on the thread that computed them (`GPT.generate` samples there).
    /// Groups run concurrently: `then` must only write memory of its own rows.
    ///
    /// The batch rows are independent until their logits, so each thread takes a group of
    /// rows through the whole network — one parallel region per step instead of one per
    /// product, and products of 16 or 32 rows on one core run near its peak. The groups'
    /// products are `BLAS.smallProduct`s (the kernel chosen for products of few rows with
    /// weights reused from call to call), which with Memento's kernel computes each row the
    /// same way whatever the number of rows, and the rest works row by row: a row's numbers
    /// do not depend on how the batch is grouped (tested). `groupSize` (batch rows per
    /// group) is for the tests; by default the batch is split evenly across the threads.
    func step(_ tokens: [Int], count n: Int, cache: KVCache, logits: inout [Float], groupSize: Int? = nil,
              then: ((Range<Int>, UnsafePointer<Float>) -> Void)?) throws {
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
        if logits.count != b * n * v { logits = [Float](repeating: 0, count: b * n * v) }
        // One group per thread, of at least `minimumGroupRows` rows of the products (batch
        // rows × tokens).
        let threads = BLAS.threads
        let size = Swift.min(b, Swift.max(1, groupSize ?? Swift.max((b + threads - 1) / threads, (GPTDecoder.minimumGroupRows + n - 1) / n)))
        let groups = (b + size - 1) / size
        let work = workspace(groups: groups, rows: size * n, positions: cache.length + n)
        tokens.withUnsafeBufferPointer { ids in
            logits.withUnsafeMutableBufferPointer { out in
                let (ids, out) = (ids.baseAddress!, out.baseAddress!)
                Parallel.forChunks(groups, chunk: 1) { range in
                    for g in range {
                        let rows = g * size ..< Swift.min(b, (g + 1) * size)
                        decode(rows, count: n, cache: cache, ids: ids, logits: out, scratch: work[g], grouped: groups > 1)
                        then?(rows, UnsafePointer(out))
                    }
                }
            }
        }
        cache.length += n
    }

    /// Fewest rows of the products (batch rows × new tokens) worth a thread of their own: the
    /// product kernel works on blocks of 4 rows, and below that a second core reads all the
    /// weights again for too little arithmetic.
    static let minimumGroupRows = 4

    /// Scratch memory of one group of rows, kept from step to step.
    final class Scratch {
        let rows: Int, positions: Int
        let h, a, qkv, y, xhat, rstd, scores: UnsafeMutablePointer<Float>
        init(rows: Int, width c: Int, positions: Int) {
            self.rows = rows
            self.positions = positions
            h = .allocate(capacity: rows * c)
            a = .allocate(capacity: rows * 4 * c)   // LN output, then the MLP's hidden layer
            qkv = .allocate(capacity: rows * 3 * c)
            y = .allocate(capacity: rows * c)
            xhat = .allocate(capacity: rows * c)
            rstd = .allocate(capacity: rows)
            scores = .allocate(capacity: positions)
        }
        deinit { for p in [h, a, qkv, y, xhat, rstd, scores] { p.deallocate() } }
    }
    var scratch: [Scratch] = []

    /// Scratch for `groups` groups of up to `rows` rows attending over up to `positions`
    /// positions (a decoder runs one step at a time).
    func workspace(groups: Int, rows: Int, positions: Int) -> [Scratch] {
        if scratch.count < groups || scratch.contains(where: { $0.rows < rows || $0.positions < positions }) {
            let keepRows = Swift.max(rows, scratch.map(\.rows).max() ?? 0)
            let keepPositions = Swift.max(positions, config.contextLength)
            scratch = (0..<Swift.max(groups, scratch.count)).map { _ in Scratch(rows: keepRows, width: config.dModel, positions: keepPositions) }
        }
        return scratch
    }

    /// The whole network for batch rows `rowRange` (n tokens each): embeddings, the blocks
    /// with their cache updates, the final LN and the head, into those rows' logits.
    func decode(_ rowRange: Range<Int>, count n: Int, cache: KVCache, ids: UnsafePointer<Int>,
                logits: UnsafeMutablePointer<Float>, scratch s: Scratch, grouped: Bool) {
        let c = config.dModel, v = config.vocabSize, nh = config.heads, hs = c / nh
        let rows = rowRange.count * n, first = rowRange.lowerBound * n, start = cache.length, cap = cache.capacity
        let scale = 1 / Float(hs).squareRoot()
        let (h, a, qkv, y) = (s.h, s.a, s.qkv, s.y)
        // h = token embedding + position embedding   [rows, C]
        tokenEmbedding.withUnsafeBufferPointer { te in
            positions.withUnsafeBufferPointer { pe in
                for r in 0..<rows {
                    let tok = te.baseAddress! + ids[first + r] * c, pos = pe.baseAddress! + (start + r % n) * c
                    for j in 0..<c { h[r * c + j] = tok[j] + pos[j] }
                }
            }
        }
        for (l, w) in blocks.enumerated() {
            // qkv = LN1(h)·Wqkv + b   [rows, 3C]; the new keys (transposed per head) and
            // values go into the cache
            layerNorm(h, a, rows: rows, width: c, w.ln1Gamma, w.ln1Beta, eps: w.ln1Eps, scratch: s)
            gemm(a, w.qkv, w.qkvBias, qkv, m: rows, k: c, n: 3 * c, accumulate: false, grouped: grouped)
            let keys = cache.keys[l], values = cache.values[l]
            for (g, row) in rowRange.enumerated() {
                let kt = keys + row * c * cap, vr = values + row * cap * c
                for i in 0..<n {
                    let src = qkv + (g * n + i) * 3 * c, t = start + i
                    for j in 0..<c { kt[j * cap + t] = src[c + j] }
                    (vr + t * c).update(from: src + 2 * c, count: c)
                }
            }
            // y = softmax(q·Kᵀ·scale over positions ≤ own)·V, per row and head   [rows, C]
            for (g, row) in rowRange.enumerated() {
                memento_decode_attention(qkv + g * n * 3 * c, 3 * c, keys + row * c * cap, values + row * cap * c, cap, nh, hs,
                                         start, n, scale, y + g * n * c, c, s.scores)
            }
            // h += y·Wproj + b;  h += GELU(LN2(h)·Wfc + b)·Wfc_out + b
            gemm(y, w.proj, w.projBias, h, m: rows, k: c, n: c, accumulate: true, grouped: grouped)
            layerNorm(h, y, rows: rows, width: c, w.ln2Gamma, w.ln2Beta, eps: w.ln2Eps, scratch: s)
            gemm(y, w.fc, w.fcBias, a, m: rows, k: c, n: 4 * c, accumulate: false, grouped: grouped)
            memento_vgelu(a, a, rows * 4 * c)
            gemm(a, w.fcOut, w.fcOutBias, h, m: rows, k: 4 * c, n: c, accumulate: true, grouped: grouped)
        }
        // logits = LN_f(h)·head   [rows, V]
        layerNorm(h, y, rows: rows, width: c, lnFGamma, lnFBeta, eps: lnFEps, scratch: s)
        gemm(y, head, nil, logits + first * v, m: rows, k: c, n: v, accumulate: false, grouped: grouped)
    }

    /// out (+)= x·W (+ bias) for x [m, k], W [k, n] row-major: on this thread alone when the
    /// batch is split into groups, else split across the threads when large enough.
    func gemm(_ x: UnsafePointer<Float>, _ w: [Float], _ bias: [Float]?, _ out: UnsafeMutablePointer<Float>, m: Int, k: Int, n: Int,
              accumulate: Bool, grouped: Bool) {
        w.withUnsafeBufferPointer { pw in
            (bias ?? []).withUnsafeBufferPointer { pb in
                let beta: Float = accumulate ? 1 : 0, bias = bias == nil ? nil : pb.baseAddress
                if grouped {
                    BLAS.smallProduct(m: m, n: n, k: k, a: x, lda: k, b: pw.baseAddress!, ldb: n, beta: beta, c: out, ldc: n, bias: bias)
                } else {
                    BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: x, lda: k, b: pw.baseAddress!, ldb: n,
                               beta: beta, c: out, ldc: n, bias: bias)
                }
            }
        }
    }

    func layerNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width d: Int, _ gamma: [Float], _ beta: [Float],
                   eps: Float, scratch s: Scratch) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { bb in
                memento_layernorm_forward(x, g.baseAddress!, bb.baseAddress!, y, s.xhat, s.rstd, rows, d, eps)
            }
        }
    }
}

/// The [columns, rows] transpose of a row-major [rows, columns] matrix.
func transpose(_ m: [Float], rows: Int, columns: Int) -> [Float] {
    if m.isEmpty { return [] }
    return [Float](unsafeUninitializedCapacity: m.count) { out, count in
        m.withUnsafeBufferPointer { memento_transpose($0.baseAddress!, rows, columns, columns, out.baseAddress!, rows) }
        count = m.count
    }
}
