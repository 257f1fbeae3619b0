import Environments
import NeuralNets
import Synchronization
import TensorCore

/// A learning agent as `train(_:on:steps:)` drives it: it picks actions while exploring,
/// records what happened, and learns when its schedule says so (DQN every few steps, DRQN
/// at the end of each episode).
///
/// The loop calls, per episode: `startEpisode`, then per step `act` → (environment step) →
/// `record` → `learn`. The agent counts steps and episodes itself.
public protocol Agent: AnyObject {
    /// "DQN", "DRQN", … (for messages and checkpoint metadata).
    var algorithm: String { get }
    /// The trained network (what checkpoints save).
    var network: Module { get }
    /// The exploration rate ε in force for the next action.
    var explorationRate: Double { get }
    /// Environment steps recorded so far.
    var stepCount: Int { get }
    /// Gradient updates made so far.
    var updateCount: Int { get }
    /// Throws an `AlgorithmError` naming both sides when the agent cannot act in `environment`.
    func checkCompatible<E: Environment>(with environment: E) throws
    /// Starts an episode whose first observation is `observation`.
    func startEpisode(observation: [Float]) throws
    /// The action to take on `observation` (the one passed to `startEpisode` or the last
    /// `record`), exploring.
    func act(_ observation: [Float]) throws -> Int
    /// Records the outcome of the last action.
    func record(reward: Double, nextObservation: [Float], terminated: Bool, truncated: Bool) throws
    /// Makes the updates that are due, adding their metrics (CleanRL's keys) to `metrics`.
    func learn(metrics: inout [String: Double]) throws
    /// A greedy policy with its own recurrent state, for evaluation.
    func greedyPolicy() throws -> any Policy
}

/// A policy that acts on observations, with a state reset at each episode start.
public protocol Policy: AnyObject {
    /// Forgets the episode so far (recurrent state back to the start).
    func reset() throws
    /// The action for `observation`.
    func action(for observation: [Float]) throws -> Int
}

/// A flag that asks a running `train` to stop after the current step, leaving the model
/// usable: what the REPL's Ctrl-C handler sets (from any thread).
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    /// Asks the training loop to stop.
    public func stop() { flag.store(true, ordering: .relaxed) }
    /// Clears the request (for the next run).
    public func clear() { flag.store(false, ordering: .relaxed) }
    /// Whether a stop was requested.
    public var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// ε-greedy exploration with a linear schedule (Mnih et al. 2015): ε falls from `start`
/// to `end` over `duration` units (steps or episodes) and stays there.
public struct LinearSchedule: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var duration: Int

    public init(start: Double, end: Double, duration: Int) {
        self.start = start
        self.end = end
        self.duration = duration
    }

    /// The value after `t` units.
    public func callAsFunction(_ t: Int) -> Double {
        guard duration > 0 else { return end }
        let fraction = Swift.min(Double(t) / Double(duration), 1)
        return start + fraction * (end - start)
    }
}

/// Picks the index of the largest of `q` (the first on ties).
@inline(__always)
func greedyIndex(_ q: UnsafeBufferPointer<Float>) -> Int {
    var best = 0
    for i in 1..<q.count where q[i] > q[best] { best = i }
    return best
}
