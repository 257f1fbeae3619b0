import Environments

/// The returns of `episodes` episodes of `policy` on a copy of `environment`, each episode
/// cut after `maxSteps` steps.
public func evaluate<E: Environment>(_ policy: any Policy, on environment: E, episodes: Int, seed: UInt64 = 12_345, maxSteps: Int = 100_000) throws -> [Double] {
    try require(episodes >= 1, "evaluate", "episodes must be at least 1, got \(episodes)")
    var env = environment
    var returns: [Double] = []
    var observation = try env.reset(seed: seed).observation
    for _ in 0..<episodes {
        try policy.reset()
        var total = 0.0
        for _ in 0..<maxSteps {
            let result = try env.step(try policy.action(for: observation), into: &observation)
            total += result.reward
            try policy.observe(reward: result.reward)
            if result.done { break }
        }
        returns.append(total)
        observation = try env.reset().observation
    }
    return returns
}

/// The returns of `episodes` greedy episodes of a trained learner on a copy of `environment`.
public func evaluate<E: Environment>(_ learner: any GreedyActing, on environment: E, episodes: Int, seed: UInt64 = 12_345, maxSteps: Int = 100_000) throws -> [Double] {
    try require(episodes >= 1, learner.algorithm, "episodes must be at least 1, got \(episodes)")
    try learner.checkActs(in: environment)
    return try evaluate(try learner.greedyPolicy(), on: environment, episodes: episodes, seed: seed, maxSteps: maxSteps)
}
