import Environments
import Foundation

// Exact baselines for the Tiger problem (Kaelbling, Littman & Cassandra, "Planning and
// acting in partially observable stochastic domains", Artificial Intelligence 1998).
//
// Belief: b = P(tiger behind the left door | history). Opening a door ends the episode, so
// only listening updates the belief, by Bayes' rule with the listen accuracy p:
//
//     b′ = b p / (b p + (1 − b)(1 − p))            after a growl on the left
//     b′ = b (1 − p) / (b (1 − p) + (1 − b) p)      after a growl on the right
//
// From the prior b₀ the belief depends on the history only through d = (#left growls −
// #right growls), so the beliefs reachable within H steps are b(d) for |d| ≤ H, and value
// iteration over them is exact. With h steps left before the time limit (V₀ = 0):
//
//     Q_h(d, open left)  = b(d) R_tiger + (1 − b(d)) R_treasure
//     Q_h(d, open right) = b(d) R_treasure + (1 − b(d)) R_tiger
//     Q_h(d, listen)     = R_listen + P(left | d) V_{h−1}(d + 1) + P(right | d) V_{h−1}(d − 1)
//     V_h(d) = max_a Q_h(d, a),   P(left | d) = b(d) p + (1 − b(d))(1 − p)
//
// V_H(0) with H = maxSteps is the optimal expected return of an episode. The memoryless
// baseline maps the current observation alone (nothing / growl left / growl right) to an
// action; `bestMemorylessPolicy` evaluates all 27 deterministic ones exactly.

/// The Bayes filter and finite-horizon value iteration over beliefs for `Tiger`.
public struct TigerBaselines: Sendable {
    /// p, the probability that a growl comes from the tiger's side.
    public let listenAccuracy: Double
    public let listenReward: Double
    public let treasureReward: Double
    public let tigerReward: Double
    /// H, the time limit in steps.
    public let horizon: Int
    /// b₀, the prior probability that the tiger is on the left.
    public let prior: Double
    /// V_h(d) for h in 0 ... H, d in −H ... H (index d + H).
    private(set) var values: [[Double]] = []

    public init(_ tiger: Tiger, prior: Double = 0.5) throws {
        try require(prior >= 0 && prior <= 1, "TigerBaselines", "prior must be in [0, 1], got \(prior)")
        listenAccuracy = tiger.listenAccuracy
        listenReward = tiger.listenReward
        treasureReward = tiger.treasureReward
        tigerReward = tiger.tigerReward
        horizon = tiger.maxSteps
        self.prior = prior
        values = valueIteration()
    }

    // MARK: - Bayes filter

    /// b′ from b after hearing a growl on the left (`heardLeft`) or the right.
    public static func updatedBelief(_ b: Double, heardLeft: Bool, listenAccuracy p: Double) -> Double {
        let likeLeft = heardLeft ? p : 1 - p, likeRight = heardLeft ? 1 - p : p
        let z = b * likeLeft + (1 - b) * likeRight
        return z > 0 ? b * likeLeft / z : b
    }

    /// b′ from b after a Tiger observation (one-hot [nothing, left, right]); "nothing"
    /// leaves the belief unchanged.
    public func updatedBelief(_ b: Double, observation: [Float]) -> Double {
        guard observation.count == 3 else { return b }
        if observation[1] > 0.5 { return Self.updatedBelief(b, heardLeft: true, listenAccuracy: listenAccuracy) }
        if observation[2] > 0.5 { return Self.updatedBelief(b, heardLeft: false, listenAccuracy: listenAccuracy) }
        return b
    }

    /// b(d): the belief after growls whose left-minus-right count is d.
    public func belief(countDifference d: Int) -> Double {
        let p = listenAccuracy, q = 1 - p
        let n = Double(abs(d))
        let left = prior * (d >= 0 ? pow(p, n) : pow(q, n))
        let right = (1 - prior) * (d >= 0 ? pow(q, n) : pow(p, n))
        return left + right > 0 ? left / (left + right) : prior
    }

    // MARK: - Value iteration

    /// Q_h(d, ·) for [listen, open left, open right], given V_{h−1}.
    func qValues(_ d: Int, previous: [Double]?) -> [Double] {
        let b = belief(countDifference: d)
        let openLeft = b * tigerReward + (1 - b) * treasureReward
        let openRight = b * treasureReward + (1 - b) * tigerReward
        var listen = listenReward
        if let previous {
            let pLeft = b * listenAccuracy + (1 - b) * (1 - listenAccuracy)
            let H = horizon
            let up = previous[min(d + 1, H) + H], down = previous[max(d - 1, -H) + H]
            listen += pLeft * up + (1 - pLeft) * down
        }
        return [listen, openLeft, openRight]
    }

    func valueIteration() -> [[Double]] {
        let H = horizon
        var table = [[Double](repeating: 0, count: 2 * H + 1)]
        for h in 1...max(H, 1) {
            let previous = h > 1 ? table[h - 1] : nil
            table.append((-H...H).map { d in qValues(d, previous: previous).max()! })
        }
        return table
    }

    /// V_H(0): the optimal expected return of an episode (listening and opening optimally).
    public var optimalValue: Double { values[horizon][horizon] }

    /// V_h(d): the optimal expected return with h steps left and growl difference d.
    public func value(stepsLeft h: Int, countDifference d: Int) -> Double {
        values[min(max(h, 0), horizon)][min(max(d, -horizon), horizon) + horizon]
    }

    /// The optimal action (0 listen, 1 open left, 2 open right) with h ≥ 1 steps left.
    public func optimalAction(stepsLeft h: Int, countDifference d: Int) -> Int {
        let h = min(max(h, 1), horizon), d = min(max(d, -horizon), horizon)
        let q = qValues(d, previous: h > 1 ? values[h - 1] : nil)
        return q.indices.max { q[$0] < q[$1] }!
    }

    // MARK: - Memoryless policies

    /// The exact expected return of a memoryless policy: `policy[o]` is the action on
    /// observation o (0 nothing heard, 1 growl left, 2 growl right).
    public func memorylessValue(_ policy: [Int]) throws -> Double {
        try require(policy.count == 3 && policy.allSatisfy { (0...2).contains($0) }, "TigerBaselines",
                    "a memoryless policy gives an action in 0...2 for each of the 3 observations, got \(policy)")
        // V[side][o] with h steps left; side 0 = tiger left.
        var v = [[Double]](repeating: [0, 0, 0], count: 2)
        for _ in 0..<horizon {
            var next = v
            for side in 0..<2 {
                for o in 0..<3 {
                    switch policy[o] {
                    case 0:
                        let pLeft = side == 0 ? listenAccuracy : 1 - listenAccuracy
                        next[side][o] = listenReward + pLeft * v[side][1] + (1 - pLeft) * v[side][2]
                    case 1: next[side][o] = side == 0 ? tigerReward : treasureReward
                    default: next[side][o] = side == 0 ? treasureReward : tigerReward
                    }
                }
            }
            v = next
        }
        return prior * v[0][0] + (1 - prior) * v[1][0]
    }

    /// The best of the 27 deterministic memoryless policies and its exact expected return.
    public func bestMemorylessPolicy() throws -> (policy: [Int], value: Double) {
        var best: (policy: [Int], value: Double) = ([0, 0, 0], -.infinity)
        for a in 0..<3 { for b in 0..<3 { for c in 0..<3 {
            let v = try memorylessValue([a, b, c])
            if v > best.value { best = ([a, b, c], v) }
        } } }
        return best
    }
}

/// The optimal belief-state policy for Tiger: tracks the Bayes-filter belief (and the growl
/// difference d that determines it) and acts by value iteration.
public final class TigerBeliefPolicy: Policy {
    public let baselines: TigerBaselines
    /// b, the current belief that the tiger is on the left.
    public private(set) var belief: Double
    /// The beliefs of the episode so far, for plotting.
    public private(set) var beliefHistory: [Double]
    var difference = 0
    var steps = 0

    public init(_ baselines: TigerBaselines) {
        self.baselines = baselines
        belief = baselines.prior
        beliefHistory = [baselines.prior]
    }

    public func reset() throws {
        belief = baselines.prior
        beliefHistory = [belief]
        difference = 0
        steps = 0
    }

    public func action(for observation: [Float]) throws -> Int {
        if observation.count == 3 {
            if observation[1] > 0.5 { difference += 1 }
            if observation[2] > 0.5 { difference -= 1 }
        }
        belief = baselines.updatedBelief(belief, observation: observation)
        if steps > 0 { beliefHistory.append(belief) }
        steps += 1
        return baselines.optimalAction(stepsLeft: baselines.horizon - steps + 1, countDifference: difference)
    }
}
