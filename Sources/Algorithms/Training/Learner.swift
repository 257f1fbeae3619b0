import Environments
import NeuralNets
import Synchronization
import TensorCore

// The three kinds of learner and what their drivers call. Each kind has one driver, one
// loop readable top to bottom like CleanRL (collect → learn → log):
//
//   off-policy  (DQN, DRQN)            `train(_:on:steps:)` in OffPolicyTraining.swift: one
//               environment, one step at a time; the learner keeps a replay memory and
//               learns when its schedule says so.
//   on-policy   (A2C, PPO, recurrent   `train(_:on:steps:)` in OnPolicyTraining.swift: a
//               PPO, IMPALA, RL²)      batch of N environments; the driver fills a
//               `RolloutBuffer` of T steps × N with episode-start flags and the recurrent
//               state at every chunk start, then the learner learns from it.
//   offline     (BC, DT, IQL, …)       `train(_:updates:)` in OfflineTraining.swift: no
//               environment; the learner samples from its dataset at each update.
//
// Every kind reports its metrics under the keys of `Metric`.

/// What every learner has, whatever its kind.
public protocol Learner: AnyObject {
    /// "DQN", "PPO", … (for messages and checkpoint metadata).
    var algorithm: String { get }
    /// The trained network (what checkpoints save).
    var network: Module { get }
    /// Environment steps learned from so far (0 for an offline learner).
    var stepCount: Int { get }
    /// Gradient updates made so far.
    var updateCount: Int { get }
}

/// A learner that explores ε-greedily: the drivers log its ε as `charts/epsilon`.
public protocol EpsilonGreedy: AnyObject {
    /// ε in force for the next action.
    var explorationRate: Double { get }
}

/// A value learner driven one environment step at a time, with its own replay memory.
///
/// The loop calls, per episode: `startEpisode`, then per step `act` → (environment step) →
/// `record` → `learn`. The learner counts steps and episodes itself.
/// A trained learner whose greedy policy acts in one environment at a time: what evaluation
/// and data collection need, whatever the learner's kind.
public protocol GreedyActing: Learner {
    /// Throws an `AlgorithmError` naming both sides when the trained policy cannot act in
    /// `environment` (its observations or actions differ from those it was built for).
    func checkActs<E: Environment>(in environment: E) throws
    /// A greedy policy (argmax, or the mean of a continuous head) with its own recurrent
    /// state, for evaluation.
    func greedyPolicy() throws -> any Policy
}

public protocol OffPolicyLearner: GreedyActing {
    /// Throws an `AlgorithmError` naming both sides when the learner cannot act in `environment`.
    func checkCompatible<E: Environment>(with environment: E) throws
    /// Starts an episode whose first observation is `observation`.
    func startEpisode(observation: [Float]) throws
    /// The action to take on `observation` (the one passed to `startEpisode` or the last
    /// `record`), exploring.
    func act(_ observation: [Float]) throws -> Int
    /// Records the outcome of the last action.
    func record(reward: Double, nextObservation: [Float], terminated: Bool, truncated: Bool) throws
    /// Makes the updates that are due, adding their metrics to `metrics`.
    func learn(metrics: inout [String: Double]) throws
}

extension OffPolicyLearner {
    /// An off-policy learner acts in one environment at a time already.
    public func checkActs<E: Environment>(in environment: E) throws { try checkCompatible(with: environment) }
}

/// What an on-policy learner returns for a batch of observations: one action row per
/// environment, with the behaviour log-probability and the value estimate the rollout
/// stores for the update.
public struct PolicyStep: Sendable {
    /// [N, width] action rows (see `ActionSpace`).
    public var actions: [Float]
    /// log π(a|s) of each row's action, [N].
    public var logProbs: [Float]
    /// V(s) of each observation, [N] (zeros for a learner without a critic).
    public var values: [Float]

    public init(actions: [Float], logProbs: [Float], values: [Float]) {
        self.actions = actions
        self.logProbs = logProbs
        self.values = values
    }
}

/// What acts in a batch of N environments while a rollout is collected: an on-policy
/// learner, or an IMPALA actor with its own (lagging) copy of the policy.
public protocol RolloutPolicy: AnyObject {
    /// Actions for `observations` [N, obs], sampled from the policy; `episodeStarts` [N]
    /// marks the copies whose observation starts an episode (their recurrent state is
    /// zeroed before acting).
    func act(_ observations: [Float], episodeStarts: [Bool]) throws -> PolicyStep
    /// V(s) of `observations` [rows.count, obs] for the copies `rows`, each from that
    /// copy's current recurrent state (which it does not change).
    func values(_ observations: [Float], rows: [Int]) throws -> [Float]
    /// The current recurrent state as one flat row per copy, [N, state size] (empty for a
    /// feed-forward policy).
    func recurrentState() throws -> [Float]
}

/// A policy learner trained on fresh rollouts from N environments.
///
/// Per rollout, the driver calls `act` T times (the learner keeps its recurrent state and
/// zeroes it for copies whose flag in `episodeStarts` is set), stores each step in the
/// buffer with the state `recurrentState()` returns at every chunk start, asks `values`
/// for the bootstrap values, and calls `learn`.
public protocol OnPolicyLearner: Learner, RolloutPolicy {
    /// N, the environments stepped together.
    var environmentCount: Int { get }
    /// T, the steps per environment in one rollout.
    var rolloutLength: Int { get }
    /// The length of the sequences a recurrent learner re-runs (the rollout is stored with
    /// the state at every multiple of it); nil for a feed-forward learner.
    var sequenceLength: Int? { get }
    /// γ, for folding the value of a time-limited episode's final state into its last reward.
    var discount: Double { get }
    /// Throws an `AlgorithmError` naming both sides when the learner cannot act in `environment`.
    func checkCompatible(with environment: some BatchedEnvironment) throws
    /// Called once before a training run of `steps` environment steps (what schedules that
    /// decay over the run, such as PPO's linear learning-rate decay, count down from).
    func beginTraining(steps: Int) throws
    /// Forgets every copy's recurrent state (start of training).
    func resetState() throws
    /// Learns from a full rollout, adding its metrics to `metrics`.
    func learn(from rollout: RolloutBuffer, metrics: inout [String: Double]) throws
    /// A policy acting greedily (or by its mean) with its own recurrent state, for evaluation.
    func greedyPolicy() throws -> any Policy
}

extension OnPolicyLearner {
    public func beginTraining(steps: Int) throws {}
}

/// A learner trained from a fixed dataset, with no environment.
public protocol OfflineLearner: Learner {
    /// One gradient update on a minibatch it samples from its dataset, adding its metrics.
    func learn(metrics: inout [String: Double]) throws
    /// The policy it has learned, for evaluation in an environment (nil if it has none,
    /// such as a reward model).
    func evaluationPolicy() throws -> (any Policy)?
}

/// A policy that acts on observations, with a state reset at each episode start.
public protocol Policy: AnyObject {
    /// Forgets the episode so far (recurrent state back to the start).
    func reset() throws
    /// The action for `observation`.
    func action(for observation: [Float]) throws -> Int
    /// The reward the last action received: a return-conditioned policy (the Decision
    /// Transformer) lowers its target return by it. Most policies ignore it.
    func observe(reward: Double) throws
}

extension Policy {
    public func observe(reward: Double) throws {}
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
