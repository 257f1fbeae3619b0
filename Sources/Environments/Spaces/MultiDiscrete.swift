import TensorCore

/// Gymnasium's `MultiDiscrete(nvec)`: integer vectors whose i-th element lies in
/// `0 ..< nvec[i]` (for example a card's colour and rank).
public struct MultiDiscrete: Sendable, Hashable, CustomStringConvertible {
    /// The number of values of each element.
    public let nvec: [Int]

    public init(_ nvec: [Int]) {
        precondition(nvec.allSatisfy { $0 >= 1 }, "MultiDiscrete needs every n >= 1, got \(nvec)")
        self.nvec = nvec
    }

    /// A uniformly random element.
    public func sample(_ rng: inout RNG) -> [Int] {
        nvec.map { rng.int(below: $0) }
    }

    /// Whether `x` has the right length and each entry is in range.
    public func contains(_ x: [Int]) -> Bool {
        x.count == nvec.count && zip(x, nvec).allSatisfy { $0 >= 0 && $0 < $1 }
    }

    /// The size of the concatenated one-hot encoding (the sum of `nvec`).
    public var oneHotSize: Int { nvec.reduce(0, +) }

    /// The concatenated one-hot encoding of `x`, as Memento's observations carry it.
    public func oneHot(_ x: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: oneHotSize)
        var offset = 0
        for (v, n) in zip(x, nvec) {
            out[offset + v] = 1
            offset += n
        }
        return out
    }

    public var description: String { "MultiDiscrete(\(nvec))" }
}
