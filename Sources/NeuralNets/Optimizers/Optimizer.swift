import TensorCore

// The contract every optimizer keeps, and the per-parameter bookkeeping they share.
//
// An optimizer holds named parameters (the dotted paths of `Module.namedParameters()`, so
// its state can be saved next to the model's), reads each parameter's `grad` in `step()`
// and updates `value` in place. State buffers (Adam's moments, momentum) live in raw
// memory owned by the optimizer: the update loop is one pass over plain pointers per
// parameter, writing the parameter's own storage, with no temporary tensors.

/// A first-order optimizer: `step()` moves every parameter that has a gradient.
///
/// Typical loop:
/// ```swift
/// let opt = try Adam(model, learningRate: 3e-4)
/// opt.zeroGrad()
/// try loss(model).backward()
/// try clipGradNorm(opt.parameters, maxNorm: 0.5)
/// try opt.step()
/// ```
public protocol Optimizer: AnyObject {
    /// The optimizer's name as checkpoints record it ("Adam", "SGD", …).
    var name: String { get }
    /// The step size (η or α in the papers); set it before `step()` to follow a schedule.
    var learningRate: Float { get set }
    /// How many times `step()` has run.
    var stepCount: Int { get }
    /// The parameters, with the names their state is saved under.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// The hyperparameters as text, for checkpoint metadata and printing.
    var hyperparameters: [String: String] { get }
    /// Updates every parameter that has a gradient, in place; parameters without one are
    /// skipped (their state does not advance).
    func step() throws
    /// The state as named tensors: `step` (a scalar) and, per parameter `p` that has taken a
    /// step, `p.step` and one tensor per buffer (`p.exp_avg`, `p.momentum_buffer`, …, the
    /// names PyTorch uses). Step counts are Float scalars, exact up to 2²⁴ (16.7 M steps).
    func state() -> [String: Tensor]
    /// Restores a state produced by `state()` of an optimizer of the same kind over
    /// parameters with the same names and shapes. Checks everything before changing anything.
    func loadState(_ state: [String: Tensor]) throws
}

extension Optimizer {
    /// The parameters, in order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for (_, p) in namedParameters { p.zeroGrad() }
    }

    /// Sets the learning rate to `schedule(stepCount)` and takes a step.
    public func step(schedule: Schedule) throws {
        learningRate = schedule(stepCount)
        try step()
    }
}

/// The error an optimizer throws for a bad hyperparameter or an incompatible state.
public struct OptimizerError: Error, CustomStringConvertible, Sendable {
    /// The optimizer ("Adam", …) or function (`clipGradNorm`) that refused.
    public let optimizer: String
    public let message: String
    public init(_ optimizer: String, _ message: String) {
        self.optimizer = optimizer
        self.message = message
    }
    public var description: String { "\(optimizer): \(message)" }
}

// MARK: - Shared bookkeeping

/// A Float buffer in raw memory, the size of one parameter (a moment estimate, a momentum).
final class StateBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { pointer.deallocate() }

    /// A copy of the values as a tensor of `shape`.
    func tensor(shape: [Int]) -> Tensor {
        let values = Array(UnsafeBufferPointer(start: pointer, count: count))
        // The shape is a parameter's, so it always holds `count` elements.
        return (try? Tensor(values, shape: shape)) ?? Tensor(values)
    }

    /// Overwrites the values with those of `t` (same element count).
    func load(_ t: Tensor) {
        t.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: count) }
        }
    }
}

/// One parameter with its name, its own step count (PyTorch's `state[p]["step"]`) and its
/// buffers, allocated on its first step.
struct ParameterSlot {
    let name: String
    let parameter: Parameter
    /// Whether weight decay applies to this parameter (see `WeightDecayScope`).
    var decays = true
    var step = 0
    var buffers: [StateBuffer] = []
}

/// What the optimizers share: the slots, the global step count, and the conversion of
/// state to and from named tensors.
struct OptimizerSlots {
    let optimizer: String
    var slots: [ParameterSlot]
    var stepCount = 0

    init(optimizer: String, _ named: [(name: String, parameter: Parameter)]) throws {
        self.optimizer = optimizer
        var seenNames = Set<String>(), seenParameters = Set<ObjectIdentifier>()
        for (name, p) in named {
            guard seenNames.insert(name).inserted else {
                throw OptimizerError(optimizer, "two parameters are both named \"\(name)\"")
            }
            guard seenParameters.insert(ObjectIdentifier(p)).inserted else {
                throw OptimizerError(optimizer, "parameter \"\(name)\" is given twice (it would be updated twice per step)")
            }
        }
        slots = named.map { ParameterSlot(name: $0.name, parameter: $0.parameter) }
    }

    var named: [(name: String, parameter: Parameter)] { slots.map { ($0.name, $0.parameter) } }

    /// The gradient of slot `i` if it has one, checked against the parameter's size; the
    /// slot's buffers are allocated (zeros) on its first use.
    mutating func gradient(_ i: Int, bufferCount: Int) throws -> Tensor? {
        let p = slots[i].parameter
        guard let g = p.grad else { return nil }
        guard g.shape == p.shape else {
            throw OptimizerError(optimizer, "the gradient of \(slots[i].name) has shape \(shapeString(g.shape)) but the parameter has \(shapeString(p.shape))")
        }
        if slots[i].buffers.count != bufferCount {
            slots[i].buffers = (0..<bufferCount).map { _ in StateBuffer(count: p.count) }
        }
        slots[i].step += 1
        return g
    }

    func state(bufferNames: [String]) -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor(Float(stepCount))]
        for slot in slots where slot.step > 0 && slot.buffers.count == bufferNames.count {
            out[slot.name + ".step"] = Tensor(Float(slot.step))
            for (b, bufferName) in zip(slot.buffers, bufferNames) {
                out[slot.name + "." + bufferName] = b.tensor(shape: slot.parameter.shape)
            }
        }
        return out
    }

    mutating func load(_ state: [String: Tensor], bufferNames: [String]) throws {
        func scalarCount(_ key: String) throws -> Int? {
            guard let t = state[key] else { return nil }
            guard t.count == 1, let v = t.scalars.first, v >= 0, v == v.rounded(), v < 1e15 else {
                throw OptimizerError(optimizer, "state \"\(key)\" must be one non-negative whole number, got \(t.count == 1 ? "\(t.scalars[0])" : "shape \(shapeString(t.shape))")")
            }
            return Int(v)
        }
        var used = Set<String>()
        guard let globalStep = try scalarCount("step") else {
            throw OptimizerError(optimizer, "the state has no \"step\" entry")
        }
        used.insert("step")
        // Check everything first, then change.
        var plan: [(index: Int, step: Int, tensors: [Tensor])] = []
        for (i, slot) in slots.enumerated() {
            let stepKey = slot.name + ".step"
            let keys = bufferNames.map { slot.name + "." + $0 }
            let present = keys.filter { state[$0] != nil }
            guard let step = try scalarCount(stepKey) else {
                if let k = present.first {
                    throw OptimizerError(optimizer, "state has \"\(k)\" but no \"\(stepKey)\"")
                }
                continue
            }
            used.insert(stepKey)
            var tensors: [Tensor] = []
            for key in keys {
                guard let t = state[key] else {
                    throw OptimizerError(optimizer, "state has \"\(stepKey)\" but is missing \"\(key)\"")
                }
                guard t.shape == slot.parameter.shape else {
                    throw OptimizerError(optimizer, "state \"\(key)\" has shape \(shapeString(t.shape)) but parameter \(slot.name) has \(shapeString(slot.parameter.shape))")
                }
                used.insert(key)
                tensors.append(t)
            }
            plan.append((i, step, tensors))
        }
        let unexpected = state.keys.filter { !used.contains($0) }.sorted()
        if !unexpected.isEmpty {
            throw OptimizerError(optimizer, "state has entries that match no parameter of this optimizer: \(unexpected.joined(separator: ", "))")
        }
        for i in slots.indices {
            slots[i].step = 0
            slots[i].buffers = []
        }
        for (i, step, tensors) in plan {
            slots[i].step = step
            slots[i].buffers = tensors.map { t in
                let b = StateBuffer(count: t.count)
                b.load(t)
                return b
            }
        }
        stepCount = globalStep
    }
}

/// Which parameters weight decay applies to.
public enum WeightDecayScope: Sendable, Equatable {
    /// Every parameter.
    case all
    /// Only parameters of rank 2 or more (weight matrices and embeddings), not biases or
    /// LayerNorm gains: the usual rule for Transformers (GPT-2, nanoGPT).
    case matricesOnly
    /// Every parameter except those with these names.
    case allExcept(Set<String>)

    func applies(to name: String, _ p: Parameter) -> Bool {
        switch self {
        case .all: return true
        case .matricesOnly: return p.shape.count >= 2
        case .allExcept(let names): return !names.contains(name)
        }
    }
}

/// "Adam(lr: 0.001, beta1: 0.9, …; 3 parameters, 120 steps)", for printing.
func describe(_ o: any Optimizer) -> String {
    let order = ["lr"] + o.hyperparameters.keys.filter { $0 != "lr" }.sorted()
    let values = order.compactMap { key in o.hyperparameters[key].map { "\(key): \($0)" } }
    let count = o.namedParameters.count
    return "\(o.name)(\(values.joined(separator: ", ")); \(count) parameter\(count == 1 ? "" : "s"), \(o.stepCount) step\(o.stepCount == 1 ? "" : "s"))"
}

/// Checks a hyperparameter, throwing a message that names the optimizer and the value.
func require(_ ok: Bool, _ optimizer: String, _ message: @autoclosure () -> String) throws {
    if !ok { throw OptimizerError(optimizer, message()) }
}

/// The parameters of a module with their paths, or of a plain list named by position.
func namedList(_ parameters: [Parameter]) -> [(name: String, parameter: Parameter)] {
    parameters.enumerated().map { (String($0.offset), $0.element) }
}
