import Foundation
import TensorCore

/// A Gaussian with a diagonal covariance: independent normals N(μᵢ, σᵢ²) over the last
/// axis, parametrised by the mean and the log standard deviation (the policy of a
/// continuous-action agent, as in PPO's Gaussian head). PyTorch's equivalent is
/// `Independent(Normal(mean, logStd.exp()), 1)`: log-probabilities, entropies and KL
/// divergences are summed over the last (event) axis.
///
/// Shapes: mean [..., D]; `logStd` broadcasts to it (a state-independent [D] vector is the
/// common case); samples [..., D]; log-probabilities, entropies and KL [...].
/// Everything is differentiable with respect to the mean and log-std, including `rsample`
/// (the reparametrisation trick); `sample` is not.
public struct DiagonalNormal {
    /// μ, [..., D].
    public let mean: Tensor
    /// log σ, broadcastable to the mean's shape.
    public let logStd: Tensor

    public init(mean: Tensor, logStd: Tensor) throws {
        guard mean.rank >= 1 else {
            throw DistributionError("DiagonalNormal", "mean must have shape [..., D], got a scalar")
        }
        guard let shape = try? (mean.detached() + logStd.detached()).shape, shape == mean.shape else {
            throw DistributionError("DiagonalNormal", "logStd \(shapeString(logStd.shape)) does not broadcast to the mean's shape \(shapeString(mean.shape))")
        }
        self.mean = mean
        self.logStd = logStd
    }

    /// σ = exp(log σ).
    public var std: Tensor { logStd.exp() }
    /// D, the size of the event axis.
    public var eventSize: Int { mean.shape.last ?? 0 }
    /// The batch shape [...].
    public var batchShape: [Int] { Array(mean.shape.dropLast()) }

    /// A draw μ + σ·ε with ε ~ N(0, I), cut off from the tape.
    public func sample(rng: inout RNG) throws -> Tensor {
        try noGrad { try rsample(rng: &rng) }.detached()
    }

    /// A draw μ + σ·ε with ε ~ N(0, I) through which gradients reach μ and log σ.
    public func rsample(rng: inout RNG) throws -> Tensor {
        let noise = try Tensor.normal(mean.shape, rng: &rng)
        return try mean + std * noise
    }

    /// log N(x; μ, σ²) summed over the event axis: Σ −(x − μ)²/(2σ²) − log σ − ½ log 2π.
    public func logProb(_ x: Tensor) throws -> Tensor {
        guard x.shape == mean.shape else {
            throw DistributionError("DiagonalNormal.logProb", "value \(shapeString(x.shape)) must have the mean's shape \(shapeString(mean.shape))")
        }
        let z = try (x - mean) * logStd.neg().exp()                  // (x − μ)/σ
        let perDimension = try z.square() * -0.5 - logStd - DiagonalNormal.halfLogTwoPi
        return try perDimension.sum(axis: -1)
    }

    /// The entropy Σ ½ + ½ log 2π + log σ over the event axis ([...]).
    public func entropy() throws -> Tensor {
        let perDimension = try (logStd + (0.5 + DiagonalNormal.halfLogTwoPi)) + Tensor.zeros(like: mean)
        return try perDimension.sum(axis: -1)
    }

    /// KL(self ‖ other) = Σ log σq − log σp + (σp² + (μp − μq)²)/(2σq²) − ½ over the
    /// event axis ([...]).
    public func klDivergence(to other: DiagonalNormal) throws -> Tensor {
        guard other.mean.shape == mean.shape else {
            throw DistributionError("DiagonalNormal.klDivergence", "distributions over shapes \(shapeString(mean.shape)) and \(shapeString(other.mean.shape)) differ")
        }
        let varianceRatio = try ((logStd - other.logStd) * 2).exp()                  // σp²/σq²
        let scaledGap = try ((mean - other.mean) * other.logStd.neg().exp()).square() // (μp − μq)²/σq²
        let perDimension = try (other.logStd - logStd) + (varianceRatio + scaledGap) * 0.5 - 0.5
        return try perDimension.sum(axis: -1)
    }

    static let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))
}

/// KL(p ‖ q) between two diagonal normals, per position.
public func klDivergence(_ p: DiagonalNormal, _ q: DiagonalNormal) throws -> Tensor {
    try p.klDivergence(to: q)
}
