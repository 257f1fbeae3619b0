import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RL²'s random tabular MDPs (Duan et al., 2016): each episode is a trial of several
/// short episodes on one freshly drawn MDP.
///
/// ## Description
/// A task is an MDP with `states` states and `actions` actions whose transition
/// distributions P(· | s, a) are drawn from a flat Dirichlet and whose mean rewards
/// μ(s, a) are drawn from N(1, 1); a reward is μ(s, a) plus N(0, 1) noise. One
/// environment episode is a trial: `episodesPerTrial` inner episodes of `horizon` steps
/// each, all on the same MDP, each starting in state 0. A recurrent agent that carries
/// its memory across the inner episodes can learn the MDP and do better in later ones.
///
/// ## Action space
/// `Discrete(actions)`.
///
/// ## Observation space
/// `Box(0, 1, shape: [states + 1])`: the one-hot current state, then 1 on the first step
/// of an inner episode (0 otherwise).
///
/// ## Rewards
/// μ(s, a) + ε with ε ~ N(0, 1) for the transition from s under a.
///
/// ## Starting state
/// A new MDP, state 0. `reset(options: ["keepTask": 1])` keeps the current MDP.
///
/// ## Episode end
/// Truncated after `episodesPerTrial` × `horizon` steps.
///
/// ## Arguments
/// `states` ≥ 1 (10), `actions` ≥ 1 (5), `horizon` ≥ 1 (10), `episodesPerTrial` ≥ 1 (10):
/// RL²'s sizes, with its n ∈ {10, 25, 50, 75, 100} inner episodes.
///
/// ## Hidden state
/// `state` is [current state, step in the inner episode, inner episode index]; the task
/// itself is in `transitions` and `meanRewards`.
public struct RandomTabularMDP: Environment {
    public let states: Int
    public let actions: Int
    public let horizon: Int
    public let episodesPerTrial: Int

    /// P(s' | s, a) at `[(s * actions + a) * states + s']`.
    public private(set) var transitions: [Double] = []
    /// μ(s, a) at `[s * actions + a]`.
    public private(set) var meanRewards: [Double] = []
    /// The current state.
    public private(set) var current = 0
    /// Steps taken in the current inner episode.
    public private(set) var innerStep = 0
    /// The index of the current inner episode.
    public private(set) var innerEpisode = 0
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(states: Int = 10, actions: Int = 5, horizon: Int = 10, episodesPerTrial: Int = 10) throws(EnvironmentError) {
        let env = "RandomTabularMDP"
        try EnvironmentError.require(states, atLeast: 1, "states", in: env)
        try EnvironmentError.require(actions, atLeast: 1, "actions", in: env)
        try EnvironmentError.require(horizon, atLeast: 1, "horizon", in: env)
        try EnvironmentError.require(episodesPerTrial, atLeast: 1, "episodesPerTrial", in: env)
        self.states = states
        self.actions = actions
        self.horizon = horizon
        self.episodesPerTrial = episodesPerTrial
    }

    public var name: String { "RandomTabularMDP(states: \(states), actions: \(actions))" }
    public var observationSize: Int { states + 1 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [states + 1]) }
    public var actionSpace: Discrete { Discrete(actions) }
    public var state: [Float] { [Float(current), Float(innerStep), Float(innerEpisode)] }

    /// P(s' | s, a).
    public func transition(from s: Int, action a: Int, to next: Int) -> Double {
        transitions[(s * actions + a) * states + next]
    }

    // MARK: - Reset and step

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        if options["keepTask"] != 1 || transitions.isEmpty { drawTask() }
        current = 0
        innerStep = 0
        innerEpisode = 0
        phase = .running
        write(into: observation, episodeStart: true)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        var result = StepResult(reward: meanRewards[current * actions + action] + Double(rng.normal()))
        let row = (current * actions + action) * states
        var weights = [Float](repeating: 0, count: states)
        for next in 0..<states { weights[next] = Float(transitions[row + next]) }
        current = rng.categorical(weights: weights)
        innerStep += 1
        var episodeStart = false
        if innerStep == horizon {
            innerEpisode += 1
            innerStep = 0
            current = 0
            episodeStart = true
            result.truncated = innerEpisode == episodesPerTrial
        }
        if result.truncated { phase = .finished }
        write(into: observation, episodeStart: episodeStart && !result.truncated)
        return result
    }

    /// A new task: Dirichlet(1, …, 1) transitions (normalised exponentials) and N(1, 1) mean rewards.
    mutating func drawTask() {
        transitions = []
        transitions.reserveCapacity(states * actions * states)
        for _ in 0..<states * actions {
            let draws = (0..<states).map { _ in -log(1 - rng.uniformDouble()) }
            let total = draws.reduce(0, +)
            transitions += draws.map { total > 0 ? $0 / total : 1 / Double(states) }
        }
        meanRewards = (0..<states * actions).map { _ in 1 + Double(rng.normal()) }
    }

    func write(into observation: UnsafeMutableBufferPointer<Float>, episodeStart: Bool) {
        writeOneHot(current, count: states, into: observation)
        observation[states] = episodeStart ? 1 : 0
    }

    public func render() -> String {
        "RandomTabularMDP trial episode \(innerEpisode + 1)/\(episodesPerTrial), step \(innerStep)/\(horizon), state \(current)"
    }
}

extension RandomTabularMDP: HiddenStateOracle {
    /// The optimal action for the rest of the inner episode under the true MDP, by
    /// finite-horizon value iteration (Q_h(s, a) = μ(s, a) + Σ P(s' | s, a) max Q_{h−1}(s', ·)).
    public func oracleAction() -> Int {
        let stepsLeft = horizon - innerStep
        var value = [Double](repeating: 0, count: states)  // V_0 = 0
        var q = [Double](repeating: 0, count: states * actions)
        for _ in 0..<stepsLeft {
            for s in 0..<states {
                for a in 0..<actions {
                    var expected = 0.0
                    for next in 0..<states { expected += transitions[(s * actions + a) * states + next] * value[next] }
                    q[s * actions + a] = meanRewards[s * actions + a] + expected
                }
            }
            for s in 0..<states { value[s] = (0..<actions).map { q[s * actions + $0] }.max()! }
        }
        return (0..<actions).max { q[current * actions + $0] < q[current * actions + $1] } ?? 0
    }
}
