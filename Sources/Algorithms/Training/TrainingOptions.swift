import Environments
import Foundation
import NeuralNets

/// What a callback is told.
public enum TrainingEvent: Sendable {
    /// A training episode ended (its index from 0, return and length).
    case episodeEnded(index: Int, return: Double, length: Int)
    /// Metrics were logged at `step`.
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

/// How the drivers log, evaluate, checkpoint and stop. The same options serve every kind
/// of learner; a "step" is an environment step for the off- and on-policy drivers and an
/// update for the offline driver.
public struct TrainingOptions {
    /// Seed of the first `reset` (later episodes continue the environment's stream).
    public var seed: UInt64 = 0
    /// Log the learner's metrics and SPS every this many steps (CleanRL logs every 100).
    /// The on-policy driver logs once per rollout.
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

    func validate(_ component: String) throws {
        try require(logInterval >= 1, component, "logInterval must be >= 1, got \(logInterval)")
        if let e = evaluationInterval { try require(e >= 1, component, "evaluationInterval must be >= 1, got \(e)") }
        try require(evaluationEpisodes >= 1, component, "evaluationEpisodes must be >= 1, got \(evaluationEpisodes)")
        if let c = checkpointInterval {
            try require(c >= 1, component, "checkpointInterval must be >= 1, got \(c)")
            try require(checkpointPath != nil, component, "checkpointInterval is set but checkpointPath is nil")
        }
        if let m = maxEpisodes { try require(m >= 1, component, "maxEpisodes must be >= 1, got \(m)") }
    }
}

/// What the three drivers share: the run being recorded, the callbacks, the metrics
/// averaged between logs, steps per second, checkpoints, and the requests to stop.
final class RunRecorder {
    let run: Run
    let options: TrainingOptions
    let learner: any Learner
    private let hooks: [TrainingCallback]
    private var pending: [String: (sum: Double, count: Int)] = [:]
    private let clock = Date()
    private var lastLogTime = Date()
    private var lastLogStep = 0
    /// Why training must stop after the current step (nil: go on).
    var stop: StopReason?

    init(_ learner: any Learner, title: String, options: TrainingOptions, callbacks: [TrainingCallback]) {
        run = Run(title: title)
        self.options = options
        self.learner = learner
        self.hooks = options.callbacks + callbacks
    }

    func emit(_ event: TrainingEvent) throws {
        for hook in hooks where try hook(event, run) == .stop { stop = stop ?? .callback }
    }

    /// Adds an update's metrics to the averages of the next log.
    func accumulate(_ metrics: [String: Double]) {
        for (k, v) in metrics {
            let p = pending[k] ?? (0, 0)
            pending[k] = (p.sum + v, p.count + 1)
        }
    }

    /// Records a finished training episode.
    func episodeEnded(return r: Double, length: Int, step: Int) throws {
        run.recordEpisode(return: r, length: length, step: step)
        try emit(.episodeEnded(index: run.episodeReturns.count - 1, return: r, length: length))
        if let m = options.maxEpisodes, run.episodeReturns.count >= m { stop = stop ?? .completed }
    }

    /// Logs the averaged metrics, SPS and (for ε-greedy learners) ε at `step`.
    func log(step: Int) throws {
        var logged: [String: Double] = [:]
        for (k, p) in pending { logged[k] = p.sum / Double(p.count) }
        pending = [:]
        let now = Date()
        logged[Metric.stepsPerSecond] = Double(step - lastLogStep) / max(now.timeIntervalSince(lastLogTime), 1e-9)
        if let greedy = learner as? any EpsilonGreedy { logged[Metric.epsilon] = greedy.explorationRate }
        lastLogTime = now
        lastLogStep = step
        for k in logged.keys.sorted() { run.log(k, logged[k]!, step: step) }
        try emit(.logged(step: step, metrics: logged))
    }

    /// Evaluates `policy` if an evaluation is due at `step`.
    func evaluateIfDue<E: Environment>(step: Int, policy: () throws -> (any Policy)?, on environment: E?) throws {
        guard let e = options.evaluationInterval, step % e == 0, let environment, let p = try policy() else { return }
        let returns = try evaluate(p, on: environment, episodes: options.evaluationEpisodes, seed: options.seed &+ 1_000_003)
        let mean = returns.reduce(0, +) / Double(max(returns.count, 1))
        run.log(Metric.evaluationReturn, mean, step: step)
        try emit(.evaluated(step: step, meanReturn: mean))
    }

    /// Writes a checkpoint if one is due at `step`.
    func checkpointIfDue(step: Int, environment: String) throws {
        guard let c = options.checkpointInterval, let path = options.checkpointPath, step % c == 0 else { return }
        try learner.network.saveCheckpoint(to: path, metadata: [
            "algorithm": learner.algorithm, "environment": environment, "step": String(learner.stepCount),
        ])
        try emit(.checkpointed(step: step, path: path))
    }

    /// Notes a stop asked for from outside (Ctrl-C); true when training must stop now.
    func shouldStop() -> Bool {
        let asked = options.shouldStop?() == true
        if asked || options.stopSignal?.isSet == true { stop = stop ?? .interrupted }
        return stop != nil
    }

    /// The run, closed.
    func finish(steps: Int) -> Run {
        run.steps = steps
        run.stopReason = stop ?? .completed
        run.seconds = Date().timeIntervalSince(clock)
        return run
    }
}
