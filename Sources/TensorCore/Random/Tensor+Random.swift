// Random tensors, drawn from an explicit `RNG` so that every draw is reproducible.

extension Tensor {
    /// Uniform values in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RNG) throws -> Tensor {
        guard low <= high, low.isFinite, high.isFinite else {
            throw TensorError("uniform", "needs finite low <= high, got low \(low), high \(high)")
        }
        var t = try zeros(shape)
        let p = t.mutablePointer()
        for i in 0..<t.count { p[i] = rng.uniform(low, high) }
        return t
    }

    /// Normal values with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RNG) throws -> Tensor {
        guard std >= 0, std.isFinite, mean.isFinite else {
            throw TensorError("normal", "needs a finite mean and std >= 0, got mean \(mean), std \(std)")
        }
        var t = try zeros(shape)
        let p = t.mutablePointer()
        for i in 0..<t.count { p[i] = mean + std * rng.normal() }
        return t
    }

    /// `value` with probability `p`, else 0 (the draws of `bernoulli(_:p:rng:)`, scaled:
    /// dropout's mask 1/(1 − p) in one pass).
    public static func bernoulli(_ shape: [Int], p: Double, value: Float, rng: inout RNG) throws -> Tensor {
        guard p >= 0 && p <= 1 else { throw TensorError("bernoulli", "probability \(p) is outside [0, 1]") }
        var t = try zeros(shape)
        rng.bernoulli(p, count: t.count, value: value, into: t.mutablePointer())
        return t
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], p: Double, rng: inout RNG) throws -> Tensor {
        guard p >= 0 && p <= 1 else { throw TensorError("bernoulli", "probability \(p) is outside [0, 1]") }
        return try bernoulli(shape, p: p, value: 1, rng: &rng)
    }

    /// Integers drawn uniformly from `low..<high`, as Float values.
    public static func randint(_ shape: [Int], low: Int = 0, high: Int, rng: inout RNG) throws -> Tensor {
        guard high > low else { throw TensorError("randint", "needs low < high, got \(low) and \(high)") }
        var t = try zeros(shape)
        let p = t.mutablePointer()
        for i in 0..<t.count { p[i] = Float(rng.int(in: low..<high)) }
        return t
    }

    /// One index per row of `logits` ([..., K], unnormalised log-probabilities), drawn from
    /// the categorical distribution softmax(logits); shape of the result: [...] as Floats.
    public static func sampleCategorical(logits: Tensor, rng: inout RNG) throws -> Tensor {
        guard logits.rank >= 1, let k = logits.shape.last, k > 0 else {
            throw TensorError("sampleCategorical", "needs logits of shape [..., K] with K > 0, got \(shapeString(logits.shape))")
        }
        let probs = try logits.detached().softmax(axis: -1)
        let rows = logits.count / k
        var out = [Float](repeating: 0, count: rows)
        try probs.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                let row = UnsafeBufferPointer(rebasing: p[(r * k)..<((r + 1) * k)])
                for v in row where !(v >= 0) {
                    throw TensorError("sampleCategorical", "logits give a non-finite probability \(v) in row \(r)")
                }
                out[r] = Float(rng.categorical(weights: row))
            }
        }
        return try Tensor(out, shape: Array(logits.shape.dropLast()))
    }
}
