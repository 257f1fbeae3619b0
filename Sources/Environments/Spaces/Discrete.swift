import TensorCore

/// Gymnasium's `Discrete(n, start)`: the integers `start ..< start + n`.
public struct Discrete: Sendable, Hashable, CustomStringConvertible {
    /// The number of elements.
    public let n: Int
    /// The smallest element (0 unless stated).
    public let start: Int

    /// The space `start ..< start + n`; `n` must be at least 1.
    public init(_ n: Int, start: Int = 0) {
        precondition(n >= 1, "Discrete needs n >= 1, got \(n)")
        self.n = n
        self.start = start
    }

    /// The space `start ..< start + n`, or a thrown error when `n` < 1 (for sizes that come
    /// from user input, such as a script-defined environment).
    public init(validating n: Int, start: Int = 0) throws(EnvironmentError) {
        try EnvironmentError.require(n, atLeast: 1, "n", in: "Discrete")
        self.init(n, start: start)
    }

    /// A uniformly random element.
    @inlinable
    public func sample(_ rng: inout RNG) -> Int {
        start + rng.int(below: n)
    }

    /// Whether `x` is an element.
    @inlinable
    public func contains(_ x: Int) -> Bool {
        x >= start && x < start + n
    }

    /// The elements, for messages: "0, 1 or 2", "0 ..< 30".
    public var allowedDescription: String {
        if n == 1 { return "\(start)" }
        if n <= 6 {
            let values = (start..<start + n).map(String.init)
            return values.dropLast().joined(separator: ", ") + " or " + values.last!
        }
        return "an integer in \(start) ..< \(start + n)"
    }

    public var description: String {
        start == 0 ? "Discrete(\(n))" : "Discrete(\(n), start: \(start))"
    }
}
