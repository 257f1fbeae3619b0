import TensorCore

/// Pulls an arm uniformly at random: the floor of the table, n/2 in expectation on
/// bandits drawn from U[0, 1].
public struct RandomArm: BanditStrategy {
    public init() {}
    public var name: String { "random" }
    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        rng.int(below: counts.arms)
    }
}
