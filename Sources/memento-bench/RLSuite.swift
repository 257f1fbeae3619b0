import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// Suite `rl`: whole training runs of the lecture's algorithms until they solve a task,
/// against the same algorithm, network and hyperparameters in PyTorch (`bench/peers/rl.py`).
func rlSuite() -> [BenchCase] {
    [drqnTMazeSolveCase(), impalaFramesPerSecondCase()]
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
/// per LSTM step), and on the 2-core benchmark machine a second thread made both slower
/// (PyTorch about 10×, Memento 10–18 %).
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
