import Environments
import Testing

@Suite("Vector normalisation (VecNormalize)")
struct NormalizationTests {
    /// Mean and variance of `values` pooled with the prior (mean 0, variance 1, count c₀):
    /// var = (c₀·1 + c₀·m² + Σ(x − m)²) / (c₀ + n), the closed form the batch merges must give.
    func pooled(_ values: [Double], prior c0: Double = 1e-4) -> (mean: Double, variance: Double) {
        let m = values.reduce(0, +) / (c0 + Double(values.count))
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (m, (c0 + c0 * m * m + squares) / (c0 + Double(values.count)))
    }

    @Test("Observations and rewards are scaled by the statistics of everything seen so far")
    func matchesClosedForm() throws {
        let gamma = 0.9
        let make = { () throws(EnvironmentError) -> VectorEnvironment<CartPole> in
            try VectorEnvironment(count: 2, autoresetMode: .sameStep) { _ throws(EnvironmentError) in try CartPole() }
        }
        var raw = try make()
        var env = try NormalizedVectorEnvironment(try make(), gamma: gamma)
        try raw.reset(seed: 3)
        try env.reset(seed: 3)
        var seen = [[Double]](repeating: [], count: 4), returns = [0.0, 0.0], seenReturns: [Double] = []
        func record(_ obs: [Float]) { for (k, x) in obs.enumerated() { seen[k % 4].append(Double(x)) } }
        func expectNormalized(_ rows: [Float], _ got: [Float]) {
            for (k, x) in rows.enumerated() {
                let s = pooled(seen[k % 4])
                let want = min(max((Double(x) - s.mean) / (s.variance + 1e-8).squareRoot(), -10), 10)
                #expect(abs(Double(got[k]) - want) < 1e-4, "element \(k): \(got[k]) vs \(want)")
            }
        }
        record(raw.observations)
        expectNormalized(raw.observations, env.observations)
        for t in 0..<30 {
            let actions: [Float] = [Float(t % 2), Float((t / 3) % 2)]
            try raw.step(actionRows: actions)
            try env.step(actionRows: actions)
            record(raw.observations)
            expectNormalized(raw.observations, env.observations)
            for i in 0..<2 { returns[i] = returns[i] * gamma + raw.rewards[i] }
            seenReturns += returns
            let v = pooled(seenReturns).variance
            for i in 0..<2 {
                #expect(abs(env.rewards[i] - min(raw.rewards[i] / (v + 1e-8).squareRoot(), 10)) < 1e-6)
                #expect(env.originalRewards[i] == raw.rewards[i])
                if raw.terminations[i] || raw.truncations[i] { returns[i] = 0 }
            }
        }
        #expect(raw.terminations.count == 2)
    }
}
