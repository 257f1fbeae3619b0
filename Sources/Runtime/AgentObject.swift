import Algorithms
import Configuration
import Environments
import Language
import NeuralNets

/// An algorithm with its network and settings, before it meets an environment:
/// `DQN(net)`, `PPO(net, n_envs: 8)`, `IMPALA(net, n_actors: 2)`. `train(agent, on: env,
/// steps: n)` builds the learner for that environment (checking that the network fits it)
/// and keeps it, so that a second `train` continues and `evaluate` or `collect` use the
/// trained policy.
///
/// What differs between kinds is how `train` meets its environment — one copy stepped by the
/// off-policy loop (`AgentSpec`), N copies of a rollout (`PolicyGradientSpec`), or a learner
/// with its own actors (`DrivenAgentSpec`) — so each kind overrides `train` and `learner`;
/// printing, `network`, `evaluate` and the checks against an environment are shared here.
public class AgentObject: HostObject {
    /// The algorithm's name (`DRQN`).
    public let algorithm: String
    let network: Module
    /// The configuration's field values, by name (what `:help` and the binding tests read back).
    public let configuration: () -> [(name: String, value: FieldValue)]

    init(algorithm: String, network: Module, configuration: @escaping () -> [(name: String, value: FieldValue)]) {
        self.algorithm = algorithm
        self.network = network
        self.configuration = configuration
    }

    /// The name as printed, with its variant (`DRQN(burn-in 8)`, `recurrent PPO`).
    var name: String { algorithm }
    /// The learner the last `train` built, nil before.
    var learner: (any GreedyActing)? { nil }
    /// Parameters `evaluate` takes after `env`, `episodes` and `seed`.
    var evaluationParameters: [NativeParameter] { [] }
    /// `evaluate`'s help line.
    var evaluationDoc: String { "agent.evaluate(env, episodes: 100): the greedy policy's episode returns." }

    /// Meets what `train(…, on:)` was given: builds the learner the first time (checks it
    /// against the environment after) and returns the training run to start, which takes the
    /// step budget and the options. Mistakes in the environment or the network surface here,
    /// before any progress bar is drawn.
    func prepareTraining(on: Value, interpreter: Interpreter) throws -> (_ steps: Int, _ options: TrainingOptions) throws -> Run {
        fatalError("\(type(of: self)) must override prepareTraining(on:interpreter:)")
    }

    /// The policy `evaluate` runs, given the values of `evaluationParameters`.
    func evaluationPolicy(_ learner: any GreedyActing, _ extra: ArraySlice<Value>) throws -> any Policy {
        try learner.greedyPolicy()
    }

    /// The learner a previous `train` built, checked against the new environment, or a new
    /// one built for it and kept.
    func kept<L>(_ learner: inout L?, check: (L) throws -> Void, build: () throws -> L) throws -> L {
        if let learner {
            try check(learner)
            return learner
        }
        let built = try build()
        learner = built
        return built
    }

    /// The trained learner, or an error naming `method` that says to train first.
    func trained(_ method: String) throws -> any GreedyActing {
        guard let learner else { throw HostError("\(method): the agent has not been trained yet", help: ["call train(agent, on: env, steps: …) first"]) }
        return learner
    }

    override public var typeName: String { "Agent" }
    override public var description: String { "\(name) on \(network.typeName) (\(network.parameterCount) parameters)" }
    override public var memberNames: [String] { ["network", "evaluate"] }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "network": return .host(ModuleObject(network))
        case "evaluate": return .native(evaluateMethod())
        default: return nil
        }
    }

    private func evaluateMethod() -> NativeFunction {
        let parameters = ["env", NativeParameter("episodes", default: .int(100)), NativeParameter("seed", default: .int(12_345))] + evaluationParameters
        return NativeFunction("evaluate", parameters: parameters, doc: evaluationDoc) { [self] a, it in
            let learner = try trained("evaluate")
            let env = try anyEnvironment(a[0], "evaluate", it)
            let episodes = try a[1].toInt("evaluate: episodes"), seed = try a[2].toInt("evaluate: seed")
            guard episodes >= 1 else { throw HostError("evaluate: episodes must be >= 1, got \(episodes)", argument: .parameter("episodes")) }
            try learner.checkActs(in: env)
            let policy = try evaluationPolicy(learner, a.bound[3...])
            return .array(try ScriptEnvironment.rethrowingScriptError(it) {
                try Algorithms.evaluate(policy, on: env, episodes: episodes, seed: UInt64(truncatingIfNeeded: seed)).map { .float($0) }
            })
        }
    }
}
