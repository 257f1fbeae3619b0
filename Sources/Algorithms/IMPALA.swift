import Configuration
import Environments
import Foundation
import NeuralNets
import Synchronization
import TensorCore

// IMPALA: Espeholt, Soyer, Munos, Simonyan, Mnih, Ward, Doron, Firoiu, Harley, Dunning,
// Legg & Kavukcuoglu, "IMPALA: Scalable Distributed Deep-RL with Importance Weighted
// Actor-Learner Architectures", ICML 2018.
//
// Actors only act: each steps its own environments with its own copy of the policy μ and
// sends unrolls of n steps (observations, actions, log μ(a|x), rewards, episode flags) to
// the learner. The learner trains π on batches of unrolls. An actor takes the learner's
// weights only every k updates, so μ lags behind π; V-trace (Estimators/VTrace.swift)
// corrects for it:
//
//     actor i (a thread, or a turn in a fixed order):
//         every k learner updates: μ_i ← π
//         collect an unroll of n steps of its environments with μ_i → queue
//     learner:
//         take a batch of unrolls from the queue
//         V(x_t), π(·|x_t) for every step, V(x_n) for the bootstrap
//         v_s, ρ_s (r_s + γ v_{s+1} − V(x_s))  by V-trace (or a correction of the paper's Table 2)
//         loss = −ρ-weighted advantage · log π(a_s|x_s)  +  ½ c_V (v_s − V(x_s))²  −  c_H H(π(·|x_s))
//         one gradient step
//
// The network maps observations [B, obs] to [B, A + 1]: the logits of the A actions and,
// in the last column, the value V(x) — a shared trunk with two heads, as the paper's.
//
// Two ways to run the actors. `threaded`: one thread per actor, each with a replica of
// the network, and a bounded queue; frames per second rise with the actors, but which
// unrolls meet in a batch depends on the threads' timing. Deterministic (the default):
// the actors take turns on the calling thread in a fixed order, their stale weights kept
// as a snapshot; the lag is then exactly what k says, and the same seed gives the same
// numbers (what the lesson and the tests use).

/// How the learner treats experience from a lagging policy (the paper's Table 2).
public enum OffPolicyCorrection: String, Sendable, CaseIterable, FieldChoice {
    /// None: the unrolls are used as if π had collected them (ρ = c = 1).
    case none
    /// As `none`, with ε = 10⁻⁶ added to π inside the policy gradient's log, which keeps
    /// log π finite where π has become tiny.
    case epsilon
    /// 1-step importance sampling: V is learned from uncorrected n-step returns and each
    /// step's policy gradient is weighted by π(a|x) / μ(a|x).
    case importanceSampling = "importance_sampling"
    /// V-trace with ρ̄ and c̄.
    case vtrace
}

/// IMPALA's hyperparameters, with the paper's symbols. Defaults suit CartPole-sized tasks.
public struct IMPALAConfig: Sendable {
    /// The actors (threads when `threaded`).
    public var actors: Int = 2
    /// The environment copies each actor steps together.
    public var environmentsPerActor: Int = 4
    /// n, the unroll length.
    public var unrollLength: Int = 20
    /// The unrolls in one learner batch (a multiple of `environmentsPerActor`; the paper: 32).
    public var batchSize: Int = 8
    /// k: an actor takes the learner's weights when they are k or more updates newer than
    /// its own (0 and 1: before every unroll, as fresh as the design allows).
    public var refreshInterval: Int = 0
    /// The unrolls that may wait between the actors and the learner (threaded mode).
    public var queueCapacity: Int = 16
    /// The off-policy correction (the paper's Table 2).
    public var correction: OffPolicyCorrection = .vtrace
    /// ρ̄, the truncation of the importance weights in δ_t V: it sets V-trace's fixed point
    /// (V of π_ρ̄ ∝ min(ρ̄ μ, π)); `.infinity` for none.
    public var rhoBar: Double = 1
    /// c̄, the truncation of the trace coefficients: it sets how fast V-trace contracts, not
    /// where to; `.infinity` for none.
    public var cBar: Double = 1
    /// γ, the discount factor.
    public var gamma: Double = 0.99
    /// α, Adam's learning rate (the paper used RMSprop).
    public var learningRate: Float = 1e-3
    /// The weight of the entropy bonus.
    public var entropyCoefficient: Double = 0.01
    /// The weight of the baseline (value) loss (0.5 in the paper).
    public var valueCoefficient: Double = 0.5
    /// Clip the gradient's global norm to this (nil: no clipping; the paper: 40).
    public var maxGradNorm: Float? = 40
    /// One thread per actor (true) or actors taking turns on one thread (false: same seed,
    /// same numbers).
    public var threaded: Bool = false
    /// The seed of the actors' sampling.
    public var seed: UInt64 = 0

    public init() {}

    /// The most actor threads a configuration may ask for.
    public static let maxActors = 64

    public func validate() throws {
        let c = "IMPALA"
        try require(actors >= 1 && actors <= Self.maxActors, c, "actors must be in 1...\(Self.maxActors), got \(actors)")
        try require(environmentsPerActor >= 1, c, "environmentsPerActor must be >= 1, got \(environmentsPerActor)")
        try require(unrollLength >= 1, c, "unrollLength (n) must be >= 1, got \(unrollLength)")
        try require(batchSize >= 1 && batchSize % environmentsPerActor == 0, c,
                    "batchSize must be a positive multiple of environmentsPerActor (\(environmentsPerActor)), got \(batchSize)")
        try require(queueCapacity >= 1, c, "queueCapacity must be >= 1, got \(queueCapacity)")
        try require(refreshInterval >= 0, c, "refreshInterval (k) must be >= 0, got \(refreshInterval)")
        try require(rhoBar > 0, c, "rhoBar (ρ̄) must be > 0, got \(rhoBar)")
        try require(cBar > 0, c, "cBar (c̄) must be > 0, got \(cBar)")
        try require(gamma >= 0 && gamma <= 1, c, "gamma must be in [0, 1], got \(gamma)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(entropyCoefficient >= 0 && valueCoefficient >= 0, c,
                    "the loss coefficients must be >= 0, got entropy \(entropyCoefficient), value \(valueCoefficient)")
        if let m = maxGradNorm { try require(m > 0, c, "maxGradNorm must be > 0, got \(m)") }
    }
}

/// The fields as users set them (`IMPALA(net, n_actors: 2, lag: 8, correction: "vtrace")`), in
/// the order they are passed by position; the defaults are the ones above. ρ̄ and c̄ take nil
/// for ∞ (no truncation); `deterministic` is the opposite of `threaded`.
extension IMPALAConfig: Configurable {
    public static let fields: [ConfigField<IMPALAConfig>] = [
        ConfigField("n_actors", \.actors, "the actors (threads unless deterministic)", .closed(1, Double(maxActors))),
        ConfigField("n_envs", \.environmentsPerActor, "the environment copies each actor steps together", .atLeast(1)),
        ConfigField("unroll_length", \.unrollLength, "n, the steps of one unroll", .atLeast(1)),
        ConfigField("batch_size", \.batchSize, "unrolls per learner batch (a multiple of n_envs)", .atLeast(1)),
        ConfigField("lag", \.refreshInterval, "k, learner updates between an actor's weight refreshes (0: always fresh)", .nonNegative),
        ConfigField("correction", \.correction, "the off-policy correction: none, ε, 1-step importance sampling, V-trace"),
        truncation("rho_bar", \.rhoBar, "ρ̄, the truncation of ρ_t in δ_t V: sets the fixed point V^{π_ρ̄} (nil: ∞)"),
        truncation("c_bar", \.cBar, "c̄, the truncation of the traces c_i: sets the contraction speed (nil: ∞)"),
        ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
        ConfigField("lr", \.learningRate, "α, Adam's learning rate", .positive),
        ConfigField("ent_coef", \.entropyCoefficient, "the weight of the entropy bonus", .nonNegative),
        ConfigField("vf_coef", \.valueCoefficient, "the weight of the baseline loss ½(v_s − V(x_s))²", .nonNegative),
        ConfigField("max_grad_norm", \.maxGradNorm, "clip the gradient's global norm to this (nil: no clipping)", .positive),
        ConfigField("queue_size", \.queueCapacity, "unrolls that may wait between actors and learner (threaded)", .atLeast(1)),
        ConfigField("deterministic", doc: "actors take turns on one thread in a fixed order (false: one thread each)", kind: .bool,
                    isOptional: false, bounds: nil, keyPath: FieldKey(\IMPALAConfig.threaded),
                    read: { .bool(!$0.threaded) }, write: { c, v in if case .bool(let b) = v { c.threaded = !b } }),
        ConfigField("seed", \.seed, "the seed of the actors' sampling"),
    ]

    /// A truncation level as an optional field: nil in, ∞ stored; ∞ stored, nil out.
    static func truncation(_ name: String, _ keyPath: WritableKeyPath<IMPALAConfig, Double> & Sendable, _ doc: String) -> ConfigField<IMPALAConfig> {
        ConfigField(name, doc: doc, kind: .float, isOptional: true, bounds: .positive, keyPath: FieldKey(keyPath),
                    read: { $0[keyPath: keyPath].isFinite ? .float($0[keyPath: keyPath]) : .none },
                    write: { c, v in c[keyPath: keyPath] = v.number ?? .infinity })
    }
}

/// The IMPALA learner: the network π and V, its optimizer, and the update on a batch of
/// unrolls. `train(_:on:steps:)` below runs it with its actors.
public final class IMPALA: GreedyActing {
    public let config: IMPALAConfig
    /// x [B, obs] → [B, A + 1]: A logits, then V(x).
    public let policyNetwork: any Layer
    public let optimizer: Adam
    let observationSize: Int
    let actionCount: Int
    let environmentName: String
    /// Held while the learner writes its weights and while an actor thread copies them.
    let weightsLock = NSLock()

    public private(set) var stepCount = 0
    public private(set) var updateCount = 0
    public var algorithm: String { "IMPALA" }
    public var network: Module { policyNetwork }

    /// An IMPALA learner for `environment`: throws, naming both sides, when the network does
    /// not map its observations to A + 1 outputs.
    public init<E: Environment>(network: any Layer, environment: E, config: IMPALAConfig = IMPALAConfig()) throws {
        try config.validate()
        let a = environment.actionSpace.n, o = environment.observationSize
        let probe: Tensor
        do {
            probe = try noGrad { try network(Tensor.zeros([1, o])) }
        } catch {
            throw AlgorithmError("IMPALA", "the network does not take \(environment.name)'s observations of size \(o): \(error)")
        }
        try require(probe.shape == [1, a + 1], "IMPALA",
                    "the network must output \(a) logits and a value (\(a + 1) numbers) for \(environment.name)'s \(a) actions, but it outputs shape \(shapeString(Array(probe.shape.dropFirst())))")
        self.config = config
        policyNetwork = network
        optimizer = try Adam(network, learningRate: config.learningRate)
        observationSize = o
        actionCount = a
        environmentName = environment.name
    }

    // MARK: - Update

    /// One gradient step on a batch of unrolls (each T × its copies), adding the losses, the
    /// fraction of clipped importance weights and the mean policy lag to `metrics`.
    func learn(from unrolls: [RolloutBuffer], metrics: inout [String: Double]) throws {
        let a = actionCount, o = observationSize
        // One forward pass over every step and every bootstrap state.
        var inputs: [Float] = [], actions: [Float] = [], behaviour: [Float] = []
        for u in unrolls {
            inputs += u.observations
            actions += u.actions
            behaviour += u.logProbs
        }
        let stepRows = actions.count
        for u in unrolls { inputs += u.lastObservations }
        let out = try policyNetwork(Tensor(inputs, shape: [inputs.count / o, o]))           // [M, A + 1]
        let logits = try out.slice([.range(start: 0, end: stepRows, step: 1), .range(start: 0, end: a, step: 1)])  // [S, A]
        let values = try out.slice([.all, .at(a)])                                          // [M]
        let policy = try Categorical(logits: logits)
        let actionTensor = try Tensor(actions, shape: [stepRows])
        let logPi = try policy.logProb(actionTensor)                                        // [S]
        let valuesNow = values.detached().scalars, logPiNow = logPi.detached().scalars

        // Targets and advantages per unroll (no gradient).
        var vs = [Float](), advantages = [Float](), clipped = 0
        var row = 0, bootstrapRow = stepRows
        for u in unrolls {
            let count = u.steps * u.environments
            let ratios = (0..<count).map { logPiNow[row + $0] - behaviour[row + $0] }
            let v = Array(valuesNow[row ..< row + count])
            let bootstrap = Array(valuesNow[bootstrapRow ..< bootstrapRow + u.environments])
            let discounts = u.episodeEnds.map { $0 ? Float(0) : Float(config.gamma) }
            let corrected = config.correction == .vtrace
            let e = vtrace(logRatios: corrected ? ratios : [Float](repeating: 0, count: count), discounts: discounts,
                           rewards: u.rewards, values: v, bootstrapValues: bootstrap,
                           steps: u.steps, environments: u.environments,
                           rhoBar: corrected ? config.rhoBar : nil, cBar: corrected ? config.cBar : nil)
            vs += e.vs
            if config.correction == .importanceSampling {
                advantages += zip(e.advantages, ratios).map { $0 * Foundation.exp($1) }
            } else {
                advantages += e.advantages
            }
            if corrected { clipped += ratios.filter { Double(Foundation.exp($0)) > config.rhoBar }.count }
            row += count
            bootstrapRow += u.environments
        }

        // The loss.
        let stepValues = try values.slice([.range(start: 0, end: stepRows, step: 1)])        // [S]
        let advantageTensor = try Tensor(advantages, shape: [stepRows])
        let logPiForGradient = config.correction == .epsilon
            ? try (policy.probabilities.gather(axis: 1, actionTensor.unsqueezed(axis: 1)).reshape([stepRows]) + 1e-6).log()
            : logPi
        let policyLoss = try (advantageTensor * logPiForGradient).mean().neg()
        let valueLoss = try (stepValues - Tensor(vs, shape: [stepRows])).square().mean() * Float(0.5)
        let entropy = try policy.entropy().mean()
        let loss = try policyLoss + valueLoss * Float(config.valueCoefficient) - entropy * Float(config.entropyCoefficient)
        optimizer.zeroGrad()
        try loss.backward()
        if let m = config.maxGradNorm { try clipGradNorm(optimizer.parameters, maxNorm: m) }
        weightsLock.lock()
        defer { weightsLock.unlock() }
        try optimizer.step()
        updateCount += 1
        stepCount += stepRows

        metrics[Metric.policyLoss] = Double(try policyLoss.item())
        metrics[Metric.valueLoss] = Double(try valueLoss.item())
        metrics[Metric.entropy] = Double(try entropy.item())
        if config.correction == .vtrace { metrics[Metric.rhoClipFraction] = Double(clipped) / Double(stepRows) }
    }

    /// argmax_a π(a|x), for evaluation.
    public func greedyPolicy() -> any Policy { GreedyIMPALAPolicy(self) }

    public func checkActs<E: Environment>(in environment: E) throws {
        try require(environment.observationSize == observationSize && environment.actionSpace.n == actionCount, algorithm,
                    "this agent was built for \(environmentName) (observations of size \(observationSize), \(actionCount) actions) but \(environment.name) has observations of size \(environment.observationSize) and \(environment.actionSpace.n) actions")
    }

    /// A fresh actor acting with `network` (a replica, or the learner's own network with a
    /// snapshot of stale weights swapped in for acting).
    func makeActor(network: any Layer, snapshot: TargetNetwork?, seed: UInt64) -> IMPALAActor {
        IMPALAActor(network: network, snapshot: snapshot, observationSize: observationSize, actionCount: actionCount, seed: seed)
    }
}

/// An actor's policy μ: samples from the logits of its own copy of the network.
final class IMPALAActor: RolloutPolicy, @unchecked Sendable {
    let network: any Layer
    /// In deterministic mode: the learner's network with μ's weights kept aside.
    let snapshot: TargetNetwork?
    let observationSize: Int
    let actionCount: Int
    var rng: RNG
    /// The learner's update count when μ last took its weights (−1: never).
    var version = -1

    init(network: any Layer, snapshot: TargetNetwork?, observationSize: Int, actionCount: Int, seed: UInt64) {
        self.network = network
        self.snapshot = snapshot
        self.observationSize = observationSize
        self.actionCount = actionCount
        rng = RNG(seed: seed)
    }

    /// Takes the learner's weights if they are at least `interval` updates newer.
    func refreshIfDue(from learner: IMPALA, interval: Int) throws {
        let current = learner.updateCount
        guard version < 0 || current - version >= Swift.max(interval, 1) else { return }
        if let snapshot {
            try snapshot.sync()
        } else {
            learner.weightsLock.lock()
            defer { learner.weightsLock.unlock() }
            try network.copyParameters(from: learner.policyNetwork)
        }
        version = current
    }

    func forward(_ observations: [Float]) throws -> Tensor {
        let x = try Tensor(observations, shape: [observations.count / observationSize, observationSize])
        if let snapshot { return try snapshot.evaluate { try network(x) } }
        return try noGrad { try network(x) }
    }

    func act(_ observations: [Float], episodeStarts: [Bool]) throws -> PolicyStep {
        let out = try forward(observations)                                     // [N, A + 1]
        let n = out.shape[0], a = actionCount
        let policy = try Categorical(logits: try out.slice([.all, .range(start: 0, end: a, step: 1)]))
        let actions = try policy.sample(rng: &rng)
        let logProbs = try policy.logProb(actions)
        let scalars = out.scalars
        return PolicyStep(actions: actions.scalars, logProbs: logProbs.scalars,
                          values: (0..<n).map { scalars[$0 * (a + 1) + a] })
    }

    func values(_ observations: [Float], rows: [Int]) throws -> [Float] {
        let out = try forward(observations), a = actionCount
        let scalars = out.scalars
        return (0..<out.shape[0]).map { scalars[$0 * (a + 1) + a] }
    }

    func recurrentState() throws -> [Float] { [] }
}

/// argmax_a of the learner's logits.
final class GreedyIMPALAPolicy: Policy {
    let learner: IMPALA
    init(_ learner: IMPALA) { self.learner = learner }
    func reset() throws {}
    func action(for observation: [Float]) throws -> Int {
        let out = try noGrad { try learner.policyNetwork(Tensor(observation, shape: [1, learner.observationSize])) }
        return Array(out.scalars.prefix(learner.actionCount)).withUnsafeBufferPointer(greedyIndex)
    }
}

// MARK: - Actors and learner

/// One unroll batch of an actor, as the learner receives it.
struct ActorUnroll: @unchecked Sendable {
    var rollout: RolloutBuffer
    /// The episodes that ended while it was collected: (return, length).
    var episodes: [(Double, Int)]
    /// How many learner updates behind the learner μ was.
    var lag: Int
}

/// Trains `impala` with its actors on copies of `environment` until the learner has
/// consumed `steps` environment frames (rounded down to whole batches), and returns the run
/// (episodes in the order the learner received them; `charts/policy_lag` is the mean
/// number of updates μ was behind π).
///
/// In threaded mode an actor whose environment throws stops the run: the learner and the
/// other actors stop, and the error is rethrown naming the actor. Ctrl-C (`shouldStop`,
/// `stopSignal`) stops every thread; the learner's network keeps its last update.
@discardableResult
public func train<E: Environment>(
    _ impala: IMPALA, on environment: E, steps: Int, options: TrainingOptions = TrainingOptions(),
    callbacks: [TrainingCallback] = []
) throws -> Run {
    let config = impala.config
    try require(steps >= 0, "IMPALA", "steps must be >= 0, got \(steps)")
    try options.validate("IMPALA")
    try require(environment.observationSize == impala.observationSize && environment.actionSpace.n == impala.actionCount, "IMPALA",
                "this learner was built for \(impala.environmentName) (observations of size \(impala.observationSize), \(impala.actionCount) actions) but \(environment.name) has observations of size \(environment.observationSize) and \(environment.actionSpace.n) actions")
    let copies = config.environmentsPerActor, n = config.unrollLength
    let unrollsPerBatch = config.batchSize / copies
    let batchFrames = config.batchSize * n
    let recorder = RunRecorder(impala, title: "IMPALA on \(environment.name)", options: options, callbacks: callbacks)
    var frames = 0, nextLog = options.logInterval

    func collector(_ i: Int) throws -> RolloutCollector<VectorEnvironment<E>> {
        let env = try VectorEnvironment(count: copies, autoresetMode: .sameStep) { (_: Int) throws(EnvironmentError) in environment }
        return try RolloutCollector(env, seed: options.seed &+ UInt64(i * copies), discount: config.gamma)
    }
    /// The learner's side of one batch: record episodes, update, log, evaluate.
    func consume(_ batch: [ActorUnroll]) throws {
        for unroll in batch {
            for (r, length) in unroll.episodes { try recorder.episodeEnded(return: r, length: length, step: frames) }
        }
        var metrics: [String: Double] = [:]
        try impala.learn(from: batch.map(\.rollout), metrics: &metrics)
        metrics[Metric.policyLag] = Double(batch.map(\.lag).reduce(0, +)) / Double(batch.count)
        frames += batchFrames
        recorder.run.steps = frames
        recorder.accumulate(metrics)
        if frames >= nextLog {
            try recorder.log(step: frames)
            while nextLog <= frames { nextLog += options.logInterval }
        }
        if let e = options.evaluationInterval, frames / e > (frames - batchFrames) / e {
            try recorder.evaluateIfDue(step: e * (frames / e), policy: { impala.greedyPolicy() }, on: environment)
        }
        if let k = options.checkpointInterval, frames / k > (frames - batchFrames) / k {
            try recorder.checkpointIfDue(step: k * (frames / k), environment: environment.name)
        }
    }

    if !config.threaded {
        // Actors take turns on this thread, in a fixed order.
        var actors = try (0..<config.actors).map { i in
            (policy: impala.makeActor(network: impala.policyNetwork, snapshot: try TargetNetwork(of: impala.policyNetwork),
                                      seed: config.seed &+ UInt64(i) &* 0x9E37_79B9),
             collector: try collector(i))
        }
        var turn = 0
        training: while frames + batchFrames <= steps {
            var batch: [ActorUnroll] = []
            for _ in 0..<unrollsPerBatch {
                let i = turn % actors.count
                turn += 1
                try actors[i].policy.refreshIfDue(from: impala, interval: config.refreshInterval)
                var rollout = try actors[i].collector.makeBuffer(steps: n, sequenceLength: nil, policy: actors[i].policy)
                var episodes: [(Double, Int)] = []
                let complete = try actors[i].collector.collect(into: &rollout, with: actors[i].policy,
                                                               episodeEnded: { episodes.append(($0, $1)) },
                                                               afterStep: { recorder.shouldStop() })
                guard complete else { break training }
                batch.append(ActorUnroll(rollout: rollout, episodes: episodes, lag: impala.updateCount - actors[i].policy.version))
            }
            try consume(batch)
            if recorder.shouldStop() { break }
        }
        return recorder.finish(steps: frames)
    }

    // Threaded: one thread per actor, each with a replica of the network, feeding a queue.
    try require(isReplicable(impala.policyNetwork), "IMPALA",
                "threaded actors need copies of the network, and \(impala.policyNetwork.typeName) cannot be copied; use deterministic actors (threaded: false)")
    let queue = UnrollQueue<ActorUnroll>(capacity: config.queueCapacity)
    let stopping = Atomic<Bool>(false)
    let learnerVersion = Atomic<Int>(0)
    let failures = Mutex<[(Int, String)]>([])
    let finished = DispatchGroup()
    let threads = try (0..<config.actors).map { i in
        ActorThread<E>(policy: impala.makeActor(network: try replica(of: impala.policyNetwork), snapshot: nil,
                                             seed: config.seed &+ UInt64(i) &* 0x9E37_79B9),
                    collector: try collector(i))
    }
    let shared = UncheckedBox(impala)
    for (i, actor) in threads.enumerated() {
        finished.enter()
        let thread = Thread {
            defer { finished.leave() }
            do {
                while !stopping.load(ordering: .relaxed) {
                    try actor.policy.refreshIfDue(from: shared.value, interval: config.refreshInterval)
                    let taken = actor.policy.version
                    var rollout = try actor.collector.makeBuffer(steps: n, sequenceLength: nil, policy: actor.policy)
                    var episodes: [(Double, Int)] = []
                    let complete = try actor.collector.collect(into: &rollout, with: actor.policy,
                                                               episodeEnded: { episodes.append(($0, $1)) },
                                                               afterStep: { stopping.load(ordering: .relaxed) })
                    guard complete else { break }
                    let lag = learnerVersion.load(ordering: .relaxed) - taken
                    guard queue.put(ActorUnroll(rollout: rollout, episodes: episodes, lag: lag)) else { break }
                }
            } catch {
                failures.withLock { $0.append((i, "\(error)")) }
                stopping.store(true, ordering: .relaxed)
                queue.close()
            }
        }
        thread.name = "IMPALA actor \(i)"
        thread.start()
    }
    func stopActors() {
        stopping.store(true, ordering: .relaxed)
        queue.close()
        finished.wait()
    }
    do {
        while frames + batchFrames <= steps {
            guard let batch = queue.take(unrollsPerBatch) else { break }   // closed: an actor failed
            try consume(batch)
            learnerVersion.store(impala.updateCount, ordering: .relaxed)
            if recorder.shouldStop() { break }
        }
    } catch {
        stopActors()
        throw error
    }
    stopActors()
    if let (i, message) = failures.withLock({ $0.first }) {
        throw AlgorithmError("IMPALA", "actor \(i) failed: \(message)")
    }
    return recorder.finish(steps: frames)
}

/// What one actor thread owns: its policy (with a replica of the network) and its environments.
final class ActorThread<E: Environment>: @unchecked Sendable {
    let policy: IMPALAActor
    var collector: RolloutCollector<VectorEnvironment<E>>
    init(policy: IMPALAActor, collector: RolloutCollector<VectorEnvironment<E>>) {
        self.policy = policy
        self.collector = collector
    }
}

/// Lets a learner be read from actor threads, which touch only what `weightsLock` guards
/// and `updateCount` (a word read while the learner may be writing it: a stale value only
/// delays a refresh).
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
