import TensorCore

/// The outcome of one step, apart from the observation (which the fast path writes into
/// the caller's buffer).
public struct StepResult: Sendable, Equatable {
    /// The reward for the transition (Gymnasium's `reward`).
    public var reward: Double
    /// The episode reached a terminal state of the MDP (Gymnasium's `terminated`).
    public var terminated: Bool
    /// The episode was cut short from outside the MDP, e.g. by a time limit (`truncated`).
    public var truncated: Bool
    /// Auxiliary diagnostics (empty unless the environment or a wrapper reports something).
    public var info: Info

    @inlinable
    public init(reward: Double, terminated: Bool = false, truncated: Bool = false, info: Info = Info()) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
        self.info = info
    }

    /// The episode is over, one way or the other: the next call must be `reset`.
    @inlinable
    public var done: Bool { terminated || truncated }
}

/// One step in Gymnasium's shape: `let (obs, reward, terminated, truncated, info) = try env.step(a)`.
public typealias Transition = (observation: [Float], reward: Double, terminated: Bool, truncated: Bool, info: Info)

/// A reinforcement-learning environment with Gymnasium's contract.
///
/// - `reset(seed:options:)` starts an episode and returns the first observation and info.
///   A seed makes the episode, and every later one until the next seed, reproducible.
///   Without a seed the environment continues its random stream (an environment that was
///   never seeded starts from seed 0, so runs are reproducible by default).
/// - `step(_:)` applies an action and returns (observation, reward, terminated, truncated,
///   info). A step before the first reset, after the episode ended, or with an action
///   outside `actionSpace` throws an `EnvironmentError`.
/// - `state` is the hidden Markov state (POPGym's `get_state`), flattened to `[Float]`,
///   for lessons and for tests that check what observations reveal.
/// - `render()` draws the current state as text for the terminal.
///
/// Conformers implement the allocation-free fast path — `reset(seed:options:into:)` and
/// `step(_:into:)`, which write the observation into a buffer of exactly
/// `observationSpace.size` floats — and get the array-returning forms for free.
/// Environments are value types: copying one copies its whole state, random stream
/// included, which is what a vector environment and a what-if lesson both want.
public protocol Environment: Sendable {
    /// The name used in messages and renderings, such as `"TMaze(length: 10)"`.
    var name: String { get }
    /// The observations: flat `[Float]` vectors with this box's shape and bounds.
    var observationSpace: Box { get }
    /// The number of floats in one observation (`observationSpace.size`, which is the
    /// default; environments override it with a constant so that hot loops need not build
    /// the space).
    var observationSize: Int { get }
    /// The actions: integers in this space.
    var actionSpace: Discrete { get }
    /// The hidden Markov state, flattened (see each environment's documentation for its layout).
    var state: [Float] { get }

    /// Starts an episode, writing the first observation into `observation`
    /// (`observationSpace.size` floats), and returns the reset info.
    mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info

    /// Applies `action`, writing the next observation into `observation`
    /// (`observationSpace.size` floats).
    mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult

    /// The current state drawn as text.
    func render() -> String
}

// MARK: - Gymnasium-shaped convenience API

extension Environment {
    /// The number of floats in one observation: `observationSpace.size`.
    @inlinable
    public var observationSize: Int { observationSpace.size }

    /// Starts an episode: `let (obs, info) = try env.reset(seed: 42)`.
    ///
    /// Throws only for invalid `options` (for example CartPole's `low > high`).
    @inlinable
    public mutating func reset(seed: UInt64? = nil, options: ResetOptions = [:]) throws(EnvironmentError) -> (observation: [Float], info: Info) {
        var observation = [Float](repeating: 0, count: observationSize)
        let info = try reset(seed: seed, options: options, into: &observation)
        return (observation, info)
    }

    /// Applies `action`: `let (obs, reward, terminated, truncated, info) = try env.step(a)`.
    @inlinable
    public mutating func step(_ action: Int) throws(EnvironmentError) -> Transition {
        var observation = [Float](repeating: 0, count: observationSize)
        let result = try step(action, into: &observation)
        return (observation, result.reward, result.terminated, result.truncated, result.info)
    }

    /// Writes the first observation into `observation` (reused across episodes).
    @inlinable
    public mutating func reset(seed: UInt64? = nil, options: ResetOptions = [:], into observation: inout [Float]) throws(EnvironmentError) -> Info {
        if observation.count != observationSize {
            observation = [Float](repeating: 0, count: observationSize)
        }
        return try observation.withUnsafeMutableBufferPointer { buffer throws(EnvironmentError) in
            try reset(seed: seed, options: options, into: buffer)
        }
    }

    /// Writes the next observation into `observation` (reused across steps: no allocation).
    @inlinable
    public mutating func step(_ action: Int, into observation: inout [Float]) throws(EnvironmentError) -> StepResult {
        if observation.count != observationSize {
            observation = [Float](repeating: 0, count: observationSize)
        }
        return try observation.withUnsafeMutableBufferPointer { buffer throws(EnvironmentError) in
            try step(action, into: buffer)
        }
    }

    /// The error for an action outside `actionSpace`.
    @inlinable
    public func invalidAction(_ action: Int) -> EnvironmentError {
        .invalidAction(environment: name, action: action, allowed: actionSpace.allowedDescription)
    }
}

// MARK: - Episode bookkeeping shared by the environments

/// Where an environment is in its episode, so that `step` can refuse to run before a reset
/// or after the end.
public enum EpisodePhase: Sendable, Equatable {
    /// Never reset.
    case idle
    /// Between a reset and the end of the episode.
    case running
    /// The episode ended (terminated or truncated); only `reset` may follow.
    case finished

    /// Throws the matching error unless the episode is running.
    @inlinable
    public func check(_ environment: @autoclosure () -> String) throws(EnvironmentError) {
        switch self {
        case .running: return
        case .idle: throw .notReset(environment: environment())
        case .finished: throw .episodeFinished(environment: environment())
        }
    }
}
