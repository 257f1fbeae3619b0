import Configuration
import TensorCore

/// The T-maze (Bakker, 2002): a cue at the start of a corridor says which way to turn at
/// its end, and nothing in between repeats it.
///
/// ## Description
/// The agent starts at the bottom of a corridor of `length` cells and sees a cue (left or
/// right) on its first observation only. At the junction at the top it must turn the way
/// the cue said. The cue has to be remembered for exactly `length` steps in the passive
/// variant, which makes the T-maze the standard probe of memory span.
///
/// ## Action space
/// `Discrete(3)`: 0 forward, 1 turn left, 2 turn right.
/// - `.passive` (default): in the corridor every action moves forward one cell.
/// - `.active`: in the corridor only forward moves; turns are no-ops.
/// At the junction, forward is a no-op and a turn ends the episode.
///
/// ## Observation space
/// `Box(0, 1, shape: [4])`: [cue_left, cue_right, in_corridor, at_junction]. The cue bits
/// are set only on the first observation; `in_corridor` is 1 on cells 0 ..< length and
/// `at_junction` on cell `length`. The observation after the episode's end is all zeros.
///
/// ## Rewards
/// A turn at the junction ends the episode with +1 if it matches the cue and −1
/// otherwise; every other step (the one reaching the deadline too) costs `stepCost`
/// (0.01). The oracle (forward `length` times, then the cued turn) earns 1 − 0.01 × length.
///
/// ## Starting state
/// Cell 0, with the cue left or right with probability 1/2 each.
///
/// ## Episode end
/// Terminated by a turn at the junction, or at the deadline: after 3 × `length` steps
/// without a turn (a failure, with return −0.01 × 3 × `length`).
///
/// The deadline is a rule of the maze, not a cut from outside, so it *terminates* the
/// episode: nothing follows it, and the value of a history that reaches it is 0. An agent
/// with memory knows how many steps it has taken (its history says so), so for it the
/// deadline is part of the state; bootstrapping there (as for a truncation) would value
/// waiting at the junction as if the episode went on, and an agent that learns so keeps
/// stepping forward into the wall until the deadline (Pardo, Tavakoli, Levdik & Kormushev,
/// "Time Limits in Reinforcement Learning", ICML 2018: a time limit that is part of the
/// task is terminal for a time-aware agent). `TMaze` never truncates; a `timeLimit(_:)`
/// wrapper adds a cut from outside.
///
/// ## Arguments
/// `length` ≥ 1 (10), `variant` (`.passive`), `stepCost` (0.01).
///
/// ## Hidden state
/// `state` is [position, cue] with cue 0 for left and 1 for right.
public struct TMaze: Environment {
    /// How the agent moves in the corridor.
    public enum Variant: String, Sendable, CaseIterable, FieldChoice {
        /// Every action moves forward: the cue is held exactly `length` steps.
        case passive
        /// Only forward moves; turns in the corridor are no-ops.
        case active
    }

    /// The side of the cue and of a turn.
    public enum Side: Int, Sendable {
        case left = 0, right = 1
    }

    /// The actions, by name.
    public enum Action: Int, Sendable, CaseIterable {
        case forward = 0, left = 1, right = 2
    }

    public let length: Int
    public let variant: Variant
    public let stepCost: Double
    /// The deadline, in steps: 3 × `length` (a termination, see "Episode end").
    public var maxSteps: Int { 3 * length }

    /// The agent's cell: 0 ..< length in the corridor, `length` at the junction.
    public private(set) var position = 0
    /// The side the cue showed (the hidden state).
    public private(set) var cue = Side.left
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0

    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(length: Int = 10, variant: Variant = .passive, stepCost: Double = 0.01) throws(EnvironmentError) {
        try EnvironmentError.require(length, atLeast: 1, "length", in: "TMaze")
        try EnvironmentError.requireFinite(stepCost, "stepCost", in: "TMaze")
        self.length = length
        self.variant = variant
        self.stepCost = stepCost
    }

    public var name: String { "TMaze(length: \(length), \(variant))" }
    public var observationSize: Int { 4 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [4]) }
    public var actionSpace: Discrete { Discrete(3) }
    public var state: [Float] { [Float(position), Float(cue.rawValue)] }

    // MARK: - Reset and step

    /// `options["cue"]` (0 left, 1 right) fixes the cue instead of drawing it.
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        let draw = rng.bernoulli(0.5)
        if let forced = options["cue"] {
            guard forced == 0 || forced == 1 else {
                throw .invalidArgument(environment: name, argument: "options[\"cue\"]", value: "\(forced)",
                                       allowed: "0 (left) or 1 (right)")
            }
            cue = forced == 0 ? .left : .right
        } else {
            cue = draw ? .right : .left
        }
        position = 0
        elapsedSteps = 0
        phase = .running
        observation[0] = cue == .left ? 1 : 0
        observation[1] = cue == .right ? 1 : 0
        observation[2] = 1
        observation[3] = 0
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard let action = Action(rawValue: action) else { throw invalidAction(action) }
        try phase.check(name)
        elapsedSteps += 1
        var result = StepResult(reward: -stepCost)
        if position < length {
            if variant == .passive || action == .forward { position += 1 }
        } else if action != .forward {
            let turned: Side = action == .left ? .left : .right
            result.reward = turned == cue ? 1 : -1
            result.terminated = true
        }
        if elapsedSteps >= maxSteps { result.terminated = true }
        if result.done { phase = .finished }
        observation[0] = 0
        observation[1] = 0
        observation[2] = !result.terminated && position < length ? 1 : 0
        observation[3] = !result.terminated && position == length ? 1 : 0
        return result
    }

    /// The corridor from the start (left) to the junction `J` (right), with the agent `A`.
    public func render() -> String {
        let corridor = (0..<length).map { $0 == position ? "A" : "." }.joined()
        let junction = position == length ? "A" : "J"
        return "TMaze step \(elapsedSteps): [\(corridor)]\(junction)  cue \(cue): turn \(cue) at J for +1"
    }
}

extension TMaze: HiddenStateOracle {
    /// Forward along the corridor, then the cued turn: 1 − stepCost × length.
    public func oracleAction() -> Int {
        guard position == length else { return Action.forward.rawValue }
        return (cue == .left ? Action.left : Action.right).rawValue
    }
}
