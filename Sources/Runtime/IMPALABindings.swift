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

/// A learner with its own training driver (IMPALA's actors and learner), with its network
/// and checked settings, before it meets an environment. `train` builds it for the
/// environment it is given and keeps it, so that a second `train` continues and `evaluate`
/// measures the trained policy.
public final class DrivenAgentSpec: AgentObject {
    /// The environment copies the driver steps at once (a script environment cannot be copied).
    let copies: Int
    let build: (Module, AnyEnvironment) throws -> any GreedyActing
    let drive: (any GreedyActing, AnyEnvironment, Int, TrainingOptions) throws -> Run
    var agent: (any GreedyActing)?

    init(algorithm: String, network: Module, copies: Int, configuration: @escaping () -> [(name: String, value: FieldValue)],
         build: @escaping (Module, AnyEnvironment) throws -> any GreedyActing,
         drive: @escaping (any GreedyActing, AnyEnvironment, Int, TrainingOptions) throws -> Run) {
        self.copies = copies
        self.build = build
        self.drive = drive
        super.init(algorithm: algorithm, network: network, configuration: configuration)
    }

    override var learner: (any GreedyActing)? { agent }

    override func prepareTraining(on v: Value, interpreter: Interpreter) throws -> (Int, TrainingOptions) throws -> Run {
        let env = try anyEnvironment(v, "train: on:", interpreter)
        if copies > 1 && containsScriptEnvironment(env.base) {
            throw HostError("train: \(algorithm) steps \(copies) copies of \(env.name), but an environment written in the language cannot be copied (the copies would share one object)",
                            help: ["use a built-in environment, or n_actors: 1, n_envs: 1"])
        }
        let learner = try kept(&agent, check: { try $0.checkActs(in: env) }, build: { try build(network, env) })
        return { [drive] steps, options in try drive(learner, env, steps, options) }
    }
}

extension Binder {
    /// `NAME(network, field: value, …)` for a learner with its own driver: the configuration
    /// is checked whole at the call (`validate`), the learner built when `train` meets an environment.
    func drivenAlgorithm<C: Configurable, L: GreedyActing>(
        _ name: String, _ config: C.Type, doc: String, network: String, validate: @escaping (C) throws -> Void, copies: @escaping (C) -> Int,
        build: @escaping (C, any Layer, AnyEnvironment) throws -> L, train: @escaping (L, AnyEnvironment, Int, TrainingOptions) throws -> Run
    ) {
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
                drive: { learner, env, steps, options in
                    guard let typed = learner as? L else { throw HostError("\(name): the trained agent is a \(learner.algorithm), not \(name)") }
                    return try train(typed, env, steps, options)
                }))
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
                          train: { impala, env, steps, options in try Algorithms.train(impala, on: env, steps: steps, options: options) })
    }
}
