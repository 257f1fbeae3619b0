import TensorCore

/// The Bayes-optimal policy for a k-armed Beta-Bernoulli bandit over a horizon of n
/// pulls, by dynamic programming over the posterior counts (Bellman 1956): with the uniform
/// prior, the history is summed up by each arm's (sᵢ, fᵢ), and with m = n − t pulls left
///
///     Q_m(c, i) = pᵢ (1 + V_{m−1}(c + sᵢ)) + (1 − pᵢ) V_{m−1}(c + fᵢ),   pᵢ = (1 + sᵢ)/(2 + sᵢ + fᵢ),
///     V_m(c) = maxᵢ Q_m(c, i),   V_0 = 0.
///
/// V_n(0) is the best expected total reward any strategy can reach on bandits drawn from
/// the prior: the ceiling of RL²'s Table 1. The value does not depend on the order of the
/// arms, so the memo keys on the sorted (sᵢ, fᵢ) pairs — for k = 5, n = 10 that is
/// about 28,000 states instead of 180,000. Sizes whose state space would not fit in
/// memory are refused.
public struct BayesOptimalBandit: BanditStrategy {
    public let arms: Int
    public let pulls: Int
    private var memo: [[UInt16]: Double] = [:]

    /// The most states the memo may hold before the sizes are refused.
    public static let stateLimit = 3_000_000

    /// Throws unless arms ≥ 1 and 1 ≤ pulls ≤ 255.
    public init(arms: Int, pulls: Int) throws {
        try BanditArguments.check(arms: arms, pulls: pulls, "BayesOptimalBandit")
        guard pulls <= 255 else { throw BanditError("BayesOptimalBandit: pulls must be <= 255, got \(pulls)") }
        self.arms = arms
        self.pulls = pulls
    }

    public var name: String { "Bayes-optimal" }

    /// V_n(0): the Bayes-optimal expected total reward of a trial.
    public mutating func optimalValue() throws -> Double { try value(BanditCounts(arms: arms)) }

    /// V_m(c) with m = n − t pulls left.
    public mutating func value(_ counts: BanditCounts) throws -> Double {
        guard counts.arms == arms else { throw BanditError("BayesOptimalBandit: counts for \(counts.arms) arms, expected \(arms)") }
        let left = pulls - counts.total
        guard left >= 0 else { throw BanditError("BayesOptimalBandit: \(counts.total) pulls in the counts, more than the horizon \(pulls)") }
        return try value(counts, left)
    }

    /// Q_m(c, i) for every arm.
    public mutating func actionValues(_ counts: BanditCounts) throws -> [Double] {
        guard counts.arms == arms else { throw BanditError("BayesOptimalBandit: counts for \(counts.arms) arms, expected \(arms)") }
        let left = pulls - counts.total
        guard left >= 1 else { throw BanditError("BayesOptimalBandit: no pulls left after \(counts.total) of \(pulls)") }
        return try (0..<arms).map { try q(counts, arm: $0, left) }
    }

    private mutating func q(_ c: BanditCounts, arm i: Int, _ left: Int) throws -> Double {
        let p = c.posteriorMean(i)
        return p * (1 + (try value(c.updated(arm: i, paid: true), left - 1)))
            + (1 - p) * (try value(c.updated(arm: i, paid: false), left - 1))
    }

    private mutating func value(_ c: BanditCounts, _ left: Int) throws -> Double {
        if left == 0 { return 0 }
        let key = (0..<arms).map { UInt16(c.successes[$0] << 8 | c.failures[$0]) }.sorted()
        if let v = memo[key] { return v }
        guard memo.count < BayesOptimalBandit.stateLimit else {
            throw BanditError("BayesOptimalBandit: \(arms) arms and \(pulls) pulls need more than \(BayesOptimalBandit.stateLimit) posterior states; use fewer arms or pulls")
        }
        // Arms with equal counts have equal values: evaluate one of each.
        var best = -Double.infinity, seen = Set<UInt16>()
        for i in 0..<arms where seen.insert(UInt16(c.successes[i] << 8 | c.failures[i])).inserted {
            best = Swift.max(best, try q(c, arm: i, left))
        }
        memo[key] = best
        return best
    }

    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        argmaxBreakingTies(try actionValues(counts), rng: &rng)
    }
}
