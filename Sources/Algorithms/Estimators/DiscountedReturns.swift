// Discounted returns and returns-to-go: G_t = r_t + γ G_{t+1} within an episode, 0 after
// its end. Monte-Carlo targets for REINFORCE and the conditioning of the Decision
// Transformer (returns-to-go are the γ = 1 case).

/// The discounted return G_t = Σ_k γ^k r_{t+k} of every step of one trajectory, up to its
/// end. With `episodeEnds`, the sum stops at each step marked as ending an episode, so a
/// trajectory holding several episodes back to back gets each episode's own returns.
/// `bootstrap` is the value of the state after the last step when the trajectory was cut
/// before its episode ended (V(s_T); 0 when it ended).
public func discountedReturns(_ rewards: [Double], gamma: Double, episodeEnds: [Bool]? = nil, bootstrap: Double = 0) -> [Double] {
    precondition(episodeEnds == nil || episodeEnds!.count == rewards.count, "episodeEnds must have one flag per reward")
    var out = [Double](repeating: 0, count: rewards.count)
    var g = bootstrap
    for t in rewards.indices.reversed() {
        if episodeEnds?[t] == true { g = 0 }
        g = rewards[t] + gamma * g
        out[t] = g
    }
    return out
}

/// The undiscounted return still to come at every step, R̂_t = Σ_{k ≥ t} r_k: what the
/// Decision Transformer conditions on (Chen et al. 2021).
public func returnsToGo(_ rewards: [Double], episodeEnds: [Bool]? = nil) -> [Double] {
    discountedReturns(rewards, gamma: 1, episodeEnds: episodeEnds)
}
