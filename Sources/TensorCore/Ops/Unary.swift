import CBLAS
import Foundation

// Element-wise functions of one tensor. `unary` computes y = f(x) and records the rule
// dL/dx = dL/dy · f'(x, y), where the derivative may use the input x, the output y, or both.

extension Tensor {
    @inlinable
    func unary(_ op: Op, _ f: (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        let storage = Tensor.mapStorage(self, f)
        guard node != nil, GradMode.isEnabled else { return Tensor(storage: storage, shape: shape) }
        let x = self
        let y = Tensor(storage: storage, shape: shape)
        return Tensor.record(op, storage, shape, x) { g in
            x.node?.accumulate(Tensor.gradTerm(g, x, y) { g, x, y in g * derivative(x, y) })
        }
    }

    // MARK: - With a scalar

    /// `self + s`.
    public func adding(_ s: Float) -> Tensor { unary(.addScalar, { $0 + s }, derivative: { _, _ in 1 }) }
    /// `self * s`.
    public func scaled(by s: Float) -> Tensor { unary(.mulScalar, { $0 * s }, derivative: { _, _ in s }) }
    /// `s - self`.
    public func subtracted(from s: Float) -> Tensor { unary(.rsubScalar, { s - $0 }, derivative: { _, _ in -1 }) }
    /// `s / self`.
    public func dividing(_ s: Float) -> Tensor { unary(.rdivScalar, { s / $0 }, derivative: { x, y in -y / x }) }
    /// `self` to the power `p`.
    public func pow(_ p: Float) -> Tensor {
        if p == 2 { return square() }
        return unary(.powScalar, { Foundation.pow($0, p) }, derivative: { x, _ in p == 0 ? 0 : p * Foundation.pow(x, p - 1) })
    }

    // MARK: - Functions

    public func neg() -> Tensor { unary(.neg, { -$0 }, derivative: { _, _ in -1 }) }
    public func square() -> Tensor { unary(.square, { $0 * $0 }, derivative: { x, _ in 2 * x }) }
    public func exp() -> Tensor {
        let storage = Tensor.kernelStorage(self) { memento_vexp($0, $1, $2) }
        return withOutputRule(.exp, storage) { g, _, y in
            let dx = TensorStorage.make(count: y.count)
            let pg = g.pointer, py = y.pointer, pd = dx.pointer
            Parallel.forChunks(y.count) { r in for i in r { pd[i] = pg[i] * py[i] } }
            withExtendedLifetime((y, g)) {}
            return Tensor(storage: dx, shape: y.shape)
        }
    }
    /// Natural logarithm.
    public func log() -> Tensor { unary(.log, { Foundation.log($0) }, derivative: { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary(.sqrt, { $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }
    public func sin() -> Tensor { unary(.sin, { Foundation.sin($0) }, derivative: { x, _ in Foundation.cos(x) }) }
    public func cos() -> Tensor { unary(.cos, { Foundation.cos($0) }, derivative: { x, _ in -Foundation.sin(x) }) }
    public func tanh() -> Tensor {
        let storage = Tensor.kernelStorage(self) { memento_vtanh($0, $1, $2) }
        return withOutputRule(.tanh, storage) { g, _, y in Tensor.gradTerm(g, y, y) { g, y, _ in g * (1 - y * y) } }
    }
    /// The logistic function 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        let storage = Tensor.kernelStorage(self) { memento_vsigmoid($0, $1, $2) }
        return withOutputRule(.sigmoid, storage) { g, _, y in Tensor.gradTerm(g, y, y) { g, y, _ in g * y * (1 - y) } }
    }
    public func relu() -> Tensor {
        // Written out rather than through `unary`: an MLP's activations are its largest
        // element-wise tensors, and a loop without a closure call per element vectorises.
        let out = TensorStorage.make(count: count)
        let px = pointer, po = out.pointer
        Parallel.forChunks(count) { r in for i in r { po[i] = px[i] > 0 ? px[i] : 0 } }
        withExtendedLifetime(self) {}
        return withOutputRule(.relu, out) { g, x, _ in
            let dx = TensorStorage.make(count: x.count)
            let pg = g.pointer, px = x.pointer, pd = dx.pointer
            Parallel.forChunks(x.count) { r in for i in r { pd[i] = pg[i] * (px[i] > 0 ? 1 : 0) } }
            withExtendedLifetime((x, g)) {}
            return Tensor(storage: dx, shape: x.shape)
        }
    }
    /// max(x, slope · x).
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        unary(.leakyRelu, { $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }
    public func abs() -> Tensor { unary(.abs, { Swift.abs($0) }, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
    /// log(1 + e^x), computed without overflow; its derivative is the sigmoid.
    public func softplus() -> Tensor {
        unary(.softplus, { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) },
              derivative: { x, _ in Tensor.sigmoid(x) })
    }

    /// GELU with the exact Gaussian CDF, x·Φ(x) (PyTorch's default); with `approximate`,
    /// the tanh form of GPT-2.
    public func gelu(approximate: Bool = false) -> Tensor {
        if approximate {
            let c: Float = 0.797_884_560_8  // √(2/π)
            return unary(.geluTanh, { x in 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) },
                         derivative: { x, _ in
                             let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
                             return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
                         })
        }
        let storage = Tensor.kernelStorage(self) { memento_vgelu($0, $1, $2) }
        return withOutputRule(.gelu, storage) { g, x, _ in
            let dx = TensorStorage.make(count: x.count)
            let px = x.pointer, pg = g.pointer, pd = dx.pointer
            Parallel.forChunks(x.count) { r in memento_vgelu_backward(px + r.lowerBound, pg + r.lowerBound, pd + r.lowerBound, r.count) }
            withExtendedLifetime((x, g)) {}
            return Tensor(storage: dx, shape: x.shape)
        }
    }

    /// Records an element-wise op whose output `storage` is already computed; `rule` maps
    /// (dL/dy, x, y) to dL/dx.
    @inlinable
    func withOutputRule(_ op: Op, _ storage: TensorStorage, _ rule: @escaping (Tensor, Tensor, Tensor) -> Tensor) -> Tensor {
        guard node != nil, GradMode.isEnabled else { return Tensor(storage: storage, shape: shape) }
        let x = self
        let y = Tensor(storage: storage, shape: shape)
        return Tensor.record(op, storage, shape, x) { g in x.node?.accumulate(rule(g, x, y)) }
    }

    /// Each element limited to [min, max]; the gradient passes where the input was inside.
    public func clamp(min lo: Float = -.infinity, max hi: Float = .infinity) throws -> Tensor {
        guard !(lo > hi) else { throw TensorError("clamp", "min \(lo) is greater than max \(hi)") }
        return unary(.clamp, { Swift.min(Swift.max($0, lo), hi) }, derivative: { x, _ in x >= lo && x <= hi ? 1 : 0 })
    }

    @inlinable
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}

// MARK: - In-place updates (outside the tape)

extension Tensor {
    /// Refuses in-place writes that would corrupt a recorded computation.
    @usableFromInline
    func checkInPlace(_ op: String) throws {
        if let node, !node.isLeaf, GradMode.isEnabled {
            throw TensorError(op, "cannot update in place a tensor computed with gradient tracking (\(node.op.rawValue)); write `x = x + y`, or detach it first")
        }
    }

    /// `self += alpha * other` in place (other broadcasts to self's shape); keeps this
    /// tensor's identity as a variable, records nothing. Used by optimizers.
    public mutating func addInPlace(_ other: Tensor, alpha: Float = 1) throws {
        try checkInPlace("addInPlace")
        let shape = try Tensor.broadcastShape(self.shape, other.shape, op: "addInPlace")
        guard shape == self.shape else {
            throw TensorError("addInPlace", "cannot add shape \(shapeString(other.shape)) into \(shapeString(self.shape)) in place")
        }
        if alpha == 1 { addInPlaceUnchecked(other); return }
        addInPlaceUnchecked(Tensor(storage: Tensor.mapStorage(other) { $0 * alpha }, shape: other.shape))
    }

    /// Multiplies every element by `s` in place.
    public mutating func scaleInPlace(_ s: Float) throws {
        try checkInPlace("scaleInPlace")
        let p = mutablePointer()
        for i in 0..<count { p[i] *= s }
    }

    /// Overwrites the elements with those of `other` (same shape), in place.
    public mutating func assign(_ other: Tensor) throws {
        try checkInPlace("assign")
        guard other.shape == shape else {
            throw TensorError("assign", "cannot assign shape \(shapeString(other.shape)) to \(shapeString(shape))")
        }
        let p = mutablePointer()
        p.update(from: other.pointer, count: count)
        withExtendedLifetime(other) {}
    }

    /// Applies `f` to every element in place.
    public mutating func apply(_ f: (Float) -> Float) throws {
        try checkInPlace("apply")
        let p = mutablePointer()
        for i in 0..<count { p[i] = f(p[i]) }
    }

    public static func += (a: inout Tensor, b: Tensor) throws { try a.addInPlace(b) }
    public static func -= (a: inout Tensor, b: Tensor) throws { try a.addInPlace(b, alpha: -1) }
    public static func *= (a: inout Tensor, s: Float) throws { try a.scaleInPlace(s) }
}
