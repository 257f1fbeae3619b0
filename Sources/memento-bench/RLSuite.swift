import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// Suite `rl`: whole training runs of the lecture's algorithms until they solve a task,
/// against the same algorithm, network and hyperparameters in PyTorch (`bench/peers/rl.py`).
func rlSuite() -> [BenchCase] {
    [drqnTMazeSolveCase(), impalaFramesPerSecondCase(), ppoLSTMStatelessCartPoleSolveCase(), rl2BanditTrainStepsPerSecondCase(), rlhfPPOIterationCase()]
}

/// `drqn_tmaze10_solve`: DRQN on the passive TMaze(10) until ≥ 90% of the last 100 training
/// episodes succeed, in seconds, with the episodes and environment steps it took as further
/// figures (medians over the same samples, both sides: the episodes are deterministic given
/// the seed, the seconds are not, so the episodes say whether the two sides learn alike). Issue 8's configuration: LSTM(4 → 64) → Linear(64 → 3),
/// whole-episode replay from a zero state, 32 episodes a batch, Double DQN targets, Huber
/// loss, Adam 1e-3, γ 0.99, a hard target sync every 100 updates, one update per episode
/// (from 32 stored episodes on), ε from 1.0 to 0.05 linearly over the first 600 episodes.
///
/// Each sample trains from scratch with the next seed (0, 1, 2, …, as the peer does), so
/// the median covers several runs' luck (the first, seed 0, is the uncounted warm-up); the
/// environment steps and episodes of each run go to stderr too.
///
/// Both sides run on one thread (`MEMENTO_RL_THREADS` overrides Memento's, as
/// `MEMENTO_PEER_THREADS` does the peer's): the products here are tiny ([≤ 32, 64] × [64, 256]
/// per LSTM step): a second thread costs more in hand-offs than such a product takes (on
/// the 2-core AMD machine where it was measured it made both slower: PyTorch about 10×,
/// Memento 10–18 %), and the benchmark compares the engines, not their thread pools.
func drqnTMazeSolveCase() -> BenchCase {
    final class Seeds { var next: UInt64 = 0 }
    let seeds = Seeds()
    return BenchCase(suite: "rl", name: "drqn_tmaze10_solve", unit: "s", better: .lower, peerCase: "drqn_tmaze10_solve",
                     noPeerReason: nil, figures: ["episodes", "env_steps"]) {
        let seed = seeds.next
        seeds.next += 1
        let savedThreads = BLAS.threads
        BLAS.threads = ProcessInfo.processInfo.environment["MEMENTO_RL_THREADS"].flatMap { Int($0) } ?? 1
        defer { BLAS.threads = savedThreads }
        let maze = try TMaze(length: 10)
        var rng = RNG(seed: seed)
        let net = try RecurrentQNetwork(for: maze, hiddenSize: 64, rng: &rng)
        var config = DRQNConfig()   // the defaults are the configuration above
        config.seed = seed
        config.deltaQInterval = 0
        let agent = try DRQN(network: net, environment: maze, config: config)
        var options = TrainingOptions()
        options.seed = seed
        options.logInterval = 1 << 40
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try train(agent, on: maze, steps: 500_000, options: options, callbacks: [stopWhenSolved(rate: 0.9, window: 100)])
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard run.stopReason == .callback else { throw BenchError("DRQN did not solve TMaze(10) in \(run.steps) steps (seed \(seed))") }
        FileHandle.standardError.write(Data(String(format: "  memento drqn_tmaze10_solve seed %llu: %d env steps, %d episodes, %.3f s\n",
                                                   seed, run.steps, run.episodeReturns.count, seconds).utf8))
        return BenchSample(value: seconds, figures: ["episodes": Double(run.episodeReturns.count), "env_steps": Double(run.steps)])
    }
}

/// `ppo_lstm_stateless_cartpole_solve`: recurrent PPO on position-only CartPole-v1 (the
/// velocities dropped, 500 steps, reward 1 a step: the zoo's CartPoleNoVel) until the mean
/// return of the last 20 episodes reaches 475, capped at 200,000 steps, in seconds. The RL
/// Zoo's settings for RecurrentPPO on CartPoleNoVel-v1: 8 environments, n_steps 32, batch
/// 256 (the whole rollout: 8 sequences of 32), γ 0.98, λ 0.8, 20 epochs, α 1e-3 and ε 0.2
/// both decaying linearly over the run's budget (200,000 steps), no entropy bonus, c₁ 0.5, gradient norm
/// 0.5, Adam (ε 1e-5), an LSTM of 64 for the actor and another for the critic, each
/// followed by Linear(64) + ReLU and the output layer (PyTorch's default initialisation,
/// the zoo's `ortho_init: False`), observations and rewards normalised by running
/// statistics (`normalize: true`, VecNormalize with γ 0.98).
///
/// Each sample trains from scratch with the next seed (0, 1, 2, …, as the peer does); the
/// steps and episodes of each run go to stderr. One thread on both sides, as above.
func ppoLSTMStatelessCartPoleSolveCase() -> BenchCase {
    final class Seeds { var next: UInt64 = 0 }
    let seeds = Seeds()
    return BenchCase(suite: "rl", name: "ppo_lstm_stateless_cartpole_solve", unit: "s", better: .lower,
                     peerCase: "ppo_lstm_stateless_cartpole_solve", noPeerReason: nil) {
        let seed = seeds.next
        seeds.next += 1
        let savedThreads = BLAS.threads
        BLAS.threads = ProcessInfo.processInfo.environment["MEMENTO_RL_THREADS"].flatMap { Int($0) } ?? 1
        defer { BLAS.threads = savedThreads }
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try recurrentPPOOnCartPoleNoVel(seed: seed, maxSteps: 200_000)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard run.stopReason == .callback else {
            throw BenchError("recurrent PPO did not solve CartPoleNoVel in \(run.steps) steps (seed \(seed))")
        }
        FileHandle.standardError.write(Data(String(format: "  memento ppo_lstm_stateless_cartpole_solve seed %llu: %d env steps, %d episodes, %.3f s\n",
                                                   seed, run.steps, run.episodeReturns.count, seconds).utf8))
        return seconds
    }
}

/// One run of the case above (network and settings as documented there).
func recurrentPPOOnCartPoleNoVel(seed: UInt64, maxSteps: Int) throws -> Run {
    let env = try MaskObservation(try CartPole(), indices: CartPole.velocityIndices, mode: .drop)
    var config = PPOConfig()
    config.environmentCount = 8
    config.rolloutLength = 32
    config.batchSize = 256
    config.gamma = 0.98
    config.lambda = 0.8
    config.epochs = 20
    config.learningRate = 1e-3
    config.annealClipRange = true
    config.entropyCoefficient = 0
    config.normalizeObservations = true
    config.normalizeRewards = true
    config.seed = seed
    var rng = RNG(seed: seed)
    let net = try ActorCriticNetwork(observationSize: env.observationSize, policySize: 2, hidden: [64], activation: "relu",
                                     cell: .lstm, recurrentSize: 64, sharedRecurrent: false, rng: &rng)
    let agent = try PPO(actorCritic: net, environment: try PPO.vectorize(env, config), config: config)
    var options = TrainingOptions()
    options.seed = seed
    options.logInterval = 1 << 40
    return try train(agent, on: env, steps: maxSteps, options: options, callbacks: [stopWhenMeanReturn(475, window: 20)])
}
