import TensorCore

// The two losses of Implicit Q-Learning (Kostrikov, Nair & Levine, "Offline Reinforcement
// Learning with Implicit Q-Learning", 2021), kept apart from IQL so that ILQL (Snell et
// al. 2022) and other offline learners reuse them.

/// The expectile regression loss L₂^τ(u) = |τ − 1(u < 0)| · u², averaged over the elements
/// of u = target − prediction (IQL's eq. 5 with u = Q̂(s, a) − V(s)). τ = 0.5 is half the
/// squared error; τ → 1 makes the prediction approach the maximum of the targets.
public func expectileLoss(_ u: Tensor, tau: Float) throws -> Tensor {
    guard tau > 0, tau < 1 else { throw AlgorithmError("expectileLoss", "τ (tau) must be in (0, 1), got \(tau)") }
    let below = try Tensor.lt(u.detached(), Tensor(0))                                     // 1 where u < 0
    let weight = below.scaled(by: 1 - 2 * tau).adding(tau)                                 // τ, or 1 − τ where u < 0
    return try (weight * u.square()).mean()
}

/// The weights of advantage-weighted regression, exp(β · A) clipped at `maxWeight` (IQL's
/// policy extraction, eq. 7; β is the inverse temperature, 100 the clip of the paper's
/// code). Detached: they weight the log-likelihood, they are not trained.
public func advantageWeights(_ advantages: Tensor, beta: Float, maxWeight: Float = 100) throws -> Tensor {
    guard beta >= 0, beta.isFinite else { throw AlgorithmError("advantageWeights", "β (beta) must be >= 0, got \(beta)") }
    guard maxWeight > 0 else { throw AlgorithmError("advantageWeights", "maxWeight must be > 0, got \(maxWeight)") }
    return try advantages.detached().scaled(by: beta).exp().clamp(max: maxWeight)
}
