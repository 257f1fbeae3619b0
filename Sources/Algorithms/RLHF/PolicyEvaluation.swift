import Environments
import Foundation
import NeuralNets
import TensorCore

/// What a fine-tuned policy does, measured the same way for PPO, DPO and best-of-n: its
/// samples, and their KL to the reference, Σ_t k3 per sample (unbiased and never negative;
/// see `KLEstimator`).
public enum PolicyEvaluation {
    public struct Result: Sendable {
        public var samples: [String]
        /// Mean per-sample KL(π ‖ π_ref) (k3 summed over each sample's tokens).
        public var kl: Double
    }

    /// `count` samples of `policy` after `prompt`, with their mean KL to `reference`.
    public static func evaluate(_ policy: LanguageModel, reference: LanguageModel, prompt: String = "", count: Int, maxNewTokens: Int,
                                temperature: Float = 1, seed: UInt64) throws -> Result {
        guard reference.config.vocabSize == policy.config.vocabSize, reference.tokenizer.tokens == policy.tokenizer.tokens else {
            throw RLHFError("evaluate: the reference's vocabulary (\(reference.config.vocabSize) tokens) differs from the policy's (\(policy.config.vocabSize) tokens)")
        }
        guard count >= 1 else { throw RLHFError("evaluate: count must be at least 1, got \(count)") }
        var rng = RNG(seed: seed)
        let samples = try policy.generate(Array(repeating: prompt, count: count), maxNewTokens: maxNewTokens,
                                          sampling: SamplingOptions(temperature: temperature), rng: &rng)
        let head = try policy.promptIds(prompt)
        let p = head.count
        let t = p + (samples.map(\.tokens.count).max() ?? 0)
        guard t >= 2 else { return Result(samples: samples.map(\.text), kl: 0) }
        var ids = [Float](repeating: Float(SpecialToken.pad), count: count * t)
        for (r, s) in samples.enumerated() { for (i, id) in (head + s.tokens).enumerated() { ids[r * t + i] = Float(id) } }
        let tokens = try Tensor(ids, shape: [count, t])
        let lp = try noGrad { try policy.gpt.tokenLogProbabilities(tokens) }.scalars
        let ref = try noGrad { try reference.gpt.tokenLogProbabilities(tokens) }.scalars
        var kl = 0.0
        for (r, s) in samples.enumerated() {
            for j in 0..<s.tokens.count {
                let i = r * (t - 1) + p - 1 + j
                kl += Double(KLEstimator.k3(logProbability: lp[i], reference: ref[i]))
            }
        }
        return Result(samples: samples.map(\.text), kl: kl / Double(count))
    }
}
