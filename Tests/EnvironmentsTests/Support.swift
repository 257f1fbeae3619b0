import Testing
import TensorCore
@testable import Environments

// MARK: - Shared checkers for environment tests

/// One recorded step of an episode.
struct RecordedStep: Equatable {
    var observation: [Float]
    var reward: Double
    var terminated: Bool
    var truncated: Bool
}

/// A recorded episode: the reset observation and every step.
struct Episode: Equatable {
    var first: [Float]
    var steps: [RecordedStep]

    var totalReturn: Double { steps.reduce(0) { $0 + $1.reward } }
    var length: Int { steps.count }
    var observations: [[Float]] { [first] + steps.map(\.observation) }
}

/// Plays one episode to its end (or `maxSteps`) with `policy(observation, t, &rng)`.
func play<E: Environment>(
    _ env: inout E, seed: UInt64?, options: ResetOptions = [:], maxSteps: Int = 100_000,
    policy: (_ observation: [Float], _ t: Int, _ rng: inout RNG) -> Int
) throws -> Episode {
    var rng = RNG(seed: (seed ?? 0) &+ 1_000_003)
    var (obs, _) = try env.reset(seed: seed, options: options)
    var episode = Episode(first: obs, steps: [])
    for t in 0..<maxSteps {
        let (next, reward, terminated, truncated, _) = try env.step(policy(obs, t, &rng))
        episode.steps.append(RecordedStep(observation: next, reward: reward, terminated: terminated, truncated: truncated))
        obs = next
        if terminated || truncated { break }
    }
    return episode
}

/// A uniformly random policy over the environment's actions.
func randomPolicy<E: Environment>(for env: E) -> (_ observation: [Float], _ t: Int, _ rng: inout RNG) -> Int {
    let space = env.actionSpace
    return { _, _, rng in space.sample(&rng) }
}

/// The checks every environment must pass: reproducible per seed, different across seeds
/// (when `variesWithSeed`), observations inside the observation space, exactly one of the
/// episode-ending flags only on the last step, and errors on bad actions and on stepping a
/// finished episode.
func checkContract<E: Environment>(
    _ make: () throws -> E, seeds: [UInt64] = [0, 1, 2, 3, 4], variesWithSeed: Bool = true,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var episodes: [Episode] = []
    for seed in seeds {
        var a = try make(), b = try make()
        let first = try play(&a, seed: seed, policy: randomPolicy(for: a))
        let second = try play(&b, seed: seed, policy: randomPolicy(for: b))
        #expect(first == second, "same seed, same episode", sourceLocation: sourceLocation)
        episodes.append(first)
        let space = a.observationSpace
        #expect(a.observationSize == space.size, "observationSize agrees with the space", sourceLocation: sourceLocation)
        for obs in first.observations {
            #expect(space.contains(obs), "observation \(obs) outside \(space)", sourceLocation: sourceLocation)
        }
        for (t, step) in first.steps.enumerated() {
            let last = t == first.steps.count - 1
            #expect((step.terminated || step.truncated) == last, "episode ends only on its last step",
                    sourceLocation: sourceLocation)
            #expect(step.reward.isFinite, sourceLocation: sourceLocation)
        }
        // Stepping the finished episode throws; reset revives it.
        #expect(throws: EnvironmentError.episodeFinished(environment: a.name), sourceLocation: sourceLocation) {
            _ = try a.step(0)
        }
        _ = try a.reset()
        // Actions outside the space throw and leave the episode running.
        #expect(throws: EnvironmentError.self, sourceLocation: sourceLocation) { _ = try a.step(a.actionSpace.n) }
        #expect(throws: EnvironmentError.self, sourceLocation: sourceLocation) { _ = try a.step(-1) }
        _ = try a.step(0)
    }
    if variesWithSeed && seeds.count > 1 {
        #expect(Set(episodes.map { "\($0)" }).count > 1, "different seeds give different episodes",
                sourceLocation: sourceLocation)
    }
    // A fresh environment refuses to step before reset.
    var fresh = try make()
    #expect(throws: EnvironmentError.notReset(environment: fresh.name), sourceLocation: sourceLocation) {
        _ = try fresh.step(0)
    }
    #expect(!fresh.render().isEmpty, sourceLocation: sourceLocation)
}
