import Foundation
import TensorCore

/// UCB1 (Auer, Cesa-Bianchi & Fischer, "Finite-time analysis of the multiarmed bandit
/// problem", Machine Learning 2002): pull every arm once, then the arm with the largest
///
///     x̄ᵢ + c √(2 ln t / nᵢ)
///
/// where x̄ᵢ = sᵢ/nᵢ is arm i's empirical mean, nᵢ its pulls and t the pulls so far; c = 1
/// is the paper's bound. RL² tuned c per setting; ties go to a random arm.
public struct UCB1: BanditStrategy {
    /// c, the weight of the exploration bonus.
    public let c: Double

    /// Throws unless c ≥ 0.
    public init(c: Double = 1) throws {
        guard c >= 0 && c.isFinite else { throw BanditError("UCB1: c must be a finite number >= 0, got \(c)") }
        self.c = c
    }

    public var name: String { c == 1 ? "UCB1" : "UCB1 (c = \(c))" }

    /// The upper confidence bound of `arm` (+∞ for an arm never pulled).
    public func bound(_ counts: BanditCounts, arm: Int) -> Double {
        let n = counts.pulls(arm)
        guard n > 0 else { return .infinity }
        let mean = Double(counts.successes[arm]) / Double(n)
        return mean + c * (2 * log(Double(counts.total)) / Double(n)).squareRoot()
    }

    public mutating func choose(_ counts: BanditCounts, pullsLeft: Int, rng: inout RNG) throws -> Int {
        let bounds = (0..<counts.arms).map { bound(counts, arm: $0) }
        let unpulled = bounds.indices.filter { bounds[$0] == .infinity }
        if !unpulled.isEmpty { return unpulled[rng.int(below: unpulled.count)] }
        return argmaxBreakingTies(bounds, rng: &rng)
    }
}
