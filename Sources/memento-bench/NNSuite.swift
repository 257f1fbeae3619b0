import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore

/// Suite `nn`: whole training steps (forward, backward, optimizer) of the lecture's models,
/// against the same models in PyTorch (`bench/peers/nn.py`).
func nnSuite() -> [BenchCase] {
    [
        lstmCase("lstm_train_step", input: 16, hidden: 128, batch: 32, steps: 64),
        lstmCase("lstm_train_step_small", input: 16, hidden: 32, batch: 16, steps: 16),
        gptCase("gpt_train_step", GPTConfig(vocabSize: 64, contextLength: 64, dModel: 128, heads: 4, layers: 2), batch: 32),
        gptCase("gpt_train_step_tiny", GPTConfig(vocabSize: 64, contextLength: 32, dModel: 64, heads: 4, layers: 1), batch: 16),
        lmGenerateCase(),
        gptCase("lm_train_step", lessonLM, batch: 32),
        dtCase(),
        ilqlCase(),
    ]
}

/// LSTM(input → hidden) over [batch, steps, input], a linear head to 4 outputs, MSE loss,
/// Adam (lr 1e-3): one training step, in ms.
func lstmCase(_ name: String, input: Int, hidden: Int, batch: Int, steps: Int) -> BenchCase {
    BenchCase(suite: "nn", name: name, unit: "ms", better: .lower, peerCase: name, noPeerReason: nil) {
        var rng = RNG(seed: 1)
        let lstm = try LSTM(input, hidden, rng: &rng)
        let head = try Linear(hidden, 4, rng: &rng)
        let model = Sequential([lstm, head])
        let opt = try Adam(model, learningRate: 1e-3)
        let x = try Tensor.normal([batch, steps, input], rng: &rng)
        let y = try Tensor.normal([batch, steps, 4], rng: &rng)
        let (calls, seconds) = try timed(atLeast: 0.25) {
            opt.zeroGrad()
            let loss = try mseLoss(model(x), y)
            try loss.backward()
            try opt.step()
        }
        return seconds / Double(calls) * 1e3
    }
}

/// A GPT on random tokens, next-token cross-entropy, AdamW (lr 3e-4): one training step, in ms.
func gptCase(_ name: String, _ config: GPTConfig, batch: Int) -> BenchCase {
    BenchCase(suite: "nn", name: name, unit: "ms", better: .lower, peerCase: name, noPeerReason: nil) {
        var rng = RNG(seed: 2)
        let gpt = try GPT(config, rng: &rng)
        let opt = try AdamW(gpt, learningRate: 3e-4)
        let t = config.contextLength
        let tokens = try Tensor.randint([batch, t + 1], high: config.vocabSize, rng: &rng)
        let input = try tokens[.all, .slice(0, t)], target = try tokens[.all, .slice(1, t + 1)]
        let (calls, seconds) = try timed(atLeast: 0.25) {
            opt.zeroGrad()
            let loss = try crossEntropyLoss(logits: gpt(input), targets: target)
            try loss.backward()
            try opt.step()
        }
        return seconds / Double(calls) * 1e3
    }
}

/// The lessons' language model: 2 layers, d_model 128, 4 heads, over the 201 tokens of the
/// lesson's BPE tokenizer (3 specials, 48 characters, 150 merges).
let lessonLM = GPTConfig(vocabSize: 201, contextLength: 64, dModel: 128, heads: 4, layers: 2)

/// Sampling from the lessons' GPT with a KV cache: batch 32, a one-token prompt, 64 new
/// tokens (temperature 1), in generated tokens per second.
func lmGenerateCase() -> BenchCase {
    BenchCase(suite: "nn", name: "lm_generate_tokens_per_s", unit: "tokens/s", better: .higher, peerCase: "lm_generate_tokens_per_s", noPeerReason: nil) {
        var rng = RNG(seed: 3)
        let gpt = try GPT(lessonLM, rng: &rng)
        let prompts = [[Int]](repeating: [1], count: 32)
        let (calls, seconds) = try timed(atLeast: 0.25) {
            _ = try gpt.generate(prompts: prompts, maxNewTokens: 64, rng: &rng)
        }
        return Double(calls * 32 * 64) / seconds
    }
}

/// The Decision Transformer with kzl/decision-transformer's gym settings (context 20,
/// embedding 128, 3 layers, 1 head, dropout 0.1, batch 64, AdamW lr 1e-4 with weight decay
/// 1e-4, gradient norm clipped at 0.25) on Hopper's sizes (11 state floats, 3 continuous
/// actions, MSE): one training step on a fixed batch of windows, in ms.
func dtCase() -> BenchCase {
    BenchCase(suite: "nn", name: "dt_train_step", unit: "ms", better: .lower, peerCase: "dt_train_step", noPeerReason: nil) {
        var rng = RNG(seed: 3)
        let (B, K, obs, act) = (64, 20, 11, 3)
        let model = try DecisionTransformerModel(observationSize: obs, actionCount: nil, actionSize: act, context: K, embedding: 128,
                                                 layers: 3, heads: 1, dropout: 0.1, maxTimestep: 1000, rng: &rng)
        let opt = try AdamW(model, learningRate: 1e-4, weightDecay: 1e-4)
        let returns = try Tensor.normal([B, K], rng: &rng), states = try Tensor.normal([B, K, obs], rng: &rng)
        let actions = try Tensor.uniform([B, K, act], low: -1, high: 1, rng: &rng)
        let timesteps = (0..<(B * K)).map { _ in rng.int(below: 1000) }
        let (calls, seconds) = try timed(atLeast: 0.25) {
            opt.zeroGrad()
            let predicted = try model(returns: returns, states: states, actions: actions, timesteps: timesteps)
            let loss = try mseLoss(predicted, actions)
            try loss.backward()
            try clipGradNorm(opt.parameters, maxNorm: 0.25)
            try opt.step()
        }
        return seconds / Double(calls) * 1e3
    }
}

/// One ILQL update as lesson 11 runs it: the negotiation logs (5000 dialogues from the four
/// scripted buyers) under a BPE tokenizer of 120 merges, a GPT of 2 layers, d_model 48, 2
/// heads, context 64 as the critic's own trunk (the policy is the given model, not
/// trained: BC weight 0), two Q-heads and a V-head that are MLPs with 96 hidden units,
/// batch 32, τ = 0.75, no conservative term: forward, the Q and V losses, backward,
/// clipping, AdamW and the Polyak step (rate 0.2), in ms.
func ilqlCase() -> BenchCase {
    BenchCase(suite: "nn", name: "ilql_train_step", unit: "ms", better: .lower, peerCase: "ilql_train_step", noPeerReason: nil) {
        let task = try NegotiationDialogue()
        let raw = try task.collect(episodes: 5000, seed: 0, tokenizer: "characters")
        let tokenizer = try BPETokenizer(training: raw.dialogues.map(\.text).joined(), merges: 120)
        let data = try task.collect(episodes: 5000, seed: 0, tokenizer: tokenizer.name)
        let model = try LanguageModel(tokenizer: tokenizer, contextLength: 64, dModel: 48, heads: 2, layers: 2, seed: 0)
        var config = ILQLConfig()
        config.gamma = 0.99
        config.expectile = 0.75
        config.cqlWeight = 0
        config.learningRate = 3e-3
        config.headHidden = 96
        config.separateCritic = true
        config.bcWeight = 0
        config.targetUpdateRate = 0.2
        let ilql = try ILQL(model: model, data: data, config: config)
        var metrics: [String: Double] = [:]
        let (calls, seconds) = try timed(atLeast: 0.25) { try ilql.learn(metrics: &metrics) }
        return seconds / Double(calls) * 1e3
    }
}
