import Environments
import TensorCore

// The bandit baselines of RL²'s Table 1 (Duan et al. 2016) play k-armed Bernoulli bandits
// whose payout probabilities are drawn from U[0, 1] = Beta(1, 1), for n pulls. Everything a
// strategy may use is the history of the trial, and for Bernoulli arms under a Beta prior
// that history is summed up exactly by each arm's successes and failures: the posterior
// of arm i is Beta(1 + sᵢ, 1 + fᵢ). `BanditCounts` holds those counts; every strategy
// chooses an arm from them (and the pulls left), and `BanditEvaluation` plays a strategy
// on many sampled bandits with common random numbers.

/// Each arm's successes and failures so far in a trial: the sufficient statistic of the
/// Beta-Bernoulli posterior.
public struct BanditCounts: Hashable, Sendable {
    /// sᵢ, the pulls of arm i that paid.
    public var successes: [Int]
    /// fᵢ, the pulls of arm i that did not.
    public var failures: [Int]

    /// No pulls yet, on `arms` arms.
    public init(arms: Int) {
        successes = [Int](repeating: 0, count: arms)
        failures = successes
    }

    public init(successes: [Int], failures: [Int]) {
        self.successes = successes
        self.failures = failures
    }

    public var arms: Int { successes.count }
    /// nᵢ = sᵢ + fᵢ.
    public func pulls(_ arm: Int) -> Int { successes[arm] + failures[arm] }
    /// t, the pulls so far.
    public var total: Int { successes.reduce(0, +) + failures.reduce(0, +) }

    /// E[pᵢ | history] = (1 + sᵢ) / (2 + nᵢ) under the uniform prior Beta(1, 1).
    public func posteriorMean(_ arm: Int) -> Double {
        Double(1 + successes[arm]) / Double(2 + pulls(arm))
    }

    /// The counts after `arm` paid (`reward` 1) or not (0).
    public func updated(arm: Int, paid: Bool) -> BanditCounts {
        var next = self
        if paid { next.successes[arm] += 1 } else { next.failures[arm] += 1 }
        return next
    }
}

/// A way to choose an arm from the trial's history.
public protocol BanditStrategy {
    /// The strategy's name in tables.
    var name: String { get }
    /// The arm to pull with `counts` so far and `pullsLeft` pulls left (this one included).
    mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int
}

/// An error in a bandit baseline's arguments, naming the value.
public struct BanditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The checks shared by the baselines: at least one arm, at least one pull, probabilities in [0, 1].
enum BanditArguments {
    static func check(arms: Int, pulls: Int, _ who: String) throws {
        guard arms >= 1 else { throw BanditError("\(who): arms must be >= 1, got \(arms)") }
        guard pulls >= 1 else { throw BanditError("\(who): pulls must be >= 1, got \(pulls)") }
    }

    static func check(probabilities: [Double], _ who: String) throws {
        guard !probabilities.isEmpty else { throw BanditError("\(who): a bandit needs at least one arm, got no probabilities") }
        for (i, p) in probabilities.enumerated() where !(p >= 0 && p <= 1) {
            throw BanditError("\(who): probabilities[\(i)] must be in [0, 1], got \(p)")
        }
    }
}

/// The arm with the largest score, ties broken uniformly at random (so that no arm is
/// favoured by its index when the scores say nothing).
func argmaxBreakingTies(_ scores: [Double], rng: inout RNG) -> Int {
    var best = -Double.infinity, ties: [Int] = []
    for (i, s) in scores.enumerated() {
        if s > best + 1e-12 { best = s; ties = [i] } else if Swift.abs(s - best) <= 1e-12 { ties.append(i) }
    }
    return ties.count == 1 ? ties[0] : ties[rng.int(below: ties.count)]
}

// MARK: - Evaluation

/// One bandit drawn from the prior together with its luck: p ~ U[0, 1]^k, and for every
/// arm a fixed stream of uniform draws, the j-th deciding the arm's j-th pull (it pays when
/// the draw is below pᵢ). Two strategies played on the same `SampledBandit` meet the same
/// luck on the arms they both pull (common random numbers), which makes their difference
/// far less noisy than their separate means.
public struct SampledBandit: Sendable {
    public let probabilities: [Double]
    let draws: [[Double]]

    /// Draws a bandit of `arms` arms for up to `pulls` pulls of each arm.
    public init(arms: Int, pulls: Int, rng: inout RNG) {
        probabilities = (0..<arms).map { _ in rng.uniformDouble() }
        draws = (0..<arms).map { _ in (0..<pulls).map { _ in rng.uniformDouble() } }
    }

    /// The arm with the largest p (the first of equals).
    public var bestArm: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] }! }

    /// Whether the `n`-th pull (from 0) of `arm` pays.
    public func pays(arm: Int, pull n: Int) -> Bool { draws[arm][n] < probabilities[arm] }
}

/// What a strategy did on many sampled bandits.
public struct BanditEvaluation: Sendable {
    /// The strategy's name.
    public let name: String
    /// The mean total reward of a trial of n pulls.
    public let meanReturn: Double
    /// Its standard error over the trials.
    public let standardError: Double
    /// For each pull t = 1 … n, the share of trials in which the best arm was pulled.
    public let bestArmRate: [Double]
}

/// Plays `strategy` on `trials` bandits of `arms` arms drawn from U[0, 1] for `pulls`
/// pulls each. The bandits and the payouts come from `seed` alone (each arm has a fixed
/// stream of payout draws per trial), so two strategies evaluated with the same seed meet
/// the same bandits and the same luck.
public func evaluateBandit(_ strategy: some BanditStrategy, arms: Int, pulls: Int, trials: Int, seed: UInt64 = 0) throws -> BanditEvaluation {
    try BanditArguments.check(arms: arms, pulls: pulls, strategy.name)
    guard trials >= 1 else { throw BanditError("\(strategy.name): trials must be >= 1, got \(trials)") }
    var strategy = strategy
    var world = RNG(seed: seed)
    var choices = RNG(seed: seed &+ 0x5EED)
    var total = 0.0, totalSquares = 0.0
    var best = [Double](repeating: 0, count: pulls)
    for _ in 0..<trials {
        let bandit = SampledBandit(arms: arms, pulls: pulls, rng: &world)
        let bestP = bandit.probabilities[bandit.bestArm]
        var counts = BanditCounts(arms: arms), reward = 0.0
        for t in 0..<pulls {
            let arm = try strategy.choose(counts, pullsLeft: pulls - t, rng: &choices)
            guard (0..<arms).contains(arm) else { throw BanditError("\(strategy.name) chose arm \(arm) of \(arms)") }
            let paid = bandit.pays(arm: arm, pull: counts.pulls(arm))
            if paid { reward += 1 }
            if bandit.probabilities[arm] == bestP { best[t] += 1 }
            counts = counts.updated(arm: arm, paid: paid)
        }
        total += reward
        totalSquares += reward * reward
    }
    let n = Double(trials), mean = total / n
    let variance = Swift.max(totalSquares / n - mean * mean, 0)
    return BanditEvaluation(name: strategy.name, meanReturn: mean, standardError: (variance / n).squareRoot(),
                            bestArmRate: best.map { $0 / n })
}
