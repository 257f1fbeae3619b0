import Foundation
import Testing
import Environments
import NeuralNets
import TensorCore
@testable import Algorithms

@Suite struct RL2Tests {
    func gruNet(_ inputs: Int, _ outputs: Int, _ rng: inout RNG) throws -> Sequential {
        Sequential([try GRU(inputs, 16, rng: &rng), try Linear(16, outputs, rng: &rng)])
    }

    @Test func trainsOnTrialsAndMeasuresAdaptationDeterministically() throws {
        func once() throws -> RL2.Adaptation {
            let trials = try RL2Trial(BernoulliBandits(arms: 3, pulls: 5))
            var rng = RNG(seed: 7)
            var config = RL2.config(pulls: 5)
            config.environmentCount = 8
            let agent = try RL2.agent(network: try gruNet(trials.observationSize, 3, &rng), critic: try gruNet(trials.observationSize, 1, &rng),
                                      environment: trials, config: config)
            var options = TrainingOptions()
            options.logInterval = 1 << 40
            let run = try train(agent, on: trials, steps: 800, options: options)
            #expect(run.episodeReturns.count == 160)                      // one episode per trial of 5 pulls
            return try RL2.adaptation(agent, arms: 3, pulls: 5, trials: 200, seed: 3)
        }
        let a = try once(), b = try once()
        #expect(a.bestArmProbability.count == 5 && a.evaluation.bestArmRate.count == 5)
        #expect(a.bestArmProbability == b.bestArmProbability && a.evaluation.meanReturn == b.evaluation.meanReturn)
        #expect(a.bestArmProbability.allSatisfy { $0 > 0 && $0 < 1 })
    }

    @Test func refusesAFeedForwardPolicyAndMismatchedBandits() throws {
        let trials = try RL2Trial(BernoulliBandits(arms: 3, pulls: 5))
        var rng = RNG(seed: 0)
        do {
            _ = try RL2.agent(network: Sequential([try Linear(trials.observationSize, 3, rng: &rng)]), environment: trials)
            Issue.record("a feed-forward RL² policy was accepted")
        } catch { #expect("\(error)".contains("recurrent")) }
        let agent = try RL2.agent(network: try gruNet(trials.observationSize, 3, &rng), environment: trials)
        do {
            _ = try RL2.adaptation(agent, arms: 4, pulls: 5, trials: 10)
            Issue.record("an agent for 3 arms was played on 4")
        } catch { #expect("\(error)".contains("observations of size 6") && "\(error)".contains("size 7")) }
        #expect(throws: (any Error).self) { try RL2.adaptation(agent, arms: 0, pulls: 5, trials: 10) }
    }

    @Test func bestArmPosteriorByHand() throws {
        let even = BestArmPosterior.probabilities(BanditCounts(arms: 2))
        #expect(abs(even[0] - 0.5) < 1e-12 && abs(even[1] - 0.5) < 1e-12)
        // Beta(2, 1) against Beta(1, 2): ∫ 2x (2x − x²) dx = 5/6.
        let p = BestArmPosterior.probabilities(BanditCounts(successes: [1, 0], failures: [0, 1]))
        #expect(abs(p[0] - 5.0 / 6) < 1e-10)
        // Beta(2, 1) against Beta(2, 2): ∫ 2x (3x² − 2x³) dx = 0.7.
        #expect(abs(BestArmPosterior.probabilities(BanditCounts(successes: [1, 1], failures: [0, 1]))[0] - 0.7) < 1e-10)
        // Three arms against Monte Carlo.
        let counts = BanditCounts(successes: [3, 1, 0], failures: [2, 0, 1])
        let exact = BestArmPosterior.probabilities(counts)
        var rng = RNG(seed: 1), wins = [0.0, 0, 0]
        for _ in 0..<40_000 {
            let draws = (0..<3).map { ThompsonSampling.sampleBeta(alpha: 1 + counts.successes[$0], beta: 1 + counts.failures[$0], rng: &rng) }
            wins[draws.indices.max { draws[$0] < draws[$1] }!] += 1
        }
        for i in 0..<3 { #expect(abs(wins[i] / 40_000 - exact[i]) < 0.01) }
        #expect(abs(exact.reduce(0, +) - 1) < 1e-12)
    }

    @Test func dptLearnsTowardThePosterior() throws {
        let dpt = try DPT(arms: 2, pulls: 6, hidden: 16, seed: 2)
        let before = try dpt.posteriorDistance(histories: 300).reduce(0, +) / 6
        let losses = try dpt.train(steps: 300, batchSize: 32)
        let after = try dpt.posteriorDistance(histories: 300).reduce(0, +) / 6
        #expect(losses.count == 300 && after < before && after < 0.1)
        let q = try dpt.predict(arms: [0, 0, 1], rewards: [1, 1, 0])
        #expect(abs(q.reduce(0, +) - 1) < 1e-5 && q[0] > q[1])
        #expect(try dpt.predict(arms: [], rewards: []) == [0.5, 0.5])
        do {
            _ = try dpt.predict(arms: [2], rewards: [1])
            Issue.record("arm 2 of a 2-armed bandit was accepted")
        } catch { #expect("\(error)".contains("arm 2")) }
        #expect(throws: (any Error).self) { try DPT(arms: 0) }
    }
}
