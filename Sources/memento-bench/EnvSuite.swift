// The `env` suite: how fast the environments step, against Gymnasium in the same run
// (peer: bench/peers/env.py). Both sides step CartPole-v1 with uniformly random actions
// and reset when an episode ends, and report environment steps per second.
import Environments
import TensorCore

/// The `env` suite's cases.
func envSuite() -> [BenchCase] {
    [
        BenchCase(
            suite: "env", name: "cartpole_steps", unit: "steps/s", better: .higher,
            peerCase: "cartpole_steps", noPeerReason: nil,
            sample: { try cartPoleStepsPerSecond() }),
        BenchCase(
            suite: "env", name: "cartpole_vec8_steps", unit: "steps/s", better: .higher,
            peerCase: "cartpole_vec8_steps", noPeerReason: nil,
            sample: { try cartPoleVectorStepsPerSecond(copies: 8) }),
    ]
}

// MARK: - Measurements

/// About how long one sample runs.
private let sampleSeconds = 0.2

/// Seconds elapsed since `start`.
private func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// One `CartPole` (with the v1 time limit) stepped through the allocation-free path with
/// random actions, resetting at the end of each episode.
private func cartPoleStepsPerSecond() throws -> Double {
    var env = try CartPole()
    var rng = RNG(seed: 0)
    var observation = [Float](repeating: 0, count: env.observationSize)
    _ = try env.reset(seed: 0, into: &observation)
    var steps = 0
    let start = ContinuousClock.now
    var elapsed = 0.0
    try observation.withUnsafeMutableBufferPointer { buffer in
        repeat {
            for _ in 0..<20_000 {
                let result = try env.step(Int(rng.nextUInt32() & 1), into: buffer)
                if result.done { _ = try env.reset(seed: nil, options: [:], into: buffer) }
            }
            steps += 20_000
            elapsed = seconds(since: start)
        } while elapsed < sampleSeconds
    }
    return Double(steps) / elapsed
}

/// `copies` CartPoles in a serial `VectorEnvironment` (next-step autoreset), random
/// actions; counts every copy's step, as `SyncVectorEnv` does on the peer side.
private func cartPoleVectorStepsPerSecond(copies: Int) throws -> Double {
    var envs = try VectorEnvironment(count: copies) { _ throws(EnvironmentError) in try CartPole() }
    try envs.reset(seed: 0)
    var rng = RNG(seed: 0)
    var actions = [Int](repeating: 0, count: copies)
    var steps = 0
    let start = ContinuousClock.now
    var elapsed = 0.0
    repeat {
        for _ in 0..<2_000 {
            for i in 0..<copies { actions[i] = Int(rng.nextUInt32() & 1) }
            try envs.step(actions)
        }
        steps += 2_000 * copies
        elapsed = seconds(since: start)
    } while elapsed < sampleSeconds
    return Double(steps) / elapsed
}
