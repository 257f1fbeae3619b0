import Configuration
import Environments
import Foundation
import NeuralNets
import TensorCore

// PPO: Schulman, Wolski, Dhariwal, Radford & Klimov, "Proximal Policy Optimization
// Algorithms", arXiv 1707.06347 (2017) — the clipped surrogate objective
//
//     L^CLIP(θ) = Ê_t[ min(r_t(θ) Â_t, clip(r_t(θ), 1 − ε, 1 + ε) Â_t) ],  r_t = π_θ(a_t|s_t) / π_θold(a_t|s_t)
//
// maximised together with the value loss and an entropy bonus,
// L = L^CLIP − c₁ L^VF + c₂ S[π_θ], over K epochs of minibatches of a rollout of T steps
// from N environments, with advantages from GAE(γ, λ) (Schulman et al., ICLR 2016).
//
// A2C (Mnih et al., "Asynchronous Methods for Deep Reinforcement Learning", ICML 2016, in
// its synchronous form) is the same loop with one epoch of one minibatch and the plain
// policy gradient −Â_t log π_θ(a_t|s_t) in place of the clipped surrogate: `PPOConfig.a2c()`
// (see A2C.swift).
//
// Recurrent PPO (sb3-contrib's RecurrentPPO, CleanRL's ppo_atari_lstm.py): the network
// carries an LSTM or GRU state. Acting, the learner keeps one state per environment copy
// and zeroes it where an episode starts; the rollout stores the state every copy had at
// the start of every chunk of L steps. Learning, minibatches hold whole chunks, and each
// chunk is re-run from its stored state with the state zeroed at every step flagged as an
// episode start — so the network sees exactly what it saw when acting (up to the update's
// own changes to θ), and no state leaks from one episode into the next.
//
// The file reads top to bottom like CleanRL's ppo.py: configuration, agent, rollout
// (acting), update (advantages → epochs of minibatches → clipped loss → step), logging.
// The defaults are CleanRL's ppo.py for CartPole; the loss follows Stable Baselines 3
// where the two differ (the value loss is the mean squared error without a ½, as the PPO
// paper's L^VF, and the learning rate decays with the fraction of the budget remaining
// after each rollout).

/// The distribution of the policy's actions.
public enum PolicyDistribution: String, Sendable, CaseIterable {
    /// Categorical for discrete actions, diagonal Normal for boxes.
    case automatic
    /// Softmax over the network's outputs: one logit per action.
    case categorical
    /// N(μ, σ²) per dimension: the network outputs μ, and log σ is a learned vector
    /// independent of the state (CleanRL's `actor_logstd`).
    case diagonalNormal
}

/// The optimizer of a policy-gradient learner.
public enum PolicyOptimizer: String, Sendable, CaseIterable {
    /// Adam with ε = 1e-5 (CleanRL, Stable Baselines' PPO).
    case adam
    /// RMSprop with α = 0.99, ε = 1e-5 (Stable Baselines' A2C).
    case rmsprop
}

/// PPO's (and A2C's) hyperparameters, with the papers' symbols.
public struct PPOConfig: Sendable {
    /// N, the environment copies stepped together (`n_envs`).
    public var environmentCount: Int = 4
    /// T, the steps each copy takes per rollout (`n_steps`).
    public var rolloutLength: Int = 128
    /// The minibatches per epoch (CleanRL's `num_minibatches`); used when `batchSize` is nil.
    public var minibatches: Int = 4
    /// The minibatch size in steps (Stable Baselines' `batch_size`; nil: T·N / `minibatches`).
    /// A recurrent learner draws whole sequences, so it must be a multiple of L.
    public var batchSize: Int? = nil
    /// K, the epochs over each rollout (`n_epochs`).
    public var epochs: Int = 4
    /// α, the optimizer's learning rate.
    public var learningRate: Float = 2.5e-4
    /// Decay α linearly to 0 over the training budget (CleanRL's `anneal_lr`, the zoo's `lin_`).
    public var annealLearningRate: Bool = true
    /// γ, the discount factor.
    public var gamma: Double = 0.99
    /// λ, GAE's trace decay (`gae_lambda`): 0 gives one-step TD errors, 1 Monte-Carlo returns.
    public var lambda: Double = 0.95
    /// ε, the clip range of the probability ratio (`clip_range`); nil: no ratio, the plain
    /// policy gradient −Â log π (A2C).
    public var clipRange: Double? = 0.2
    /// Decay ε linearly to 0 over the training budget, as α (the zoo's `clip_range: lin_0.2`).
    public var annealClipRange: Bool = false
    /// The clip range of the value prediction around the rollout's value (CleanRL's
    /// `clip_vloss` uses ε; nil: no clipping, Stable Baselines' default).
    public var valueClipRange: Double? = nil
    /// c₁, the weight of the value loss (`vf_coef`).
    public var valueCoefficient: Double = 0.5
    /// c₂, the weight of the entropy bonus (`ent_coef`).
    public var entropyCoefficient: Double = 0.01
    /// The gradient's global norm is clipped to this (`max_grad_norm`; nil: no clipping).
    public var maxGradNorm: Float? = 0.5
    /// Normalise Â to mean 0 and standard deviation 1 in each minibatch (`norm_adv`).
    public var normalizeAdvantages: Bool = true
    /// Stop a rollout's epochs early once the approximate KL(π_old ‖ π) of an epoch exceeds
    /// this (`target_kl`; nil: never).
    public var targetKL: Double? = nil
    /// L, the steps of the sequences a recurrent policy is re-run on (nil: the whole rollout, T).
    public var sequenceLength: Int? = nil
    /// Zero a recurrent policy's state at every episode start, when acting and when re-running
    /// sequences (false: the state runs on from one episode into the next — an ablation that
    /// shows what the masks are for).
    public var maskEpisodeStarts: Bool = true
    /// The optimizer.
    public var optimizer: PolicyOptimizer = .adam
    /// The action distribution.
    public var distribution: PolicyDistribution = .automatic
    /// log σ at the start, for a diagonal Normal policy.
    public var initialLogStd: Float = 0
    /// Standardise observations by running statistics over all copies (the zoo's
    /// `normalize: true`, Stable Baselines' `VecNormalize`; applied by `train(_:on:steps:)`).
    public var normalizeObservations: Bool = false
    /// Divide rewards by the running standard deviation of the discounted return (ditto).
    public var normalizeRewards: Bool = false
    /// The seed of action sampling and minibatch shuffling.
    public var seed: UInt64 = 0

    public init() {}

    /// "PPO", or "A2C" without a clip range.
    public var algorithmName: String { clipRange == nil ? "A2C" : "PPO" }

    /// Throws an `AlgorithmError` naming the first hyperparameter out of its range.
    public func validate() throws {
        let c = algorithmName
        try require(environmentCount >= 1, c, "n_envs (N) must be >= 1, got \(environmentCount)")
        try require(rolloutLength >= 1, c, "n_steps (T) must be >= 1, got \(rolloutLength)")
        try require(minibatches >= 1, c, "the number of minibatches must be >= 1, got \(minibatches)")
        if let b = batchSize { try require(b >= 1, c, "batch_size must be >= 1, got \(b)") }
        try require(epochs >= 1, c, "n_epochs (K) must be >= 1, got \(epochs)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learning_rate (α) must be > 0, got \(learningRate)")
        try require(gamma >= 0 && gamma <= 1, c, "gamma (γ) must be in [0, 1], got \(gamma)")
        try require(lambda >= 0 && lambda <= 1, c, "gae_lambda (λ) must be in [0, 1], got \(lambda)")
        if let e = clipRange { try require(e > 0 && e.isFinite, c, "clip_range (ε) must be > 0, got \(e)") }
        if let e = valueClipRange { try require(e > 0 && e.isFinite, c, "clip_range_vf must be > 0, got \(e)") }
        try require(valueCoefficient >= 0 && valueCoefficient.isFinite, c, "vf_coef (c₁) must be >= 0, got \(valueCoefficient)")
        try require(entropyCoefficient.isFinite, c, "ent_coef (c₂) must be finite, got \(entropyCoefficient)")
        if let m = maxGradNorm { try require(m > 0, c, "max_grad_norm must be > 0, got \(m)") }
        if let k = targetKL { try require(k > 0, c, "target_kl must be > 0, got \(k)") }
        if let l = sequenceLength { try require(l >= 1, c, "sequence_length (L) must be >= 1, got \(l)") }
    }
}

extension PolicyOptimizer: FieldChoice {}

/// The settings as users set them (Stable Baselines' keyword names), each declared once;
/// the defaults are `PPOConfig()`'s (PPO) or `PPOConfig.a2c()`'s (A2C).
extension PPOConfig: Configurable {
    public static let fields: [ConfigField<PPOConfig>] = [
        ConfigField("n_envs", \.environmentCount, "N, the environment copies stepped together", .atLeast(1)),
        ConfigField("n_steps", \.rolloutLength, "T, the steps each copy takes per rollout", .atLeast(1)),
        ConfigField("batch_size", \.batchSize, "the minibatch size in steps (nil: T·N / n_minibatches); a multiple of L for a recurrent policy", .atLeast(1)),
        ConfigField("n_minibatches", \.minibatches, "the minibatches per epoch when batch_size is nil (CleanRL's num_minibatches)", .atLeast(1)),
        ConfigField("n_epochs", \.epochs, "K, the epochs over each rollout", .atLeast(1)),
        ConfigField("learning_rate", \.learningRate, "α, the optimizer's step size", .positive),
        ConfigField("anneal_lr", \.annealLearningRate, "decay α linearly to 0 over the training steps"),
        ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
        ConfigField("gae_lambda", \.lambda, "λ of GAE(γ, λ)", .unit),
        ConfigField("clip_range", \.clipRange, "ε, the clip range of the probability ratio (nil: the plain policy gradient, as A2C)", .positive),
        ConfigField("anneal_clip_range", \.annealClipRange, "decay ε linearly to 0 over the training steps"),
        ConfigField("clip_range_vf", \.valueClipRange, "clip the value prediction to V_old ± this (nil: no clipping)", .positive),
        ConfigField("vf_coef", \.valueCoefficient, "c₁, the weight of the value loss", .nonNegative),
        ConfigField("ent_coef", \.entropyCoefficient, "c₂, the weight of the entropy bonus"),
        ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: no clipping)", .positive),
        ConfigField("normalize_advantage", \.normalizeAdvantages, "standardise Â within each minibatch"),
        ConfigField("target_kl", \.targetKL, "stop a rollout's epochs once the approximate KL exceeds this (nil: never)", .positive),
        ConfigField("sequence_length", \.sequenceLength, "L, the steps of the sequences a recurrent policy is re-run on (nil: n_steps)", .atLeast(1)),
        ConfigField("mask_episode_starts", \.maskEpisodeStarts, "zero a recurrent policy's state at every episode start (false: the state runs on across episodes)"),
        ConfigField("optimizer", \.optimizer, "adam (ε 1e-5) or rmsprop (α 0.99, ε 1e-5)"),
        ConfigField("distribution", doc: "the policy's distribution: automatic (categorical for discrete actions, Normal for boxes), categorical or diagonal_normal",
                    kind: .choice(["automatic", "categorical", "diagonal_normal"]), isOptional: false, bounds: nil, keyPath: FieldKey(\PPOConfig.distribution),
                    read: { .string($0.distribution == .diagonalNormal ? "diagonal_normal" : $0.distribution.rawValue) },
                    write: { c, v in
                        if case .string(let s) = v { c.distribution = s == "diagonal_normal" ? .diagonalNormal : PolicyDistribution(rawValue: s) ?? .automatic }
                    }),
        ConfigField("log_std_init", \.initialLogStd, "log σ at the start, for a diagonal Normal policy"),
        ConfigField("normalize", doc: "standardise observations and scale rewards by running statistics (the RL Zoo's normalize: true)",
                    kind: .bool, isOptional: false, bounds: nil, keyPath: FieldKey(\PPOConfig.normalizeObservations),
                    read: { .bool($0.normalizeObservations && $0.normalizeRewards) },
                    write: { c, v in
                        if case .bool(let on) = v { c.normalizeObservations = on; c.normalizeRewards = on }
                    }),
        ConfigField("seed", \.seed, "the seed of action sampling, minibatches and the value head's initialisation"),
    ]
}

/// A PPO (or A2C) agent: a categorical or diagonal-Normal policy with a value function,
/// feed-forward or recurrent, trained on rollouts of N environments.
public final class PPO: OnPolicyLearner, GreedyActing {
    public let config: PPOConfig
    /// π_θ and V_θ.
    public let actorCritic: any ActorCritic
    /// The trained parameters: the actor-critic's, and log σ for a Normal policy.
    public let model: Module
    /// log σ of a diagonal Normal policy, [D] (nil for a categorical policy).
    public let logStd: Parameter?
    public let optimizer: any Optimizer
    /// The environment's action space.
    public let actionSpace: ActionSpace
    /// Whether the policy is a diagonal Normal.
    public let isContinuous: Bool
    /// The minibatches per epoch (from `batchSize` or `minibatches`).
    public let minibatchCount: Int
    /// Observation statistics to apply in `greedyPolicy` (set by `train(_:on:steps:)` when
    /// observations are normalised; nil: observations are used as they come).
    public var observationNormalization: RunningMeanStd?
    /// The statistics of the discounted return, kept between `train` calls.
    public var returnNormalization: RunningMeanStd?
    let observationSize: Int
    let policySize: Int
    let actionStart: Int
    let environmentName: String
    var rng: RNG
    /// Every copy's recurrent state while acting.
    var actingState: [RecurrentState] = []
    /// The steps of the current training run, and `stepCount` when it began.
    var budget = 0, budgetStart = 0

    public private(set) var stepCount = 0
    public private(set) var updateCount = 0

    public var algorithm: String { config.algorithmName }
    public var network: Module { model }
    public var environmentCount: Int { config.environmentCount }
    public var rolloutLength: Int { config.rolloutLength }
    public var sequenceLength: Int? { actorCritic.isRecurrent ? (config.sequenceLength ?? config.rolloutLength) : nil }
    public var discount: Double { config.gamma }
    public var isRecurrent: Bool { actorCritic.isRecurrent }

    /// An agent for the batched `environment` (its observation size and action space).
    /// `network` is an `ActorCritic` or a pipeline of layers ending in a Linear layer (see
    /// `PipelineActorCritic`), `critic` an optional separate value network. Throws, naming
    /// both sides, when the network does not take the observations as [batch, time, obs],
    /// its output does not fit the action space, the distribution does not fit the actions,
    /// or the rollout cannot be cut into the minibatches asked for.
    public convenience init(network: Module, critic: Module? = nil, environment: some BatchedEnvironment, config: PPOConfig = PPOConfig()) throws {
        var rng = RNG(seed: config.seed &+ 0x9E37_79B9)
        let f = try makeActorCritic(network, critic: critic, component: config.algorithmName, rng: &rng)
        try self.init(actorCritic: f, environment: environment, config: config)
    }

    /// An agent for one environment, stepped as `config.environmentCount` copies.
    public convenience init<E: Environment>(network: Module, critic: Module? = nil, environment: E, config: PPOConfig = PPOConfig()) throws {
        try self.init(network: network, critic: critic, environment: try PPO.vectorize(environment, config), config: config)
    }

    public init(actorCritic f: any ActorCritic, environment: some BatchedEnvironment, config: PPOConfig = PPOConfig()) throws {
        try config.validate()
        let c = config.algorithmName
        try require(environment.count == config.environmentCount, c,
                    "n_envs is \(config.environmentCount) but \(environment.name) has \(environment.count) copies")
        self.config = config
        actorCritic = f
        observationSize = environment.singleObservationSpace.size
        environmentName = environment.name
        actionSpace = environment.singleActionKind

        // The action distribution against the action space.
        switch (actionSpace, config.distribution) {
        case (.discrete(let d), .automatic), (.discrete(let d), .categorical):
            isContinuous = false
            policySize = d.n
            actionStart = d.start
        case (.box(let b), .automatic), (.box(let b), .diagonalNormal):
            isContinuous = true
            policySize = b.size
            actionStart = 0
        case (.discrete, .diagonalNormal):
            throw AlgorithmError(c, "a continuous (diagonal Normal) policy head cannot act in \(environment.name), whose actions are \(actionSpace): use distribution categorical (or automatic)")
        case (.box, .categorical):
            throw AlgorithmError(c, "a categorical policy head cannot act in \(environment.name), whose actions are continuous, \(actionSpace): use distribution diagonal_normal (or automatic)")
        default:
            throw AlgorithmError(c, "acts in discrete or box action spaces, but \(environment.name) has actions \(actionSpace)")
        }

        // The network against the observations and the policy's size.
        let probe: (policy: Tensor, values: Tensor, state: [RecurrentState])
        let obs = observationSize
        do {
            probe = try noGrad { try f.forward(Tensor.zeros([1, 2, obs]), state: nil, resets: nil) }
        } catch {
            throw AlgorithmError(c, "the network \(f.summary) does not accept \(environment.name)'s observations of size \(obs) as [batch, time, \(obs)]: \(error)")
        }
        let what = isContinuous ? "one mean per action dimension" : "one logit per action"
        try require(probe.policy.shape == [1, 2, policySize], c,
                    "the network \(f.summary) outputs shape \(shapeString(probe.policy.shape)) for a sequence of 2 observations, but \(environment.name) has actions \(actionSpace): the policy needs \(what), \(policySize) (shape [1, 2, \(policySize)])")
        try require(probe.values.shape == [1, 2], c, "the network \(f.summary) gives values of shape \(shapeString(probe.values.shape)) for a sequence of 2 observations, expected [1, 2]")

        // The rollout against the minibatches.
        let T = config.rolloutLength, N = config.environmentCount, steps = T * N
        if f.isRecurrent {
            let L = config.sequenceLength ?? T
            try require(T % L == 0, c, "n_steps (T = \(T)) must be a multiple of sequence_length (L = \(L)), so that every stored sequence is full")
            let sequences = (T / L) * N
            if let b = config.batchSize {
                try require(b % L == 0, c, "a recurrent policy learns from whole sequences of L = \(L) steps, so batch_size (\(b)) must be a multiple of sequence_length (\(L))")
                try require(b <= steps && sequences % (b / L) == 0, c,
                            "n_steps × n_envs = \(T) × \(N) = \(steps) steps (\(sequences) sequences of \(L)) cannot be cut into minibatches of batch_size \(b) (\(b / L) sequences)")
                minibatchCount = sequences / (b / L)
            } else {
                try require(sequences % config.minibatches == 0, c,
                            "n_steps × n_envs = \(T) × \(N) = \(steps) steps make \(sequences) sequences of L = \(L), which cannot be cut into \(config.minibatches) equal minibatches")
                minibatchCount = config.minibatches
            }
        } else if let b = config.batchSize {
            try require(b <= steps && steps % b == 0, c,
                        "n_steps × n_envs = \(T) × \(N) = \(steps) steps cannot be cut into minibatches of batch_size \(b)\(b > steps ? " (the batch is larger than the rollout)" : " (\(steps) is not a multiple of \(b))")")
            minibatchCount = steps / b
        } else {
            try require(steps % config.minibatches == 0, c,
                        "n_steps × n_envs = \(T) × \(N) = \(steps) steps cannot be cut into \(config.minibatches) equal minibatches")
            minibatchCount = config.minibatches
        }

        // The trained module: the network, and log σ for a Normal policy.
        let model = Module()
        model.addChild("net", f.module)
        logStd = isContinuous ? model.addParameter("actor_logstd", try Tensor.full([policySize], config.initialLogStd)) : nil
        self.model = model
        switch config.optimizer {
        case .adam: optimizer = try Adam(model, learningRate: config.learningRate, epsilon: 1e-5)
        case .rmsprop: optimizer = try RMSprop(model, learningRate: config.learningRate, alpha: 0.99, epsilon: 1e-5)
        }
        rng = RNG(seed: config.seed)
        actingState = try f.initialState(batch: N)
    }

    public func checkCompatible(with environment: some BatchedEnvironment) throws {
        try require(environment.count == config.environmentCount && environment.singleObservationSpace.size == observationSize
                    && environment.singleActionKind == actionSpace, algorithm,
                    "this agent was built for \(config.environmentCount) × \(environmentName) (observations of size \(observationSize), actions \(actionSpace)) but \(environment.name) has \(environment.count) copies with observations of size \(environment.singleObservationSpace.size) and actions \(environment.singleActionKind)")
    }

    /// Evaluation acts in one environment with discrete actions, like one of the copies.
    public func checkActs<E: Environment>(in environment: E) throws {
        let actions = ActionSpace.discrete(environment.actionSpace)
        try require(environment.observationSize == observationSize && actions == actionSpace, algorithm,
                    "this agent was built for \(environmentName) (observations of size \(observationSize), actions \(actionSpace)) but \(environment.name) has observations of size \(environment.observationSize) and actions \(actions)")
    }

    // MARK: - Rollout

    public func beginTraining(steps: Int) throws {
        budget = steps
        budgetStart = stepCount
    }

    public func resetState() throws {
        actingState = try actorCritic.initialState(batch: config.environmentCount)
    }

    /// The policy's distribution over actions for parameters [R, P].
    func distribution(_ parameters: Tensor) throws -> PolicyDistributionValue {
        if let logStd { return .normal(try DiagonalNormal(mean: parameters, logStd: logStd.value)) }
        return .categorical(try Categorical(logits: parameters))
    }

    /// a_t ~ π(·|s_t) for the N copies, with log π(a_t|s_t) and V(s_t); the state of the
    /// copies flagged in `episodeStarts` is zeroed first.
    public func act(_ observations: [Float], episodeStarts: [Bool]) throws -> PolicyStep {
        let n = config.environmentCount
        let x = try Tensor(observations, shape: [n, 1, observationSize])
        let resets = isRecurrent && config.maskEpisodeStarts ? try Tensor(episodeStarts.map { $0 ? 1 : 0 }, shape: [n, 1]) : nil
        return try noGrad {
            let out = try actorCritic.forward(x, state: actingState, resets: resets)
            actingState = out.state
            let pi = try distribution(out.policy.reshape([n, policySize]))
            let actions = try pi.sample(rng: &rng)                                          // [N] or [N, D]
            stepCount += n
            var rows = actions.scalars
            if !isContinuous, actionStart != 0 { rows = rows.map { $0 + Float(actionStart) } }
            return PolicyStep(actions: rows, logProbs: try pi.logProb(actions).scalars, values: out.values.scalars)
        }
    }

    /// V(s) of `observations` for the copies `rows`, each from its current state.
    public func values(_ observations: [Float], rows: [Int]) throws -> [Float] {
        let k = rows.count
        guard k > 0 else { return [] }
        return try noGrad {
            var state: [RecurrentState]? = nil
            if isRecurrent {
                let all = actingState.rows(batch: config.environmentCount), size = actingState.rowSize
                var picked = [Float](repeating: 0, count: k * size)
                for (j, i) in rows.enumerated() {
                    for e in 0..<size { picked[j * size + e] = all[i * size + e] }
                }
                state = try [RecurrentState].fromRows(picked, like: try actorCritic.initialState(batch: k))
            }
            return try actorCritic.forward(Tensor(observations, shape: [k, 1, observationSize]), state: state, resets: nil).values.scalars
        }
    }

    public func recurrentState() throws -> [Float] {
        actingState.rows(batch: config.environmentCount)
    }

    // MARK: - Update

    /// The fraction of the training budget still to come after the steps taken so far
    /// (1 before training, 0 at its end): what α and ε decay with.
    var remaining: Double {
        budget > 0 ? Swift.max(1 - Double(stepCount - budgetStart) / Double(budget), 0) : 1
    }

    public func learn(from rollout: RolloutBuffer, metrics: inout [String: Double]) throws {
        // Advantages Â_t by GAE(γ, λ) and the value targets R_t = Â_t + V(s_t).
        let estimate = rollout.advantages(gamma: config.gamma, lambda: config.lambda)

        // Schedules: α and ε decay linearly with the budget remaining.
        let fraction = remaining
        if config.annealLearningRate { optimizer.learningRate = Float(Double(config.learningRate) * fraction) }
        let epsilon = config.clipRange.map { config.annealClipRange ? $0 * fraction : $0 }

        var sums = [String: Double](), batches = 0
        epochs: for _ in 0..<config.epochs {
            let parts = isRecurrent ? try rollout.sequenceMinibatches(minibatchCount, rng: &rng)
                                    : try rollout.minibatches(minibatchCount, rng: &rng)
            var epochKL = 0.0
            for part in parts {
                let m = try minibatchLoss(rollout, estimate, part, epsilon: epsilon)
                optimizer.zeroGrad()
                try m.loss.backward()
                if let g = config.maxGradNorm { try clipGradNorm(optimizer.parameters, maxNorm: g) }
                try optimizer.step()
                updateCount += 1
                for (k, v) in m.metrics { sums[k, default: 0] += v }
                epochKL += m.metrics[Metric.approxKL] ?? 0
                batches += 1
            }
            if let target = config.targetKL, epochKL / Double(parts.count) > target { break epochs }
        }

        // Logging (CleanRL's keys).
        for (k, v) in sums { metrics[k] = v / Double(batches) }
        metrics[Metric.learningRate] = Double(optimizer.learningRate)
        metrics[Metric.explainedVariance] = explainedVariance(predicted: rollout.values, targets: estimate.returns)
    }

    /// One minibatch's loss L = −L^CLIP + c₁ L^VF − c₂ S and its metrics. `part` holds row
    /// indices (feed-forward) or sequence ids (recurrent).
    func minibatchLoss(_ rollout: RolloutBuffer, _ estimate: AdvantageEstimate, _ part: [Int], epsilon: Double?)
        throws -> (loss: Tensor, metrics: [String: Double])
    {
        // Re-run the network: rows alone, or whole sequences from their stored state with
        // the state zeroed at every episode start.
        let rows: [Int], actions: Tensor, out: (policy: Tensor, values: Tensor, state: [RecurrentState])
        if isRecurrent {
            let s = try rollout.sequences(part)                                 // observations [B, L, obs]
            let template = try actorCritic.initialState(batch: part.count)
            let start = try [RecurrentState].fromRows(s.states, like: template)
            out = try actorCritic.forward(s.observations, state: start, resets: config.maskEpisodeStarts ? s.resets : nil)
            rows = s.rowIndices
            actions = s.actions
        } else {
            let b = try rollout.rows(part)                                       // observations [B, obs]
            out = try actorCritic.forward(b.observations.unsqueezed(axis: 1), state: nil, resets: nil)
            rows = part
            actions = b.actions
        }
        let R = rows.count
        let pi = try distribution(out.policy.reshape([R, policySize]))            // over [R, P]
        let taken = isContinuous ? try actions.reshape([R, policySize])
                                 : try actions.reshape([R]) - Float(actionStart)   // [R] or [R, D]
        let logProb = try pi.logProb(taken)                                       // [R]
        let entropy = try pi.entropy().mean()
        let values = try out.values.reshape([R])                                  // [R]

        // Â_t of the minibatch (normalised within it), R_t, log π_old, V_old.
        var advantageValues = rows.map { estimate.advantages[$0] }
        if config.normalizeAdvantages { advantageValues = normalizedAdvantages(advantageValues) }
        let advantages = try Tensor(advantageValues, shape: [R])
        let returns = try RolloutBuffer.gather(estimate.returns, rows)
        let oldLogProb = try RolloutBuffer.gather(rollout.logProbs, rows)
        let oldValues = try RolloutBuffer.gather(rollout.values, rows)

        // The policy loss: PPO's clipped surrogate, or A2C's −Â log π.
        var metrics: [String: Double] = [:]
        let policyLoss: Tensor
        if let epsilon {
            policyLoss = try clippedSurrogateLoss(logProbs: logProb, oldLogProbs: oldLogProb, advantages: advantages, clipRange: epsilon)
            // KL(π_old ‖ π) ≈ E[(r − 1) − log r] (Schulman's k3 estimator), and the clipped share.
            let lr = try (logProb.detached() - oldLogProb).scalars
            var kl = 0.0, clippedCount = 0
            for v in lr {
                let r = Foundation.exp(Double(v))
                kl += (r - 1) - Double(v)
                if Swift.abs(r - 1) > epsilon { clippedCount += 1 }
            }
            metrics[Metric.approxKL] = kl / Double(R)
            metrics[Metric.clipFraction] = Double(clippedCount) / Double(R)
        } else {
            policyLoss = try (advantages * logProb).mean().neg()
        }

        // The value loss L^VF = (V_θ(s_t) − R_t)², optionally with V clipped around V_old.
        var valueLoss = try (values - returns).square()
        if let c = config.valueClipRange {
            let clippedValues = try oldValues + (values - oldValues).clamp(min: Float(-c), max: Float(c))
            valueLoss = try Tensor.maximum(valueLoss, (clippedValues - returns).square())
        }
        valueLoss = try valueLoss.mean()

        let loss = try policyLoss + valueLoss * Float(config.valueCoefficient) - entropy * Float(config.entropyCoefficient)
        metrics[Metric.policyLoss] = Double(try policyLoss.item())
        metrics[Metric.valueLoss] = Double(try valueLoss.item())
        metrics[Metric.entropy] = Double(try entropy.item())
        return (loss, metrics)
    }

    // MARK: - Evaluation

    /// The most likely action (a categorical policy's mode) with the recurrent state reset
    /// at every episode start. Discrete actions only: a `Policy` acts in an `Environment`.
    public func greedyPolicy() throws -> any Policy { try policy(greedy: true, resetsState: true) }

    /// A policy for evaluation: greedy or sampling, and with the state reset at each episode
    /// start (`resetsState`) or carried from one episode into the next (what a policy that
    /// never learned where episodes start would do).
    public func policy(greedy: Bool = true, resetsState: Bool = true, seed: UInt64 = 0) throws -> PPOPolicy {
        try require(!isContinuous, algorithm, "evaluation policies act in discrete environments, but this agent's actions are \(actionSpace)")
        return try PPOPolicy(agent: self, greedy: greedy, resetsState: resetsState, seed: seed)
    }

    /// Observations standardised with `observationNormalization` (clipped to ±10), if set.
    func normalized(_ observation: [Float]) -> [Float] {
        guard let s = observationNormalization else { return observation }
        return observation.enumerated().map { i, x in
            Float(Swift.min(Swift.max((Double(x) - s.mean[i]) / (s.variance[i] + 1e-8).squareRoot(), -10), 10))
        }
    }

    /// A `VectorEnvironment` of `config.environmentCount` copies of `environment` with
    /// same-step autoreset (copy i is reset with seed + i).
    public static func vectorize<E: Environment>(_ environment: E, _ config: PPOConfig) throws -> VectorEnvironment<E> {
        try VectorEnvironment(count: config.environmentCount, autoresetMode: .sameStep) { _ in environment }
    }
}

/// A PPO agent's policy acting alone, one observation at a time.
public final class PPOPolicy: Policy {
    let agent: PPO
    let greedy: Bool
    let resetsState: Bool
    var state: [RecurrentState]
    var rng: RNG

    init(agent: PPO, greedy: Bool, resetsState: Bool, seed: UInt64) throws {
        self.agent = agent
        self.greedy = greedy
        self.resetsState = resetsState
        state = try agent.actorCritic.initialState(batch: 1)
        rng = RNG(seed: seed)
    }

    public func reset() throws {
        if resetsState { state = try agent.actorCritic.initialState(batch: 1) }
    }

    public func action(for observation: [Float]) throws -> Int {
        let x = try Tensor(agent.normalized(observation), shape: [1, 1, agent.observationSize])
        return try noGrad {
            let out = try agent.actorCritic.forward(x, state: state, resets: nil)
            state = out.state
            let logits = try out.policy.reshape([1, agent.policySize])
            let a = greedy ? try logits.argmax(axis: 1) : try Categorical(logits: logits).sample(rng: &rng)
            return Int(try a.reshape([]).item()) + agent.actionStart
        }
    }
}

/// −L^CLIP: the negated clipped surrogate objective of PPO, averaged over the batch,
///
///     −Ê_t[ min(r_t Â_t, clip(r_t, 1 − ε, 1 + ε) Â_t) ],   r_t = exp(log π(a_t|s_t) − log π_old(a_t|s_t)),
///
/// written as CleanRL does, max(−Â r, −Â clip(r)). Where the clipped term is the smaller
/// one the ratio has moved far enough in the advantage's direction, and the gradient is 0.
public func clippedSurrogateLoss(logProbs: Tensor, oldLogProbs: Tensor, advantages: Tensor, clipRange epsilon: Double) throws -> Tensor {
    let ratio = try (logProbs - oldLogProbs).exp()                                    // r_t(θ)
    let unclipped = try advantages.neg() * ratio
    let clipped = try advantages.neg() * ratio.clamp(min: Float(1 - epsilon), max: Float(1 + epsilon))
    return try Tensor.maximum(unclipped, clipped).mean()
}

/// The policy's distribution, categorical or diagonal Normal, seen through one interface.
enum PolicyDistributionValue {
    case categorical(Categorical)
    case normal(DiagonalNormal)

    func sample(rng: inout RNG) throws -> Tensor {
        switch self {
        case .categorical(let d): return try d.sample(rng: &rng)
        case .normal(let d): return try d.sample(rng: &rng)
        }
    }
    func logProb(_ actions: Tensor) throws -> Tensor {
        switch self {
        case .categorical(let d): return try d.logProb(actions)
        case .normal(let d): return try d.logProb(actions)
        }
    }
    func entropy() throws -> Tensor {
        switch self {
        case .categorical(let d): return try d.entropy()
        case .normal(let d): return try d.entropy()
        }
    }
}

/// 1 − Var(targets − predicted) / Var(targets): the share of the returns' variance the
/// value function explains (1 perfect, 0 no better than a constant; NaN for constant targets).
func explainedVariance(predicted: [Float], targets: [Float]) -> Double {
    let n = Double(targets.count)
    guard n > 1 else { return .nan }
    func variance(_ x: [Double]) -> Double {
        let m = x.reduce(0, +) / n
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
    }
    let t = targets.map(Double.init)
    let varTargets = variance(t)
    guard varTargets > 0 else { return .nan }
    return 1 - variance(zip(t, predicted).map { $0 - Double($1) }) / varTargets
}

// MARK: - Training on one environment

/// Trains `agent` on `agent.config.environmentCount` copies of `environment` (same-step
/// autoreset; copy i seeded with seed + i), with the observation and reward normalisation
/// the config asks for, and returns the run. The normalisation statistics carry over to
/// the next call and to `greedyPolicy`.
@discardableResult
public func train<E: Environment>(
    _ agent: PPO, on environment: E, steps: Int, options: TrainingOptions = TrainingOptions(),
    callbacks: [TrainingCallback] = []
) throws -> Run {
    try train(agent, copies: try PPO.vectorize(environment, agent.config), steps: steps, options: options, callbacks: callbacks)
}

/// As `train(_:on:steps:)`, on the given copies (a vector environment with same-step
/// autoreset), wrapped in the normalisation the config asks for.
@discardableResult
public func train<E: Environment>(
    _ agent: PPO, copies: VectorEnvironment<E>, steps: Int, options: TrainingOptions = TrainingOptions(),
    callbacks: [TrainingCallback] = []
) throws -> Run {
    let c = agent.config
    guard c.normalizeObservations || c.normalizeRewards else {
        var env = copies
        return try train(agent, on: &env, steps: steps, options: options, callbacks: callbacks)
    }
    var env = try NormalizedVectorEnvironment(copies, observations: c.normalizeObservations, rewards: c.normalizeRewards, gamma: c.gamma)
    if let s = agent.observationNormalization { env.observationStatistics = s }
    if let s = agent.returnNormalization { env.returnStatistics = s }
    defer {
        if c.normalizeObservations { agent.observationNormalization = env.observationStatistics }
        agent.returnNormalization = env.returnStatistics
    }
    return try train(agent, on: &env, steps: steps, options: options, callbacks: callbacks)
}
