import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// `rl2_bandit_train_steps_per_s`: RL²'s training throughput — environment steps per
/// second, acting and PPO updates included — on the lesson's task: trials of 10 pulls of
/// 5-armed Bernoulli bandits (p ~ U[0, 1]), the input (1, one-hot previous arm, previous
/// reward, done) of size 8. Lesson 9's configuration (`RL2.config()`): 32 trials at a time,
/// rollouts of 10 steps (one trial per copy), 2 minibatches of 16 whole sequences, 4
/// epochs, Adam 3e-3 decaying linearly over the budget, clip 0.2, γ 0.99, λ 0.3, entropy
/// 0.01, value 0.5, gradient norm 0.5; GRU(8 → 64) → Linear(64 → 5) for the actor and
/// GRU(8 → 64) → Linear(64 → 1) for the critic. A budget of 64,000 steps (200 rollouts,
/// 1,600 gradient steps). The peer (`bench/peers/rl2.py`) is the same loop in PyTorch.
/// One thread on both sides, as the other `rl` cases.
func rl2BanditTrainStepsPerSecondCase() -> BenchCase {
    final class Seeds { var next: UInt64 = 0 }
    let seeds = Seeds()
    return BenchCase(suite: "rl", name: "rl2_bandit_train_steps_per_s", unit: "steps/s", better: .higher,
                     peerCase: "rl2_bandit_train_steps_per_s", noPeerReason: nil) {
        let seed = seeds.next
        seeds.next += 1
        let savedThreads = BLAS.threads
        BLAS.threads = ProcessInfo.processInfo.environment["MEMENTO_RL_THREADS"].flatMap { Int($0) } ?? 1
        defer { BLAS.threads = savedThreads }
        let trials = try RL2Trial(BernoulliBandits(arms: 5, pulls: 10))
        var rng = RNG(seed: seed)
        let actor = Sequential([try GRU(trials.observationSize, 64, rng: &rng), try Linear(64, 5, rng: &rng)])
        let critic = Sequential([try GRU(trials.observationSize, 64, rng: &rng), try Linear(64, 1, rng: &rng)])
        var config = RL2.config(pulls: 10)
        config.seed = seed
        let agent = try RL2.agent(network: actor, critic: critic, environment: trials, config: config)
        var options = TrainingOptions()
        options.seed = seed
        options.logInterval = 1 << 40
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try train(agent, on: trials, steps: 64_000, options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let last = run.episodeReturns.suffix(3200)
        FileHandle.standardError.write(Data(String(format: "  memento rl2_bandit_train_steps_per_s seed %llu: %d steps in %.3f s, mean trial return of the last 3,200 trials %.3f\n",
                                                   seed, run.steps, seconds, last.reduce(0, +) / Double(Swift.max(last.count, 1))).utf8))
        return Double(run.steps) / seconds
    }
}
