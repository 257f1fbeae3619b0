import Testing
import TensorCore
@testable import Environments

@Suite struct MetaRLTests {
    @Test func contracts() throws {
        try checkContract { try BernoulliBandits(arms: 5, pulls: 20) }
        try checkContract { try RandomTabularMDP(states: 4, actions: 3, horizon: 5, episodesPerTrial: 3) }
    }

    @Test func banditProbabilitiesAreUniformAndKnownArmWins() throws {
        var env = try BernoulliBandits(arms: 10, pulls: 100)
        var all: [Double] = []
        var best = 0.0, random = 0.0
        for seed in 0..<100 as Range<UInt64> {
            let (_, info) = try env.reset(seed: seed)
            #expect(info["bandits"]?.floats?.count == 10)
            all += env.probabilities
            let arm = env.probabilities.indices.max { env.probabilities[$0] < env.probabilities[$1] }!
            best += try play(&env, seed: seed) { _, _, _ in arm }.totalReturn
            random += try play(&env, seed: seed, policy: randomPolicy(for: env)).totalReturn
        }
        let mean = all.reduce(0, +) / Double(all.count)
        #expect(abs(mean - 0.5) < 0.05)
        #expect(best / 100 > 85 && abs(random / 100 - 50) < 5)
        // keepTask keeps the arms.
        _ = try env.reset(seed: 1)
        let task = env.probabilities
        _ = try env.reset(options: ["keepTask": 1])
        #expect(env.probabilities == task)
    }

    @Test func mdpIsAValidDistributionAndTrialsHaveInnerEpisodes() throws {
        var env = try RandomTabularMDP(states: 6, actions: 3, horizon: 4, episodesPerTrial: 5)
        let episode = try play(&env, seed: 2, policy: randomPolicy(for: env))
        #expect(episode.length == 20 && episode.steps.last!.truncated)
        for s in 0..<6 {
            for a in 0..<3 {
                let total = (0..<6).reduce(0.0) { $0 + env.transition(from: s, action: a, to: $1) }
                #expect(abs(total - 1) < 1e-9)
            }
        }
        // The start flag marks each inner episode's first observation, which is state 0.
        for (t, obs) in episode.observations.enumerated() where t < 20 {
            #expect((obs[6] == 1) == (t % 4 == 0))
            if t % 4 == 0 { #expect(obs[0] == 1) }
        }
        let task = env.transitions
        _ = try env.reset(options: ["keepTask": 1])
        #expect(env.transitions == task)
        _ = try env.reset()
        #expect(env.transitions != task)
    }
}
