import Algorithms
import Environments
import Foundation
import Language
import NeuralNets
import TensorCore

// RLHF for scripts: the review task and its simulated labeller, comparison datasets, the
// reward model, PPO for language models with a KL penalty, DPO, best-of-n, and the exact
// KL-regularised optimum on a discrete set of responses.

/// Runs `body`, turning the RLHF, language-model and labeller errors into script errors.
func rlhfError<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as RLHFError { throw HostError(e.description) } catch let e as EnvironmentError {
        throw HostError(e.description)
    } catch let e as CheckpointError { throw HostError(e.description) } catch { return try textError { throw error } }
}

func doubleList(_ v: Value, _ what: String) throws -> [Double] {
    guard case .list(let l) = v else {
        if case .host(let t as TensorObject) = v { return t.tensor.scalars.map(Double.init) }
        throw HostError("\(what) must be a list of numbers, got \(v.typeName)")
    }
    return try l.items.enumerated().map { try $1.toDouble("\(what), item \($0)") }
}

func floats(_ x: [Double]) -> Value { .array(x.map { .float($0) }) }

/// A simulated labeller in scripts.
final class LabellerObject: HostObject {
    let labeller: SimulatedLabeller
    let session: Session
    init(_ labeller: SimulatedLabeller, session: Session) {
        self.labeller = labeller
        self.session = session
    }
    override var typeName: String { "Labeller" }
    override var description: String { "Labeller(Bradley–Terry noise τ = \(labeller.temperature))" }
    override var memberNames: [String] { ["gold", "choose", "compare", "temperature"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "temperature": return .float(labeller.temperature)
        case "gold":
            return .native(NativeFunction("gold", parameters: ["text"], doc: "labeller.gold(text): the hidden gold reward (for measuring only).") { [self] a, _ in
                if case .list = a[0] { return floats(try stringList(a[0], "gold: texts").map(labeller.gold)) }
                return .float(labeller.gold(try a[0].toStringValue("gold: text")))
            })
        case "choose":
            return .native(NativeFunction("choose", parameters: ["texts"], doc: "labeller.choose([a, b, …]): the index of the text the labeller prefers (Bradley–Terry noise).") { [self] a, _ in
                .int(labeller.choose(try stringList(a[0], "choose: texts"), rng: &session.rng))
            })
        case "compare":
            return .native(NativeFunction("compare", parameters: ["texts", NativeParameter("size", default: .int(2)), NativeParameter("count", default: .int(500)),
                                                                  NativeParameter("prompt", default: .string("")), NativeParameter("seed", default: .int(0))],
                                          doc: "labeller.compare(texts, size: 2, count: 500, prompt: \"\", seed: 0): a ComparisonDataset of count comparisons of size distinct texts.") { [self] a, _ in
                let d = try rlhfError {
                    try ComparisonDataset.collect(texts: stringList(a[0], "compare: texts"), prompt: a[3].toStringValue("compare: prompt"),
                                                  size: a[1].toInt("compare: size"), count: a[2].toInt("compare: count"), labeller: labeller,
                                                  seed: UInt64(truncatingIfNeeded: try a[4].toInt("compare: seed")))
                }
                return .host(ComparisonsObject(d, session: session))
            })
        default: return nil
        }
    }
}

/// A comparison dataset in scripts.
final class ComparisonsObject: HostObject {
    let data: ComparisonDataset
    let session: Session
    private let lists = CachedLists()
    init(_ data: ComparisonDataset, session: Session) {
        self.data = data
        self.session = session
    }
    override var typeName: String { "Comparisons" }
    override var description: String { "Comparisons(\(data.count) comparisons of \(data.size) among \(data.texts.count) texts)" }
    override var length: Int? { data.count }
    override var memberNames: [String] { ["count", "size", "texts", "comparisons", "chosen", "prompt", "split", "save"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "count": return .int(data.count)
        case "size": return .int(data.size)
        case "prompt": return .str(data.prompt)
        case "texts": return lists.list(name) { data.texts.map { .str($0) } }
        case "comparisons": return .array(data.comparisons.map { .array($0.map { .int($0) }) })
        case "chosen": return lists.list(name) { data.chosen.map { .int($0) } }
        case "split":
            return .native(NativeFunction("split", parameters: [NativeParameter("held_out", default: .float(0.2))],
                                          doc: "data.split(held_out: 0.2): a record (train, held_out) of the first and last comparisons.") { [self] a, _ in
                let (tr, te) = try rlhfError { try data.split(heldOut: a[0].toDouble("split: held_out")) }
                return .makeRecord([("train", .host(ComparisonsObject(tr, session: session))), ("held_out", .host(ComparisonsObject(te, session: session)))])
            })
        case "save":
            return .native(NativeFunction("save", parameters: ["path"], doc: "data.save(\"prefs.safetensors\"): writes the comparisons under the output folder.") { [self] a, _ in
                let path = try session.writablePath(a[0].toStringValue("save: path"))
                try rlhfError { try data.save(to: path) }
                return .str(path)
            })
        default: return nil
        }
    }
}

/// A reward model in scripts.
final class RewardModelObject: HostObject {
    let model: RewardModel
    init(_ model: RewardModel) { self.model = model }
    override var typeName: String { "RewardModel" }
    override var description: String { "RewardModel(GPT trunk, \(model.gpt.config.layers) layers, d_model \(model.gpt.config.dModel); scalar head)" }
    override var memberNames: [String] { ["train", "score", "accuracy", "config"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "config": return .makeRecord(model.config.fieldValues.map { ($0.name, $0.value.scriptValue) })
        case "train":
            return .native(NativeFunction("train", parameters: ["data", NativeParameter("held_out", default: .nil)],
                                          doc: "rm.train(data, held_out: nil): trains on the comparisons; a record (losses, train_accuracy, held_out_accuracy).") { [self] a, _ in
                let r = try rlhfError { try model.train(on: comparisons(a[0], "train"), heldOut: a[1].isNil ? nil : comparisons(a[1], "train: held_out")) }
                return .makeRecord([("losses", floats(r.losses.map(Double.init))), ("train_accuracy", .float(r.trainAccuracy)),
                                    ("held_out_accuracy", r.heldOutAccuracy.map { .float($0) } ?? .nil)])
            })
        case "score":
            return .native(NativeFunction("score", parameters: ["texts", NativeParameter("prompt", default: .string(""))],
                                          doc: "rm.score(texts, prompt: \"\"): the reward model's score of each text.") { [self] a, _ in
                floats(try rlhfError { try model.score(stringList(a[0], "score: texts"), prompt: a[1].toStringValue("score: prompt")) }.map(Double.init))
            })
        case "accuracy":
            return .native(NativeFunction("accuracy", parameters: ["data"], doc: "rm.accuracy(data): the fraction of comparisons whose chosen text scores highest.") { [self] a, _ in
                .float(try rlhfError { try model.accuracy(on: comparisons(a[0], "accuracy")) })
            })
        default: return nil
        }
    }
}

func comparisons(_ v: Value, _ who: String) throws -> ComparisonDataset {
    guard case .host(let c as ComparisonsObject) = v else { throw HostError("\(who) needs Comparisons (from labeller.compare or load_comparisons), got \(v.typeName)") }
    return c.data
}

func languageModel(_ v: Value, _ who: String) throws -> LanguageModel {
    guard case .host(let m as LanguageModelObject) = v else { throw HostError("\(who) needs a LanguageModel, got \(v.typeName)") }
    return m.model
}

/// The record of one PPO iteration.
func iterationValue(_ it: LanguagePPO.Iteration) -> Value {
    .makeRecord([("proxy", .float(it.proxy)), ("gold", it.gold.map { .float($0) } ?? .nil), ("kl", .float(it.kl)), ("kl_k1", .float(it.klK1)),
                 ("beta", .float(it.beta)), ("policy_loss", .float(it.policyLoss)), ("value_loss", .float(it.valueLoss)),
                 ("clip_fraction", .float(it.clipFraction)), ("tokens", .float(it.meanTokens)), ("samples", .array(it.samples.map { .str($0) }))])
}

/// PPO for a language model in scripts.
final class LanguagePPOObject: HostObject {
    let ppo: LanguagePPO
    let session: Session
    init(_ ppo: LanguagePPO, session: Session) {
        self.ppo = ppo
        self.session = session
    }
    override var typeName: String { "LanguagePPO" }
    override var description: String {
        "LanguagePPO(β \(String(format: "%.3g", ppo.controller.beta))\(ppo.controller.target.map { ", adaptive to KL \($0)" } ?? ", fixed"); \(ppo.history.count) iterations)"
    }
    override var memberNames: [String] { ["iterate", "train", "history", "beta", "policy", "proxy", "config"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "beta": return .float(ppo.controller.beta)
        case "config": return .makeRecord(ppo.config.fieldValues.map { ($0.name, $0.value.scriptValue) })
        case "history": return .array(ppo.history.map(iterationValue))
        case "policy": return .host(LanguageModelObject(ppo.policy, session: session))
        case "iterate":
            return .native(NativeFunction("iterate", parameters: [], doc: "ppo.iterate(): one RLHF iteration (rollout, scores, GAE, PPO epochs); its record.") { [self] _, _ in
                iterationValue(try rlhfError { try ppo.iterate() })
            })
        case "train":
            return .native(NativeFunction("train", parameters: ["iterations"], doc: "ppo.train(n): n iterations; the list of their records.") { [self] a, it in
                let n = try a[0].toInt("train: iterations")
                guard n >= 0 else { throw HostError("train: iterations must be >= 0, got \(n)") }
                var out: [Value] = []
                for _ in 0..<n {
                    if it.interrupt.take() {
                        throw HostError("interrupted", help: ["PPO stopped after \(ppo.history.count) iterations; the policy keeps the weights it had"])
                    }
                    out.append(iterationValue(try rlhfError { try ppo.iterate() }))
                }
                return .array(out)
            })
        case "proxy":
            return .native(NativeFunction("proxy", parameters: ["texts"], doc: "ppo.proxy(texts): the (standardised) reward the policy is trained on.") { [self] a, _ in
                floats(try rlhfError { try ppo.proxy(stringList(a[0], "proxy: texts")) }.map(Double.init))
            })
        default: return nil
        }
    }
}

/// DPO in scripts.
final class DPOObject: HostObject {
    let dpo: DPO
    init(_ dpo: DPO) { self.dpo = dpo }
    override var typeName: String { "DPO" }
    override var description: String { "DPO(β \(dpo.config.beta); \(dpo.losses.count) epochs)" }
    override var memberNames: [String] { ["train", "epoch", "losses", "accuracies", "config"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "losses": return floats(dpo.losses)
        case "accuracies": return floats(dpo.accuracies)
        case "config": return .makeRecord(dpo.config.fieldValues.map { ($0.name, $0.value.scriptValue) })
        case "epoch":
            return .native(NativeFunction("epoch", parameters: [], doc: "dpo.epoch(): one pass over the pairs; its mean loss.") { [self] _, _ in
                .float(try rlhfError { try dpo.epoch() })
            })
        case "train":
            return .native(NativeFunction("train", parameters: [], doc: "dpo.train(): the configured epochs; the list of epoch losses.") { [self] _, it in
                for _ in 0..<dpo.config.epochs {
                    if it.interrupt.take() {
                        throw HostError("interrupted", help: ["DPO stopped after \(dpo.losses.count) epochs; the policy keeps the weights it had"])
                    }
                    try rlhfError { _ = try dpo.epoch() }
                }
                return floats(dpo.losses)
            })
        default: return nil
        }
    }
}

extension Runtime {
    static func installRLHF(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }

        // MARK: The task and its labeller
        def("review_corpus", ["count", NativeParameter("seed", default: .int(0)), NativeParameter("max_pairs", default: .int(6))],
            doc: "review_corpus(2000, seed: 0, max_pairs: 6): short reviews (\"great food, cold room.\") from the RLHF task's grammar.") { a, _ in
            .array(ReviewTask.corpus(try a[0].toInt("review_corpus: count"), seed: UInt64(truncatingIfNeeded: try a[1].toInt("review_corpus: seed")),
                                     maxPairs: try a[2].toInt("review_corpus: max_pairs")).map { .str($0) })
        }
        def("review_reading", ["text"], doc: "review_reading(text): what the review grammar reads (positive, negative, pairs, well_formed).") { a, _ in
            let r = ReviewTask.read(try a[0].toStringValue("review_reading: text"))
            return .makeRecord([("positive", .int(r.positive)), ("negative", .int(r.negative)), ("pairs", .int(r.pairs)), ("well_formed", .bool(r.wellFormed))])
        }
        def("Labeller", [NativeParameter("temperature", default: .float(1))],
            doc: "Labeller(temperature: 1): a simulated labeller with the review task's hidden gold reward and Bradley–Terry noise τ.") { a, _ in
            .host(LabellerObject(try rlhfError { try SimulatedLabeller(temperature: a[0].toDouble("Labeller: temperature")) }, session: session))
        }
        def("load_comparisons", ["path"], doc: "load_comparisons(\"prefs.safetensors\"): comparisons written by data.save.") { a, _ in
            let p = try a[0].toStringValue("load_comparisons: path")
            let candidate = session.outputDirectory.appendingPathComponent(p).path
            let path = !p.hasPrefix("/") && FileManager.default.fileExists(atPath: candidate) ? candidate : try session.readablePath(p)
            return .host(ComparisonsObject(try rlhfError { try ComparisonDataset.load(from: path) }, session: session))
        }

        // MARK: Learners
        let b = Binder(interpreter: interpreter, session: session)
        b.learner("RewardModel", RewardModelConfig.self, leading: [("model", "the language model whose trunk the reward model starts from")],
                  doc: "a scalar head on a copy of the language model's trunk, trained on comparisons (Bradley–Terry for pairs, softmax for k-way)",
                  config: { ($0.host as? RewardModelObject)?.model.config }) { c, a, _ in
            RewardModelObject(try rlhfError { try RewardModel(languageModel(a[0], "RewardModel"), config: c) })
        }
        b.learner("LanguagePPO", LanguagePPOConfig.self,
                  leading: [("policy", "the language model fine-tuned (in place)"), ("reference", "the frozen reference π_ref (lm.copy())"),
                            ("reward", "a RewardModel, or a function fn(texts) -> list of scores"), ("prompt", "the prompt every sample continues"),
                            ("gold", "a Labeller whose gold reward is measured each iteration (or nil)")],
                  doc: "PPO with a per-token KL penalty to a frozen reference (Ziegler et al. 2019), fixed or adaptive β",
                  config: { ($0.host as? LanguagePPOObject)?.ppo.config }) { c, a, it in
            let policy = try languageModel(a[0], "LanguagePPO: policy"), reference = try languageModel(a[1], "LanguagePPO: reference")
            let reward: ([String]) throws -> [Float]
            switch a[2] {
            case .host(let rm as RewardModelObject): reward = { try rm.model.score($0) }
            case .function, .native, .boundMethod:
                let f = a[2]
                reward = { texts in try doubleList(it.call(f, [.array(texts.map { .str($0) })]), "LanguagePPO: reward(texts)").map(Float.init) }
            default: throw HostError("LanguagePPO: reward must be a RewardModel or a function of a list of texts, got \(a[2].typeName)")
            }
            let prompt = a[3].isNil ? "" : try a[3].toStringValue("LanguagePPO: prompt")
            var gold: ((String) -> Double)?
            if case .host(let l as LabellerObject) = a[4] { gold = l.labeller.gold }
            return LanguagePPOObject(try rlhfError { try LanguagePPO(policy: policy, reference: reference, prompt: prompt, config: c, reward: reward, gold: gold) }, session: session)
        }
        b.learner("DPO", DPOConfig.self,
                  leading: [("policy", "the language model fine-tuned (in place)"), ("reference", "the frozen reference π_ref (lm.copy())"),
                            ("data", "the comparisons")],
                  doc: "direct preference optimisation (Rafailov et al. 2023) with β and a frozen reference",
                  config: { ($0.host as? DPOObject)?.dpo.config }) { c, a, _ in
            DPOObject(try rlhfError {
                try DPO(policy: languageModel(a[0], "DPO: policy"), reference: languageModel(a[1], "DPO: reference"), data: comparisons(a[2], "DPO"), config: c)
            })
        }
        def("best_of_n", ["model", "reward_model", NativeParameter("n", default: .int(4)), NativeParameter("count", default: .int(64)),
                          NativeParameter("max_new_tokens", default: .int(24)), NativeParameter("prompt", default: .string("")),
                          NativeParameter("temperature", default: .float(1))],
            doc: "best_of_n(lm, rm, n: 4, count: 64, max_new_tokens: 24): count texts, each the best-scored of n samples.") { a, _ in
            let lm = try languageModel(a[0], "best_of_n")
            guard case .host(let rm as RewardModelObject) = a[1] else { throw HostError("best_of_n needs a RewardModel, got \(a[1].typeName)") }
            return .array(try rlhfError {
                try BestOfN.sample(lm, prompt: a[5].toStringValue("best_of_n: prompt"), n: a[2].toInt("best_of_n: n"), count: a[3].toInt("best_of_n: count"),
                                   maxNewTokens: a[4].toInt("best_of_n: max_new_tokens"), temperature: a[6].toFloat("best_of_n: temperature"),
                                   reward: { try rm.model.score($0) }, rng: &session.rng)
            }.map { .str($0) })
        }

        def("evaluate_policy", ["policy", "reference", NativeParameter("count", default: .int(128)), NativeParameter("max_new_tokens", default: .int(24)),
                                NativeParameter("prompt", default: .string("")), NativeParameter("seed", default: .int(0))],
            doc: "evaluate_policy(policy, reference, count: 128, max_new_tokens: 24): a record (samples, kl) — the policy's samples and their mean KL to the reference (k3 per token, summed).") { a, _ in
            let r = try rlhfError {
                try PolicyEvaluation.evaluate(languageModel(a[0], "evaluate_policy: policy"), reference: languageModel(a[1], "evaluate_policy: reference"),
                                              prompt: a[4].toStringValue("evaluate_policy: prompt"), count: a[2].toInt("evaluate_policy: count"),
                                              maxNewTokens: a[3].toInt("evaluate_policy: max_new_tokens"), seed: UInt64(truncatingIfNeeded: try a[5].toInt("evaluate_policy: seed")))
            }
            return .makeRecord([("samples", .array(r.samples.map { .str($0) })), ("kl", .float(r.kl))])
        }

        // MARK: The exact picture
        def("exact_tilt", ["reference", "reward", "beta"],
            doc: "exact_tilt(π₀, r, β): the KL-regularised optimum π ∝ π₀ exp(r / β) over a discrete set of responses.") { a, _ in
            floats(try rlhfError { try ExactPreferenceOptimum.tilted(reference: doubleList(a[0], "exact_tilt: reference"), reward: doubleList(a[1], "exact_tilt: reward"), beta: a[2].toDouble("exact_tilt: beta")) })
        }
        def("exact_best_of_n", ["reference", "reward", "n"],
            doc: "exact_best_of_n(π₀, r, n): the exact distribution of the best of n draws from π₀ under r.") { a, _ in
            floats(try rlhfError { try ExactPreferenceOptimum.bestOfN(reference: doubleList(a[0], "exact_best_of_n: reference"), reward: doubleList(a[1], "exact_best_of_n: reward"), n: a[2].toInt("exact_best_of_n: n")) })
        }
        def("exact_dpo", ["reference", "reward", "beta"],
            doc: "exact_dpo(π₀, r, β): the minimiser of DPO's expected loss on Bradley–Terry(r) preferences between pairs from π₀ (Newton's method).") { a, _ in
            floats(try rlhfError { try ExactPreferenceOptimum.dpoOptimum(reference: doubleList(a[0], "exact_dpo: reference"), reward: doubleList(a[1], "exact_dpo: reward"), beta: a[2].toDouble("exact_dpo: beta")).policy })
        }
        def("kl_divergence", ["p", "q"], doc: "kl_divergence(p, q): KL(p ‖ q) in nats for two discrete distributions.") { a, _ in
            let p = try doubleList(a[0], "kl_divergence: p"), q = try doubleList(a[1], "kl_divergence: q")
            guard p.count == q.count else { throw HostError("kl_divergence: p has \(p.count) entries and q \(q.count)") }
            return .float(ExactPreferenceOptimum.kl(p, q))
        }
    }
}
