import Testing
import TensorCore
@testable import Environments

/// The index of the 1 in a one-hot slice.
func hot(_ v: ArraySlice<Float>) -> Int? { v.firstIndex(of: 1).map { $0 - v.startIndex } }
func hot(_ v: [Float]) -> Int? { hot(v[...]) }

@Suite struct POPGymTests {
    @Test(arguments: Difficulty.allCases)
    func contracts(level: Difficulty) throws {
        try checkContract { RepeatFirst(level) }
        try checkContract { RepeatPrevious(level) }
        try checkContract { CountRecall(level) }
        try checkContract { Autoencode(level) }
        try checkContract { StatelessCartPole(level) }
        try checkContract { NoisyStatelessCartPole(level) }
        try checkContract { MultiArmedBandit(level) }
    }

    @Test func levelsHavePOPGymsParameters() {
        #expect(RepeatFirst(.easy).decks == 1 && RepeatFirst(.medium).decks == 8 && RepeatFirst(.hard).decks == 16)
        #expect(RepeatPrevious(.medium).k == 32 && RepeatPrevious(.hard).decks == 3 && RepeatPrevious(.hard).k == 64)
        #expect(CountRecall(.hard).kind == .ranks && CountRecall(.hard).decks == 4 && CountRecall(.easy).kind == .colours)
        #expect(Autoencode(.hard).decks == 3)
        #expect(StatelessCartPole(.medium).maxEpisodeLength == 400)
        #expect(NoisyStatelessCartPole(.hard).noiseSigma == 0.3)
        #expect(MultiArmedBandit(.hard).arms == 30 && MultiArmedBandit(.hard).episodeLength == 600)
    }

    @Test(arguments: Difficulty.allCases)
    func repeatFirstOracleEarnsOne(level: Difficulty) throws {
        var env = RepeatFirst(level)
        var first = 0
        let episode = try play(&env, seed: 1) { obs, t, _ in
            if t == 0 { first = hot(obs)! }
            return first
        }
        #expect(episode.length == 52 * env.decks - 1 && episode.steps.last!.truncated)
        #expect(abs(episode.totalReturn - 1) < 1e-9)
        #expect(hot(env.state) == hot(episode.first), "hidden target is the first card's suit")
    }

    @Test(arguments: Difficulty.allCases)
    func repeatPreviousOracleEarnsOne(level: Difficulty) throws {
        var env = RepeatPrevious(level)
        let k = env.k
        var seen: [Int] = []
        let episode = try play(&env, seed: 2) { obs, t, _ in
            if t == 0 { seen = [] }
            seen.append(hot(obs)!)
            // After t + 1 observations, step t + 1 is scored on card t + 1 − k.
            return t + 1 >= k ? seen[t + 1 - k] : 0
        }
        #expect(episode.length == 52 * env.decks - 1)
        #expect(abs(episode.totalReturn - 1) < 1e-9)
        #expect(episode.steps.prefix(k - 1).allSatisfy { $0.reward == 0 })
    }

    @Test(arguments: Difficulty.allCases)
    func countRecallOracleEarnsOne(level: Difficulty) throws {
        var env = CountRecall(level)
        let kinds = env.kind.count
        var counts: [Int] = []
        let episode = try play(&env, seed: 3) { obs, t, _ in
            if t == 0 { counts = [Int](repeating: 0, count: kinds) }
            counts[hot(obs[0..<kinds])!] += 1
            return counts[hot(obs[kinds...])!]
        }
        #expect(episode.length == 52 * env.decks - 1 && episode.steps.last!.terminated)
        #expect(abs(episode.totalReturn - 1) < 1e-9)
        #expect(env.counts.reduce(0, +) == 52 * env.decks)
    }

    @Test(arguments: Difficulty.allCases)
    func autoencodeOracleEarnsOne(level: Difficulty) throws {
        var env = Autoencode(level)
        var stack: [Int] = []
        let episode = try play(&env, seed: 4) { obs, t, _ in
            if t == 0 { stack = [] }
            if let suit = hot(obs[1...]) { stack.append(suit) }
            return obs[0] == 1 ? stack.removeLast() : 0
        }
        #expect(episode.length == env.episodeLength && episode.steps.last!.terminated)
        #expect(abs(episode.totalReturn - 1) < 1e-9)
        let watching = 52 * env.decks - 1
        #expect(episode.steps.prefix(watching).allSatisfy { $0.reward == 0 })
        #expect(episode.steps[watching - 2].observation[0] == 0 && episode.steps[watching - 1].observation[0] == 1)
    }

    @Test func randomPlayEarnsAboutNothingOnCardTasks() throws {
        var env = RepeatFirst(.easy)
        var total = 0.0
        for seed in 0..<200 as Range<UInt64> { total += try play(&env, seed: seed, policy: randomPolicy(for: env)).totalReturn }
        #expect(abs(total / 200 - -0.5) < 0.1, "a random suit is right 1/4 of the time: mean return −1/2")
    }

    @Test func banditOracleBeatsRandomAndStateMatchesInfo() throws {
        var env = MultiArmedBandit(.easy)
        var oracle = 0.0, random = 0.0
        for seed in 0..<50 as Range<UInt64> {
            let (_, info) = try env.reset(seed: seed)
            #expect(info["bandits"]?.floats == env.state)
            let best = env.probabilities.indices.max { env.probabilities[$0] < env.probabilities[$1] }!
            oracle += try play(&env, seed: seed) { _, _, _ in best }.totalReturn
            random += try play(&env, seed: seed, policy: randomPolicy(for: env)).totalReturn
        }
        #expect(oracle / 50 > 0.7 && abs(random / 50) < 0.15)
        var env2 = MultiArmedBandit(.hard)
        let ep = try play(&env2, seed: 0, policy: randomPolicy(for: env2))
        #expect(ep.length == 600 && abs(ep.totalReturn) <= 1)
    }

    @Test func statelessCartPoleShowsCartPolesPositions() throws {
        var stateless = StatelessCartPole(.easy)
        var full = try CartPole()
        let a = try play(&stateless, seed: 7) { _, t, _ in (t / 2) % 2 }
        let b = try play(&full, seed: 7) { _, t, _ in (t / 2) % 2 }
        #expect(a.length == b.length)
        for (x, y) in zip(a.observations, b.observations) { #expect(x == [y[0], y[2]]) }
        #expect(abs(a.totalReturn - Double(a.length) / 200) < 1e-9)
        // A controller that reads the hidden state balances to the time limit: return 1.
        var env = StatelessCartPole(.easy)
        _ = try env.reset(seed: 1)
        var total = 0.0, steps = 0
        while true {
            let s = env.state
            let r = try env.step(s[2] + 0.5 * s[3] > 0 ? 1 : 0)
            total += r.reward
            steps += 1
            if r.terminated || r.truncated { #expect(r.truncated && !r.terminated); break }
        }
        #expect(steps == 200 && abs(total - 1) < 1e-9)
    }

    @Test func noisyStatelessCartPoleAddsNoiseOfTheStatedSize() throws {
        var env = NoisyStatelessCartPole(.medium)
        var errors: [Float] = []
        _ = try env.reset(seed: 0)
        for t in 0..<2000 {
            let (obs, _, terminated, truncated, _) = try env.step(t % 2)
            errors.append(obs[0] - Float(env.physics.x))
            if terminated || truncated { _ = try env.reset() }
        }
        let mean = errors.reduce(0, +) / Float(errors.count)
        let std = (errors.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(errors.count)).squareRoot()
        #expect(abs(mean) < 0.02 && abs(std - 0.2) < 0.02, "noise mean \(mean), std \(std)")
        #expect(throws: EnvironmentError.self) { try NoisyStatelessCartPole(noiseSigma: -1) }
    }

    @Test func badArgumentsThrow() {
        #expect(throws: EnvironmentError.self) { try RepeatFirst(decks: 0) }
        #expect(throws: EnvironmentError.self) { try RepeatPrevious(decks: 1, k: 52) }
        #expect(throws: EnvironmentError.self) { try CountRecall(decks: 0, kind: .suits) }
        #expect(throws: EnvironmentError.self) { try MultiArmedBandit(arms: 0, episodeLength: 10) }
        #expect(throws: EnvironmentError.self) { try StatelessCartPole(maxEpisodeLength: 0) }
    }
}

@Suite struct POPGymHiddenStateTests {
    @Test func countRecallStateHoldsTheCountsTheObservationsImply() throws {
        var env = CountRecall(.medium)
        var (obs, _) = try env.reset(seed: 8)
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0..<60 {
            counts[hot(obs[0..<4])!] += 1
            #expect(env.counts == counts)
            #expect(env.state.prefix(4).map { Int(($0 * Float(env.maxCount)).rounded()) } == counts)
            #expect(env.currentQuery == hot(obs[4...]))
            #expect(env.correctAnswer == counts[hot(obs[4...])!])
            obs = try env.step(0).observation
        }
    }

    @Test func autoencodeStateNamesTheNextSuitToRecite() throws {
        var env = Autoencode(.easy)
        var shown: [Int] = []
        var (obs, _) = try env.reset(seed: 2)
        while obs[0] == 0 {
            shown.append(hot(obs[1...])!)
            #expect(env.targetSuit == nil)
            obs = try env.step(0).observation
        }
        shown.append(hot(obs[1...])!)
        #expect(shown.count == 52)
        for suit in shown.reversed() {
            #expect(env.targetSuit == suit && hot(Array(env.state[2...])) == suit)
            _ = try env.step(suit)
        }
    }

    @Test func repeatPreviousStateIsTheLastKSuits() throws {
        var env = try RepeatPrevious(decks: 1, k: 3)
        var seen: [Int] = []
        var (obs, _) = try env.reset(seed: 6)
        for _ in 0..<10 {
            seen.append(hot(obs)!)
            let expected = (seen.count - 3 ..< seen.count).flatMap { i in oneHot(i >= 0 ? seen[i] : nil, count: 4) }
            #expect(env.state == expected)
            obs = try env.step(0).observation
        }
    }
}
