import Configuration
import Environments
import NeuralNets
import TensorCore

// DQN: Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015,
// with Double DQN targets (van Hasselt, Guez & Silver, "Deep Reinforcement Learning with
// Double Q-learning", AAAI 2016) and the Huber loss (the paper's clipping of the TD error
// to [−1, 1]). Partial observability is handled, as in the paper, only by what the
// observation shows: wrap the environment in `.frameStack(k)` for a window of k frames.
//
// The file reads top to bottom like CleanRL's dqn.py: the configuration, the agent, then
// the rollout (acting), the update, and the logged metrics.

/// DQN's hyperparameters, with the paper's symbols. Defaults suit the lecture's small tasks
/// (T-maze, CartPole) rather than Atari.
public struct DQNConfig: Sendable {
    /// α, Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// γ, the discount factor.
    public var gamma: Double = 0.99
    /// N, the replay memory size in transitions.
    public var bufferSize: Int = 10_000
    /// The minibatch size (32 in the paper).
    public var batchSize: Int = 64
    /// Steps before the first update ("replay start size"; at least `batchSize`).
    public var learningStarts: Int = 500
    /// Update every this many steps ("update frequency", 4 in the paper).
    public var trainFrequency: Int = 1
    /// C, the target network is refreshed every C updates.
    public var targetUpdateInterval: Int = 250
    /// τ, the target refresh rate: θ⁻ ← τθ + (1 − τ)θ⁻ (1 = a hard copy, as the paper).
    public var tau: Float = 1
    /// ε at the start of training.
    public var epsilonStart: Double = 1
    /// ε after `explorationSteps` steps and from then on.
    public var epsilonEnd: Double = 0.05
    /// The number of steps over which ε falls linearly (at least 1).
    public var explorationSteps: Int = 5_000
    /// Use Double DQN targets: the online network picks argmax_a′ Q(s′, a′; θ), the target
    /// network evaluates it (van Hasselt et al. 2016). False: max_a′ Q(s′, a′; θ⁻).
    public var doubleQ: Bool = true
    /// Use the Huber loss (δ = 1); false: the squared TD error.
    public var huberLoss: Bool = true
    /// Clip the gradient's global norm to this (nil: no clipping).
    public var maxGradNorm: Float? = 10
    /// The seed of exploration and replay sampling.
    public var seed: UInt64 = 0

    public init() {}

    func validate() throws {
        let c = "DQN"
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(gamma >= 0 && gamma <= 1, c, "gamma must be in [0, 1], got \(gamma)")
        try require(bufferSize >= 1, c, "bufferSize must be >= 1, got \(bufferSize)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        // The warm-up must hold at least one batch: fewer stored transitions than a batch
        // would fill the first batches with copies of the same few transitions.
        try require(learningStarts >= batchSize, c,
                    "learningStarts (the warm-up) must be at least batchSize (\(batchSize)) steps, got \(learningStarts)")
        try require(trainFrequency >= 1, c, "trainFrequency must be >= 1, got \(trainFrequency)")
        try require(targetUpdateInterval >= 1, c, "targetUpdateInterval must be >= 1, got \(targetUpdateInterval)")
        try require(tau > 0 && tau <= 1, c, "tau must be in (0, 1], got \(tau)")
        try require((0...1).contains(epsilonStart) && (0...1).contains(epsilonEnd), c, "epsilons must be in [0, 1], got \(epsilonStart) → \(epsilonEnd)")
        try require(epsilonEnd <= epsilonStart, c, "epsilonEnd (\(epsilonEnd)) must not exceed epsilonStart (\(epsilonStart)): ε falls over the exploration period")
        try require(explorationSteps >= 1, c, "explorationSteps (the steps over which ε falls) must be >= 1, got \(explorationSteps)")
        if let m = maxGradNorm { try require(m > 0, c, "maxGradNorm must be > 0, got \(m)") }
    }
}

/// The fields as users set them (`DQN(net, gamma: 0.9)`), in the order they are passed by
/// position; the defaults are the ones above.
extension DQNConfig: Configurable {
    public static let fields: [ConfigField<DQNConfig>] = [
        ConfigField("lr", \.learningRate, "α, Adam's learning rate", .positive),
        ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
        ConfigField("batch_size", \.batchSize, "transitions per minibatch", .atLeast(1)),
        ConfigField("buffer_size", \.bufferSize, "N, the replay memory in transitions", .atLeast(1)),
        ConfigField("learning_starts", \.learningStarts, "steps before the first update (replay start size)", .nonNegative),
        ConfigField("target_update", \.targetUpdateInterval, "C, updates between target-network refreshes", .atLeast(1)),
        ConfigField("exploration_steps", \.explorationSteps, "steps over which ε falls linearly", .nonNegative),
        ConfigField("epsilon_end", \.epsilonEnd, "ε after exploration_steps", .unit),
        ConfigField("double_q", \.doubleQ, "Double DQN targets (van Hasselt et al. 2016)"),
        ConfigField("seed", \.seed, "the seed of exploration and replay sampling"),
        ConfigField("epsilon_start", \.epsilonStart, "ε at the start of training", .unit),
        ConfigField("train_frequency", \.trainFrequency, "steps between updates", .atLeast(1)),
        ConfigField("tau", \.tau, "τ, the target refresh rate: θ⁻ ← τθ + (1 − τ)θ⁻", .openClosed(0, 1)),
        ConfigField("huber_loss", \.huberLoss, "the Huber loss (δ = 1); false: the squared TD error"),
        ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: no clipping)", .positive),
    ]
}

/// A deep Q-network agent over any feed-forward network [B, obs] → [B, A].
public final class DQN: OffPolicyLearner, EpsilonGreedy {
    public let config: DQNConfig
    /// Q(·; θ), the online network.
    public let qNetwork: any Layer
    /// Q(·; θ⁻).
    public let target: TargetNetwork
    public let optimizer: Adam
    public private(set) var buffer: TransitionReplayBuffer
    let observationSize: Int
    let actionCount: Int
    let actionStart: Int
    let environmentName: String
    var rng: RNG
    let epsilon: LinearSchedule

    public private(set) var stepCount = 0
    public private(set) var updateCount = 0
    var lastObservation: [Float] = []
    var lastAction = 0

    public var algorithm: String { "DQN" }
    public var network: Module { qNetwork }
    public var explorationRate: Double { epsilon(stepCount) }

    /// A DQN agent for `environment` (its observation size and action count): throws when
    /// the network does not take the observations or does not output one Q-value per action.
    public init<E: Environment>(network: any Layer, environment: E, config: DQNConfig = DQNConfig()) throws {
        try config.validate()
        try checkFeedForward(network, environment, component: "DQN")
        self.config = config
        qNetwork = network
        target = try TargetNetwork(of: network)
        optimizer = try Adam(network, learningRate: config.learningRate)
        observationSize = environment.observationSize
        actionCount = environment.actionSpace.n
        actionStart = environment.actionSpace.start
        environmentName = environment.name
        buffer = try TransitionReplayBuffer(capacity: config.bufferSize, observationSize: observationSize)
        rng = RNG(seed: config.seed)
        epsilon = LinearSchedule(start: config.epsilonStart, end: config.epsilonEnd, duration: config.explorationSteps)
    }

    public func checkCompatible<E: Environment>(with environment: E) throws {
        try require(environment.observationSize == observationSize && environment.actionSpace.n == actionCount, "DQN",
                    "this agent was built for \(environmentName) (observations of size \(observationSize), \(actionCount) actions) but \(environment.name) has observations of size \(environment.observationSize) and \(environment.actionSpace.n) actions")
    }

    // MARK: - Rollout

    /// Q(s, ·; θ) for one observation.
    func qValues(_ observation: [Float]) throws -> [Float] {
        try noGrad { try qNetwork(Tensor(observation, shape: [1, observationSize])).scalars }
    }

    public func startEpisode(observation: [Float]) throws {
        lastObservation = observation
    }

    /// ε-greedy: a uniform action with probability ε, else argmax_a Q(s, a; θ).
    public func act(_ observation: [Float]) throws -> Int {
        lastObservation = observation
        if rng.uniformDouble() < explorationRate {
            lastAction = rng.int(below: actionCount)
        } else {
            lastAction = try qValues(observation).withUnsafeBufferPointer(greedyIndex)
        }
        return lastAction + actionStart
    }

    public func record(reward: Double, nextObservation: [Float], terminated: Bool, truncated: Bool) throws {
        try buffer.add(observation: lastObservation, action: lastAction, reward: reward,
                       nextObservation: nextObservation, terminated: terminated)
        stepCount += 1
    }

    // MARK: - Update

    public func learn(metrics: inout [String: Double]) throws {
        guard stepCount > config.learningStarts, stepCount % config.trainFrequency == 0 else { return }
        let batch = try buffer.sample(batchSize: config.batchSize, rng: &rng)
        let B = config.batchSize

        // y = r + γ (1 − terminated) Q(s′, a*; θ⁻), with a* from θ (Double DQN) or θ⁻.
        let nextQ: Tensor = try noGrad {
            let targetQ = try target.evaluate { try qNetwork(batch.nextObservations) }          // [B, A]
            if config.doubleQ {
                let best = try qNetwork(batch.nextObservations).argmax(axis: 1, keepdims: true)  // [B, 1]
                return try targetQ.gather(axis: 1, best).reshape([B])                          // [B]
            }
            return try targetQ.max(axis: 1)                                                     // [B]
        }
        let notDone = batch.terminated.subtracted(from: 1)
        let y = try batch.rewards + nextQ * notDone * Float(config.gamma)                       // [B]

        // Q(s, a; θ) and the loss.
        let q = try qNetwork(batch.observations).gather(axis: 1, batch.actions).reshape([B])   // [B]
        let loss = config.huberLoss ? try huberLoss(q, y) : try mseLoss(q, y)
        try optimizer.minimize(loss, maxGradNorm: config.maxGradNorm)
        updateCount += 1
        if updateCount % config.targetUpdateInterval == 0 { try target.sync(tau: config.tau) }

        // Logging.
        metrics["losses/td_loss"] = Double(try loss.item())
        metrics["losses/q_values"] = Double(try q.mean().item())
    }

    public func greedyPolicy() throws -> any Policy { GreedyDQNPolicy(agent: self) }
}

/// argmax_a Q(s, a; θ) of a DQN agent.
final class GreedyDQNPolicy: Policy {
    let agent: DQN
    init(agent: DQN) { self.agent = agent }
    func reset() throws {}
    func action(for observation: [Float]) throws -> Int {
        try agent.qValues(observation).withUnsafeBufferPointer(greedyIndex) + agent.actionStart
    }
}
