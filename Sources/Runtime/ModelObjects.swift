import Language
import NeuralNets
import TensorCore

/// A layer or model as scripts see it: callable on tensors, composable with `|>`, printed
/// as a parameter table (as torchinfo does).
public final class ModuleObject: HostObject {
    public let module: Module

    public init(_ module: Module) {
        self.module = module
    }

    override public var typeName: String { module.typeName }

    override public var description: String {
        var lines = ["\(module.typeName) (\(module.parameterCount) parameters)"]
        let named = module.namedParameters()
        let width = named.map(\.name.count).max() ?? 0
        for (name, p) in named {
            lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + shapeString(p.shape).padding(toLength: 14, withPad: " ", startingAt: 0) + " \(p.count)")
        }
        return lines.joined(separator: "\n")
    }

    override public var memberNames: [String] {
        var names = ["parameters", "parameter_count", "named_parameters", "train", "eval", "zero_grad", "copy_from"]
        if module is RecurrentLayer { names += ["forward", "initial_state", "step", "hidden_size", "input_size"] }
        if module is Linear { names += ["weight", "bias", "inputs", "outputs"] }
        if module is TransformerBlock || module is GPT { names += ["attention_maps"] }
        return names
    }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "parameters": return .array(module.parameters.map { .host(ParameterObject($0)) })
        case "named_parameters":
            return .dict(makeDict(module.namedParameters().map { (.str($0.name), .host(ParameterObject($0.parameter))) }))
        case "parameter_count": return .int(module.parameterCount)
        case "hidden_size": return (module as? RecurrentLayer).map { .int($0.hiddenSize) }
        case "input_size": return (module as? RecurrentLayer).map { .int($0.inputSize) }
        case "inputs": return (module as? Linear).map { .int($0.inputs) }
        case "outputs": return (module as? Linear).map { .int($0.outputs) }
        case "weight": return (module as? Linear).map { .host(ParameterObject($0.weight)) }
        case "bias": return (module as? Linear).map { $0.bias.map { .host(ParameterObject($0)) } ?? .nil }
        case "attention_maps":
            if let g = module as? GPT { return .array(g.transformer.attentionMaps.map { .host(TensorObject($0)) }) }
            if let b = module as? TransformerBlock { return b.lastAttention.map { .array([.host(TensorObject($0))]) } ?? .array([]) }
            return nil
        default:
            guard memberNames.contains(name), let (parameters, doc) = ModuleObject.methods[name] else { return nil }
            return boundMethod(name, parameters, doc: doc) { [self] args, it in
                guard let v = try self.method(name, args, interpreter: it) else { throw HostError("\(module.typeName) has no method \(name)") }
                return v
            }
        }
    }

    /// The methods' signatures and docs.
    static let methods: [String: ([NativeParameter], String)] = [
        "train": ([NativeParameter("on", default: .bool(true))], "model.train(on: true): training mode (dropout active), or evaluation mode with false."),
        "eval": ([], "model.eval(): evaluation mode."),
        "zero_grad": ([], "model.zero_grad(): clears the parameters' gradients."),
        "copy_from": (["source"], "model.copy_from(other): copies the parameters of a model of the same structure."),
        "forward": (["input", NativeParameter("state", default: .nil), NativeParameter("resets", default: .nil)],
                    "rnn.forward(x [batch, time, inputs], state: nil, resets: nil): a record of outputs and state."),
        "step": (["input", NativeParameter("state", default: .nil)], "rnn.step(x [batch, inputs], state: nil): a record of output and state."),
        "initial_state": ([NativeParameter("batch", default: .int(1))], "rnn.initial_state(batch: 1): zeros."),
    ]

    func method(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        func arg(_ i: Int, _ label: String) -> Value? { args.named(label) ?? (i < args.positional.count ? args.positional[i] : nil) }
        switch name {
        case "train": module.train(try arg(0, "on")?.toBool("train: on") ?? true); return .nil
        case "eval": module.eval(); return .nil
        case "zero_grad": module.zeroGrad(); return .nil
        case "copy_from":
            guard case .host(let o as ModuleObject)? = arg(0, "source") else { throw HostError("copy_from needs a model of the same structure") }
            try module.copyParameters(from: o.module)
            return .nil
        case "forward", "step", "initial_state":
            guard let rnn = module as? RecurrentLayer else { return nil }
            return try recurrentMethod(rnn, name, arg)
        default: return nil
        }
    }

    private func recurrentMethod(_ rnn: RecurrentLayer, _ name: String, _ arg: (Int, String) -> Value?) throws -> Value? {
        func state(_ v: Value?) throws -> RecurrentState? {
            guard let v, !v.isNil else { return nil }
            return try recurrentState(v, module.typeName)
        }
        let stateValue = recurrentStateValue
        switch name {
        case "initial_state":
            return stateValue(try rnn.initialState(batch: try arg(0, "batch")?.toInt("initial_state: batch") ?? 1))
        case "forward":
            guard let x = arg(0, "input") else { throw HostError("forward needs an input of shape [batch, time, \(rnn.inputSize)]") }
            let resets = try arg(2, "resets").flatMap { $0.isNil ? nil : try $0.toTensor("forward: resets") }
            let (out, s) = try rnn.forward(try x.toTensor("forward: input"), state: try state(arg(1, "state")), resets: resets)
            return .makeRecord([("outputs", .host(TensorObject(out))), ("state", stateValue(s))])
        default:
            guard let x = arg(0, "input") else { throw HostError("step needs an input of shape [batch, \(rnn.inputSize)]") }
            let s = try state(arg(1, "state")) ?? rnn.initialState(batch: try x.toTensor("step: input").shape.first ?? 1)
            let (h, next) = try rnn.step(try x.toTensor("step: input"), state: s)
            return .makeRecord([("output", .host(TensorObject(h))), ("state", stateValue(next))])
        }
    }

    override public func call(_ args: Arguments, interpreter: Interpreter) throws -> Value? {
        guard let layer = module as? any Layer else { throw HostError("\(module.typeName) cannot be called on a tensor") }
        guard args.positional.count == 1, args.named.isEmpty else {
            throw HostError("\(module.typeName) takes one tensor, got \(args.positional.count) argument(s)",
                            help: module is RecurrentLayer ? ["use .forward(x, state: s, resets: r) to pass a state or resets"] : [])
        }
        return .host(TensorObject(try layer(args.positional[0].toTensor("the input of \(module.typeName)"))))
    }

    override public func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        guard op == .pipe else { return nil }
        // `a |> b` chains layers into a Sequential (x |> layer is a plain call, handled by the language).
        guard let right = try pipelineLayers(other), let mine = module as? any Layer else { return nil }
        let left: [any Layer] = (module as? Sequential)?.layers ?? [mine]
        let layers = reversed ? right + left : left + right
        return .host(ModuleObject(Sequential(layers)))
    }
}

/// The layers a value stands for in a pipeline: a model, or an activation function.
func pipelineLayers(_ v: Value) throws -> [any Layer]? {
    switch v {
    case .host(let o as ModuleObject):
        if let s = o.module as? Sequential { return s.layers }
        if let l = o.module as? any Layer { return [l] }
        return nil
    case .native(let f):
        if let a = Activation.named(f.name) { return [a] }
        return nil
    default: return nil
    }
}

/// A trainable parameter: reads as its tensor, with `grad`.
public final class ParameterObject: HostObject {
    public let parameter: NeuralNets.Parameter
    public init(_ p: NeuralNets.Parameter) { parameter = p }
    override public var typeName: String { "Parameter" }
    override public var description: String { "Parameter(" + parameter.value.description.dropFirst("tensor(".count) }
    override public var memberNames: [String] { ["value", "grad", "shape"] }
    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "value": return .host(TensorObject(parameter.value))
        case "grad": return parameter.grad.map { .host(TensorObject($0)) } ?? .nil
        case "shape": return .array(parameter.shape.map { .int($0) })
        default: return nil
        }
    }
    /// `p.value = t` copies `t` into the parameter (same shape, no gradient recorded), e.g.
    /// to set an LSTM's forget-gate bias.
    override public func setMember(_ name: String, _ value: Value, interpreter: Interpreter) throws -> Bool {
        guard name == "value" else { return false }
        try parameter.assign(value.toTensor("the new value of a parameter"))
        return true
    }
    override public func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        try TensorObject(parameter.value).binary(op, other, reversed: reversed, interpreter: interpreter)
    }
    /// `p -= lr * p.grad` (inside `no_grad`): the model's own parameter changes.
    override public func binaryInPlace(_ op: BinaryOperator, _ other: Value, interpreter: Interpreter) throws -> Bool {
        try updateInPlace(&parameter.value, op, other, what: "the parameter")
    }
}

/// An optimizer: `opt.zero_grad()`, `loss.backward()`, `opt.step()`.
public final class OptimizerObject: HostObject {
    public let optimizer: any Optimizer
    public init(_ o: any Optimizer) { optimizer = o }
    override public var typeName: String { optimizer.name }
    override public var description: String { "\(optimizer.name)(lr: \(optimizer.learningRate), \(optimizer.parameters.count) parameters)" }
    override public var memberNames: [String] { ["step", "zero_grad", "lr", "step_count"] }
    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "lr": return .float(Double(optimizer.learningRate))
        case "step_count": return .int(optimizer.stepCount)
        case "step", "zero_grad":
            return .native(NativeFunction(name, parameters: [], doc: "\(optimizer.name).\(name)()") { [self] _, _ in
                try self.method(name) ?? .nil
            })
        default: return nil
        }
    }
    override public func setMember(_ name: String, _ value: Value, interpreter: Interpreter) throws -> Bool {
        guard name == "lr" else { return false }
        let lr = try value.toFloat("lr")
        guard lr >= 0, lr.isFinite else { throw HostError("the learning rate must be finite and >= 0, got \(lr)") }
        optimizer.learningRate = lr
        return true
    }
    func method(_ name: String) throws -> Value? {
        switch name {
        case "step": try optimizer.step(); return .nil
        case "zero_grad": optimizer.zeroGrad(); return .nil
        default: return nil
        }
    }
}

func makeDict(_ pairs: [(Value, Value)]) -> DictObject {
    let d = DictObject()
    for (k, v) in pairs { d[k] = v }
    return d
}
