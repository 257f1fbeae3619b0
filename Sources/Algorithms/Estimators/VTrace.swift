import Foundation

// V-trace: Espeholt, Soyer, Munos, Simonyan, Mnih, Ward, Doron, Firoiu, Harley, Dunning,
// Legg & Kavukcuoglu, "IMPALA: Scalable Distributed Deep-RL with Importance Weighted
// Actor-Learner Architectures", ICML 2018, section 4.
//
// Actors follow a behaviour policy μ that lags behind the learner's π. With the truncated
// importance weights ρ_t = min(ρ̄, π(a_t|x_t)/μ(a_t|x_t)) and c_i = λ min(c̄, π/μ),
//
//     δ_t V = ρ_t (r_t + γ_t V(x_{t+1}) − V(x_t))
//     v_s   = V(x_s) + δ_s V + γ_s c_s (v_{s+1} − V(x_{s+1}))            (the recursion, eq. 1)
//
// and the policy gradient uses the advantage ρ_s (r_s + γ_s v_{s+1} − V(x_s)). ρ̄ sets the
// fixed point (V of π_ρ̄ ∝ min(ρ̄ μ, π); ρ̄ = ∞ gives V^π), c̄ only the speed of contraction
// (the variance). γ_t = γ (1 − d_t) cuts the trace where an episode ends.
//
// Layout: time-major [T, N] flattened, like the rollout buffer.

/// V-trace targets and policy-gradient advantages of a [T, N] batch of unrolls.
public struct VTraceEstimate: Sendable, Equatable {
    /// v_s, the value targets, [T, N].
    public var vs: [Float]
    /// ρ_s (r_s + γ_s v_{s+1} − V(x_s)), the policy gradient's advantages, [T, N].
    public var advantages: [Float]
    /// The clipped weights ρ_s, [T, N] (for logging how often they were clipped).
    public var rhos: [Float]
}

/// V-trace over unrolls of `steps` × `environments`.
///
/// - Parameters:
///   - logRatios: log π(a_t|x_t) − log μ(a_t|x_t), [T, N].
///   - discounts: γ_t = γ (1 − d_t), [T, N].
///   - rewards: r_t, [T, N].
///   - values: V(x_t) under the learner's value function, [T, N].
///   - bootstrapValues: V(x_T) after each unroll, [N].
///   - rhoBar: ρ̄ (nil: no truncation, ρ̄ = ∞).
///   - cBar: c̄ (nil: no truncation).
///   - lambda: λ in c_i = λ min(c̄, π/μ) (1 in the paper's experiments).
public func vtrace(
    logRatios: [Float], discounts: [Float], rewards: [Float], values: [Float], bootstrapValues: [Float],
    steps: Int, environments: Int, rhoBar: Double? = 1, cBar: Double? = 1, lambda: Double = 1
) -> VTraceEstimate {
    let n = environments
    let count = steps * n
    precondition(logRatios.count == count && discounts.count == count && rewards.count == count && values.count == count,
                 "logRatios, discounts, rewards and values must hold steps × environments = \(count) values")
    precondition(bootstrapValues.count == n, "bootstrapValues must hold one value per environment")
    var vs = [Float](repeating: 0, count: count)
    var advantages = [Float](repeating: 0, count: count)
    var rhos = [Float](repeating: 0, count: count)
    for e in 0..<n {
        // Walking back from the end: v_{s+1} − V(x_{s+1}) and V(x_{s+1}).
        var nextCorrection = 0.0
        var nextValue = Double(bootstrapValues[e])
        var nextVs = nextValue
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let i = t * n + e
            let ratio = Double(logRatios[i]).exp
            let rho = rhoBar.map { Swift.min($0, ratio) } ?? ratio
            let c = lambda * (cBar.map { Swift.min($0, ratio) } ?? ratio)
            let gamma = Double(discounts[i]), v = Double(values[i]), r = Double(rewards[i])
            let delta = rho * (r + gamma * nextValue - v)
            let correction = delta + gamma * c * nextCorrection
            let target = v + correction
            vs[i] = Float(target)
            advantages[i] = Float(rho * (r + gamma * nextVs - v))
            rhos[i] = Float(rho)
            nextCorrection = correction
            nextValue = v
            nextVs = target
        }
    }
    return VTraceEstimate(vs: vs, advantages: advantages, rhos: rhos)
}

extension Double {
    fileprivate var exp: Double { Foundation.exp(self) }
}
