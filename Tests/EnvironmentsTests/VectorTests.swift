import Testing
import TensorCore
@testable import Environments

@Suite struct VectorEnvironmentTests {
    @Test func nextStepAutoresetMatchesGymnasiumSemantics() throws {
        var vec = try VectorEnvironment(count: 3) { i throws(EnvironmentError) in try TMaze(length: 2 + i) }
        try vec.reset(seed: 10)
        // Singles seeded seed + i reproduce each copy.
        var singles = try (0..<3).map { i in try TMaze(length: 2 + i) }
        for i in 0..<3 {
            let (obs, _) = try singles[i].reset(seed: 10 + UInt64(i))
            #expect(Array(vec.observation(i)) == obs)
        }
        // Always forward: copy i reaches its junction after 2 + i steps, truncates at 3(2 + i).
        for t in 1...20 {
            let wasDone = (0..<3).map { vec.terminations[$0] || vec.truncations[$0] }
            try vec.step([0, 0, 0])
            for i in 0..<3 {
                if wasDone[i] {
                    // The step after an episode end is a reset: reward 0, flags false, first observation.
                    #expect(vec.rewards[i] == 0 && !vec.terminations[i] && !vec.truncations[i])
                    let (obs, _) = try singles[i].reset()
                    #expect(Array(vec.observation(i)) == obs)
                } else {
                    let (obs, reward, terminated, truncated, _) = try singles[i].step(0)
                    #expect(Array(vec.observation(i)) == obs, "copy \(i) at t \(t)")
                    #expect(vec.rewards[i] == reward && vec.terminations[i] == terminated && vec.truncations[i] == truncated)
                }
            }
        }
    }

    @Test func serialAndTwoThreadsGiveTheSameNumbers() throws {
        func run(threads: Int) throws -> ([Float], [Double]) {
            var vec = try VectorEnvironment(count: 7, threads: threads) { _ throws(EnvironmentError) in try CartPole() }
            try vec.reset(seed: 3)
            var rng = RNG(seed: 5)
            var observations: [Float] = [], rewards: [Double] = []
            for _ in 0..<300 {
                try vec.step((0..<7).map { _ in Int(rng.nextUInt32() & 1) })
                observations += vec.observations
                rewards += vec.rewards
            }
            return (observations, rewards)
        }
        let serial = try run(threads: 1), threaded = try run(threads: 2)
        #expect(serial.0 == threaded.0 && serial.1 == threaded.1)
    }

    @Test func badInputThrowsWithoutMovingAnyCopy() throws {
        var vec = try VectorEnvironment(count: 2) { _ throws(EnvironmentError) in try CartPole() }
        #expect(throws: EnvironmentError.self) { try vec.step([0, 1]) }  // before reset
        try vec.reset(seed: 0)
        let before = vec.states
        #expect(throws: EnvironmentError.self) { try vec.step([0]) }
        #expect(throws: EnvironmentError.self) { try vec.step([0, 5]) }
        #expect(vec.states == before)
        #expect(throws: EnvironmentError.self) { try VectorEnvironment<CartPole>(count: 0) { _ throws(EnvironmentError) in try CartPole() } }
    }

    @Test func sameStepAutoresetKeepsTheFinalObservation() throws {
        var vec = try VectorEnvironment(count: 2, autoresetMode: .sameStep) { i throws(EnvironmentError) in
            try TMaze(length: 2 + i)
        }
        try vec.reset(seed: 4)
        var singles = try (0..<2).map { i in try TMaze(length: 2 + i) }
        for i in 0..<2 { _ = try singles[i].reset(seed: 4 + UInt64(i)) }
        for _ in 0..<25 {
            try vec.step([0, 0])
            for i in 0..<2 {
                let (obs, reward, terminated, truncated, _) = try singles[i].step(0)
                #expect(vec.rewards[i] == reward && vec.terminations[i] == terminated && vec.truncations[i] == truncated)
                if terminated || truncated {
                    #expect(Array(vec.finalObservations[i * 4 ..< (i + 1) * 4]) == obs)
                    let (first, _) = try singles[i].reset()
                    #expect(Array(vec.observation(i)) == first, "reset in the same step")
                    #expect(vec.infos[i]["final_info"] != nil)
                } else {
                    #expect(Array(vec.observation(i)) == obs)
                }
            }
        }
    }

    @Test func twoThreadsStepManyCopiesAndRefuseToStepBeforeReset() throws {
        var vec = try VectorEnvironment(count: 16, threads: 2) { i throws(EnvironmentError) in try TMaze(length: 1 + i % 4) }
        #expect(throws: EnvironmentError.notReset(environment: vec.name)) { try vec.step([Int](repeating: 0, count: 16)) }
        try vec.reset(seed: 0)
        for _ in 0..<200 { try vec.step([Int](repeating: 1, count: 16)) }
        #expect(vec.observations.count == 64)
    }

    @Test func episodeStatisticsFlowThroughInfos() throws {
        var vec = try VectorEnvironment(count: 2) { i throws(EnvironmentError) in
            try TMaze(length: 1 + i).recordEpisodeStatistics()
        }
        try vec.reset(seed: 0)
        var finished = 0
        for _ in 0..<20 {
            try vec.step([0, 0])
            for i in 0..<2 where vec.infos[i]["episode"] != nil {
                #expect(vec.terminations[i] && !vec.truncations[i])   // forward only: the deadline ends each episode
                finished += 1
            }
        }
        #expect(finished > 2)
        #expect(vec.observationSpace.shape == [2, 4])
    }
}
