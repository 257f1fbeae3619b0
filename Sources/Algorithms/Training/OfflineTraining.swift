import Environments
import NeuralNets
import TensorCore

// The offline driver: no environment to collect from. Each step is one update on a
// minibatch the learner draws from its dataset; the policy it extracts can be evaluated
// in an environment every `evaluationInterval` updates.
//
//     for u in 1 … updates:
//         learn:    one gradient update from the dataset
//         log:      the averaged metrics and updates per second every `logInterval`
//         evaluate: the learner's policy in `evaluationEnvironment`, when due

/// Trains an offline `learner` for `updates` gradient updates and returns the run (its
/// `steps` count updates; its episodes are empty: evaluations are logged under
/// `eval/episodic_return`).
@discardableResult
public func train(
    _ learner: any OfflineLearner, updates: Int, options: TrainingOptions = TrainingOptions(),
    evaluationEnvironment: AnyEnvironment? = nil, callbacks: [TrainingCallback] = []
) throws -> Run {
    try require(updates >= 0, learner.algorithm, "updates must be >= 0, got \(updates)")
    try options.validate(learner.algorithm)
    let recorder = RunRecorder(learner, title: "\(learner.algorithm) (offline)", options: options, callbacks: callbacks)
    var done = 0
    for u in stride(from: 1, through: updates, by: 1) {
        var metrics: [String: Double] = [:]
        try learner.learn(metrics: &metrics)
        recorder.accumulate(metrics)
        done = u
        recorder.run.steps = u
        if u % options.logInterval == 0 { try recorder.log(step: u) }
        try recorder.evaluateIfDue(step: u, policy: { try learner.evaluationPolicy() }, on: evaluationEnvironment)
        try recorder.checkpointIfDue(step: u, environment: "dataset")
        if recorder.shouldStop() { break }
    }
    return recorder.finish(steps: done)
}
