import Algorithms
import Environments
import NeuralNets
import TensorCore
import Testing

/// An on-policy learner that always listens (Tiger's action 0) and values every state at
/// 2, keeping a one-float "recurrent state" that counts its `act` calls, and recording
/// every rollout it is given: it lets the tests see exactly what the driver stores.
final class ScriptedOnPolicyLearner: OnPolicyLearner {
    let environmentCount: Int
    let rolloutLength: Int
    let sequenceLength: Int?
    let discount = 0.5
    var actCalls = 0
    var startsSeen: [[Bool]] = []
    var bootstrapRows: [[Int]] = []
    var rollouts: [RolloutBuffer] = []

    init(environments: Int, steps: Int, sequenceLength: Int?) {
        environmentCount = environments
        rolloutLength = steps
        self.sequenceLength = sequenceLength
    }

    var algorithm: String { "Scripted" }
    let network = Module()
    var stepCount: Int { actCalls * environmentCount }
    var updateCount: Int { rollouts.count }

    func checkCompatible(with environment: some BatchedEnvironment) throws {}
    func resetState() throws { actCalls = 0 }
    func act(_ observations: [Float], episodeStarts: [Bool]) throws -> PolicyStep {
        startsSeen.append(episodeStarts)
        actCalls += 1
        let n = environmentCount
        return PolicyStep(actions: [Float](repeating: 0, count: n), logProbs: [Float](repeating: -0.5, count: n),
                          values: [Float](repeating: 2, count: n))
    }
    func values(_ observations: [Float], rows: [Int]) throws -> [Float] {
        bootstrapRows.append(rows)
        return [Float](repeating: 2, count: rows.count)
    }
    func recurrentState() throws -> [Float] {
        sequenceLength == nil ? [] : [Float](repeating: Float(actCalls), count: environmentCount)
    }
    func learn(from rollout: RolloutBuffer, metrics: inout [String: Double]) throws {
        rollouts.append(rollout)
        metrics[Metric.policyLoss] = Double(rollouts.count)
    }
    func greedyPolicy() throws -> any Policy { AlwaysListen() }
}

final class AlwaysListen: Policy {
    func reset() throws {}
    func action(for observation: [Float]) throws -> Int { 0 }
}

/// An offline learner whose n-th update logs n.
final class CountingOfflineLearner: OfflineLearner {
    var updates = 0
    var algorithm: String { "Counting" }
    let network = Module()
    var stepCount: Int { 0 }
    var updateCount: Int { updates }
    func learn(metrics: inout [String: Double]) throws {
        updates += 1
        metrics[Metric.actionLoss] = Double(updates)
    }
    func evaluationPolicy() throws -> (any Policy)? { AlwaysListen() }
}

@Suite("Training drivers")
struct DriverTests {
    /// Two Tigers cut after 3 listens: every episode is 3 steps of reward −1, truncated.
    func tigers() throws -> VectorEnvironment<TimeLimit<Tiger>> {
        try VectorEnvironment(count: 2, autoresetMode: .sameStep) { (_: Int) throws(EnvironmentError) in try TimeLimit(Tiger(), maxEpisodeSteps: 3) }
    }

    @Test("The on-policy driver stores episode starts, folds γV(s_final) into truncated rewards and stores states at chunk starts")
    func onPolicyRollouts() throws {
        var env = try tigers()
        let learner = ScriptedOnPolicyLearner(environments: 2, steps: 4, sequenceLength: 2)
        var options = TrainingOptions()
        options.logInterval = 8
        let run = try train(learner, on: &env, steps: 17, options: options)   // two rollouts of 4 × 2; the rest is dropped
        #expect(run.steps == 16)
        #expect(run.stopReason == .completed)
        #expect(learner.rollouts.count == 2)
        let first = learner.rollouts[0]
        // Time-major [4, 2]: episodes start at steps 0 and 3 and end (truncated) at step 2.
        #expect(first.episodeStarts == [true, true, false, false, false, false, true, true])
        #expect(first.episodeEnds == [false, false, false, false, true, true, false, false])
        // The truncated step's reward is −1 + γ V(s_final) = −1 + 0.5 · 2 = 0.
        #expect(first.rewards == [-1, -1, -1, -1, 0, 0, -1, -1])
        #expect(first.logProbs.allSatisfy { $0 == -0.5 })
        // States before steps 0 and 2: the learner had acted 0 and 2 times.
        #expect(first.states == [0, 0, 2, 2])
        #expect(first.lastValues == [2, 2])
        // Bootstraps: both copies' final observations at step 2, then all copies for V(s_T).
        #expect(learner.bootstrapRows.first == [0, 1])
        // The learner saw the start flags it must reset its state by.
        #expect(learner.startsSeen.prefix(4).map { $0[0] } == [true, false, false, true])
        // Episode statistics use the raw rewards: 16 steps = 2 copies × 2 whole episodes (+ 2 steps).
        #expect(run.episodeReturns == [-3, -3, -3, -3])
        #expect(run.episodeLengths == [3, 3, 3, 3])
        #expect(run.values(Metric.policyLoss) == [1, 2])
        #expect(run.values(Metric.epsilon).isEmpty)          // not an ε-greedy learner
        #expect(!run.values(Metric.stepsPerSecond).isEmpty)
    }

    @Test("The on-policy driver stops between steps, does not learn from a partial rollout, and checks its inputs")
    func onPolicyStopping() throws {
        var env = try tigers()
        let learner = ScriptedOnPolicyLearner(environments: 2, steps: 4, sequenceLength: nil)
        let run = try train(learner, on: &env, steps: 80, callbacks: [{ event, _ in
            if case .episodeEnded = event { return .stop }
            return .continue
        }])
        #expect(run.stopReason == .callback)
        #expect(run.steps == 6)                         // the first episodes end at the third step
        #expect(learner.rollouts.isEmpty)
        #expect(run.episodeReturns == [-3, -3])          // both copies' episodes end in that step
        let wrong = ScriptedOnPolicyLearner(environments: 3, steps: 4, sequenceLength: nil)
        #expect(throws: AlgorithmError.self) { try train(wrong, on: &env, steps: 80) }
        var nextStep = try VectorEnvironment(count: 2) { (_: Int) throws(EnvironmentError) in try TimeLimit(Tiger(), maxEpisodeSteps: 3) }
        #expect(throws: (any Error).self) { try train(learner, on: &nextStep, steps: 80) }
    }

    @Test("The offline driver counts updates, averages metrics per log, evaluates and stops on request")
    func offline() throws {
        let learner = CountingOfflineLearner()
        var options = TrainingOptions()
        options.logInterval = 5
        options.evaluationInterval = 6
        options.evaluationEpisodes = 2
        let tiger = AnyEnvironment(try TimeLimit(Tiger(), maxEpisodeSteps: 4))
        let run = try train(learner, updates: 12, options: options, evaluationEnvironment: tiger)
        #expect(run.steps == 12 && learner.updates == 12)
        #expect(run.values(Metric.actionLoss) == [3, 8])             // means of 1…5 and 6…10
        #expect(run.values(Metric.evaluationReturn) == [-4, -4])     // four listens, at updates 6 and 12
        let signal = StopSignal()
        options.stopSignal = signal
        let stopped = try train(learner, updates: 100, options: options, callbacks: [{ event, _ in
            if case .logged = event { signal.stop() }
            return .continue
        }])
        #expect(stopped.stopReason == .interrupted && stopped.steps == 5)
    }
}
