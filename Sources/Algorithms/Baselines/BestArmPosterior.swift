import Foundation

/// The exact posterior probability that each arm of a Beta-Bernoulli bandit is the best:
/// with posteriors pᵢ ~ Beta(αᵢ, βᵢ) = Beta(1 + sᵢ, 1 + fᵢ), independent,
///
///     P(arm i is best | history) = ∫₀¹ fᵢ(x) Πⱼ≠ᵢ Fⱼ(x) dx,
///
/// where fᵢ is arm i's density and Fⱼ arm j's distribution function. With integer α, β
/// both are polynomials — Fⱼ(x) = P(Binomial(αⱼ + βⱼ − 1, x) ≥ αⱼ) — so the integrand is a
/// polynomial of degree below Σ(αᵢ + βᵢ), and Gauss-Legendre quadrature with enough nodes
/// integrates it exactly (up to rounding). This is the target a supervised in-context
/// learner (DPT) approximates: the cross-entropy of predicting the best arm is minimised
/// by this distribution.
public enum BestArmPosterior {
    /// P(arm i is best) for every arm, summing to 1.
    public static func probabilities(_ counts: BanditCounts) -> [Double] {
        let alphas = counts.successes.map { $0 + 1 }, betas = counts.failures.map { $0 + 1 }
        let degree = zip(alphas, betas).reduce(0) { $0 + $1.0 + $1.1 }
        let (nodes, weights) = gaussLegendre(Swift.max(degree / 2 + 2, 8))
        var result = [Double](repeating: 0, count: counts.arms)
        for (u, w) in zip(nodes, weights) {
            let x = (u + 1) / 2                                               // [−1, 1] → [0, 1]
            let cdf = zip(alphas, betas).map { betaCDF(x, $0, $1) }
            for i in 0..<counts.arms {
                var term = betaDensity(x, alphas[i], betas[i]) * w / 2
                for j in 0..<counts.arms where j != i { term *= cdf[j] }
                result[i] += term
            }
        }
        let total = result.reduce(0, +)
        return result.map { $0 / total }
    }

    /// The density of Beta(a, b) with integer a, b ≥ 1: x^(a−1) (1 − x)^(b−1) / B(a, b).
    static func betaDensity(_ x: Double, _ a: Int, _ b: Int) -> Double {
        let logB = lgamma(Double(a)) + lgamma(Double(b)) - lgamma(Double(a + b))
        return exp(Double(a - 1) * log(Swift.max(x, 1e-300)) + Double(b - 1) * log(Swift.max(1 - x, 1e-300)) - logB)
    }

    /// The distribution function of Beta(a, b) with integer a, b ≥ 1: P(Binomial(a + b − 1, x) ≥ a).
    static func betaCDF(_ x: Double, _ a: Int, _ b: Int) -> Double {
        let n = a + b - 1
        var total = 0.0
        for j in a...n {
            let logChoose = lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
            total += exp(logChoose + Double(j) * log(Swift.max(x, 1e-300)) + Double(n - j) * log(Swift.max(1 - x, 1e-300)))
        }
        return Swift.min(total, 1)
    }

    /// Gauss-Legendre nodes and weights on [−1, 1] for n ≥ 2 (Newton's method on Pₙ from
    /// the Chebyshev guesses; exact for polynomials of degree < 2n).
    static func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n), weights = nodes
        for i in 0..<n {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = x
                for k in 2...n {                                       // P_k by the three-term recurrence
                    let p2 = (Double(2 * k - 1) * x * p1 - Double(k - 1) * p0) / Double(k)
                    p0 = p1; p1 = p2
                }
                derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
                let step = p1 / derivative
                x -= step
                if Swift.abs(step) < 1e-15 { break }
            }
            nodes[i] = x
            weights[i] = 2 / ((1 - x * x) * derivative * derivative)
        }
        return (nodes, weights)
    }
}
