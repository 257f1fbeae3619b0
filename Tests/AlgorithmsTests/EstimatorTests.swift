import Algorithms
import Foundation
import Testing

/// Each estimator against a computation done by hand (the numbers in the comments).
@Suite("Returns, GAE, V-trace and normalisation")
struct EstimatorTests {
    func close(_ a: [Float], _ b: [Double], tolerance: Double = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance }
    }
    func close(_ a: [Double], _ b: [Double], tolerance: Double = 1e-9) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test("Discounted returns stop at episode ends and start from the bootstrap")
    func discounted() {
        // γ = 0.5: G₂ = 3, G₁ = 2 + 1.5 = 3.5, G₀ = 1 + 1.75 = 2.75.
        #expect(close(discountedReturns([1, 2, 3], gamma: 0.5), [2.75, 3.5, 3]))
        // The episode ends with step 1: G₁ = 2, G₀ = 1 + 0.5 · 2 = 2, and step 2 starts afresh.
        #expect(close(discountedReturns([1, 2, 3], gamma: 0.5, episodeEnds: [false, true, false]), [2, 2, 3]))
        // Cut before the end with V(s₃) = 4: G₂ = 3 + 2 = 5, G₁ = 2 + 2.5 = 4.5, G₀ = 1 + 2.25 = 3.25.
        #expect(close(discountedReturns([1, 2, 3], gamma: 0.5, bootstrap: 4), [3.25, 4.5, 5]))
        // Returns-to-go: undiscounted sums of what is still to come.
        #expect(close(returnsToGo([1, 0, 2, 5], episodeEnds: [false, false, true, false]), [3, 2, 2, 5]))
        #expect(discountedReturns([], gamma: 0.9).isEmpty)
    }

    @Test("GAE(γ, λ) on two interleaved environments, one of which ends an episode twice")
    func gae() {
        // Time-major [T = 3, N = 2]; γ = 0.9, λ = 0.8, so γλ = 0.72.
        // Copy 0: r = [1, 0, 2], V = [0.5, 1, 1.5], ends after step 2 (V(s₃) = 9 is ignored).
        //   δ₂ = 2 − 1.5 = 0.5                       Â₂ = 0.5
        //   δ₁ = 0 + 0.9 · 1.5 − 1 = 0.35            Â₁ = 0.35 + 0.72 · 0.5 = 0.71
        //   δ₀ = 1 + 0.9 · 1 − 0.5 = 1.4             Â₀ = 1.4 + 0.72 · 0.71 = 1.9112
        // Copy 1: r = [1, 1, 1], V = 0, ends after step 0, bootstrap V(s₃) = 10.
        //   δ₂ = 1 + 9 = 10                          Â₂ = 10
        //   δ₁ = 1                                   Â₁ = 1 + 0.72 · 10 = 8.2
        //   δ₀ = 1 (the episode ends: no bootstrap)  Â₀ = 1
        let e = generalizedAdvantages(
            rewards: [1, 1, 0, 1, 2, 1], values: [0.5, 0, 1, 0, 1.5, 0],
            episodeEnds: [false, true, false, false, true, false], lastValues: [9, 10],
            steps: 3, environments: 2, gamma: 0.9, lambda: 0.8)
        #expect(close(e.advantages, [1.9112, 1, 0.71, 8.2, 0.5, 10]))
        #expect(close(e.returns, [2.4112, 1, 1.71, 8.2, 2.0, 10]))
        // λ = 0: the one-step TD errors; λ = 1, V = 0: the discounted returns.
        let td = generalizedAdvantages(rewards: [1, 0, 2], values: [0.5, 1, 1.5], episodeEnds: [false, false, true],
                                       lastValues: [0], steps: 3, environments: 1, gamma: 0.9, lambda: 0)
        #expect(close(td.advantages, [1.4, 0.35, 0.5]))
        let mc = generalizedAdvantages(rewards: [1, 2, 3], values: [0, 0, 0], episodeEnds: [false, false, false],
                                       lastValues: [4], steps: 3, environments: 1, gamma: 0.5, lambda: 1)
        #expect(close(mc.returns, discountedReturns([1, 2, 3], gamma: 0.5, bootstrap: 4)))
    }

    @Test("V-trace: truncated weights by hand, and the n-step return on-policy")
    func vtraceByHand() {
        // T = 2, γ = 0.9, ρ̄ = c̄ = 1. π/μ = [2, 0.5] → ρ = c = [1, 0.5]. V = [0.5, 1], V(x₂) = 3.
        //   t = 1: δ = 0.5 (2 + 0.9 · 3 − 1) = 1.85      v₁ = 1 + 1.85 = 2.85
        //          advantage ρ₁ (r₁ + γ v₂ − V(x₁)) with v₂ = V(x₂): 0.5 · 3.7 = 1.85
        //   t = 0: δ = 1 (1 + 0.9 · 1 − 0.5) = 1.4
        //          v₀ = 0.5 + 1.4 + 0.9 · 1 · 1.85 = 3.565
        //          advantage 1 · (1 + 0.9 · 2.85 − 0.5) = 3.065
        let e = vtrace(logRatios: [Float(log(2.0)), Float(log(0.5))], discounts: [0.9, 0.9], rewards: [1, 2],
                       values: [0.5, 1], bootstrapValues: [3], steps: 2, environments: 1, rhoBar: 1, cBar: 1)
        #expect(close(e.vs, [3.565, 2.85]))
        #expect(close(e.advantages, [3.065, 1.85]))
        #expect(close(e.rhos, [1, 0.5]))
        // Without truncation (ρ̄ = ∞): ρ₀ = 2. δ₀ = 2 · 1.4 = 2.8, c₀ = 2: v₀ = 0.5 + 2.8 + 0.9 · 2 · 1.85 = 6.63.
        let untruncated = vtrace(logRatios: [Float(log(2.0)), Float(log(0.5))], discounts: [0.9, 0.9], rewards: [1, 2],
                                 values: [0.5, 1], bootstrapValues: [3], steps: 2, environments: 1, rhoBar: nil, cBar: nil)
        #expect(close(untruncated.vs, [6.63, 2.85]))
        // On-policy (π = μ) with λ = 1, v_s is the n-step return whatever V is:
        // v₀ = 1 + 0.9 · 2 + 0.81 · 3 = 5.23.
        let onPolicy = vtrace(logRatios: [0, 0], discounts: [0.9, 0.9], rewards: [1, 2], values: [7, -4],
                              bootstrapValues: [3], steps: 2, environments: 1)
        #expect(close(onPolicy.vs, [5.23, 4.7]))
        // An episode end (γ_t = 0) cuts the trace: v₀ = r₀.
        let cut = vtrace(logRatios: [0, 0], discounts: [0, 0.9], rewards: [1, 2], values: [7, -4],
                         bootstrapValues: [3], steps: 2, environments: 1)
        #expect(close(cut.vs, [1, 4.7]))
    }

    @Test("Advantage normalisation: mean 0, unbiased standard deviation 1")
    func normalisation() {
        #expect(close(normalizedAdvantages([1, 2, 3]), [-1, 0, 1], tolerance: 1e-6))
        #expect(normalizedAdvantages([5]) == [0])
        #expect(normalizedAdvantages([]).isEmpty)
        #expect(close(normalizedAdvantages([2, 2, 2]), [0, 0, 0]))
    }
}
