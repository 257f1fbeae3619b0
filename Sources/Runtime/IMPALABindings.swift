import Algorithms
import Configuration
import Environments
import Language
import NeuralNets
import TensorCore

// Learners that drive their own environments (IMPALA's actors and learner) in the language:
//
//     let agent = IMPALA(net, n_actors: 2, unroll_length: 20, correction: "vtrace", lag: 8)
//     let run = train(agent, on: CartPole(), steps: 50_000)     # steps: environment frames
//     agent.evaluate(CartPole(), episodes: 20)
//
// The keywords are the configuration's declared fields (`IMPALAConfig.fields`), so `:help`,
// completion and errors at the argument come from the same declaration as for DQN.

/// A learner with its own training driver, with its network and checked settings, before it
/// meets an environment. `train` builds it for the environment it is given and keeps it, so
/// that a second `train` continues and `evaluate` measures the trained policy.
public final class DrivenAgentSpec: HostObject {
    public let algorithm: String
    let network: Module
    public let configuration: () -> [(name: String, value: FieldValue)]
    /// The environment copies the driver steps at once (a script environment cannot be copied).
    let copies: Int
    let build: (Module, AnyEnvironment) throws -> any Learner
    let drive: (any Learner, AnyEnvironment, Int, TrainingOptions) throws -> Run
    let greedy: (any Learner) throws -> any Policy
    var agent: (any Learner)?

    init(algorithm: String, network: Module, copies: Int, configuration: @escaping () -> [(name: String, value: FieldValue)],
         build: @escaping (Module, AnyEnvironment) throws -> any Learner,
         drive: @escaping (any Learner, AnyEnvironment, Int, TrainingOptions) throws -> Run,
         greedy: @escaping (any Learner) throws -> any Policy) {
        self.algorithm = algorithm
        self.network = network
        self.copies = copies
        self.configuration = configuration
        self.build = build
        self.drive = drive
        self.greedy = greedy
    }

    override public var typeName: String { "Agent" }
    override public var description: String { "\(algorithm) on \(network.typeName) (\(network.parameterCount) parameters)" }
    override public var memberNames: [String] { ["network", "evaluate"] }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "network": return .host(ModuleObject(network))
        case "evaluate":
            return .native(NativeFunction("evaluate", parameters: ["env", NativeParameter("episodes", default: .int(100)), NativeParameter("seed", default: .int(12_345))],
                                          doc: "agent.evaluate(env, episodes: 100): the greedy policy's episode returns.") { [self] a, it in
                guard let agent else { throw HostError("evaluate: the agent has not been trained yet", help: ["call train(agent, on: env, steps: …) first"]) }
                let env = try anyEnvironment(a[0], "evaluate", it)
                let episodes = try a[1].toInt("evaluate: episodes"), seed = try a[2].toInt("evaluate: seed")
                guard episodes >= 1 else { throw HostError("evaluate: episodes must be >= 1, got \(episodes)", argument: .parameter("episodes")) }
                return .array(try ScriptEnvironment.rethrowingScriptError(it) {
                    try Algorithms.evaluate(try greedy(agent), on: env, episodes: episodes, seed: UInt64(truncatingIfNeeded: seed)).map { .float($0) }
                })
            })
        default: return nil
        }
    }

    /// Trains on `env` for `steps` environment frames (building the learner the first time).
    func train(on env: AnyEnvironment, steps: Int, options: TrainingOptions) throws -> Run {
        if copies > 1 && containsScriptEnvironment(env.base) {
            throw HostError("train: \(algorithm) steps \(copies) copies of \(env.name), but an environment written in the language cannot be copied (the copies would share one object)",
                            help: ["use a built-in environment, or n_actors: 1, n_envs: 1"])
        }
        let learner = try agent ?? build(network, env)
        agent = learner
        return try drive(learner, env, steps, options)
    }
}

extension Binder {
    /// `NAME(network, field: value, …)` for a learner with its own driver: the configuration
    /// is checked whole at the call (`validate`), the learner built when `train` meets an environment.
    func drivenAlgorithm<C: Configurable, L: Learner>(
        _ name: String, _ config: C.Type, doc: String, network: String, validate: @escaping (C) throws -> Void, copies: @escaping (C) -> Int,
        build: @escaping (C, any Layer, AnyEnvironment) throws -> L, train: @escaping (L, AnyEnvironment, Int, TrainingOptions) throws -> Run,
        greedy: @escaping (L) -> any Policy
    ) {
        func typed(_ learner: any Learner) throws -> L {
            guard let l = learner as? L else { throw HostError("\(name): the trained agent is a \(learner.algorithm), not \(name)") }
            return l
        }
        define(name, leading: [("network", network)], fields: C.fieldInfos, doc: doc, kind: .algorithm,
               readBack: { ($0.host as? DrivenAgentSpec)?.configuration() }) { args, reader, it in
            let values = try reader.values(args)
            let c = try reader.run { try C(values) }
            try validate(c)
            return .host(DrivenAgentSpec(
                algorithm: name, network: try modelModule(args[0], name, it), copies: copies(c), configuration: { c.fieldValues },
                build: { net, env in
                    guard let layer = net as? any Layer else { throw HostError("\(name) needs a network that maps observations to outputs") }
                    return try build(c, layer, env)
                },
                drive: { learner, env, steps, options in try train(try typed(learner), env, steps, options) },
                greedy: { greedy(try typed($0)) }))
        }
    }
}

extension Runtime {
    static func installIMPALA(_ b: Binder) {
        b.drivenAlgorithm("IMPALA", IMPALAConfig.self,
                          doc: "importance-weighted actor-learner (Espeholt et al. 2018): actors with a lagging copy of the policy, a learner correcting with V-trace.",
                          network: "observations → A logits and V(x) in the last column (A + 1 outputs)",
                          validate: { try $0.validate() }, copies: { $0.actors * $0.environmentsPerActor },
                          build: { c, net, env in try IMPALA(network: net, environment: env, config: c) },
                          train: { impala, env, steps, options in try Algorithms.train(impala, on: env, steps: steps, options: options) },
                          greedy: { $0.greedyPolicy() })
    }
}
