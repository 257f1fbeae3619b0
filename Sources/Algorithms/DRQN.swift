import Configuration
import Environments
import NeuralNets
import TensorCore

// DRQN: Hausknecht & Stone, "Deep Recurrent Q-Learning for Partially Observable MDPs",
// AAAI Fall Symposium 2015 — DQN with a recurrent layer, trained on replayed sequences —
// with the replay strategies of R2D2: Kapturowski, Ostrovski, Quan, Munos & Dabney,
// "Recurrent Experience Replay in Distributed Reinforcement Learning", ICLR 2019.
//
// Where does the recurrent state of a replayed subsequence start?
//   - zero start: from zeros, as if the subsequence began the episode (DRQN's "random
//     updates"); cheap, but the network never sees the state it would really have;
//   - burn-in: the first l steps of the window only warm the state up (no gradient), and
//     the loss covers the remaining L steps;
//   - stored state: from the state the actor had when it took that step, kept in the
//     replay buffer — stale, because the actor's parameters were older;
//   - stored state + burn-in: R2D2's choice; the burn-in repairs the staleness.
// Whole-episode replay (`sequenceLength` nil) starts every sequence at its episode's start
// from zeros, which is exact: that is DRQN's "bootstrapped sequential updates" and the
// benchmark's configuration.
//
// R2D2 measures how far a strategy's state is from the right one with the Q-value
// discrepancy (their section 3):
//
//     ΔQ = ‖q(ĥ_t; θ̂) − q(h_t; θ̂)‖₂ / |max_a q(ĥ_t; θ̂)_a|
//
// where θ̂ are the current online parameters, ĥ_t the state the strategy reaches at step t
// of the replayed window, and h_t the "true" state: the network θ̂ unrolled from the start
// of the episode over all of its observations up to t. We log it (averaged over the batch)
// at the window's first training step (`losses/delta_q_first`) and its last real training
// step (`losses/delta_q`), every `deltaQInterval` updates; `measureDeltaQ` compares
// strategies on the same replayed windows.
//
// The file reads top to bottom like CleanRL: configuration, agent, rollout, update, ΔQ.

/// Where a replayed window's recurrent state starts (R2D2's strategies).
public struct ReplayStrategy: Sendable, Equatable, CustomStringConvertible {
    /// l, the burn-in steps before the training window (0: none).
    public var burnIn: Int
    /// Start from the state the actor stored (true) or from zeros (false).
    public var storedState: Bool

    public init(burnIn: Int = 0, storedState: Bool = false) {
        self.burnIn = burnIn
        self.storedState = storedState
    }

    /// Zeros at the window start, no burn-in.
    public static let zeroStart = ReplayStrategy()
    /// Zeros at the start of an l-step burn-in.
    public static func burnIn(_ l: Int) -> ReplayStrategy { ReplayStrategy(burnIn: l) }
    /// The actor's stored state at the window start.
    public static let storedState = ReplayStrategy(storedState: true)
    /// The actor's stored state at the start of an l-step burn-in (R2D2).
    public static func storedStateWithBurnIn(_ l: Int) -> ReplayStrategy { ReplayStrategy(burnIn: l, storedState: true) }

    public var description: String {
        switch (storedState, burnIn) {
        case (false, 0): return "zero start"
        case (false, let l): return "burn-in \(l)"
        case (true, 0): return "stored state"
        case (true, let l): return "stored state + burn-in \(l)"
        }
    }
}

/// DRQN's hyperparameters, with the papers' symbols. The defaults are the benchmark's
/// (issue 8): whole-episode replay from zeros, 32 episodes a batch, Double DQN targets,
/// Huber loss, Adam 1e-3, γ 0.99, a hard target sync every 100 updates, one update per
/// episode, ε from 1.0 to 0.05 over the first 600 episodes.
public struct DRQNConfig: Sendable {
    /// α, Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// γ, the discount factor.
    public var gamma: Double = 0.99
    /// The replay capacity in rows (steps plus one per episode).
    public var bufferCapacity: Int = 100_000
    /// The minibatch size in sequences (R2D2: 64).
    public var batchSize: Int = 32
    /// L, the training steps of a replayed window; nil replays whole episodes from their
    /// start (Hausknecht & Stone's "bootstrapped sequential updates").
    public var sequenceLength: Int? = nil
    /// How a window's state starts (used when `sequenceLength` is set); R2D2: stored state
    /// with l = 40 burn-in steps for L = 80.
    public var strategy: ReplayStrategy = .zeroStart
    /// Complete episodes in the buffer before the first update (the warm-up; at least
    /// `batchSize`).
    public var learningStartsEpisodes: Int = 32
    /// Gradient updates at the end of each episode.
    public var updatesPerEpisode: Int = 1
    /// C, the target network θ⁻ is refreshed every C updates.
    public var targetUpdateInterval: Int = 100
    /// τ, the target refresh rate (1: a hard copy).
    public var tau: Float = 1
    /// ε at the start.
    public var epsilonStart: Double = 1
    /// ε after `explorationEpisodes` episodes and from then on.
    public var epsilonEnd: Double = 0.05
    /// The number of episodes over which ε falls linearly (at least 1), counted from the
    /// first episode, not from the end of the warm-up.
    public var explorationEpisodes: Int = 600
    /// Double DQN targets (van Hasselt et al. 2016).
    public var doubleQ: Bool = true
    /// The Huber loss (δ = 1); false: the squared TD error.
    public var huberLoss: Bool = true
    /// Clip the gradient's global norm to this (nil: no clipping, as the benchmark).
    public var maxGradNorm: Float? = nil
    /// Keep the actor's recurrent state at every step in the buffer (needed by the stored
    /// strategies and by `measureDeltaQ` for them).
    public var storeStates: Bool = true
    /// Log ΔQ every this many updates (0: never). Costs one extra forward pass over the
    /// sampled episodes.
    public var deltaQInterval: Int = 10
    /// The seed of exploration and replay sampling.
    public var seed: UInt64 = 0

    public init() {}

    func validate() throws {
        let c = "DRQN"
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(gamma >= 0 && gamma <= 1, c, "gamma must be in [0, 1], got \(gamma)")
        try require(bufferCapacity >= 2, c, "bufferCapacity must be >= 2, got \(bufferCapacity)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        if let L = sequenceLength { try require(L >= 1, c, "sequenceLength must be >= 1 or nil, got \(L)") }
        try require(strategy.burnIn >= 0, c, "burn-in must be >= 0, got \(strategy.burnIn)")
        try require(!strategy.storedState || storeStates, c, "the stored-state strategy needs storeStates = true")
        // The warm-up must hold at least one batch: fewer stored episodes than sequences in a
        // batch would fill the first batches with copies of the same few episodes.
        try require(learningStartsEpisodes >= batchSize, c,
                    "learningStartsEpisodes (the warm-up) must be at least batchSize (\(batchSize)) episodes, got \(learningStartsEpisodes)")
        try require(updatesPerEpisode >= 0, c, "updatesPerEpisode must be >= 0, got \(updatesPerEpisode)")
        try require(targetUpdateInterval >= 1, c, "targetUpdateInterval must be >= 1, got \(targetUpdateInterval)")
        try require(tau > 0 && tau <= 1, c, "tau must be in (0, 1], got \(tau)")
        try require((0...1).contains(epsilonStart) && (0...1).contains(epsilonEnd), c, "epsilons must be in [0, 1], got \(epsilonStart) → \(epsilonEnd)")
        try require(epsilonEnd <= epsilonStart, c, "epsilonEnd (\(epsilonEnd)) must not exceed epsilonStart (\(epsilonStart)): ε falls over the exploration period")
        try require(explorationEpisodes >= 1, c, "explorationEpisodes (the episodes over which ε falls) must be >= 1, got \(explorationEpisodes)")
        try require(deltaQInterval >= 0, c, "deltaQInterval must be >= 0, got \(deltaQInterval)")
        if let m = maxGradNorm { try require(m > 0, c, "maxGradNorm must be > 0, got \(m)") }
    }
}

/// The fields as users set them, in the order they are passed by position; the defaults
/// are the ones above. `sequenceLength` and `strategy` are set through `DRQNSettings`.
extension DRQNConfig: Configurable {
    public static let fields: [ConfigField<DRQNConfig>] = [
        ConfigField("lr", \.learningRate, "α, Adam's learning rate", .positive),
        ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
        ConfigField("batch_size", \.batchSize, "sequences per minibatch", .atLeast(1)),
        ConfigField("target_update", \.targetUpdateInterval, "C, updates between target-network refreshes", .atLeast(1)),
        ConfigField("exploration_episodes", \.explorationEpisodes, "episodes over which ε falls linearly", .nonNegative),
        ConfigField("epsilon_end", \.epsilonEnd, "ε after exploration_episodes", .unit),
        ConfigField("seed", \.seed, "the seed of exploration and replay sampling"),
        ConfigField("updates_per_episode", \.updatesPerEpisode, "gradient updates at the end of each episode", .nonNegative),
        ConfigField("learning_starts", \.learningStartsEpisodes, "complete episodes in the buffer before the first update", .atLeast(1)),
        ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: no clipping)", .positive),
        ConfigField("buffer_capacity", \.bufferCapacity, "the replay capacity in rows (steps plus one per episode)", .atLeast(2)),
        ConfigField("epsilon_start", \.epsilonStart, "ε at the start", .unit),
        ConfigField("tau", \.tau, "τ, the target refresh rate (1: a hard copy)", .openClosed(0, 1)),
        ConfigField("double_q", \.doubleQ, "Double DQN targets (van Hasselt et al. 2016)"),
        ConfigField("huber_loss", \.huberLoss, "the Huber loss (δ = 1); false: the squared TD error"),
        ConfigField("store_states", \.storeStates, "keep the actor's recurrent state of every step (stored-state replay needs it)"),
        ConfigField("delta_q_interval", \.deltaQInterval, "log R2D2's ΔQ every this many updates (0: never)", .nonNegative),
    ]
}

/// DRQN as users configure it: the replay strategy named in one word, with its burn-in
/// length and window length, over the rest of `DRQNConfig`.
///
/// `replay: "episode"` (the default) replays whole episodes from their start
/// (`sequenceLength` nil; `burn_in` and `sequence_length` are not used); the others replay
/// windows of `sequence_length` steps (8 unless given) whose state starts as R2D2's
/// strategies say: "zero", "burn_in" (l = `burn_in`), "stored", "stored_burn_in".
public struct DRQNSettings: Configurable {
    public enum Replay: String, Sendable, CaseIterable, FieldChoice {
        case episode, zero, burnIn = "burn_in", stored, storedBurnIn = "stored_burn_in"
    }
    public var replay: Replay = .episode
    /// l, the burn-in steps of "burn_in" and "stored_burn_in".
    public var burnIn = 0
    /// L, the window length of the windowed strategies; nil: 8.
    public var sequenceLength: Int? = nil
    public var config = DRQNConfig()

    public init() {}

    public static let fields: [ConfigField<DRQNSettings>] = [
        ConfigField("replay", \.replay, "whole episodes, or windows whose state starts from zeros, a burn-in, the stored state, or both"),
        ConfigField("burn_in", \.burnIn, "l, steps that only warm the state up (\"burn_in\", \"stored_burn_in\")", .nonNegative),
        ConfigField("sequence_length", \.sequenceLength, "L, the training steps of a replayed window (nil: 8; not used by \"episode\")", .atLeast(1)),
    ] + DRQNConfig.fields.map { $0.lifted(through: \.config) }

    /// The configuration these settings stand for.
    public var resolved: DRQNConfig {
        var c = config
        switch replay {
        case .episode: c.sequenceLength = nil
        case .zero: c.strategy = .zeroStart
        case .burnIn: c.strategy = .burnIn(burnIn)
        case .stored: c.strategy = .storedState
        case .storedBurnIn: c.strategy = .storedStateWithBurnIn(burnIn)
        }
        if replay != .episode { c.sequenceLength = sequenceLength ?? 8 }
        return c
    }
}

/// A deep recurrent Q-network agent.
public final class DRQN: OffPolicyLearner, EpsilonGreedy {
    public let config: DRQNConfig
    /// Q(·; θ), the online recurrent network.
    public let qFunction: any RecurrentQFunction
    /// Q(·; θ⁻).
    public let target: TargetNetwork
    public let optimizer: Adam
    public private(set) var buffer: SequenceReplayBuffer
    let observationSize: Int
    let actionCount: Int
    let actionStart: Int
    let environmentName: String
    let stateSize: Int
    var rng: RNG
    let epsilon: LinearSchedule

    public private(set) var stepCount = 0
    public private(set) var updateCount = 0
    /// Completed training episodes.
    public private(set) var episodeCount = 0
    var actingState: RecurrentState
    var stateBeforeStep: [Float]
    var lastObservation: [Float] = []
    var lastAction = 0
    var episodeJustEnded = false

    public var algorithm: String { "DRQN" }
    public var network: Module { qFunction.module }
    public var explorationRate: Double { epsilon(episodeCount) }

    /// A DRQN agent for `environment`. `network` is a `RecurrentQFunction` (such as
    /// `RecurrentQNetwork`) or a `Sequential` with one recurrent layer; throws, naming both
    /// sides, when it is not recurrent, does not take the observations, or does not output
    /// one Q-value per action.
    public init<E: Environment>(network: Module, environment: E, config: DRQNConfig = DRQNConfig()) throws {
        try config.validate()
        let f = try recurrentQFunction(network, component: "DRQN")
        try checkRecurrent(f, environment, component: "DRQN")
        self.config = config
        qFunction = f
        target = try TargetNetwork(of: f.module)
        optimizer = try Adam(f.module, learningRate: config.learningRate)
        observationSize = environment.observationSize
        actionCount = environment.actionSpace.n
        actionStart = environment.actionSpace.start
        environmentName = environment.name
        actingState = try f.initialState(batch: 1)
        stateSize = config.storeStates ? RecurrentState.rowSize(of: actingState) : 0
        stateBeforeStep = [Float](repeating: 0, count: stateSize)
        buffer = try SequenceReplayBuffer(capacity: config.bufferCapacity, observationSize: observationSize, stateSize: stateSize)
        rng = RNG(seed: config.seed)
        epsilon = LinearSchedule(start: config.epsilonStart, end: config.epsilonEnd, duration: config.explorationEpisodes)
    }

    /// A DRQN agent given as a `RecurrentQFunction` (a script's model adapted by closures).
    public convenience init<E: Environment>(qFunction: any RecurrentQFunction, environment: E, config: DRQNConfig = DRQNConfig()) throws {
        try self.init(network: QFunctionBox(qFunction), environment: environment, config: config)
    }

    public func checkCompatible<E: Environment>(with environment: E) throws {
        try require(environment.observationSize == observationSize && environment.actionSpace.n == actionCount, "DRQN",
                    "this agent was built for \(environmentName) (observations of size \(observationSize), \(actionCount) actions) but \(environment.name) has observations of size \(environment.observationSize) and \(environment.actionSpace.n) actions")
    }

    // MARK: - Rollout

    public func startEpisode(observation: [Float]) throws {
        actingState = try qFunction.initialState(batch: 1)
        buffer.clearPending()
        lastObservation = observation
    }

    /// ε-greedy on Q(h_t, ·; θ); the state advances whichever action is taken.
    public func act(_ observation: [Float]) throws -> Int {
        lastObservation = observation
        if stateSize > 0 {
            stateBeforeStep.withUnsafeMutableBufferPointer { actingState.writeRow(0, to: $0.baseAddress!) }
        }
        let (q, next) = try noGrad {
            try qFunction.forward(Tensor(observation, shape: [1, 1, observationSize]), state: actingState, resets: nil)
        }
        actingState = next
        if rng.uniformDouble() < explorationRate {
            lastAction = rng.int(below: actionCount)
        } else {
            lastAction = q.withUnsafeBufferPointer(greedyIndex)
        }
        return lastAction + actionStart
    }

    public func record(reward: Double, nextObservation: [Float], terminated: Bool, truncated: Bool) throws {
        try stateBeforeStep.withUnsafeBufferPointer { s in
            try buffer.append(observation: lastObservation, action: lastAction, reward: reward, terminated: terminated,
                              state: stateSize > 0 ? s : nil)
        }
        stepCount += 1
        if terminated || truncated {
            if stateSize > 0 {
                stateBeforeStep.withUnsafeMutableBufferPointer { actingState.writeRow(0, to: $0.baseAddress!) }
            }
            try stateBeforeStep.withUnsafeBufferPointer { s in
                try buffer.endEpisode(finalObservation: nextObservation, finalState: stateSize > 0 ? s : nil)
            }
            episodeCount += 1
            episodeJustEnded = true
        }
    }

    // MARK: - Update

    public func learn(metrics: inout [String: Double]) throws {
        guard episodeJustEnded else { return }
        episodeJustEnded = false
        guard buffer.episodeCount >= config.learningStartsEpisodes else { return }
        for _ in 0..<config.updatesPerEpisode { try update(metrics: &metrics) }
    }

    /// One gradient step on a batch of replayed sequences.
    func update(metrics: inout [String: Double]) throws {
        let strategy = config.sequenceLength == nil ? ReplayStrategy.zeroStart : config.strategy
        let groups = try sampleBatch(strategy)
        var totalLoss: Tensor?, totalQ: Float = 0, realSteps: Float = 0
        var replayed: [(batch: SequenceBatch, q: Tensor)] = []
        for batch in groups {
            let (B, L, l) = (batch.batchSize, batch.length, batch.burnIn)

            // The state at the window start (zeros or stored), then the burn-in without gradient.
            let start = try startState(batch, strategy)
            let q = try replayQ(batch, from: start)                               // [B, L + 1, A]

            // y_t = r_t + γ (1 − terminated_t) Q(h_{t+1}, a*; θ⁻); θ⁻ unrolls the whole
            // window from the same start (its own burn-in).
            let nextQ: Tensor = try noGrad {
                let targetQ = try target.evaluate {
                    try qFunction.forward(batch.observations, state: start, resets: batch.resets).q
                }.narrow(axis: 1, start: l + 1, length: L)                         // [B, L, A]
                if config.doubleQ {
                    let best = try q.detached().narrow(axis: 1, start: 1, length: L).argmax(axis: 2, keepdims: true)  // [B, L, 1]
                    return try targetQ.gather(axis: 2, best).reshape([B, L])
                }
                return try targetQ.max(axis: 2)                                   // [B, L]
            }
            let y = try batch.rewards + nextQ * batch.terminated.subtracted(from: 1) * Float(config.gamma)   // [B, L]

            // Q(h_t, a_t; θ) and the TD loss on the real (unpadded) training steps.
            let taken = try q.narrow(axis: 1, start: 0, length: L)
                .gather(axis: 2, batch.actions.reshape([B, L, 1])).reshape([B, L])  // [B, L]
            let perStep = config.huberLoss
                ? try huberLoss(taken, y, reduction: .none) : try mseLoss(taken, y, reduction: .none)
            let groupLoss = try (perStep * batch.mask).sum()
            totalLoss = try totalLoss.map { try $0 + groupLoss } ?? groupLoss
            totalQ += try (taken.detached() * batch.mask).sum().item()
            realSteps += try batch.mask.sum().item()
            replayed.append((batch, q))
        }
        let loss = totalLoss! / max(realSteps, 1)
        try optimizer.minimize(loss, maxGradNorm: config.maxGradNorm)
        updateCount += 1
        if updateCount % config.targetUpdateInterval == 0 { try target.sync(tau: config.tau) }

        // Logging.
        metrics["losses/td_loss"] = Double(try loss.item())
        metrics["losses/q_values"] = Double(totalQ / max(realSteps, 1))
        if config.deltaQInterval > 0, updateCount % config.deltaQInterval == 0 {
            var first = 0.0, last = 0.0, rows = 0
            for (batch, q) in replayed {
                let d = try deltaQ(batch, replayed: q.detached())
                first += d.first * Double(batch.batchSize)
                last += d.last * Double(batch.batchSize)
                rows += batch.batchSize
            }
            metrics["losses/delta_q"] = last / Double(rows)
            metrics["losses/delta_q_first"] = first / Double(rows)
        }
    }

    /// Samples the update's sequences. Whole episodes are grouped by length, and each group
    /// is padded only to its own longest episode: the same loss as one batch padded to the
    /// longest episode overall (the mean over all real steps), without computing the
    /// padding (PyTorch's packed sequences do the same).
    func sampleBatch(_ strategy: ReplayStrategy) throws -> [SequenceBatch] {
        if let L = config.sequenceLength {
            return [try buffer.sample(batchSize: config.batchSize, length: L, burnIn: strategy.burnIn, rng: &rng)]
        }
        let ids = (0..<config.batchSize).map { _ in buffer.firstID + rng.int(below: buffer.episodeCount) }
        let lengths = try ids.map { try buffer.steps(ofEpisode: $0) }
        let order = ids.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        return try lengthGroups(order.map { lengths[$0] }).map { range in
            let members = order[range]
            return try buffer.gather(ids: members.map { ids[$0] }, trainingStarts: members.map { _ in 0 },
                                     length: lengths[members.last!], burnIn: 0)
        }
    }

    /// The state entering window position 0: the stored one, or nil (zeros).
    func startState(_ batch: SequenceBatch, _ strategy: ReplayStrategy) throws -> RecurrentState? {
        guard strategy.storedState else { return nil }
        guard let rows = batch.storedStates else {
            throw AlgorithmError("DRQN", "the stored-state strategy needs a buffer that stores states (storeStates = true)")
        }
        return try RecurrentState.fromRows(rows, like: qFunction.initialState(batch: batch.batchSize))
    }

    /// Q(ĥ, ·; θ) over the training part of the window (L + 1 positions, the last one for the
    /// bootstrap), after running the burn-in from `start` without gradient.
    func replayQ(_ batch: SequenceBatch, from start: RecurrentState?) throws -> Tensor {
        let (L, l) = (batch.length, batch.burnIn)
        var state = start
        if l > 0 {
            let warm = try noGrad {
                try qFunction.forward(batch.observations.narrow(axis: 1, start: 0, length: l), state: start,
                                      resets: batch.resets.narrow(axis: 1, start: 0, length: l)).state
            }
            state = warm.detached()
        }
        return try qFunction.forward(batch.observations.narrow(axis: 1, start: l, length: L + 1), state: state,
                                     resets: batch.resets.narrow(axis: 1, start: l, length: L + 1)).q
    }

    // MARK: - ΔQ

    /// R2D2's ΔQ at the first and the last real training step of each window, averaged over
    /// the batch; `replayed` is Q(ĥ, ·; θ) over the training part, [B, L + 1, A].
    func deltaQ(_ batch: SequenceBatch, replayed: Tensor) throws -> (first: Double, last: Double) {
        let d = try deltaQParts(batch, replayed: replayed)
        return (d.first, d.last)
    }

    /// ΔQ and its two parts, averaged over the batch, at a window's first and last training step.
    func deltaQParts(_ batch: SequenceBatch, replayed: Tensor) throws -> DeltaQMeasurement {
        let full = try buffer.episodeObservations(batch.episodes)                       // [B, P, obs]
        let truth = try noGrad { try qFunction.forward(full, state: nil, resets: nil).q }  // [B, P, A]
        let (P, A, W1) = (full.shape[1], actionCount, batch.length + 1)
        let qHat = replayed.scalars, qTrue = truth.scalars
        /// (ΔQ, ‖q(ĥ) − q(h)‖₂, |maxₐ q(ĥ)ₐ|) at training step i of window b.
        func discrepancy(_ b: Int, _ i: Int) -> (ratio: Double, distance: Double, scale: Double) {
            let row = batch.windowStarts[b] + batch.burnIn + i                           // episode row of training step i
            var squares = 0.0, largest = -Double.infinity
            for a in 0..<A {
                let hat = Double(qHat[(b * W1 + i) * A + a]), ref = Double(qTrue[(b * P + row) * A + a])
                squares += (hat - ref) * (hat - ref)
                largest = max(largest, hat)
            }
            let distance = squares.squareRoot(), scale = abs(largest)
            return (distance / max(scale, 1e-6), distance, scale)
        }
        var m = DeltaQMeasurement()
        for b in 0..<batch.batchSize {
            let f = discrepancy(b, 0), l = discrepancy(b, batch.lastSteps[b])
            m.first += f.ratio; m.firstDistance += f.distance; m.firstScale += f.scale
            m.last += l.ratio; m.lastDistance += l.distance; m.lastScale += l.scale
        }
        return m.scaled(by: 1 / Double(batch.batchSize))
    }

    /// ΔQ of `strategy` (first and last training step, averaged) on `batches` batches of
    /// windows of `length` steps drawn with `seed`: the same windows for every strategy
    /// given the same seed, so strategies can be compared on one network and one buffer.
    public func measureDeltaQ(
        _ strategy: ReplayStrategy, length: Int, batches: Int = 4, batchSize: Int = 32, seed: UInt64 = 7
    ) throws -> (first: Double, last: Double) {
        let m = try measureDeltaQParts(strategy, length: length, batches: batches, batchSize: batchSize, seed: seed)
        return (m.first, m.last)
    }

    /// `measureDeltaQ` with ΔQ's numerator and denominator averaged apart, to see which one
    /// makes a large ΔQ (a zero start's first step: replayed Q-values near zero).
    public func measureDeltaQParts(
        _ strategy: ReplayStrategy, length: Int, batches: Int = 4, batchSize: Int = 32, seed: UInt64 = 7
    ) throws -> DeltaQMeasurement {
        try require(length >= 1 && batches >= 1 && batchSize >= 1, "DRQN", "length, batches and batchSize must be >= 1")
        try require(buffer.episodeCount > 0, "DRQN", "the replay buffer has no complete episode to measure ΔQ on")
        try require(!strategy.storedState || stateSize > 0, "DRQN", "measuring the stored-state strategy needs storeStates = true")
        var sampler = RNG(seed: seed)
        var total = DeltaQMeasurement()
        for _ in 0..<batches {
            let ids = (0..<batchSize).map { _ in buffer.firstID + sampler.int(below: buffer.episodeCount) }
            let starts = try ids.map { id in sampler.int(below: max(0, try buffer.steps(ofEpisode: id) - length) + 1) }
            let batch = try buffer.gather(ids: ids, trainingStarts: starts, length: length, burnIn: strategy.burnIn)
            let q = try noGrad { try replayQ(batch, from: try startState(batch, strategy)) }
            total = total + (try deltaQParts(batch, replayed: q))
        }
        return total.scaled(by: 1 / Double(batches))
    }

    public func greedyPolicy() throws -> any Policy { try GreedyDRQNPolicy(agent: self) }
}

/// argmax_a Q(h_t, a; θ) of a DRQN agent, with its own recurrent state.
final class GreedyDRQNPolicy: Policy {
    let agent: DRQN
    var state: RecurrentState
    init(agent: DRQN) throws {
        self.agent = agent
        state = try agent.qFunction.initialState(batch: 1)
    }
    func reset() throws { state = try agent.qFunction.initialState(batch: 1) }
    func action(for observation: [Float]) throws -> Int {
        let (q, next) = try noGrad {
            try agent.qFunction.forward(Tensor(observation, shape: [1, 1, agent.observationSize]), state: state, resets: nil)
        }
        state = next
        return q.withUnsafeBufferPointer(greedyIndex) + agent.actionStart
    }
}

/// Carries a `RecurrentQFunction` through `DRQN.init(network:)`.
final class QFunctionBox: Module, RecurrentQFunction {
    let inner: any RecurrentQFunction
    init(_ inner: any RecurrentQFunction) {
        self.inner = inner
        super.init()
    }
    var module: Module { inner.module }
    var summary: String { inner.summary }
    func initialState(batch: Int) throws -> RecurrentState { try inner.initialState(batch: batch) }
    func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState) {
        try inner.forward(x, state: state, resets: resets)
    }
}

/// Splits sequences sorted by length into contiguous groups minimising the padded work,
/// Σ (rows × (longest + 1)) plus a fixed cost per group (a group costs a few kernel calls).
func lengthGroups(_ sortedLengths: [Int], groupCost: Int = 48) -> [Range<Int>] {
    let n = sortedLengths.count
    guard n > 0 else { return [] }
    // best[i]: the least cost of the first i sequences; cut[i]: where its last group starts.
    var best = [Int](repeating: Int.max, count: n + 1), cut = [Int](repeating: 0, count: n + 1)
    best[0] = 0
    for i in 1...n {
        for j in 0..<i {
            let cost = best[j] + (i - j) * (sortedLengths[i - 1] + 1) + groupCost
            if cost < best[i] { best[i] = cost; cut[i] = j }
        }
    }
    var groups: [Range<Int>] = []
    var i = n
    while i > 0 { groups.append(cut[i]..<i); i = cut[i] }
    return groups.reversed()
}

/// R2D2's ΔQ at a replayed window's first and last training step, averaged over windows, with
/// its numerator ‖q(ĥ) − q(h)‖₂ (`…Distance`) and denominator |maxₐ q(ĥ)ₐ| (`…Scale`)
/// averaged apart (so `first` is not `firstDistance / firstScale` in general).
public struct DeltaQMeasurement: Sendable, Equatable {
    public var first = 0.0, last = 0.0
    public var firstDistance = 0.0, lastDistance = 0.0
    public var firstScale = 0.0, lastScale = 0.0

    public init() {}

    static func + (a: DeltaQMeasurement, b: DeltaQMeasurement) -> DeltaQMeasurement {
        var m = a
        m.first += b.first; m.last += b.last
        m.firstDistance += b.firstDistance; m.lastDistance += b.lastDistance
        m.firstScale += b.firstScale; m.lastScale += b.lastScale
        return m
    }

    func scaled(by k: Double) -> DeltaQMeasurement {
        var m = self
        m.first *= k; m.last *= k
        m.firstDistance *= k; m.lastDistance *= k
        m.firstScale *= k; m.lastScale *= k
        return m
    }
}
