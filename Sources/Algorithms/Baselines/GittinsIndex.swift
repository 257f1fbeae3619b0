import TensorCore

/// The Gittins index strategy (Gittins 1979), in its finite-horizon form: pull the arm
/// with the largest index, where the index of an arm with posterior Beta(1 + s, 1 + f)
/// and h pulls left is the payout λ of a known "retirement" arm that makes us indifferent
/// between the two (calibration):
///
///     W_m(s, f; λ) = max( λ m,  p (1 + W_{m−1}(s + 1, f; λ)) + (1 − p) W_{m−1}(s, f + 1; λ) ),
///     W_0 = 0,   p = (1 + s)/(2 + s + f),
///     ν_h(s, f) = the λ with  p (1 + W_{h−1}(s + 1, f; λ)) + (1 − p) W_{h−1}(s, f + 1; λ) = λ h.
///
/// Gittins' theorem makes the index policy Bayes-optimal for the infinite-horizon
/// discounted problem; with n pulls and no discount it is an approximation (the arms'
/// indices see the remaining horizon, but not that the other arms share it). RL² used
/// Gittins indices as its strongest baseline; we use the undiscounted finite-horizon
/// calibration above, found by bisection to 1e-9, which needs no discount to be chosen.
public struct GittinsIndex: BanditStrategy {
    private var cache: [Key: Double] = [:]
    private struct Key: Hashable { let s: Int, f: Int, h: Int }

    public init() {}
    public var name: String { "Gittins" }

    /// ν_h(s, f): the index of an arm with s successes and f failures and h ≥ 1 pulls left.
    public mutating func index(successes s: Int, failures f: Int, pullsLeft h: Int) -> Double {
        let key = Key(s: s, f: f, h: h)
        if let v = cache[key] { return v }
        var low = 0.0, high = 1.0
        for _ in 0..<40 {
            let lambda = (low + high) / 2
            if GittinsIndex.continuationValue(s, f, h, lambda) > lambda * Double(h) { low = lambda } else { high = lambda }
        }
        let v = (low + high) / 2
        cache[key] = v
        return v
    }

    /// The value of pulling now and then stopping optimally (retiring at λ per pull) for the
    /// rest of h pulls: the left side of the calibration equation.
    static func continuationValue(_ s: Int, _ f: Int, _ h: Int, _ lambda: Double) -> Double {
        // W over the states reachable after the pull, from the last pull back: at depth d
        // (pulls made after this one) w[i] = W_{h−1−d}(s + i, f + d − i); at depth h − 1 it is 0.
        var w = [Double](repeating: 0, count: h + 1)
        for d in stride(from: h - 1, through: 1, by: -1) {
            let m = h - d                                             // pulls left at depth d
            var next = [Double](repeating: 0, count: d + 1)
            for i in 0...d {
                let p = Double(1 + s + i) / Double(2 + s + f + d)
                next[i] = Swift.max(lambda * Double(m), p * (1 + w[i + 1]) + (1 - p) * w[i])
            }
            w = next + [0]
        }
        let p = Double(1 + s) / Double(2 + s + f)
        return h >= 2 ? p * (1 + w[1]) + (1 - p) * w[0] : p
    }

    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        let indices = (0..<counts.arms).map {
            index(successes: counts.successes[$0], failures: counts.failures[$0], pullsLeft: pullsLeft)
        }
        return argmaxBreakingTies(indices, rng: &rng)
    }
}
