import TensorCore

/// The Tiger problem (Kaelbling, Littman and Cassandra, 1998): behind one of two doors is a
/// tiger, behind the other a treasure; listening tells you, noisily, where the tiger is.
///
/// ## Description
/// The smallest POMDP where acting on the last observation is not enough: one growl is
/// right only 85% of the time, so a good policy accumulates evidence (a belief) before it
/// opens a door. Here an episode ends when a door is opened.
///
/// ## Action space
/// `Discrete(3)`: 0 listen, 1 open the left door, 2 open the right door.
///
/// ## Observation space
/// `Box(0, 1, shape: [3])`, one-hot: [nothing heard, growl on the left, growl on the
/// right]. The first observation, and the one after opening a door, is "nothing heard";
/// after listening, the growl comes from the tiger's side with probability
/// `listenAccuracy` and from the other side otherwise.
///
/// ## Rewards
/// `listenReward` (−1) per listen; `treasureReward` (+10) for opening the treasure's door;
/// `tigerReward` (−100) for opening the tiger's door.
///
/// ## Starting state
/// The tiger is behind the left or the right door with probability 1/2 each.
///
/// ## Episode end
/// Terminated when a door is opened; truncated after `maxSteps` steps (default 100).
///
/// ## Arguments
/// `listenAccuracy` in [0, 1] (0.85), `listenReward` (−1), `treasureReward` (+10),
/// `tigerReward` (−100), `maxSteps` ≥ 1 (100).
///
/// ## Hidden state
/// `state` is one-hot [tiger left, tiger right]; `tigerIsLeft` says the same.
public struct Tiger: Environment {
    /// The actions, by name.
    public enum Action: Int, Sendable, CaseIterable {
        case listen = 0, openLeft = 1, openRight = 2
    }

    public let listenAccuracy: Double
    public let listenReward: Double
    public let treasureReward: Double
    public let tigerReward: Double
    public let maxSteps: Int

    /// Where the tiger is (the hidden state).
    public private(set) var tigerIsLeft = true
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0
    /// The last thing heard: 0 nothing, 1 left, 2 right.
    public private(set) var lastHeard = 0

    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(
        listenAccuracy: Double = 0.85, listenReward: Double = -1, treasureReward: Double = 10,
        tigerReward: Double = -100, maxSteps: Int = 100
    ) throws(EnvironmentError) {
        try EnvironmentError.requireProbability(listenAccuracy, "listenAccuracy", in: "Tiger")
        try EnvironmentError.requireFinite(listenReward, "listenReward", in: "Tiger")
        try EnvironmentError.requireFinite(treasureReward, "treasureReward", in: "Tiger")
        try EnvironmentError.requireFinite(tigerReward, "tigerReward", in: "Tiger")
        try EnvironmentError.require(maxSteps, atLeast: 1, "maxSteps", in: "Tiger")
        self.listenAccuracy = listenAccuracy
        self.listenReward = listenReward
        self.treasureReward = treasureReward
        self.tigerReward = tigerReward
        self.maxSteps = maxSteps
    }

    public var name: String { "Tiger" }
    public var observationSize: Int { 3 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [3]) }
    public var actionSpace: Discrete { Discrete(3) }
    public var state: [Float] { tigerIsLeft ? [1, 0] : [0, 1] }

    // MARK: - Reset and step

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        tigerIsLeft = rng.bernoulli(0.5)
        elapsedSteps = 0
        lastHeard = 0
        phase = .running
        write(into: observation)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard let action = Action(rawValue: action) else { throw invalidAction(action) }
        try phase.check(name)
        elapsedSteps += 1
        var result = StepResult(reward: 0)
        switch action {
        case .listen:
            let heardCorrectly = rng.bernoulli(listenAccuracy)
            let heardLeft = heardCorrectly == tigerIsLeft
            lastHeard = heardLeft ? 1 : 2
            result.reward = listenReward
        case .openLeft, .openRight:
            let openedTiger = (action == .openLeft) == tigerIsLeft
            result.reward = openedTiger ? tigerReward : treasureReward
            result.terminated = true
            lastHeard = 0
        }
        result.truncated = elapsedSteps >= maxSteps
        if result.done { phase = .finished }
        write(into: observation)
        return result
    }

    func write(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = lastHeard == 0 ? 1 : 0
        observation[1] = lastHeard == 1 ? 1 : 0
        observation[2] = lastHeard == 2 ? 1 : 0
    }

    public func render() -> String {
        let doors = tigerIsLeft ? "[TIGER] [treasure]" : "[treasure] [TIGER]"
        let heard = ["nothing", "a growl on the left", "a growl on the right"][lastHeard]
        return "Tiger step \(elapsedSteps): \(doors)  heard \(heard)"
    }
}

extension Tiger: HiddenStateOracle {
    /// Opens the treasure's door at once: `treasureReward` per episode.
    public func oracleAction() -> Int {
        (tigerIsLeft ? Action.openRight : Action.openLeft).rawValue
    }
}
