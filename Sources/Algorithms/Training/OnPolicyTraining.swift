import Environments
import NeuralNets
import TensorCore

// The on-policy driver, shaped like CleanRL's ppo.py: N environments stepped together,
// rollouts of T steps collected with the learner's current policy, then one `learn` per
// rollout.
//
//     for each rollout:
//         collect: T steps of the N copies with the learner's policy (`RolloutCollector`:
//                  episode starts, states at chunk starts, truncation bootstraps, V(s_T))
//         learn:   the learner's update on the full buffer
//         log:     the update's metrics, SPS, finished episodes

/// Trains an on-policy `learner` on the N copies of `environment` for `steps` environment
/// steps in all (rounded down to whole rollouts of T × N steps) and returns the run.
///
/// Stopping early (a callback, Ctrl-C, `maxEpisodes`) happens between environment steps;
/// a partly collected rollout is not learned from, and the network keeps the weights of the
/// last update. `evaluationEnvironment`, when given, is where `evaluationInterval`
/// evaluates the greedy policy.
@discardableResult
public func train<B: BatchedEnvironment>(
    _ learner: any OnPolicyLearner, on environment: inout B, steps: Int, options: TrainingOptions = TrainingOptions(),
    evaluationEnvironment: AnyEnvironment? = nil, callbacks: [TrainingCallback] = []
) throws -> Run {
    let c = learner.algorithm
    try require(steps >= 0, c, "steps must be >= 0, got \(steps)")
    try options.validate(c)
    try require(environment.count == learner.environmentCount, c,
                "the learner steps \(learner.environmentCount) environments (n_envs) but \(environment.name) has \(environment.count)")
    try learner.checkCompatible(with: environment)
    let n = environment.count, T = learner.rolloutLength
    let recorder = RunRecorder(learner, title: "\(learner.algorithm) on \(environment.name)", options: options, callbacks: callbacks)
    let run = recorder.run

    try learner.beginTraining(steps: (steps / (T * n)) * T * n)
    var collector = try RolloutCollector(environment, seed: options.seed, discount: learner.discount)
    defer { environment = collector.environment }
    try learner.resetState()
    var buffer = try collector.makeBuffer(steps: T, sequenceLength: learner.sequenceLength, policy: learner)
    var step = 0, nextLog = options.logInterval

    for _ in 0..<(steps / (T * n)) {
        // Collect T steps of the N copies.
        let complete = try collector.collect(into: &buffer, with: learner, episodeEnded: { r, length in
            try recorder.episodeEnded(return: r, length: length, step: step + n)
        }, afterStep: {
            step += n
            run.steps = step
            return recorder.shouldStop()
        })
        guard complete else { break }

        // Learn from the full rollout.
        var metrics: [String: Double] = [:]
        try learner.learn(from: buffer, metrics: &metrics)
        recorder.accumulate(metrics)

        // Log once the interval is reached (at most once per rollout).
        if step >= nextLog {
            try recorder.log(step: step)
            while nextLog <= step { nextLog += options.logInterval }
        }
        if let e = options.evaluationInterval, step / e > (step - T * n) / e {
            try recorder.evaluateIfDue(step: e * (step / e), policy: { try learner.greedyPolicy() }, on: evaluationEnvironment)
        }
        if let k = options.checkpointInterval, step / k > (step - T * n) / k {
            try recorder.checkpointIfDue(step: k * (step / k), environment: environment.name)
        }
        if recorder.shouldStop() { break }
    }
    return recorder.finish(steps: step)
}

/// A callback that stops training once the mean return of the last `window` episodes
/// reaches `threshold` (the zoo's "solved": CartPole-v1 at 475 over 100 episodes).
public func stopWhenMeanReturn(_ threshold: Double, window: Int = 100) -> TrainingCallback {
    { event, run in
        guard case .episodeEnded = event, run.episodeReturns.count >= window else { return .continue }
        return (run.meanReturn(last: window) ?? -.infinity) >= threshold ? .stop : .continue
    }
}
