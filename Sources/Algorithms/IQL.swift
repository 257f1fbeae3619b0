import Configuration
import Environments
import NeuralNets
import TensorCore

// Implicit Q-Learning for discrete actions: Kostrikov, Nair & Levine, "Offline
// Reinforcement Learning with Implicit Q-Learning", ICLR 2022 (arXiv 2021). Q-learning
// that never evaluates an action outside the data: the max over next actions is replaced
// by an upper expectile of Q over the data's actions, learned by a separate V.
//
//     V:  L_V(ψ) = E_(s,a)~D [ L₂^τ( Q_θ̂(s, a) − V_ψ(s) ) ]                  (expectile τ)
//     Q:  L_Q(θ) = E_(s,a,r,s′)~D [ ( r + γ (1 − done) V_ψ(s′) − Q_θ(s, a) )² ]
//     π:  L_π(φ) = −E_(s,a)~D [ min(exp(β (Q_θ̂(s, a) − V_ψ(s))), 100) · log π_φ(a | s) ]
//
// θ̂ is a slowly updated copy of θ (Polyak averaging with rate α). τ = 0.5 makes V the
// data policy's value (SARSA); τ → 1 makes it the best value reachable within the data,
// which lets IQL stitch the good halves of different trajectories. The expectile loss and
// the advantage weights are in Losses/ExpectileLoss.swift, for ILQL to reuse.

/// IQL's settings, with the paper's symbols.
public struct IQLConfig: Configurable {
    /// γ, the discount factor.
    public var gamma: Double = 0.99
    /// τ, the expectile of V (0.7 in the paper's MuJoCo runs, 0.9 in AntMaze).
    public var expectile: Float = 0.7
    /// β, the inverse temperature of advantage-weighted regression (3 in MuJoCo).
    public var beta: Float = 3
    /// The clip of the advantage weights exp(β A).
    public var maxWeight: Float = 100
    /// Adam's learning rate for Q, V and π.
    public var learningRate: Float = 3e-4
    /// α, the rate of the target network's Polyak averaging θ̂ ← αθ + (1 − α)θ̂.
    public var targetUpdateRate: Float = 0.005
    /// Transitions per minibatch.
    public var batchSize: Int = 256
    /// The width of the two hidden layers of the default networks.
    public var hiddenSize: Int = 256
    /// The seed of the initialisation and minibatch sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// The settings as the language names them, each declared once (see `ConfigField`).
    public static let fields: [ConfigField<IQLConfig>] = [
            ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
            ConfigField("expectile", \.expectile, "τ, the expectile of V (0.5: the data's value; near 1: the best in the data)", .init(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)),
            ConfigField("beta", \.beta, "β, the inverse temperature of advantage-weighted regression", .nonNegative),
            ConfigField("max_weight", \.maxWeight, "the clip of the advantage weights exp(β A)", .positive),
            ConfigField("lr", \.learningRate, "Adam's learning rate for Q, V and π", .positive),
            ConfigField("target_update_rate", \.targetUpdateRate, "α, the Polyak rate of the target Q-network", .openClosed(0, 1)),
            ConfigField("batch_size", \.batchSize, "transitions per minibatch", .atLeast(1)),
            ConfigField("hidden_size", \.hiddenSize, "the width of the hidden layers of the networks", .atLeast(1)),
            ConfigField("seed", \.seed, "the seed of initialisation and sampling"),
    ]

    func validate() throws {
        let c = "IQL"
        try require(gamma >= 0 && gamma <= 1, c, "gamma must be in [0, 1], got \(gamma)")
        try require(expectile > 0 && expectile < 1, c, "expectile τ must be in (0, 1), got \(expectile)")
        try require(beta >= 0 && beta.isFinite, c, "beta must be >= 0, got \(beta)")
        try require(maxWeight > 0, c, "maxWeight must be > 0, got \(maxWeight)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(targetUpdateRate > 0 && targetUpdateRate <= 1, c, "targetUpdateRate must be in (0, 1], got \(targetUpdateRate)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        try require(hiddenSize >= 1, c, "hiddenSize must be >= 1, got \(hiddenSize)")
    }
}

/// Implicit Q-learning for a dataset with discrete actions.
public final class IQL: OfflineLearner {
    public let config: IQLConfig
    public let dataset: TrajectoryDataset
    /// Q_θ: [B, obs] → [B, A].
    public let qNetwork: any Layer
    /// V_ψ: [B, obs] → [B, 1].
    public let valueNetwork: any Layer
    /// π_φ: [B, obs] → [B, A] logits.
    public let policyNetwork: any Layer
    /// Q_θ̂.
    public let target: TargetNetwork
    let qOptimizer: Adam, valueOptimizer: Adam, policyOptimizer: Adam
    /// The three networks, for checkpoints.
    let all = Module()
    var rng: RNG
    public private(set) var updateCount = 0

    public var algorithm: String { "IQL" }
    public var network: Module { all }
    public var stepCount: Int { 0 }

    /// IQL with MLPs obs → hidden → hidden → output (ReLU) for Q, V and π.
    public convenience init(dataset: TrajectoryDataset, config: IQLConfig = IQLConfig()) throws {
        try config.validate()
        guard let n = dataset.actionCount else { throw AlgorithmError("IQL", "needs discrete actions, but the dataset's actions are \(dataset.actionSize) floats") }
        var rng = RNG(seed: config.seed &+ 0x1A1)
        let sizes = [dataset.observationSize, config.hiddenSize, config.hiddenSize]
        try self.init(dataset: dataset, q: MLP(sizes + [n], rng: &rng), value: MLP(sizes + [1], rng: &rng),
                      policy: MLP(sizes + [n], rng: &rng), config: config)
    }

    public init(dataset: TrajectoryDataset, q: any Layer, value: any Layer, policy: any Layer, config: IQLConfig = IQLConfig()) throws {
        try config.validate()
        guard let n = dataset.actionCount else { throw AlgorithmError("IQL", "needs discrete actions, but the dataset's actions are \(dataset.actionSize) floats") }
        try require(dataset.count > 0, "IQL", "the dataset is empty")
        for (name, net, width) in [("Q-network", q, n), ("value network", value, 1), ("policy network", policy, n)] {
            let out: Tensor
            do { out = try noGrad { try net(Tensor.zeros([1, dataset.observationSize])) } } catch {
                throw AlgorithmError("IQL", "the \(name) \(net.typeName) does not accept observations of size \(dataset.observationSize): \(error)")
            }
            try require(out.shape == [1, width], "IQL", "the \(name) \(net.typeName) outputs shape \(shapeString(out.shape)) for one observation, expected [1, \(width)]")
        }
        self.config = config
        self.dataset = dataset
        qNetwork = q
        valueNetwork = value
        policyNetwork = policy
        target = try TargetNetwork(of: q)
        qOptimizer = try Adam(q, learningRate: config.learningRate)
        valueOptimizer = try Adam(value, learningRate: config.learningRate)
        policyOptimizer = try Adam(policy, learningRate: config.learningRate)
        rng = RNG(seed: config.seed)
        all.addChild("q", q)
        all.addChild("value", value)
        all.addChild("policy", policy)
    }

    /// A minibatch of transitions: s [B, obs], a [B, 1], r [B], done [B], s′ [B, obs].
    func sample() throws -> (s: Tensor, a: Tensor, r: Tensor, done: Tensor, next: Tensor) {
        let d = dataset, B = config.batchSize, obs = d.observationSize
        var s = [Float](), next = [Float](), a = [Float](), r = [Float](), done = [Float]()
        s.reserveCapacity(B * obs); next.reserveCapacity(B * obs)
        for _ in 0..<B {
            let i = rng.int(below: d.count)
            s += d.observations[(i * obs) ..< ((i + 1) * obs)]
            next += d.nextObservations[(i * obs) ..< ((i + 1) * obs)]
            a.append(d.actions[i])
            r.append(d.rewards[i])
            done.append(d.terminals[i] ? 1 : 0)
        }
        return (try Tensor(s, shape: [B, obs]), try Tensor(a, shape: [B, 1]), try Tensor(r, shape: [B]),
                try Tensor(done, shape: [B]), try Tensor(next, shape: [B, obs]))
    }

    public func learn(metrics: inout [String: Double]) throws {
        let batch = try sample()
        let B = config.batchSize

        // V: expectile regression towards Q_θ̂(s, a).
        let targetQ = try noGrad { try target.evaluate { try qNetwork(batch.s) }.gather(axis: 1, batch.a).reshape([B]) }  // [B]
        let v = try valueNetwork(batch.s).reshape([B])                                                                    // [B]
        let valueLoss = try expectileLoss(targetQ - v, tau: config.expectile)
        valueOptimizer.zeroGrad()
        try valueLoss.backward()
        try valueOptimizer.step()

        // Q: y = r + γ (1 − done) V(s′).
        let nextV = try noGrad { try valueNetwork(batch.next).reshape([B]) }                                              // [B]
        let y = try batch.r + nextV * batch.done.subtracted(from: 1) * Float(config.gamma)                                 // [B]
        let q = try qNetwork(batch.s).gather(axis: 1, batch.a).reshape([B])                                               // [B]
        let qLoss = try mseLoss(q, y)
        qOptimizer.zeroGrad()
        try qLoss.backward()
        try qOptimizer.step()
        try target.sync(tau: config.targetUpdateRate)

        // π: advantage-weighted regression with the advantages of the V before its step.
        let weights = try advantageWeights(targetQ - v.detached(), beta: config.beta, maxWeight: config.maxWeight)        // [B]
        let logLikelihoodLoss = try crossEntropyLoss(logits: policyNetwork(batch.s), targets: batch.a.reshape([B]), reduction: .none)  // [B]
        let policyLoss = try (weights * logLikelihoodLoss).mean()
        policyOptimizer.zeroGrad()
        try policyLoss.backward()
        try policyOptimizer.step()
        updateCount += 1

        metrics[Metric.valueLoss] = Double(try valueLoss.item())
        metrics[Metric.qLoss] = Double(try qLoss.item())
        metrics[Metric.policyLoss] = Double(try policyLoss.item())
        metrics[Metric.qValues] = Double(try q.mean().item())
    }

    /// Q_θ(s, ·), V_ψ(s) and π_φ(· | s) of one observation.
    public func values(_ observation: [Float]) throws -> (q: [Float], v: Float, policy: [Float]) {
        try noGrad {
            let s = try Tensor(observation, shape: [1, dataset.observationSize])
            return (try qNetwork(s).scalars, try valueNetwork(s).item(), try policyNetwork(s).softmax(axis: 1).scalars)
        }
    }

    public func evaluationPolicy() throws -> (any Policy)? { IQLPolicy(learner: self) }
}

/// argmax_a π_φ(a | s): IQL's extracted policy, acting greedily.
final class IQLPolicy: Policy {
    let learner: IQL
    init(learner: IQL) { self.learner = learner }
    func reset() throws {}
    func action(for observation: [Float]) throws -> Int {
        let logits = try noGrad { try learner.policyNetwork(Tensor(observation, shape: [1, learner.dataset.observationSize])).scalars }
        return logits.withUnsafeBufferPointer(greedyIndex)
    }
}
