import Algorithms
import Environments
import Language
import NeuralNets
import TensorCore

// The policy-gradient learners in the language:
//
//     let agent = PPO(net, n_envs: 8, n_steps: 32, batch_size: 256, gamma: 0.98, normalize: true)
//     let run = train(agent, on: env, steps: 100_000)
//     agent.evaluate(env, episodes: 100, resets: false)
//
// `PPO` and `A2C` take a network (a pipeline ending in a Linear layer giving the logits,
// with at most one LSTM / GRU / RNN in it: then the agent is recurrent PPO) and keyword
// arguments named as Stable Baselines names them. Every keyword is declared once, in
// `PPOConfig.languageFields`: its name, the paper's symbol in its doc, and how it reads and
// writes the config; the defaults shown in signatures come from `PPOConfig()` (PPO) and
// `PPOConfig.a2c()` (A2C).

/// One `PPOConfig` field as the language names it.
struct PolicyGradientField {
    /// The keyword (snake_case, Stable Baselines' name).
    let name: String
    /// One line, with the paper's symbol.
    let doc: String
    /// The field's value in a config, as a signature default.
    let read: (PPOConfig) -> NativeParameter.DefaultValue
    /// Writes a script value into the config (the config's `validate` checks ranges).
    let write: (inout PPOConfig, Value) throws -> Void
}

extension PPOConfig {
    /// The language's keywords, in signature order.
    static var languageFields: [PolicyGradientField] {
        func int(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Int>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { .int($0[keyPath: key]) },
                                write: { c, v in c[keyPath: key] = try v.toInt(name) })
        }
        func optionalInt(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Int?>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { $0[keyPath: key].map { .int($0) } ?? .nil },
                                write: { c, v in c[keyPath: key] = v.isNil ? nil : try v.toInt(name) })
        }
        func double(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Double>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { .float($0[keyPath: key]) },
                                write: { c, v in c[keyPath: key] = try v.toDouble(name) })
        }
        func optionalDouble(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Double?>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { $0[keyPath: key].map { .float($0) } ?? .nil },
                                write: { c, v in c[keyPath: key] = v.isNil ? nil : try v.toDouble(name) })
        }
        func float(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Float>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { .float(shortest($0[keyPath: key])) },
                                write: { c, v in c[keyPath: key] = try v.toFloat(name) })
        }
        func bool(_ name: String, _ doc: String, _ key: WritableKeyPath<PPOConfig, Bool>) -> PolicyGradientField {
            PolicyGradientField(name: name, doc: doc, read: { .bool($0[keyPath: key]) },
                                write: { c, v in c[keyPath: key] = try v.toBool(name) })
        }
        return [
            int("n_envs", "N, the environment copies stepped together", \.environmentCount),
            int("n_steps", "T, the steps each copy takes per rollout", \.rolloutLength),
            optionalInt("batch_size", "the minibatch size in steps (nil: T·N / n_minibatches); a multiple of L for a recurrent policy", \.batchSize),
            int("n_minibatches", "the minibatches per epoch when batch_size is nil (CleanRL's num_minibatches)", \.minibatches),
            int("n_epochs", "K, the epochs over each rollout", \.epochs),
            float("learning_rate", "α, the optimizer's step size", \.learningRate),
            bool("anneal_lr", "decay α linearly to 0 over the training steps", \.annealLearningRate),
            double("gamma", "γ, the discount factor, in [0, 1]", \.gamma),
            double("gae_lambda", "λ of GAE(γ, λ), in [0, 1]", \.lambda),
            optionalDouble("clip_range", "ε, the clip range of the probability ratio (nil: the plain policy gradient, as A2C)", \.clipRange),
            bool("anneal_clip_range", "decay ε linearly to 0 over the training steps", \.annealClipRange),
            optionalDouble("clip_range_vf", "clip the value prediction to V_old ± this (nil: no clipping)", \.valueClipRange),
            double("vf_coef", "c₁, the weight of the value loss", \.valueCoefficient),
            double("ent_coef", "c₂, the weight of the entropy bonus", \.entropyCoefficient),
            PolicyGradientField(name: "max_grad_norm", doc: "clip the gradient's global norm to this (nil: no clipping)",
                                read: { $0.maxGradNorm.map { .float(shortest($0)) } ?? .nil },
                                write: { c, v in c.maxGradNorm = v.isNil ? nil : try v.toFloat("max_grad_norm") }),
            bool("normalize_advantage", "standardise Â within each minibatch", \.normalizeAdvantages),
            optionalDouble("target_kl", "stop a rollout's epochs once the approximate KL exceeds this (nil: never)", \.targetKL),
            optionalInt("sequence_length", "L, the steps of the sequences a recurrent policy is re-run on (nil: n_steps)", \.sequenceLength),
            bool("mask_episode_starts", "zero a recurrent policy's state at every episode start (false: the state runs on across episodes)", \.maskEpisodeStarts),
            PolicyGradientField(name: "optimizer", doc: "\"adam\" (ε 1e-5) or \"rmsprop\" (α 0.99, ε 1e-5)",
                                read: { .string($0.optimizer.rawValue) },
                                write: { c, v in
                                    let s = try v.toStringValue("optimizer")
                                    guard let o = PolicyOptimizer(rawValue: s) else { throw HostError("optimizer must be \"adam\" or \"rmsprop\", got \"\(s)\"") }
                                    c.optimizer = o
                                }),
            PolicyGradientField(name: "distribution", doc: "\"automatic\", \"categorical\" or \"diagonal_normal\"",
                                read: { .string($0.distribution == .diagonalNormal ? "diagonal_normal" : $0.distribution.rawValue) },
                                write: { c, v in
                                    let s = try v.toStringValue("distribution")
                                    switch s {
                                    case "automatic": c.distribution = .automatic
                                    case "categorical": c.distribution = .categorical
                                    case "diagonal_normal": c.distribution = .diagonalNormal
                                    default: throw HostError("distribution must be \"automatic\", \"categorical\" or \"diagonal_normal\", got \"\(s)\"")
                                    }
                                }),
            float("log_std_init", "log σ at the start, for a diagonal Normal policy", \.initialLogStd),
            PolicyGradientField(name: "normalize", doc: "standardise observations and scale rewards by running statistics (the RL Zoo's normalize: true)",
                                read: { .bool($0.normalizeObservations && $0.normalizeRewards) },
                                write: { c, v in
                                    let on = try v.toBool("normalize")
                                    c.normalizeObservations = on
                                    c.normalizeRewards = on
                                }),
            PolicyGradientField(name: "seed", doc: "the seed of action sampling, minibatches and the value head's initialisation",
                                read: { .int(Int(truncatingIfNeeded: $0.seed)) },
                                write: { c, v in c.seed = UInt64(truncatingIfNeeded: try v.toInt("seed")) }),
        ]
    }
}

/// A Float as the Double with the same shortest decimal form (2.5e-4, not 0.000250000011…).
private func shortest(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

/// A policy-gradient algorithm with its network and settings, before it meets an
/// environment: `PPO(net, n_envs: 8)`. `train` builds the agent for the environment it is
/// given (checking the network against it) and keeps it for further training and evaluation.
public final class PolicyGradientSpec: HostObject {
    let config: PPOConfig
    let network: Module
    let critic: Module?
    /// The agent built by the first `train`.
    var agent: PPO?
    /// RL²: trains only on `RL2Trial` environments, whose input holds the history.
    var isRL2 = false

    init(config: PPOConfig, network: Module, critic: Module?) {
        self.config = config
        self.network = network
        self.critic = critic
    }

    var name: String {
        if isRL2 { return "RL²" }
        let recurrent = network.namedParameters().contains { $0.name.contains("weight_hh") }
        return recurrent && config.clipRange != nil ? "recurrent PPO" : config.algorithmName
    }

    override public var typeName: String { "Agent" }
    override public var description: String { "\(name) on \(network.typeName) (\(network.parameterCount) parameters)" }
    override public var memberNames: [String] { ["network", "evaluate"] }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "network": return .host(ModuleObject(network))
        case "evaluate":
            return .native(NativeFunction("evaluate", parameters: ["env", NativeParameter("episodes", default: .int(100)),
                                                                  NativeParameter("seed", default: .int(12_345)),
                                                                  NativeParameter("resets", default: .bool(true)),
                                                                  NativeParameter("greedy", default: .bool(true))],
                                          doc: "agent.evaluate(env, episodes: 100, resets: true, greedy: true): the episode returns of the trained policy; resets: false carries the recurrent state from one episode into the next.") { [self] a, it in
                guard let agent else { throw HostError("evaluate: the agent has not been trained yet", help: ["call train(agent, on: env, steps: …) first"]) }
                let env = try anyEnvironment(a[0], "evaluate", it)
                let episodes = try a[1].toInt("evaluate: episodes")
                let policy = try agent.policy(greedy: try a[4].toBool("evaluate: greedy"), resetsState: try a[3].toBool("evaluate: resets"))
                return .array(try ScriptEnvironment.rethrowingScriptError(it) {
                    try Algorithms.evaluate(policy, on: env, episodes: episodes, seed: UInt64(truncatingIfNeeded: try a[2].toInt("evaluate: seed"))).map { .float($0) }
                })
            })
        default: return nil
        }
    }

    /// The N copies to train on: N calls of a function that makes an environment, or N
    /// copies of an environment (refused for an environment written in the language, whose
    /// copies would share one object's state).
    func copies(of v: Value, _ interpreter: Interpreter) throws -> [AnyEnvironment] {
        let n = config.environmentCount
        switch v {
        case .function, .native:
            return try (0..<n).map { _ in try anyEnvironment(try interpreter.call(v, []), "train: on:", interpreter) }
        default:
            let env = try anyEnvironment(v, "train: on:", interpreter)
            if n > 1 && holdsScriptEnvironment(env.base) {
                throw HostError("train: \(name) steps n_envs = \(n) copies of \(env.name), but an environment written in the language cannot be copied (the copies would share one object)",
                                help: ["pass a function that makes one: on: fn() { \(env.name)() }, or use n_envs: 1"])
            }
            return [AnyEnvironment](repeating: env, count: n)
        }
    }

    /// The agent for the copies of `on` (built the first time, checked against them after)
    /// and the copies to train it on.
    func prepare(on v: Value, interpreter: Interpreter) throws -> (PPO, VectorEnvironment<AnyEnvironment>) {
        let made = try self.copies(of: v, interpreter)
        if isRL2, let env = made.first, !(env.base is any MetaRLTrial) {
            throw HostError("train: RL² trains on trials, whose input holds the previous action, reward and done flag, but \(env.name) is not one",
                            help: ["wrap it: train(agent, on: RL2Trial(\(env.name), episodes: 1), …)"])
        }
        let copies = try VectorEnvironment(made, autoresetMode: .sameStep)
        if let agent {
            try agent.checkCompatible(with: copies)
            return (agent, copies)
        }
        let built = try PPO(network: network, critic: critic, environment: copies, config: config)
        agent = built
        return (built, copies)
    }
}

/// Whether `value` is, or wraps, an environment written in the language.
func holdsScriptEnvironment(_ value: Any, depth: Int = 0) -> Bool {
    if value is ScriptEnvironment { return true }
    guard depth < 8 else { return false }
    return Mirror(reflecting: value).children.contains { holdsScriptEnvironment($0.value, depth: depth + 1) }
}

extension Runtime {
    static func installPolicyGradients(in interpreter: Interpreter) {
        let fields = PPOConfig.languageFields
        for (name, defaults, doc) in [
            ("PPO", PPOConfig(), "PPO(net, n_envs: 4, n_steps: 128, …): proximal policy optimisation with the clipped surrogate (Schulman et al. 2017); a network holding an LSTM or GRU gives recurrent PPO, re-run on sequences from the stored state with the state reset at every episode start."),
            ("A2C", PPOConfig.a2c(), "A2C(net, n_envs: 4, n_steps: 5, …): synchronous advantage actor-critic (Mnih et al. 2016): one gradient step per rollout on −Â log π, with RMSprop."),
        ] {
            let parameters = ["network", NativeParameter("critic", default: .nil)]
                + fields.map { NativeParameter($0.name, default: $0.read(defaults)) }
            let help = fields.map { "  \($0.name): \($0.doc)" }.joined(separator: "\n")
            interpreter.globals.define(name, .native(NativeFunction(name, parameters: parameters, doc: doc + "\n" + help) { a, it in
                var config = defaults
                for (i, field) in fields.enumerated() {
                    do { try field.write(&config, a[i + 2]) } catch let e as HostError { throw HostError("\(name): \(e.message)", help: e.help) }
                }
                try config.validate()
                let network = try modelModule(a[0], name, it)
                let critic = a[1].isNil ? nil : try modelModule(a[1], "\(name): critic", it)
                return .host(PolicyGradientSpec(config: config, network: network, critic: critic))
            }))
        }
    }
}
