import Algorithms
import Configuration
import Environments
import Language
import NeuralNets
import TensorCore

// Declared bindings: algorithms, environments, layers and optimizers whose arguments are
// `ConfigField`s declared once beside the engine type. One generic registration gives each
// its constructor with keyword arguments and defaults, its `:help` text (every parameter with
// its default, the values it accepts and its doc), keyword completion, and errors that point
// at the argument at fault.

/// A declared binding, as tests and front ends see it.
public struct BindingInfo {
    public enum Kind: String, Sendable { case algorithm, environment, layer, optimizer }
    public let name: String
    public let kind: Kind
    public let doc: String
    /// Arguments before the fields that are not fields themselves (`network`, `model`).
    public let leading: [String]
    public let fields: [FieldInfo]
    /// The field values the object a call returned was built with (nil when they cannot be
    /// read back from it).
    public let readBack: (Value) -> [(name: String, value: FieldValue)]?
}

extension FieldValue {
    /// The script value.
    var scriptValue: Value {
        switch self {
        case .none: return .nil
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .str(s)
        case .ints(let l): return .array(l.map { .int($0) })
        }
    }

    /// As a signature's default.
    var parameterDefault: NativeParameter.DefaultValue {
        switch self {
        case .none, .ints: return .nil
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .string(let s): return .string(s)
        }
    }

    /// A script value as a field value; nil for values no field holds (a list of strings, a model).
    init?(_ v: Value) {
        switch v {
        case .nil: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .float(let d): self = .float(d)
        case .string(let s): self = .string(s.value)
        case .list(let l):
            var ints: [Int] = []
            for item in l.items {
                guard case .int(let i) = item else { return nil }
                ints.append(i)
            }
            self = .ints(ints)
        case .host(let t as TensorObject) where t.tensor.count == 1:
            guard let x = try? t.tensor.item() else { return nil }
            self = .float(Double(x))
        default: return nil
        }
    }
}

/// Reads the field arguments of a call: for each field that was given (by position after
/// `leading` arguments, or by keyword), its checked value. Errors name the argument.
struct FieldArguments {
    let callee: String
    let signature: String
    let leading: Int
    let fields: [FieldInfo]

    /// The given fields' values, by name, in parameter order.
    func values(_ args: Arguments) throws -> [(name: String, value: FieldValue)] {
        var out: [(name: String, value: FieldValue)] = []
        for (i, f) in fields.enumerated() {
            let p = leading + i
            guard p < args.positional.count || args.named.contains(where: { $0.name == f.name }) else { continue }
            let v = args[p]
            guard let value = FieldValue(v) else {
                throw HostError("\(callee): \(f.name) must be \(f.kind)\(f.isOptional ? " or nil" : ""), got \(v.describeBriefly)",
                                help: help(f), argument: .parameter(f.name))
            }
            out.append((f.name, value))
        }
        return out
    }

    /// A field's refusal as an error at its argument.
    func error(_ e: FieldError) -> HostError {
        if e.problem == .unknownField {
            return HostError("\(callee) has no parameter named '\(e.field)'",
                             help: (e.suggestion.map { ["did you mean '\($0)'?"] } ?? []) + ["the signature is \(signature)"],
                             argument: .keyword(e.field))
        }
        return HostError("\(callee): \(e.message)", help: fields.first { $0.name == e.field }.map(help) ?? [],
                         argument: .parameter(e.field))
    }

    func help(_ f: FieldInfo) -> [String] {
        ["\(f.name): \(f.doc) (\(f.accepts)\(f.isRequired ? "" : "; default \(f.defaultValue)"))"]
    }

    /// Runs `body`, turning field errors into errors at the argument.
    func run<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as FieldError { throw error(e) }
    }
}

/// The `:help` lines of a binding: the doc, then one row per parameter.
func helpDetails(leading: [(name: String, doc: String)], fields: [FieldInfo], extra: [String] = []) -> [String] {
    var rows: [(String, String, String, String)] = leading.map { ($0.name, "required", "", $0.doc) }
    rows += fields.map { f in (f.name, f.isRequired ? "required" : "\(f.defaultValue)", f.accepts, f.doc) }
    let w0 = rows.map(\.0.count).max() ?? 0, w1 = rows.map(\.1.count).max() ?? 0, w2 = rows.map(\.2.count).max() ?? 0
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    var lines = rows.isEmpty ? [] : ["parameters (name, default, accepts, meaning):"]
    lines += rows.map { "  \(pad($0.0, w0))  \(pad($0.1, w1))  \(pad($0.2, w2))  \($0.3)" }
    return lines + extra
}

/// Registers declared bindings into an interpreter (and their descriptions into the session).
struct Binder {
    let interpreter: Interpreter
    let session: Session

    /// Defines `name` as a native function over `leading` arguments and `fields`.
    func define(_ name: String, leading: [(name: String, doc: String)], fields: [FieldInfo], doc: String,
                        extra: [String] = [], kind: BindingInfo.Kind,
                        readBack: @escaping (Value) -> [(name: String, value: FieldValue)]?,
                        body: @escaping (Arguments, FieldArguments, Interpreter) throws -> Value) {
        let parameters = leading.map { NativeParameter($0.name) }
            + fields.map { f in f.isRequired ? NativeParameter(f.name) : NativeParameter(f.name, default: f.defaultValue.parameterDefault) }
        var signature = NativeFunction(name, parameters: parameters) { _, _ in .nil }.signature
        if signature.count > 100 {
            let shown = parameters.prefix(while: { $0.defaultValue == nil }).map(\.name)
            signature = "\(name)(\((shown + ["…"]).joined(separator: ", ")))"
        }
        let reader = FieldArguments(callee: name, signature: signature, leading: leading.count, fields: fields)
        let f = NativeFunction(name, parameters: parameters, doc: "\(signature): \(doc)") { args, it in try body(args, reader, it) }
        f.details = helpDetails(leading: leading, fields: fields, extra: extra)
        interpreter.globals.define(name, .native(f))
        session.bindings.append(BindingInfo(name: name, kind: kind, doc: doc, leading: leading.map(\.name), fields: fields, readBack: readBack))
    }

    // MARK: Algorithms

    /// `NAME(network, field: value, …)`: an agent spec whose `build` makes the engine's agent
    /// for an environment when `train` first meets one. `label` names the variant in printed
    /// agents ("DRQN(burn-in 8)"); the algorithm's name by default.
    func algorithm<C: Configurable>(_ name: String, _ config: C.Type, doc: String, network: String = "the Q-network: observations → one value per action",
                                    label: ((C) -> String)? = nil,
                                    build: @escaping (C, Module, AnyEnvironment) throws -> any OffPolicyLearner) {
        define(name, leading: [("network", network)], fields: C.fieldInfos, doc: doc, kind: .algorithm,
               readBack: { v in (v.host as? AgentSpec)?.configuration() }) { args, reader, it in
            let values = try reader.values(args)
            let c = try reader.run { try C(values) }
            let module = try modelModule(args[0], name, it)
            return .host(AgentSpec(algorithm: name, label: label?(c) ?? name, network: module,
                                   configuration: { c.fieldValues }) { net, env in try build(c, net, env) })
        }
    }

    // MARK: Environments

    /// `NAME(field: value, …)` for a registry entry, with its observation layout in `:help`.
    func environment(_ entry: EnvironmentEntry) {
        define(entry.name, leading: [], fields: entry.fields, doc: entry.doc, extra: ["observation: \(entry.observation)"], kind: .environment,
               readBack: { v in (v.host as? EnvironmentObject).flatMap { entry.arguments(of: $0.env.base) } }) { args, reader, _ in
            let values = try reader.values(args)
            return .host(EnvironmentObject(try reader.run { try entry.make(values) }))
        }
    }

    // MARK: Layers

    /// `NAME(field, …)`: a layer built with the session's random stream. The prototype (built
    /// from its own stream) supplies the defaults of the fields that have one.
    func layer<Root, L: Module>(_ name: String, doc: String, fields: [ConfigField<Root>],
                                prototype: @escaping (inout RNG) throws -> Root, root: @escaping (L) -> Root?,
                                make: @escaping @Sendable (FieldValues<Root>, inout RNG) throws -> L) {
        let factory = Factory<Root, (inout RNG) throws -> L>(fields: fields, prototype: { var rng = RNG(seed: 0); return try prototype(&rng) }) { v in
            { rng in try make(v, &rng) }
        }
        define(name, leading: [], fields: factory.fieldInfos, doc: doc, kind: .layer,
               readBack: { v in ((v.host as? ModuleObject)?.module as? L).flatMap(root).map { factory.fieldValues(of: $0) } }) { args, reader, _ in
            let values = try reader.values(args)
            let builder = try reader.run { try factory.build(values) }
            var rng = session.nextRNG()
            return .host(ModuleObject(try builder(&rng)))
        }
    }

    /// A layer whose fields reach its own properties.
    func layer<L: Module>(_ name: String, doc: String, fields: [ConfigField<L>], prototype: @escaping (inout RNG) throws -> L,
                          make: @escaping @Sendable (FieldValues<L>, inout RNG) throws -> L) {
        layer(name, doc: doc, fields: fields, prototype: prototype, root: { $0 }, make: make)
    }

    // MARK: Optimizers

    /// `NAME(model, field: value, …)`: an optimizer over a model's (or a list of models')
    /// parameters. The prototype is the optimizer over no parameters.
    func optimizer<O: Optimizer>(_ name: String, doc: String, fields: [ConfigField<O>], prototype: @escaping () throws -> O,
                                 make: @escaping @Sendable (FieldValues<O>, Module) throws -> O) {
        let factory = Factory<O, (Module) throws -> O>(fields: fields, prototype: prototype) { v in { m in try make(v, m) } }
        define(name, leading: [("model", "a model, or a list of models optimised together")], fields: factory.fieldInfos, doc: doc,
               kind: .optimizer,
               readBack: { v in ((v.host as? OptimizerObject)?.optimizer as? O).map { factory.fieldValues(of: $0) } }) { args, reader, it in
            let values = try reader.values(args)
            let builder = try reader.run { try factory.build(values) }
            return .host(OptimizerObject(try builder(try optimizerTarget(args[0], name, it))))
        }
    }
}

extension Value {
    /// The host object, if the value is one.
    var host: HostObject? {
        if case .host(let h) = self { return h }
        return nil
    }
}

/// A method of a host object with a signature: the arguments are matched to `parameters`
/// (unknown keywords are errors with a suggestion) and `body` receives them by position,
/// defaults filled in.
func boundMethod(_ name: String, _ parameters: [NativeParameter], doc: String,
                 _ body: @escaping (Arguments, Interpreter) throws -> Value) -> Value {
    .native(NativeFunction(name, parameters: parameters, doc: doc) { args, it in try body(Arguments(args.bound), it) })
}
