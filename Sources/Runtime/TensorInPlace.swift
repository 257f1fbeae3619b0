import Language
import TensorCore

// Updates of a tensor variable in place, as PyTorch's custom training loops write them:
// `w -= lr * w.grad` inside `no_grad`, `x[mask] = 0`. The variable keeps its identity (the
// script object, and for a leaf its autodiff node, so it stays trainable and keeps
// receiving gradients); only its values change.

/// `target op= other` (`+= -= *= /=`). Returns false for an operand that is not numeric
/// (the language then tries `target = target op other`).
///
/// - A leaf that requires gradients (a parameter) has its elements overwritten, and only
///   outside gradient recording: recording an update of a leaf would make the next
///   `backward()` differentiate through the optimizer step (PyTorch refuses it too).
/// - Any other tensor takes the result, which is recorded on the tape when gradient
///   recording is on (so `h += x` inside a forward pass still differentiates).
///
/// The result must keep the target's shape: broadcasting may not grow a variable.
func updateInPlace(_ target: inout Tensor, _ op: BinaryOperator, _ other: Value, what: String) throws -> Bool {
    let o: Tensor
    switch other {
    case .host(let h as TensorObject): o = h.tensor
    case .host(let p as ParameterObject): o = p.parameter.value
    case .int, .float, .bool, .list: o = try other.toTensor("the right side of '\(op.rawValue)='")
    default: return false
    }
    let isLeaf = target.isLeafVariable
    if isLeaf, GradMode.isEnabled {
        throw HostError("cannot update \(what) in place with '\(op.rawValue)=' while gradients are recorded: it is a leaf that requires grad",
                        help: ["update parameters inside no_grad: no_grad(fn() { w \(op.rawValue)= … })",
                               "or make a new tensor instead: w = w \(op.rawValue) …"])
    }
    let r: Tensor
    switch op {
    case .add: r = try target + o
    case .subtract: r = try target - o
    case .multiply: r = try target * o
    case .divide: r = try target / o
    case .power: r = try Tensor.pow(target, o)
    case .matmul: r = try target.matmul(o)
    default: return false
    }
    guard r.shape == target.shape else {
        throw HostError("'\(op.rawValue)=' cannot update \(what) of shape \(shapeString(target.shape)) in place: the result has shape \(shapeString(r.shape))",
                        help: ["write x = x \(op.rawValue) … to make a new tensor of the broadcast shape"])
    }
    if isLeaf { try target.assign(r) } else { target = r }
    return true
}

// MARK: - Subscripts

/// A tensor subscript that is a boolean mask (`x[x > 0]`): a tensor of rank ≥ 1 holding only
/// 0 and 1, of the shape of the indexed tensor's leading axes.
func booleanMask(_ indices: [SliceIndex], for x: Tensor) throws -> Tensor? {
    var mask: Tensor?
    for entry in indices {
        guard case .index(.host(let m as TensorObject)) = entry, m.tensor.rank > 0 else { continue }
        guard indices.count == 1 else {
            throw HostError("a boolean mask must be the only subscript, as in x[mask]",
                            help: ["select first and then index: x[mask][:, 0]"])
        }
        mask = m.tensor
    }
    guard let mask else { return nil }
    let notBoolean = mask.withUnsafeBufferPointer { p in p.first { $0 != 0 && $0 != 1 } }
    if let v = notBoolean {
        throw HostError("a tensor subscript is a boolean mask of 0s and 1s (such as x > 0), but this one holds \(v)",
                        help: ["to pick slices by number, use x.index_select(axis, [2, 0])"])
    }
    let prefix = Array(x.shape.prefix(mask.rank))
    guard mask.rank <= x.rank, prefix == mask.shape else {
        throw HostError("the boolean mask of shape \(shapeString(mask.shape)) does not fit the tensor of shape \(shapeString(x.shape))",
                        help: ["a mask has the shape of the tensor or of its leading axes, e.g. \(shapeString(x.shape)) or \(shapeString(Array(x.shape.prefix(1))))"])
    }
    return mask
}

/// `x[mask]` and `x.masked_select(mask)`.
func maskedSelect(_ x: Tensor, _ mask: Tensor, what: String) throws -> Tensor {
    guard let m = try booleanMask([.index(.host(TensorObject(mask)))], for: x) else {
        throw HostError("\(what) must be a tensor of rank 1 or more, got shape \(shapeString(mask.shape))")
    }
    return try x.maskedSelect(m)
}

/// `x[indices] = value`: the elements the subscript selects take `value` (broadcast to the
/// selection's shape). Updates `target` in place when nothing is recorded; otherwise
/// records `where(selected, value scattered, target)`, so gradients reach both the kept
/// elements and the value.
func assignSubscript(_ target: inout Tensor, _ indices: [SliceIndex], _ value: Value) throws {
    let v = try value.toTensor("the value assigned to a tensor subscript")
    // The flat positions the subscript selects, in the selection's shape.
    let positions: [Int], selection: [Int]
    if let mask = try booleanMask(indices, for: target) {
        let inner = target.shape[mask.rank...].reduce(1, *)
        var rows: [Int] = []
        mask.withUnsafeBufferPointer { p in for i in p.indices where p[i] != 0 { rows.append(i) } }
        positions = rows.flatMap { r in (r * inner)..<((r + 1) * inner) }
        selection = [rows.count] + target.shape[mask.rank...]
    } else {
        guard target.count < 1 << 24 else { throw HostError("subscript assignment supports tensors of up to 2²⁴ elements") }
        let ids = try Tensor.arange(0, Float(target.count)).reshape(target.shape).slice(TensorObject.tensorIndices(indices))
        positions = ids.scalars.map { Int($0) }
        selection = ids.shape
    }
    let values: Tensor
    do { values = try v.broadcast(to: selection) } catch {
        throw HostError("cannot assign a value of shape \(shapeString(v.shape)) to a selection of shape \(shapeString(selection))")
    }
    let isLeaf = target.isLeafVariable
    if GradMode.isEnabled, isLeaf {
        throw HostError("cannot assign into a leaf that requires grad while gradients are recorded",
                        help: ["change parameters inside no_grad: no_grad(fn() { w[mask] = 0 })"])
    }
    if GradMode.isEnabled, target.requiresGrad || values.requiresGrad {
        let index = Tensor(positions.map { Float($0) })
        let scattered = try Tensor.zeros([target.count]).scatterAdd(axis: 0, index, values.reshape([-1]))
        let covered = try Tensor.zeros([target.count]).scatterAdd(axis: 0, index, Tensor.ones(like: index))
        target = try Tensor.where(covered.reshape(target.shape), scattered.reshape(target.shape), target)
        return
    }
    values.withUnsafeBufferPointer { q in
        target.withUnsafeMutableBufferPointer { p in
            for (j, i) in positions.enumerated() { p[i] = q[j] }
        }
    }
}
