import Testing
@testable import TensorCore
@testable import NeuralNets

func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return try! Tensor.normal(shape, std: scale, rng: &rng)
}

/// Largest absolute difference between two tensors of one shape (∞ if shapes differ).
func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    var m: Float = 0
    for (x, y) in zip(a.scalars, b.scalars) { m = Swift.max(m, Swift.abs(x - y)) }
    return m
}
