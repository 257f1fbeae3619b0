import Testing
@testable import TensorCore

/// A deterministic random tensor for tests.
func rand(_ shape: [Int], seed: UInt64 = 1, low: Float = -1, high: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return try! Tensor.uniform(shape, low: low, high: high, rng: &rng)
}

/// Runs a gradient check and records a test failure with the details when it fails.
func expectGradients(
    _ name: String, _ inputs: [Tensor], eps: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) throws -> Tensor
) throws {
    let result = try GradCheck.check(inputs, eps: eps, atol: atol, rtol: rtol, f)
    #expect(result.passed, "\(name): \(result)", sourceLocation: sourceLocation)
}

func expectClose(_ a: Tensor, _ b: [Float], shape: [Int]? = nil, tol: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation) {
    if let shape { #expect(a.shape == shape, "shape \(a.shape) != \(shape)", sourceLocation: sourceLocation) }
    let s = a.scalars
    #expect(s.count == b.count, "count \(s.count) != \(b.count)", sourceLocation: sourceLocation)
    for (x, y) in zip(s, b) where !(Swift.abs(x - y) <= tol * Swift.max(1, Swift.abs(y))) {
        Issue.record("\(s) != \(b)", sourceLocation: sourceLocation)
        return
    }
}

/// The error a throwing expression produced, as text.
func errorText(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}

/// Distinct values 0.1 apart (shuffled, centred, avoiding ±0.5 and 0), for checking
/// gradients of kinks (max, clamp) where finite differences must not straddle a tie.
func spread(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    let n = shape.reduce(1, *)
    var values = (0..<n).map { Float($0) * 0.1 - Float(n) * 0.05 + 0.025 }
    var rng = RNG(seed: seed)
    values.shuffle(using: &rng)
    return try! Tensor(values, shape: shape)
}
