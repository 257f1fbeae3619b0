import Environments
import NeuralNets
import TensorCore

// The off-policy driver: one environment, one step at a time. The learner acts, records
// the outcome in its replay memory and learns when its schedule says so (DQN every few
// steps, DRQN at the end of each episode).

/// Trains `learner` on `environment` for at most `steps` environment steps and returns the
/// run with its history.
///
/// Stopping early (a callback, `stopSignal`, `shouldStop`, `maxEpisodes`) happens between
/// steps, so the learner's network is always in a consistent, usable state afterwards, and
/// a later `train` call continues from it (schedules continue from the learner's counters).
/// Throws when the learner cannot act in the environment (naming both), or for an invalid
/// option.
@discardableResult
public func train<E: Environment>(
    _ learner: any OffPolicyLearner, on environment: E, steps: Int, options: TrainingOptions = TrainingOptions(),
    callbacks: [TrainingCallback] = []
) throws -> Run {
    try require(steps >= 0, learner.algorithm, "steps must be >= 0, got \(steps)")
    try options.validate(learner.algorithm)
    try learner.checkCompatible(with: environment)
    let recorder = RunRecorder(learner, title: "\(learner.algorithm) on \(environment.name)", options: options, callbacks: callbacks)
    let run = recorder.run
    var env = environment
    var observation = try env.reset(seed: options.seed).observation
    try learner.startEpisode(observation: observation)
    var episodeReturn = 0.0, episodeLength = 0

    for step in stride(from: 1, through: steps, by: 1) {
        // Rollout: one environment step.
        let action = try learner.act(observation)
        var next = observation
        let result = try env.step(action, into: &next)
        try learner.record(reward: result.reward, nextObservation: next, terminated: result.terminated, truncated: result.truncated)
        episodeReturn += result.reward
        episodeLength += 1
        observation = next
        run.steps = step

        // Update: whatever the learner's schedule makes due now.
        var metrics: [String: Double] = [:]
        try learner.learn(metrics: &metrics)
        recorder.accumulate(metrics)

        // Logging.
        if result.done {
            try recorder.episodeEnded(return: episodeReturn, length: episodeLength, step: step)
            episodeReturn = 0
            episodeLength = 0
            observation = try env.reset().observation
            try learner.startEpisode(observation: observation)
        }
        if step % options.logInterval == 0 { try recorder.log(step: step) }
        try recorder.evaluateIfDue(step: step, policy: { try learner.greedyPolicy() }, on: environment)
        try recorder.checkpointIfDue(step: step, environment: environment.name)
        if recorder.shouldStop() { break }
    }
    return recorder.finish(steps: run.steps)
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
