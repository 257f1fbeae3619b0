import Algorithms
import Language
import NeuralNets
import TensorCore

// Models written in the language, adapted so that optimizers, DQN and DRQN accept them like
// a built-in pipeline.
//
// The contract (docs/LANGUAGE.md, "Classes"): an object whose fields hold its layers (a
// layer or pipeline, a list of them, or another such object) and that has
//   - `forward(x)` → a tensor, for a feed-forward model (DQN: Q-values [batch, actions]);
//   - for a recurrent model (DRQN): `initial_state(batch)` → a state record (h: …, c: …)
//     and `forward(x, state, resets = nil)` → (outputs, state), with x [batch, time,
//     features] and outputs [batch, time, actions]; `resets` [batch, time] marks the steps
//     where a new episode starts (pass it on to the LSTM's forward).
// Its parameters are the parameters of the layers in its fields, found when it is adapted.

final class ScriptModel: Module, Layer, RecurrentQFunction {
    let object: Value
    unowned let interpreter: Interpreter
    let name: String

    init(_ object: Value, interpreter: Interpreter) throws {
        self.object = object
        self.interpreter = interpreter
        name = object.typeName
        super.init()
        guard interpreter.hasMember(object, "forward") else {
            throw HostError("\(name) cannot be used as a model: it has no forward method",
                            help: ["a model needs forward(x) (or forward(x, state, resets) and initial_state(batch) for a recurrent one), and its layers in fields"])
        }
        var seen = Set<ObjectIdentifier>()
        try collect(object, prefix: "", seen: &seen)
        guard !parameters.isEmpty else {
            throw HostError("\(name) has no layers in its fields, so it has no parameters to train",
                            help: ["keep the layers in fields, e.g. var encoder = Linear(4, 32)"])
        }
    }

    /// Adds the modules found in the object's fields (recursively) as children.
    private func collect(_ v: Value, prefix: String, seen: inout Set<ObjectIdentifier>) throws {
        switch v {
        case .host(let m as ModuleObject):
            guard seen.insert(ObjectIdentifier(m.module)).inserted else { return }
            _ = addChild(prefix.isEmpty ? "model" : prefix, m.module)
        case .list(let l):
            for (i, item) in l.items.enumerated() { try collect(item, prefix: prefix.isEmpty ? "\(i)" : "\(prefix).\(i)", seen: &seen) }
        case .instance(let inst):
            guard seen.insert(ObjectIdentifier(inst)).inserted else { return }
            for (i, field) in inst.cls.fieldNames.enumerated() {
                try collect(inst.fields[i], prefix: prefix.isEmpty ? field : "\(prefix).\(field)", seen: &seen)
            }
        default: return
        }
    }

    override var typeName: String { name }

    /// Feed-forward use: `forward(x)`.
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try interpreter.callMethod(object, "forward", [.host(TensorObject(x))])
        return try out.toTensor("the output of \(name).forward")
    }

    // MARK: RecurrentQFunction

    var module: Module { self }
    var summary: String { "\(name) (a script model, \(parameterCount) parameters)" }

    func initialState(batch: Int) throws -> RecurrentState {
        guard interpreter.hasMember(object, "initial_state") else {
            throw HostError("\(name) has no initial_state(batch) method, which a recurrent model needs",
                            help: ["e.g. fn initial_state(batch) { return self.lstm.initial_state(batch) }"])
        }
        return try recurrentState(try interpreter.callMethod(object, "initial_state", [.int(batch)]), name)
    }

    func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState) {
        var args: [Value] = [.host(TensorObject(x)), state.map(recurrentStateValue) ?? .nil]
        if let resets { args.append(.host(TensorObject(resets))) }
        let out = try interpreter.callMethod(object, "forward", args)
        let (q, s): (Value, Value)
        switch out {
        case .list(let l) where l.items.count == 2: (q, s) = (l.items[0], l.items[1])
        case .record(let r) where r["outputs"] != nil && r["state"] != nil: (q, s) = (r["outputs"]!, r["state"]!)
        default:
            throw HostError("\(name).forward(x, state, resets) must return (outputs, state) for a recurrent model, got \(out.typeName)")
        }
        return (try q.toTensor("the outputs of \(name).forward"), try recurrentState(s, name))
    }
}

/// A model value as an engine module: a built-in layer or pipeline, or a script model.
func modelModule(_ v: Value, _ who: String, _ interpreter: Interpreter) throws -> Module {
    if case .host(let m as ModuleObject) = v { return m.module }
    if case .instance = v { return try ScriptModel(v, interpreter: interpreter) }
    throw HostError("\(who) needs a model (a layer, a pipeline, or an object with forward and layers in its fields), got \(v.typeName)")
}

/// A recurrent state from a script: a record (h: …, c: …) as a recurrent layer's
/// `initial_state` and `forward` return it.
func recurrentState(_ v: Value, _ who: String) throws -> RecurrentState {
    guard case .record(let r) = v, let h = r["h"] else {
        throw HostError("\(who): a recurrent state is a record (h: …, c: …) as an LSTM's initial_state and forward return, got \(v.typeName)")
    }
    return RecurrentState(h: try h.toTensor("state.h"), c: try r["c"].flatMap { $0.isNil ? nil : try $0.toTensor("state.c") })
}

/// A recurrent state as scripts see it: the record (h: …, c: …).
func recurrentStateValue(_ s: RecurrentState) -> Value {
    var fields: [(String, Value)] = [("h", .host(TensorObject(s.h)))]
    if let c = s.c { fields.append(("c", .host(TensorObject(c)))) }
    return .makeRecord(fields)
}

