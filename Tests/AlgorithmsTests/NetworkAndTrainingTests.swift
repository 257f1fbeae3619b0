import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore
import Testing

@Suite("Networks, construction errors and the training API")
struct NetworkAndTrainingTests {
    @Test("A network whose output size is not the action count is refused, naming both sides")
    func outputSizeMismatch() throws {
        let maze = try TMaze(length: 3)
        var rng = RNG(seed: 0)
        let wrong = try MLP([4, 16, 5], rng: &rng)
        let error = try #require(throws: AlgorithmError.self) { try DQN(network: wrong, environment: maze) }
        #expect(error.message.contains("MLP") && error.message.contains("3 actions") && error.message.contains("[1, 5]"))

        let wrongInput = try MLP([7, 16, 3], rng: &rng)
        let inputError = try #require(throws: AlgorithmError.self) { try DQN(network: wrongInput, environment: maze) }
        #expect(inputError.message.contains("size 4") && inputError.message.contains("TMaze"))

        let recurrent = try RecurrentQNetwork(observationSize: 4, actionCount: 2, rng: &rng)
        let drqnError = try #require(throws: AlgorithmError.self) { try DRQN(network: recurrent, environment: maze) }
        #expect(drqnError.message.contains("RecurrentQNetwork") && drqnError.message.contains("3 actions"))
    }

    @Test("DRQN refuses a network without recurrent state")
    func nonRecurrentNetwork() throws {
        let maze = try TMaze(length: 3)
        var rng = RNG(seed: 0)
        let mlp = try MLP([4, 16, 3], rng: &rng)
        let error = try #require(throws: AlgorithmError.self) { try DRQN(network: mlp, environment: maze) }
        #expect(error.message.contains("recurrent") && error.message.contains("MLP"))
        let flat = Sequential([try Linear(4, 8, rng: &rng), Activation.relu, try Linear(8, 3, rng: &rng)])
        let flatError = try #require(throws: AlgorithmError.self) { try DRQN(network: flat, environment: maze) }
        #expect(flatError.message.contains("no LSTM"))
    }

    @Test("A schedule, warm-up or batch that makes no sense is refused at construction, naming the field and the value")
    func senselessSchedules() throws {
        let maze = try TMaze(length: 3)
        var rng = RNG(seed: 0)
        let recurrent = try RecurrentQNetwork(for: maze, hiddenSize: 8, rng: &rng)
        func drqnError(_ change: (inout DRQNConfig) -> Void) throws -> String {
            var config = DRQNConfig()
            change(&config)
            return try #require(throws: AlgorithmError.self) { try DRQN(network: recurrent, environment: maze, config: config) }.description
        }
        let warmUp = try drqnError { $0.learningStartsEpisodes = 8 }
        #expect(warmUp.contains("DRQN") && warmUp.contains("learningStartsEpisodes") && warmUp.contains("8") && warmUp.contains("batchSize (32)"))
        let noExploration = try drqnError { $0.explorationEpisodes = 0 }
        #expect(noExploration.contains("explorationEpisodes") && noExploration.contains("got 0"))
        let rising = try drqnError { $0.epsilonStart = 0.1; $0.epsilonEnd = 0.5 }
        #expect(rising.contains("epsilonEnd (0.5)") && rising.contains("epsilonStart (0.1)"))
        // The warm-up may equal the batch, and ε may stay constant.
        var fine = DRQNConfig()
        fine.batchSize = 8
        fine.learningStartsEpisodes = 8
        fine.epsilonStart = 0.1
        fine.epsilonEnd = 0.1
        _ = try DRQN(network: recurrent, environment: maze, config: fine)

        let mlp = try MLP([4, 16, 3], rng: &rng)
        func dqnError(_ change: (inout DQNConfig) -> Void) throws -> String {
            var config = DQNConfig()
            change(&config)
            return try #require(throws: AlgorithmError.self) { try DQN(network: mlp, environment: maze, config: config) }.description
        }
        let dqnWarmUp = try dqnError { $0.learningStarts = 10 }
        #expect(dqnWarmUp.contains("DQN") && dqnWarmUp.contains("learningStarts") && dqnWarmUp.contains("got 10") && dqnWarmUp.contains("batchSize (64)"))
        let dqnNoExploration = try dqnError { $0.explorationSteps = 0 }
        #expect(dqnNoExploration.contains("explorationSteps") && dqnNoExploration.contains("got 0"))
        let dqnRising = try dqnError { $0.epsilonStart = 0; $0.epsilonEnd = 1 }
        #expect(dqnRising.contains("epsilonEnd") && dqnRising.contains("epsilonStart"))
    }

    @Test("A Sequential with an LSTM is adapted as a recurrent Q-function and trains")
    func pipeline() throws {
        let maze = try TMaze(length: 2)
        var rng = RNG(seed: 0)
        let net = Sequential([try Linear(4, 16, rng: &rng), Activation.relu, try LSTM(16, 16, rng: &rng), try Linear(16, 3, rng: &rng)])
        var config = DRQNConfig()
        config.learningStartsEpisodes = 4
        config.batchSize = 4
        config.deltaQInterval = 1
        let agent = try DRQN(network: net, environment: maze, config: config)
        let run = try train(agent, on: maze, steps: 60)
        #expect(agent.updateCount > 0)
        #expect(run.values("losses/delta_q").allSatisfy { abs($0) < 1e-4 })  // whole episodes from zeros are exact
        #expect(agent.network === net)
    }

    @Test("The target network is a snapshot that leaves the live parameters alone")
    func targetNetwork() throws {
        var rng = RNG(seed: 0)
        let net = try MLP([2, 4, 2], rng: &rng)
        let target = try TargetNetwork(of: net)
        let x = try Tensor([[1, 2]])
        let before = try net(x).scalars
        for p in net.parameters { try p.assign(p.value * 2) }
        let after = try net(x).scalars
        #expect(before != after)
        #expect(try target.evaluate { try net(x).scalars } == before)
        #expect(try net(x).scalars == after)
        try target.sync()
        #expect(try target.evaluate { try net(x).scalars } == after)
        // Gradients still reach the live parameters after a swap.
        try net(x).sum().backward()
        #expect(net.parameters.allSatisfy { $0.grad != nil })
    }

    @Test("Runs log CleanRL's keys, are deterministic, evaluate, checkpoint and stop")
    func trainingAPI() throws {
        let env = try TMaze(length: 3).frameStack(4)
        func makeAgent() throws -> DQN {
            var rng = RNG(seed: 5)
            var config = DQNConfig()
            config.learningStarts = 64
            config.seed = 5
            return try DQN(network: try MLP([env.observationSize, 32, 3], rng: &rng), environment: env, config: config)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("memento-dqn-\(UInt64.random(in: 0...UInt64.max)).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = TrainingOptions()
        options.logInterval = 50
        options.evaluationInterval = 100
        options.evaluationEpisodes = 3
        options.checkpointInterval = 100
        options.checkpointPath = path
        var events = 0
        let agent = try makeAgent()
        let run = try train(agent, on: env, steps: 300, options: options, callbacks: [{ _, _ in events += 1; return .continue }])
        for key in ["charts/episodic_return", "charts/episodic_length", "charts/SPS", "charts/epsilon", "losses/td_loss", "losses/q_values", "eval/episodic_return"] {
            #expect(!run.values(key).isEmpty, "missing \(key)")
        }
        #expect(run.stopReason == .completed && run.steps == 300 && events > 0)
        let again = try train(try makeAgent(), on: env, steps: 300, options: options)
        #expect(again.episodeReturns == run.episodeReturns)

        // The checkpoint loads into a fresh network of the same shape.
        var rng = RNG(seed: 99)
        let fresh = try MLP([env.observationSize, 32, 3], rng: &rng)
        let metadata = try fresh.loadCheckpoint(from: path)
        #expect(metadata["algorithm"] == "DQN")
        let x = try Tensor.zeros([1, env.observationSize])
        let saved = try fresh(x).scalars, live = try agent.qNetwork(x).scalars
        #expect(saved == live)

        // A callback stops training; so does the stop signal (Ctrl-C), leaving a usable agent.
        let stopped = try train(agent, on: env, steps: 10_000, callbacks: [{ event, _ in
            if case .episodeEnded(let i, _, _) = event, i == 4 { return .stop }
            return .continue
        }])
        #expect(stopped.stopReason == .callback && stopped.episodeReturns.count == 5)
        let signal = StopSignal()
        var interrupted = TrainingOptions()
        interrupted.stopSignal = signal
        var steps = 0
        interrupted.shouldStop = { steps += 1; if steps == 37 { signal.stop() }; return false }
        let cut = try train(agent, on: env, steps: 10_000, options: interrupted)
        #expect(cut.stopReason == .interrupted && cut.steps == 37)
        #expect(try evaluate(agent, on: env, episodes: 2).count == 2)
    }

    @Test("An agent built for one environment refuses another")
    func wrongEnvironment() throws {
        let maze = try TMaze(length: 3)
        var rng = RNG(seed: 0)
        let agent = try DQN(network: try MLP([4, 8, 3], rng: &rng), environment: maze)
        let error = try #require(throws: AlgorithmError.self) { try train(agent, on: try Tiger(), steps: 10) }
        #expect(error.message.contains("TMaze") && error.message.contains("Tiger"))
        #expect(throws: AlgorithmError.self) { try train(agent, on: maze, steps: -1) }
        let continuous = AlgorithmError.unsupportedActionSpace(algorithm: "DQN", environment: "Pendulum", actionSpace: "Box(-2.0, 2.0, [1])")
        #expect(continuous.description.contains("DQN") && continuous.description.contains("Pendulum") && continuous.description.contains("Box"))
        var bad = DQNConfig()
        bad.gamma = 2
        #expect(throws: AlgorithmError.self) { try DQN(network: try MLP([4, 8, 3], rng: &rng), environment: maze, config: bad) }
    }

    @Test("Stored-state replay works for cells without a cell state (GRU) and through closures")
    func storedStateGRU() throws {
        let maze = try TMaze(length: 4)
        var rng = RNG(seed: 2)
        let net = try RecurrentQNetwork(for: maze, hiddenSize: 8, encoderSize: 8, cell: .gru, rng: &rng)
        let wrapped = ClosureRecurrentQFunction(module: net, initialState: { try net.initialState(batch: $0) },
                                                forward: { try net.forward($0, state: $1, resets: $2) })
        var config = DRQNConfig()
        config.sequenceLength = 3
        config.strategy = .storedStateWithBurnIn(2)
        config.learningStartsEpisodes = 4
        config.batchSize = 4
        config.deltaQInterval = 1
        let agent = try DRQN(qFunction: wrapped, environment: maze, config: config)
        let run = try train(agent, on: maze, steps: 80)
        #expect(agent.updateCount > 0 && agent.network === net)
        #expect(run.values("losses/delta_q").allSatisfy { $0.isFinite })
        let d = try agent.measureDeltaQ(.storedState, length: 3, batches: 1, batchSize: 4)
        #expect(d.first.isFinite && d.last.isFinite)
    }
}
