import Foundation
import TensorCore

/// Thompson sampling (Thompson 1933) with the uniform prior: draw p̃ᵢ ~ Beta(1 + sᵢ, 1 + fᵢ)
/// for every arm, pull the arm with the largest draw. Each arm is pulled with the
/// posterior probability that it is the best one.
public struct ThompsonSampling: BanditStrategy {
    public init() {}
    public var name: String { "Thompson sampling" }

    /// The posterior of `arm`: Beta(α, β) = Beta(1 + sᵢ, 1 + fᵢ).
    public static func posterior(_ counts: BanditCounts, arm: Int) -> (alpha: Int, beta: Int) {
        (1 + counts.successes[arm], 1 + counts.failures[arm])
    }

    /// A draw from Beta(α, β) with integer α, β ≥ 1: X / (X + Y) with X ~ Gamma(α, 1),
    /// Y ~ Gamma(β, 1), each a sum of exponentials −ln U.
    public static func sampleBeta(alpha: Int, beta: Int, rng: inout RNG) -> Double {
        func gamma(_ shape: Int) -> Double {
            (0..<shape).reduce(0.0) { total, _ in total - log(1 - rng.uniformDouble()) }
        }
        let x = gamma(alpha), y = gamma(beta)
        return x / (x + y)
    }

    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        let draws = (0..<counts.arms).map { arm -> Double in
            let (a, b) = ThompsonSampling.posterior(counts, arm: arm)
            return ThompsonSampling.sampleBeta(alpha: a, beta: b, rng: &rng)
        }
        return argmaxBreakingTies(draws, rng: &rng)
    }
}
