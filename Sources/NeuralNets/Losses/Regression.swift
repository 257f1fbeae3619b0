import TensorCore

// Regression losses: squared error, and the Huber / smooth-L1 pair that value-based RL uses
// for TD errors (DQN clips the TD error's gradient to [−1, 1], which is Huber with δ = 1).

/// The mean squared error (PyTorch's `mse_loss`): (prediction − target)², reduced.
/// The shapes must be equal.
public func mseLoss(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
    try requireSameShape("mseLoss", prediction, target)
    return try (prediction - target).square().reduced(reduction)
}

/// The Huber loss with PyTorch's `huber_loss` / `nn.HuberLoss` semantics (Huber, "Robust
/// Estimation of a Location Parameter", 1964): with d = prediction − target,
///
///     0.5 d²                if |d| ≤ δ
///     δ (|d| − 0.5 δ)       otherwise
///
/// so its gradient is d clipped to [−δ, δ]. For δ = 1 it equals `smoothL1Loss` with β = 1.
public func huberLoss(_ prediction: Tensor, _ target: Tensor, delta: Float = 1, reduction: Reduction = .mean) throws -> Tensor {
    guard delta > 0, delta.isFinite else { throw LossError("huberLoss", "delta must be finite and > 0, got \(delta)") }
    try requireSameShape("huberLoss", prediction, target)
    let a = try (prediction - target).abs()
    // With q = min(|d|, δ): 0.5 q² + δ (|d| − q) is 0.5 d² inside and δ(|d| − 0.5δ) outside.
    let q = try a.clamp(max: delta)
    let linear = try (a - q) * delta
    return try (q.square() * 0.5 + linear).reduced(reduction)
}

/// The smooth L1 loss with PyTorch's `smooth_l1_loss` semantics (Girshick, "Fast R-CNN",
/// 2015): with d = prediction − target,
///
///     0.5 d² / β            if |d| < β
///     |d| − 0.5 β           otherwise
///
/// i.e. the Huber loss with δ = β divided by β; its gradient saturates at ±1. β = 0 gives
/// the L1 loss.
public func smoothL1Loss(_ prediction: Tensor, _ target: Tensor, beta: Float = 1, reduction: Reduction = .mean) throws -> Tensor {
    guard beta >= 0, beta.isFinite else { throw LossError("smoothL1Loss", "beta must be finite and >= 0, got \(beta)") }
    try requireSameShape("smoothL1Loss", prediction, target)
    let a = try (prediction - target).abs()
    if beta == 0 { return try a.reduced(reduction) }
    let q = try a.clamp(max: beta)
    return try (q.square() * (0.5 / beta) + (a - q)).reduced(reduction)
}
