import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore
import Testing

/// The review task's responses grouped by (pairs n, positives k), with π₀ from the corpus's
/// length weights, the gold reward and a proxy that likes length.
private func reviewClasses() -> (p0: [Double], gold: [Double], proxy: [Double]) {
    let w = [0.28, 0.28, 0.22, 0.12, 0.06, 0.03, 0.007, 0.003]
    var p0: [Double] = [], gold: [Double] = [], proxy: [Double] = []
    for n in 1...8 {
        for k in 0...n {
            var c = 1.0
            for i in 0..<k { c = c * Double(n - i) / Double(i + 1) }
            p0.append(w[n - 1] * c / Foundation.pow(2, Double(n)))
            let s = Double(2 * k - n)
            gold.append(s - 0.5 * Double(max(0, n - 3) * max(0, n - 3)))
            proxy.append(s + 0.25 * Double(n))
        }
    }
    let z = p0.reduce(0, +)
    return (p0.map { $0 / z }, gold, proxy)
}

@Suite struct ExactPreferenceOptimumTests {
    @Test func tiltingOverOptimisesTheGoldReward() throws {
        let (p0, gold, proxy) = reviewClasses()
        let betas = [10.0, 3, 2, 1.5, 1, 0.7, 0.5, 0.3, 0.1]
        let policies = try betas.map { try ExactPreferenceOptimum.tilted(reference: p0, reward: proxy, beta: $0) }
        let proxyValues = policies.map { ExactPreferenceOptimum.expectation($0, proxy) }
        let goldValues = policies.map { ExactPreferenceOptimum.expectation($0, gold) }
        for i in 1..<proxyValues.count { #expect(proxyValues[i] > proxyValues[i - 1]) }
        let peak = goldValues.max()!
        #expect(peak > goldValues.first! && peak > goldValues.last!)
        #expect(goldValues.last! < peak - 0.3 * abs(peak))
    }

    @Test func bestOfNMatchesSampling() throws {
        let p0 = [0.5, 0.3, 0.2], r = [0.0, 2.0, 1.0]
        let exact = try ExactPreferenceOptimum.bestOfN(reference: p0, reward: r, n: 3)
        #expect(abs(exact.reduce(0, +) - 1) < 1e-12)
        // P(best is response 1) = 1 − (1 − 0.3)³.
        #expect(abs(exact[1] - (1 - 0.343)) < 1e-12)
        var rng = RNG(seed: 3)
        var counts = [0, 0, 0]
        for _ in 0..<20_000 {
            var best = -1
            for _ in 0..<3 {
                let u = Double(rng.uniform())
                let y = u < 0.5 ? 0 : (u < 0.8 ? 1 : 2)
                if best < 0 || r[y] > r[best] { best = y }
            }
            counts[best] += 1
        }
        for i in 0..<3 { #expect(abs(Double(counts[i]) / 20_000 - exact[i]) < 0.015) }
    }

    @Test func dpoOptimumIsTheTiltedPolicy() throws {
        let (p0, _, proxy) = reviewClasses()
        for beta in [2.0, 1, 0.5] {
            let tilt = try ExactPreferenceOptimum.tilted(reference: p0, reward: proxy, beta: beta)
            let dpo = try ExactPreferenceOptimum.dpoOptimum(reference: p0, reward: proxy, beta: beta)
            let gap = zip(tilt, dpo.policy).map { abs($0 - $1) }.max()!
            #expect(gap < 1e-3, "β \(beta): largest gap \(gap)")
        }
    }

    @Test func badArgumentsAreErrors() {
        #expect(throws: RLHFError.self) { try ExactPreferenceOptimum.tilted(reference: [0.5, 0.5], reward: [0, 1], beta: 0) }
        #expect(throws: RLHFError.self) { try ExactPreferenceOptimum.tilted(reference: [0.5, 0.6], reward: [0, 1], beta: 1) }
        #expect(throws: RLHFError.self) { try KLController(beta: 0.1, target: 0, horizon: 100) }
        #expect(throws: RLHFError.self) { try KLController.fixed(-1) }
    }
}

@Suite struct RLHFComponentTests {
    @Test func goldRewardReadsReviews() {
        #expect(ReviewTask.gold("great food, cold room.") == 0)
        #expect(ReviewTask.gold("great food, nice room, good bed.") == 3)
        #expect(ReviewTask.gold("great food, nice room, good bed, fresh view, lovely staff.") == 5 - 0.5 * 4)
        #expect(ReviewTask.gold("great food, nice") < 0)
        for text in ReviewTask.corpus(50, seed: 1) { #expect(ReviewTask.read(text).wellFormed, "\(text)") }
    }

    @Test func comparisonsRefuseASampleNamedTwice() throws {
        #expect(throws: RLHFError.self) { try ComparisonDataset(texts: ["a.", "b."], comparisons: [[0, 0]], chosen: [0]) }
        do {
            _ = try ComparisonDataset(texts: ["a.", "b.", "c."], comparisons: [[0, 1], [2, 2]], chosen: [0, 1])
            Issue.record("a comparison naming sample 2 twice was accepted")
        } catch let e as RLHFError {
            #expect(e.description.contains("names sample 2 twice"))
        }
    }

    @Test func comparisonsRoundTripThroughSafetensors() throws {
        let labeller = try SimulatedLabeller(temperature: 0.5)
        let data = try ComparisonDataset.collect(texts: ReviewTask.corpus(40, seed: 2), size: 4, count: 30, labeller: labeller, seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prefs-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try data.save(to: path)
        let back = try ComparisonDataset.load(from: path)
        #expect(back.texts == data.texts && back.comparisons == data.comparisons && back.chosen == data.chosen && back.size == 4)
    }

    @Test func labellerNoiseFollowsBradleyTerry() throws {
        let labeller = try SimulatedLabeller(temperature: 1)
        var rng = RNG(seed: 9)
        // gold difference 1 → P(first) = σ(1) ≈ 0.731.
        let a = "great food, nice room.", b = "great food."
        var first = 0
        for _ in 0..<10_000 where labeller.choose([a, b], rng: &rng) == 0 { first += 1 }
        #expect(abs(Double(first) / 10_000 - 1 / (1 + exp(-1.0))) < 0.02)
        #expect(throws: EnvironmentError.self) { try SimulatedLabeller(temperature: 0) }
    }

    @Test func adaptiveControllerMovesBetaTowardsTheTarget() throws {
        var c = try KLController(beta: 0.1, target: 4, horizon: 100)
        c.update(kl: 8, samples: 10)              // e = clip(1, ±0.2) = 0.2 → β × 1.02
        #expect(abs(c.beta - 0.102) < 1e-12)
        c.update(kl: 3, samples: 10)              // e = −0.25 → −0.2
        #expect(abs(c.beta - 0.102 * 0.98) < 1e-12)
        var f = try KLController.fixed(0.3)
        f.update(kl: 100, samples: 64)
        #expect(f.beta == 0.3)
        #expect(KLEstimator.k3(logProbability: -1, reference: -0.5) >= 0)
        #expect(KLEstimator.k3(logProbability: -0.5, reference: -1) >= 0)
    }

    /// A tiny model: pretrained a little on reviews, a reward model on comparisons, PPO and DPO
    /// a few steps each, so every path runs and the bad-input errors name their values.
    @Test func rewardModelPPOAndDPORunOnATinyModel() throws {
        let docs = ReviewTask.corpus(300, seed: 0)
        let tokenizer = try BPETokenizer(training: docs.joined(), merges: 40)
        let lm = try LanguageModel(tokenizer: tokenizer, contextLength: 32, dModel: 32, heads: 2, layers: 1, seed: 0)
        var o = LanguageModel.PretrainingOptions()
        o.steps = 30
        o.batch = 8
        _ = try lm.pretrain(documents: docs, validation: Array(docs.prefix(20)), options: o)
        let labeller = try SimulatedLabeller(temperature: 0.5)
        let data = try ComparisonDataset.collect(texts: ReviewTask.corpus(200, seed: 3, maxPairs: 3), size: 2, count: 120, labeller: labeller, seed: 1)
        let (train, test) = try data.split(heldOut: 0.25)
        var rc = RewardModelConfig()
        rc.epochs = 3
        let rm = try RewardModel(lm, config: rc)
        let report = try rm.train(on: train, heldOut: test)
        #expect(report.losses.last! < report.losses.first!)
        #expect(report.heldOutAccuracy! > 0.55)

        var pc = LanguagePPOConfig()
        pc.batch = 8
        pc.maxNewTokens = 12
        pc.minibatch = 4
        pc.epochs = 2
        pc.adaptive = true
        pc.klTarget = 1
        pc.horizon = 16
        let ppo = try LanguagePPO(policy: try lm.copy(), reference: lm, config: pc, reward: { try rm.score($0) }, gold: ReviewTask.gold)
        let first = try ppo.iterate()
        let second = try ppo.iterate()
        #expect(first.kl >= 0 && second.kl >= 0 && second.gold != nil)
        #expect(first.beta == 0.1 && second.beta != first.beta)

        var dc = DPOConfig()
        dc.epochs = 1
        let dpo = try DPO(policy: try lm.copy(), reference: lm, data: train, config: dc)
        try dpo.train()
        #expect(dpo.losses.count == 1 && dpo.losses[0].isFinite)

        let other = try LanguageModel(tokenizer: CharacterTokenizer.lessons, contextLength: 32, dModel: 32, heads: 2, layers: 1)
        do {
            _ = try DPO(policy: try lm.copy(), reference: other, data: train)
            Issue.record("a reference with another vocabulary was accepted")
        } catch let e as RLHFError {
            #expect(e.description.contains("vocabulary"))
        }
        #expect(throws: RLHFError.self) { try LanguagePPO(policy: lm, reference: other, reward: { $0.map { _ in 0 } }) }
    }
}
