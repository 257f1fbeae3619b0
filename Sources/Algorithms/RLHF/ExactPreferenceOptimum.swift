import Foundation

/// The RLHF objective solved exactly on a small discrete set of responses, where every
/// distribution can be written down: the picture the sampled algorithms approximate.
///
/// - `tilted`: the optimum of E_π[r] − β KL(π ‖ π₀), which is π_β(y) ∝ π₀(y) exp(r(y) / β)
///   (Ziegler et al. 2019; Rafailov et al. 2023, eq. 4). As β → 0 it puts all its mass on
///   argmax r; as β → ∞ it is π₀.
/// - `bestOfN`: the exact distribution of the best of n draws from π₀ under r, with its KL to
///   π₀ (the analytic formula log n − (n − 1)/n holds only without ties, so it is computed).
/// - `dpoOptimum`: the policy that minimises DPO's loss on the pairs a Bradley–Terry labeller
///   with reward r would give, drawn from π₀ × π₀, found by Newton's method on the logits.
///   DPO's claim is that it equals `tilted(r, β)`; the lesson checks it to 1e-3.
public enum ExactPreferenceOptimum {
    /// π_β(y) ∝ π₀(y) exp(r(y) / β). Throws for β ≤ 0, mismatched lengths or a reference
    /// that is not a distribution.
    public static func tilted(reference p0: [Double], reward r: [Double], beta: Double) throws -> [Double] {
        try check(p0, r)
        guard beta > 0, beta.isFinite else { throw RLHFError("tilted: β must be a finite number > 0, got \(beta)") }
        var logits = zip(p0, r).map { $0 > 0 ? Foundation.log($0) + $1 / beta : -Double.infinity }
        let m = logits.max()!
        logits = logits.map { Foundation.exp($0 - m) }
        let z = logits.reduce(0, +)
        return logits.map { $0 / z }
    }

    /// The distribution of argmax_i r(y_i) over n independent draws y_1…y_n ~ π₀ (ties go to
    /// the earliest draw, so a tied group keeps π₀'s proportions within it).
    public static func bestOfN(reference p0: [Double], reward r: [Double], n: Int) throws -> [Double] {
        try check(p0, r)
        guard n >= 1 else { throw RLHFError("bestOfN: n must be at least 1, got \(n)") }
        // P(best reward ≤ v) = F(v)^n; a reward level v gets F(v)^n − F(v⁻)^n, shared within
        // the level in proportion to π₀.
        var out = [Double](repeating: 0, count: p0.count)
        let levels = Array(Set(r)).sorted()
        var below = 0.0
        for v in levels {
            let members = r.indices.filter { r[$0] == v }
            let mass = members.reduce(0) { $0 + p0[$1] }
            let upTo = below + mass
            let share = Foundation.pow(min(upTo, 1), Double(n)) - Foundation.pow(below, Double(n))
            if mass > 0 { for i in members { out[i] = share * p0[i] / mass } }
            below = upTo
        }
        return out
    }

    /// KL(π ‖ π₀) in nats.
    public static func kl(_ p: [Double], _ p0: [Double]) -> Double {
        zip(p, p0).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * Foundation.log($1.0 / $1.1) : 0) }
    }

    /// E_π[r].
    public static func expectation(_ p: [Double], _ r: [Double]) -> Double { zip(p, r).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The minimiser of DPO's expected loss when pairs (y, y') are drawn from π₀ × π₀ and a
    /// Bradley–Terry labeller with reward r prefers y with probability σ(r(y) − r(y')):
    ///
    ///   L(π) = −Σ_{y,y'} π₀(y) π₀(y') σ(r(y) − r(y')) log σ(β log π(y)/π₀(y) − β log π(y')/π₀(y')).
    ///
    /// L depends on the logits θ (π = softmax θ) only through β(θ_y − θ_y') − β log(π₀(y)/π₀(y')),
    /// so it is convex in θ; Newton's method with a backtracking line search (θ₀ fixed at 0)
    /// finds the minimum. Responses with π₀ = 0 are never compared and get probability 0.
    public static func dpoOptimum(reference p0: [Double], reward r: [Double], beta: Double,
                                  tolerance: Double = 1e-12, maxIterations: Int = 200) throws -> (policy: [Double], loss: Double, iterations: Int) {
        try check(p0, r)
        guard beta > 0, beta.isFinite else { throw RLHFError("dpoOptimum: β must be a finite number > 0, got \(beta)") }
        let support = p0.indices.filter { p0[$0] > 0 }
        let k = support.count
        let q = support.map { p0[$0] }, rs = support.map { r[$0] }, logQ = q.map { Foundation.log($0) }
        func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        func logSigmoid(_ x: Double) -> Double { x >= 0 ? -Foundation.log1p(Foundation.exp(-x)) : x - Foundation.log1p(Foundation.exp(x)) }
        func loss(_ theta: [Double]) -> Double {
            var l = 0.0
            for i in 0..<k { for j in 0..<k where i != j {
                let h = beta * ((theta[i] - logQ[i]) - (theta[j] - logQ[j]))
                l -= q[i] * q[j] * sigmoid(rs[i] - rs[j]) * logSigmoid(h)
            } }
            return l
        }
        var theta = logQ.map { $0 - logQ[0] }
        var value = loss(theta)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            // Gradient and Hessian in θ: for the term of (i, j), d/dh = −w (1 − σ(h)) with
            // w = q_i q_j σ(r_i − r_j), and d²/dh² = w σ(h)(1 − σ(h)); h = β(θ_i − θ_j) + const.
            var g = [Double](repeating: 0, count: k)
            var hess = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for i in 0..<k { for j in 0..<k where i != j {
                let w = q[i] * q[j] * sigmoid(rs[i] - rs[j])
                let h = beta * ((theta[i] - logQ[i]) - (theta[j] - logQ[j]))
                let s = sigmoid(h)
                let d1 = -w * (1 - s) * beta, d2 = w * s * (1 - s) * beta * beta
                g[i] += d1; g[j] -= d1
                hess[i][i] += d2; hess[j][j] += d2; hess[i][j] -= d2; hess[j][i] -= d2
            } }
            let gradNorm = g.dropFirst().reduce(0) { max($0, abs($1)) }
            if gradNorm < tolerance || k == 1 { break }
            // Solve on θ₁…θ_{k−1} (θ₀ = 0 fixes the shift the loss does not see).
            let step = solve(Array(hess.dropFirst().map { Array($0.dropFirst()) }), Array(g.dropFirst()).map { -$0 })
            var t = 1.0
            var next = theta
            while true {
                for i in 1..<k { next[i] = theta[i] + t * step[i - 1] }
                let v = loss(next)
                if v <= value || t < 1e-8 { value = v; break }
                t /= 2
            }
            theta = next
        }
        let m = theta.max() ?? 0
        let e = theta.map { Foundation.exp($0 - m) }
        let z = e.reduce(0, +)
        var policy = [Double](repeating: 0, count: p0.count)
        for (a, i) in support.enumerated() { policy[i] = e[a] / z }
        return (policy, value, iterations)
    }

    /// Gaussian elimination with partial pivoting (the systems here are a few dozen wide).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a, x = b
        let n = b.count
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, p); x.swapAt(c, p)
            let d = m[c][c]
            guard abs(d) > 1e-300 else { continue }
            for r in (c + 1)..<max(n, c + 1) {
                let f = m[r][c] / d
                if f == 0 { continue }
                for j in c..<n { m[r][j] -= f * m[c][j] }
                x[r] -= f * x[c]
            }
        }
        var out = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = x[r]
            for j in (r + 1)..<max(n, r + 1) { s -= m[r][j] * out[j] }
            out[r] = abs(m[r][r]) > 1e-300 ? s / m[r][r] : 0
        }
        return out
    }

    static func check(_ p0: [Double], _ r: [Double]) throws {
        guard !p0.isEmpty, p0.count == r.count else {
            throw RLHFError("the reference and the reward must have one entry per response (at least one), got \(p0.count) and \(r.count)")
        }
        guard p0.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(p0.reduce(0, +) - 1) < 1e-6 else {
            throw RLHFError("the reference must be a probability distribution (non-negative, summing to 1), sums to \(p0.reduce(0, +))")
        }
        guard r.allSatisfy(\.isFinite) else { throw RLHFError("the rewards must be finite numbers") }
    }
}

/// An RLHF component refusing its input.
public struct RLHFError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
