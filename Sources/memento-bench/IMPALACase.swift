import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// `impala_cartpole_frames_per_s`: environment frames per second that IMPALA's learner
/// consumes on CartPole-v1 with two actor threads, over a budget of 20,000 frames (thread
/// start-up included). The peer (`bench/peers/impala.py`) is the same design in PyTorch:
/// two actor threads with 4 copies each and their own network copy, unrolls of 20 steps
/// through a queue of 16, batches of 8 unrolls, V-trace (ρ̄ = c̄ = 1, γ 0.99), Adam 1e-3,
/// entropy 0.01, value 0.5, clipping at 40, weights taken before every unroll; the network
/// Linear(4 → 64) → tanh → Linear(64 → 3). Products are tiny, so Memento's matrix kernels
/// run on one thread per actor, as PyTorch's (`torch.set_num_threads(1)`).
/// `MEMENTO_IMPALA_ACTORS` sets Memento's actor threads (to see how frames per second
/// scale with them; the peer keeps two).
func impalaFramesPerSecondCase() -> BenchCase {
    final class Seeds { var next: UInt64 = 0 }
    let seeds = Seeds()
    return BenchCase(suite: "rl", name: "impala_cartpole_frames_per_s", unit: "frames/s", better: .higher,
                     peerCase: "impala_cartpole_frames_per_s", noPeerReason: nil) {
        let seed = seeds.next
        seeds.next += 1
        let savedThreads = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = savedThreads }
        let env = try CartPole()
        var rng = RNG(seed: seed)
        let net = try MLP([4, 64, 3], activation: "tanh", rng: &rng)
        var config = IMPALAConfig()
        config.threaded = true
        config.actors = ProcessInfo.processInfo.environment["MEMENTO_IMPALA_ACTORS"].flatMap { Int($0) } ?? 2
        config.seed = seed
        let impala = try IMPALA(network: net, environment: env, config: config)
        var options = TrainingOptions()
        options.seed = seed &* 1000
        options.logInterval = 1 << 40
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try train(impala, on: env, steps: 20_000, options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(run.steps) / seconds
    }
}
