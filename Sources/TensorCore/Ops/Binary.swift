#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Element-wise operations of two tensors, with NumPy broadcasting. Each op's gradient rule
// is the closure passed to `record`, right below its forward computation. A gradient is
// summed back over the axes an input was broadcast along (`sumToShape`).

extension Tensor {
    @inlinable
    static func binary(
        _ op: Op, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float,
        backward: @escaping (_ g: Tensor, _ out: Tensor) -> Void
    ) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape, op: op.rawValue)
        let storage = zipBroadcast(a, b, outShape: shape, f)
        let value = Tensor(storage: storage, shape: shape)
        return record(op, storage, shape, a, b) { g in backward(g, value) }
    }

    /// Element-wise `g ⊙ f(x, y)` where `g` has the output shape and x, y broadcast into it.
    @usableFromInline
    static func gradTerm(_ g: Tensor, _ x: Tensor, _ y: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
        Tensor(storage: zip3Broadcast(g, x, y, outShape: g.shape, f), shape: g.shape)
    }

    /// `a + b`, broadcasting.
    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.add, a, b, +) { g, _ in
            a.node?.accumulate(g.sumToShape(a.shape))
            b.node?.accumulate(g.sumToShape(b.shape))
        }
    }

    /// `a - b`, broadcasting.
    public static func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.sub, a, b, -) { g, _ in
            a.node?.accumulate(g.sumToShape(a.shape))
            if let nb = b.node { nb.accumulate(Tensor(storage: mapStorage(g, -), shape: g.shape).sumToShape(b.shape)) }
        }
    }

    /// `a * b` element-wise, broadcasting.
    public static func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.mul, a, b, *) { g, _ in
            if let na = a.node { na.accumulate(Tensor(storage: zipBroadcast(g, b, outShape: g.shape, *), shape: g.shape).sumToShape(a.shape)) }
            if let nb = b.node { nb.accumulate(Tensor(storage: zipBroadcast(g, a, outShape: g.shape, *), shape: g.shape).sumToShape(b.shape)) }
        }
    }

    /// `a / b` element-wise, broadcasting.
    public static func div(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.div, a, b, /) { g, out in
            if let na = a.node { na.accumulate(Tensor(storage: zipBroadcast(g, b, outShape: g.shape, /), shape: g.shape).sumToShape(a.shape)) }
            // d(a/b)/db = -(a/b)/b
            if let nb = b.node { nb.accumulate(gradTerm(g, out, b) { g, q, b in -g * q / b }.sumToShape(b.shape)) }
        }
    }

    /// `a` to the power `b` element-wise, broadcasting.
    public static func pow(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.pow, a, b, { Foundation.pow($0, $1) }) { g, out in
            if let na = a.node {
                na.accumulate(gradTerm(g, a, b) { g, a, b in b == 0 ? 0 : g * b * Foundation.pow(a, b - 1) }.sumToShape(a.shape))
            }
            if let nb = b.node {
                nb.accumulate(gradTerm(g, out, a) { g, y, a in a > 0 ? g * y * Foundation.log(a) : 0 }.sumToShape(b.shape))
            }
        }
    }

    /// The larger of `a` and `b` element-wise (gradient to `a` on ties).
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.maximum, a, b, { $0 >= $1 ? $0 : $1 }) { g, _ in
            if let na = a.node { na.accumulate(gradTerm(g, a, b) { g, a, b in a >= b ? g : 0 }.sumToShape(a.shape)) }
            if let nb = b.node { nb.accumulate(gradTerm(g, a, b) { g, a, b in a >= b ? 0 : g }.sumToShape(b.shape)) }
        }
    }

    /// The smaller of `a` and `b` element-wise (gradient to `a` on ties).
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try binary(.minimum, a, b, { $0 <= $1 ? $0 : $1 }) { g, _ in
            if let na = a.node { na.accumulate(gradTerm(g, a, b) { g, a, b in a <= b ? g : 0 }.sumToShape(a.shape)) }
            if let nb = b.node { nb.accumulate(gradTerm(g, a, b) { g, a, b in a <= b ? 0 : g }.sumToShape(b.shape)) }
        }
    }

    // MARK: - Selection

    /// `a` where `condition` is non-zero, else `b`; all three broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let ab = try broadcastShape(a.shape, b.shape, op: "where")
        let shape = try broadcastShape(condition.shape, ab, op: "where")
        let storage = zip3Broadcast(condition, a, b, outShape: shape) { c, x, y in c != 0 ? x : y }
        let cond = condition.detached()
        return record(.whereSelect, storage, shape, a, b) { g in
            if let na = a.node { na.accumulate(gradTerm(g, cond, cond) { g, c, _ in c != 0 ? g : 0 }.sumToShape(a.shape)) }
            if let nb = b.node { nb.accumulate(gradTerm(g, cond, cond) { g, c, _ in c != 0 ? 0 : g }.sumToShape(b.shape)) }
        }
    }

    /// `self` with `value` wherever `mask` is non-zero (mask broadcasts to self's shape).
    public func maskedFill(_ mask: Tensor, _ value: Float) throws -> Tensor {
        let shape = try Tensor.broadcastShape(mask.shape, self.shape, op: "maskedFill")
        guard shape == self.shape else {
            throw TensorError("maskedFill", "mask of shape \(shapeString(mask.shape)) does not broadcast to \(shapeString(self.shape))")
        }
        return try Tensor.where(mask, Tensor(value), self)
    }

    // MARK: - Comparisons (no gradient; 1 for true, 0 for false)

    @inlinable
    static func compare(_ name: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Bool) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape, op: name)
        return Tensor(storage: zipBroadcast(a, b, outShape: shape) { f($0, $1) ? 1 : 0 }, shape: shape)
    }

    public static func eq(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("==", a, b, ==) }
    public static func ne(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("!=", a, b, !=) }
    public static func lt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("<", a, b, <) }
    public static func le(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("<=", a, b, <=) }
    public static func gt(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(">", a, b, >) }
    public static func ge(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare(">=", a, b, >=) }
    /// Logical and / or of non-zero tests.
    public static func logicalAnd(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("and", a, b) { $0 != 0 && $1 != 0 } }
    public static func logicalOr(_ a: Tensor, _ b: Tensor) throws -> Tensor { try compare("or", a, b) { $0 != 0 || $1 != 0 } }
    /// 1 where the element is zero, else 0.
    public func logicalNot() -> Tensor { Tensor(storage: Tensor.mapStorage(self) { $0 == 0 ? 1 : 0 }, shape: shape) }

    /// Whether both tensors have the same shape and every pair of elements differs by at
    /// most `atol + rtol * |other|` (as `numpy.allclose`).
    public func isClose(to other: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        guard shape == other.shape else { return false }
        let p = pointer, q = other.pointer
        for i in 0..<count {
            let a = p[i], b = q[i]
            if a.isNaN || b.isNaN { return false }
            if a == b { continue }
            if Swift.abs(a - b) > atol + rtol * Swift.abs(b) { return false }
        }
        return true
    }
}

// MARK: - Operators

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try add(a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try sub(a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try mul(a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try div(a, b) }
    public static prefix func - (a: Tensor) -> Tensor { a.neg() }

    public static func + (a: Tensor, s: Float) -> Tensor { a.adding(s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.adding(s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.adding(-s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.subtracted(from: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(by: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.scaled(by: s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.scaled(by: 1 / s) }
    public static func / (s: Float, a: Tensor) -> Tensor { a.dividing(s) }
}

import Foundation
