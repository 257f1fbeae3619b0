import Testing
import TensorCore
@testable import Environments

@Suite struct RL2TrialTests {
    @Test func contract() throws {
        try checkContract { try RL2Trial(BernoulliBandits(arms: 3, pulls: 4)) }
        try checkContract { try RL2Trial(RandomTabularMDP(states: 3, actions: 2, horizon: 3, episodesPerTrial: 1), episodes: 3) }
    }

    @Test func inputIsObservationPreviousActionRewardAndDone() throws {
        var env = try RL2Trial(BernoulliBandits(probabilities: [0, 1, 0], pulls: 3))
        #expect(env.observationSize == 1 + 3 + 2)
        let (first, _) = try env.reset(seed: 0)
        #expect(first == [1, 0, 0, 0, 0, 0])
        let paid = try env.step(1)
        #expect(paid.observation == [1, 0, 1, 0, 1, 0] && paid.reward == 1 && !paid.terminated)
        let unpaid = try env.step(2)
        #expect(unpaid.observation == [1, 0, 0, 1, 0, 0] && unpaid.reward == 0)
        let last = try env.step(0)
        // The trial ends with its last inner episode: terminated, nothing to bootstrap.
        #expect(last.terminated && !last.truncated)
    }

    @Test func episodesOfATrialShareTheTaskAndFlagTheirEnds() throws {
        var env = try RL2Trial(RandomTabularMDP(states: 4, actions: 2, horizon: 3, episodesPerTrial: 1), episodes: 3)
        _ = try env.reset(seed: 5)
        let task = env.inner.transitions
        var flags: [Float] = [], ends: [Bool] = []
        for _ in 0..<9 {
            let s = try env.step(0)
            flags.append(s.observation[env.observationSize - 1])
            ends.append(s.terminated || s.truncated)
            #expect(env.inner.transitions == task)
        }
        #expect(flags == [0, 0, 1, 0, 0, 1, 0, 0, 1])
        #expect(ends == [false, false, false, false, false, false, false, false, true])
        _ = try env.reset()
        #expect(env.inner.transitions != task)                          // a new trial, a new task
    }

    @Test func badArgumentsAreNamed() throws {
        #expect(throws: EnvironmentError.self) { try RL2Trial(BernoulliBandits(arms: 2, pulls: 2), episodes: 0) }
        do {
            _ = try RL2Trial(BernoulliBandits(arms: 2, pulls: 2), episodes: 0)
        } catch { #expect("\(error)".contains("episodes (per trial)") && "\(error)".contains("0")) }
        do {
            _ = try BernoulliBandits(probabilities: [0.5, 1.5])
            Issue.record("a probability of 1.5 was accepted")
        } catch { #expect("\(error)".contains("probabilities[1]") && "\(error)".contains("1.5")) }
        #expect(throws: EnvironmentError.self) { try BernoulliBandits(arms: 0) }
        #expect(throws: EnvironmentError.self) { try BernoulliBandits(probabilities: []) }
    }
}
