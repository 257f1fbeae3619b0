import Algorithms
import Environments
import Language
import NeuralNets
import TensorCore

// Lesson 9's bindings: RL² and its trials, the exact bandit baselines, and the supervised
// in-context learner:
//
//     let trials = RL2Trial(BernoulliBandits(arms: 5, pulls: 10))
//     let agent = RL2(GRU(trials.observation_size, 64) |> Linear(64, 5), critic: …)
//     train(agent, on: trials, steps: 400_000)
//     rl2_adaptation(agent, arms: 5, pulls: 10).mean
//     evaluate_bandit("gittins", arms: 5, pulls: 10).mean
//     evaluate_bandit(fn(successes, failures, t) { … }, arms: 5, pulls: 10)   # your own strategy

/// A strategy written in the language: `fn(successes, failures, t)` returning the arm,
/// with the counts as lists and t the pulls so far.
struct ScriptBanditStrategy: BanditStrategy {
    let function: Value
    let interpreter: Interpreter
    var name: String { "your strategy" }

    mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        let result = try interpreter.call(function, [.array(counts.successes.map { .int($0) }),
                                                     .array(counts.failures.map { .int($0) }), .int(counts.total)])
        let arm = try result.toInt("the strategy's arm")
        guard (0..<counts.arms).contains(arm) else {
            throw HostError("evaluate_bandit: the strategy chose arm \(arm), but the bandit has arms 0...\(counts.arms - 1)")
        }
        return arm
    }
}

/// The supervised in-context learner: `DPT(arms: 2, pulls: 10)`.
final class DPTObject: HostObject {
    let dpt: DPT
    init(_ d: DPT) { dpt = d }

    override var typeName: String { "DPT" }
    override var description: String { "DPT(arms: \(dpt.arms), pulls: \(dpt.pulls), \(dpt.model.parameterCount) parameters, \(dpt.stepCount) steps trained)" }
    override var memberNames: [String] { ["train", "predict", "posterior_distance", "network", "arms", "pulls"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        let d = dpt
        switch name {
        case "arms": return .int(d.arms)
        case "pulls": return .int(d.pulls)
        case "network": return .host(ModuleObject(d.model))
        case "train":
            return .native(NativeFunction("train", parameters: ["steps", NativeParameter("batch_size", default: .int(64))],
                                          doc: "dpt.train(steps, batch_size: 64): gradient steps of cross-entropy on fresh random histories; returns the losses.") { a, _ in
                .array(try d.train(steps: try a[0].toInt("train: steps"), batchSize: try a[1].toInt("train: batch_size")).map { .float($0) })
            })
        case "predict":
            return .native(NativeFunction("predict", parameters: ["arms", "rewards"],
                                          doc: "dpt.predict(arms, rewards): the predicted distribution of the best arm after those pulls.") { a, _ in
                guard case .list(let arms) = a[0], case .list(let rewards) = a[1] else {
                    throw HostError("predict: arms and rewards must be lists, got \(a[0].typeName) and \(a[1].typeName)")
                }
                let pulled = try arms.items.map { try $0.toInt("predict: arm") }
                let paid = try rewards.items.map { try $0.toDouble("predict: reward") }
                return .array(try d.predict(arms: pulled, rewards: paid).map { .float($0) })
            })
        case "posterior_distance":
            return .native(NativeFunction("posterior_distance", parameters: [NativeParameter("histories", default: .int(2000)), NativeParameter("seed", default: .int(1))],
                                          doc: "dpt.posterior_distance(histories: 2000, seed: 1): the mean total-variation distance to the exact posterior after each pull, over fresh random histories.") { a, _ in
                .array(try d.posteriorDistance(histories: try a[0].toInt("posterior_distance: histories"),
                                               seed: UInt64(truncatingIfNeeded: try a[1].toInt("posterior_distance: seed"))).map { .float($0) })
            })
        default: return nil
        }
    }
}

/// A built-in bandit strategy by its script name.
func banditStrategy(_ name: String, arms: Int, pulls: Int, c: Double, epsilon: Double) throws -> any BanditStrategy {
    switch name {
    case "bayes_optimal": return try BayesOptimalBandit(arms: arms, pulls: pulls)
    case "gittins": return GittinsIndex()
    case "ucb1": return try UCB1(c: c)
    case "thompson": return ThompsonSampling()
    case "greedy": return try EpsilonGreedyArm(epsilon: 0)
    case "epsilon_greedy": return try EpsilonGreedyArm(epsilon: epsilon)
    case "random": return RandomArm()
    default:
        throw HostError("evaluate_bandit: no strategy named \"\(name)\"",
                        help: ["the built-in strategies: \"bayes_optimal\", \"gittins\", \"ucb1\", \"thompson\", \"greedy\", \"epsilon_greedy\", \"random\", or pass a function fn(successes, failures, t) returning an arm"])
    }
}

func evaluationRecord(_ e: BanditEvaluation, extra: [(String, Value)] = []) -> Value {
    .makeRecord([("name", .string(StringObject(e.name))), ("mean", .float(e.meanReturn)), ("se", .float(e.standardError)),
                 ("best_arm_rate", .array(e.bestArmRate.map { .float($0) }))] + extra)
}

extension Runtime {
    static func installMetaRL(_ b: Binder) {
        let g = b.interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }

        def("RL2Trial", ["env", NativeParameter("episodes", default: .int(1))],
            doc: "RL2Trial(env, episodes: 1): RL²'s trial — `episodes` episodes of env on one task as one episode, with the observation followed by the one-hot previous action, the previous reward and the done flag.") { a, it in
            let env = try anyEnvironment(a[0], "RL2Trial", it)
            return .host(EnvironmentObject(AnyEnvironment(try env.rl2Trial(episodes: try a[1].toInt("RL2Trial: episodes")))))
        }

        // RL²: PPO's keywords, with RL²'s defaults for bandit trials of 10 pulls, on a
        // recurrent policy only.
        b.policyGradient("RL2", defaults: RL2.config(),
                         doc: "RL² (Duan et al. 2016): recurrent PPO on RL2Trial environments, its state kept across a trial and reset between trials; defaults for bandit trials of 10 pulls (γ 0.99, λ 0.3)") { spec in
            guard spec.network.namedParameters().contains(where: { $0.name.contains("weight_hh") }) else {
                throw HostError("RL2: the policy must be recurrent to carry what it learns across a trial, but \(spec.network.typeName) holds no LSTM, GRU or RNN",
                                help: ["e.g. RL2(GRU(inputs, 64) |> Linear(64, arms), critic: GRU(inputs, 64) |> Linear(64, 1))"])
            }
            spec.isRL2 = true
        }

        def("rl2_adaptation", ["agent", "arms", "pulls", NativeParameter("trials", default: .int(2000)), NativeParameter("seed", default: .int(0))],
            doc: "rl2_adaptation(agent, arms: 5, pulls: 10, trials: 2000, seed: 0): the trained RL² agent, weights frozen, on bandits drawn as evaluate_bandit draws them — a record (mean, se, best_arm_rate, best_arm_probability), the last two per pull.") { a, _ in
            guard case .host(let spec as PolicyGradientSpec) = a[0], spec.isRL2 else {
                throw HostError("rl2_adaptation needs an RL² agent made by RL2(…), got \(a[0].typeName)")
            }
            guard let agent = spec.agent else { throw HostError("rl2_adaptation: the agent has not been trained yet", help: ["call train(agent, on: RL2Trial(…), steps: …) first (or load its weights after one short train)"]) }
            let r = try RL2.adaptation(agent, arms: try a[1].toInt("rl2_adaptation: arms"), pulls: try a[2].toInt("rl2_adaptation: pulls"),
                                       trials: try a[3].toInt("rl2_adaptation: trials"), seed: UInt64(truncatingIfNeeded: try a[4].toInt("rl2_adaptation: seed")))
            return evaluationRecord(r.evaluation, extra: [("best_arm_probability", .array(r.bestArmProbability.map { .float($0) }))])
        }

        def("evaluate_bandit", ["strategy", "arms", "pulls", NativeParameter("trials", default: .int(20_000)), NativeParameter("seed", default: .int(0)),
                                NativeParameter("c", default: .float(1)), NativeParameter("epsilon", default: .float(0.1))],
            doc: "evaluate_bandit(strategy, arms: 5, pulls: 10, trials: 20000, seed: 0): plays a strategy on bandits drawn from U[0, 1] — \"bayes_optimal\", \"gittins\", \"ucb1\" (c: 1), \"thompson\", \"greedy\", \"epsilon_greedy\" (epsilon: 0.1), \"random\", or fn(successes, failures, t) returning an arm. Returns a record (name, mean, se, best_arm_rate). The same seed gives every strategy the same bandits and luck.") { a, it in
            let arms = try a[1].toInt("evaluate_bandit: arms"), pulls = try a[2].toInt("evaluate_bandit: pulls")
            let trials = try a[3].toInt("evaluate_bandit: trials"), seed = UInt64(truncatingIfNeeded: try a[4].toInt("evaluate_bandit: seed"))
            let strategy: any BanditStrategy
            switch a[0] {
            case .function, .native: strategy = ScriptBanditStrategy(function: a[0], interpreter: it)
            default:
                strategy = try banditStrategy(try a[0].toStringValue("evaluate_bandit: strategy"), arms: arms, pulls: pulls,
                                              c: try a[5].toDouble("evaluate_bandit: c"), epsilon: try a[6].toDouble("evaluate_bandit: epsilon"))
            }
            return evaluationRecord(try evaluateBandit(strategy, arms: arms, pulls: pulls, trials: trials, seed: seed))
        }

        def("bayes_optimal_value", ["arms", "pulls"],
            doc: "bayes_optimal_value(arms: 5, pulls: 10): the best expected total reward on Beta(1, 1) Bernoulli bandits, by dynamic programming over the posterior counts.") { a, _ in
            var dp = try BayesOptimalBandit(arms: try a[0].toInt("bayes_optimal_value: arms"), pulls: try a[1].toInt("bayes_optimal_value: pulls"))
            return .float(try dp.optimalValue())
        }

        def("gittins_index", ["successes", "failures", "pulls_left"],
            doc: "gittins_index(successes, failures, pulls_left): the finite-horizon Gittins index of an arm with posterior Beta(1 + s, 1 + f).") { a, _ in
            let s = try a[0].toInt("gittins_index: successes"), f = try a[1].toInt("gittins_index: failures"), h = try a[2].toInt("gittins_index: pulls_left")
            guard s >= 0, f >= 0 else { throw HostError("gittins_index: successes and failures must be >= 0, got \(s) and \(f)") }
            guard (1...1000).contains(h) else { throw HostError("gittins_index: pulls_left must be in 1...1000, got \(h)") }
            var g = GittinsIndex()
            return .float(g.index(successes: s, failures: f, pullsLeft: h))
        }

        def("DPT", [NativeParameter("arms", default: .int(2)), NativeParameter("pulls", default: .int(10)), NativeParameter("hidden", default: .int(32)),
                    NativeParameter("learning_rate", default: .float(0.003)), NativeParameter("seed", default: .int(0))],
            doc: "DPT(arms: 2, pulls: 10, hidden: 32, learning_rate: 0.003, seed: 0): a GRU trained by cross-entropy to predict a bandit's best arm from a history of random pulls (Lee et al. 2023).") { a, _ in
            .host(DPTObject(try DPT(arms: try a[0].toInt("DPT: arms"), pulls: try a[1].toInt("DPT: pulls"), hidden: try a[2].toInt("DPT: hidden"),
                                    learningRate: try a[3].toFloat("DPT: learning_rate"), seed: UInt64(truncatingIfNeeded: try a[4].toInt("DPT: seed")))))
        }

        def("best_arm_posterior", ["successes", "failures"],
            doc: "best_arm_posterior(successes, failures): the exact probability that each arm is the best, with Beta(1 + s, 1 + f) posteriors.") { a, _ in
            guard case .list(let s) = a[0], case .list(let f) = a[1], s.items.count == f.items.count, !s.items.isEmpty else {
                throw HostError("best_arm_posterior: successes and failures must be lists of the same, non-zero length")
            }
            let counts = BanditCounts(successes: try s.items.map { try $0.toInt("best_arm_posterior: successes") },
                                      failures: try f.items.map { try $0.toInt("best_arm_posterior: failures") })
            guard (counts.successes + counts.failures).allSatisfy({ $0 >= 0 && $0 <= 10_000 }) else {
                throw HostError("best_arm_posterior: counts must be in 0...10000, got \(counts.successes) and \(counts.failures)")
            }
            return .array(BestArmPosterior.probabilities(counts).map { .float($0) })
        }

        def("play_bandit", ["strategy", "probabilities", "pulls", NativeParameter("seed", default: .int(0))],
            doc: "play_bandit(strategy, probabilities: [0.2, 0.8], pulls: 10, seed: 0): one trial of a strategy (a name or a function, as in evaluate_bandit) on a known bandit; returns the list of arms pulled.") { a, it in
            guard case .list(let l) = a[1] else { throw HostError("play_bandit: probabilities must be a list of numbers in [0, 1], got \(a[1].typeName)") }
            let p = try l.items.enumerated().map { try $1.toDouble("play_bandit: probabilities[\($0)]") }
            let bandit = try BernoulliBandits(probabilities: p, pulls: try a[2].toInt("play_bandit: pulls"))
            var strategy: any BanditStrategy
            switch a[0] {
            case .function, .native: strategy = ScriptBanditStrategy(function: a[0], interpreter: it)
            default: strategy = try banditStrategy(try a[0].toStringValue("play_bandit: strategy"), arms: p.count, pulls: bandit.pulls, c: 1, epsilon: 0.1)
            }
            return .array(try playKnownBandit(&strategy, bandit, seed: UInt64(truncatingIfNeeded: try a[3].toInt("play_bandit: seed"))).map { .int($0) })
        }
    }
}

/// One trial of `strategy` on a bandit with known probabilities; the arms pulled.
func playKnownBandit(_ strategy: inout any BanditStrategy, _ bandit: BernoulliBandits, seed: UInt64) throws -> [Int] {
    var env = bandit, rng = RNG(seed: seed &+ 0x5EED)
    _ = try env.reset(seed: seed)
    var counts = BanditCounts(arms: bandit.arms), arms: [Int] = []
    for t in 0..<bandit.pulls {
        let arm = try strategy.choose(counts, pullsLeft: bandit.pulls - t, rng: &rng)
        let step = try env.step(arm)
        counts = counts.updated(arm: arm, paid: step.reward > 0)
        arms.append(arm)
    }
    return arms
}
