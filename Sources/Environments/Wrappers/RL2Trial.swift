/// RL²'s trial (Duan et al., 2016, §2.2): `episodes` episodes of the wrapped environment
/// on one task, played as one episode of this environment, with the history a recurrent
/// policy needs to learn the task within the trial in its input.
///
/// ## Description
/// A trial samples a task (the inner environment's `reset` without options) and then plays
/// `episodes` episodes on it: between them the inner environment is reset with
/// `["keepTask": 1]`, so the task stays. A recurrent policy trained on whole trials, with
/// its state reset only where a trial starts, carries what it learned about the task from
/// one inner episode into the next: its weights hold the learning algorithm, its state the
/// task. Environments that keep no task between resets (no `keepTask` option) are played
/// as independent episodes.
///
/// ## Action space
/// The inner environment's.
///
/// ## Observation space
/// `[inner observation (n), one-hot previous action (actions), previous reward, done]`:
/// RL²'s input `(s, a, r, d)`. At the start of a trial the action part, the reward and the
/// flag are 0. The first observation of a later inner episode carries the last action and
/// reward of the episode before it and `done` = 1.
///
/// ## Rewards
/// The inner environment's.
///
/// ## Starting state
/// A new task.
///
/// ## Episode end
/// Terminated when the last inner episode ends (however it ended): the trial's return is
/// the sum of its rewards, with nothing to bootstrap beyond it.
///
/// ## Arguments
/// `episodes` ≥ 1: the inner episodes per trial (RL²: 1 for bandits, n for tabular MDPs).
///
/// ## Hidden state
/// `state` is the inner environment's.
public struct RL2Trial<Inner: Environment>: Environment, MetaRLTrial {
    /// The wrapped environment.
    public var inner: Inner
    /// The inner episodes per trial.
    public let episodes: Int
    /// Inner episodes finished in the current trial.
    public private(set) var finishedEpisodes = 0

    let innerSize: Int
    let actionCount: Int
    var phase = EpisodePhase.idle

    public init(_ inner: Inner, episodes: Int = 1) throws(EnvironmentError) {
        try EnvironmentError.require(episodes, atLeast: 1, "episodes (per trial)", in: "RL2Trial(\(inner.name))")
        self.inner = inner
        self.episodes = episodes
        innerSize = inner.observationSize
        actionCount = inner.actionSpace.n
    }

    public var name: String { episodes == 1 ? "RL2Trial(\(inner.name))" : "RL2Trial(\(inner.name), episodes: \(episodes))" }
    public var observationSize: Int { innerSize + actionCount + 2 }
    public var observationSpace: Box {
        let box = inner.observationSpace
        return Box(low: box.low + [Float](repeating: 0, count: actionCount) + [-.infinity, 0],
                   high: box.high + [Float](repeating: 1, count: actionCount) + [.infinity, 1])
    }
    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let info = try inner.reset(seed: seed, options: options, into: UnsafeMutableBufferPointer(rebasing: observation[0 ..< innerSize]))
        for i in innerSize ..< observationSize { observation[i] = 0 }
        finishedEpisodes = 0
        phase = .running
        return info
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        try phase.check(name)
        let innerObservation = UnsafeMutableBufferPointer(rebasing: observation[0 ..< innerSize])
        var result = try inner.step(action, into: innerObservation)
        let innerDone = result.done
        if innerDone {
            finishedEpisodes += 1
            if finishedEpisodes == episodes {
                result.terminated = true
                result.truncated = false
                phase = .finished
            } else {
                // The next inner episode on the same task; its first observation replaces
                // the last one of the episode that ended, as in a vector environment's reset.
                _ = try inner.reset(seed: nil, options: ["keepTask": 1], into: innerObservation)
                result.terminated = false
                result.truncated = false
            }
        }
        RL2Trial.writeHistory(action: action - inner.actionSpace.start, reward: result.reward, done: innerDone,
                              actions: actionCount, into: UnsafeMutableBufferPointer(rebasing: observation[innerSize...]))
        return result
    }

    /// Writes RL²'s history part of the input, `[one-hot action (actions), reward, done]`,
    /// into `buffer`; `action` counts from 0, and −1 (no action yet) writes zeros.
    public static func writeHistory(action: Int, reward: Double, done: Bool, actions: Int, into buffer: UnsafeMutableBufferPointer<Float>) {
        for a in 0 ..< actions { buffer[a] = a == action ? 1 : 0 }
        buffer[actions] = Float(reward)
        buffer[actions + 1] = done ? 1 : 0
    }

    public func render() -> String {
        inner.render() + "  [trial episode \(Swift.min(finishedEpisodes + 1, episodes))/\(episodes)]"
    }
}

extension Environment {
    /// This environment played in RL² trials of `episodes` episodes on one task.
    public func rl2Trial(episodes: Int = 1) throws(EnvironmentError) -> RL2Trial<Self> {
        try RL2Trial(self, episodes: episodes)
    }
}

/// An environment that plays RL² trials (whatever it wraps): what RL² trains on.
public protocol MetaRLTrial {
    /// The inner episodes per trial.
    var episodes: Int { get }
}
