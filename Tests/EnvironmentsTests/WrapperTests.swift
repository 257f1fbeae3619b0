import Testing
import TensorCore
@testable import Environments

@Suite struct WrapperTests {
    @Test func contracts() throws {
        try checkContract { try CartPole().timeLimit(30) }
        try checkContract { try TMaze(length: 4).frameStack(3) }
        try checkContract { try CartPole().flicker(0.5) }
        try checkContract { try CartPole().masked(CartPole.velocityIndices, mode: .drop) }
        try checkContract { try Tiger().previousActionReward() }
        try checkContract { try CartPole().recordEpisodeStatistics() }
        try checkContract { try CartPole().normalizeObservation() }
    }

    @Test func timeLimitSetsTruncated() throws {
        var env = try TMaze(length: 10).timeLimit(4)
        let episode = try play(&env, seed: 0) { _, _, _ in 0 }
        #expect(episode.length == 4 && episode.steps.last!.truncated && !episode.steps.last!.terminated)
        #expect(throws: EnvironmentError.episodeFinished(environment: env.name)) { _ = try env.step(0) }
    }

    @Test func frameStackIsZeroPaddedAtEpisodeStartAndSlides() throws {
        var env = try TMaze(length: 5).frameStack(3)
        #expect(env.observationSpace.shape == [3, 4])
        for seed in 0..<3 as Range<UInt64> {
            var inner = try TMaze(length: 5)
            let plain = try play(&inner, seed: seed) { _, _, _ in 0 }
            let stacked = try play(&env, seed: seed) { _, _, _ in 0 }
            let frames = plain.observations
            let zero: [Float] = [0, 0, 0, 0]
            #expect(stacked.first == zero + zero + frames[0], "zero padding, newest last")
            #expect(stacked.steps[0].observation == zero + frames[0] + frames[1])
            for t in 2..<stacked.steps.count {
                #expect(stacked.steps[t].observation == frames[t - 1] + frames[t] + frames[t + 1])
            }
        }
        // A new episode does not see the previous episode's frames.
        let (first, _) = try env.reset(seed: 9)
        #expect(Array(first[0..<8]) == [Float](repeating: 0, count: 8))
        var repeating = try TMaze(length: 5).frameStack(2, padding: .reset)
        let (r, _) = try repeating.reset(seed: 1)
        #expect(Array(r[0..<4]) == Array(r[4..<8]))
    }

    @Test func flickerBlanksWholeObservationsAtRateP() throws {
        var env = try CartPole(maxEpisodeSteps: nil).flicker(0.3)
        var blanks = 0, total = 0
        _ = try env.reset(seed: 0)
        for _ in 0..<5000 {
            let (obs, _, terminated, _, _) = try env.step(total % 2)
            total += 1
            if obs.allSatisfy({ $0 == 0 }) { blanks += 1 } else { #expect(!env.lastBlanked) }
            if terminated { _ = try env.reset() }
        }
        #expect(abs(Double(blanks) / Double(total) - 0.3) < 0.03)
        var never = try CartPole().flicker(0), always = try CartPole().flicker(1)
        #expect(try never.reset(seed: 1).observation.contains { $0 != 0 })
        #expect(try always.reset(seed: 1).observation.allSatisfy { $0 == 0 })
    }

    @Test func velocityMaskingZeroesOrDrops() throws {
        var zeroed = try CartPole().velocityMasked(mode: .zero)
        var dropped = try CartPole().velocityMasked(mode: .drop)
        var full = try CartPole()
        let a = try play(&zeroed, seed: 4) { _, t, _ in t % 2 }
        let b = try play(&dropped, seed: 4) { _, t, _ in t % 2 }
        let c = try play(&full, seed: 4) { _, t, _ in t % 2 }
        #expect(dropped.observationSpace.size == 2)
        for (i, obs) in c.observations.enumerated() {
            #expect(a.observations[i] == [obs[0], 0, obs[2], 0])
            #expect(b.observations[i] == [obs[0], obs[2]])
        }
        #expect(throws: EnvironmentError.self) { try CartPole().masked([4]) }
    }

    @Test func previousActionRewardAppendsTheRL2Input() throws {
        var env = try Tiger().previousActionReward()
        #expect(env.observationSize == 3 + 3 + 1)
        let (first, _) = try env.reset(seed: 0)
        #expect(Array(first[3...]) == [0, 0, 0, 0])
        let (obs, reward, _, _, _) = try env.step(Tiger.Action.listen.rawValue)
        #expect(Array(obs[3...]) == [1, 0, 0, Float(reward)])
        let (last, reward2, _, _, _) = try env.step(Tiger.Action.openRight.rawValue)
        #expect(Array(last[3...]) == [0, 0, 1, Float(reward2)])
    }

    @Test func recordEpisodeStatisticsReportsReturnAndLength() throws {
        var env = try TMaze(length: 3).recordEpisodeStatistics(bufferLength: 2)
        for seed in 0..<3 as Range<UInt64> {
            _ = try env.reset(seed: seed)
            var info = Info()
            var total = 0.0, length = 0
            while true {
                let (_, reward, terminated, truncated, stepInfo) = try env.step(TMaze.Action.forward.rawValue)
                total += reward
                length += 1
                if terminated || truncated { info = stepInfo; break }
                #expect(stepInfo["episode"] == nil)
            }
            let episode = try #require(info["episode"]?.info)
            #expect(episode["r"]?.double == total)
            #expect(episode["l"]?.int == length)
            #expect(episode["t"]?.double != nil)
        }
        #expect(env.episodeCount == 3 && env.returnQueue.count == 2 && env.lengthQueue == [9, 9])
    }

    @Test func normalizeObservationStandardisesWithRunningStatistics() throws {
        var env = try CartPole(maxEpisodeSteps: nil).normalizeObservation()
        var rng = RNG(seed: 0)
        _ = try env.reset(seed: 0)
        var sums = [Double](repeating: 0, count: 4), squares = sums
        var n = 0
        for t in 0..<20_000 {
            let (obs, _, terminated, _, _) = try env.step(Int(rng.nextUInt32() & 1))
            if t >= 10_000 {
                for i in 0..<4 { sums[i] += Double(obs[i]); squares[i] += Double(obs[i] * obs[i]) }
                n += 1
            }
            if terminated { _ = try env.reset() }
        }
        for i in 0..<4 {
            let mean = sums[i] / Double(n), variance = squares[i] / Double(n) - mean * mean
            #expect(abs(mean) < 0.2 && abs(variance - 1) < 0.3, "element \(i): mean \(mean), variance \(variance)")
        }
        // With the statistics frozen, normalisation is a fixed affine map.
        env.updatesStatistics = false
        let frozen = env.mean
        _ = try env.reset(seed: 1)
        #expect(env.mean == frozen)
    }

    @Test func wrappersCompose() throws {
        var env = try CartPole()
            .velocityMasked(mode: .drop)
            .flicker(0.2)
            .frameStack(4)
            .previousActionReward()
            .recordEpisodeStatistics()
            .eraseToAnyEnvironment()
        #expect(env.observationSize == 4 * 2 + 2 + 1)
        let episode = try play(&env, seed: 0, policy: randomPolicy(for: env))
        #expect(episode.length > 0 && env.observationSpace.contains(episode.first))
        #expect(env.state.count == 4, "the hidden state is CartPole's full state")
    }
}
