import Configuration
import Environments
import Foundation
import NeuralNets
import TensorCore

/// The settings of PPO for a language model (symbols of Ziegler et al. 2019 and Stiennon
/// et al. 2020).
public struct LanguagePPOConfig: Configurable {
    /// β, the (initial) coefficient of the per-token KL penalty.
    public var beta: Double = 0.1
    /// Whether β follows the adaptive controller towards `klTarget`.
    public var adaptive: Bool = false
    /// KL_target (nats per sample) of the adaptive controller.
    public var klTarget: Double = 4
    /// The controller's horizon in samples (10 000 in the paper; short runs need less).
    public var horizon: Double = 10_000
    /// Samples generated per iteration.
    public var batch: Int = 64
    /// The token budget of a sample.
    public var maxNewTokens: Int = 24
    /// PPO epochs over each batch.
    public var epochs: Int = 4
    /// Samples per minibatch.
    public var minibatch: Int = 32
    /// Adam's learning rate for the policy and the value head.
    public var learningRate: Float = 1e-4
    /// ε, the ratio clip.
    public var clip: Float = 0.2
    /// γ over tokens (1: the reward of the whole text).
    public var gamma: Double = 1
    /// λ of GAE over tokens.
    public var lambda: Double = 0.95
    /// The weight of the value loss.
    public var valueCoefficient: Float = 0.5
    /// Standardise the reward model's scores with their mean and spread on the reference's
    /// samples (Ziegler et al.'s normalisation), so one β suits any reward scale.
    public var whitenRewards: Bool = true
    /// The sampling temperature of generation.
    public var temperature: Float = 1
    public var seed: UInt64 = 0

    public init() {}

    public static let fields: [ConfigField<LanguagePPOConfig>] = [
        ConfigField("beta", \.beta, "β, the (initial) coefficient of the per-token KL penalty", .positive),
        ConfigField("adaptive", \.adaptive, "whether β follows Ziegler's adaptive controller towards kl_target"),
        ConfigField("kl_target", \.klTarget, "KL_target, nats per sample, of the adaptive controller", .positive),
        ConfigField("horizon", \.horizon, "the adaptive controller's horizon in samples", .positive),
        ConfigField("batch", \.batch, "samples generated per iteration", .atLeast(2)),
        ConfigField("max_new_tokens", \.maxNewTokens, "the token budget of a sample", .atLeast(1)),
        ConfigField("epochs", \.epochs, "PPO epochs over each batch", .atLeast(1)),
        ConfigField("minibatch", \.minibatch, "samples per minibatch", .atLeast(1)),
        ConfigField("lr", \.learningRate, "Adam's learning rate", .positive),
        ConfigField("clip", \.clip, "ε, PPO's ratio clip", .positive),
        ConfigField("gamma", \.gamma, "γ over tokens", .unit),
        ConfigField("lambda", \.lambda, "λ of GAE over tokens", .unit),
        ConfigField("value_coef", \.valueCoefficient, "the weight of the value loss", .nonNegative),
        ConfigField("whiten_rewards", \.whitenRewards, "standardise the reward model's scores on the reference's samples"),
        ConfigField("temperature", \.temperature, "the sampling temperature", .positive),
        ConfigField("seed", \.seed, "the seed of sampling and initialisation"),
    ]
}

/// PPO fine-tuning of a language model against a reward, with a per-token KL penalty to a
/// frozen reference (Ziegler et al. 2019, "Fine-Tuning Language Models from Human
/// Preferences"; Stiennon et al. 2020). Each iteration:
///
/// 1. **rollout**: sample `batch` continuations of the prompt with the KV cache, keeping each
///    token's log π_old;
/// 2. **score**: the reward model's score of each text (standardised), and log π_ref of
///    each token under the frozen reference;
/// 3. **rewards**: r_t = −β (log π_old − log π_ref)_t at every token, plus the score at the
///    last token — the KL-regularised objective E[r] − β KL(π ‖ π_ref) as per-token rewards;
/// 4. **advantages**: GAE(γ, λ) over the tokens with the value head's V, whitened;
/// 5. **update**: `epochs` passes of the clipped surrogate plus the value loss, in minibatches;
/// 6. **controller**: β follows the adaptive rule when it is on.
public final class LanguagePPO {
    public let policy: LanguageModel
    public let reference: LanguageModel
    public let valueHead: Linear
    public let config: LanguagePPOConfig
    public private(set) var controller: KLController
    public let prompt: String
    let reward: ([String]) throws -> [Float]
    let gold: ((String) -> Double)?
    var rng: RNG
    let optimizer: Adam
    /// The standardisation of the scores (mean, spread) measured on the reference's samples.
    public private(set) var rewardShift: Float = 0
    public private(set) var rewardScale: Float = 1

    /// One iteration's measurements (CleanRL-style keys in `metrics`).
    public struct Iteration: Sendable {
        /// Mean standardised reward-model score of the batch (the proxy).
        public var proxy: Double
        /// Mean gold reward of the batch, when a gold function was given.
        public var gold: Double?
        /// Mean per-sample KL(π ‖ π_ref), k3 estimator (never negative).
        public var kl: Double
        /// The same with k1 (unbiased, may be negative on a batch).
        public var klK1: Double
        /// β used for this batch.
        public var beta: Double
        public var policyLoss: Double
        public var valueLoss: Double
        public var clipFraction: Double
        public var meanTokens: Double
        public var samples: [String]
    }
    public private(set) var history: [Iteration] = []

    /// Fine-tunes `policy` in place. Throws when the reference's vocabulary differs from the
    /// policy's, or the prompt plus the token budget exceeds the context.
    public init(policy: LanguageModel, reference: LanguageModel, prompt: String = "", config: LanguagePPOConfig = LanguagePPOConfig(),
                reward: @escaping ([String]) throws -> [Float], gold: ((String) -> Double)? = nil) throws {
        guard reference.config.vocabSize == policy.config.vocabSize, reference.tokenizer.tokens == policy.tokenizer.tokens else {
            throw RLHFError("LanguagePPO: the reference's vocabulary (\(reference.config.vocabSize) tokens, \(reference.tokenizer.name)) differs from the policy's (\(policy.config.vocabSize) tokens, \(policy.tokenizer.name))")
        }
        let p = try policy.promptIds(prompt).count
        guard p + config.maxNewTokens <= policy.config.contextLength else {
            throw RLHFError("LanguagePPO: the prompt (\(p) tokens with <eos>) plus max_new_tokens \(config.maxNewTokens) exceeds the context of \(policy.config.contextLength)")
        }
        self.policy = policy
        self.reference = reference
        self.prompt = prompt
        self.config = config
        self.reward = reward
        self.gold = gold
        controller = config.adaptive ? try KLController(beta: config.beta, target: config.klTarget, horizon: config.horizon)
                                     : try KLController.fixed(config.beta)
        rng = RNG(seed: config.seed)
        var init_ = RNG(seed: config.seed &+ 17)
        valueHead = try Linear(policy.config.dModel, 1, rng: &init_)
        try valueHead.weight.assign(Tensor.zeros(valueHead.weight.shape))
        optimizer = try Adam(named: policy.gpt.namedParameters() + valueHead.namedParameters().map { ("value_head.\($0.name)", $0.parameter) },
                             learningRate: config.learningRate)
        if config.whitenRewards {
            var r = RNG(seed: config.seed &+ 29)
            let texts = try reference.generate(Array(repeating: prompt, count: max(config.batch, 64)), maxNewTokens: config.maxNewTokens,
                                               sampling: SamplingOptions(temperature: config.temperature), rng: &r).map(\.text)
            let s = try reward(texts)
            let mean = s.reduce(0, +) / Float(s.count)
            let sd = (s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(s.count)).squareRoot()
            rewardShift = mean
            rewardScale = sd > 1e-6 ? sd : 1
        }
    }

    /// The proxy reward of texts as the policy is trained on it (standardised when
    /// `whiten_rewards`).
    public func proxy(_ texts: [String]) throws -> [Float] { try reward(texts).map { ($0 - rewardShift) / rewardScale } }

    /// Logits and values of a token batch [B, T] through the policy's trunk.
    func forward(_ tokens: Tensor) throws -> (logProbabilities: Tensor, values: Tensor) {
        let gpt = policy.gpt
        let (b, t) = (tokens.shape[0], tokens.shape[1])
        let input = try tokens.narrow(axis: 1, start: 0, length: t - 1)
        let target = try tokens.narrow(axis: 1, start: 1, length: t - 1).reshape([b, t - 1, 1])
        let h = try gpt.transformer(gpt.tokenEmbedding(input))                                        // [B, T−1, C]
        let logits = try Tensor.linear(h, weight: gpt.head?.weight.value ?? gpt.tokenEmbedding.weight.value, bias: nil)
        let lp = try logits.logSoftmax(axis: -1).gather(axis: 2, target).reshape([b, t - 1])          // [B, T−1]
        let v = try valueHead(h).reshape([b, t - 1])                                                  // [B, T−1, 1] → [B, T−1]
        return (lp, v)
    }

    /// One RLHF iteration (rollout, scoring, advantages, `epochs` PPO epochs).
    @discardableResult
    public func iterate() throws -> Iteration {
        let c = config
        // 1. Rollout with the KV cache.
        let samples = try policy.generate(Array(repeating: prompt, count: c.batch), maxNewTokens: c.maxNewTokens,
                                          sampling: SamplingOptions(temperature: c.temperature), rng: &rng)
        let head = try policy.promptIds(prompt)
        let p = head.count
        let t = p + (samples.map(\.tokens.count).max() ?? 0)
        guard t >= p + 1 else { throw RLHFError("LanguagePPO: every sample is empty") }
        var ids = [Float](repeating: Float(SpecialToken.pad), count: c.batch * t)
        var mask = [Float](repeating: 0, count: c.batch * (t - 1))
        for (r, s) in samples.enumerated() {
            for (i, id) in (head + s.tokens).enumerated() { ids[r * t + i] = Float(id) }
            for j in 0..<s.tokens.count { mask[r * (t - 1) + p - 1 + j] = 1 }
        }
        let tokens = try Tensor(ids, shape: [c.batch, t])
        let maskT = try Tensor(mask, shape: [c.batch, t - 1])
        // 2. Scores, the reference's log-probabilities, the old values.
        let scores = try proxy(samples.map(\.text))
        let refLP = try noGrad { try reference.gpt.tokenLogProbabilities(tokens) }.scalars
        let (oldLPT, oldVT) = try noGrad { try forward(tokens) }
        let oldLP = oldLPT.scalars, oldV = oldVT.scalars
        // 3.–4. Per-token rewards and GAE over each sample's tokens.
        let beta = controller.beta
        var advantages = [Float](repeating: 0, count: c.batch * (t - 1))
        var returns = advantages
        var klK3 = 0.0, klK1 = 0.0
        for (r, s) in samples.enumerated() {
            let n = s.tokens.count
            var rewards = [Double](repeating: 0, count: n)
            for j in 0..<n {
                let i = r * (t - 1) + p - 1 + j
                let k1 = KLEstimator.k1(logProbability: oldLP[i], reference: refLP[i])
                klK1 += Double(k1)
                klK3 += Double(KLEstimator.k3(logProbability: oldLP[i], reference: refLP[i]))
                rewards[j] = -beta * Double(k1)
            }
            if n > 0 { rewards[n - 1] += Double(scores[r]) }
            var next = 0.0, gae = 0.0
            for j in stride(from: n - 1, through: 0, by: -1) {
                let i = r * (t - 1) + p - 1 + j
                let v = Double(oldV[i])
                let delta = rewards[j] + c.gamma * next - v
                gae = delta + c.gamma * c.lambda * gae
                advantages[i] = Float(gae)
                returns[i] = Float(gae + v)
                next = v
            }
        }
        let count = mask.reduce(0, +)
        let mean = zip(advantages, mask).reduce(Float(0)) { $0 + $1.0 * $1.1 } / max(count, 1)
        let sd = (zip(advantages, mask).reduce(Float(0)) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) } / max(count, 1)).squareRoot()
        for i in advantages.indices where mask[i] > 0 { advantages[i] = (advantages[i] - mean) / (sd + 1e-8) }
        // 5. PPO epochs over minibatches of samples.
        var policyLosses: [Double] = [], valueLosses: [Double] = [], clipped: [Double] = []
        policy.gpt.train()
        for _ in 0..<c.epochs {
            var order = Array(0..<c.batch)
            rng.shuffle(&order)
            var start = 0
            while start < order.count {
                let rows = Array(order[start..<min(order.count, start + c.minibatch)])
                start += c.minibatch
                func pick(_ x: [Float], _ w: Int) throws -> Tensor {
                    try Tensor(rows.flatMap { x[($0 * w)..<($0 * w + w)] }, shape: [rows.count, w])
                }
                let m = try pick(mask, t - 1), a = try pick(advantages, t - 1), ret = try pick(returns, t - 1)
                let old = try pick(oldLP, t - 1)
                let denom = max(m.sum().scalars[0], 1)
                optimizer.zeroGrad()
                let (lp, v) = try forward(pick(ids, t))
                let ratio = try (lp - old).exp()
                let surrogate = try Tensor.minimum(ratio * a, ratio.clamp(min: 1 - c.clip, max: 1 + c.clip) * a)
                let policyLoss = try (surrogate * m).sum().neg().scaled(by: 1 / denom)
                let valueLoss = try ((v - ret).square() * m).sum().scaled(by: 0.5 / denom)
                let loss = try policyLoss + valueLoss.scaled(by: c.valueCoefficient)
                try loss.backward()
                _ = try clipGradNorm(optimizer.parameters, maxNorm: 1)
                try optimizer.step()
                policyLosses.append(Double(try policyLoss.item()))
                valueLosses.append(Double(try valueLoss.item()))
                let r = ratio.scalars, ms = m.scalars
                clipped.append(Double(zip(r, ms).filter { $0.1 > 0 && abs($0.0 - 1) > c.clip }.count) / Double(denom))
            }
        }
        policy.gpt.eval()
        // 6. The controller sees this batch's KL.
        let kl = klK3 / Double(c.batch)
        controller.update(kl: kl, samples: c.batch)
        let texts = samples.map(\.text)
        let it = Iteration(proxy: scores.reduce(0) { $0 + Double($1) } / Double(c.batch),
                           gold: gold.map { g in texts.reduce(0) { $0 + g($1) } / Double(c.batch) },
                           kl: kl, klK1: klK1 / Double(c.batch), beta: beta,
                           policyLoss: policyLosses.reduce(0, +) / Double(max(policyLosses.count, 1)),
                           valueLoss: valueLosses.reduce(0, +) / Double(max(valueLosses.count, 1)),
                           clipFraction: clipped.reduce(0, +) / Double(max(clipped.count, 1)),
                           meanTokens: Double(samples.map(\.tokens.count).reduce(0, +)) / Double(c.batch), samples: texts)
        history.append(it)
        return it
    }
}
