/// Advantages shifted to mean 0 and scaled to standard deviation 1 (with the unbiased
/// estimate of the standard deviation and ε = 1e-8 added to it, as CleanRL and Stable
/// Baselines do per minibatch): it keeps the policy gradient's scale independent of the
/// rewards' scale. A single value becomes 0.
public func normalizedAdvantages(_ x: [Float]) -> [Float] {
    guard x.count > 1 else { return [Float](repeating: 0, count: x.count) }
    var mean = 0.0
    for v in x { mean += Double(v) }
    mean /= Double(x.count)
    var squares = 0.0
    for v in x { squares += (Double(v) - mean) * (Double(v) - mean) }
    let std = (squares / Double(x.count - 1)).squareRoot()
    return x.map { Float((Double($0) - mean) / (std + 1e-8)) }
}
