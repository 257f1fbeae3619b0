import Foundation
import Testing
import TensorCore
@testable import NeuralNets

@Suite("Distributions")
struct DistributionTests {
    let rows: [[Double]] = [[1, 2, 0.5, -1], [0, 0, 0, 0]]

    func softmax(_ r: [Double]) -> [Double] {
        let e = r.map { Foundation.exp($0) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func logits(_ rows: [[Double]]) throws -> Tensor {
        try Tensor(rows.map { $0.map(Float.init) })
    }

    @Test func categoricalLogProbEntropyAndProbabilities() throws {
        let d = try Categorical(logits: logits(rows))
        let p0 = softmax(rows[0])
        let lp = try d.logProb([1, 3])
        #expect(close(lp.scalars[0], Foundation.log(p0[1])))
        #expect(close(lp.scalars[1], Foundation.log(0.25)))
        let h = try d.entropy()
        #expect(close(h.scalars[0], -p0.map { $0 * Foundation.log($0) }.reduce(0, +)))
        #expect(close(h.scalars[1], Foundation.log(4)))
        #expect(close(d.probabilities.scalars, (p0 + [0.25, 0.25, 0.25, 0.25]).map(Float.init)))
        #expect(try d.mode().scalars == [1, 0])
        #expect(throws: DistributionError.self) { try d.logProb([1, 4]) }
        #expect(throws: DistributionError.self) { try d.logProb(Tensor([1])) }
    }

    @Test func categoricalKL() throws {
        let other: [[Double]] = [[0, 1, 1, 0], [3, -1, 0, 2]]
        let p = try Categorical(logits: logits(rows)), q = try Categorical(logits: logits(other))
        let kl = try klDivergence(p, q)
        for r in 0..<2 {
            let pr = softmax(rows[r]), qr = softmax(other[r])
            let expected = zip(pr, qr).map { $0 * Foundation.log($0 / $1) }.reduce(0, +)
            #expect(close(kl.scalars[r], expected))
        }
        #expect(try p.klDivergence(to: p).scalars.allSatisfy { Swift.abs($0) < 1e-6 })
    }

    @Test func categoricalWithMaskedActions() throws {
        // −∞ logits: probability 0, finite entropy and KL, finite gradients.
        let x = try Tensor([[0, -Float.infinity, 1], [2, 2, -Float.infinity]]).requiringGrad()
        let d = try Categorical(logits: x)
        let h = try d.entropy()
        let p = softmax([0, 1])
        #expect(close(h.scalars[0], -p.map { $0 * Foundation.log($0) }.reduce(0, +)))
        #expect(close(h.scalars[1], Foundation.log(2)))
        let q = try Categorical(logits: Tensor([[1, 1, 1], [0, 1, 2]]))
        let kl = try d.klDivergence(to: q)
        #expect(kl.scalars.allSatisfy { $0.isFinite })
        try (h.sum() + kl.sum()).backward()
        #expect(x.grad!.scalars.allSatisfy { $0.isFinite })
        #expect(x.grad!.scalars[1] == 0)
        // A class q cannot pick but p can: infinite KL.
        let masked = try Categorical(logits: Tensor([[0, -Float.infinity, 1]]))
        let full = try Categorical(logits: Tensor([[0, 0, 0]]))
        #expect(try full.klDivergence(to: masked).scalars[0] == .infinity)
        var rng = RNG(seed: 1)
        for _ in 0..<200 { #expect(try d.sample(rng: &rng).scalars[0] != 1) }
    }

    @Test func categoricalSampleFrequencies() throws {
        let row: [Double] = [0.2, -1, 1.5, 0]
        let d = try Categorical(logits: logits([row]))
        var rng = RNG(seed: 2024)
        var counts = [0, 0, 0, 0]
        let n = 20_000
        for _ in 0..<n { counts[Int(try d.sample(rng: &rng).scalars[0])] += 1 }
        for (c, p) in zip(counts, softmax(row)) {
            // 4 standard deviations of a binomial proportion
            #expect(Swift.abs(Double(c) / Double(n) - p) < 4 * (p * (1 - p) / Double(n)).squareRoot())
        }
        // Same seed, same draws.
        var a = RNG(seed: 7), b = RNG(seed: 7)
        let batch = try Categorical(logits: Tensor.zeros([16, 5]))
        #expect(try batch.sample(rng: &a).scalars == batch.sample(rng: &b).scalars)
    }

    @Test func categoricalGradients() throws {
        var rng = RNG(seed: 4)
        let x = try Tensor.normal([3, 4], rng: &rng), y = try Tensor.normal([3, 4], rng: &rng)
        let actions = Tensor([0, 3, 2])
        #expect(try GradCheck.check([x]) { try Categorical(logits: $0[0]).logProb(actions) }.passed)
        #expect(try GradCheck.check([x]) { try Categorical(logits: $0[0]).entropy() }.passed)
        #expect(try GradCheck.check([x, y]) { try Categorical(logits: $0[0]).klDivergence(to: Categorical(logits: $0[1])) }.passed)
    }

    static let halfLogTwoPi = 0.5 * Foundation.log(2 * Double.pi)

    @Test func normalLogProbEntropyAndKL() throws {
        let mean = try Tensor([[0, 1], [2, -1]]), logStd = Tensor([0, -0.5])
        let d = try DiagonalNormal(mean: mean, logStd: logStd)
        let x = try Tensor([[0.5, 1], [1, 0]])
        let lp = try d.logProb(x)
        func logpdf(_ x: Double, _ mu: Double, _ logSigma: Double) -> Double {
            let s = Foundation.exp(logSigma)
            return -(x - mu) * (x - mu) / (2 * s * s) - logSigma - Self.halfLogTwoPi
        }
        #expect(close(lp.scalars[0], logpdf(0.5, 0, 0) + logpdf(1, 1, -0.5)))
        #expect(close(lp.scalars[1], logpdf(1, 2, 0) + logpdf(0, -1, -0.5)))
        let entropy = 2 * (0.5 + Self.halfLogTwoPi) - 0.5
        #expect(try d.entropy().scalars.allSatisfy { close($0, entropy) })

        let q = try DiagonalNormal(mean: Tensor([[1, 1], [0, 0]]), logStd: Tensor([0.3, 0.3]))
        func kl(_ m1: Double, _ l1: Double, _ m2: Double, _ l2: Double) -> Double {
            let s1 = Foundation.exp(l1), s2 = Foundation.exp(l2)
            return Foundation.log(s2 / s1) + (s1 * s1 + (m1 - m2) * (m1 - m2)) / (2 * s2 * s2) - 0.5
        }
        let klValues = try d.klDivergence(to: q).scalars
        #expect(close(klValues[0], kl(0, 0, 1, 0.3) + kl(1, -0.5, 1, 0.3)))
        #expect(close(klValues[1], kl(2, 0, 0, 0.3) + kl(-1, -0.5, 0, 0.3)))
        #expect(try d.klDivergence(to: d).scalars.allSatisfy { Swift.abs($0) < 1e-6 })
        #expect(throws: DistributionError.self) { try DiagonalNormal(mean: mean, logStd: Tensor([0, 0, 0])) }
        #expect(throws: DistributionError.self) { try d.logProb(Tensor([1, 2])) }
    }

    @Test func normalSamples() throws {
        let mean = try Tensor.zeros([20_000, 2]) + Tensor([3, -1])
        let shifted = try DiagonalNormal(mean: mean, logStd: Tensor([0, Float(Foundation.log(0.5))]))
        var rng = RNG(seed: 11)
        let x = try shifted.sample(rng: &rng)
        #expect(!x.requiresGrad)
        let m = try x.mean(axis: 0).scalars, s = try x.std(axis: 0).scalars
        #expect(Swift.abs(m[0] - 3) < 0.03 && Swift.abs(m[1] + 1) < 0.015)
        #expect(Swift.abs(s[0] - 1) < 0.03 && Swift.abs(s[1] - 0.5) < 0.015)
    }

    @Test func normalRSampleIsDifferentiable() throws {
        let mean = Tensor([0.5, -0.5]).requiringGrad(), logStd = Tensor([0.1, -0.2]).requiringGrad()
        let d = try DiagonalNormal(mean: mean, logStd: logStd)
        var rng = RNG(seed: 3), replay = RNG(seed: 3)
        let x = try d.rsample(rng: &rng)
        try x.sum().backward()
        let noise = try Tensor.normal([2], rng: &replay)
        #expect(mean.grad!.scalars == [1, 1])
        // d(μ + σε)/d log σ = σε
        #expect(close(logStd.grad!.scalars, [Foundation.exp(0.1) * noise.scalars[0], Foundation.exp(-0.2) * noise.scalars[1]]))
    }

    @Test func normalGradients() throws {
        var rng = RNG(seed: 8)
        let mean = try Tensor.normal([2, 3], rng: &rng), logStd = try Tensor.normal([3], std: 0.3, rng: &rng)
        let x = try Tensor.normal([2, 3], rng: &rng)
        let other = try Tensor.normal([2, 3], rng: &rng)
        #expect(try GradCheck.check([mean, logStd]) { try DiagonalNormal(mean: $0[0], logStd: $0[1]).logProb(x) }.passed)
        #expect(try GradCheck.check([logStd]) { try DiagonalNormal(mean: mean, logStd: $0[0]).entropy() }.passed)
        #expect(try GradCheck.check([mean, logStd]) {
            try DiagonalNormal(mean: $0[0], logStd: $0[1]).klDivergence(to: DiagonalNormal(mean: other, logStd: Tensor([0.2, 0, -0.1])))
        }.passed)
    }
}
