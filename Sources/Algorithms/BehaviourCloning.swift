import Configuration
import Environments
import NeuralNets
import TensorCore

// Behaviour cloning: supervised learning of the data's actions from its observations,
// π = argmax_θ Σ log π_θ(a_i | s_i) (cross-entropy on discrete actions, squared error on
// continuous ones). Two variants from the Decision Transformer paper (Chen et al. 2021):
//
//   - on a context window: the policy sees the last K observations of the episode side by
//     side (zeros before its start), as DQN sees a frame stack;
//   - %BC: cloning only the top `fraction` of the episodes by return (`filterTop`).
//
// It clones whatever made the data, good or bad: from random trajectories it learns a
// random policy, which is the baseline the Decision Transformer is measured against.

/// Behaviour cloning's settings.
public struct BehaviourCloningConfig: Configurable {
    /// K, the observations the policy sees (1: the current one only).
    public var context: Int = 1
    /// Clone only this fraction of the episodes with the highest returns (%BC); 1 clones all.
    public var fraction: Double = 1
    /// α, Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// Steps per minibatch.
    public var batchSize: Int = 64
    /// Clip the gradient's global norm to this (nil: no clipping).
    public var maxGradNorm: Float? = 1
    /// The seed of minibatch sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// The settings as the language names them, each declared once (see `ConfigField`).
    public static let fields: [ConfigField<BehaviourCloningConfig>] = [
            ConfigField("context", \.context, "K, the observations the policy sees side by side (1: the current one)", .atLeast(1)),
            ConfigField("fraction", \.fraction, "clone only this fraction of the episodes with the highest returns (%BC)", .openClosed(0, 1)),
            ConfigField("lr", \.learningRate, "α, Adam's learning rate", .positive),
            ConfigField("batch_size", \.batchSize, "steps per minibatch", .atLeast(1)),
            ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: never)", .positive),
            ConfigField("seed", \.seed, "the seed of minibatch sampling"),
    ]

    func validate() throws {
        let c = "BC"
        try require(context >= 1, c, "context must be >= 1, got \(context)")
        try require(fraction > 0 && fraction <= 1, c, "fraction must be in (0, 1], got \(fraction)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        if let m = maxGradNorm { try require(m > 0, c, "maxGradNorm must be > 0, got \(m)") }
    }
}

/// Behaviour cloning (and %BC) of a dataset's actions by any network
/// [B, K · obs] → [B, A] (action logits, or continuous actions of A floats).
public final class BehaviourCloning: OfflineLearner {
    public let config: BehaviourCloningConfig
    /// The data cloned (already filtered for %BC).
    public let dataset: TrajectoryDataset
    public let policyNetwork: any Layer
    public let optimizer: Adam
    var rng: RNG
    public private(set) var updateCount = 0

    public var algorithm: String { config.fraction < 1 ? "\(Int((config.fraction * 100).rounded()))%BC" : "BC" }
    public var network: Module { policyNetwork }
    public var stepCount: Int { 0 }

    public init(network: any Layer, dataset: TrajectoryDataset, config: BehaviourCloningConfig = BehaviourCloningConfig()) throws {
        try config.validate()
        self.config = config
        self.dataset = config.fraction < 1 ? try dataset.filterTop(config.fraction) : dataset
        try require(self.dataset.count > 0, "BC", "the dataset is empty")
        let inputs = config.context * dataset.observationSize
        let outputs = dataset.actionCount ?? dataset.actionSize
        let probe: Tensor
        do { probe = try noGrad { try network(Tensor.zeros([1, inputs])) } } catch {
            throw AlgorithmError("BC", "the network \(network.typeName) does not accept \(config.context) observation\(config.context == 1 ? "" : "s") of size \(dataset.observationSize) side by side (as [batch, \(inputs)]): \(error)")
        }
        try require(probe.shape == [1, outputs], "BC", "the network \(network.typeName) outputs shape \(shapeString(probe.shape)) for one input, but the data has \(dataset.actionCount.map { "\($0) actions" } ?? "actions of \(outputs) floats"): expected [1, \(outputs)]")
        policyNetwork = network
        optimizer = try Adam(network, learningRate: config.learningRate)
        rng = RNG(seed: config.seed)
    }

    /// The window of K observations ending at row `i` of `data`, zeros before its episode's start.
    static func window(_ data: TrajectoryDataset, row i: Int, context k: Int, into out: inout [Float]) {
        let obs = data.observationSize
        let t = data.timesteps[i]
        for j in 0..<k {
            let back = k - 1 - j
            guard back <= t else { out.append(contentsOf: repeatElement(0, count: obs)); continue }
            let r = i - back
            out.append(contentsOf: data.observations[(r * obs) ..< ((r + 1) * obs)])
        }
    }

    public func learn(metrics: inout [String: Double]) throws {
        let d = dataset, B = config.batchSize, k = config.context
        var inputs: [Float] = []
        inputs.reserveCapacity(B * k * d.observationSize)
        var targets: [Float] = []
        for _ in 0..<B {
            let i = rng.int(below: d.count)
            Self.window(d, row: i, context: k, into: &inputs)
            targets += d.actions[(i * d.actionSize) ..< ((i + 1) * d.actionSize)]
        }
        let x = try Tensor(inputs, shape: [B, k * d.observationSize])                    // [B, K·obs]
        let out = try policyNetwork(x)                                                    // [B, A]
        let loss: Tensor
        if d.actionCount != nil {
            loss = try crossEntropyLoss(logits: out, targets: Tensor(targets, shape: [B]))
        } else {
            loss = try mseLoss(out, Tensor(targets, shape: [B, d.actionSize]))
        }
        try optimizer.minimize(loss, maxGradNorm: config.maxGradNorm)
        updateCount += 1
        metrics[Metric.actionLoss] = Double(try loss.item())
    }

    public func evaluationPolicy() throws -> (any Policy)? {
        guard let n = dataset.actionCount else { return nil }
        return WindowedGreedyPolicy(network: policyNetwork, observationSize: dataset.observationSize, context: config.context, actionCount: n)
    }
}

/// argmax of a network's logits over the last K observations of the episode.
final class WindowedGreedyPolicy: Policy {
    let network: any Layer
    let observationSize: Int
    let context: Int
    let actionCount: Int
    var window: [Float]

    init(network: any Layer, observationSize: Int, context: Int, actionCount: Int) {
        self.network = network
        self.observationSize = observationSize
        self.context = context
        self.actionCount = actionCount
        window = [Float](repeating: 0, count: context * observationSize)
    }

    func reset() throws { window = [Float](repeating: 0, count: context * observationSize) }

    func action(for observation: [Float]) throws -> Int {
        window.removeFirst(observationSize)
        window += observation
        let logits = try noGrad { try network(Tensor(window, shape: [1, context * observationSize])).scalars }
        return logits.withUnsafeBufferPointer(greedyIndex)
    }
}
