import Environments
import Foundation
import NeuralNets
import TensorCore

/// What a callback is told.
public enum TrainingEvent: Sendable {
    /// A training episode ended (its index from 0, return and length).
    case episodeEnded(index: Int, return: Double, length: Int)
    /// Metrics were logged at `step` (every `logInterval` steps).
    case logged(step: Int, metrics: [String: Double])
    /// A greedy evaluation finished with this mean return.
    case evaluated(step: Int, meanReturn: Double)
    /// A checkpoint was written.
    case checkpointed(step: Int, path: String)
}

/// What a callback answers.
public enum TrainingDecision: Sendable {
    case `continue`
    case stop
}

/// A hook called on every `TrainingEvent`, with the run so far; `.stop` ends training
/// after the current step (e.g. "stop when 90% of the last 100 episodes succeed").
public typealias TrainingCallback = (TrainingEvent, Run) throws -> TrainingDecision

/// How `train` logs, evaluates, checkpoints and stops.
public struct TrainingOptions {
    /// Seed of the first `reset` (later episodes continue the environment's stream).
    public var seed: UInt64 = 0
    /// Log the agent's update metrics and SPS every this many steps (CleanRL logs every 100).
    public var logInterval: Int = 100
    /// Evaluate the greedy policy every this many steps (nil: never).
    public var evaluationInterval: Int? = nil
    /// Episodes per evaluation.
    public var evaluationEpisodes: Int = 10
    /// Write a checkpoint every this many steps (nil: never) to `checkpointPath`.
    public var checkpointInterval: Int? = nil
    /// Where checkpoints go (a safetensors file, overwritten each time).
    public var checkpointPath: String? = nil
    /// Stop after this many episodes (nil: only the step budget counts).
    public var maxEpisodes: Int? = nil
    /// Set from another thread (Ctrl-C) to stop after the current step.
    public var stopSignal: StopSignal? = nil
    /// Checked every step; true stops training after the current step.
    public var shouldStop: (() -> Bool)? = nil
    /// Callbacks, called in order on every event.
    public var callbacks: [TrainingCallback] = []

    public init() {}
}

/// Trains `agent` on `environment` for at most `steps` environment steps and returns the
/// run with its history.
///
/// Stopping early (a callback, `stopSignal`, `shouldStop`, `maxEpisodes`) happens between
/// steps, so the agent's network is always in a consistent, usable state afterwards, and
/// a later `train` call continues from it (schedules continue from the agent's counters).
/// Throws when the agent cannot act in the environment (naming both), or for an invalid
/// option.
@discardableResult
public func train<E: Environment>(
    _ agent: any Agent, on environment: E, steps: Int, options: TrainingOptions = TrainingOptions(),
    callbacks: [TrainingCallback] = []
) throws -> Run {
    try require(steps >= 0, agent.algorithm, "steps must be >= 0, got \(steps)")
    try require(options.logInterval >= 1, agent.algorithm, "logInterval must be >= 1, got \(options.logInterval)")
    if let e = options.evaluationInterval { try require(e >= 1, agent.algorithm, "evaluationInterval must be >= 1, got \(e)") }
    if let c = options.checkpointInterval {
        try require(c >= 1, agent.algorithm, "checkpointInterval must be >= 1, got \(c)")
        try require(options.checkpointPath != nil, agent.algorithm, "checkpointInterval is set but checkpointPath is nil")
    }
    try agent.checkCompatible(with: environment)
    let run = Run(title: "\(agent.algorithm) on \(environment.name)")
    let hooks = options.callbacks + callbacks
    var env = environment
    var observation = try env.reset(seed: options.seed).observation
    try agent.startEpisode(observation: observation)
    var episodeReturn = 0.0, episodeLength = 0
    var pending: [String: (sum: Double, count: Int)] = [:]
    let clock = Date()
    var lastLogTime = Date(), lastLogStep = 0
    var stop: StopReason?

    func emit(_ event: TrainingEvent) throws {
        for hook in hooks where try hook(event, run) == .stop { stop = stop ?? .callback }
    }

    for step in stride(from: 1, through: steps, by: 1) {
        // Rollout: one environment step.
        let action = try agent.act(observation)
        var next = observation
        let result = try env.step(action, into: &next)
        try agent.record(reward: result.reward, nextObservation: next, terminated: result.terminated, truncated: result.truncated)
        episodeReturn += result.reward
        episodeLength += 1
        observation = next
        run.steps = step

        // Update: whatever the agent's schedule makes due now.
        var metrics: [String: Double] = [:]
        try agent.learn(metrics: &metrics)
        for (k, v) in metrics {
            let p = pending[k] ?? (0, 0)
            pending[k] = (p.sum + v, p.count + 1)
        }

        // Logging.
        if result.done {
            run.recordEpisode(return: episodeReturn, length: episodeLength, step: step)
            try emit(.episodeEnded(index: run.episodeReturns.count - 1, return: episodeReturn, length: episodeLength))
            episodeReturn = 0
            episodeLength = 0
            observation = try env.reset().observation
            try agent.startEpisode(observation: observation)
            if let m = options.maxEpisodes, run.episodeReturns.count >= m { stop = stop ?? .completed }
        }
        if step % options.logInterval == 0 {
            var logged: [String: Double] = [:]
            for (k, p) in pending { logged[k] = p.sum / Double(p.count) }
            pending = [:]
            let now = Date()
            logged["charts/SPS"] = Double(step - lastLogStep) / max(now.timeIntervalSince(lastLogTime), 1e-9)
            logged["charts/epsilon"] = agent.explorationRate
            lastLogTime = now
            lastLogStep = step
            for k in logged.keys.sorted() { run.log(k, logged[k]!, step: step) }
            try emit(.logged(step: step, metrics: logged))
        }
        if let e = options.evaluationInterval, step % e == 0 {
            let returns = try evaluate(agent, on: environment, episodes: options.evaluationEpisodes, seed: options.seed &+ 1_000_003)
            let mean = returns.reduce(0, +) / Double(max(returns.count, 1))
            run.log("eval/episodic_return", mean, step: step)
            try emit(.evaluated(step: step, meanReturn: mean))
        }
        if let c = options.checkpointInterval, let path = options.checkpointPath, step % c == 0 {
            try agent.network.saveCheckpoint(to: path, metadata: [
                "algorithm": agent.algorithm, "environment": environment.name, "step": String(agent.stepCount),
            ])
            try emit(.checkpointed(step: step, path: path))
        }
        let asked = options.shouldStop?() == true
        if asked || options.stopSignal?.isSet == true { stop = stop ?? .interrupted }
        if stop != nil { break }
    }
    run.stopReason = stop ?? .completed
    run.seconds = Date().timeIntervalSince(clock)
    return run
}

/// The returns of `episodes` greedy episodes of `agent` on a copy of `environment`.
public func evaluate<E: Environment>(_ agent: any Agent, on environment: E, episodes: Int, seed: UInt64 = 12_345, maxSteps: Int = 100_000) throws -> [Double] {
    try require(episodes >= 1, agent.algorithm, "episodes must be at least 1, got \(episodes)")
    try agent.checkCompatible(with: environment)
    let policy = try agent.greedyPolicy()
    var env = environment
    var returns: [Double] = []
    var observation = try env.reset(seed: seed).observation
    for _ in 0..<episodes {
        try policy.reset()
        var total = 0.0
        for _ in 0..<maxSteps {
            let result = try env.step(try policy.action(for: observation), into: &observation)
            total += result.reward
            if result.done { break }
        }
        returns.append(total)
        observation = try env.reset().observation
    }
    return returns
}

/// A callback that stops training once the success rate over the last `window` episodes
/// reaches `rate` (an episode succeeds when its return exceeds `threshold`).
public func stopWhenSolved(rate: Double = 0.9, window: Int = 100, threshold: Double = 0) -> TrainingCallback {
    { event, run in
        guard case .episodeEnded = event, run.episodeReturns.count >= window,
              let r = run.successRate(last: window, threshold: threshold), r >= rate else { return .continue }
        return .stop
    }
}
