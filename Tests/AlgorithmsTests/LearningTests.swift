import Algorithms
import Environments
import NeuralNets
import TensorCore
import Testing

// The lecture's measured claims (issue 8, item 3), with fixed seeds and step budgets. Each
// runs in well under a minute in a debug build; the full benchmark-sized runs are in
// `memento-bench rl`.

/// DRQN with the benchmark's configuration (LSTM(4 → 64) → Linear(64 → 3), whole-episode
/// replay from zeros, batch 32, Double DQN, Huber, Adam 1e-3, C = 100) on TMaze(10).
func drqnOnTMaze10(seed: UInt64, maxEpisodes: Int) throws -> (run: Run, agent: DRQN) {
    let maze = try TMaze(length: 10)
    var rng = RNG(seed: seed)
    let net = try RecurrentQNetwork(for: maze, hiddenSize: 64, rng: &rng)
    var config = DRQNConfig()
    config.seed = seed
    config.deltaQInterval = 0
    let agent = try DRQN(network: net, environment: maze, config: config)
    var options = TrainingOptions()
    options.seed = seed
    options.maxEpisodes = maxEpisodes
    options.logInterval = 1000
    let run = try train(agent, on: maze, steps: 100_000, options: options, callbacks: [stopWhenSolved(rate: 0.9, window: 100)])
    return (run, agent)
}

/// DQN with a k-frame window on TMaze(length).
func dqnWithWindow(length: Int, k: Int, steps: Int, seed: UInt64) throws -> (run: Run, agent: DQN, env: FrameStack<TMaze>) {
    let env = try TMaze(length: length).frameStack(k)
    var rng = RNG(seed: seed)
    let net = try MLP([env.observationSize, 64, 64, 3], rng: &rng)
    var config = DQNConfig()
    config.seed = seed
    config.explorationSteps = steps / 2
    let agent = try DQN(network: net, environment: env, config: config)
    var options = TrainingOptions()
    options.seed = seed
    let run = try train(agent, on: env, steps: steps, options: options)
    return (run, agent, env)
}

@Suite("Learning results")
struct LearningTests {
    @Test("DRQN reaches 90% success over the last 100 episodes on the passive TMaze(10)")
    func drqnSolvesTMaze10() throws {
        let (run, agent) = try drqnOnTMaze10(seed: 1, maxEpisodes: 700)
        #expect(run.stopReason == .callback, "not solved within 700 episodes: \(run)")
        #expect(try #require(run.successRate(last: 100)) >= 0.9)
        // The greedy policy remembers the cue for 10 steps.
        let greedy = try evaluate(agent, on: try TMaze(length: 10), episodes: 50)
        #expect(greedy.filter { $0 > 0 }.count >= 48)
        #expect(!run.values("losses/td_loss").isEmpty)
    }

    @Test("DQN with a 4-frame window solves TMaze(3) but stays at or below 70% on TMaze(10)")
    func windowReachesOnlyAsFarAsItsLength() throws {
        let short = try dqnWithWindow(length: 3, k: 4, steps: 4000, seed: 0)
        #expect(try #require(short.run.successRate(last: 100)) >= 0.9)
        let shortGreedy = try evaluate(short.agent, on: short.env, episodes: 50)
        #expect(shortGreedy.allSatisfy { $0 > 0 })

        let long = try dqnWithWindow(length: 10, k: 4, steps: 4000, seed: 0)
        #expect(try #require(long.run.successRate(last: 100)) <= 0.7)
        let longGreedy = try evaluate(long.agent, on: long.env, episodes: 100)
        #expect(Double(longGreedy.filter { $0 > 0 }.count) / 100 <= 0.7)
    }

    @Test("ΔQ is lowest with stored state + burn-in and highest with zero start (R2D2)")
    func deltaQOrdering() throws {
        let maze = try TMaze(length: 10)
        var rng = RNG(seed: 0)
        let net = try RecurrentQNetwork(for: maze, hiddenSize: 64, rng: &rng)
        var config = DRQNConfig()
        config.sequenceLength = 5
        config.strategy = .storedStateWithBurnIn(4)
        config.deltaQInterval = 25
        let agent = try DRQN(network: net, environment: maze, config: config)
        var options = TrainingOptions()
        options.maxEpisodes = 300
        let run = try train(agent, on: maze, steps: 100_000, options: options)
        #expect(!run.values("losses/delta_q").isEmpty)

        let strategies: [ReplayStrategy] = [.zeroStart, .burnIn(4), .storedState, .storedStateWithBurnIn(4)]
        let last = try strategies.map { try agent.measureDeltaQ($0, length: 5, batches: 4).last }
        let zero = last[0], both = last[3]
        #expect(zero == last.max(), "ΔQ at the window's end: \(zip(strategies, last).map { "\($0): \($1)" })")
        #expect(both == last.min(), "ΔQ at the window's end: \(zip(strategies, last).map { "\($0): \($1)" })")
    }
}
