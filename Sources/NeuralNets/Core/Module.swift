import TensorCore

/// A trainable tensor with identity: a layer holds it, an optimizer updates it in place,
/// a checkpoint saves it under its name in the parameter tree.
///
/// `value` is a leaf of the autodiff tape: computing with it and calling `backward()`
/// accumulates into `grad`. Optimizers change `value` in place (outside the tape), so the
/// same variable keeps receiving gradients.
public final class Parameter {
    /// The current values (a leaf that requires gradients).
    public var value: Tensor

    public init(_ value: Tensor) {
        self.value = value.detached().requiringGrad()
    }

    /// The gradient accumulated since the last `zeroGrad()`, or nil.
    public var grad: Tensor? { value.grad }
    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { value.zeroGrad() }

    /// Replaces the values (same shape), keeping the variable's identity and gradient.
    public func assign(_ t: Tensor) throws {
        guard t.shape == value.shape else {
            throw TensorError("Parameter.assign", "shape \(shapeString(t.shape)) does not match the parameter's \(shapeString(value.shape))")
        }
        try noGrad { try value.assign(t) }
    }
}

/// The base of every layer and model: owns parameters and child modules under names, so
/// the whole model is a tree whose paths (`lstm.weight_ih`, `blocks.0.attn.qkv.weight`)
/// name checkpoints and optimizer state; and a train / eval mode (dropout uses it).
open class Module {
    /// Parameters owned directly, in registration order.
    public private(set) var ownParameters: [(name: String, parameter: Parameter)] = []
    /// Child modules, in registration order.
    public private(set) var children: [(name: String, module: Module)] = []
    /// Whether the module is in training mode (the default) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// A short name for printing and error messages ("Linear", "LSTM").
    open var typeName: String { String(describing: type(of: self)) }

    /// Registers a parameter under `name` and returns it.
    @discardableResult
    public func addParameter(_ name: String, _ value: Tensor) -> Parameter {
        let p = Parameter(value)
        ownParameters.append((name, p))
        return p
    }

    /// Registers an existing parameter (weight tying: the same variable in two places).
    public func addParameter(_ name: String, shared p: Parameter) {
        ownParameters.append((name, p))
    }

    /// Registers a child module under `name` and returns it.
    @discardableResult
    public func addChild<M: Module>(_ name: String, _ module: M) -> M {
        children.append((name, module))
        return module
    }

    /// Every parameter of the tree with its dotted path, each variable once (the first
    /// path wins for a tied parameter).
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var out: [(String, Parameter)] = []
        var seen = Set<ObjectIdentifier>()
        collect(prefix: "", into: &out, seen: &seen)
        return out
    }

    private func collect(prefix: String, into out: inout [(String, Parameter)], seen: inout Set<ObjectIdentifier>) {
        for (name, p) in ownParameters where seen.insert(ObjectIdentifier(p)).inserted {
            out.append((prefix + name, p))
        }
        for (name, child) in children {
            child.collect(prefix: prefix + name + ".", into: &out, seen: &seen)
        }
    }

    /// Every parameter of the tree, each once.
    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Switches the whole tree to training (true) or evaluation (false) mode.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, c) in children { c.train(on) }
    }

    /// Switches the whole tree to evaluation mode.
    public func eval() { train(false) }

    /// Copies every parameter's values from `other`, a module of the same structure (e.g.
    /// a target network).
    public func copyParameters(from other: Module) throws {
        let mine = namedParameters(), theirs = other.namedParameters()
        guard mine.count == theirs.count else {
            throw TensorError("copyParameters", "\(typeName) has \(mine.count) parameters but the source \(other.typeName) has \(theirs.count)")
        }
        for ((name, p), (otherName, q)) in zip(mine, theirs) {
            guard name == otherName, p.shape == q.shape else {
                throw TensorError("copyParameters", "parameter \(name) \(shapeString(p.shape)) does not match \(otherName) \(shapeString(q.shape))")
            }
            try p.assign(q.value)
        }
    }
}

/// A module mapping one tensor to one tensor: what `Sequential` chains.
public protocol Layer: Module {
    func callAsFunction(_ x: Tensor) throws -> Tensor
}

/// The error a layer throws for a bad configuration or input: it names the layer and
/// what was expected and received.
public struct LayerError: Error, CustomStringConvertible, Sendable {
    public let layer: String
    public let message: String
    public init(_ layer: String, _ message: String) {
        self.layer = layer
        self.message = message
    }
    public var description: String { "\(layer): \(message)" }
}
