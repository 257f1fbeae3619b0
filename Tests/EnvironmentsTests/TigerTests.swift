import Testing
import TensorCore
@testable import Environments

@Suite struct TigerTests {
    @Test func contract() throws {
        try checkContract { try Tiger() }
    }

    /// Listens until the growls on one side outnumber the other by two (belief ≥ 0.97 with
    /// accuracy 0.85), then opens the other door.
    static func beliefPolicy(threshold: Int = 2) -> (_ obs: [Float], _ t: Int, _ rng: inout RNG) -> Int {
        var balance = 0  // growls heard on the left minus growls on the right
        return { obs, t, _ in
            if t == 0 { balance = 0 }
            if obs[1] == 1 { balance += 1 }
            if obs[2] == 1 { balance -= 1 }
            if balance >= threshold { return Tiger.Action.openRight.rawValue }
            if balance <= -threshold { return Tiger.Action.openLeft.rawValue }
            return Tiger.Action.listen.rawValue
        }
    }

    @Test func beliefThresholdPolicyBeatsAlwaysOpenByAWideMargin() throws {
        var env = try Tiger()
        let episodes = 3000
        var beliefTotal = 0.0, openTotal = 0.0
        for seed in 0..<UInt64(episodes) {
            beliefTotal += try play(&env, seed: seed, policy: Self.beliefPolicy()).totalReturn
            openTotal += try play(&env, seed: seed) { _, _, _ in Tiger.Action.openLeft.rawValue }.totalReturn
        }
        let belief = beliefTotal / Double(episodes), open = openTotal / Double(episodes)
        #expect(abs(open - -45) < 5, "always-open earns (10 − 100) / 2 on average, got \(open)")
        #expect(belief > 0, "belief policy average \(belief)")
        #expect(belief - open > 40)
    }

    @Test func growlsAgreeWithTheHiddenTigerAtTheListenAccuracy() throws {
        var env = try Tiger()
        var correct = 0, total = 0
        for seed in 0..<200 as Range<UInt64> {
            let (first, _) = try env.reset(seed: seed)
            #expect(first == [1, 0, 0], "nothing heard at the start")
            for _ in 0..<20 {
                let (obs, reward, _, _, _) = try env.step(Tiger.Action.listen.rawValue)
                #expect(reward == -1)
                let heardLeft = obs[1] == 1
                #expect(obs[1] + obs[2] == 1)
                if heardLeft == (env.state == [1, 0]) { correct += 1 }
                total += 1
            }
        }
        let accuracy = Double(correct) / Double(total)
        #expect(abs(accuracy - 0.85) < 0.02, "accuracy \(accuracy)")
    }

    @Test func openingADoorEndsTheEpisodeWithItsReward() throws {
        var env = try Tiger()
        for seed in 0..<50 as Range<UInt64> {
            _ = try env.reset(seed: seed)
            let tigerLeft = env.tigerIsLeft
            let (obs, reward, terminated, _, _) = try env.step(Tiger.Action.openLeft.rawValue)
            #expect(terminated && obs == [1, 0, 0])
            #expect(reward == (tigerLeft ? -100 : 10))
        }
    }

    @Test func truncatesAfterMaxSteps() throws {
        var env = try Tiger(maxSteps: 7)
        let episode = try play(&env, seed: 1) { _, _, _ in 0 }
        #expect(episode.length == 7 && episode.steps.last!.truncated && !episode.steps.last!.terminated)
    }
}
