/// An n-dimensional array of Float32 in row-major order, with reverse-mode autodiff.
///
/// A `Tensor` is a value: copying one is cheap (the element storage is shared) and writing
/// to a copy never changes the original (copy-on-write). Operations return new tensors and
/// throw a `TensorError` for a bad shape or argument, never trap.
///
/// Gradients: a tensor made with `requiringGrad()` is a *leaf*; every operation on tensors
/// that require gradients records a node on the tape, and `backward()` on a scalar result
/// accumulates d(result)/d(leaf) into each leaf's `grad`. Copies of a leaf share its
/// gradient (they are the same variable), which is how a parameter held by a layer and by
/// an optimizer stays one parameter.
///
/// Thread safety: tensor values may be shared and read across threads (storage is
/// reference-counted atomically and copied before any write, like `Array`); a computation
/// recorded on the tape, and its `backward()`, belong to one thread at a time.
public struct Tensor: @unchecked Sendable {
    @usableFromInline var storage: TensorStorage
    /// The size of each axis; `[]` for a scalar.
    public let shape: [Int]
    /// The tape node that produced this tensor (nil when it does not require gradients).
    @usableFromInline var node: GradNode?

    @inlinable
    init(storage: TensorStorage, shape: [Int], node: GradNode? = nil) {
        self.storage = storage
        self.shape = shape
        self.node = node
    }

    // MARK: - Basic properties

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The number of elements.
    @inlinable public var count: Int { storage.count }
    /// The element type, for printing (always Float32 for now).
    public var dtype: String { "float32" }

    /// The strides of a contiguous row-major layout of `shape`, in elements.
    @inlinable
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }

    /// Checks that `shape` has no negative size and a representable element count.
    @usableFromInline
    static func checkedCount(_ shape: [Int], op: String) throws -> Int {
        var n = 1
        for d in shape {
            if d < 0 { throw TensorError(op, "shape \(shapeString(shape)) has a negative size \(d)") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow || p > 1 << 40 {
                throw TensorError(op, "shape \(shapeString(shape)) has too many elements")
            }
            n = p
        }
        return n
    }

    // MARK: - Creation

    /// A tensor holding `values` in row-major order with the given shape.
    public init(_ values: [Float], shape: [Int]) throws {
        let n = try Tensor.checkedCount(shape, op: "Tensor")
        guard n == values.count else {
            throw TensorError("Tensor", "\(values.count) values cannot fill shape \(shapeString(shape)) (\(n) elements)")
        }
        let s = TensorStorage.make(count: n)
        values.withUnsafeBufferPointer { buf in
            if let base = buf.baseAddress { s.pointer.initialize(from: base, count: n) }
        }
        self.init(storage: s, shape: shape)
    }

    /// A 1-D tensor of `values`.
    public init(_ values: [Float]) {
        let s = TensorStorage.make(count: values.count)
        values.withUnsafeBufferPointer { buf in
            if let base = buf.baseAddress { s.pointer.initialize(from: base, count: values.count) }
        }
        self.init(storage: s, shape: [values.count])
    }

    /// A 2-D tensor from rows of equal length.
    public init(_ rows: [[Float]]) throws {
        let width = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() where row.count != width {
            throw TensorError("Tensor", "row \(i) has \(row.count) values but row 0 has \(width)")
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        self.init(storage: TensorStorage.filled(count: 1, value: value), shape: [])
    }

    /// A tensor of the given shape filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
        try full(shape, value, op: "full")
    }

    static func full(_ shape: [Int], _ value: Float, op: String) throws -> Tensor {
        let n = try checkedCount(shape, op: op)
        return Tensor(storage: TensorStorage.filled(count: n, value: value), shape: shape)
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, 0, op: "zeros") }
    /// Ones of the given shape.
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1, op: "ones") }

    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor {
        Tensor(storage: TensorStorage.zeros(count: other.count), shape: other.shape)
    }
    /// Ones with the shape of `other`.
    public static func ones(like other: Tensor) -> Tensor {
        Tensor(storage: TensorStorage.filled(count: other.count, value: 1), shape: other.shape)
    }

    /// `start, start + step, …` up to but excluding `end` (as `numpy.arange`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError("arange", "needs finite start, end and a non-zero step; got start \(start), end \(end), step \(step)")
        }
        let n = Swift.max(0, Int((Double(end - start) / Double(step)).rounded(.up)))
        guard n <= 1 << 32 else { throw TensorError("arange", "\(n) elements is too many") }
        let s = TensorStorage.make(count: n)
        let p = s.pointer
        for i in 0..<n { p[i] = start + Float(i) * step }
        return Tensor(storage: s, shape: [n])
    }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(_ start: Float, _ end: Float, count: Int) throws -> Tensor {
        guard count >= 0 else { throw TensorError("linspace", "count must be >= 0, got \(count)") }
        let s = TensorStorage.make(count: count)
        let p = s.pointer
        if count == 1 { p[0] = start }
        if count > 1 {
            let step = (Double(end) - Double(start)) / Double(count - 1)
            for i in 0..<count { p[i] = Float(Double(start) + Double(i) * step) }
            p[count - 1] = end
        }
        return Tensor(storage: s, shape: [count])
    }

    /// The n × n identity matrix.
    public static func eye(_ n: Int) throws -> Tensor {
        var t = try zeros([n, n])
        let p = t.mutablePointer()
        for i in 0..<n { p[i * n + i] = 1 }
        return t
    }

    // MARK: - Reading elements

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else {
            throw TensorError("item", "needs a tensor with exactly one element, got shape \(shapeString(shape))")
        }
        return storage.pointer[0]
    }

    /// The element at a full multi-index.
    public func element(at index: [Int]) throws -> Float {
        guard index.count == rank else {
            throw TensorError("element", "index of \(index.count) positions for a tensor of rank \(rank) \(shapeString(shape))")
        }
        var flat = 0
        for (axis, i) in index.enumerated() {
            guard i >= 0 && i < shape[axis] else {
                throw TensorError("element", "index \(i) is out of range for axis \(axis) of size \(shape[axis])")
            }
            flat = flat * shape[axis] + i
        }
        return storage.pointer[flat]
    }

    /// Calls `body` with the elements (read only).
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// Read-only pointer to the elements; valid while this tensor (or a copy) is alive.
    @inlinable
    var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    // MARK: - Writing elements (outside the tape)

    /// Makes the storage unique (copying it if it is shared) and returns its first element.
    @inlinable
    mutating func mutablePointer() -> UnsafeMutablePointer<Float> {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.clone() }
        return storage.pointer
    }

    /// Calls `body` with the elements to modify in place. Copies the storage first if another
    /// tensor shares it, so the change is seen by this tensor only. Not recorded on the tape.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        let p = mutablePointer()
        return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: p, count: count)) }
    }
}

// MARK: - Printing

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// NumPy-like text: nested brackets, at most 6 entries per axis shown at each end.
    public var description: String {
        var out = "tensor("
        format(into: &out, axis: 0, offset: 0, indent: 7)
        out += ", shape: \(shapeString(shape))"
        if let node {
            out += node.isLeaf ? ", requires_grad: true" : ", grad_fn: \(node.op == .custom ? node.label : node.op.rawValue)"
        }
        out += ")"
        return out
    }

    public var debugDescription: String { description }

    private static func formatScalar(_ v: Float) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded() && Swift.abs(v) < 1e7 { return String(Int(v)) + "." }
        let a = Swift.abs(v)
        if a >= 1e-4 && a < 1e6 {
            var s = String(format: "%.4f", Double(v))
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
        return String(format: "%.4e", Double(v))
    }

    private func format(into out: inout String, axis: Int, offset: Int, indent: Int) {
        if rank == 0 {
            out += Tensor.formatScalar(pointer[0])
            return
        }
        let n = shape[axis]
        let stride = shape[(axis + 1)...].reduce(1, *)
        let edge = 3
        let elided = n > 2 * edge
        out += "["
        var first = true
        for i in 0..<n {
            if elided && i == edge {
                out += axis == rank - 1 ? ", ..." : ",\n" + String(repeating: " ", count: indent + 1) + "..."
                continue
            }
            if elided && i > edge && i < n - edge { continue }
            if !first {
                out += axis == rank - 1 ? ", " : ",\n" + String(repeating: "\n", count: rank - axis - 2)
                    + String(repeating: " ", count: indent + 1)
            }
            first = false
            if axis == rank - 1 {
                out += Tensor.formatScalar(pointer[offset + i])
            } else {
                format(into: &out, axis: axis + 1, offset: offset + i * stride, indent: indent + 1)
            }
        }
        out += "]"
    }
}

#if canImport(Foundation)
import Foundation
#endif
