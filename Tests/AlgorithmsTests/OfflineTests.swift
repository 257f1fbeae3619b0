import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore
import Testing

// MARK: - Two small MDPs of the offline lesson

/// Two steps from s₀ through a shared state S: at s₀ action 1 pays 1, at S action 0 pays 1.
/// Observations one-hot over (s₀, S, end).
struct TwoStepMDP: Environment {
    var position = 0
    var phase = EpisodePhase.idle
    var name: String { "TwoStepMDP" }
    var observationSpace: Box { Box(low: 0, high: 1, shape: [3]) }
    var actionSpace: Discrete { Discrete(2) }
    var state: [Float] { [Float(position)] }
    mutating func reset(seed: UInt64?, options: ResetOptions, into o: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        position = 0
        phase = .running
        oneHot(0, count: 3, into: o)
        return Info()
    }
    mutating func step(_ action: Int, into o: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        try phase.check(name)
        let reward: Double = position == 0 ? (action == 1 ? 1 : 0) : (action == 0 ? 1 : 0)
        position += 1
        oneHot(position, count: 3, into: o)
        if position == 2 { phase = .finished }
        return StepResult(reward: reward, terminated: position == 2)
    }
    func render() -> String { "s\(position)" }
}

/// One step: action 0 pays +5 or −15, action 1 pays +1 or −6 (each with probability ½),
/// action 2 pays +1. Expected: −5, −2.5, +1.
struct Gamble: Environment {
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle
    var name: String { "Gamble" }
    var observationSpace: Box { Box(low: 1, high: 1, shape: [1]) }
    var actionSpace: Discrete { Discrete(3) }
    var state: [Float] { [] }
    mutating func reset(seed: UInt64?, options: ResetOptions, into o: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        phase = .running
        o[0] = 1
        return Info()
    }
    mutating func step(_ action: Int, into o: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        try phase.check(name)
        phase = .finished
        let lucky = rng.uniformDouble() < 0.5
        let reward: Double = action == 0 ? (lucky ? 5 : -15) : action == 1 ? (lucky ? 1 : -6) : 1
        o[0] = 1
        return StepResult(reward: reward, terminated: true)
    }
    func render() -> String { "gamble" }
}

func oneHot(_ i: Int, count: Int, into o: UnsafeMutableBufferPointer<Float>) {
    for k in 0..<count { o[k] = k == i ? 1 : 0 }
}

/// A scripted policy: plays `actions[t]` at step t of an episode.
final class ScriptedPolicy: Policy {
    let plans: [[Int]]
    var episode = -1
    var t = 0
    init(_ plans: [[Int]]) { self.plans = plans }
    func reset() throws { episode += 1; t = 0 }
    func action(for observation: [Float]) throws -> Int {
        defer { t += 1 }
        return plans[episode % plans.count][t]
    }
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("memento-\(UUID().uuidString)-\(name)").path
}

// MARK: - Datasets

@Suite("Trajectory datasets")
struct TrajectoryDatasetTests {
    /// Two episodes by hand: rewards [1, 0, 2] (terminated) and [5] (cut).
    func handMade() throws -> TrajectoryDataset {
        var d = try TrajectoryDataset(environment: "Hand", observationSize: 2, actionCount: 3)
        func step(_ o: Float, _ a: Float, _ r: Double, terminal: Bool = false) -> TrajectoryDataset.Step {
            .init(observation: [o, -o], action: [a], reward: r, nextObservation: [o + 1, -o - 1], terminal: terminal)
        }
        try d.append(episode: [step(0, 0, 1), step(1, 2, 0), step(2, 1, 2, terminal: true)])
        try d.append(episode: [step(10, 1, 5)])
        return d
    }

    @Test("Returns-to-go and timesteps restart with every episode")
    func layout() throws {
        let d = try handMade()
        // Episode 0: R̂ = [1 + 0 + 2, 0 + 2, 2] = [3, 2, 2]; episode 1: [5].
        #expect(d.returnsToGo == [3, 2, 2, 5])
        #expect(d.timesteps == [0, 1, 2, 0])
        #expect(d.episodeStarts == [0, 3])
        #expect(d.terminals == [false, false, true, false])
        #expect(d.episodeReturns == [3, 5])
        #expect(d.episodeEnd(ofRow: 1) == 2 && d.episodeEnd(ofRow: 3) == 3)
        #expect(d.observations == [0, 0, 1, -1, 2, -2, 10, -10])
    }

    @Test("filter_top keeps the best fraction of episodes, earlier ones on ties, in order")
    func filterTop() throws {
        var d = try TrajectoryDataset(environment: "Hand", observationSize: 1, actionCount: 2)
        for r in [1.0, 3, 2, 3] {
            try d.append(episode: [.init(observation: [Float(r)], action: [0], reward: r, nextObservation: [0], terminal: true)])
        }
        #expect(try d.filterTop(0.5).episodeReturns == [3, 3])
        #expect(try d.filterTop(0.75).episodeReturns == [3, 2, 3])
        #expect(try d.filterTop(0.01).episodeReturns == [3])          // at least one
        #expect(try d.filterTop(1).episodeReturns == [1, 3, 2, 3])
        #expect(throws: DatasetError.self) { try d.filterTop(0) }
        #expect(throws: DatasetError.self) { try d.filterTop(1.5) }
    }

    @Test("Save and load give the same dataset; bad files name the file and both sizes")
    func files() throws {
        let d = try handMade()
        let path = temporaryPath("data.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try d.save(to: path)
        let back = try TrajectoryDataset.load(from: path)
        #expect(back.observations == d.observations && back.nextObservations == d.nextObservations && back.actions == d.actions)
        #expect(back.rewards == d.rewards && back.terminals == d.terminals && back.timesteps == d.timesteps)
        #expect(back.returnsToGo == d.returnsToGo && back.episodeStarts == d.episodeStarts)
        #expect(back.environment == "Hand" && back.actionCount == 3 && back.observationSize == 2)

        // From another environment: observations of size 2 against Key-to-Door's 53.
        let env = try KeyToDoor()
        do {
            _ = try TrajectoryDataset.load(from: path, for: env)
            Issue.record("loading data of another environment must fail")
        } catch let e as DatasetError {
            #expect(e.message.contains(path) && e.message.contains("size 2") && e.message.contains("size 53"), "\(e)")
        }

        // Truncated: the file's size and the size its header announces.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
        do {
            _ = try TrajectoryDataset.load(from: path)
            Issue.record("a truncated file must fail")
        } catch let e as DatasetError {
            #expect(e.message.contains(path) && e.message.contains("\(bytes.count - 10) bytes") && e.message.contains("\(bytes.count) bytes"), "\(e)")
        }

        // A model checkpoint is not a dataset.
        var rng = RNG(seed: 0)
        try Linear(2, 2, rng: &rng).saveCheckpoint(to: path)
        #expect(throws: DatasetError.self) { try TrajectoryDataset.load(from: path) }
        #expect(throws: DatasetError.self) { try TrajectoryDataset.load(from: path + ".missing") }
    }

    @Test("collect records a policy's episodes, the same for the same seed")
    func collect() throws {
        let env = try KeyToDoor(roomSize: 3, keyRoomSteps: 3, distractorSteps: 3, doorRoomSteps: 3)
        let a = try TrajectoryDataset.collect(RandomPolicy(actions: env.actionSpace, seed: 1), on: env, episodes: 20, seed: 7)
        let b = try TrajectoryDataset.collect(RandomPolicy(actions: env.actionSpace, seed: 1), on: env, episodes: 20, seed: 7)
        #expect(a.episodeCount == 20 && a.observations == b.observations && a.actions == b.actions)
        #expect(a.timesteps.filter { $0 == 0 }.count == 20)
        // Every step's next observation is the following step's observation within an episode.
        let obs = a.observationSize
        for i in 0..<(a.count - 1) where a.timesteps[i + 1] != 0 {
            #expect(Array(a.nextObservations[(i * obs)..<((i + 1) * obs)]) == Array(a.observations[((i + 1) * obs)..<((i + 2) * obs)]))
        }
        #expect(zip(a.returnsToGo, returnsToGo(a.rewards.map(Double.init), episodeEnds: a.timesteps.indices.map { $0 + 1 == a.count || a.timesteps[$0 + 1] == 0 })).allSatisfy { abs(Double($0) - $1) < 1e-5 })
    }
}

// MARK: - Losses and the Decision Transformer's tokens

@Suite("Offline learners")
struct OfflineLearnerTests {
    @Test("The expectile loss against a hand computation, with its gradient")
    func expectile() throws {
        // u = [2, −1], τ = 0.8: (0.8 · 4 + 0.2 · 1) / 2 = 1.7; ∂/∂u = [2 · 0.8 · 2, 2 · 0.2 · (−1)] / 2 = [1.6, −0.2].
        let u = try Tensor([2, -1], shape: [2]).requiringGrad()
        let loss = try expectileLoss(u, tau: 0.8)
        #expect(abs(try loss.item() - 1.7) < 1e-6)
        try loss.backward()
        #expect(u.grad!.scalars.elementsEqual([1.6, -0.2]) { abs($0 - $1) < 1e-6 })
        // τ = 0.5 is half the squared error.
        #expect(abs(try expectileLoss(Tensor([3, -3], shape: [2]), tau: 0.5).item() - 4.5) < 1e-6)
        #expect(throws: AlgorithmError.self) { try expectileLoss(u, tau: 1) }
        // Advantage weights exp(β A), clipped.
        #expect(try advantageWeights(Tensor([0, 1, 10], shape: [3]), beta: 2, maxWeight: 100).scalars.elementsEqual([1, Float(exp(2.0)), 100]) { abs($0 - $1) < 1e-4 })
    }

    func smallModel(actions: Int? = 3, context: Int = 4) throws -> DecisionTransformerModel {
        var rng = RNG(seed: 3)
        return try DecisionTransformerModel(observationSize: 2, actionCount: actions, actionSize: 2, context: context, embedding: 8,
                                            layers: 1, heads: 2, maxTimestep: 10, rng: &rng)
    }

    @Test("Tokens interleave (R̂₁, s₁, a₁, R̂₂, s₂, a₂), each with its timestep's embedding")
    func interleaving() throws {
        let m = try smallModel()
        let returns = try Tensor([3, 2], shape: [1, 2])
        let states = try Tensor([1, 0, 0, 1], shape: [1, 2, 2])
        let actions = try Tensor([2, 1], shape: [1, 2])
        let tokens = try m.tokens(returns: returns, states: states, actions: actions, timesteps: [5, 6])   // [1, 6, 8]
        #expect(tokens.shape == [1, 6, 8])
        for (t, step) in [5, 6].enumerated() {
            let time = try m.embedTimestep.lookup([step], shape: [1])                                       // [1, 8]
            let expected = [
                try m.embedReturn(Tensor([returns.scalars[t]], shape: [1, 1])) + time,
                try m.embedState(Tensor(Array(states.scalars[(2 * t)..<(2 * t + 2)]), shape: [1, 2])) + time,
                try (m.embedAction as! Embedding).lookup([Int(actions.scalars[t])], shape: [1]) + time,
            ]
            for (k, e) in expected.enumerated() {
                let token = try tokens.narrow(axis: 1, start: 3 * t + k, length: 1).reshape([1, 8])
                #expect(token.isClose(to: try m.embedNorm(e), rtol: 1e-5, atol: 1e-5), "token \(3 * t + k)")
            }
        }
    }

    @Test("The action predicted at step t sees R̂ and s up to t, not aₜ or later steps; a longer context is refused")
    func causality() throws {
        let m = try smallModel()
        m.eval()
        func predict(_ returns: [Float], _ actions: [Float]) throws -> [Float] {
            try m(returns: Tensor(returns, shape: [1, 3]), states: Tensor([1, 0, 0, 1, 1, 1], shape: [1, 3, 2]),
                  actions: Tensor(actions, shape: [1, 3]), timesteps: [0, 1, 2]).scalars
        }
        let a = try predict([3, 2, 1], [0, 1, 2])
        let b = try predict([3, 2, 7], [1, 1, 0])        // a₀ and everything at step 2 changed
        // Step 0 sees only R̂₀, s₀: unchanged. Step 1 sees a₀: changed.
        #expect(Array(a[0..<3]) == Array(b[0..<3]))
        #expect(Array(a[3..<6]) != Array(b[3..<6]))
        #expect(throws: AlgorithmError.self) {
            try m(returns: Tensor.zeros([1, 5]), states: Tensor.zeros([1, 5, 2]), actions: Tensor.zeros([1, 5]), timesteps: [0, 1, 2, 3, 4])
        }
    }

    // MARK: - Learning

    @Test("BC clones a deterministic data policy; %BC keeps only the best episodes")
    func behaviourCloning() throws {
        // Gamble data from a random policy: BC learns ≈ uniform; 20%BC clones the episodes paid +5 (action 0).
        let env = Gamble()
        let data = try TrajectoryDataset.collect(RandomPolicy(actions: env.actionSpace, seed: 2), on: env, episodes: 300, seed: 1)
        var rng = RNG(seed: 4)
        var config = BehaviourCloningConfig()
        config.fraction = 0.1
        config.learningRate = 1e-2
        let bc = try BehaviourCloning(network: MLP([1, 16, 3], rng: &rng), dataset: data, config: config)
        #expect(bc.algorithm == "10%BC")
        #expect(bc.dataset.rewards.allSatisfy { $0 == 5 })
        try train(bc, updates: 200)
        let policy = try bc.evaluationPolicy()!
        #expect(try policy.action(for: [1]) == 0)
    }

    @Test("IQL takes the safe +1 in the gamble; the Decision Transformer asked for +5 gambles")
    func luck() throws {
        let env = Gamble()
        let data = try TrajectoryDataset.collect(RandomPolicy(actions: env.actionSpace, seed: 2), on: env, episodes: 600, seed: 1)
        var config = IQLConfig()
        config.hiddenSize = 32
        config.learningRate = 3e-3
        config.batchSize = 64
        config.expectile = 0.7
        let iql = try IQL(dataset: data, config: config)
        try train(iql, updates: 600)
        let (q, _, _) = try iql.values([1])
        #expect(q[2] > q[1] && q[1] > q[0], "Q ≈ [−5, −2.5, 1], got \(q)")
        #expect(try iql.evaluationPolicy()!.action(for: [1]) == 2)

        var dtConfig = DecisionTransformerConfig()
        dtConfig.context = 1
        dtConfig.embedding = 16
        dtConfig.layers = 1
        dtConfig.dropout = 0
        dtConfig.learningRate = 3e-3
        let dt = try DecisionTransformer(dataset: data, config: dtConfig)
        try train(dt, updates: 300)
        let returns = try dt.evaluate(on: env, targetReturn: 5, episodes: 200)
        #expect(try dt.policy(targetReturn: 5).action(for: [1]) == 0)
        let mean = returns.reduce(0, +) / Double(returns.count)
        #expect(mean < -3, "DT asked for +5 averages \(mean)")
        #expect(throws: AlgorithmError.self) { try dt.policy(targetReturn: .nan) }
    }

    @Test("IQL stitches two half-good trajectories into the optimum (2); DT asked for the best in the data gets 1")
    func stitching() throws {
        let env = TwoStepMDP()
        // τ₁ = (a₀: 0, a₀: +1) and τ₂ = (a₁: +1, a₁: 0): both return 1; stitched: a₁ then a₀ returns 2.
        let data = try TrajectoryDataset.collect(ScriptedPolicy([[0, 0], [1, 1]]), on: env, episodes: 100)
        #expect(Set(data.episodeReturns) == [1])
        var config = IQLConfig()
        config.hiddenSize = 32
        config.learningRate = 3e-3
        config.batchSize = 64
        config.expectile = 0.9
        config.gamma = 1
        let iql = try IQL(dataset: data, config: config)
        try train(iql, updates: 800)
        #expect(try evaluate(iql.evaluationPolicy()!, on: env, episodes: 2) == [2, 2])

        var dtConfig = DecisionTransformerConfig()
        dtConfig.context = 2
        dtConfig.embedding = 16
        dtConfig.layers = 1
        dtConfig.dropout = 0
        dtConfig.learningRate = 3e-3
        let dt = try DecisionTransformer(dataset: data, config: dtConfig)
        try train(dt, updates: 300)
        #expect(dt.defaultTarget == 1)
        #expect(try dt.evaluate(on: env, targetReturn: 1, episodes: 10).allSatisfy { $0 == 1 })
    }
}
