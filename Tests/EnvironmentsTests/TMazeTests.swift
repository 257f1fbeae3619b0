import Testing
import TensorCore
@testable import Environments

@Suite struct TMazeTests {
    @Test(arguments: [TMaze.Variant.passive, .active])
    func contract(variant: TMaze.Variant) throws {
        try checkContract { try TMaze(length: 6, variant: variant) }
    }

    /// Remembers the cue from the first observation, walks forward, turns the cued way.
    static func oracle() -> (_ obs: [Float], _ t: Int, _ rng: inout RNG) -> Int {
        var cueLeft = true
        return { obs, t, _ in
            if t == 0 { cueLeft = obs[0] == 1 }
            if obs[3] == 1 { return cueLeft ? TMaze.Action.left.rawValue : TMaze.Action.right.rawValue }
            return TMaze.Action.forward.rawValue
        }
    }

    @Test(arguments: [1, 2, 5, 10, 50])
    func oracleEarnsOneMinusStepCosts(length: Int) throws {
        for variant in TMaze.Variant.allCases {
            var env = try TMaze(length: length, variant: variant)
            for seed in 0..<20 as Range<UInt64> {
                let episode = try play(&env, seed: seed, policy: Self.oracle())
                #expect(episode.length == length + 1)
                #expect(abs(episode.totalReturn - (1 - 0.01 * Double(length))) < 1e-9)
                #expect(episode.steps.last!.terminated && !episode.steps.last!.truncated)
                #expect(episode.steps.last!.observation == [0, 0, 0, 0])
            }
        }
    }

    @Test func cueIsShownOnlyOnTheFirstObservationAndMatchesTheHiddenState() throws {
        var env = try TMaze(length: 8)
        var lefts = 0
        for seed in 0..<100 as Range<UInt64> {
            let episode = try play(&env, seed: seed, policy: Self.oracle())
            let first = episode.first
            #expect(first[0] + first[1] == 1 && first[2] == 1 && first[3] == 0)
            #expect(env.state[1] == (first[0] == 1 ? 0 : 1), "hidden cue agrees with the shown cue")
            if first[0] == 1 { lefts += 1 }
            for obs in episode.observations.dropFirst() { #expect(obs[0] == 0 && obs[1] == 0) }
            // The junction bit appears exactly after `length` steps.
            #expect(episode.observations[8] == [0, 0, 0, 1])
            #expect(episode.observations[7] == [0, 0, 1, 0])
        }
        #expect(lefts > 30 && lefts < 70, "both cues occur")
    }

    @Test func wrongTurnCostsOne() throws {
        var env = try TMaze(length: 3)
        _ = try env.reset(seed: 0, options: ["cue": 0])
        for _ in 0..<3 { _ = try env.step(TMaze.Action.forward.rawValue) }
        let (_, reward, terminated, _, _) = try env.step(TMaze.Action.right.rawValue)
        #expect(reward == -1 && terminated)
    }

    @Test func passiveMovesOnEveryActionActiveOnlyOnForward() throws {
        var passive = try TMaze(length: 4, variant: .passive)
        _ = try passive.reset(seed: 0)
        _ = try passive.step(TMaze.Action.left.rawValue)
        #expect(passive.position == 1)
        var active = try TMaze(length: 4, variant: .active)
        _ = try active.reset(seed: 0)
        let (_, reward, terminated, _, _) = try active.step(TMaze.Action.left.rawValue)
        #expect(active.position == 0 && reward == -0.01 && !terminated)
        _ = try active.step(TMaze.Action.forward.rawValue)
        #expect(active.position == 1)
    }

    @Test func terminatesAtTheDeadlineOfThreeTimesLength() throws {
        var env = try TMaze(length: 5)
        let episode = try play(&env, seed: 3) { _, _, _ in TMaze.Action.forward.rawValue }
        #expect(episode.length == 15)
        // The deadline is part of the task: a termination (no bootstrap), not a truncation.
        #expect(episode.steps.last!.terminated && !episode.steps.last!.truncated)
        #expect(episode.steps.dropLast().allSatisfy { !$0.terminated && !$0.truncated })
        #expect(abs(episode.totalReturn - -0.15) < 1e-9)
        #expect(episode.steps.last!.observation == [0, 0, 0, 0])
    }

    @Test func badCueOptionThrows() throws {
        var env = try TMaze(length: 2)
        #expect(throws: EnvironmentError.self) { _ = try env.reset(options: ["cue": 3]) }
    }
}
