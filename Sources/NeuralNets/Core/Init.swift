import TensorCore

/// Weight initialisers. Each draws from an explicit `RNG`, so a model built from the same
/// seed has the same weights on every machine.
public enum Init {
    /// U(−1/√fanIn, 1/√fanIn): PyTorch's default for `nn.Linear`, `nn.LSTM`, `nn.GRU`
    /// weights and biases (its kaiming_uniform with a = √5 reduces to this bound).
    public static func uniformFanIn(_ shape: [Int], fanIn: Int, rng: inout RNG) throws -> Tensor {
        let bound = fanIn > 0 ? 1 / Float(fanIn).squareRoot() : 0
        return try Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }

    /// Glorot & Bengio (2010): U(−a, a) with a = gain·√(6 / (fanIn + fanOut)).
    public static func xavierUniform(_ shape: [Int], fanIn: Int, fanOut: Int, gain: Float = 1, rng: inout RNG) throws -> Tensor {
        let a = gain * (6 / Float(Swift.max(fanIn + fanOut, 1))).squareRoot()
        return try Tensor.uniform(shape, low: -a, high: a, rng: &rng)
    }

    /// Normal(0, std²) (GPT-2 uses std 0.02).
    public static func normal(_ shape: [Int], std: Float, rng: inout RNG) throws -> Tensor {
        try Tensor.normal(shape, mean: 0, std: std, rng: &rng)
    }

    /// Saxe et al. (2014): a (semi-)orthogonal matrix scaled by `gain`, from the QR
    /// decomposition of a Gaussian matrix with the signs of R's diagonal folded in (so the
    /// result is uniformly distributed). The usual initialisation of RL policy and value
    /// heads (gain √2 for hidden layers, 0.01 for a policy output). Shape [rows, cols].
    public static func orthogonal(_ shape: [Int], gain: Float = 1, rng: inout RNG) throws -> Tensor {
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
            throw TensorError("orthogonal", "needs a shape [rows, cols] with positive sizes, got \(shapeString(shape))")
        }
        let (rows, cols) = (shape[0], shape[1])
        // Orthonormalise the columns of a tall n × k Gaussian matrix (n ≥ k) by modified
        // Gram–Schmidt in Double, then transpose back if the requested matrix is wide.
        let tall = rows >= cols
        let n = tall ? rows : cols, k = tall ? cols : rows
        var q = [Double](repeating: 0, count: n * k)  // column-major: column j at j*n
        for i in 0..<(n * k) { q[i] = Double(rng.normal()) }
        for j in 0..<k {
            for p in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += q[j * n + i] * q[p * n + i] }
                for i in 0..<n { q[j * n + i] -= dot * q[p * n + i] }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[j * n + i] * q[j * n + i] }
            norm = norm.squareRoot()
            // R's diagonal is positive in Gram–Schmidt, so no sign correction is needed.
            for i in 0..<n { q[j * n + i] /= Swift.max(norm, 1e-12) }
        }
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                out[r * cols + c] = gain * Float(tall ? q[c * n + r] : q[r * n + c])
            }
        }
        return try Tensor(out, shape: shape)
    }
}
