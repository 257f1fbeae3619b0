import Foundation
import TensorCore

// Exact answers for off-policy evaluation on small tabular MDPs, to hold V-trace's
// estimates against (Espeholt et al. 2018, section 4.1 and Theorem 1): the value of a
// policy by solving the Bellman equations, the policy π_ρ̄ ∝ min(ρ̄ μ, π) whose value
// V-trace with truncation ρ̄ converges to, and the V-trace estimate itself from sampled
// unrolls of the behaviour policy μ.

/// A finite MDP with a terminal outcome: from state s, action a moves to `next[s][a]`
/// (nil: the episode ends) with reward `rewards[s][a]`.
public struct TabularMDP: Sendable, Equatable {
    public let next: [[Int?]]
    public let rewards: [[Double]]

    public init(next: [[Int?]], rewards: [[Double]]) throws {
        try require(!next.isEmpty && next.count == rewards.count, "TabularMDP", "next and rewards need one row per state")
        try require(zip(next, rewards).allSatisfy { $0.count == $1.count && !$0.isEmpty }, "TabularMDP", "every state needs the same actions in next and rewards")
        try require(next.allSatisfy { $0.allSatisfy { $0 == nil || (0..<next.count).contains($0!) } }, "TabularMDP", "a next state is out of range")
        self.next = next
        self.rewards = rewards
    }

    public var stateCount: Int { next.count }
    public var actionCount: Int { next[0].count }

    /// A corridor of `length` states: action 1 moves right, action 0 left (staying in
    /// state 0); moving right from the last state ends the episode with reward 1.
    public static func chain(length: Int) throws -> TabularMDP {
        try require(length >= 1, "TabularMDP.chain", "length must be >= 1, got \(length)")
        return try TabularMDP(next: (0..<length).map { s in [Swift.max(s - 1, 0), s + 1 < length ? s + 1 : nil] },
                              rewards: (0..<length).map { s in [0, s + 1 < length ? 0 : 1] })
    }

    /// V^π for a stochastic policy (`policy[s][a]`), by iterating the Bellman equation to
    /// convergence (γ < 1, or every policy ends the episode).
    public func value(of policy: [[Double]], gamma: Double) throws -> [Double] {
        try checkPolicy(policy)
        var v = [Double](repeating: 0, count: stateCount)
        for _ in 0..<100_000 {
            var change = 0.0
            for s in 0..<stateCount {
                var total = 0.0
                for a in 0..<actionCount where policy[s][a] > 0 {
                    total += policy[s][a] * (rewards[s][a] + gamma * (next[s][a].map { v[$0] } ?? 0))
                }
                change = Swift.max(change, abs(total - v[s]))
                v[s] = total
            }
            if change < 1e-12 { break }
        }
        return v
    }

    func checkPolicy(_ policy: [[Double]]) throws {
        try require(policy.count == stateCount && policy.allSatisfy { $0.count == actionCount }, "TabularMDP",
                    "a policy needs \(stateCount) rows of \(actionCount) probabilities")
        try require(policy.allSatisfy { row in row.allSatisfy { $0 >= 0 } && abs(row.reduce(0, +) - 1) < 1e-9 }, "TabularMDP",
                    "every row of a policy must be probabilities summing to 1")
    }
}

/// π_ρ̄(a|s) ∝ min(ρ̄ μ(a|s), π(a|s)): the policy whose value V-trace with truncation
/// ρ̄ estimates (Theorem 1). ρ̄ = ∞ gives π.
public func truncatedTargetPolicy(behaviour: [[Double]], target: [[Double]], rhoBar: Double) -> [[Double]] {
    zip(behaviour, target).map { mu, pi in
        let m = zip(mu, pi).map { Swift.min(rhoBar * $0, $1) }
        let z = m.reduce(0, +)
        return m.map { $0 / z }
    }
}

/// The V-trace estimate of V^π from unrolls of μ: `iterations` times, `batch` unrolls of
/// `unrollLength` steps from uniformly drawn start states (an episode that ends inside an
/// unroll is followed by a new one), V-trace targets v_s for every visited state, and
/// V(x_s) ← V(x_s) + α_i (v_s − V(x_s)) with α_i = `stepSize` / (1 + i / 100).
/// `rhoBar` or `cBar` nil means no truncation; `corrected` false ignores the importance
/// weights altogether (every ρ and c is 1: "no correction", which estimates V^μ).
public func vtraceEvaluation(
    _ mdp: TabularMDP, behaviour: [[Double]], target: [[Double]], gamma: Double, rhoBar: Double?, cBar: Double?, corrected: Bool = true,
    unrollLength: Int = 10, batch: Int = 8, iterations: Int = 2_000, stepSize: Double = 0.5, seed: UInt64 = 0
) throws -> [Double] {
    try mdp.checkPolicy(behaviour)
    try mdp.checkPolicy(target)
    try require(unrollLength >= 1 && batch >= 1 && iterations >= 0, "vtraceEvaluation", "unrollLength, batch must be >= 1 and iterations >= 0")
    try require(zip(behaviour, target).allSatisfy { zip($0, $1).allSatisfy { $0 > 0 || $1 == 0 } }, "vtraceEvaluation",
                "μ must give every action π takes a positive probability")
    var rng = RNG(seed: seed)
    var v = [Double](repeating: 0, count: mdp.stateCount)
    let n = unrollLength
    for i in 0..<iterations {
        var states = [Int](), ratios = [Float](), discounts = [Float](), rewards = [Float](), values = [Float](), bootstrap = [Float]()
        var rows = [[Int]](repeating: [], count: n)          // time-major state per (t, unroll)
        var s = (0..<batch).map { _ in rng.int(below: mdp.stateCount) }
        for t in 0..<n {
            for b in 0..<batch {
                let a = rng.categorical(weights: behaviour[s[b]].map(Float.init))
                let next = mdp.next[s[b]][a]
                rows[t].append(s[b])
                ratios.append(corrected ? Float(log(target[s[b]][a] / behaviour[s[b]][a])) : 0)
                discounts.append(next == nil ? 0 : Float(gamma))
                rewards.append(Float(mdp.rewards[s[b]][a]))
                values.append(Float(v[s[b]]))
                s[b] = next ?? rng.int(below: mdp.stateCount)
            }
        }
        for b in 0..<batch { bootstrap.append(Float(v[s[b]])) }
        states = rows.flatMap { $0 }
        let e = vtrace(logRatios: ratios, discounts: discounts, rewards: rewards, values: values,
                       bootstrapValues: bootstrap, steps: n, environments: batch, rhoBar: rhoBar, cBar: cBar)
        let alpha = stepSize / (1 + Double(i) / 100)
        var sums = [Double](repeating: 0, count: mdp.stateCount), counts = [Int](repeating: 0, count: mdp.stateCount)
        for (k, state) in states.enumerated() {
            sums[state] += Double(e.vs[k]) - v[state]
            counts[state] += 1
        }
        for state in 0..<mdp.stateCount where counts[state] > 0 { v[state] += alpha * sums[state] / Double(counts[state]) }
    }
    return v
}
