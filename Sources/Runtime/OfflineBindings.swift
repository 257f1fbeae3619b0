import Algorithms
import Foundation
import Environments
import Language
import NeuralNets
import TensorCore

// The offline part of the language: trajectory datasets (`collect`, `load_dataset`,
// `data.filter_top`, `data.save`), the offline learners (`BC`, `DecisionTransformer`,
// `IQL`, declared by their configs' field tables and registered through `Binder.learner`)
// and `train(learner, updates: n)`.

// MARK: - Datasets

/// A `TrajectoryDataset` in the language.
final class DatasetObject: HostObject {
    let data: TrajectoryDataset
    let session: Session
    private let lists = CachedLists()
    init(_ data: TrajectoryDataset, session: Session) {
        self.data = data
        self.session = session
    }

    override var typeName: String { "Dataset" }
    override var description: String {
        let returns = data.episodeReturns
        let best = returns.max().map { ", best return \(String(format: "%.3g", $0))" } ?? ""
        return "Dataset(\(data.environment): \(data.episodeCount) episodes, \(data.count) steps\(best))"
    }
    override var memberNames: [String] {
        ["steps", "episodes", "returns", "environment", "observation_size", "action_count", "observations", "actions",
         "rewards", "terminals", "timesteps", "returns_to_go", "episode_starts", "filter_top", "save"]
    }
    override var length: Int? { data.count }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        let d = data
        switch name {
        case "steps": return .int(d.count)
        case "episodes": return .int(d.episodeCount)
        case "returns": return lists.list(name) { d.episodeReturns.map { .float($0) } }
        case "environment": return .str(d.environment)
        case "observation_size": return .int(d.observationSize)
        case "action_count": return d.actionCount.map { .int($0) } ?? .nil
        case "observations": return .host(TensorObject(try Tensor(d.observations, shape: [d.count, d.observationSize])))
        case "actions":
            if d.actionCount != nil { return lists.list(name) { d.actions.map { .int(Int($0)) } } }
            return .host(TensorObject(try Tensor(d.actions, shape: [d.count, d.actionSize])))
        case "rewards": return lists.list(name) { d.rewards.map { .float(Double($0)) } }
        case "terminals": return lists.list(name) { d.terminals.map { .bool($0) } }
        case "timesteps": return lists.list(name) { d.timesteps.map { .int($0) } }
        case "returns_to_go": return lists.list(name) { d.returnsToGo.map { .float(Double($0)) } }
        case "episode_starts": return lists.list(name) { d.episodeStarts.map { .int($0) } }
        case "filter_top":
            return .native(NativeFunction("filter_top", parameters: ["fraction"],
                                          doc: "data.filter_top(0.1): the 10% of episodes with the highest returns (the data of %BC).") { a, _ in
                .host(DatasetObject(try d.filterTop(a[0].toDouble("filter_top: fraction")), session: self.session))
            })
        case "save":
            return .native(NativeFunction("save", parameters: ["path"], doc: "data.save(\"data.safetensors\"): writes the dataset under the output folder.") { [self] a, _ in
                let path = try session.writablePath(a[0].toStringValue("save: path"))
                try data.save(to: path)
                return .str(path)
            })
        default: return nil
        }
    }
}

/// A script function `fn(observation) -> action` as a policy for `collect`.
final class ScriptPolicy: Policy {
    let function: Value
    unowned let interpreter: Interpreter
    init(_ function: Value, interpreter: Interpreter) {
        self.function = function
        self.interpreter = interpreter
    }
    func reset() throws {}
    func action(for observation: [Float]) throws -> Int {
        let v = try interpreter.call(function, [.host(TensorObject(try Tensor(observation, shape: [observation.count])))])
        return try v.toInt("collect: the policy's action")
    }
}

// MARK: - Offline learners

/// BC, %BC, the Decision Transformer or IQL, with its dataset, in the language.
final class OfflineLearnerObject: HostObject {
    let learner: any OfflineLearner
    let session: Session
    init(_ learner: any OfflineLearner, session: Session) {
        self.learner = learner
        self.session = session
    }

    override var typeName: String { learner.algorithm }
    override var description: String {
        "\(learner.algorithm) (\(learner.network.parameterCount) parameters, \(learner.updateCount) updates)"
    }
    override var memberNames: [String] {
        var names = ["network", "updates", "evaluate", "dataset"]
        if learner is DecisionTransformer { names += ["target_return", "attention"] }
        if learner is IQL { names += ["values"] }
        return names
    }

    var dataset: TrajectoryDataset {
        switch learner {
        case let l as BehaviourCloning: return l.dataset
        case let l as DecisionTransformer: return l.dataset
        case let l as IQL: return l.dataset
        default: preconditionFailure("every offline learner of the language has a dataset")
        }
    }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "network": return .host(ModuleObject(learner.network))
        case "updates": return .int(learner.updateCount)
        case "dataset": return .host(DatasetObject(dataset, session: session))
        case "target_return":
            return (learner as? DecisionTransformer).map { .float($0.defaultTarget) }
        case "attention":
            guard let dt = learner as? DecisionTransformer else { return nil }
            return .array(dt.model.attentionMaps.map { .host(TensorObject($0)) })
        case "evaluate":
            return .native(NativeFunction("evaluate", parameters: ["env", NativeParameter("episodes", default: .int(100)),
                                                                   NativeParameter("target", default: .nil), NativeParameter("seed", default: .int(12_345))],
                                          doc: "learner.evaluate(env, episodes: 100, target: nil): the returns of the learned policy (the Decision Transformer conditioned on target, by default the best return in its data).") { [self] a, it in
                let env = try anyEnvironment(a[0], "evaluate: env", it)
                let episodes = try a[1].toInt("evaluate: episodes")
                let seed = UInt64(truncatingIfNeeded: try a[3].toInt("evaluate: seed"))
                guard episodes >= 1 else { throw HostError("evaluate: episodes must be at least 1, got \(episodes)") }
                let returns: [Double] = try ScriptEnvironment.rethrowingScriptError(it) {
                    if let dt = learner as? DecisionTransformer {
                        let target = a[2].isNil ? dt.defaultTarget : try a[2].toDouble("evaluate: target")
                        guard target.isFinite else { throw HostError("evaluate: target must be a finite number, got \(target)") }
                        // Batched evaluation steps copies of the environment side by side; a
                        // script's environment is one object whatever the copies, so its
                        // episodes run one after another.
                        if containsScriptEnvironment(env) {
                            try dataset.checkCompatible(with: env, component: dt.algorithm)
                            return try Algorithms.evaluate(dt.policy(targetReturn: target, seed: seed), on: env, episodes: episodes, seed: seed)
                        }
                        return try dt.evaluate(on: env, targetReturn: target, episodes: episodes, seed: seed)
                    }
                    guard a[2].isNil else { throw HostError("evaluate: target is for the Decision Transformer; \(learner.algorithm) is not conditioned on a return") }
                    try dataset.checkCompatible(with: env, component: learner.algorithm)
                    guard let policy = try learner.evaluationPolicy() else { throw HostError("\(learner.algorithm) has no policy to evaluate") }
                    return try Algorithms.evaluate(policy, on: env, episodes: episodes, seed: seed)
                }
                return .array(returns.map { .float($0) })
            })
        case "values":
            guard let iql = learner as? IQL else { return nil }
            return .native(NativeFunction("values", parameters: ["observation"],
                                          doc: "iql.values(observation): the record (q: Q(s, ·), v: V(s), policy: π(·|s)).") { a, _ in
                let o = try a[0].toTensor("values: observation")
                guard o.count == iql.dataset.observationSize else {
                    throw HostError("values: the observation has \(o.count) numbers, the data's observations \(iql.dataset.observationSize)")
                }
                let (q, v, p) = try iql.values(o.scalars)
                return .makeRecord([("q", .array(q.map { .float(Double($0)) })), ("v", .float(Double(v))),
                                    ("policy", .array(p.map { .float(Double($0)) }))])
            })
        default: return nil
        }
    }
}

/// Whether `value` is or wraps (within a few levels) an environment written in the language,
/// whose copies share one script object.
func containsScriptEnvironment(_ value: Any, depth: Int = 0) -> Bool {
    if value is ScriptEnvironment { return true }
    if let e = value as? AnyEnvironment { return containsScriptEnvironment(e.base, depth: depth + 1) }
    guard depth < 8 else { return false }
    return Mirror(reflecting: value).children.contains { containsScriptEnvironment($0.value, depth: depth + 1) }
}

extension Runtime {
    static func installOfflineBindings(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        func dataset(_ v: Value, _ who: String) throws -> TrajectoryDataset {
            guard case .host(let d as DatasetObject) = v else {
                throw HostError("\(who) needs a dataset (from collect(env, episodes: n) or load_dataset(path)), got \(v.typeName)")
            }
            return d.data
        }

        // MARK: Datasets
        def("collect", ["env", NativeParameter("policy", default: .string("random")), NativeParameter("episodes", default: .int(100)),
                        NativeParameter("seed", default: .int(0)), NativeParameter("max_steps", default: .int(10_000))],
            doc: "collect(env, policy: \"random\", episodes: 100, seed: 0): a dataset of the policy's episodes (policy: \"random\", fn(observation) -> action, or a trained agent such as DQN, PPO, IMPALA or an offline learner — checked against env).") { a, it in
            let env = try anyEnvironment(a[0], "collect: env", it)
            let seed = UInt64(truncatingIfNeeded: try a[3].toInt("collect: seed"))
            let policy: any Policy
            switch a[1] {
            case .string(let s) where s.value == "random": policy = RandomPolicy(actions: env.actionSpace, seed: seed &+ 1)
            case .host(let l as OfflineLearnerObject):
                guard let p = try l.learner.evaluationPolicy() else { throw HostError("collect: \(l.learner.algorithm) has no policy") }
                policy = p
            case .host(let agent as AgentObject):
                let learner = try agent.trained("collect")
                try learner.checkActs(in: env)
                policy = try learner.greedyPolicy()
            case .function, .native, .boundMethod: policy = ScriptPolicy(a[1], interpreter: it)
            default: throw HostError("collect: policy must be \"random\", a function fn(observation) -> action or a trained agent, got \(a[1].typeName)")
            }
            let data = try ScriptEnvironment.rethrowingScriptError(it) {
                try TrajectoryDataset.collect(policy, on: env, episodes: a[2].toInt("collect: episodes"), seed: seed, maxSteps: a[4].toInt("collect: max_steps"))
            }
            return .host(DatasetObject(data, session: session))
        }
        def("load_dataset", ["path", NativeParameter("env", default: .nil)],
            doc: "load_dataset(\"data.safetensors\", env: nil): a dataset saved by data.save; with env, checked against its observation size.") { a, it in
            let p = try a[0].toStringValue("load_dataset: path")
            let path = try session.readablePath(p)
            if a[1].isNil { return .host(DatasetObject(try TrajectoryDataset.load(from: path), session: session)) }
            return .host(DatasetObject(try TrajectoryDataset.load(from: path, for: anyEnvironment(a[1], "load_dataset: env", it)), session: session))
        }

        // MARK: Learners
        let b = Binder(interpreter: interpreter, session: session)
        func config<C>(_ v: Value, _ read: (any OfflineLearner) -> C?) -> C? { (v.host as? OfflineLearnerObject).flatMap { read($0.learner) } }
        b.learner("BC", BehaviourCloningConfig.self, leading: [("network", "the policy: [batch, context · observation] → action logits (or actions)"), ("data", "the dataset cloned")],
                  doc: "behaviour cloning of the data's actions; fraction < 1 is %BC (Chen et al. 2021)",
                  config: { config($0) { ($0 as? BehaviourCloning)?.config } }) { c, a, it in
            guard let layer = try modelModule(a[0], "BC", it) as? any Layer else { throw HostError("BC needs a network that maps observations to actions") }
            return OfflineLearnerObject(try BehaviourCloning(network: layer, dataset: dataset(a[1], "BC"), config: c), session: session)
        }
        b.learner("DecisionTransformer", DecisionTransformerConfig.self, leading: [("data", "the dataset modelled")],
                  doc: "return-conditioned sequence modelling (Chen et al. 2021)",
                  config: { config($0) { ($0 as? DecisionTransformer)?.config } }) { c, a, _ in
            OfflineLearnerObject(try DecisionTransformer(dataset: dataset(a[0], "DecisionTransformer"), config: c), session: session)
        }
        b.learner("IQL", IQLConfig.self, leading: [("data", "the dataset of transitions")],
                  doc: "implicit Q-learning for discrete actions (Kostrikov et al. 2021)",
                  config: { config($0) { ($0 as? IQL)?.config } }) { c, a, _ in
            OfflineLearnerObject(try IQL(dataset: dataset(a[0], "IQL"), config: c), session: session)
        }

        def("attention", ["q", "k", "v", NativeParameter("causal", default: .bool(true))],
            doc: "attention(q, k, v, causal: true): the engine's softmax(q·kᵀ/√d + mask)·v on [batch, time, d] tensors; a record (output, weights [batch, time, time]).") { a, _ in
            let (y, w) = try scaledDotProductAttention(a[0].toTensor("attention: q"), a[1].toTensor("attention: k"), a[2].toTensor("attention: v"),
                                                       causal: a[3].toBool("attention: causal"))
            return .makeRecord([("output", .host(TensorObject(y))), ("weights", .host(TensorObject(w)))])
        }

        // MARK: train(learner, updates: n)
        // The online `train(agent, on:, steps:)` stays as it is; this one takes offline
        // learners and hands every other call to it.
        guard let online = g["train"] else { return }
        def("train", ["agent", NativeParameter("on", default: .nil), NativeParameter("steps", default: .nil),
                      NativeParameter("updates", default: .nil), NativeParameter("seed", default: .int(0)),
                      NativeParameter("max_episodes", default: .nil), NativeParameter("stop_at_success", default: .nil),
                      NativeParameter("progress", default: .bool(true)), NativeParameter("eval_every", default: .nil),
                      NativeParameter("eval_episodes", default: .int(10))],
            doc: "train(agent, on: env, steps: n) trains an online agent; train(learner, updates: n, on: env, eval_every: k) trains an offline one (BC, DecisionTransformer, IQL) for n updates on its dataset, evaluating it in env every k updates. Returns a run; Ctrl-C stops it and keeps the model.") { a, it in
            guard case .host(let object as OfflineLearnerObject) = a[0] else {
                guard a[3].isNil else { throw HostError("train: updates is for offline learners (BC, DecisionTransformer, IQL); an online agent trains for steps: n") }
                guard !a[1].isNil, !a[2].isNil else {
                    throw HostError("train needs on: env and steps: n for an online agent", help: ["e.g. train(agent, on: env, steps: 20_000)"])
                }
                return try it.call(online, [a[0], a[1], a[2], a[4], a[5], a[6], a[7]])
            }
            guard !a[3].isNil else {
                throw HostError("train needs updates: n for an offline learner (\(object.learner.algorithm) learns from its dataset, not from steps in an environment)", help: ["e.g. train(learner, updates: 2000)"])
            }
            guard a[2].isNil, a[5].isNil, a[6].isNil else { throw HostError("train: steps, max_episodes and stop_at_success are for online agents; an offline learner trains for updates: n") }
            let updates = try a[3].toInt("train: updates")
            var options = TrainingOptions()
            options.seed = UInt64(truncatingIfNeeded: try a[4].toInt("train: seed"))
            options.shouldStop = { it.interrupt.take() }
            var env: AnyEnvironment?
            if !a[1].isNil {
                env = try anyEnvironment(a[1], "train: on", it)
                options.evaluationInterval = a[8].isNil ? nil : try a[8].toInt("train: eval_every")
                options.evaluationEpisodes = try a[9].toInt("train: eval_episodes")
            } else if !a[8].isNil {
                throw HostError("train: eval_every needs an environment to evaluate in (on: env)")
            }
            let progress = try a[7].toBool("train: progress") && session.progress.enabled ? TrainingProgress(session: session, total: updates, showSuccess: false) : nil
            if let progress { options.callbacks.append(progress.callback) }
            let run: Run
            do {
                run = try ScriptEnvironment.rethrowingScriptError(it) {
                    try train(object.learner, updates: updates, options: options, evaluationEnvironment: env)
                }
            } catch {
                progress?.finish(nil, note: "failed")
                throw error
            }
            progress?.finish(run, note: run.stopReason == .interrupted ? "interrupted" : nil)
            if run.stopReason == .interrupted {
                throw HostError("interrupted", help: ["training stopped after \(run.steps) updates; the network keeps the weights it had"],
                                partial: .host(RunObject(run)))
            }
            return .host(RunObject(run))
        }
    }
}
