import CBLAS
import TensorCore

/// Layer normalisation (Ba et al., 2016) over the last axis: y = (x − μ)/√(σ² + ε)·γ + β.
///
/// A fused kernel: one pass for the statistics, one for the output, and the backward rule
/// dx = (1/σ̂)·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = dy·γ. `LayerNorm.reference`
/// computes the same with primitive ops, and the tests check that they agree.
public final class LayerNorm: Module, Layer {
    public let dimension: Int
    public let eps: Float
    public let gamma: Parameter
    public let beta: Parameter

    public init(_ dimension: Int, eps: Float = 1e-5) throws {
        guard dimension > 0 else { throw LayerError("LayerNorm", "dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.eps = eps
        gamma = Parameter(try Tensor.ones([dimension]))
        beta = Parameter(try Tensor.zeros([dimension]))
        super.init()
        addParameter("weight", shared: gamma)
        addParameter("bias", shared: beta)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == dimension else {
            throw LayerError("LayerNorm(\(dimension))", "expected input of shape [..., \(dimension)], got \(shapeString(x.shape))")
        }
        return LayerNorm.fused(x, gamma.value, beta.value, eps: eps)
    }

    static func fused(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, eps: Float) -> Tensor {
        let d = gamma.count, rows = x.count / d
        let out = Tensor.makeStorage(count: x.count)
        let xhat = Tensor.makeStorage(count: x.count)
        let rstd = Tensor.makeStorage(count: rows)
        let px = x.unsafePointer, pg = gamma.unsafePointer, pb = beta.unsafePointer
        let po = out.elements, ph = xhat.elements, pr = rstd.elements
        Parallel.forChunks(rows, grain: Swift.max(1, (1 << 15) / d)) { range in
            let o = range.lowerBound
            memento_layernorm_forward(px + o * d, pg, pb, po + o * d, ph + o * d, pr + o, range.count, d, eps)
        }
        withExtendedLifetime((x, gamma, beta)) {}
        return Tensor.recordMulti("layerNorm", outputs: [(out, x.shape)], inputs: [x, gamma, beta]) { grads in
            guard let g = grads[0] else { return }
            let pdy = g.unsafePointer, pg = gamma.unsafePointer
            let dx = Tensor.makeStorage(count: x.count)
            let dgamma = Tensor.makeStorage(count: d), dbeta = Tensor.makeStorage(count: d)
            dgamma.elements.initialize(repeating: 0, count: d)
            dbeta.elements.initialize(repeating: 0, count: d)
            // dx row by row, dγ and dβ column by column: both halves split between the threads
            // without changing the order of any sum.
            let pdx = dx.elements, pdg = dgamma.elements, pdb = dbeta.elements
            Parallel.forChunks(rows, grain: Swift.max(1, (1 << 15) / d)) { range in
                let o = range.lowerBound
                memento_layernorm_backward(pdy + o * d, ph + o * d, pr + o, pg, pdx + o * d, nil, nil, range.count, d)
            }
            Parallel.forChunks(d, chunk: rows * d >= 1 << 15 ? 64 : d) { columns in
                memento_layernorm_param_grads(pdy, ph, rows, d, columns.lowerBound, columns.count, pdg, pdb)
            }
            withExtendedLifetime((g, xhat, rstd, gamma)) {}
            x.accumulateGradient(Tensor(filledStorage: dx, shape: x.shape))
            gamma.accumulateGradient(Tensor(filledStorage: dgamma, shape: [d]))
            beta.accumulateGradient(Tensor(filledStorage: dbeta, shape: [d]))
        }[0]
    }

    /// The same normalisation written with primitive ops (for tests).
    public static func reference(_ x: Tensor, _ gamma: Tensor, _ beta: Tensor, eps: Float = 1e-5) throws -> Tensor {
        let mu = try x.mean(axis: -1, keepdims: true)
        let v = try x.variance(axis: -1, correction: 0, keepdims: true)
        return try (x - mu) / (v + eps).sqrt() * gamma + beta
    }
}
