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

    static let members = [
        "shape", "rank", "count", "grad", "requires_grad", "T",
        "sum", "mean", "max", "min", "argmax", "argmin", "variance", "std", "logsumexp", "softmax", "log_softmax", "cumsum",
        "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "gelu", "softplus", "abs", "square", "clamp", "pow", "neg",
        "reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "gather", "index_select", "one_hot", "masked_fill",
        "backward", "detach", "requiring_grad", "zero_grad", "item", "tolist", "matmul", "split",
    ]
    override public var memberNames: [String] { TensorObject.members }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "shape": return .array(tensor.shape.map { .int($0) })
        case "rank": return .int(tensor.rank)
        case "count": return .int(tensor.count)
        case "requires_grad": return .bool(tensor.requiresGrad)
        case "grad": return tensor.grad.map { .host(TensorObject($0)) } ?? .nil
        case "T": return .host(TensorObject(try tensor.transposed()))
        default:
            guard TensorObject.members.contains(name) else { return nil }
            // A method read without a call: bind it.
            return .native(NativeFunction(name, variadic: true, doc: "Tensor.\(name)") { [self] args, it in
                guard let v = try self.callMethod(name, args, interpreter: it) else { throw HostError("Tensor has no method \(name)") }
                return v
            })
        }
    }

    override public func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        let t = tensor
        func arg(_ i: Int, _ label: String) -> Value? {
            if let v = args.named(label) { return v }
            return i < args.positional.count ? args.positional[i] : nil
        }
        func axes() throws -> [Int]? { try (arg(0, "axis") ?? arg(0, "axes"))?.toAxes("\(name): axis") }
        func keepdims() throws -> Bool { try arg(1, "keepdims")?.toBool("\(name): keepdims") ?? false }
        func result(_ x: Tensor) -> Value { .host(TensorObject(x)) }
        switch name {
        case "sum": return result(try t.sum(axes: axes(), keepdims: keepdims()))
        case "mean": return result(try t.mean(axes: axes(), keepdims: keepdims()))
        case "max": return result(try t.max(axes: axes(), keepdims: keepdims()))
        case "min": return result(try t.min(axes: axes(), keepdims: keepdims()))
        case "variance": return result(try t.variance(axes: axes(), correction: arg(2, "correction")?.toInt("variance: correction") ?? 1, keepdims: keepdims()))
        case "std": return result(try t.std(axes: axes(), correction: arg(2, "correction")?.toInt("std: correction") ?? 1, keepdims: keepdims()))
        case "logsumexp": return result(try t.logsumexp(axes: axes(), keepdims: keepdims()))
        case "argmax", "argmin":
            let axis = try arg(0, "axis").flatMap { $0.isNil ? nil : try $0.toInt("\(name): axis") }
            return result(name == "argmax" ? try t.argmax(axis: axis, keepdims: keepdims()) : try t.argmin(axis: axis, keepdims: keepdims()))
        case "softmax": return result(try t.softmax(axis: arg(0, "axis")?.toInt("softmax: axis") ?? -1))
        case "log_softmax": return result(try t.logSoftmax(axis: arg(0, "axis")?.toInt("log_softmax: axis") ?? -1))
        case "cumsum":
            guard let a = arg(0, "axis") else { throw HostError("cumsum needs an axis", help: ["e.g. x.cumsum(0), or x.cumsum(axis: 0, reverse: true) for returns-to-go"]) }
            return result(try t.cumsum(axis: a.toInt("cumsum: axis"), reverse: arg(1, "reverse")?.toBool("cumsum: reverse") ?? false))
        case "exp": return result(t.exp())
        case "log": return result(t.log())
        case "sqrt": return result(t.sqrt())
        case "tanh": return result(t.tanh())
        case "sigmoid": return result(t.sigmoid())
        case "relu": return result(t.relu())
        case "gelu": return result(t.gelu())
        case "softplus": return result(t.softplus())
        case "abs": return result(t.abs())
        case "square": return result(t.square())
        case "neg": return result(t.neg())
        case "pow":
            guard let p = arg(0, "exponent") else { throw HostError("pow needs an exponent") }
            if case .host(let o as TensorObject) = p { return result(try Tensor.pow(t, o.tensor)) }
            return result(t.pow(try p.toFloat("pow: exponent")))
        case "clamp":
            return result(try t.clamp(min: arg(0, "min")?.toFloat("clamp: min") ?? -.infinity, max: arg(1, "max")?.toFloat("clamp: max") ?? .infinity))
        case "reshape":
            let shape = args.positional.count == 1 ? try args.positional[0].toShape("reshape: shape")
                : try args.positional.enumerated().map { try $1.toInt("reshape: size \($0)") }
            return result(try t.reshape(shape))
        case "transpose":
            if args.positional.isEmpty { return result(try t.transposed()) }
            return result(try t.transposed(arg(0, "a")!.toInt("transpose: axis"), arg(1, "b")?.toInt("transpose: axis") ?? -1))
        case "permute":
            let dims = args.positional.count == 1 ? try args.positional[0].toShape("permute: axes")
                : try args.positional.map { try $0.toInt("permute: axis") }
            return result(try t.permute(dims))
        case "flatten": return result(t.flattened())
        case "squeeze": return result(try t.squeezed(axis: arg(0, "axis")?.toInt("squeeze: axis")))
        case "unsqueeze":
            guard let a = arg(0, "axis") else { throw HostError("unsqueeze needs an axis") }
            return result(try t.unsqueezed(axis: a.toInt("unsqueeze: axis")))
        case "gather":
            guard let a = arg(0, "axis"), let i = arg(1, "index") else { throw HostError("gather needs an axis and an index tensor", help: ["e.g. q.gather(1, actions) with actions of shape [B, 1]"]) }
            return result(try t.gather(axis: a.toInt("gather: axis"), i.toTensor("gather: index")))
        case "index_select":
            guard let a = arg(0, "axis"), let i = arg(1, "indices") else { throw HostError("index_select needs an axis and a list of indices") }
            return result(try t.indexSelect(axis: a.toInt("index_select: axis"), i.toTensor("index_select: indices").scalars.map { Int($0) }))
        case "one_hot":
            guard let c = arg(0, "classes") else { throw HostError("one_hot needs the number of classes") }
            return result(try t.oneHot(classes: c.toInt("one_hot: classes")))
        case "masked_fill":
            guard let m = arg(0, "mask"), let v = arg(1, "value") else { throw HostError("masked_fill needs a mask and a value") }
            return result(try t.maskedFill(m.toTensor("masked_fill: mask"), v.toFloat("masked_fill: value")))
        case "matmul":
            guard let o = arg(0, "other") else { throw HostError("matmul needs another tensor") }
            return result(try t.matmul(o.toTensor("matmul: other")))
        case "split":
            guard let s = arg(0, "sizes") else { throw HostError("split needs sizes or a number of parts") }
            let axis = try arg(1, "axis")?.toInt("split: axis") ?? 0
            let parts: [Tensor]
            if case .int(let n) = s { parts = try t.split(parts: n, axis: axis) } else { parts = try t.split(sizes: s.toShape("split: sizes"), axis: axis) }
            return .array(parts.map { .host(TensorObject($0)) })
        case "backward":
            let g = try arg(0, "gradient").map { try $0.toTensor("backward: gradient") }
            try t.backward(gradient: g, retainGraph: arg(1, "retain_graph")?.toBool("backward: retain_graph") ?? false)
            return .nil
        case "detach": return result(t.detached())
        case "requiring_grad": return result(t.requiringGrad())
        case "zero_grad": t.zeroGrad(); return .nil
        case "item": return .float(Double(try t.item()))
        case "tolist": return TensorObject.toList(t)
        default: return nil
        }
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
        .host(TensorObject(try tensor.slice(TensorObject.tensorIndices(indices))))
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
}
