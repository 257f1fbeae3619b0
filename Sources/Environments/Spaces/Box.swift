import TensorCore

/// Gymnasium's `Box(low, high, shape)`: real vectors with per-element bounds, stored flat
/// in row-major order with their `shape` recorded (observations are flat `[Float]`s).
public struct Box: Sendable, Equatable, CustomStringConvertible {
    /// Lower bounds, one per element (may be `-.infinity`).
    public let low: [Float]
    /// Upper bounds, one per element (may be `.infinity`).
    public let high: [Float]
    /// The logical shape; its product is `low.count`.
    public let shape: [Int]

    /// A box with per-element bounds; `shape` defaults to `[low.count]`.
    public init(low: [Float], high: [Float], shape: [Int]? = nil) {
        precondition(low.count == high.count, "Box bounds differ in length: \(low.count) vs \(high.count)")
        let shape = shape ?? [low.count]
        precondition(shape.reduce(1, *) == low.count, "Box shape \(shape) does not hold \(low.count) elements")
        self.low = low
        self.high = high
        self.shape = shape
    }

    /// A box checked without trapping, for bounds that come from user input: the bounds
    /// must have equal lengths matching `shape`, and no lower bound may exceed its upper one.
    public init(validatingLow low: [Float], high: [Float], shape: [Int]? = nil) throws(EnvironmentError) {
        let shape = shape ?? [low.count]
        if low.count != high.count || shape.contains(where: { $0 < 0 }) || shape.reduce(1, *) != low.count {
            throw .invalidArgument(environment: "Box", argument: "shape", value: "\(shape) with \(low.count) and \(high.count) bounds",
                                   allowed: "bounds of equal length, the product of the shape")
        }
        if let i = low.indices.first(where: { !(low[$0] <= high[$0]) }) {
            throw .invalidArgument(environment: "Box", argument: "low[\(i)]", value: "\(low[i]) > high \(high[i])",
                                   allowed: "low <= high, neither NaN")
        }
        self.init(low: low, high: high, shape: shape)
    }

    /// A box of the given shape with the same bounds for every element.
    public init(low: Float, high: Float, shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(low: Array(repeating: low, count: count),
                  high: Array(repeating: high, count: count), shape: shape)
    }

    /// The number of elements (the product of `shape`).
    @inlinable
    public var size: Int { low.count }

    /// A random element: uniform where both bounds are finite, normal where both are
    /// infinite, and shifted exponential where one is (Gymnasium's rule).
    public func sample(_ rng: inout RNG) -> [Float] {
        (0..<size).map { i in
            let lo = low[i], hi = high[i]
            switch (lo.isFinite, hi.isFinite) {
            case (true, true): return lo == hi ? lo : rng.uniform(lo, hi)
            case (false, false): return rng.normal()
            case (true, false): return lo - Float(log(1 - rng.uniformDouble()))
            case (false, true): return hi + Float(log(1 - rng.uniformDouble()))
            }
        }
    }

    /// Whether `x` has the right size, is not NaN, and lies within the bounds.
    public func contains(_ x: [Float]) -> Bool {
        x.withUnsafeBufferPointer { contains($0) }
    }

    /// Whether the buffer `x` has the right size and lies within the bounds.
    public func contains(_ x: UnsafeBufferPointer<Float>) -> Bool {
        guard x.count == size else { return false }
        for i in 0..<size where !(x[i] >= low[i] && x[i] <= high[i]) { return false }
        return true
    }

    /// Two boxes side by side (flat): the bounds of `self` followed by those of `other`.
    public func concatenated(with other: Box) -> Box {
        Box(low: low + other.low, high: high + other.high)
    }

    public var description: String {
        let lo = Set(low), hi = Set(high)
        if lo.count == 1, hi.count == 1 {
            return "Box(\(lo.first!), \(hi.first!), shape: \(shape))"
        }
        return "Box(low: \(low), high: \(high), shape: \(shape))"
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
