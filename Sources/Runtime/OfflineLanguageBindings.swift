import Algorithms
import Environments
import Foundation
import Language
import NeuralNets
import TensorCore

// Offline RL for language in scripts: logged dialogues (`negotiation_dialogues`,
// `twenty_questions_dialogues`, `load_dialogues`, `data.filter_top`, `data.save`),
// behaviour cloning of them (`fine_tune`), `ILQL` and the CHAI-style reranker (`CHAI`),
// declared by their configs' field tables, and `negotiate(speaker, episodes:)` and
// `play_twenty_questions(speaker, episodes:)`, which play any of them (or a language
// model, or a script function) against the seller or the user.

/// A `DialogueDataset` in the language.
final class DialogueDataObject: HostObject {
    let data: DialogueDataset
    let session: Session
    init(_ data: DialogueDataset, session: Session) {
        self.data = data
        self.session = session
    }

    override var typeName: String { "Dialogues" }
    override var description: String {
        "Dialogues(\(data.environment): \(data.count) dialogues, success rate \(String(format: "%.3f", data.successRate)), mean return \(String(format: "%.3f", meanReturn)); for \(data.tokenizer))"
    }
    var meanReturn: Double { data.count == 0 ? 0 : data.returns.reduce(0) { $0 + Double($1) } / Double(data.count) }
    override var length: Int? { data.count }
    override var memberNames: [String] {
        ["count", "returns", "mean_return", "success_rate", "successes", "texts", "policies", "environment", "tokenizer", "filter_top", "save", "perplexity"]
    }

    private let lists = CachedLists()

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        let d = data
        switch name {
        case "count": return .int(d.count)
        case "returns": return lists.list(name) { d.returns.map { .float(Double($0)) } }
        case "mean_return": return .float(meanReturn)
        case "success_rate": return .float(d.successRate)
        case "successes": return lists.list(name) { d.dialogues.map { .bool($0.success) } }
        case "texts": return lists.list(name) { d.dialogues.map { .str($0.text) } }
        case "policies": return lists.list(name) { d.dialogues.map { .str($0.policy) } }
        case "environment": return .str(d.environment)
        case "tokenizer": return .str(d.tokenizer)
        case "filter_top":
            return method("filter_top", ["fraction"], doc: "data.filter_top(0.1): the 10% of dialogues with the highest returns (the data of %BC).") { [self] a, _ in
                .host(DialogueDataObject(try d.filterTop(a[0].toDouble("filter_top: fraction")), session: session))
            }
        case "save":
            return method("save", ["path"], doc: "data.save(\"dialogues.safetensors\"): writes the dialogues under the output folder.") { [self] a, _ in
                let path = try session.writablePath(a[0].toStringValue("save: path"))
                try d.save(to: path)
                return .str(path)
            }
        case "perplexity":
            return method("perplexity", ["model"], doc: "data.perplexity(lm): exp of the mean negative log-likelihood of the agent's tokens under lm.") { a, _ in
                guard case .host(let m as LanguageModelObject) = a[0] else { throw HostError("perplexity needs a LanguageModel, got \(a[0].typeName)") }
                return .float(try utterancePerplexity(m.model, of: d))
            }
        default: return nil
        }
    }
}

/// An ILQL learner in the language.
final class ILQLObject: HostObject {
    let ilql: ILQL
    let session: Session
    init(_ ilql: ILQL, session: Session) {
        self.ilql = ilql
        self.session = session
    }
    override var typeName: String { "ILQL" }
    override var description: String { "ILQL(τ \(ilql.config.expectile), β \(ilql.config.beta), \(ilql.network.parameterCount) parameters, \(ilql.updateCount) updates)" }
    override var memberNames: [String] { ["model", "updates", "decoding_terms", "utterance_values", "speak", "dataset"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "model": return .host(LanguageModelObject(ilql.model, session: session))
        case "updates": return .int(ilql.updateCount)
        case "dataset": return .host(DialogueDataObject(ilql.dataset, session: session))
        case "decoding_terms":
            return method("decoding_terms", ["prompt"], doc: "ilql.decoding_terms(prompt): the record (logits, q, v) of the next token: π's logits and min Q̂ (lists over the vocabulary), and V.") { [self] a, _ in
                let t = try ilql.decodingTerms(after: a[0].toStringValue("decoding_terms: prompt"))
                return .makeRecord([("logits", floats(t.logits)), ("q", floats(t.q)), ("v", .float(Double(t.v)))])
            }
        case "utterance_values":
            return method("utterance_values", ["prompt", "candidates"], doc: "ilql.utterance_values(prompt, candidates): Q of each whole candidate utterance after the prompt.") { [self] a, _ in
                let prompt = try a[0].toStringValue("utterance_values: prompt")
                let candidates = try stringList(a[1], "utterance_values: candidates")
                return floats(try ilql.utteranceValues(prompts: candidates.map { _ in prompt }, candidates: candidates))
            }
        case "speak":
            return method("speak", ["prompts", NativeParameter("beta", default: .nil), NativeParameter("temperature", default: .float(1))],
                               doc: "ilql.speak(prompts, beta: nil, temperature: 1): one utterance per prompt, decoded from logits + β (Q − V).") { [self] a, _ in
                let beta: Float? = a[1].isNil ? nil : try a[1].toFloat("speak: beta")
                let said = try ilql.utterances(after: stringList(a[0], "speak: prompts"), beta: beta, temperature: a[2].toFloat("speak: temperature"), rng: &session.rng)
                return .array(said.map { .str($0) })
            }
        default: return nil
        }
    }
}

/// A CHAI-style reranker in the language.
final class CHAIObject: HostObject {
    let chai: CHAIReranker
    let session: Session
    init(_ chai: CHAIReranker, session: Session) {
        self.chai = chai
        self.session = session
    }
    override var typeName: String { "CHAI" }
    override var description: String { "CHAI(N = \(chai.config.candidates), temperature \(chai.config.temperature))" }
    override var memberNames: [String] { ["candidates", "n"] }
    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "n": return .int(chai.config.candidates)
        case "candidates":
            return method("candidates", ["prompt"], doc: "chai.candidates(prompt): the record (utterances, q) of N sampled candidates and their Q-values.") { [self] a, _ in
                let c = try chai.candidates(after: [a[0].toStringValue("candidates: prompt")], rng: &session.rng)[0]
                return .makeRecord([("utterances", .array(c.utterances.map { .str($0) })), ("q", floats(c.q))])
            }
        default: return nil
        }
    }
}

/// The result of `fine_tune`.
final class FineTuneReport: HostObject {
    let losses: [Float]
    let config: DialogueFineTuningConfig
    init(_ losses: [Float], config: DialogueFineTuningConfig) {
        self.losses = losses
        self.config = config
    }
    override var typeName: String { "FineTuning" }
    override var description: String { "FineTuning(\(losses.count) steps, last loss \(losses.last.map { String(format: "%.3f", $0) } ?? "-"))" }
    override var memberNames: [String] { ["losses"] }
    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        name == "losses" ? floats(losses) : nil
    }
}

/// A method whose body reads its arguments by position (`a[i]`), defaults filled in.
private func method(_ name: String, _ parameters: [NativeParameter], doc: String, _ body: @escaping (Arguments, Interpreter) throws -> Value) -> Value {
    .native(NativeFunction(name, parameters: parameters, doc: doc) { args, it in try body(args, it) })
}

private func floats(_ x: [Float]) -> Value { .array(x.map { .float(Double($0)) }) }

extension Runtime {
    static func installOfflineLanguageBindings(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        func dialogues(_ v: Value, _ who: String) throws -> DialogueDataset {
            guard case .host(let d as DialogueDataObject) = v else {
                throw HostError("\(who) needs dialogues (from negotiation_dialogues, twenty_questions_dialogues or load_dialogues), got \(v.typeName)")
            }
            return d.data
        }
        func languageModel(_ v: Value, _ who: String) throws -> LanguageModel {
            guard case .host(let m as LanguageModelObject) = v else { throw HostError("\(who) needs a LanguageModel, got \(v.typeName)") }
            return m.model
        }
        func tokenizerName(_ v: Value, _ who: String) throws -> String {
            switch v {
            case .host(let t as TokenizerObject): return t.tokenizer.name
            case .host(let m as LanguageModelObject): return m.model.tokenizer.name
            default: throw HostError("\(who) needs a Tokenizer or a LanguageModel, got \(v.typeName)")
            }
        }

        def("negotiation_dialogues", ["tokenizer", NativeParameter("episodes", default: .int(1000)), NativeParameter("seed", default: .int(0)),
                                      NativeParameter("rounds", default: .int(3)), NativeParameter("policies", default: .nil)],
            doc: "negotiation_dialogues(tokenizer, episodes: 1000, seed: 0, rounds: 3, policies: [\"overpayer\", \"lowballer\", \"prober\", \"guesser\"]): logged negotiations in text, from scripted buyers in turn, recorded for the tokenizer.") { a, _ in
            let task = try NegotiationDialogue(rounds: a[3].toInt("negotiation_dialogues: rounds"))
            let policies: [NegotiationDialogue.DataPolicy] = try namedCases(a[4], "negotiation_dialogues", parameter: "policies", unknown: "no data policy", known: "the policies")
            let data = try task.collect(episodes: a[1].toInt("negotiation_dialogues: episodes"), policies: policies,
                                        seed: UInt64(truncatingIfNeeded: try a[2].toInt("negotiation_dialogues: seed")),
                                        tokenizer: tokenizerName(a[0], "negotiation_dialogues"))
            return .host(DialogueDataObject(data, session: session))
        }
        def("load_dialogues", ["path", NativeParameter("environment", default: .nil), NativeParameter("tokenizer", default: .nil)],
            doc: "load_dialogues(\"d.safetensors\", environment: nil, tokenizer: nil): dialogues saved by data.save; with environment (a name) or tokenizer (a Tokenizer or LanguageModel), the file must have been written for them.") { a, _ in
            let path = try session.readablePath(a[0].toStringValue("load_dialogues: path"))
            let env: String? = a[1].isNil ? nil : try a[1].toStringValue("load_dialogues: environment")
            let tok: String? = a[2].isNil ? nil : try tokenizerName(a[2], "load_dialogues: tokenizer")
            return .host(DialogueDataObject(try DialogueDataset.load(from: path, environment: env, tokenizer: tok), session: session))
        }

        let b = Binder(interpreter: interpreter, session: session)
        b.learner("fine_tune", DialogueFineTuningConfig.self, leading: [("model", "the LanguageModel, trained in place"), ("data", "the dialogues whose agent turns are cloned")],
                  doc: "behaviour cloning of the agent's utterances (on data.filter_top(f): %BC); returns the losses",
                  config: { ($0.host as? FineTuneReport)?.config }) { c, a, it in
            let model = try languageModel(a[0], "fine_tune")
            return FineTuneReport(try fineTune(model, on: dialogues(a[1], "fine_tune"), config: c, shouldStop: { it.interrupt.take() }), config: c)
        }
        b.learner("ILQL", ILQLConfig.self, leading: [("model", "the LanguageModel (copied, then fine-tuned)"), ("data", "the logged dialogues")],
                  doc: "implicit language Q-learning (Snell et al. 2022): token-level Q and V heads, decoding with logits + β (Q − V)",
                  config: { ($0.host as? ILQLObject)?.ilql.config }) { c, a, _ in
            ILQLObject(try ILQL(model: languageModel(a[0], "ILQL"), data: dialogues(a[1], "ILQL"), config: c), session: session)
        }
        b.learner("CHAI", CHAIConfig.self, leading: [("model", "the LanguageModel that proposes candidates"), ("critic", "the ILQL learner whose Q ranks them")],
                  doc: "CHAI-style reranking (Verma et al. 2022): N candidates sampled from the model, the highest-Q one said",
                  config: { ($0.host as? CHAIObject)?.chai.config }) { c, a, _ in
            guard case .host(let critic as ILQLObject) = a[1] else { throw HostError("CHAI needs an ILQL learner as its critic, got \(a[1].typeName)") }
            return CHAIObject(try CHAIReranker(proposal: languageModel(a[0], "CHAI"), critic: critic.ilql, config: c), session: session)
        }

        /// `task` played by the speaker of a call `who` (arguments: speaker, episodes, seed, …,
        /// temperature at `t`, beta at `t + 1`).
        func playText<T: TextDialogue>(_ task: T, _ who: String, _ a: Arguments, temperature t: Int, interpreter it: Interpreter) throws -> Value {
            let episodes = try a[1].toInt("\(who): episodes"), seed = UInt64(truncatingIfNeeded: try a[2].toInt("\(who): seed"))
            let temperature = try a[t].toFloat("\(who): temperature")
            guard temperature >= 0 else { throw HostError("\(who): temperature must be >= 0, got \(temperature)") }
            let beta: Float? = a[t + 1].isNil ? nil : try a[t + 1].toFloat("\(who): beta")
            let speaker = a[0]
            let name: String, tokenizer: String
            switch speaker {
            case .host(let m as LanguageModelObject): (name, tokenizer) = ("LanguageModel", m.model.tokenizer.name)
            case .host(let l as ILQLObject): (name, tokenizer) = ("ILQL", l.ilql.model.tokenizer.name)
            case .host(let c as CHAIObject): (name, tokenizer) = ("CHAI(N = \(c.chai.config.candidates))", c.chai.proposal.tokenizer.name)
            case .function, .native, .boundMethod: (name, tokenizer) = ("script", "text")
            default: throw HostError("\(who): the speaker must be a LanguageModel, ILQL, CHAI or fn(texts) -> utterances, got \(speaker.typeName)")
            }
            if beta != nil, !(speaker.host is ILQLObject) { throw HostError("\(who): beta is for an ILQL speaker") }
            // A value learned on another task's logs means nothing here.
            if let critic = (speaker.host as? ILQLObject)?.ilql ?? (speaker.host as? CHAIObject)?.chai.critic {
                try critic.dataset.checkCompatible(environment: task.environmentName, tokenizer: critic.model.tokenizer.name, component: who)
            }
            let data = try task.play(episodes: episodes, seed: seed, policy: name, tokenizer: tokenizer) { (texts: [String]) in
                switch speaker {
                case .host(let m as LanguageModelObject):
                    return try sampleUtterances(of: m.model, after: texts, temperature: temperature, rng: &session.rng)
                case .host(let l as ILQLObject):
                    return try l.ilql.utterances(after: texts, beta: beta, temperature: temperature, rng: &session.rng)
                case .host(let c as CHAIObject):
                    return try c.chai.utterances(after: texts, rng: &session.rng)
                default:
                    return try stringList(try it.call(speaker, [.array(texts.map { .str($0) })]), "\(who): the speaker's utterances")
                }
            }
            return .host(DialogueDataObject(data, session: session))
        }

        def("negotiate", ["speaker", NativeParameter("episodes", default: .int(200)), NativeParameter("seed", default: .int(100_000)),
                          NativeParameter("rounds", default: .int(3)), NativeParameter("temperature", default: .float(1)),
                          NativeParameter("beta", default: .nil)],
            doc: "negotiate(speaker, episodes: 200, seed: 100000, temperature: 1, beta: nil): the speaker (a LanguageModel, ILQL, CHAI, or fn(texts) -> utterances) plays the buyer; returns the dialogues.") { a, it in
            try playText(NegotiationDialogue(rounds: a[3].toInt("negotiate: rounds")), "negotiate", a, temperature: 4, interpreter: it)
        }
        def("twenty_questions_dialogues", ["tokenizer", NativeParameter("episodes", default: .int(1000)), NativeParameter("seed", default: .int(0)),
                                           NativeParameter("items", default: .int(8)), NativeParameter("turns", default: .int(4)),
                                           NativeParameter("policies", default: .nil)],
            doc: "twenty_questions_dialogues(tokenizer, episodes: 1000, seed: 0, items: 8, turns: 4, policies: [\"guesser\", \"asker\", \"reader\"]): logged games of twenty questions in text, from scripted askers in turn, recorded for the tokenizer.") { a, _ in
            let task = try TwentyQuestionsDialogue(items: a[3].toInt("twenty_questions_dialogues: items"), turns: a[4].toInt("twenty_questions_dialogues: turns"))
            let policies: [TwentyQuestionsDialogue.DataPolicy] = try namedCases(a[5], "twenty_questions_dialogues", parameter: "policies", unknown: "no data policy", known: "the policies")
            let data = try task.collect(episodes: a[1].toInt("twenty_questions_dialogues: episodes"), policies: policies,
                                        seed: UInt64(truncatingIfNeeded: try a[2].toInt("twenty_questions_dialogues: seed")),
                                        tokenizer: tokenizerName(a[0], "twenty_questions_dialogues"))
            return .host(DialogueDataObject(data, session: session))
        }
        def("play_twenty_questions", ["speaker", NativeParameter("episodes", default: .int(200)), NativeParameter("seed", default: .int(100_000)),
                                      NativeParameter("items", default: .int(8)), NativeParameter("turns", default: .int(4)),
                                      NativeParameter("temperature", default: .float(1)), NativeParameter("beta", default: .nil)],
            doc: "play_twenty_questions(speaker, episodes: 200, seed: 100000, items: 8, turns: 4, temperature: 1, beta: nil): the speaker (a LanguageModel, ILQL, CHAI, or fn(texts) -> utterances) asks and guesses; returns the dialogues.") { a, it in
            let task = try TwentyQuestionsDialogue(items: a[3].toInt("play_twenty_questions: items"), turns: a[4].toInt("play_twenty_questions: turns"))
            return try playText(task, "play_twenty_questions", a, temperature: 5, interpreter: it)
        }

        // train(ilql, updates: n): ILQL through the offline driver; every other call goes to
        // the `train` defined before.
        guard let previous = g["train"] else { return }
        def("train", ["agent", NativeParameter("on", default: .nil), NativeParameter("steps", default: .nil),
                      NativeParameter("updates", default: .nil), NativeParameter("seed", default: .int(0)),
                      NativeParameter("max_episodes", default: .nil), NativeParameter("stop_at_success", default: .nil),
                      NativeParameter("progress", default: .bool(true)), NativeParameter("eval_every", default: .nil),
                      NativeParameter("eval_episodes", default: .int(10))],
            doc: "train(agent, on: env, steps: n) trains an online agent; train(learner, updates: n) an offline one (BC, DecisionTransformer, IQL, ILQL) on its dataset. Returns a run; Ctrl-C stops it and keeps the model.") { a, it in
            guard case .host(let object as ILQLObject) = a[0] else { return try it.call(previous, (0..<10).map { a[$0] }) }
            guard !a[3].isNil else { throw HostError("train needs updates: n for ILQL (it learns from its dialogues)", help: ["e.g. train(ilql, updates: 300)"]) }
            guard a[1].isNil, a[2].isNil, a[5].isNil, a[6].isNil, a[8].isNil else {
                throw HostError("train: ILQL trains for updates: n on its dialogues; on, steps, max_episodes, stop_at_success and eval_every do not apply")
            }
            let updates = try a[3].toInt("train: updates")
            var options = TrainingOptions()
            options.seed = UInt64(truncatingIfNeeded: try a[4].toInt("train: seed"))
            options.shouldStop = { it.interrupt.take() }
            let progress = try a[7].toBool("train: progress") && session.progress.enabled ? TrainingProgress(session: session, total: updates, showSuccess: false) : nil
            if let progress { options.callbacks.append(progress.callback) }
            let run = try train(object.ilql, updates: updates, options: options)
            progress?.finish(run, note: run.stopReason == .interrupted ? "interrupted" : nil)
            if run.stopReason == .interrupted {
                throw HostError("interrupted", help: ["training stopped after \(run.steps) updates; the model keeps the weights it had"])
            }
            return .host(RunObject(run))
        }
    }
}
