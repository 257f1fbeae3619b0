import Algorithms
import Environments
import Language
import NeuralNets
import TensorCore

// What the first lessons need beyond the core bindings: the observation wrappers (frame
// stacking, flicker, masking), the exact Tiger baselines, the LSTM paper's sequence tasks
// as tensors, and a trained agent's greedy evaluation and R2D2's ΔQ measurement.

/// The exact baselines of a Tiger environment: `tiger_baselines(env)`.
final class TigerBaselinesObject: HostObject {
    let baselines: TigerBaselines
    init(_ b: TigerBaselines) { baselines = b }

    override var typeName: String { "TigerBaselines" }
    override var description: String {
        "TigerBaselines(p: \(baselines.listenAccuracy), horizon: \(baselines.horizon), optimal value \(baselines.value(stepsLeft: baselines.horizon, countDifference: 0)))"
    }
    override var memberNames: [String] {
        ["optimal_value", "listen_accuracy", "horizon", "best_memoryless", "value", "optimal_action", "belief", "update_belief"]
    }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        let b = baselines
        switch name {
        case "optimal_value": return .float(b.value(stepsLeft: b.horizon, countDifference: 0))
        case "listen_accuracy": return .float(b.listenAccuracy)
        case "horizon": return .int(b.horizon)
        case "best_memoryless":
            let (policy, value) = try b.bestMemorylessPolicy()
            return .makeRecord([("policy", .array(policy.map { .int($0) })), ("value", .float(value))])
        case "value":
            return .native(NativeFunction("value", parameters: ["steps_left", "d"],
                                          doc: "value(steps_left, d): the optimal expected return with steps_left steps left and d = #left − #right growls heard.") { a, _ in
                let h = try a[0].toInt("value: steps_left"), d = try a[1].toInt("value: d")
                guard (0...b.horizon).contains(h), abs(d) <= b.horizon else {
                    throw HostError("value: steps_left must be in 0...\(b.horizon) and |d| ≤ \(b.horizon), got \(h) and \(d)")
                }
                return .float(b.value(stepsLeft: h, countDifference: d))
            })
        case "optimal_action":
            return .native(NativeFunction("optimal_action", parameters: ["steps_left", "d"],
                                          doc: "optimal_action(steps_left, d): 0 listen, 1 open left, 2 open right.") { a, _ in
                let h = try a[0].toInt("optimal_action: steps_left"), d = try a[1].toInt("optimal_action: d")
                guard (1...b.horizon).contains(h), abs(d) <= b.horizon else {
                    throw HostError("optimal_action: steps_left must be in 1...\(b.horizon) and |d| ≤ \(b.horizon), got \(h) and \(d)")
                }
                return .int(b.optimalAction(stepsLeft: h, countDifference: d))
            })
        case "belief":
            return .native(NativeFunction("belief", parameters: ["d"], doc: "belief(d): P(tiger left) after d more left growls than right ones.") { a, _ in
                .float(b.belief(countDifference: try a[0].toInt("belief: d")))
            })
        case "update_belief":
            return .native(NativeFunction("update_belief", parameters: ["belief", "observation"],
                                          doc: "update_belief(b, observation): Bayes' rule after one Tiger observation.") { a, _ in
                let belief = try a[0].toDouble("update_belief: belief")
                guard (0...1).contains(belief) else { throw HostError("update_belief: belief must be in [0, 1], got \(belief)") }
                let obs = try a[1].toTensor("update_belief: observation")
                guard obs.count == 3 else { throw HostError("update_belief: a Tiger observation has 3 elements, got shape \(obs.shape)") }
                return .float(b.updatedBelief(belief, observation: obs.scalars))
            })
        default: return nil
        }
    }
}

extension Runtime {
    static func installLessonBindings(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        func environment(_ v: Value, _ who: String) throws -> AnyEnvironment { try anyEnvironment(v, who, interpreter) }
        func wrapped(_ e: some Environment) -> Value { .host(EnvironmentObject(AnyEnvironment(e))) }

        // MARK: Wrappers
        def("FrameStack", ["env", "k"], doc: "FrameStack(env, k: 4): observations are the last k observations, concatenated (zeros before the start).") { a, _ in
            wrapped(try environment(a[0], "FrameStack").frameStack(try a[1].toInt("FrameStack: k")))
        }
        def("Flicker", ["env", NativeParameter("p", default: .float(0.5))], doc: "Flicker(env, p: 0.5): each observation is blanked (all zeros) with probability p.") { a, _ in
            wrapped(try environment(a[0], "Flicker").flicker(try a[1].toDouble("Flicker: p")))
        }
        def("MaskObservation", ["env", "indices", NativeParameter("drop", default: .bool(false))],
            doc: "MaskObservation(env, indices: [1, 3]): those observation elements read 0 (or are removed with drop: true), e.g. CartPole's velocities.") { a, _ in
            guard case .list(let l) = a[1] else { throw HostError("MaskObservation: indices must be a list of ints, got \(a[1].typeName)") }
            let idx = try l.items.map { try $0.toInt("MaskObservation: index") }
            return wrapped(try environment(a[0], "MaskObservation").masked(idx, mode: try a[2].toBool("MaskObservation: drop") ? .drop : .zero))
        }
        def("TimeLimit", ["env", "max_episode_steps"], doc: "TimeLimit(env, max_episode_steps: 200): episodes are truncated after that many steps.") { a, _ in
            wrapped(try environment(a[0], "TimeLimit").timeLimit(try a[1].toInt("TimeLimit: max_episode_steps")))
        }
        def("PreviousActionReward", ["env"], doc: "PreviousActionReward(env): the previous action (one-hot) and reward are appended to each observation.") { a, _ in
            wrapped(try environment(a[0], "PreviousActionReward").previousActionReward())
        }

        // MARK: Tiger
        def("tiger_baselines", ["env"], doc: "tiger_baselines(Tiger()): the Bayes filter, value iteration over beliefs (optimal_value) and the best memoryless policy.") { a, _ in
            let env = try environment(a[0], "tiger_baselines")
            guard let tiger = env.base as? Tiger else { throw HostError("tiger_baselines needs a Tiger environment, got \(env.name)") }
            return .host(TigerBaselinesObject(try TigerBaselines(tiger)))
        }

        // MARK: Sequence tasks
        func batchValue(_ batch: Environments.SequenceBatch) throws -> Value {
            .makeRecord([
                ("inputs", .host(TensorObject(try Tensor(batch.inputs, shape: batch.inputShape)))),
                ("targets", .host(TensorObject(try Tensor(batch.targets, shape: batch.targetShape)))),
                ("last", .host(TensorObject(Tensor(batch.lengths.map { Float($0 - 1) })))),
            ])
        }
        def("adding_problem", ["size", NativeParameter("lag", default: .int(100))],
            doc: "adding_problem(64, lag: 100): a batch of the adding problem (Hochreiter & Schmidhuber 1997) — inputs [size, T, 2], targets [size, 1] = 0.5 + (X₁ + X₂)/4, last = each sequence's last step.") { a, _ in
            try batchValue(try AddingProblem(minimumLag: a[1].toInt("adding_problem: lag")).batch(size: a[0].toInt("adding_problem: size"), rng: &session.rng))
        }
        def("temporal_order", ["size", NativeParameter("symbols", default: .int(2))],
            doc: "temporal_order(64, symbols: 2): a batch of the temporal order problem — inputs [size, T, 8] one-hot, targets [size, 2^symbols] one-hot classes, last = each sequence's last step.") { a, _ in
            try batchValue(try TemporalOrder(symbols: a[1].toInt("temporal_order: symbols")).batch(size: a[0].toInt("temporal_order: size"), rng: &session.rng))
        }
    }
}

extension AgentSpec {
    /// `agent.delta_q("stored_burn_in", length: 5)`: R2D2's measure of recurrent-state staleness, for lesson 5.
    func deltaQMethod() -> NativeFunction {
        NativeFunction("delta_q", parameters: ["replay", NativeParameter("length", default: .int(5)), NativeParameter("burn_in", default: .int(4))],
                              doc: "agent.delta_q(\"stored_burn_in\", length: 5, burn_in: 4): R2D2's ΔQ at the first and last step of replayed windows (.first, .last), with its numerator ‖q(ĥ) − q(h)‖₂ (.first_distance, .last_distance) and denominator |maxₐ q(ĥ)ₐ| (.first_scale, .last_scale) averaged apart.") { [self] a, _ in
            guard let drqn = try trained("delta_q") as? DRQN else { throw HostError("delta_q needs a DRQN agent, this one is \(self.name)") }
            let replay = try a[0].toStringValue("delta_q: replay")
            let strategy = try replayStrategy(replay, burnIn: try a[2].toInt("delta_q: burn_in"), who: "delta_q")
            let m = try drqn.measureDeltaQParts(strategy, length: try a[1].toInt("delta_q: length"))
            return .makeRecord([("first", .float(m.first)), ("last", .float(m.last)),
                                ("first_distance", .float(m.firstDistance)), ("last_distance", .float(m.lastDistance)),
                                ("first_scale", .float(m.firstScale)), ("last_scale", .float(m.lastScale))])
        }
    }
}
