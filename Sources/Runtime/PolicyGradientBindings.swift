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
// arguments named as Stable Baselines names them, declared once in `PPOConfig.fields`; the
// defaults shown in signatures come from `PPOConfig()` (PPO) and `PPOConfig.a2c()` (A2C).

/// A policy-gradient algorithm with its network and settings, before it meets an
/// environment: `PPO(net, n_envs: 8)`. `train` builds the agent for the environment it is
/// given (checking the network against it) and keeps it for further training and evaluation.
public final class PolicyGradientSpec: AgentObject {
    let config: PPOConfig
    let critic: Module?
    /// The agent built by the first `train`.
    var agent: PPO?
    /// RL²: trains only on `RL2Trial` environments, whose input holds the history.
    var isRL2 = false

    init(algorithm: String, config: PPOConfig, network: Module, critic: Module?) {
        self.config = config
        self.critic = critic
        super.init(algorithm: algorithm, network: network, configuration: { config.fieldValues })
    }

    override var name: String {
        if isRL2 { return "RL²" }
        let recurrent = network.namedParameters().contains { $0.name.contains("weight_hh") }
        return recurrent && config.clipRange != nil ? "recurrent PPO" : config.algorithmName
    }

    override var learner: (any GreedyActing)? { agent }

    override var evaluationParameters: [NativeParameter] {
        [NativeParameter("resets", default: .bool(true)), NativeParameter("greedy", default: .bool(true))]
    }
    override var evaluationDoc: String {
        "agent.evaluate(env, episodes: 100, resets: true, greedy: true): the episode returns of the trained policy; resets: false carries the recurrent state from one episode into the next, greedy: false samples its actions."
    }
    override func evaluationPolicy(_ learner: any GreedyActing, _ extra: ArraySlice<Value>) throws -> any Policy {
        guard let ppo = learner as? PPO else { return try learner.greedyPolicy() }
        let resets = try extra[extra.startIndex].toBool("evaluate: resets"), greedy = try extra[extra.startIndex + 1].toBool("evaluate: greedy")
        return try ppo.policy(greedy: greedy, resetsState: resets)
    }

    override func prepareTraining(on v: Value, interpreter: Interpreter) throws -> (Int, TrainingOptions) throws -> Run {
        let (learner, copies) = try prepare(on: v, interpreter: interpreter)
        return { steps, options in try Algorithms.train(learner, copies: copies, steps: steps, options: options) }
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
            if n > 1 && containsScriptEnvironment(env.base) {
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
        let learner = try kept(&agent, check: { try $0.checkCompatible(with: copies) },
                               build: { try PPO(network: network, critic: critic, environment: copies, config: config) })
        return (learner, copies)
    }
}

extension Binder {
    /// `NAME(network, critic: nil, field: value, …)`: a policy-gradient agent whose settings
    /// start from `defaults`.
    func policyGradient(_ name: String, defaults: PPOConfig, doc: String, variant: ((PolicyGradientSpec) throws -> Void)? = nil) {
        define(name, leading: [("network", "the policy: observations → logits (or means); an LSTM, GRU or RNN inside makes it recurrent")],
               optional: [("critic", "a separate value network (nil: a value head on the policy's features)")],
               fields: PPOConfig.fieldInfos(defaults: defaults), doc: doc, kind: .algorithm,
               readBack: { v in (v.host as? PolicyGradientSpec)?.configuration() }) { args, reader, it in
            let values = try reader.values(args)
            let config = try reader.run { try PPOConfig(values, over: defaults) }
            try config.validate()
            let network = try modelModule(args[0], name, it)
            let critic = args[1].isNil ? nil : try modelModule(args[1], "\(name): critic", it)
            let spec = PolicyGradientSpec(algorithm: name, config: config, network: network, critic: critic)
            try variant?(spec)
            return .host(spec)
        }
    }
}

extension Runtime {
    static func installPolicyGradients(_ b: Binder) {
        b.policyGradient("PPO", defaults: PPOConfig(),
                         doc: "proximal policy optimisation with the clipped surrogate (Schulman et al. 2017); a network holding an LSTM or GRU gives recurrent PPO, re-run on sequences from the stored state with the state reset at every episode start")
        b.policyGradient("A2C", defaults: .a2c(),
                         doc: "synchronous advantage actor-critic (Mnih et al. 2016): one gradient step per rollout on −Â log π, with RMSprop")
    }
}
