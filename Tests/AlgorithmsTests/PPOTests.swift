import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore
import Testing

/// N copies of a one-step task with a continuous action: observe a target x ~ U(−1, 1),
/// act a ∈ ℝ, get −(clip(a, −1, 1) − x)²; every step ends its episode.
struct TargetReach: BatchedEnvironment {
    let count: Int
    var rng = RNG(seed: 0)
    var observations: [Float] = []
    var rewards: [Double] = []
    var terminations: [Bool] = []
    var truncations: [Bool] { [Bool](repeating: false, count: count) }
    var finalObservations: [Float] = []
    var name: String { "TargetReach(\(count))" }
    var singleObservationSpace: Box { Box(low: -1, high: 1, shape: [1]) }
    var singleActionKind: ActionSpace { .box(Box(low: -1, high: 1, shape: [1])) }

    init(count: Int) { self.count = count }

    mutating func reset(seed: UInt64?) throws {
        if let seed { rng = RNG(seed: seed) }
        observations = (0..<count).map { _ in Float(rng.uniformDouble() * 2 - 1) }
        rewards = [Double](repeating: 0, count: count)
        terminations = [Bool](repeating: false, count: count)
    }

    mutating func step(actionRows actions: [Float]) throws {
        finalObservations = observations
        rewards = (0..<count).map { i in
            let a = Double(Swift.min(Swift.max(actions[i], -1), 1))
            return -(a - Double(observations[i])) * (a - Double(observations[i]))
        }
        terminations = [Bool](repeating: true, count: count)
        observations = (0..<count).map { _ in Float(rng.uniformDouble() * 2 - 1) }
    }
}

/// Position-only CartPole-v1 (500 steps, reward 1 a step), the zoo's CartPoleNoVel.
func cartPoleNoVelocity() throws(EnvironmentError) -> MaskObservation<CartPole> {
    try MaskObservation(try CartPole(), indices: CartPole.velocityIndices, mode: .drop)
}

/// The RL Zoo's PPO settings for CartPole (and CartPoleNoVel with a recurrent network):
/// 8 copies, T = 32, batch 256, γ 0.98, λ 0.8, 20 epochs, α and ε from 1e-3 and 0.2
/// decaying linearly, no entropy bonus.
func zooConfig(seed: UInt64) -> PPOConfig {
    var c = PPOConfig()
    c.environmentCount = 8
    c.rolloutLength = 32
    c.batchSize = 256
    c.gamma = 0.98
    c.lambda = 0.8
    c.epochs = 20
    c.learningRate = 1e-3
    c.annealClipRange = true
    c.entropyCoefficient = 0
    c.seed = seed
    return c
}

@Suite("PPO and A2C")
struct PPOTests {
    @Test("The clipped surrogate and its gradient match a hand computation")
    func clippedObjective() throws {
        // Ratios 1.5, 0.5, 1.1, 0.7 with advantages 1, 1, −1, −1 and ε = 0.2:
        //   1.5·1 is clipped to 1.2 (gradient 0); 0.5·1 is below the clipped 0.8 (kept);
        //   1.1·(−1) is inside the range (kept); 0.7·(−1) = −0.7 > −0.8 (clipped, gradient 0).
        // −L = mean(−1.2, −0.5, 1.1, 0.8) = 0.05; ∂/∂log π = −Â r / 4 where kept.
        let logProbs = try Tensor([1.5, 0.5, 1.1, 0.7].map { Float(Foundation.log($0)) }, shape: [4]).requiringGrad()
        let loss = try clippedSurrogateLoss(logProbs: logProbs, oldLogProbs: Tensor.zeros([4]),
                                            advantages: Tensor([1, 1, -1, -1], shape: [4]), clipRange: 0.2)
        #expect(abs(try loss.item() - 0.05) < 1e-6)
        try loss.backward()
        let g = try #require(logProbs.grad).scalars
        for (got, want) in zip(g, [0, -0.125, 0.275, 0] as [Float]) { #expect(abs(got - want) < 1e-6, "\(g)") }
    }

    @Test("A recurrent policy re-run from the stored state with the resets reproduces what it did when acting")
    func maskedReset() throws {
        // Short CartPole episodes under a random policy: several episode starts fall inside
        // every sequence of L = 16.
        var config = PPOConfig()
        config.environmentCount = 4
        config.rolloutLength = 32
        config.sequenceLength = 16
        var rng = RNG(seed: 5)
        let net = try ActorCriticNetwork(observationSize: 2, policySize: 2, hidden: [16], activation: "relu",
                                         cell: .lstm, recurrentSize: 16, rng: &rng)
        var env = try VectorEnvironment(count: 4, autoresetMode: .sameStep) { _ throws(EnvironmentError) in try cartPoleNoVelocity() }
        let agent = try PPO(actorCritic: net, environment: env, config: config)

        // One rollout, collected as the on-policy driver does.
        try env.reset(seed: 1)
        try agent.resetState()
        var buffer = try RolloutBuffer(steps: 32, environments: 4, observationSize: 2, actionWidth: 1,
                                       stateSize: try agent.recurrentState().count / 4, sequenceLength: 16)
        var starts = [Bool](repeating: true, count: 4)
        for t in 0..<32 {
            if t % 16 == 0 { try buffer.storeState(try agent.recurrentState()) }
            let obs = env.observations
            let step = try agent.act(obs, episodeStarts: starts)
            try env.step(actionRows: step.actions)
            let ends = (0..<4).map { env.terminations[$0] || env.truncations[$0] }
            try buffer.add(observations: obs, step: step, rewards: env.rewards.map(Float.init), episodeStarts: starts, episodeEnds: ends)
            starts = ends
        }
        #expect(buffer.episodeStarts.filter { $0 }.count >= 8)

        // Re-run all 8 sequences in one batch from their stored states.
        let s = try buffer.sequences(Array(0..<8))
        let template = try net.initialState(batch: 8)
        func rerun(resets: Tensor?) throws -> (logProbs: [Float], values: [Float]) {
            let h = s.states
            var offset = 0
            var state: [RecurrentState] = []
            for part in template {   // the actor's (h, c), then the critic's
                let hs = part.h.shape[1], width = 2 * hs, size = h.count / 8
                var hv = [Float](), cv = [Float]()
                for b in 0..<8 {
                    hv += h[b * size + offset ..< b * size + offset + hs]
                    cv += h[b * size + offset + hs ..< b * size + offset + width]
                }
                state.append(RecurrentState(h: try Tensor(hv, shape: [8, hs]), c: try Tensor(cv, shape: [8, hs])))
                offset += width
            }
            let out = try noGrad { try net.forward(s.observations, state: state, resets: resets) }
            let logProbs = try Categorical(logits: out.policy.reshape([128, 2])).logProb(s.actions.reshape([128]))
            return (logProbs.scalars, try out.values.reshape([128]).scalars)
        }
        let acting = (s.rowIndices.map { buffer.logProbs[$0] }, s.rowIndices.map { buffer.values[$0] })
        let masked = try rerun(resets: s.resets)
        let maxGap = zip(masked.logProbs + masked.values, acting.0 + acting.1).map { abs($0 - $1) }.max()!
        #expect(maxGap < 1e-5, "re-run differs from acting by \(maxGap)")
        // Without the resets, the state leaks across episode starts and the outputs differ.
        let leaked = try rerun(resets: nil)
        let leakGap = zip(leaked.values, acting.1).map { abs($0 - $1) }.max()!
        #expect(leakGap > 1e-3, "without resets the re-run should differ, got \(leakGap)")
    }

    @Test("Bad configurations are refused at construction, naming both sides")
    func constructionErrors() throws {
        var rng = RNG(seed: 0)
        let env = try VectorEnvironment(count: 4, autoresetMode: .sameStep) { _ throws(EnvironmentError) in try CartPole() }
        let mlp = try MLP([4, 16, 2], rng: &rng)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        // A continuous head on a discrete environment.
        var continuous = PPOConfig()
        continuous.distribution = .diagonalNormal
        let m1 = message { _ = try PPO(network: mlp, environment: env, config: continuous) }
        #expect(m1.contains("diagonal Normal") && m1.contains("CartPole") && m1.contains("Discrete(2)"), "\(m1)")
        // n_steps × n_envs not divisible into the minibatches asked for.
        var odd = PPOConfig()
        odd.rolloutLength = 30
        odd.batchSize = 64
        let m2 = message { _ = try PPO(network: mlp, environment: env, config: odd) }
        #expect(m2.contains("30 × 4 = 120") && m2.contains("batch_size 64"), "\(m2)")
        odd.batchSize = 512
        let m3 = message { _ = try PPO(network: mlp, environment: env, config: odd) }
        #expect(m3.contains("larger than the rollout"), "\(m3)")
        // A recurrent policy learns from whole sequences: batch_size must be a multiple of L.
        let lstm = try ActorCriticNetwork(observationSize: 4, policySize: 2, cell: .lstm, recurrentSize: 8, rng: &rng)
        var seq = PPOConfig()
        seq.sequenceLength = 16
        seq.batchSize = 100
        let m4 = message { _ = try PPO(actorCritic: lstm, environment: env, config: seq) }
        #expect(m4.contains("multiple of sequence_length (16)"), "\(m4)")
        // The network's output must fit the actions.
        let wide = try MLP([4, 16, 3], rng: &rng)
        let m5 = message { _ = try PPO(network: wide, environment: env) }
        #expect(m5.contains("[1, 2, 3]") && m5.contains("Discrete(2)"), "\(m5)")
        // The network must take the observations.
        let narrow = try MLP([3, 16, 2], rng: &rng)
        let m6 = message { _ = try PPO(network: narrow, environment: env) }
        #expect(m6.contains("observations of size 4"), "\(m6)")
        // A recurrent policy given observations without a time axis.
        let m7 = message { _ = try lstm.forward(Tensor.zeros([5, 4]), state: nil, resets: nil) }
        #expect(m7.contains("[batch, time, observation size]") && m7.contains("[5, 4]") && m7.contains("no time axis"), "\(m7)")
        // A pipeline must end in a Linear layer.
        let m8 = message { _ = try PPO(network: Sequential([try Linear(4, 2, rng: &rng), Activation.tanh]), environment: env) }
        #expect(m8.contains("must end in a Linear layer"), "\(m8)")
    }

    @Test("A diagonal Normal policy learns a continuous action")
    func continuousActions() throws {
        var config = PPOConfig()
        config.environmentCount = 8
        config.rolloutLength = 16
        config.minibatches = 2
        config.epochs = 10
        config.learningRate = 3e-3
        config.entropyCoefficient = 0
        config.gamma = 0
        config.initialLogStd = -0.5
        var rng = RNG(seed: 1)
        let net = try ActorCriticNetwork(observationSize: 1, policySize: 1, hidden: [16], rng: &rng)
        var env = TargetReach(count: 8)
        let agent = try PPO(actorCritic: net, environment: env, config: config)
        #expect(agent.isContinuous)
        var options = TrainingOptions()
        options.logInterval = 128
        let run = try train(agent, on: &env, steps: 128 * 40, options: options)
        let returns = run.episodeReturns
        let first = returns.prefix(256).reduce(0, +) / 256, last = returns.suffix(256).reduce(0, +) / 256
        // Actions around 0 with σ ≈ 0.6 cost about 0.3 (after clipping); the learned mean tracks x.
        #expect(first < -0.2 && last > -0.08, "mean reward first \(first), last \(last)")
        #expect(try #require(agent.logStd).value.scalars[0] < -0.5)
        #expect(throws: AlgorithmError.self) { _ = try agent.greedyPolicy() }
    }

    @Test("PPO with the zoo's settings solves CartPole-v1")
    func ppoSolvesCartPole() throws {
        var rng = RNG(seed: 0)
        let net = try ActorCriticNetwork(observationSize: 4, policySize: 2, hidden: [64, 64], rng: &rng)
        let agent = try PPO(actorCritic: net, environment: try PPO.vectorize(try CartPole(), zooConfig(seed: 0)), config: zooConfig(seed: 0))
        var options = TrainingOptions()
        options.logInterval = 2048
        let run = try train(agent, on: try CartPole(), steps: 60_000, options: options, callbacks: [stopWhenMeanReturn(475, window: 20)])
        #expect(run.stopReason == .callback, "not solved: \(run)")
        for key in [Metric.policyLoss, Metric.valueLoss, Metric.entropy, Metric.approxKL, Metric.clipFraction, Metric.stepsPerSecond] {
            #expect(!run.values(key).isEmpty, "\(key) not logged")
        }
        #expect(run.values(Metric.epsilon).isEmpty)
        let greedy = try evaluate(try agent.greedyPolicy(), on: try CartPole(), episodes: 5)
        #expect(greedy.reduce(0, +) / 5 >= 400, "\(greedy)")
    }

    @Test("Recurrent PPO beats feed-forward PPO on position-only CartPole")
    func recurrentBeatsFeedForward() throws {
        // The lesson's settings: the zoo's, with sequences of L = 8 in 4 minibatches, 10 epochs.
        var config = zooConfig(seed: 0)
        config.sequenceLength = 8
        config.batchSize = 64
        config.epochs = 10
        config.normalizeObservations = true
        config.normalizeRewards = true
        let env = try cartPoleNoVelocity()
        func bestMean(_ r: [Double], _ w: Int = 20) -> Double {
            guard r.count >= w else { return 0 }
            return (0...(r.count - w)).map { r[$0 ..< $0 + w].reduce(0, +) / Double(w) }.max()!
        }
        var rng = RNG(seed: 0)
        let mlp = try ActorCriticNetwork(observationSize: 2, policySize: 2, hidden: [64, 64], rng: &rng)
        let lstm = try ActorCriticNetwork(observationSize: 2, policySize: 2, hidden: [64], activation: "relu",
                                          cell: .lstm, recurrentSize: 64, rng: &rng)
        var options = TrainingOptions()
        options.logInterval = 1 << 30
        let copies = try PPO.vectorize(env, config)
        let ff = try train(try PPO(actorCritic: mlp, environment: copies, config: config), on: env, steps: 30_000, options: options)
        let recurrent = try train(try PPO(actorCritic: lstm, environment: copies, config: config), on: env, steps: 30_000, options: options)
        let (f, r) = (bestMean(ff.episodeReturns), bestMean(recurrent.episodeReturns))
        #expect(f < 150, "feed-forward best mean of 20 episodes \(f)")
        #expect(r > 2 * f && r > 250, "recurrent \(r) against feed-forward \(f)")
    }

    @Test("A2C learns CartPole (Stable Baselines' defaults, 8 copies)")
    func a2cLearns() throws {
        var config = PPOConfig.a2c()
        config.environmentCount = 8
        var rng = RNG(seed: 0)
        let net = try ActorCriticNetwork(observationSize: 4, policySize: 2, hidden: [64, 64], rng: &rng)
        let agent = try PPO(actorCritic: net, environment: try PPO.vectorize(try CartPole(), config), config: config)
        #expect(agent.algorithm == "A2C")
        var options = TrainingOptions()
        options.logInterval = 1 << 30
        let run = try train(agent, on: try CartPole(), steps: 40_000, options: options)
        let first = run.episodeReturns.prefix(50).reduce(0, +) / 50
        let last = try #require(run.meanReturn(last: 20))
        #expect(last > 150 && last > 4 * first, "first 50 episodes \(first), last 20 \(last)")
        #expect(run.values(Metric.approxKL).isEmpty, "A2C has no ratio to clip")
    }
}
