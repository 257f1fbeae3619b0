import Algorithms
import Environments
import Language
import NeuralNets
import TensorCore

/// An algorithm with its network and settings, before it meets an environment:
/// `DRQN(net, replay: "burn_in", burn_in: 8)`. `train(agent, on: env, steps: n)` builds
/// the agent for that environment (checking that the network fits it) and trains it; the
/// trained agent stays available as `agent.trained` for further training or evaluation.
public final class AgentSpec: HostObject {
    enum Kind { case dqn(DQNConfig), drqn(DRQNConfig) }
    let kind: Kind
    let network: Module
    /// The agent built by the last `train`, kept so that training can continue.
    var agent: (any OffPolicyLearner)?

    init(_ kind: Kind, network: Module) {
        self.kind = kind
        self.network = network
    }

    var name: String {
        switch kind {
        case .dqn: return "DQN"
        case .drqn(let c): return "DRQN(\(c.sequenceLength == nil ? "whole episodes" : "\(c.strategy)"))"
        }
    }

    override public var typeName: String { "Agent" }
    override public var description: String { "\(name) on \(network.typeName) (\(network.parameterCount) parameters)" }
    override public var memberNames: [String] { ["network", "epsilon", "evaluate", "delta_q"] }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "network": return .host(ModuleObject(network))
        case "epsilon": return (agent as? any EpsilonGreedy).map { .float($0.explorationRate) } ?? .nil
        case "evaluate", "delta_q":
            return .native(NativeFunction(name, variadic: true, doc: name == "evaluate"
                ? "agent.evaluate(env, episodes: 100): the greedy policy's episode returns."
                : "agent.delta_q(\"stored_burn_in\", length: 5, burn_in: 4): R2D2's ΔQ at the first and last step of replayed windows.") { [self] args, it in
                try self.lessonMethod(name, args, interpreter: it) ?? .nil
            })
        default: return nil
        }
    }

    /// Builds the agent for `env` (once per environment instance).
    func agent(for env: AnyEnvironment) throws -> any OffPolicyLearner {
        if let agent { try agent.checkCompatible(with: env); return agent }
        let built: any OffPolicyLearner
        switch kind {
        case .dqn(let c): 
            guard let layer = network as? any Layer else { throw HostError("DQN needs a network that maps observations to Q-values") }
            built = try DQN(network: layer, environment: env, config: c)
        case .drqn(let c): built = try DRQN(network: network, environment: env, config: c)
        }
        agent = built
        return built
    }
}

/// The result of `train`: the episode returns and every logged metric (CleanRL's keys).
public final class RunObject: HostObject {
    let run: Run
    init(_ run: Run) { self.run = run }

    override public var typeName: String { "Run" }
    override public var description: String { run.description }
    override public var memberNames: [String] {
        ["returns", "lengths", "steps", "episodes", "seconds", "keys", "history", "success_rate", "mean_return"]
    }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "returns": return .array(run.episodeReturns.map { .float($0) })
        case "lengths": return .array(run.episodeLengths.map { .int($0) })
        case "steps": return .int(run.steps)
        case "episodes": return .int(run.episodeReturns.count)
        case "seconds": return .float(run.seconds)
        case "keys": return .array(run.history.keys.sorted().map { .str($0) })
        case "history", "success_rate", "mean_return":
            return .native(NativeFunction(name, variadic: true, doc: "Run.\(name)") { [self] args, it in
                try self.callMethod(name, args, interpreter: it) ?? .nil
            })
        default: return nil
        }
    }

    override public func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        func arg(_ i: Int, _ label: String) -> Value? { args.named(label) ?? (i < args.positional.count ? args.positional[i] : nil) }
        switch name {
        case "history":
            guard let k = arg(0, "key") else { throw HostError("history needs a metric key, e.g. \"losses/td_loss\"", help: ["the keys are: \(run.history.keys.sorted().joined(separator: ", "))"]) }
            let key = try k.toStringValue("history: key")
            guard let points = run.history[key] else {
                throw HostError("no metric \"\(key)\" was logged", help: ["the keys are: \(run.history.keys.sorted().joined(separator: ", "))"])
            }
            return .array(points.map { .float($0.value) })
        case "success_rate":
            return run.successRate(last: try arg(0, "last")?.toInt("success_rate: last") ?? 100).map { .float($0) } ?? .nil
        case "mean_return":
            return run.meanReturn(last: try arg(0, "last")?.toInt("mean_return: last") ?? 100).map { .float($0) } ?? .nil
        default: return nil
        }
    }
}

extension Runtime {
    static func installAlgorithms(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        func network(_ v: Value, _ who: String, _ interpreter: Interpreter) throws -> Module { try modelModule(v, who, interpreter) }
        def("DQN", ["network", NativeParameter("lr", default: .float(1e-3)), NativeParameter("gamma", default: .float(0.99)),
                    NativeParameter("batch_size", default: .int(64)), NativeParameter("buffer_size", default: .int(10_000)),
                    NativeParameter("learning_starts", default: .int(500)), NativeParameter("target_update", default: .int(250)),
                    NativeParameter("exploration_steps", default: .int(5_000)), NativeParameter("epsilon_end", default: .float(0.05)),
                    NativeParameter("double_q", default: .bool(true)), NativeParameter("seed", default: .int(0))],
            doc: "DQN(net, lr: 1e-3, …): deep Q-learning with a target network, ε-greedy and Double DQN (Mnih et al. 2015).") { a, it in
            var c = DQNConfig()
            c.learningRate = try a[1].toFloat("DQN: lr"); c.gamma = try a[2].toDouble("DQN: gamma")
            c.batchSize = try a[3].toInt("DQN: batch_size"); c.bufferSize = try a[4].toInt("DQN: buffer_size")
            c.learningStarts = try a[5].toInt("DQN: learning_starts"); c.targetUpdateInterval = try a[6].toInt("DQN: target_update")
            c.explorationSteps = try a[7].toInt("DQN: exploration_steps"); c.epsilonEnd = try a[8].toDouble("DQN: epsilon_end")
            c.doubleQ = try a[9].toBool("DQN: double_q"); c.seed = UInt64(truncatingIfNeeded: try a[10].toInt("DQN: seed"))
            return .host(AgentSpec(.dqn(c), network: try network(a[0], "DQN", it)))
        }
        def("DRQN", ["network", NativeParameter("replay", default: .string("episode")), NativeParameter("burn_in", default: .int(0)),
                     NativeParameter("sequence_length", default: .nil), NativeParameter("lr", default: .float(1e-3)),
                     NativeParameter("gamma", default: .float(0.99)), NativeParameter("batch_size", default: .int(32)),
                     NativeParameter("target_update", default: .int(100)), NativeParameter("exploration_episodes", default: .int(600)),
                     NativeParameter("epsilon_end", default: .float(0.05)), NativeParameter("seed", default: .int(0)),
                     NativeParameter("updates_per_episode", default: .int(1)), NativeParameter("learning_starts", default: .int(32)),
                     NativeParameter("max_grad_norm", default: .nil)],
            doc: "DRQN(net, replay: \"episode\" | \"zero\" | \"burn_in\" | \"stored\" | \"stored_burn_in\", burn_in: 0, sequence_length: nil, …): recurrent Q-learning (Hausknecht & Stone 2015) with R2D2's replay strategies.") { a, it in
            var c = DRQNConfig()
            let replay = try a[1].toStringValue("DRQN: replay")
            let burnIn = try a[2].toInt("DRQN: burn_in")
            if replay == "episode" {
                c.sequenceLength = nil
            } else {
                c.strategy = try replayStrategy(replay, burnIn: burnIn, who: "DRQN", episode: true)
            }
            if replay != "episode" { c.sequenceLength = a[3].isNil ? 8 : try a[3].toInt("DRQN: sequence_length") }
            c.learningRate = try a[4].toFloat("DRQN: lr"); c.gamma = try a[5].toDouble("DRQN: gamma")
            c.batchSize = try a[6].toInt("DRQN: batch_size"); c.targetUpdateInterval = try a[7].toInt("DRQN: target_update")
            c.explorationEpisodes = try a[8].toInt("DRQN: exploration_episodes"); c.epsilonEnd = try a[9].toDouble("DRQN: epsilon_end")
            c.seed = UInt64(truncatingIfNeeded: try a[10].toInt("DRQN: seed"))
            c.updatesPerEpisode = try a[11].toInt("DRQN: updates_per_episode")
            c.learningStartsEpisodes = try a[12].toInt("DRQN: learning_starts")
            c.maxGradNorm = a[13].isNil ? nil : try a[13].toFloat("DRQN: max_grad_norm")
            return .host(AgentSpec(.drqn(c), network: try network(a[0], "DRQN", it)))
        }
        def("train", ["agent", "on", "steps", NativeParameter("seed", default: .int(0)), NativeParameter("max_episodes", default: .nil),
                      NativeParameter("stop_at_success", default: .nil), NativeParameter("progress", default: .bool(true))],
            doc: "train(agent, on: env, steps: 20_000, progress: true): trains the agent; returns a run with .returns and .history(key) (plot(run) draws its returns). Shows a progress bar on stderr (a line every 5 s when stderr is not a terminal). Ctrl-C stops it and keeps the model.") { a, it in
            let policyGradient: PolicyGradientSpec?
            if case .host(let spec as PolicyGradientSpec) = a[0] { policyGradient = spec } else { policyGradient = nil }
            let spec: AgentSpec?
            if case .host(let s as AgentSpec) = a[0] { spec = s } else { spec = nil }
            guard spec != nil || policyGradient != nil else { throw HostError("train needs an agent such as DQN(net), DRQN(net) or PPO(net), got \(a[0].typeName)") }
            let env = try spec.map { _ in try anyEnvironment(a[1], "train: on:", it) }
            let steps = try a[2].toInt("train: steps")
            let agent = try spec.map { try $0.agent(for: env!) }
            let onPolicy = try policyGradient?.prepare(on: a[1], interpreter: it)
            var options = TrainingOptions()
            options.seed = UInt64(truncatingIfNeeded: try a[3].toInt("train: seed"))
            options.maxEpisodes = a[4].isNil ? nil : try a[4].toInt("train: max_episodes")
            // Ctrl-C: stop between steps; the network keeps the weights it has, and the script
            // stops with "interrupted" (the REPL then returns to its prompt).
            options.shouldStop = { it.interrupt.take() }
            if !a[5].isNil {
                let rate = try a[5].toDouble("train: stop_at_success")
                options.callbacks.append { _, run in
                    run.episodeReturns.count >= 100 && (run.successRate(last: 100) ?? 0) >= rate ? .stop : .continue
                }
            }
            let progress = try a[6].toBool("train: progress") && session.progress.enabled ? TrainingProgress(session: session, total: steps, showSuccess: !a[5].isNil) : nil
            if let progress { options.callbacks.append(progress.callback) }
            let run: Run
            do {
                run = try ScriptEnvironment.rethrowingScriptError(it) {
                    if let (learner, copies) = onPolicy { return try train(learner, copies: copies, steps: steps, options: options) }
                    return try train(agent!, on: env!, steps: steps, options: options)
                }
            } catch {
                progress?.finish(nil, note: "failed")
                throw error
            }
            progress?.finish(run, note: run.stopReason == .interrupted ? "interrupted" : nil)
            if run.stopReason == .interrupted {
                throw HostError("interrupted", help: ["training stopped after \(run.steps) steps and \(run.episodeReturns.count) episodes; the network keeps the weights it had"])
            }
            return .host(RunObject(run))
        }
    }
}

/// R2D2's replay strategies by their script names. `episode` (whole episodes from their
/// start, no window) is a choice of DRQN's constructor only, so it is named in the message
/// when `episode` is true.
func replayStrategy(_ name: String, burnIn: Int, who: String, episode: Bool = false) throws -> ReplayStrategy {
    switch name {
    case "zero": return .zeroStart
    case "burn_in": return .burnIn(burnIn)
    case "stored": return .storedState
    case "stored_burn_in": return .storedStateWithBurnIn(burnIn)
    default:
        throw HostError("\(who): replay must be \(episode ? "\"episode\", " : "")\"zero\", \"burn_in\", \"stored\" or \"stored_burn_in\", got \"\(name)\"")
    }
}

