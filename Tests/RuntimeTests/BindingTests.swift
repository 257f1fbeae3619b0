import Configuration
import Foundation
import Language
import Runtime
import Testing

/// An interpreter with the runtime installed, and its session.
func makeRuntime() -> (Interpreter, Session) {
    let interpreter = Interpreter()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-binding-tests")
    let session = Session(scriptDirectory: dir, outputDirectory: dir.appendingPathComponent("out"))
    Runtime.install(in: interpreter, session: session)
    return (interpreter, session)
}

/// The value of `expression`, or the first diagnostic's message as an error.
func evaluate(_ expression: String, in interpreter: Interpreter) throws -> Value {
    let name = "result_\(UInt32.random(in: 0...UInt32.max))"
    if let d = interpreter.run(source: "let \(name) = \(expression)", path: "t.mem").first { throw HostError(d.message) }
    return interpreter.globals[name] ?? .nil
}

/// A value the field accepts that differs from its default (nil when it cannot tell one).
func otherValue(_ f: FieldInfo) -> FieldValue? {
    func inBounds(_ x: Double) -> Bool { f.bounds?.contains(x) ?? true }
    switch f.kind {
    case .bool:
        guard case .bool(let b) = f.defaultValue else { return .bool(true) }
        return .bool(!b)
    case .int:
        let d = f.defaultValue.number.map { Int($0) } ?? Int(f.bounds?.lower ?? 0)
        // IMPALA's batch must stay a multiple of its environments per actor: double either.
        if f.name == "batch_size" || f.name == "n_envs", d > 0 { return .int(2 * d) }
        // Attention widths must stay divisible by the heads: halve them.
        if f.name == "heads" || f.name == "d_model", d > 1, f.defaultValue != .none { return .int(d / 2) }
        for c in [d + 1, d + 2, d - 1, 3] where (c != d || f.defaultValue == .none) && inBounds(Double(c)) {
            if f.name == "heads" || f.name == "d_model" { return .int(2) }
            return .int(c)
        }
        return nil
    case .float:
        let d = f.defaultValue.number ?? 0.5
        for c in [d * 0.5, d + 0.25, (d + 1) / 2, 0.3, 2] where (c != d || f.defaultValue == .none) && inBounds(c) { return .float(c) }
        return nil
    case .string:
        if f.name == "nonlinearity" { return .string("relu") }
        if f.name == "activation" { return .string("tanh") }
        return nil
    case .choice(let names): return names.first { .string($0) != f.defaultValue }.map(FieldValue.string)
    case .ints: return .ints([3, 5, 2])
    }
}

/// Script source for a field value.
func source(_ v: FieldValue) -> String {
    switch v {
    case .float(let d): return String(d)
    default: return v.description
    }
}

@Suite("Declared bindings")
struct BindingTests {
    /// Leading arguments and values for the required fields, so that each binding can be
    /// called with one field changed.
    static let leading = ["network": "Linear(4, 3)", "model": "Linear(2, 2)", "data": "collect(CartPole(), episodes: 3)"]
    /// Leading arguments that differ for one binding, or for one of its fields ("BC.context"):
    /// BC's network must fit CartPole's data, two observations side by side when context is 2.
    static let leadingFor: [String: [String: String]] = [
        "BC": ["network": "Linear(4, 2)"], "RL2": ["network": "GRU(4, 3)"], "BC.context": ["network": "Linear(8, 2)"],
        "fine_tune": ["model": tinyLM, "data": tinyDialogues],
        "ILQL": ["model": tinyLM, "data": tinyDialogues],
        "CHAI": ["model": tinyLM, "critic": "ILQL(\(tinyLM), \(tinyDialogues))"],
        "RewardModel": ["model": rlhfLM],
        "LanguagePPO": ["policy": rlhfLM, "reference": rlhfLM, "reward": "fn(texts) => texts.map(fn(t) => len(t) * 1.0)", "prompt": "\"\"", "gold": "nil"],
        "DPO": ["policy": rlhfLM, "reference": rlhfLM, "data": "Labeller().compare(review_corpus(20, seed: 1, max_pairs: 1), count: 4)"],
    ]
    /// The RLHF learners take small language models over the lessons' characters.
    static let rlhfLM = "LanguageModel(Tokenizer(), context_length: 64, d_model: 16, heads: 2, layers: 1)"
    /// A language model and logged dialogues small enough for every field's call.
    static let tinyLM = "LanguageModel(Tokenizer(kind: \"character\"), context_length: 96, d_model: 8, heads: 2, layers: 1)"
    static let tinyDialogues = "negotiation_dialogues(Tokenizer(kind: \"character\"), episodes: 4, rounds: 1)"
    static let required: [String: String] = [
        "inputs": "4", "outputs": "6", "hidden": "6", "count": "5", "dimension": "4", "p": "0.25", "sizes": "[4, 8, 2]",
        "d_model": "8", "heads": "2", "vocab_size": "7", "context_length": "6",
    ]

    @Test func everyKeywordReachesItsField() throws {
        let (interpreter, session) = makeRuntime()
        #expect(Set(session.bindings.map(\.kind)) == [.algorithm, .environment, .layer, .optimizer])
        #expect(Set(session.bindings.filter { $0.kind == .algorithm }.map(\.name)) == ["DQN", "DRQN", "PPO", "A2C", "BC", "DecisionTransformer", "IQL", "IMPALA", "RL2", "fine_tune", "ILQL", "CHAI", "RewardModel", "LanguagePPO", "DPO"])
        #expect(session.bindings.filter { $0.kind == .environment }.count == 16)
        var checked = 0
        for binding in session.bindings {
            for f in binding.fields where !f.isRequired {
                #expect(f.defaultValue != .none || f.isOptional, "\(binding.name).\(f.name) has no default")
            }
            for f in binding.fields {
                guard let value = otherValue(f) else { Issue.record("no test value for \(binding.name).\(f.name)"); continue }
                var args = binding.leading.map { Self.leadingFor["\(binding.name).\(f.name)"]?[$0] ?? Self.leadingFor[binding.name]?[$0] ?? Self.leading[$0]! }
                for g in binding.fields where g.isRequired && g.name != f.name { args.append("\(g.name): \(Self.required[g.name]!)") }
                args.append("\(f.name): \(source(value))")
                let call = "\(binding.name)(\(args.joined(separator: ", ")))"
                let result: Value
                do {
                    result = try evaluate(call, in: interpreter)
                } catch {
                    Issue.record("\(call): \(error)")
                    continue
                }
                guard let back = binding.readBack(result) else {
                    // POPGym tasks keep only the sizes their level sets, not the level.
                    #expect(binding.fields.map(\.name) == ["difficulty"], "\(binding.name) cannot be read back")
                    continue
                }
                let read = back.first { $0.name == f.name }?.value
                let expected = value
                if case .float(let x)? = read, let y = expected.number {
                    #expect(abs(x - y) <= 1e-6 * max(1, abs(y)), "\(call) read back \(f.name) = \(x)")
                } else {
                    #expect(read == expected, "\(call) read back \(f.name) = \(String(describing: read))")
                }
                checked += 1
            }
        }
        #expect(checked > 80)
    }

    @Test func drqnReplaySugarResolvesAsBefore() throws {
        func config(_ args: String) throws -> [(name: String, value: FieldValue)] {
            let (interpreter, session) = makeRuntime()
            let v = try evaluate("DRQN(LSTM(4, 8) |> Linear(8, 3)\(args))", in: interpreter)
            return try #require(session.bindings.first { $0.name == "DRQN" }?.readBack(v))
        }
        let episode = try config("")
        #expect(episode.first { $0.name == "replay" }?.value == .string("episode"))
        var s = DRQNSettingsProbe(try config(", replay: \"stored_burn_in\", burn_in: 3"))
        #expect(s.value("burn_in") == .int(3) && s.value("sequence_length") == FieldValue.none)
        s = DRQNSettingsProbe(try config(", replay: \"zero\", sequence_length: 12, lr: 0.01"))
        #expect(s.value("sequence_length") == .int(12) && s.value("lr") == .float(0.01))
    }

    @Test func errorsPointAtTheArgument() {
        func diagnostic(_ source: String) -> Diagnostic? {
            let (interpreter, _) = makeRuntime()
            return interpreter.run(source: source, path: "t.mem").first
        }
        let unknown = diagnostic("TMaze(lenght: 3)")
        #expect(unknown?.message == "TMaze has no parameter named 'lenght'")
        #expect(unknown?.span.column == 7 && unknown?.span.text == "lenght: 3")
        #expect(unknown?.help.first == "did you mean 'length'?")
        #expect(unknown?.help.contains { $0.contains("step_cost") } == true)

        let gamma = diagnostic("let n = Linear(4, 3)\nlet a = DQN(n, gamma: -0.5)")
        #expect(gamma?.message == "DQN: gamma must be in [0, 1], got -0.5")
        #expect(gamma?.span.text == "gamma: -0.5")

        let positional = diagnostic("let n = Linear(4, 3)\nlet a = DQN(n, 0.1, 2)")
        #expect(positional?.message == "DQN: gamma must be in [0, 1], got 2")
        #expect(positional?.span.text == "2")

        let kind = diagnostic("Linear(4, \"x\")")
        #expect(kind?.message == "Linear: outputs must be an integer, got \"x\"" && kind?.span.text == "\"x\"")

        let choice = diagnostic("DRQN(Linear(4, 3), replay: \"burnin\")")
        #expect(choice?.message.contains("replay must be one of \"episode\"") == true)
        #expect(choice?.span.text == "replay: \"burnin\"")

        let method = diagnostic("let e = CartPole()\ne.reset(sed: 1)")
        #expect(method?.message == "reset has no parameter named 'sed'" && method?.span.text == "sed: 1")
        #expect(method?.help.first == "did you mean 'seed'?")

        let tooMany = diagnostic("LayerNorm(4, 5)")
        #expect(tooMany?.span.text == "5")

        let missing = diagnostic("Linear(4)")
        #expect(missing?.message == "missing argument 'outputs' in call to Linear")
        #expect(missing?.span.text == "Linear(4)")

        // An error inside a script function called by a native one stays where it arose.
        let nested = diagnostic("fn f() { return TMaze(length: -1) }\nprint(f())")
        #expect(nested?.span.text == "length: -1")
    }

    @Test func helpListsEveryParameter() throws {
        let (interpreter, _) = makeRuntime()
        func details(_ name: String) throws -> [String] {
            guard case .native(let f)? = interpreter.globals[name] else { throw HostError("\(name) is not native") }
            return f.details
        }
        let maze = try details("TMaze").joined(separator: "\n")
        #expect(maze.contains("length     10"))
        #expect(maze.contains("step_cost"))
        #expect(maze.contains("observation: [cue_left, cue_right, in_corridor, at_junction]"))
        let dqn = try details("DQN").joined(separator: "\n")
        #expect(dqn.contains("γ, the discount factor") && dqn.contains("Float in [0, 1]") && dqn.contains("0.99"))
        #expect(dqn.contains("network") && dqn.contains("required"))
        #expect(try details("DRQN").contains { $0.contains("replay") && $0.contains("\"episode\"") })
        #expect(try details("Linear").contains { $0.contains("bias") && $0.contains("true") })
        #expect(try details("Adam").contains { $0.contains("lr") && $0.contains("0.001") })
        #expect(interpreter.parameterNames(of: interpreter.globals["DRQN"]!)?.contains("burn_in") == true)
    }
}

/// Reads one DRQN setting by name from read-back values.
struct DRQNSettingsProbe {
    let values: [(name: String, value: FieldValue)]
    init(_ values: [(name: String, value: FieldValue)]) { self.values = values }
    func value(_ name: String) -> FieldValue? { values.first { $0.name == name }?.value }
}

@Suite("Logged dialogues in scripts") struct DialogueBindingTests {
    @Test func perDialogueListsAreFreshCopies() throws {
        let (it, _) = makeRuntime()
        let run = it.run(source: """
            let logs = twenty_questions_dialogues(Tokenizer(kind: "character"), episodes: 6, seed: 2)
            let p = logs.policies
            p.append("extra")
            let n = len(logs.policies)
            let first = logs.policies[0]
            """, path: "t.mem")
        #expect(run.isEmpty)
        #expect(it.globals["n"].flatMap { if case .int(let i) = $0 { i } else { nil } } == 6)
        #expect(it.globals["first"].flatMap { if case .string(let s) = $0 { s.value } else { nil } } == "guesser")
    }
}
