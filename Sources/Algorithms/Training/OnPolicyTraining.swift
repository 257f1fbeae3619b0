import Environments
import NeuralNets
import TensorCore

// The on-policy driver, shaped like CleanRL's ppo.py: N environments stepped together,
// rollouts of T steps collected with the learner's current policy, then one `learn` per
// rollout.
//
//     for each rollout:
//         collect: T times — store the state at chunk starts; a_t ~ π(·|s_t) for all N;
//                  step; fold γ V(s_final) into the reward of steps cut by a time limit;
//                  store (s_t, a_t, log μ(a_t|s_t), V(s_t), r_t, start_t, end_t)
//         learn:   bootstrap V(s_T); the learner's update on the full buffer
//         log:     the update's metrics, SPS, finished episodes
//
// Truncation: a step cut by a time limit ends the episode for the trace (nothing after it
// belongs to it) but its state was not terminal, so its reward gets γ V(s_final), where
// s_final is the observation the episode was cut on (Stable Baselines' treatment).

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
    let observationSize = environment.singleObservationSpace.size
    let recorder = RunRecorder(learner, title: "\(learner.algorithm) on \(environment.name)", options: options, callbacks: callbacks)
    let run = recorder.run

    let rollouts = steps / (T * n)
    try learner.beginTraining(steps: rollouts * T * n)
    try environment.reset(seed: options.seed)
    try learner.resetState()
    let stateRow = try learner.recurrentState()
    var buffer = try RolloutBuffer(steps: T, environments: n, observationSize: observationSize,
                                   actionWidth: environment.singleActionKind.width,
                                   stateSize: stateRow.count / n, sequenceLength: learner.sequenceLength)
    var starts = [Bool](repeating: true, count: n)
    var episodeReturns = [Double](repeating: 0, count: n), episodeLengths = [Int](repeating: 0, count: n)
    var step = 0, nextLog = options.logInterval

    rollout: for _ in 0..<rollouts {
        // Collect T steps of the N copies.
        buffer.reset()
        for t in 0..<T {
            if buffer.stateSize > 0, t % buffer.sequenceLength == 0 { try buffer.storeState(try learner.recurrentState()) }
            let observations = environment.observations
            let policy = try learner.act(observations, episodeStarts: starts)
            try environment.step(actionRows: policy.actions)
            var rewards = environment.rewards.map { Float($0) }
            let terminated = environment.terminations, truncated = environment.truncations
            let cut = (0..<n).filter { truncated[$0] && !terminated[$0] }
            if !cut.isEmpty {
                let finals = environment.finalObservations
                var rows = [Float]()
                rows.reserveCapacity(cut.count * observationSize)
                for i in cut { rows += finals[i * observationSize ..< (i + 1) * observationSize] }
                let v = try learner.values(rows, rows: cut)
                for (k, i) in cut.enumerated() { rewards[i] += Float(learner.discount) * v[k] }
            }
            let ends = (0..<n).map { terminated[$0] || truncated[$0] }
            try buffer.add(observations: observations, step: policy, rewards: rewards, episodeStarts: starts, episodeEnds: ends)
            starts = ends
            step += n
            run.steps = step
            let reported = environment.originalRewards
            for i in 0..<n {
                episodeReturns[i] += reported[i]
                episodeLengths[i] += 1
                if ends[i] {
                    try recorder.episodeEnded(return: episodeReturns[i], length: episodeLengths[i], step: step)
                    episodeReturns[i] = 0
                    episodeLengths[i] = 0
                }
            }
            if recorder.shouldStop() { break rollout }
        }

        // Learn from the full rollout.
        try buffer.finish(lastValues: try learner.values(environment.observations, rows: Array(0..<n)))
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
