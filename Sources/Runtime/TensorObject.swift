import Language
import TensorCore

/// A tensor as scripts see it: NumPy-like printing, arithmetic with numbers and tensors
/// (`@` for matrix products), subscripts with slices, and autodiff (`backward()`, `grad`).
public final class TensorObject: HostObject {
    public var tensor: Tensor

    public init(_ tensor: Tensor) {
        self.tensor = tensor
    }

    override public var typeName: String { "Tensor" }
    override public var description: String { tensor.description }
    override public var length: Int? { tensor.rank == 0 ? nil : tensor.shape[0] }
    override public var isTruthy: Bool { tensor.count == 1 ? (try? tensor.item()).map { $0 != 0 } ?? true : true }
    /// Only a one-element tensor is true or false; for any other, a condition is ambiguous
    /// (`abs(f() - x) < tol` on a vector would otherwise pass for every vector).
    override public func truthValue() throws -> Bool {
        guard tensor.count == 1 else {
            throw HostError("the truth value of a tensor with \(tensor.count) elements (shape \(tensor.shape)) is ambiguous",
                            help: ["say which you mean: all(t) (every element) or any(t) (at least one)",
                                   "to compare whole tensors, write expect a == b (with tolerance: t if needed)"])
        }
        return try tensor.item() != 0
    }

    /// Properties read without a call.
    static let properties = ["shape", "rank", "count", "grad", "requires_grad", "T"]
    static let members = properties + TensorMethods.table.keys.sorted()
    override public var memberNames: [String] { TensorObject.members }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "shape": return .array(tensor.shape.map { .int($0) })
        case "rank": return .int(tensor.rank)
        case "count": return .int(tensor.count)
        case "requires_grad": return .bool(tensor.requiresGrad)
        case "grad":
            // A computed tensor keeps no gradient: reading one is the sign of a parameter
            // that stopped being a leaf (`w = w - lr * w.grad` outside no_grad), which would
            // otherwise stop learning without a word.
            if tensor.requiresGrad, !tensor.isLeafVariable {
                throw HostError("this tensor has no grad: it was computed from other tensors, and only leaves made with requiring_grad() keep a gradient",
                                help: ["update a parameter in place so it stays a leaf: no_grad(fn() { w -= lr * w.grad })",
                                       "to stop tracking a computed value, use x.detach()"])
            }
            return tensor.grad.map { .host(TensorObject($0)) } ?? .nil
        case "T": return .host(TensorObject(try tensor.transposed()))
        default:
            guard let m = TensorMethods.table[name] else { return nil }
            // A method read without a call (`let f = x.sum`, `:help x.sum`): bound to this
            // tensor, with the method's signature.
            let f = m.signature
            return .native(NativeFunction(name, parameters: f.parameters, variadic: f.variadic, doc: f.doc) { [self] args, _ in
                try m.run(self, args)
            })
        }
    }

    override public func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        guard let m = TensorMethods.lookup(name) else { return nil }
        var args = args
        try m.signature.bind(&args)
        return try m.run(self, args)
    }

    /// `x op= y`: see `updateInPlace`.
    override public func binaryInPlace(_ op: BinaryOperator, _ other: Value, interpreter: Interpreter) throws -> Bool {
        try updateInPlace(&tensor, op, other, what: "the tensor")
    }

    static func toList(_ t: Tensor) -> Value {
        let s = t.scalars
        if t.rank == 0 { return .float(Double(s[0])) }
        func build(_ axis: Int, _ offset: Int) -> Value {
            let n = t.shape[axis]
            let stride = t.shape[(axis + 1)...].reduce(1, *)
            if axis == t.rank - 1 { return .array((0..<n).map { .float(Double(s[offset + $0])) }) }
            return .array((0..<n).map { build(axis + 1, offset + $0 * stride) })
        }
        return build(0, 0)
    }

    override public func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? {
        let o: Tensor
        switch other {
        case .host(let h as TensorObject): o = h.tensor
        case .int, .float, .bool, .list: o = try other.toTensor("the other operand of \(op.rawValue)")
        default: return nil
        }
        let (a, b) = reversed ? (o, tensor) : (tensor, o)
        let r: Tensor
        switch op {
        case .add: r = try a + b
        case .subtract: r = try a - b
        case .multiply: r = try a * b
        case .divide: r = try a / b
        case .power: r = try Tensor.pow(a, b)
        case .matmul: r = try a.matmul(b)
        case .equal: r = try Tensor.eq(a, b)
        case .notEqual: r = try Tensor.ne(a, b)
        case .less: r = try Tensor.lt(a, b)
        case .lessEqual: r = try Tensor.le(a, b)
        case .greater: r = try Tensor.gt(a, b)
        case .greaterEqual: r = try Tensor.ge(a, b)
        default: return nil
        }
        return .host(TensorObject(r))
    }

    override public func unary(_ op: UnaryOperator, interpreter: Interpreter) throws -> Value? {
        switch op {
        case .negate: return .host(TensorObject(tensor.neg()))
        case .not: return .host(TensorObject(tensor.logicalNot()))
        }
    }

    static func tensorIndices(_ indices: [SliceIndex]) throws -> [TensorIndex] {
        try indices.map { entry in
            switch entry {
            case .index(let v):
                if case .nil = v { return .newAxis }
                return .at(try v.toInt("a tensor index"))
            case .slice(let start, let stop, let step):
                return .range(start: start, end: stop, step: step ?? 1)
            }
        }
    }

    override public func getIndex(_ indices: [SliceIndex], interpreter: Interpreter) throws -> Value? {
        if let mask = try booleanMask(indices, for: tensor) { return .host(TensorObject(try tensor.maskedSelect(mask))) }
        return .host(TensorObject(try tensor.slice(TensorObject.tensorIndices(indices))))
    }

    /// `x[i, 1:3] = v`, `x[mask] = 0`: see `assignSubscript`.
    override public func setIndex(_ indices: [SliceIndex], _ value: Value, interpreter: Interpreter) throws -> Bool {
        try assignSubscript(&tensor, indices, value)
        return true
    }

    override public func makeIterator(interpreter: Interpreter) throws -> (() throws -> Value?)? {
        guard tensor.rank > 0 else { throw HostError("cannot iterate over a scalar tensor") }
        var i = 0
        let t = tensor
        return {
            guard i < t.shape[0] else { return nil }
            defer { i += 1 }
            let row = try t[i]
            return row.rank == 0 ? .float(Double(try row.item())) : .host(TensorObject(row))
        }
    }
}

extension Value {
    var isNil: Bool { if case .nil = self { return true } else { return false } }
    /// Whether the value is an int or nil (an optional bound left out).
    var isIntOrNil: Bool { switch self { case .int, .nil: return true; default: return false } }
}
