import Testing
import TensorCore
@testable import Environments

/// Plays one episode with the environment's hidden-state oracle.
func playOracle<E: HiddenStateOracle>(_ env: inout E, seed: UInt64) throws -> Episode {
    let (first, _) = try env.reset(seed: seed)
    var episode = Episode(first: first, steps: [])
    while true {
        let (obs, reward, terminated, truncated, _) = try env.step(env.oracleAction())
        episode.steps.append(RecordedStep(observation: obs, reward: reward, terminated: terminated, truncated: truncated))
        if terminated || truncated { return episode }
    }
}

/// The mean return of `episodes` episodes.
func meanReturn(_ episodes: Int, _ play: (UInt64) throws -> Episode) rethrows -> Double {
    var total = 0.0
    for seed in 0..<UInt64(episodes) { total += try play(seed).totalReturn }
    return total / Double(episodes)
}

@Suite struct HiddenStateOracleTests {
    @Test func oraclesEarnTheDocumentedReturns() throws {
        for length in [1, 10, 40] {
            var maze = try TMaze(length: length, variant: .active)
            #expect(abs(try meanReturn(20) { try playOracle(&maze, seed: $0) } - (1 - 0.01 * Double(length))) < 1e-9)
        }
        var tiger = try Tiger()
        #expect(try meanReturn(50) { try playOracle(&tiger, seed: $0) } == 10)
        for level in Difficulty.allCases {
            var first = RepeatFirst(level), previous = RepeatPrevious(level)
            var count = CountRecall(level), autoencode = Autoencode(level)
            var stateless = StatelessCartPole(level), noisy = NoisyStatelessCartPole(level)
            #expect(abs(try playOracle(&first, seed: 1).totalReturn - 1) < 1e-9)
            #expect(abs(try playOracle(&previous, seed: 1).totalReturn - 1) < 1e-9)
            #expect(abs(try playOracle(&count, seed: 1).totalReturn - 1) < 1e-9)
            #expect(abs(try playOracle(&autoencode, seed: 1).totalReturn - 1) < 1e-9)
            #expect(abs(try playOracle(&stateless, seed: 1).totalReturn - 1) < 1e-9)
            #expect(abs(try playOracle(&noisy, seed: 1).totalReturn - 1) < 1e-9)
        }
        var pole = try CartPole()
        #expect(try meanReturn(10) { try playOracle(&pole, seed: $0) } == 500)
    }

    @Test func banditOraclesPullTheBestArm() throws {
        // E[max of k uniforms] = k / (k + 1).
        var popgym = MultiArmedBandit(.easy)
        let popgymMean = try meanReturn(100) { try playOracle(&popgym, seed: $0) }
        #expect(abs(popgymMean - (2 * 10.0 / 11 - 1)) < 0.05, "got \(popgymMean)")
        var bandits = try BernoulliBandits(arms: 5, pulls: 100)
        let banditMean = try meanReturn(100) { try playOracle(&bandits, seed: $0) }
        #expect(abs(banditMean - 100 * 5.0 / 6) < 4, "got \(banditMean)")
    }

    @Test func keyToDoorOracleOpensTheDoor() throws {
        var env = try KeyToDoor()
        for seed in 0..<30 as Range<UInt64> {
            let episode = try playOracle(&env, seed: seed)
            #expect(episode.steps.last!.terminated && episode.steps.last!.reward == 1)
            #expect(episode.totalReturn >= 1.1 - 1e-9, "collects at least one apple")
        }
    }

    @Test func mdpOracleBeatsRandomActions() throws {
        var env = try RandomTabularMDP()
        let oracle = try meanReturn(40) { try playOracle(&env, seed: $0) }
        let random = try meanReturn(40) { try play(&env, seed: $0, policy: randomPolicy(for: env)) }
        #expect(oracle > random + 50, "oracle \(oracle), random \(random)")
    }

    @Test func wrappersAndTypeErasurePassTheOracleThrough() throws {
        var wrapped = try TMaze(length: 6).frameStack(3).flicker(0.5).timeLimit(100).recordEpisodeStatistics()
        #expect(abs(try playOracle(&wrapped, seed: 0).totalReturn - 0.94) < 1e-9)
        let erased = try TMaze(length: 6).frameStack(3).eraseToAnyEnvironment()
        #expect(erased.oracleAction() != nil)
        var pole = try CartPole().velocityMasked(mode: .drop).previousActionReward()
        #expect(try playOracle(&pole, seed: 2).length == 500)
    }
}
