import TensorCore

/// POPGym's MultiArmedBandit: an episode of pulls on arms whose payout probabilities are
/// drawn afresh each episode.
///
/// ## Description
/// Each arm pays with its own probability p ~ U[0, 1]. The observation says only whether
/// the last pull paid, so the agent must remember which arm it pulled (POPGym flags this
/// task as needing the previous action: use `PreviousActionReward`) and how each arm did,
/// then exploit the best one.
///
/// ## Action space
/// `Discrete(arms)`: the arm to pull.
///
/// ## Observation space
/// `Box(0, 1, shape: [2])`: one-hot [no payout, payout] of the last pull; the first
/// observation is "no payout".
///
/// ## Rewards
/// +1/L for a payout and −1/L otherwise (L = episode length), so returns lie in [−1, 1].
///
/// ## Starting state
/// Each arm's probability uniform in [0, 1); `info["bandits"]` at reset lists them.
///
/// ## Episode end
/// Truncated after L pulls.
///
/// ## Arguments
/// `arms` ≥ 1 and `episodeLength` ≥ 1, or a `Difficulty`: easy 10 arms for 200 pulls,
/// medium 20 for 400, hard 30 for 600 (POPGym's values).
///
/// ## Hidden state
/// `state` is the arms' payout probabilities.
public struct MultiArmedBandit: Environment {
    public let arms: Int
    public let episodeLength: Int

    /// The arms' payout probabilities (the hidden state).
    public private(set) var probabilities: [Double] = []
    /// Pulls so far in the episode.
    public private(set) var pulls = 0
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(arms: Int, episodeLength: Int) throws(EnvironmentError) {
        try EnvironmentError.require(arms, atLeast: 1, "arms", in: "MultiArmedBandit")
        try EnvironmentError.require(episodeLength, atLeast: 1, "episodeLength", in: "MultiArmedBandit")
        self.arms = arms
        self.episodeLength = episodeLength
    }

    public init(_ difficulty: Difficulty = .standard) {
        (arms, episodeLength) = [Difficulty.easy: (10, 200), .medium: (20, 400), .hard: (30, 600)][difficulty]!
    }

    public var name: String { "MultiArmedBandit(arms: \(arms), length: \(episodeLength))" }
    public var observationSize: Int { 2 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [2]) }
    public var actionSpace: Discrete { Discrete(arms) }
    public var state: [Float] { probabilities.map(Float.init) }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        probabilities = (0..<arms).map { _ in rng.uniformDouble() }
        pulls = 0
        phase = .running
        writeOneHot(0, count: 2, into: observation)
        return ["bandits": .floats(state)]
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        let paid = rng.bernoulli(probabilities[action])
        pulls += 1
        let scale = 1 / Double(episodeLength)
        let result = StepResult(reward: paid ? scale : -scale, truncated: pulls >= episodeLength)
        if result.truncated { phase = .finished }
        writeOneHot(paid ? 1 : 0, count: 2, into: observation)
        return result
    }

    public func render() -> String {
        let arms = probabilities.enumerated().map { "\($0.offset):\(String(format: "%.2f", $0.element))" }
        return "MultiArmedBandit pull \(pulls)/\(episodeLength)  p = [\(arms.joined(separator: " "))]"
    }
}

import Foundation

extension MultiArmedBandit: HiddenStateOracle {
    /// The arm with the highest payout probability: expected return 2·max p − 1.
    public func oracleAction() -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
    }
}
