import Configuration
import Foundation
import NeuralNets
import TensorCore

// Behaviour cloning of logged dialogues by a language model: next-token cross-entropy on
// the agent's tokens only (the environment's words are context, not actions), with AdamW.
// On all the logs it imitates the mix of policies that wrote them (BC); on the dialogues
// with the highest returns (`DialogueDataset.filterTop`) it is %BC (Chen et al. 2021).

/// The settings of `fineTune`.
public struct DialogueFineTuningConfig: Configurable {
    /// Optimizer steps.
    public var steps: Int = 300
    /// Dialogues per step.
    public var batchSize: Int = 32
    /// AdamW's learning rate.
    public var learningRate: Float = 1e-3
    /// The global gradient-norm clip.
    public var clip: Float = 1
    /// The seed of minibatch sampling.
    public var seed: UInt64 = 0
    public init() {}

    public static let fields: [ConfigField<DialogueFineTuningConfig>] = [
        ConfigField("steps", \.steps, "optimizer steps", .atLeast(1)),
        ConfigField("batch_size", \.batchSize, "dialogues per step", .atLeast(1)),
        ConfigField("lr", \.learningRate, "AdamW's learning rate", .positive),
        ConfigField("clip", \.clip, "the global gradient-norm clip", .positive),
        ConfigField("seed", \.seed, "the seed of minibatch sampling"),
    ]
}

/// Fine-tunes `model` in place on the agent's utterances in `data` and returns the loss of
/// every step (nats per agent token). Throws when the data was written for another tokenizer.
@discardableResult
public func fineTune(_ model: LanguageModel, on data: DialogueDataset, config: DialogueFineTuningConfig = DialogueFineTuningConfig(),
                     shouldStop: () -> Bool = { false }) throws -> [Float] {
    let c = "fineTune"
    try require(config.steps >= 1 && config.batchSize >= 1, c, "steps and batchSize must be at least 1, got \(config.steps) and \(config.batchSize)")
    try require(config.learningRate > 0 && config.clip > 0, c, "learningRate and clip must be > 0")
    guard data.tokenizer == model.tokenizer.name else {
        throw AlgorithmError(c, "the dialogues were written for the tokenizer \(data.tokenizer), but the model uses \(model.tokenizer.name)")
    }
    let rows = try DialogueTokens.rows(data, model: model, component: c)
    let opt = try AdamW(model.gpt, learningRate: config.learningRate, weightDecay: 0)
    var rng = RNG(seed: config.seed)
    var losses: [Float] = []
    model.gpt.train()
    defer { model.gpt.eval() }
    for _ in 0..<config.steps {
        let batch = try DialogueTokens.batch(rows, (0..<config.batchSize).map { _ in rng.int(below: rows.count) })
        opt.zeroGrad()
        let logits = try DialogueTokens.lmLogits(model.gpt, DialogueTokens.hidden(model.gpt, batch.inputs))   // [B, T, V]
        let loss = try crossEntropyLoss(logits: logits, targets: batch.targets, mask: batch.action)
        try loss.backward()
        _ = try clipGradNorm(model.gpt, maxNorm: config.clip)
        try opt.step()
        losses.append(try loss.item())
        if shouldStop() { break }
    }
    return losses
}

/// exp of the mean negative log-likelihood of the agent's tokens of `data` under `model`:
/// how natural the utterances are to a model of the logged data.
public func utterancePerplexity(_ model: LanguageModel, of data: DialogueDataset) throws -> Double {
    guard data.tokenizer == model.tokenizer.name else {
        throw AlgorithmError("utterancePerplexity", "the dialogues were written for the tokenizer \(data.tokenizer), but the model uses \(model.tokenizer.name)")
    }
    let rows = try DialogueTokens.rows(data, model: model, component: "utterancePerplexity", truncate: true)
    var total = 0.0, count = 0.0
    for start in stride(from: 0, to: rows.count, by: 64) {
        let batch = try DialogueTokens.batch(rows, Array(start ..< min(rows.count, start + 64)))
        try noGrad {
            let logits = try DialogueTokens.lmLogits(model.gpt, DialogueTokens.hidden(model.gpt, batch.inputs))
            let (b, t) = (batch.count, batch.length)
            let lp = try logits.logSoftmax(axis: -1).gather(axis: 2, batch.targets.reshape([b, t, 1])).reshape([b, t])
            total -= Double(try (lp * batch.action).sum().item())
            count += Double(try batch.action.sum().item())
        }
    }
    return Foundation.exp(total / max(count, 1))
}

/// A language model as the agent of a dialogue: sampling (temperature 0: greedy) one
/// utterance per dialogue so far.
public func sampleUtterances(of model: LanguageModel, after prompts: [String], temperature: Float = 1, maxTokens: Int = 8,
                       rng: inout RNG) throws -> [String] {
    try DialogueTokens.speak(model, prompts: prompts, maxTokens: maxTokens, temperature: temperature, rng: &rng) { rows in
        try DialogueTokens.lmLogits(model.gpt, DialogueTokens.lastHidden(model.gpt, rows)).scalars
    }
}
