import Algorithms
import Configuration
import Environments
import Language
import NeuralNets
import TensorCore

/// An off-policy agent (`DQN(net)`, `DRQN(net, replay: "burn_in", burn_in: 8)`): `train`
/// builds the engine's learner for the one environment it is given and steps it there.
///
/// Generic over algorithms: the registration (`Binder.algorithm`) captures the checked
/// configuration in `build`.
public final class AgentSpec: AgentObject {
    /// The name with its variant, as printed (`DRQN(burn-in 8)`).
    let label: String
    let build: (Module, AnyEnvironment) throws -> any OffPolicyLearner
    /// The agent built by the first `train`, kept so that training can continue.
    var agent: (any OffPolicyLearner)?

    init(algorithm: String, label: String, network: Module, configuration: @escaping () -> [(name: String, value: FieldValue)],
         build: @escaping (Module, AnyEnvironment) throws -> any OffPolicyLearner) {
        self.label = label
        self.build = build
        super.init(algorithm: algorithm, network: network, configuration: configuration)
    }

    override var name: String { label }
    override var learner: (any GreedyActing)? { agent }
    override public var memberNames: [String] { super.memberNames + ["epsilon", "delta_q"] }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "epsilon": return (agent as? any EpsilonGreedy).map { .float($0.explorationRate) } ?? .nil
        case "delta_q": return .native(deltaQMethod())
        default: return try super.getMember(name, interpreter: interpreter)
        }
    }

    override func prepareTraining(on v: Value, interpreter: Interpreter) throws -> (Int, TrainingOptions) throws -> Run {
        let env = try anyEnvironment(v, "train: on:", interpreter)
        let learner = try kept(&agent, check: { try $0.checkCompatible(with: env) }, build: { try build(network, env) })
        return { steps, options in try Algorithms.train(learner, on: env, steps: steps, options: options) }
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
        case "history":
            return .native(NativeFunction("history", parameters: ["key"], doc: "run.history(\"losses/td_loss\"): the values logged under a metric key.") { [self] a, _ in
                let key = try a[0].toStringValue("history: key")
                guard let points = run.history[key] else {
                    var help = ["the keys are: \(run.history.keys.sorted().joined(separator: ", "))"]
                    if let near = closestName(to: key, among: Array(run.history.keys)) { help.insert("did you mean \"\(near)\"?", at: 0) }
                    throw HostError("no metric \"\(key)\" was logged", help: help, argument: .parameter("key"))
                }
                return .array(points.map { .float($0.value) })
            })
        case "success_rate", "mean_return":
            return .native(NativeFunction(name, parameters: [NativeParameter("last", default: .int(100))],
                                          doc: "run.\(name)(last: 100): over the last episodes (nil before any).") { [self] a, _ in
                let last = try a[0].toInt("\(name): last")
                guard last >= 1 else { throw HostError("\(name): last must be >= 1, got \(last)", argument: .parameter("last")) }
                return (name == "success_rate" ? run.successRate(last: last) : run.meanReturn(last: last)).map { .float($0) } ?? .nil
            })
        default: return nil
        }
    }
}

extension Runtime {
    static func installAlgorithms(_ b: Binder) {
        let (interpreter, session) = (b.interpreter, b.session)
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        b.algorithm("DQN", DQNConfig.self,
                    doc: "deep Q-learning with a target network, ε-greedy and Double DQN (Mnih et al. 2015).") { config, network, env in
            guard let layer = network as? any Layer else { throw HostError("DQN needs a network that maps observations to Q-values") }
            return try DQN(network: layer, environment: env, config: config)
        }
        b.algorithm("DRQN", DRQNSettings.self,
                    doc: "recurrent Q-learning (Hausknecht & Stone 2015) with R2D2's replay strategies (Kapturowski et al. 2019).",
                    label: { "DRQN(\($0.replay == .episode ? "whole episodes" : "\($0.resolved.strategy)"))" }) { settings, network, env in
            try DRQN(network: network, environment: env, config: settings.resolved)
        }
        def("train", ["agent", "on", "steps", NativeParameter("seed", default: .int(0)), NativeParameter("max_episodes", default: .nil),
                      NativeParameter("stop_at_success", default: .nil), NativeParameter("progress", default: .bool(true))],
            doc: "train(agent, on: env, steps: 20_000, progress: true): trains the agent; returns a run with .returns and .history(key) (plot(run) draws its returns). Shows a progress bar on stderr (a line every 5 s when stderr is not a terminal). Ctrl-C stops it and keeps the model.") { a, it in
            guard case .host(let agent as AgentObject) = a[0] else {
                throw HostError("train needs an agent such as DQN(net), DRQN(net), PPO(net) or IMPALA(net), got \(a[0].typeName)")
            }
            let steps = try a[2].toInt("train: steps")
            let start = try agent.prepareTraining(on: a[1], interpreter: it)
            var options = TrainingOptions()
            options.seed = UInt64(truncatingIfNeeded: try a[3].toInt("train: seed"))
            options.maxEpisodes = a[4].isNil ? nil : try a[4].toInt("train: max_episodes")
            // Ctrl-C: stop between steps; the network keeps the weights it has, and the script
            // stops with "interrupted" (the REPL then returns to its prompt). The error carries
            // the run so far, which `let run = train(…)` binds before stopping.
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
                    try start(steps, options)
                }
            } catch {
                progress?.finish(nil, note: "failed")
                throw error
            }
            progress?.finish(run, note: run.stopReason == .interrupted ? "interrupted" : nil)
            if run.stopReason == .interrupted {
                throw HostError("interrupted", help: ["training stopped after \(run.steps) steps and \(run.episodeReturns.count) episodes; the network keeps the weights it had"],
                                partial: .host(RunObject(run)))
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

