import Environments
import Foundation
import NeuralNets
import TensorCore

/// Best-of-n sampling (Stiennon et al. 2020; Gao et al. 2022): draw n continuations from the
/// policy and keep the one the reward model scores highest. No training; its KL to the
/// policy it samples from is at most log n − (n − 1)/n (exact for distinct samples).
public enum BestOfN {
    /// The analytic KL(best-of-n ‖ π) bound, log n − (n − 1)/n.
    public static func klBound(_ n: Int) -> Double { Foundation.log(Double(n)) - Double(n - 1) / Double(n) }

    /// For each of `count` draws: n samples of `model` after `prompt`, the one `reward`
    /// scores highest.
    public static func sample(_ model: LanguageModel, prompt: String = "", n: Int, count: Int, maxNewTokens: Int,
                              temperature: Float = 1, reward: ([String]) throws -> [Float], rng: inout RNG) throws -> [String] {
        guard n >= 1, count >= 1 else { throw RLHFError("best_of_n: n and count must be at least 1, got \(n) and \(count)") }
        let all = try model.generate(Array(repeating: prompt, count: n * count), maxNewTokens: maxNewTokens,
                                     sampling: SamplingOptions(temperature: temperature), rng: &rng).map(\.text)
        let scores = try reward(all)
        return (0..<count).map { g in
            let best = (g * n..<(g * n + n)).max { scores[$0] < scores[$1] }!
            return all[best]
        }
    }
}
