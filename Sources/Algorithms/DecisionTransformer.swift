import Configuration
import Environments
import NeuralNets
import TensorCore

// The Decision Transformer: Chen, Lu, Rajeswaran, Lee, Grover, Laskin, Abbeel, Srinivas &
// Mordatch, "Decision Transformer: Reinforcement Learning via Sequence Modeling", NeurIPS
// 2021. Offline RL as supervised sequence modelling: a causal Transformer reads the last K
// steps as tokens (R̂₁, s₁, a₁, R̂₂, s₂, a₂, …), R̂ the return-to-go, and predicts each aₜ
// from the state token sₜ (which sees R̂ₜ and everything before, not aₜ). At evaluation the
// first R̂ is the return asked for, and each reward received is subtracted from it.
//
// The model follows kzl/decision-transformer: each modality has its own embedding (a
// linear map of the return and of the state, a table or linear map of the action), the
// embedding of the step's timestep is added to all three, a LayerNorm, a GPT over the
// 3K tokens, and a linear head on the state tokens (tanh for continuous actions).
// Windows shorter than K (at an episode's end) are padded on the right: with causal
// attention, no real token sees the padding, so no attention mask is needed, and the
// loss skips the padded steps.
//
// Shapes: B batch, K context (steps), C embedding width, A actions (or action floats).

/// The Decision Transformer's settings (defaults: kzl/decision-transformer's gym runs).
public struct DecisionTransformerConfig: Configurable {
    /// K, the steps in the context (3K tokens).
    public var context: Int = 20
    /// C, the embedding width.
    public var embedding: Int = 128
    /// Transformer blocks.
    public var layers: Int = 3
    /// Attention heads per block.
    public var heads: Int = 1
    /// Dropout in the Transformer.
    public var dropout: Double = 0.1
    /// AdamW's learning rate.
    public var learningRate: Float = 1e-4
    /// AdamW's decoupled weight decay λ.
    public var weightDecay: Float = 1e-4
    /// The learning rate rises linearly from 0 over this many updates.
    public var warmupUpdates: Int = 0
    /// Windows per minibatch.
    public var batchSize: Int = 64
    /// Clip the gradient's global norm to this (nil: never).
    public var maxGradNorm: Float? = 0.25
    /// Returns-to-go are divided by this before they are embedded (kzl: 1000 for MuJoCo).
    public var returnScale: Double = 1
    /// The largest timestep embedded + 1 (nil: the dataset's longest episode); later
    /// timesteps use the last embedding.
    public var maxTimestep: Int? = nil
    /// The return asked for at evaluation (nil: the best episode return in the data).
    public var targetReturn: Double? = nil
    /// Sample the action from the predicted distribution at evaluation instead of taking the argmax.
    public var sampleActions: Bool = false
    /// The seed of the initialisation, minibatch sampling and dropout.
    public var seed: UInt64 = 0

    public init() {}

    /// The settings as the language names them, each declared once (see `ConfigField`).
    public static let fields: [ConfigField<DecisionTransformerConfig>] = [
            ConfigField("context", \.context, "K, the steps in the context (3K tokens)", .atLeast(1)),
            ConfigField("embedding", \.embedding, "C, the embedding width", .atLeast(1)),
            ConfigField("layers", \.layers, "Transformer blocks", .atLeast(1)),
            ConfigField("heads", \.heads, "attention heads per block", .atLeast(1)),
            ConfigField("dropout", \.dropout, "dropout in the Transformer", .closedOpen(0, 1)),
            ConfigField("lr", \.learningRate, "AdamW's learning rate", .positive),
            ConfigField("weight_decay", \.weightDecay, "AdamW's decoupled weight decay λ", .nonNegative),
            ConfigField("warmup", \.warmupUpdates, "updates over which the learning rate rises linearly from 0", .nonNegative),
            ConfigField("batch_size", \.batchSize, "windows per minibatch", .atLeast(1)),
            ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: never)", .positive),
            ConfigField("return_scale", \.returnScale, "returns-to-go are divided by this before they are embedded", .positive),
            ConfigField("max_timestep", \.maxTimestep, "the largest timestep embedded + 1 (nil: the longest episode)", .atLeast(1)),
            ConfigField("target_return", \.targetReturn, "the return asked for at evaluation (nil: the best in the data)"),
            ConfigField("sample", \.sampleActions, "sample actions at evaluation instead of taking the argmax"),
            ConfigField("seed", \.seed, "the seed of initialisation, sampling and dropout"),
    ]

    func validate() throws {
        let c = "DecisionTransformer"
        try require(context >= 1, c, "context must be >= 1, got \(context)")
        try require(embedding >= 1 && layers >= 1 && heads >= 1, c, "embedding, layers and heads must be >= 1, got \(embedding), \(layers), \(heads)")
        try require(embedding % heads == 0, c, "heads (\(heads)) must divide the embedding width (\(embedding))")
        try require(dropout >= 0 && dropout < 1, c, "dropout must be in [0, 1), got \(dropout)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(weightDecay >= 0, c, "weightDecay must be >= 0, got \(weightDecay)")
        try require(warmupUpdates >= 0, c, "warmupUpdates must be >= 0, got \(warmupUpdates)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        if let m = maxGradNorm { try require(m > 0, c, "maxGradNorm must be > 0, got \(m)") }
        try require(returnScale > 0 && returnScale.isFinite, c, "returnScale must be > 0, got \(returnScale)")
        if let m = maxTimestep { try require(m >= 1, c, "maxTimestep must be >= 1, got \(m)") }
        if let t = targetReturn { try require(t.isFinite, c, "targetReturn must be a finite number, got \(t)") }
    }
}

// MARK: - The model

/// The network: embeddings, the interleaving into tokens, a GPT, and the action head.
public final class DecisionTransformerModel: Module {
    public let observationSize: Int
    /// The number of discrete actions, or nil for continuous actions of `actionSize` floats.
    public let actionCount: Int?
    public let actionSize: Int
    public let context: Int
    public let maxTimestep: Int
    public let embedTimestep: Embedding
    public let embedReturn: Linear
    public let embedState: Linear
    /// A table for discrete actions, a linear map for continuous ones.
    public let embedAction: any Layer
    public let embedNorm: LayerNorm
    public let transformer: Transformer
    public let predictAction: Linear

    public init(observationSize: Int, actionCount: Int?, actionSize: Int = 1, context: Int, embedding: Int, layers: Int,
                heads: Int, dropout: Double = 0, maxTimestep: Int, rng: inout RNG) throws {
        self.observationSize = observationSize
        self.actionCount = actionCount
        self.actionSize = actionCount == nil ? actionSize : 1
        self.context = context
        self.maxTimestep = maxTimestep
        embedTimestep = try Embedding(maxTimestep, embedding, std: 0.02, rng: &rng)
        embedReturn = try Linear(1, embedding, rng: &rng)
        embedState = try Linear(observationSize, embedding, rng: &rng)
        if let n = actionCount {
            embedAction = try Embedding(n, embedding, std: 0.02, rng: &rng)
        } else {
            embedAction = try Linear(actionSize, embedding, rng: &rng)
        }
        embedNorm = try LayerNorm(embedding)
        transformer = try Transformer(GPTConfig(vocabSize: 1, contextLength: 3 * context, dModel: embedding, heads: heads,
                                                layers: layers, dropout: dropout), rng: &rng)
        predictAction = try Linear(embedding, actionCount ?? actionSize, rng: &rng)
        super.init()
        addChild("embed_timestep", embedTimestep)
        addChild("embed_return", embedReturn)
        addChild("embed_state", embedState)
        addChild("embed_action", embedAction)
        addChild("embed_ln", embedNorm)
        addChild("transformer", transformer)
        addChild("predict_action", predictAction)
    }

    /// The tokens (R̂₁, s₁, a₁, R̂₂, …) [B, 3T, C] of T ≤ K steps: returns [B, T], states
    /// [B, T, obs], actions [B, T] (indices) or [B, T, A], timesteps [B·T] (each below
    /// `maxTimestep`).
    public func tokens(returns: Tensor, states: Tensor, actions: Tensor, timesteps: [Int]) throws -> Tensor {
        let (b, t) = (states.shape[0], states.shape[1])
        guard t <= context else {
            throw AlgorithmError("DecisionTransformer", "a context of \(t) steps is longer than the model's \(context) (its block size is \(3 * context) tokens)")
        }
        let time = try embedTimestep.lookup(timesteps, shape: [b, t])                      // [B, T, C]
        let r = try embedReturn(returns.reshape([b, t, 1])) + time                        // [B, T, C]
        let s = try embedState(states) + time                                             // [B, T, C]
        let a = try embedAction(actions) + time                                           // [B, T, C]
        let c = time.shape[2]
        let interleaved = try Tensor.stack([r, s, a], axis: 2).reshape([b, 3 * t, c])     // [B, T, 3, C] -> [B, 3T, C]
        return try embedNorm(interleaved)
    }

    /// Action predictions [B, T, A] (logits, or tanh-squashed actions) from each state token.
    public func callAsFunction(returns: Tensor, states: Tensor, actions: Tensor, timesteps: [Int]) throws -> Tensor {
        let x = try tokens(returns: returns, states: states, actions: actions, timesteps: timesteps)
        let (b, t, c) = (x.shape[0], x.shape[1] / 3, x.shape[2])
        let h = try transformer(x).reshape([b, t, 3, c])                                  // [B, 3T, C] -> [B, T, 3, C]
        let stateTokens = try h.narrow(axis: 2, start: 1, length: 1).reshape([b, t, c])   // [B, T, C]
        let out = try predictAction(stateTokens)                                          // [B, T, A]
        return actionCount == nil ? out.tanh() : out
    }

    /// The attention weights of every block's last call, [B, heads, 3T, 3T] each.
    public var attentionMaps: [Tensor] { transformer.attentionMaps }
}

// MARK: - The learner

/// The Decision Transformer trained on a `TrajectoryDataset`.
public final class DecisionTransformer: OfflineLearner {
    public let config: DecisionTransformerConfig
    public let dataset: TrajectoryDataset
    public let model: DecisionTransformerModel
    public let optimizer: AdamW
    var rng: RNG
    public private(set) var updateCount = 0

    public var algorithm: String { "DecisionTransformer" }
    public var network: Module { model }
    public var stepCount: Int { 0 }
    /// The return asked for at evaluation by default.
    public var defaultTarget: Double { config.targetReturn ?? (dataset.episodeReturns.max() ?? 0) }

    public init(dataset: TrajectoryDataset, config: DecisionTransformerConfig = DecisionTransformerConfig()) throws {
        try config.validate()
        try require(dataset.count > 0, "DecisionTransformer", "the dataset is empty")
        self.config = config
        self.dataset = dataset
        var rng = RNG(seed: config.seed)
        let longest = (0..<dataset.episodeCount).map { dataset.episodeRange($0).count }.max() ?? 1
        model = try DecisionTransformerModel(
            observationSize: dataset.observationSize, actionCount: dataset.actionCount, actionSize: dataset.actionSize,
            context: config.context, embedding: config.embedding, layers: config.layers, heads: config.heads,
            dropout: config.dropout, maxTimestep: config.maxTimestep ?? longest, rng: &rng)
        optimizer = try AdamW(model, learningRate: config.learningRate, weightDecay: config.weightDecay)
        self.rng = rng
    }

    /// A minibatch of windows: returns-to-go [B, K] (scaled), states [B, K, obs], actions,
    /// timesteps [B·K], and the mask [B, K] (1 on real steps, 0 on right padding). Each
    /// window starts at a uniformly drawn step and runs K steps or to its episode's end.
    func sampleWindows() throws -> (returns: Tensor, states: Tensor, actions: Tensor, timesteps: [Int], mask: Tensor) {
        let d = dataset, B = config.batchSize, K = config.context, obs = d.observationSize, width = d.actionSize
        var returns = [Float](repeating: 0, count: B * K), states = [Float](repeating: 0, count: B * K * obs)
        var actions = [Float](repeating: 0, count: B * K * width), timesteps = [Int](repeating: 0, count: B * K)
        var mask = [Float](repeating: 0, count: B * K)
        let scale = Float(config.returnScale)
        for b in 0..<B {
            let start = rng.int(below: d.count)
            let end = Swift.min(start + K, d.episodeEnd(ofRow: start) + 1)
            for (j, i) in (start..<end).enumerated() {
                let slot = b * K + j
                returns[slot] = d.returnsToGo[i] / scale
                for f in 0..<obs { states[slot * obs + f] = d.observations[i * obs + f] }
                for f in 0..<width { actions[slot * width + f] = d.actions[i * width + f] }
                timesteps[slot] = Swift.min(d.timesteps[i], model.maxTimestep - 1)
                mask[slot] = 1
            }
        }
        let actionShape = d.actionCount == nil ? [B, K, width] : [B, K]
        return (try Tensor(returns, shape: [B, K]), try Tensor(states, shape: [B, K, obs]),
                try Tensor(actions, shape: actionShape), timesteps, try Tensor(mask, shape: [B, K]))
    }

    public func learn(metrics: inout [String: Double]) throws {
        let batch = try sampleWindows()
        model.train()
        let predicted = try model(returns: batch.returns, states: batch.states, actions: batch.actions, timesteps: batch.timesteps)
        let loss: Tensor
        if dataset.actionCount != nil {
            loss = try crossEntropyLoss(logits: predicted, targets: batch.actions, mask: batch.mask)      // [B, K, A] vs [B, K]
        } else {
            let perStep = try (predicted - batch.actions).square().mean(axis: 2)                         // [B, K]
            loss = try (perStep * batch.mask).sum() / Swift.max(try batch.mask.sum().item(), 1)
        }
        if config.warmupUpdates > 0 {
            optimizer.learningRate = config.learningRate * Swift.min(1, Float(updateCount + 1) / Float(config.warmupUpdates))
        }
        try optimizer.minimize(loss, maxGradNorm: config.maxGradNorm)
        updateCount += 1
        metrics[Metric.actionLoss] = Double(try loss.item())
    }

    public func evaluationPolicy() throws -> (any Policy)? {
        guard dataset.actionCount != nil else { return nil }
        return try policy(targetReturn: defaultTarget)
    }

    /// The policy conditioned on `targetReturn` (lowered by every reward it observes).
    public func policy(targetReturn: Double, seed: UInt64 = 0) throws -> DecisionTransformerPolicy {
        guard targetReturn.isFinite else {
            throw AlgorithmError("DecisionTransformer", "the target return must be a finite number, got \(targetReturn)")
        }
        return DecisionTransformerPolicy(learner: self, targetReturn: targetReturn, seed: seed)
    }

    /// The returns of `episodes` episodes conditioned on `targetReturn`, all run side by side
    /// as one batch (episode e on a copy of `environment` reset with seed `seed + e`).
    public func evaluate<E: Environment>(on environment: E, targetReturn: Double, episodes: Int, seed: UInt64 = 12_345, maxSteps: Int = 10_000) throws -> [Double] {
        try require(targetReturn.isFinite, algorithm, "the target return must be a finite number, got \(targetReturn)")
        try require(episodes >= 1, algorithm, "episodes must be at least 1, got \(episodes)")
        try dataset.checkCompatible(with: environment, component: algorithm)
        guard dataset.actionCount != nil else { throw AlgorithmError(algorithm, "evaluation in an environment needs discrete actions") }
        let obs = dataset.observationSize, K = config.context, scale = config.returnScale
        var envs = [E](repeating: environment, count: episodes)
        var histories = (0..<episodes).map { _ in History() }
        var current = try (0..<episodes).map { e in try envs[e].reset(seed: seed &+ UInt64(e)).observation }
        var togo = [Double](repeating: targetReturn, count: episodes)
        var totals = [Double](repeating: 0, count: episodes)
        var active = Array(0..<episodes)
        var policyRNG = RNG(seed: seed)
        model.eval()
        defer { model.train() }
        for _ in 0..<maxSteps where !active.isEmpty {
            for e in active { histories[e].push(observation: current[e], togo: togo[e] / scale) }
            let actions = try act(histories: active.map { histories[$0] }, observationSize: obs, context: K, rng: &policyRNG)
            var still: [Int] = []
            for (j, e) in active.enumerated() {
                histories[e].setLastAction(actions[j])
                let result = try envs[e].step(actions[j] + environment.actionSpace.start, into: &current[e])
                totals[e] += result.reward
                togo[e] -= result.reward
                if !result.done { still.append(e) }
            }
            active = still
        }
        return totals
    }

    /// The next action of each history (all of one length), from the model's last state token.
    func act(histories: [History], observationSize obs: Int, context K: Int, rng: inout RNG) throws -> [Int] {
        let B = histories.count
        let T = Swift.min(histories[0].count, K)
        var returns: [Float] = [], states: [Float] = [], actions: [Float] = [], timesteps: [Int] = []
        returns.reserveCapacity(B * T); states.reserveCapacity(B * T * obs)
        for h in histories {
            let from = h.count - T
            returns += h.togo[from...]
            states += h.observations[(from * obs)...]
            actions += h.actions[from...].map(Float.init)
            timesteps += (from..<h.count).map { Swift.min($0, model.maxTimestep - 1) }
        }
        let logits = try noGrad {
            try model(returns: Tensor(returns, shape: [B, T]), states: Tensor(states, shape: [B, T, obs]),
                      actions: Tensor(actions, shape: [B, T]), timesteps: timesteps)
                .narrow(axis: 1, start: T - 1, length: 1).reshape([B, model.actionCount!])      // [B, A]
        }
        let n = model.actionCount!
        return try logits.withUnsafeBufferPointer { p in
            try (0..<B).map { b in
                let row = UnsafeBufferPointer(rebasing: p[(b * n) ..< ((b + 1) * n)])
                guard config.sampleActions else { return greedyIndex(row) }
                let probs = try Tensor(Array(row), shape: [n]).softmax().scalars
                return rng.categorical(weights: probs)
            }
        }
    }

    /// One episode so far: observations, scaled returns-to-go, actions (the last one a
    /// placeholder until it is chosen: the state token before it does not see it).
    struct History {
        var observations: [Float] = []
        var togo: [Float] = []
        var actions: [Int] = []
        var count: Int { togo.count }
        mutating func push(observation: [Float], togo r: Double) {
            observations += observation
            togo.append(Float(r))
            actions.append(0)
        }
        mutating func setLastAction(_ a: Int) { actions[actions.count - 1] = a }
    }
}

/// The Decision Transformer acting in one episode: conditioned on a target return that
/// falls by each reward received, on the last K steps of the episode.
public final class DecisionTransformerPolicy: Policy {
    let learner: DecisionTransformer
    public let targetReturn: Double
    var history = DecisionTransformer.History()
    var togo: Double
    var rng: RNG
    let seed: UInt64

    init(learner: DecisionTransformer, targetReturn: Double, seed: UInt64) {
        self.learner = learner
        self.targetReturn = targetReturn
        togo = targetReturn
        self.seed = seed
        rng = RNG(seed: seed)
    }

    public func reset() throws {
        history = DecisionTransformer.History()
        togo = targetReturn
    }

    public func action(for observation: [Float]) throws -> Int {
        history.push(observation: observation, togo: togo / learner.config.returnScale)
        learner.model.eval()
        defer { learner.model.train() }
        let a = try learner.act(histories: [history], observationSize: learner.dataset.observationSize, context: learner.config.context, rng: &rng)[0]
        history.setLastAction(a)
        return a
    }

    public func observe(reward: Double) throws { togo -= reward }
}
