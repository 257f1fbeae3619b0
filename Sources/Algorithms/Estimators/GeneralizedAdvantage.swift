// Generalized advantage estimation: Schulman, Moritz, Levine, Jordan & Abbeel,
// "High-Dimensional Continuous Control Using Generalized Advantage Estimation", ICLR 2016.
//
//     δ_t = r_t + γ V(s_{t+1}) (1 − d_t) − V(s_t)
//     Â_t = δ_t + γλ (1 − d_t) Â_{t+1}
//
// where d_t = 1 when the episode ended with step t (then nothing after it counts). The
// value targets are Â_t + V(s_t) (the λ-returns). λ = 0 gives the one-step TD error,
// λ = 1 the Monte-Carlo return minus the baseline.
//
// Layout: rollouts are time-major, [T, N] flattened (step t of environment n at t·N + n),
// as the rollout buffer stores them.

/// Advantages and value targets of a [T, N] rollout.
public struct AdvantageEstimate: Sendable, Equatable {
    /// Â_t, [T, N] time-major.
    public var advantages: [Float]
    /// Â_t + V(s_t): the targets of the value loss, [T, N].
    public var returns: [Float]
}

/// GAE(γ, λ) over a time-major rollout of `steps` × `environments`.
///
/// - Parameters:
///   - rewards: r_t, [T, N]. (A step cut by a time limit should already carry
///     γ V(s_final) in its reward, so that cutting the trace there is right.)
///   - values: V(s_t), [T, N].
///   - episodeEnds: d_t, [T, N]: the episode ended with this step.
///   - lastValues: V(s_T) for each environment, [N]: the bootstrap after the last step.
public func generalizedAdvantages(
    rewards: [Float], values: [Float], episodeEnds: [Bool], lastValues: [Float],
    steps: Int, environments: Int, gamma: Double, lambda: Double
) -> AdvantageEstimate {
    let n = environments
    precondition(rewards.count == steps * n && values.count == steps * n && episodeEnds.count == steps * n,
                 "rewards, values and episodeEnds must hold steps × environments = \(steps * n) values")
    precondition(lastValues.count == n, "lastValues must hold one value per environment")
    var advantages = [Float](repeating: 0, count: steps * n)
    var returns = [Float](repeating: 0, count: steps * n)
    for e in 0..<n {
        var nextAdvantage = 0.0
        var nextValue = Double(lastValues[e])
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let i = t * n + e
            let notDone = episodeEnds[i] ? 0.0 : 1.0
            let delta = Double(rewards[i]) + gamma * nextValue * notDone - Double(values[i])
            nextAdvantage = delta + gamma * lambda * notDone * nextAdvantage
            advantages[i] = Float(nextAdvantage)
            returns[i] = Float(nextAdvantage + Double(values[i]))
            nextValue = Double(values[i])
        }
    }
    return AdvantageEstimate(advantages: advantages, returns: returns)
}
