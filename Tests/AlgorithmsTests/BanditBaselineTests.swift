import Foundation
import Testing
import TensorCore
@testable import Algorithms

@Suite struct BanditBaselineTests {
    @Test func bayesOptimalValuesByHand() throws {
        // One arm, one pull: the prior mean.
        var one = try BayesOptimalBandit(arms: 1, pulls: 1)
        #expect(abs(try one.optimalValue() - 0.5) < 1e-12)
        // One arm, two pulls: 1/2 + 1/2 · 2/3 + 1/2 · 1/3 = 1.
        var oneTwo = try BayesOptimalBandit(arms: 1, pulls: 2)
        #expect(abs(try oneTwo.optimalValue() - 1) < 1e-12)
        // Two arms, two pulls: stay after a success (2/3), switch after a failure (1/2):
        // 1/2 + 1/2 · 2/3 + 1/2 · 1/2 = 13/12.
        var two = try BayesOptimalBandit(arms: 2, pulls: 2)
        #expect(abs(try two.optimalValue() - 13.0 / 12) < 1e-12)
        let afterFailure = try two.actionValues(BanditCounts(successes: [0, 0], failures: [1, 0]))
        #expect(abs(afterFailure[0] - 1.0 / 3) < 1e-12 && abs(afterFailure[1] - 0.5) < 1e-12)
        var rng = RNG(seed: 0)
        #expect(try two.choose(BanditCounts(successes: [0, 0], failures: [1, 0]), pullsLeft: 1, rng: &rng) == 1)
    }

    @Test func bayesOptimalBeatsEveryStrategyAndMatchesItsPlay() throws {
        var optimal = try BayesOptimalBandit(arms: 3, pulls: 6)
        let value = try optimal.optimalValue()
        let played = try evaluateBandit(optimal, arms: 3, pulls: 6, trials: 20_000, seed: 1)
        #expect(abs(played.meanReturn - value) < 3 * played.standardError + 1e-9)
        for other in [try evaluateBandit(GittinsIndex(), arms: 3, pulls: 6, trials: 20_000, seed: 1),
                      try evaluateBandit(UCB1(), arms: 3, pulls: 6, trials: 20_000, seed: 1),
                      try evaluateBandit(ThompsonSampling(), arms: 3, pulls: 6, trials: 20_000, seed: 1),
                      try evaluateBandit(EpsilonGreedyArm(epsilon: 0), arms: 3, pulls: 6, trials: 20_000, seed: 1)] {
            #expect(other.meanReturn <= value + 3 * other.standardError, "\(other.name) beat the Bayes-optimal value")
        }
        let random = try evaluateBandit(RandomArm(), arms: 3, pulls: 6, trials: 20_000, seed: 1)
        #expect(abs(random.meanReturn - 3) < 3 * random.standardError)
        #expect(value > random.meanReturn + 0.5)
    }

    @Test func gittinsIndicesByHand() throws {
        var g = GittinsIndex()
        // One pull left: the index is the posterior mean.
        #expect(abs(g.index(successes: 0, failures: 0, pullsLeft: 1) - 0.5) < 1e-9)
        #expect(abs(g.index(successes: 1, failures: 0, pullsLeft: 1) - 2.0 / 3) < 1e-9)
        // Two pulls left on a fresh arm: 1/2 (1 + max(λ, 2/3)) + 1/2 max(λ, 1/3) = 2λ at λ = 5/9.
        #expect(abs(g.index(successes: 0, failures: 0, pullsLeft: 2) - 5.0 / 9) < 1e-9)
        // More pulls left make a fresh arm worth more (the value of information).
        #expect(g.index(successes: 0, failures: 0, pullsLeft: 10) > g.index(successes: 0, failures: 0, pullsLeft: 2))
        // An unexplored arm beats a known arm of the same mean when pulls remain.
        #expect(g.index(successes: 0, failures: 0, pullsLeft: 5) > g.index(successes: 9, failures: 9, pullsLeft: 5))
    }

    @Test func ucb1ByHand() throws {
        let u = try UCB1()
        let counts = BanditCounts(successes: [1, 0], failures: [0, 1])
        #expect(abs(u.bound(counts, arm: 0) - (1 + (2 * log(2.0)).squareRoot())) < 1e-12)
        #expect(abs(u.bound(counts, arm: 1) - (2 * log(2.0)).squareRoot()) < 1e-12)
        var strategy = u, rng = RNG(seed: 0)
        #expect(try strategy.choose(counts, pullsLeft: 3, rng: &rng) == 0)
        // An arm never pulled goes first.
        #expect(try strategy.choose(BanditCounts(successes: [5, 0], failures: [0, 0]), pullsLeft: 3, rng: &rng) == 1)
        #expect(throws: BanditError.self) { try UCB1(c: -1) }
    }

    @Test func thompsonSamplesThePosterior() throws {
        var rng = RNG(seed: 3)
        // Beta(3, 2) has mean 3/5.
        let draws = (0..<20_000).map { _ in ThompsonSampling.sampleBeta(alpha: 3, beta: 2, rng: &rng) }
        #expect(abs(draws.reduce(0, +) / 20_000 - 0.6) < 0.01)
        // Beta(2, 1) against Beta(1, 2): P(first is larger) = ∫ 2x (2x − x²) dx = 5/6.
        var ts = ThompsonSampling()
        let counts = BanditCounts(successes: [1, 0], failures: [0, 1])
        var first = 0
        for _ in 0..<20_000 where try ts.choose(counts, pullsLeft: 1, rng: &rng) == 0 { first += 1 }
        #expect(abs(Double(first) / 20_000 - 5.0 / 6) < 0.01)
        #expect(ThompsonSampling.posterior(counts, arm: 1) == (alpha: 1, beta: 2))
    }

    @Test func greedyEpsilonGreedyAndRandom() throws {
        var greedy = try EpsilonGreedyArm(epsilon: 0), rng = RNG(seed: 0)
        // Posterior means 1/3 (one failure) and 1/2 (no pulls): greedy leaves the failed arm.
        #expect(try greedy.choose(BanditCounts(successes: [0, 0], failures: [1, 0]), pullsLeft: 2, rng: &rng) == 1)
        #expect(try greedy.choose(BanditCounts(successes: [1, 0], failures: [0, 0]), pullsLeft: 2, rng: &rng) == 0)
        var always = try EpsilonGreedyArm(epsilon: 1)
        var counts = [0, 0, 0]
        for _ in 0..<3000 { counts[try always.choose(BanditCounts(successes: [9, 0, 0], failures: [0, 0, 0]), pullsLeft: 1, rng: &rng)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 1000) < 100 })
        #expect(throws: BanditError.self) { try EpsilonGreedyArm(epsilon: 1.5) }
    }

    @Test func badArgumentsAreNamed() throws {
        do {
            _ = try evaluateBandit(RandomArm(), arms: 0, pulls: 10, trials: 10)
            Issue.record("0 arms accepted")
        } catch { #expect("\(error)".contains("arms must be >= 1, got 0")) }
        do {
            try BanditArguments.check(probabilities: [0.2, -0.1], "play")
            Issue.record("a probability of -0.1 accepted")
        } catch { #expect("\(error)".contains("probabilities[1]") && "\(error)".contains("-0.1")) }
        #expect(throws: BanditError.self) { try BayesOptimalBandit(arms: 0, pulls: 3) }
        #expect(throws: BanditError.self) { try evaluateBandit(RandomArm(), arms: 2, pulls: 3, trials: 0) }
    }
}
