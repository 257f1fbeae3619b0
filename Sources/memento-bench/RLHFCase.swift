import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// `rlhf_ppo_iteration`: one RLHF iteration on lesson 12's model, in ms — generate 64
/// samples of up to 24 tokens with the KV cache, score them with a reward model (a GPT trunk
/// of the same size with a scalar head), the frozen reference's log-probabilities, per-token
/// KL penalty and GAE over tokens, then 4 PPO epochs of minibatches of 32 (8 Adam steps on
/// the policy and its value head). The model: BPE over the review corpus (60 merges, 111
/// tokens), context 32, d_model 64, 4 heads, 2 layers, untrained (so the samples run the
/// whole budget about as often on both sides). The peer is `bench/peers/rlhf.py`.
///
/// Both sides run on one thread (`MEMENTO_RL_THREADS` overrides), as the other `rl` cases.
func rlhfPPOIterationCase() -> BenchCase {
    final class State { var ppo: LanguagePPO? }
    let state = State()
    return BenchCase(suite: "rl", name: "rlhf_ppo_iteration", unit: "ms", better: .lower, peerCase: "rlhf_ppo_iteration", noPeerReason: nil) {
        let savedThreads = BLAS.threads
        BLAS.threads = ProcessInfo.processInfo.environment["MEMENTO_RL_THREADS"].flatMap { Int($0) } ?? 1
        defer { BLAS.threads = savedThreads }
        if state.ppo == nil {
            let docs = ReviewTask.corpus(3000, seed: 1)
            let tokenizer = try BPETokenizer(training: docs.joined(), merges: 60)
            let lm = try LanguageModel(tokenizer: tokenizer, contextLength: 32, dModel: 64, heads: 4, layers: 2, seed: 0)
            let rm = try RewardModel(lm)
            var c = LanguagePPOConfig()
            c.batch = 64
            c.maxNewTokens = 24
            c.epochs = 4
            c.minibatch = 32
            c.learningRate = 3e-4
            c.whitenRewards = false
            state.ppo = try LanguagePPO(policy: try lm.copy(), reference: lm, config: c, reward: { try rm.score($0) })
        }
        let ppo = state.ppo!
        let (calls, seconds) = try timed(atLeast: 0.25) { try ppo.iterate() }
        return seconds / Double(calls) * 1e3
    }
}
