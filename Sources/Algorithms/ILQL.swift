import Configuration
import Environments
import NeuralNets
import TensorCore

// Implicit Language Q-Learning: Snell, Kostrikov, Su, Yang & Levine, "Offline RL for
// Natural Language Generation with Implicit Language Q Learning", ICLR 2023 (arXiv 2022).
// IQL (IQL.swift) at the level of tokens: every token the agent writes is an action, the
// state is the text so far, and heads on the language model's last hidden states give
//
//     Q_θ₁(s, ·), Q_θ₂(s, ·)   [V] each        two Q-heads (double Q)
//     Q_θ̂₁, Q_θ̂₂                              their Polyak-averaged targets
//     V_ψ(s)                                   one value
//
// trained on logged dialogues with (per action position t, next action position t′):
//
//     L_Q   = Σᵢ E[ (r_t + γ (1 − done_t) V_ψ(s_t′) − Q_θᵢ(s_t, a_t))² ]
//     L_V   = E[ L₂^τ( min_i Q_θ̂ᵢ(s_t, a_t) − V_ψ(s_t) ) ]                (expectile τ)
//     L_CQL = Σᵢ E[ log Σ_a exp Q_θᵢ(s_t, a) − Q_θᵢ(s_t, a_t) ]             (conservative, weight α)
//     L_BC  = E[ −log π(x_t+1 | x_≤t) ]  on the agent's tokens             (keeps the model a model of the data)
//
// and decoding shifts the language model's logits by the advantage:
//
//     logits'(s, ·) = logits_π(s, ·) + β (min_i Q_θ̂ᵢ(s, ·) − V_ψ(s))
//
// β = 0 is the behaviour-cloned model; larger β trusts the values more and moves further
// from the data. By default the heads sit on one shared trunk (the model being fine-tuned,
// a copy of the one given); with `separateCritic` they read a second copy, trained by the
// value losses alone. The targets are copies of the Q-heads only, as in the paper's code.

/// ILQL's settings, with the paper's symbols.
public struct ILQLConfig: Configurable {
    /// γ, the discount per token.
    public var gamma: Double = 0.99
    /// τ, the expectile of V (0.5: the data's value; near 1: the best in the data).
    public var expectile: Float = 0.7
    /// β, how far decoding follows the advantage Q − V.
    public var beta: Float = 4
    /// α, the weight of the conservative (CQL) term; 0 (the default) turns it off. The term
    /// is a cross-entropy of Q over the whole vocabulary at every action token; on lesson
    /// 11's negotiation logs (2-layer critic, d_model 48) even α = 0.01 left Q where the
    /// price is chosen blind to the seller's counter-offer, so it is opt-in.
    public var cqlWeight: Float = 0
    /// The weight of the behaviour-cloning loss on the trunk.
    public var bcWeight: Float = 1
    /// AdamW's learning rate.
    public var learningRate: Float = 1e-3
    /// The Polyak rate of the target Q-heads, θ̂ ← αθ + (1 − α)θ̂.
    public var targetUpdateRate: Float = 0.05
    /// The width of the Q- and V-heads' hidden layer (0: linear heads on the trunk). ILQL's
    /// implementations use two-layer MLP heads twice the trunk's width (trlx's `make_head`):
    /// a value is a different function of the words than the next token, and a hidden layer
    /// lets the heads combine what the trunk read.
    public var headHidden: Int = 0
    /// Whether Q and V read a trunk of their own (a second copy of the model) instead of
    /// the policy's. On a shared trunk the BC loss shapes the hidden states where the agent
    /// chooses a word for predicting that word, and the values get what is left; a trunk of
    /// their own is shaped by the value losses alone. With `bcWeight` 0 the policy is then
    /// the given model unchanged: decoding is π_β's logits + β (Q − V), as in the paper.
    public var separateCritic: Bool = false
    /// Dialogues per minibatch.
    public var batchSize: Int = 32
    /// The global gradient-norm clip.
    public var clip: Float = 1
    /// The seed of the heads' initialisation and of minibatch sampling.
    public var seed: UInt64 = 0
    public init() {}

    public static let fields: [ConfigField<ILQLConfig>] = [
        ConfigField("gamma", \.gamma, "γ, the discount per token", .unit),
        ConfigField("expectile", \.expectile, "τ, the expectile of V (0.5: the data's value; near 1: the best in the data)", .init(lower: 0, lowerInclusive: false, upper: 1, upperInclusive: false)),
        ConfigField("beta", \.beta, "β of decoding: logits + β (Q − V)", .nonNegative),
        ConfigField("cql_weight", \.cqlWeight, "α, the weight of the conservative term (0: off)", .nonNegative),
        ConfigField("bc_weight", \.bcWeight, "the weight of the behaviour-cloning loss", .nonNegative),
        ConfigField("lr", \.learningRate, "AdamW's learning rate", .positive),
        ConfigField("target_update_rate", \.targetUpdateRate, "the Polyak rate of the target Q-heads", .openClosed(0, 1)),
        ConfigField("head_hidden", \.headHidden, "the width of the Q- and V-heads' hidden layer (0: linear heads)", .nonNegative),
        ConfigField("separate_critic", \.separateCritic, "whether Q and V read a trunk of their own (a copy of the model)"),
        ConfigField("batch_size", \.batchSize, "dialogues per minibatch", .atLeast(1)),
        ConfigField("clip", \.clip, "the global gradient-norm clip", .positive),
        ConfigField("seed", \.seed, "the seed of initialisation and sampling"),
    ]

    func validate() throws {
        let c = "ILQL"
        try require(gamma >= 0 && gamma <= 1, c, "gamma must be in [0, 1], got \(gamma)")
        try require(expectile > 0 && expectile < 1, c, "expectile τ must be in (0, 1), got \(expectile)")
        try require(beta >= 0 && beta.isFinite, c, "beta must be >= 0, got \(beta)")
        try require(cqlWeight >= 0 && bcWeight >= 0, c, "cqlWeight and bcWeight must be >= 0, got \(cqlWeight) and \(bcWeight)")
        try require(learningRate > 0 && learningRate.isFinite, c, "learningRate must be > 0, got \(learningRate)")
        try require(targetUpdateRate > 0 && targetUpdateRate <= 1, c, "targetUpdateRate must be in (0, 1], got \(targetUpdateRate)")
        try require(headHidden >= 0, c, "headHidden must be >= 0, got \(headHidden)")
        try require(batchSize >= 1, c, "batchSize must be >= 1, got \(batchSize)")
        try require(clip > 0, c, "clip must be > 0, got \(clip)")
    }
}

/// Token-level Q and V on a language model, learned offline from logged dialogues.
public final class ILQL: OfflineLearner {
    public let config: ILQLConfig
    public let dataset: DialogueDataset
    /// The fine-tuned model (a copy of the one given): the trunk, and π's logits.
    public let model: LanguageModel
    /// The model whose hidden states Q and V read: `model` itself, or with
    /// `separateCritic` a second copy of the one given.
    public let critic: LanguageModel
    /// Q_θ₁ and Q_θ₂: [.., C] → [.., V].
    public let q1: any Layer, q2: any Layer
    /// V_ψ: [.., C] → [.., 1].
    public let value: any Layer
    /// The two Q-heads as one module, and their Polyak-averaged targets.
    let qHeads = Module()
    public let target: TargetNetwork
    let all = Module()
    let optimizer: AdamW
    let rows: [DialogueRow]
    var rng: RNG
    public private(set) var updateCount = 0

    public var algorithm: String { "ILQL" }
    public var network: Module { all }
    public var stepCount: Int { 0 }

    /// ILQL on a copy of `model` for the dialogues `data` (written for the model's tokenizer).
    public init(model base: LanguageModel, data: DialogueDataset, config: ILQLConfig = ILQLConfig()) throws {
        try config.validate()
        guard data.tokenizer == base.tokenizer.name else {
            throw AlgorithmError("ILQL", "the dialogues were written for the tokenizer \(data.tokenizer), but the model uses \(base.tokenizer.name)")
        }
        self.config = config
        dataset = data
        model = try base.copy()
        critic = config.separateCritic ? try base.copy() : model
        let c = model.config.dModel, v = model.config.vocabSize
        var init_ = RNG(seed: config.seed &+ 0x11C1)
        func head(_ out: Int) throws -> any Layer {
            config.headHidden == 0 ? try Linear(c, out, rng: &init_) : try MLP([c, config.headHidden, out], activation: "relu", rng: &init_)
        }
        q1 = try head(v)
        q2 = try head(v)
        value = try head(1)
        qHeads.addChild("q1", q1)
        qHeads.addChild("q2", q2)
        target = try TargetNetwork(of: qHeads)
        // With a separate critic and no BC loss the policy is not trained: it stays out of
        // the optimiser (and of the gradient clip).
        if !config.separateCritic || config.bcWeight > 0 { all.addChild("lm", model.gpt) }
        if config.separateCritic { all.addChild("critic", critic.gpt) }
        all.addChild("q", qHeads)
        all.addChild("v", value)
        rows = try DialogueTokens.rows(data, model: model, component: "ILQL")
        optimizer = try AdamW(all, learningRate: config.learningRate, weightDecay: 0)
        rng = RNG(seed: config.seed)
    }

    /// The losses of one minibatch (each a scalar; `total` is what `learn` minimises).
    struct Losses { var q, v, total: Tensor; var cql, bc: Tensor?; var meanQ: Tensor }

    func losses(_ batch: DialogueBatch) throws -> Losses {
        let (b, t) = (batch.count, batch.length)
        let h = try DialogueTokens.hidden(critic.gpt, batch.inputs)                                 // [B, T, C]
        let y = try batch.targets.reshape([b, t, 1])
        let mask = batch.action, n = try batch.action.sum().clamp(min: 1)                          // [B, T], scalar
        func masked(_ x: Tensor) throws -> Tensor { try (x * mask).sum() / n }

        // Q_θᵢ(s_t, ·) and Q_θᵢ(s_t, a_t).
        let q1All = try q1(h), q2All = try q2(h)                                                     // [B, T, V]
        let q1a = try q1All.gather(axis: 2, y).reshape([b, t]), q2a = try q2All.gather(axis: 2, y).reshape([b, t])
        let v = try value(h).reshape([b, t])                                                         // [B, T]

        // Targets: min_i Q_θ̂ᵢ(s_t, a_t) on the detached trunk; V_ψ(s_t′) detached.
        let hd = h.detached()
        let targetQ = try target.evaluate { try Tensor.minimum(q1(hd).gather(axis: 2, y), q2(hd).gather(axis: 2, y)).reshape([b, t]) }
        let nextV = try v.detached().gather(axis: 1, batch.next)                                    // [B, T]
        let backup = try batch.reward + nextV * batch.done.subtracted(from: 1) * Float(config.gamma)

        let qLoss = try masked((q1a - backup).square() + (q2a - backup).square())
        // The expectile loss averages over all B·T elements; the padded and non-action ones
        // are zeroed, so rescale to the mean over action positions.
        let vLoss = try expectileLoss((targetQ - v) * mask, tau: config.expectile) * (Float(b * t) / n.item())
        var total = try qLoss + vLoss
        // The conservative term costs two log-sum-exps over the vocabulary at every position:
        // computed only when it is on.
        var cql: Tensor? = nil
        if config.cqlWeight > 0 {
            let c = try masked(q1All.logsumexp(axes: [2]) - q1a + q2All.logsumexp(axes: [2]) - q2a)
            total = try total + c * config.cqlWeight
            cql = c
        }
        var bc: Tensor? = nil
        if !config.separateCritic || config.bcWeight > 0 {
            let hp = config.separateCritic ? try DialogueTokens.hidden(model.gpt, batch.inputs) : h
            let l = try crossEntropyLoss(logits: DialogueTokens.lmLogits(model.gpt, hp), targets: batch.targets, mask: mask)
            total = try total + l * config.bcWeight
            bc = l
        }
        return Losses(q: qLoss, v: vLoss, total: total, cql: cql, bc: bc, meanQ: try masked(q1a))
    }

    public func learn(metrics: inout [String: Double]) throws {
        let batch = try DialogueTokens.batch(rows, (0..<config.batchSize).map { _ in rng.int(below: rows.count) })
        all.train()
        defer { all.eval() }
        optimizer.zeroGrad()
        let l = try losses(batch)
        try l.total.backward()
        _ = try clipGradNorm(all, maxNorm: config.clip)
        try optimizer.step()
        try target.sync(tau: config.targetUpdateRate)
        updateCount += 1
        metrics[Metric.qLoss] = Double(try l.q.item())
        metrics[Metric.valueLoss] = Double(try l.v.item())
        if let cql = l.cql { metrics["losses/cql_loss"] = Double(try cql.item()) }
        if let bc = l.bc { metrics["losses/bc_loss"] = Double(try bc.item()) }
        metrics[Metric.qValues] = Double(try l.meanQ.item())
    }

    public func evaluationPolicy() throws -> (any Policy)? { nil }

    // MARK: - Decoding

    /// π's logits, min_i Q_θ̂ᵢ and V_ψ after each row of token ids.
    func terms(_ rows: [[Int]]) throws -> (logits: Tensor, q: Tensor, v: Tensor) {
        let hp = try DialogueTokens.lastHidden(model.gpt, rows)                                     // [N, C]
        let h = config.separateCritic ? try DialogueTokens.lastHidden(critic.gpt, rows) : hp
        let q = try target.evaluate { try Tensor.minimum(q1(h), q2(h)) }                            // [N, V]
        return (try DialogueTokens.lmLogits(model.gpt, hp), q, try value(h))                        // [N, V], [N, V], [N, 1]
    }

    /// The three terms of decoding after `prompt`: π's logits, Q(s, ·) and V(s).
    public func decodingTerms(after prompt: String) throws -> (logits: [Float], q: [Float], v: Float) {
        try noGrad {
            let (l, q, v) = try terms([model.promptIds(prompt)])
            return (l.scalars, q.scalars, try v.item())
        }
    }

    /// One utterance per prompt, decoded from logits + β (Q − V) (β from the config unless
    /// given), sampled at `temperature` (0: greedy).
    public func utterances(after prompts: [String], beta: Float? = nil, temperature: Float = 1, maxTokens: Int = 8,
                           rng: inout RNG) throws -> [String] {
        let b = beta ?? config.beta
        try require(b >= 0 && b.isFinite, "ILQL", "beta must be >= 0, got \(b)")
        return try DialogueTokens.speak(model, prompts: prompts, maxTokens: maxTokens, temperature: temperature, rng: &rng) { rows in
            let (l, q, v) = try terms(rows)
            return try (l + (q - v) * b).scalars
        }
    }

    /// min_i Q_θ̂ᵢ of each candidate utterance's last token after its prompt: the value of
    /// saying the whole candidate there (the tokens before it earn no reward, so their
    /// values back up to the last one). What a CHAI-style reranker sorts candidates by.
    public func utteranceValues(prompts: [String], candidates: [String]) throws -> [Float] {
        try require(prompts.count == candidates.count, "ILQL", "needs as many prompts as candidates, got \(prompts.count) and \(candidates.count)")
        guard !prompts.isEmpty else { return [] }
        var rows: [[Int]] = [], lastTokens: [Int] = []
        for (p, c) in zip(prompts, candidates) {
            let u = try model.tokenizer.encode(c)
            try require(!u.isEmpty, "ILQL", "a candidate utterance is empty")
            let ids = try model.promptIds(p) + u
            try require(ids.count <= model.config.contextLength + 1, "ILQL", "a prompt with its candidate is \(ids.count) tokens, more than the context of \(model.config.contextLength) plus one")
            rows.append(Array(ids.dropLast()))
            lastTokens.append(u.last!)
        }
        return try noGrad {
            let h = try DialogueTokens.lastHidden(critic.gpt, rows)                                // [N, C]
            let q = try target.evaluate { try Tensor.minimum(q1(h), q2(h)) }                        // [N, V]
            let v = model.config.vocabSize, s = q.scalars
            return lastTokens.enumerated().map { s[$0.offset * v + $0.element] }
        }
    }
}
