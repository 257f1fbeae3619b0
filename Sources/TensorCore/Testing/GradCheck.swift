/// Checks analytic gradients against central finite differences.
///
/// For a function f of some tensors, the check compares d⟨w, f(x)⟩/dx from `backward()`
/// with (⟨w, f(x + εeᵢ)⟩ − ⟨w, f(x − εeᵢ)⟩) / 2ε for every element i of every input, where
/// w is a fixed random weighting of the outputs (so every output element matters). The
/// finite differences are accumulated in Double to keep Float32 rounding small.
public struct GradCheckResult: CustomStringConvertible, Sendable {
    /// The largest |analytic − numeric| / (atol + rtol·|numeric|) seen; ≤ 1 passes.
    public var worstRatio: Double = 0
    /// Where the worst element was: input index, flat element index, analytic, numeric.
    public var worst: (input: Int, element: Int, analytic: Double, numeric: Double) = (0, 0, 0, 0)
    public var passed: Bool { worstRatio <= 1 }

    public var description: String {
        "\(passed ? "passed" : "FAILED"): worst ratio \(worstRatio) at input \(worst.input) element \(worst.element): analytic \(worst.analytic), numeric \(worst.numeric)"
    }
}

public enum GradCheck {
    /// Runs the check. Inputs are made leaves inside; pass plain tensors.
    public static func check(
        _ inputs: [Tensor], eps: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2, seed: UInt64 = 7,
        _ f: ([Tensor]) throws -> Tensor
    ) throws -> GradCheckResult {
        let leaves = inputs.map { $0.detached().requiringGrad() }
        let out = try f(leaves)
        var rng = RNG(seed: seed)
        let w = try Tensor.uniform(out.shape, low: 0.5, high: 1.5, rng: &rng)
        try (out * w).sum().backward()

        func objective(_ xs: [Tensor]) throws -> Double {
            let y = try noGrad { try f(xs) }
            var acc: Double = 0
            y.withUnsafeBufferPointer { py in
                w.withUnsafeBufferPointer { pw in
                    for i in 0..<py.count { acc += Double(py[i]) * Double(pw[i]) }
                }
            }
            return acc
        }

        var result = GradCheckResult()
        for (index, leaf) in leaves.enumerated() {
            let analytic = leaf.grad ?? Tensor.zeros(like: leaf)
            for e in 0..<leaf.count {
                var xs = inputs.map { $0.detached() }
                var plus = xs[index], minus = xs[index]
                plus.withUnsafeMutableBufferPointer { $0[e] += eps }
                minus.withUnsafeMutableBufferPointer { $0[e] -= eps }
                xs[index] = plus
                let fp = try objective(xs)
                xs[index] = minus
                let fm = try objective(xs)
                let numeric = (fp - fm) / (2 * Double(eps))
                let a = Double(analytic.scalars[e])
                let ratio = Swift.abs(a - numeric) / (atol + rtol * Swift.abs(numeric))
                if ratio > result.worstRatio || ratio.isNaN {
                    result.worstRatio = ratio.isNaN ? .infinity : ratio
                    result.worst = (index, e, a, numeric)
                }
            }
        }
        return result
    }
}
