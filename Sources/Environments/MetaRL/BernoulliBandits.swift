import TensorCore

/// RL²'s Bernoulli bandit task distribution (Duan et al., 2016): each episode is one
/// trial on a fresh k-armed bandit with payout probabilities p ~ U[0, 1].
///
/// ## Description
/// A learner that does well across the distribution must explore and exploit within an
/// episode: the meta-RL lesson's RL² agent against UCB1, Thompson sampling and Gittins.
/// The observation carries no information: wrap the environment in
/// `PreviousActionReward` to give the agent its last arm and payout, as RL² does.
///
/// ## Action space
/// `Discrete(arms)`: the arm to pull.
///
/// ## Observation space
/// `Box(1, 1, shape: [1])`: a constant 1 (a bias input).
///
/// ## Rewards
/// 1 if the pulled arm pays (with its probability), 0 otherwise.
///
/// ## Starting state
/// Each arm's probability uniform in [0, 1); `info["bandits"]` at reset lists them.
/// `reset(options: ["keepTask": 1])` keeps the current probabilities (a new episode on
/// the same task).
///
/// ## Episode end
/// Truncated after `pulls` pulls.
///
/// ## Arguments
/// `arms` ≥ 1 (5), `pulls` ≥ 1 (100). RL² used k ∈ {5, 10, 50} and n ∈ {10, 100, 500}.
///
/// ## Hidden state
/// `state` is the arms' payout probabilities.
public struct BernoulliBandits: Environment {
    public let arms: Int
    public let pulls: Int

    /// The current task: each arm's payout probability.
    public private(set) var probabilities: [Double] = []
    /// Pulls so far in the episode.
    public private(set) var pullCount = 0
    /// The task every reset keeps (nil: a new task each reset).
    public let fixedProbabilities: [Double]?
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(arms: Int = 5, pulls: Int = 100) throws(EnvironmentError) {
        try EnvironmentError.require(arms, atLeast: 1, "arms", in: "BernoulliBandits")
        try EnvironmentError.require(pulls, atLeast: 1, "pulls", in: "BernoulliBandits")
        self.arms = arms
        self.pulls = pulls
        fixedProbabilities = nil
    }

    /// A bandit whose arms always pay with `probabilities` (one task, for testing a
    /// strategy on a known bandit). Throws naming the first probability outside [0, 1].
    public init(probabilities: [Double], pulls: Int = 100) throws(EnvironmentError) {
        try EnvironmentError.require(probabilities.count, atLeast: 1, "arms (the number of probabilities)", in: "BernoulliBandits")
        try EnvironmentError.require(pulls, atLeast: 1, "pulls", in: "BernoulliBandits")
        for (i, p) in probabilities.enumerated() {
            try EnvironmentError.requireProbability(p, "probabilities[\(i)]", in: "BernoulliBandits")
        }
        arms = probabilities.count
        self.pulls = pulls
        fixedProbabilities = probabilities
        self.probabilities = probabilities
    }

    public var name: String { "BernoulliBandits(arms: \(arms), pulls: \(pulls))" }
    public var observationSize: Int { 1 }
    public var observationSpace: Box { Box(low: 1, high: 1, shape: [1]) }
    public var actionSpace: Discrete { Discrete(arms) }
    public var state: [Float] { probabilities.map(Float.init) }

    /// The expected reward of the best arm (for regret).
    public var bestProbability: Double { probabilities.max() ?? 0 }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        if let fixedProbabilities {
            probabilities = fixedProbabilities
        } else if options["keepTask"] != 1 || probabilities.isEmpty {
            probabilities = (0..<arms).map { _ in rng.uniformDouble() }
        }
        pullCount = 0
        phase = .running
        observation[0] = 1
        return ["bandits": .floats(state)]
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        let paid = rng.bernoulli(probabilities[action])
        pullCount += 1
        let result = StepResult(reward: paid ? 1 : 0, truncated: pullCount >= pulls)
        if result.truncated { phase = .finished }
        observation[0] = 1
        return result
    }

    public func render() -> String {
        let p = probabilities.map { String(format: "%.2f", $0) }.joined(separator: " ")
        return "BernoulliBandits pull \(pullCount)/\(pulls)  p = [\(p)]"
    }
}

import Foundation

extension BernoulliBandits: HiddenStateOracle {
    /// The best arm: expected return `pulls` × max p (zero regret).
    public func oracleAction() -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
    }
}
