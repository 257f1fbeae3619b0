import Algorithms
import Environments
import Foundation
import Language
import NeuralNets
import TensorCore

// Text for scripts: tokenizers, the lessons' corpus, the language model (pretraining,
// sampling with a KV cache, per-token log-probabilities, checkpoints), and the helpers of
// the text environments (admissible commands, free-text steps, the twenty-questions table).
//
// The configurable calls read their keyword arguments from one table each
// (`LanguageBindingTables`), so that a declarative binding layer can take them over as they are.

/// The keyword arguments of the language bindings, with their defaults.
enum LanguageBindingTables {
    static let tokenizer: [NativeParameter] = [
        NativeParameter("kind", default: .string("character")), NativeParameter("corpus", default: .nil),
        NativeParameter("merges", default: .int(200)), NativeParameter("unknown", default: .string("error")),
    ]
    static let languageModel: [NativeParameter] = [
        "tokenizer", NativeParameter("context_length", default: .int(64)), NativeParameter("d_model", default: .int(128)),
        NativeParameter("heads", default: .int(4)), NativeParameter("layers", default: .int(2)), NativeParameter("seed", default: .int(0)),
    ]
    static let pretrain: [(name: String, default: NativeParameter.DefaultValue)] = [
        ("validation", .nil), ("steps", .int(300)), ("batch", .int(32)), ("lr", .float(3e-3)), ("warmup", .int(20)), ("seed", .int(0)),
    ]
    static let generate: [(name: String, default: NativeParameter.DefaultValue)] = [
        ("max_new_tokens", .int(32)), ("temperature", .float(1)), ("top_k", .nil), ("top_p", .float(1)),
    ]
}

/// A tokenizer as scripts see it.
final class TokenizerObject: HostObject {
    let tokenizer: any Tokenizer
    init(_ tokenizer: any Tokenizer) { self.tokenizer = tokenizer }

    override var typeName: String { "Tokenizer" }
    override var description: String { tokenizer.name }
    override var memberNames: [String] { ["encode", "decode", "vocab_size", "tokens"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "vocab_size": return .int(tokenizer.vocabularySize)
        case "tokens": return .array(tokenizer.tokens.map { .str($0) })
        case "encode", "decode":
            return .native(NativeFunction(name, variadic: true, doc: "Tokenizer.\(name)") { [self] args, it in
                try self.callMethod(name, args, interpreter: it) ?? .nil
            })
        default: return nil
        }
    }

    override func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        guard let x = args.positional.first else { throw HostError("\(name) needs an argument") }
        switch name {
        case "encode": return .array(try textError { try tokenizer.encode(x.toStringValue("encode: text")) }.map { .int($0) })
        case "decode": return .str(try textError { try tokenizer.decode(intList(x, "decode: ids")) })
        default: return nil
        }
    }
}

/// A language model as scripts see it.
final class LanguageModelObject: HostObject {
    let model: LanguageModel
    let session: Session
    init(_ model: LanguageModel, session: Session) {
        self.model = model
        self.session = session
    }

    override var typeName: String { "LanguageModel" }
    override var description: String {
        let c = model.config
        return "LanguageModel(GPT: \(c.layers) layers, d_model \(c.dModel), \(c.heads) heads, context \(c.contextLength); \(model.tokenizer.name); \(model.gpt.parameterCount) parameters)"
    }
    override var memberNames: [String] {
        ["pretrain", "generate", "log_probs", "perplexity", "copy", "save", "tokenizer", "gpt", "context_length", "vocab_size"]
    }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "tokenizer": return .host(TokenizerObject(model.tokenizer))
        case "gpt": return .host(ModuleObject(model.gpt))
        case "context_length": return .int(model.config.contextLength)
        case "vocab_size": return .int(model.config.vocabSize)
        default:
            guard memberNames.contains(name) else { return nil }
            return .native(NativeFunction(name, variadic: true, doc: "LanguageModel.\(name)") { [self] args, it in
                try self.callMethod(name, args, interpreter: it) ?? .nil
            })
        }
    }

    override func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        func named(_ table: [(name: String, default: NativeParameter.DefaultValue)]) throws -> [String: Value] {
            let known = Set(table.map(\.name))
            if let bad = args.named.first(where: { !known.contains($0.name) }) {
                throw HostError("\(name) has no argument \(bad.name)", help: ["its arguments: " + table.map(\.name).joined(separator: ", ")])
            }
            var out: [String: Value] = [:]
            for (k, d) in table { out[k] = args.named(k) ?? scriptValue(d) }
            return out
        }
        switch name {
        case "pretrain":
            guard let corpus = args.positional.first else { throw HostError("pretrain needs a list of documents (strings)") }
            let a = try named(LanguageBindingTables.pretrain)
            var o = LanguageModel.PretrainingOptions()
            o.steps = try a["steps"]!.toInt("pretrain: steps")
            o.batch = try a["batch"]!.toInt("pretrain: batch")
            o.learningRate = try a["lr"]!.toFloat("pretrain: lr")
            o.warmup = try a["warmup"]!.toInt("pretrain: warmup")
            o.seed = UInt64(truncatingIfNeeded: try a["seed"]!.toInt("pretrain: seed"))
            let docs = try stringList(corpus, "pretrain: documents")
            let validation = a["validation"]!.isNil ? Array(docs.suffix(max(docs.count / 10, 1))) : try stringList(a["validation"]!, "pretrain: validation")
            let r = try textError { try model.pretrain(documents: docs, validation: validation, options: o) }
            return .makeRecord([("losses", .array(r.losses.map { .float(Double($0)) })), ("perplexity", .float(r.validationPerplexity)),
                                ("seconds", .float(r.seconds)), ("tokens_per_step", .int(r.tokensPerStep))])
        case "generate":
            guard let p = args.positional.first else { throw HostError("generate needs a prompt or a list of prompts") }
            let a = try named(LanguageBindingTables.generate)
            let single: Bool
            let prompts: [String]
            if case .list = p { single = false; prompts = try stringList(p, "generate: prompts") } else { single = true; prompts = [try p.toStringValue("generate: prompt")] }
            let s = SamplingOptions(temperature: try a["temperature"]!.toFloat("generate: temperature"),
                                    topK: a["top_k"]!.isNil ? nil : try a["top_k"]!.toInt("generate: top_k"),
                                    topP: try a["top_p"]!.toFloat("generate: top_p"))
            let samples = try textError { try model.generate(prompts, maxNewTokens: a["max_new_tokens"]!.toInt("generate: max_new_tokens"), sampling: s, rng: &session.rng) }
            let values = samples.map { x -> Value in
                .makeRecord([("prompt", .str(x.prompt)), ("text", .str(x.text)), ("tokens", .array(x.tokens.map { .int($0) })),
                             ("log_probs", .array(x.logProbabilities.map { .float(Double($0)) })), ("log_prob", .float(Double(x.logProbability)))])
            }
            return single ? values[0] : .array(values)
        case "log_probs":
            guard let text = args.positional.first else { throw HostError("log_probs needs the text to score") }
            let after = try (args.named("after") ?? .str("")).toStringValue("log_probs: after")
            let lp = try textError { try model.logProbabilities(of: text.toStringValue("log_probs: text"), after: after) }
            return .array(lp.map { .makeRecord([("token", .str($0.token)), ("log_prob", .float(Double($0.logProbability)))]) })
        case "perplexity":
            guard let docs = args.positional.first else { throw HostError("perplexity needs a list of documents") }
            return .float(try textError { try model.perplexity(stringList(docs, "perplexity: documents")) })
        case "copy": return .host(LanguageModelObject(try model.copy(), session: session))
        case "save":
            guard let p = args.positional.first else { throw HostError("save needs a path") }
            let path = try session.writablePath(p.toStringValue("save: path"))
            try model.save(to: path)
            return .str(path)
        default: return nil
        }
    }
}

/// Runs `body`, turning tokenizer, language-model and layer errors into script errors with
/// their messages.
func textError<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as TokenizerError { throw HostError(e.description) } catch let e as LanguageModelError {
        throw HostError(e.description)
    } catch let e as LayerError { throw HostError("\(e)") }
}

/// The cases named by the list of strings `v`, the argument `parameter` of `who` (all of
/// them when `v` is nil); an unknown name is an error "<who>: <unknown> \"name\"" that
/// lists the names under `known`.
func namedCases<T: CaseIterable & RawRepresentable>(_ v: Value, _ who: String, parameter: String, unknown: String, known: String) throws -> [T]
where T.RawValue == String {
    if v.isNil { return Array(T.allCases) }
    return try stringList(v, "\(who): \(parameter)").map { name in
        guard let x = T(rawValue: name) else {
            throw HostError("\(who): \(unknown) \"\(name)\"", help: ["\(known): " + T.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        return x
    }
}

func stringList(_ v: Value, _ what: String) throws -> [String] {
    guard case .list(let l) = v else { throw HostError("\(what) must be a list of strings, got \(v.typeName)") }
    return try l.items.enumerated().map { try $1.toStringValue("\(what), item \($0)") }
}

func intList(_ v: Value, _ what: String) throws -> [Int] {
    guard case .list(let l) = v else { throw HostError("\(what) must be a list of integers, got \(v.typeName)") }
    return try l.items.enumerated().map { try $1.toInt("\(what), item \($0)") }
}

extension Runtime {
    static func installLanguageModels(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        def("Tokenizer", LanguageBindingTables.tokenizer,
            doc: "Tokenizer(kind: \"character\" | \"bpe\", corpus: documents, merges: 200, unknown: \"error\" | \"replace\"): text ↔ token ids over the lessons' alphabet; BPE is trained on corpus.") { a, _ in
            let kind = try a[0].toStringValue("Tokenizer: kind")
            guard let unknown = UnknownCharacterPolicy(rawValue: try a[3].toStringValue("Tokenizer: unknown")) else {
                throw HostError("Tokenizer: unknown must be \"error\" or \"replace\"")
            }
            switch kind {
            case "character":
                return .host(TokenizerObject(try textError { try CharacterTokenizer(alphabet: CharacterTokenizer.lessonAlphabet, unknown: unknown) }))
            case "bpe":
                guard !a[1].isNil else { throw HostError("Tokenizer(kind: \"bpe\") needs a corpus: a list of documents to learn merges from") }
                let corpus = try stringList(a[1], "Tokenizer: corpus").joined()
                return .host(TokenizerObject(try textError { try BPETokenizer(training: corpus, merges: a[2].toInt("Tokenizer: merges"), unknown: unknown) }))
            default:
                throw HostError("Tokenizer: kind must be \"character\" or \"bpe\", got \"\(kind)\"")
            }
        }
        def("lesson_corpus", ["count", NativeParameter("seed", default: .int(0)), NativeParameter("kinds", default: .nil)],
            doc: "lesson_corpus(2000, seed: 0, kinds: [\"twenty_questions\", \"negotiation\", \"adventure\", \"description\"]): documents generated by the lessons' grammar.") { a, _ in
            let kinds: [LessonCorpus.Kind] = try namedCases(a[2], "lesson_corpus", parameter: "kinds", unknown: "unknown kind", known: "kinds")
            return .array(LessonCorpus.documents(try a[0].toInt("lesson_corpus: count"), kinds: kinds,
                                                 seed: UInt64(truncatingIfNeeded: try a[1].toInt("lesson_corpus: seed"))).map { .str($0) })
        }
        def("LanguageModel", LanguageBindingTables.languageModel,
            doc: "LanguageModel(tokenizer, context_length: 64, d_model: 128, heads: 4, layers: 2, seed: 0): a GPT over the tokenizer's vocabulary, with pretrain, generate, log_probs, perplexity, copy, save.") { a, _ in
            guard case .host(let t as TokenizerObject) = a[0] else { throw HostError("LanguageModel needs a Tokenizer, got \(a[0].typeName)") }
            let m = try textError {
                try LanguageModel(tokenizer: t.tokenizer, contextLength: a[1].toInt("LanguageModel: context_length"), dModel: a[2].toInt("LanguageModel: d_model"),
                                  heads: a[3].toInt("LanguageModel: heads"), layers: a[4].toInt("LanguageModel: layers"),
                                  seed: UInt64(truncatingIfNeeded: try a[5].toInt("LanguageModel: seed")))
            }
            return .host(LanguageModelObject(m, session: session))
        }
        def("load_language_model", ["path"], doc: "load_language_model(\"lm.safetensors\"): a model written by lm.save.") { a, _ in
            let p = try a[0].toStringValue("load_language_model: path")
            let candidate = session.outputDirectory.appendingPathComponent(p).path
            let path = !p.hasPrefix("/") && FileManager.default.fileExists(atPath: candidate) ? candidate : try session.readablePath(p)
            return .host(LanguageModelObject(try textError { try LanguageModel.load(from: path) }, session: session))
        }

        // MARK: Text environments
        func base<T>(_ v: Value, _ type: T.Type, _ who: String) throws -> (EnvironmentObject, T) {
            guard case .host(let e as EnvironmentObject) = v, let b = e.env.base as? T else {
                throw HostError("\(who) needs a \(T.self) environment, got \(v.typeName)")
            }
            return (e, b)
        }
        def("admissible_commands", ["env"], doc: "admissible_commands(TextAdventure()): the commands the game would carry out now, as text.") { a, _ in
            let (_, game) = try base(a[0], TextAdventure.self, "admissible_commands")
            return .array(game.admissibleCommands.map { .str($0.description) })
        }
        def("command_index", ["command"], doc: "command_index(\"take key\"): the action of a canonical text-adventure command.") { a, _ in
            let text = try a[0].toStringValue("command_index: command")
            guard let i = TextAdventure.commands.firstIndex(where: { $0.description == text }) else {
                throw HostError("command_index: \"\(text)\" is not one of the canonical commands", help: [TextAdventure.commands.map(\.description).joined(separator: ", ")])
            }
            return .int(i)
        }
        def("play_text", ["env", "text"], doc: "play_text(env, \"pick up the key\"): one text-adventure step with free text, read by the game's parser.") { a, _ in
            let (obj, game) = try base(a[0], TextAdventure.self, "play_text")
            var g = game
            let t = try g.step(text: a[1].toStringValue("play_text: text"))
            obj.env = AnyEnvironment(g)
            return .makeRecord([("observation", obj.observationValue(t.observation)), ("reward", .float(t.reward)),
                                ("terminated", .bool(t.terminated)), ("truncated", .bool(t.truncated)), ("info", infoValue(t.info))])
        }
        def("parse_command", ["text"], doc: "parse_command(\"pick up the key\"): the text adventure parser's reading (\"take key\"), or its reply when it cannot read the text.") { a, _ in
            switch CommandParser.parse(try a[0].toStringValue("parse_command: text")) {
            case .command(let c): return .makeRecord([("ok", .bool(true)), ("command", .str(c.description))])
            case .failure(let reply): return .makeRecord([("ok", .bool(false)), ("reply", .str(reply))])
            }
        }
        def("twenty_questions_table", ["env"], doc: "twenty_questions_table(env): the items, the questions and the attribute matrix [items, questions] (1 yes, 0 no).") { a, _ in
            let (_, game) = try base(a[0], TwentyQuestions.self, "twenty_questions_table")
            let rows = (0..<game.items).map { i in TwentyQuestions.catalogue[i].attributes.map { $0 ? Float(1) : 0 } }
            return .makeRecord([("items", .array(game.itemNames.map { .str($0) })), ("questions", .array(TwentyQuestions.questions.map { .str($0) })),
                                ("attributes", .host(TensorObject(try Tensor(rows)))), ("noise", .float(game.noise))])
        }
    }
}

func scriptValue(_ d: NativeParameter.DefaultValue) -> Value {
    switch d {
    case .nil: return .nil
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(i)
    case .float(let x): return .float(x)
    case .string(let s): return .str(s)
    }
}
