import Language
import TensorCore

/// A method of tensors as scripts call it: its signature (which binds the arguments, and
/// which `:help`, completion and `signature` show) and its body, run on the receiver with
/// one bound value per parameter.
struct TensorMethod {
    let signature: NativeFunction
    let run: (TensorObject, Arguments) throws -> Value
}

/// Every tensor method, by name. Keywords follow NumPy (`axis`, `keepdims`); PyTorch's
/// spellings that mean the same (`dim`, `keepdim`, …) are accepted as aliases, and any other
/// keyword is an error with a suggestion.
enum TensorMethods {
    nonisolated(unsafe) static let table: [String: TensorMethod] = makeTable()

    /// The table's entries grouped by the UTF-8 length of their names: a method call finds
    /// its entry by comparing a few short strings instead of hashing the name (the call is
    /// in the hot loops of lessons).
    nonisolated(unsafe) static let byLength: [[(name: String, method: TensorMethod)]] = {
        var buckets = [[(name: String, method: TensorMethod)]](repeating: [], count: (table.keys.map(\.utf8.count).max() ?? 0) + 1)
        for (name, m) in table { buckets[name.utf8.count].append((name, m)) }
        return buckets
    }()

    /// The method named `name`, if tensors have one.
    @inline(__always)
    static func lookup(_ name: String) -> TensorMethod? {
        let n = name.utf8.count
        guard n < byLength.count else { return nil }
        for entry in byLength[n] where entry.name == name { return entry.method }
        return nil
    }

    // The parameters most methods share.
    static let axes = NativeParameter("axis", default: .nil, aliases: ["dim", "axes"])
    static let keepdims = NativeParameter("keepdims", default: .bool(false), aliases: ["keepdim"])
    static func axis(default d: NativeParameter.DefaultValue? = nil) -> NativeParameter {
        NativeParameter("axis", default: d, aliases: ["dim"])
    }

    private static func makeTable() -> [String: TensorMethod] {
        var table: [String: TensorMethod] = [:]
        func method(_ name: String, _ parameters: [NativeParameter] = [], variadic: Bool = false, doc: String,
                    _ run: @escaping (TensorObject, Arguments) throws -> Value) {
            // The signature's own body runs only if the unbound function escapes the table,
            // which `getMember` prevents by binding each read to its tensor.
            let signature = NativeFunction(name, parameters: parameters, variadic: variadic, doc: doc) { _, _ in
                throw HostError("Tensor.\(name) is a method: call it on a tensor, e.g. x.\(name)(…)")
            }
            table[name] = TensorMethod(signature: signature, run: run)
        }
        func result(_ t: Tensor) -> Value { .host(TensorObject(t)) }
        func optionalInt(_ v: Value, _ what: String) throws -> Int? { v.isNil ? nil : try v.toInt(what) }

        // MARK: Reductions
        let reductions: [(String, String, (Tensor, [Int]?, Bool) throws -> Tensor)] = [
            ("sum", "the sum", { try $0.sum(axes: $1, keepdims: $2) }),
            ("mean", "the mean", { try $0.mean(axes: $1, keepdims: $2) }),
            ("max", "the largest element", { try $0.max(axes: $1, keepdims: $2) }),
            ("min", "the smallest element", { try $0.min(axes: $1, keepdims: $2) }),
            ("logsumexp", "log Σ exp, computed stably", { try $0.logsumexp(axes: $1, keepdims: $2) }),
        ]
        for (name, what, f) in reductions {
            method(name, [axes, keepdims], doc: "x.\(name)(axis: nil, keepdims: false): \(what) over the axes given (all when nil).") { o, a in
                result(try f(o.tensor, a[0].toAxes("\(name): axis"), a[1].toBool("\(name): keepdims")))
            }
        }
        for name in ["variance", "std"] {
            method(name, [axes, keepdims, NativeParameter("correction", default: .int(1))],
                   doc: "x.\(name)(axis: nil, keepdims: false, correction: 1): with Bessel's correction by default (0 for the population \(name)).") { o, a in
                let axes = try a[0].toAxes("\(name): axis"), keep = try a[1].toBool("\(name): keepdims")
                let c = try a[2].toInt("\(name): correction")
                return result(name == "variance" ? try o.tensor.variance(axes: axes, correction: c, keepdims: keep)
                              : try o.tensor.std(axes: axes, correction: c, keepdims: keep))
            }
        }
        for name in ["argmax", "argmin"] {
            method(name, [axis(default: .nil), keepdims], doc: "x.\(name)(axis: nil, keepdims: false): the index of the \(name == "argmax" ? "largest" : "smallest") element (of the flattened tensor when nil).") { o, a in
                let axis = try optionalInt(a[0], "\(name): axis"), keep = try a[1].toBool("\(name): keepdims")
                return result(name == "argmax" ? try o.tensor.argmax(axis: axis, keepdims: keep) : try o.tensor.argmin(axis: axis, keepdims: keep))
            }
        }
        method("softmax", [axis(default: .int(-1))], doc: "x.softmax(axis: -1): exp(x) / Σ exp(x) along an axis.") { o, a in
            result(try o.tensor.softmax(axis: a[0].toInt("softmax: axis")))
        }
        method("log_softmax", [axis(default: .int(-1))], doc: "x.log_softmax(axis: -1): log of the softmax, computed stably.") { o, a in
            result(try o.tensor.logSoftmax(axis: a[0].toInt("log_softmax: axis")))
        }
        method("cumsum", [axis(), NativeParameter("reverse", default: .bool(false))],
               doc: "x.cumsum(axis, reverse: false): running sums; reverse: true sums from the end (returns-to-go).") { o, a in
            result(try o.tensor.cumsum(axis: a[0].toInt("cumsum: axis"), reverse: a[1].toBool("cumsum: reverse")))
        }

        // MARK: Element-wise
        let unary: [(String, String, (Tensor) -> Tensor)] = [
            ("exp", "eˣ", { $0.exp() }), ("log", "the natural logarithm", { $0.log() }), ("sqrt", "the square root", { $0.sqrt() }),
            ("sin", "the sine", { $0.sin() }), ("cos", "the cosine", { $0.cos() }), ("tanh", "the hyperbolic tangent", { $0.tanh() }),
            ("sigmoid", "1 / (1 + e⁻ˣ)", { $0.sigmoid() }), ("relu", "max(x, 0)", { $0.relu() }),
            ("softplus", "log(1 + eˣ)", { $0.softplus() }), ("abs", "|x|", { $0.abs() }), ("square", "x²", { $0.square() }),
            ("neg", "-x", { $0.neg() }),
        ]
        for (name, what, f) in unary {
            method(name, doc: "x.\(name)(): \(what), element-wise.") { o, _ in result(f(o.tensor)) }
        }
        method("gelu", [NativeParameter("approximate", default: .bool(false))],
               doc: "x.gelu(approximate: false): x·Φ(x); approximate: true uses GPT-2's tanh form.") { o, a in
            result(o.tensor.gelu(approximate: try a[0].toBool("gelu: approximate")))
        }
        method("pow", [NativeParameter("exponent")], doc: "x.pow(p): xᵖ element-wise (p a number or a tensor).") { o, a in
            if case .host(let p as TensorObject) = a[0] { return result(try Tensor.pow(o.tensor, p.tensor)) }
            return result(o.tensor.pow(try a[0].toFloat("pow: exponent")))
        }
        method("clamp", [NativeParameter("min", default: .nil), NativeParameter("max", default: .nil)],
               doc: "x.clamp(min: nil, max: nil): each element limited to [min, max] (nil: no bound).") { o, a in
            let lo = a[0].isNil ? -Float.infinity : try a[0].toFloat("clamp: min")
            let hi = a[1].isNil ? Float.infinity : try a[1].toFloat("clamp: max")
            return result(try o.tensor.clamp(min: lo, max: hi))
        }
        method("where", [NativeParameter("condition"), NativeParameter("other")],
               doc: "x.where(condition, other): x where condition is non-zero, else other (as where(condition, x, other)).") { o, a in
            result(try Tensor.where(a[0].toTensor("where: condition"), o.tensor, a[1].toTensor("where: other")))
        }
        method("masked_fill", [NativeParameter("mask"), NativeParameter("value")],
               doc: "x.masked_fill(mask, value): x with value wherever mask is non-zero.") { o, a in
            result(try o.tensor.maskedFill(a[0].toTensor("masked_fill: mask"), a[1].toFloat("masked_fill: value")))
        }
        method("masked_select", [NativeParameter("mask")],
               doc: "x.masked_select(mask): the elements where mask is true, as x[mask].") { o, a in
            result(try maskedSelect(o.tensor, a[0].toTensor("masked_select: mask"), what: "masked_select: mask"))
        }

        // MARK: Shape
        method("reshape", [NativeParameter("shape")], variadic: true,
               doc: "x.reshape([2, 3]) or x.reshape(2, 3): the same elements in a new shape (one size may be -1).") { o, a in
            let shape = a.rest.isEmpty ? try a[0].toShape("reshape: shape")
                : try ([a[0]] + a.rest).enumerated().map { try $1.toInt("reshape: size \($0)") }
            return result(try o.tensor.reshape(shape))
        }
        method("transpose", [NativeParameter("axis0", default: .int(-2), aliases: ["dim0"]), NativeParameter("axis1", default: .int(-1), aliases: ["dim1"])],
               doc: "x.transpose(axis0: -2, axis1: -1): two axes swapped (x.T swaps the last two).") { o, a in
            result(try o.tensor.transposed(a[0].toInt("transpose: axis0"), a[1].toInt("transpose: axis1")))
        }
        method("permute", [NativeParameter("axes", aliases: ["dims"])], variadic: true,
               doc: "x.permute([2, 0, 1]) or x.permute(2, 0, 1): the axes in a new order.") { o, a in
            let dims = a.rest.isEmpty ? try a[0].toShape("permute: axes")
                : try ([a[0]] + a.rest).map { try $0.toInt("permute: axis") }
            return result(try o.tensor.permute(dims))
        }
        method("flatten", doc: "x.flatten(): the elements as one axis.") { o, _ in result(o.tensor.flattened()) }
        method("squeeze", [axis(default: .nil)], doc: "x.squeeze(axis: nil): without the axis of size 1 (every such axis when nil).") { o, a in
            result(try o.tensor.squeezed(axis: optionalInt(a[0], "squeeze: axis")))
        }
        method("unsqueeze", [axis()], doc: "x.unsqueeze(axis): with a new axis of size 1 at that position.") { o, a in
            result(try o.tensor.unsqueezed(axis: a[0].toInt("unsqueeze: axis")))
        }
        method("gather", [axis(), NativeParameter("index")],
               doc: "x.gather(axis, index): the elements index picks along axis; Q(s, a) is q.gather(1, actions) with actions of shape [B, 1].") { o, a in
            result(try o.tensor.gather(axis: a[0].toInt("gather: axis"), a[1].toTensor("gather: index")))
        }
        method("index_select", [axis(), NativeParameter("indices", aliases: ["index"])],
               doc: "x.index_select(axis, [2, 0]): the slices at those indices along axis, in that order.") { o, a in
            let t = try a[1].toTensor("index_select: indices")
            return result(try o.tensor.indexSelect(axis: a[0].toInt("index_select: axis"), t.scalars.map { Int($0) }))
        }
        method("one_hot", [NativeParameter("classes", aliases: ["num_classes"])],
               doc: "x.one_hot(classes): each integer as a one-hot vector along a new last axis.") { o, a in
            result(try o.tensor.oneHot(classes: a[0].toInt("one_hot: classes")))
        }
        method("split", [NativeParameter("sizes", aliases: ["split_size"]), axis(default: .int(0))],
               doc: "x.split(sizes, axis: 0): a list of parts of the given sizes, or of n equal parts when sizes is a number.") { o, a in
            let axis = try a[1].toInt("split: axis")
            let parts: [Tensor]
            if case .int(let n) = a[0] { parts = try o.tensor.split(parts: n, axis: axis) } else {
                parts = try o.tensor.split(sizes: a[0].toShape("split: sizes"), axis: axis)
            }
            return .array(parts.map { .host(TensorObject($0)) })
        }
        method("matmul", [NativeParameter("other")], doc: "x.matmul(y): the matrix product x @ y.") { o, a in
            result(try o.tensor.matmul(a[0].toTensor("matmul: other")))
        }

        // MARK: Autodiff
        method("backward", [NativeParameter("gradient", default: .nil), NativeParameter("retain_graph", default: .bool(false))],
               doc: "loss.backward(): adds d(loss)/d(leaf) into the grad of every leaf the loss depends on.") { o, a in
            let g = a[0].isNil ? nil : try a[0].toTensor("backward: gradient")
            try o.tensor.backward(gradient: g, retainGraph: a[1].toBool("backward: retain_graph"))
            return .nil
        }
        method("detach", doc: "x.detach(): the same values, cut off from gradient tracking.") { o, _ in result(o.tensor.detached()) }
        method("requiring_grad", doc: "x.requiring_grad(): a copy that is a new leaf: backward() fills its grad.") { o, _ in
            result(o.tensor.requiringGrad())
        }
        method("zero_grad", doc: "w.zero_grad(): forgets the gradient accumulated in a leaf (w.grad becomes nil).") { o, _ in
            o.tensor.zeroGrad()
            return .nil
        }

        // MARK: Values
        method("item", doc: "x.item(): the single element of a one-element tensor, as a Float.") { o, _ in .float(Double(try o.tensor.item())) }
        method("tolist", doc: "x.tolist(): the elements as nested lists of Floats.") { o, _ in TensorObject.toList(o.tensor) }
        return table
    }
}
