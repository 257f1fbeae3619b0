import TensorCore

/// ε-greedy on the posterior means: with probability ε a uniformly random arm, otherwise
/// the arm with the largest E[pᵢ | history] = (1 + sᵢ)/(2 + nᵢ), ties broken at random.
/// ε = 0 is greedy. Using the posterior mean rather than the empirical mean sᵢ/nᵢ gives
/// unpulled arms the prior's 1/2, so greedy leaves an arm after a failure (1/3 < 1/2) and
/// stays after a success (2/3): the "win-stay, lose-shift" start that makes greedy strong
/// over short horizons (RL²'s Table 1, n = 10).
public struct EpsilonGreedyArm: BanditStrategy {
    /// ε, the exploration probability.
    public let epsilon: Double

    /// Throws unless ε is in [0, 1].
    public init(epsilon: Double = 0.1) throws {
        guard epsilon >= 0 && epsilon <= 1 else { throw BanditError("EpsilonGreedyArm: epsilon (ε) must be in [0, 1], got \(epsilon)") }
        self.epsilon = epsilon
    }

    public var name: String { epsilon == 0 ? "greedy" : "ε-greedy (ε = \(epsilon))" }

    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        if epsilon > 0 && rng.uniformDouble() < epsilon { return rng.int(below: counts.arms) }
        return argmaxBreakingTies((0..<counts.arms).map(counts.posteriorMean), rng: &rng)
    }
}
